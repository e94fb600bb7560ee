"""Checking preference data the way OpenAI and Azure will, before anything is uploaded or paid for.

Every rule has a stable code (``DPO1xx``; the reader owns ``DPO001``/``DPO002`` and the dialects
``DPO010``-``DPO049``), a severity, a plain-language message, the field it is about, and — where the
repair is mechanical and loses nothing the user meant — a :class:`~dpo_studio.core.findings.Fix`.
:data:`RULES` lists them all for help pages.

Two entry points:

* :func:`validate_record` — the per-example rules; fast, the editor calls it as the user types.
* :func:`validate_dataset` — every per-example rule plus the cross-record ones (duplicates, minimum
  count, file size, train/validation overlap, model support).

Where the platforms differ, a :class:`Profile` says which rules apply: OpenAI's schema allows exactly
one assistant message per answer; Azure (and Foundry, which uses the same service) documents answers of
one or more messages with roles ``assistant`` and ``tool``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from dpo_studio.core.dialects import codes
from dpo_studio.core.findings import Finding, Fix, Issue, Severity
from dpo_studio.core.records import Message, PreferenceRecord
from dpo_studio.core.tokens import count_record_tokens, example_token_limit, upper_bound_tokens

DEFAULT_MODEL = "gpt-4.1-mini-2025-04-14"

# -- rule codes ----------------------------------------------------------------------------------------

EMPTY_PROMPT = "DPO101"
UNKNOWN_ROLE = "DPO102"
MISSING_CONTENT = "DPO103"
CONTENT_TYPE = "DPO104"
MEDIA_CONTENT = "DPO105"
TOOL_CALL_ID = "DPO106"
LAST_NOT_USER = "DPO107"
ANSWER_COUNT = "DPO108"
ANSWER_ROLE = "DPO109"
EMPTY_ANSWER = "DPO110"
IDENTICAL_ANSWERS = "DPO111"
UNDECLARED_TOOL = "DPO112"
BAD_TOOL_DEFINITION = "DPO113"
PARALLEL_TOOL_CALLS = "DPO114"
TOOL_ARGUMENTS = "DPO115"
UNKNOWN_MESSAGE_KEY = "DPO116"
ANSWER_WHITESPACE = "DPO117"
TOO_MANY_TOKENS = "DPO118"
UNKNOWN_TOOL_CALL_ID = "DPO119"
DUPLICATE = "DPO130"
TOO_FEW_EXAMPLES = "DPO131"
FILE_TOO_LARGE = "DPO132"
TRAIN_VALIDATION_OVERLAP = "DPO133"
MODEL_WITHOUT_DPO = "DPO134"

#: Every rule: code -> (usual severity, what it checks). Severities can differ per profile (DPO108).
RULES: dict[str, tuple[Severity, str]] = {
    EMPTY_PROMPT: (Severity.ERROR, "the prompt (input.messages) has no messages"),
    UNKNOWN_ROLE: (Severity.ERROR, "a prompt message has a role other than system/user/assistant/tool"),
    MISSING_CONTENT: (Severity.ERROR, "a message has no content"),
    CONTENT_TYPE: (Severity.ERROR, "content is neither text nor a list of text parts"),
    MEDIA_CONTENT: (Severity.ERROR, "image, audio or file content (DPO is text-only)"),
    TOOL_CALL_ID: (Severity.ERROR, "a tool message without tool_call_id"),
    LAST_NOT_USER: (Severity.ERROR, "the prompt does not end with a user (or tool) message"),
    ANSWER_COUNT: (Severity.ERROR, "an answer is not exactly one assistant message"),
    ANSWER_ROLE: (Severity.ERROR, "an answer holds a role other than assistant (Azure: assistant/tool)"),
    EMPTY_ANSWER: (Severity.ERROR, "an answer has no text and no tool call"),
    IDENTICAL_ANSWERS: (Severity.ERROR, "the preferred and the rejected answer are identical"),
    UNDECLARED_TOOL: (Severity.ERROR, "a tool call names a tool that input.tools does not declare"),
    BAD_TOOL_DEFINITION: (Severity.ERROR, "a tool definition is not {type: function, function: {name}}"),
    PARALLEL_TOOL_CALLS: (Severity.ERROR, "parallel_tool_calls is not true or false"),
    TOOL_ARGUMENTS: (Severity.WARNING, "tool-call arguments are not valid JSON"),
    UNKNOWN_MESSAGE_KEY: (Severity.WARNING, "a message has a field the platforms do not know"),
    ANSWER_WHITESPACE: (Severity.INFO, "an answer starts or ends with whitespace"),
    TOO_MANY_TOKENS: (Severity.ERROR, "an example is longer than the model's training-token limit"),
    UNKNOWN_TOOL_CALL_ID: (Severity.WARNING, "a tool result answers no earlier tool call"),
    DUPLICATE: (Severity.WARNING, "the same example appears more than once"),
    TOO_FEW_EXAMPLES: (Severity.ERROR, "fewer than 10 examples"),
    FILE_TOO_LARGE: (Severity.WARNING, "the file is over the 512 MB Files API limit"),
    TRAIN_VALIDATION_OVERLAP: (Severity.WARNING, "a prompt is in both the training and validation files"),
    MODEL_WITHOUT_DPO: (Severity.WARNING, "the model is not listed as supporting DPO on this platform"),
}

# -- profiles ------------------------------------------------------------------------------------------

MIN_EXAMPLES = 10
FILES_API_LIMIT = 512 * 1024 * 1024
#: Most bytes one multi-part upload (``/uploads``) takes: 8 GB at OpenAI, 9 GB at Azure.
UPLOADS_API_LIMIT = 8 * 1024 * 1024 * 1024
AZURE_UPLOADS_API_LIMIT = 9 * 1024 * 1024 * 1024

_PROVIDER_LABELS = {"openai": "OpenAI", "azure": "Azure OpenAI", "foundry": "Microsoft Foundry"}

#: Base models documented for DPO (OpenAI guide; Azure DPO how-to plus the Azure SDK samples).
_DPO_MODELS = {
    "openai": (
        "gpt-4.1-2025-04-14",
        "gpt-4.1-mini-2025-04-14",
        "gpt-4.1-nano-2025-04-14",
        "gpt-4o-2024-08-06",
    ),
    "azure": (
        "gpt-4o-2024-08-06",
        "gpt-4.1-2025-04-14",
        "gpt-4.1-mini-2025-04-14",
        "gpt-4.1-nano-2025-04-14",
        "gpt-4o-mini-2024-07-18",
    ),
}
_DPO_MODELS["foundry"] = _DPO_MODELS["azure"]


@dataclass(frozen=True, slots=True)
class Profile:
    """Which platform's rules apply, for which base model."""

    provider: str = "azure"
    model: str = DEFAULT_MODEL
    #: Human name of the platform, e.g. ``Azure OpenAI``.
    name: str = "Azure OpenAI"
    #: Most tokens one training example may have.
    token_limit: int = 65_536
    #: OpenAI: each answer is exactly one assistant message. Azure: one or more assistant/tool messages.
    single_message_answers: bool = False
    min_examples: int = MIN_EXAMPLES
    max_file_bytes: int = FILES_API_LIMIT
    #: Most bytes one multi-part upload through the Uploads API may have.
    max_upload_bytes: int = AZURE_UPLOADS_API_LIMIT
    #: Base models documented for DPO on this platform.
    dpo_models: tuple[str, ...] = ()

    def supports_dpo(self) -> bool:
        """Whether the model (or a fine-tune of it) is documented for DPO on this platform."""
        name = self.model.strip().lower().removeprefix("ft:")
        return any(name.startswith(model) for model in self.dpo_models)


