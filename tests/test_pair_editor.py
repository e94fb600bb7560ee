"""The pair editor driven as a person would: a real Document on a temp copy of a real corpus file,
the real DocumentSession (shared undo stack), real widgets, keyboard and mouse through pytest-qt."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QTextCursor
from PySide6.QtWidgets import QLabel, QPushButton, QToolButton, QWidget
from pytestqt.qtbot import QtBot

from dpo_studio.core.document import Document
from dpo_studio.core.records import PreferenceRecord
from dpo_studio.core.validation import ANSWER_WHITESPACE, EMPTY_ANSWER
from dpo_studio.core.worddiff import DiffSpan, utf16_offsets, word_diff
from dpo_studio.ui.editor import SHORTCUTS, PairEditor
from dpo_studio.ui.editor.answer_pane import AnswerPane
from dpo_studio.ui.editor.messages import (
    answer_text,
    content_text,
    structured_parts,
    with_answer_text,
    with_content_text,
)
from dpo_studio.ui.editor.text_edit import SessionTextEdit, qt_plain
from dpo_studio.ui.session import DocumentSession
from dpo_studio.ui.tasks import task_runner
from tests.conftest import CORPUS

SOURCE = CORPUS / "openai_dpo" / "msfoundry-dpo-chat-preferenceft.jsonl"
CTRL = Qt.KeyboardModifier.ControlModifier
SHIFT = Qt.KeyboardModifier.ShiftModifier


def open_session(path: Path) -> DocumentSession:
    return DocumentSession(Document.open(path), journal=False)


@pytest.fixture
def data_file(tmp_path: Path) -> Path:
    path = tmp_path / "pairs.jsonl"
    shutil.copyfile(SOURCE, path)
    return path


@pytest.fixture
def session(data_file: Path) -> Iterator[DocumentSession]:
    session = open_session(data_file)
    yield session
    task_runner().wait_all(10)
    session.shutdown()


def show_editor(qtbot: QtBot, session: DocumentSession) -> PairEditor:
    """A shown, active editor window (shortcuts only reach an active window)."""
    widget = PairEditor(session)
    qtbot.addWidget(widget)
    widget.resize(1300, 800)
    widget.show()
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow)
    return widget


@pytest.fixture
def editor(qtbot: QtBot, session: DocumentSession) -> PairEditor:
    widget = show_editor(qtbot, session)
    session.set_current(0)
    return widget


def record(session: DocumentSession, index: int | None = None) -> PreferenceRecord:
    found = session.document.record(session.current if index is None else index)
    assert found is not None
    return found


def type_at_end(qtbot: QtBot, box: SessionTextEdit, text: str) -> None:
    box.setFocus()
    box.moveCursor(QTextCursor.MoveOperation.End)
    qtbot.keyClicks(box, text)


def press(qtbot: QtBot, widget: PairEditor, action: str) -> None:
    """Press an action's shortcut with the keyboard focus inside the editor (in the preferred answer)."""
    sequence = widget.actions_by_name[action].shortcut()
    combination = sequence[0]
    widget.preferred.editor.setFocus()
    qtbot.keyClick(widget.preferred.editor, combination.key(), combination.keyboardModifiers())


def assert_highlight_matches_worddiff(pane: AnswerPane, spans: Sequence[DiffSpan]) -> None:
    """The highlighted ranges are exactly the changed spans of core.worddiff, and cover the same text."""
    text = pane.text()
    offsets = utf16_offsets(text)
    expected = [
        (s.start, s.end) if offsets is None else (offsets[s.start], offsets[s.end])
        for s in spans
        if s.changed
    ]
    assert pane.highlighted_ranges() == expected
    for selection, span in zip(pane.editor.extraSelections(), [s for s in spans if s.changed], strict=True):
        shown = selection.cursor.selectedText().replace("\u2029", "\n")
        assert shown == text[span.start : span.end]


# -- answers, undo, redo ---------------------------------------------------------------------------


