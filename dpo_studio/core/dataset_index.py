"""A per-row summary of a dataset for the table: previews, tokens, findings, split, tags and lengths.

The table of the Datasets tab shows up to hundreds of thousands of examples. Parsing a record every time
a cell is painted, sorted or filtered would be far too slow, so this index keeps one short summary per
entry in column lists (one Python list per column, indexed by entry index) and does sorting and
filtering here, returning lists of entry indices. It is pure Python so it can be built off the GUI
thread and tested without Qt.

Rows start *pending* (nothing computed) and are computed either all at once (:meth:`DatasetIndex.fill`,
meant for a background thread working on a snapshot of the entries) or one by one on demand
(:meth:`DatasetIndex.ensure`, for the rows the user is looking at). Edits are applied incrementally:
:meth:`mark_changed`, :meth:`insert_pending` and :meth:`remove` keep the columns aligned with the
dataset's entries, and the touched rows become pending again.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from itertools import compress, islice, repeat
from typing import Any

import orjson

from dpo_studio.core.dataset import Dataset, Entry, EntryKind, sources_of
from dpo_studio.core.dialects import Dialect
from dpo_studio.core.findings import Finding, Severity
from dpo_studio.core.records import PreferenceRecord, message_text

#: How many characters of each text a preview keeps (enough for a table cell).
PREVIEW_CHARS = 140
#: How many rows' previews are kept (made again from the entry when scrolled back to).
PREVIEW_CACHE_ROWS = 4096
#: Rows computed together when the table needs one (a screenful and some).
PAGE_ROWS = 64
#: How much of a text column the table sorts by.
SORT_KEY_BYTES = 160
#: Tag filter value matching rows without any tag.
UNTAGGED = "\x00untagged"
#: Split filter value matching rows without a split.
NO_SPLIT = "\x00unset"
#: Finding filter values besides a finding code.
ANY_FINDING = "\x00any"
NO_FINDING = "\x00none"
ERRORS = "\x00error"
WARNINGS = "\x00warning"

ProgressFunction = Callable[[int, int], None]
CancelledFunction = Callable[[], bool]


class Column(IntEnum):
    """The table's columns, in display order."""

    NUMBER = 0
    PROMPT = 1
    PREFERRED = 2
    REJECTED = 3
    TOKENS = 4
    FINDINGS = 5
    SPLIT = 6
    TAGS = 7


#: Severity rank: higher is worse; 0 means no finding.
SEVERITY_RANK: dict[Severity, int] = {Severity.INFO: 1, Severity.WARNING: 2, Severity.ERROR: 3}
RANK_SEVERITY: dict[int, Severity] = {rank: severity for severity, rank in SEVERITY_RANK.items()}


@dataclass(frozen=True, slots=True)
class RowFilter:
    """What the filter bar asks for. Empty strings mean "no restriction"."""

    #: Case-insensitive text searched in every message, the notes and the tags.
    text: str = ""
    #: A finding code (``DPO103``), or one of ANY_FINDING, NO_FINDING, ERRORS, WARNINGS.
    finding: str = ""
    #: ``train``, ``validation`` or :data:`NO_SPLIT`.
    split: str = ""
    #: A tag, or :data:`UNTAGGED`.
    tag: str = ""

    @property
    def active(self) -> bool:
        """Whether the filter hides anything at all."""
        return bool(self.text or self.finding or self.split or self.tag)


@dataclass(frozen=True, slots=True)
class RowSummary:
    """Everything the table shows about one entry (one row)."""

    entry: int
    kind: EntryKind
    line: int
    prompt: str
    preferred: str
    rejected: str
    tokens: int
    finding_count: int
    worst: Severity | None
    codes: tuple[str, ...]
    split: str
    tags: tuple[str, ...]
    preferred_chars: int
    rejected_chars: int


def preview(text: str, limit: int = PREVIEW_CHARS) -> str:
    """The start of ``text`` on one line: runs of whitespace (newlines included) become one space."""
    head = text[: limit * 2]
    collapsed = " ".join(head.split())
    if len(collapsed) > limit or len(text) > len(head):
        return collapsed[: limit - 1].rstrip() + "…"
    return collapsed


def searchable(record: PreferenceRecord) -> bytes:
    """Lower-cased UTF-8 text of everything a text search looks at in a record."""
    return search_text(record)[0]


