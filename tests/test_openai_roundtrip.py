"""Reading OpenAI DPO files from the corpus and writing them back byte for byte."""

from pathlib import Path

import pytest

from dpo_studio.core.dataset import Dataset, EntryKind

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"


@pytest.mark.parametrize(
    ("name", "count"),
    [
        ("openai_dpo/msfoundry-dpo-chat-preferenceft.jsonl", 12),
        ("openai_dpo/msfoundry-orca-dpo-validation.jsonl", 284),
    ],
)
def test_openai_files_round_trip_byte_identical(name: str, count: int) -> None:
    path = CORPUS / name
    dataset = Dataset.open(path, "openai_dpo")
    assert len(dataset.record_indices()) == count
    assert dataset.to_bytes() == path.read_bytes()


def test_crlf_bom_blank_lines_and_bad_line_survive(tmp_path: Path) -> None:
    good = (
        b'{"input": {"messages": [{"role": "user", "content": "Hi"}]}, '
        b'"preferred_output": [{"role": "assistant", "content": "Hello!"}], '
        b'"non_preferred_output": [{"role": "assistant", "content": "Go away."}]}'
    )
    data = b"\xef\xbb\xbf" + good + b"\r\n\r\n{broken\r\n" + b"\xff\xfe" + good + b"\r\n" + good
    path = tmp_path / "messy.jsonl"
    path.write_bytes(data)
    dataset = Dataset.open(path, "openai_dpo")
    kinds = [entry.kind for entry in dataset.entries]
    assert kinds == [
        EntryKind.RECORD,
        EntryKind.BLANK,
        EntryKind.UNREADABLE,
        EntryKind.UNREADABLE,
        EntryKind.RECORD,
    ]
    findings = dataset.read_findings()
    assert [(f.line, f.code) for f in findings] == [(3, "DPO001"), (4, "DPO001")]
    assert "UTF-8" in findings[1].message
    assert dataset.to_bytes() == data


def test_edited_record_is_reserialised_and_others_kept(tmp_path: Path) -> None:
    path = CORPUS / "openai_dpo/msfoundry-dpo-chat-preferenceft.jsonl"
    dataset = Dataset.open(path, "openai_dpo")
    record = dataset.record(0).clone()
    record.preferred[0]["content"] = "Edited answer"
    dataset.set_record(0, record)
    out_lines = dataset.to_bytes().split(b"\n")
    src_lines = path.read_bytes().split(b"\n")
    assert b"Edited answer" in out_lines[0]
    assert out_lines[1:] == src_lines[1:]
