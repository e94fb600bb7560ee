"""The side-by-side pair editor: the prompt on top, the preferred and rejected answers side by side.

Bound to ``session.current``. Every change goes through the session (one undo stack shared with the
Datasets table); the editor redraws from the session's signals. Redraws compare before they write, so
an edit made here comes back as a no-op, and an undo or a bulk edit in the table shows up in place
without moving the cursor more than the change itself requires.
"""

from __future__ import annotations

import copy
import re
import sys
import time
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import Qt, QTimer
from PySide6.QtGui import QAction, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from dpo_studio.core.annotations import APP_ONLY_FIELDS
from dpo_studio.core.dataset import EntryKind
from dpo_studio.core.findings import Finding
from dpo_studio.core.records import PreferenceRecord
from dpo_studio.core.worddiff import word_diff
from dpo_studio.ui import theme
from dpo_studio.ui.editor.answer_pane import AnswerPane
from dpo_studio.ui.editor.context_editor import ContextEditor
from dpo_studio.ui.editor.details import FLAG_TAG, DetailsPanel
from dpo_studio.ui.editor.findings_strip import FindingsStrip
from dpo_studio.ui.editor.line_page import LinePage
from dpo_studio.ui.editor.messages import with_answer_text, with_content_text
from dpo_studio.ui.session import DocumentSession

#: Quiet time after typing before the word diff is recomputed (it takes ~1-30 ms on long answers).
DIFF_DELAY_MS = 120
#: Upper bound of that quiet time, which grows with the time the last diff took.
MAX_DIFF_DELAY_MS = 1500
#: Quiet time after an edit before the example's findings are refreshed.
FINDINGS_DELAY_MS = 250

#: Keyboard shortcuts of the review actions. They use modifiers (or F keys) so they work while the
#: cursor is in a text box, and avoid the main window's standard keys (Ctrl+S, Ctrl+Z, Ctrl+F ...).
SHORTCUTS: dict[str, str] = {
    "previous": "Alt+Up",
    "next": "Alt+Down",
    "previous_finding": "Shift+F8",
    "next_finding": "F8",
    "swap": "Ctrl+Shift+X",
    "improve": "Ctrl+Shift+R",
    "flag": "Ctrl+Shift+F",
    "add": "Ctrl+Shift+N",
    "duplicate": "Ctrl+D",
    "delete": "Ctrl+Shift+Del",
}
if sys.platform == "darwin":
    # On macOS Option+Up/Down move the text cursor by paragraph (a text box would take the keys), and
    # laptops have no Del key. Qt writes Cmd as "Ctrl" there.
    SHORTCUTS.update({"previous": "Ctrl+Alt+Up", "next": "Ctrl+Alt+Down", "delete": "Ctrl+Shift+Backspace"})

RecordChange = Callable[[PreferenceRecord], None]

#: A finding about one context turn, e.g. ``input.messages[2].role``.
_TURN_FIELD = re.compile(r"input\.messages\[(\d+)\]")


