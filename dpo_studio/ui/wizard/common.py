"""Small pieces every wizard page uses: inline problem and note labels, background loading of data."""

from __future__ import annotations

import html
from collections.abc import Sequence
from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from dpo_studio.core.dataset import Dataset
from dpo_studio.core.findings import Finding, Severity
from dpo_studio.core.quality import quality_report
from dpo_studio.core.tokens import count_dataset_tokens
from dpo_studio.core.training_data import content_sha256, subset
from dpo_studio.core.validation import Profile, open_and_validate, validate_dataset
from dpo_studio.ui.wizard.state import LoadedData

#: Readable on the light and the dark palette.
PROBLEM_COLOR = "#d04437"
WARNING_COLOR = "#b7791f"
#: How many findings a page lists before summing up the rest.
FINDINGS_SHOWN = 6


def wrapped_label(text: str = "", parent: QWidget | None = None, *, rich: bool = False) -> QLabel:
    """A word-wrapped label whose text can be selected and copied."""
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.RichText if rich else Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label


class ProblemLabel(QLabel):
    """An inline explanation of what is wrong with a field (hidden when nothing is)."""

    def __init__(self, parent: QWidget | None = None, *, warning: bool = False) -> None:
        super().__init__(parent)
        self.setWordWrap(True)
        self.setObjectName("wizardWarning" if warning else "wizardProblem")
        self.setStyleSheet(f"color: {WARNING_COLOR if warning else PROBLEM_COLOR};")
        self.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.hide()

    def show_problems(self, problems: Sequence[str]) -> None:
        """Show the problems (one per line), or hide the label when there are none."""
        self.setText("\n".join(problems))
        self.setVisible(bool(problems))


def hint_label(text: str, parent: QWidget | None = None) -> QLabel:
    """A small, secondary explanation under a field."""
    label = wrapped_label(text, parent)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 0.92)
    label.setFont(font)
    label.setForegroundRole(label.foregroundRole())
    label.setEnabled(True)
    label.setObjectName("wizardHint")
    return label


def findings_html(findings: Sequence[Finding], shown: int = FINDINGS_SHOWN) -> str:
    """Errors first, then warnings, each with its line, as a short HTML list."""
    ordered = [f for f in findings if f.severity is Severity.ERROR] + [
        f for f in findings if f.severity is Severity.WARNING
    ]
    rows = []
    for finding in ordered[:shown]:
        color = PROBLEM_COLOR if finding.severity is Severity.ERROR else WARNING_COLOR
        where = f"line {finding.line}: " if finding.line else ""
        word = "Error" if finding.severity is Severity.ERROR else "Warning"
        rows.append(
            f"<li><span style='color:{color}'>{word}</span> — {html.escape(where + finding.message)}</li>"
        )
    rest = len(ordered) - shown
    more = f"<p>… and {rest} more (the Datasets tab lists them all).</p>" if rest > 0 else ""
    return f"<ul style='margin-left: -20px'>{''.join(rows)}</ul>{more}" if rows else ""


def load_local_data(
    profile: Profile,
    *,
    path: Path | None = None,
    dataset: Dataset | None = None,
    progress: object = None,
) -> LoadedData:
    """Read (or take) a dataset and check it with ``profile``: findings, tokens, length bias, content hash.

    Runs in a background task. ``progress`` is the task's ``progress(done, total, text)``.
    """
    report_progress = progress if callable(progress) else None

    def step(done: int, total: int) -> None:
        if report_progress is not None:
            report_progress(done, total, "checking")

    if dataset is None:
        assert path is not None
        dataset, report = open_and_validate(path, profile, progress=step)
    else:
        report = validate_dataset(dataset, profile, progress=step)
    if report_progress is not None:
        report_progress(0, 0, "counting tokens")
    records = list(dataset.iter_records())
    _per_entry, tokens = count_dataset_tokens(records, profile.model)
    length = quality_report(records).length
    return LoadedData(dataset, path or dataset.path, report, tokens, length, content_sha256(dataset))


def overlap_findings(
    training: LoadedData, indices: Sequence[int] | None, validation: Dataset, profile: Profile
) -> list[Finding]:
    """Train/validation overlap (and duplicate) findings of a training part against validation data."""
    train = subset(training.dataset, indices) if indices is not None else training.dataset
    report = validate_dataset(train, profile, validation=validation)
    return [f for f in report.findings if f.code in ("DPO133",)]
