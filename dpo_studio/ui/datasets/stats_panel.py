"""The statistics panel: counts, token distribution, length bias, duplicates and the cost of a run."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from dpo_studio.core.findings import Finding
from dpo_studio.core.pricing import PriceTable, estimate_cost, load_price_table
from dpo_studio.ui.datasets.statistics import DatasetStatistics
from dpo_studio.ui.datasets.wording import plural

PROVIDERS = (("azure", "Azure OpenAI"), ("foundry", "Microsoft Foundry"), ("openai", "OpenAI (legacy)"))
#: Histogram bins of the token distribution.
BINS = 40


def _value_label(parent: QWidget) -> QLabel:
    label = QLabel("—", parent)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    label.setWordWrap(True)
    return label


class StatsPanel(QWidget):
    """Shows a :class:`DatasetStatistics`; the tab computes it in the background."""

    #: The user asked for fresh numbers.
    refreshRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.statistics: DatasetStatistics | None = None
        self._prices: PriceTable | None = None
        self._token_model = ""

        content = QWidget(self)
        layout = QVBoxLayout(content)
        self.stale_label = QLabel("", content)
        self.stale_label.setWordWrap(True)
        self.refresh_button = QPushButton("Refresh", content)
        self.refresh_button.setToolTip("Count tokens and recompute the statistics")
        self.refresh_button.clicked.connect(self.refreshRequested)
        top = QHBoxLayout()
        top.addWidget(self.stale_label, 1)
        top.addWidget(self.refresh_button)
        layout.addLayout(top)

        counts = QGroupBox("Examples", content)
        form = QFormLayout(counts)
        self.examples_value = _value_label(counts)
        self.split_value = _value_label(counts)
        self.unreadable_value = _value_label(counts)
        self.duplicates_value = _value_label(counts)
        form.addRow("Examples:", self.examples_value)
        form.addRow("Split:", self.split_value)
        form.addRow("Unreadable lines:", self.unreadable_value)
        form.addRow("Duplicates:", self.duplicates_value)
        layout.addWidget(counts)

        tokens = QGroupBox("Tokens per example", content)
        tokens_layout = QVBoxLayout(tokens)
        self.tokens_value = _value_label(tokens)
        self.bias_value = _value_label(tokens)
        self.plot = pg.PlotWidget(tokens)
        self.plot.setMinimumHeight(self.fontMetrics().height() * 11)
        self.plot.setMenuEnabled(False)
        self.plot.setMouseEnabled(x=False, y=False)
        self.plot.hideButtons()
        self.plot.setLabel("bottom", "tokens (prompt + longer answer)")
        self.plot.setLabel("left", "examples")
        self.plot.setAccessibleName("Token distribution histogram")
        self._bars: pg.BarGraphItem | None = None
        self._limit_line: pg.InfiniteLine | None = None
        self._style_plot()
        tokens_layout.addWidget(self.tokens_value)
        tokens_layout.addWidget(self.plot)
        tokens_layout.addWidget(self.bias_value)
        layout.addWidget(tokens)

        cost = QGroupBox("Cost of a training run", content)
        cost_form = QFormLayout(cost)
        self.provider_combo = QComboBox(cost)
        for key, label in PROVIDERS:
            self.provider_combo.addItem(label, key)
        self.model_combo = QComboBox(cost)
        self.tier_combo = QComboBox(cost)
        self.epochs_spin = QSpinBox(cost)
        self.epochs_spin.setRange(0, 50)
        self.epochs_spin.setSpecialValueText("auto")
        self.epochs_spin.setToolTip("Epochs (1–50); 'auto' uses the platform's rule for the dataset size")
        self.cost_value = _value_label(cost)
        self.cost_notes = _value_label(cost)
        self.cost_notes.setObjectName("costNotes")
        cost_form.addRow("Platform:", self.provider_combo)
        cost_form.addRow("Model:", self.model_combo)
        cost_form.addRow("Tier:", self.tier_combo)
        cost_form.addRow("Epochs:", self.epochs_spin)
        cost_form.addRow("Estimate:", self.cost_value)
        cost_form.addRow(self.cost_notes)
        layout.addWidget(cost)
        layout.addStretch(1)

        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(content)
        scroll.setFrameShape(QScrollArea.Shape.NoFrame)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        outer.addWidget(scroll)

        self.provider_combo.currentIndexChanged.connect(self._provider_changed)
        self.model_combo.currentIndexChanged.connect(self._update_cost)
        self.tier_combo.currentIndexChanged.connect(self._update_cost)
        self.epochs_spin.valueChanged.connect(self._update_cost)
        self._provider_changed()
        self.clear()

    # -- data --------------------------------------------------------------------------------------

    def prices(self) -> PriceTable:
        """The price table (bundled prices plus the user's prices.json), loaded once."""
        if self._prices is None:
            self._prices = load_price_table()
        return self._prices

    def clear(self) -> None:
        """No numbers yet (a dataset was just opened)."""
        self.statistics = None
        for label in (self.examples_value, self.split_value, self.unreadable_value, self.duplicates_value):
            label.setText("—")
        self.tokens_value.setText("Counting tokens…")
        self.bias_value.setText("")
        self.plot.clear()
        self._bars = None
        self.stale_label.setText("")
        self._update_cost()

    def set_platform(self, provider: str, model: str) -> None:
        """Preselect the platform and model the dataset is checked for (the user may pick others)."""
        position = self.provider_combo.findData(provider)
        if position >= 0 and position != self.provider_combo.currentIndex():
            self.provider_combo.setCurrentIndex(position)
        if self.model_combo.findText(model) >= 0:
            self.model_combo.setCurrentText(model)

    def set_stale(self, stale: bool) -> None:
        """Say that the numbers are older than the dataset (large datasets refresh on request)."""
        self.stale_label.setText("The dataset changed since these numbers were computed." if stale else "")

    def set_findings(self, findings: Sequence[Finding]) -> None:
        """The validator's duplicate count, shown next to the exact-duplicate count."""
        if self.statistics is not None:
            self.statistics.duplicate_findings = sum(1 for f in findings if f.code == "DPO130")
            self._show_duplicates(self.statistics)

    def show_statistics(self, stats: DatasetStatistics, token_model: str) -> None:
        """Show ``stats`` (tokens counted with ``token_model``'s tokenizer)."""
        self.statistics = stats
        self._token_model = token_model
        self.examples_value.setText(plural(stats.examples, "example"))
        self.split_value.setText(
            f"{stats.training:,} training, {stats.validation:,} validation, {stats.unassigned:,} not assigned"
            + (" (these train)" if stats.unassigned else "")
        )
        self.unreadable_value.setText(
            f"{stats.unreadable:,} (kept as they are; fix or delete them before upload)"
            if stats.unreadable
            else "none"
        )
        self._show_duplicates(stats)
        values = np.fromiter(stats.longest.values(), dtype=np.int64, count=len(stats.longest))
        if values.size:
            self.tokens_value.setText(
                f"median {int(np.median(values)):,}, 95th percentile {int(np.percentile(values, 95)):,}, "
                f"longest {int(values.max()):,}; {plural(stats.over_limit, 'example')} over the "
                f"{stats.token_limit:,}-token limit of {token_model}"
            )
        else:
            self.tokens_value.setText("No examples to count.")
        self._plot(values, stats.token_limit)
        self.bias_value.setText(stats.quality.length.verdict())
        self._update_cost()

    def _show_duplicates(self, stats: DatasetStatistics) -> None:
        quality = stats.quality
        parts = [
            f"{plural(stats.duplicate_findings, 'repeated example')}",
            f"{plural(len(quality.duplicate_prompts), 'prompt')} used by several pairs",
            f"{plural(len(quality.near_duplicate_prompts), 'group')} of near-identical prompts",
        ]
        if quality.identical_count:
            parts.append(f"{plural(quality.identical_count, 'pair')} with identical answers")
        if quality.contradiction_count:
            parts.append(f"{plural(quality.contradiction_count, 'contradicting pair')}")
        self.duplicates_value.setText("; ".join(parts))

    # -- the histogram -----------------------------------------------------------------------------

    def _style_plot(self) -> None:
        palette = self.palette()
        self.plot.setBackground(palette.color(QPalette.ColorRole.Base))
        text = palette.color(QPalette.ColorRole.Text)
        for axis in ("left", "bottom"):
            item = self.plot.getAxis(axis)
            item.setPen(text)
            item.setTextPen(text)

    def _plot(self, values: np.ndarray, limit: int) -> None:
        self.plot.clear()
        self._bars = None
        if not values.size:
            return
        counts, edges = np.histogram(values, bins=min(BINS, max(1, len(np.unique(values)))))
        widths = np.diff(edges)
        colour = self.palette().color(QPalette.ColorRole.Highlight)
        self._bars = pg.BarGraphItem(
            x0=edges[:-1], width=widths, height=counts, brush=colour, pen=pg.mkPen(colour.darker(130))
        )
        self.plot.addItem(self._bars)
        if values.max() > limit * 0.8:
            self._limit_line = pg.InfiniteLine(limit, angle=90, pen=pg.mkPen("r", style=Qt.PenStyle.DashLine))
            self.plot.addItem(self._limit_line)

    def histogram(self) -> tuple[list[float], list[float]]:
        """The bars shown: (left edges, heights); for tests."""
        if self._bars is None:
            return [], []
        options = self._bars.opts
        return list(map(float, options["x0"])), list(map(float, options["height"]))

    # -- cost --------------------------------------------------------------------------------------

    def _provider_changed(self) -> None:
        provider = str(self.provider_combo.currentData())
        table = self.prices()
        key = "azure" if provider == "foundry" else provider
        models = list(dict.fromkeys(p.model for p in table.prices if p.provider == key))
        for combo, items in ((self.model_combo, models), (self.tier_combo, table.tiers(provider))):
            current = combo.currentText()
            combo.blockSignals(True)
            combo.clear()
            combo.addItems(items)
            if current in items:
                combo.setCurrentText(current)
            elif combo is self.model_combo and "gpt-4.1-mini-2025-04-14" in items:
                combo.setCurrentText("gpt-4.1-mini-2025-04-14")
            combo.blockSignals(False)
        self.tier_combo.setEnabled(self.tier_combo.count() > 1)
        self._update_cost()

    def _update_cost(self) -> None:
        stats = self.statistics
        if stats is None:
            self.cost_value.setText("Waiting for the token count…")
            self.cost_notes.setText("")
            return
        epochs = self.epochs_spin.value() or None
        estimate = estimate_cost(
            stats.billed_low,
            stats.billed_high,
            examples=stats.billed_examples,
            provider=str(self.provider_combo.currentData()),
            model=self.model_combo.currentText(),
            tier=self.tier_combo.currentText() or None,
            epochs=epochs,
            table=self.prices(),
        )
        self.cost_value.setText(estimate.describe())
        notes = [
            f"{estimate.tokens_low:,}–{estimate.tokens_high:,} billed tokens per epoch "
            f"({plural(stats.billed_examples, 'training example')}; validation examples are free)."
        ]
        if self._token_model and self._token_model != self.model_combo.currentText():
            notes.append(f"Tokens were counted with the tokenizer of {self._token_model}.")
        notes.extend(estimate.notes)
        self.cost_notes.setText("\n".join(notes))
        self.estimate = estimate