#: Where the prompt, preferred and rejected previews start and end in a row's search text.
Spans = tuple[int, int, int, int, int, int]


def search_text(record: PreferenceRecord) -> tuple[bytes, Spans]:
    """The record's :func:`searchable` text and the byte spans of its prompt, preferred and rejected text.

    The spans let the table sort by those columns without keeping a second copy of the text.
    """
    pieces: list[bytes] = []
    context = [_lowered(message_text(message)) for message in record.context]
    prompt_at = _prompt_message(record)
    position = 0
    prompt_span = (0, 0)
    for number, piece in enumerate(context):
        if number == prompt_at:
            prompt_span = (position, position + len(piece))
        pieces.append(piece)
        position += len(piece) + 1
    spans: list[tuple[int, int]] = [prompt_span]
    for messages in (record.preferred, record.rejected):
        start = position
        for message in messages:
            piece = _lowered(message_text(message))
            pieces.append(piece)
            position += len(piece) + 1
        spans.append((start, max(start, position - 1)))
    if record.notes:
        pieces.append(_lowered(record.notes))
    pieces.extend(_lowered(tag) for tag in record.tags)
    (a, b), (c, d), (e, f) = spans
    return b"\n".join(pieces), (a, b, c, d, e, f)


def _lowered(text: str) -> bytes:
    return text.lower().encode("utf-8", errors="replace")


def _prompt_message(record: PreferenceRecord) -> int:
    """Which context message the prompt preview shows: the final user turn, else the last message."""
    for number in range(len(record.context) - 1, -1, -1):
        if record.context[number].get("role") == "user":
            if message_text(record.context[number]):
                return number
            break
    return len(record.context) - 1


