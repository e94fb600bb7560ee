"""The findings of the current example, shown between the prompt and the answers, with their fixes."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QScrollArea, QVBoxLayout, QWidget

from dpo_studio.core.findings import Finding, Severity

_BADGE = {
    Severity.ERROR: ("Error", "#c62828"),
    Severity.WARNING: ("Warning", "#b26a00"),
    Severity.INFO: ("Note", "#2e6fb8"),
}

#: At most this many findings are visible without scrolling.
VISIBLE_ROWS = 4


class FindingsStrip(QFrame):
    """A short list of findings; each mechanical one has its fix button. ``fixRequested(finding)``."""

    fixRequested = Signal(object)
    #: The user clicked a finding's field: show that field (``finding``).
    showRequested = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("findingsStrip")
        self._findings: list[Finding] = []
        self._shown_once = False
        #: Whether a field path can be shown (the editor sets this); fields that cannot are plain text.
        self.can_show: Callable[[str], bool] = lambda _field: False
        self.summary = QLabel()
        self.summary.setObjectName("findingsSummary")
        self.rows = QWidget()
        self.rows_layout = QVBoxLayout(self.rows)
        self.rows_layout.setContentsMargins(0, 0, 0, 0)
        self.rows_layout.setSpacing(2)
        self.list_area = QScrollArea()
        self.list_area.setWidgetResizable(True)
        self.list_area.setFrameShape(QFrame.Shape.NoFrame)
        self.list_area.setWidget(self.rows)
        self.list_area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 2, 0, 2)
        layout.setSpacing(2)
        layout.addWidget(self.summary)
        layout.addWidget(self.list_area)
        self.show_findings([])

    @property
    def findings(self) -> list[Finding]:
        """The findings shown."""
        return list(self._findings)

    def show_findings(self, findings: Sequence[Finding]) -> None:
        """Show ``findings`` (errors first); an empty list shows a short all-clear line."""
        order = {Severity.ERROR: 0, Severity.WARNING: 1, Severity.INFO: 2}
        ordered = sorted(findings, key=lambda f: order.get(f.severity, 3))
        same = [(f.code, f.message, f.field) for f in ordered] == [
            (f.code, f.message, f.field) for f in self._findings
        ]
        if same and self._shown_once and self.rows_layout.count() == len(ordered):
            self._findings = ordered  # same problems: keep the widgets (and keyboard focus) as they are
            return
        self._findings = ordered
        self._shown_once = True
        while self.rows_layout.count():
            item = self.rows_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for finding in ordered:
            self.rows_layout.addWidget(self._row(finding))
        errors = sum(1 for f in ordered if f.severity is Severity.ERROR)
        if not ordered:
            self.summary.setText("<span style='color: #2e8b3d'>✓</span> No findings for this example.")
        else:
            parts = [f"{len(ordered)} finding{'s' if len(ordered) != 1 else ''}"]
            if errors:
                parts.append(f"{errors} the platform would reject")
            self.summary.setText("<b>" + ", ".join(parts) + "</b>")
        self.list_area.setVisible(bool(ordered))
        self._fit_height()

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Messages wrap differently at another width: fit the list's height again."""
        super().resizeEvent(event)
        self._fit_height()

    def _fit_height(self) -> None:
        """As tall as the rows need (they wrap), up to about VISIBLE_ROWS two-line rows; then it scrolls."""
        if not self._findings:
            return
        # The strip's own width: the scroll area's viewport may not have its final size yet.
        width = max(100, self.contentsRect().width())
        if self.rows_layout.hasHeightForWidth():
            needed = self.rows_layout.totalHeightForWidth(width)
        else:
            needed = self.rows_layout.totalSizeHint().height()
        cap = VISIBLE_ROWS * (2 * self.fontMetrics().lineSpacing() + 8)
        self.list_area.setFixedHeight(min(needed, cap) + 2)

    def _row(self, finding: Finding) -> QWidget:
        row = QWidget()
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        label, colour = _BADGE.get(finding.severity, ("Note", "#2e6fb8"))
        badge = QLabel(label)
        badge.setStyleSheet(
            f"color: white; background: {colour}; border-radius: 3px; padding: 1px 5px; font-weight: bold;"
        )
        badge.setAlignment(Qt.AlignmentFlag.AlignCenter)
        where = ""
        flags = Qt.TextInteractionFlag.TextSelectableByMouse
        if finding.field and self.can_show(finding.field):
            # The field is a link: clicking it puts the cursor where the problem is.
            where = f" (<a href='show'>{_escape(finding.field)}</a>)"
            flags |= (
                Qt.TextInteractionFlag.LinksAccessibleByMouse
                | Qt.TextInteractionFlag.LinksAccessibleByKeyboard
            )
        elif finding.field:
            where = f" <i>({_escape(finding.field)})</i>"
        text = QLabel(f"{_escape(finding.message)}{where} <span style='color: gray'>{finding.code}</span>")
        text.setObjectName("findingText")
        text.setWordWrap(True)
        text.setTextInteractionFlags(flags)
        text.setToolTip(finding.describe())
        text.linkActivated.connect(lambda _link, finding=finding: self.showRequested.emit(finding))
        layout.addWidget(badge, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(text, 1, Qt.AlignmentFlag.AlignTop)
        if finding.fix is not None:
            button = QPushButton(finding.fix.label)
            button.setObjectName("findingFix")
            button.setToolTip(f"Fix it: {finding.fix.label} (undoable)")
            button.clicked.connect(lambda _checked=False, finding=finding: self.fixRequested.emit(finding))
            layout.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
        return row


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
