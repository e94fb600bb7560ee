"""Metric series from job events and from results.csv, for any numeric key.

Nothing DPO-specific is documented, and OpenAI and Azure name results.csv columns differently, so every
numeric value becomes a series keyed by its name; ``step`` is the x axis. Known synonyms are mapped to one
name (Azure's ``validation_mean_token_accuracy`` is the checkpoints' ``valid_mean_token_accuracy``).
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

#: Keys that index the data rather than measure it.
AXIS_KEYS = frozenset({"step", "total_steps", "epoch"})

#: One name per quantity whatever the source called it.
SYNONYMS = {
    "validation_mean_token_accuracy": "valid_mean_token_accuracy",
    "validation_loss": "valid_loss",
    "train_accuracy": "train_mean_token_accuracy",
}


@dataclass
class MetricSeries:
    """One metric: steps and values in step order (a later value for the same step replaces it)."""

    name: str
    points: dict[int, float] = field(default_factory=dict)

    def add(self, step: int, value: float) -> None:
        """Record ``value`` at ``step``."""
        self.points[step] = value

    @property
    def steps(self) -> list[int]:
        """The x values, ascending."""
        return sorted(self.points)

    @property
    def values(self) -> list[float]:
        """The y values in step order."""
        return [self.points[s] for s in self.steps]

    def __len__(self) -> int:
        return len(self.points)


@dataclass
class MetricSet:
    """All series of one job, plus the total step count when the provider said it."""

    series: dict[str, MetricSeries] = field(default_factory=dict)
    total_steps: int | None = None

    def add(self, name: str, step: int, value: float) -> None:
        """Record one value, creating the series on first use."""
        name = SYNONYMS.get(name, name)
        self.series.setdefault(name, MetricSeries(name)).add(step, value)

    def add_row(self, row: Mapping[str, Any]) -> bool:
        """Record each numeric value of one metrics row (event ``data`` or CSV row); False without a step."""
        step, total, values = metric_rows(row)
        if step is None:
            return False
        if total is not None:
            self.total_steps = total
        for name, value in values:
            self.add(name, step, value)
        return True

    def names(self) -> list[str]:
        """Series names, in first-seen order."""
        return list(self.series)

    def last_step(self) -> int | None:
        """The highest step seen in any series."""
        steps = [max(s.points) for s in self.series.values() if s.points]
        return max(steps) if steps else None


def metric_rows(row: Mapping[str, Any]) -> tuple[int | None, int | None, list[tuple[str, float]]]:
    """``(step, total_steps, [(name, value)...])`` of one metrics row (event ``data`` or CSV row).

    Every numeric key but the axes counts; names are already mapped through :data:`SYNONYMS`.
    """
    step = _number(row.get("step"))
    total = _number(row.get("total_steps"))
    values: list[tuple[str, float]] = []
    for key, raw in row.items():
        if key in AXIS_KEYS:
            continue
        value = _number(raw)
        if value is not None:
            values.append((SYNONYMS.get(str(key), str(key)), value))
    return (
        None if step is None else int(step),
        None if total is None else int(total),
        values,
    )


def _number(raw: Any) -> float | None:
    """A finite float from a number or numeric text; None for blanks, text, booleans, NaN."""
    if isinstance(raw, bool) or raw is None:
        return None
    if isinstance(raw, (int, float)):
        value = float(raw)
    elif isinstance(raw, str):
        text = raw.strip()
        if not text:
            return None
        try:
            value = float(text)
        except ValueError:
            return None
    else:
        return None
    return value if math.isfinite(value) else None


def metrics_from_events(events: Iterable[Any], into: MetricSet | None = None) -> MetricSet:
    """Add the ``metrics`` events (SDK objects or dicts, any order) to a :class:`MetricSet`."""
    result = into or MetricSet()
    for event in events:
        kind = _field(event, "type")
        data = _field(event, "data")
        if kind not in (None, "metrics") or not isinstance(data, Mapping):
            continue
        result.add_row(data)
    return result


def _field(obj: Any, name: str) -> Any:
    if isinstance(obj, Mapping):
        return obj.get(name)
    return getattr(obj, name, None)


def metrics_from_results_csv(content: bytes | str, into: MetricSet | None = None) -> MetricSet:
    """Parse a results.csv by its header (a BOM, CRLF, blank cells and extra columns are fine)."""
    text = (
        content.decode("utf-8-sig", errors="replace")
        if isinstance(content, bytes)
        else content.lstrip("\ufeff")
    )
    result = into or MetricSet()
    reader = csv.DictReader(io.StringIO(text))
    if reader.fieldnames is None:
        return result
    reader.fieldnames = [name.strip() for name in reader.fieldnames]
    for row in reader:
        result.add_row({k: v for k, v in row.items() if k is not None})
    return result
