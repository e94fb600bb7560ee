"""Kill the running app mid-edit (a real process, SIGKILL) and prove the next start recovers every edit."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from dpo_studio.core.document import Document
from dpo_studio.core.journal import pending_journals
from tests.conftest import CORPUS, REPO

SOURCE = CORPUS / "openai_dpo" / "msfoundry-orca-dpo-validation.jsonl"

pytestmark = pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")


def app_env() -> dict[str, str]:
    env = dict(os.environ)
    env["QT_QPA_PLATFORM"] = "offscreen"
    return env


def read_until(process: subprocess.Popen[str], prefix: str) -> str:
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith(prefix):
            return line[len(prefix) :].strip()
    raise AssertionError(f"the app exited without printing {prefix!r} (code {process.wait()})")


def test_killed_app_offers_and_restores_every_edit(tmp_path: Path) -> None:
    data = tmp_path / "data.jsonl"
    shutil.copyfile(SOURCE, data)
    command = [sys.executable, "-m", "tests.crash_app"]
    editing = subprocess.Popen(
        [*command, "edit", str(data)], cwd=REPO, env=app_env(), stdout=subprocess.PIPE, text=True
    )
    try:
        edited = json.loads(read_until(editing, "EDITED "))
        read_until(editing, "READY")
        editing.send_signal(signal.SIGKILL)
        assert editing.wait(30) == -signal.SIGKILL
    finally:
        if editing.poll() is None:
            editing.kill()
        assert editing.stdout is not None
        editing.stdout.close()

    # The killed app saved nothing; its journal waits, and no live process holds it.
    assert data.read_bytes() == SOURCE.read_bytes()
    assert len(pending_journals()) == 1

    saved = tmp_path / "recovered.jsonl"
    recovering = subprocess.run(
        [*command, "recover", str(saved)],
        cwd=REPO,
        env=app_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert recovering.returncode == 0, recovering.stderr
    lines = recovering.stdout.splitlines()
    prompt = next(line for line in lines if line.startswith("PROMPT "))
    assert "unsaved edits" in prompt and data.name in prompt
    title = next(line for line in lines if line.startswith("TITLE "))
    assert "data.jsonl[*]" in title, "the recovered document shows as unsaved"
    recovered = json.loads(next(line for line in lines if line.startswith("RECOVERED "))[len("RECOVERED ") :])
    assert recovered == edited
    assert recovered[0]["notes"] == "reviewed", "even what the file format cannot carry is recovered"
    assert recovered[3]["preferred"][0]["content"] == "Kept after the kill"

    # Saved after recovery: the file holds the edits, and the journal is gone.
    document = Document.open(saved)
    assert len(document) == len(edited)
    assert document.record(3).preferred_text == "Kept after the kill"  # type: ignore[union-attr]
    assert pending_journals() == []
    assert not any(
        path.suffix == ".journal" for path in (Path(os.environ["DPO_STUDIO_HOME"]) / "state").rglob("*")
    )


def test_clean_exit_leaves_nothing_to_recover(tmp_path: Path) -> None:
    saved = tmp_path / "out.jsonl"
    result = subprocess.run(
        [sys.executable, "-m", "tests.crash_app", "recover", str(saved)],
        cwd=REPO,
        env=app_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 3 and "NO-RECOVERY" in result.stdout