def profile_for(provider: str = "azure", model: str = DEFAULT_MODEL) -> Profile:
    """The rules of ``provider`` (``openai``, ``azure`` or ``foundry``) for ``model``."""
    key = provider.strip().lower()
    if key not in _PROVIDER_LABELS:
        raise ValueError(f"unknown provider {provider!r}; use openai, azure or foundry")
    return Profile(
        provider=key,
        model=model,
        name=_PROVIDER_LABELS[key],
        token_limit=example_token_limit(model),
        single_message_answers=key == "openai",
        max_upload_bytes=UPLOADS_API_LIMIT if key == "openai" else AZURE_UPLOADS_API_LIMIT,
        dpo_models=_DPO_MODELS[key],
    )


# -- report --------------------------------------------------------------------------------------------


@dataclass
class ValidationReport:
    """The findings of a whole dataset."""

    findings: list[Finding] = field(default_factory=list)
    #: Entries holding a record (unreadable and blank lines are not examples).
    example_count: int = 0
    #: Exact token counts (prompt + the longer answer) of the entries that were counted: every
    #: example when ``validate_dataset(..., count_tokens=True)``, otherwise only the examples whose
    #: size made the token-limit rule count them.
    tokens: dict[int, int] = field(default_factory=dict)

    def by_entry(self) -> dict[int, list[Finding]]:
        """Findings grouped by entry index (file-level findings left out)."""
        grouped: dict[int, list[Finding]] = {}
        for finding in self.findings:
            if finding.entry is not None:
                grouped.setdefault(finding.entry, []).append(finding)
        return grouped

    def count(self, severity: Severity) -> int:
        """How many findings have ``severity``."""
        return sum(1 for finding in self.findings if finding.severity is severity)

    @property
    def errors(self) -> int:
        """How many errors (the platform would reject the file)."""
        return self.count(Severity.ERROR)

    @property
    def warnings(self) -> int:
        """How many warnings (the run would be worse)."""
        return self.count(Severity.WARNING)


# -- per-record rules ----------------------------------------------------------------------------------

