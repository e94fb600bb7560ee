"""The session's shared undo stack: commands, typing merges, signals, dirty state and the journal."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from dpo_studio.core.document import Document
from dpo_studio.core.records import PreferenceRecord
from dpo_studio.ui.session import DocumentSession
from dpo_studio.ui.tasks import task_runner
from tests.conftest import CORPUS

SOURCE = CORPUS / "openai_dpo" / "msfoundry-dpo-chat-preferenceft.jsonl"


def pair(prompt: str) -> PreferenceRecord:
    return PreferenceRecord(
        context=[{"role": "user", "content": prompt}],
        preferred=[{"role": "assistant", "content": "good"}],
        rejected=[{"role": "assistant", "content": "bad"}],
    )


@pytest.fixture
def session(qtbot: QtBot, tmp_path: Path) -> DocumentSession:
    path = tmp_path / "data.jsonl"
    shutil.copyfile(SOURCE, path)
    session = DocumentSession(Document.open(path))
    yield session
    task_runner().wait_all(10)
    session.shutdown()


def typed(session: DocumentSession, index: int, text: str) -> PreferenceRecord:
    record = session.document.record(index)
    assert record is not None
    record.preferred = [{"role": "assistant", "content": text}]
    return record


def test_typing_on_one_record_merges_into_one_undo_step(session: DocumentSession) -> None:
    original = session.document.record(2)
    for text in ("H", "He", "Hel", "Hell", "Hello"):
        session.edit_record(2, typed(session, 2, text), "Edit preferred answer")
    assert session.undo_stack.count() == 1
    assert session.document.record(2).preferred_text == "Hello"  # type: ignore[union-attr]
    session.undo_stack.undo()
    assert session.document.record(2) == original
    session.undo_stack.redo()
    assert session.document.record(2).preferred_text == "Hello"  # type: ignore[union-attr]


def test_typing_does_not_merge_across_a_save_or_an_undo(session: DocumentSession) -> None:
    session.edit_record(2, typed(session, 2, "a"), "Edit preferred answer")
    session.edit_record(2, typed(session, 2, "ab"), "Edit preferred answer")
    session.save()
    session.edit_record(2, typed(session, 2, "abc"), "Edit preferred answer")
    assert session.undo_stack.count() == 2, "the edit after the save is its own step"
    session.undo_stack.undo()
    assert not session.dirty, "undo returns exactly to the saved text"
    session.edit_record(3, typed(session, 3, "x"), "Edit preferred answer")
    session.edit_record(4, typed(session, 4, "y"), "Edit rejected answer")
    session.undo_stack.undo()
    session.edit_record(3, typed(session, 3, "xz"), "Edit preferred answer")
    assert session.undo_stack.count() == 3
    session.undo_stack.undo()
    assert session.document.record(3).preferred_text == "x"  # type: ignore[union-attr]


def test_edits_of_other_records_or_actions_do_not_merge(session: DocumentSession) -> None:
    session.edit_record(2, typed(session, 2, "a"), "Edit preferred answer")
    session.edit_record(3, typed(session, 3, "b"), "Edit preferred answer")
    record = session.document.record(3)
    assert record is not None
    record.rejected = [{"role": "assistant", "content": "c"}]
    session.edit_record(3, record, "Edit rejected answer")
    session.edit_record(3, typed(session, 3, "d"), "Swap", merge=False)
    session.edit_record(3, typed(session, 3, "e"), "Swap", merge=False)
    assert session.undo_stack.count() == 5


def test_undo_everything_returns_to_clean_and_saves_identical(
    session: DocumentSession, tmp_path: Path
) -> None:
    path = session.document.path
    assert path is not None
    original = path.read_bytes()
    session.edit_record(0, typed(session, 0, "x"), "Edit")
    session.insert_records(1, [pair("new one"), pair("new two")], "Add")
    session.remove_entries([3, 5], "Delete")
    session.edit_records({0: pair("bulk a"), 4: pair("bulk b")}, "Bulk")
    assert session.dirty
    while session.undo_stack.canUndo():
        session.undo_stack.undo()
    assert not session.dirty
    out = tmp_path / "out.jsonl"
    session.document.save(out)
    assert out.read_bytes() == original


def test_signals_describe_each_change(qtbot: QtBot, session: DocumentSession) -> None:
    changed: list[list[int]] = []
    inserted: list[tuple[int, int]] = []
    removed: list[list[int]] = []
    session.entriesChanged.connect(changed.append)
    session.entriesInserted.connect(lambda first, count: inserted.append((first, count)))
    session.entriesRemoved.connect(removed.append)
    session.edit_records({4: pair("a"), 1: pair("b")}, "Bulk")
    session.insert_records(2, [pair("c"), pair("d")])
    session.remove_entries([0, 1, 6])
    session.undo_stack.undo()  # re-inserts 0, 1 and 6: two runs
    assert changed == [[1, 4]]
    assert inserted == [(2, 2), (0, 2), (6, 1)]
    assert removed == [[0, 1, 6]]


def test_current_entry_follows_inserts_and_removals(qtbot: QtBot, session: DocumentSession) -> None:
    currents: list[int] = []
    session.currentChanged.connect(currents.append)
    session.set_current(5)
    session.insert_records(0, [pair("before")])
    assert session.current == 6
    session.remove_entries([0, 1])
    assert session.current == 4
    with qtbot.waitSignal(session.currentChanged, timeout=2000):
        session.remove_entries([4])
    assert session.current == 4  # the next example takes the place of the deleted one
    session.set_current(999)
    assert session.current == -1
    assert currents[0] == 5


def test_dirty_signal_and_clean_after_save(qtbot: QtBot, session: DocumentSession) -> None:
    states: list[bool] = []
    session.dirtyChanged.connect(states.append)
    session.edit_record(0, typed(session, 0, "x"), "Edit")
    session.save()
    session.edit_record(0, typed(session, 0, "y"), "Edit")
    session.undo_stack.undo()  # back to the saved state
    assert states == [True, False, True, False]
    session.undo_stack.undo()  # before the save: differs from the file again
    assert session.dirty


def test_journal_follows_edits_and_is_emptied_by_save(session: DocumentSession) -> None:
    journal = session.journal
    assert journal is not None
    session.edit_record(0, typed(session, 0, "x"), "Edit")
    assert journal.path.exists() and journal.edit_count == 1
    session.undo_stack.undo()
    assert not journal.path.exists(), "back at the saved state there is nothing to recover"
    session.edit_record(0, typed(session, 0, "y"), "Edit")
    session.save()
    assert not journal.path.exists()


def test_set_document_clears_history_and_discards_old_journal(session: DocumentSession) -> None:
    session.edit_record(0, typed(session, 0, "x"), "Edit")
    old = session.journal
    assert old is not None and old.path.exists()
    replaced: list[bool] = []
    session.documentReplaced.connect(lambda: replaced.append(True))
    session.set_document(Document.new())
    assert replaced == [True]
    assert session.undo_stack.count() == 0
    assert not old.path.exists()
    assert not session.dirty


def test_background_check_refreshes_findings(qtbot: QtBot, session: DocumentSession) -> None:
    task_runner().wait_all(10)
    assert session.document.findings_current
    record = session.document.record(0)
    assert record is not None
    record.rejected = list(record.preferred)
    with qtbot.waitSignal(session.findingsChanged, timeout=10000):
        session.edit_record(0, record, "Copy answer", merge=False)
    assert session.document.findings_for(0)
    assert not session.document.findings_current
    qtbot.waitUntil(lambda: session.document.findings_current, timeout=10000)
    assert any(f.entry == 0 for f in session.document.findings())


def test_save_in_another_dialect_resets_history(
    qtbot: QtBot, session: DocumentSession, tmp_path: Path
) -> None:
    session.edit_record(0, typed(session, 0, "x"), "Edit")
    with qtbot.waitSignal(session.documentReplaced, timeout=2000):
        session.save(tmp_path / "trl.jsonl", "trl_messages")
    assert session.undo_stack.count() == 0
    assert not session.dirty
    assert session.document.dialect.name == "trl_messages"


def test_a_large_file_is_packed_in_memory_after_opening_and_still_saves_exactly(
    qtbot: QtBot, session: DocumentSession, tmp_path: Path
) -> None:
    """Twice the Orca corpus file (1.9 MB) is over the packing threshold: the session packs it in the
    background, edits keep working, and an untouched save writes the same bytes."""
    from dpo_studio.core.dataset import EntryKind

    path = tmp_path / "orca-twice.jsonl"
    original = (CORPUS / "openai_dpo" / "msfoundry-orca-dpo-validation.jsonl").read_bytes() * 2
    path.write_bytes(original)
    session.set_document(Document.open(path))
    records = [e for e in session.document.entries if e.kind is EntryKind.RECORD]
    qtbot.waitUntil(lambda: all(entry.packed for entry in records), timeout=20_000)
    session.edit_record(3, typed(session, 3, "An edit after packing."), "Edit preferred answer")
    assert session.document.record(3).preferred_text == "An edit after packing."  # type: ignore[union-attr]
    session.save()
    assert b"An edit after packing." in path.read_bytes()
    session.undo_stack.undo()
    session.save()
    assert path.read_bytes() == original
