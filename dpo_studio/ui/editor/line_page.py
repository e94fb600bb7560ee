"""What the editor shows for a line that holds no example: a blank line, or one that is not valid JSON.

A broken line can be repaired right here: the user corrects the text and asks to read it again; if it
is now a JSON value, it becomes an example (undoable, like every edit). Nothing is thrown away before
that: the line is kept as it was, and saved as it was.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

from dpo_studio.core.dataset import Entry, EntryKind
from dpo_studio.core.findings import Finding
from dpo_studio.ui.editor.findings_strip import FindingsStrip


def parse_line(text: str) -> tuple[Any, str]:
    """The JSON value of a corrected line, or ``(None, what is wrong)``."""
    if not text.strip():
        return None, "The line is empty. Type or paste one JSON object, or delete the line."
    try:
        return json.loads(text), ""
    except ValueError as error:
        line = getattr(error, "lineno", 0)
        column = getattr(error, "colno", 0)
        message = getattr(error, "msg", str(error))
        where = f"column {column}" if line <= 1 else f"line {line}, column {column}"
        return None, f"Still not valid JSON: {message} ({where})."


class LinePage(QWidget):
    """A blank or unreadable line: what is wrong, the raw text (editable), repair and delete."""

    #: The user wants the corrected text read as an example: ``(json value)``.
    repairRequested = Signal(object)
    deleteRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setObjectName("lineTitle")
        self.title.setWordWrap(True)
        self.findings = FindingsStrip()
        self.raw = QPlainTextEdit()
        self.raw.setObjectName("unreadableRaw")
        self.raw.setAccessibleName("Text of the line")
        self.raw.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.raw.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.problem = QLabel()
        self.problem.setObjectName("lineProblem")
        self.problem.setWordWrap(True)
        self.problem.setStyleSheet("color: #d0453a;")
        self.problem.hide()
        self.repair = QPushButton("Read the corrected line")
        self.repair.setToolTip("Use the text above as this line's example (undoable)")
        self.repair.setEnabled(False)
        self.delete = QPushButton("Delete this line")
        self.delete.setToolTip("Remove the line from the file (undoable)")
        row = QHBoxLayout()
        row.addWidget(self.repair)
        row.addWidget(self.delete)
        row.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.findings)
        layout.addWidget(self.raw, 1)
        layout.addWidget(self.problem)
        layout.addLayout(row)
        self._original = ""
        self.raw.textChanged.connect(self._on_text_changed)
        self.repair.clicked.connect(self._on_repair)
        self.delete.clicked.connect(self.deleteRequested)

    def show_entry(self, entry: Entry, findings: Sequence[Finding]) -> None:
        """Show a blank or unreadable entry and its findings."""
        where = f"Line {entry.line}" if entry.line else "This line"
        if entry.kind is EntryKind.BLANK:
            self.title.setText(f"{where} is blank. It is kept as it is when saving.")
        else:
            self.title.setText(
                f"{where} could not be read as JSON. It is kept as it is when saving. Correct it below and "
                "read it again to edit it as an example, or delete it."
            )
        self._original = entry.raw.decode("utf-8", errors="replace") if entry.raw is not None else ""
        self.raw.setPlainText(self._original)
        self.raw.setReadOnly(entry.kind is EntryKind.BLANK)
        self.repair.setVisible(entry.kind is not EntryKind.BLANK)
        self.problem.hide()
        self.findings.show_findings(findings)

    def _on_text_changed(self) -> None:
        self.repair.setEnabled(self.raw.toPlainText() != self._original)
        self.problem.hide()

    def _on_repair(self) -> None:
        value, problem = parse_line(self.raw.toPlainText())
        if problem:
            self.problem.setText(problem)
            self.problem.show()
            return
        self.repairRequested.emit(value)
