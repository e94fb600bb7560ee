"""Render every screen of the app to PNG, so people can look at them without running it.

::

    xvfb-run -a -s "-screen 0 2880x1800x24" env QT_QPA_PLATFORM=xcb \\
        .venv/bin/python -m dpo_studio.ui.screenshots screenshots --variants

``--variants`` renders each screen in light and dark at 100 % and in light at 200 % (each variant runs
in its own process, because the scale factor is fixed when Qt starts). ``--only NAME`` limits the run.
Files are named ``NAME-light.png``, ``NAME-dark.png``, ``NAME-light-x2.png``. Everything runs on a
temporary copy of the bundled sample dataset in a temporary DPO Studio home.

Add a screen with the :func:`screen` decorator in a module named ``screens`` inside any
``dpo_studio.ui`` subpackage (``dpo_studio/ui/runs/screens.py`` ...); they are found automatically.
A screen function gets a :class:`ScreenContext` (a fresh main window, the sample file, ``settle()``)
and returns the widget to capture.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtWidgets import QApplication, QWidget

from dpo_studio.core.resources import resource_path

#: Logical size of the main window in every screenshot (fits a 1440x900 screen, or 2880x1800 at 200 %).
WINDOW_SIZE = (1400, 860)
VARIANTS: tuple[tuple[str, str], ...] = (("light", "1"), ("dark", "1"), ("light", "2"))


@dataclass
class ScreenContext:
    """What a screen function works with."""

    app: QApplication
    window: object  # MainWindow (typed loosely so this module imports no widgets at import time)
    sample: Path
    folder: Path

    def settle(self, rounds: int = 3) -> None:
        """Let background tasks finish and their results arrive, then let layouts and paints happen."""
        from dpo_studio.ui.tasks import task_runner

        for _ in range(rounds):
            task_runner().wait_all(120)
            for _ in range(20):
                self.app.processEvents()
                time.sleep(0.01)

    def open_sample(self) -> None:
        """Open the sample dataset in the window and wait for the table, findings and statistics."""
        from dpo_studio.ui.main_window import MainWindow

        window = self.window
        assert isinstance(window, MainWindow)
        window.open_file(self.sample)
        self.settle()
        window.session.revalidate()
        self.settle()
        tab = window.datasets_tab
        refresh = getattr(tab, "refresh_findings", None)
        if callable(refresh):
            refresh()
        self.settle(1)


ScreenFunction = Callable[[ScreenContext], QWidget]


@dataclass(frozen=True)
class Screen:
    """A registered screen."""

    name: str
    description: str
    render: ScreenFunction


SCREENS: dict[str, Screen] = {}


def screen(name: str, description: str = "") -> Callable[[ScreenFunction], ScreenFunction]:
    """Register a screen under ``name`` (the PNG file name's start)."""

    def register(function: ScreenFunction) -> ScreenFunction:
        SCREENS[name] = Screen(name, description or (function.__doc__ or "").strip(), function)
        return function

    return register


def discover() -> None:
    """Import every ``dpo_studio.ui.<package>.screens`` module so its screens register themselves."""
    import dpo_studio.ui as ui

    for info in pkgutil.iter_modules(ui.__path__):
        if not info.ispkg:
            continue
        try:
            importlib.import_module(f"dpo_studio.ui.{info.name}.screens")
        except ModuleNotFoundError as error:
            if error.name != f"dpo_studio.ui.{info.name}.screens":
                raise


# -- the app shell's own screens ---------------------------------------------------------------------


def _window(ctx: ScreenContext) -> object:
    from dpo_studio.ui.main_window import MainWindow

    window = ctx.window
    assert isinstance(window, MainWindow)
    return window


@screen("empty", "The window before any dataset is open")
def _empty(ctx: ScreenContext) -> QWidget:
    window = _window(ctx)
    assert isinstance(window, QWidget)
    return window


@screen("dataset", "The sample dataset with its findings")
def _dataset(ctx: ScreenContext) -> QWidget:
    from dpo_studio.ui.main_window import MainWindow

    window = _window(ctx)
    assert isinstance(window, MainWindow)
    ctx.open_sample()
    tab = window.datasets_tab
    panel = getattr(tab, "findings_panel", None)
    if panel is not None and panel.model.groups:
        from dpo_studio.ui.datasets.findings_panel import expand_group

        group = expand_group(panel, panel.model.groups[0].code)
        panel.view.setCurrentIndex(panel.model.index(0, 0, group))
    ctx.settle(1)
    return window


def _entry_with_findings(window: object) -> int:
    from dpo_studio.ui.main_window import MainWindow

    assert isinstance(window, MainWindow)
    document = window.session.document
    for index in document.record_indices():
        record = document.record(index)
        if (
            record is not None
            and document.findings_for(index)
            and record.preferred_text
            and record.rejected_text
        ):
            return index
    return document.record_indices()[0]


@screen("editor", "The pair editor: an example with word differences and a finding")
def _editor(ctx: ScreenContext) -> QWidget:
    from dpo_studio.ui.main_window import MainWindow

    window = _window(ctx)
    assert isinstance(window, MainWindow)
    ctx.open_sample()
    document = window.session.document
    # The example whose answers share the most words without being equal: the diff shows best there.
    import difflib

    best, best_ratio = _entry_with_findings(window), -1.0
    for index in document.record_indices():
        record = document.record(index)
        if record is None:
            continue
        preferred, rejected = record.preferred_text.split(), record.rejected_text.split()
        ratio = difflib.SequenceMatcher(None, preferred, rejected, autojunk=False).ratio()
        if preferred and rejected and best_ratio < ratio < 0.95:
            best, best_ratio = index, ratio
    window.session.set_current(best)
    if window.editor is not None:
        window.show_tab(window.editor)
    ctx.settle(1)
    return window


@screen("stats", "The statistics panel of the Datasets tab")
def _stats(ctx: ScreenContext) -> QWidget:
    from dpo_studio.ui.main_window import MainWindow

    window = _window(ctx)
    assert isinstance(window, MainWindow)
    ctx.open_sample()
    tab = window.datasets_tab
    side = getattr(tab, "side", None)
    stats = getattr(tab, "stats_panel", None)
    if side is not None and stats is not None:
        side.setCurrentWidget(stats)
        refresh = getattr(tab, "refresh_stats", None)
        if callable(refresh):
            refresh()
    ctx.settle()
    return window


@screen("loading", "A large file being opened: its first lines at once, with progress and Cancel")
def _loading(ctx: ScreenContext) -> QWidget:
    from dpo_studio.core.document import read_preview
    from dpo_studio.ui.main_window import MainWindow

    window = _window(ctx)
    assert isinstance(window, MainWindow)
    rows, estimate = read_preview(ctx.sample)
    # The sample is small enough to open at once; the page is shown as it would be for a large file.
    window._show_loading(ctx.sample, rows, estimate)
    ctx.settle(1)
    return window


@screen("unsaved", "After an edit: the title and status bar mark unsaved changes")
def _unsaved(ctx: ScreenContext) -> QWidget:
    from dpo_studio.ui.main_window import MainWindow

    window = _window(ctx)
    assert isinstance(window, MainWindow)
    ctx.open_sample()
    session = window.session
    index = session.document.record_indices()[0]
    record = session.document.record(index)
    assert record is not None
    record.preferred = [{"role": "assistant", "content": record.preferred_text + " (edited)"}]
    session.edit_record(index, record, "Edit preferred answer")
    session.set_current(index)
    ctx.settle(1)
    return window


@screen("recovery", "The prompt after a crash: recover or discard unsaved edits")
def _recovery(ctx: ScreenContext) -> QWidget:
    from dpo_studio.core.journal import JournalInfo
    from dpo_studio.ui.main_window import MainWindow, RecoveryDialog

    window = _window(ctx)
    assert isinstance(window, MainWindow)
    info = JournalInfo(
        path=ctx.folder / "example.journal",
        file=ctx.sample,
        title=ctx.sample.name,
        dialect="openai_dpo",
        size=0,
        digest="",
        created="",
        edit_count=12,
        modified=time.time() - 600,
    )
    dialog = RecoveryDialog(info, window)
    dialog.show()
    ctx.settle(1)
    return dialog


@screen("error-user", "A known problem: a sentence and what to do")
def _error_user(ctx: ScreenContext) -> QWidget:
    from dpo_studio.core.atomicfile import _as_user_error
    from dpo_studio.ui.errors import present_error

    window = _window(ctx)
    assert isinstance(window, QWidget)
    import errno

    problem = _as_user_error(OSError(errno.EROFS, "Read-only file system"), Path("/media/usb/pairs.jsonl"))
    box = present_error(window, problem, "Saving")
    assert box is not None
    ctx.settle(1)
    return box


@screen("error-bug", "An unexpected problem: details to copy, the app keeps running")
def _error_bug(ctx: ScreenContext) -> QWidget:
    from PySide6.QtWidgets import QPushButton

    from dpo_studio.ui.errors import present_error

    window = _window(ctx)
    assert isinstance(window, QWidget)
    mixed: list[object] = [3, "three"]
    try:
        mixed.sort()  # a real exception with a real traceback for the picture
    except TypeError as error:
        box = present_error(window, error, "Sorting the table")
    assert box is not None
    for button in box.findChildren(QPushButton):
        if button.text().startswith("Show Details"):
            button.click()
    ctx.settle(1)
    return box


# -- running -----------------------------------------------------------------------------------------


def render(out: Path, only: list[str] | None = None) -> list[Path]:
    """Render the registered screens in this process (theme and scale from the environment)."""
    from dpo_studio.app import create_application
    from dpo_studio.ui.main_window import MainWindow
    from dpo_studio.ui.theme import is_dark

    home = tempfile.mkdtemp(prefix="dpo-screens-home-")
    os.environ["DPO_STUDIO_HOME"] = home
    app = create_application()
    assert isinstance(app, QApplication)
    discover()
    scale = os.environ.get("QT_SCALE_FACTOR", "1") or "1"
    suffix = ("-dark" if is_dark() else "-light") + ("" if scale in ("1", "1.0") else f"-x{scale}")
    out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="dpo-screens-data-"))
    written: list[Path] = []
    try:
        for name, entry in SCREENS.items():
            if only and name not in only:
                continue
            sample = folder / name / "sample_dpo.jsonl"
            sample.parent.mkdir(parents=True)
            shutil.copyfile(resource_path("sample", "sample_dpo.jsonl"), sample)
            window = MainWindow()
            window.resize(*WINDOW_SIZE)
            window.show()
            ctx = ScreenContext(app, window, sample, sample.parent)
            ctx.settle(1)
            widget = entry.render(ctx)
            ctx.settle(1)
            target = out / f"{name}{suffix}.png"
            if not widget.grab().save(str(target)):
                raise OSError(f"could not write {target}")
            written.append(target)
            print(target, flush=True)
            if widget is not window:
                widget.close()
            window.session.close_document()
            window.close()
            window.deleteLater()
            ctx.settle(1)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
        shutil.rmtree(home, ignore_errors=True)
    return written


