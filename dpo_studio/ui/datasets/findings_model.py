"""Findings grouped by rule: a two-level tree model (rule -> its findings) over plain lists.

Top-level rows are rules (finding codes) with their counts; children are the findings of that rule.
Children carry ``internalId = group number + 1`` so their parent is found without any per-row object;
top-level rows carry 0.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt

from dpo_studio.core.dataset_index import SEVERITY_RANK
from dpo_studio.core.findings import Finding, Severity
from dpo_studio.ui.datasets.icons import severity_icon

#: Role returning the :class:`Finding` of a child row (``None`` on group rows).
FindingRole = Qt.ItemDataRole.UserRole + 1
#: Role returning the :class:`FindingGroup` of a group row (``None`` on child rows).
GroupRole = Qt.ItemDataRole.UserRole + 2

_ModelIndex = QModelIndex | QPersistentModelIndex
_SEVERITY_WORD = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


@dataclass
class FindingGroup:
    """All findings of one rule."""

    code: str
    severity: Severity
    title: str
    findings: list[Finding] = field(default_factory=list)

    @property
    def fixable(self) -> int:
        """How many of the findings have a mechanical fix."""
        return sum(1 for finding in self.findings if finding.fix is not None)


def rule_title(code: str, fallback: str = "") -> str:
    """What the rule ``code`` checks, in a few words (the validator's rule list), else ``fallback``."""
    from dpo_studio.core.validation import RULES

    rule = RULES.get(code)
    if rule is None:
        return fallback
    text = rule[1]
    return text[:1].upper() + text[1:]


def group_findings(findings: Sequence[Finding]) -> list[FindingGroup]:
    """Group by code, worst severity first, then by count (largest first), then by code."""
    groups: dict[str, FindingGroup] = {}
    for finding in findings:
        group = groups.get(finding.code)
        if group is None:
            title = rule_title(finding.code, finding.message)
            group = groups[finding.code] = FindingGroup(finding.code, finding.severity, title)
        elif SEVERITY_RANK[finding.severity] > SEVERITY_RANK[group.severity]:
            group.severity = finding.severity
        group.findings.append(finding)
    return sorted(groups.values(), key=lambda g: (-SEVERITY_RANK[g.severity], -len(g.findings), g.code))


class FindingsModel(QAbstractItemModel):
    """Rule groups with counts, each expandable into its findings."""

    HEADERS = ("Finding", "Where")

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._groups: list[FindingGroup] = []

    @property
    def groups(self) -> list[FindingGroup]:
        """The groups shown, in order."""
        return self._groups

    def set_findings(self, findings: Sequence[Finding]) -> None:
        """Show ``findings`` (replacing what was shown)."""
        self.beginResetModel()
        self._groups = group_findings(findings)
        self.endResetModel()

    def total(self) -> int:
        """How many findings are shown."""
        return sum(len(group.findings) for group in self._groups)

    def group_row(self, code: str) -> int:
        """The row of the group for ``code``, or -1."""
        for row, group in enumerate(self._groups):
            if group.code == code:
                return row
        return -1

    # -- QAbstractItemModel ------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: _ModelIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column < 0 or column >= len(self.HEADERS) or row < 0:
            return QModelIndex()
        if not parent.isValid():
            if row >= len(self._groups):
                return QModelIndex()
            return self.createIndex(row, column, 0)
        if parent.internalId() != 0 or parent.column() != 0:
            return QModelIndex()
        group_row = parent.row()
        if group_row >= len(self._groups) or row >= len(self._groups[group_row].findings):
            return QModelIndex()
        return self.createIndex(row, column, group_row + 1)

    def parent(self, child: _ModelIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not child.isValid():
            return QModelIndex()
        group = child.internalId()
        if group == 0:
            return QModelIndex()
        return self.createIndex(group - 1, 0, 0)

    def rowCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        if not parent.isValid():
            return len(self._groups)
        if parent.internalId() != 0 or parent.column() != 0:
            return 0
        row = parent.row()
        return len(self._groups[row].findings) if 0 <= row < len(self._groups) else 0

    def columnCount(self, parent: _ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return len(self.HEADERS)

    def hasChildren(self, parent: _ModelIndex = QModelIndex()) -> bool:  # noqa: B008 - Qt's signature
        return self.rowCount(parent) > 0

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if horizontal and role == Qt.ItemDataRole.DisplayRole and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return None

    def flags(self, index: _ModelIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: _ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        group_id = index.internalId()
        if group_id == 0:
            if not 0 <= index.row() < len(self._groups):
                return None
            return self._group_data(self._groups[index.row()], index.column(), role)
        if not 0 < group_id <= len(self._groups):
            return None
        findings = self._groups[group_id - 1].findings
        if not 0 <= index.row() < len(findings):
            return None
        return self._finding_data(findings[index.row()], index.column(), role)

    def _group_data(self, group: FindingGroup, column: int, role: int) -> Any:
        count = len(group.findings)
        if role == GroupRole:
            return group
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return f"{group.code}  {group.title}"
            return f"{count:,} {_SEVERITY_WORD[group.severity]}{'s' if count != 1 else ''}"
        if role == Qt.ItemDataRole.ToolTipRole:
            fixable = group.fixable
            fix = f"\n{fixable:,} can be fixed automatically (Fix all)." if fixable else ""
            return f"{group.code}: {group.title}\n{count:,} finding{'s' if count != 1 else ''}.{fix}"
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            return severity_icon(group.severity)
        return None

    def _finding_data(self, finding: Finding, column: int, role: int) -> Any:
        if role == FindingRole:
            return finding
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return finding.message
            return finding.location()
        if role == Qt.ItemDataRole.ToolTipRole:
            fix = f"\nFix: {finding.fix.label}" if finding.fix is not None else ""
            return f"{finding.describe()}{fix}"
        if role == Qt.ItemDataRole.DecorationRole and column == 0:
            return severity_icon(finding.severity)
        return None
