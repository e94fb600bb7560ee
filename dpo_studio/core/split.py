"""Deterministic train/validation splits, grouped by prompt so no prompt lands on both sides.

Pairs that share a prompt are one group: if they were split, validation would see prompts the model
trained on and its loss would measure memory rather than generalisation. Groups are ordered by a hash
of (seed, prompt), which is a seeded shuffle that does not depend on the file's order, and taken into
validation until the requested share of pairs is reached.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from dpo_studio.core.records import TRAIN, VALIDATION, PreferenceRecord


def validation_target(count: int, ratio: float) -> int:
    """How many of ``count`` pairs should go to validation for ``ratio`` (at least one, never all)."""
    if count < 2 or ratio <= 0:
        return 0
    return min(count - 1, max(1, round(ratio * count)))


def _order(seed: int, key: str) -> bytes:
    return hashlib.blake2b(f"{seed}\x00{key}".encode("utf-8", "surrogatepass"), digest_size=16).digest()


def split_records(
    records: Sequence[PreferenceRecord], ratio: float, seed: int = 0, keep_existing: bool = True
) -> list[str]:
    """The side (``TRAIN`` or ``VALIDATION``) of each record, grouped by prompt.

    ``ratio`` is the share of pairs wanted in validation (0 < ratio < 1). With ``keep_existing`` (the
    default) records that already carry a split (e.g. OpenPipe's TRAIN/TEST) keep it, records without
    one join their prompt's side if it has one, and the remaining prompts fill validation up to the
    ratio. With ``keep_existing=False`` everything is split afresh. The same records, ratio and seed
    always give the same result.
    """
    if not 0 <= ratio <= 1:
        raise ValueError("ratio must be between 0 and 1")
    sides: list[str | None] = [None] * len(records)
    groups: dict[str, list[int]] = {}
    for index, record in enumerate(records):
        groups.setdefault(record.prompt_key(), []).append(index)
        if keep_existing and record.split in (TRAIN, VALIDATION):
            sides[index] = record.split
    free: list[tuple[str, list[int]]] = []
    for key, members in groups.items():
        existing = [sides[i] for i in members if sides[i] is not None]
        if existing:
            # Pairs without a split join the side most of their prompt's pairs are on.
            side = VALIDATION if existing.count(VALIDATION) > existing.count(TRAIN) else TRAIN
            for i in members:
                if sides[i] is None:
                    sides[i] = side
        else:
            free.append((key, members))
    target = validation_target(len(records), ratio)
    in_validation = sum(1 for side in sides if side == VALIDATION)
    free.sort(key=lambda group: _order(seed, group[0]))
    for _key, members in free:
        if in_validation + len(members) <= target:
            side = VALIDATION
            in_validation += len(members)
        else:
            side = TRAIN
        for i in members:
            sides[i] = side
    return [side or TRAIN for side in sides]
