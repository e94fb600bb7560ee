"""OpenAI / Azure OpenAI DPO JSONL: ``input.messages`` + ``preferred_output`` + ``non_preferred_output``.

This is the dialect the platforms accept, so it is the one every other dialect is converted to for
upload. ``input`` may also carry ``tools`` and ``parallel_tool_calls``. Message ``content`` is kept as
found (a string, ``null`` or a list of content parts), so nothing is normalised away.

Unknown fields inside ``input`` survive as ``extra["input"]`` (an object holding only those fields) and
are merged back into ``input`` on writing.
"""

from __future__ import annotations

from typing import Any

from dpo_studio.core.dialects import codes
from dpo_studio.core.dialects.base import (
    Dialect,
    add_extra,
    app_only_losses,
    as_message_list,
    clashing_extra,
    extra_fields,
    is_message_list,
    issue,
    key_score,
    not_object_issue,
    read_metadata,
)
from dpo_studio.core.findings import Issue
from dpo_studio.core.records import PreferenceRecord

_KNOWN = ("input", "preferred_output", "non_preferred_output", "metadata")
_INPUT_KNOWN = ("messages", "tools", "parallel_tool_calls")


class OpenAIDPO(Dialect):
    """The platforms' own DPO format."""

    name = "openai_dpo"
    label = "OpenAI / Azure DPO"
    writable = True

    def sniff(self, value: Any) -> float:
        score = key_score(value, ("input", "preferred_output", "non_preferred_output"), ("metadata",))
        if score and isinstance(value.get("input"), dict) and "messages" in value["input"]:
            score = min(1.0, score + 0.1)
        return score

    def parse(self, value: Any) -> tuple[PreferenceRecord, list[Issue]]:
        issues: list[Issue] = []
        record = PreferenceRecord()
        if not isinstance(value, dict):
            return record, [not_object_issue(value)]
        record.extra = extra_fields(value, _KNOWN)
        raw_input = value.get("input")
        if not isinstance(raw_input, dict):
            issues.append(
                issue(codes.OPENAI_NO_INPUT, "The example has no 'input' object with the prompt.", "input")
            )
            if raw_input is not None:
                record.extra["input"] = raw_input
            raw_input = {}
        messages = raw_input.get("messages")
        if messages is None:
            issues.append(issue(codes.MESSAGES_MISSING, "'input.messages' is missing.", "input.messages"))
        elif not is_message_list(messages):
            issues.append(
                issue(
                    codes.NOT_MESSAGE_LIST, "'input.messages' must be a list of messages.", "input.messages"
                )
            )
            input_extra = record.extra.setdefault("input", {})
            input_extra["messages"] = messages
        else:
            record.context = list(messages)
        tools = raw_input.get("tools")
        if isinstance(tools, list):
            record.tools = tools
        elif tools is not None:
            issues.append(
                issue(
                    codes.TOOLS_NOT_LIST, "'input.tools' must be a list of tool definitions.", "input.tools"
                )
            )
            record.extra.setdefault("input", {})["tools"] = tools
        if "parallel_tool_calls" in raw_input:
            record.parallel_tool_calls = raw_input["parallel_tool_calls"]
        input_extra = extra_fields(raw_input, _INPUT_KNOWN)
        if input_extra:
            record.extra.setdefault("input", {}).update(input_extra)
        for side, key in (("preferred", "preferred_output"), ("rejected", "non_preferred_output")):
            answer = value.get(key)
            if answer is None:
                issues.append(issue(codes.ANSWER_MISSING, f"'{key}' is missing.", key))
                continue
            as_list = as_message_list(answer)
            if as_list is None or not isinstance(answer, list):
                issues.append(
                    issue(codes.ANSWER_SHAPE, f"'{key}' must be a list holding one assistant message.", key)
                )
            if as_list is None:
                record.extra[key] = answer
            else:
                setattr(record, side, as_list)
        read_metadata(value, record, issues)
        return record, issues

    def to_json(self, record: PreferenceRecord) -> dict[str, Any]:
        out = self._own_fields(record)
        extra = dict(record.extra)
        input_extra = extra.pop("input", None) if isinstance(record.extra.get("input"), dict) else None
        if input_extra:
            add_extra(out["input"], input_extra)
        add_extra(out, extra)
        return out

    def _own_fields(self, record: PreferenceRecord) -> dict[str, Any]:
        input_obj: dict[str, Any] = {"messages": record.context}
        if record.tools is not None:
            input_obj["tools"] = record.tools
        if record.parallel_tool_calls is not None:
            input_obj["parallel_tool_calls"] = record.parallel_tool_calls
        out: dict[str, Any] = {
            "input": input_obj,
            "preferred_output": record.preferred,
            "non_preferred_output": record.rejected,
        }
        if record.metadata:
            out["metadata"] = record.metadata
        return out

    def losses(self, record: PreferenceRecord) -> list[str]:
        lost = app_only_losses(record)
        if record.split:
            lost.append("split (written as separate training and validation files instead)")
        extra = {k: v for k, v in record.extra.items() if not (k == "input" and isinstance(v, dict))}
        lost.extend(clashing_extra(self._own_fields(record), extra, _KNOWN))
        return lost
