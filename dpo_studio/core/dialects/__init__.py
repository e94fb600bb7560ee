"""The registry of dataset dialects. Add a dialect by writing a module and listing it here."""

from __future__ import annotations

from dpo_studio.core.dialects.base import Dialect
from dpo_studio.core.dialects.h2o import H2O
from dpo_studio.core.dialects.hh_rlhf import HHRLHF
from dpo_studio.core.dialects.openai_dpo import OpenAIDPO
from dpo_studio.core.dialects.openpipe import OpenPipe
from dpo_studio.core.dialects.sharegpt import ShareGPT
from dpo_studio.core.dialects.trl import TRLMessages, TRLString

#: Every dialect, in the order detection prefers them on a tie.
DIALECTS: tuple[Dialect, ...] = (
    OpenAIDPO(),
    OpenPipe(),
    TRLMessages(),
    TRLString(),
    HHRLHF(),
    ShareGPT(),
    H2O(),
)

_BY_NAME = {dialect.name: dialect for dialect in DIALECTS}


def get_dialect(name: str) -> Dialect:
    """The dialect with this identifier; ``KeyError`` lists the known names."""
    try:
        return _BY_NAME[name]
    except KeyError:
        known = ", ".join(sorted(_BY_NAME))
        raise KeyError(f"unknown dialect {name!r}; known dialects: {known}") from None


def writable_dialects() -> list[Dialect]:
    """The dialects files can be written in."""
    return [dialect for dialect in DIALECTS if dialect.writable]


__all__ = ["DIALECTS", "Dialect", "get_dialect", "writable_dialects"]