_CONTEXT_ROLES = frozenset(("system", "user", "assistant", "tool", "function"))
#: Roles other tools use, and the role each means here; renaming them is a mechanical fix.
_ROLE_ALIASES = {
    "developer": "system",
    "human": "user",
    "gpt": "assistant",
    "bot": "assistant",
    "model": "assistant",
    "ai": "assistant",
    "chatbot": "assistant",
}
_MESSAGE_KEYS = frozenset(
    ("role", "content", "name", "tool_calls", "tool_call_id", "function_call", "refusal", "weight")
)
_TEXT_PART_TYPES = frozenset(("text", "input_text", "output_text", "refusal"))
_MEDIA_PART_TYPES = frozenset(
    ("image_url", "image", "input_image", "input_audio", "audio", "file", "input_file")
)
#: Dialect issues after which the prompt or an answer is already reported as missing.
_PROMPT_ISSUES = frozenset(
    (
        codes.NOT_OBJECT,
        codes.OPENAI_NO_INPUT,
        codes.MESSAGES_MISSING,
        codes.NOT_MESSAGE_LIST,
        codes.PROMPT_SHAPE,
    )
)
_ANSWER_ISSUES = frozenset((codes.NOT_OBJECT, codes.ANSWER_MISSING, codes.ANSWER_SHAPE))

_SIDES = (("preferred", "preferred_output"), ("rejected", "non_preferred_output"))


class _Collector:
    """Builds the findings of one record with its position filled in."""

    __slots__ = ("entry", "findings", "line")

    def __init__(self, entry: int | None, line: int) -> None:
        self.entry = entry
        self.line = line
        self.findings: list[Finding] = []

    def add(
        self,
        code: str,
        message: str,
        field: str = "",
        severity: Severity | None = None,
        fix: Fix | None = None,
    ) -> None:
        level = severity if severity is not None else RULES[code][0]
        self.findings.append(Finding(code, level, message, self.entry, self.line, 0, field, fix))


def validate_record(
    record: PreferenceRecord,
    profile: Profile,
    *,
    entry: int | None = None,
    line: int = 0,
    issues: Sequence[Issue] = (),
    source_size: int | None = None,
) -> list[Finding]:
    """The per-example findings of ``record`` (fast; no cross-record rules).

    ``issues`` are the dialect's structural issues from reading the record; they are reported first
    and keep the rules below from repeating them. ``source_size`` is the byte length of the record's
    source line if known: a record can never have more tokens than its JSON has bytes, so small
    records skip exact token counting.
    """
    if not issues and _is_plain_pair(record):
        # The common case (text-only messages, one-message answers, well-formed tools that nothing
        # calls) breaks no per-message rule; only the token limit remains. Keeps big files fast.
        if source_size is not None and source_size + 16 <= profile.token_limit:
            return []
        out = _Collector(entry, line)
        _check_tokens(record, profile, out, source_size)
        return out.findings
    out = _Collector(entry, line)
    issue_codes = set()
    for found in issues:
        issue_codes.add(found.code)
        out.add(found.code, found.message, found.field, found.severity)
    if codes.NOT_OBJECT in issue_codes:
        return out.findings
    _check_prompt(record, profile, out, prompt_reported=not _PROMPT_ISSUES.isdisjoint(issue_codes))
    declared = _check_tools(record, out)
    call_ids = _check_messages(record.context, "input.messages", _CONTEXT_ROLES, out, declared, None)
    answers_reported = not _ANSWER_ISSUES.isdisjoint(issue_codes)
    for side, key in _SIDES:
        _check_answer(record, side, key, profile, out, declared, call_ids, answers_reported)
    if record.preferred and record.preferred == record.rejected:
        out.add(
            IDENTICAL_ANSWERS,
            "The preferred and the rejected answer are identical, so the pair teaches nothing.",
            "non_preferred_output",
        )
    _check_tokens(record, profile, out, source_size)
    return out.findings


_PLAIN_KEYS = frozenset(("role", "content"))
_PLAIN_CONTEXT_ROLES = frozenset(("system", "user", "assistant"))
_FLAG_TYPES = (bool, type(None))


def _is_plain_pair(record: PreferenceRecord) -> bool:
    """Whether the record is nothing but text messages in the expected shape, with different answers.

    Every message is exactly ``{"role", "content"}`` with non-empty string content; the prompt ends
    with a user turn; each answer is one assistant message without surrounding whitespace; tools, if
    any, are well-formed definitions (no message calls them). Such a record passes every per-message
    rule, so the full checks can be skipped.
    """
    return _plain_parts(
        record.context, record.tools, record.parallel_tool_calls, record.preferred, record.rejected
    )


