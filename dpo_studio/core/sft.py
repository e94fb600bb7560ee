"""Supervised fine-tuning (SFT) examples made from the preferred answers of a DPO dataset.

OpenAI and Azure both recommend training on the preferred answers first (SFT), then running DPO from that
model. An SFT example in the chat format is ``{"messages": [...]}`` — the prompt's messages followed by the
preferred answer — plus ``tools`` / ``parallel_tool_calls`` when the pair declares tools. The rejected
answer is not used.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import orjson

from dpo_studio.core.records import PreferenceRecord


def sft_example(record: PreferenceRecord) -> dict[str, Any]:
    """The chat-format SFT example of one pair: its context followed by the preferred answer."""
    example: dict[str, Any] = {
        "messages": [dict(m) for m in record.context] + [dict(m) for m in record.preferred]
    }
    if record.tools:
        example["tools"] = record.tools
    if record.parallel_tool_calls is not None:
        example["parallel_tool_calls"] = record.parallel_tool_calls
    return example


def sft_jsonl(records: Iterable[PreferenceRecord]) -> bytes:
    """UTF-8 JSON Lines (no BOM, one example per line, final newline) of the pairs' SFT examples."""
    return b"".join(orjson.dumps(sft_example(record)) + b"\n" for record in records)
