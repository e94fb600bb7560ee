"""Table models of the Runs tab: jobs, checkpoints and events (rows kept as plain data, filtered here)."""

from __future__ import annotations

import datetime
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt
from PySide6.QtGui import QFont

from dpo_studio.services.history import StoredEvent, StoredJob
from dpo_studio.services.providers import Checkpoint
from dpo_studio.services.runs import duration_seconds
from dpo_studio.services.status import JobStatus
from dpo_studio.ui.runs.chart import label_for

AnyIndex = QModelIndex | QPersistentModelIndex

#: Status filter choices: label → states (None = all).
STATUS_FILTERS: dict[str, frozenset[JobStatus] | None] = {
    "All statuses": None,
    "Active": frozenset(
        {
            JobStatus.VALIDATING,
            JobStatus.QUEUED,
            JobStatus.RUNNING,
            JobStatus.PAUSING,
            JobStatus.PAUSED,
            JobStatus.RESUMING,
            JobStatus.CANCELLING,
            JobStatus.UNKNOWN,
        }
    ),
    "Succeeded": frozenset({JobStatus.SUCCEEDED}),
    "Failed": frozenset({JobStatus.FAILED}),
    "Cancelled": frozenset({JobStatus.CANCELLED}),
}


@dataclass(frozen=True)
class RunRow:
    """One run as the list shows it."""

    stored: StoredJob
    kind: str  # connection kind (for provider rules and prices)
    cost: float | None = None

    @property
    def key(self) -> tuple[str, str]:
        """``(connection_id, job_id)``."""
        return self.stored.key

    @property
    def name(self) -> str:
        """The suffix when there is one, else the job id."""
        return self.stored.job.suffix or self.stored.job.id


#: Column headings for the usual checkpoint metrics (the full name is the heading's tooltip).
SHORT_LABELS = {
    "train_loss": "Train loss",
    "valid_loss": "Valid loss",
    "full_valid_loss": "Full valid loss",
    "train_mean_token_accuracy": "Train acc.",
    "valid_mean_token_accuracy": "Valid acc.",
    "full_valid_mean_token_accuracy": "Full valid acc.",
}


def short_label(name: str) -> str:
    """A compact heading for a metric key."""
    return SHORT_LABELS.get(name) or label_for(name).capitalize()


def format_duration(seconds: float | None) -> str:
    """``1 h 05 min``, ``4 min 10 s``, ``12 s``; empty when unknown."""
    if seconds is None:
        return ""
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {secs:02d} s"
    return f"{secs} s"


def format_time(stamp: int | float | None) -> str:
    """A Unix time as local ``YYYY-MM-DD HH:MM``."""
    if not stamp:
        return ""
    return datetime.datetime.fromtimestamp(float(stamp)).strftime("%Y-%m-%d %H:%M")


class _FixedColumnsModel(QAbstractTableModel):
    """A flat table of ``_rows`` under the fixed headers ``COLUMNS`` (the jobs and events tables)."""

    COLUMNS: tuple[str, ...] = ()
    _rows: Sequence[Any]

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        return None