def _plain_parts(context: Any, tools: Any, parallel: Any, preferred: Any, rejected: Any) -> bool:
    """:func:`_is_plain_pair` on the parts of a record (or of an OpenAI DPO JSON object)."""
    if not context or type(parallel) not in _FLAG_TYPES:
        return False
    if tools:
        for tool in tools:
            function = tool.get("function") if type(tool) is dict else None
            if (
                type(function) is not dict
                or type(function.get("name")) is not str
                or tool.get("type", "function") != "function"
            ):
                return False
    for message in context:
        if type(message) is not dict or message.keys() != _PLAIN_KEYS:
            return False
        content = message["content"]
        role = message["role"]
        if (
            type(content) is not str
            or not content
            or type(role) is not str
            or role not in _PLAIN_CONTEXT_ROLES
        ):
            return False
    if context[-1]["role"] != "user":
        return False
    if len(preferred) != 1 or len(rejected) != 1:
        return False
    first = preferred[0]
    second = rejected[0]
    for message in (first, second):
        if type(message) is not dict or message.keys() != _PLAIN_KEYS or message["role"] != "assistant":
            return False
        content = message["content"]
        if type(content) is not str or not content or content[0].isspace() or content[-1].isspace():
            return False
    return bool(first["content"] != second["content"])


def _plain_openai_key(value: Any, size: int, limit: int) -> bytes | None:
    """For an OpenAI DPO JSON object that passes every per-record rule, its duplicate key; else ``None``.

    This is the hot path of checking a file in the platforms' own format: it decides from the parsed
    JSON without building a record. It accepts only objects the OpenAI dialect reads without any issue
    into a record :func:`_is_plain_pair` accepts, and returns what :func:`_example_key` would.
    """
    if type(value) is not dict:
        return None
    source = value.get("input")
    preferred = value.get("preferred_output")
    rejected = value.get("non_preferred_output")
    if type(source) is not dict or type(preferred) is not list or type(rejected) is not list:
        return None
    if "metadata" in value and type(value["metadata"]) is not dict:
        return None
    messages = source.get("messages")
    tools = source.get("tools")
    if type(messages) is not list or (tools is not None and type(tools) is not list):
        return None
    if not _plain_parts(messages, tools, source.get("parallel_tool_calls"), preferred, rejected):
        return None
    if size + 16 > limit:
        return None  # long enough that the token limit must be checked on the record
    return orjson.dumps([messages, tools, preferred, rejected])


def _check_prompt(record: PreferenceRecord, profile: Profile, out: _Collector, prompt_reported: bool) -> None:
    context = record.context
    if not context:
        if not prompt_reported:
            out.add(
                EMPTY_PROMPT, "The prompt has no messages; add at least one user message.", "input.messages"
            )
        return
    last = context[-1]
    role = last.get("role") if isinstance(last, dict) else None
    if role not in ("user", "tool"):
        fix = None
        if role == "assistant" and record.preferred and _same_turn(last, record.preferred[0]):
            fix = Fix(
                "Remove the copy of the preferred answer from the end of the prompt", _drop_last_context
            )
        shown = f"'{role}'" if isinstance(role, str) else "no role"
        out.add(
            LAST_NOT_USER,
            f"The prompt ends with a {shown} message; it must end with a user (or tool) message, "
            "because the answers are the next assistant turn.",
            f"input.messages[{len(context) - 1}]",
            fix=fix,
        )


def _same_turn(first: Message, second: Message) -> bool:
    return first.get("content") == second.get("content") and first.get("tool_calls") == second.get(
        "tool_calls"
    )


def _drop_last_context(record: PreferenceRecord) -> PreferenceRecord:
    record.context = record.context[:-1]
    return record


def _check_tools(record: PreferenceRecord, out: _Collector) -> frozenset[str] | None:
    """Check the tool definitions; return the declared names (``None`` when no tools are declared)."""
    flag = record.parallel_tool_calls
    if flag is not None and not isinstance(flag, bool):
        fix = None
        if isinstance(flag, str) and flag.strip().lower() in ("true", "false"):
            value = flag.strip().lower() == "true"
            fix = Fix(f"Write it as {str(value).lower()}", lambda r, v=value: _set_parallel(r, v))
        out.add(
            PARALLEL_TOOL_CALLS,
            f"'parallel_tool_calls' must be true or false, not {orjson.dumps(flag).decode()[:40]}.",
            "input.parallel_tool_calls",
            fix=fix,
        )
    tools = record.tools
    if not tools:
        return None
    names: set[str] = set()
    for position, tool in enumerate(tools):
        function = tool.get("function") if isinstance(tool, dict) else None
        name = function.get("name") if isinstance(function, dict) else None
        if (
            not isinstance(tool, dict)
            or tool.get("type", "function") != "function"
            or not isinstance(name, str)
        ):
            out.add(
                BAD_TOOL_DEFINITION,
                'A tool definition must look like {"type": "function", "function": {"name": ...}}.',
                f"input.tools[{position}]",
            )
            continue
        names.add(name)
    return frozenset(names)


def _set_parallel(record: PreferenceRecord, value: bool) -> PreferenceRecord:
    record.parallel_tool_calls = value
    return record


