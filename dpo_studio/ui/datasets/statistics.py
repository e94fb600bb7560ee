"""The numbers behind the statistics panel, computed off the GUI thread (no Qt here).

Token counting is the slow part (about 0.1 ms per example), so counts are cached per entry object:
edits replace entry objects (``core.document``), so an unchanged entry keeps its count and only edited
or new examples are counted again. The cache is three integers per entry in an array (a dictionary of
count objects cost 24 MB at 100k pairs).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from dpo_studio.core.dataset import Dataset, Entry, EntryKind, iter_sources
from dpo_studio.core.quality import QualityCounter, QualityReport
from dpo_studio.core.records import VALIDATION, PreferenceRecord
from dpo_studio.core.tokens import RecordTokens, example_token_limit, record_tokens, text_counter


@dataclass
class TokenCache:
    """Token counts of the examples of one snapshot: ``counts[3 * i : 3 * i + 3]`` belong to ``entries[i]``.

    Holds prompt, preferred and rejected tokens (``-1`` for entries that are not counted examples).
    """

    entries: Sequence[Entry] = ()
    counts: array[int] = field(default_factory=lambda: array("i"))

    def lookup(self, entries: Sequence[Entry]) -> Callable[[int, Entry], RecordTokens | None]:
        """A function giving the cached counts of ``entries[i]`` (a newer snapshot), if it is unchanged."""
        mine, counts = self.entries, self.counts
        shifted: dict[int, int] | None = None
        if len(entries) != len(mine):
            # Inserted or removed examples moved the others: find unchanged entries by identity.
            shifted = {id(entry): position for position, entry in enumerate(mine)}

        def find(index: int, entry: Entry) -> RecordTokens | None:
            position = index if shifted is None else shifted.get(id(entry), -1)
            if not 0 <= position < len(mine) or mine[position] is not entry or counts[3 * position] < 0:
                return None
            at = 3 * position
            return RecordTokens(counts[at], counts[at + 1], counts[at + 2])

        return find


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
    #: Length bias, duplicate prompts, identical/empty answers, contradictions (``core.quality``).
    quality: QualityReport = field(default_factory=QualityReport)
    #: DPO130 findings of the last check (the validator's duplicate-example rule).
    duplicate_findings: int = 0
    cache: TokenCache = field(default_factory=TokenCache)

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
    # Load the tokenizer here, off the GUI thread (seconds the first time); the tab then counts the
    # tokens of edited rows on demand.
    text_counter(model)
    quality = QualityCounter()
    for index, record in _counted_records(snapshot, model, cache, stats, progress, cancelled):
        quality.add(index, record)
    stats.quality = quality.finish()
    if progress is not None:
        progress(len(snapshot.entries), len(snapshot.entries))
    return stats


def _counted_records(
    snapshot: Dataset,
    model: str,
    cache: TokenCache,
    stats: DatasetStatistics,
    progress: Callable[[int, int], None] | None,
    cancelled: Callable[[], bool] | None,
) -> Iterator[tuple[int, PreferenceRecord]]:
    """Yield every record for the quality checks while counting tokens and splits into ``stats``.

    A generator, so 100k parsed records are never held in memory at once.
    """
    total = len(snapshot.entries)
    limit = stats.token_limit
    cached_tokens = cache.lookup(snapshot.entries)
    counts = array("i", [-1]) * (3 * total)
    stats.cache = TokenCache(snapshot.entries, counts)
    for index, entry, source in iter_sources(snapshot.entries):
        if index % 1000 == 0:
            if cancelled is not None and cancelled():
                return
            if progress is not None:
                progress(index, total)
        if entry.kind is EntryKind.BLANK:
            stats.blank += 1
            continue
        if entry.kind is EntryKind.UNREADABLE:
            stats.unreadable += 1
            continue
        record, _issues = snapshot.parse_source(entry, source)
        if record is None:
            continue
        stats.examples += 1
        tokens = cached_tokens(index, entry) or record_tokens(record, model)
        at = 3 * index
        counts[at], counts[at + 1], counts[at + 2] = tokens.prompt, tokens.preferred, tokens.rejected
        longest = tokens.longest
        stats.longest[index] = longest
        stats.over_limit += longest > limit
        stats.prompt_tokens += tokens.prompt
        stats.preferred_tokens += tokens.preferred
        stats.rejected_tokens += tokens.rejected
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
        yield index, record
