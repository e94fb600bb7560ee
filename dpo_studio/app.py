"""QApplication start-up: ``dpo-studio [FILE]`` (no subcommand) and the ``dpo-studio-gui`` launcher."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from dpo_studio import __version__
from dpo_studio.core.paths import APP_ID, APP_NAME


def build_parser() -> argparse.ArgumentParser:
    """Arguments of the GUI launcher."""
    parser = argparse.ArgumentParser(prog="dpo-studio-gui", description=f"Start {APP_NAME}.")
    parser.add_argument("file", nargs="?", type=Path, help="a preference file to open")
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    parser.add_argument("--no-recovery", action="store_true", help="do not offer to recover unsaved edits")
    return parser


def create_application(argv: Sequence[str] | None = None) -> object:
    """The QApplication (created once), named and themed."""
    from PySide6.QtWidgets import QApplication

    from dpo_studio.ui.theme import follow_system_theme

    app = QApplication.instance()
    if app is None:
        app = QApplication([sys.argv[0] if sys.argv else APP_ID, *(argv or [])])
    assert isinstance(app, QApplication)
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(APP_NAME)
    app.setApplicationVersion(__version__)
    app.setDesktopFileName(APP_ID)
    from dpo_studio.ui.about import app_icon

    app.setWindowIcon(app_icon())  # every window and dialog, and the taskbar/dock where the OS asks Qt
    follow_system_theme(app)
    return app


def runs_to_follow() -> bool:
    """Whether the run history holds jobs not finished yet: the Runs tab then follows them from start-up.

    Otherwise the Runs tab (and the provider SDKs it needs) is built the first time it is shown. A local
    SQLite read; no network.
    """
    from dpo_studio.core.paths import data_dir
    from dpo_studio.services.history import FILE_NAME, history

    if not (data_dir() / FILE_NAME).exists():
        return False
    try:
        return history().has_active_jobs()
    except Exception:  # an unreadable history: the Runs tab says so, as it does when it is shown
        return True


def pipelines_waiting() -> bool:
    """Whether an SFT → DPO pipeline waits for its supervised job: the Fine-tune tab, which checks them, is
    then built at start-up rather than on first show. Reads a small local JSON file."""
    from dpo_studio.services.pipelines import PipelineStore

    return bool(PipelineStore().waiting())


def main(argv: Sequence[str] | None = None) -> int:
    """Start the app; returns the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    from dpo_studio.smoke import smoke_requested

    if smoke_requested(args_list):
        from dpo_studio.smoke import main as smoke_main

        return smoke_main()
    args = build_parser().parse_args(args_list)
    from PySide6.QtWidgets import QApplication

    from dpo_studio.services.redaction import install_log_redaction
    from dpo_studio.ui.errors import install_exception_hooks
    from dpo_studio.ui.gc import install_gui_thread_collector
    from dpo_studio.ui.main_window import MainWindow
    from dpo_studio.ui.tasks import task_runner

    app = create_application()
    assert isinstance(app, QApplication)
    install_log_redaction()  # every log record (ours and third-party ones) is scrubbed of secrets
    install_exception_hooks()
    # Garbage is collected on the GUI thread only: a collection in a worker thread could destroy Qt objects
    # there (see ui/gc.py).
    collector = install_gui_thread_collector(app)
    window = MainWindow()
    window.show()
    if runs_to_follow():
        window.start_following_runs()  # follow running fine-tuning jobs (and notify) from the start
    if pipelines_waiting():
        window.lazy_page("Fine-tune")  # it continues waiting SFT → DPO pipelines soon after start-up
    if args.file is not None:
        window.open_file(args.file)
    if not args.no_recovery:
        window.check_recovery()
    code = app.exec()
    task_runner().wait_all(5.0)
    collector.stop()
    return code


if __name__ == "__main__":
    sys.exit(main())
