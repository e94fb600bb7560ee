"""ShareGPT / LLaMA-Factory preference records (read only).

Three layouts (https://github.com/hiyouga/LLaMA-Factory, ``data/README.md``):

- *ranking*: ``conversations`` (or ``messages``) is the prompt as a list of turns ``{"from", "value"}``
  (or ``{"role", "content"}``); ``chosen`` and ``rejected`` are the answers, one turn object or a list
  of turns; optional ``system`` (text) and ``tools`` (a JSON text or a list of function definitions).
  Speakers ``human``, ``gpt``, ``system``, ``function_call`` (a JSON call) and ``observation`` (a tool
  result) become user, assistant, system, assistant tool calls and tool messages.
- *alpaca*: ``instruction`` (+ optional ``input``, ``system`` and ``history`` of [question, answer]
  pairs) is the prompt; ``chosen`` and ``rejected`` are answer texts.
- *v1*: ``chosen_messages`` and ``rejected_messages`` are whole conversations of ``{"role", "content",
  "loss_weight"}`` messages whose content is a list of parts such as ``{"type": "text", "value": ...}``;
  their shared start is the prompt.

Files are often JSON arrays rather than JSON Lines; the reader handles both.
"""

from __future__ import annotations

import json
from typing import Any

from dpo_studio.core.dialects import codes
from dpo_studio.core.dialects.base import (
    Dialect,
    extra_fields,
    issue,
    missing_answer,
    not_object_issue,
    text_message,
)
from dpo_studio.core.dialects.prefix import implicit_message_split
from dpo_studio.core.findings import Issue, Severity
from dpo_studio.core.records import Message, PreferenceRecord

_RANKING_KNOWN = ("conversations", "messages", "chosen", "rejected", "system", "tools")
_V1_KNOWN = ("chosen_messages", "rejected_messages", "tools")
_ALPACA_KNOWN = ("instruction", "input", "history", "chosen", "rejected", "system", "tools")
_ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "model": "assistant",
    "system": "system",
    "observation": "tool",
    "tool": "tool",
    "function": "tool",
}
_FUNCTION_CALL = "function_call"
_MEDIA_PARTS = ("image", "image_url", "input_image", "audio", "input_audio", "video", "video_url", "file")


class _ToolCallIds:
    """Gives tool calls ids and matches tool results to them in order (ShareGPT has no ids)."""

    def __init__(self, start: int = 0) -> None:
        self.next_id = start
        self.pending: list[str] = []

    def new(self) -> str:
        self.next_id += 1
        call_id = f"call_{self.next_id}"
        self.pending.append(call_id)
        return call_id

    def answer(self) -> str | None:
        return self.pending.pop(0) if self.pending else None

    def copy(self) -> _ToolCallIds:
        twin = _ToolCallIds(self.next_id)
        twin.pending = list(self.pending)
        return twin