def test_typing_into_both_answers_changes_the_record_and_undo_redo_restore_it(
    qtbot: QtBot, editor: PairEditor, session: DocumentSession
) -> None:
    original = record(session)
    type_at_end(qtbot, editor.preferred.editor, " Indeed.")
    assert record(session).preferred_text == original.preferred_text + " Indeed."
    assert session.undo_stack.count() == 1, "one burst of typing is one undo step"
    type_at_end(qtbot, editor.rejected.editor, " Maybe")
    assert record(session).rejected_text == original.rejected_text + " Maybe"
    assert session.undo_stack.count() == 2, "typing in the other answer is its own step"
    assert session.dirty

    # Ctrl+Z in the answer box goes to the shared stack: the rejected edit is undone first.
    qtbot.keyClick(editor.rejected.editor, Qt.Key.Key_Z, CTRL)
    assert record(session).rejected_text == original.rejected_text
    assert editor.rejected.text() == original.rejected_text
    assert record(session).preferred_text == original.preferred_text + " Indeed."
    qtbot.keyClick(editor.rejected.editor, Qt.Key.Key_Z, CTRL)
    assert record(session) == original
    assert editor.preferred.text() == original.preferred_text
    assert not session.dirty

    qtbot.keyClick(editor.preferred.editor, Qt.Key.Key_Z, CTRL | SHIFT)
    assert editor.preferred.text() == original.preferred_text + " Indeed."
    assert record(session).preferred_text == original.preferred_text + " Indeed."
    assert session.undo_stack.count() == 2, "refreshing the boxes after undo/redo created no new edits"


def test_saved_file_holds_the_edit_and_untouched_lines_stay_byte_identical(
    qtbot: QtBot, editor: PairEditor, session: DocumentSession, data_file: Path
) -> None:
    before = data_file.read_bytes().splitlines(keepends=True)
    type_at_end(qtbot, editor.preferred.editor, "!")
    session.save()
    after = data_file.read_bytes().splitlines(keepends=True)
    assert after[1:] == before[1:]
    saved = json.loads(after[0])
    assert saved["preferred_output"][0]["content"].endswith(".!")
    assert saved["non_preferred_output"] == json.loads(before[0])["non_preferred_output"]


def test_swap_and_undo(qtbot: QtBot, editor: PairEditor, session: DocumentSession) -> None:
    original = record(session)
    press(qtbot, editor, "swap")
    swapped = record(session)
    assert swapped.preferred == original.rejected and swapped.rejected == original.preferred
    assert editor.preferred.text() == original.rejected_text
    assert editor.rejected.text() == original.preferred_text
    press(qtbot, editor, "swap")
    assert session.undo_stack.count() == 2, "two swaps are two steps (they must not merge into nothing)"
    session.undo_stack.undo()
    session.undo_stack.undo()
    assert record(session) == original


def test_improve_copies_the_rejected_answer_and_leaves_it_alone(
    qtbot: QtBot, editor: PairEditor, session: DocumentSession
) -> None:
    original = record(session)
    qtbot.mouseClick(_button(editor, "improve"), Qt.MouseButton.LeftButton)
    improved = record(session)
    assert improved.preferred == original.rejected
    assert improved.rejected == original.rejected
    assert editor.preferred.text() == original.rejected_text
    assert editor.preferred.highlighted_ranges() == [] and editor.rejected.highlighted_ranges() == []
    assert editor.preferred.editor.hasFocus()
    # The user now edits the copy: only the preferred answer changes.
    qtbot.keyClicks(editor.preferred.editor, " (checked)")
    assert record(session).preferred_text == original.rejected_text + " (checked)"
    assert record(session).rejected == original.rejected
    qtbot.waitUntil(lambda: editor.preferred.highlighted_ranges() != [])
    session.undo_stack.undo()
    session.undo_stack.undo()
    assert record(session) == original


# -- word differences --------------------------------------------------------------------------------


