"""OpenPipe DPO JSONL: ``messages`` ending in the preferred assistant turn plus ``rejected_message``.

Each line may also carry ``split`` (``"TRAIN"`` or ``"TEST"``, mapped to ``train``/``validation``),
``metadata`` (an object of strings), and the chat request fields ``tools``, ``tool_choice`` and
``parallel_tool_calls``. See the OpenPipe DPO docs (``shared/seeds/003_*``).
"""

from __future__ import annotations

from typing import Any

from dpo_studio.core.dialects import codes
from dpo_studio.core.dialects.base import (
    Dialect,
    add_extra,
    app_only_losses,
    clashing_extra,
    extra_fields,
    is_message_list,
    issue,
    key_score,
    not_object_issue,
    read_metadata,
    read_tools,
)
from dpo_studio.core.findings import Issue, Severity
from dpo_studio.core.records import TRAIN, VALIDATION, PreferenceRecord

_KNOWN = ("messages", "rejected_message", "split", "metadata", "tools", "parallel_tool_calls")
_SPLIT_IN = {"TRAIN": TRAIN, "TEST": VALIDATION}
_SPLIT_OUT = {TRAIN: "TRAIN", VALIDATION: "TEST"}


class OpenPipe(Dialect):
    """OpenPipe's chat-completion format with a rejected message."""

    name = "openpipe"
    label = "OpenPipe DPO"
    writable = True

    def sniff(self, value: Any) -> float:
        if not isinstance(value, dict) or "messages" not in value:
            return 0.0
        score = key_score(value, ("messages", "rejected_message"), (*_KNOWN, "tool_choice"))
        if isinstance(value.get("rejected_message"), dict):
            score = min(1.0, score + 0.1)
        return score

    def parse(self, value: Any) -> tuple[PreferenceRecord, list[Issue]]:
        record = PreferenceRecord()
        if not isinstance(value, dict):
            return record, [not_object_issue(value)]
        issues: list[Issue] = []
        record.extra = extra_fields(value, _KNOWN)
        messages = value.get("messages")
        if messages is None:
            issues.append(issue(codes.MESSAGES_MISSING, "'messages' is missing.", "messages"))
        elif not is_message_list(messages):
            issues.append(issue(codes.NOT_MESSAGE_LIST, "'messages' must be a list of messages.", "messages"))
            record.extra["messages"] = messages
        elif messages and messages[-1].get("role") == "assistant":
            record.context = list(messages[:-1])
            record.preferred = [messages[-1]]
        else:
            issues.append(
                issue(
                    codes.OPENPIPE_NO_PREFERRED,
                    "'messages' must end with the preferred assistant answer.",
                    f"messages[{len(messages) - 1}]" if messages else "messages",
                )
            )
            record.context = list(messages)
        rejected = value.get("rejected_message")
        if rejected is None:
            issues.append(issue(codes.ANSWER_MISSING, "'rejected_message' is missing.", "rejected_message"))
        elif isinstance(rejected, dict):
            record.rejected = [rejected]
        else:
            issues.append(
                issue(
                    codes.ANSWER_SHAPE, "'rejected_message' must be one message object.", "rejected_message"
                )
            )
            record.extra["rejected_message"] = rejected
        self._parse_split(value, record, issues)
        read_metadata(value, record, issues)
        read_tools(value, record, issues)
        return record, issues

    @staticmethod
    def _parse_split(value: dict[str, Any], record: PreferenceRecord, issues: list[Issue]) -> None:
        if "split" not in value or value["split"] is None:
            if "split" in value:
                record.extra["split"] = None
            return
        split = value["split"]
        mapped = _SPLIT_IN.get(split.upper()) if isinstance(split, str) else None
        if mapped is not None and split == _SPLIT_OUT[mapped]:
            record.split = mapped
            return
        if mapped is not None:
            record.split = mapped
            issues.append(
                issue(
                    codes.UNKNOWN_SPLIT,
                    f"'split' is {split!r}; OpenPipe writes it as {_SPLIT_OUT[mapped]!r}.",
                    "split",
                    Severity.INFO,
                )
            )
            return
        issues.append(
            issue(
                codes.UNKNOWN_SPLIT,
                f"'split' is {split!r}, neither 'TRAIN' nor 'TEST'; it is kept as it is.",
                "split",
                Severity.WARNING,
            )
        )
        record.extra["split"] = split

    def to_json(self, record: PreferenceRecord) -> dict[str, Any]:
        out = self._own_fields(record)
        add_extra(out, record.extra)
        return out

    def _own_fields(self, record: PreferenceRecord) -> dict[str, Any]:
        out: dict[str, Any] = {"messages": [*record.context, *record.preferred[-1:]]}
        out["rejected_message"] = record.rejected[0] if record.rejected else None
        if record.split in _SPLIT_OUT:
            out["split"] = _SPLIT_OUT[record.split]
        if record.metadata:
            out["metadata"] = record.metadata
        if record.tools is not None:
            out["tools"] = record.tools
        if record.parallel_tool_calls is not None:
            out["parallel_tool_calls"] = record.parallel_tool_calls
        return out

    def losses(self, record: PreferenceRecord) -> list[str]:
        lost = app_only_losses(record)
        if len(record.preferred) > 1:
            lost.append("preferred answers of several messages (only the last one is kept)")
        if len(record.rejected) > 1:
            lost.append("rejected answers of several messages (only the first one is kept)")
        if record.split and record.split not in _SPLIT_OUT:
            lost.append(f"split {record.split!r} (OpenPipe knows only TRAIN and TEST)")
        lost.extend(clashing_extra(self._own_fields(record), record.extra, _KNOWN))
        return lost
