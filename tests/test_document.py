"""The editable document: edit primitives and their inverses, dirty tracking, findings, atomic save."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from dpo_studio.core.dataset import EntryKind
from dpo_studio.core.document import Change, ChangeKind, Document
from dpo_studio.core.errors import UserError
from dpo_studio.core.records import PreferenceRecord
from tests.conftest import CORPUS
from tests.fsfaults import read_only_folder, tiny_disk

OPENAI_FILE = CORPUS / "openai_dpo" / "msfoundry-dpo-chat-preferenceft.jsonl"


def pair(prompt: str, good: str = "good answer", bad: str = "bad answer") -> PreferenceRecord:
    return PreferenceRecord(
        context=[{"role": "user", "content": prompt}],
        preferred=[{"role": "assistant", "content": good}],
        rejected=[{"role": "assistant", "content": bad}],
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / OPENAI_FILE.name
    shutil.copyfile(OPENAI_FILE, target)
    return target


def test_open_reads_every_entry_and_is_clean(copy: Path) -> None:
    document = Document.open(copy)
    assert len(document) == len(copy.read_bytes().splitlines())
    assert document.dialect.name == "openai_dpo"
    assert document.detection is not None and document.detection.certain
    assert not document.dirty
    assert document.title == copy.name
    record = document.record(0)
    assert record is not None and record.preferred_text


def test_replace_then_put_back_saves_byte_identical(copy: Path, tmp_path: Path) -> None:
    original = copy.read_bytes()
    document = Document.open(copy)
    record = document.record(3)
    assert record is not None
    record.preferred[0]["content"] = "A much better answer."
    previous = document.replace(3, record)
    assert document.dirty
    changed = document.record(3)
    assert changed is not None and changed.preferred_text == "A much better answer."
    out = tmp_path / "edited.jsonl"
    document.save(out)
    edited_lines = out.read_bytes().splitlines()
    original_lines = original.splitlines()
    assert [i for i in range(len(original_lines)) if edited_lines[i] != original_lines[i]] == [3]
    assert json.loads(edited_lines[3])["preferred_output"][0]["content"] == "A much better answer."
    document.put_entries({3: previous})
    document.save(out)
    assert out.read_bytes() == original


def test_record_returns_a_copy_that_does_not_change_the_document(copy: Path) -> None:
    document = Document.open(copy)
    record = document.record(0)
    assert record is not None
    document.replace(0, record)
    mine = document.record(0)
    assert mine is not None
    mine.notes = "changed outside"
    again = document.record(0)
    assert again is not None and again.notes == ""


def test_insert_remove_restore_and_listeners(copy: Path) -> None:
    document = Document.open(copy)
    seen: list[Change] = []
    document.listeners.append(seen.append)
    count = len(document)
    indices = document.insert(2, [pair("one"), pair("two")])
    assert indices == [2, 3]
    assert len(document) == count + 2
    assert document.record(3) is not None and document.record(3).last_user_text == "two"  # type: ignore[union-attr]
    removed = document.remove([0, 3, 5])
    assert removed.indices == [0, 3, 5]
    assert len(document) == count - 1
    document.restore(removed)
    assert len(document) == count + 2
    assert document.record(3).last_user_text == "two"  # type: ignore[union-attr]
    assert [c.kind for c in seen] == [ChangeKind.INSERT, ChangeKind.REMOVE, ChangeKind.INSERT]
    assert seen[1].indices == (0, 3, 5)
    assert document.revision == 3


def test_restore_then_undo_insert_gives_back_the_file(copy: Path, tmp_path: Path) -> None:
    document = Document.open(copy)
    document.insert(len(document), [pair("appended")])
    removed = document.remove([1, 2, len(document) - 1])
    document.restore(removed)
    document.remove([len(document) - 1])
    out = tmp_path / "back.jsonl"
    document.save(out)
    assert out.read_bytes() == copy.read_bytes()


def test_insert_outside_range_is_refused(copy: Path) -> None:
    document = Document.open(copy)
    with pytest.raises(IndexError):
        document.insert(len(document) + 1, [pair("x")])


def test_findings_follow_edits_and_moves(tmp_path: Path) -> None:
    path = tmp_path / "few.jsonl"
    lines = [
        json.dumps(
            {
                "input": {"messages": [{"role": "user", "content": f"q{i}"}]},
                "preferred_output": [{"role": "assistant", "content": "yes"}],
                "non_preferred_output": [{"role": "assistant", "content": "no"}],
            }
        )
        for i in range(12)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    document = Document.open(path)
    assert document.findings_for(4) == []
    broken = document.record(4)
    assert broken is not None
    broken.rejected = [{"role": "assistant", "content": "yes"}]  # identical answers
    document.replace(4, broken)
    codes = [f.code for f in document.findings_for(4)]
    assert codes, "identical answers must be reported"
    assert all(f.entry == 4 for f in document.findings_for(4))
    document.insert(0, [pair("first")])
    moved = document.findings_for(5)
    assert [f.code for f in moved] == codes
    assert all(f.entry == 5 for f in moved)
    assert any(f.entry == 5 for f in document.findings())


def test_full_report_applies_only_to_its_revision(copy: Path) -> None:
    document = Document.open(copy)
    revision = document.revision
    snapshot = document.snapshot()
    report = document.validate(snapshot)
    document.insert(0, [pair("new")])
    assert not document.apply_report(report, revision)
    assert not document.findings_current
    report = document.validate()
    assert document.apply_report(report, document.revision)
    assert document.findings_current


def test_new_document_save_needs_a_path_then_saves(tmp_path: Path) -> None:
    document = Document.new()
    assert not document.dirty and document.title == "Untitled"
    document.insert(0, [pair("hello")])
    assert document.dirty
    with pytest.raises(UserError, match="Save As"):
        document.save()
    target = tmp_path / "new.jsonl"
    document.save(target)
    assert not document.dirty and document.path == target
    written = json.loads(target.read_text(encoding="utf-8"))
    assert written["input"]["messages"][0]["content"] == "hello"


def test_save_in_another_dialect_rereads_the_document(copy: Path, tmp_path: Path) -> None:
    document = Document.open(copy)
    seen: list[ChangeKind] = []
    document.listeners.append(lambda change: seen.append(change.kind))
    out = tmp_path / "trl.jsonl"
    assert document.save(out, "trl_messages") is True
    assert document.dialect.name == "trl_messages"
    assert not document.dirty
    assert ChangeKind.RESET in seen and seen[-1] is ChangeKind.SAVED
    assert all(e.kind is EntryKind.RECORD for e in document.entries)
    assert "chosen" in json.loads(out.read_text(encoding="utf-8").splitlines()[0])


def test_save_refuses_read_only_dialect(copy: Path) -> None:
    document = Document.open(copy)
    with pytest.raises(UserError, match="read but not written"):
        document.save(copy, "hh_rlhf")


def test_read_only_folder_shows_error_and_loses_nothing(tmp_path: Path) -> None:
    original = OPENAI_FILE.read_bytes()
    with read_only_folder(tmp_path / "ro", {"data.jsonl": original}) as folder:
        document = Document.open(folder / "data.jsonl")
        record = document.record(0)
        assert record is not None
        record.preferred = [{"role": "assistant", "content": "kept"}]
        document.replace(0, record)
        with pytest.raises(UserError, match="read-only") as raised:
            document.save()
        assert raised.value.hint
        assert document.dirty
        assert (folder / "data.jsonl").read_bytes() == original
        # The edit is still there and can be saved elsewhere.
        elsewhere = tmp_path / "elsewhere.jsonl"
        document.save(elsewhere)
        assert not document.dirty
        assert Document.open(elsewhere).record(0).preferred_text == "kept"  # type: ignore[union-attr]


def test_full_disk_shows_error_and_loses_nothing(tmp_path: Path) -> None:
    with tiny_disk(tmp_path / "disk", size_kb=64) as folder:
        target = folder / "data.jsonl"
        target.write_bytes(OPENAI_FILE.read_bytes()[:2000])
        document = Document.open(OPENAI_FILE)
        big = pair("x" * 200_000)
        document.insert(0, [big])
        with pytest.raises(UserError, match="disk is full"):
            document.save(target)
        assert target.read_bytes() == OPENAI_FILE.read_bytes()[:2000]
        assert document.dirty and document.path == OPENAI_FILE
        assert sorted(p.name for p in folder.iterdir()) == ["data.jsonl"]


def test_missing_file_is_a_user_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="No file"):
        Document.open(tmp_path / "missing.jsonl")


def test_unknown_dialect_name_is_a_user_error(copy: Path) -> None:
    with pytest.raises(UserError, match="unknown dialect"):
        Document.open(copy, "nope")


def test_mark_clean_tells_listeners(copy: Path) -> None:
    document = Document.open(copy)
    kinds: list[ChangeKind] = []
    document.listeners.append(lambda change: kinds.append(change.kind))
    record = document.record(0)
    assert record is not None
    previous = document.replace(0, record)
    document.put_entries({0: previous})
    assert document.dirty
    document.mark_clean()
    assert not document.dirty
    assert kinds[-1] is ChangeKind.SAVED


def test_every_corpus_file_opens_and_saves_back_identically(tmp_path: Path) -> None:
    for source in sorted(CORPUS.glob("*/*.jsonl")):
        document = Document.open(source)
        document.findings()
        if not document.dialect.writable:
            continue
        out = tmp_path / source.name
        document.save(out)
        assert out.read_bytes() == source.read_bytes(), source.name


def test_read_preview_shows_the_first_rows_from_the_start_of_the_file(tmp_path: Path) -> None:
    from dpo_studio.core.document import PREVIEW_HEAD_BYTES, read_preview

    source = CORPUS / "openai_dpo" / "msfoundry-orca-dpo-validation.jsonl"
    document = Document.open(source)
    rows, estimate = read_preview(source, limit=5)
    assert [row.line for row in rows] == [1, 2, 3, 4, 5]
    first = document.record(0)
    assert first is not None
    assert rows[0].prompt.startswith(first.last_user_text[:40].split("\n")[0].strip()[:20])
    assert rows[0].preferred.startswith(first.preferred_text.split()[0])
    assert estimate == len(document)
    # A file larger than the part read: only whole lines, and an estimate of the line count.
    big = tmp_path / "big.jsonl"
    lines = source.read_bytes().splitlines(keepends=True)
    with big.open("wb") as stream:
        while stream.tell() < PREVIEW_HEAD_BYTES * 3:
            stream.writelines(lines)
    total = big.read_bytes().count(b"\n")
    rows, estimate = read_preview(big)
    assert 100 <= len(rows) <= 200, "whole lines from the first part only"
    assert [row.line for row in rows] == list(range(1, len(rows) + 1))
    assert abs(estimate - total) < total * 0.1
    # JSON arrays and missing files get no preview.
    array = tmp_path / "array.json"
    array.write_text('[{"prompt": "a", "chosen": "b", "rejected": "c"}]', encoding="utf-8")
    assert read_preview(array) == ([], 0)
    assert read_preview(tmp_path / "missing.jsonl") == ([], 0)