class DatasetIndex:
    """Column lists, one value per entry of a dataset, kept aligned with the entries through edits.

    ``ready[i]`` is 0 for a pending row (not computed yet). Token counts are ``-1`` until known.
    Blank lines are entries too (so indices match the dataset), but they are never listed as rows.

    The index keeps one lower-cased copy of each row's text (for search, and with spans for sorting by
    the text columns); the previews shown in the cells are made from the entry when a row is looked
    at and kept for the most recently seen rows only, so a large file is not held a second time.
    """

    def __init__(self, dataset: Dataset, entries: Sequence[Entry] | None = None) -> None:
        """A pending index for ``entries`` (by default the dataset's current entries)."""
        self.dataset = dataset
        source = dataset.entries if entries is None else entries
        #: The entries the rows describe (the dataset's own list, or a snapshot being indexed).
        self.entries = source
        count = len(source)
        self.kind: list[EntryKind] = [entry.kind for entry in source]
        # Number columns are arrays of C ints: a list of int objects costs 36 bytes a row instead of 4.
        self.line = array("i", [entry.line for entry in source])
        self.ready = bytearray(count)
        # Search text is stored as UTF-8: one emoji would make a Python str 4 bytes per character.
        self.search: list[bytes] = [b""] * count
        #: Byte spans in ``search`` of the prompt, preferred and rejected text (see :func:`search_text`).
        self.spans: list[array[int]] = [array("I", bytes(4 * count)) for _ in range(6)]
        self.split: list[str] = [""] * count
        self.tags: list[tuple[str, ...]] = [()] * count
        self.preferred_chars = _ints(count)
        self.rejected_chars = _ints(count)
        self.tokens = _ints(count, -1)
        self.finding_count = _ints(count)
        self.worst = _ints(count)
        self.codes: list[tuple[str, ...]] = [()] * count
        self._pending = sum(1 for kind in self.kind if kind is not EntryKind.BLANK)
        self._rows: list[int] | None = None
        self._previews: dict[int, tuple[str, str, str]] = {}
        #: Counts tokens of rows computed on demand (``None``: leave them unknown).
        self.token_counter: Callable[[PreferenceRecord], int] | None = None

    # -- size and state ----------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.kind)

    @property
    def pending(self) -> int:
        """How many rows are not computed yet."""
        return self._pending

    @property
    def complete(self) -> bool:
        """Whether every row is computed (filters then see every row)."""
        return self._pending == 0

    def rows(self) -> list[int]:
        """Entry indices of every row (records and unreadable lines; blank lines are not rows)."""
        if self._rows is None:
            blank = EntryKind.BLANK
            self._rows = [i for i, kind in enumerate(self.kind) if kind is not blank]
        return self._rows

    # -- computing rows ----------------------------------------------------------------------------

    def fill(
        self,
        entries: Sequence[Entry] | None = None,
        *,
        progress: ProgressFunction | None = None,
        cancelled: CancelledFunction | None = None,
    ) -> None:
        """Compute every pending row from ``entries`` (a snapshot taken when the index was created).

        Meant for a background thread: the index must not be shared with other threads meanwhile.
        Stops early (leaving rows pending) when ``cancelled()`` turns true.
        """
        source = self.entries if entries is None else entries
        total = len(source)
        step = 2000
        for start in range(0, total, step):
            if cancelled is not None and cancelled():
                return
            todo = [
                i
                for i in range(start, min(start + step, total))
                if not self.ready[i] and self.kind[i] is not EntryKind.BLANK
            ]
            self._compute_rows(todo, source, previews=False)
            if progress is not None:
                progress(min(start + step, total), total)

    def ensure(self, index: int) -> None:
        """Compute row ``index`` now if it is pending (from its entry in :attr:`entries`).

        The rows around it are computed too, with their previews: the table asks for a page of rows
        at a time, and reading their entries together is much cheaper than one by one.
        """
        if not self.ready[index] and self.kind[index] is not EntryKind.BLANK:
            self._compute_page(index)

    def _compute_page(self, index: int) -> None:
        """Compute the pending rows and missing previews of the page of rows around ``index``."""
        ready, kind, previews = self.ready, self.kind, self._previews
        first = max(0, index - PAGE_ROWS // 4)
        todo = [
            i
            for i in range(first, min(len(kind), first + PAGE_ROWS))
            if kind[i] is not EntryKind.BLANK and (not ready[i] or i not in previews)
        ]
        if index not in todo:
            todo.append(index)
        self._compute_rows(todo, self.entries, previews=True)

    def _compute_rows(self, rows: Sequence[int], entries: Sequence[Entry], *, previews: bool) -> None:
        """Compute these rows from ``entries`` (pending ones only), and their previews when asked."""
        dialect = self.dataset.dialect
        chosen = [entries[i] for i in rows]
        for i, entry, source in zip(rows, chosen, sources_of(chosen), strict=True):
            record = _record_of(entry, dialect, source)
            if not self.ready[i] and self.kind[i] is not EntryKind.BLANK:
                self._compute(i, entry, record, source)
            if previews:
                self._remember_previews(i, entry, record, source)

    def ensure_all(self) -> None:
        """Compute every pending row now (cheap when only a few edited rows are pending)."""
        if not self._pending:
            return
        for index in range(len(self.kind)):
            self.ensure(index)

    def _compute(
        self,
        index: int,
        entry: Entry,
        record: PreferenceRecord | None,
        source: bytes | memoryview | None,
    ) -> None:
        self.kind[index] = entry.kind
        self.line[index] = entry.line
        if entry.kind is EntryKind.BLANK:
            self._rows = None
            self._pending -= 1
            return
        spans = self.spans
        if record is None:
            text = _lowered(bytes(source or b"").decode("utf-8", errors="replace"))
            self.search[index] = text
            found: Spans = (0, len(text), 0, 0, 0, 0)
            self.split[index] = ""
            self.tags[index] = ()
            self.preferred_chars[index] = 0
            self.rejected_chars[index] = 0
        else:
            self.search[index], found = search_text(record)
            self.split[index] = record.split or ""
            self.tags[index] = tuple(record.tags)
            self.preferred_chars[index] = len(record.preferred_text)
            self.rejected_chars[index] = len(record.rejected_text)
            if self.token_counter is not None:
                try:
                    self.tokens[index] = self.token_counter(record)
                except Exception:  # a tokenizer problem must not break the table
                    self.tokens[index] = -1
        for column, value in zip(spans, found, strict=True):
            column[index] = value
        self.ready[index] = 1
        self._pending -= 1

    def realigned(self, snapshot: Sequence[Entry]) -> DatasetIndex:
        """This index (computed for ``snapshot``) moved onto the dataset's current entries.

        Edits replace entry objects rather than changing them (see ``core.document``), so an entry
        that is still the same object still has the same summary; every other row is pending.
        Findings are not carried over (they follow the document's own check).
        """
        current = self.dataset.entries
        if len(current) == len(snapshot) and all(a is b for a, b in zip(current, snapshot, strict=True)):
            # Nothing changed while the index was built (the usual case): it fits as it is, and from now
            # on it follows the dataset's own (live) entry list rather than the snapshot.
            self.entries = current
            self._rows = None
            return self
        position = {id(entry): i for i, entry in enumerate(snapshot)}
        ready = self.ready
        sources: list[int] = []
        for entry in current:
            j = position.get(id(entry), -1)
            sources.append(j if j >= 0 and snapshot[j] is entry and ready[j] else -1)
        fresh = DatasetIndex(self.dataset)
        fresh.token_counter = self.token_counter
        # Column by column (list comprehensions), not cell by cell: 100k rows take milliseconds.
        for name in _SUMMARY_LISTS:
            old = getattr(self, name)
            new = getattr(fresh, name)
            setattr(
                fresh, name, _same_kind(old, [old[j] if j >= 0 else new[i] for i, j in enumerate(sources)])
            )
        fresh.ready = bytearray(1 if j >= 0 else 0 for j in sources)
        fresh.spans = [array("I", [old[j] if j >= 0 else 0 for j in sources]) for old in self.spans]
        fresh._pending -= sum(1 for j in sources if j >= 0)
        fresh._rows = None
        return fresh

    def adopt_tokens(self, snapshot: Sequence[Entry], tokens: Mapping[int, int]) -> list[int]:
        """Set token counts computed for ``snapshot`` (snapshot index -> tokens) on the rows whose entry is
        still the same object; returns the entry indices that were updated."""
        current = self.dataset.entries
        if len(current) == len(snapshot) and all(a is b for a, b in zip(current, snapshot, strict=True)):
            column = self.tokens
            for j, count in tokens.items():
                column[j] = count
            return sorted(tokens)
        by_id = {id(snapshot[j]): (j, count) for j, count in tokens.items() if 0 <= j < len(snapshot)}
        updated = []
        for i, entry in enumerate(self.dataset.entries):
            found = by_id.get(id(entry))
            if found is not None and snapshot[found[0]] is entry:
                self.tokens[i] = found[1]
                updated.append(i)
        return updated

    # -- findings and tokens -----------------------------------------------------------------------

    def set_findings(self, by_entry: Mapping[int, Sequence[Finding]]) -> None:
        """Replace every row's findings with ``by_entry`` (entry index -> its findings)."""
        count = len(self.kind)
        self.finding_count = _ints(count)
        self.worst = _ints(count)
        self.codes = [()] * count
        for entry, findings in by_entry.items():
            if 0 <= entry < count:
                self.set_row_findings(entry, findings)

    def set_row_findings(self, index: int, findings: Sequence[Finding]) -> None:
        """Replace one row's findings."""
        self.finding_count[index] = len(findings)
        self.worst[index] = max((SEVERITY_RANK[finding.severity] for finding in findings), default=0)
        self.codes[index] = tuple(dict.fromkeys(finding.code for finding in findings))

    def set_tokens(self, tokens: Mapping[int, int]) -> None:
        """Set token counts (entry index -> tokens); rows not mentioned keep theirs."""
        count = len(self.kind)
        for entry, value in tokens.items():
            if 0 <= entry < count:
                self.tokens[entry] = value

    # -- incremental edits -------------------------------------------------------------------------

    def mark_changed(self, indices: Iterable[int]) -> None:
        """The records at ``indices`` were edited: their rows become pending (tokens unknown)."""
        for index in indices:
            if 0 <= index < len(self.kind):
                if self.ready[index] or self.kind[index] is EntryKind.BLANK:
                    self._pending += 1
                if self.kind[index] is EntryKind.BLANK:
                    self._rows = None
                self.kind[index] = EntryKind.RECORD
                self.ready[index] = 0
                self.tokens[index] = -1
                self._previews.pop(index, None)

    def insert_pending(self, start: int, count: int) -> None:
        """``count`` new records were inserted before entry ``start``: add pending rows there."""
        if count <= 0:
            return
        at = slice(start, start)
        self.kind[at] = [EntryKind.RECORD] * count
        self.line[at] = _ints(count)
        self.ready[at] = bytes(count)
        for column in self.spans:
            column[at] = array("I", bytes(4 * count))
        self.search[at] = [b""] * count
        self.split[at] = [""] * count
        self.tags[at] = [()] * count
        self.preferred_chars[at] = _ints(count)
        self.rejected_chars[at] = _ints(count)
        self.tokens[at] = _ints(count, -1)
        self.finding_count[at] = _ints(count)
        self.worst[at] = _ints(count)
        self.codes[at] = [()] * count
        self._pending += count
        self._rows = None
        self._previews.clear()

    def remove(self, indices: Iterable[int]) -> None:
        """The entries at ``indices`` (positions before the removal) were removed."""
        doomed = set(indices)
        if not doomed:
            return
        for index in doomed:
            if (
                0 <= index < len(self.kind)
                and not self.ready[index]
                and self.kind[index] is not EntryKind.BLANK
            ):
                self._pending -= 1
        keep = [i for i in range(len(self.kind)) if i not in doomed]
        for name in _COLUMN_LISTS:
            column = getattr(self, name)
            setattr(self, name, _same_kind(column, [column[i] for i in keep]))
        ready = self.ready
        self.ready = bytearray(ready[i] for i in keep)
        self.spans = [array("I", [column[i] for i in keep]) for column in self.spans]
        self._rows = None
        self._previews.clear()

    # -- reading -----------------------------------------------------------------------------------

    def text(self, column: Column, index: int) -> str:
        """The preview shown in a text column (prompt, preferred or rejected) of row ``index``."""
        if not Column.PROMPT <= column <= Column.REJECTED:
            return ""
        previews = self._previews.get(index)
        if previews is None:
            if self.entries[index].kind is EntryKind.BLANK:
                return ""
            self._compute_page(index)
            previews = self._previews[index]
        return previews[column - Column.PROMPT]

    def _remember_previews(
        self, index: int, entry: Entry, record: PreferenceRecord | None, source: bytes | memoryview | None
    ) -> None:
        if entry.kind is EntryKind.BLANK:
            return
        if record is None:
            previews = (preview(bytes(source or b"").decode("utf-8", errors="replace")), "", "")
        else:
            prompt = record.last_user_text or _context_text(record)
            previews = (preview(prompt), preview(record.preferred_text), preview(record.rejected_text))
        cache = self._previews
        if len(cache) >= PREVIEW_CACHE_ROWS:
            # Forget the rows seen longest ago (dicts keep insertion order).
            for old in list(islice(cache, PREVIEW_CACHE_ROWS // 2)):
                del cache[old]
        cache[index] = previews

    def summary(self, index: int) -> RowSummary:
        """Row ``index`` (an entry index) as one object, computed first if pending."""
        self.ensure(index)
        worst = self.worst[index]
        return RowSummary(
            entry=index,
            kind=self.kind[index],
            line=self.line[index],
            prompt=self.text(Column.PROMPT, index),
            preferred=self.text(Column.PREFERRED, index),
            rejected=self.text(Column.REJECTED, index),
            tokens=self.tokens[index],
            finding_count=self.finding_count[index],
            worst=RANK_SEVERITY.get(worst),
            codes=self.codes[index],
            split=self.split[index],
            tags=self.tags[index],
            preferred_chars=self.preferred_chars[index],
            rejected_chars=self.rejected_chars[index],
        )

    def all_tags(self) -> list[str]:
        """Every tag used by a computed row, sorted."""
        found: set[str] = set()
        for tags in self.tags:
            found.update(tags)
        return sorted(found, key=str.casefold)

    def all_codes(self) -> list[str]:
        """Every finding code present on a row, sorted."""
        found: set[str] = set()
        for codes in self.codes:
            found.update(codes)
        return sorted(found)

    def all_splits(self) -> list[str]:
        """Every split value used by a computed row (empty string excluded), sorted."""
        return sorted({split for split in self.split if split})

    # -- filter and sort ---------------------------------------------------------------------------

    def filter(self, query: RowFilter, rows: Sequence[int] | None = None) -> list[int]:
        """Entry indices of the rows matching ``query``, in the order of ``rows`` (default: all rows).

        Pending rows never match an active filter: call :meth:`ensure_all` first when the index may
        hold a few edited rows; while a first build is still running, results cover the rows built so far.
        """
        if not query.active:
            return list(self.rows() if rows is None else rows)
        if query.text:
            # The text test runs first and entirely in C (map/compress over the column): blank and
            # pending rows have empty search text and drop out by themselves.
            needle = query.text.lower().encode("utf-8", errors="replace")
            hits = list(
                compress(range(len(self.search)), map(bytes.__contains__, self.search, repeat(needle)))
            )
            if rows is None:
                result = hits
            else:
                wanted = set(hits)
                result = [i for i in rows if i in wanted]
        else:
            ready = self.ready
            result = [i for i in (self.rows() if rows is None else rows) if ready[i]]
        if query.split:
            split = self.split
            wanted_split = "" if query.split == NO_SPLIT else query.split
            result = [i for i in result if split[i] == wanted_split]
        if query.tag:
            tags = self.tags
            if query.tag == UNTAGGED:
                result = [i for i in result if not tags[i]]
            else:
                tag = query.tag
                result = [i for i in result if tag in tags[i]]
        if query.finding:
            result = self._filter_findings(query.finding, result)
        return result

    def _filter_findings(self, finding: str, rows: list[int]) -> list[int]:
        worst = self.worst
        if finding == ANY_FINDING:
            return [i for i in rows if worst[i]]
        if finding == NO_FINDING:
            return [i for i in rows if not worst[i]]
        if finding == ERRORS:
            rank = SEVERITY_RANK[Severity.ERROR]
            return [i for i in rows if worst[i] >= rank]
        if finding == WARNINGS:
            rank = SEVERITY_RANK[Severity.WARNING]
            return [i for i in rows if worst[i] >= rank]
        codes = self.codes
        return [i for i in rows if finding in codes[i]]

    def sort(self, rows: Sequence[int], column: Column, descending: bool = False) -> list[int]:
        """``rows`` ordered by ``column``; ties keep their order and pending rows go last."""
        if column is Column.NUMBER:
            return sorted(rows, reverse=descending)
        computed = self.ready
        ready = [i for i in rows if computed[i]]
        pending = [i for i in rows if not computed[i]]
        # sorted() is stable, and reverse=True keeps ties in their original order too.
        ready.sort(key=self._sort_key(column), reverse=descending)
        return ready + pending

    def _sort_key(self, column: Column) -> Callable[[int], Any]:
        if Column.PROMPT <= column <= Column.REJECTED:
            # The start of the column's text in the (lower-cased) search text: no copy of every preview.
            search = self.search
            starts = self.spans[2 * (column - Column.PROMPT)]
            ends = self.spans[2 * (column - Column.PROMPT) + 1]
            return lambda i: search[i][starts[i] : min(ends[i], starts[i] + SORT_KEY_BYTES)]
        if column is Column.TOKENS:
            return self.tokens.__getitem__
        if column is Column.FINDINGS:
            worst, count = self.worst, self.finding_count
            return lambda i: worst[i] * 1_000_000 + count[i]
        if column is Column.SPLIT:
            return self.split.__getitem__
        tags = self.tags
        return lambda i: ",".join(tags[i]).lower()


#: The columns computed from the entry itself (findings come from the document's check).
_SUMMARY_LISTS = (
    "kind",
    "line",
    "search",
    "split",
    "tags",
    "preferred_chars",
    "rejected_chars",
    "tokens",
)

_COLUMN_LISTS = (
    "kind",
    "line",
    "search",
    "split",
    "tags",
    "preferred_chars",
    "rejected_chars",
    "tokens",
    "finding_count",
    "worst",
    "codes",
)


def _ints(count: int, value: int = 0) -> array[int]:
    """An int column of ``count`` rows holding ``value``."""
    return array("i", [value]) * count


def _same_kind(column: Any, values: list[Any]) -> Any:
    """``values`` as the same kind of column as ``column`` (an int array or a list)."""
    return array(column.typecode, values) if isinstance(column, array) else values


def _record_of(entry: Entry, dialect: Dialect, source: bytes | memoryview | None) -> PreferenceRecord | None:
    """The record an entry holds (``source``: its source bytes), or ``None`` for an unreadable line."""
    if entry.record is not None:
        return entry.record
    if entry.kind is not EntryKind.RECORD or source is None:
        return None
    try:
        record, _issues = dialect.parse(orjson.loads(source))
    except orjson.JSONDecodeError:
        return None
    return record


def _context_text(record: PreferenceRecord) -> str:
    """The last message of the context whatever its role (for prompts without a user turn)."""
    if record.context:
        return message_text(record.context[-1])
    return ""
