"""The one error presenter: known problems as a sentence and what to do, bugs with details to copy.

``present_error(parent, error, context)`` never raises and never blocks: it shows a window-modal
message box with ``open()`` (the caller's code continues) and returns it. A
:class:`~dpo_studio.core.errors.UserError` shows its message and hint; anything else is a bug: the box
says so plainly, offers the traceback under "Show Details..." and a "Copy details" button, and writes
it to the log under ``state_dir()/logs``. :func:`install_exception_hooks` sends uncaught exceptions of
the GUI thread and of other threads here too, so the app keeps running.

Tests (or a headless run) can replace what is shown with :func:`set_presenter_hook`.
"""

from __future__ import annotations

import datetime
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget

from dpo_studio.core.errors import UserError
from dpo_studio.core.paths import APP_NAME, state_dir
from dpo_studio.services.redaction import redact


@dataclass(frozen=True)
class PresentedError:
    """What the user was told: for tests and the log."""

    title: str
    message: str
    hint: str
    details: str
    expected: bool


PresenterHook = Callable[[PresentedError], None]

_hook: PresenterHook | None = None
#: The errors shown so far in this run (newest last); tests read it.
history: list[PresentedError] = []


def set_presenter_hook(hook: PresenterHook | None) -> PresenterHook | None:
    """Receive presented errors instead of message boxes (``None`` restores boxes); returns the old hook."""
    global _hook
    old = _hook
    _hook = hook
    return old


def describe(error: BaseException, context: str = "") -> PresentedError:
    """The words shown for ``error``, with every secret redacted (they go on screen, to the clipboard and
    to the log)."""
    if isinstance(error, UserError):
        title = context or "Something needs your attention"
        return PresentedError(redact(title), redact(error.message), redact(error.hint), "", True)
    details = "".join(traceback.format_exception(type(error), error, error.__traceback__))
    doing = f" while {context[0].lower()}{context[1:]}" if context else ""
    message = f"{APP_NAME} ran into an unexpected problem{doing}: {type(error).__name__}: {error}".rstrip(
        ": "
    )
    hint = (
        "Your data is safe: nothing was saved or lost because of this. You can keep working; "
        "if it happens again, copy the details and report them."
    )
    return PresentedError(
        redact(context or "Unexpected problem"), redact(message), hint, redact(details), False
    )


def present_error(parent: QWidget | None, error: BaseException, context: str = "") -> QMessageBox | None:
    """Show ``error`` without blocking; never raises. Returns the message box, if one is shown."""
    try:
        presented = describe(error, context)
        history.append(presented)
        if not presented.expected:
            _log(presented)
            print(presented.details, file=sys.stderr)
        if _hook is not None:
            _hook(presented)
            return None
        if QApplication.instance() is None:
            print(f"{presented.message} {presented.hint}", file=sys.stderr)
            return None
        return _show_box(parent, presented)
    except Exception:  # the presenter itself must never take the app down
        traceback.print_exc()
        return None


def _show_box(parent: QWidget | None, presented: PresentedError) -> QMessageBox:
    if parent is None:
        parent = QApplication.activeWindow()
    box = QMessageBox(parent)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.setIcon(QMessageBox.Icon.Warning if presented.expected else QMessageBox.Icon.Critical)
    box.setWindowTitle(f"{presented.title} — {APP_NAME}")
    box.setText(presented.message)
    if presented.hint:
        box.setInformativeText(presented.hint)
    box.setStandardButtons(QMessageBox.StandardButton.Ok)
    box.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    if presented.details:
        box.setDetailedText(presented.details)
        copy = box.addButton("Copy details", QMessageBox.ButtonRole.ActionRole)
        text = redact(f"{presented.message}\n\n{presented.details}")
        # An ActionRole button would close the box; disconnect that and only copy.
        copy.clicked.disconnect()
        copy.clicked.connect(lambda: QApplication.clipboard().setText(text))
    box.setObjectName("errorBox")
    box.open()
    return box


def _log(presented: PresentedError) -> None:
    try:
        folder = state_dir() / "logs"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.datetime.now().isoformat(timespec="seconds")
        with open(folder / "errors.log", "a", encoding="utf-8") as log:
            # Redacted again here: the log must stay clean even for a PresentedError built elsewhere.
            text = f"--- {stamp} {presented.title}\n{presented.message}\n{presented.details}\n"
            log.write(redact(text))
    except OSError:
        pass


# -- uncaught exceptions -------------------------------------------------------------------------------


class _MainThreadRelay(QObject):
    """Carries exceptions from other threads to the GUI thread."""

    raised = Signal(object, str)

    def __init__(self) -> None:
        super().__init__()
        self.raised.connect(self._present)

    def _present(self, error: BaseException, context: str) -> None:
        present_error(None, error, context)


_relay: _MainThreadRelay | None = None


def install_exception_hooks() -> None:
    """Show uncaught exceptions (GUI thread and other threads) with the presenter instead of dying."""
    global _relay
    _relay = _MainThreadRelay()
    relay = _relay

    def excepthook(kind: type[BaseException], value: BaseException, tb: TracebackType | None) -> None:
        if issubclass(kind, KeyboardInterrupt):
            sys.__excepthook__(kind, value, tb)
            return
        if value.__traceback__ is None:
            value = value.with_traceback(tb)
        present_error(None, value)

    def thread_hook(args: Any) -> None:
        error = args.exc_value
        if error is None or isinstance(error, SystemExit):
            return
        name = getattr(args.thread, "name", "a background thread")
        relay.raised.emit(error, f"Working in {name}")

    sys.excepthook = excepthook
    threading.excepthook = thread_hook
