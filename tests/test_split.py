"""Train/validation splits: deterministic, grouped by prompt, close to the ratio, existing splits kept."""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from dpo_studio.core.records import TRAIN, VALIDATION, PreferenceRecord
from dpo_studio.core.split import split_records, validation_target


def make(prompt: str, answer: str = "a", split: str | None = None) -> PreferenceRecord:
    return PreferenceRecord(
        context=[{"role": "user", "content": prompt}],
        preferred=[{"role": "assistant", "content": answer + " good"}],
        rejected=[{"role": "assistant", "content": answer + " bad"}],
        split=split,
    )


_records = st.lists(
    st.tuples(st.sampled_from([f"prompt {i}" for i in range(15)]), st.text(max_size=3)),
    min_size=0,
    max_size=60,
).map(lambda items: [make(prompt, answer) for prompt, answer in items])


@settings(max_examples=150, deadline=None)
@given(records=_records, ratio=st.floats(0.01, 0.99), seed=st.integers(0, 2**31))
def test_split_properties(records: list[PreferenceRecord], ratio: float, seed: int) -> None:
    sides = split_records(records, ratio, seed)
    assert len(sides) == len(records)
    assert set(sides) <= {TRAIN, VALIDATION}
    # Deterministic.
    assert split_records(records, ratio, seed) == sides
    # A prompt never lands on both sides.
    by_prompt: dict[str, set[str]] = {}
    for record, side in zip(records, sides, strict=True):
        by_prompt.setdefault(record.prompt_key(), set()).add(side)
    assert all(len(found) == 1 for found in by_prompt.values())
    # Never more than the target; the training side is never empty.
    in_validation = sides.count(VALIDATION)
    assert in_validation <= validation_target(len(records), ratio)
    if records:
        assert sides.count(TRAIN) >= 1


@settings(max_examples=60, deadline=None)
@given(records=_records, seed=st.integers(0, 1000))
def test_split_does_not_depend_on_file_order(records: list[PreferenceRecord], seed: int) -> None:
    sides = split_records(records, 0.3, seed)
    order = list(range(len(records)))
    random.Random(seed).shuffle(order)
    shuffled_sides = split_records([records[i] for i in order], 0.3, seed)
    by_prompt = {records[i].prompt_key(): sides[i] for i in range(len(records))}
    assert all(
        by_prompt[records[i].prompt_key()] == side for i, side in zip(order, shuffled_sides, strict=True)
    )


def test_distinct_prompts_hit_the_ratio_exactly() -> None:
    records = [make(f"question {i}") for i in range(200)]
    sides = split_records(records, 0.1, seed=7)
    assert sides.count(VALIDATION) == 20
    other_seed = split_records(records, 0.1, seed=8)
    assert other_seed.count(VALIDATION) == 20 and other_seed != sides


def test_existing_split_is_kept_unless_asked() -> None:
    records = [make(f"q{i}", split=TRAIN if i % 4 else VALIDATION) for i in range(12)]
    records.append(make("q1"))  # no split, but its prompt is on the training side already
    records.append(make("brand new"))
    kept = split_records(records, 0.5, seed=1)
    assert kept[:12] == [record.split for record in records[:12]]
    assert kept[12] == TRAIN
    fresh = split_records(records, 0.5, seed=1, keep_existing=False)
    assert fresh != kept
    assert fresh[1] == fresh[12]  # same prompt, same side


def test_edge_cases() -> None:
    assert split_records([], 0.2, 0) == []
    assert split_records([make("only")], 0.5, 0) == [TRAIN]
    same_prompt = [make("same", str(i)) for i in range(10)]
    assert split_records(same_prompt, 0.2, 0) == [TRAIN] * 10  # one group cannot be split
    with pytest.raises(ValueError):
        split_records(same_prompt, 1.5, 0)
    assert validation_target(10, 0.1) == 1
    assert validation_target(10, 0.99) == 9
    assert validation_target(3, 0.01) == 1
