"""Deterministic synthetic DPO files of realistic shape, for benchmarks.

``python -m tests.benchmarks.synthetic 100000 out.jsonl`` writes 100k pairs in the OpenAI/Azure DPO
dialect: a system prompt on most rows, some multi-turn context, some tool definitions, answers of
realistic length (tens to hundreds of words), a little non-ASCII text.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

_WORDS = (
    "the model answer should be concise clear and polite customer order refund account shipping "
    "policy summary limit words format table list explain because therefore however example data "
    "price invoice delivery weather travel recipe code function error message request support "
    "Zürich café naïve résumé 東京 データ 🙂"
).split()

_TOOL = {
    "type": "function",
    "function": {
        "name": "lookup_order",
        "description": "Look up an order by its number.",
        "parameters": {
            "type": "object",
            "properties": {"order_id": {"type": "string"}},
            "required": ["order_id"],
        },
    },
}


def _sentence(rng: random.Random, low: int, high: int) -> str:
    words = [rng.choice(_WORDS) for _ in range(rng.randint(low, high))]
    return " ".join(words).capitalize() + "."


def _paragraph(rng: random.Random, sentences: int) -> str:
    return " ".join(_sentence(rng, 6, 18) for _ in range(sentences))


def make_record(index: int, rng: random.Random) -> dict[str, object]:
    """One synthetic OpenAI DPO example."""
    messages: list[dict[str, object]] = []
    if rng.random() < 0.8:
        messages.append({"role": "system", "content": _sentence(rng, 8, 25)})
    if rng.random() < 0.25:
        for _ in range(rng.randint(1, 3)):
            messages.append({"role": "user", "content": _paragraph(rng, rng.randint(1, 3))})
            messages.append({"role": "assistant", "content": _paragraph(rng, rng.randint(1, 4))})
    messages.append({"role": "user", "content": f"#{index} " + _paragraph(rng, rng.randint(1, 4))})
    input_obj: dict[str, object] = {"messages": messages}
    if rng.random() < 0.1:
        input_obj["tools"] = [_TOOL]
    return {
        "input": input_obj,
        "preferred_output": [{"role": "assistant", "content": _paragraph(rng, rng.randint(2, 8))}],
        "non_preferred_output": [{"role": "assistant", "content": _paragraph(rng, rng.randint(2, 10))}],
    }


def write_synthetic(path: Path, count: int, seed: int = 20261124) -> Path:
    """Write ``count`` synthetic pairs to ``path`` (same bytes for the same count and seed)."""
    rng = random.Random(seed)
    with path.open("w", encoding="utf-8", newline="\n") as handle:
        for index in range(count):
            handle.write(json.dumps(make_record(index, rng), ensure_ascii=False))
            handle.write("\n")
    return path


def cached_synthetic(count: int, folder: Path | None = None) -> Path:
    """A synthetic file of ``count`` pairs under ``bench-data/`` (made once, reused)."""
    target_dir = folder or Path(__file__).resolve().parents[2] / "bench-data"
    target_dir.mkdir(parents=True, exist_ok=True)
    path = target_dir / f"synthetic_{count}.jsonl"
    if not path.exists():
        partial = path.with_suffix(".partial")
        write_synthetic(partial, count)
        partial.replace(path)
    return path


if __name__ == "__main__":
    write_synthetic(Path(sys.argv[2]), int(sys.argv[1]))
