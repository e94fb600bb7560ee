"""Working out which dialect a file is written in, from a sample of its records.

Every dialect scores each sampled record (:meth:`Dialect.sniff`); the best average wins. When no
dialect fits well, detection says what the file seems to hold instead (chat fine-tuning data, KTO
data, bare conversations, unknown keys), so the user learns why it is not preference data.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

import orjson

from dpo_studio.core.dialects import DIALECTS, Dialect
from dpo_studio.core.textfile import (
    BOM,
    Container,
    detect_layout,
    split_array,
    split_lines,
    unsupported_encoding,
)

#: How many parseable values detection looks at (the first ones of the file: stable and cheap).
SAMPLE_SIZE = 200
#: At or above this average score detection is sure (if no other dialect comes close).
CONFIDENT = 0.75
#: How far ahead of the runner-up the best dialect must be to be sure.
MARGIN = 0.2
#: Confidence given to a dialect when the file is recognisably not preference data.
NOT_PREFERENCE_CONFIDENCE = 0.25
#: How much of a JSON-array file detection decodes.
_ARRAY_SAMPLE_BYTES = 4 * 1024 * 1024


class FileKind(StrEnum):
    """What a file holds, as far as detection can tell."""

    PREFERENCE = "preference"  # preference pairs in some dialect (known or not)
    EMPTY = "empty"  # no readable JSON record at all
    SFT = "sft"  # chat conversations without a rejected answer (supervised fine-tuning data)
    KTO = "kto"  # one answer per row with a true/false label (KTO, unpaired)
    CONVERSATION = "conversation"  # records are bare lists of chat messages, not objects
    UNKNOWN = "unknown"  # objects whose keys no dialect knows


@dataclass
class Detection:
    """The outcome of detection: the best dialect, its confidence, and why."""

    dialect: Dialect
    confidence: float
    explanation: str
    #: Every dialect's average score, best first.
    scores: list[tuple[Dialect, float]] = field(default_factory=list)
    #: What the file seems to hold; anything but ``PREFERENCE`` means it is not DPO data as it is.
    kind: FileKind = FileKind.PREFERENCE
    #: How many records the decision is based on.
    sampled: int = 0

    @property
    def certain(self) -> bool:
        """Whether the choice is clear enough to use without asking the user."""
        return self.confidence >= CONFIDENT and (
            len(self.scores) < 2 or self.scores[0][1] - self.scores[1][1] >= MARGIN
        )


def sample_values(data: bytes, limit: int = SAMPLE_SIZE) -> list[object]:
    """Up to ``limit`` parsed JSON values from the start of a file (JSONL or JSON array)."""
    layout = detect_layout(data)
    values: list[object] = []
    if layout.container is Container.JSON_ARRAY:
        body = data[len(BOM) :] if layout.bom else data
        head = body[:_ARRAY_SAMPLE_BYTES].decode("utf-8", errors="replace")
        elements, _problem = split_array(head)
        return [element.value for element in elements[:limit]]
    for raw_line in split_lines(data, layout):
        try:
            values.append(orjson.loads(raw_line.raw))
        except orjson.JSONDecodeError:
            continue
        if len(values) >= limit:
            break
    return values


def detect_dialect(data: bytes) -> Detection:
    """Name the dialect of a file's bytes, with a confidence and a plain explanation."""
    detection = detect_values(sample_values(data))
    if detection.kind is FileKind.EMPTY:
        problem = unsupported_encoding(data)
        if problem is not None:
            detection.explanation = problem
        elif data.lstrip(BOM + b" \t\r\n")[:1] == b"{":
            detection.explanation = (
                "No line of the file is a complete JSON object: it looks like JSON spread over several "
                "lines (pretty-printed). JSON Lines needs one example per line; save it that way."
            )
    return detection


