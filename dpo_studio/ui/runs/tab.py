"""The Runs tab: every job of every connection, the selected run's view, compare, and the poller.

The poller is a single-shot timer: each pass runs in the background (sync, then read what the list and the
open run need from the history) and schedules the next one after the delay the sync service suggests —
soon while jobs move, longer when nothing changes. It pauses while the application is in the background
or the window is minimised, and catches up when the user comes back.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from PySide6.QtCore import QItemSelectionModel, Qt, QTimer, Signal
from PySide6.QtGui import QGuiApplication, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from dpo_studio.core.pricing import PriceTable, load_price_table
from dpo_studio.services.history import HistoryStore, history
from dpo_studio.services.runs import RunDelta, RunListEntry, RunSync, SyncReport, list_runs, load_run_delta
from dpo_studio.ui.empty_state import EmptyState
from dpo_studio.ui.errors import present_error
from dpo_studio.ui.runs.compare import CompareView
from dpo_studio.ui.runs.models import STATUS_FILTERS, JobsModel, RunRow
from dpo_studio.ui.runs.notify import Notifier
from dpo_studio.ui.runs.run_view import RunView
from dpo_studio.ui.tasks import TaskContext, TaskHandle, task_runner


@dataclass(frozen=True)
class PassResult:
    """What one background pass brings back to the GUI thread."""

    report: SyncReport | None  # None for a history-only load (no network)
    runs: list[RunListEntry]
    connections: list[tuple[str, str]]  # (id, name) of saved connections
    delta: RunDelta | None


class _EmptyState(EmptyState):
    """What to do when there is nothing to show yet."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        layout = self.column
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.connections_button = QPushButton("Add a connection…")
        self.refresh_button = QPushButton("Check again")
        buttons.addWidget(self.connections_button)
        buttons.addWidget(self.refresh_button)
        buttons.addStretch(1)
        layout.addSpacing(self.line_height())
        layout.addLayout(buttons)
        layout.addStretch(3)

    def show_no_connections(self) -> None:
        self.title.setText("No connections yet")
        self.hint.setText(
            "Runs lists the fine-tuning jobs of every connection, with live loss charts, checkpoints and "
            "events. Add a connection to Azure OpenAI, a Microsoft Foundry project or OpenAI first; the key "
            "stays in your system keyring. Past runs stay readable here even offline."
        )
        self.connections_button.setVisible(True)

    def show_no_jobs(self) -> None:
        self.title.setText("No fine-tuning jobs yet")
        self.hint.setText(
            "None of your connections has a fine-tuning job. Jobs you start with the fine-tune wizard — "
            "and any job created on these connections elsewhere — appear here with live charts."
        )
        self.connections_button.setVisible(False)


