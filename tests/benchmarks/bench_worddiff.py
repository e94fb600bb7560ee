"""How long the word diff takes on long answers (the editor re-runs it as the user types).

``python -m tests.benchmarks.bench_worddiff`` prints milliseconds per diff for answers of 500 to 8000
words in three shapes: a lightly edited copy (the "improve this answer" case), a heavily rewritten
copy (every fifth word changed) and two unrelated texts.
"""

from __future__ import annotations

import random
import time

from dpo_studio.core.worddiff import word_diff

_VOCABULARY = (
    "the a of to and in is it that for on with as was at by this be are from or an have not but "
    "model answer should concise clear polite customer order refund account shipping policy summary "
    "limit words format table list explain because therefore however example data price invoice "
    "delivery weather travel recipe code function error message request support Zürich café 東京"
).split()


def _text(rng: random.Random, words: int) -> str:
    out: list[str] = []
    for index in range(words):
        out.append(rng.choice(_VOCABULARY))
        if index % 17 == 16:
            out.append(rng.choice([".", ",", ";", "!\n\n"]))
    return " ".join(out)


def _mutate(rng: random.Random, text: str, every: int) -> str:
    words = text.split(" ")
    for index in range(0, len(words), every):
        words[index] = rng.choice(_VOCABULARY)
    return " ".join(words)


def _time(left: str, right: str, repeat: int = 3) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        word_diff(left, right)
        best = min(best, time.perf_counter() - start)
    return best * 1000


def main() -> None:
    """Print the timings."""
    rng = random.Random(7)
    print(f"{'words':>6} {'one edit':>10} {'light (1/50)':>13} {'heavy (1/5)':>12} {'unrelated':>10}")
    for words in (500, 1000, 2000, 4000, 8000):
        base = _text(rng, words)
        one = base[: len(base) // 2] + " inserted words " + base[len(base) // 2 :]
        light = _mutate(rng, base, 50)
        heavy = _mutate(rng, base, 5)
        other = _text(rng, words)
        print(
            f"{words:>6} {_time(base, one):>8.1f}ms {_time(base, light):>11.1f}ms "
            f"{_time(base, heavy):>10.1f}ms {_time(base, other):>8.1f}ms"
        )


if __name__ == "__main__":
    main()
