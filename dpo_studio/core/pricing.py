"""Training cost estimates: billed tokens × epochs × price, from an editable price table.

The bundled table is ``resources/prices.json``; a ``prices.json`` in the user's config folder
overrides entries (matched by provider, model and tier), so users can correct prices without waiting
for a release. Every price carries the date it was last checked and its source.

The platforms bill SFT and DPO by the tokens of the training file times the epochs trained. How a DPO
pair's prompt is counted (once, or once per answer) is not documented, so an estimate has a lower
bound (prompt once) and an upper bound (prompt twice); see :mod:`dpo_studio.core.tokens`.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dpo_studio.core.resources import resource_path

PRICE_FILE = "prices.json"
_SNAPSHOT_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")

#: OpenAI cookbook's rule for ``n_epochs: "auto"`` (Chat_finetuning_data_prep): aim at 3 epochs, but
#: at least 100 and at most 25,000 examples trained in total, and between 1 and 25 epochs.
TARGET_EPOCHS = 3
MIN_TARGET_EXAMPLES = 100
MAX_TARGET_EXAMPLES = 25_000
MIN_DEFAULT_EPOCHS = 1
MAX_DEFAULT_EPOCHS = 25

#: Azure: (training tokens) × epochs may not exceed 2 billion per job.
AZURE_MAX_JOB_TOKENS = 2_000_000_000

#: The tier used when none is given.
DEFAULT_TIERS = {"openai": "default", "azure": "Standard", "foundry": "Standard"}


@dataclass(frozen=True, slots=True)
class Price:
    """One row of the price table."""

    provider: str
    model: str
    tier: str
    #: Price per million training tokens, ``None`` when unknown.
    per_million: float | None
    checked: str = ""
    source: str = ""
    confidence: str = ""
    #: Whether the row comes from the user's own price file.
    user: bool = False


@dataclass
class PriceTable:
    """Training prices by provider, model and tier."""

    prices: list[Price] = field(default_factory=list)
    currency: str = "USD"
    #: Problems met while loading (e.g. a broken user file, which is then ignored).
    problems: list[str] = field(default_factory=list)

    def tiers(self, provider: str) -> list[str]:
        """Tiers known for ``provider``, in table order."""
        key = _price_provider(provider)
        return list(dict.fromkeys(p.tier for p in self.prices if p.provider == key))

    def find(self, provider: str, model: str, tier: str | None = None) -> Price | None:
        """The price of ``model`` on ``provider``'s ``tier`` (default tier when ``None``).

        Fine-tuned model names (``ft:...``, ``....ft-<id>``) and short names (``gpt-4.1-mini``) are
        matched to their base snapshot. The user's rows win over bundled ones.
        """
        key = _price_provider(provider)
        wanted_tier = (tier or DEFAULT_TIERS.get(key, "default")).lower()
        name = base_model_name(model)
        best: Price | None = None
        best_score = -1
        for price in self.prices:
            if price.provider != key or price.tier.lower() != wanted_tier:
                continue
            table_model = price.model.lower()
            if name == table_model or name.startswith(table_model + "."):
                score = 3
            elif name.startswith(table_model):
                score = 2
            elif table_model.startswith(name + "-") and _SNAPSHOT_DATE.fullmatch(
                table_model[len(name) + 1 :]
            ):
                score = 1  # a short name such as gpt-4.1-mini for its dated snapshot
            else:
                continue
            # Later rows (the user's) win on equal scores.
            if score >= best_score:
                best, best_score = price, score
        return best


def base_model_name(model: str) -> str:
    """``ft:gpt-4o-mini-2024-07-18:org::id`` → ``gpt-4o-mini-2024-07-18``; Azure ``x.ft-id`` → ``x``."""
    name = model.strip().lower()
    if name.startswith("ft:"):
        name = name[3:].split(":", 1)[0]
    if ".ft-" in name:
        name = name.split(".ft-", 1)[0]
    return name


def _price_provider(provider: str) -> str:
    key = provider.strip().lower()
    # Foundry projects fine-tune on the same Azure OpenAI service and price list.
    return "azure" if key == "foundry" else key


def _rows(data: Any, user: bool) -> list[Price]:
    if not isinstance(data, dict) or not isinstance(data.get("prices"), list):
        raise ValueError("it needs a top-level object with a 'prices' list")
    rows = []
    for number, row in enumerate(data["prices"], 1):
        if not isinstance(row, dict):
            raise ValueError(f"price {number} is not an object")
        try:
            provider, model = str(row["provider"]).lower(), str(row["model"])
        except KeyError as error:
            raise ValueError(f"price {number} has no '{error.args[0]}'") from None
        value = row.get("per_million")
        if value is not None and (not isinstance(value, int | float) or isinstance(value, bool) or value < 0):
            raise ValueError(f"price {number} ('{model}'): per_million must be a number ≥ 0 or null")
        rows.append(
            Price(
                provider=provider,
                model=model,
                tier=str(row.get("tier", "default")),
                per_million=None if value is None else float(value),
                checked=str(row.get("checked", "")),
                source=str(row.get("source", "")),
                confidence=str(row.get("confidence", "")),
                user=user,
            )
        )
    return rows


def user_price_file() -> Path:
    """Where a user's own prices live (``prices.json`` in the config folder)."""
    from dpo_studio.core.paths import config_dir

    return config_dir() / PRICE_FILE