def _check_messages(
    messages: Sequence[Any],
    path: str,
    allowed_roles: frozenset[str],
    out: _Collector,
    declared: frozenset[str] | None,
    known_call_ids: set[str] | None,
) -> set[str]:
    """Rules every message obeys, wherever it is; returns the tool-call ids the messages make."""
    call_ids: set[str] = set() if known_call_ids is None else set(known_call_ids)
    for position, message in enumerate(messages):
        if not isinstance(message, dict):
            continue  # the dialect reported it (DPO029)
        where = f"{path}[{position}]"
        role = message.get("role")
        if role not in allowed_roles:
            _report_role(message, role, where, allowed_roles, path, out)
        if not _MESSAGE_KEYS.issuperset(message):
            unknown = sorted(key for key in message if key not in _MESSAGE_KEYS)
            out.add(
                UNKNOWN_MESSAGE_KEY,
                f"The message has field(s) the platforms do not know: {', '.join(unknown)}. "
                "The upload may be rejected.",
                where,
                fix=Fix(f"Remove {', '.join(unknown)}", _drop_keys_fix(path, position, tuple(unknown))),
            )
        tool_calls = message.get("tool_calls")
        content = message.get("content")
        if isinstance(content, str):
            if not content and role in ("user", "system") and not tool_calls:
                fix = (
                    Fix("Remove the empty system message", _drop_message_fix(path, position))
                    if role == "system" and path == "input.messages"
                    else None
                )
                out.add(
                    MISSING_CONTENT,
                    f"The {role} message is empty.",
                    f"{where}.content",
                    Severity.WARNING,
                    fix,
                )
        elif content is None:
            if not (role == "assistant" and (tool_calls or message.get("function_call"))):
                what = "has no content" if "content" not in message else "has null content"
                out.add(MISSING_CONTENT, f"The message {what}.", f"{where}.content")
        elif isinstance(content, list):
            _check_parts(content, f"{where}.content", out)
        else:
            out.add(
                CONTENT_TYPE,
                f"The content is {type(content).__name__}; it must be text or a list of text parts.",
                f"{where}.content",
            )
        if role == "tool":
            call_id = message.get("tool_call_id")
            if not isinstance(call_id, str) or not call_id:
                out.add(TOOL_CALL_ID, "The tool message has no 'tool_call_id'.", f"{where}.tool_call_id")
            elif call_id not in call_ids:
                out.add(
                    UNKNOWN_TOOL_CALL_ID,
                    f"The tool result answers call '{call_id}', which no earlier assistant message makes.",
                    f"{where}.tool_call_id",
                )
        if tool_calls is not None:
            _check_tool_calls(tool_calls, f"{where}.tool_calls", out, declared, call_ids)
    return call_ids


def _report_role(
    message: Message, role: Any, where: str, allowed: frozenset[str], path: str, out: _Collector
) -> None:
    alias = _ROLE_ALIASES.get(role) if isinstance(role, str) else None
    if alias is not None and alias not in allowed:
        alias = None
    fix = Fix(f"Change the role to '{alias}'", _rename_role_fix(path, role, alias)) if alias else None
    if role is None:
        message_text = "The message has no role."
    elif role == "developer":
        message_text = "The 'developer' role does not exist in fine-tuning data; use 'system'."
    else:
        roles = "/".join(sorted(allowed - {"function"}))
        message_text = f"The role {orjson.dumps(role).decode()[:40]} is not allowed here (use {roles})."
    code = UNKNOWN_ROLE if path == "input.messages" else ANSWER_ROLE
    out.add(code, message_text, f"{where}.role", fix=fix)


def _check_parts(parts: list[Any], where: str, out: _Collector) -> None:
    for position, part in enumerate(parts):
        kind = part.get("type") if isinstance(part, dict) else None
        if kind in _TEXT_PART_TYPES:
            continue
        if kind in _MEDIA_PART_TYPES:
            out.add(
                MEDIA_CONTENT,
                f"The message holds {kind} content; DPO training data must be text only.",
                f"{where}[{position}]",
            )
        elif not isinstance(part, str):
            out.add(CONTENT_TYPE, "A content part is not a text part.", f"{where}[{position}]")


def _check_tool_calls(
    tool_calls: Any, where: str, out: _Collector, declared: frozenset[str] | None, call_ids: set[str]
) -> None:
    if not isinstance(tool_calls, list):
        out.add(CONTENT_TYPE, "'tool_calls' must be a list of calls.", where)
        return
    for position, call in enumerate(tool_calls):
        function = call.get("function") if isinstance(call, dict) else None
        if not isinstance(function, dict):
            out.add(CONTENT_TYPE, "A tool call has no 'function' object.", f"{where}[{position}]")
            continue
        call_id = call.get("id")
        if isinstance(call_id, str):
            call_ids.add(call_id)
        name = function.get("name")
        if declared is None:
            out.add(
                UNDECLARED_TOOL,
                f"The message calls the tool '{name}', but input.tools declares no tools.",
                f"{where}[{position}].function.name",
            )
        elif name not in declared:
            out.add(
                UNDECLARED_TOOL,
                f"The message calls the tool '{name}', which input.tools does not declare.",
                f"{where}[{position}].function.name",
            )
        arguments = function.get("arguments")
        if isinstance(arguments, str):
            try:
                orjson.loads(arguments)
            except orjson.JSONDecodeError:
                out.add(
                    TOOL_ARGUMENTS,
                    "The tool-call arguments are not valid JSON.",
                    f"{where}[{position}].function.arguments",
                )


