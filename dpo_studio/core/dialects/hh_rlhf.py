"""Anthropic HH-RLHF: ``chosen`` and ``rejected`` are whole Human/Assistant transcripts.

Each transcript is cut into turns at its speaker markers; the turns both sides share are the context
and what follows is each side's answer (usually the final assistant turn), as TRL's implicit prompt
does. Read only: the transcript form cannot carry system prompts, tools or metadata.
"""

from __future__ import annotations

import re
from typing import Any, TypeGuard

from dpo_studio.core.dialects import codes
from dpo_studio.core.dialects.base import Dialect, extra_fields, issue, not_object_issue, text_message
from dpo_studio.core.dialects.prefix import implicit_message_split
from dpo_studio.core.findings import Issue, Severity
from dpo_studio.core.records import Message, PreferenceRecord

_KNOWN = ("chosen", "rejected")
_MARKER = re.compile(r"\n\n(Human|Assistant):")
_ROLE = {"Human": "user", "Assistant": "assistant"}


def is_transcript(text: Any) -> TypeGuard[str]:
    """Whether ``text`` is a Human/Assistant transcript."""
    return isinstance(text, str) and "\n\nHuman:" in text and "\n\nAssistant:" in text


def transcript_messages(text: str, field: str) -> tuple[list[Message], list[Issue]]:
    """Cut a transcript into chat messages at its speaker markers (one space after a marker is dropped)."""
    issues: list[Issue] = []
    parts = _MARKER.split(text)
    # parts = [preamble, speaker, text, speaker, text, ...]
    messages: list[Message] = []
    preamble = parts[0]
    if len(parts) == 1:
        issues.append(
            issue(
                codes.TRANSCRIPT_MARKERS,
                f"'{field}' has no '\\n\\nHuman:' / '\\n\\nAssistant:' markers; it is read as one answer.",
                field,
            )
        )
        return [text_message("assistant", text)], issues
    if preamble.strip():
        issues.append(
            issue(
                codes.TRANSCRIPT_PREAMBLE,
                f"'{field}' has text before its first speaker marker; it is read as a user turn.",
                field,
                Severity.WARNING,
            )
        )
        messages.append(text_message("user", preamble))
    for position in range(1, len(parts), 2):
        content = parts[position + 1]
        if content.startswith(" "):
            content = content[1:]
        messages.append(text_message(_ROLE[parts[position]], content))
    return messages, issues


class HHRLHF(Dialect):
    """Human/Assistant transcripts, one pair of whole conversations per line."""

    name = "hh_rlhf"
    label = "Anthropic HH-RLHF (transcripts)"
    writable = False

    def sniff(self, value: Any) -> float:
        if not isinstance(value, dict):
            return 0.0
        chosen, rejected = value.get("chosen"), value.get("rejected")
        if not (is_transcript(chosen) and isinstance(rejected, str)):
            return 0.0
        foreign = sum(1 for key in value if key not in _KNOWN)
        score = 1.0 if chosen.startswith("\n\nHuman:") else 0.9
        return max(0.0, score - 0.03 * foreign)

    def parse(self, value: Any) -> tuple[PreferenceRecord, list[Issue]]:
        record = PreferenceRecord()
        if not isinstance(value, dict):
            return record, [not_object_issue(value)]
        issues: list[Issue] = []
        record.extra = extra_fields(value, _KNOWN)
        sides: list[list[Message]] = []
        for key in _KNOWN:
            text = value.get(key)
            if isinstance(text, str):
                messages, found = transcript_messages(text, key)
                issues.extend(found)
                sides.append(messages)
                continue
            if text is None:
                issues.append(issue(codes.ANSWER_MISSING, f"'{key}' is missing.", key))
            else:
                issues.append(issue(codes.ANSWER_SHAPE, f"'{key}' must be a transcript text.", key))
            if key in value:
                record.extra[key] = text
            sides.append([])
        chosen, rejected = sides
        if chosen and rejected:
            index, found = implicit_message_split(chosen, rejected)
            issues.extend(found)
        else:
            index = 0
        record.context = chosen[:index]
        record.preferred = chosen[index:]
        record.rejected = rejected[index:]
        return record, issues
