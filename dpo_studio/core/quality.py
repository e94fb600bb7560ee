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


def _digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).digest()


def _pair_digest(prompt: bytes, first: bytes, second: bytes) -> bytes:
    return hashlib.blake2b(prompt + first + second, digest_size=16).digest()


class QualityCounter:
    """Builds a :class:`QualityReport` one record at a time, keeping 16-byte digests instead of texts.

    Holding every prompt and answer text in the grouping dictionaries cost about 6x a 160 MB file in
    memory; digests keep it to a few bytes per pair. Feed records with :meth:`add`, then call :meth:`finish`.
    """

    def __init__(self) -> None:
        self.report = QualityReport()
        self._preferred_lengths: list[int] = []
        self._rejected_lengths: list[int] = []
        self._exact: dict[bytes, list[int]] = {}
        #: Loose (normalised) prompt -> the first exact prompt seen for it; loose keys that met a second.
        self._near_first: dict[bytes, bytes] = {}
        self._near_many: set[bytes] = set()
        self._near_entries: dict[bytes, list[int]] = {}
        #: Digest of (prompt, preferred, rejected) -> first entry with it.
        self._seen_pairs: dict[bytes, int] = {}

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
        self._exact.setdefault(exact, []).append(index)
        loose = _digest(normalise_prompt(key))
        if self._near_first.setdefault(loose, exact) != exact:
            self._near_many.add(loose)
        self._near_entries.setdefault(loose, []).append(index)
        if preferred != rejected:
            first, second = _digest(preferred), _digest(rejected)
            opposite = self._seen_pairs.get(_pair_digest(exact, second, first))
            if opposite is not None:
                report.contradiction_count += 1
                report.contradictions.append((opposite, index))
            self._seen_pairs.setdefault(_pair_digest(exact, first, second), index)

    def finish(self) -> QualityReport:
        """The report of everything added so far."""
        report = self.report
        bias = report.length
        bias.pairs = len(self._preferred_lengths)
        if self._preferred_lengths:
            bias.mean_preferred = statistics.fmean(self._preferred_lengths)
            bias.mean_rejected = statistics.fmean(self._rejected_lengths)
            bias.median_preferred = statistics.median(self._preferred_lengths)
            bias.median_rejected = statistics.median(self._rejected_lengths)
        bias.p_value = sign_test_p_value(bias.preferred_longer, bias.preferred_longer + bias.rejected_longer)
        report.distinct_prompts = len(self._exact)
        report.pairs_per_prompt = {}
        report.duplicate_prompts = []
        for entries in self._exact.values():
            report.pairs_per_prompt[len(entries)] = report.pairs_per_prompt.get(len(entries), 0) + 1
            if len(entries) > 1:
                report.duplicate_prompts.append(entries)
        report.near_duplicate_prompts = [
            entries for loose, entries in self._near_entries.items() if loose in self._near_many
        ]
        return report


def quality_report(records: Iterable[tuple[int, PreferenceRecord]]) -> QualityReport:
    """Analyse ``(entry index, record)`` pairs, e.g. ``dataset.iter_records()``."""
    counter = QualityCounter()
    for index, record in records:
        counter.add(index, record)
    return counter.finish()
