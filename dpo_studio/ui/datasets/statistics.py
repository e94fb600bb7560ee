"""The numbers behind the statistics panel, computed off the GUI thread (no Qt here).

Token counting is the slow part (about 0.1 ms per example), so counts are cached per entry object:
edits replace entry objects (``core.document``), so an unchanged entry keeps its count and only edited
or new examples are counted again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from dpo_studio.core.dataset import Dataset, Entry, EntryKind
from dpo_studio.core.records import VALIDATION, message_text
from dpo_studio.core.tokens import RecordTokens, example_token_limit, record_tokens

TokenCache = Mapping[int, tuple[Entry, RecordTokens]]


@dataclass
class DatasetStatistics:
    """Counts, token figures, length bias and duplicates of one dataset snapshot."""

    examples: int = 0
    unreadable: int = 0
    blank: int = 0
    training: int = 0
    validation: int = 0
    unassigned: int = 0
    #: Billed training tokens per epoch (validation examples excluded), prompt once / twice per pair.
    billed_low: int = 0
    billed_high: int = 0
    #: Training examples (validation ones are not billed).
    billed_examples: int = 0
    #: Per example: prompt + the longer answer (what the token limit applies to).
    longest: dict[int, int] = field(default_factory=dict)
    over_limit: int = 0
    token_limit: int = 0
    prompt_tokens: int = 0
    preferred_tokens: int = 0
    rejected_tokens: int = 0
    #: Pairs whose preferred answer has more / fewer tokens than the rejected one.
    preferred_longer: int = 0
    preferred_shorter: int = 0
    #: Examples that repeat an earlier one exactly (same prompt and answers).
    duplicates: int = 0
    #: Examples whose prompt appears in more than one example.
    repeated_prompts: int = 0
    #: DPO130 findings of the last check (the validator's duplicate rule), for comparison.
    duplicate_findings: int = 0
    cache: dict[int, tuple[Entry, RecordTokens]] = field(default_factory=dict)

    @property
    def length_bias(self) -> float | None:
        """Share of pairs where the preferred answer is longer (0.5 = no bias); ``None`` without pairs."""
        decided = self.preferred_longer + self.preferred_shorter
        return self.preferred_longer / decided if decided else None

    @property
    def mean_preferred(self) -> float:
        """Mean tokens of a preferred answer."""
        return self.preferred_tokens / self.examples if self.examples else 0.0

    @property
    def mean_rejected(self) -> float:
        """Mean tokens of a rejected answer."""
        return self.rejected_tokens / self.examples if self.examples else 0.0


def compute_statistics(
    snapshot: Dataset,
    model: str,
    cache: TokenCache,
    *,
    duplicate_findings: int = 0,
    progress: Callable[[int, int], None] | None = None,
    cancelled: Callable[[], bool] | None = None,
) -> DatasetStatistics:
    """Statistics of ``snapshot`` (a ``Document.snapshot()``), reusing ``cache`` for unchanged entries."""
    stats = DatasetStatistics(duplicate_findings=duplicate_findings, token_limit=example_token_limit(model))
    seen_examples: set[bytes] = set()
    prompt_counts: dict[bytes, int] = {}
    total = len(snapshot.entries)
    limit = stats.token_limit
    for index, entry in enumerate(snapshot.entries):
        if index % 1000 == 0:
            if cancelled is not None and cancelled():
                return stats
            if progress is not None:
                progress(index, total)
        if entry.kind is EntryKind.BLANK:
            stats.blank += 1
            continue
        if entry.kind is EntryKind.UNREADABLE:
            stats.unreadable += 1
            continue
        record, _issues = snapshot.parse_entry(index)
        if record is None:
            continue
        stats.examples += 1
        cached = cache.get(id(entry))
        if cached is not None and cached[0] is entry:
            tokens = cached[1]
        else:
            tokens = record_tokens(record, model)
        stats.cache[id(entry)] = (entry, tokens)
        longest = tokens.longest
        stats.longest[index] = longest
        stats.over_limit += longest > limit
        stats.prompt_tokens += tokens.prompt
        stats.preferred_tokens += tokens.preferred
        stats.rejected_tokens += tokens.rejected
        if tokens.preferred > tokens.rejected:
            stats.preferred_longer += 1
        elif tokens.preferred < tokens.rejected:
            stats.preferred_shorter += 1
        if record.split == VALIDATION:
            stats.validation += 1
        else:
            if record.split:
                stats.training += 1
            else:
                stats.unassigned += 1
            # Each sequence is capped at the limit: the platform truncates, so it cannot bill more.
            first = min(limit, tokens.prompt + tokens.preferred)
            second = min(limit, tokens.prompt + tokens.rejected)
            stats.billed_low += first + second - min(tokens.prompt, limit)
            stats.billed_high += first + second
            stats.billed_examples += 1
        prompt_key = hashlib.blake2b(record.prompt_key().encode("utf-8", "replace"), digest_size=16).digest()
        prompt_counts[prompt_key] = prompt_counts.get(prompt_key, 0) + 1
        answers = "\x1d".join(message_text(m) for m in [*record.preferred, *record.rejected])
        example_key = hashlib.blake2b(
            prompt_key + answers.encode("utf-8", "replace"), digest_size=16
        ).digest()
        if example_key in seen_examples:
            stats.duplicates += 1
        else:
            seen_examples.add(example_key)
    stats.repeated_prompts = sum(count for count in prompt_counts.values() if count > 1)
    if progress is not None:
        progress(total, total)
    return stats
