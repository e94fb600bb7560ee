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
    window.runs_tab.start()  # follow running fine-tuning jobs (and notify) from the start
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