def test_diff_highlight_follows_typing_and_matches_core_worddiff(
    qtbot: QtBot, editor: PairEditor, session: DocumentSession
) -> None:
    first = record(session)
    first.preferred = [{"role": "assistant", "content": "The capital of 東京都 is Tokyo 🙂 and it is big."}]
    first.rejected = [{"role": "assistant", "content": "The capital of 東京都 is Kyoto 🙂, it is small."}]
    session.edit_record(0, first, "Outside edit", merge=False)
    qtbot.waitUntil(lambda: editor.preferred.text().startswith("The capital"))
    diff = word_diff(editor.preferred.text(), editor.rejected.text())
    qtbot.waitUntil(
        lambda: editor.preferred.highlighted_ranges() == _utf16(editor.preferred.text(), diff.left)
    )
    assert_highlight_matches_worddiff(editor.preferred, list(diff.left))
    assert_highlight_matches_worddiff(editor.rejected, list(diff.right))
    # The lone equal emoji between two changes is folded into them (no confetti); the highlight then
    # spans a character outside the BMP, which Qt counts twice.
    changed = [editor.preferred.text()[s.start : s.end] for s in diff.changed_left()]
    assert changed == ["Tokyo 🙂 and ", "big"]

    # Make the answers agree (paste over the rejected answer, as a user would): the highlight follows.
    # (QTest cannot type characters outside the BMP key by key, hence the paste.)
    box = editor.rejected.editor
    box.setFocus()
    box.selectAll()
    box.insertPlainText("The capital of 東京都 is Tokyo 🙂 and it is big.")
    assert record(session).rejected_text == editor.preferred.text()
    qtbot.waitUntil(lambda: editor.rejected.highlighted_ranges() == [])
    assert editor.preferred.highlighted_ranges() == []
    assert "identical to the other" in editor.preferred.counts.text()
    qtbot.keyClicks(box, " Really")
    qtbot.waitUntil(lambda: editor.rejected.highlighted_ranges() != [])
    diff = word_diff(editor.preferred.text(), editor.rejected.text())
    assert_highlight_matches_worddiff(editor.rejected, list(diff.right))
    assert [editor.rejected.text()[s.start : s.end] for s in diff.changed_right()] == [" Really"]


def _utf16(text: str, spans: Sequence[DiffSpan]) -> list[tuple[int, int]]:
    offsets = utf16_offsets(text)
    return [
        (s.start, s.end) if offsets is None else (offsets[s.start], offsets[s.end])
        for s in spans
        if s.changed
    ]


# -- findings ----------------------------------------------------------------------------------------


def test_live_findings_update_when_an_answer_is_emptied_and_fix_buttons_work(
    qtbot: QtBot, editor: PairEditor, session: DocumentSession
) -> None:
    assert editor.findings.findings == []
    box = editor.preferred.editor
    box.setFocus()
    box.selectAll()
    qtbot.keyClick(box, Qt.Key.Key_Delete)
    assert record(session).preferred_text == ""
    qtbot.waitUntil(lambda: any(f.code == EMPTY_ANSWER for f in editor.findings.findings))
    qtbot.waitUntil(lambda: any("answer is empty" in text for text in _visible_texts(editor.findings)))
    qtbot.keyClicks(box, "Hobart  ")
    qtbot.waitUntil(lambda: [f.code for f in editor.findings.findings] == [ANSWER_WHITESPACE])
    qtbot.waitUntil(lambda: len(_fix_buttons(editor)) == 1)
    fix_button = _fix_buttons(editor)[0]
    assert fix_button.text() == "Trim the whitespace"
    qtbot.mouseClick(fix_button, Qt.MouseButton.LeftButton)
    assert record(session).preferred_text == "Hobart"
    assert editor.preferred.text() == "Hobart"
    qtbot.waitUntil(lambda: editor.findings.findings == [])
    session.undo_stack.undo()
    assert record(session).preferred_text == "Hobart  "


# -- notes, tags, split, metadata --------------------------------------------------------------------


def test_notes_tags_split_and_metadata_edits(
    qtbot: QtBot, editor: PairEditor, session: DocumentSession
) -> None:
    details = editor.details
    type_at_end(qtbot, details.notes, "Rejected answer picks the wrong option.")
    assert record(session).notes == "Rejected answer picks the wrong option."

    details.tags.setFocus()
    qtbot.keyClicks(details.tags, "science, multiple choice, science")
    assert record(session).tags == ["science", "multiple choice"]
    # Ctrl+Z in the tags field is the shared undo too (not the field's private one).
    steps = session.undo_stack.count()
    qtbot.keyClick(details.tags, Qt.Key.Key_Z, CTRL)
    assert record(session).tags == [] and details.tags.text() == ""
    qtbot.keyClick(details.tags, Qt.Key.Key_Z, CTRL | SHIFT)
    assert record(session).tags == ["science", "multiple choice"]
    assert session.undo_stack.count() == steps

    details.split.setFocus()
    qtbot.keyClick(details.split, Qt.Key.Key_Down)
    assert record(session).split == "train"
    qtbot.keyClick(details.split, Qt.Key.Key_Down)
    assert record(session).split == "validation"

    metadata = details.metadata
    metadata.editor.setFocus()
    metadata.editor.selectAll()
    qtbot.keyClicks(metadata.editor, '{"source": "expert"')
    assert "Not valid JSON" in metadata.problem
    assert record(session).metadata == {}, "invalid JSON never reaches the record"
    qtbot.keyClicks(metadata.editor, "}")
    assert metadata.problem == ""
    assert record(session).metadata == {"source": "expert"}
    metadata.editor.selectAll()
    qtbot.keyClicks(metadata.editor, "[1, 2]")
    assert "JSON object" in metadata.problem
    assert record(session).metadata == {"source": "expert"}

    steps = session.undo_stack.count()
    assert steps >= 5
    while session.undo_stack.canUndo():
        session.undo_stack.undo()
    restored = record(session)
    assert restored.notes == "" and restored.tags == [] and restored.split is None and restored.metadata == {}
    assert details.notes.toPlainText() == "" and details.tags.text() == ""
    assert details.split.currentData() is None
    assert metadata.editor.toPlainText() == "{}"