class PairEditor(QWidget):
    """Edit the example at ``session.current``: context, both answers, notes, tags, split, metadata."""

    def __init__(self, session: DocumentSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("pairEditor")
        self._session = session
        self._shown_index = -1
        self._typing = False
        self._stale = True
        #: Entries changed or inserted since the undo stack last moved (see _after_undo_step).
        self._touched: set[int] = set()
        self._top_command: object | None = None
        self.actions_by_name: dict[str, QAction] = {}
        stack = session.undo_stack

        self._diff_timer = _single_shot(self, DIFF_DELAY_MS, self.refresh_differences)
        self._findings_timer = _single_shot(self, FINDINGS_DELAY_MS, self.refresh_findings)

        # -- widgets -------------------------------------------------------------------------------
        self.context = ContextEditor(stack)
        self.preferred = AnswerPane("preferred", stack)
        self.rejected = AnswerPane("rejected", stack)
        self.findings = FindingsStrip()
        self.details = DetailsPanel(stack)
        self.position = QLabel()
        self.position.setObjectName("editorPosition")
        self.message = QLabel()
        self.message.setObjectName("editorMessage")
        self.message.setWordWrap(True)

        self._build_actions()
        self.pages = QStackedWidget()
        self.empty_page = self._build_empty_page()
        self.other_page = self._build_other_page()
        self.editor_page = self._build_editor_page()
        for page in (self.empty_page, self.other_page, self.editor_page):
            self.pages.addWidget(page)

        self.hints = QLabel(self._hint_text())
        self.hints.setObjectName("shortcutHints")
        self.hints.setWordWrap(True)
        self.hints.setTextFormat(Qt.TextFormat.RichText)
        self.hints.setStyleSheet("color: palette(placeholder-text);")

        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 6, 8, 6)
        layout.setSpacing(4)
        layout.addLayout(self._build_toolbar())
        layout.addWidget(self.message)
        layout.addWidget(self.pages, 1)
        layout.addWidget(self.hints)

        # -- wiring --------------------------------------------------------------------------------
        self.preferred.edited.connect(lambda text: self._edit_answer("preferred", text))
        self.rejected.edited.connect(lambda text: self._edit_answer("rejected", text))
        self.context.turnTextEdited.connect(self._edit_turn_text)
        self.context.turnRoleChosen.connect(self._set_turn_role)
        self.context.turnRemoveRequested.connect(self._remove_turn)
        self.context.turnAddRequested.connect(self._add_turn)
        self.context.toolsEdited.connect(lambda value: self._commit("Edit tools", _setter("tools", value)))
        self.context.parallelChosen.connect(
            lambda value: self._commit(
                "Set parallel tool calls", _setter("parallel_tool_calls", value), merge=False
            )
        )
        self.details.notesEdited.connect(lambda text: self._commit("Edit notes", _setter("notes", text)))
        self.details.tagsEdited.connect(lambda tags: self._commit("Edit tags", _setter("tags", list(tags))))
        self.details.splitChosen.connect(
            lambda split: self._commit("Set split", _setter("split", split), merge=False)
        )
        self.details.metadataEdited.connect(
            lambda value: self._commit("Edit metadata", _setter("metadata", copy.deepcopy(value)))
        )
        self.findings.fixRequested.connect(self._apply_fix)
        self.findings.can_show = lambda field: self._field_widget(field) is not None
        self.findings.showRequested.connect(lambda finding: self.show_field(finding.field))

        # Bound methods, not lambdas, for objects that may outlive the editor (the session, the theme):
        # Qt drops those connections when the editor is destroyed.
        session.currentChanged.connect(self._on_current_changed)
        session.documentReplaced.connect(self._on_document_replaced)
        session.entriesChanged.connect(self._on_entries_changed)
        session.entriesInserted.connect(self._on_entries_inserted)
        session.entriesRemoved.connect(self._on_entries_removed)
        session.findingsChanged.connect(self._findings_timer.start)
        stack.indexChanged.connect(self._after_undo_step)
        theme.theme_signals.changed.connect(self._on_theme_changed)
        self._load(fresh=True)

    # -- building ----------------------------------------------------------------------------------

    def _build_actions(self) -> None:
        specs: list[tuple[str, str, str, Callable[[], None]]] = [
            ("previous", "Previous", "Show the previous example", self.go_previous),
            ("next", "Next", "Show the next example", self.go_next),
            (
                "previous_finding",
                "Previous with findings",
                "Go back to the previous example with findings",
                lambda: self.go_with_findings(-1),
            ),
            (
                "next_finding",
                "Next with findings",
                "Go to the next example that has findings",
                lambda: self.go_with_findings(1),
            ),
            ("swap", "Swap", "Swap the preferred and the rejected answer", self.swap),
            (
                "improve",
                "Improve this answer",
                "Copy the rejected answer into the preferred pane to edit it into a better one "
                "(the rejected answer stays as it is)",
                self.improve,
            ),
            (
                "flag",
                "Flag",
                "Flag this example for a second look (toggles the tag “flagged”)",
                self.toggle_flag,
            ),
            ("add", "Add", "Add a new, empty example after this one", self.add_example),
            ("duplicate", "Duplicate", "Add a copy of this example after it", self.duplicate_example),
            ("delete", "Delete", "Delete this example (undoable)", self.delete_example),
        ]
        for name, text, tip, slot in specs:
            action = QAction(text, self)
            action.setObjectName(f"editor_{name}")
            sequence = QKeySequence(SHORTCUTS[name])
            action.setShortcut(sequence)
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            action.setToolTip(f"{tip} ({sequence.toString(QKeySequence.SequenceFormat.NativeText)})")
            action.triggered.connect(lambda _checked=False, slot=slot: slot())
            self.addAction(action)
            self.actions_by_name[name] = action
        self.actions_by_name["flag"].setCheckable(True)

    def _build_toolbar(self) -> QHBoxLayout:
        # A QToolBar, so that on a narrow window (or at 200 % scaling) the actions that do not fit move
        # into its overflow menu instead of being clipped.
        self.toolbar = QToolBar("Review")
        self.toolbar.setObjectName("editorToolbar")
        self.toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        groups = (
            ("previous", "next", "previous_finding", "next_finding"),
            ("swap", "improve", "flag"),
            ("add", "duplicate", "delete"),
        )
        for number, group in enumerate(groups):
            if number:
                self.toolbar.addSeparator()
            for name in group:
                self.toolbar.addAction(self.actions_by_name[name])
        bar = QHBoxLayout()
        bar.setSpacing(8)
        bar.addWidget(self.position)
        bar.addWidget(self.toolbar, 1)
        return bar

    def _build_empty_page(self) -> QWidget:
        page = QWidget()
        self.empty_title = QLabel()
        self.empty_title.setObjectName("emptyTitle")
        self.empty_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.empty_title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.empty_title.setFont(font)
        self.empty_hint = QLabel()
        self.empty_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_hint.setWordWrap(True)
        self.first_button = QPushButton("Show the first example")
        self.first_button.clicked.connect(self.go_first)
        add_button = QPushButton("Add an example")
        add_button.clicked.connect(self.add_example)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.first_button)
        buttons.addWidget(add_button)
        buttons.addStretch(1)
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        layout.addWidget(self.empty_title)
        layout.addWidget(self.empty_hint)
        layout.addLayout(buttons)
        layout.addStretch(2)
        return page

    def _build_other_page(self) -> LinePage:
        page = LinePage()
        page.deleteRequested.connect(self.delete_example)
        page.repairRequested.connect(self._repair_line)
        return page

    def _build_editor_page(self) -> QWidget:
        context_scroll = self.context_scroll = QScrollArea()
        context_scroll.setWidgetResizable(True)
        context_scroll.setFrameShape(QFrame.Shape.NoFrame)
        context_scroll.setWidget(self.context)
        context_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)

        answers = QSplitter(Qt.Orientation.Horizontal)
        answers.setChildrenCollapsible(False)
        answers.addWidget(self.preferred)
        answers.addWidget(self.rejected)
        answers.setSizes([1, 1])
        lower = QWidget()
        lower_layout = QVBoxLayout(lower)
        lower_layout.setContentsMargins(0, 0, 0, 0)
        lower_layout.addWidget(self.findings)
        lower_layout.addWidget(answers, 1)

        vertical = QSplitter(Qt.Orientation.Vertical)
        vertical.setChildrenCollapsible(False)
        vertical.addWidget(context_scroll)
        vertical.addWidget(lower)
        vertical.setStretchFactor(0, 2)
        vertical.setStretchFactor(1, 3)

        details_scroll = QScrollArea()
        details_scroll.setWidgetResizable(True)
        details_scroll.setFrameShape(QFrame.Shape.NoFrame)
        details_scroll.setWidget(self.details)
        details_scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        details_scroll.setMinimumWidth(220)

        main = QSplitter(Qt.Orientation.Horizontal)
        main.setChildrenCollapsible(False)
        main.addWidget(vertical)
        main.addWidget(details_scroll)
        main.setStretchFactor(0, 4)
        main.setStretchFactor(1, 1)
        self.splitters = (main, vertical, answers)
        self._user_sized: set[int] = set()
        for number, splitter in enumerate(self.splitters):
            splitter.splitterMoved.connect(lambda _pos, _index, number=number: self._user_sized.add(number))
        return main

    def _fit_panes(self) -> None:
        """Size the panes to the example until the user drags a divider: the prompt gets the height it
        needs (at most half), the details column a readable width, the two answers equal halves."""
        main, vertical, answers = self.splitters
        if 0 not in self._user_sized:
            total = sum(main.sizes())
            if total > 0:
                side = max(260, min(380, int(total * 0.24)))
                main.setSizes([total - side, side])
        if 1 not in self._user_sized:
            total = sum(vertical.sizes())
            if total > 0:
                wanted = self.context.sizeHint().height() + 6
                top = max(120, min(int(total * 0.5), wanted))
                vertical.setSizes([top, total - top])
        if 2 not in self._user_sized:
            total = sum(answers.sizes())
            if total > 0:
                answers.setSizes([total // 2, total - total // 2])

    def _hint_text(self) -> str:
        def key(name: str) -> str:
            return QKeySequence(SHORTCUTS[name]).toString(QKeySequence.SequenceFormat.NativeText)

        parts = [
            f"<b>{key('previous')}</b>/<b>{key('next')}</b> previous/next",
            f"<b>{key('next_finding')}</b> next with findings",
            f"<b>{key('swap')}</b> swap",
            f"<b>{key('improve')}</b> improve",
            f"<b>{key('flag')}</b> flag",
            f"<b>{key('add')}</b> add",
            f"<b>{key('duplicate')}</b> duplicate",
            f"<b>{key('delete')}</b> delete",
            f"<b>{QKeySequence(QKeySequence.StandardKey.Undo).toString(QKeySequence.SequenceFormat.NativeText)}"
            "</b> undo",
        ]
        return " · ".join(parts)

    # -- showing the current example -----------------------------------------------------------------

    @property
    def session(self) -> DocumentSession:
        """The session this editor edits."""
        return self._session

    def current_record(self) -> PreferenceRecord | None:
        """The record shown (a copy), or ``None``."""
        index = self._session.current
        if not 0 <= index < len(self._session.document):
            return None
        return self._session.document.record(index)

    def _on_current_changed(self, _index: int) -> None:
        self._load(fresh=True)

    def _on_document_replaced(self) -> None:
        self._load(fresh=True)

    def _on_entries_removed(self, _indices: list[int]) -> None:
        self._load(fresh=False)

    def _on_entries_changed(self, indices: list[int]) -> None:
        self._touched.update(indices)
        if self._session.current in indices:
            self._load(fresh=False)

    def _on_entries_inserted(self, first: int, count: int) -> None:
        self._touched.update(range(first, first + count))
        self._load(fresh=False)

    def _after_undo_step(self, _index: int) -> None:
        """After an undo or redo that changed one other example, show that example.

        Otherwise pressing Ctrl+Z here after moving on would change an example out of sight and seem to
        do nothing. (Edits of the shown example, and anything while the editor is hidden, stay put.)
        """
        touched, self._touched = self._touched, set()
        stack = self._session.undo_stack
        if not shiboken6.isValid(stack):
            return  # the session is being torn down (its stack clears itself on the way out)
        top = stack.command(stack.count() - 1) if stack.count() else None
        pushed = top is not self._top_command
        self._top_command = top
        if pushed:
            return  # a new edit (here, in the table, an import), not an undo or redo
        current = self._session.current
        others = touched - {current}
        if len(others) != 1 or not self.isVisible():
            return
        (target,) = others
        if 0 <= target < len(self._session.document) and current not in touched:
            self._session.set_current(target)

    def showEvent(self, event: QShowEvent) -> None:
        """Catch up with changes made while the editor was hidden (another tab was showing)."""
        super().showEvent(event)
        if self._stale:
            self._load(fresh=True)

    def _load(self, *, fresh: bool) -> None:
        if not self.isVisible():
            # Hidden behind another tab: moving through the table must not pay for layouts and diffs
            # nobody sees. Everything is shown fresh when the editor appears.
            self._stale = True
            return
        self._stale = False
        session = self._session
        document = session.document
        index = session.current
        if index != self._shown_index:
            fresh = True
        self._shown_index = index
        has_records = len(document) > 0
        for name in ("previous", "next", "previous_finding", "next_finding"):
            self.actions_by_name[name].setEnabled(has_records)
        if not 0 <= index < len(document):
            self._show_empty()
            return
        entry = document.entries[index]
        line = f" · line {entry.line}" if entry.line else " · new"
        self.position.setText(f"<b>Example {index + 1}</b> of {len(document)}{line}")
        record = document.record(index)
        for name in ("swap", "improve", "flag", "duplicate"):
            self.actions_by_name[name].setEnabled(record is not None)
        self.actions_by_name["delete"].setEnabled(True)
        self.actions_by_name["add"].setEnabled(True)
        if record is None:
            self._show_other(index)
            return
        if fresh:
            self.message.clear()
        self.pages.setCurrentWidget(self.editor_page)
        self.context.show_record(record, fresh=fresh)
        self.preferred.show_answer(record.preferred, fresh=fresh)
        self.rejected.show_answer(record.rejected, fresh=fresh)
        self.details.show_record(record, fresh=fresh)
        dialect = document.dialect
        # Notes and tags are saved in the notes file beside the dataset (core.annotations), so they are no
        # loss of saving in the file's own format.
        losses = [loss for loss in dialect.losses(record) if loss not in APP_ONLY_FIELDS]
        self.details.show_losses(dialect.label, losses if dialect.writable else [])
        self.actions_by_name["flag"].setChecked(FLAG_TAG in record.tags)
        if fresh:
            self.refresh_differences()
            self.refresh_findings()
            QTimer.singleShot(0, self._fit_panes)
        elif self._typing:
            self._diff_timer.start()  # typing: wait for a pause
        else:
            self.refresh_differences()  # swap, improve, undo, the table: show the new diff at once

    def _show_empty(self) -> None:
        document = self._session.document
        for name in ("swap", "improve", "flag", "duplicate", "delete"):
            self.actions_by_name[name].setEnabled(False)
        self.actions_by_name["add"].setEnabled(True)
        self.position.setText("")
        self.pages.setCurrentWidget(self.empty_page)
        if len(document) == 0:
            self.empty_title.setText("No examples to edit yet")
            self.empty_hint.setText(
                "Open a dataset (File ▸ Open) or add an example here. "
                "Each example is a prompt with a preferred and a rejected answer."
            )
            self.first_button.hide()
        else:
            self.empty_title.setText("No example selected")
            self.empty_hint.setText(
                "Pick an example in the Datasets tab (double-click a row or a finding), "
                f"or start with the first one. {self._hint_keys()}"
            )
            self.first_button.show()

    def _hint_keys(self) -> str:
        key = QKeySequence(SHORTCUTS["next"]).toString(QKeySequence.SequenceFormat.NativeText)
        return f"Then {key} moves to the next example."

    def _show_other(self, index: int) -> None:
        document = self._session.document
        self.pages.setCurrentWidget(self.other_page)
        self.other_page.show_entry(document.entries[index], document.findings_for(index))

    # -- differences and findings ------------------------------------------------------------------

    def refresh_differences(self) -> None:
        """Recompute the word diff of the two answers as they are in the boxes, and highlight it."""
        self._diff_timer.stop()
        started = time.perf_counter()
        left = self.preferred.text()
        right = self.rejected.text()
        diff = word_diff(left, right)
        self.preferred.show_differences(left, diff.left, identical=left == right)
        self.rejected.show_differences(right, diff.right, identical=left == right)
        # On very long answers the diff can take a noticeable moment; wait for a longer pause in the
        # typing before running it again, so it never interrupts a burst of keystrokes.
        elapsed_ms = (time.perf_counter() - started) * 1000
        self._diff_timer.setInterval(int(min(MAX_DIFF_DELAY_MS, max(DIFF_DELAY_MS, 4 * elapsed_ms))))

    def _on_theme_changed(self, _dark: bool) -> None:
        """Highlight colours depend on the palette: paint them again."""
        if self.pages.currentWidget() is self.editor_page:
            self.refresh_differences()

    def refresh_findings(self) -> None:
        """Show the findings of the current example (per-example rules run on its current contents)."""
        self._findings_timer.stop()
        index = self._session.current
        document = self._session.document
        if not 0 <= index < len(document):
            return
        found = document.findings_for(index)
        if document.record(index) is None:
            self.other_page.findings.show_findings(found)
        else:
            self.findings.show_findings(found)

    # -- edits -------------------------------------------------------------------------------------

    def _commit(self, text: str, change: RecordChange, *, merge: bool = True) -> bool:
        """Apply ``change`` to a copy of the current record and hand it to the session (undoable)."""
        index = self._session.current
        document = self._session.document
        if not 0 <= index < len(document):
            return False
        record = document.record(index)
        if record is None:
            return False
        change(record)
        self._session.edit_record(index, record, text, merge=merge)
        return True

    def _edit_answer(self, side: str, text: str) -> None:
        label = "Edit preferred answer" if side == "preferred" else "Edit rejected answer"

        def change(record: PreferenceRecord) -> None:
            setattr(record, side, with_answer_text(getattr(record, side), text))

        self._typing = True
        try:
            self._commit(label, change)
        finally:
            self._typing = False

    def _edit_turn_text(self, position: int, text: str) -> None:
        def change(record: PreferenceRecord) -> None:
            if position < len(record.context):
                record.context[position] = with_content_text(record.context[position], text)

        self._commit(f"Edit turn {position + 1}", change)

    def _set_turn_role(self, position: int, role: str) -> None:
        def change(record: PreferenceRecord) -> None:
            if position < len(record.context):
                record.context[position] = {**record.context[position], "role": role}

        self._commit(f"Change role of turn {position + 1} to {role}", change, merge=False)

    def _remove_turn(self, position: int) -> None:
        def change(record: PreferenceRecord) -> None:
            if position < len(record.context):
                del record.context[position]

        self._commit(f"Remove turn {position + 1}", change, merge=False)

    def _add_turn(self, role: str) -> None:
        message: dict[str, Any] = {"role": role, "content": ""}

        def change(record: PreferenceRecord) -> None:
            if role == "system":
                # A system message belongs at the start of the conversation.
                record.context.insert(0, message)
            else:
                record.context.append(message)

        if self._commit(f"Add {role} turn", change, merge=False):
            turns = self.context.turn_editors
            target = turns[0] if role == "system" else turns[-1]
            target.editor.setFocus()

    def _repair_line(self, value: object) -> None:
        """Read a corrected unreadable line as an example of the file's dialect (undoable)."""
        index = self._session.current
        document = self._session.document
        if not 0 <= index < len(document) or document.record(index) is not None:
            return
        record, _issues = document.dialect.parse(value)  # tolerant: problems become findings
        line = document.entries[index].line
        self._session.edit_record(
            index, record, f"Repair line {line}" if line else "Repair line", merge=False
        )
        self._say("The line is an example now; its remaining problems are listed above the answers.")

    def _apply_fix(self, finding: Finding) -> None:
        if finding.fix is None:
            return
        fix = finding.fix

        def change(record: PreferenceRecord) -> None:
            repaired = fix.apply(record.clone())
            for name in PreferenceRecord.__slots__:
                setattr(record, name, getattr(repaired, name))

        self._commit(f"Fix: {fix.label}", change, merge=False)

    # -- going to a field ------------------------------------------------------------------------

    def _field_widget(self, field: str) -> QWidget | None:
        """The widget that edits a finding's field (paths as core.validation writes them), or None."""
        turn = _TURN_FIELD.match(field)
        if turn is not None:
            turns = self.context.turn_editors
            index = int(turn.group(1))
            return turns[index].editor if index < len(turns) else None
        for prefix, widget in (
            ("non_preferred_output", self.rejected.editor),
            ("rejected", self.rejected.editor),
            ("preferred_output", self.preferred.editor),
            ("chosen", self.preferred.editor),
            ("input.tools", self.context.tools.editor),
            ("input.parallel_tool_calls", self.context.parallel),
            ("metadata", self.details.metadata.editor),
            ("split", self.details.split),
        ):
            if field == prefix or field.startswith((prefix + ".", prefix + "[")):
                return widget
        if field.startswith("input.messages"):
            turns = self.context.turn_editors
            return turns[-1].editor if turns else self.context.add_turn
        return None

    def show_field(self, field: str) -> bool:
        """Put the keyboard focus on the widget that edits ``field`` (scrolling it into view)."""
        widget = self._field_widget(field)
        if widget is None:
            return False
        if widget in (self.context.tools.editor, self.context.parallel):
            self.context.tools_toggle.setChecked(True)
        if self.context.isAncestorOf(widget):
            self.context_scroll.ensureWidgetVisible(widget)
        widget.setFocus(Qt.FocusReason.OtherFocusReason)
        return True

    # -- review actions --------------------------------------------------------------------------

    def swap(self) -> None:
        """Swap the preferred and the rejected answer (one undo step)."""

        def change(record: PreferenceRecord) -> None:
            record.preferred, record.rejected = record.rejected, record.preferred

        if self._commit("Swap preferred and rejected", change, merge=False):
            self._say("Swapped: the former rejected answer is now the preferred one.")

    def improve(self) -> None:
        """Copy the rejected answer into the preferred pane to edit; the rejected answer stays as it was."""

        def change(record: PreferenceRecord) -> None:
            record.preferred = copy.deepcopy(record.rejected)

        if self._commit("Improve: copy the rejected answer into the preferred one", change, merge=False):
            self.preferred.editor.setFocus()
            cursor = self.preferred.editor.textCursor()
            cursor.movePosition(cursor.MoveOperation.End)
            self.preferred.editor.setTextCursor(cursor)
            undo = QKeySequence(QKeySequence.StandardKey.Undo).toString(
                QKeySequence.SequenceFormat.NativeText
            )
            self._say(
                "The rejected answer was copied into the preferred pane: edit it into the answer you want. "
                f"The rejected answer is unchanged. {undo} brings the old preferred answer back."
            )

    def toggle_flag(self) -> None:
        """Add or remove the tag “flagged”."""
        record = self.current_record()
        if record is None:
            return
        flagged = FLAG_TAG in record.tags

        def change(record: PreferenceRecord) -> None:
            if flagged:
                record.tags = [tag for tag in record.tags if tag != FLAG_TAG]
            else:
                record.tags = [*record.tags, FLAG_TAG]

        self._commit("Unflag example" if flagged else "Flag example", change, merge=False)

    def add_example(self) -> None:
        """Insert a new example (a user turn and two empty answers) after the current one and show it."""
        record = PreferenceRecord(
            context=[{"role": "user", "content": ""}],
            preferred=[{"role": "assistant", "content": ""}],
            rejected=[{"role": "assistant", "content": ""}],
        )
        self._insert_after_current(record, "Add example")
        turns = self.context.turn_editors
        if turns:
            turns[-1].editor.setFocus()

    def duplicate_example(self) -> None:
        """Insert a copy of the current example after it and show the copy."""
        record = self.current_record()
        if record is not None:
            self._insert_after_current(record.clone(), "Duplicate example")
            self._say("This is the copy. The original is the example before it.")

    def delete_example(self) -> None:
        """Delete the current entry (undoable); the next one is shown."""
        index = self._session.current
        if 0 <= index < len(self._session.document):
            self._session.remove_entries([index], "Delete example")
            self._say("Example deleted. Undo brings it back.")

    def _insert_after_current(self, record: PreferenceRecord, text: str) -> None:
        document = self._session.document
        index = self._session.current
        position = index + 1 if 0 <= index < len(document) else len(document)
        self._session.insert_records(position, [record], text)
        self._session.set_current(position)

    # -- navigation --------------------------------------------------------------------------------

    def go_first(self) -> None:
        """Show the first example (skipping blank lines)."""
        self._go(self._step(-1, 1))

    def go_next(self) -> None:
        """Show the next example (blank lines are skipped)."""
        target = self._step(self._session.current, 1)
        if target is None:
            self._say("This is the last example.")
        self._go(target)

    def go_previous(self) -> None:
        """Show the previous example (blank lines are skipped)."""
        target = self._step(self._session.current, -1)
        if target is None:
            self._say("This is the first example.")
        self._go(target)

    def go_with_findings(self, direction: int) -> None:
        """Show the next (``direction`` 1) or previous (-1) example with findings, wrapping around."""
        document = self._session.document
        count = len(document)
        if count == 0:
            return
        start = self._session.current
        if start < 0:
            start = -1 if direction > 0 else count
        for step in range(1, count + 1):
            index = (start + direction * step) % count
            if index == start:
                break
            if document.entries[index].kind is not EntryKind.BLANK and document.findings_for(index):
                self._go(index)
                return
        self._say("No other example has findings.")

    def _step(self, start: int, direction: int) -> int | None:
        entries = self._session.document.entries
        index = start + direction
        while 0 <= index < len(entries):
            if entries[index].kind is not EntryKind.BLANK:
                return index
            index += direction
        return None

    def _go(self, index: int | None) -> None:
        if index is not None:
            self.message.clear()
            self._session.set_current(index)

    def _say(self, text: str) -> None:
        self.message.setText(text)


def _setter(name: str, value: object) -> RecordChange:
    def change(record: PreferenceRecord) -> None:
        setattr(record, name, value)

    return change


def _single_shot(parent: QWidget, delay: int, slot: Callable[[], None]) -> QTimer:
    timer = QTimer(parent)
    timer.setSingleShot(True)
    timer.setInterval(delay)
    timer.timeout.connect(slot)
    return timer
