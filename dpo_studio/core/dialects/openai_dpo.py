"""OpenAI / Azure OpenAI DPO JSONL: ``input.messages`` + ``preferred_output`` + ``non_preferred_output``.

This is the dialect the platforms accept, so it is the one every other dialect is converted to for
upload. ``input`` may also carry ``tools`` and ``parallel_tool_calls``.
"""

from __future__ import annotations

from typing import Any

from dpo_studio.core.dialects.base import Dialect, as_message_list, issue, key_score
from dpo_studio.core.findings import Issue
from dpo_studio.core.records import PreferenceRecord

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
            return record, [issue("DPO002", "The line is valid JSON but not an object {...}.")]
        raw_input = value.get("input")
        if not isinstance(raw_input, dict):
            issues.append(
                issue("DPO010", "The example has no 'input' object with the prompt messages.", "input")
            )
            raw_input = {}
        messages = raw_input.get("messages")
        if messages is None:
            issues.append(issue("DPO011", "'input.messages' is missing.", "input.messages"))
        elif as_message_list(messages) is None or isinstance(messages, dict):
            issues.append(issue("DPO012", "'input.messages' must be a list of messages.", "input.messages"))
        else:
            record.context = list(messages)
        tools = raw_input.get("tools")
        if tools is not None:
            if isinstance(tools, list):
                record.tools = tools
            else:
                issues.append(
                    issue("DPO013", "'input.tools' must be a list of tool definitions.", "input.tools")
                )
        if "parallel_tool_calls" in raw_input:
            record.parallel_tool_calls = raw_input["parallel_tool_calls"]
        input_extra = {k: v for k, v in raw_input.items() if k not in _INPUT_KNOWN}
        for side, key in (("preferred", "preferred_output"), ("rejected", "non_preferred_output")):
            answer = value.get(key)
            if answer is None:
                issues.append(issue("DPO014", f"'{key}' is missing.", key))
                continue
            as_list = as_message_list(answer)
            if as_list is None or not isinstance(answer, list):
                issues.append(issue("DPO015", f"'{key}' must be a list holding one assistant message.", key))
                if as_list is not None:
                    setattr(record, side, as_list)
                continue
            setattr(record, side, as_list)
        if isinstance(value.get("metadata"), dict):
            record.metadata = dict(value["metadata"])
        record.extra = {
            k: v
            for k, v in value.items()
            if k not in ("input", "preferred_output", "non_preferred_output", "metadata")
        }
        if input_extra:
            record.extra["__input_extra__"] = input_extra
        return record, issues

    def to_json(self, record: PreferenceRecord) -> dict[str, Any]:
        extra = dict(record.extra)
        input_extra = extra.pop("__input_extra__", {})
        input_obj: dict[str, Any] = {"messages": record.context}
        if record.tools is not None:
            input_obj["tools"] = record.tools
        if record.parallel_tool_calls is not None:
            input_obj["parallel_tool_calls"] = record.parallel_tool_calls
        input_obj.update(input_extra)
        out: dict[str, Any] = {
            "input": input_obj,
            "preferred_output": record.preferred,
            "non_preferred_output": record.rejected,
        }
        if record.metadata:
            out["metadata"] = record.metadata
        out.update(extra)
        return out

    def losses(self, record: PreferenceRecord) -> list[str]:
        lost = []
        if record.notes:
            lost.append("notes")
        if record.tags:
            lost.append("tags")
        if record.split:
            lost.append("split (written as separate training and validation files instead)")
        return lost
