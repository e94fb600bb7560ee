"""The examples table: a model that keeps only entry indices and reads cells from the row index.

Following Anki's browser table, the model holds no per-row objects: ``_rows`` is a list of entry indices
(in view order) and every cell is read from :class:`DatasetIndex` column lists, which compute a pending
row on first sight. Sorting and filtering happen in the index; the model only swaps the list of rows.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from dpo_studio.core.dataset import EntryKind
from dpo_studio.core.dataset_index import RANK_SEVERITY, Column, DatasetIndex, RowFilter
from dpo_studio.ui.datasets.icons import severity_icon

HEADERS = ("#", "Prompt", "Preferred", "Rejected", "Tokens", "Findings", "Split", "Tags")
HEADER_TIPS = (
    "Line number in the file (new examples have none yet)",
    "The last user message of the prompt",
    "The preferred answer",
    "The rejected answer",
    "Tokens of the example with the model's tokenizer (prompt + both answers)",
    "Problems found by validation: how many, and their codes",
    "Training or validation",
    "Tags set in the editor",
)
SPLIT_LABELS = {"train": "Training", "validation": "Validation"}

#: Role returning the entry index of a row (an ``int``).
EntryRole = Qt.ItemDataRole.UserRole + 1

_ModelIndex = QModelIndex | QPersistentModelIndex


class DatasetTableModel(QAbstractTableModel):
    """Rows are entry indices; cells come from a :class:`DatasetIndex`."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._index: DatasetIndex | None = None
        self._rows: list[int] = []
        self._row_of: dict[int, int] | None = None
        self._filter = RowFilter()
        self._sort_column = Column.NUMBER
        self._descending = False

    # -- state ----------------------------------------------------------------------------------

    @property
    def row_index(self) -> DatasetIndex | None:
        """The index the cells are read from."""
        return self._index

    @property
    def row_filter(self) -> RowFilter:
        """The filter currently applied."""
        return self._filter

    @property
    def total_rows(self) -> int:
        """How many rows there are without any filter."""
        return 0 if self._index is None else len(self._index.rows())

    def set_index(self, index: DatasetIndex | None) -> None:
        """Show another index (a new document, or the finished background build)."""
        self._index = index
        self.refresh()

    def set_filter(self, query: RowFilter) -> None:
        """Show only the rows matching ``query``."""
        self._filter = query
        self.refresh()

    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Order the rows by ``column`` (done in the index, on entry indices)."""
        if not 0 <= column < len(HEADERS):
            return
        self._sort_column = Column(column)
        self._descending = order == Qt.SortOrder.DescendingOrder
        self.refresh()

    def refresh(self) -> None:
        """Recompute the visible rows from the index, the filter and the sort order."""
        rows: list[int] = []
        if self._index is not None:
            # Worked out before the reset starts, so views are without rows for as short as possible.
            rows = self._index.filter(self._filter)
            if self._sort_column is not Column.NUMBER or self._descending:
                rows = self._index.sort(rows, self._sort_column, self._descending)
        self.beginResetModel()
        self._rows = rows
        self._row_of = None
        self.endResetModel()

    def entry_at(self, row: int) -> int:
        """The entry index shown in ``row``."""
        return self._rows[row]

    def entries(self) -> list[int]:
        """Every entry index shown, in view order."""
        return list(self._rows)

    def row_of(self, entry: int) -> int:
        """The row showing ``entry``, or -1 when it is filtered out."""
        if self._row_of is None:
            self._row_of = {entry_index: row for row, entry_index in enumerate(self._rows)}
        return self._row_of.get(entry, -1)

    def entries_changed(self, entries: Iterable[int]) -> None:
        """Repaint the rows of these entries (their cells were recomputed)."""
        rows = [self.row_of(entry) for entry in entries]
        rows = [row for row in rows if row >= 0]
        if not rows:
            return
        last = len(HEADERS) - 1
        self.dataChanged.emit(self.index(min(rows), 0), self.index(max(rows), last))

    def entries_inserted(self, first: int, count: int) -> None:
        """``count`` entries were inserted at ``first``: renumber the rows and show the new ones.

        New examples are shown even if the filter would hide them (the user just added them). They go
        where they belong in entry order when the table is in entry order, else at the end.
        """
        if self._index is None or count <= 0:
            return
        rows = [entry + count if entry >= first else entry for entry in self._rows]
        self._rows = rows
        self._row_of = None
        natural = self._sort_column is Column.NUMBER and not self._descending
        position = len(rows)
        if natural:
            position = bisect.bisect_left(rows, first)
        new = [
            entry for entry in range(first, first + count) if self._index.kind[entry] is not EntryKind.BLANK
        ]
        if not new:
            return
        self.beginInsertRows(QModelIndex(), position, position + len(new) - 1)
        self._rows[position:position] = new
        self._row_of = None
        self.endInsertRows()

    def entries_removed(self, entries: Iterable[int]) -> None:
        """The entries at ``entries`` (numbered before the removal) are gone: drop their rows, renumber."""
        removed = sorted(set(entries))
        if not removed:
            return
        gone = set(removed)
        # Renumber first (removed rows become -1) so no cell ever reads a stale entry index.
        self._rows = [
            -1 if entry in gone else entry - bisect.bisect_left(removed, entry) for entry in self._rows
        ]
        self._row_of = None
        doomed = [row for row, entry in enumerate(self._rows) if entry < 0]
        # Remove contiguous runs from the bottom up so row numbers stay valid.
        runs: list[list[int]] = []
        for row in doomed:
            if runs and row == runs[-1][1] + 1:
                runs[-1][1] = row
            else:
                runs.append([row, row])
        for start, end in reversed(runs):
            self.beginRemoveRows(QModelIndex(), start, end)
            del self._rows[start : end + 1]
            self._row_of = None
            self.endRemoveRows()

    def all_changed(self) -> None:
        """Repaint every cell (findings or tokens arrived for the whole dataset)."""
        if self._rows:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, len(HEADERS) - 1))

    # -- QAbstractTableModel -----------------------------------------------------------------------

    def rowCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(HEADERS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return HEADERS[section]
        if role == Qt.ItemDataRole.ToolTipRole:
            return HEADER_TIPS[section]
        return None

    def flags(self, index: _ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: _ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self._index is None:
            return None
        row, column = index.row(), index.column()
        if not 0 <= row < len(self._rows) or not 0 <= column < len(HEADERS):
            return None
        entry = self._rows[row]
        source = self._index
        if entry < 0 or entry >= len(source):
            return None
        if role == EntryRole:
            return entry
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            source.ensure(entry)
            return self._text(source, entry, Column(column), role == Qt.ItemDataRole.ToolTipRole)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            if column in (Column.NUMBER, Column.TOKENS):
                return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            return int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.DecorationRole and column == Column.FINDINGS:
            severity = RANK_SEVERITY.get(source.worst[entry])
            return None if severity is None else severity_icon(severity)
        if role == Qt.ItemDataRole.FontRole and source.kind[entry] is EntryKind.UNREADABLE:
            font = QFont()
            font.setItalic(True)
            return font
        return None

    def _text(self, source: DatasetIndex, entry: int, column: Column, tooltip: bool) -> str | None:
        unreadable = source.kind[entry] is EntryKind.UNREADABLE
        if column is Column.NUMBER:
            line = source.line[entry]
            if tooltip:
                return f"Example at line {line}" if line else "New example (not saved yet)"
            return str(line) if line else "new"
        if column is Column.PROMPT:
            text = source.text(column, entry)
            if unreadable and tooltip:
                return f"This line could not be read and is kept as it is:\n{text}"
            return text
        if column in (Column.PREFERRED, Column.REJECTED):
            return source.text(column, entry)
        if column is Column.TOKENS:
            tokens = source.tokens[entry]
            if tokens < 0:
                return "Not counted yet" if tooltip else ""
            return f"{tokens:,}"
        if column is Column.FINDINGS:
            count = source.finding_count[entry]
            if not count:
                return "No findings" if tooltip else ""
            codes = source.codes[entry]
            if tooltip:
                return f"{count} finding{'s' if count != 1 else ''}: {', '.join(codes)}"
            return f"{count} · {' '.join(codes)}"
        if column is Column.SPLIT:
            split = source.split[entry]
            return SPLIT_LABELS.get(split, split)
        return ", ".join(source.tags[entry])
