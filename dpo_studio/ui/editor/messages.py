"""Plain-text views of chat messages for the editor, and writing edited text back without losing anything.

The editor shows one text box per message (a context turn) or per answer. A message's ``content`` may be
a string, ``None`` (a turn that only calls tools) or a list of parts; tool calls, ``tool_call_id``,
``name`` and unknown keys must survive when the user edits the text. These helpers never mutate their
arguments.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from dpo_studio.core.records import Message

#: Roles a context turn may have (the order of the role chooser).
CONTEXT_ROLES = ("system", "user", "assistant", "tool")


def content_text(message: Message) -> str:
    """The text of a message's content only (tool calls are shown separately)."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(text for _index, text in _text_parts(content))
    return ""


def with_content_text(message: Message, text: str) -> Message:
    """A copy of ``message`` whose content reads ``text``; tool calls and other keys are kept.

    Content that was a list of parts keeps its non-text parts; its text goes into the first text part.
    A tool-call turn without content stays without content while the text is empty.
    """
    updated = copy.deepcopy(message)
    content = updated.get("content")
    if isinstance(content, list):
        parts = _text_parts(content)
        if parts:
            first = parts[0][0]
            others = {index for index, _text in parts[1:]}
            new_parts: list[Any] = []
            for index, part in enumerate(content):
                if index == first:
                    new_parts.append(_set_part_text(part, text))
                elif index not in others:
                    new_parts.append(part)
            updated["content"] = new_parts
            return updated
        if text:
            updated["content"] = [*content, {"type": "text", "text": text}]
        return updated
    if content is None and not text:
        return updated
    updated["content"] = text
    return updated


def answer_text(messages: list[Message]) -> str:
    """The editable text of an answer: the content of its last message."""
    return content_text(messages[-1]) if messages else ""


def with_answer_text(messages: list[Message], text: str) -> list[Message]:
    """A copy of the answer whose last message reads ``text`` (an empty answer gains an assistant turn)."""
    if not messages:
        return [{"role": "assistant", "content": text}] if text else []
    updated = copy.deepcopy(messages)
    updated[-1] = with_content_text(updated[-1], text)
    return updated


def structured_parts(messages: list[Message], *, editable_last: bool = True) -> str:
    """What an answer (or a turn) holds besides the editable text, readably: tool calls, tool results.

    With ``editable_last``, the last message's own text is left out (it is in the text box), but its
    tool calls are listed. Returns an empty string when there is nothing else.
    """
    lines: list[str] = []
    for position, message in enumerate(messages):
        last = position == len(messages) - 1
        if not (last and editable_last):
            role = str(message.get("role", "?"))
            text = content_text(message)
            lines.append(f"[{role}] {text}" if text else f"[{role}]")
        lines.extend(_tool_call_lines(message))
        if "tool_call_id" in message:
            lines.append(f"Result of tool call {message['tool_call_id']}")
    return "\n".join(lines)


def format_tool_call(call: Any) -> str:
    """One tool call as ``name({ pretty JSON arguments })``; arguments that are not JSON are shown as sent."""
    if not isinstance(call, dict):
        return json.dumps(call, ensure_ascii=False)
    function = call.get("function")
    if not isinstance(function, dict):
        return json.dumps(call, ensure_ascii=False)
    name = str(function.get("name", "?"))
    arguments = function.get("arguments", "")
    if isinstance(arguments, str):
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except ValueError:
            return f"{name}({arguments})"
    compact = f"{name}({json.dumps(arguments, ensure_ascii=False)})"
    if len(compact) <= 90:
        return compact
    return f"{name}({json.dumps(arguments, ensure_ascii=False, indent=2)})"


def _tool_call_lines(message: Message) -> list[str]:
    calls = message.get("tool_calls")
    if not isinstance(calls, list) or not calls:
        return []
    lines = []
    for call in calls:
        call_id = call.get("id") if isinstance(call, dict) else None
        suffix = f"   (id {call_id})" if call_id else ""
        lines.append(f"Tool call: {format_tool_call(call).replace(chr(10), chr(10) + '  ')}{suffix}")
    return lines


def _text_parts(content: list[Any]) -> list[tuple[int, str]]:
    """(position, text) of the text parts of a content list."""
    found: list[tuple[int, str]] = []
    for index, part in enumerate(content):
        if isinstance(part, str):
            found.append((index, part))
        elif isinstance(part, dict):
            text = part.get("text", part.get("value"))
            if isinstance(text, str):
                found.append((index, text))
    return found


def _set_part_text(part: Any, text: str) -> Any:
    if isinstance(part, str):
        return text
    updated = dict(part)
    if "text" in updated or "value" not in updated:
        updated["text"] = text
    else:
        updated["value"] = text
    return updated
