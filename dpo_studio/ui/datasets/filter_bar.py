"""The filter bar above the examples table: text, finding, split and tag."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QLineEdit, QWidget

from dpo_studio.core.dataset_index import (
    ANY_FINDING,
    ERRORS,
    NO_FINDING,
    NO_SPLIT,
    UNTAGGED,
    WARNINGS,
    RowFilter,
)
from dpo_studio.core.records import TRAIN, VALIDATION

#: Milliseconds of quiet typing before the text filter is applied.
TYPING_DELAY_MS = 200


class FilterBar(QWidget):
    """Emits ``filterChanged(RowFilter)`` whenever the user changes a criterion."""

    filterChanged = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.text = QLineEdit(self)
        self.text.setPlaceholderText("Search prompts and answers…")
        self.text.setClearButtonEnabled(True)
        self.text.setAccessibleName("Search text")
        self.finding = self._combo("Filter by finding")
        self.split = self._combo("Filter by split")
        self.tag = self._combo("Filter by tag")
        layout.addWidget(self.text, 3)
        for label, combo in (("Finding:", self.finding), ("Split:", self.split), ("Tag:", self.tag)):
            caption = QLabel(label, self)
            caption.setBuddy(combo)
            layout.addWidget(caption)
            layout.addWidget(combo, 1)
        self._typing = QTimer(self)
        self._typing.setSingleShot(True)
        self._typing.setInterval(TYPING_DELAY_MS)
        self._typing.timeout.connect(self._emit)
        self.text.textChanged.connect(self._typing.start)
        self.text.returnPressed.connect(self._emit)
        self.set_choices([], [], {})
        for combo in (self.finding, self.split, self.tag):
            combo.currentIndexChanged.connect(self._emit)

    def _combo(self, name: str) -> QComboBox:
        combo = QComboBox(self)
        combo.setAccessibleName(name)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        combo.setMinimumContentsLength(10)
        return combo

    def current(self) -> RowFilter:
        """The filter the controls describe."""
        return RowFilter(
            text=self.text.text().strip(),
            finding=str(self.finding.currentData() or ""),
            split=str(self.split.currentData() or ""),
            tag=str(self.tag.currentData() or ""),
        )

    def set_choices(self, codes: Sequence[str], tags: Sequence[str], titles: dict[str, str]) -> None:
        """Offer these finding codes (with their titles) and tags, keeping the current choices."""
        self._fill(
            self.finding,
            [
                ("All examples", ""),
                ("Any finding", ANY_FINDING),
                ("Errors", ERRORS),
                ("Errors and warnings", WARNINGS),
                ("No findings", NO_FINDING),
            ]
            + [(f"{code} {titles.get(code, '')}".strip(), code) for code in codes],
        )
        self._fill(
            self.split,
            [("All splits", ""), ("Training", TRAIN), ("Validation", VALIDATION), ("No split", NO_SPLIT)],
        )
        self._fill(self.tag, [("All tags", ""), ("Untagged", UNTAGGED)] + [(tag, tag) for tag in tags])

    def _fill(self, combo: QComboBox, items: list[tuple[str, str]]) -> None:
        current = combo.currentData()
        combo.blockSignals(True)
        try:
            combo.clear()
            for label, value in items:
                combo.addItem(label, value)
                combo.setItemData(combo.count() - 1, label, 3)  # ToolTipRole: long codes stay readable
            position = combo.findData(current) if current is not None else 0
            if position < 0:
                # The chosen code or tag no longer exists: keep it listed so the filter stays visible.
                combo.addItem(str(current), current)
                position = combo.count() - 1
            combo.setCurrentIndex(max(position, 0))
        finally:
            combo.blockSignals(False)

    def select(self, combo: QComboBox, value: str) -> None:
        """Choose ``value`` in ``combo`` (adding it if needed) and apply the filter."""
        position = combo.findData(value)
        if position < 0:
            combo.addItem(value, value)
            position = combo.count() - 1
        combo.setCurrentIndex(position)

    def clear(self) -> None:
        """Show every example again."""
        for combo in (self.finding, self.split, self.tag):
            combo.blockSignals(True)
            combo.setCurrentIndex(0)
            combo.blockSignals(False)
        self.text.blockSignals(True)
        self.text.clear()
        self.text.blockSignals(False)
        self._emit()

    def _emit(self) -> None:
        self._typing.stop()
        self.filterChanged.emit(self.current())
