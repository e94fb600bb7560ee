"""Win rate of one model over another from pairwise judgments, with a Wilson score confidence interval.

Ties are counted in one of two ways, chosen by the caller and shown with the result:

- ``TIES_HALF`` (the default): a tie is half a win and half a loss, so every judged comparison counts
  (``rate = (wins + ties / 2) / (wins + losses + ties)``). This is the convention of pairwise LLM
  leaderboards; it pulls the rate towards 50 % when the models are often equally good.
- ``TIES_EXCLUDED``: ties are dropped and the rate is over decisive comparisons only
  (``rate = wins / (wins + losses)``); with many ties the interval then rests on few comparisons.

The interval is Wilson's score interval (Wilson 1927) for a binomial proportion, with the exact normal
quantile for the confidence level; with ties counted as halves the "successes" may be a half-integer,
which the formula accepts unchanged. Pure Python, no Qt, no network.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass
from statistics import NormalDist


class TiePolicy(enum.StrEnum):
    """How ties enter the win rate."""

    HALF = "half"
    EXCLUDED = "excluded"

    @property
    def label(self) -> str:
        """How the policy is described next to a result."""
        return "ties count as half a win" if self is TiePolicy.HALF else "ties are left out"


TIES_HALF = TiePolicy.HALF
TIES_EXCLUDED = TiePolicy.EXCLUDED


def wilson_interval(successes: float, trials: float, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for ``successes`` out of ``trials`` (``(0.0, 1.0)`` when there are none)."""
    if trials <= 0:
        return (0.0, 1.0)
    if not 0 <= successes <= trials:
        raise ValueError(f"successes must be between 0 and {trials}, got {successes}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be between 0 and 1, got {confidence}")
    z = NormalDist().inv_cdf(1 - (1 - confidence) / 2)
    p = successes / trials
    denominator = 1 + z * z / trials
    centre = (p + z * z / (2 * trials)) / denominator
    spread = z * math.sqrt(p * (1 - p) / trials + z * z / (4 * trials * trials)) / denominator
    return (max(0.0, centre - spread), min(1.0, centre + spread))


@dataclass(frozen=True)
class WinRate:
    """Wins, losses and ties of model A against model B, with the rate and its interval."""

    wins: int
    losses: int
    ties: int
    policy: TiePolicy = TiePolicy.HALF
    confidence: float = 0.95

    @property
    def judged(self) -> int:
        """Comparisons with a verdict (wins, losses and ties)."""
        return self.wins + self.losses + self.ties

    @property
    def trials(self) -> float:
        """The comparisons the rate is computed over (ties left out under ``TIES_EXCLUDED``)."""
        return self.wins + self.losses + (self.ties if self.policy is TiePolicy.HALF else 0)

    @property
    def successes(self) -> float:
        """Wins, plus half the ties under ``TIES_HALF``."""
        return self.wins + (self.ties / 2 if self.policy is TiePolicy.HALF else 0)

    @property
    def rate(self) -> float | None:
        """The win rate of A, or None when nothing decisive was judged."""
        return self.successes / self.trials if self.trials else None

    @property
    def interval(self) -> tuple[float, float]:
        """The Wilson score interval of the rate."""
        return wilson_interval(self.successes, self.trials, self.confidence)

    @property
    def verdict(self) -> str:
        """One plain sentence: is A better, worse, or not distinguishable from B at this confidence."""
        if self.rate is None:
            return "No decisive comparisons yet."
        low, high = self.interval
        level = f"{self.confidence:.0%}"
        if low > 0.5:
            return f"A is better than B (the whole {level} interval is above 50%)."
        if high < 0.5:
            return f"A is worse than B (the whole {level} interval is below 50%)."
        return f"No clear difference yet: the {level} interval includes 50%. More comparisons narrow it."

    def describe(self) -> str:
        """``"65.6% (95% CI 41.5%–83.7%); 10 wins, 5 losses, 1 tie; ties count as half a win"``."""
        if self.rate is None:
            return f"No decisive comparisons ({self.ties} tie{'s' if self.ties != 1 else ''})."
        low, high = self.interval
        ties = f"{self.ties} tie{'s' if self.ties != 1 else ''}"
        return (
            f"{self.rate:.1%} ({self.confidence:.0%} CI {low:.1%}–{high:.1%}); {self.wins} wins, "
            f"{self.losses} losses, {ties}; {self.policy.label}"
        )


def win_rate(
    verdicts: Iterable[str | None], policy: TiePolicy = TiePolicy.HALF, confidence: float = 0.95
) -> WinRate:
    """Count ``"a"`` / ``"b"`` / ``"tie"`` verdicts (None = not judged) into A's win rate."""
    wins = losses = ties = 0
    for verdict in verdicts:
        if verdict == "a":
            wins += 1
        elif verdict == "b":
            losses += 1
        elif verdict == "tie":
            ties += 1
    return WinRate(wins, losses, ties, policy, confidence)
