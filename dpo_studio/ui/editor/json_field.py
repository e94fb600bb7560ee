"""A JSON text box that only hands over valid values, and says plainly what is wrong otherwise."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase, QUndoStack
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from dpo_studio.ui.editor.text_edit import SessionTextEdit

#: Checks a parsed value; returns a sentence saying what is wrong, or ``None`` when it is acceptable.
Checker = Callable[[Any], str | None]


def format_json(value: Any) -> str:
    """How a value is shown in the box (empty for ``None``)."""
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, indent=2)


def check_object(value: Any) -> str | None:
    """Metadata must be a JSON object."""
    return None if isinstance(value, dict) else 'Metadata must be a JSON object, like {"source": "review"}.'


def check_tools(value: Any) -> str | None:
    """Tools must be a list of tool definitions (objects)."""
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        return (
            'Tools must be a JSON list of tool definitions, like [{"type": "function", "function": {...}}].'
        )
    return None


class JsonField(QWidget):
    """A JSON editor for one record field.

    ``valueEdited(value)`` is emitted only for text that parses and passes ``check``; an empty box gives
    ``empty`` (``{}`` for metadata, ``None`` for tools). Invalid text stays in the box with a message
    under it, and the record keeps its last valid value, so nothing the user typed is thrown away.
    """

    valueEdited = Signal(object)

    def __init__(
        self,
        undo_stack: QUndoStack,
        check: Checker,
        *,
        empty: Any,
        placeholder: str = "",
        lines: tuple[int, int] = (3, 12),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._check = check
        self._empty = empty
        self._shown: Any = empty
        self.editor = SessionTextEdit(undo_stack, fit_lines=lines, placeholder=placeholder)
        self.editor.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.editor.edited.connect(self._on_edited)
        self.error = QLabel()
        self.error.setWordWrap(True)
        self.error.setObjectName("jsonError")
        self.error.setStyleSheet("color: #d0453a;")
        self.error.hide()
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.editor)
        layout.addWidget(self.error)

    @property
    def problem(self) -> str:
        """What is wrong with the text in the box, or an empty string."""
        return self.error.text() if not self.error.isHidden() else ""

    def show_value(self, value: Any, *, fresh: bool) -> None:
        """Show the record's value. Text the user is still fixing is left alone unless the value changed."""
        if not fresh and _same(value, self._shown):
            return
        self._shown = value
        if fresh:
            self.editor.replace_all(format_json(value))
        else:
            self.editor.show_text(format_json(value))
        self.error.hide()

    def _on_edited(self, text: str) -> None:
        if not text.strip():
            value: Any = self._empty
        else:
            try:
                value = json.loads(text)
            except ValueError as error:
                line = getattr(error, "lineno", 0)
                column = getattr(error, "colno", 0)
                message = getattr(error, "msg", str(error))
                self._show_problem(f"Not valid JSON yet: {message} (line {line}, column {column}).")
                return
            problem = self._check(value)
            if problem:
                self._show_problem(problem)
                return
        self.error.hide()
        self._shown = value
        self.valueEdited.emit(value)

    def _show_problem(self, text: str) -> None:
        self.error.setText(text + " The example keeps its last valid value until this is fixed.")
        self.error.show()


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON (``1`` and ``True`` differ, key order matters: it is what the file will hold)."""
    return json.dumps(a, ensure_ascii=False) == json.dumps(b, ensure_ascii=False)
