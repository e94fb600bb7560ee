"""Benchmark of the Datasets tab on a large file: open to first rows, background work, filters, memory.

    QT_QPA_PLATFORM=offscreen .venv/bin/python -m tests.benchmarks.bench_table [pairs]

Prints numbers; asserts nothing. Targets (issue 3): first rows visible < 1 s after "open" with the rest
loading in the background, filter/search < 200 ms, peak memory < 3x the file size.
"""

from __future__ import annotations

import resource
import sys
import time
from collections.abc import Callable

from PySide6.QtWidgets import QApplication


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _wait(app: QApplication, done: Callable[[], bool], timeout: float = 600.0) -> float:
    start = time.perf_counter()
    while not done():
        app.processEvents()
        time.sleep(0.002)
        if time.perf_counter() - start > timeout:
            raise TimeoutError("benchmark step did not finish")
    return time.perf_counter() - start


def main(pairs: int = 100_000) -> None:
    """Run the benchmark on a synthetic file of ``pairs`` examples and print the results."""
    from tests.benchmarks.synthetic import cached_synthetic

    path = cached_synthetic(pairs)
    size_mb = path.stat().st_size / 1024 / 1024
    app = QApplication.instance() or QApplication(sys.argv)
    assert isinstance(app, QApplication)

    from dpo_studio.core.dataset_index import ERRORS, RowFilter
    from dpo_studio.core.document import Document
    from dpo_studio.core.records import VALIDATION
    from dpo_studio.ui.datasets import DatasetsTab
    from dpo_studio.ui.session import DocumentSession
    from dpo_studio.ui.tasks import task_runner

    session = DocumentSession(journal=False)
    tab = DatasetsTab(session)
    tab.resize(1400, 900)
    tab.show()
    app.processEvents()
    base_mb = _peak_mb()
    print(f"file: {path.name}, {pairs:,} pairs, {size_mb:.1f} MB; process before opening: {base_mb:.0f} MB")

    # "Open": the window reads the file in a background task, then hands the document to the session.
    started = time.perf_counter()
    holder: list[Document] = []
    task_runner().run(lambda ctx: Document.open(path), on_done=holder.append, description="Opening")
    _wait(app, lambda: bool(holder))
    read_s = time.perf_counter() - started
    # The tab paints the first rows synchronously when the session announces the new document.
    session.set_document(holder[0])
    first_rows_s = time.perf_counter() - started
    visible = tab.table.rowAt(tab.table.viewport().height() - 1) + 1
    assert tab.model.index(0, 1).data(), "the first row has its prompt preview"
    app.processEvents()
    events_s = time.perf_counter() - started - first_rows_s
    shown = first_rows_s - read_s
    print(f"open -> first rows painted: {first_rows_s:.2f} s (reading and splitting the file {read_s:.2f} s,")
    print(f"  table painted {shown:.3f} s later; {visible} rows visible of {tab.model.rowCount():,})")
    print(f"  first pass of the event loop after that: {events_s:.2f} s (background threads already running)")

    # Scrolling while the index, the check and the token count run in background threads.
    worst = 0.0
    for row in range(1000, min(pairs, 31_000), 3000):
        begin = time.perf_counter()
        tab.table.scrollTo(tab.model.index(row, 0))
        tab.table.viewport().repaint()
        app.processEvents()
        worst = max(worst, time.perf_counter() - begin)
    print(f"scrolling while loading in the background: slowest step {worst * 1000:.0f} ms (10 jumps)")
    tab.table.scrollToTop()

    index_s = _wait(app, lambda: not tab.building)
    print(
        f"background index build finished {time.perf_counter() - started:.1f} s after open (+{index_s:.1f} s)"
    )
    stats_s = _wait(app, lambda: tab._stats_task is None and tab.stats_panel.statistics is not None)
    after = time.perf_counter() - started
    print(f"tokens counted and statistics shown {after:.1f} s after open (+{stats_s:.1f} s)")
    check_s = _wait(app, lambda: session.document.report is not None and not task_runner().running())
    print(f"validation finished {time.perf_counter() - started:.1f} s after open (+{check_s:.1f} s)")
    tab.refresh_findings()
    app.processEvents()

    def timed(label: str, query: RowFilter) -> None:
        times = []
        for _ in range(3):
            begin = time.perf_counter()
            tab.apply_filter(query)
            tab.table.viewport().repaint()
            times.append(time.perf_counter() - begin)
        print(f"filter {label:<34} {min(times) * 1000:7.1f} ms (best of 3), {tab.model.rowCount():>7,} rows")

    timed("text 'refund' (common)", RowFilter(text="refund"))
    timed("text 'zürich café' (rarer, non-ASCII)", RowFilter(text="zürich café"))
    timed(f"text '#{pairs - 1} ' (one row)", RowFilter(text=f"#{pairs - 1} "))
    timed("errors", RowFilter(finding=ERRORS))
    timed("split validation", RowFilter(split=VALIDATION))
    timed("none (all rows)", RowFilter())
    for column, name in ((1, "prompt"), (4, "tokens")):
        begin = time.perf_counter()
        tab.model.sort(column)
        tab.table.viewport().repaint()
        print(f"sort by {name:<32} {(time.perf_counter() - begin) * 1000:7.1f} ms")
    tab.model.sort(0)

    for row, name in ((pairs // 2, "the middle"), (pairs - 1, "the end")):
        begin = time.perf_counter()
        tab.table.scrollTo(tab.model.index(row, 0))
        tab.table.viewport().repaint()
        print(f"scroll to {name:<30} {(time.perf_counter() - begin) * 1000:7.1f} ms (rows computed on sight)")

    peak = _peak_mb()
    print(
        f"peak memory: {peak:.0f} MB = {peak / size_mb:.2f}x the file size ({base_mb:.0f} MB before opening)"
    )
    session.shutdown()
    task_runner().wait_all(60)


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000)
