"""One summary of a dataset: counts, shape, tokens, cost estimate and quality, for ``dpo-studio stats``.

:func:`dataset_statistics` returns plain JSON-ready data; :func:`format_statistics` turns it into
text for a terminal. The app's stats panel can use either.
"""

from __future__ import annotations

import statistics as stats_math
from collections.abc import Callable
from typing import Any

from dpo_studio.core.dataset import EntryKind
from dpo_studio.core.pricing import estimate_cost
from dpo_studio.core.quality import quality_report
from dpo_studio.core.records import VALIDATION
from dpo_studio.core.tokens import count_dataset_tokens, encoding_name_for, example_token_limit

_PROVIDERS = {"openai": "OpenAI", "azure": "Azure OpenAI", "foundry": "Microsoft Foundry"}


def _percentile(sorted_values: list[int], share: float) -> int:
    if not sorted_values:
        return 0
    position = min(len(sorted_values) - 1, max(0, round(share * (len(sorted_values) - 1))))
    return sorted_values[position]


def dataset_statistics(
    dataset: Any,
    *,
    provider: str = "azure",
    model: str = "gpt-4.1-mini-2025-04-14",
    epochs: int | None = None,
    tier: str | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """Counts, message shape, tokens, cost and quality of ``dataset`` (a Dataset) as JSON-ready data.

    Examples marked as validation (e.g. OpenPipe ``TEST``) are counted but not billed: the platforms
    do not charge for validation tokens.
    """
    records = list(dataset.iter_records())
    kinds = [entry.kind for entry in dataset.entries]
    splits = {"train": 0, "validation": 0, "unset": 0}
    with_system = multi_turn = with_tools = 0
    context_lengths: list[int] = []
    for _index, record in records:
        splits[record.split if record.split in ("train", "validation") else "unset"] += 1
        roles = [m.get("role") for m in record.context if isinstance(m, dict)]
        context_lengths.append(len(roles))
        with_system += "system" in roles
        multi_turn += roles.count("user") > 1 or "assistant" in roles
        with_tools += bool(record.tools)
    training = [(i, r) for i, r in records if r.split != VALIDATION]
    per_entry, totals = count_dataset_tokens(training, model, progress=progress, total=len(training))
    longest = sorted(tokens.longest for tokens in per_entry.values())
    estimate = estimate_cost(
        totals.billed_low,
        totals.billed_high,
        examples=len(training),
        provider=provider,
        model=model,
        tier=tier,
        epochs=epochs,
    )
    price = estimate.price
    quality = quality_report(records)
    return {
        "file": str(dataset.path) if dataset.path else None,
        "dialect": dataset.dialect.name,
        "dialect_label": dataset.dialect.label,
        "entries": len(kinds),
        "examples": len(records),
        "blank_lines": kinds.count(EntryKind.BLANK),
        "unreadable_lines": kinds.count(EntryKind.UNREADABLE),
        "split": splits,
        "messages": {
            "with_system_prompt": with_system,
            "multi_turn": multi_turn,
            "with_tools": with_tools,
            "mean_prompt_messages": round(stats_math.fmean(context_lengths), 2) if context_lengths else 0,
        },
        "tokens": {
            "model": model,
            "encoding": encoding_name_for(model),
            "example_limit": example_token_limit(model),
            "counted_examples": totals.examples,
            "prompt": totals.prompt,
            "preferred": totals.preferred,
            "rejected": totals.rejected,
            "billed_per_epoch_low": totals.billed_low,
            "billed_per_epoch_high": totals.billed_high,
            "per_example": {
                "min": longest[0] if longest else 0,
                "median": _percentile(longest, 0.5),
                "p95": _percentile(longest, 0.95),
                "max": longest[-1] if longest else 0,
                "mean": round(stats_math.fmean(longest), 1) if longest else 0,
            },
            "over_limit": len(totals.over_limit),
            "convention": (
                "chat format; per example = prompt + the longer answer; billed low/high = prompt once/twice"
            ),
        },
        "cost": {
            "provider": estimate.provider,
            "tier": estimate.tier,
            "epochs": estimate.epochs,
            "epochs_auto": estimate.epochs_auto,
            "currency": estimate.currency,
            "low": None if estimate.low is None else round(estimate.low, 4),
            "high": None if estimate.high is None else round(estimate.high, 4),
            "price_per_million": price.per_million if price else None,
            "price_checked": price.checked if price else None,
            "price_source": price.source if price else None,
            "summary": estimate.describe(),
            "notes": list(estimate.notes),
        },
        "quality": quality.to_dict(),
    }


def format_statistics(data: dict[str, Any]) -> str:
    """The statistics as text for a terminal."""
    tokens = data["tokens"]
    cost = data["cost"]
    quality = data["quality"]
    messages = data["messages"]
    split = data["split"]
    per = tokens["per_example"]
    lines = [
        f"{data['file'] or '(unsaved)'}: {data['examples']:,} examples ({data['dialect_label']})",
        f"  lines: {data['entries']:,} ({data['blank_lines']} blank, {data['unreadable_lines']} unreadable)",
        f"  split: {split['train']:,} train, {split['validation']:,} validation, {split['unset']:,} not set",
        f"  prompts: {messages['with_system_prompt']:,} with a system prompt, "
        f"{messages['multi_turn']:,} multi-turn, "
        f"{messages['with_tools']:,} with tools; {messages['mean_prompt_messages']} messages on average",
        "",
        f"Tokens ({tokens['encoding']} for {tokens['model']}; limit {tokens['example_limit']:,} per example)",
        f"  per example: min {per['min']:,}, median {per['median']:,}, p95 {per['p95']:,}, max {per['max']:,}"
        + (f"; {tokens['over_limit']:,} over the limit" if tokens["over_limit"] else ""),
        f"  prompts {tokens['prompt']:,}, preferred {tokens['preferred']:,}, rejected {tokens['rejected']:,}",
        f"  billed per epoch: {tokens['billed_per_epoch_low']:,} to {tokens['billed_per_epoch_high']:,}",
        "",
        f"Cost on {_PROVIDERS.get(cost['provider'], cost['provider'])} ({cost['tier']} tier): "
        f"{cost['summary']}",
    ]
    if cost["price_source"]:
        lines.append(f"  price source: {cost['price_source']}")
    lines.extend(f"  note: {note}" for note in cost["notes"])
    bias = quality["length_bias"]
    lines += [
        "",
        "Quality",
        f"  length: {bias['verdict']}",
        f"  identical answers: {quality['identical_answers']['count']:,}; "
        f"empty answers: {quality['empty_answers']['count']:,}",
        f"  prompts: {quality['distinct_prompts']:,} distinct; {quality['duplicate_prompts']['prompts']:,} "
        f"repeated; {quality['near_duplicate_prompts']['groups']:,} near-duplicate groups",
        f"  contradictory pairs: {quality['contradictions']['count']:,}",
        "  pairs per prompt: "
        + ", ".join(f"{count:,} prompt(s) × {pairs}" for pairs, count in quality["pairs_per_prompt"].items()),
    ]
    return "\n".join(lines)
