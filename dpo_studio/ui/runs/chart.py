"""Live metric charts: every numeric series against step, raw and smoothed, with epochs and a crosshair.

Points arrive in batches (``add_points``); each series keeps growing numpy arrays and its smoothed curve is
extended incrementally, so an update costs the new points plus one ``setData`` per curve. Curves downsample
and clip to the view, which keeps tens of thousands of points smooth.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from pathlib import Path

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, Qt, Signal
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QGridLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from dpo_studio.core.atomicfile import atomic_write_bytes
from dpo_studio.ui import theme
from dpo_studio.ui.runs.reading import ema_extend

LIGHT_COLORS = ("#1f6fc5", "#d9730d", "#2a8f3a", "#c7392f", "#7b4bc4", "#8c564b", "#c2307d", "#56636b")
DARK_COLORS = ("#5aa9ff", "#ffa646", "#62d462", "#ff6b61", "#b48cff", "#d9a47a", "#ff7fc0", "#b8c4cc")
#: The same quantity keeps its colour across charts and runs: train, validation, full validation.
KNOWN_ORDER = ("train", "valid", "full_valid")

#: Series with at most this many points are drawn with markers.
SPARSE_POINTS = 30

#: How people read the usual keys.
LABELS = {
    "train_loss": "training loss",
    "valid_loss": "validation loss",
    "full_valid_loss": "full validation loss",
    "train_mean_token_accuracy": "training token accuracy",
    "valid_mean_token_accuracy": "validation token accuracy",
    "full_valid_mean_token_accuracy": "full validation token accuracy",
}


def label_for(name: str) -> str:
    """A readable name for a metric key (unknown keys as they came, underscores as spaces)."""
    return LABELS.get(name, name.replace("_", " "))


def group_for(name: str) -> str:
    """Which chart a series goes on: losses together, accuracies together, anything else on its own."""
    lowered = name.lower()
    if "loss" in lowered:
        return "Loss"
    if "accuracy" in lowered:
        return "Token accuracy"
    return label_for(name).capitalize()


def _color_index(name: str, taken: int) -> int:
    for index, prefix in enumerate(reversed(KNOWN_ORDER)):
        if name.startswith(prefix + "_"):
            return len(KNOWN_ORDER) - 1 - index
    return len(KNOWN_ORDER) + taken


def colors() -> tuple[str, ...]:
    """The series colours for the current theme (bright on dark, deep on light)."""
    return DARK_COLORS if theme.is_dark() else LIGHT_COLORS


class SeriesBuffer:
    """One series' points in growing arrays, by step; a later value for a known step replaces it."""

    def __init__(self, capacity: int = 256) -> None:
        self._x = np.empty(capacity, dtype=float)
        self._y = np.empty(capacity, dtype=float)
        self.size = 0

    @property
    def x(self) -> np.ndarray:
        """Steps (a view; do not keep it across appends)."""
        return self._x[: self.size]

    @property
    def y(self) -> np.ndarray:
        """Values in step order."""
        return self._y[: self.size]

    def _reserve(self, extra: int) -> None:
        needed = self.size + extra
        if needed <= len(self._x):
            return
        capacity = max(needed, len(self._x) * 2)
        for attr in ("_x", "_y"):
            grown = np.empty(capacity, dtype=float)
            grown[: self.size] = getattr(self, attr)[: self.size]
            setattr(self, attr, grown)

    def extend(self, steps: Sequence[float], values: Sequence[float]) -> bool:
        """Add points; True when they simply continued the series (else it was re-sorted)."""
        if not len(steps):
            return True
        xs = np.asarray(steps, dtype=float)
        ys = np.asarray(values, dtype=float)
        in_order = bool(np.all(np.diff(xs) > 0)) and (self.size == 0 or xs[0] > self._x[self.size - 1])
        if in_order:
            self._reserve(len(xs))
            self._x[self.size : self.size + len(xs)] = xs
            self._y[self.size : self.size + len(ys)] = ys
            self.size += len(xs)
            return True
        merged = dict(zip(self.x.tolist(), self.y.tolist(), strict=True))
        merged.update(zip(xs.tolist(), ys.tolist(), strict=True))
        order = sorted(merged)
        self.size = 0
        self._reserve(len(order))
        self._x[: len(order)] = order
        self._y[: len(order)] = [merged[s] for s in order]
        self.size = len(order)
        return False


@dataclass
class _Series:
    name: str
    color: str
    buffer: SeriesBuffer
    raw: pg.PlotDataItem
    smooth: pg.PlotDataItem
    smoothed: np.ndarray = field(default_factory=lambda: np.empty(0))
    state: float = 0.0
    correction: float = 1.0
    sparse: bool = False


