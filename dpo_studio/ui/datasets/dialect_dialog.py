"""Asked when detection is unsure: a preview of the file and a choice of format."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
)

from dpo_studio.core.detect import Detection
from dpo_studio.core.dialects import DIALECTS, Dialect

#: How much of the file the preview shows.
PREVIEW_LINES = 12
PREVIEW_LINE_CHARS = 400
PREVIEW_BYTES = 64 * 1024


def file_preview(path: Path) -> str:
    """The first lines of a file, long lines cut, for people to recognise its format."""
    try:
        with path.open("rb") as handle:
            head = handle.read(PREVIEW_BYTES)
    except OSError as error:
        return f"(The file cannot be read: {error.strerror or error})"
    text = head.decode("utf-8", errors="replace").lstrip("\ufeff")
    lines = text.splitlines()[:PREVIEW_LINES]
    return "\n".join(
        line if len(line) <= PREVIEW_LINE_CHARS else line[:PREVIEW_LINE_CHARS] + " …" for line in lines
    )


class DialectDialog(QDialog):
    """Shows why detection is unsure, a preview, and the formats ranked by how well they fit."""

    def __init__(self, path: Path, detection: Detection, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("dialectDialog")
        self.setWindowTitle(f"Which format is {path.name}?")
        explanation = QLabel(detection.explanation or "The format of this file is not clear.", self)
        explanation.setWordWrap(True)
        self.combo = QComboBox(self)
        self.combo.setAccessibleName("Format")
        scores = {dialect.name: score for dialect, score in detection.scores}
        ranked = sorted(DIALECTS, key=lambda d: -scores.get(d.name, 0.0))
        for dialect in ranked:
            score = scores.get(dialect.name)
            suffix = f" — fits {score:.0%} of the sampled lines" if score is not None else ""
            note = "" if dialect.writable else " (read only: save or export in another format)"
            self.combo.addItem(f"{dialect.label}{suffix}{note}", dialect.name)
        self.combo.setCurrentIndex(max(0, self.combo.findData(detection.dialect.name)))
        self.preview = QPlainTextEdit(self)
        self.preview.setReadOnly(True)
        self.preview.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        self.preview.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.preview.setPlainText(file_preview(path))
        self.preview.setAccessibleName("File preview")
        metrics = self.preview.fontMetrics()
        self.preview.setMinimumSize(metrics.averageCharWidth() * 90, metrics.height() * (PREVIEW_LINES + 2))
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Open | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow("Read it as:", self.combo)
        layout = QVBoxLayout(self)
        layout.addWidget(explanation)
        layout.addLayout(form)
        layout.addWidget(QLabel(f"The start of {path.name}:", self))
        layout.addWidget(self.preview, 1)
        layout.addWidget(buttons)

    def chosen(self) -> Dialect:
        """The format picked."""
        name = self.combo.currentData()
        for dialect in DIALECTS:
            if dialect.name == name:
                return dialect
        return DIALECTS[0]

    def choose(self, name: str) -> None:
        """Pick a format by its name (tests, keyboard)."""
        position = self.combo.findData(name)
        if position >= 0:
            self.combo.setCurrentIndex(position)
