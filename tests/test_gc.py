"""Garbage is collected on the GUI thread only, from a timer, while the app runs (ui/gc.py, app.py)."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

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
    gc.enable()  # the test suite itself collects on the main thread only (conftest); the app starts enabled
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
    gc.enable()  # as the app starts (see the test above)
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


_APP_PROBE = """
import gc, json, logging, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from dpo_studio.app import create_application, main
from dpo_studio.services.redaction import RedactingFilter

seen = {}

def look_and_quit():
    seen["gc_enabled"] = gc.isenabled()
    seen["redacting"] = any(isinstance(f, RedactingFilter) for f in logging.getLogger().filters)
    QApplication.quit()

create_application()
QTimer.singleShot(300, look_and_quit)
code = main(["--no-recovery"])
seen["code"] = code
seen["gc_enabled_after"] = gc.isenabled()
print(json.dumps(seen))
"""


def test_app_main_runs_the_collector_and_log_redaction(isolated_home: Path) -> None:
    # The real start-up runs app.exec(), which leaves a QApplication unfit for later tests in the same
    # process (queued cross-thread signals stop arriving), so it runs in its own interpreter.
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DPO_STUDIO_HOME=str(isolated_home))
    result = subprocess.run(
        [sys.executable, "-c", _APP_PROBE], env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen == {"gc_enabled": False, "redacting": True, "code": 0, "gc_enabled_after": True}
