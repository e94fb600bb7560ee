"""Implicit prompts: splitting two full conversations into their shared prompt and their two answers.

TRL (without a ``prompt`` column), HH-RLHF and LLaMA-Factory v1 all store each side as a whole
conversation; the part both sides share is the prompt. The rules follow TRL's ``extract_prompt``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from dpo_studio.core.dialects import codes
from dpo_studio.core.dialects.base import issue
from dpo_studio.core.findings import Issue, Severity
from dpo_studio.core.records import Message


def common_text_prefix(first: str, second: str) -> int:
    """Length of the longest common prefix of two strings (binary search: C-speed comparisons)."""
    low, high = 0, min(len(first), len(second))
    while low < high:
        middle = (low + high + 1) // 2
        if first[:middle] == second[:middle]:
            low = middle
        else:
            high = middle - 1
    return low


def implicit_text_split(chosen: str, rejected: str) -> int:
    """Where TRL ends the implicit prompt of two texts: their common prefix, minus a trailing space.

    When one text is a prefix of the other, the last shared character is left to the answers so that
    neither answer is empty (TRL does the same).
    """
    shortest = min(len(chosen), len(rejected))
    index = common_text_prefix(chosen, rejected)
    if index == shortest:
        return max(0, shortest - 1)
    if index > 0 and chosen[index - 1] == " ":
        index -= 1
    return index


def implicit_message_split(
    chosen: Sequence[Message], rejected: Sequence[Message], chosen_field: str = "chosen"
) -> tuple[int, list[Issue]]:
    """How many leading messages form the shared prompt, and issues when the split is doubtful."""
    shortest = min(len(chosen), len(rejected))
    index = 0
    while index < shortest and chosen[index] == rejected[index]:
        index += 1
    issues: list[Issue] = []
    if index == shortest and shortest:
        index = shortest - 1
        if len(chosen) == len(rejected):
            issues.append(
                issue(
                    codes.IDENTICAL_TRANSCRIPTS,
                    "'chosen' and 'rejected' are the same conversation; their last messages are taken "
                    "as the two answers.",
                    chosen_field,
                    Severity.WARNING,
                )
            )
    if _holds_prompt_turn(chosen[index:]) or _holds_prompt_turn(rejected[index:]):
        issues.append(
            issue(
                codes.NO_SHARED_PROMPT,
                f"'chosen' and 'rejected' differ from message {index + 1} on, before their final answers, "
                "so they share no prompt. The shared start is taken as the prompt and the rest as "
                "multi-turn answers, which OpenAI/Azure DPO does not accept.",
                f"{chosen_field}[{index}]",
            )
        )
    elif index == 0 and shortest:
        issues.append(
            issue(
                codes.NO_SHARED_PROMPT,
                "'chosen' and 'rejected' share no leading messages, so the example has no prompt.",
                chosen_field,
            )
        )
    return index, issues


def _holds_prompt_turn(messages: Sequence[Any]) -> bool:
    return any(isinstance(m, dict) and m.get("role") in ("user", "system") for m in messages)
