"""The split dialog: training/validation by ratio and seed, examples grouped by prompt."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFormLayout,
    QLabel,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

DEFAULT_RATIO = 0.1
DEFAULT_SEED = 42


class SplitDialog(QDialog):
    """Emits ``splitRequested(ratio, seed, keep_existing)`` when the user clicks Split."""

    splitRequested = Signal(float, int, bool)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("splitDialog")
        self.setWindowTitle("Split into training and validation")
        intro = QLabel(
            "Put a share of the examples in the validation set. Examples with the same prompt always go "
            "to the same side, so validation measures prompts the model has not trained on.",
            self,
        )
        intro.setWordWrap(True)
        self.ratio = QDoubleSpinBox(self)
        self.ratio.setRange(1, 50)
        self.ratio.setDecimals(0)
        self.ratio.setSuffix(" %")
        self.ratio.setValue(DEFAULT_RATIO * 100)
        self.ratio.setAccessibleName("Validation share")
        self.seed = QSpinBox(self)
        self.seed.setRange(0, 2**31 - 1)
        self.seed.setValue(DEFAULT_SEED)
        self.seed.setToolTip("The same seed always gives the same split")
        self.keep = QCheckBox("Keep examples that already have a split where they are", self)
        self.keep.setChecked(True)
        form = QFormLayout()
        form.addRow("Validation share:", self.ratio)
        form.addRow("Seed:", self.seed)
        form.addRow(self.keep)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.split_button = buttons.addButton("Split", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(buttons)
        intro.setMinimumWidth(intro.fontMetrics().averageCharWidth() * 60)

    def accept(self) -> None:
        """Ask the tab to split, then close."""
        self.splitRequested.emit(self.ratio.value() / 100, self.seed.value(), self.keep.isChecked())
        super().accept()
