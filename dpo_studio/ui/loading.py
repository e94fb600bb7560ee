"""What the Datasets tab shows while a large file is read: its first rows at once, and progress.

The first rows come from :func:`dpo_studio.core.document.read_preview`, which reads only the start of the
file (a few milliseconds), so the user sees the data right away while the whole file is read and
checked in the background. The page is read-only; it is replaced by the real table when loading ends.
"""

from __future__ import annotations

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from dpo_studio.core.document import PreviewRow

HEADERS = ("Line", "Prompt", "Preferred", "Rejected")
AnyIndex = QModelIndex | QPersistentModelIndex


def file_size(size: int) -> str:
    """``812 KB``, ``163 MB``, ``1.2 GB``."""
    if size < 1024 * 1024:
        return f"{max(1, round(size / 1024)):,} KB"
    if size < 1024**3:
        return f"{size / 1024 / 1024:,.0f} MB"
    return f"{size / 1024**3:,.1f} GB"


class PreviewModel(QAbstractTableModel):
    """A fixed, read-only list of preview rows."""

    def __init__(self, rows: list[PreviewRow], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._rows = rows

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's default argument
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's default argument
        return 0 if parent.isValid() else len(HEADERS)

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.line, row.prompt, row.preferred, row.rejected)[index.column()]
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == 0:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> object:
        if (
            role == Qt.ItemDataRole.DisplayRole
            and orientation == Qt.Orientation.Horizontal
            and 0 <= section < 4
        ):
            return HEADERS[section]
        return None


class LoadingPage(QWidget):
    """ "Opening x.jsonl…" with a progress bar, a Cancel button and the file's first rows."""

    cancelRequested = Signal()

    def __init__(
        self, name: str, size: int, rows: list[PreviewRow], estimate: int, parent: QWidget | None = None
    ):
        super().__init__(parent)
        self.setObjectName("loadingPage")
        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        about = f" (about {estimate:,} lines)" if estimate else ""
        self.label = QLabel(
            f"Opening <b>{name}</b> — {file_size(size)}{about}. The first lines are shown below."
        )
        self.label.setWordWrap(True)
        self.bar = QProgressBar()
        self.bar.setRange(0, 0)
        self.bar.setTextVisible(False)
        self.bar.setMaximumWidth(self.fontMetrics().averageCharWidth() * 30)
        self.cancel = QPushButton("Cancel")
        self.cancel.clicked.connect(self.cancelRequested)
        top.addWidget(self.label, 1)
        top.addWidget(self.bar)
        top.addWidget(self.cancel)
        layout.addLayout(top)
        self.model = PreviewModel(rows, self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 6)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        for column in (1, 2, 3):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Stretch)
        self.table.setEnabled(True)
        self.table.setEditTriggers(QTableView.EditTrigger.NoEditTriggers)
        layout.addWidget(self.table, 1)
        note = QLabel("Editing starts when the whole file is read and checked.")
        note.setEnabled(False)
        layout.addWidget(note)