def load_price_table(bundled: Path | None = None, override: Path | None = None) -> PriceTable:
    """The bundled price table with the user's overrides applied.

    A missing user file is normal; a broken one is ignored and named in :attr:`PriceTable.problems`
    so the app can say so (the bundled prices are used instead).
    """
    bundled_path = bundled or resource_path(PRICE_FILE)
    data = json.loads(bundled_path.read_text(encoding="utf-8"))
    table = PriceTable(_rows(data, user=False), str(data.get("currency", "USD")))
    user_path = override if override is not None else user_price_file()
    if user_path.is_file():
        try:
            user_data = json.loads(user_path.read_text(encoding="utf-8-sig"))
            table.prices.extend(_rows(user_data, user=True))
        except (OSError, UnicodeDecodeError, ValueError) as error:
            table.problems.append(
                f"Your price file {user_path} was ignored: {error}. The bundled prices are used."
            )
    return table


def auto_epochs(examples: int) -> int:
    """The epoch count ``n_epochs: "auto"`` resolves to for a training file of ``examples`` pairs.

    This is OpenAI's published heuristic (cookbook data-preparation notebook); the job reports the
    value it actually used once it starts (``method.dpo.hyperparameters.n_epochs``).
    """
    if examples <= 0:
        return TARGET_EPOCHS
    epochs = TARGET_EPOCHS
    if examples * TARGET_EPOCHS < MIN_TARGET_EXAMPLES:
        epochs = min(MAX_DEFAULT_EPOCHS, MIN_TARGET_EXAMPLES // examples)
    elif examples * TARGET_EPOCHS > MAX_TARGET_EXAMPLES:
        epochs = max(MIN_DEFAULT_EPOCHS, MAX_TARGET_EXAMPLES // examples)
    return epochs


@dataclass(frozen=True, slots=True)
class CostEstimate:
    """What a training run will cost, as a range."""

    #: Lower and upper cost bounds in ``currency``; ``None`` when no price is known.
    low: float | None
    high: float | None
    currency: str
    provider: str
    model: str
    tier: str
    epochs: int
    #: Whether ``epochs`` came from the "auto" rule rather than the user.
    epochs_auto: bool
    #: Billed tokens per epoch (prompt counted once / twice).
    tokens_low: int
    tokens_high: int
    price: Price | None
    notes: tuple[str, ...] = ()

    @property
    def trained_tokens_low(self) -> int:
        """Billed tokens over all epochs, lower bound."""
        return self.tokens_low * self.epochs

    @property
    def trained_tokens_high(self) -> int:
        """Billed tokens over all epochs, upper bound."""
        return self.tokens_high * self.epochs

    def describe(self) -> str:
        """One line for people, e.g. ``$1.20–$1.80 (3 epochs, auto; $5.00 per 1M tokens, checked …)``."""
        epochs = f"{self.epochs} epoch{'s' if self.epochs != 1 else ''}{', auto' if self.epochs_auto else ''}"
        if self.low is None or self.high is None or self.price is None:
            return f"unknown: no price for {self.model} ({self.tier}) on {self.provider}; {epochs}"
        symbol = "$" if self.currency == "USD" else f"{self.currency} "
        amount = (
            f"{symbol}{self.low:,.2f}"
            if round(self.low, 2) == round(self.high, 2)
            else (f"{symbol}{self.low:,.2f}–{symbol}{self.high:,.2f}")
        )
        checked = f", checked {self.price.checked}" if self.price.checked else ""
        return f"{amount} ({epochs}; {symbol}{self.price.per_million:,.2f} per 1M tokens{checked})"


def estimate_cost(
    tokens_low: int,
    tokens_high: int,
    *,
    examples: int,
    provider: str = "azure",
    model: str = "gpt-4.1-mini-2025-04-14",
    tier: str | None = None,
    epochs: int | None = None,
    table: PriceTable | None = None,
) -> CostEstimate:
    """Estimate a DPO run: billed tokens per epoch (both bounds) × epochs × price per token.

    ``tokens_low``/``tokens_high`` are the training file's billed tokens with the prompt counted
    once/twice per pair (:class:`dpo_studio.core.tokens.FileTokens`); ``epochs`` ``None`` means
    "auto" (:func:`auto_epochs` of ``examples``).
    """
    prices = table or load_price_table()
    key = provider.strip().lower()
    chosen_tier = tier or DEFAULT_TIERS.get(_price_provider(key), "default")
    price = prices.find(key, model, chosen_tier)
    resolved = auto_epochs(examples) if epochs is None else epochs
    notes: list[str] = list(prices.problems)
    low = high = None
    if price is not None and price.per_million is not None:
        low = tokens_low * resolved * price.per_million / 1_000_000
        high = tokens_high * resolved * price.per_million / 1_000_000
        if price.confidence:
            notes.append(f"Price confidence: {price.confidence}.")
    elif price is not None:
        notes.append(
            f"No price is known for this tier ({price.confidence or 'unknown'}); add one to prices.json."
        )
    else:
        notes.append(f"No price is listed for {model} ({chosen_tier}); add one to prices.json.")
    if tokens_low != tokens_high:
        notes.append(
            "The range is there because the platforms do not say whether a pair's prompt is billed "
            "once or once per answer."
        )
    if epochs is None:
        notes.append(
            f"'auto' epochs resolve to {resolved} for {examples:,} examples (OpenAI's published rule)."
        )
    if _price_provider(key) == "azure":
        if tokens_high * resolved > AZURE_MAX_JOB_TOKENS:
            notes.append("Azure limits a job to 2 billion training tokens × epochs; this run may exceed it.")
        notes.append(
            "Azure also bills an hourly hosting fee while a fine-tuned model is deployed (not included)."
        )
    return CostEstimate(
        low=low,
        high=high,
        currency=prices.currency,
        provider=key,
        model=model,
        tier=chosen_tier,
        epochs=resolved,
        epochs_auto=epochs is None,
        tokens_low=tokens_low,
        tokens_high=tokens_high,
        price=price,
        notes=tuple(notes),
    )
