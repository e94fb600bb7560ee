"""One run: live charts with reading aids, checkpoints, the events log, provenance and the job's actions."""

from __future__ import annotations

import html
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSlider,
    QTableView,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from dpo_studio.core.atomicfile import atomic_write_bytes
from dpo_studio.services.history import SOURCE_EVENTS, SOURCE_RESULTS, HistoryStore, Provenance
from dpo_studio.services.runs import RunDelta, RunSync, duration_seconds, load_run_delta
from dpo_studio.services.status import JobStatus
from dpo_studio.ui.errors import present_error
from dpo_studio.ui.runs.chart import ChartPanel
from dpo_studio.ui.runs.models import CheckpointsModel, EventsModel, format_duration, format_time
from dpo_studio.ui.runs.reading import DPO_LOSS_EXPLANATION, reading_aid
from dpo_studio.ui.tasks import TaskContext, TaskHandle, task_runner

SOURCE_LABELS = {SOURCE_EVENTS: "Live (job events)", SOURCE_RESULTS: "Result file (results.csv)"}


def _ask(parent: QWidget, title: str, text: str) -> bool:
    answer = QMessageBox.question(parent, title, text)
    return answer == QMessageBox.StandardButton.Yes


def _choose_folder(parent: QWidget) -> Path | None:
    chosen = QFileDialog.getExistingDirectory(parent, "Save the result files in")
    return Path(chosen) if chosen else None


def _choose_file(parent: QWidget, title: str, suggested: str, filters: str) -> Path | None:
    chosen, _ = QFileDialog.getSaveFileName(parent, title, suggested, filters)
    return Path(chosen) if chosen else None


def epoch_boundaries(total_steps: int | None, n_epochs: Any) -> list[float]:
    """Steps where one epoch ends and the next begins (empty until both counts are known)."""
    if not total_steps or not isinstance(n_epochs, int) or isinstance(n_epochs, bool) or n_epochs < 2:
        return []
    return [total_steps * k / n_epochs for k in range(1, n_epochs)]


