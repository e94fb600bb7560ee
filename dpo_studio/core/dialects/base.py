"""What every dialect module provides, and the helpers they share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from dpo_studio.core.findings import Issue, Severity
from dpo_studio.core.records import PreferenceRecord


class Dialect(ABC):
    """A file dialect: how one JSON object maps to a :class:`PreferenceRecord` and back.

    Subclasses are small and stateless. ``sniff`` scores how well a parsed JSON value fits this dialect
    (0 = not at all, 1 = certainly), ``parse`` maps it to a record plus structural issues (tolerantly:
    missing parts become empty, never an exception), ``to_json`` maps a record back, and ``losses`` names
    what this dialect cannot carry from a record.
    """

    #: Stable identifier used on the command line and in settings, e.g. ``openai_dpo``.
    name: str = ""
    #: Human label, e.g. ``OpenAI / Azure DPO``.
    label: str = ""
    #: Whether records can be written in this dialect.
    writable: bool = False

    @abstractmethod
    def sniff(self, value: Any) -> float:
        """Score in [0, 1] for how well one parsed JSON value fits this dialect."""

    @abstractmethod
    def parse(self, value: Any) -> tuple[PreferenceRecord, list[Issue]]:
        """Map a parsed JSON value to a record, reporting structural issues instead of raising."""

    def to_json(self, record: PreferenceRecord) -> dict[str, Any]:
        """Map a record to a JSON object of this dialect (only for writable dialects)."""
        raise NotImplementedError(f"{self.label} files can be read but not written")

    def losses(self, record: PreferenceRecord) -> list[str]:
        """Plain-language names of what this dialect cannot carry from ``record`` (empty: lossless)."""
        return []


def issue(code: str, message: str, field: str = "", severity: Severity = Severity.ERROR) -> Issue:
    """Shorthand for a structural issue."""
    return Issue(code, severity, message, field)


def key_score(value: Any, required: tuple[str, ...], optional: tuple[str, ...] = ()) -> float:
    """Score an object by the share of required keys present, lowered by keys foreign to the dialect."""
    if not isinstance(value, dict) or not required:
        return 0.0
    present = sum(1 for key in required if key in value)
    if present == 0:
        return 0.0
    known = set(required) | set(optional)
    foreign = sum(1 for key in value if key not in known)
    score = present / len(required)
    return max(0.0, score - 0.05 * foreign)


def as_message_list(value: Any) -> list[dict[str, Any]] | None:
    """A list of message dicts, a single message dict wrapped in a list, or ``None`` if neither."""
    if isinstance(value, dict):
        return [value]
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        return list(value)
    return None