def test_flag_toggles_the_flagged_tag(qtbot: QtBot, editor: PairEditor, session: DocumentSession) -> None:
    press(qtbot, editor, "flag")
    assert record(session).tags == ["flagged"]
    assert editor.actions_by_name["flag"].isChecked()
    assert editor.details.tags.text() == "flagged"
    press(qtbot, editor, "flag")
    assert record(session).tags == []
    assert not editor.actions_by_name["flag"].isChecked()


# -- the context and tools ----------------------------------------------------------------------------


def test_context_turns_roles_and_tools_are_editable(
    qtbot: QtBot, editor: PairEditor, session: DocumentSession
) -> None:
    original = record(session)
    turns = editor.context.turn_editors
    assert [t.role.currentData() for t in turns] == ["system", "user"]
    type_at_end(qtbot, turns[0].editor, " Be brief.")
    assert record(session).context[0]["content"] == original.context[0]["content"] + " Be brief."

    # Add an assistant turn, then make it a user turn, type into it, remove it.
    editor.context.turnAddRequested.emit("assistant")
    assert [m["role"] for m in record(session).context] == ["system", "user", "assistant"]
    turns = editor.context.turn_editors
    assert len(turns) == 3 and turns[2].editor.hasFocus()
    qtbot.keyClicks(turns[2].editor, "Earlier reply")
    turns[2].role.setFocus()
    qtbot.keyClick(turns[2].role, Qt.Key.Key_Up)  # assistant -> user
    assert record(session).context[2] == {"role": "user", "content": "Earlier reply"}
    qtbot.mouseClick(turns[2].remove, Qt.MouseButton.LeftButton)
    assert len(record(session).context) == 2
    assert len(editor.context.turn_editors) == 2

    # Tools: valid JSON reaches the record, invalid JSON waits with a message.
    editor.context.tools_toggle.click()
    tools = editor.context.tools
    tools.editor.setFocus()
    qtbot.keyClicks(tools.editor, '[{"type": "function", "function": {"name": "lookup"}}')
    assert record(session).tools is None and "Not valid JSON" in tools.problem
    qtbot.keyClicks(tools.editor, "]")
    assert record(session).tools == [{"type": "function", "function": {"name": "lookup"}}]
    editor.context.parallel.setFocus()
    qtbot.keyClick(editor.context.parallel, Qt.Key.Key_Down)
    assert record(session).parallel_tool_calls is True

    while session.undo_stack.canUndo():
        session.undo_stack.undo()
    assert record(session) == original
    assert len(editor.context.turn_editors) == 2
    assert editor.context.turn_editors[0].editor.toPlainText() == original.context[0]["content"]


def test_tool_calls_in_an_answer_are_shown_and_kept_when_the_text_is_edited(
    qtbot: QtBot, editor: PairEditor, session: DocumentSession
) -> None:
    call = {
        "id": "call_1",
        "type": "function",
        "function": {"name": "lookup_order", "arguments": '{"id": "42"}'},
    }
    with_tools = record(session)
    with_tools.preferred = [{"role": "assistant", "content": None, "tool_calls": [call]}]
    session.edit_record(0, with_tools, "Outside edit", merge=False)
    assert editor.preferred.parts.isVisibleTo(editor)
    assert "lookup_order" in editor.preferred.parts.text() and '"42"' in editor.preferred.parts.text()
    type_at_end(qtbot, editor.preferred.editor, "Let me look that up.")
    preferred = record(session).preferred
    assert preferred == [{"role": "assistant", "content": "Let me look that up.", "tool_calls": [call]}]
    editor.preferred.editor.selectAll()
    qtbot.keyClick(editor.preferred.editor, Qt.Key.Key_Delete)
    assert record(session).preferred[0]["tool_calls"] == [call]