def main(argv: list[str] | None = None) -> int:
    """``python -m dpo_studio.ui.screenshots OUT_DIR [--variants] [--only NAME ...] [--list]``."""
    parser = argparse.ArgumentParser(
        prog="python -m dpo_studio.ui.screenshots", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "out", type=Path, nargs="?", default=Path("screenshots"), help="folder for the PNG files"
    )
    parser.add_argument("--variants", action="store_true", help="light, dark and 200 %% (one process each)")
    parser.add_argument("--only", nargs="*", help="screen names to render (default: all)")
    parser.add_argument("--list", action="store_true", help="list the screens and exit")
    args = parser.parse_args(argv)
    if args.list:
        discover()
        for entry in SCREENS.values():
            print(f"{entry.name:26} {entry.description}")
        return 0
    if not args.variants:
        render(args.out, args.only)
        return 0
    status = 0
    for theme, scale in VARIANTS:
        env = dict(os.environ, DPO_STUDIO_THEME=theme, QT_SCALE_FACTOR=scale)
        command = [sys.executable, "-m", "dpo_studio.ui.screenshots", str(args.out)]
        if args.only:
            command += ["--only", *args.only]
        status = subprocess.run(command, env=env, check=False).returncode or status
    return status


if __name__ == "__main__":
    # Run the imported module, not this __main__ copy: the packages' screens modules register into
    # ``dpo_studio.ui.screenshots.SCREENS``, which is a different dict from this copy's.
    from dpo_studio.ui import screenshots as _registry

    sys.exit(_registry.main())
