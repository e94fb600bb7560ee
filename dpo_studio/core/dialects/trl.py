"""TRL preference data: ``prompt`` / ``chosen`` / ``rejected``.

TRL knows two shapes and two prompt styles (https://huggingface.co/docs/trl/dataset_formats):

- *standard*: the three fields are texts; *conversational*: they are lists of chat messages;
- *explicit prompt*: a ``prompt`` field; *implicit prompt*: no ``prompt``, ``chosen`` and ``rejected``
  are whole conversations (or texts) and what they share at the start is the prompt.

Both shapes are read by either dialect here. Writing is split into two dialects, ``trl_string`` and
``trl_messages``, because only messages can carry roles, system prompts, tools and several turns. Each
writer follows the file it was read from (see :meth:`Dialect.follow_style`): implicit prompt or not,
and for messages, whether answers are single message objects (a common variant, e.g. nano-llm) rather
than lists.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dpo_studio.core.dialects import codes
from dpo_studio.core.dialects.base import (
    Dialect,
    add_extra,
    app_only_losses,
    clashing_extra,
    extra_fields,
    is_message_list,
    is_plain_text,
    issue,
    joined_text,
    missing_answer,
    not_object_issue,
    read_metadata,
    read_tools,
    text_message,
)
from dpo_studio.core.dialects.prefix import implicit_message_split, implicit_text_split
from dpo_studio.core.findings import Issue, Severity
from dpo_studio.core.records import Message, PreferenceRecord

_KNOWN = ("prompt", "chosen", "rejected", "metadata", "tools", "parallel_tool_calls")
_STRING_KNOWN = ("prompt", "chosen", "rejected", "metadata")
#: Penalty per field TRL does not use (HF datasets often carry ids, scores, sources: keep it small).
_FOREIGN_PENALTY = 0.03


def _foreign(value: dict[str, Any]) -> float:
    return min(0.2, _FOREIGN_PENALTY * sum(1 for key in value if key not in _KNOWN))


def _is_messageish(value: Any) -> bool:
    return isinstance(value, dict) or (isinstance(value, list) and bool(value) and is_message_list(value))


def _explicit_prompt(value: dict[str, Any]) -> bool:
    """Whether ``prompt`` is the prompt, rather than a text beside whole conversations.

    Like TRL's ``maybe_extract_prompt``: some datasets (e.g. UltraFeedback binarized) carry a text
    ``prompt`` column next to ``chosen``/``rejected`` conversations that already hold it; then the
    prompt is taken from the conversations and the column is kept as an ordinary field.
    """
    if "prompt" not in value:
        return False
    return not (
        isinstance(value["prompt"], str)
        and is_message_list(value.get("chosen"))
        and is_message_list(value.get("rejected"))
        and any(m.get("role") == "user" for m in value["chosen"])
    )


def _looks_like_transcript(text: str) -> bool:
    return "\n\nHuman:" in text and "\n\nAssistant:" in text


class _TRL(Dialect):
    """What both TRL dialects share: reading either shape and the style options for writing."""

    writable = True

    def __init__(self, *, implicit_prompt: bool = False, answer_objects: bool = False) -> None:
        #: Write ``chosen``/``rejected`` as whole conversations without a ``prompt`` field.
        self.implicit_prompt = implicit_prompt
        #: Write one-message answers as a message object rather than a one-item list.
        self.answer_objects = answer_objects

    def follow_style(self, values: Sequence[Any]) -> Dialect:
        objects = [value for value in values if isinstance(value, dict)]
        if not objects:
            return self
        implicit = sum(1 for value in objects if not _explicit_prompt(value)) * 2 > len(objects)
        single = sum(1 for value in objects if isinstance(value.get("chosen"), dict)) * 2 > len(objects)
        return type(self)(implicit_prompt=implicit, answer_objects=single)

    def to_json(self, record: PreferenceRecord) -> dict[str, Any]:
        out = self._own_fields(record)
        add_extra(out, record.extra)
        return out

    def _own_fields(self, record: PreferenceRecord) -> dict[str, Any]:
        """The fields this writer sets itself (unknown fields are added after, without overriding them)."""
        raise NotImplementedError

    def parse(self, value: Any) -> tuple[PreferenceRecord, list[Issue]]:
        record = PreferenceRecord()
        if not isinstance(value, dict):
            return record, [not_object_issue(value)]
        issues: list[Issue] = []
        record.extra = extra_fields(value, _KNOWN)
        if _explicit_prompt(value):
            _parse_explicit(value, record, issues)
        else:
            if "prompt" in value:
                record.extra["prompt"] = value["prompt"]  # redundant with the whole conversations
            _parse_implicit(value, record, issues)
        read_metadata(value, record, issues, warn=False)
        read_tools(value, record, issues)
        return record, issues


def _parse_explicit(value: dict[str, Any], record: PreferenceRecord, issues: list[Issue]) -> None:
    prompt = value["prompt"]
    if isinstance(prompt, str):
        record.context = [text_message("user", prompt)]
    elif is_message_list(prompt):
        record.context = list(prompt)
    elif isinstance(prompt, dict):
        record.context = [prompt]
        issues.append(
            issue(codes.PROMPT_SHAPE, "'prompt' is one message object; TRL expects a list.", "prompt")
        )
    else:
        issues.append(issue(codes.PROMPT_SHAPE, "'prompt' must be a text or a list of messages.", "prompt"))
        record.extra["prompt"] = prompt
    single = False
    for side, key in (("preferred", "chosen"), ("rejected", "rejected")):
        answer = value.get(key)
        if isinstance(answer, str):
            setattr(record, side, [text_message("assistant", answer)])
        elif is_message_list(answer):
            setattr(record, side, list(answer))
        elif isinstance(answer, dict):
            setattr(record, side, [answer])
            single = True
        elif answer is None:
            missing_answer(value, key, record, issues)
        else:
            issues.append(issue(codes.ANSWER_SHAPE, f"'{key}' must be a text or a list of messages.", key))
            record.extra[key] = answer
    if single:
        issues.append(
            issue(
                codes.SINGLE_MESSAGE_ANSWER,
                "'chosen'/'rejected' hold one message object instead of a list of messages.",
                "chosen",
                Severity.INFO,
            )
        )
    texts = [isinstance(value.get(key), str) for key in ("prompt", "chosen", "rejected") if key in value]
    if any(texts) and not all(texts):
        issues.append(
            issue(
                codes.MIXED_SHAPES,
                "'prompt', 'chosen' and 'rejected' mix texts and message lists; TRL needs one kind.",
                "prompt",
                Severity.WARNING,
            )
        )


def _parse_implicit(value: dict[str, Any], record: PreferenceRecord, issues: list[Issue]) -> None:
    chosen, rejected = value.get("chosen"), value.get("rejected")
    if isinstance(chosen, str) and isinstance(rejected, str):
        index = implicit_text_split(chosen, rejected)
        if index:
            record.context = [text_message("user", chosen[:index])]
        else:
            issues.append(
                issue(
                    codes.NO_SHARED_PROMPT,
                    "There is no 'prompt', and 'chosen' and 'rejected' share no leading text to take as one.",
                    "prompt",
                    Severity.WARNING,
                )
            )
        record.preferred = [text_message("assistant", chosen[index:])]
        record.rejected = [text_message("assistant", rejected[index:])]
        return
    if is_message_list(chosen) and is_message_list(rejected):
        index, found = implicit_message_split(chosen, rejected)
        issues.extend(found)
        record.context = list(chosen[:index])
        record.preferred = list(chosen[index:])
        record.rejected = list(rejected[index:])
        return
    for key, answer in (("chosen", chosen), ("rejected", rejected)):
        if answer is None:
            missing_answer(value, key, record, issues)
        else:
            record.extra[key] = answer
    if chosen is not None and rejected is not None:
        issues.append(
            issue(
                codes.ANSWER_SHAPE,
                "Without a 'prompt', 'chosen' and 'rejected' must both be texts or both be lists of "
                "messages (whole conversations).",
                "chosen",
            )
        )


class TRLString(_TRL):
    """TRL *standard* format: the prompt and both answers are plain texts."""

    name = "trl_string"
    label = "TRL (texts)"

    def sniff(self, value: Any) -> float:
        if not isinstance(value, dict):
            return 0.0
        chosen, rejected = value.get("chosen"), value.get("rejected")
        if not (isinstance(chosen, str) and isinstance(rejected, str)):
            return 0.0
        if _looks_like_transcript(chosen) or "instruction" in value:
            score = 0.3  # HH-RLHF transcripts or LLaMA-Factory Alpaca records
        elif "prompt" in value:
            score = 1.0 if isinstance(value["prompt"], str) else 0.4
        else:
            score = 0.85
        return max(0.0, score - _foreign(value))

    def _own_fields(self, record: PreferenceRecord) -> dict[str, Any]:
        prompt = joined_text(record.context)
        chosen, rejected = joined_text(record.preferred), joined_text(record.rejected)
        out: dict[str, Any]
        if self.implicit_prompt:
            out = {"chosen": prompt + chosen, "rejected": prompt + rejected}
        else:
            out = {"prompt": prompt, "chosen": chosen, "rejected": rejected}
        if record.metadata:
            out["metadata"] = record.metadata
        return out

    def losses(self, record: PreferenceRecord) -> list[str]:
        lost = app_only_losses(record)
        roles = [m.get("role") for m in record.context]
        if "system" in roles:
            lost.append("system prompt (folded into the prompt text)")
        if sum(1 for role in roles if role != "system") > 1:
            lost.append("multi-turn context (turns joined into one prompt text, speaker roles lost)")
        if any(role not in ("user", "system") for role in roles):
            lost.append("roles of the prompt messages (a text prompt is read back as one user message)")
        if len(record.preferred) > 1 or len(record.rejected) > 1:
            lost.append("answers of several messages (joined into one text)")
        answers = [*record.preferred, *record.rejected]
        if any(m.get("role") != "assistant" for m in answers):
            lost.append("roles of the answer messages (text answers are read back as assistant messages)")
        if not all(is_plain_text(m) for m in [*record.context, *answers]):
            lost.append("tool calls, names and non-text content of messages (only their text is kept)")
        if record.tools is not None:
            lost.append("tool definitions")
        if record.parallel_tool_calls is not None:
            lost.append("parallel_tool_calls setting")
        if record.split:
            lost.append("split")
        if self.implicit_prompt:
            prompt = joined_text(record.context)
            chosen, rejected = joined_text(record.preferred), joined_text(record.rejected)
            index = implicit_text_split(prompt + chosen, prompt + rejected)
            if index != len(prompt) or (record.context and not index):
                lost.append(
                    "where the prompt ends (without a 'prompt' field, text both answers start with "
                    "is read as part of the prompt)"
                )
        lost.extend(clashing_extra(self._own_fields(record), record.extra, _STRING_KNOWN))
        return lost


class TRLMessages(_TRL):
    """TRL *conversational* format: the prompt and both answers are lists of chat messages."""

    name = "trl_messages"
    label = "TRL conversational (messages)"

    def sniff(self, value: Any) -> float:
        if not isinstance(value, dict):
            return 0.0
        chosen, rejected = value.get("chosen"), value.get("rejected")
        if not (_is_messageish(chosen) and _is_messageish(rejected)):
            return 0.0
        if "prompt" in value and not _explicit_prompt(value):
            score = 0.95  # whole conversations beside a text prompt column (UltraFeedback binarized)
        elif "conversations" in value or "messages" in value:
            score = 0.3  # ShareGPT / LLaMA-Factory ranking records keep the prompt there
        elif "prompt" in value:
            score = 1.0 if is_message_list(value["prompt"]) else 0.5
        elif isinstance(chosen, list) and isinstance(rejected, list):
            score = 0.95
        else:
            score = 0.3  # single answers and no prompt: not enough to be TRL
        return max(0.0, score - _foreign(value))

    def _own_fields(self, record: PreferenceRecord) -> dict[str, Any]:
        out: dict[str, Any]
        if self.implicit_prompt:
            out = {
                "chosen": [*record.context, *record.preferred],
                "rejected": [*record.context, *record.rejected],
            }
        else:
            out = {
                "prompt": record.context,
                "chosen": self._answer(record.preferred),
                "rejected": self._answer(record.rejected),
            }
        if record.metadata:
            out["metadata"] = record.metadata
        if record.tools is not None:
            out["tools"] = record.tools
        if record.parallel_tool_calls is not None:
            out["parallel_tool_calls"] = record.parallel_tool_calls
        return out

    def _answer(self, messages: list[Message]) -> Any:
        if self.answer_objects and len(messages) == 1:
            return messages[0]
        return messages

    def losses(self, record: PreferenceRecord) -> list[str]:
        lost = app_only_losses(record)
        if record.split:
            lost.append("split")
        if self.implicit_prompt:
            written = self._own_fields(record)
            index, _issues = implicit_message_split(written["chosen"], written["rejected"])
            if index != len(record.context):
                lost.append(
                    "where the prompt ends (without a 'prompt' field, messages both answers start with "
                    "are read as part of the prompt)"
                )
        lost.extend(clashing_extra(self._own_fields(record), record.extra, _KNOWN))
        return lost
