"""Garbage is collected on the GUI thread only, from a timer, while the app runs (ui/gc.py, app.py)."""

from __future__ import annotations

import gc
import logging
import sys
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QObject, QTimer
from pytestqt.qtbot import QtBot

from dpo_studio.services.redaction import RedactingFilter
from dpo_studio.ui.gc import GuiThreadCollector


@pytest.fixture
def collection_threads() -> Iterator[list[str]]:
    """The names of the threads in which each garbage collection started."""
    threads: list[str] = []

    def callback(phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            threads.append(threading.current_thread().name)

    gc.callbacks.append(callback)
    yield threads
    gc.callbacks.remove(callback)


class _Cycle(QObject):
    """A QObject in a reference cycle (only the cyclic collector can free it)."""

    def __init__(self) -> None:
        super().__init__()
        self.me = self


def test_collection_runs_on_the_gui_thread_only(qtbot: QtBot, collection_threads: list[str]) -> None:
    assert gc.isenabled()
    collector = GuiThreadCollector(interval_ms=20)
    collector.start()
    try:
        assert not gc.isenabled() and collector.running

        def make_garbage() -> None:
            # Far more allocations than the gen-0 threshold: automatic collection would run here.
            for _ in range(5000):
                _Cycle()
                cycle: list[object] = []
                cycle.append(cycle)

        worker = threading.Thread(target=make_garbage, name="worker")
        worker.start()
        worker.join()
        assert "worker" not in collection_threads
        qtbot.waitUntil(lambda: sum(collector.collections) > 0, timeout=5000)
        assert collection_threads, "the timer collected nothing"
        assert set(collection_threads) == {threading.main_thread().name}
    finally:
        collector.stop()
    assert gc.isenabled(), "automatic collection is restored when the collector stops"


def test_idle_check_collects_nothing(qtbot: QtBot, collection_threads: list[str]) -> None:
    collector = GuiThreadCollector(interval_ms=10)
    collector.start()
    try:
        gc.collect()
        collection_threads.clear()
        collector.collections = [0, 0, 0]
        collector.check()  # right after a full collection the counters are below every threshold
        assert collector.collections == [0, 0, 0] and collection_threads == []
    finally:
        collector.stop()
    assert gc.isenabled()


def test_app_main_runs_the_collector_and_log_redaction(qtbot: QtBot) -> None:
    from dpo_studio.app import main

    seen: dict[str, bool] = {}
    root = logging.getLogger()

    def look_and_quit() -> None:
        seen["gc_enabled"] = gc.isenabled()
        seen["redacting"] = any(isinstance(f, RedactingFilter) for f in root.filters)
        from PySide6.QtWidgets import QApplication

        QApplication.quit()

    QTimer.singleShot(200, look_and_quit)
    hooks = (sys.excepthook, threading.excepthook)
    try:
        assert main(["--no-recovery"]) == 0
    finally:
        sys.excepthook, threading.excepthook = hooks
        for existing in [f for f in root.filters if isinstance(f, RedactingFilter)]:
            root.removeFilter(existing)
        for handler in root.handlers:
            for existing in [f for f in handler.filters if isinstance(f, RedactingFilter)]:
                handler.removeFilter(existing)
    assert seen == {"gc_enabled": False, "redacting": True}
    assert gc.isenabled(), "main() gives automatic collection back when the app quits"
