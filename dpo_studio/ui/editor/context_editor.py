"""The prompt side of an example: system message, earlier turns, the final user turn, and the tools."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from dpo_studio.core.records import Message, PreferenceRecord
from dpo_studio.ui.editor.json_field import JsonField, check_tools
from dpo_studio.ui.editor.messages import CONTEXT_ROLES, content_text, structured_parts
from dpo_studio.ui.editor.text_edit import SessionTextEdit

_PARALLEL_CHOICES: tuple[tuple[str, bool | None], ...] = (
    ("not set (platform default)", None),
    ("yes", True),
    ("no", False),
)


class TurnEditor(QFrame):
    """One message of the context: its role, its text, and (read-only) its tool calls."""

    textEdited = Signal(str)
    roleChosen = Signal(str)
    removeRequested = Signal()

    def __init__(self, undo_stack: QUndoStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.role = QComboBox()
        self.role.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.role.setAccessibleName("Role of this turn")
        self.role.setToolTip("Who says this turn: system, user, assistant or tool")
        self.caption = QLabel()
        self.caption.setObjectName("turnCaption")
        self.caption.setWordWrap(True)
        self.remove = QPushButton("Remove")
        self.remove.setToolTip("Remove this turn from the context")
        self.editor = SessionTextEdit(undo_stack, fit_lines=(1, 10), placeholder="(empty)")
        self.editor.setAccessibleName("Text of this turn")
        self.parts = QLabel()
        self.parts.setWordWrap(True)
        self.parts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.parts.setObjectName("turnToolCalls")
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(self.role)
        header.addWidget(self.caption, 1)
        header.addWidget(self.remove)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 4, 6, 6)
        layout.setSpacing(3)
        layout.addLayout(header)
        layout.addWidget(self.editor)
        layout.addWidget(self.parts)
        self.role.activated.connect(lambda _index: self.roleChosen.emit(self.role.currentData()))
        self.remove.clicked.connect(self.removeRequested)
        self.editor.edited.connect(self.textEdited)

    def show_message(self, message: Message, caption: str, *, fresh: bool) -> None:
        """Show ``message``; with ``fresh`` the cursor goes to the top, else it stays where it is."""
        role = str(message.get("role", ""))
        if self.role.findData(role) < 0 or self.role.count() == 0:
            self.role.clear()
            for name in CONTEXT_ROLES:
                self.role.addItem(name, name)
            if role not in CONTEXT_ROLES:
                self.role.addItem(role or "(no role)", role)
        self.role.setCurrentIndex(self.role.findData(role))
        self.caption.setText(caption)
        text = content_text(message)
        if fresh:
            self.editor.replace_all(text)
        else:
            self.editor.show_text(text)
        parts = structured_parts([message], editable_last=True)
        self.parts.setText(parts)
        self.parts.setVisible(bool(parts))


class ContextEditor(QWidget):
    """Every context turn (editable, roles changeable, turns added and removed) and the tools."""

    turnTextEdited = Signal(int, str)
    turnRoleChosen = Signal(int, str)
    turnRemoveRequested = Signal(int)
    turnAddRequested = Signal(str)
    toolsEdited = Signal(object)
    parallelChosen = Signal(object)

    def __init__(self, undo_stack: QUndoStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._undo_stack = undo_stack
        self._turns: list[TurnEditor] = []
        self._shape: list[str] = []

        title = QLabel("<b>Prompt</b> (the conversation both answers reply to)")
        title.setWordWrap(True)
        self.add_turn = QToolButton()
        self.add_turn.setText("Add turn")
        self.add_turn.setToolTip("Add a system, user, assistant or tool turn to the context")
        self.add_turn.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self.add_turn)
        for role in CONTEXT_ROLES:
            action = menu.addAction(f"{role.capitalize()} turn")
            action.triggered.connect(lambda _checked=False, role=role: self.turnAddRequested.emit(role))
        self.add_turn.setMenu(menu)
        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(title, 1)
        header.addWidget(self.add_turn)

        self.turns_box = QVBoxLayout()
        self.turns_box.setContentsMargins(0, 0, 0, 0)
        self.turns_box.setSpacing(4)
        self.no_turns = QLabel("No context yet. Add a user turn: the answers below reply to it.")
        self.no_turns.setWordWrap(True)

        self.tools_toggle = QToolButton()
        self.tools_toggle.setCheckable(True)
        self.tools_toggle.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.tools_toggle.setArrowType(Qt.ArrowType.RightArrow)
        self.tools_toggle.setToolTip("Show or hide the tool definitions of this example")
        self.tools_toggle.toggled.connect(self._toggle_tools)
        self.tools = JsonField(
            undo_stack,
            check_tools,
            empty=None,
            placeholder='No tools. Paste a JSON list, e.g. [{"type": "function", "function": {"name": ...}}]',
            lines=(3, 14),
        )
        self.tools.setObjectName("toolsField")
        self.tools.valueEdited.connect(self.toolsEdited)
        self.parallel = QComboBox()
        self.parallel.setObjectName("parallelToolCalls")
        for label, value in _PARALLEL_CHOICES:
            self.parallel.addItem(label, value)
        self.parallel.activated.connect(lambda _index: self.parallelChosen.emit(self.parallel.currentData()))
        parallel_row = QHBoxLayout()
        parallel_row.addWidget(QLabel("Parallel tool calls:"))
        parallel_row.addWidget(self.parallel)
        parallel_row.addStretch(1)
        self.tools_body = QWidget()
        tools_layout = QVBoxLayout(self.tools_body)
        tools_layout.setContentsMargins(12, 0, 0, 0)
        tools_layout.addWidget(self.tools)
        tools_layout.addLayout(parallel_row)
        self.tools_body.hide()

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.no_turns)
        layout.addLayout(self.turns_box)
        layout.addWidget(self.tools_toggle)
        layout.addWidget(self.tools_body)
        layout.addStretch(1)

    @property
    def turn_editors(self) -> list[TurnEditor]:
        """The turn widgets, in order (for tests and focus handling)."""
        return list(self._turns)

    def show_record(self, record: PreferenceRecord, *, fresh: bool) -> None:
        """Show the context and tools of ``record``, rebuilding turn widgets only when turns changed."""
        shape = [str(message.get("role", "")) for message in record.context]
        if fresh or len(shape) != len(self._turns):
            self._rebuild(len(shape))
            fresh = True
        self._shape = shape
        last_user = max((i for i, role in enumerate(shape) if role == "user"), default=-1)
        for index, (turn, message) in enumerate(zip(self._turns, record.context, strict=True)):
            turn.show_message(message, _caption(index, shape, last_user), fresh=fresh)
        self.no_turns.setVisible(not record.context)
        self.tools.show_value(record.tools, fresh=fresh)
        self.tools_toggle.setText(_tools_summary(record.tools))
        self.parallel.setCurrentIndex(max(0, self.parallel.findData(record.parallel_tool_calls)))
        if record.parallel_tool_calls is None:
            self.parallel.setCurrentIndex(0)

    def _rebuild(self, count: int) -> None:
        focused = next((i for i, turn in enumerate(self._turns) if turn.editor.hasFocus()), -1)
        while len(self._turns) > count:
            turn = self._turns.pop()
            self.turns_box.removeWidget(turn)
            turn.deleteLater()
        while len(self._turns) < count:
            index = len(self._turns)
            turn = TurnEditor(self._undo_stack, self)
            turn.textEdited.connect(lambda text, index=index: self.turnTextEdited.emit(index, text))
            turn.roleChosen.connect(lambda role, index=index: self.turnRoleChosen.emit(index, role))
            turn.removeRequested.connect(lambda index=index: self.turnRemoveRequested.emit(index))
            self.turns_box.addWidget(turn)
            self._turns.append(turn)
        if 0 <= focused < len(self._turns):
            self._turns[focused].editor.setFocus()

    def _toggle_tools(self, shown: bool) -> None:
        self.tools_body.setVisible(shown)
        self.tools_toggle.setArrowType(Qt.ArrowType.DownArrow if shown else Qt.ArrowType.RightArrow)


def _tools_summary(tools: list[dict[str, object]] | None) -> str:
    """The tools toggle's label: how many tools and their names (collapsed, it is all one sees)."""
    if not tools:
        return "Tools: none"
    names = []
    for tool in tools:
        function = tool.get("function") if isinstance(tool, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        names.append(str(name) if name else "?")
    shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
    return f"Tools ({len(tools)}): {shown}"


def _caption(index: int, roles: list[str], last_user: int) -> str:
    last = index == len(roles) - 1
    if index == last_user:
        return "Final user turn: the answers reply to this" if last else "Last user turn"
    if roles[index] == "system":
        return "System message: instructions for the model"
    if last:
        return f"Turn {index + 1} of {len(roles)}: the answers follow this"
    return f"Turn {index + 1} of {len(roles)}"