class RunView(QWidget):
    """The run view. Loads from the history off the GUI thread; actions go through the sync service."""

    #: A job changed through an action here (the tab refreshes its list).
    jobChanged = Signal()
    #: A status-bar message.
    message = Signal(str)
    #: Deploy / evaluate a model of this run: (connection id, job id, model or checkpoint id). The Evaluate
    #: tab (dpo_studio.ui.loop, issue 8) acts on them.
    deployRequested = Signal(str, str, str)
    evaluateRequested = Signal(str, str, str)

    def __init__(self, store: HistoryStore, sync: RunSync, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.sync = sync
        self.key: tuple[str, str] | None = None
        self.delta: RunDelta | None = None
        #: Every point received, per source and series (to redraw when the source changes).
        self.series_data: dict[str, dict[str, tuple[list[int], list[float]]]] = {}
        self.source = SOURCE_EVENTS
        self._point_seq = 0
        self._event_seq = 0
        self._loading: TaskHandle | None = None
        self._action: TaskHandle | None = None
        #: Saved connections (the tab updates it after each sync); runs of others cannot be controlled.
        self.connection_ids: set[str] = set()
        self.confirm: Callable[[QWidget, str, str], bool] = _ask
        self.choose_folder: Callable[[QWidget], Path | None] = _choose_folder
        self.choose_file: Callable[[QWidget, str, str, str], Path | None] = _choose_file
        self._build()

    # ---- layout ----------------------------------------------------------------------------------------

    def _build(self) -> None:
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 0, 0, 0)
        header = QHBoxLayout()
        self.title = QLabel()
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.status = QLabel()
        header.addWidget(self.title)
        header.addWidget(self.status)
        header.addStretch(1)
        layout.addLayout(header)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.details)

        actions = QHBoxLayout()
        self.cancel_button = QPushButton("Cancel job")
        self.pause_button = QPushButton("Pause")
        self.resume_button = QPushButton("Resume")
        self.download_button = QPushButton("Download result files…")
        self.copy_button = QPushButton("Copy model id")
        self.deploy_button = QPushButton("Deploy…")
        self.deploy_button.setToolTip("Deploy the fine-tuned model on Azure (OpenAI calls it by its id)")
        self.evaluate_button = QPushButton("Evaluate…")
        self.evaluate_button.setToolTip("Compare the fine-tuned model with another model, blind")
        self.deploy_button.clicked.connect(lambda: self._request_model(self.deployRequested, None))
        self.evaluate_button.clicked.connect(lambda: self._request_model(self.evaluateRequested, None))
        self.cancel_button.clicked.connect(self.cancel_job)
        self.pause_button.clicked.connect(lambda: self._run_action("pause"))
        self.resume_button.clicked.connect(lambda: self._run_action("resume"))
        self.download_button.clicked.connect(self.download_results)
        self.copy_button.clicked.connect(self.copy_model_id)
        for button in (
            self.pause_button,
            self.resume_button,
            self.cancel_button,
            self.download_button,
            self.copy_button,
            self.deploy_button,
            self.evaluate_button,
        ):
            actions.addWidget(button)
        actions.addStretch(1)
        layout.addLayout(actions)

        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self._build_charts(), "Charts")
        self.tabs.addTab(self._build_checkpoints(), "Checkpoints")
        self.tabs.addTab(self._build_events(), "Events")
        self.tabs.addTab(self._build_provenance(), "Provenance")
        layout.addWidget(self.tabs, 1)
        self._update_actions()

    def _build_charts(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        controls = QHBoxLayout()
        controls.addWidget(QLabel("Data:"))
        self.source_combo = QComboBox()
        self.source_combo.addItem(SOURCE_LABELS[SOURCE_EVENTS], SOURCE_EVENTS)
        self.source_combo.currentIndexChanged.connect(self._source_changed)
        controls.addWidget(self.source_combo)
        controls.addSpacing(12)
        controls.addWidget(QLabel("Smoothing:"))
        self.smoothing_slider = QSlider(Qt.Orientation.Horizontal)
        self.smoothing_slider.setRange(0, 99)
        self.smoothing_slider.setValue(60)
        self.smoothing_slider.setMaximumWidth(160)
        self.smoothing_slider.setToolTip("Exponential moving average; 0 shows the raw values only.")
        self.smoothing_label = QLabel("0.60")
        self.smoothing_slider.valueChanged.connect(self._smoothing_changed)
        controls.addWidget(self.smoothing_slider)
        controls.addWidget(self.smoothing_label)
        controls.addStretch(1)
        self.reset_zoom_button = QPushButton("Reset zoom")
        self.export_png_button = QPushButton("Export PNG…")
        self.export_csv_button = QPushButton("Export CSV…")
        controls.addWidget(self.reset_zoom_button)
        controls.addWidget(self.export_png_button)
        controls.addWidget(self.export_csv_button)
        layout.addLayout(controls)
        self.chart = ChartPanel()
        self.reset_zoom_button.clicked.connect(self.chart.reset_zoom)
        self.export_png_button.clicked.connect(self.export_png)
        self.export_csv_button.clicked.connect(self.export_csv)
        layout.addWidget(self.chart, 1)
        self.reading = QLabel()
        self.reading.setWordWrap(True)
        self.reading.setObjectName("readingAid")
        layout.addWidget(self.reading)
        self.explanation = QLabel(DPO_LOSS_EXPLANATION)
        self.explanation.setWordWrap(True)
        small = self.explanation.font()
        small.setPointSizeF(small.pointSizeF() * 0.92)
        self.explanation.setFont(small)
        layout.addWidget(self.explanation)
        return page

    def _build_checkpoints(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.checkpoints_model = CheckpointsModel(self)
        self.checkpoints_view = QTableView()
        self.checkpoints_view.setModel(self.checkpoints_model)
        self.checkpoints_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.checkpoints_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.checkpoints_view.verticalHeader().setVisible(False)
        # Metric columns as wide as their numbers; the long model id is elided in the middle (full on hover).
        self.checkpoints_view.setTextElideMode(Qt.TextElideMode.ElideMiddle)
        self.checkpoints_view.setWordWrap(False)
        self.checkpoints_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.checkpoints_view.horizontalHeader().setStretchLastSection(False)
        self.checkpoints_model.modelReset.connect(self._fit_checkpoint_columns)
        self.checkpoints_hint = QLabel(
            "Checkpoints appear as epochs end (the provider keeps the last few). "
            "Select one and copy its model id to deploy or test it."
        )
        self.checkpoints_hint.setWordWrap(True)
        copy = QPushButton("Copy checkpoint model id")
        copy.clicked.connect(self.copy_checkpoint_id)
        deploy = QPushButton("Deploy checkpoint…")
        deploy.clicked.connect(self._deploy_checkpoint)
        layout.addWidget(self.checkpoints_hint)
        layout.addWidget(self.checkpoints_view, 1)
        row = QHBoxLayout()
        row.addWidget(copy)
        row.addWidget(deploy)
        row.addStretch(1)
        layout.addLayout(row)
        return page

    def _fit_checkpoint_columns(self) -> None:
        header = self.checkpoints_view.horizontalHeader()
        if self.checkpoints_model.columnCount() > 2:
            header.setSectionResizeMode(2, QHeaderView.ResizeMode.Interactive)
            header.resizeSection(2, self.fontMetrics().averageCharWidth() * 34)

    def _build_events(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        search_row = QHBoxLayout()
        self.events_search = QLineEdit()
        self.events_search.setPlaceholderText("Search the events (message or type)…")
        self.events_search.setClearButtonEnabled(True)
        self.events_search.textChanged.connect(self._search_changed)
        self.events_count = QLabel()
        search_row.addWidget(self.events_search, 1)
        search_row.addWidget(self.events_count)
        layout.addLayout(search_row)
        self.events_model = EventsModel(self)
        self.events_view = QTableView()
        self.events_view.setModel(self.events_model)
        self.events_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.events_view.verticalHeader().setVisible(False)
        self.events_view.setWordWrap(False)
        header = self.events_view.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setStretchLastSection(True)
        metrics = self.fontMetrics()
        for column, chars in enumerate((20, 8, 12)):
            header.resizeSection(column, metrics.averageCharWidth() * chars + 16)
        layout.addWidget(self.events_view, 1)
        return page

    def _build_provenance(self) -> QWidget:
        self.provenance_view = QTextBrowser()
        self.provenance_view.setOpenLinks(False)
        return self.provenance_view

    # ---- loading ---------------------------------------------------------------------------------------

    def show_run(self, key: tuple[str, str] | None) -> None:
        """Show a run (``None``: nothing); loads everything stored for it in the background."""
        if self._loading is not None:
            self._loading.cancel()
            self._loading = None
        self.key = key
        self.delta = None
        self.series_data = {}
        self._point_seq = self._event_seq = 0
        self.chart.clear()
        self.events_model.clear()
        self.checkpoints_model.set_checkpoints([])
        self.source_combo.blockSignals(True)
        self.source_combo.clear()
        self.source_combo.addItem(SOURCE_LABELS[SOURCE_EVENTS], SOURCE_EVENTS)
        self.source_combo.blockSignals(False)
        self.source = SOURCE_EVENTS
        self.title.setText("")
        self.status.setText("")
        self.details.setText("")
        self.reading.setText("")
        self.provenance_view.setHtml("")
        self._update_actions()
        if key is not None:
            self.refresh()

    def refresh(self) -> None:
        """Read what is new for this run from the history (off the GUI thread)."""
        if self.key is None or self._loading is not None:
            return
        connection_id, job_id = self.key
        after_point, after_event = self._point_seq, self._event_seq
        store = self.store

        def load(_ctx: TaskContext) -> RunDelta:
            return load_run_delta(
                store, connection_id, job_id, after_point=after_point, after_event=after_event
            )

        def done(delta: RunDelta) -> None:
            self._loading = None
            self.apply_delta(delta)

        def failed(error: BaseException) -> None:
            self._loading = None
            present_error(self, error, "Reading the run from the local history")

        def cancelled() -> None:
            self._loading = None

        self._loading = task_runner().run(
            load, on_done=done, on_error=failed, on_cancelled=cancelled, description="Loading the run"
        )

    def loading(self) -> bool:
        """Whether a load is in flight (tests wait for it)."""
        return self._loading is not None

    def delta_cursors(self) -> tuple[int, int]:
        """``(after_point, after_event)`` for the next delta."""
        return self._point_seq, self._event_seq

    def apply_delta(self, delta: RunDelta) -> None:
        """Add a delta's new points and events and refresh everything else (stale ones are ignored)."""
        if self.key != (delta.connection_id, delta.job_id):
            return
        if (delta.after_point, delta.after_event) != (self._point_seq, self._event_seq):
            self.refresh()  # read from other cursors (a load raced with a pass): read what is missing
            return
        self.delta = delta
        events = delta.events
        if delta.metrics.series:
            self._point_seq = delta.metrics.last_seq
            for (source, name), (steps, values) in delta.metrics.series.items():
                known = self.series_data.setdefault(source, {}).setdefault(name, ([], []))
                known[0].extend(steps)
                known[1].extend(values)
                if source == self.source:
                    self.chart.add_series(name, steps, values)
            if SOURCE_RESULTS in self.series_data and self.source_combo.findData(SOURCE_RESULTS) < 0:
                self.source_combo.addItem(SOURCE_LABELS[SOURCE_RESULTS], SOURCE_RESULTS)
            if not self.series_data.get(SOURCE_EVENTS) and self.series_data.get(SOURCE_RESULTS):
                self.source_combo.setCurrentIndex(self.source_combo.findData(SOURCE_RESULTS))
        if events:
            self._event_seq = max(e.seq for e in events)
            self.events_model.add_events(events)
        self.checkpoints_model.set_checkpoints(delta.checkpoints)
        self._show_job()
        self._show_provenance(delta.provenance)
        self._update_reading()
        self._update_events_count()

    def _show_job(self) -> None:
        stored = self.delta.stored if self.delta else None
        if stored is None:
            self.title.setText(self.key[1] if self.key else "")
            self.details.setText("This run is not in the local history yet.")
            self._update_actions()
            return
        job = stored.job
        self.title.setText(job.suffix or job.id)
        self.status.setText(f"— {job.status.label}")
        self.status.setToolTip(f"The provider says: {job.status.raw or job.state.value}")
        parts = [
            f"Job {job.id}",
            f"connection {stored.connection_name or stored.connection_id}",
            f"base model {job.model}",
            f"created {format_time(job.created_at)}",
        ]
        duration = format_duration(duration_seconds(job))
        if duration:
            parts.append(f"duration {duration}")
        if job.trained_tokens:
            parts.append(f"{job.trained_tokens:,} trained tokens")
        params = job.hyperparameters
        if params:
            parts.append("hyperparameters " + ", ".join(f"{k} {v}" for k, v in params.items()))
        text = " · ".join(parts)
        if job.fine_tuned_model:
            text += f"\nFine-tuned model: {job.fine_tuned_model}"
        if job.error_message:
            text += f"\nFailed: {job.error_message}"
        self.details.setText(text)
        self.chart.set_epoch_boundaries(epoch_boundaries(stored.total_steps, params.get("n_epochs")))
        self._update_actions()

    def _show_provenance(self, provenance: Provenance | None) -> None:
        if provenance is None:
            self.provenance_view.setHtml(
                "<p><b>No provenance recorded for this run.</b></p><p>Jobs submitted with DPO Studio's "
                "fine-tune wizard record here the dataset they came from (path and content hash), the exact "
                "uploaded bytes' hash and file ids, the request body, and later the resulting model and "
                "checkpoints. This job was created elsewhere, or before provenance was recorded.</p>"
            )
            return
        rows = [
            ("Dataset", provenance.dataset_path),
            ("Dataset content hash (SHA-256)", provenance.dataset_sha256),
            ("Uploaded bytes hash (SHA-256)", provenance.uploaded_sha256),
            ("Training file id", provenance.training_file_id),
            ("Validation data", provenance.validation_path),
            ("Validation content hash", provenance.validation_sha256),
            ("Validation uploaded hash", provenance.validation_uploaded_sha256),
            ("Validation file id", provenance.validation_file_id),
            ("Connection", provenance.connection_id),
            ("Recorded", format_time(provenance.recorded_at)),
            ("Resulting model", provenance.fine_tuned_model),
            ("Checkpoints", ", ".join(provenance.checkpoints)),
        ]
        rows += [(str(k), json.dumps(v)) for k, v in provenance.extra.items()]
        table = "".join(
            f"<tr><td><b>{html.escape(label)}</b></td>"
            f"<td style='padding-left:12px'>{html.escape(value)}</td></tr>"
            for label, value in rows
            if value
        )
        body = html.escape(json.dumps(provenance.request_body, indent=2, sort_keys=True))
        self.provenance_view.setHtml(
            f"<table>{table}</table><p><b>Request body sent</b></p><pre>{body}</pre>"
        )

    def _update_reading(self) -> None:
        train = self.chart.series_view("train_loss")
        valid = self.chart.series_view("valid_loss") or self.chart.series_view("full_valid_loss")
        if train is None or valid is None:
            self.reading.setText(
                "The ratio of validation to training loss appears once both are reported "
                "(a validation file is needed)."
                if train is not None
                else ""
            )
            return
        aid = reading_aid(
            train[0],
            train[1],
            valid[0],
            valid[1],
            smoothing=min(0.9, max(0.3, self.chart.smoothing)),
        )
        self.reading.setText(("⚠ " if aid.overfitting else "") + aid.note)

    def _update_events_count(self) -> None:
        shown = self.events_model.rowCount()
        total = self.events_model.total()
        self.events_count.setText(f"{shown:,} of {total:,}" if shown != total else f"{total:,} events")

    # ---- controls --------------------------------------------------------------------------------------

    def _source_changed(self) -> None:
        source = self.source_combo.currentData()
        if not source or source == self.source:
            return
        self.source = str(source)
        self.chart.clear()
        for name, (steps, values) in self.series_data.get(self.source, {}).items():
            self.chart.add_series(name, steps, values)
        if self.delta and self.delta.stored:
            stored = self.delta.stored
            self.chart.set_epoch_boundaries(
                epoch_boundaries(stored.total_steps, stored.job.hyperparameters.get("n_epochs"))
            )
        self._update_reading()

    def _smoothing_changed(self, value: int) -> None:
        weight = value / 100.0
        self.smoothing_label.setText(f"{weight:.2f}")
        self.chart.set_smoothing(weight)
        self._update_reading()

    def _search_changed(self, text: str) -> None:
        self.events_model.set_search(text)
        self._update_events_count()

    def set_connection_ids(self, ids: set[str]) -> None:
        """The saved connections' ids (actions need the run's connection)."""
        if ids != self.connection_ids:
            self.connection_ids = set(ids)
            self._update_actions()

    def _update_actions(self) -> None:
        stored = self.delta.stored if self.delta else None
        state = stored.job.state if stored else JobStatus.UNKNOWN
        connected = stored is not None and stored.connection_id in self.connection_ids
        busy = self._action is not None
        reason = "" if connected else "The connection of this run no longer exists."
        for button, allowed in (
            (self.cancel_button, state.can_cancel),
            (self.pause_button, state.can_pause),
            (self.resume_button, state.can_resume),
        ):
            button.setEnabled(connected and allowed and not busy)
            button.setToolTip(reason if not connected else "")
        has_results = bool(stored and (stored.job.result_files or (self.delta and self.delta.result_files)))
        self.download_button.setEnabled(has_results and not busy)
        self.copy_button.setEnabled(bool(stored and stored.job.fine_tuned_model))
        self.deploy_button.setEnabled(bool(stored and stored.job.fine_tuned_model))
        self.evaluate_button.setEnabled(bool(stored and stored.job.fine_tuned_model))
        self.export_png_button.setEnabled(bool(self.chart.plots))
        self.export_csv_button.setEnabled(bool(self.chart.plots))

    # ---- actions ---------------------------------------------------------------------------------------

    def cancel_job(self) -> None:
        """Ask, then cancel the job at the provider."""
        if self.key is None:
            return
        if not self.confirm(
            self, "Cancel the job?", "Cancel this fine-tuning job? Training stops and cannot be resumed."
        ):
            return
        self._run_action("cancel")

    def _run_action(self, action: str) -> None:
        if self.key is None or self._action is not None:
            return
        connection_id, job_id = self.key
        sync = self.sync
        call = {"cancel": sync.cancel, "pause": sync.pause, "resume": sync.resume}[action]

        def work(_ctx: TaskContext) -> Any:
            return call(connection_id, job_id)

        def done(job: Any) -> None:
            self._action = None
            self.message.emit(f"{action.capitalize()}: the job is now {job.status.label.lower()}.")
            self.refresh()
            self.jobChanged.emit()

        def failed(error: BaseException) -> None:
            self._action = None
            self._update_actions()
            present_error(self, error, f"Trying to {action} the job")

        self._action = task_runner().run(work, on_done=done, on_error=failed, description=f"{action} the job")
        self._update_actions()

    def busy(self) -> bool:
        """Whether an action is in flight."""
        return self._action is not None

    def download_results(self) -> None:
        """Save the job's result files into a folder and plot the results CSV."""
        stored = self.delta.stored if self.delta else None
        if stored is None or self._action is not None:
            return
        folder = self.choose_folder(self)
        if folder is None:
            return
        connection_id, job_id = stored.key
        file_ids = list(
            dict.fromkeys([*stored.job.result_files, *(self.delta.result_files if self.delta else [])])
        )
        sync = self.sync

        def work(ctx: TaskContext) -> list[Path]:
            saved = []
            for index, file_id in enumerate(file_ids):
                ctx.progress(index, len(file_ids), f"Downloading {file_id}")
                content = sync.result_file(connection_id, job_id, file_id)
                path = folder / f"{job_id}-{file_id}.csv"
                atomic_write_bytes(path, content)
                saved.append(path)
            return saved

        def done(saved: list[Path]) -> None:
            self._action = None
            self.message.emit(f"Saved {len(saved)} result file(s) in {folder}.")
            self.last_downloads = saved
            self.refresh()

        def failed(error: BaseException) -> None:
            self._action = None
            self._update_actions()
            present_error(self, error, "Downloading the result files")

        self._action = task_runner().run(
            work, on_done=done, on_error=failed, description="Downloading results"
        )
        self._update_actions()

    def copy_model_id(self) -> None:
        """Put the fine-tuned model id on the clipboard."""
        stored = self.delta.stored if self.delta else None
        if stored and stored.job.fine_tuned_model:
            QGuiApplication.clipboard().setText(stored.job.fine_tuned_model)
            self.message.emit(f"Copied {stored.job.fine_tuned_model}")

    def _request_model(self, signal: Any, model: str | None) -> None:
        """Emit ``signal`` for the run's fine-tuned model (or ``model``, a checkpoint's)."""
        stored = self.delta.stored if self.delta else None
        chosen = model or (stored.job.fine_tuned_model if stored else None)
        if stored is not None and chosen:
            signal.emit(stored.connection_id, stored.job.id, chosen)

    def _deploy_checkpoint(self) -> None:
        rows = self.checkpoints_view.selectionModel().selectedRows()
        checkpoint = (
            self.checkpoints_model.checkpoint_at(rows[0].row()) if rows else self.checkpoints_model.best
        )
        if checkpoint is not None:
            self._request_model(self.deployRequested, checkpoint.model)

    def copy_checkpoint_id(self) -> None:
        """Put the selected (else the best) checkpoint's model id on the clipboard."""
        rows = self.checkpoints_view.selectionModel().selectedRows()
        checkpoint = (
            self.checkpoints_model.checkpoint_at(rows[0].row()) if rows else self.checkpoints_model.best
        )
        if checkpoint is not None:
            QGuiApplication.clipboard().setText(checkpoint.model)
            self.message.emit(f"Copied {checkpoint.model}")

    def export_png(self) -> None:
        """Save the charts as a PNG."""
        name = (self.key[1] if self.key else "run") + ".png"
        path = self.choose_file(self, "Export the charts", name, "PNG image (*.png)")
        if path is not None:
            try:
                self.chart.export_png(path)
            except OSError as error:
                present_error(self, error, "Exporting the charts")
            else:
                self.message.emit(f"Saved {path}")

    def export_csv(self) -> None:
        """Save every series as CSV."""
        name = (self.key[1] if self.key else "run") + "-metrics.csv"
        path = self.choose_file(self, "Export the series", name, "CSV (*.csv)")
        if path is not None:
            try:
                self.chart.export_csv(path)
            except OSError as error:
                present_error(self, error, "Exporting the series")
            else:
                self.message.emit(f"Saved {path}")

    def series_length(self, name: str) -> int:
        """How many points a series has on the charts (0 when absent)."""
        found = self.chart.series_view(name)
        return 0 if found is None else int(found[0].size)