# -- navigation ---------------------------------------------------------------------------------------


def test_next_previous_and_next_with_findings(qtbot: QtBot, tmp_path: Path) -> None:
    lines = SOURCE.read_bytes().splitlines(keepends=True)
    messy = json.loads(lines[3])
    messy["preferred_output"][0]["content"] += "   "  # trailing whitespace: a warning with a fix
    lines[3] = json.dumps(messy).encode() + b"\n"
    lines[8] = b'{"input": {"messages": [broken\n'
    lines.insert(5, b"\n")  # a blank line: skipped by next/previous
    path = tmp_path / "messy.jsonl"
    path.write_bytes(b"".join(lines))
    session = open_session(path)
    try:
        widget = show_editor(qtbot, session)
        assert widget.pages.currentWidget() is widget.empty_page
        qtbot.mouseClick(widget.first_button, Qt.MouseButton.LeftButton)
        assert session.current == 0
        for expected in (1, 2, 3, 4, 6):  # entry 5 is the blank line
            press(qtbot, widget, "next")
            assert session.current == expected
        press(qtbot, widget, "previous")
        assert session.current == 4

        with_findings = [i for i in range(len(session.document)) if session.document.findings_for(i)]
        assert 3 in with_findings and 9 in with_findings  # the padded answer, the broken line (shifted)
        press(qtbot, widget, "next_finding")
        assert session.current == next(i for i in with_findings if i > 4)
        visited = {session.current}
        for _ in range(len(with_findings)):
            widget.go_with_findings(1)
            visited.add(session.current)
        assert visited == set(with_findings)
        widget.go_with_findings(1)
        assert session.current in with_findings
        session.set_current(9)
        assert widget.pages.currentWidget() is widget.other_page
        assert "could not be read" in widget.other_page.title.text()
        assert widget.other_page.findings.findings
        session.set_current(3)
        qtbot.waitUntil(lambda: [f.code for f in widget.findings.findings] == [ANSWER_WHITESPACE])
    finally:
        task_runner().wait_all(10)
        session.shutdown()


# -- add, duplicate, delete ---------------------------------------------------------------------------


def test_add_duplicate_delete_and_undo(qtbot: QtBot, editor: PairEditor, session: DocumentSession) -> None:
    count = len(session.document)
    first = record(session, 0)
    press(qtbot, editor, "duplicate")
    assert len(session.document) == count + 1 and session.current == 1
    assert record(session, 1) == first
    assert editor.preferred.text() == first.preferred_text

    press(qtbot, editor, "add")
    assert len(session.document) == count + 2 and session.current == 2
    assert editor.context.turn_editors[0].editor.hasFocus()
    qtbot.keyClicks(editor.context.turn_editors[0].editor, "What is 2+2?")
    type_at_end(qtbot, editor.preferred.editor, "4")
    type_at_end(qtbot, editor.rejected.editor, "5")
    added = record(session, 2)
    assert (
        added.last_user_text == "What is 2+2?" and added.preferred_text == "4" and added.rejected_text == "5"
    )

    second = record(session, 3)
    session.set_current(3)
    press(qtbot, editor, "delete")
    assert len(session.document) == count + 1
    qtbot.waitUntil(lambda: session.current == 3)
    assert record(session, 3) != second
    session.undo_stack.undo()
    assert record(session, 3) == second

    while session.undo_stack.canUndo():
        session.undo_stack.undo()
    assert len(session.document) == count and not session.dirty


def test_empty_states(qtbot: QtBot) -> None:
    session = DocumentSession(Document.new(), journal=False)
    try:
        widget = PairEditor(session)
        qtbot.addWidget(widget)
        widget.show()
        assert widget.pages.currentWidget() is widget.empty_page
        assert "No examples" in widget.empty_title.text()
        assert not widget.actions_by_name["swap"].isEnabled()
        widget.add_example()
        assert len(session.document) == 1 and session.current == 0
        assert widget.pages.currentWidget() is widget.editor_page
        session.set_current(-1)
        assert widget.pages.currentWidget() is widget.empty_page
        assert "No example selected" in widget.empty_title.text()
    finally:
        session.shutdown()


