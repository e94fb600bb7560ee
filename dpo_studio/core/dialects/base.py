"""What every dialect module provides, and the helpers they share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any, TypeGuard

from dpo_studio.core.dialects import codes
from dpo_studio.core.findings import Issue, Severity
from dpo_studio.core.records import Message, PreferenceRecord, message_text


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

    def follow_style(self, values: Sequence[Any]) -> Dialect:
        """This dialect set up to write new records the way ``values`` (a file's records) are written.

        Most dialects have one way of writing a record and return themselves; TRL, for example, also
        remembers whether the file leaves the prompt implicit.
        """
        return self


def issue(code: str, message: str, field: str = "", severity: Severity = Severity.ERROR) -> Issue:
    """Shorthand for a structural issue."""
    return Issue(code, severity, message, field)


def not_object_issue(value: Any) -> Issue:
    """The issue for a record that is valid JSON but not an object, saying what it is instead."""
    if isinstance(value, list) and value and all(isinstance(item, dict) and "role" in item for item in value):
        message = (
            "The line is a bare list of chat messages (one conversation), not an example object with a "
            "preferred and a rejected answer."
        )
    elif isinstance(value, list):
        message = "The line is a JSON array, not an example object {...}."
    else:
        message = "The line is valid JSON but not an example object {...}."
    return Issue(codes.NOT_OBJECT, Severity.ERROR, message)


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


def is_message_list(value: Any) -> TypeGuard[list[dict[str, Any]]]:
    """Whether ``value`` is a list whose items are all objects (an empty list counts)."""
    return isinstance(value, list) and all(isinstance(item, dict) for item in value)


def text_message(role: str, text: str) -> Message:
    """A chat message with plain string content."""
    return {"role": role, "content": text}


def extra_fields(value: dict[str, Any], known: Sequence[str]) -> dict[str, Any]:
    """The top-level fields of ``value`` that a dialect does not interpret, in source order."""
    known_set = frozenset(known)
    if value.keys() <= known_set:  # the usual case, checked at C speed
        return {}
    return {key: item for key, item in value.items() if key not in known_set}


def add_extra(out: dict[str, Any], extra: dict[str, Any]) -> None:
    """Append a record's unknown fields to an object being written; the dialect's own fields win."""
    for key, item in extra.items():
        if key not in out:
            out[key] = item


def clashing_extra(out: dict[str, Any], extra: dict[str, Any], own: Sequence[str]) -> list[str]:
    """Losses for unknown fields whose names the target dialect uses for something else.

    Keys in ``own`` (the dialect's own field names) are skipped: an extra field by such a name holds a
    malformed source value that the record's own field replaces once it is set.
    """
    return [
        f"field '{key}' (the name is taken in this format)" for key in extra if key in out and key not in own
    ]


def missing_answer(value: dict[str, Any], key: str, record: PreferenceRecord, issues: list[Issue]) -> None:
    """Report an absent answer field; an explicit ``null`` is kept so it is written back as it was."""
    issues.append(issue(codes.ANSWER_MISSING, f"'{key}' is missing.", key))
    if key in value:
        record.extra[key] = None


def read_metadata(
    value: dict[str, Any], record: PreferenceRecord, issues: list[Issue], *, warn: bool = True
) -> None:
    """Take a top-level ``metadata`` object; any other value is kept as it is (with a warning if ``warn``)."""
    metadata = value.get("metadata")
    if isinstance(metadata, dict):
        record.metadata = dict(metadata)
    elif "metadata" in value:
        if warn:
            issues.append(
                issue(
                    codes.METADATA_NOT_OBJECT,
                    "'metadata' is not an object; it is kept as it is.",
                    "metadata",
                    Severity.WARNING,
                )
            )
        record.extra["metadata"] = metadata


def read_tools(value: dict[str, Any], record: PreferenceRecord, issues: list[Issue]) -> None:
    """Take top-level ``tools`` (a list of definitions) and ``parallel_tool_calls``; bad tools are kept."""
    tools = value.get("tools")
    if isinstance(tools, list):
        record.tools = tools
    elif tools is not None:
        issues.append(issue(codes.TOOLS_NOT_LIST, "'tools' must be a list of tool definitions.", "tools"))
        record.extra["tools"] = tools
    if "parallel_tool_calls" in value:
        record.parallel_tool_calls = value["parallel_tool_calls"]


def app_only_losses(record: PreferenceRecord) -> list[str]:
    """What no file dialect carries: the editor's notes and tags."""
    lost = []
    if record.notes:
        lost.append("notes")
    if record.tags:
        lost.append("tags")
    return lost


def is_plain_text(message: Message) -> bool:
    """Whether a message is nothing but a role and text (so a plain string can stand for it)."""
    content = message.get("content")
    if set(message) - {"role", "content"}:
        return False
    if isinstance(content, str):
        return True
    if isinstance(content, list):
        return all(
            isinstance(part, dict) and part.get("type") == "text" and set(part) <= {"type", "text", "value"}
            for part in content
        )
    return False


def joined_text(messages: Sequence[Message]) -> str:
    """Several messages as one text, blank-line separated (how string dialects fold turns)."""
    return "\n\n".join(message_text(message) for message in messages)