class JobsModel(_FixedColumnsModel):
    """Runs across every connection, with a connection and status filter applied in the model."""

    COLUMNS = (
        "Name",
        "Connection",
        "Base model",
        "Status",
        "Created",
        "Duration",
        "Trained tokens",
        "Est. cost",
        "Fine-tuned model",
    )
    KEY_ROLE = Qt.ItemDataRole.UserRole + 1
    SORT_ROLE = Qt.ItemDataRole.UserRole + 2

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._all: list[RunRow] = []
        self._rows: list[RunRow] = []
        self.connection_filter = ""
        self.status_filter: frozenset[JobStatus] | None = None
        self.now = time.time

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        row = self._rows[index.row()]
        job = row.stored.job
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 3:
                word = job.status.raw or job.state.value
                extra = f"\n{job.error_message}" if job.error_message else ""
                return f"The provider says: {word}{extra}"
            if column == 0:
                return f"Job {job.id}"
            if column == 7:
                return "Trained tokens × the model's training price in the price table (an estimate)."
            return self._display(row, column) or None
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (5, 6, 7):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == Qt.ItemDataRole.FontRole and column == 3 and not job.state.is_terminal:
            font = QFont()
            font.setBold(True)
            return font
        if role == self.KEY_ROLE:
            return row.key
        return None

    def _display(self, row: RunRow, column: int) -> str:
        job = row.stored.job
        if column == 0:
            return row.name
        if column == 1:
            return row.stored.connection_name or row.stored.connection_id
        if column == 2:
            return job.model
        if column == 3:
            return job.status.label
        if column == 4:
            return format_time(job.created_at)
        if column == 5:
            return format_duration(duration_seconds(job, self.now()))
        if column == 6:
            return f"{job.trained_tokens:,}" if job.trained_tokens else ""
        if column == 7:
            return "" if row.cost is None else f"${row.cost:,.2f}"
        if column == 8:
            return job.fine_tuned_model or ""
        return ""

    # ---- data ------------------------------------------------------------------------------------------

    def set_runs(self, rows: Sequence[RunRow]) -> None:
        """Replace the runs (keeps the filter); rows whose key is unchanged are updated in place."""
        self._all = list(rows)
        visible = [r for r in self._all if self._accepts(r)]
        if [r.key for r in visible] == [r.key for r in self._rows]:
            self._rows = visible
            if visible:
                self.dataChanged.emit(self.index(0, 0), self.index(len(visible) - 1, len(self.COLUMNS) - 1))
            return
        self.beginResetModel()
        self._rows = visible
        self.endResetModel()

    def set_filter(self, connection_id: str = "", statuses: frozenset[JobStatus] | None = None) -> None:
        """Show only one connection's runs (``""``: all) and/or some states (``None``: all)."""
        self.connection_filter = connection_id
        self.status_filter = statuses
        self.beginResetModel()
        self._rows = [r for r in self._all if self._accepts(r)]
        self.endResetModel()

    def _accepts(self, row: RunRow) -> bool:
        if self.connection_filter and row.stored.connection_id != self.connection_filter:
            return False
        return self.status_filter is None or row.stored.job.state in self.status_filter

    def row_at(self, row: int) -> RunRow | None:
        """The run shown on a row."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def row_of(self, key: tuple[str, str]) -> int:
        """The row showing a run, or -1."""
        for index, row in enumerate(self._rows):
            if row.key == key:
                return index
        return -1

    def all_runs(self) -> list[RunRow]:
        """Every run, filtered or not."""
        return list(self._all)


class CheckpointsModel(QAbstractTableModel):
    """A run's checkpoints with their metrics; the best validation loss is marked."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._rows: list[Checkpoint] = []
        self._metrics: list[str] = []
        self.best_row = -1
        self.best_metric = ""

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 3 + len(self._metrics)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < self.columnCount():
            return None
        fixed = ("Best", "Step", "Model")
        if role == Qt.ItemDataRole.DisplayRole:
            return fixed[section] if section < 3 else short_label(self._metrics[section - 3])
        if role == Qt.ItemDataRole.ToolTipRole and section >= 3:
            return label_for(self._metrics[section - 3]).capitalize()
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        checkpoint = self._rows[index.row()]
        column = index.column()
        best = index.row() == self.best_row
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return "★ best" if best else ""
            if column == 1:
                return str(checkpoint.step)
            if column == 2:
                return checkpoint.model
            value = checkpoint.metrics.get(self._metrics[column - 3])
            return "" if value is None else f"{value:.4f}"
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 2:
                return checkpoint.model
            if best:
                return f"Lowest {label_for(self.best_metric)} of the saved checkpoints"
            return None
        if role == Qt.ItemDataRole.FontRole and best:
            font = QFont()
            font.setBold(True)
            return font
        return None

    def set_checkpoints(self, checkpoints: Sequence[Checkpoint]) -> None:
        """Replace the checkpoints; mark the best (full validation loss if all have it, else validation)."""
        self.beginResetModel()
        self._rows = sorted(checkpoints, key=lambda c: c.step)
        names: dict[str, None] = {}
        for checkpoint in self._rows:
            names.update(dict.fromkeys(checkpoint.metrics))
        self._metrics = list(names)
        self.best_row, self.best_metric = -1, ""
        for metric in ("full_valid_loss", "valid_loss"):
            if self._rows and all(metric in c.metrics for c in self._rows):
                values = [c.metrics[metric] for c in self._rows]
                self.best_row = values.index(min(values))
                self.best_metric = metric
                break
        self.endResetModel()

    def checkpoint_at(self, row: int) -> Checkpoint | None:
        """The checkpoint on a row."""
        return self._rows[row] if 0 <= row < len(self._rows) else None

    @property
    def best(self) -> Checkpoint | None:
        """The marked checkpoint."""
        return self.checkpoint_at(self.best_row)


class EventsModel(_FixedColumnsModel):
    """A run's events, newest first; the search filter is applied here."""

    COLUMNS = ("Time", "Level", "Type", "Message")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._all: list[StoredEvent] = []  # newest first
        self._rows: list[StoredEvent] = []
        self.search = ""

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        event = self._rows[index.row()].event
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            column = index.column()
            if column == 0:
                stamp = datetime.datetime.fromtimestamp(event.created_at)
                return stamp.strftime("%Y-%m-%d %H:%M:%S")
            if column == 1:
                return event.level
            if column == 2:
                return event.type
            return event.message
        return None

    def _matches(self, stored: StoredEvent) -> bool:
        needle = self.search
        event = stored.event
        return not needle or needle in event.message.lower() or needle in event.type.lower()

    def clear(self) -> None:
        """No events."""
        self.beginResetModel()
        self._all, self._rows = [], []
        self.endResetModel()

    def add_events(self, events: Sequence[StoredEvent]) -> None:
        """Add newer events (any order); they go on top."""
        if not events:
            return
        known = {e.event.id for e in self._all[: len(events) * 2 + 50]}
        fresh = [e for e in events if e.event.id not in known]
        if not fresh:
            return
        fresh.sort(key=lambda e: (e.event.created_at, e.seq), reverse=True)
        self._all[:0] = fresh
        shown = [e for e in fresh if self._matches(e)]
        if shown:
            self.beginInsertRows(QModelIndex(), 0, len(shown) - 1)
            self._rows[:0] = shown
            self.endInsertRows()

    def set_search(self, text: str) -> None:
        """Show only events whose message or type contains ``text`` (case-insensitive)."""
        self.search = text.strip().lower()
        self.beginResetModel()
        self._rows = [e for e in self._all if self._matches(e)]
        self.endResetModel()

    def total(self) -> int:
        """Events held, shown or not."""
        return len(self._all)
