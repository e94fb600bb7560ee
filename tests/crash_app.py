"""Test-only driver for the crash-recovery test: runs the real app window in its own process.

``python -m tests.crash_app edit FILE``: start the app, open FILE, make edits the way the widgets do
(through the session's undo stack, including merged typing and an undo), print the resulting records as
JSON after ``EDITED``, then keep running until killed.

``python -m tests.crash_app recover OUT``: start the app as after a crash, accept the recovery prompt by
clicking its Recover button, print the recovered records after ``RECOVERED``, save to OUT and quit.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from dpo_studio.app import create_application
from dpo_studio.core.journal import record_to_data
from dpo_studio.core.records import PreferenceRecord
from dpo_studio.ui.main_window import MainWindow


def records_json(window: MainWindow) -> str:
    document = window.session.document
    out = []
    for index in range(len(document)):
        record = document.record(index)
        out.append(None if record is None else record_to_data(record))
    return json.dumps(out, ensure_ascii=False, sort_keys=True)


def wait_for(app: QApplication, condition: object, timeout_ms: int = 60000) -> None:
    import time

    deadline = time.monotonic() + timeout_ms / 1000
    while not condition():  # type: ignore[operator]
        if time.monotonic() > deadline:
            raise TimeoutError("the app did not get there in time")
        app.processEvents()
        time.sleep(0.01)


def make_edits(window: MainWindow) -> None:
    session = window.session
    document = session.document
    # Typing in the preferred answer of example 2: one merged undo step.
    for text in ("Kept", "Kept after", "Kept after the kill"):
        record = document.record(2)
        assert record is not None
        record.preferred = [{"role": "assistant", "content": text}]
        session.edit_record(2, record, "Edit preferred answer")
    # Swap example 4.
    record = document.record(4)
    assert record is not None
    record.preferred, record.rejected = record.rejected, record.preferred
    session.edit_record(4, record, "Swap answers", merge=False)
    # Add an example with things the file format cannot carry (notes, tags).
    new = PreferenceRecord(
        context=[{"role": "user", "content": "Added in the app"}],
        preferred=[{"role": "assistant", "content": "Yes."}],
        rejected=[{"role": "assistant", "content": "No."}],
        notes="reviewed",
        tags=["added"],
    )
    session.insert_records(0, [new], "Add example")
    # Delete two, undo one deletion, delete another.
    session.remove_entries([6, 7], "Delete")
    session.undo_stack.undo()
    session.remove_entries([9], "Delete")


def main(argv: list[str]) -> int:
    mode, target = argv[0], Path(argv[1])
    app = create_application()
    assert isinstance(app, QApplication)
    window = MainWindow()
    window.show()
    if mode == "edit":
        window.open_file(target)
        wait_for(app, lambda: window.session.document.path == target)
        make_edits(window)
        print("EDITED " + records_json(window), flush=True)
        # The journal is written by each edit; fsync it too so even a power cut would keep it.
        journal = window.session.journal
        assert journal is not None
        journal.sync()
        print("READY", flush=True)
        return app.exec()
    if mode == "recover":
        dialog = window.check_recovery()
        if dialog is None:
            print("NO-RECOVERY", flush=True)
            return 3
        print("PROMPT " + dialog.text(), flush=True)
        dialog.recover_button.click()
        wait_for(app, lambda: window.session.document.dirty)
        print("TITLE " + window.windowTitle(), flush=True)
        print("RECOVERED " + records_json(window), flush=True)
        window.session.save(target)
        QTimer.singleShot(0, window.close)
        return app.exec()
    raise SystemExit(f"unknown mode {mode}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
