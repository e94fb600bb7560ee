"""Pair-quality analytics: what makes a DPO run learn the wrong thing even when the file is valid.

* **Length bias** — if the preferred answer is nearly always the longer one, DPO learns "longer is
  better" rather than the preference you meant. A two-sided sign test says whether the skew is more
  than chance.
* **Identical and empty answers** — pairs that teach nothing.
* **Exact and near-duplicate prompts** — near duplicates differ only in case, spacing or punctuation.
* **Contradictory pairs** — the same prompt with A preferred over B in one pair and B over A in another.
* **Prompts per pair** — how many pairs share each prompt.
"""

from __future__ import annotations

import hashlib
import math
import re
import statistics
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from dpo_studio.core.records import PreferenceRecord

#: A length skew is reported when the sign test's p-value is below this and the share is this far from ½.
BIAS_P_VALUE = 0.01
BIAS_MIN_SKEW = 0.1
#: How many example entries each list in a report keeps (counts are always complete).
EXAMPLES_KEPT = 50

_PUNCTUATION = re.compile(r"[^\w]+", re.UNICODE)


@dataclass
class LengthBias:
    """Answer lengths in characters, and how often the preferred one is longer."""

    pairs: int = 0
    preferred_longer: int = 0
    rejected_longer: int = 0
    same_length: int = 0
    mean_preferred: float = 0.0
    mean_rejected: float = 0.0
    median_preferred: float = 0.0
    median_rejected: float = 0.0
    #: Two-sided sign test of "preferred longer" vs "rejected longer" (ties left out); 1.0 if no data.
    p_value: float = 1.0

    @property
    def share_preferred_longer(self) -> float:
        """Share of pairs (ties left out) in which the preferred answer is longer."""
        decided = self.preferred_longer + self.rejected_longer
        return self.preferred_longer / decided if decided else 0.5

    @property
    def biased(self) -> bool:
        """Whether the skew is both significant and large."""
        return self.p_value < BIAS_P_VALUE and abs(self.share_preferred_longer - 0.5) >= BIAS_MIN_SKEW

    def verdict(self) -> str:
        """One sentence for people."""
        if not self.pairs:
            return "No pairs to compare."
        share = self.share_preferred_longer
        text = (
            f"The preferred answer is longer in {share:.0%} of pairs "
            f"(mean {self.mean_preferred:,.0f} vs {self.mean_rejected:,.0f} characters)."
        )
        if self.biased:
            direction = "longer" if share > 0.5 else "shorter"
            text += (
                f" That is a length bias: the model may learn that {direction} answers win, "
                "whatever they say. Add pairs where the preferred answer is the "
                + ("shorter" if share > 0.5 else "longer")
                + " one."
            )
        return text


