"""Working out which dialect a file is written in, from a sample of its records."""

from __future__ import annotations

from dataclasses import dataclass, field

import orjson

from dpo_studio.core.dialects import DIALECTS, Dialect
from dpo_studio.core.textfile import Container, detect_layout, split_array, split_lines

#: How many parseable values detection looks at.
SAMPLE_SIZE = 200
#: Below this average score detection calls itself unsure.
CONFIDENT = 0.75


@dataclass
class Detection:
    """The outcome of detection: the best dialect, its confidence, and why."""

    dialect: Dialect
    confidence: float
    explanation: str
    #: Every dialect's average score, best first.
    scores: list[tuple[Dialect, float]] = field(default_factory=list)

    @property
    def certain(self) -> bool:
        """Whether the choice is clear enough to use without asking the user."""
        return self.confidence >= CONFIDENT and (
            len(self.scores) < 2 or self.scores[0][1] - self.scores[1][1] >= 0.2
        )


def sample_values(data: bytes, limit: int = SAMPLE_SIZE) -> list[object]:
    """Up to ``limit`` parsed JSON values from the start of a file (JSONL or JSON array)."""
    layout = detect_layout(data)
    values: list[object] = []
    if layout.container is Container.JSON_ARRAY:
        body = data[3:] if layout.bom else data
        head = body[: 4 * 1024 * 1024].decode("utf-8", errors="replace")
        elements, _problem = split_array(head)
        return [element.value for element in elements[:limit]]
    for raw_line in split_lines(data, layout):
        if not raw_line.raw.strip():
            continue
        try:
            values.append(orjson.loads(raw_line.raw))
        except orjson.JSONDecodeError:
            continue
        if len(values) >= limit:
            break
    return values


def detect_dialect(data: bytes) -> Detection:
    """Name the dialect of a file's bytes, with a confidence and a plain explanation."""
    values = sample_values(data)
    if not values:
        fallback = DIALECTS[0]
        return Detection(fallback, 0.0, "The file holds no readable JSON records, so its format is unknown.")
    scored = []
    for dialect in DIALECTS:
        total = sum(dialect.sniff(value) for value in values)
        scored.append((dialect, total / len(values)))
    scored.sort(key=lambda pair: pair[1], reverse=True)
    best, score = scored[0]
    detection = Detection(best, score, "", scored)
    if detection.certain:
        detection.explanation = f"{best.label}: {score:.0%} of {len(values)} sampled records match."
    elif score == 0:
        keys = _common_keys(values)
        detection.explanation = (
            "No known preference format matches this file"
            + (f" (its records have the keys {keys})" if keys else "")
            + ". Choose the format by hand or convert the file."
        )
    else:
        runner_up = scored[1] if len(scored) > 1 else None
        detection.explanation = (
            f"Unsure: {best.label} matches {score:.0%} of {len(values)} sampled records"
            + (f", {runner_up[0].label} {runner_up[1]:.0%}." if runner_up else ".")
        )
    return detection


def _common_keys(values: list[object]) -> str:
    counts: dict[str, int] = {}
    for value in values:
        if isinstance(value, dict):
            for key in value:
                counts[key] = counts.get(key, 0) + 1
    top = sorted(counts, key=lambda key: -counts[key])[:6]
    return ", ".join(top)