def _function_calls(value: Any, ids: _ToolCallIds) -> list[dict[str, Any]] | None:
    """OpenAI ``tool_calls`` from a ShareGPT ``function_call`` value (JSON text of one call or a list)."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return None
    calls = value if isinstance(value, list) else [value]
    out = []
    for call in calls:
        if not isinstance(call, dict) or not isinstance(call.get("name"), str):
            return None
        arguments = call.get("arguments", {})
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments, ensure_ascii=False)
        out.append(
            {"id": ids.new(), "type": "function", "function": {"name": call["name"], "arguments": arguments}}
        )
    return out


def _turn(item: Any, field: str, ids: _ToolCallIds, issues: list[Issue]) -> Message | None:
    """One ShareGPT turn as a chat message, or ``None`` (with an issue) when it is not an object."""
    if not isinstance(item, dict):
        issues.append(
            issue(codes.MESSAGE_NOT_OBJECT, f"'{field}' is not a message object; it is skipped.", field)
        )
        return None
    speaker_key, text_key = ("from", "value") if "from" in item or "value" in item else ("role", "content")
    speaker = item.get(speaker_key)
    text = item.get(text_key)
    rest = {key: val for key, val in item.items() if key not in (speaker_key, text_key)}
    if speaker == _FUNCTION_CALL:
        calls = _function_calls(text, ids)
        if calls is not None:
            return {"role": "assistant", "content": None, "tool_calls": calls, **rest}
        issues.append(
            issue(
                codes.FUNCTION_CALL_TEXT,
                f"'{field}' is a function_call turn whose value is not a JSON call with a name; "
                "it is read as assistant text.",
                field,
            )
        )
        return {"role": "assistant", "content": text, **rest}
    role = _ROLES.get(speaker) if isinstance(speaker, str) else None
    if role is None:
        issues.append(
            issue(
                codes.UNKNOWN_SPEAKER,
                f"'{field}' has the speaker {speaker!r}, which is not a known ShareGPT speaker.",
                f"{field}.{speaker_key}",
            )
        )
        return {"role": speaker, "content": text, **rest}
    message: Message = {"role": role, "content": text, **rest}
    if role == "tool" and "tool_call_id" not in message:
        call_id = ids.answer()
        if call_id is not None:
            message["tool_call_id"] = call_id
    return message


def _turns(items: list[Any], field: str, ids: _ToolCallIds, issues: list[Issue]) -> list[Message]:
    messages = []
    for position, item in enumerate(items):
        message = _turn(item, f"{field}[{position}]", ids, issues)
        if message is not None:
            messages.append(message)
    return messages


def _tools(value: Any, issues: list[Issue], extra: dict[str, Any]) -> list[dict[str, Any]] | None:
    """OpenAI tool definitions from a ShareGPT ``tools`` value (JSON text or list of functions)."""
    if isinstance(value, str):
        if not value.strip():
            return None
        try:
            value = json.loads(value)
        except ValueError:
            issues.append(
                issue(codes.TOOLS_TEXT, "'tools' is text that is not JSON; it is kept as it is.", "tools")
            )
            extra["tools"] = value
            return None
    if isinstance(value, dict):
        value = [value]
    if not isinstance(value, list):
        issues.append(issue(codes.TOOLS_NOT_LIST, "'tools' must be a list of function definitions.", "tools"))
        extra["tools"] = value
        return None
    tools = []
    for tool in value:
        if isinstance(tool, dict) and "function" not in tool and "name" in tool:
            tools.append({"type": "function", "function": tool})
        else:
            tools.append(tool)
    return tools


def _v1_message(item: Any, field: str, issues: list[Issue], weights: list[str]) -> Message | None:
    """A LLaMA-Factory v1 message as a chat message: content parts joined, ``loss_weight`` dropped."""
    if not isinstance(item, dict):
        issues.append(
            issue(codes.MESSAGE_NOT_OBJECT, f"'{field}' is not a message object; it is skipped.", field)
        )
        return None
    message = {key: val for key, val in item.items() if key != "loss_weight"}
    role = message.get("role")
    if isinstance(role, str) and role in _ROLES:
        message["role"] = _ROLES[role]
    elif "role" in message:
        issues.append(
            issue(
                codes.UNKNOWN_SPEAKER,
                f"'{field}' has the role {role!r}, which is not known.",
                f"{field}.role",
            )
        )
    weight = item.get("loss_weight")
    default = 1.0 if message.get("role") == "assistant" else 0.0
    if weight is not None and weight != default:
        weights.append(field)
    content = message.get("content")
    if isinstance(content, list):
        message["content"] = _v1_content(content, field, issues)
    return message


def _v1_content(parts: list[Any], field: str, issues: list[Issue]) -> Any:
    texts: list[str] = []
    converted: list[Any] = []
    for position, part in enumerate(parts):
        if isinstance(part, dict) and part.get("type") == "text":
            text = part.get("value", part.get("text"))
            if isinstance(text, str):
                texts.append(text)
                converted.append({"type": "text", "text": text})
                continue
        if not (isinstance(part, dict) and part.get("type") in _MEDIA_PARTS):
            issues.append(
                issue(
                    codes.CONTENT_PART,
                    "A content part is neither text nor a known media part; it is kept as it is.",
                    f"{field}.content[{position}]",
                    Severity.WARNING,
                )
            )
        converted.append(part)
    if len(texts) == len(parts) == 1:
        return texts[0]
    return converted


class ShareGPT(Dialect):
    """LLaMA-Factory ranking records in ShareGPT form, and LLaMA-Factory v1 DPO transcripts."""

    name = "sharegpt"
    label = "ShareGPT / LLaMA-Factory"
    writable = False

    def sniff(self, value: Any) -> float:
        if not isinstance(value, dict):
            return 0.0
        if isinstance(value.get("chosen_messages"), list) and isinstance(
            value.get("rejected_messages"), list
        ):
            return max(0.0, 1.0 - 0.03 * sum(1 for key in value if key not in _V1_KNOWN))
        if isinstance(value.get("instruction"), str) and "chosen" in value and "rejected" in value:
            return max(0.0, 1.0 - 0.03 * sum(1 for key in value if key not in _ALPACA_KNOWN))
        prompt = value.get("conversations", value.get("messages"))
        if not isinstance(prompt, list) or "chosen" not in value or "rejected" not in value:
            return 0.0
        answers = (value["chosen"], value["rejected"])
        if not all(isinstance(answer, (dict, list)) for answer in answers):
            return 0.3
        if any(isinstance(answer, list) and _holds_user_turn(answer) for answer in answers):
            return 0.2  # answers that repeat the prompt are whole conversations (TRL), not rankings
        turns = [item for item in prompt if isinstance(item, dict)]
        score = 1.0 if any("from" in item for item in turns) or "conversations" in value else 0.85
        return max(0.0, score - 0.03 * sum(1 for key in value if key not in _RANKING_KNOWN))

    def parse(self, value: Any) -> tuple[PreferenceRecord, list[Issue]]:
        if not isinstance(value, dict):
            return PreferenceRecord(), [not_object_issue(value)]
        if "chosen_messages" in value or "rejected_messages" in value:
            return self._parse_v1(value)
        return self._parse_ranking(value)

    def _parse_ranking(self, value: dict[str, Any]) -> tuple[PreferenceRecord, list[Issue]]:
        issues: list[Issue] = []
        record = PreferenceRecord()
        prompt_key = "conversations" if "conversations" in value or "messages" not in value else "messages"
        alpaca = "instruction" in value and prompt_key not in value
        known = _ALPACA_KNOWN if alpaca else tuple(k for k in _RANKING_KNOWN if k != _other(prompt_key))
        record.extra = extra_fields(value, known)
        ids = _ToolCallIds()
        system = value.get("system")
        if isinstance(system, str) and system:
            record.context.append(text_message("system", system))
        elif system is not None and not isinstance(system, str):
            issues.append(
                issue(codes.PROMPT_SHAPE, "'system' must be a text; it is kept as it is.", "system")
            )
            record.extra["system"] = system
        elif system == "":
            record.extra["system"] = system
        prompt = value.get(prompt_key)
        if alpaca:
            record.context.extend(_alpaca_prompt(value, issues, record.extra))
        elif isinstance(prompt, list):
            record.context.extend(_turns(prompt, prompt_key, ids, issues))
        elif prompt is None:
            issues.append(issue(codes.MESSAGES_MISSING, f"'{prompt_key}' is missing.", prompt_key))
        else:
            issues.append(
                issue(codes.NOT_MESSAGE_LIST, f"'{prompt_key}' must be a list of turns.", prompt_key)
            )
            record.extra[prompt_key] = prompt
        if "tools" in value:
            record.tools = _tools(value["tools"], issues, record.extra)
        for side, key in (("preferred", "chosen"), ("rejected", "rejected")):
            answer = value.get(key)
            side_ids = ids.copy()
            if isinstance(answer, dict):
                message = _turn(answer, key, side_ids, issues)
                setattr(record, side, [message] if message else [])
            elif isinstance(answer, list):
                setattr(record, side, _turns(answer, key, side_ids, issues))
            elif isinstance(answer, str):
                setattr(record, side, [text_message("assistant", answer)])
            elif answer is None:
                missing_answer(value, key, record, issues)
            else:
                issues.append(
                    issue(codes.ANSWER_SHAPE, f"'{key}' must be a turn object or a list of turns.", key)
                )
                record.extra[key] = answer
        return record, issues

    def _parse_v1(self, value: dict[str, Any]) -> tuple[PreferenceRecord, list[Issue]]:
        issues: list[Issue] = []
        record = PreferenceRecord()
        record.extra = extra_fields(value, _V1_KNOWN)
        if "tools" in value:
            record.tools = _tools(value["tools"], issues, record.extra)
        weights: list[str] = []
        sides: list[list[Message]] = []
        for key in ("chosen_messages", "rejected_messages"):
            items = value.get(key)
            if isinstance(items, list):
                converted = [
                    _v1_message(item, f"{key}[{i}]", issues, weights) for i, item in enumerate(items)
                ]
                sides.append([message for message in converted if message is not None])
                continue
            if items is None:
                issues.append(issue(codes.ANSWER_MISSING, f"'{key}' is missing.", key))
            else:
                issues.append(issue(codes.NOT_MESSAGE_LIST, f"'{key}' must be a list of messages.", key))
            if key in value:
                record.extra[key] = items
            sides.append([])
        chosen, rejected = sides
        index = 0
        if chosen and rejected:
            index, found = implicit_message_split(chosen, rejected, "chosen_messages")
            issues.extend(found)
        record.context = chosen[:index]
        record.preferred = chosen[index:]
        record.rejected = rejected[index:]
        if weights:
            issues.append(
                issue(
                    codes.LOSS_WEIGHT_DROPPED,
                    f"{len(weights)} message(s) have a loss_weight other than the default; DPO on "
                    "OpenAI/Azure has no per-message weights, so it is not carried.",
                    weights[0],
                    Severity.INFO,
                )
            )
        return record, issues


def _alpaca_prompt(value: dict[str, Any], issues: list[Issue], extra: dict[str, Any]) -> list[Message]:
    """The context of an Alpaca-style record: ``history`` pairs, then ``instruction`` + ``input``.

    LLaMA-Factory joins instruction and input with a newline; so does this reader.
    """
    messages: list[Message] = []
    history = value.get("history")
    if isinstance(history, list) and all(
        isinstance(pair, list) and len(pair) == 2 and all(isinstance(t, str) for t in pair)
        for pair in history
    ):
        for question, answer in history:
            messages += [text_message("user", question), text_message("assistant", answer)]
    elif history is not None:
        issues.append(
            issue(
                codes.PROMPT_SHAPE,
                "'history' must be a list of [instruction, answer] text pairs; it is kept as it is.",
                "history",
            )
        )
        extra["history"] = history
    instruction, given = value.get("instruction"), value.get("input")
    if not isinstance(instruction, str) or (given is not None and not isinstance(given, str)):
        issues.append(
            issue(codes.PROMPT_SHAPE, "'instruction' and 'input' must be texts; they are kept as they are.")
        )
        extra["instruction"] = instruction
        if "input" in value:
            extra["input"] = given
        return messages
    messages.append(text_message("user", f"{instruction}\n{given}" if given else instruction))
    return messages


def _holds_user_turn(items: list[Any]) -> bool:
    return any(
        isinstance(item, dict) and (item.get("role") or item.get("from")) in ("user", "human")
        for item in items
    )


def _other(prompt_key: str) -> str:
    """The prompt field name not used by a record (it then stays an unknown field)."""
    return "messages" if prompt_key == "conversations" else "conversations"