@dataclass
class QualityReport:
    """Everything :func:`quality_report` finds. Entry lists hold dataset entry indices."""

    pairs: int = 0
    length: LengthBias = field(default_factory=LengthBias)
    identical: list[int] = field(default_factory=list)
    empty: list[int] = field(default_factory=list)
    #: Groups of entries whose prompts are exactly the same (only prompts with 2+ pairs).
    duplicate_prompts: list[list[int]] = field(default_factory=list)
    #: Groups of entries whose prompts differ only in case, spacing or punctuation.
    near_duplicate_prompts: list[list[int]] = field(default_factory=list)
    #: (entry, entry) pairs that prefer opposite answers to the same prompt.
    contradictions: list[tuple[int, int]] = field(default_factory=list)
    #: pairs-per-prompt -> how many prompts have that many pairs.
    pairs_per_prompt: dict[int, int] = field(default_factory=dict)
    distinct_prompts: int = 0
    identical_count: int = 0
    empty_count: int = 0
    contradiction_count: int = 0

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready summary (entry lists cut to the first :data:`EXAMPLES_KEPT`)."""
        bias = self.length
        return {
            "pairs": self.pairs,
            "length_bias": {
                "preferred_longer": bias.preferred_longer,
                "rejected_longer": bias.rejected_longer,
                "same_length": bias.same_length,
                "share_preferred_longer": round(bias.share_preferred_longer, 4),
                "mean_chars_preferred": round(bias.mean_preferred, 1),
                "mean_chars_rejected": round(bias.mean_rejected, 1),
                "median_chars_preferred": bias.median_preferred,
                "median_chars_rejected": bias.median_rejected,
                "p_value": bias.p_value,
                "biased": bias.biased,
                "verdict": bias.verdict(),
            },
            "identical_answers": {"count": self.identical_count, "entries": self.identical[:EXAMPLES_KEPT]},
            "empty_answers": {"count": self.empty_count, "entries": self.empty[:EXAMPLES_KEPT]},
            "duplicate_prompts": {
                "prompts": len(self.duplicate_prompts),
                "groups": self.duplicate_prompts[:EXAMPLES_KEPT],
            },
            "near_duplicate_prompts": {
                "groups": len(self.near_duplicate_prompts),
                "examples": self.near_duplicate_prompts[:EXAMPLES_KEPT],
            },
            "contradictions": {
                "count": self.contradiction_count,
                "pairs": [list(pair) for pair in self.contradictions[:EXAMPLES_KEPT]],
            },
            "distinct_prompts": self.distinct_prompts,
            "pairs_per_prompt": {str(k): v for k, v in sorted(self.pairs_per_prompt.items())},
        }


def sign_test_p_value(successes: int, trials: int) -> float:
    """Two-sided exact binomial test of ``successes`` in ``trials`` against p = ½ (normal approx. > 1000)."""
    if trials <= 0:
        return 1.0
    k = min(successes, trials - successes)
    if trials > 1000:
        z = (abs(successes - trials / 2) - 0.5) / math.sqrt(trials / 4)
        return min(1.0, math.erfc(max(z, 0.0) / math.sqrt(2)))
    tail = math.ldexp(sum(math.comb(trials, i) for i in range(k + 1)), -trials)
    return min(1.0, 2 * tail)


def normalise_prompt(text: str) -> str:
    """The prompt text with case, spacing and punctuation removed (near-duplicate key)."""
    return _PUNCTUATION.sub(" ", text.casefold()).strip()


def _answer_blank(messages: list[dict[str, Any]], text: str) -> bool:
    return not text.strip() and not any(isinstance(m, dict) and m.get("tool_calls") for m in messages)


def _digest(text: str) -> int:
    # 64-bit keys: a chance collision among a million prompts is about 1 in 40 million.
    data = text.encode("utf-8", "surrogatepass")
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def _pair_digest(prompt: int, first: int, second: int) -> int:
    data = b"".join(part.to_bytes(8, "little") for part in (prompt, first, second))
    return int.from_bytes(hashlib.blake2b(data, digest_size=8).digest(), "little")


def _runs(keys: array[int]) -> list[list[int]]:
    """Positions of equal keys, one list per key seen more than once, in the order keys were first seen."""
    order = sorted(range(len(keys)), key=keys.__getitem__)  # stable: each run is in ascending position
    runs: list[list[int]] = []
    start = 0
    for end in range(1, len(order) + 1):
        if end == len(order) or keys[order[end]] != keys[order[start]]:
            if end - start > 1:
                runs.append(order[start:end])
            start = end
    runs.sort(key=lambda run: run[0])
    return runs


class QualityCounter:
    """Builds a :class:`QualityReport` one record at a time, keeping 64-bit digests instead of texts.

    Holding every prompt and answer text in grouping dictionaries cost about 6x a 160 MB file in memory;
    here each pair leaves a few 8-byte digests in flat arrays, grouped by sorting in :meth:`finish`.
    """

    def __init__(self) -> None:
        self.report = QualityReport()
        self._preferred_lengths = array("q")
        self._rejected_lengths = array("q")
        #: Per record added, in order: entry index, exact and normalised prompt digests.
        self._entries = array("q")
        self._exact = array("Q")
        self._loose = array("Q")
        #: Digests of (prompt, preferred, rejected) and (prompt, rejected, preferred); 0 when the answers
        #: are the same text (such a pair contradicts nothing).
        self._forward = array("Q")
        self._backward = array("Q")

    def add(self, index: int, record: PreferenceRecord) -> None:
        """Count one ``(entry index, record)``."""
        report = self.report
        bias = report.length
        report.pairs += 1
        preferred = record.preferred_text
        rejected = record.rejected_text
        if _answer_blank(record.preferred, preferred) or _answer_blank(record.rejected, rejected):
            report.empty_count += 1
            report.empty.append(index)
        elif record.preferred == record.rejected:
            report.identical_count += 1
            report.identical.append(index)
        else:
            longer, shorter = len(preferred), len(rejected)
            self._preferred_lengths.append(longer)
            self._rejected_lengths.append(shorter)
            if longer > shorter:
                bias.preferred_longer += 1
            elif shorter > longer:
                bias.rejected_longer += 1
            else:
                bias.same_length += 1
        key = record.prompt_key()
        exact = _digest(key)
        self._entries.append(index)
        self._exact.append(exact)
        self._loose.append(_digest(normalise_prompt(key)))
        if preferred != rejected:
            first, second = _digest(preferred), _digest(rejected)
            self._forward.append(_pair_digest(exact, first, second) or 1)
            self._backward.append(_pair_digest(exact, second, first) or 1)
        else:
            self._forward.append(0)
            self._backward.append(0)

    def finish(self) -> QualityReport:
        """The report of everything added (call once)."""
        report = self.report
        bias = report.length
        bias.pairs = len(self._preferred_lengths)
        if self._preferred_lengths:
            bias.mean_preferred = statistics.fmean(self._preferred_lengths)
            bias.mean_rejected = statistics.fmean(self._rejected_lengths)
            bias.median_preferred = statistics.median(self._preferred_lengths)
            bias.median_rejected = statistics.median(self._rejected_lengths)
        bias.p_value = sign_test_p_value(bias.preferred_longer, bias.preferred_longer + bias.rejected_longer)
        entries, exact = self._entries, self._exact
        duplicates = _runs(exact)
        report.distinct_prompts = len(set(exact))
        report.duplicate_prompts = [[entries[at] for at in run] for run in duplicates]
        unique = report.distinct_prompts - len(duplicates)
        report.pairs_per_prompt = {1: unique} if unique else {}
        for run in duplicates:
            report.pairs_per_prompt[len(run)] = report.pairs_per_prompt.get(len(run), 0) + 1
        report.near_duplicate_prompts = [
            [entries[at] for at in run]
            for run in _runs(self._loose)
            if any(exact[at] != exact[run[0]] for at in run)
        ]
        # A pair contradicts the first earlier pair that prefers the other answer to the same prompt.
        wanted = set(self._backward)
        wanted.discard(0)
        first_with: dict[int, int] = {}
        for at, (forward, backward) in enumerate(zip(self._forward, self._backward, strict=True)):
            if not forward:
                continue
            opposite = first_with.get(backward)
            if opposite is not None:
                report.contradiction_count += 1
                report.contradictions.append((opposite, entries[at]))
            if forward in wanted:
                first_with.setdefault(forward, entries[at])
        return report


def quality_report(records: Iterable[tuple[int, PreferenceRecord]]) -> QualityReport:
    """Analyse ``(entry index, record)`` pairs, e.g. ``dataset.iter_records()``."""
    counter = QualityCounter()
    for index, record in records:
        counter.add(index, record)
    return counter.finish()
