"""Table models of the evaluation views (checked with pytest-qt's qtmodeltester)."""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from dpo_studio.core.records import PreferenceRecord
from dpo_studio.services.evaluation import USER, Evaluation, Verdict

Index = QModelIndex | QPersistentModelIndex


def _short(text: str, limit: int = 140) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


class ComparisonsModel(QAbstractTableModel):
    """One row per comparison of a revealed evaluation: the prompt and who won by whose verdict."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.evaluation: Evaluation | None = None
        self._sources: list[str] = []

    def set_evaluation(self, evaluation: Evaluation | None) -> None:
        """Show ``evaluation`` (None: nothing)."""
        self.beginResetModel()
        self.evaluation = evaluation
        self._sources = ([USER] if evaluation and evaluation.user_judged else []) + (
            list(evaluation.criteria) if evaluation else []
        )
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        if parent.isValid() or self.evaluation is None:
            return 0
        return len(self.evaluation.comparisons)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else 2 + len(self._sources)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        if role != Qt.ItemDataRole.DisplayRole or orientation != Qt.Orientation.Horizontal:
            return None
        if section == 0:
            return "#"
        if section == 1:
            return "Prompt"
        if 2 <= section < 2 + len(self._sources):
            source = self._sources[section - 2]
            return "Your pick" if source == USER else f"Judge: {_short(source, 40)}"
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or self.evaluation is None:
            return None
        comparison = self.evaluation.comparisons[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return str(index.row() + 1)
            if column == 1:
                last = comparison.prompt[-1] if comparison.prompt else {}
                return _short(str(last.get("content") or ""))
            source = self._sources[column - 2]
            verdict = comparison.user if source == USER else comparison.judge.get(source)
            return self.verdict_text(verdict)
        if role == Qt.ItemDataRole.ToolTipRole and column >= 2:
            source = self._sources[column - 2]
            verdict = comparison.user if source == USER else comparison.judge.get(source)
            evaluation = self.evaluation
            winner = {Verdict.A: evaluation.model_a.name, Verdict.B: evaluation.model_b.name}.get(
                verdict or Verdict.TIE
            )
            return "\n".join(t for t in (winner or "", comparison.judge_notes.get(source, "")) if t) or None
        if role == Qt.ItemDataRole.ToolTipRole and column == 1:
            last = comparison.prompt[-1] if comparison.prompt else {}
            return _short(str(last.get("content") or ""), 2000)
        return None

    def verdict_text(self, verdict: Verdict | None) -> str:
        """The winner: "A", "B" or "Tie" ("—" when not judged); the names are in the result's title."""
        if verdict is None or self.evaluation is None:
            return "—"
        return "Tie" if verdict is Verdict.TIE else verdict.value.upper()


class EvaluationsModel(QAbstractTableModel):
    """Saved evaluations, newest first: when, both models, and A's win rate by the user (else the judge)."""

    HEADERS = ("Date", "A (evaluated)", "B (reference)", "Prompts", "Win rate of A", "95% CI", "By")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.evaluations: list[Evaluation] = []

    def set_evaluations(self, evaluations: list[Evaluation]) -> None:
        """Replace the list."""
        self.beginResetModel()
        self.evaluations = list(evaluations)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.evaluations)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        evaluation = self.evaluations[index.row()]
        by_source = evaluation.results().by_source
        source = USER if USER in by_source else next(iter(by_source), "")
        rate = by_source.get(source)
        column = index.column()
        if column == 0:
            return time.strftime("%Y-%m-%d %H:%M", time.localtime(evaluation.created_at))
        if column == 1:
            return evaluation.model_a.name
        if column == 2:
            return evaluation.model_b.name
        if column == 3:
            return str(len(evaluation.comparisons))
        if rate is None or rate.rate is None:
            return "—"
        if column == 4:
            return f"{rate.rate:.0%}"
        if column == 5:
            low, high = rate.interval
            return f"{low:.0%}–{high:.0%}"
        return "you" if source == USER else f"judge: {_short(source, 40)}"


class CandidatePairsModel(QAbstractTableModel):
    """Candidate pairs to review before they are added: checkable, prompt / preferred / rejected."""

    HEADERS = ("Add", "Prompt", "Preferred (winner)", "Rejected")

    def __init__(self, pairs: list[PreferenceRecord], parent: Any = None) -> None:
        super().__init__(parent)
        self.pairs = pairs
        self.checked = [True] * len(pairs)

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.pairs)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        base = super().flags(index)
        if index.isValid() and index.column() == 0:
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        pair = self.pairs[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.CheckStateRole and column == 0:
            return Qt.CheckState.Checked if self.checked[index.row()] else Qt.CheckState.Unchecked
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            limit = 140 if role == Qt.ItemDataRole.DisplayRole else 2000
            if column == 1:
                return _short(pair.last_user_text, limit)
            if column == 2:
                return _short(pair.preferred_text, limit)
            if column == 3:
                return _short(pair.rejected_text, limit)
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        if index.isValid() and index.column() == 0 and role == Qt.ItemDataRole.CheckStateRole:
            state = value.value if isinstance(value, Qt.CheckState) else value
            self.checked[index.row()] = state == Qt.CheckState.Checked.value
            self.dataChanged.emit(index, index, [role])
            return True
        return False

    def chosen(self) -> list[PreferenceRecord]:
        """The checked pairs."""
        return [pair for pair, keep in zip(self.pairs, self.checked, strict=True) if keep]
