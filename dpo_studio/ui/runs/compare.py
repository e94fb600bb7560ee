"""Compare runs: the same metric of several runs overlaid on one chart."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from dpo_studio.services.history import SOURCE_EVENTS, SOURCE_RESULTS, HistoryStore
from dpo_studio.ui.errors import present_error
from dpo_studio.ui.runs.chart import MetricPlot, label_for
from dpo_studio.ui.runs.models import RunRow
from dpo_studio.ui.tasks import TaskContext, TaskHandle, task_runner

#: Series of one run: metric name → (steps, values).
RunSeries = dict[str, tuple[list[int], list[float]]]


def load_series(store: HistoryStore, connection_id: str, job_id: str) -> RunSeries:
    """A run's stored series (from events; from results.csv when events carried none)."""
    for source in (SOURCE_EVENTS, SOURCE_RESULTS):
        metrics = store.metric_set(connection_id, job_id, source)
        if metrics.series:
            return {name: (s.steps, s.values) for name, s in metrics.series.items()}
    return {}


class CompareView(QWidget):
    """Overlay one metric of the chosen runs."""

    def __init__(self, store: HistoryStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.runs: list[RunRow] = []
        self.data: dict[tuple[str, str], RunSeries] = {}
        self._loading: TaskHandle | None = None
        layout = QVBoxLayout(self)
        layout.setContentsMargins(6, 0, 0, 0)
        top = QHBoxLayout()
        self.title = QLabel("Compare runs")
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self.title.setFont(font)
        top.addWidget(self.title)
        top.addStretch(1)
        top.addWidget(QLabel("Metric:"))
        self.metric_combo = QComboBox()
        self.metric_combo.setMinimumContentsLength(24)
        self.metric_combo.currentIndexChanged.connect(self._draw)
        top.addWidget(self.metric_combo)
        self.close_button = QPushButton("Back to the run")
        top.addWidget(self.close_button)
        layout.addLayout(top)
        self.hint = QLabel()
        self.hint.setWordWrap(True)
        layout.addWidget(self.hint)
        self.plot_host = QVBoxLayout()
        layout.addLayout(self.plot_host, 1)
        self.plot: MetricPlot | None = None

    def compare(self, runs: list[RunRow]) -> None:
        """Load and overlay the runs (two or more)."""
        if self._loading is not None:
            self._loading.cancel()
        self.runs = list(runs)
        self.title.setText(f"Compare {len(runs)} runs")
        self.hint.setText("Loading…")
        keys = [r.key for r in runs]
        store = self.store

        def load(ctx: TaskContext) -> dict[tuple[str, str], RunSeries]:
            found = {}
            for connection_id, job_id in keys:
                ctx.check_cancelled()
                found[(connection_id, job_id)] = load_series(store, connection_id, job_id)
            return found

        def done(data: dict[tuple[str, str], RunSeries]) -> None:
            self._loading = None
            self.data = data
            names: dict[str, None] = {}
            for series in data.values():
                names.update(dict.fromkeys(series))
            current = self.metric_combo.currentData()
            self.metric_combo.blockSignals(True)
            self.metric_combo.clear()
            for name in sorted(names, key=lambda n: (n != "train_loss", n != "valid_loss", n)):
                self.metric_combo.addItem(label_for(name).capitalize(), name)
            if current is not None and self.metric_combo.findData(current) >= 0:
                self.metric_combo.setCurrentIndex(self.metric_combo.findData(current))
            self.metric_combo.blockSignals(False)
            self._draw()

        def failed(error: BaseException) -> None:
            self._loading = None
            present_error(self, error, "Loading runs to compare")

        self._loading = task_runner().run(load, on_done=done, on_error=failed, description="Loading runs")

    def loading(self) -> bool:
        """Whether the runs are still loading."""
        return self._loading is not None

    def _draw(self) -> None:
        if self.plot is not None:
            self.plot_host.removeWidget(self.plot)
            self.plot.deleteLater()
            self.plot = None
        metric = self.metric_combo.currentData()
        if metric is None:
            self.hint.setText("These runs have no metrics stored yet.")
            return
        plot = MetricPlot(label_for(str(metric)).capitalize())
        missing = []
        for run in self.runs:
            series = self.data.get(run.key, {}).get(str(metric))
            label = f"{run.name} ({run.stored.connection_name or run.stored.connection_id})"
            if not series or not series[0]:
                missing.append(run.name)
                continue
            plot.add_points(label, series[0], series[1])
        self.plot = plot
        self.plot_host.addWidget(plot)
        text = (
            "Raw values are faint, smoothed ones bold. Steps differ when batch sizes or dataset sizes differ."
        )
        if missing:
            text += " Without this metric: " + ", ".join(missing) + "."
        self.hint.setText(text)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignLeft)

    def overlaid(self) -> list[str]:
        """The series currently overlaid (labels)."""
        return list(self.plot.series) if self.plot is not None else []
