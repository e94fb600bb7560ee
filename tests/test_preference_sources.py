"""Preference pairs from generated answers (OpenPipe's sources), and their metadata in written files."""

from __future__ import annotations

import json

import pytest

from dpo_studio.core.dataset import Dataset
from dpo_studio.core.dialects import get_dialect
from dpo_studio.core.errors import UserError
from dpo_studio.core.preference_sources import (
    REVIEW_TAG,
    SOURCE_CRITERIA_JUDGE,
    SOURCE_REGENERATION,
    SOURCE_USER_CHOICE,
    SOURCE_USER_EDIT,
    Candidate,
    make_pair,
    pair_from_choice,
    pair_from_edit,
    pair_from_regenerations,
    pair_from_scores,
)
from dpo_studio.core.records import PreferenceRecord

CONTEXT = [
    {"role": "system", "content": "Answer in one sentence."},
    {"role": "user", "content": "What is DPO?"},
]
ANSWERS = [Candidate(f"Answer number {i}.", f"model-{i % 2}") for i in range(4)]


def test_user_choice_prefers_the_best_and_rejects_the_worst() -> None:
    pair = pair_from_choice(CONTEXT, ANSWERS, best=2, worst=0)
    assert pair.preferred_text == "Answer number 2." and pair.rejected_text == "Answer number 0."
    assert pair.context == CONTEXT and pair.context is not CONTEXT
    assert pair.metadata == {
        "source": SOURCE_USER_CHOICE,
        "preferred_model": "model-0",
        "rejected_model": "model-0",
        "candidates": "4",
    }
    assert pair.tags == [REVIEW_TAG] and pair.split is None
    with pytest.raises(UserError, match="same one"):
        pair_from_choice(CONTEXT, ANSWERS, best=1, worst=1)
    with pytest.raises(UserError, match="no answer number 9"):
        pair_from_choice(CONTEXT, ANSWERS, best=8, worst=0)


def test_regeneration_uses_the_first_rejected_answer() -> None:
    pair = pair_from_regenerations(CONTEXT, ANSWERS, accepted=3)
    assert pair.preferred_text == "Answer number 3."
    assert pair.rejected_text == "Answer number 0."  # the first one the user rejected, not the last
    assert pair.metadata["source"] == SOURCE_REGENERATION and pair.metadata["regenerations"] == "3"
    with pytest.raises(UserError, match="first answer was accepted"):
        pair_from_regenerations(CONTEXT, ANSWERS, accepted=0)


def test_user_edit_prefers_the_edit_over_the_draft() -> None:
    pair = pair_from_edit(CONTEXT, ANSWERS[1], "DPO tunes a model on preferred and rejected answers.")
    assert pair.preferred_text.startswith("DPO tunes") and pair.rejected_text == "Answer number 1."
    assert pair.metadata["source"] == SOURCE_USER_EDIT
    assert pair.metadata["rejected_model"] == "model-1" and "preferred_model" not in pair.metadata
    with pytest.raises(UserError, match="not changed"):
        pair_from_edit(CONTEXT, ANSWERS[1], "  Answer number 1. ")


def test_criteria_judge_takes_best_and_worst_scores() -> None:
    pair = pair_from_scores(CONTEXT, ANSWERS, [6, 9, 2, 9], criterion="One sentence only")
    assert pair.preferred_text == "Answer number 1."  # first of the tied best
    assert pair.rejected_text == "Answer number 2."
    assert pair.metadata["source"] == SOURCE_CRITERIA_JUDGE
    assert pair.metadata["criterion"] == "One sentence only"
    assert (pair.metadata["preferred_score"], pair.metadata["rejected_score"]) == ("9", "2")
    with pytest.raises(UserError, match="same score"):
        pair_from_scores(CONTEXT, ANSWERS, [5, 5, 5, 5], criterion="x")
    with pytest.raises(UserError, match="score for each"):
        pair_from_scores(CONTEXT, ANSWERS, [5, 6], criterion="x")


def test_pairs_that_teach_nothing_are_refused() -> None:
    same = Candidate("Same.", "a")
    with pytest.raises(UserError, match="Both answers are the same"):
        make_pair(CONTEXT, same, Candidate(" Same. ", "b"), source=SOURCE_USER_CHOICE)
    with pytest.raises(UserError, match="empty"):
        make_pair(CONTEXT, same, Candidate("", "b"), source=SOURCE_USER_CHOICE)
    with pytest.raises(UserError, match="ends with an assistant"):
        make_pair(
            [*CONTEXT, {"role": "assistant", "content": "x"}], same, ANSWERS[0], source=SOURCE_USER_CHOICE
        )
    with pytest.raises(ValueError):
        make_pair(CONTEXT, same, ANSWERS[0], source="vibes")


def test_tools_come_from_the_template_and_metadata_survives_writing() -> None:
    tools = [{"type": "function", "function": {"name": "lookup", "parameters": {"type": "object"}}}]
    template = PreferenceRecord(context=CONTEXT, tools=tools, parallel_tool_calls=False)
    pair = pair_from_choice(CONTEXT, ANSWERS, 1, 0, template=template, details={"prompt_entry": "4"})
    assert pair.tools == tools and pair.tools is not tools and pair.parallel_tool_calls is False
    dataset = Dataset(dialect=get_dialect("openpipe"))
    dataset.append_record(pair)
    written = dataset.to_bytes(get_dialect("openpipe"))
    row = json.loads(written.decode("utf-8").strip().splitlines()[-1])
    assert row["metadata"]["source"] == SOURCE_USER_CHOICE and row["metadata"]["prompt_entry"] == "4"
    assert row["rejected_message"]["content"] == "Answer number 0."
