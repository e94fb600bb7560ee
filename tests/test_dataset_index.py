"""The Datasets table's row index: previews, filters, sorting and incremental updates after edits."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from dpo_studio.core.dataset import Dataset, Entry, EntryKind
from dpo_studio.core.dataset_index import (
    ANY_FINDING,
    ERRORS,
    NO_FINDING,
    NO_SPLIT,
    UNTAGGED,
    WARNINGS,
    Column,
    DatasetIndex,
    RowFilter,
    preview,
)
from dpo_studio.core.dialects import get_dialect
from dpo_studio.core.findings import Finding, Severity
from dpo_studio.core.records import TRAIN, VALIDATION, PreferenceRecord
from tests.conftest import CORPUS


def _line(prompt: str, good: str, bad: str) -> bytes:
    value = {
        "input": {
            "messages": [{"role": "system", "content": "Be nice."}, {"role": "user", "content": prompt}]
        },
        "preferred_output": [{"role": "assistant", "content": good}],
        "non_preferred_output": [{"role": "assistant", "content": bad}],
    }
    return json.dumps(value, ensure_ascii=False).encode()


def _dataset(rows: list[tuple[str, str, str]], extra: bytes = b"") -> Dataset:
    data = b"\n".join(_line(*row) for row in rows) + b"\n" + extra
    return Dataset.from_bytes(data, get_dialect("openai_dpo"))


def _record(
    prompt: str, good: str, bad: str, split: str | None = None, tags: list[str] | None = None
) -> PreferenceRecord:
    return PreferenceRecord(
        context=[{"role": "user", "content": prompt}],
        preferred=[{"role": "assistant", "content": good}],
        rejected=[{"role": "assistant", "content": bad}],
        split=split,
        tags=tags or [],
    )


def test_preview_collapses_whitespace_and_marks_cut_text() -> None:
    assert preview("a\n\n  b\tc") == "a b c"
    long = "word " * 100
    cut = preview(long, 20)
    assert cut.endswith("…") and len(cut) <= 20


def test_rows_skip_blank_lines_and_show_unreadable_ones() -> None:
    dataset = _dataset([("Hi", "Hello!", "Go away."), ("Sum 2+2", "4", "5")], extra=b"\n{broken\n")
    index = DatasetIndex(dataset)
    assert index.pending == 3
    index.fill()
    assert index.complete
    kinds = [dataset.entries[i].kind for i in index.rows()]
    assert EntryKind.BLANK not in kinds
    assert EntryKind.UNREADABLE in kinds
    first = index.summary(0)
    assert (first.prompt, first.preferred, first.rejected) == ("Hi", "Hello!", "Go away.")
    assert first.line == 1
    unreadable = index.summary(index.rows()[-1])
    assert "{broken" in unreadable.prompt


def test_text_filter_is_case_insensitive_and_searches_every_message() -> None:
    dataset = _dataset(
        [("Where is Zürich?", "In Switzerland.", "In Austria."), ("Capital of France", "Paris", "Lyon")]
    )
    index = DatasetIndex(dataset)
    index.fill()
    assert index.filter(RowFilter(text="zürich")) == [0]
    assert index.filter(RowFilter(text="LYON")) == [1]
    assert index.filter(RowFilter(text="be nice")) == [0, 1]  # the system prompt is searched too
    assert index.filter(RowFilter(text="nowhere")) == []


def test_filters_by_split_tag_and_finding_combine() -> None:
    dataset = _dataset([("a", "b", "c")] * 4)
    dataset.set_record(0, _record("a", "b", "c", TRAIN, ["tone"]))
    dataset.set_record(1, _record("a", "b", "c", VALIDATION, ["tone", "format"]))
    dataset.set_record(2, _record("a", "b", "c", TRAIN))
    index = DatasetIndex(dataset)
    index.fill()
    index.set_findings(
        {
            0: [Finding("DPO103", Severity.ERROR, "identical")],
            1: [Finding("DPO200", Severity.WARNING, "long"), Finding("DPO103", Severity.ERROR, "x")],
            2: [Finding("DPO200", Severity.WARNING, "long")],
        }
    )
    assert index.filter(RowFilter(split=TRAIN)) == [0, 2]
    assert index.filter(RowFilter(split=NO_SPLIT)) == [3]
    assert index.filter(RowFilter(tag="tone")) == [0, 1]
    assert index.filter(RowFilter(tag=UNTAGGED)) == [2, 3]
    assert index.filter(RowFilter(finding="DPO103")) == [0, 1]
    assert index.filter(RowFilter(finding=ERRORS)) == [0, 1]
    assert index.filter(RowFilter(finding=WARNINGS)) == [0, 1, 2]
    assert index.filter(RowFilter(finding=ANY_FINDING)) == [0, 1, 2]
    assert index.filter(RowFilter(finding=NO_FINDING)) == [3]
    assert index.filter(RowFilter(split=TRAIN, finding="DPO200")) == [2]
    assert index.filter(RowFilter(tag="tone", split=VALIDATION, finding="DPO103")) == [1]
    assert index.all_tags() == ["format", "tone"]
    assert index.all_codes() == ["DPO103", "DPO200"]
    summary = index.summary(1)
    assert summary.worst is Severity.ERROR and summary.finding_count == 2
    assert summary.codes == ("DPO200", "DPO103")


def test_sort_by_each_column_is_stable_and_reversible() -> None:
    dataset = _dataset([("b", "short", "x"), ("A", "much longer", "y"), ("c", "mid", "z")])
    index = DatasetIndex(dataset)
    index.fill()
    index.set_tokens({0: 30, 1: 10, 2: 20})
    rows = index.rows()
    assert index.sort(rows, Column.PROMPT) == [1, 0, 2]
    assert index.sort(rows, Column.PROMPT, descending=True) == [2, 0, 1]
    assert index.sort(rows, Column.TOKENS) == [1, 2, 0]
    assert index.sort(rows, Column.PREFERRED) == [2, 1, 0]
    assert index.sort(rows, Column.NUMBER, descending=True) == [2, 1, 0]
    # All rows tie on split: the order does not change, in either direction.
    assert index.sort(rows, Column.SPLIT) == [0, 1, 2]
    assert index.sort(rows, Column.SPLIT, descending=True) == [0, 1, 2]


def test_pending_rows_are_excluded_from_filters_until_computed() -> None:
    from dpo_studio.core.dataset_index import PAGE_ROWS

    rows = 4 * PAGE_ROWS
    dataset = _dataset([(f"alpha {i}" if i % 2 else f"beta {i}", "b", "c") for i in range(rows)])
    index = DatasetIndex(dataset)
    index.ensure(rows - 1)  # the last row, and the page of rows before it
    computed = [i for i in range(rows) if index.ready[i]]
    assert rows - 1 in computed and 0 < len(computed) <= PAGE_ROWS and 0 not in computed
    assert index.filter(RowFilter(text="alpha")) == [i for i in computed if i % 2]
    index.ensure_all()
    assert index.filter(RowFilter(text="alpha")) == list(range(1, rows, 2))
    assert index.sort([1, 0], Column.PROMPT) == [1, 0]


def test_incremental_edit_insert_remove_follow_the_dataset() -> None:
    dataset = _dataset([("one", "1", "x"), ("two", "2", "x"), ("three", "3", "x")])
    index = DatasetIndex(dataset)
    index.fill()
    index.set_tokens({0: 5, 1: 6, 2: 7})
    dataset.set_record(1, _record("TWO edited", "2", "x", VALIDATION, ["t"]))
    index.mark_changed([1])
    assert index.pending == 1
    assert index.summary(1).prompt == "TWO edited"
    assert index.summary(1).tokens == -1  # stale count dropped
    assert index.summary(0).tokens == 5
    dataset.insert_record(0, _record("zero", "0", "x"))
    index.insert_pending(0, 1)
    dataset.remove(3)  # "three"
    index.remove([3])
    index.ensure_all()
    assert [index.summary(i).prompt for i in index.rows()] == ["zero", "one", "TWO edited"]
    assert index.filter(RowFilter(split=VALIDATION)) == [2]
    assert list(index.tokens) == [-1, 5, -1]


def test_every_corpus_file_indexes_without_error() -> None:
    from dpo_studio.core.detect import detect_dialect

    files = sorted(CORPUS.rglob("*.json*"))
    assert files
    for path in files:
        data = path.read_bytes()
        dataset = Dataset.from_bytes(data, detect_dialect(data).dialect, path)
        index = DatasetIndex(dataset)
        index.fill()
        assert index.complete, path
        assert len(index.rows()) == sum(1 for e in dataset.entries if e.kind is not EntryKind.BLANK)


def _fresh(dataset: Dataset) -> DatasetIndex:
    index = DatasetIndex(dataset)
    index.fill()
    return index


_ops = st.lists(
    st.one_of(
        st.tuples(st.just("edit"), st.integers(0, 50), st.text(max_size=8)),
        st.tuples(st.just("insert"), st.integers(0, 50), st.text(max_size=8)),
        st.tuples(st.just("remove"), st.integers(0, 50), st.just("")),
    ),
    max_size=25,
)


@settings(max_examples=60, deadline=None)
@given(_ops, st.sampled_from(["", "a", "b", "x"]), st.sampled_from(["", TRAIN, NO_SPLIT]))
def test_incremental_updates_match_a_fresh_index(
    ops: list[tuple[str, int, str]], text: str, split: str
) -> None:
    dataset = _dataset([(f"p{i}", f"good {i}", f"bad {i}") for i in range(6)], extra=b"\n")
    index = _fresh(dataset)
    for op, position, value in ops:
        size = len(dataset.entries)
        if op == "edit" and size:
            at = position % size
            dataset.set_record(at, _record(value, "a" + value, "b", TRAIN if len(value) % 2 else None))
            index.mark_changed([at])
        elif op == "insert":
            at = position % (size + 1)
            dataset.insert_record(at, _record(value, "x", "y", None, [value] if value else []))
            index.insert_pending(at, 1)
        elif op == "remove" and size:
            at = position % size
            dataset.remove(at)
            index.remove([at])
    index.ensure_all()
    expected = _fresh(dataset)
    query = RowFilter(text=text, split=split)
    assert index.rows() == expected.rows()
    assert index.filter(query) == expected.filter(query)
    assert index.ready == expected.ready
    assert [index.summary(i) for i in index.rows()] == [expected.summary(i) for i in expected.rows()]
    assert index.tags == expected.tags
    assert index.sort(index.rows(), Column.PROMPT) == expected.sort(expected.rows(), Column.PROMPT)


def test_fill_from_a_snapshot_ignores_later_edits() -> None:
    dataset = _dataset([("first", "a", "b"), ("second", "a", "b")])
    snapshot: list[Entry] = list(dataset.entries)
    index = DatasetIndex(dataset, snapshot)
    # Like core.document, an edit puts a new Entry in place, so the snapshot keeps the old one.
    dataset.entries[0] = Entry(EntryKind.RECORD, None, 1, b"\n", _record("changed", "a", "b"))
    index.fill(snapshot)
    assert index.summary(0).prompt == "first"
    live = index.realigned(snapshot)  # onto the dataset's current entries: the edited row is pending
    assert not live.ready[0] and live.ready[1]
    assert live.summary(0).prompt == "changed" and live.summary(1).prompt == "second"


def test_fill_can_be_cancelled_and_reports_progress() -> None:
    dataset = _dataset([("p", "a", "b")] * 5000)
    seen: list[tuple[int, int]] = []
    index = DatasetIndex(dataset)
    index.fill(progress=lambda done, total: seen.append((done, total)), cancelled=lambda: len(seen) >= 1)
    assert seen == [(2000, 5000)]
    assert index.pending == 3000
    index.fill()
    assert index.complete


def test_realigned_keeps_rows_whose_entry_object_is_unchanged() -> None:
    dataset = _dataset([("first", "a", "b"), ("second", "a", "b"), ("third", "a", "b")])
    snapshot = list(dataset.entries)
    built = DatasetIndex(dataset, snapshot)
    built.fill(snapshot)
    # Edits made while the index was built in the background: replace, insert, remove.
    dataset.entries[0] = Entry(EntryKind.RECORD, None, 1, b"\n", _record("edited", "a", "b"))
    dataset.entries.insert(1, Entry(EntryKind.RECORD, None, 0, b"\n", _record("inserted", "a", "b")))
    del dataset.entries[3]  # "third"
    live = built.realigned(snapshot)
    assert live.pending == 2  # the edited and the inserted rows
    assert live.ready[2] and live.text(Column.PROMPT, 2) == "second"
    live.ensure_all()
    assert [live.summary(i).prompt for i in live.rows()] == ["edited", "inserted", "second"]
    updated = live.adopt_tokens(snapshot, {0: 10, 1: 20, 2: 30})
    assert updated == [2] and list(live.tokens) == [-1, -1, 20]


def test_token_counter_counts_rows_computed_on_demand() -> None:
    dataset = _dataset([("p", "a", "b")])
    index = DatasetIndex(dataset)
    index.token_counter = lambda record: len(record.preferred_text) + 100
    assert index.summary(0).tokens == 101


def test_an_index_realigned_without_changes_follows_later_edits() -> None:
    """The usual case: nothing changed while building, so the built index is used as it is."""
    dataset = _dataset([("first", "a", "b"), ("second", "a", "b")])
    snapshot = list(dataset.entries)
    built = DatasetIndex(dataset, snapshot)
    built.fill(snapshot)
    live = built.realigned(snapshot)
    dataset.entries[1] = Entry(EntryKind.RECORD, None, 2, b"\n", _record("edited", "a", "b", TRAIN))
    live.mark_changed([1])
    live.ensure_all()
    assert live.summary(1).prompt == "edited"
    assert live.filter(RowFilter(split=TRAIN)) == [1]


def test_previews_are_made_on_sight_and_only_recent_ones_are_kept() -> None:
    from dpo_studio.core import dataset_index

    rows = dataset_index.PREVIEW_CACHE_ROWS + 10
    dataset = _dataset([(f"prompt {i}", f"good {i}", f"bad {i}") for i in range(rows)])
    index = DatasetIndex(dataset)
    index.fill()
    assert index._previews == {}  # building the index makes no previews
    assert [index.text(Column.PREFERRED, i) for i in range(rows)] == [f"good {i}" for i in range(rows)]
    assert len(index._previews) <= dataset_index.PREVIEW_CACHE_ROWS
    assert index.text(Column.REJECTED, 0) == "bad 0"  # made again after it was forgotten


def test_text_columns_sort_by_their_own_text() -> None:
    dataset = _dataset([("b prompt", "Zebra", "apple"), ("A prompt", "mango", "Cherry"), ("c", "apple", "b")])
    index = DatasetIndex(dataset)
    index.fill()
    rows = index.rows()
    assert index.sort(rows, Column.PROMPT) == [1, 0, 2]
    assert index.sort(rows, Column.PREFERRED) == [2, 1, 0]
    assert index.sort(rows, Column.REJECTED) == [0, 2, 1]
    assert index.sort(rows, Column.REJECTED, descending=True) == [1, 2, 0]
