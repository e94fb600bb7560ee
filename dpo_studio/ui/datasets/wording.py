"""Small wording helpers for counts shown in the Datasets tab."""

from __future__ import annotations


def plural(count: int, word: str, many: str = "") -> str:
    """``1 example`` / ``2,345 examples`` (``many`` for irregular plurals)."""
    return f"{count:,} {word if count == 1 else (many or word + 's')}"
