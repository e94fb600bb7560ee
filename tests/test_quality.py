"""Quality report: length bias, identical and empty answers, duplicate prompts, contradictions."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from dpo_studio.core.dataset import Dataset
from dpo_studio.core.quality import normalise_prompt, quality_report, sign_test_p_value
from dpo_studio.core.records import PreferenceRecord
from tests.conftest import CORPUS


def make(prompt: str, good: str, bad: str) -> PreferenceRecord:
    return PreferenceRecord(
        context=[{"role": "user", "content": prompt}],
        preferred=[{"role": "assistant", "content": good}],
        rejected=[{"role": "assistant", "content": bad}],
    )


def numbered(records: list[PreferenceRecord]) -> list[tuple[int, PreferenceRecord]]:
    return list(enumerate(records))


def test_length_bias_is_detected() -> None:
    records = [make(f"q{i}", "a long and detailed answer " * 3, "short") for i in range(30)]
    report = quality_report(numbered(records))
    bias = report.length
    assert bias.preferred_longer == 30 and bias.rejected_longer == 0
    assert bias.share_preferred_longer == 1.0
    assert bias.p_value == pytest.approx(2 / 2**30)
    assert bias.biased
    assert "length bias" in bias.verdict() and "shorter" in bias.verdict()
    assert report.to_dict()["length_bias"]["biased"] is True


def test_balanced_lengths_are_not_bias() -> None:
    records = [
        make(f"q{i}", "long answer here" if i % 2 else "short", "short" if i % 2 else "long answer here")
        for i in range(40)
    ]
    bias = quality_report(numbered(records)).length
    assert bias.preferred_longer == bias.rejected_longer == 20
    assert bias.p_value == 1.0 and not bias.biased
    assert "length bias" not in bias.verdict()


def test_small_skews_are_not_called_bias() -> None:
    records = [make(f"q{i}", "longer one", "short") for i in range(4)]
    bias = quality_report(numbered(records)).length
    assert bias.share_preferred_longer == 1.0
    assert not bias.biased  # 4 of 4 can happen by chance (p = 0.125)


def test_sign_test_values() -> None:
    assert sign_test_p_value(5, 10) == 1.0
    assert sign_test_p_value(0, 10) == pytest.approx(2 / 1024)
    assert sign_test_p_value(9, 10) == pytest.approx(2 * 11 / 1024)
    large = sign_test_p_value(1100, 2000)
    assert 0 < large < 1e-4
    assert math.isclose(sign_test_p_value(1000, 2000), 1.0, rel_tol=0.05)
    assert sign_test_p_value(0, 0) == 1.0


def test_identical_empty_duplicates_near_duplicates_contradictions() -> None:
    records = [
        make("How do I reset my password?", "Use the link.", "No idea."),  # 0
        make("How do I reset my password?", "Open Settings.", "Ask someone."),  # 1 exact duplicate prompt
        make("how do I reset my password", "Tap 'Forgot'.", "Google it."),  # 2 near duplicate of 0/1
        make("Where is my order?", "Same text", "Same text"),  # 3 identical answers
        make("Cancel it", "", "Sure."),  # 4 empty preferred
        make("Which plan?", "Pro", "Basic"),  # 5
        make("Which plan?", "Basic", "Pro"),  # 6 contradicts 5
    ]
    report = quality_report(numbered(records))
    assert report.pairs == 7
    assert report.identical == [3] and report.identical_count == 1
    assert report.empty == [4]
    assert sorted(report.duplicate_prompts) == [[0, 1], [5, 6]]
    assert report.near_duplicate_prompts == [[0, 1, 2]]
    assert report.contradictions == [(5, 6)]
    assert report.distinct_prompts == 5
    assert report.pairs_per_prompt == {2: 2, 1: 3}
    summary = report.to_dict()
    assert summary["contradictions"]["count"] == 1
    assert summary["pairs_per_prompt"] == {"1": 3, "2": 2}


def test_tool_call_answers_are_not_empty() -> None:
    record = make("Status?", "", "No.")
    record.preferred = [
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [{"id": "1", "type": "function", "function": {"name": "f", "arguments": "{}"}}],
        }
    ]
    assert quality_report([(0, record)]).empty == []


def test_normalise_prompt() -> None:
    assert normalise_prompt("Hello,   World!") == normalise_prompt("hello world")
    assert normalise_prompt("Zürich?") == "zürich"


def test_real_corpus_duplicates() -> None:
    # The LLaMA-Factory demo has 5 duplicate records (PROVENANCE.md): their prompts repeat.
    dataset = Dataset.open(CORPUS / "trl_conversational" / "llamafactory-dpo-en-demo-sharegpt.jsonl")
    report = quality_report(dataset.iter_records())
    assert report.pairs == 300
    assert sum(len(group) - 1 for group in report.duplicate_prompts) >= 5


def test_statistics_bill_training_examples_only(tmp_path: Path) -> None:
    from dpo_studio.core.statistics import dataset_statistics, format_statistics

    lines = []
    for i in range(12):
        lines.append(
            {
                "messages": [
                    {"role": "user", "content": f"Question {i}?"},
                    {"role": "assistant", "content": f"Answer {i}, the good one."},
                ],
                "rejected_message": {"role": "assistant", "content": "Bad."},
                "split": "TEST" if i < 4 else "TRAIN",
            }
        )
    path = tmp_path / "openpipe.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    dataset = Dataset.open(path)
    assert dataset.dialect.name == "openpipe"
    stats = dataset_statistics(dataset, provider="openai", model="gpt-4.1-mini-2025-04-14")
    assert stats["examples"] == 12
    assert stats["split"] == {"train": 8, "validation": 4, "unset": 0}
    assert stats["tokens"]["counted_examples"] == 8
    assert stats["cost"]["epochs"] == 12  # auto: 100 // 8 examples
    text = format_statistics(stats)
    assert "8 train, 4 validation" in text and "Cost on OpenAI" in text
