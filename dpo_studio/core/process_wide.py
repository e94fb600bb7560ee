"""One shared instance per process, made on first use (for stores and authenticators the app shares)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class ProcessWide(Generic[T]):
    """Call it for the one instance ``factory`` makes; threads racing for the first call get the same one."""

    def __init__(self, factory: Callable[[], T], doc: str) -> None:
        self._factory = factory
        self._instance: T | None = None
        self._lock = threading.Lock()
        self.__doc__ = doc

    def __call__(self) -> T:
        with self._lock:
            if self._instance is None:
                self._instance = self._factory()
            return self._instance