def _check_answer(
    record: PreferenceRecord,
    side: str,
    key: str,
    profile: Profile,
    out: _Collector,
    declared: frozenset[str] | None,
    call_ids: set[str],
    reported: bool,
) -> None:
    messages: list[Message] = getattr(record, side)
    label = "preferred" if side == "preferred" else "rejected"
    if not messages:
        if not reported:
            out.add(ANSWER_COUNT, f"The {label} answer has no message; add one assistant message.", key)
        return
    allowed = (
        frozenset(("assistant",)) if profile.single_message_answers else frozenset(("assistant", "tool"))
    )
    if len(messages) > 1:
        if profile.single_message_answers:
            out.add(
                ANSWER_COUNT,
                f"The {label} answer has {len(messages)} messages; {profile.name} trains exactly one "
                "assistant message per answer.",
                key,
            )
        else:
            out.add(
                ANSWER_COUNT,
                f"The {label} answer has {len(messages)} messages; {profile.name} accepts this, but only "
                "one-turn answers are documented for training.",
                key,
                Severity.INFO,
            )
    _check_messages(messages, key, allowed, out, declared, call_ids)
    has_assistant = False
    has_substance = False
    for message in messages:
        if not isinstance(message, dict):
            continue
        if message.get("role") == "assistant":
            has_assistant = True
        if message.get("tool_calls") or _has_text(message.get("content")):
            has_substance = True
    if not has_assistant and not profile.single_message_answers:
        out.add(ANSWER_ROLE, f"The {label} answer holds no assistant message.", key)
    if not has_substance:
        out.add(EMPTY_ANSWER, f"The {label} answer is empty (no text and no tool call).", f"{key}[0].content")
    elif len(messages) == 1:
        content = messages[0].get("content") if isinstance(messages[0], dict) else None
        if isinstance(content, str) and content != content.strip():
            out.add(
                ANSWER_WHITESPACE,
                f"The {label} answer starts or ends with whitespace; the model would learn to produce it.",
                f"{key}[0].content",
                fix=Fix("Trim the whitespace", _strip_answer_fix(side)),
            )


def _has_text(content: Any) -> bool:
    if isinstance(content, str):
        return bool(content.strip())
    if isinstance(content, list):
        return any(
            isinstance(part, dict) and str(part.get("text", part.get("value", ""))).strip()
            for part in content
        )
    return False


def _check_tokens(
    record: PreferenceRecord, profile: Profile, out: _Collector, source_size: int | None
) -> int | None:
    """Apply the token limit; returns the exact count when it had to be computed."""
    limit = profile.token_limit
    # A token is at least one byte, so a record never has more tokens than its source has bytes
    # (framing included: the JSON keys are longer than the framing tokens they stand for).
    if source_size is not None and source_size + 16 <= limit:
        return None
    if upper_bound_tokens(record) <= limit:
        return None
    tokens = count_record_tokens(record, profile.model)
    if tokens > limit:
        out.add(
            TOO_MANY_TOKENS,
            f"The example has {tokens:,} tokens (prompt + the longer answer); {profile.model} trains at most "
            f"{limit:,}, and the platform cuts the end off longer examples, which removes the answers.",
        )
    return tokens


# -- fixes -----------------------------------------------------------------------------------------------


def _messages_at(record: PreferenceRecord, path: str) -> list[Message]:
    if path == "input.messages":
        return record.context
    if path == "preferred_output":
        return record.preferred
    return record.rejected


def _rename_role_fix(path: str, old: str, new: str) -> Callable[[PreferenceRecord], PreferenceRecord]:
    def apply(record: PreferenceRecord) -> PreferenceRecord:
        for message in _messages_at(record, path):
            if isinstance(message, dict) and message.get("role") == old:
                message["role"] = new
        return record

    return apply


def _drop_keys_fix(
    path: str, position: int, keys: tuple[str, ...]
) -> Callable[[PreferenceRecord], PreferenceRecord]:
    def apply(record: PreferenceRecord) -> PreferenceRecord:
        messages = _messages_at(record, path)
        if position < len(messages) and isinstance(messages[position], dict):
            for key in keys:
                messages[position].pop(key, None)
        return record

    return apply


def _drop_message_fix(path: str, position: int) -> Callable[[PreferenceRecord], PreferenceRecord]:
    def apply(record: PreferenceRecord) -> PreferenceRecord:
        messages = _messages_at(record, path)
        if position < len(messages):
            del messages[position]
        return record

    return apply


def _strip_answer_fix(side: str) -> Callable[[PreferenceRecord], PreferenceRecord]:
    def apply(record: PreferenceRecord) -> PreferenceRecord:
        messages: list[Message] = getattr(record, side)
        if messages and isinstance(messages[0].get("content"), str):
            messages[0]["content"] = messages[0]["content"].strip()
        return record

    return apply


