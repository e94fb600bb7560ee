"""The autosave journal: edits survive a killed process and replay to exactly the same document."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dpo_studio.core.document import Document
from dpo_studio.core.errors import UserError
from dpo_studio.core.journal import (
    Journal,
    discard_journal,
    entry_from_data,
    entry_to_data,
    journal_dir,
    pending_journals,
    recover,
)
from dpo_studio.core.records import PreferenceRecord
from tests.conftest import CORPUS, REPO

SOURCE = CORPUS / "openai_dpo" / "msfoundry-orca-dpo-validation.jsonl"


def pair(prompt: str) -> PreferenceRecord:
    return PreferenceRecord(
        context=[{"role": "user", "content": prompt}],
        preferred=[{"role": "assistant", "content": "good"}],
        rejected=[{"role": "assistant", "content": "bad"}],
        notes="a note the dialect cannot carry",
        tags=["t1"],
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "data.jsonl"
    shutil.copyfile(SOURCE, target)
    return target


def run_and_kill(body: str) -> None:
    """Run ``body`` in a fresh Python process that then SIGKILLs itself (no clean-up runs)."""
    script = textwrap.dedent(body) + "\nimport os, signal\nos.kill(os.getpid(), signal.SIGKILL)\n"
    result = subprocess.run([sys.executable, "-c", script], cwd=REPO, env=dict(os.environ), timeout=120)
    assert result.returncode == -signal.SIGKILL


EDITS = """
from dpo_studio.core.document import Document
from dpo_studio.core.journal import Journal
from dpo_studio.core.records import PreferenceRecord
import sys
document = Document.open(sys.argv[1] if len(sys.argv) > 1 else {path!r})
journal = Journal(document)
record = document.record(1)
record.preferred = [{{"role": "assistant", "content": "typed before the kill"}}]
document.replace(1, record)
extra = PreferenceRecord(context=[{{"role": "user", "content": "new"}}],
    preferred=[{{"role": "assistant", "content": "p"}}], rejected=[{{"role": "assistant", "content": "r"}}],
    notes="only in the app", tags=["x"])
document.insert(0, [extra])
removed = document.remove([5, 6])
document.restore(removed)
document.remove([10])
"""


def expected_after_edits(path: Path) -> Document:
    """The same edits, made in this process without a journal."""
    document = Document.open(path)
    record = document.record(1)
    assert record is not None
    record.preferred = [{"role": "assistant", "content": "typed before the kill"}]
    document.replace(1, record)
    extra = PreferenceRecord(
        context=[{"role": "user", "content": "new"}],
        preferred=[{"role": "assistant", "content": "p"}],
        rejected=[{"role": "assistant", "content": "r"}],
        notes="only in the app",
        tags=["x"],
    )
    document.insert(0, [extra])
    removed = document.remove([5, 6])
    document.restore(removed)
    document.remove([10])
    return document


def test_killed_process_edits_are_recovered_exactly(copy: Path, tmp_path: Path) -> None:
    run_and_kill(EDITS.format(path=str(copy)))
    pending = pending_journals()
    assert len(pending) == 1
    info = pending[0]
    assert info.file == copy and info.edit_count == 5
    assert "5 unsaved edits" in info.describe()
    recovered = recover(info)
    expected = expected_after_edits(copy)
    assert recovered.dirty
    assert len(recovered) == len(expected)
    for index in range(len(expected)):
        assert recovered.record(index) == expected.record(index), index
    assert recovered.record(0).notes == "only in the app"  # type: ignore[union-attr]
    a, b = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    recovered.save(a)
    expected.save(b)
    assert a.read_bytes() == b.read_bytes()
    # The file itself was never touched by the killed process.
    assert copy.read_bytes() == SOURCE.read_bytes()


def test_resumed_journal_keeps_collecting_and_clears_on_save(copy: Path) -> None:
    run_and_kill(EDITS.format(path=str(copy)))
    info = pending_journals()[0]
    document = recover(info)
    journal = Journal.resume(info, document)
    assert pending_journals() == [], "a journal in use by this process is not offered"
    document.insert(0, [pair("after recovery")])
    assert journal.edit_count == 6
    document.save()
    assert not info.path.exists()
    journal.discard()
    assert pending_journals() == []


def test_journal_of_live_process_is_not_offered(copy: Path) -> None:
    document = Document.open(copy)
    journal = Journal(document)
    document.insert(0, [pair("x")])
    assert journal.path.exists()
    assert pending_journals() == []
    journal.discard()
    assert not journal.path.exists()


def test_nothing_is_written_until_the_first_edit(copy: Path) -> None:
    document = Document.open(copy)
    journal = Journal(document)
    assert not journal.path.exists()
    assert list(journal_dir().glob("*.journal")) == []
    journal.discard()


def test_save_empties_the_journal_and_later_edits_replay_on_the_saved_file(copy: Path) -> None:
    script = EDITS.format(path=str(copy))
    script += "\ndocument.save()\nrecord = document.record(2)\nrecord.tags = ['after-save']\n"
    script += (
        "record.preferred = [{'role': 'assistant', 'content': 'after save'}]\ndocument.replace(2, record)\n"
    )
    run_and_kill(script)
    info = pending_journals()[0]
    assert info.edit_count == 1
    recovered = recover(info)
    assert recovered.record(2).preferred_text == "after save"  # type: ignore[union-attr]
    assert recovered.record(0).last_user_text == "new"  # type: ignore[union-attr]


def test_changed_base_file_is_refused_and_journal_kept(copy: Path) -> None:
    run_and_kill(EDITS.format(path=str(copy)))
    with copy.open("ab") as stream:
        stream.write(b'{"changed": "elsewhere"}\n')
    info = pending_journals()[0]
    with pytest.raises(UserError, match="changed on disk"):
        recover(info)
    assert info.path.exists()
    discard_journal(info)
    assert pending_journals() == []


def test_cut_off_last_line_is_ignored(copy: Path) -> None:
    run_and_kill(EDITS.format(path=str(copy)))
    info = pending_journals()[0]
    with info.path.open("ab") as stream:
        stream.write(b'{"op":"remove","indices":[0')  # the kill hit in the middle of a write
    again = pending_journals()[0]
    assert again.edit_count == 5
    assert len(recover(again)) == len(expected_after_edits(copy))


def test_new_unsaved_document_with_contents_is_recoverable(tmp_path: Path) -> None:
    script = """