class RunsTab(QWidget):
    """Runs across every connection, with automatic refresh while anything runs."""

    #: A background pass ended (tests and the status bar wait for it).
    passFinished = Signal()

    def __init__(
        self,
        store: HistoryStore | None = None,
        sync: RunSync | None = None,
        parent: QWidget | None = None,
        *,
        autostart: bool = True,
    ) -> None:
        super().__init__(parent)
        self.store = store or history()
        self.sync = sync or RunSync(self.store)
        self.notifier = Notifier(self)
        self._prices: PriceTable | None = None
        self._pass: TaskHandle | None = None
        self._force_next = False
        self._pending = False  # a pass was due while paused
        self._again = False  # a refresh was asked for while a pass ran
        self._error_shown = False
        self._stopped = False
        self.last_report: SyncReport | None = None
        self.next_delay: float | None = None
        self.connections: list[tuple[str, str]] = []
        app = QGuiApplication.instance()
        self._app_active = (
            not isinstance(app, QGuiApplication)
            or app.applicationState() == Qt.ApplicationState.ApplicationActive
        )
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._tick)
        self._build()
        if isinstance(app, QGuiApplication):
            app.applicationStateChanged.connect(self._app_state_changed)
        if isinstance(app, QApplication):
            app.aboutToQuit.connect(self.shutdown)
        self.started = False
        self._wanted: tuple[str, str] | None = None  # a run to select once it is listed
        if autostart:
            self.start()

    def start(self) -> None:
        """Show the history, then sync and keep polling (once; later calls do nothing)."""
        if self.started:
            return
        self.started = True
        self.load_history()
        self.refresh(force=True)

    def showEvent(self, event: QShowEvent) -> None:
        """The first time the tab is shown, start (if the app did not already)."""
        super().showEvent(event)
        self.start()

    def show_job(self, connection_id: str, job_id: str) -> None:
        """Select a run now or as soon as a sync lists it (the wizard jumps here after submitting)."""
        self.start()
        if not self.select_run((connection_id, job_id)):
            self._wanted = (connection_id, job_id)
            self.refresh(force=True)

    # ---- layout ----------------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        bar = QHBoxLayout()
        bar.addWidget(QLabel("Connection:"))
        self.connection_combo = QComboBox()
        self.connection_combo.addItem("All connections", "")
        self.connection_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.connection_combo.currentIndexChanged.connect(self._filter_changed)
        bar.addWidget(self.connection_combo)
        bar.addWidget(QLabel("Status:"))
        self.status_combo = QComboBox()
        for label in STATUS_FILTERS:
            self.status_combo.addItem(label)
        self.status_combo.currentIndexChanged.connect(self._filter_changed)
        bar.addWidget(self.status_combo)
        self.refresh_button = QPushButton("Refresh")
        self.refresh_button.setToolTip("Fetch what is new from every connection now")
        self.refresh_button.clicked.connect(lambda: self.refresh(force=True))
        self.compare_button = QPushButton("Compare")
        self.compare_button.setToolTip("Select two or more runs (Ctrl+click) to overlay a metric")
        self.compare_button.clicked.connect(self.compare_selected)
        self.connections_button = QPushButton("Connections…")
        self.connections_button.clicked.connect(self.open_connections)
        bar.addWidget(self.refresh_button)
        bar.addWidget(self.compare_button)
        bar.addStretch(1)
        self.sync_label = QLabel()
        self.sync_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        bar.addWidget(self.sync_label)
        bar.addWidget(self.connections_button)
        layout.addLayout(bar)

        self.stack = QStackedWidget()
        self.empty = _EmptyState()
        self.empty.connections_button.clicked.connect(self.open_connections)
        self.empty.refresh_button.clicked.connect(lambda: self.refresh(force=True))
        self.stack.addWidget(self.empty)

        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.model = JobsModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.table.verticalHeader().setVisible(False)
        self.table.setWordWrap(False)
        self.table.setAlternatingRowColors(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        chars = (14, 12, 18, 9, 15, 9, 10, 8, 26)
        width = self.fontMetrics().averageCharWidth()
        for column, count in enumerate(chars):
            header.resizeSection(column, width * count + 12)
        self.table.selectionModel().currentRowChanged.connect(self._current_changed)
        self.table.selectionModel().selectionChanged.connect(self._selection_changed)
        self.splitter.addWidget(self.table)

        self.right = QStackedWidget()
        self.select_hint = QLabel(
            "Select a run to see its live charts, checkpoints, events and provenance.\n"
            "Select several (Ctrl+click) and press Compare to overlay a metric."
        )
        self.select_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.select_hint.setWordWrap(True)
        self.run_view = RunView(self.store, self.sync)
        self.run_view.jobChanged.connect(lambda: self.refresh(force=True))
        self.run_view.message.connect(self._status_message)
        self.compare_view = CompareView(self.store)
        self.compare_view.close_button.clicked.connect(self._close_compare)
        self.right.addWidget(self.select_hint)
        self.right.addWidget(self.run_view)
        self.right.addWidget(self.compare_view)
        self.splitter.addWidget(self.right)
        self.splitter.setStretchFactor(0, 2)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([width * 80, width * 100])
        self.stack.addWidget(self.splitter)
        layout.addWidget(self.stack, 1)
        self._selection_changed()
        self._update_empty_state()

    # ---- passes ------------------------------------------------------------------------------------------

    def load_history(self) -> None:
        """Show what the history holds, without touching the network (fast start, offline)."""
        self._start_pass(network=False)

    def refresh(self, *, force: bool = False) -> None:
        """Sync now (``force`` also retries connections that are backing off after errors)."""
        self._force_next = self._force_next or force
        if self._pass is not None:
            self._again = True  # another pass right after the running one
            return
        self.timer.stop()
        self._start_pass(network=True)

    def syncing(self) -> bool:
        """Whether a background pass is running."""
        return self._pass is not None

    def _tick(self) -> None:
        if self._paused():
            self._pending = True
            return
        self.refresh()

    def _paused(self) -> bool:
        window = self.window()
        return not self._app_active or window.isMinimized()

    def _app_state_changed(self, state: Qt.ApplicationState) -> None:
        self._app_active = state == Qt.ApplicationState.ApplicationActive
        if self._app_active and self._pending and not self._stopped:
            self._pending = False
            self.refresh()

    def _start_pass(self, *, network: bool) -> None:
        if self._stopped:
            return
        force, self._force_next = self._force_next, False
        sync, store = self.sync, self.store
        key = self.run_view.key
        cursors = self.run_view.delta_cursors()
        prices = self._prices

        def work(_ctx: TaskContext) -> tuple[PassResult, PriceTable | None]:
            table = prices
            if table is None:
                try:
                    table = load_price_table()
                except Exception:  # no prices only means no cost column
                    table = None
            report = sync.sync(force=force) if network else None
            connections = [(p.id, p.name) for p in sync.profiles()]
            delta = None
            if key is not None:
                delta = load_run_delta(store, *key, after_point=cursors[0], after_event=cursors[1])
            return PassResult(report, list_runs(store, table), connections, delta), table

        def done(result: tuple[PassResult, PriceTable | None]) -> None:
            self._pass = None
            self._error_shown = False
            self._prices = result[1] or self._prices
            self._apply(result[0])
            self._follow_up()
            self.passFinished.emit()

        def failed(error: BaseException) -> None:
            self._pass = None
            self.refresh_button.setEnabled(True)
            self.sync_label.setText("The run history could not be read.")
            if not self._error_shown:  # once: the next passes say it in the label only
                self._error_shown = True
                present_error(self, error, "Refreshing the runs")
            self._schedule(60.0)
            self.passFinished.emit()

        def cancelled() -> None:
            self._pass = None
            self.refresh_button.setEnabled(True)
            self.passFinished.emit()

        self._pass = task_runner().run(
            work,
            on_done=done,
            on_error=failed,
            on_cancelled=cancelled,
            description="Refreshing runs" if network else "Reading the run history",
        )
        self.refresh_button.setEnabled(False)

    def _apply(self, result: PassResult) -> None:
        self.refresh_button.setEnabled(True)
        self._set_connections(result.connections)
        key = self.run_view.key
        before = self.model.rowCount()
        self.model.set_runs([RunRow(e.stored, e.kind, e.cost) for e in result.runs])
        if self.model.rowCount() != before:
            self._fit_columns()
        self._reselect(key)
        if self._wanted is not None and self.select_run(self._wanted):
            self._wanted = None
        self.run_view.set_connection_ids({c[0] for c in result.connections})
        delta = result.delta
        same_run = delta is not None and self.run_view.key == (delta.connection_id, delta.job_id)
        # A full load in flight brings the same points; applying both would only be wasted work.
        if delta is not None and same_run and not self.run_view.loading():
            self.run_view.apply_delta(delta)
        self._update_empty_state()
        report = result.report
        if report is None:
            return
        self.last_report = report
        names = dict(result.connections)
        for change in report.finished:
            self.notifier.run_finished(change, names.get(change.connection_id, ""))
        errors = report.errors
        if errors:
            (first_id, first_error), *_ = errors.items()
            self.sync_label.setText(f"{names.get(first_id, 'A connection')}: {first_error[:160]}")
            self.sync_label.setToolTip("\n\n".join(f"{names.get(k, k)}: {v}" for k, v in errors.items()))
        else:
            self.sync_label.setText(f"Updated {time.strftime('%H:%M:%S')}" if report.outcomes else "")
            self.sync_label.setToolTip("")
        self._schedule(report.next_delay)

    def _follow_up(self) -> None:
        if self._again and not self._stopped:
            self._again = False
            self.refresh()

    def _schedule(self, seconds: float) -> None:
        if self._stopped:
            return
        self.next_delay = seconds
        self.timer.start(int(max(0.05, seconds) * 1000))

    def shutdown(self) -> None:
        """Stop polling (the application is quitting)."""
        self._stopped = True
        self.timer.stop()
        if self._pass is not None:
            self._pass.cancel()

    # ---- list ----------------------------------------------------------------------------------------------

    def _set_connections(self, connections: list[tuple[str, str]]) -> None:
        if connections == self.connections:
            return
        self.connections = connections
        known = {cid: name for cid, name in connections}
        for run in self.model.all_runs():  # deleted connections keep their runs (and the filter entry)
            known.setdefault(run.stored.connection_id, run.stored.connection_name or run.stored.connection_id)
        current = self.connection_combo.currentData()
        self.connection_combo.blockSignals(True)
        self.connection_combo.clear()
        self.connection_combo.addItem("All connections", "")
        for cid, name in sorted(known.items(), key=lambda item: item[1].lower()):
            self.connection_combo.addItem(name, cid)
        index = self.connection_combo.findData(current)
        self.connection_combo.setCurrentIndex(max(0, index))
        self.connection_combo.blockSignals(False)

    def _filter_changed(self) -> None:
        key = self.run_view.key
        statuses = STATUS_FILTERS[self.status_combo.currentText()]
        self.model.set_filter(str(self.connection_combo.currentData() or ""), statuses)
        self._reselect(key)
        self._update_empty_state()

    def _reselect(self, key: tuple[str, str] | None) -> None:
        if key is None:
            return
        row = self.model.row_of(key)
        if row < 0:
            return
        selection = self.table.selectionModel()
        if selection.currentIndex().row() != row:
            selection.blockSignals(True)
            selection.setCurrentIndex(
                self.model.index(row, 0),
                QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
            )
            selection.blockSignals(False)
            self.table.viewport().update()

    def _fit_columns(self) -> None:
        """Columns as wide as their contents, within bounds (long model ids are elided, shown on hover)."""
        header = self.table.horizontalHeader()
        width = self.fontMetrics().averageCharWidth()
        self.table.resizeColumnsToContents()
        for column in range(self.model.columnCount()):
            header.resizeSection(column, max(width * 6, min(header.sectionSize(column), width * 28)))

    def _update_empty_state(self) -> None:
        has_runs = bool(self.model.all_runs())
        if has_runs:
            self.stack.setCurrentWidget(self.splitter)
        else:
            if self.connections:
                self.empty.show_no_jobs()
            else:
                self.empty.show_no_connections()
            self.stack.setCurrentWidget(self.empty)

    def _current_changed(self) -> None:
        index = self.table.selectionModel().currentIndex()
        row = self.model.row_at(index.row()) if index.isValid() else None
        self.show_run(row.key if row else None)

    def _selection_changed(self) -> None:
        self.compare_button.setEnabled(len(self.selected_runs()) >= 2)

    def selected_runs(self) -> list[RunRow]:
        """The runs selected in the list."""
        rows = sorted({i.row() for i in self.table.selectionModel().selectedRows()})
        return [r for r in (self.model.row_at(i) for i in rows) if r is not None]

    def select_run(self, key: tuple[str, str]) -> bool:
        """Select a run in the list (and show it); False when it is not listed."""
        row = self.model.row_of(key)
        if row < 0:
            return False
        self.table.selectionModel().setCurrentIndex(
            self.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows,
        )
        return True

    def show_run(self, key: tuple[str, str] | None) -> None:
        """Show one run on the right."""
        if key is None:
            self.right.setCurrentWidget(self.select_hint)
            self.run_view.show_run(None)
            return
        self.right.setCurrentWidget(self.run_view)
        if key != self.run_view.key:
            self.run_view.show_run(key)

    def compare_selected(self) -> None:
        """Overlay a metric of the selected runs."""
        runs = self.selected_runs()
        if len(runs) < 2:
            return
        self.right.setCurrentWidget(self.compare_view)
        self.compare_view.compare(runs)

    def _close_compare(self) -> None:
        self.right.setCurrentWidget(self.run_view if self.run_view.key else self.select_hint)

    # ---- helpers ------------------------------------------------------------------------------------

    def open_connections(self) -> None:
        """Open the Connections dialog (non-modal); runs refresh when it closes."""
        from dpo_studio.ui.connections import ConnectionsDialog

        dialog = ConnectionsDialog(parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.connectionsChanged.connect(lambda _id: self._connections_changed())
        dialog.finished.connect(lambda _result: self._connections_changed())
        dialog.show()
        self.connections_dialog = dialog

    def _connections_changed(self) -> None:
        for connection_id, _name in self.connections:
            self.sync.forget_provider(connection_id)
        self.refresh(force=True)

    def _status_message(self, text: str) -> None:
        window = self.window()
        if isinstance(window, QMainWindow):
            window.statusBar().showMessage(text, 8000)