class MetricPlot(pg.PlotWidget):  # type: ignore[misc]  # pyqtgraph has no type hints
    """One chart: several series (raw thin and translucent, smoothed bold), epoch lines, a crosshair."""

    #: (step) under the mouse, or -1 when it left the chart.
    hovered = Signal(float)

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = title
        self.series: dict[str, _Series] = {}
        self.smoothing = 0.6
        self._epoch_lines: list[pg.InfiniteLine] = []
        self.setMinimumHeight(200)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        item = self.getPlotItem()
        item.setClipToView(True)
        item.showGrid(x=True, y=True, alpha=0.15)
        for axis in ("left", "bottom"):
            # Grid lines at major ticks only: the minor ones cost ~4x the paint time of the curves.
            item.getAxis(axis).setStyle(maxTickLevel=0)
        item.setLabel("bottom", "step")
        # Losses fall (the top right stays free), accuracies rise (the bottom right does).
        self.legend = item.addLegend(offset=(-10, -30) if "accuracy" in title.lower() else (-10, 30))
        self.crosshair = pg.InfiniteLine(angle=90, movable=False)
        self.crosshair.setVisible(False)
        item.addItem(self.crosshair, ignoreBounds=True)
        self.scene().sigMouseMoved.connect(self._mouse_moved)
        self.apply_palette()

    def apply_palette(self) -> None:
        """Background, axes and text from the application palette (readable in dark mode)."""
        palette = self.palette()
        base = palette.color(QPalette.ColorRole.Base)
        text = palette.color(QPalette.ColorRole.Text)
        self.setBackground(base)
        item = self.getPlotItem()
        for axis in ("left", "bottom"):
            ax = item.getAxis(axis)
            ax.setPen(pg.mkPen(text))
            ax.setTextPen(pg.mkPen(text))
        item.setTitle(self.title, color=text.name(), size="10pt")
        muted = QColor(text)
        muted.setAlpha(110)
        self.crosshair.setPen(pg.mkPen(muted, width=1))
        for line in self._epoch_lines:
            line.setPen(pg.mkPen(muted, width=1, style=Qt.PenStyle.DashLine))
        self.legend.setLabelTextColor(text)
        backdrop = QColor(base)
        backdrop.setAlpha(200)
        self.legend.setBrush(pg.mkBrush(backdrop))
        for series in self.series.values():
            self._style(series)

    def _style(self, series: _Series) -> None:
        self._mark(series, series.buffer.size <= SPARSE_POINTS)

    @staticmethod
    def _smoothed(series: _Series, weight: float) -> bool:
        # Sparse series (full validation: once per epoch) are shown raw: smoothing three points misleads.
        return weight > 0 and not series.sparse

    def _pens(self, series: _Series) -> None:
        # The main curve (in the legend) is always visible: smoothed values, or the raw ones when not
        # smoothing; the faint raw curve behind it shows only while smoothing.
        color = QColor(series.color)
        faint = QColor(color)
        faint.setAlpha(70)
        series.raw.setPen(pg.mkPen(faint, width=1))
        series.raw.setVisible(self._smoothed(series, self.smoothing))
        series.smooth.setPen(pg.mkPen(color, width=2))

    def _draw(self, series: _Series) -> None:
        xs, ys = series.buffer.x, series.buffer.y
        if self._smoothed(series, self.smoothing):
            series.raw.setData(xs, ys)
            series.smooth.setData(xs, series.smoothed[: series.buffer.size])
        else:
            series.smooth.setData(xs, ys)

    def _mark(self, series: _Series, sparse: bool) -> None:
        """Markers on sparse series (full validation loss: once per epoch) — invisible as lines alone.

        Set before the data: markers on thousands of points would cost seconds.
        """
        series.sparse = sparse
        self._pens(series)
        color = QColor(series.color)
        curve = series.smooth
        if sparse:
            curve.setSymbol("o")
            curve.setSymbolSize(7)
            curve.setSymbolPen(pg.mkPen(color))
            curve.setSymbolBrush(pg.mkBrush(color))
        else:
            curve.setSymbol(None)

    def _series(self, name: str) -> _Series:
        found = self.series.get(name)
        if found is None:
            palette = colors()
            taken = sum(1 for n in self.series if _color_index(n, 0) >= len(KNOWN_ORDER))
            color = palette[_color_index(name, taken) % len(palette)]
            # About two samples per pixel (peak keeps the spikes): tens of thousands of points stay cheap.
            raw = self.plot([], [], name=None, autoDownsampleFactor=1.0)
            smooth = self.plot([], [], name=label_for(name), autoDownsampleFactor=1.0)
            for curve in (raw, smooth):
                curve.setDownsampling(auto=True, method="peak")
                curve.setClipToView(True)
                curve.setSkipFiniteCheck(True)
            found = _Series(name, color, SeriesBuffer(), raw, smooth, sparse=True)
            self.series[name] = found
            self._style(found)
        return found

    def add_points(self, name: str, steps: Sequence[float], values: Sequence[float]) -> None:
        """Append points to a series (creating it) and redraw it."""
        series = self._series(name)
        start = series.buffer.size
        if series.buffer.extend(steps, values):
            self._extend_smoothing(series, start)
        else:
            self._recompute(series)
        sparse = series.buffer.size <= SPARSE_POINTS
        if sparse != series.sparse:
            self._mark(series, sparse)
        self._draw(series)

    def _extend_smoothing(self, series: _Series, start: int) -> None:
        buffer = series.buffer
        if len(series.smoothed) < len(buffer._y):
            grown = np.empty(len(buffer._y), dtype=float)
            grown[:start] = series.smoothed[:start]
            series.smoothed = grown
        fresh, series.state, series.correction = ema_extend(
            buffer.y[start:], self.smoothing, series.state, series.correction
        )
        series.smoothed[start : buffer.size] = fresh

    def _recompute(self, series: _Series) -> None:
        series.state, series.correction = 0.0, 1.0
        series.smoothed = np.empty(len(series.buffer._y), dtype=float)
        self._extend_smoothing(series, 0)

    def set_smoothing(self, weight: float) -> None:
        """Change the EMA weight (0 = raw only) and redraw every smoothed curve."""
        self.smoothing = max(0.0, min(0.999, weight))
        for series in self.series.values():
            self._recompute(series)
            self._pens(series)
            self._draw(series)

    def set_epoch_boundaries(self, steps: Iterable[float]) -> None:
        """Vertical dashed lines where epochs end."""
        steps = list(steps)
        if steps == self.epoch_steps:
            return
        item = self.getPlotItem()
        for line in self._epoch_lines:
            item.removeItem(line)
        self._epoch_lines = []
        text = self.palette().color(QPalette.ColorRole.Text)
        muted = QColor(text)
        muted.setAlpha(110)
        for index, step in enumerate(steps, 1):
            line = pg.InfiniteLine(
                pos=step,
                angle=90,
                movable=False,
                pen=pg.mkPen(muted, width=1, style=Qt.PenStyle.DashLine),
                label=f"epoch {index}",
                labelOpts={"position": 0.97, "color": text.name()},
            )
            item.addItem(line, ignoreBounds=True)
            self._epoch_lines.append(line)

    @property
    def epoch_steps(self) -> list[float]:
        """Where the epoch lines are."""
        return [float(line.value()) for line in self._epoch_lines]

    def _mouse_moved(self, position: QPointF) -> None:
        item = self.getPlotItem()
        if not item.sceneBoundingRect().contains(position):
            self.hovered.emit(-1.0)
            return
        step = item.vb.mapSceneToView(position).x()
        self.hovered.emit(float(step))

    def show_crosshair(self, step: float) -> None:
        """Put the crosshair at ``step`` (hidden for a negative step)."""
        self.crosshair.setVisible(step >= 0)
        if step >= 0:
            self.crosshair.setPos(step)

    def values_at(self, step: float) -> list[tuple[str, int, float, float]]:
        """``(name, step, raw, smoothed)`` of each series at the point nearest to ``step``."""
        found = []
        for series in self.series.values():
            xs = series.buffer.x
            if not len(xs):
                continue
            index = int(np.clip(np.searchsorted(xs, step), 0, len(xs) - 1))
            if index > 0 and abs(xs[index - 1] - step) <= abs(xs[index] - step):
                index -= 1
            found.append(
                (series.name, int(xs[index]), float(series.buffer.y[index]), float(series.smoothed[index]))
            )
        return found


