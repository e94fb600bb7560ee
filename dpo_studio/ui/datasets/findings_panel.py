"""The findings panel: findings grouped by rule with counts, "Fix" and "Fix all"."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QModelIndex, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from dpo_studio.core.findings import Finding
from dpo_studio.ui.datasets.findings_model import FindingGroup, FindingRole, FindingsModel, GroupRole
from dpo_studio.ui.datasets.wording import plural


class FindingsPanel(QWidget):
    """Shows the findings; the tab reacts to its signals (it owns the session)."""

    #: A finding's example was chosen (entry index): select it and open it in the editor.
    findingActivated = Signal(int)
    #: Apply the fix of one finding.
    fixRequested = Signal(object)
    #: Apply every available fix of a group (a list of findings).
    fixAllRequested = Signal(object)
    #: Show only the examples with this code in the table.
    filterRequested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = FindingsModel(self)
        self.summary = QLabel("No dataset checked yet.", self)
        self.summary.setWordWrap(True)
        self.view = QTreeView(self)
        self.view.setModel(self.model)
        self.view.setUniformRowHeights(True)
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setAlternatingRowColors(True)
        self.view.setAccessibleName("Findings by rule")
        header = self.view.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.fix_button = QPushButton("Fix", self)
        self.fix_button.setToolTip("Apply the suggested fix to the selected finding's example (undoable)")
        self.fix_all_button = QPushButton("Fix all", self)
        self.fix_all_button.setToolTip(
            "Apply the suggested fix to every example with this finding (undoable)"
        )
        self.show_button = QPushButton("Show examples", self)
        self.show_button.setToolTip("Filter the table to the examples with this finding")
        buttons = QHBoxLayout()
        buttons.addWidget(self.show_button)
        buttons.addStretch(1)
        buttons.addWidget(self.fix_button)
        buttons.addWidget(self.fix_all_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.summary)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self.view.selectionModel().currentChanged.connect(self._update_buttons)
        self.view.activated.connect(self._activate)
        self.view.clicked.connect(self._activate)
        self.fix_button.clicked.connect(self._fix)
        self.fix_all_button.clicked.connect(self._fix_all)
        self.show_button.clicked.connect(self._show)
        self._update_buttons()

    def set_findings(self, findings: Sequence[Finding], *, checking: bool = False) -> None:
        """Show ``findings``, keeping the selected rule expanded and selected where possible."""
        current = self.selected_group()
        expanded = {
            self.model.groups[row].code
            for row in range(self.model.rowCount())
            if self.view.isExpanded(self.model.index(row, 0))
        }
        self.model.set_findings(findings)
        for code in expanded:
            row = self.model.group_row(code)
            if row >= 0:
                self.view.expand(self.model.index(row, 0))
        if current is not None:
            row = self.model.group_row(current.code)
            if row >= 0:
                self.view.setCurrentIndex(self.model.index(row, 0))
        self.set_summary(findings, checking=checking)
        self._update_buttons()

    def set_summary(self, findings: Sequence[Finding], *, checking: bool) -> None:
        """The one-line count above the tree."""
        errors = sum(1 for f in findings if f.severity.value == "error")
        warnings = sum(1 for f in findings if f.severity.value == "warning")
        others = len(findings) - errors - warnings
        if not findings:
            text = "Checking…" if checking else "No findings: the platforms should accept this file."
        else:
            text = f"{plural(errors, 'error')}, {plural(warnings, 'warning')}"
            if others:
                text += f", {plural(others, 'note')}"
            text += " (checking again…)" if checking else ""
        self.summary.setText(text)

    def set_checking(self, text: str) -> None:
        """Say that a check is running (before any result)."""
        self.summary.setText(text)

    def selected_finding(self) -> Finding | None:
        """The selected child row's finding, if a finding (not a rule) is selected."""
        value = self.view.currentIndex().data(FindingRole)
        return value if isinstance(value, Finding) else None

    def selected_group(self) -> FindingGroup | None:
        """The rule group selected, or the group of the selected finding."""
        index = self.view.currentIndex()
        if not index.isValid():
            return None
        if index.parent().isValid():
            index = index.parent()
        group = index.siblingAtColumn(0).data(GroupRole)
        return group if isinstance(group, FindingGroup) else None

    def _update_buttons(self, *_args: object) -> None:
        finding = self.selected_finding()
        group = self.selected_group()
        self.fix_button.setEnabled(finding is not None and finding.fix is not None)
        fixable = group.fixable if group is not None else 0
        self.fix_all_button.setEnabled(fixable > 0)
        self.fix_all_button.setText(f"Fix all ({fixable:,})" if fixable else "Fix all")
        if finding is not None and finding.fix is not None:
            self.fix_button.setToolTip(f"{finding.fix.label} (undoable)")
        self.show_button.setEnabled(group is not None)

    def _activate(self, index: QModelIndex) -> None:
        finding = index.data(FindingRole)
        if isinstance(finding, Finding) and finding.entry is not None:
            self.findingActivated.emit(finding.entry)

    def _fix(self) -> None:
        finding = self.selected_finding()
        if finding is not None and finding.fix is not None:
            self.fixRequested.emit(finding)

    def _fix_all(self) -> None:
        group = self.selected_group()
        if group is not None and group.fixable:
            self.fixAllRequested.emit([f for f in group.findings if f.fix is not None])

    def _show(self) -> None:
        group = self.selected_group()
        if group is not None:
            self.filterRequested.emit(group.code)


def expand_group(panel: FindingsPanel, code: str) -> QModelIndex:
    """Expand and select the group for ``code`` (tests and keyboard users); returns its index."""
    row = panel.model.group_row(code)
    if row < 0:
        return QModelIndex()
    index = panel.model.index(row, 0)
    panel.view.expand(index)
    panel.view.setCurrentIndex(index)
    return index
