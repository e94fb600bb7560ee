"""Run Python's cyclic garbage collector on the GUI thread only.

Automatic collection runs in whichever thread happens to allocate when a generation's threshold is
crossed. If that is a worker thread and the collected garbage holds a Qt object (a leftover cycle
through a widget or a QObject with Python attributes), Qt destroys it on the wrong thread, which can
crash. So the GUI process turns automatic collection off and collects from a timer on the GUI thread
instead (the pattern of qutebrowser's ``GarbageCollector``). The timer fires every second and only
collects a generation whose count passed its usual threshold, so it costs next to nothing when idle.
"""

from __future__ import annotations

import gc

from PySide6.QtCore import QObject, QTimer

#: Milliseconds between checks of the collector's counters.
INTERVAL_MS = 1000


class GuiThreadCollector(QObject):
    """Disables automatic garbage collection and collects from a GUI-thread timer until stopped."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = INTERVAL_MS) -> None:
        super().__init__(parent)
        self.thresholds = gc.get_threshold()
        self._was_enabled = False
        #: How many collections of each generation this collector ran (for tests and diagnostics).
        self.collections = [0, 0, 0]
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.check)

    @property
    def running(self) -> bool:
        """Whether automatic collection is replaced by this collector's timer."""
        return self.timer.isActive()

    def start(self) -> None:
        """Turn automatic collection off and start collecting from the timer."""
        if self.running:
            return
        self._was_enabled = gc.isenabled()
        gc.disable()
        self.timer.start()

    def stop(self) -> None:
        """Stop the timer and give collection back to Python as it was before :meth:`start`."""
        if not self.running:
            return
        self.timer.stop()
        if self._was_enabled:
            gc.enable()

    def check(self) -> None:
        """Collect the generations whose counters passed their thresholds (youngest first, as Python does)."""
        gen0, gen1, gen2 = gc.get_count()
        threshold0, threshold1, threshold2 = self.thresholds
        if gen0 <= threshold0:
            return
        generation = 0
        if gen1 > threshold1:
            generation = 2 if gen2 > threshold2 else 1
        gc.collect(generation)
        self.collections[generation] += 1


_collector: GuiThreadCollector | None = None


def install_gui_thread_collector(parent: QObject | None = None) -> GuiThreadCollector:
    """Start the one collector of this process (idempotent); call it on the GUI thread after QApplication."""
    global _collector
    if _collector is None:
        _collector = GuiThreadCollector(parent)
    _collector.start()
    return _collector