class ChartPanel(QWidget):
    """Every metric of one run (or an overlay of several) as charts in a grid, with one read-out line."""

    def __init__(self, parent: QWidget | None = None, *, columns: int = 2) -> None:
        super().__init__(parent)
        self.columns = columns
        self.plots: dict[str, MetricPlot] = {}
        self.smoothing = 0.6
        self._epochs: list[float] = []
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.grid_host = QWidget()
        self.grid = QGridLayout(self.grid_host)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.empty_label = QLabel("No metrics yet: charts appear with the first training step.")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.grid.addWidget(self.empty_label, 0, 0)
        self.readout = QLabel(" ")
        self.readout.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.readout.setWordWrap(True)
        layout.addWidget(self.grid_host, 1)
        layout.addWidget(self.readout)
        theme.theme_signals.changed.connect(self._theme_changed)

    def _theme_changed(self, _dark: bool) -> None:
        for plot in self.plots.values():
            plot.apply_palette()

    def clear(self) -> None:
        """Remove every chart."""
        for plot in self.plots.values():
            self.grid.removeWidget(plot)
            plot.deleteLater()
        self.plots.clear()
        self._epochs = []
        self.empty_label.setVisible(True)
        self.readout.setText(" ")

    def plot_for(self, group: str) -> MetricPlot:
        """The chart of a group (created and placed in the grid on first use)."""
        plot = self.plots.get(group)
        if plot is None:
            plot = MetricPlot(group)
            plot.set_smoothing(self.smoothing)
            plot.set_epoch_boundaries(self._epochs)
            plot.hovered.connect(self._hovered)
            first = next(iter(self.plots.values()), None)
            if first is not None:
                plot.setXLink(first)  # zooming in time zooms every chart
            index = len(self.plots)
            self.plots[group] = plot
            self.empty_label.setVisible(False)
            self.grid.addWidget(plot, index // self.columns, index % self.columns)
        return plot

    def add_points(self, points: Iterable[tuple[str, int, float]], *, prefix: str = "") -> int:
        """Add ``(name, step, value)`` points (any order); returns how many were added."""
        grouped: dict[str, tuple[list[int], list[float]]] = {}
        count = 0
        for name, step, value in points:
            steps, values = grouped.setdefault(name, ([], []))
            steps.append(step)
            values.append(value)
            count += 1
        for name, (steps, values) in grouped.items():
            if any(b < a for a, b in pairwise(steps)):
                order = sorted(range(len(steps)), key=steps.__getitem__)
                steps = [steps[i] for i in order]
                values = [values[i] for i in order]
            self.plot_for(group_for(name)).add_points(prefix + name, steps, values)
        return count

    def add_series(self, name: str, steps: Sequence[float], values: Sequence[float]) -> None:
        """Append points of one series given as columns (in step order is fastest)."""
        if len(steps):
            self.plot_for(group_for(name)).add_points(name, steps, values)

    def series_view(self, name: str) -> tuple[np.ndarray, np.ndarray] | None:
        """A series' raw (steps, values) without copying (do not keep across updates), or None."""
        for plot in self.plots.values():
            series = plot.series.get(name)
            if series is not None:
                return series.buffer.x, series.buffer.y
        return None

    def set_smoothing(self, weight: float) -> None:
        """The EMA weight for every chart."""
        self.smoothing = weight
        for plot in self.plots.values():
            plot.set_smoothing(weight)

    def set_epoch_boundaries(self, steps: Sequence[float]) -> None:
        """Epoch ends on every chart."""
        self._epochs = list(steps)
        for plot in self.plots.values():
            plot.set_epoch_boundaries(self._epochs)

    def reset_zoom(self) -> None:
        """Show all points again."""
        for plot in self.plots.values():
            plot.getPlotItem().enableAutoRange()

    def _hovered(self, step: float) -> None:
        for plot in self.plots.values():
            plot.show_crosshair(step)
        if step < 0:
            return
        parts: list[str] = []
        nearest = None
        for plot in self.plots.values():
            for name, at, raw, smooth in plot.values_at(step):
                nearest = at if nearest is None else nearest
                value = f"{raw:.4g}" if self.smoothing <= 0 else f"{raw:.4g} (smoothed {smooth:.4g})"
                parts.append(f"{label_for(name)} {value}")
        if nearest is not None:
            self.readout.setText(f"Step {nearest}: " + " · ".join(parts))

    def series(self) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        """Every series' raw (steps, values), by name."""
        found: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        for plot in self.plots.values():
            for name, series in plot.series.items():
                found[name] = (series.buffer.x.copy(), series.buffer.y.copy())
        return found

    def csv_bytes(self) -> bytes:
        """All raw series as CSV: one row per step, one column per metric (blank where not reported)."""
        data = self.series()
        names = list(data)
        table: dict[int, dict[str, float]] = {}
        for name, (xs, ys) in data.items():
            for step, value in zip(xs.tolist(), ys.tolist(), strict=True):
                table.setdefault(int(step), {})[name] = value
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["step", *names])
        for step in sorted(table):
            row = table[step]
            writer.writerow([step, *(repr(row[n]) if n in row else "" for n in names)])
        return out.getvalue().encode("utf-8")

    def export_csv(self, path: Path) -> None:
        """Write :meth:`csv_bytes` atomically."""
        atomic_write_bytes(Path(path), self.csv_bytes())

    def png_bytes(self) -> bytes:
        """The charts as they look now, as PNG."""
        image = self.grid_host.grab()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        image.save(buffer, "PNG")
        buffer.close()
        return bytes(data.data())

    def export_png(self, path: Path) -> None:
        """Write the charts as a PNG atomically."""
        atomic_write_bytes(Path(path), self.png_bytes())