# -- whole dataset ---------------------------------------------------------------------------------------


def _example_key(record: PreferenceRecord) -> bytes:
    """Exact identity of an example's training content (metadata and notes left out)."""
    return orjson.dumps([record.context, record.tools, record.preferred, record.rejected])


class _DatasetCheck:
    """The per-record and cross-record rules over a stream of records, assembled into a report."""

    def __init__(
        self,
        profile: Profile,
        *,
        validation: Any | None,
        progress: Callable[[int, int], None] | None,
        count_tokens: bool,
    ) -> None:
        self.profile = profile
        self.progress = progress
        self.count_tokens = count_tokens
        self.report = ValidationReport()
        self.per_entry: list[Finding] = []
        self.other_prompts = _prompts_of(validation) if validation is not None else {}
        # Duplicates: hash of each example's content -> first entry. A hash match is a candidate that
        # is confirmed exactly at the end, so memory stays small and there are no false hits.
        self.seen: dict[int, int] = {}
        self.candidates: list[tuple[int, int]] = []
        self.total = 0
        #: Whether OpenAI DPO objects may take the fast path (it cannot count tokens or match prompts).
        self.fast = not count_tokens and not self.other_prompts

    def check_value(self, index: int, line: int, value: Any, size: int, dialect: Any) -> None:
        """Run the rules on one parsed JSON object of ``dialect`` (``size``: its source bytes)."""
        if self.fast and dialect.name == "openai_dpo":
            key = _plain_openai_key(value, size, self.profile.token_limit)
            if key is not None:
                first = self.seen.setdefault(hash(key), index)
                if first != index:
                    self.candidates.append((index, first))
                if self.progress is not None and not index % 4096:
                    self.progress(index, self.total)
                return
        record, issues = dialect.parse(value)
        self.check(index, line, record, issues, size)

    def check(
        self, index: int, line: int, record: PreferenceRecord, issues: Sequence[Issue], size: int | None
    ) -> None:
        """Run the rules on one record (``size``: its source bytes, ``None`` if edited)."""
        profile = self.profile
        found = validate_record(record, profile, entry=index, line=line, issues=issues, source_size=size)
        if found:
            self.per_entry.extend(found)
            if not self.count_tokens and any(finding.code == TOO_MANY_TOKENS for finding in found):
                self.report.tokens[index] = count_record_tokens(record, profile.model)
        if self.count_tokens:
            self.report.tokens[index] = count_record_tokens(record, profile.model)
        if record.context or record.preferred or record.rejected:
            digest = hash(_example_key(record))
            first = self.seen.setdefault(digest, index)
            if first != index:
                self.candidates.append((index, first))
            if self.other_prompts and record.context:
                other = self.other_prompts.get(record.prompt_key())
                if other is not None:
                    self.per_entry.append(
                        Finding(
                            TRAIN_VALIDATION_OVERLAP,
                            Severity.WARNING,
                            f"The same prompt is in the validation file (line {other}); validation loss "
                            "then measures memory, not generalisation.",
                            index,
                            line,
                            0,
                            "input.messages",
                        )
                    )
        if self.progress is not None and not index % 4096:
            self.progress(index, self.total)

    def finish(self, dataset: Any, size: int) -> ValidationReport:
        """Confirm duplicates, add the file-level rules and order the findings."""
        from dpo_studio.core.dataset import EntryKind

        entries = dataset.entries
        for index, first in self.candidates:
            if _example_key(dataset.record(index)) == _example_key(dataset.record(first)):
                line = entries[index].line
                self.per_entry.append(
                    Finding(
                        DUPLICATE,
                        Severity.WARNING,
                        f"This example repeats line {entries[first].line or first + 1}; duplicates weigh it "
                        "more than the others.",
                        index,
                        line,
                    )
                )
        if self.candidates:
            self.per_entry.sort(key=lambda finding: finding.entry or 0)  # stable: rule order kept per entry
        report = self.report
        # An entry the reader re-classified after visiting it (a last line ending in a lone CR) is no record.
        report.findings = dataset.read_findings()
        report.findings.extend(f for f in self.per_entry if entries[f.entry or 0].kind is EntryKind.RECORD)
        report.example_count = sum(1 for entry in entries if entry.kind is EntryKind.RECORD)
        report.findings.extend(_file_findings(report.example_count, size, self.profile))
        if self.progress is not None:
            self.progress(self.total, self.total)
        return report


