"""Plain-language reading aids for a run's curves (pure functions, no Qt)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

#: What a falling DPO loss means, for people who have not read the paper.
DPO_LOSS_EXPLANATION = (
    "What the loss means: DPO compares, for each pair, how much more the model prefers the preferred answer "
    "than the rejected one, relative to where it started. When the provider reports that loss, it starts "
    "near 0.69 (ln 2: no preference yet) and goes down as the model learns to prefer the preferred answers. "
    "Going down on the training pairs alone is not enough: the validation loss should go down too. "
    "Token accuracy is the share of answer tokens the model predicts; it should rise."
)


@dataclass(frozen=True)
class ReadingAid:
    """The validation/training loss ratio and what it suggests."""

    ratio: float | None
    note: str
    overfitting: bool = False
    best_step: int | None = None


def ema(values: np.ndarray, weight: float) -> np.ndarray:
    """Debiased exponential moving average (as TensorBoard smooths): ``weight`` 0 = raw, near 1 = smooth."""
    return ema_extend(np.asarray(values, dtype=float), weight)[0]


def ema_extend(
    values: np.ndarray, weight: float, state: float = 0.0, correction: float = 1.0
) -> tuple[np.ndarray, float, float]:
    """Continue a debiased EMA over ``values``: ``(smoothed, state, correction)`` to continue from.

    ``state`` is the biased average so far and ``correction`` is ``weight ** count``. Vectorised in blocks
    short enough that ``weight ** -k`` stays finite, so 20,000 points take well under a millisecond.
    """
    values = np.asarray(values, dtype=float)
    out = np.empty(len(values), dtype=float)
    if not len(values):
        return out, state, correction
    if weight <= 0.0:
        out[:] = values
        return out, float(values[-1]), 0.0
    block = int(max(1, min(4096, 250 / max(1e-12, -math.log10(weight)))))
    powers_all = weight ** np.arange(1, block + 1, dtype=float)  # w^1 .. w^block
    for start in range(0, len(values), block):
        chunk = values[start : start + block]
        powers = powers_all[: len(chunk)]  # w^(j+1)
        # s_j = w^(j+1) S + (1-w) sum_k w^(j-k) x_k, where sum_k w^(j-k) x_k = w^(j+1) cumsum(x_k / w^(k+1))
        sums = powers * np.cumsum(chunk / powers)
        smoothed = powers * state + (1.0 - weight) * sums
        corrections = correction * powers
        with np.errstate(divide="ignore", invalid="ignore"):
            debiased = np.where(corrections < 1.0, smoothed / (1.0 - corrections), chunk)
        out[start : start + len(chunk)] = debiased
        state = float(smoothed[-1])
        correction = float(corrections[-1])
    return out, state, correction


def reading_aid(
    train_steps: Sequence[int],
    train_loss: Sequence[float],
    valid_steps: Sequence[int],
    valid_loss: Sequence[float],
    *,
    smoothing: float = 0.6,
) -> ReadingAid:
    """Compare validation and training loss near the end of what is known, in words."""
    if len(train_loss) < 2 or len(valid_loss) < 2:
        return ReadingAid(None, "The ratio of validation to training loss appears once both are reported.")
    train = ema(np.asarray(train_loss, dtype=float), smoothing)
    valid = ema(np.asarray(valid_loss, dtype=float), smoothing)
    last_train = float(train[-1])
    last_valid = float(valid[-1])
    if last_train <= 0 or not math.isfinite(last_train) or not math.isfinite(last_valid):
        return ReadingAid(None, "The losses reported so far cannot be compared.")
    ratio = last_valid / last_train
    lowest = int(np.argmin(valid))
    best_step = int(valid_steps[lowest])
    rise = (last_valid - float(valid[lowest])) / max(abs(float(valid[lowest])), 1e-9)
    late = lowest < len(valid) - max(3, len(valid) // 10)
    train_falling = last_train <= float(train[min(lowest, len(train) - 1)]) * 1.01
    text = f"Validation loss is {ratio:.2f}× the training loss (smoothed, latest steps)."
    if rise > 0.05 and late and train_falling and ratio > 1.0:
        return ReadingAid(
            ratio,
            text + f" Validation loss has risen {rise:.0%} since its lowest point at step {best_step} "
            "while training loss kept falling: the model is starting to memorise the training pairs "
            "(over-fitting). A checkpoint near that step, or fewer epochs, will likely generalise better.",
            True,
            best_step,
        )
    if ratio > 1.5:
        return ReadingAid(
            ratio,
            text + " A large gap: the model fits the training pairs much better than unseen ones. "
            "Watch whether validation loss still falls; if it stops, fewer epochs or more varied data "
            "may help.",
            True,
            best_step,
        )
    if ratio < 0.8:
        note = (
            " Validation loss is lower than training loss — usual early on, or with a small or easy "
            "validation set."
        )
        return ReadingAid(ratio, text + note, False, best_step)
    if ratio > 1.1:
        note = (
            " Validation loss a little above training loss is normal; watch whether the gap keeps growing "
            "while training loss falls."
        )
        return ReadingAid(ratio, text + note, False, best_step)
    return ReadingAid(ratio, text + " Close together: no sign of over-fitting so far.", False, best_step)
