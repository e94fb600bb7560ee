"""Faults injected on demand: a test says which request breaks, how, and how many times."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

KINDS = ("status", "slow", "drop", "truncate", "file_invalid", "refuse_job")


@dataclass
class Fault:
    """One planned fault. `times` requests that match get it; `hits` counts how many did."""

    method: str | None
    path_regex: str
    kind: str
    times: int = 1
    status: int | None = None
    retry_after: float | None = 1
    delay: float = 0.0
    body: Any = None
    after: int = 2
    hits: int = 0

    def matches(self, method: str, api_path: str) -> bool:
        if self.method not in (None, "*") and self.method.upper() != method:
            return False
        return re.search(self.path_regex, api_path) is not None

    @property
    def exhausted(self) -> bool:
        return self.hits >= self.times


class FaultPlan:
    """The server's list of faults, consumed in the order they were added."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []
        self._lock = threading.Lock()

    def add(
        self,
        method: str | None,
        path_regex: str,
        kind: str,
        times: int = 1,
        status: int | None = None,
        retry_after: float | None = 1,
        delay: float = 0.0,
        body: Any = None,
        after: int = 2,
    ) -> Fault:
        """Plan a fault for requests whose API path (e.g. "/fine_tuning/jobs") matches `path_regex`.

        kinds: "status" (respond `status`, default 429, with the style's error body or `body`; 429/503 carry
        Retry-After: `retry_after` seconds unless it is None), "slow" (wait `delay` seconds, then answer
        normally), "drop" (close the connection without a response), "truncate" (send the status line,
        headers and half the body - or the first `after` events of a stream - then close the connection),
        "file_invalid" (the uploaded file is
        stored with status "error" and `body` or a default as status_details; jobs using it fail validation),
        "refuse_job" (job creation refused: OpenAI's wind-down 403 or Azure's quota 400 unless `status`/`body`
        say otherwise). `times` bounds how many matching requests are affected (at least 1).
        """
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {KINDS}")
        if times < 1:
            raise ValueError("times must be at least 1: faults are always bounded")
        re.compile(path_regex)
        fault = Fault(method, path_regex, kind, times, status, retry_after, delay, body, after)
        with self._lock:
            self._faults.append(fault)
        return fault

    def take(self, method: str, api_path: str, kinds: tuple[str, ...]) -> Fault | None:
        """The first unexhausted fault of one of `kinds` matching this request, counted as hit."""
        with self._lock:
            for fault in self._faults:
                if fault.kind in kinds and not fault.exhausted and fault.matches(method, api_path):
                    fault.hits += 1
                    return fault
        return None

    def pending(self) -> list[Fault]:
        """Faults that still have uses left."""
        with self._lock:
            return [fault for fault in self._faults if not fault.exhausted]

    def clear(self) -> None:
        with self._lock:
            self._faults.clear()

    def __iter__(self) -> Any:
        with self._lock:
            return iter(list(self._faults))