# -- changes from outside ---------------------------------------------------------------------------


def test_outside_changes_refresh_without_losing_the_cursor_or_echoing(
    qtbot: QtBot, editor: PairEditor, session: DocumentSession
) -> None:
    box = editor.preferred.editor
    box.setFocus()
    cursor = box.textCursor()
    cursor.setPosition(5)
    box.setTextCursor(cursor)
    original = record(session)

    # The table changes the rejected answer and the notes (a bulk edit): shown in place, no echo.
    changed = record(session)
    changed.rejected = [{"role": "assistant", "content": "Totally different."}]
    changed.notes = "from the table"
    session.edit_records({0: changed}, "Bulk edit")
    assert editor.rejected.text() == "Totally different."
    assert editor.details.notes.toPlainText() == "from the table"
    assert box.textCursor().position() == 5, "the cursor in the other box did not move"
    assert session.undo_stack.count() == 1, "showing the change created no edit of its own"

    # An outside change to text after the cursor keeps the cursor; text before it shifts it.
    changed = record(session)
    changed.preferred = [{"role": "assistant", "content": original.preferred_text + " More."}]
    session.edit_records({0: changed}, "Bulk edit")
    assert editor.preferred.text() == original.preferred_text + " More."
    assert box.textCursor().position() == 5
    changed = record(session)
    changed.preferred = [{"role": "assistant", "content": ">> " + original.preferred_text + " More."}]
    session.edit_records({0: changed}, "Bulk edit")
    assert box.textCursor().position() == 8
    assert session.undo_stack.count() == 3

    # Undo from the window (not the box): the box follows.
    session.undo_stack.undo()
    session.undo_stack.undo()
    assert editor.preferred.text() == original.preferred_text
    session.undo_stack.undo()
    assert record(session) == original
    assert editor.rejected.text() == original.rejected_text
    assert editor.details.notes.toPlainText() == ""
    assert session.undo_stack.count() == 3 and session.undo_stack.index() == 0


def test_inserting_before_the_current_example_keeps_it_shown(
    qtbot: QtBot, editor: PairEditor, session: DocumentSession
) -> None:
    session.set_current(4)
    shown = record(session)
    session.insert_records(0, [shown.clone()], "Add example")
    assert session.current == 5
    assert record(session) == shown
    assert "Example 6" in editor.position.text()
    session.remove_entries([0, 1], "Delete")
    assert session.current == 3
    assert editor.preferred.text() == shown.preferred_text
    assert "Example 4" in editor.position.text()


def test_the_hint_strip_and_tooltips_name_every_shortcut(editor: PairEditor) -> None:
    hints = editor.hints.text()
    for name, action in editor.actions_by_name.items():
        key = action.shortcut().toString(action.shortcut().SequenceFormat.NativeText)
        assert action.shortcut() == QKeySequence(SHORTCUTS[name])
        assert key in action.toolTip(), name
        if name != "previous_finding":  # Shift+F8 is in the tooltip; the strip names F8
            assert key in hints, name


def _visible_texts(widget: QWidget) -> list[str]:
    return [label.text() for label in widget.findChildren(QLabel) if label.isVisible()]


def _fix_buttons(editor: PairEditor) -> list[QPushButton]:
    return [
        button
        for button in editor.findings.findChildren(QPushButton)
        if button.objectName() == "findingFix" and button.isVisible()
    ]


def _button(editor: PairEditor, name: str) -> QToolButton:
    return next(
        b for b in editor.findChildren(QToolButton) if b.defaultAction() is editor.actions_by_name[name]
    )


def test_a_hidden_editor_catches_up_when_shown(
    qtbot: QtBot, editor: PairEditor, session: DocumentSession
) -> None:
    editor.hide()
    session.set_current(5)
    changed = record(session)
    changed.rejected = [{"role": "assistant", "content": "Edited in the table."}]
    session.edit_record(5, changed, "Bulk edit", merge=False)
    assert editor.rejected.text() != "Edited in the table.", "nothing is laid out while hidden"
    editor.show()
    assert editor.rejected.text() == "Edited in the table."
    assert editor.preferred.text() == record(session).preferred_text
    assert "Example 6" in editor.position.text()


# -- the text <-> message helpers ---------------------------------------------------------------------


