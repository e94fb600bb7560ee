"""Cost estimates: the bundled table, user overrides, the auto-epoch rule and the arithmetic."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dpo_studio.core.paths import config_dir
from dpo_studio.core.pricing import (
    auto_epochs,
    base_model_name,
    estimate_cost,
    load_price_table,
)
from dpo_studio.core.resources import resource_path


def test_bundled_table_has_dates_sources_and_dpo_models() -> None:
    table = load_price_table()
    assert table.problems == []
    assert table.currency == "USD"
    for price in table.prices:
        assert price.checked and price.source.startswith("https://")
        assert price.per_million is None or price.per_million > 0
    for provider in ("openai", "azure"):
        for model in ("gpt-4.1-2025-04-14", "gpt-4.1-mini-2025-04-14", "gpt-4o-2024-08-06"):
            found = table.find(provider, model)
            assert found is not None and found.per_million is not None, (provider, model)
    assert table.tiers("azure") == ["Standard", "GlobalStandard", "developerTier"]
    assert table.tiers("foundry") == table.tiers("azure")


@pytest.mark.parametrize(
    ("examples", "epochs"),
    [
        (1, 25),
        (3, 25),
        (5, 20),
        (10, 10),
        (33, 3),
        (34, 3),
        (100, 3),
        (8_333, 3),
        (8_334, 2),
        (20_000, 1),
        (0, 3),
    ],
)
def test_auto_epochs_follow_the_published_rule(examples: int, epochs: int) -> None:
    # n_epochs = 3, raised so that n × epochs ≥ 100 (max 25), lowered so that n × epochs ≤ 25,000 (min 1).
    assert auto_epochs(examples) == epochs


def test_model_names_match_their_base_snapshot() -> None:
    assert base_model_name("ft:gpt-4.1-mini-2025-04-14:contoso::abc123") == "gpt-4.1-mini-2025-04-14"
    assert base_model_name("gpt-4.1-2025-04-14.ft-0a1b2c") == "gpt-4.1-2025-04-14"
    table = load_price_table()
    mini = table.find("openai", "gpt-4.1-mini-2025-04-14")
    assert mini is not None
    assert table.find("openai", "ft:gpt-4.1-mini-2025-04-14:contoso::abc123") == mini
    assert table.find("openai", "gpt-4.1-mini") == mini
    full = table.find("openai", "gpt-4.1")
    assert full is not None and full.model == "gpt-4.1-2025-04-14"
    assert table.find("openai", "davinci-002") is None
    global_tier = table.find("azure", "gpt-4.1-2025-04-14", "globalstandard")
    assert global_tier is not None and global_tier.tier == "GlobalStandard"


def test_estimate_arithmetic_and_bounds() -> None:
    estimate = estimate_cost(
        100_000, 150_000, examples=200, provider="openai", model="gpt-4.1-mini-2025-04-14", epochs=2
    )
    assert estimate.price is not None and estimate.price.per_million == 5.0
    assert estimate.low == pytest.approx(100_000 * 2 * 5 / 1e6)
    assert estimate.high == pytest.approx(150_000 * 2 * 5 / 1e6)
    assert estimate.trained_tokens_high == 300_000
    assert not estimate.epochs_auto
    assert "$1.00–$1.50" in estimate.describe()
    assert any("billed once or once per answer" in note for note in estimate.notes)


def test_estimate_with_auto_epochs_and_azure_notes() -> None:
    estimate = estimate_cost(
        1_000_000, 1_000_000, examples=20, provider="foundry", model="gpt-4.1-2025-04-14"
    )
    assert estimate.epochs == 5 and estimate.epochs_auto
    assert estimate.tier == "Standard"
    assert estimate.low == estimate.high == pytest.approx(1_000_000 * 5 * 25 / 1e6)
    assert "5 epochs, auto" in estimate.describe()
    assert any("hosting fee" in note for note in estimate.notes)
    big = estimate_cost(900_000_000, 900_000_000, examples=1_000_000, provider="azure", epochs=3)
    assert any("2 billion" in note for note in big.notes)


def test_unknown_prices_say_so() -> None:
    estimate = estimate_cost(
        1000, 1000, examples=50, provider="azure", model="gpt-4.1-2025-04-14", tier="developerTier"
    )
    assert estimate.low is None and estimate.high is None
    assert estimate.describe().startswith("unknown")
    nothing = estimate_cost(1000, 1000, examples=50, provider="openai", model="babbage-002")
    assert nothing.price is None and nothing.low is None
    assert any("No price is listed" in note for note in nothing.notes)


def test_user_prices_override_bundled_ones() -> None:
    user_file = config_dir() / "prices.json"
    user_file.write_text(
        json.dumps(
            {
                "prices": [
                    {
                        "provider": "azure",
                        "model": "gpt-4.1-2025-04-14",
                        "tier": "developerTier",
                        "per_million": 2.5,
                        "checked": "2026-11-20",
                        "source": "https://example.test/my-contract",
                    }
                ]
            }
        ),
        encoding="utf-8",
    )
    table = load_price_table()
    price = table.find("azure", "gpt-4.1-2025-04-14", "developerTier")
    assert price is not None and price.per_million == 2.5 and price.user
    estimate = estimate_cost(
        2_000_000,
        2_000_000,
        examples=100,
        provider="azure",
        model="gpt-4.1-2025-04-14",
        tier="developerTier",
        epochs=1,
    )
    assert estimate.low == pytest.approx(5.0)
    # Bundled rows the user did not touch are still there.
    assert table.find("azure", "gpt-4.1-mini-2025-04-14") is not None


@pytest.mark.parametrize(
    "content",
    [
        "{not json",
        json.dumps({"prices": [{"model": "x"}]}),
        json.dumps({"prices": [{"provider": "openai", "model": "x", "per_million": "cheap"}]}),
    ],
)
def test_broken_user_file_is_ignored_with_a_message(content: str) -> None:
    (config_dir() / "prices.json").write_text(content, encoding="utf-8")
    table = load_price_table()
    assert len(table.problems) == 1 and "was ignored" in table.problems[0]
    assert table.find("openai", "gpt-4.1-2025-04-14") is not None
    estimate = estimate_cost(10, 10, examples=10, provider="openai", model="gpt-4.1-2025-04-14", table=table)
    assert table.problems[0] in estimate.notes


def test_bundled_file_is_the_resource(tmp_path: Path) -> None:
    copy = tmp_path / "prices.json"
    data = json.loads(resource_path("prices.json").read_text(encoding="utf-8"))
    data["prices"] = data["prices"][:1]
    copy.write_text(json.dumps(data), encoding="utf-8")
    table = load_price_table(copy, override=tmp_path / "none.json")
    assert len(table.prices) == 1
