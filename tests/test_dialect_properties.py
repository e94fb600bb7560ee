"""Property-based tests (hypothesis) for the dialect readers and writers.

- For every writable dialect, write -> read -> write is stable, and records the dialect can carry
  (no conversion losses) come back equal.
- Reading arbitrary bytes never raises, every unreadable line becomes a finding, and an untouched
  file is written back byte for byte.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dpo_studio.core.dataset import Dataset, EntryKind
from dpo_studio.core.detect import detect_dialect
from dpo_studio.core.dialects import DIALECTS, Dialect, get_dialect, writable_dialects
from dpo_studio.core.records import TRAIN, VALIDATION, PreferenceRecord
from dpo_studio.core.textfile import BOM

TEXT = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)
KEYS = st.text("abcdefghij_", min_size=1, max_size=8)
JSON_LEAF = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | TEXT
JSON_VALUE = st.recursive(
    JSON_LEAF,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=6,
)


def _message(role: str) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(lambda text: {"role": role, "content": text}, TEXT)


@st.composite
def records(draw: st.DrawFn) -> PreferenceRecord:
    """Random records: system prompts, multi-turn context, tools, metadata, split, unknown fields."""
    context: list[dict[str, Any]] = []
    if draw(st.booleans()):
        context.append(draw(_message("system")))
    for _turn in range(draw(st.integers(0, 2))):
        context += [draw(_message("user")), draw(_message("assistant"))]
    context.append(draw(_message("user")))
    tools = None
    if draw(st.booleans()):
        tools = [{"type": "function", "function": {"name": draw(KEYS), "parameters": {"type": "object"}}}]
    reserved = {
        "input", "preferred_output", "non_preferred_output", "metadata", "messages", "rejected_message",
        "split", "tools", "parallel_tool_calls", "prompt", "chosen", "rejected",
    }  # fmt: skip
    extra = draw(st.dictionaries(KEYS.filter(lambda key: key not in reserved), JSON_VALUE, max_size=2))
    return PreferenceRecord(
        context=context,
        preferred=[draw(_message("assistant"))],
        rejected=[draw(_message("assistant"))],
        tools=tools,
        parallel_tool_calls=draw(st.none() | st.booleans()) if tools else None,
        split=draw(st.sampled_from([None, TRAIN, VALIDATION])),
        metadata=draw(st.dictionaries(KEYS, TEXT, max_size=2)),
        extra=extra,
    )


def _styled(dialect: Dialect, implicit: bool, objects: bool) -> Dialect:
    """A writable dialect with its style options (TRL writes implicit prompts / single answers too)."""
    if dialect.name.startswith("trl"):
        return type(dialect)(implicit_prompt=implicit, answer_objects=objects)  # type: ignore[call-arg]
    return dialect


def _write(dialect: Dialect, items: list[PreferenceRecord], *, compact: bool, crlf: bool) -> bytes:
    dataset = Dataset(dialect=dialect)
    dataset.layout.compact = compact
    dataset.layout.newline = b"\r\n" if crlf else b"\n"
    for record in items:
        dataset.append_record(record)
    return dataset.to_bytes()


@pytest.mark.parametrize("name", [dialect.name for dialect in writable_dialects()])
@given(
    items=st.lists(records(), min_size=1, max_size=4),
    implicit=st.booleans(),
    objects=st.booleans(),
    compact=st.booleans(),
    crlf=st.booleans(),
)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_write_read_write_is_stable(
    name: str, items: list[PreferenceRecord], implicit: bool, objects: bool, compact: bool, crlf: bool
) -> None:
    dialect = _styled(get_dialect(name), implicit, objects)
    first = _write(dialect, items, compact=compact, crlf=crlf)
    dataset = Dataset.from_bytes(first, dialect)
    assert dataset.read_findings() == []
    assert len(dataset.record_indices()) == len(items)
    # Untouched: byte for byte. Every record re-serialised from what was read: the same bytes again.
    assert dataset.to_bytes() == first
    for index in dataset.record_indices():
        dataset.set_record(index, dataset.record(index).clone())
    assert dataset.to_bytes() == first
    # Records the dialect carries without loss come back as they were.
    for original, (_index, read) in zip(items, dataset.iter_records(), strict=True):
        if dialect.losses(original):
            continue
        assert read.context == original.context
        assert read.preferred == original.preferred
        assert read.rejected == original.rejected
        assert read.tools == original.tools
        assert read.metadata == original.metadata
        assert read.split == original.split
        assert read.extra == original.extra


@given(item=records(), target=st.sampled_from([d.name for d in writable_dialects()]))
@settings(max_examples=80, deadline=None)
def test_conversion_carries_what_it_does_not_list_as_lost(item: PreferenceRecord, target: str) -> None:
    source = Dataset(dialect=get_dialect("openai_dpo"))
    source.append_record(item)
    dialect = get_dialect(target)
    losses = source.conversion_losses(dialect)
    read = Dataset.from_bytes(source.to_bytes(dialect), dialect).record(0)
    if not any("split" in loss for loss in losses):
        assert read.split == item.split
    if not any("tool definitions" in loss for loss in losses):
        assert read.tools == item.tools
    assert read.metadata == item.metadata
    assert read.extra == item.extra
    if not losses:
        assert (read.context, read.preferred, read.rejected) == (item.context, item.preferred, item.rejected)


_LINES = st.one_of(
    st.binary(max_size=60),
    JSON_VALUE.map(lambda value: json.dumps(value).encode()),
    st.just(b'{"prompt": "Q", "chosen": "A", "rejected": "B"}'),
    st.just(b'{"input": {"messages": [{"role": "user", "content": "x"}]}, "preferred_output": []}'),
    st.just(b"\xef\xbb\xbf"),
    st.just(b"["),
    st.just(b"]"),
    st.just(b"\r"),
    st.just(b'{"a": NaN, "b": "\\ud800"}'),  # Python's json reads these; JSON and orjson do not
)


@st.composite
def files(draw: st.DrawFn) -> bytes:
    """Arbitrary bytes, and arbitrary lines that are often JSON, joined by LF or CRLF."""
    if draw(st.booleans()):
        return draw(st.binary(max_size=300))
    newline = draw(st.sampled_from([b"\n", b"\r\n"]))
    data = newline.join(draw(st.lists(_LINES, max_size=8)))
    if draw(st.booleans()):
        data = b"[" + data + draw(st.sampled_from([b"]", b"", b"]x", b",]"]))
    return (BOM if draw(st.booleans()) else b"") + data


@given(data=files(), dialect=st.sampled_from([None, *[d.name for d in DIALECTS]]))
@settings(max_examples=300, deadline=None)
def test_reading_arbitrary_bytes_never_raises_and_loses_nothing(data: bytes, dialect: str | None) -> None:
    chosen = get_dialect(dialect) if dialect else detect_dialect(data).dialect
    dataset = Dataset.from_bytes(data, chosen)
    findings = dataset.read_findings()
    unreadable = [entry for entry in dataset.entries if entry.kind is EntryKind.UNREADABLE]
    assert len([f for f in findings if f.entry is not None]) == len(unreadable)
    assert all(f.line >= 1 and f.column >= 1 for f in findings if f.entry is not None)
    for index in range(len(dataset)):
        dataset.parse_entry(index)
    for index in dataset.record_indices():
        dataset.record(index)
    assert dataset.to_bytes() == data
    for target in writable_dialects():
        dataset.conversion_losses(target)
        dataset.to_bytes(target)