def test_editing_text_keeps_tool_calls_parts_and_unknown_keys() -> None:
    call = {"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    message = {"role": "assistant", "content": None, "tool_calls": [call], "weight": 0}
    assert content_text(message) == ""
    assert with_content_text(message, "") == message, "an empty tool-call turn stays without content"
    assert with_content_text(message, "Hi") == {**message, "content": "Hi"}
    assert message["content"] is None, "the original is not changed"

    parts = {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "image_url"}, "b"]}
    assert content_text(parts) == "a\nb"
    assert with_content_text(parts, "new")["content"] == [
        {"type": "text", "text": "new"},
        {"type": "image_url"},
    ]
    value_parts = {"role": "user", "content": [{"type": "text", "value": "v"}]}
    assert with_content_text(value_parts, "w")["content"] == [{"type": "text", "value": "w"}]

    assert with_answer_text([], "") == []
    assert with_answer_text([], "x") == [{"role": "assistant", "content": "x"}]
    two = [{"role": "assistant", "content": None, "tool_calls": [call]}, {"role": "tool", "content": "42"}]
    assert with_answer_text(two, "43") == [two[0], {"role": "tool", "content": "43"}]
    assert answer_text(two) == "42"
    shown = structured_parts(two)
    assert "[assistant]" in shown and "f({})" in shown


@pytest.mark.parametrize(
    "path", sorted(CORPUS.rglob("*.jsonl")) + sorted(CORPUS.rglob("*.json")), ids=lambda p: p.name
)
def test_every_corpus_file_can_be_browsed_and_edited(qtbot: QtBot, tmp_path: Path, path: Path) -> None:
    """Real files of every dialect (and the invalid ones): the first examples show and take an edit."""
    copy = tmp_path / path.name
    shutil.copyfile(path, copy)
    session = open_session(copy)
    try:
        widget = show_editor(qtbot, session)
        widget.go_first()
        seen = 0
        while seen < 40 and session.current >= 0:
            found = session.document.record(session.current)
            if found is not None:
                assert widget.pages.currentWidget() is widget.editor_page
                assert widget.preferred.text() == qt_plain(answer_text(found.preferred))
                assert len(widget.context.turn_editors) == len(found.context)
            seen += 1
            before = session.current
            widget.go_next()
            if session.current == before:
                break
        index = next((i for i in session.document.record_indices()), None)
        if index is not None:
            session.set_current(index)
            type_at_end(qtbot, widget.rejected.editor, " (edited)")
            assert record(session).rejected_text.endswith(" (edited)")
            session.undo_stack.undo()
            assert not session.dirty
    finally:
        task_runner().wait_all(10)
        session.shutdown()


