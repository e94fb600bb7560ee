"""Small training files for tests that talk to the local API server."""

from __future__ import annotations

import json


def dpo_jsonl(count: int = 12, *, prefix: str = "Question") -> bytes:
    """`count` valid OpenAI DPO examples as JSONL bytes (distinct prompts)."""
    lines = []
    for index in range(count):
        lines.append(
            json.dumps(
                {
                    "input": {
                        "messages": [
                            {"role": "system", "content": "Answer briefly."},
                            {"role": "user", "content": f"{prefix} {index}: what is {index} + {index}?"},
                        ]
                    },
                    "preferred_output": [{"role": "assistant", "content": f"{index + index}."}],
                    "non_preferred_output": [
                        {"role": "assistant", "content": "I am not sure, maybe ask someone else."}
                    ],
                }
            )
        )
    return ("\n".join(lines) + "\n").encode()


def sft_jsonl(count: int = 12) -> bytes:
    """`count` valid chat (supervised) examples as JSONL bytes."""
    lines = [
        json.dumps(
            {"messages": [{"role": "user", "content": f"Say {i}"}, {"role": "assistant", "content": str(i)}]}
        )
        for i in range(count)
    ]
    return ("\n".join(lines) + "\n").encode()
