"""Notes and tags (and the "flagged" mark) survive saving, closing and reopening, through a sidecar file."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtGui import QTextCursor
from pytestqt.qtbot import QtBot

from dpo_studio.core import annotations as sidecar
from dpo_studio.core.document import Document
from dpo_studio.core.errors import UserError
from dpo_studio.ui.main_window import MainWindow
from dpo_studio.ui.tasks import task_runner
from tests.conftest import REPO
from tests.fsfaults import read_only_folder

SAMPLE = REPO / "resources" / "sample" / "sample_dpo.jsonl"


def pair(prompt: str, good: str = "yes", bad: str = "no") -> str:
    return json.dumps(
        {
            "input": {"messages": [{"role": "user", "content": prompt}]},
            "preferred_output": [{"role": "assistant", "content": good}],
            "non_preferred_output": [{"role": "assistant", "content": bad}],
        }
    )


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "pairs.jsonl"
    shutil.copyfile(SAMPLE, path)
    return path


def annotate(document: Document, index: int, notes: str = "", tags: tuple[str, ...] = ()) -> None:
    record = document.record(index)
    assert record is not None
    record.notes = notes
    record.tags = list(tags)
    document.replace(index, record)


def notes_and_tags(document: Document, index: int) -> tuple[str, list[str]]:
    record = document.record(index)
    assert record is not None
    return record.notes, record.tags


def test_notes_and_tags_survive_save_close_and_reopen(data: Path) -> None:
    original = data.read_bytes()
    document = Document.open(data)
    annotate(document, 2, "Rejected answer invents an order number.", ("flagged", "tone"))
    annotate(document, 7, tags=("too long",))
    document.save()
    # The data file cannot hold notes or tags: its bytes are unchanged, the sidecar holds them.
    assert data.read_bytes() == original
    side = sidecar.sidecar_path(data)
    assert side.name == "pairs.jsonl.dpo-studio.json"
    stored = json.loads(side.read_text(encoding="utf-8"))
    assert stored["format"] == sidecar.FORMAT and len(stored["examples"]) == 2
    del document

    reopened = Document.open(data)
    assert notes_and_tags(reopened, 2) == ("Rejected answer invents an order number.", ["flagged", "tone"])
    assert notes_and_tags(reopened, 7) == ("", ["too long"])
    assert notes_and_tags(reopened, 0) == ("", [])
    assert not reopened.dirty and reopened.annotations_warning is None
    # Saving again without changes writes the same data bytes (annotated lines are copied, not rewritten).
    reopened.save()
    assert data.read_bytes() == original

    # Removing every note and tag deletes the sidecar.
    annotate(reopened, 2)
    annotate(reopened, 7)
    reopened.save()
    assert not side.exists()


def test_notes_follow_their_example_when_lines_are_reordered_in_a_text_editor(data: Path) -> None:
    document = Document.open(data)
    first = document.record(0)
    assert first is not None
    annotate(document, 0, "first example")
    annotate(document, 5, "sixth example")
    document.save()
    lines = data.read_bytes().splitlines(keepends=True)
    lines.reverse()  # e.g. sorted in a text editor
    lines.insert(3, (pair("A new example typed by hand") + "\n").encode())
    data.write_bytes(b"".join(lines))

    reopened = Document.open(data)
    moved = [i for i in range(len(reopened)) if notes_and_tags(reopened, i)[0]]
    assert len(moved) == 2
    by_note = {notes_and_tags(reopened, i)[0]: i for i in moved}
    found = reopened.record(by_note["first example"])
    assert found is not None and found.context == first.context
    assert by_note["first example"] == len(reopened) - 1
    assert reopened.annotations_warning is None


def test_identical_examples_keep_their_own_notes(tmp_path: Path) -> None:
    path = tmp_path / "twins.jsonl"
    same = pair("Same question", "same good", "same bad")
    path.write_text("\n".join([same, pair("Other"), same, same]) + "\n", encoding="utf-8")
    document = Document.open(path)
    annotate(document, 0, "twin one")
    annotate(document, 3, "twin three", ("flagged",))
    document.save()
    reopened = Document.open(path)
    assert [notes_and_tags(reopened, i) for i in range(4)] == [
        ("twin one", []),
        ("", []),
        ("", []),
        ("twin three", ["flagged"]),
    ]
    # A line inserted at the top shifts the lines: the notes stay on copies of their (identical) example,
    # one note per copy; which copy is decided by the line number alone.
    path.write_text(pair("Inserted") + "\n" + path.read_text(encoding="utf-8"), encoding="utf-8")
    shifted = Document.open(path)
    noted = [notes_and_tags(shifted, i)[0] for i in range(5)]
    assert sorted(noted) == ["", "", "", "twin one", "twin three"]
    assert noted[0] == "" and noted[2] == "", "no note moved to a different example"


def test_a_corrupted_sidecar_is_reported_not_fatal_and_kept(data: Path) -> None:
    side = sidecar.sidecar_path(data)
    side.write_text('{"format": "dpo-studio-annotations", "version": 1, "examples": [', encoding="utf-8")
    document = Document.open(data)
    assert len(document) == 40
    warning = document.annotations_warning
    assert isinstance(warning, UserError) and side.name in warning.message
    annotate(document, 1, "new note")
    document.save()
    broken = side.with_name(side.name + sidecar.BROKEN_SUFFIX)
    assert broken.read_text(encoding="utf-8").endswith('"examples": [')
    assert notes_and_tags(Document.open(data), 1) == ("new note", [])


def test_notes_of_examples_changed_outside_are_kept_as_unmatched(data: Path) -> None:
    document = Document.open(data)
    annotate(document, 4, "about a changed example")
    document.save()
    lines = data.read_text(encoding="utf-8").splitlines()
    lines[4] = pair("Rewritten outside the app")
    data.write_text("\n".join(lines) + "\n", encoding="utf-8")
    reopened = Document.open(data)
    assert reopened.annotations_warning is not None and "no longer" in reopened.annotations_warning.message
    reopened.save()
    stored = json.loads(sidecar.sidecar_path(data).read_text(encoding="utf-8"))
    assert [item["notes"] for item in stored["unmatched"]] == ["about a changed example"]


def test_save_as_another_format_keeps_notes_with_the_new_file(data: Path, tmp_path: Path) -> None:
    document = Document.open(data)
    annotate(document, 3, "kept through conversion", ("flagged",))
    target = tmp_path / "pairs.trl.jsonl"
    assert document.save(target, "trl_messages") is True
    assert notes_and_tags(document, 3) == ("kept through conversion", ["flagged"])
    assert notes_and_tags(Document.open(target, "trl_messages"), 3) == (
        "kept through conversion",
        ["flagged"],
    )


def test_sidecar_is_json_and_holds_only_notes_tags_and_positions(data: Path) -> None:
    document = Document.open(data)
    annotate(document, 0, "note", ("a",))
    document.save()
    value = json.loads(sidecar.sidecar_path(data).read_bytes())
    assert set(value) == {"format", "version", "about", "examples"}
    assert set(value["examples"][0]) == {"key", "line", "notes", "tags"}
    text = sidecar.sidecar_path(data).read_text(encoding="utf-8")
    # No answers, prompts or credentials: just the hash that finds the example.
    assert "Fjord" not in text and "sk-" not in text and "api" not in text.lower()


def test_unwritable_sidecar_saves_nothing_and_loses_nothing(data: Path) -> None:
    document = Document.open(data)
    before = data.read_bytes()
    annotate(document, 0, "must not be lost")
    with read_only_folder(data.parent), pytest.raises(UserError) as raised:
        document.save()
    assert "notes and tags" in raised.value.message and "Nothing was saved" in raised.value.message
    assert document.dirty and notes_and_tags(document, 0) == ("must not be lost", [])
    assert data.read_bytes() == before


# -- in the app ------------------------------------------------------------------------------------------


@pytest.fixture
def windows(qtbot: QtBot) -> Iterator[list[MainWindow]]:
    made: list[MainWindow] = []
    yield made
    task_runner().wait_all(10)
    for window in made:
        window.session.close_document()
        window.close()
        window.deleteLater()


def open_in_new_window(qtbot: QtBot, windows: list[MainWindow], path: Path) -> MainWindow:
    window = MainWindow()
    windows.append(window)
    window.resize(1300, 800)
    window.show()
    qtbot.waitExposed(window)
    with qtbot.waitSignal(window.documentOpened, timeout=20000):
        window.open_file(path)
    return window


def test_a_note_typed_in_the_editor_is_there_after_reopening(
    qtbot: QtBot, windows: list[MainWindow], data: Path
) -> None:
    window = open_in_new_window(qtbot, windows, data)
    editor = window.editor
    assert editor is not None
    window.session.set_current(3)
    window.show_tab(editor)
    notes = editor.details.notes
    assert editor.details.not_saved.isHidden(), "the editor no longer says notes are not saved"
    notes.setFocus()
    notes.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(notes, "Checked by hand")
    assert window.session.document.record(3).notes == "Checked by hand"  # type: ignore[union-attr]
    assert editor.details.not_saved.isHidden()
    assert window.save()
    window.session.close_document()

    second = open_in_new_window(qtbot, windows, data)
    second.session.set_current(3)
    assert second.editor is not None
    second.show_tab(second.editor)
    qtbot.waitUntil(lambda: second.editor.details.notes.toPlainText() == "Checked by hand", timeout=5000)


def test_export_still_names_notes_and_tags_as_not_in_the_exported_file(data: Path) -> None:
    from dpo_studio.core.dialects import get_dialect
    from dpo_studio.ui.datasets.export_dialog import describe_summary
    from dpo_studio.ui.datasets.exporting import summarize_export

    document = Document.open(data)
    annotate(document, 0, "a note", ("flagged",))
    dialect = get_dialect("openai_dpo")
    summary = summarize_export(document.snapshot(), dialect, separate=False)
    assert summary.losses.get("notes") == 1 and summary.losses.get("tags") == 1
    text = describe_summary(summary, dialect, separate=False, skip=False)
    assert "notes (1 example) — they stay in this dataset's notes file" in text


def test_the_app_says_when_the_notes_file_cannot_be_read(
    qtbot: QtBot, windows: list[MainWindow], data: Path
) -> None:
    from dpo_studio.ui.errors import PresentedError, set_presenter_hook

    sidecar.sidecar_path(data).write_text("not json", encoding="utf-8")
    shown: list[PresentedError] = []
    old = set_presenter_hook(shown.append)
    try:
        window = open_in_new_window(qtbot, windows, data)
    finally:
        set_presenter_hook(old)
    assert len(window.session.document) == 40
    assert [item.expected for item in shown] == [True]
    assert "pairs.jsonl.dpo-studio.json" in shown[0].message and ".broken" in shown[0].hint