def validate_dataset(
    dataset: Any,
    profile: Profile,
    *,
    validation: Any | None = None,
    progress: Callable[[int, int], None] | None = None,
    count_tokens: bool = False,
) -> ValidationReport:
    """Every finding of ``dataset`` (a :class:`~dpo_studio.core.dataset.Dataset`).

    Read findings (unreadable lines) come first, then per-example findings in file order (duplicates
    and prompts also in ``validation``, another dataset, are reported on the later example), then the
    file-level ones: fewer than ``profile.min_examples`` examples, the file size, and a model not
    documented for DPO. ``progress(done, total)`` is called every few thousand entries. With
    ``count_tokens`` every example's exact token count lands in :attr:`ValidationReport.tokens`
    (slower; the token-limit rule itself needs no full count). For a file just read from disk,
    :func:`open_and_validate` does the same while reading, without parsing the file twice.
    """
    from dpo_studio.core.dataset import EntryKind, iter_sources

    check = _DatasetCheck(profile, validation=validation, progress=progress, count_tokens=count_tokens)
    entries = dataset.entries
    check.total = len(entries)
    size = 0
    parse = dataset.parse_entry
    record_kind = EntryKind.RECORD
    writable = dataset.dialect.writable
    dialect = dataset.dialect
    loads = orjson.loads
    for index, entry, source in iter_sources(entries):
        raw = source if entry.record is None else None
        if raw is not None:
            size += len(raw) + len(entry.terminator)
        if entry.kind is not record_kind:
            continue
        if raw is not None:
            check.check_value(index, entry.line, loads(raw), len(raw), dialect)
            continue
        record, issues = parse(index)
        if record is None:
            continue
        if writable:
            size += len(orjson.dumps(dialect.to_json(record))) + 1
        check.check(index, entry.line, record, issues, None)
    return check.finish(dataset, size)


def open_and_validate(
    path: str | Path,
    profile: Profile,
    *,
    dialect: Any | None = None,
    data: bytes | None = None,
    validation: Any | None = None,
    progress: Callable[[int, int], None] | None = None,
    count_tokens: bool = False,
) -> tuple[Any, ValidationReport]:
    """Read a file and validate it in one pass: each line is parsed once, for both.

    ``dialect`` (a Dialect or its name) skips detection; ``data`` passes bytes already read from
    ``path``. Returns the :class:`~dpo_studio.core.dataset.Dataset` and the same report
    :func:`validate_dataset` would give.
    """
    from dpo_studio.core.dataset import Dataset, Entry, read_file_bytes
    from dpo_studio.core.detect import detect_dialect
    from dpo_studio.core.dialects import get_dialect

    file_path = Path(path)
    content = read_file_bytes(file_path) if data is None else data
    if dialect is None:
        chosen = detect_dialect(content).dialect
    elif isinstance(dialect, str):
        chosen = get_dialect(dialect)
    else:
        chosen = dialect
    check = _DatasetCheck(profile, validation=validation, progress=progress, count_tokens=count_tokens)
    check.total = content.count(b"\n") + 1
    check_value = check.check_value

    def visit(index: int, entry: Entry, value: Any) -> None:
        check_value(index, entry.line, value, entry.raw_size, chosen)

    dataset = Dataset.from_bytes(content, chosen, file_path, on_record=visit)
    check.total = len(dataset.entries)
    return dataset, check.finish(dataset, len(content))


def _prompts_of(dataset: Any) -> dict[str, int]:
    """Prompt key -> line of its first example in ``dataset``."""
    prompts: dict[str, int] = {}
    for index in dataset.record_indices():
        record, _issues = dataset.parse_entry(index)
        if record is not None and record.context:
            prompts.setdefault(record.prompt_key(), dataset.entries[index].line or index + 1)
    return prompts


def _size_text(size: int) -> str:
    if size >= 1024**3 and size % 1024**3 == 0:
        return f"{size // 1024**3} GB"
    if size >= 1024**2:
        return f"{size / 1024**2:,.0f} MB"
    return f"{size:,} bytes"


def _file_findings(examples: int, size: int, profile: Profile) -> list[Finding]:
    found = []
    if examples < profile.min_examples:
        found.append(
            Finding(
                TOO_FEW_EXAMPLES,
                Severity.ERROR,
                f"The file has {examples} example(s); {profile.name} needs at least {profile.min_examples} "
                "(and results usually need hundreds).",
            )
        )
    if size > profile.max_file_bytes:
        megabytes = size / (1024 * 1024)
        single = _size_text(profile.max_file_bytes)
        parts = _size_text(profile.max_upload_bytes)
        if size > profile.max_upload_bytes:
            found.append(
                Finding(
                    FILE_TOO_LARGE,
                    Severity.ERROR,
                    f"The file is {megabytes:,.0f} MB; even the Uploads API of {profile.name} takes at most "
                    f"{parts}. Split it into several training runs or remove examples.",
                )
            )
        else:
            found.append(
                Finding(
                    FILE_TOO_LARGE,
                    Severity.WARNING,
                    f"The file is {megabytes:,.0f} MB, over the {single} limit of a single upload; it must "
                    f"go through the Uploads API in parts (up to {parts}).",
                )
            )
    if profile.dpo_models and not profile.supports_dpo():
        found.append(
            Finding(
                MODEL_WITHOUT_DPO,
                Severity.WARNING,
                f"{profile.model} is not listed as supporting DPO on {profile.name} "
                f"(documented: {', '.join(profile.dpo_models)}).",
            )
        )
    return found
