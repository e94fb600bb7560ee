"""Metric series from events and results.csv, for any numeric key, whatever the column names."""

from __future__ import annotations

from dpo_studio.services.metrics import metrics_from_events, metrics_from_results_csv


def test_events_become_series_for_every_numeric_key() -> None:
    events = [
        {"type": "message", "data": {}, "message": "Job started"},
        {"type": "metrics", "data": {"step": 2, "train_loss": 0.5, "dpo_margin": 1.25, "total_steps": 10}},
        {"type": "metrics", "data": {"step": 1, "train_loss": 0.7, "note": "text is ignored", "flag": True}},
        {"type": "metrics", "data": {"step": 3, "train_loss": float("nan"), "valid_loss": "0.4"}},
        {"type": "moderation_checks", "data": {"step": 9, "score": 1.0}},
    ]
    metrics = metrics_from_events(events)
    assert metrics.names() == ["train_loss", "dpo_margin", "valid_loss"]
    assert metrics.series["train_loss"].steps == [1, 2]
    assert metrics.series["train_loss"].values == [0.7, 0.5]
    assert metrics.series["valid_loss"].points == {3: 0.4}
    assert metrics.total_steps == 10
    assert metrics.last_step() == 3


def test_openai_results_csv() -> None:
    content = (
        b"step,train_loss,train_accuracy,valid_loss,valid_mean_token_accuracy\r\n"
        b"1,1.52347,0.0,,\r\n2,0.57719,0.25,0.6,0.5\r\n"
    )
    metrics = metrics_from_results_csv(content)
    assert metrics.series["train_loss"].values == [1.52347, 0.57719]
    # train_accuracy is the same quantity as the events' train_mean_token_accuracy
    assert metrics.series["train_mean_token_accuracy"].points == {1: 0.0, 2: 0.25}
    assert metrics.series["valid_loss"].points == {2: 0.6}


def test_azure_results_csv_with_bom_and_synonym() -> None:
    content = (
        "\ufeffstep,train_loss,train_mean_token_accuracy,valid_loss,validation_mean_token_accuracy,"
        "full_valid_loss,full_valid_mean_token_accuracy\n"
        "1,0.9,0.5,0.8,0.45,,\n"
        "2,0.7,0.6,0.75,0.5,0.72,0.52\n"
    ).encode()
    metrics = metrics_from_results_csv(content)
    assert "valid_mean_token_accuracy" in metrics.series
    assert "validation_mean_token_accuracy" not in metrics.series
    assert metrics.series["full_valid_loss"].points == {2: 0.72}


def test_empty_or_headerless_csv_is_empty() -> None:
    assert metrics_from_results_csv(b"").names() == []
    assert metrics_from_results_csv(b"only,a,header\n").names() == []
