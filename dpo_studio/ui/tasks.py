"""The one background-task helper: run slow work off the GUI thread, with progress, cancel and errors.

::

    handle = task_runner().run(work, on_done=show, on_progress=bar.update, description="Opening x.jsonl")

``work(ctx)`` runs on a QThreadPool thread and must not touch widgets. It reports with
``ctx.progress(done, total, text)`` (throttled before it reaches the GUI) and checks
``ctx.cancelled`` / ``ctx.check_cancelled()`` (which raises :class:`TaskCancelled`) in long loops.
``on_done(result)``, ``on_error(error)``, ``on_progress(done, total, text)`` and ``on_cancelled()`` run
on the GUI thread. An error with no ``on_error`` goes to the error presenter, so nothing fails silently.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from typing import Any

import shiboken6
from PySide6.QtCore import QCoreApplication, QObject, QRunnable, QThreadPool, Signal, Slot

#: Seconds between two progress reports that reach the GUI thread.
PROGRESS_INTERVAL = 0.05


class TaskCancelled(Exception):
    """Raised inside a task by :meth:`TaskContext.check_cancelled` after the user cancelled it."""


class TaskContext:
    """What a running task gets: progress reporting and the cancel flag."""

    def __init__(self, handle: TaskHandle) -> None:
        self._handle = handle
        self._last_report = 0.0

    @property
    def cancelled(self) -> bool:
        """Whether the user asked to cancel (stop soon and return or raise TaskCancelled)."""
        return self._handle._cancel_event.is_set()

    def check_cancelled(self) -> None:
        """Raise :class:`TaskCancelled` if the task was cancelled."""
        if self.cancelled:
            raise TaskCancelled()

    def progress(self, done: int, total: int = 0, text: str = "") -> None:
        """Report progress (``total`` 0 means unknown). Cheap to call often: reports are throttled."""
        now = time.monotonic()
        if done < total and now - self._last_report < PROGRESS_INTERVAL:
            return
        self._last_report = now
        _emit(self._handle._signals.progressed, int(done), int(total), text)


class _Signals(QObject):
    """Lives in the GUI thread; emitting from the worker thread queues the calls to the GUI thread."""

    progressed = Signal(int, int, str)
    finished = Signal(object)
    failed = Signal(object)
    cancelled = Signal()


class TaskHandle(QObject):
    """A submitted task: cancel it, ask whether it is running, wait for it (tests, shutdown)."""

    #: (done, total, text) on the GUI thread.
    progressed = Signal(int, int, str)
    #: Emitted once, after on_done / on_error / on_cancelled ran.
    ended = Signal()

    def __init__(self, description: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.description = description
        self._cancel_event = threading.Event()
        self._finished_event = threading.Event()
        self._signals = _Signals()
        self.done = False
        self.progress: tuple[int, int, str] = (0, 0, "")

    def cancel(self) -> None:
        """Ask the task to stop. Its ``on_done`` will not be called; ``on_cancelled`` will."""
        self._cancel_event.set()

    @property
    def is_cancelled(self) -> bool:
        """Whether cancel was requested."""
        return self._cancel_event.is_set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the worker function returned (callbacks may still be queued). For tests/shutdown."""
        return self._finished_event.wait(timeout)


class _Runnable(QRunnable):
    def __init__(self, fn: Callable[[TaskContext], Any], handle: TaskHandle) -> None:
        super().__init__()
        self.setAutoDelete(True)
        self._fn = fn
        self._handle = handle

    def run(self) -> None:
        handle = self._handle
        signals = handle._signals
        try:
            result = self._fn(TaskContext(handle))
        except TaskCancelled:
            _emit(signals.cancelled)
        except BaseException as error:  # every failure must reach the GUI thread
            if handle.is_cancelled:
                _emit(signals.cancelled)
            else:
                _emit(signals.failed, error)
        else:
            if handle.is_cancelled:
                _emit(signals.cancelled)
            else:
                _emit(signals.finished, result)
        finally:
            handle._finished_event.set()


def _emit(signal: Any, *args: Any) -> None:
    """Emit from the worker; if the GUI side is gone (the app is quitting) there is nobody to tell."""
    with contextlib.suppress(RuntimeError):
        signal.emit(*args)


