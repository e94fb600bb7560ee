"""The page a screen shows while it has nothing to show: a centred column with a title and a hint."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QHBoxLayout, QLabel, QVBoxLayout, QWidget


class EmptyState(QWidget):
    """A large title and a word-wrapped hint, centred in a column of readable width.

    Subclasses add their buttons to :attr:`column` and end it with ``column.addStretch(3)``.
    """

    def __init__(
        self, title: str = "", hint: str = "", *, title_scale: float = 1.5, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        # A centred column of readable width: word-wrapped labels get their height from that width.
        box = QWidget(self)
        box.setMaximumWidth(self.fontMetrics().averageCharWidth() * 80)
        outer = QHBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(box, 4)
        outer.addStretch(1)
        self.column = QVBoxLayout(box)
        self.column.addStretch(2)
        self.title = QLabel(title)
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * title_scale)
        font.setBold(True)
        self.title.setFont(font)
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint = QLabel(hint)
        self.hint.setWordWrap(True)
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.column.addWidget(self.title)
        self.column.addSpacing(self.title.fontMetrics().height() // 2)
        self.column.addWidget(self.hint)

    def line_height(self) -> int:
        """The height of one line of the title: the gap between the column's groups."""
        return self.title.fontMetrics().height()