def detect_values(values: list[object]) -> Detection:
    """Name the dialect of already parsed records (see :func:`detect_dialect`)."""
    if not values:
        return Detection(
            DIALECTS[0],
            0.0,
            "The file holds no readable JSON records, so its format is unknown.",
            kind=FileKind.EMPTY,
        )
    scored = [(dialect, sum(dialect.sniff(value) for value in values) / len(values)) for dialect in DIALECTS]
    scored.sort(key=lambda pair: pair[1], reverse=True)  # stable: DIALECTS order breaks ties
    best, score = scored[0]
    detection = Detection(best, score, "", scored, sampled=len(values))
    if detection.certain:
        detection.explanation = f"{best.label}: {score:.0%} of {len(values)} sampled records match."
        return detection
    kind, reason = describe_shape(values)
    detection.kind = kind
    if kind is not FileKind.PREFERENCE:
        detection.confidence = min(score, NOT_PREFERENCE_CONFIDENCE)
        detection.explanation = reason
        if score > 0:
            detection.explanation += f" Read as {best.label}, the records will show what is missing."
        return detection
    runner_up = scored[1]
    if score >= CONFIDENT:
        detection.explanation = (
            f"Unsure: the records fit {best.label} ({score:.0%}) and {runner_up[0].label} "
            f"({runner_up[1]:.0%}) almost equally. Choose the format by hand."
        )
    else:
        detection.explanation = (
            f"Unsure: at best {score:.0%} of {len(values)} sampled records fit {best.label}"
            f" ({runner_up[0].label}: {runner_up[1]:.0%}). {reason}"
        )
    return detection


def describe_shape(values: list[object]) -> tuple[FileKind, str]:
    """What sampled records hold when they are not clearly one dialect, in one or two sentences."""
    objects = [value for value in values if isinstance(value, dict)]
    if len(objects) * 2 <= len(values):
        lists = [value for value in values if isinstance(value, list)]
        if len(lists) == len(values) and any(
            isinstance(item, dict) and "role" in item for value in lists for item in value
        ):
            return FileKind.CONVERSATION, (
                "The records are bare lists of chat messages (one conversation each), not preference "
                "examples: there is no preferred and rejected answer to compare."
            )
        types = sorted({_json_type(value) for value in values})
        return FileKind.UNKNOWN, (
            f"Most records are JSON {' / '.join(types)} values, not objects, so they are not preference "
            "examples."
        )
    counts: Counter[str] = Counter(key for value in objects for key in value)
    majority = len(objects) / 2

    def common(key: str) -> bool:
        return counts[key] > majority

    labelled = sum(1 for value in objects if isinstance(value.get("label"), bool))
    has_rejected = any(common(key) for key in _REJECTED_KEYS)
    if labelled > majority and not has_rejected:
        return FileKind.KTO, (
            "This looks like KTO data: one answer per record with a true/false 'label', not a preferred "
            "and a rejected answer to the same prompt. DPO needs pairs; pair a good and a bad answer per "
            "prompt first."
        )
    if (common("messages") or common("conversations")) and not has_rejected:
        return FileKind.SFT, (
            "This looks like chat fine-tuning (SFT) data: conversations with one answer and no rejected "
            "answer. DPO needs a preferred and a rejected answer per prompt."
        )
    keys = ", ".join(key for key, _count in counts.most_common(8))
    if not any(common(key) for key in _PREFERENCE_KEYS):
        return FileKind.UNKNOWN, (
            f"No known preference format matches this file: its records have the keys {keys}. "
            "Rename the fields (for example to prompt / chosen / rejected) or convert the file."
        )
    return FileKind.PREFERENCE, f"The records have the keys {keys}; choose the format by hand."


_REJECTED_KEYS = (
    "rejected",
    "rejected_message",
    "non_preferred_output",
    "rejected_response",
    "rejected_messages",
)
_PREFERENCE_KEYS = (*_REJECTED_KEYS, "chosen", "preferred_output", "chosen_response", "chosen_messages")


def _json_type(value: object) -> str:
    if isinstance(value, list):
        return "array"
    if isinstance(value, str):
        return "string"
    if isinstance(value, bool):
        return "boolean"
    if value is None:
        return "null"
    return "number"