from dpo_studio.core.dataset import Dataset
from dpo_studio.core.dialects import get_dialect
from dpo_studio.core.document import Document
from dpo_studio.core.journal import Journal
from dpo_studio.core.records import PreferenceRecord
dataset = Dataset(dialect=get_dialect("openai_dpo"))
for i in range(3):
    dataset.append_record(PreferenceRecord(context=[{"role": "user", "content": f"imported {i}"}]))
document = Document(dataset)
journal = Journal(document)
document.remove([1])
"""
    run_and_kill(script)
    info = pending_journals()[0]
    assert info.file is None and "new, unsaved dataset" in info.describe()
    document = recover(info)
    assert [document.record(i).last_user_text for i in range(len(document))] == [  # type: ignore[union-attr]
        "imported 0",
        "imported 2",
    ]
    assert document.dirty and document.path is None


def test_entries_round_trip_through_journal_data(copy: Path) -> None:
    document = Document.open(copy)
    document.insert(0, [pair("x")])
    for entry in document.entries[:5]:
        data = json.loads(json.dumps(entry_to_data(entry)))
        assert entry_from_data(data) == entry
    raw_bad = type(document.entries[1])(document.entries[1].kind, b"\xff\xfe not utf-8", 7, b"\r\n")
    assert entry_from_data(json.loads(json.dumps(entry_to_data(raw_bad)))) == raw_bad


def test_closing_without_saving_deletes_the_journal(copy: Path) -> None:
    document = Document.open(copy)
    journal = Journal(document)
    document.insert(0, [pair("x")])
    journal.discard()
    document.insert(0, [pair("not journaled any more")])
    assert list(journal_dir().iterdir()) == []


def test_lock_files_of_apps_that_died_with_nothing_to_recover_are_cleaned_up(copy: Path) -> None:
    # Edited and saved, then killed: the journal is gone, only its lock file is left behind.
    script = EDITS.format(path=str(copy)) + "\ndocument.save()\n"
    run_and_kill(script)
    assert [p.suffix for p in journal_dir().iterdir()] == [".lock"]
    live_document = Document.open(copy)
    live = Journal(live_document)
    live_document.insert(0, [pair("x")])
    live_document.save()
    assert not live.path.exists() and live.lock_path.exists()
    assert pending_journals() == []
    assert [p.name for p in journal_dir().iterdir()] == [live.lock_path.name], (
        "only the live app's lock stays"
    )
    live.discard()
    assert list(journal_dir().iterdir()) == []
