"""Findings: what the reader and the validator say about a dataset, with where and how to fix it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from dpo_studio.core.records import PreferenceRecord


class Severity(StrEnum):
    """How bad a finding is. Errors make the platform reject the file; warnings make a run worse."""

    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


#: A mechanical fix: takes a copy of the record and returns the repaired record.
FixFunction = Callable[["PreferenceRecord"], "PreferenceRecord"]


@dataclass(frozen=True, slots=True)
class Fix:
    """A mechanical repair offered for a finding."""

    label: str
    apply: FixFunction


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem found in a dataset.

    ``entry`` is the index of the entry in the dataset (``None`` for file-level findings), ``line``
    and ``column`` are 1-based positions in the source file (0 when unknown or for new records),
    ``field`` is a dotted path inside the record such as ``input.messages[2].role``.
    """

    code: str
    severity: Severity
    message: str
    entry: int | None = None
    line: int = 0
    column: int = 0
    field: str = ""
    fix: Fix | None = None

    def location(self) -> str:
        """``line 12, column 5`` style location text for messages."""
        if not self.line:
            return "file" if self.entry is None else f"example {self.entry + 1}"
        if self.column:
            return f"line {self.line}, column {self.column}"
        return f"line {self.line}"

    def describe(self) -> str:
        """One line for humans: ``line 3: [DPO103] message``."""
        where = f" ({self.field})" if self.field else ""
        return f"{self.location()}: {self.severity.value} {self.code}{where}: {self.message}"


@dataclass(frozen=True, slots=True)
class Issue:
    """A structural problem a dialect met while mapping a JSON object to a record (no position yet)."""

    code: str
    severity: Severity
    message: str
    field: str = ""
