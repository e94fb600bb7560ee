"""The examples table view: fixed-height rows, entry-based selection that survives sorting and filtering."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QItemSelection, QItemSelectionModel, QModelIndex, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QTableView, QWidget

from dpo_studio.ui.datasets.table_model import DatasetTableModel

#: Widths of the narrow columns (number, tokens, findings, split, tags), in average characters.
FIXED_CHARS = {0: 7, 4: 8, 5: 20, 6: 10, 7: 12}
#: How the remaining width is shared by the prompt, preferred and rejected previews.
PREVIEW_SHARES = {1: 0.36, 2: 0.32, 3: 0.32}
#: Selection memory meaning "select nothing" (after another document was opened).
_FORGET: tuple[list[int], int] = ([-1], -1)


class ExamplesTable(QTableView):
    """A table over :class:`DatasetTableModel` that talks in entry indices rather than rows."""

    #: The user activated a row (double click or Enter): edit this entry.
    entryActivated = Signal(int)
    #: The current row changed because of the user (not because of :meth:`show_entry`).
    currentEntryChanged = Signal(int)
    #: How many rows are selected changed.
    selectionCountChanged = Signal(int)

    def __init__(self, model: DatasetTableModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("examplesTable")
        self.setAccessibleName("Examples")
        self.setModel(model)
        self._model = model
        self._following = False
        self._memory: tuple[list[int], int] | None = None
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setSortingEnabled(True)
        self.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.setWordWrap(False)
        self.setAlternatingRowColors(True)
        self.setTextElideMode(Qt.TextElideMode.ElideRight)
        vertical = self.verticalHeader()
        vertical.hide()
        # Fixed row heights: the view never asks 100k rows for their size.
        vertical.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        vertical.setDefaultSectionSize(self.fontMetrics().height() + 8)
        header = self.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        # Columns fit the view until the user drags one; then their widths are left alone.
        self._fitting = False
        self._user_sized = False
        header.sectionResized.connect(self._section_resized)
        self._fit_columns()
        self.doubleClicked.connect(self._activate)
        self.activated.connect(self._activate)
        selection = self.selectionModel()
        selection.currentRowChanged.connect(self._row_changed)
        selection.selectionChanged.connect(
            lambda *_args: self.selectionCountChanged.emit(self.selected_count())
        )
        model.modelAboutToBeReset.connect(self._remember)
        model.modelReset.connect(self._recall)

    # -- entries -----------------------------------------------------------------------------------

    def selected_count(self) -> int:
        """How many rows are selected."""
        return len(self.selectionModel().selectedRows())

    def selected_entries(self) -> list[int]:
        """Entry indices of the selected rows, ascending."""
        model = self._model
        rows = {index.row() for index in self.selectionModel().selectedRows()}
        return sorted(model.entry_at(row) for row in rows if 0 <= row < model.rowCount())

    def current_entry(self) -> int:
        """The entry of the current row, or -1."""
        current = self.currentIndex()
        return self._model.entry_at(current.row()) if current.isValid() else -1

    def select_entries(self, entries: Sequence[int], current: int | None = None) -> None:
        """Select the rows of these entries (those the filter shows); ``current`` defaults to the first."""
        model = self._model
        selection = QItemSelection()
        last = model.columnCount() - 1
        rows = sorted(row for entry in entries if (row := model.row_of(entry)) >= 0)
        # One range per run of adjacent rows: selecting 100k rows one by one would take seconds.
        start = previous = -2
        for row in [*rows, -2]:
            if row != previous + 1:
                if start >= 0:
                    selection.select(model.index(start, 0), model.index(previous, last))
                start = row
            previous = row
        self.selectionModel().select(selection, QItemSelectionModel.SelectionFlag.ClearAndSelect)
        if current is None:
            current = entries[0] if entries else -1
        row = model.row_of(current) if current >= 0 else -1
        if row >= 0:
            self._following = True
            try:
                self.selectionModel().setCurrentIndex(
                    model.index(row, 0), QItemSelectionModel.SelectionFlag.NoUpdate
                )
                self.scrollTo(model.index(row, 0))
            finally:
                self._following = False

    def show_entry(self, entry: int) -> None:
        """Make ``entry`` the current row (following the editor) without announcing it back."""
        row = self._model.row_of(entry) if entry >= 0 else -1
        if row < 0:
            return
        current = self.currentIndex()
        if current.isValid() and current.row() == row:
            return
        self._following = True
        try:
            self.setCurrentIndex(self._model.index(row, max(current.column(), 0)))
            self.scrollTo(self._model.index(row, 0))
        finally:
            self._following = False

    def forget_selection(self) -> None:
        """The next reset shows another document: do not carry the selection over."""
        self._memory = _FORGET

    # -- internals ---------------------------------------------------------------------------------

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Keep the columns fitting the view (until the user sized one)."""
        super().resizeEvent(event)
        self._fit_columns()

    def _fit_columns(self) -> None:
        if self._user_sized:
            return
        char = self.fontMetrics().averageCharWidth()
        fixed = {column: chars * char for column, chars in FIXED_CHARS.items()}
        available = self.viewport().width() - sum(fixed.values()) - 2
        minimum = 12 * char
        widths = dict(fixed)
        for column, share in PREVIEW_SHARES.items():
            widths[column] = max(minimum, int(available * share))
        self._fitting = True
        try:
            for column, width in widths.items():
                self.setColumnWidth(column, width)
        finally:
            self._fitting = False

    def _section_resized(self, _index: int, _old: int, _new: int) -> None:
        if not self._fitting and self.horizontalHeader().underMouse():
            self._user_sized = True

    def _remember(self) -> None:
        if self._memory is None:
            self._memory = (self.selected_entries(), self.current_entry())

    def _recall(self) -> None:
        memory, self._memory = self._memory, None
        if memory is not None and memory is not _FORGET:
            self.select_entries(*memory)

    def _row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not self._following and current.isValid():
            self.currentEntryChanged.emit(self._model.entry_at(current.row()))

    def _activate(self, index: QModelIndex) -> None:
        if index.isValid():
            self.entryActivated.emit(self._model.entry_at(index.row()))
