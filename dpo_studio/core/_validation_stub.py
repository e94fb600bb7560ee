"""TEMPORARY stand-in for ``core.validation`` (owned by H2) so the document works before it lands.

Delete this file once ``dpo_studio.core.validation`` exists.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from dpo_studio.core.findings import Finding, Issue


@dataclass(frozen=True)
class Profile:
    """Which platform rules apply."""

    name: str = "azure"
    model: str = "gpt-4.1-mini-2025-04-14"


@dataclass
class ValidationReport:
    """Findings of a whole dataset."""

    findings: list[Finding] = field(default_factory=list)
    example_count: int = 0
    tokens: dict[int, int] = field(default_factory=dict)


def profile_for(provider: str = "azure", model: str = "gpt-4.1-mini-2025-04-14") -> Profile:
    """The rules of ``provider`` for ``model``."""
    return Profile(provider, model)


def validate_record(
    record: Any, profile: Profile, *, entry: int | None = None, line: int = 0, issues: Sequence[Issue] = ()
) -> list[Finding]:
    """Structural issues only."""
    return [Finding(i.code, i.severity, i.message, entry, line, 0, i.field) for i in issues]


def validate_dataset(
    dataset: Any,
    profile: Profile,
    *,
    validation: Any = None,
    progress: Callable[[int, int], None] | None = None,
) -> ValidationReport:
    """Read findings plus per-record structural issues."""
    findings = list(dataset.read_findings())
    count = 0
    for index in dataset.record_indices():
        record, issues = dataset.parse_entry(index)
        count += 1
        findings.extend(
            validate_record(record, profile, entry=index, line=dataset.entries[index].line, issues=issues)
        )
    return ValidationReport(findings, count)
