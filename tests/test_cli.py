"""The command line, run as a real subprocess: outputs, exit codes and one-line error messages."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.benchmarks.synthetic import write_synthetic
from tests.conftest import CORPUS, REPO
from tests.fsfaults import tiny_disk

SAMPLE = REPO / "resources" / "sample" / "sample_dpo.jsonl"


def run(*args: str | Path, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, DPO_STUDIO_HOME=str(home), PYTHONPATH=str(REPO))
    return subprocess.run(
        [sys.executable, "-m", "dpo_studio", *map(str, args)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def pair(i: int, prompt: str | None = None) -> dict[str, Any]:
    return {
        "input": {
            "messages": [{"role": "user", "content": prompt or f"Question {i}: how do I reset my password?"}]
        },
        "preferred_output": [
            {"role": "assistant", "content": f"Open Settings › Security and choose Reset ({i})."}
        ],
        "non_preferred_output": [{"role": "assistant", "content": "No idea."}],
    }


def write_jsonl(path: Path, values: list[Any]) -> Path:
    path.write_text("".join(json.dumps(v, ensure_ascii=False) + "\n" for v in values), encoding="utf-8")
    return path


def assert_one_line_error(result: subprocess.CompletedProcess[str], *words: str) -> None:
    assert result.returncode == 2
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("dpo-studio: "), result.stderr
    assert "Traceback" not in result.stderr
    for word in words:
        assert word in lines[0]


def test_validate_sample_finds_the_deliberate_problems(isolated_home: Path) -> None:
    result = run("validate", SAMPLE, home=isolated_home)
    assert result.returncode == 1, result.stderr
    for code, line in (("DPO111", 37), ("DPO110", 38), ("DPO102", 39), ("DPO130", 40)):
        assert f"line {line}: " in result.stdout and code in result.stdout
    assert "[fix: Change the role to 'system']" in result.stdout
    assert (
        result.stdout.strip()
        .splitlines()[-1]
        .endswith(
            "40 examples (OpenAI / Azure DPO), 3 error(s), 1 warning(s) "
            "for gpt-4.1-mini-2025-04-14 on Azure OpenAI"
        )
    )


def test_validate_json(isolated_home: Path) -> None:
    result = run("validate", "--json", "--provider", "openai", SAMPLE, home=isolated_home)
    assert result.returncode == 1
    data = json.loads(result.stdout)
    assert data["examples"] == 40 and data["errors"] == 3 and data["warnings"] == 1
    assert data["provider"] == "openai"
    assert {f["code"] for f in data["findings"]} == {"DPO111", "DPO110", "DPO102", "DPO130"}
    developer = next(f for f in data["findings"] if f["code"] == "DPO102")
    assert developer == {
        "code": "DPO102",
        "severity": "error",
        "line": 39,
        "column": 0,
        "field": "input.messages[0].role",
        "message": "The 'developer' role does not exist in fine-tuning data; use 'system'.",
        "fix": "Change the role to 'system'",
    }


def test_validate_clean_files_exit_zero(tmp_path: Path, isolated_home: Path) -> None:
    first = write_jsonl(tmp_path / "a.jsonl", [pair(i) for i in range(12)])
    second = write_jsonl(tmp_path / "b.jsonl", [pair(i + 100) for i in range(10)])
    result = run("validate", first, second, "--json", home=isolated_home)
    assert result.returncode == 0, result.stdout
    data = json.loads(result.stdout)
    assert [item["errors"] for item in data] == [0, 0]
    human = run("validate", first, home=isolated_home)
    assert human.returncode == 0
    assert human.stdout.strip() == (
        f"{first}: 12 examples (OpenAI / Azure DPO), no errors, 0 warning(s) "
        "for gpt-4.1-mini-2025-04-14 on Azure OpenAI"
    )


def test_validate_overlap_with_validation_file(tmp_path: Path, isolated_home: Path) -> None:
    train = write_jsonl(tmp_path / "train.jsonl", [pair(i) for i in range(12)])
    valid = write_jsonl(tmp_path / "valid.jsonl", [pair(3)])
    result = run("validate", train, "--validation-file", valid, home=isolated_home)
    assert result.returncode == 0  # overlap is a warning
    assert "line 4: warning DPO133" in result.stdout


def test_validate_unreadable_lines_with_line_and_column(tmp_path: Path, isolated_home: Path) -> None:
    path = tmp_path / "broken.jsonl"
    lines = [json.dumps(pair(i)).encode() for i in range(11)]
    lines[2] = b'{"input": {"messages": [}'
    lines[5] = b'{"input": "caf\xe9"}'  # Latin-1 byte: invalid UTF-8
    path.write_bytes(b"\n".join(lines) + b"\n")
    result = run("validate", path, home=isolated_home)
    assert result.returncode == 1
    assert "line 3, column " in result.stdout and "DPO001" in result.stdout
    assert "line 6, column " in result.stdout and "not valid UTF-8" in result.stdout


def test_validate_invalid_corpus_file_names_the_problem(isolated_home: Path) -> None:
    result = run("validate", CORPUS / "invalid" / "minillm-preferred-other-keys.jsonl", home=isolated_home)
    assert result.returncode == 1
    assert "DPO010" in result.stdout and "DPO131" in result.stdout
    assert "note: " in result.stderr and "--dialect" in result.stderr


def test_missing_file_and_folder_are_one_line_errors(tmp_path: Path, isolated_home: Path) -> None:
    assert_one_line_error(
        run("validate", tmp_path / "nope.jsonl", home=isolated_home), "No file at", "nope.jsonl"
    )
    assert_one_line_error(run("stats", tmp_path, home=isolated_home), "is a folder")
    assert_one_line_error(
        run("convert", tmp_path / "nope.jsonl", tmp_path / "out.jsonl", home=isolated_home), "No file"
    )


def test_unreadable_file_is_a_one_line_error(tmp_path: Path, isolated_home: Path) -> None:
    # Root reads any file, and CI runs as root: there the command runs as 'nobody' (setpriv drops the
    # privileges), so the permission check is real either way rather than skipped.
    folder = Path(tempfile.mkdtemp(prefix="dpo-unreadable-"))
    try:
        folder.chmod(0o777)
        path = write_jsonl(folder / "secret.jsonl", [pair(1)])
        path.chmod(0)
        home = folder / "home"
        if os.geteuid() == 0:
            setpriv = shutil.which("setpriv")
            assert setpriv, "setpriv (util-linux) is needed to drop root privileges for this test"
            env = dict(os.environ, DPO_STUDIO_HOME=str(home), PYTHONPATH=str(REPO))
            as_nobody = [setpriv, "--reuid=65534", "--regid=65534", "--clear-groups"]
            result = subprocess.run(
                [*as_nobody, sys.executable, "-m", "dpo_studio", "validate", str(path)],
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
                check=False,
            )
        else:
            result = run("validate", path, home=home)
        assert_one_line_error(result, "permission denied")
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_usage_errors_exit_two(tmp_path: Path, isolated_home: Path) -> None:
    assert run("validate", home=isolated_home).returncode == 2
    assert run("validate", SAMPLE, "--provider", "nobody", home=isolated_home).returncode == 2
    assert_one_line_error(
        run("validate", SAMPLE, "--dialect", "yaml", home=isolated_home), "unknown dialect", "--dialect"
    )
    assert_one_line_error(
        run("convert", SAMPLE, tmp_path / "x.jsonl", "--to", "hh_rlhf", home=isolated_home),
        "read but not written",
    )
    assert_one_line_error(
        run(
            "split",
            SAMPLE,
            "--ratio",
            "1.5",
            "--train-out",
            tmp_path / "t",
            "--validation-out",
            tmp_path / "v",
            home=isolated_home,
        ),
        "--ratio",
    )
    assert_one_line_error(run("stats", SAMPLE, "--epochs", "0", home=isolated_home), "--epochs")
    assert not (tmp_path / "x.jsonl").exists()


def test_convert_names_losses_and_round_trips(tmp_path: Path, isolated_home: Path) -> None:
    target = tmp_path / "trl.jsonl"
    result = run("convert", SAMPLE, target, "--to", "trl_string", "--json", home=isolated_home)
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["examples"] == 40 and summary["to"] == "trl_string"
    assert "tool definitions" in result.stderr and "cannot carry" in result.stderr
    assert len(target.read_text(encoding="utf-8").splitlines()) == 40
    back = tmp_path / "back.jsonl"
    again = run("convert", target, back, "--to", "openai_dpo", home=isolated_home)
    assert again.returncode == 0, again.stderr
    assert "Wrote 40 examples" in again.stdout
    first = json.loads(back.read_text(encoding="utf-8").splitlines()[0])
    assert set(first) >= {"input", "preferred_output", "non_preferred_output"}


def test_convert_to_a_full_disk_keeps_the_old_file(tmp_path: Path, isolated_home: Path) -> None:
    big = write_jsonl(tmp_path / "big.jsonl", [pair(i, "x" * 2000 + str(i)) for i in range(60)])
    with tiny_disk(tmp_path / "disk", size_kb=64) as disk:
        target = disk / "out.jsonl"
        target.write_bytes(b"previous version\n")
        result = run("convert", big, target, home=isolated_home)
        assert_one_line_error(result, "disk is full")
        assert target.read_bytes() == b"previous version\n"
        assert [p.name for p in disk.iterdir()] == ["out.jsonl"]


def test_split_writes_two_files_without_shared_prompts(tmp_path: Path, isolated_home: Path) -> None:
    values = [pair(i) for i in range(30)] + [pair(100 + i, "Shared prompt?") for i in range(5)]
    source = write_jsonl(tmp_path / "all.jsonl", values)
    train, valid = tmp_path / "train.jsonl", tmp_path / "valid.jsonl"
    result = run(
        "split",
        source,
        "--ratio",
        "0.2",
        "--seed",
        "5",
        "--train-out",
        train,
        "--validation-out",
        valid,
        "--json",
        home=isolated_home,
    )
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["train"] + summary["validation"] == 35
    assert 0 < summary["validation"] <= 7

    def prompts(path: Path) -> set[str]:
        return {
            json.dumps(json.loads(line)["input"]) for line in path.read_text(encoding="utf-8").splitlines()
        }

    assert prompts(train).isdisjoint(prompts(valid))
    first_train = train.read_bytes()
    run(
        "split",
        source,
        "--ratio",
        "0.2",
        "--seed",
        "5",
        "--train-out",
        train,
        "--validation-out",
        valid,
        home=isolated_home,
    )
    assert train.read_bytes() == first_train  # deterministic
    check = run("validate", train, "--validation-file", valid, home=isolated_home)
    assert "DPO133" not in check.stdout


def test_split_reports_unreadable_lines_it_left_out(tmp_path: Path, isolated_home: Path) -> None:
    source = tmp_path / "mixed.jsonl"
    source.write_text(
        "\n".join([json.dumps(pair(i)) for i in range(10)] + ["{broken"]) + "\n", encoding="utf-8"
    )
    result = run(
        "split",
        source,
        "--train-out",
        tmp_path / "t.jsonl",
        "--validation-out",
        tmp_path / "v.jsonl",
        home=isolated_home,
    )
    assert result.returncode == 1
    assert "1 unreadable line(s)" in result.stderr
    assert (tmp_path / "t.jsonl").exists()


def test_stats_text_and_json(isolated_home: Path) -> None:
    text = run("stats", SAMPLE, "--provider", "openai", "--model", "gpt-4.1-2025-04-14", home=isolated_home)
    assert text.returncode == 0, text.stderr
    assert "40 examples" in text.stdout and "o200k_base" in text.stdout and "Cost on OpenAI" in text.stdout
    result = run("stats", SAMPLE, "--json", "--epochs", "2", "--tier", "GlobalStandard", home=isolated_home)
    data = json.loads(result.stdout)
    assert data["examples"] == 40
    assert data["messages"]["with_tools"] == 5
    tokens = data["tokens"]
    assert 0 < tokens["billed_per_epoch_low"] < tokens["billed_per_epoch_high"]
    cost = data["cost"]
    assert cost["epochs"] == 2 and not cost["epochs_auto"] and cost["tier"] == "GlobalStandard"
    assert 0 < cost["low"] < cost["high"]
    assert cost["low"] == pytest.approx(
        tokens["billed_per_epoch_low"] * 2 * cost["price_per_million"] / 1e6, abs=1e-4
    )
    assert data["quality"]["identical_answers"]["count"] == 1
    assert data["quality"]["duplicate_prompts"]["prompts"] == 1


def test_progress_goes_to_stderr_for_large_files(tmp_path: Path, isolated_home: Path) -> None:
    big = write_synthetic(tmp_path / "big.jsonl", 12_500)  # a little over 20 MB
    assert big.stat().st_size > 20 * 1024 * 1024
    result = run("validate", big, "--json", home=isolated_home)
    assert result.returncode == 0, result.stdout[-2000:]  # the synthetic pairs are valid
    assert "Reading big.jsonl" in result.stderr
    assert "Checking big.jsonl: 100%" in result.stderr
    data = json.loads(result.stdout)  # stdout stays clean JSON
    assert data["examples"] == 12_500


def test_validate_json_array_with_explicit_dialect(tmp_path: Path, isolated_home: Path) -> None:
    path = tmp_path / "pairs.json"
    path.write_text(json.dumps([pair(i) for i in range(10)], indent=2), encoding="utf-8-sig")
    result = run("validate", path, "--dialect", "openai_dpo", "--json", home=isolated_home)
    assert result.returncode == 0, result.stdout
    data = json.loads(result.stdout)
    assert data["examples"] == 10 and data["findings"] == []
    assert result.stderr == ""
