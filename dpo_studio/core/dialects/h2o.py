"""H2O LLM Studio DPO data: ``prompt`` / ``chosen_response`` / ``rejected_response`` texts (read only).

An optional ``system`` column becomes the system message. H2O chains multi-turn conversations across
rows with ``id`` / ``parent_id``; those columns are kept as unknown fields, each row is one example.
"""

from __future__ import annotations

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
from dpo_studio.core.findings import Issue
from dpo_studio.core.records import PreferenceRecord

_REQUIRED = ("prompt", "chosen_response", "rejected_response")
_KNOWN = (*_REQUIRED, "system")


class H2O(Dialect):
    """H2O LLM Studio's three text columns."""

    name = "h2o"
    label = "H2O LLM Studio DPO"
    writable = False

    def sniff(self, value: Any) -> float:
        if not isinstance(value, dict) or "chosen_response" not in value:
            return 0.0
        present = sum(1 for key in _REQUIRED if key in value) / len(_REQUIRED)
        # Exported tables often carry extra columns (ids, scores), so they cost little.
        foreign = sum(1 for key in value if key not in (*_KNOWN, "id", "parent_id"))
        return max(0.0, present - min(0.2, 0.03 * foreign))

    def parse(self, value: Any) -> tuple[PreferenceRecord, list[Issue]]:
        record = PreferenceRecord()
        if not isinstance(value, dict):
            return record, [not_object_issue(value)]
        issues: list[Issue] = []
        record.extra = extra_fields(value, _KNOWN)
        system = value.get("system")
        if isinstance(system, str) and system:
            record.context.append(text_message("system", system))
        elif "system" in value:
            record.extra["system"] = system
        prompt = value.get("prompt")
        if isinstance(prompt, str):
            record.context.append(text_message("user", prompt))
        elif prompt is None:
            issues.append(issue(codes.MESSAGES_MISSING, "'prompt' is missing.", "prompt"))
        else:
            issues.append(issue(codes.PROMPT_SHAPE, "'prompt' must be a text.", "prompt"))
            record.extra["prompt"] = prompt
        for side, key in (("preferred", "chosen_response"), ("rejected", "rejected_response")):
            answer = value.get(key)
            if isinstance(answer, str):
                setattr(record, side, [text_message("assistant", answer)])
            elif answer is None:
                missing_answer(value, key, record, issues)
            else:
                issues.append(issue(codes.ANSWER_SHAPE, f"'{key}' must be a text.", key))
                record.extra[key] = answer
        return record, issues
