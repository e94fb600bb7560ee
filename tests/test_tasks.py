"""The background-task helper and the error presenter."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from dpo_studio.core.errors import UserError
from dpo_studio.ui import errors
from dpo_studio.ui.errors import PresentedError, describe, present_error
from dpo_studio.ui.tasks import TaskContext, TaskRunner


@pytest.fixture
def runner(qtbot: QtBot) -> TaskRunner:
    return TaskRunner(QApplication.instance())


def test_result_arrives_on_the_gui_thread(qtbot: QtBot, runner: TaskRunner) -> None:
    results: list[tuple[Any, bool]] = []
    worker_threads: list[bool] = []

    def work(ctx: TaskContext) -> int:
        worker_threads.append(threading.current_thread() is threading.main_thread())
        return 42

    handle = runner.run(
        work, on_done=lambda r: results.append((r, threading.current_thread() is threading.main_thread()))
    )
    with qtbot.waitSignal(handle.ended, timeout=5000):
        pass
    assert worker_threads == [False]
    assert results == [(42, True)]
    assert runner.running() == []


def test_progress_is_reported_and_throttled(qtbot: QtBot, runner: TaskRunner) -> None:
    seen: list[tuple[int, int, str]] = []

    def work(ctx: TaskContext) -> None:
        for i in range(1, 20001):
            ctx.progress(i, 20000, "counting")

    handle = runner.run(work, on_progress=lambda d, t, s: seen.append((d, t, s)), description="Counting")
    assert runner.running() == [handle]
    with qtbot.waitSignal(handle.ended, timeout=10000):
        pass
    assert seen, "progress must reach the GUI"
    assert seen[-1] == (20000, 20000, "counting")
    assert len(seen) < 2000, "reports are throttled, not one per call"


def test_cancel_stops_the_task_and_skips_on_done(qtbot: QtBot, runner: TaskRunner) -> None:
    started = threading.Event()
    done: list[object] = []
    cancelled: list[bool] = []

    def work(ctx: TaskContext) -> str:
        started.set()
        while True:
            ctx.check_cancelled()
            threading.Event().wait(0.005)

    handle = runner.run(work, on_done=done.append, on_cancelled=lambda: cancelled.append(True))
    assert started.wait(5)
    with qtbot.waitSignal(handle.ended, timeout=5000):
        handle.cancel()
    assert cancelled == [True] and done == []


def test_error_goes_to_on_error(qtbot: QtBot, runner: TaskRunner, presented: list[PresentedError]) -> None:
    caught: list[BaseException] = []

    def work(ctx: TaskContext) -> None:
        raise UserError("The file is gone.", "Choose another file.")

    handle = runner.run(work, on_error=caught.append)
    with qtbot.waitSignal(handle.ended, timeout=5000):
        pass
    assert len(caught) == 1 and isinstance(caught[0], UserError)
    assert presented == []


def test_error_without_handler_goes_to_the_presenter(
    qtbot: QtBot, runner: TaskRunner, presented: list[PresentedError]
) -> None:
    def work(ctx: TaskContext) -> None:
        raise ZeroDivisionError("boom")

    handle = runner.run(work, description="Dividing")
    with qtbot.waitSignal(handle.ended, timeout=5000):
        pass
    assert len(presented) == 1
    shown = presented[0]
    assert not shown.expected
    assert "while dividing" in shown.message and "ZeroDivisionError" in shown.details


def test_bug_in_a_gui_callback_is_presented_not_raised(
    qtbot: QtBot, runner: TaskRunner, presented: list[PresentedError]
) -> None:
    def broken(_result: object) -> None:
        raise KeyError("callback bug")

    handle = runner.run(lambda ctx: 1, on_done=broken, description="Loading")
    with qtbot.waitSignal(handle.ended, timeout=5000):
        pass
    assert [p.expected for p in presented] == [False]
    assert runner.running() == []


def test_user_error_is_a_sentence_and_a_hint() -> None:
    shown = describe(UserError("The folder is read-only.", "Save to another folder."), "Saving")
    assert shown.expected and shown.message == "The folder is read-only." and shown.hint
    assert shown.details == ""


def test_present_error_shows_a_non_blocking_box_with_copyable_details(qtbot: QtBot) -> None:
    try:
        raise RuntimeError("unexpected state")
    except RuntimeError as error:
        box = present_error(None, error, "Opening a file")
    assert isinstance(box, QMessageBox)
    qtbot.addWidget(box)
    assert box.isVisible()
    assert "unexpected state" in box.text()
    assert "Traceback" in box.detailedText()
    copy = next(b for b in box.findChildren(QPushButton) if b.text() == "Copy details")
    copy.click()
    assert "unexpected state" in QApplication.clipboard().text()
    assert box.isVisible(), "copying does not close the box"
    assert errors.history[-1].title == "Opening a file"
    box.close()


def test_user_error_box_has_no_details(qtbot: QtBot) -> None:
    box = present_error(None, UserError("Nothing to export.", "Add examples first."))
    assert isinstance(box, QMessageBox)
    qtbot.addWidget(box)
    assert box.text() == "Nothing to export." and box.informativeText() == "Add examples first."
    assert box.detailedText() == ""
    box.close()


def test_uncaught_exceptions_are_presented_and_the_app_keeps_running(
    qtbot: QtBot, presented: list[PresentedError]
) -> None:
    import sys

    from dpo_studio.ui.errors import install_exception_hooks

    old_sys, old_thread = sys.excepthook, threading.excepthook
    install_exception_hooks()
    try:
        try:
            raise ValueError("from a slot")
        except ValueError as error:
            sys.excepthook(type(error), error, error.__traceback__)
        assert presented[-1].message.endswith("ValueError: from a slot")

        def crash() -> None:
            raise LookupError("from a thread")

        worker = threading.Thread(target=crash, name="worker-7")
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: len(presented) == 2, timeout=5000)
        assert "LookupError: from a thread" in presented[-1].message
        assert presented[-1].title == "Working in worker-7"
    finally:
        sys.excepthook, threading.excepthook = old_sys, old_thread


def test_cancel_after_the_work_ended_still_skips_on_done(qtbot: QtBot, runner: TaskRunner) -> None:
    done: list[object] = []
    cancelled: list[bool] = []
    handle = runner.run(
        lambda ctx: "result", on_done=done.append, on_cancelled=lambda: cancelled.append(True)
    )
    assert handle.wait(5), "the worker finished; its result waits in the GUI thread's queue"
    handle.cancel()
    with qtbot.waitSignal(handle.ended, timeout=5000):
        pass
    assert done == [] and cancelled == [True]


def test_callbacks_are_skipped_once_their_owner_was_deleted(qtbot: QtBot, runner: TaskRunner) -> None:
    """Work may end after the widget it reports to was closed and deleted: nothing runs, nothing is raised."""
    import shiboken6
    from PySide6.QtWidgets import QLabel

    shown: list[object] = []
    old_hook = errors.set_presenter_hook(shown.append)
    try:
        label = QLabel()
        kept = QLabel()
        qtbot.addWidget(kept)
        reached: list[str] = []
        runner.run(lambda ctx: "late", on_done=lambda text: label.setText(text), owner=label)
        runner.run(lambda ctx: "late", on_done=lambda text: reached.append(text), owner=kept)
        shiboken6.delete(label)
        assert runner.wait_all(10)
        assert reached == ["late"] and shown == []
    finally:
        errors.set_presenter_hook(old_hook)