def test_highlight_colours_follow_the_theme(
    qtbot: QtBot, editor: PairEditor, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dpo_studio.ui import theme
    from dpo_studio.ui.editor.answer_pane import DARK_ALPHA, PREFERRED_TINT

    def alphas() -> set[int]:
        return {s.format.background().color().alpha() for s in editor.preferred.editor.extraSelections()}

    assert alphas() == {PREFERRED_TINT.alpha()}
    monkeypatch.setenv(theme.THEME_VARIABLE, "dark")
    try:
        theme.apply_theme()
        assert alphas() == {DARK_ALPHA}
    finally:
        monkeypatch.setenv(theme.THEME_VARIABLE, "light")
        theme.apply_theme()
    assert alphas() == {PREFERRED_TINT.alpha()}


def test_undo_of_an_edit_to_another_example_shows_that_example(
    qtbot: QtBot, editor: PairEditor, session: DocumentSession
) -> None:
    original = record(session, 0)
    type_at_end(qtbot, editor.preferred.editor, " Sure.")
    press(qtbot, editor, "next")
    press(qtbot, editor, "next")
    assert session.current == 2
    qtbot.keyClick(editor.preferred.editor, Qt.Key.Key_Z, CTRL)
    assert record(session, 0) == original
    assert session.current == 0, "the undone change is shown, not done out of sight"
    assert editor.preferred.text() == original.preferred_text
    qtbot.keyClick(editor.preferred.editor, Qt.Key.Key_Z, CTRL | SHIFT)
    assert session.current == 0 and editor.preferred.text() == original.preferred_text + " Sure."

    # Undoing a delete brings the example back into view.
    session.set_current(4)
    fourth = record(session, 4)
    press(qtbot, editor, "delete")
    qtbot.waitUntil(lambda: session.current == 4 and record(session) != fourth)
    session.set_current(1)
    session.undo_stack.undo()
    assert session.current == 4 and record(session) == fourth


def test_the_editor_says_which_fields_the_file_format_cannot_hold(
    qtbot: QtBot, editor: PairEditor, session: DocumentSession
) -> None:
    notice = editor.details.not_saved
    assert notice.isHidden()
    type_at_end(qtbot, editor.details.notes, "check")
    # Notes and tags are saved in the notes file beside the dataset (core.annotations): no loss.
    assert notice.isHidden()
    editor.details.split.setFocus()
    qtbot.keyClick(editor.details.split, Qt.Key.Key_Down)
    assert notice.isVisibleTo(editor)
    assert "split" in notice.text() and session.document.dialect.label in notice.text()
    assert "notes" not in notice.text()
    session.undo_stack.undo()
    session.undo_stack.undo()
    assert notice.isHidden()


def test_an_editor_closed_before_its_session_leaves_no_dangling_connections(
    qtbot: QtBot, session: DocumentSession
) -> None:
    first = PairEditor(session)
    first.show()
    session.set_current(0)
    first.close()
    first.deleteLater()
    qtbot.wait(10)  # let Qt delete it
    second = show_editor(qtbot, session)
    session.set_current(1)
    changed = record(session)
    changed.notes = "still fine"
    session.edit_record(1, changed, "Outside edit", merge=False)
    session.undo_stack.undo()
    assert second.details.notes.toPlainText() == ""


def test_a_broken_line_can_be_repaired_in_the_editor(qtbot: QtBot, tmp_path: Path) -> None:
    lines = SOURCE.read_bytes().splitlines(keepends=True)
    good = lines[2]
    lines[2] = good[:40] + b"\n"  # cut off: not JSON any more
    path = tmp_path / "broken.jsonl"
    path.write_bytes(b"".join(lines))
    session = open_session(path)
    try:
        widget = show_editor(qtbot, session)
        session.set_current(2)
        page = widget.other_page
        assert widget.pages.currentWidget() is page
        assert not page.repair.isEnabled()
        page.raw.setFocus()
        page.raw.moveCursor(QTextCursor.MoveOperation.End)
        qtbot.keyClicks(page.raw, '"')
        qtbot.mouseClick(page.repair, Qt.MouseButton.LeftButton)
        assert "Still not valid JSON" in page.problem.text() and page.problem.isVisibleTo(widget)
        assert session.document.record(2) is None, "nothing changes until the line reads"
        page.raw.selectAll()
        page.raw.insertPlainText(good.decode().strip())
        qtbot.mouseClick(page.repair, Qt.MouseButton.LeftButton)
        repaired = session.document.record(2)
        assert repaired is not None
        assert widget.pages.currentWidget() is widget.editor_page
        assert widget.preferred.text() == repaired.preferred_text
        session.save()
        assert path.read_bytes() == SOURCE.read_bytes(), "the repaired line is written like the original"
        session.undo_stack.undo()
        assert session.document.record(2) is None and widget.pages.currentWidget() is page
    finally:
        task_runner().wait_all(10)
        session.shutdown()


def test_a_findings_field_link_puts_the_cursor_there(
    qtbot: QtBot, editor: PairEditor, session: DocumentSession
) -> None:
    changed = record(session)
    changed.context[0] = {**changed.context[0], "role": "developer"}
    changed.rejected = [{"role": "assistant", "content": "  padded  "}]
    session.edit_record(0, changed, "Outside edit", merge=False)
    qtbot.waitUntil(lambda: len(editor.findings.findings) == 2)
    links = {
        finding.field: label
        for finding in editor.findings.findings
        for label in editor.findings.findChildren(QLabel, "findingText")
        if label.isVisible() and f"<a href='show'>{finding.field}</a>" in label.text()
    }
    assert set(links) == {"input.messages[0].role", "non_preferred_output[0].content"}
    links["non_preferred_output[0].content"].linkActivated.emit("show")  # what a click on the link sends
    assert editor.rejected.editor.hasFocus()
    links["input.messages[0].role"].linkActivated.emit("show")
    assert editor.context.turn_editors[0].editor.hasFocus()
    assert editor.show_field("input.tools[0]") and editor.context.tools.editor.hasFocus()
    assert editor.context.tools_body.isVisibleTo(editor)
    assert not editor.show_field("something.else")
