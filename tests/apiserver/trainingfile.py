"""The server's own, deliberately small check of uploaded training files (independent of the app's validator).

It answers what the real services answer at job validation: how many examples there are, roughly how many
tokens they hold (for `trained_tokens`), and the first problem that would make the job fail.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

MIN_EXAMPLES = 10


@dataclass(frozen=True)
class FileCheck:
    """What a job learns from its training file."""

    examples: int
    tokens: int
    problem: str | None  # the message a failed job carries, or None
    code: str | None = None


def read_jsonl(content: bytes) -> tuple[list[Any], str | None]:
    """Parse JSONL (UTF-8, BOM allowed); return the objects and the first format problem, if any."""
    try:
        text = content.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        return [], f"Invalid file format: the file is not UTF-8 (byte {error.start})."
    rows: list[Any] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            rows.append(json.loads(line))
        except json.JSONDecodeError as error:
            return rows, f"Invalid file format. Line {number}: invalid JSON ({error.msg})."
        if not isinstance(rows[-1], dict):
            return rows, f"Invalid file format. Line {number}: each line must be a JSON object."
    return rows, None


def check_training_file(content: bytes, method: str) -> FileCheck:
    """Check the file for a `dpo` or `supervised` job the way the service does before queueing it."""
    rows, problem = read_jsonl(content)
    tokens = len(content) // 4
    if problem:
        return FileCheck(len(rows), tokens, problem, "invalid_training_file")
    for number, row in enumerate(rows, start=1):
        problem = _dpo_problem(row) if method == "dpo" else _supervised_problem(row)
        if problem:
            return FileCheck(
                len(rows),
                tokens,
                f"Invalid file format. Example {number}: {problem}",
                "invalid_training_file",
            )
    if len(rows) < MIN_EXAMPLES:
        # Wording and code as OpenAI reports it (reference/openai-fine-tuning-api.md §1c).
        message = f"Training file has {len(rows)} example(s), but must have at least {MIN_EXAMPLES} examples"
        return FileCheck(len(rows), tokens, message, "invalid_n_examples")
    return FileCheck(len(rows), tokens, None)


def _dpo_problem(row: dict[str, Any]) -> str | None:
    source = row.get("input")
    if not isinstance(source, dict) or not isinstance(source.get("messages"), list) or not source["messages"]:
        return "'input.messages' must be a non-empty list of messages."
    for key in ("preferred_output", "non_preferred_output"):
        output = row.get(key)
        if not isinstance(output, list) or len(output) != 1:
            return f"'{key}' must be a list with exactly one assistant message."
        message = output[0]
        if not isinstance(message, dict) or message.get("role") != "assistant":
            return f"'{key}' must contain an assistant message."
        if not message.get("content") and not message.get("tool_calls"):
            return f"'{key}' has an empty assistant message."
    return None


def _supervised_problem(row: dict[str, Any]) -> str | None:
    messages = row.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty list."
    if not any(isinstance(m, dict) and m.get("role") == "assistant" for m in messages):
        return "no assistant message."
    return None
