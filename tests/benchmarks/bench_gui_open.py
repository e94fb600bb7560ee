"""Benchmark of the whole window on a large file: File ▸ Open to first rows, filter, edit safety, memory.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.benchmarks.bench_gui_open [pairs]

Goes through the real MainWindow: ``open_file`` (background read with the status-bar progress), the
Datasets tab painting its first rows, typing in the filter field, an edit (which starts the autosave
journal), saving atomically, and rebuilding the document from the journal as after a crash. Prints
numbers and asserts nothing. Targets (issue 3): first rows < 1 s, filter < 200 ms, peak memory < 3x the
file size. See also ``bench_table`` (the table alone, in more detail).
"""

from __future__ import annotations

import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtWidgets import QApplication


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _wait(app: QApplication, done: Callable[[], bool], timeout: float = 900.0) -> float:
    start = time.perf_counter()
    while not done():
        app.processEvents()
        time.sleep(0.001)
        if time.perf_counter() - start > timeout:
            raise TimeoutError("benchmark step did not finish")
    return time.perf_counter() - start


def main(pairs: int = 100_000) -> None:
    """Run the benchmark on a synthetic file of ``pairs`` examples and print the results."""
    os.environ["DPO_STUDIO_HOME"] = tempfile.mkdtemp(prefix="dpo-bench-home-")
    from tests.benchmarks.synthetic import cached_synthetic

    source = cached_synthetic(pairs)
    work = Path(tempfile.mkdtemp(prefix="dpo-bench-gui-"))
    path = work / source.name
    shutil.copyfile(source, path)
    size_mb = path.stat().st_size / 1024 / 1024

    from dpo_studio.app import create_application

    app = create_application()
    assert isinstance(app, QApplication)
    from dpo_studio.core.journal import pending_journals, recover
    from dpo_studio.ui.main_window import MainWindow
    from dpo_studio.ui.tasks import task_runner

    window = MainWindow()
    window.resize(1400, 900)
    window.show()
    app.processEvents()
    base_mb = _peak_mb()
    print(f"file: {path.name}, {pairs:,} pairs, {size_mb:.1f} MB; process before opening: {base_mb:.0f} MB")

    # -- File ▸ Open ---------------------------------------------------------------------------------
    tab = window.datasets_tab
    assert tab is not None
    model = tab.model  # type: ignore[attr-defined]
    progress_seen: list[bool] = []
    preview_at: list[float] = []
    window.previewShown.connect(lambda: preview_at.append(time.perf_counter()))
    started = time.perf_counter()
    window.open_file(path)
    app.processEvents()
    progress_seen.append(window.task_status.busy)
    _wait(app, lambda: window.session.document.path == path and model.rowCount() > 0)
    first_rows = time.perf_counter() - started
    table = tab.table  # type: ignore[attr-defined]
    table.viewport().repaint()
    painted = time.perf_counter() - started
    visible = table.rowAt(table.viewport().height() - 1) + 1
    print(
        f"open -> first rows in the model {first_rows:.2f} s, painted {painted:.2f} s ({visible} rows shown)"
    )
    if preview_at:
        print(
            f"  the file's first lines were shown {preview_at[0] - started:.2f} s after open (while it loads)"
        )
    print(f"  status-bar progress while reading: {'yes' if progress_seen[0] else 'no'} (shown after 0.3 s)")
    settled = _wait(app, lambda: not task_runner().running())
    print(f"  background work (index, check, tokens) done {time.perf_counter() - started:.1f} s after open")
    del settled

    # -- filtering by typing, as a person does (the filter bar waits for a pause in typing) -----------
    from PySide6.QtTest import QTest

    field = tab.filter_bar.text  # type: ignore[attr-defined]
    for word in ("refund", "zürich café", f"#{pairs - 1} "):
        field.clear()
        _wait(app, lambda: model.rowCount() == pairs)
        begin = time.perf_counter()
        if word.isascii():
            QTest.keyClicks(field, word)
        else:
            field.insert(word)  # QTest can only type ASCII keys
        typed = time.perf_counter()
        wanted = word.strip()
        _wait(app, lambda: model.row_filter.text == wanted)  # noqa: B023 - waited for right here
        table.viewport().repaint()
        end = time.perf_counter()
        print(
            f"filter '{word}': {model.rowCount():>7,} rows; typing {1000 * (typed - begin):.0f} ms, "
            f"then shown {1000 * (end - typed):.0f} ms later (includes the typing pause the bar waits for)"
        )
        best = []
        for _ in range(3):
            begin = time.perf_counter()
            tab.apply_filter(model.row_filter)  # type: ignore[attr-defined]
            table.viewport().repaint()
            best.append(time.perf_counter() - begin)
        print(f"  the filter itself: {1000 * min(best):.0f} ms (best of 3)")
    field.clear()
    _wait(app, lambda: model.rowCount() == pairs)

    peak = _peak_mb()
    print(
        f"peak memory (open, index, check, tokens, filters): {peak:.0f} MB = {peak / size_mb:.2f}x the file"
    )

    # -- edit safety ---------------------------------------------------------------------------------
    session = window.session
    record = session.document.record(pairs // 2)
    assert record is not None
    record.preferred = [{"role": "assistant", "content": "Edited in the benchmark."}]
    begin = time.perf_counter()
    session.edit_record(pairs // 2, record, "Edit preferred answer")
    first_edit = time.perf_counter() - begin
    begin = time.perf_counter()
    for n in range(200):
        record.preferred = [{"role": "assistant", "content": "Edited in the benchmark" + "!" * n}]
        session.edit_record(pairs // 2, record, "Edit preferred answer")
    typing = (time.perf_counter() - begin) / 200
    journal = session.journal
    assert journal is not None
    journal.sync()
    print(
        f"first edit (starts the journal) {1000 * first_edit:.1f} ms; each further keystroke-sized edit "
        f"{1000 * typing:.2f} ms incl. journal; journal {journal.path.stat().st_size / 1024:.0f} KB"
    )
    begin = time.perf_counter()
    info = pending_journals(journal.folder)
    # The journal belongs to this live process, so it is (correctly) not offered; read it as a crash would.
    from dpo_studio.core.journal import JournalInfo

    header_info = JournalInfo(
        journal.path,
        path,
        path.name,
        session.document.dialect.name,
        session.document.source_size,
        session.document.source_digest,
        "",
        journal.edit_count,
        0.0,
    )
    recovered = recover(header_info)
    print(
        f"recovery (re-read {size_mb:.0f} MB + replay {journal.edit_count} edits) "
        f"{time.perf_counter() - begin:.2f} s; offered while the app runs: {len(info)}"
    )
    assert recovered.record(pairs // 2) == session.document.record(pairs // 2)
    del recovered

    begin = time.perf_counter()
    window.save()
    print(
        f"save (atomic, untouched lines copied) {time.perf_counter() - begin:.2f} s; journal gone: "
        f"{not journal.path.exists()}"
    )

    print(f"peak memory at the end (includes the recovered second copy): {_peak_mb():.0f} MB")
    session.close_document()
    window.close()
    task_runner().wait_all(60)
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
