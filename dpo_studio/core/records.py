"""The in-memory model of one preference example, independent of any file dialect.

Messages are kept as plain dictionaries in the OpenAI chat format (``role``, ``content``,
``tool_calls``, ``tool_call_id``, ``name`` ...) because every dialect we read can be mapped onto it and
every dialect we write can be produced from it. Fields a dialect does not know survive in ``extra``.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

Message = dict[str, Any]

#: Canonical split names. OpenPipe's TRAIN/TEST map onto these.
TRAIN = "train"
VALIDATION = "validation"


@dataclass(slots=True)
class PreferenceRecord:
    """One DPO example: a context (prompt) and a preferred and a rejected answer."""

    context: list[Message] = field(default_factory=list)
    preferred: list[Message] = field(default_factory=list)
    rejected: list[Message] = field(default_factory=list)
    tools: list[dict[str, Any]] | None = None
    parallel_tool_calls: bool | None = None
    split: str | None = None
    metadata: dict[str, Any] = field(default_factory=dict)
    notes: str = ""
    tags: list[str] = field(default_factory=list)
    #: Top-level fields of the source object that the dialect did not interpret, in source order.
    extra: dict[str, Any] = field(default_factory=dict)

    def clone(self) -> PreferenceRecord:
        """A deep copy, so edits to the copy never reach the original."""
        return copy.deepcopy(self)

    # -- convenient read-only views -------------------------------------------------------------

    @property
    def system_prompt(self) -> str:
        """Text of the first system message of the context, or an empty string."""
        for message in self.context:
            if message.get("role") == "system":
                return message_text(message)
        return ""

    @property
    def last_user_text(self) -> str:
        """Text of the final user turn of the context (what the answers respond to)."""
        for message in reversed(self.context):
            if message.get("role") == "user":
                return message_text(message)
        return ""

    @property
    def preferred_text(self) -> str:
        """The preferred answer as plain text (all its messages joined)."""
        return "\n".join(message_text(m) for m in self.preferred)

    @property
    def rejected_text(self) -> str:
        """The rejected answer as plain text (all its messages joined)."""
        return "\n".join(message_text(m) for m in self.rejected)

    def prompt_key(self) -> str:
        """A stable string identifying the prompt (the context), used for grouping and overlap checks."""
        parts = [f"{m.get('role', '')}\x1f{message_text(m)}" for m in self.context]
        return "\x1e".join(parts)


def message_text(message: Message) -> str:
    """The textual content of a message, whatever shape its ``content`` has.

    Content may be a string, ``None`` (tool-call turns), or a list of parts such as
    ``{"type": "text", "text": ...}`` (OpenAI) or ``{"type": "text", "value": ...}`` (LLaMA-Factory v1).
    Tool calls are rendered as ``name(arguments)`` so that they are visible and comparable.
    """
    content = message.get("content")
    pieces: list[str] = []
    if isinstance(content, str):
        pieces.append(content)
    elif isinstance(content, list):
        for part in content:
            if isinstance(part, str):
                pieces.append(part)
            elif isinstance(part, dict):
                text = part.get("text", part.get("value"))
                if isinstance(text, str):
                    pieces.append(text)
    tool_calls = message.get("tool_calls")
    if isinstance(tool_calls, list):
        for call in tool_calls:
            if isinstance(call, dict):
                function = call.get("function") or {}
                if isinstance(function, dict):
                    pieces.append(f"{function.get('name', '?')}({function.get('arguments', '')})")
    return "\n".join(pieces)
