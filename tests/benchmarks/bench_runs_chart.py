"""A run with 20,000 metric steps in the Runs tab: load, live appends, smoothing, and the GUI thread's stalls.

``QT_QPA_PLATFORM=offscreen python -m tests.benchmarks.bench_runs_chart`` (add ``--steps N``, ``--batch N``)

A history store is filled with a job whose metrics events carry train/valid loss and token accuracies (the
keys the providers send: four numeric series plus full validation at epoch ends). The real RunsTab opens it
(history read off the GUI thread, charts built on it), then each refresh pass stores a batch of new events on
its worker thread (where a real sync stores what it fetched) and the tab applies them, until 20,000 steps are
plotted. A 5 ms QTimer heartbeat runs all the while;
the longest gap between two beats minus 5 ms is the longest time the GUI thread was blocked. Printed: the
first load, per-batch update times (GUI-thread apply and the whole pass), smoothing changes, and the stalls.
Target: no stall over 100 ms.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path


def events_for(steps: range, total: int, epochs: int, rng: random.Random) -> list[object]:
    """Metrics events like the services send (noisy falling loss, rising accuracy)."""
    from dpo_studio.services.providers import JobEvent

    found = []
    per_epoch = total // epochs
    for step in steps:
        progress = step / total
        data: dict[str, float | int] = {
            "step": step,
            "total_steps": total,
            "train_loss": 0.69 * math.exp(-2.5 * progress) + rng.gauss(0, 0.03),
            "train_mean_token_accuracy": 0.5 + 0.4 * progress + rng.gauss(0, 0.02),
            "valid_loss": 0.72 * math.exp(-2.2 * progress) + rng.gauss(0, 0.03),
            "valid_mean_token_accuracy": 0.5 + 0.35 * progress + rng.gauss(0, 0.02),
        }
        if step % per_epoch == 0:
            data["full_valid_loss"] = 0.72 * math.exp(-2.2 * progress)
        found.append(
            JobEvent(f"ftevent-{step:08d}", 1_700_000_000 + step, "info", f"Step {step}", "metrics", data)
        )
    return found


def main() -> None:
    """Print the timings."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=20_000)
    parser.add_argument("--initial", type=int, default=10_000, help="steps stored before the run is opened")
    parser.add_argument("--batch", type=int, default=500, help="steps per live update")
    parser.add_argument(
        "--switch-interval", type=float, default=None, help="sys.setswitchinterval (seconds) to try"
    )
    args = parser.parse_args()
    if args.switch_interval:
        sys.setswitchinterval(args.switch_interval)
    print(f"GIL switch interval {sys.getswitchinterval() * 1000:g} ms")
    os.environ.setdefault("DPO_STUDIO_HOME", tempfile.mkdtemp(prefix="dpo-bench-"))
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication, QMainWindow

    from dpo_studio.services.history import HistoryStore
    from dpo_studio.services.providers import Job
    from dpo_studio.services.runs import RunSync, SyncReport
    from dpo_studio.ui.runs import RunsTab
    from dpo_studio.ui.tasks import task_runner

    app = QApplication.instance() or QApplication([])
    rng = random.Random(7)
    total = args.steps
    store = HistoryStore(Path(tempfile.mkdtemp()) / "history.sqlite3")
    store.upsert_connection("bench", "Benchmark", "openai")
    raw = {
        "id": "ftjob-bench",
        "status": "running",
        "model": "gpt-4.1-mini-2025-04-14",
        "created_at": 1_700_000_000,
        "suffix": "bench",
        "method": {"type": "dpo", "dpo": {"hyperparameters": {"n_epochs": 4, "beta": 0.1}}},
    }
    store.upsert_jobs("bench", [Job.from_sdk(raw)])
    started = time.perf_counter()
    store.add_events("bench", "ftjob-bench", events_for(range(1, args.initial + 1), total, 4, rng))
    took = time.perf_counter() - started
    print(f"stored {args.initial:,} steps ({args.initial * 4:,}+ points) in {took:.2f} s")

    class FeedingSync(RunSync):
        """Stores the next batch of events in each pass, on the pass's worker thread, as a real sync does."""

        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            self.pending: list[list[object]] = []

        def sync(self, *, force: bool = False, connection_ids: set[str] | None = None) -> SyncReport:
            if self.pending:
                self.store.add_events("bench", "ftjob-bench", self.pending.pop(0))  # type: ignore[arg-type]
            return super().sync(force=force, connection_ids=connection_ids)

    # No connections: nothing is fetched; each pass stores the next batch like a poll that found new events.
    sync = FeedingSync(store, profiles=list)
    tab = RunsTab(store, sync, autostart=False)
    window = QMainWindow()
    window.setCentralWidget(tab)
    window.resize(1400, 860)
    window.show()

    beats: list[float] = []
    heartbeat = QTimer()
    heartbeat.setInterval(5)
    heartbeat.timeout.connect(lambda: beats.append(time.perf_counter()))
    heartbeat.start()

    def pump_until(done: object, limit: float = 120.0) -> None:
        deadline = time.perf_counter() + limit
        while not done() and time.perf_counter() < deadline:  # type: ignore[operator]
            app.processEvents()
            time.sleep(0.001)
        for _ in range(20):  # let the repaint that follows happen while the heartbeat watches
            app.processEvents()
            time.sleep(0.002)

    def worst_stall(since: int) -> float:
        gaps = [b - a for a, b in zip(beats[since:], beats[since + 1 :], strict=False)]
        return max(0.0, (max(gaps) if gaps else 0.0) - 0.005) * 1000

    # ---- baseline: the same heartbeat with nothing to do (the machine's own scheduling noise) ----------
    mark = len(beats)
    deadline = time.perf_counter() + 2.0
    while time.perf_counter() < deadline:
        app.processEvents()
        time.sleep(0.001)
    baseline = worst_stall(mark)
    print(f"baseline, idle window: longest gap between heartbeats {baseline:.0f} ms")

    applies: list[float] = []
    original_apply = tab.run_view.apply_delta

    def timed_apply(delta: object) -> None:
        begin = time.perf_counter()
        original_apply(delta)  # type: ignore[arg-type]
        applies.append(time.perf_counter() - begin)

    tab.run_view.apply_delta = timed_apply  # type: ignore[method-assign]

    # ---- open the run (10,000 steps already stored) -----------------------------------------------
    mark = len(beats)
    started = time.perf_counter()
    tab.start()
    pump_until(lambda: not tab.syncing())
    tab.select_run(("bench", "ftjob-bench"))
    pump_until(lambda: tab.run_view.series_length("train_loss") >= args.initial)
    opened = time.perf_counter() - started
    print(
        f"open run with {tab.run_view.series_length('train_loss'):,} steps: {opened * 1000:.0f} ms until "
        f"plotted (GUI-thread apply {sum(applies) * 1000:.0f} ms); "
        f"longest GUI stall {worst_stall(mark):.0f} ms"
    )

    # ---- live appends up to 20,000 steps -------------------------------------------------------------
    passes: list[float] = []
    stalls: list[float] = []
    applies.clear()
    handled: list[float] = []
    original_pass_apply = tab._apply

    def timed_pass_apply(result: object) -> None:
        begin = time.perf_counter()
        original_pass_apply(result)  # type: ignore[arg-type]
        handled.append(time.perf_counter() - begin)

    tab._apply = timed_pass_apply  # type: ignore[method-assign]
    step = args.initial
    while step < total:
        batch = range(step + 1, min(total, step + args.batch) + 1)
        sync.pending.append(events_for(batch, total, 4, rng))
        step = batch[-1]
        mark = len(beats)
        begin = time.perf_counter()
        tab.refresh()
        pump_until(
            lambda target=step: not tab.syncing() and tab.run_view.series_length("train_loss") >= target
        )
        passes.append(time.perf_counter() - begin)
        stalls.append(worst_stall(mark))
    assert tab.run_view.series_length("train_loss") == total
    print(
        f"{len(applies)} live updates of {args.batch} steps to {total:,} steps: GUI-thread apply median "
        f"{statistics.median(applies) * 1000:.1f} ms, max {max(applies) * 1000:.1f} ms; whole pass (store "
        f"the batch, read it back in the background, apply) median "
        f"{statistics.median(passes) * 1000:.0f} ms"
    )
    print(
        f"GUI-thread time handling each pass result (list + run view): median "
        f"{statistics.median(handled) * 1000:.1f} ms, max {max(handled) * 1000:.1f} ms"
    )
    print(
        f"longest GUI stall during live updates: {max(stalls):.0f} ms "
        f"(median per update {statistics.median(stalls):.0f} ms)"
    )

    # ---- smoothing changes and a crosshair sweep on 20,000 steps ----------------------------------------
    view = tab.run_view
    timings = []
    mark = len(beats)
    for value in (0, 30, 60, 90, 95):
        begin = time.perf_counter()
        view.smoothing_slider.setValue(value)
        timings.append(time.perf_counter() - begin)
        pump_until(lambda: True)
    print(
        f"smoothing change on {len(view.chart.series())} series x {total:,} steps: max "
        f"{max(timings) * 1000:.0f} ms; longest GUI stall {worst_stall(mark):.0f} ms"
    )
    mark = len(beats)
    begin = time.perf_counter()
    for x in range(0, total, total // 50):
        view.chart._hovered(float(x))
        app.processEvents()
    print(f"crosshair read-out: {(time.perf_counter() - begin) / 50 * 1000:.1f} ms per move")
    heartbeat.stop()
    overall = max([*stalls, worst_stall(0)])
    print(f"TARGET no GUI stall > 100 ms: {'met' if overall <= 100 else 'NOT met'} (worst {overall:.0f} ms)")
    tab.shutdown()
    task_runner().wait_all(10)
    window.close()


if __name__ == "__main__":
    main()