class TaskRunner(QObject):
    """Runs tasks on a thread pool and keeps the running ones (for the status bar and shutdown)."""

    #: The list of running tasks changed (a task started or ended).
    tasksChanged = Signal()

    def __init__(self, parent: QObject | None = None, pool: QThreadPool | None = None) -> None:
        super().__init__(parent)
        self.pool = pool or QThreadPool.globalInstance()
        self._running: list[TaskHandle] = []

    def running(self) -> list[TaskHandle]:
        """Tasks submitted and not ended yet, oldest first."""
        return list(self._running)

    def run(
        self,
        fn: Callable[[TaskContext], Any],
        *,
        on_done: Callable[[Any], None] | None = None,
        on_error: Callable[[BaseException], None] | None = None,
        on_progress: Callable[[int, int, str], None] | None = None,
        on_cancelled: Callable[[], None] | None = None,
        description: str = "",
        owner: QObject | None = None,
    ) -> TaskHandle:
        """Run ``fn(ctx)`` in the background; the callbacks run on the GUI thread.

        With ``owner`` (the widget the callbacks update), the callbacks are skipped once it was deleted:
        work may end after its window or dialog closed, and its result then has nowhere to go.
        """
        handle = TaskHandle(description, self)
        signals = handle._signals

        def guarded(callback: Callable[..., Any], *args: Any) -> None:
            if owner is None or shiboken6.isValid(owner):
                _guarded(callback, description, *args)

        def finish() -> None:
            handle.done = True
            if handle in self._running:
                self._running.remove(handle)
            handle.ended.emit()
            self.tasksChanged.emit()
            signals.deleteLater()
            handle.deleteLater()

        def progressed(done: int, total: int, text: str) -> None:
            handle.progress = (done, total, text)
            handle.progressed.emit(done, total, text)
            if on_progress is not None:
                guarded(on_progress, done, total, text)

        def finished(result: Any) -> None:
            if handle.is_cancelled:
                # Cancelled on the GUI thread after the work ended but before its result arrived:
                # once cancel() returned, on_done never runs.
                cancelled()
                return
            try:
                if on_done is not None:
                    guarded(on_done, result)
            finally:
                finish()

        def failed(error: BaseException) -> None:
            if handle.is_cancelled:
                cancelled()
                return
            try:
                if on_error is not None:
                    guarded(on_error, error)
                else:
                    from dpo_studio.ui.errors import present_error

                    present_error(None, error, description)
            finally:
                finish()

        def cancelled() -> None:
            try:
                if on_cancelled is not None:
                    guarded(on_cancelled)
            finally:
                finish()

        receiver = _Receiver(progressed, finished, failed, cancelled, handle)
        signals.progressed.connect(receiver.on_progress)
        signals.finished.connect(receiver.on_finished)
        signals.failed.connect(receiver.on_failed)
        signals.cancelled.connect(receiver.on_cancelled)
        self._running.append(handle)
        self.tasksChanged.emit()
        self.pool.start(_Runnable(fn, handle))
        return handle

    def wait_all(self, timeout: float = 30.0) -> bool:
        """Wait until every running task ended, processing GUI events (for shutdown and tests)."""
        deadline = time.monotonic() + timeout
        while self._running and time.monotonic() < deadline:
            QCoreApplication.processEvents()
            time.sleep(0.005)
        return not self._running


class _Receiver(QObject):
    """Holds the GUI-side callbacks as real slots of a GUI-thread object, so calls are queued to it."""

    def __init__(
        self,
        progressed: Callable[[int, int, str], None],
        finished: Callable[[Any], None],
        failed: Callable[[BaseException], None],
        cancelled: Callable[[], None],
        parent: QObject,
    ) -> None:
        super().__init__(parent)
        self._progressed = progressed
        self._finished = finished
        self._failed = failed
        self._cancelled = cancelled

    @Slot(int, int, str)
    def on_progress(self, done: int, total: int, text: str) -> None:
        self._progressed(done, total, text)

    @Slot(object)
    def on_finished(self, result: Any) -> None:
        self._finished(result)

    @Slot(object)
    def on_failed(self, error: Any) -> None:
        self._failed(error)

    @Slot()
    def on_cancelled(self) -> None:
        self._cancelled()


def _guarded(callback: Callable[..., Any], description: str, *args: Any) -> None:
    """Run a GUI-side callback; a bug in it is presented instead of escaping into Qt."""
    try:
        callback(*args)
    except Exception as error:  # shown to the user by the one presenter
        from dpo_studio.ui.errors import present_error

        present_error(None, error, description)


_runner: TaskRunner | None = None


def task_runner() -> TaskRunner:
    """The application's task runner (created on first use, owned by the QApplication)."""
    global _runner
    app = QCoreApplication.instance()
    if _runner is None or _runner.parent() is not app:
        _runner = TaskRunner(app)
    return _runner
