"""The Runs tab driven like a person would, against the local API server through the real openai SDK."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QImage
from PySide6.QtWidgets import QMainWindow
from pytestqt.qtbot import QtBot

from dpo_studio.services.connections import ConnectionProfile, ConnectionStore
from dpo_studio.services.history import HistoryStore, StatusChange, StoredEvent
from dpo_studio.services.providers import Checkpoint, Job, JobEvent
from dpo_studio.services.runs import RunSync, SyncOptions
from dpo_studio.services.status import JobStatus
from dpo_studio.ui.errors import PresentedError
from dpo_studio.ui.runs import RunsTab
from dpo_studio.ui.runs.chart import ChartPanel, SeriesBuffer
from dpo_studio.ui.runs.models import CheckpointsModel, EventsModel, JobsModel, RunRow
from dpo_studio.ui.runs.notify import notice_text
from dpo_studio.ui.runs.reading import ema, reading_aid
from dpo_studio.ui.runs.run_view import epoch_boundaries
from dpo_studio.ui.tasks import task_runner
from tests.apiserver.server import ApiServer
from tests.test_runs_service import connect, fast_provider, start_job

#: Long intervals: the tests decide when passes happen (the timer never fires during a test).
MANUAL = SyncOptions(active_interval=600, idle_max=600, quiet_interval=600, error_base=600, error_max=600)


@pytest.fixture
def store(tmp_path: Path) -> Iterator[HistoryStore]:
    opened = HistoryStore(tmp_path / "history.sqlite3")
    yield opened
    task_runner().wait_all(20)
    opened.close()


def make_tab(qtbot: QtBot, store: HistoryStore, options: SyncOptions = MANUAL) -> tuple[QMainWindow, RunsTab]:
    sync = RunSync(store, provider_factory=fast_provider, options=options)
    window = QMainWindow()
    tab = RunsTab(store, sync, autostart=False)
    window.setCentralWidget(tab)
    window.resize(1400, 860)
    qtbot.addWidget(window)
    window.show()  # the first show starts the tab: history first, then a sync
    settle(qtbot, tab)
    return window, tab


def settle(qtbot: QtBot, tab: RunsTab) -> None:
    """Wait until no pass, load or action of the tab is in flight."""
    qtbot.waitUntil(
        lambda: not tab.syncing() and not tab.run_view.loading() and not tab.run_view.busy(), timeout=30_000
    )


def sync_now(qtbot: QtBot, tab: RunsTab) -> None:
    settle(qtbot, tab)
    tab.refresh(force=True)
    settle(qtbot, tab)


def status_of(tab: RunsTab, key: tuple[str, str]) -> JobStatus:
    row = tab.model.row_at(tab.model.row_of(key))
    assert row is not None
    return row.stored.job.state


@pytest.fixture
def connected(api_server: ApiServer, memory_keyring: object) -> tuple[ApiServer, ConnectionProfile]:
    return api_server, connect(api_server)


# ---- empty states ---------------------------------------------------------------------------------------


def test_empty_states_say_what_to_do(
    qtbot: QtBot, store: HistoryStore, api_server: ApiServer, memory_keyring: object
) -> None:
    _window, tab = make_tab(qtbot, store)
    assert tab.stack.currentWidget() is tab.empty
    assert tab.empty.title.text() == "No connections yet"
    assert (
        "Add a connection" in tab.empty.connections_button.text() and tab.empty.connections_button.isVisible()
    )
    assert "keyring" in tab.empty.hint.text()

    connect(api_server)
    sync_now(qtbot, tab)
    assert tab.empty.title.text() == "No fine-tuning jobs yet"
    assert "wizard" in tab.empty.hint.text()
    assert not tab.empty.connections_button.isVisible()


def test_the_connections_button_opens_the_dialog(
    qtbot: QtBot, store: HistoryStore, memory_keyring: object
) -> None:
    _window, tab = make_tab(qtbot, store)
    tab.empty.connections_button.click()
    dialog = tab.connections_dialog
    assert dialog.isVisible() and dialog.windowTitle() == "Connections"
    dialog.close()
    settle(qtbot, tab)


# ---- a live run ----------------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["openai", "azure"])
def test_a_job_runs_to_success_while_the_charts_grow(
    qtbot: QtBot,
    store: HistoryStore,
    tmp_path: Path,
    style: str,
    request: pytest.FixtureRequest,
    memory_keyring: object,
) -> None:
    server: ApiServer = request.getfixturevalue("api_server" if style == "openai" else "azure_api_server")
    profile = connect(server)
    job_id = start_job(server, profile, tmp_path)
    _window, tab = make_tab(qtbot, store)
    key = (profile.id, job_id)
    assert tab.stack.currentWidget() is tab.splitter
    assert tab.select_run(key)
    settle(qtbot, tab)
    view = tab.run_view
    assert view.key == key and tab.right.currentWidget() is view
    assert status_of(tab, key) in (JobStatus.VALIDATING, JobStatus.QUEUED)
    status_column = JobsModel.COLUMNS.index("Status")
    tooltip = tab.model.data(
        tab.model.index(tab.model.row_of(key), status_column), Qt.ItemDataRole.ToolTipRole
    )
    assert "The provider says:" in tooltip

    lengths: list[int] = []
    for _ in range(40):
        server.advance(job_id, steps=3)
        sync_now(qtbot, tab)
        lengths.append(view.series_length("train_loss"))
        if status_of(tab, key) is JobStatus.SUCCEEDED:
            break
    assert status_of(tab, key) is JobStatus.SUCCEEDED
    assert (
        lengths == sorted(lengths) and lengths[-1] > lengths[len(lengths) // 3] > 0
    )  # it grew, pass by pass
    stored = store.job(*key)
    assert stored is not None and lengths[-1] == stored.total_steps
    # every numeric metric has a chart series, and charts hold exactly what the history holds
    series = view.chart.series()
    assert {"train_loss", "valid_loss", "train_mean_token_accuracy", "full_valid_loss"} <= set(series)
    stored_loss = store.metric_set(*key).series["train_loss"]
    assert series["train_loss"][0].tolist() == stored_loss.steps
    assert series["train_loss"][1].tolist() == stored_loss.values
    assert set(view.chart.plots) == {"Loss", "Token accuracy"}
    assert len(view.chart.plots["Loss"].epoch_steps) == 1  # two epochs: one boundary
    assert "Succeeded" in view.status.text() and "validation" in view.reading.text().lower()
    row = tab.model.row_of(key)
    cost = tab.model.data(tab.model.index(row, JobsModel.COLUMNS.index("Est. cost")))
    assert cost.startswith("$")  # trained tokens x the price table's training price
    tokens = tab.model.data(tab.model.index(row, JobsModel.COLUMNS.index("Trained tokens")))
    assert tokens == f"{stored.job.trained_tokens:,}"

    # the finished run: notification, checkpoints with the best marked, events, results, actions
    assert [n.title for n in tab.notifier.sent] == ["Run runs-test succeeded"]
    assert view.checkpoints_model.rowCount() >= 1 and view.checkpoints_model.best is not None
    best_index = view.checkpoints_model.index(view.checkpoints_model.best_row, 0)
    assert view.checkpoints_model.data(best_index) == "★ best"
    assert view.events_model.total() == len(store.events(*key))
    assert not view.cancel_button.isEnabled() and not view.pause_button.isEnabled()
    assert view.copy_button.isEnabled() and view.download_button.isEnabled()
    view.copy_button.click()
    assert QGuiApplication.clipboard().text() == stored.job.fine_tuned_model
    assert view.source_combo.findData("results") >= 0
    view.source_combo.setCurrentIndex(view.source_combo.findData("results"))
    assert view.series_length("train_loss") > 0  # results.csv parsed by its header and plotted

    folder = tmp_path / "downloads"
    folder.mkdir()
    view.choose_folder = lambda _parent: folder
    view.download_button.click()
    settle(qtbot, tab)
    saved = sorted(folder.iterdir())
    assert len(saved) == len(stored.job.result_files) >= 1
    header = saved[0].read_text(encoding="utf-8").splitlines()[0]
    assert header.startswith("step,train_loss")


def test_pause_resume_and_cancel_buttons_act_on_the_server(
    qtbot: QtBot, store: HistoryStore, tmp_path: Path, connected: tuple[ApiServer, ConnectionProfile]
) -> None:
    server, profile = connected
    job_id = start_job(server, profile, tmp_path)
    server.advance(job_id, steps=5)
    _window, tab = make_tab(qtbot, store)
    key = (profile.id, job_id)
    tab.select_run(key)
    settle(qtbot, tab)
    view = tab.run_view
    assert view.pause_button.isEnabled() and view.cancel_button.isEnabled()
    assert not view.resume_button.isEnabled()

    view.pause_button.click()
    settle(qtbot, tab)
    assert server.job(job_id)["status"] == "paused"
    sync_now(qtbot, tab)
    assert status_of(tab, key) is JobStatus.PAUSED
    assert view.resume_button.isEnabled() and not view.pause_button.isEnabled()

    view.resume_button.click()
    settle(qtbot, tab)
    assert server.job(job_id)["status"] in ("queued", "running")

    asked: list[str] = []
    view.confirm = lambda _parent, title, _text: asked.append(title) is None and False  # the user says no
    view.cancel_button.click()
    assert asked and server.job(job_id)["status"] != "cancelled"
    view.confirm = lambda _parent, _title, _text: True
    view.cancel_button.click()
    settle(qtbot, tab)
    assert server.job(job_id)["status"] == "cancelled"
    sync_now(qtbot, tab)
    assert status_of(tab, key) is JobStatus.CANCELLED
    assert not view.cancel_button.isEnabled() and not view.resume_button.isEnabled()
    assert tab.notifier.sent == []  # the user's own cancel is not announced back to them


def test_a_dropped_connection_mid_polling_recovers(
    qtbot: QtBot, store: HistoryStore, tmp_path: Path, connected: tuple[ApiServer, ConnectionProfile]
) -> None:
    server, profile = connected
    job_id = start_job(server, profile, tmp_path)
    server.advance(job_id, steps=8)
    _window, tab = make_tab(qtbot, store)
    key = (profile.id, job_id)
    tab.select_run(key)
    settle(qtbot, tab)
    before = tab.run_view.series_length("train_loss")
    assert before > 0

    server.advance(job_id, steps=6)
    server.faults.add("GET", r"/events$", "drop", times=4)
    sync_now(qtbot, tab)
    assert "connection" in tab.sync_label.text().lower()  # said, not crashed
    assert tab.run_view.series_length("train_loss") == before

    server.faults.clear()
    sync_now(qtbot, tab)
    assert tab.sync_label.text().startswith("Updated")
    assert tab.run_view.series_length("train_loss") == before + 6
    assert len({e.event.id for e in store.events(*key)}) == len(store.events(*key))


def test_past_runs_and_their_charts_open_offline(
    qtbot: QtBot, tmp_path: Path, connected: tuple[ApiServer, ConnectionProfile]
) -> None:
    server, profile = connected
    job_id = start_job(server, profile, tmp_path)
    key = (profile.id, job_id)
    path = tmp_path / "history.sqlite3"
    first = HistoryStore(path)
    window, tab = make_tab(qtbot, first)
    server.advance(job_id, steps=20)
    sync_now(qtbot, tab)
    tab.select_run(key)
    settle(qtbot, tab)
    online = {name: (xs.tolist(), ys.tolist()) for name, (xs, ys) in tab.run_view.chart.series().items()}
    events_online = tab.run_view.events_model.total()
    assert online["train_loss"][0]
    tab.shutdown()
    window.close()
    task_runner().wait_all(20)
    first.close()

    server.stop()  # no network from here on; the app "restarts" with a new history and window
    second = HistoryStore(path)
    _window, tab = make_tab(qtbot, second)
    assert tab.model.row_of(key) >= 0
    assert tab.sync_label.text()  # the failed sync is reported, politely
    tab.select_run(key)
    settle(qtbot, tab)
    offline = {name: (xs.tolist(), ys.tolist()) for name, (xs, ys) in tab.run_view.chart.series().items()}
    assert offline == online
    assert tab.run_view.events_model.total() == events_online
    assert tab.run_view.title.text() == "runs-test"
    task_runner().wait_all(20)
    second.close()


def test_filters_by_connection_and_status(
    qtbot: QtBot,
    store: HistoryStore,
    tmp_path: Path,
    api_server: ApiServer,
    azure_api_server: ApiServer,
    memory_keyring: object,
) -> None:
    first = connect(api_server, "OpenAI lab")
    second = connect(azure_api_server, "Azure West")
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    done_id = start_job(api_server, first, tmp_path / "a")
    api_server.run_to_completion(done_id)
    running_id = start_job(azure_api_server, second, tmp_path / "b")
    azure_api_server.advance(running_id, steps=4)
    _window, tab = make_tab(qtbot, store)
    assert tab.model.rowCount() == 2
    assert [tab.connection_combo.itemText(i) for i in range(tab.connection_combo.count())] == [
        "All connections",
        "Azure West",
        "OpenAI lab",
    ]
    tab.connection_combo.setCurrentIndex(tab.connection_combo.findData(second.id))
    assert tab.model.rowCount() == 1 and tab.model.row_at(0).key == (second.id, running_id)  # type: ignore[union-attr]
    tab.connection_combo.setCurrentIndex(0)
    tab.status_combo.setCurrentText("Succeeded")
    assert [tab.model.row_at(i).key for i in range(tab.model.rowCount())] == [(first.id, done_id)]  # type: ignore[union-attr]
    tab.status_combo.setCurrentText("Active")
    assert [tab.model.row_at(i).key for i in range(tab.model.rowCount())] == [(second.id, running_id)]  # type: ignore[union-attr]
    tab.status_combo.setCurrentText("All statuses")

    # compare: both runs overlaid on one chart
    tab.table.selectAll()
    assert tab.compare_button.isEnabled()
    tab.compare_button.click()
    qtbot.waitUntil(lambda: not tab.compare_view.loading(), timeout=20_000)
    assert tab.right.currentWidget() is tab.compare_view
    assert tab.compare_view.metric_combo.currentData() == "train_loss"
    assert len(tab.compare_view.overlaid()) == 2


def test_polling_pauses_in_the_background_and_catches_up(
    qtbot: QtBot, store: HistoryStore, tmp_path: Path, connected: tuple[ApiServer, ConnectionProfile]
) -> None:
    server, profile = connected
    start_job(server, profile, tmp_path)
    quick = SyncOptions(active_interval=0.2, idle_max=0.2, quiet_interval=0.2, error_base=0.2, error_max=0.2)
    _window, tab = make_tab(qtbot, store, quick)
    app = QGuiApplication.instance()
    assert isinstance(app, QGuiApplication)
    app.applicationStateChanged.emit(Qt.ApplicationState.ApplicationActive)
    settle(qtbot, tab)
    requests = len(server.received)
    qtbot.waitUntil(lambda: len(server.received) > requests, timeout=10_000)  # the timer polls by itself

    app.applicationStateChanged.emit(Qt.ApplicationState.ApplicationInactive)
    qtbot.waitUntil(lambda: tab._pending, timeout=10_000)  # the next tick found the app in the background
    settle(qtbot, tab)
    quiet = len(server.received)
    qtbot.wait(600)
    assert len(server.received) == quiet  # nothing is fetched while in the background

    app.applicationStateChanged.emit(Qt.ApplicationState.ApplicationActive)
    qtbot.waitUntil(lambda: len(server.received) > quiet, timeout=10_000)
    tab.shutdown()
    settle(qtbot, tab)


def test_events_search_exports_and_provenance(
    qtbot: QtBot, store: HistoryStore, tmp_path: Path, connected: tuple[ApiServer, ConnectionProfile]
) -> None:
    server, profile = connected
    job_id = start_job(server, profile, tmp_path)
    server.advance(job_id, steps=10)
    server.add_event(job_id, "Moderation checks passed", type="moderation_checks")
    store.record_provenance(
        job_id,
        connection_id=profile.id,
        request_body={"model": "gpt-4.1-mini-2025-04-14", "suffix": "runs-test"},
        dataset_path=str(tmp_path / "train.jsonl"),
        dataset_sha256="ab" * 32,
        uploaded_sha256="cd" * 32,
        training_file_id="file-train",
    )
    _window, tab = make_tab(qtbot, store)
    tab.select_run((profile.id, job_id))
    settle(qtbot, tab)
    view = tab.run_view

    total = view.events_model.rowCount()
    first_time = view.events_model.data(view.events_model.index(0, 0))
    last_time = view.events_model.data(view.events_model.index(total - 1, 0))
    assert first_time >= last_time  # newest first
    view.events_search.setText("moderation")
    assert view.events_model.rowCount() == 1
    assert view.events_model.data(view.events_model.index(0, 3)) == "Moderation checks passed"
    assert view.events_count.text() == f"1 of {total:,}"
    view.events_search.setText("")
    assert view.events_model.rowCount() == total

    html = view.provenance_view.toPlainText()
    assert (
        "ab" * 32 in html and "cd" * 32 in html and "file-train" in html and '"suffix": "runs-test"' in html
    )

    png = tmp_path / "chart.png"
    csv_path = tmp_path / "series.csv"
    view.choose_file = lambda _p, _t, name, _f: png if name.endswith(".png") else csv_path
    view.export_png_button.click()
    view.export_csv_button.click()
    image = QImage(str(png))
    assert not image.isNull() and image.width() > 300
    rows = list(csv.reader(io.StringIO(csv_path.read_text(encoding="utf-8"))))
    assert rows[0][0] == "step" and "train_loss" in rows[0]
    assert len(rows) - 1 == view.series_length("train_loss")

    view.smoothing_slider.setValue(0)
    assert view.chart.smoothing == 0 and view.smoothing_label.text() == "0.00"
    view.smoothing_slider.setValue(90)
    smoothed = view.chart.plots["Loss"].series["train_loss"].smoothed[: view.series_length("train_loss")]
    raw = view.chart.series()["train_loss"][1]
    assert np.std(np.diff(smoothed)) < np.std(np.diff(raw))  # smoother than the raw curve


def test_provenance_panel_without_a_record_explains(
    qtbot: QtBot, store: HistoryStore, tmp_path: Path, connected: tuple[ApiServer, ConnectionProfile]
) -> None:
    server, profile = connected
    job_id = start_job(server, profile, tmp_path)
    _window, tab = make_tab(qtbot, store)
    tab.show_job(profile.id, job_id)
    settle(qtbot, tab)
    assert tab.run_view.key == (profile.id, job_id)
    assert "No provenance recorded" in tab.run_view.provenance_view.toPlainText()
    assert "first training step" in tab.run_view.chart.empty_label.text()


def test_a_deleted_connection_keeps_its_runs_but_not_the_actions(
    qtbot: QtBot, store: HistoryStore, tmp_path: Path, connected: tuple[ApiServer, ConnectionProfile]
) -> None:
    server, profile = connected
    job_id = start_job(server, profile, tmp_path)
    server.advance(job_id, steps=5)
    _window, tab = make_tab(qtbot, store)
    ConnectionStore().delete(profile.id)
    sync_now(qtbot, tab)
    tab.select_run((profile.id, job_id))
    settle(qtbot, tab)
    view = tab.run_view
    assert not view.pause_button.isEnabled() and "no longer exists" in view.pause_button.toolTip()
    assert view.series_length("train_loss") > 0


# ---- pieces --------------------------------------------------------------------------------------


def job(job_id: str, status: str, **fields: object) -> Job:
    return Job.from_sdk(
        {"id": job_id, "status": status, "model": "gpt-4.1-mini", "created_at": 1_700_000_000, **fields}
    )


def test_models_pass_qtmodeltester(qtmodeltester: object, store: HistoryStore) -> None:
    store.upsert_connection("c", "Lab", "openai")
    store.upsert_jobs(
        "c", [job("a", "running"), job("b", "succeeded", trained_tokens=1000), job("c", "weird")]
    )
    jobs = JobsModel()
    jobs.set_runs([RunRow(s, "openai", 1.5) for s in store.jobs()])
    qtmodeltester.check(jobs)  # type: ignore[attr-defined]
    assert jobs.data(jobs.index(0, 7)) in ("", "$1.50")
    weird = jobs.row_of(("c", "c"))
    assert jobs.data(jobs.index(weird, 3)) == "weird"  # an unknown status is shown verbatim

    checkpoints = CheckpointsModel()
    checkpoints.set_checkpoints(
        [
            Checkpoint("c1", 10, "ft:m:ckpt-10", {"valid_loss": 0.5, "train_loss": 0.4}),
            Checkpoint("c2", 20, "ft:m:ckpt-20", {"valid_loss": 0.3, "train_loss": 0.2}),
            Checkpoint("c3", 30, "ft:m:ckpt-30", {"valid_loss": 0.35, "train_loss": 0.1}),
        ]
    )
    qtmodeltester.check(checkpoints)  # type: ignore[attr-defined]
    assert checkpoints.best is not None and checkpoints.best.step == 20

    events = EventsModel()
    events.add_events(
        [StoredEvent(i, JobEvent(f"e{i}", 1000 + i, "info", f"Step {i}", "metrics")) for i in range(1, 6)]
    )
    qtmodeltester.check(events)  # type: ignore[attr-defined]
    events.add_events([StoredEvent(9, JobEvent("e9", 2000, "warn", "Late", "message"))])
    assert events.data(events.index(0, 3)) == "Late"
    events.set_search("step 3")
    assert events.rowCount() == 1
    qtmodeltester.check(events)  # type: ignore[attr-defined]


def test_series_buffer_grows_and_reorders() -> None:
    buffer = SeriesBuffer(capacity=2)
    assert buffer.extend([1, 2, 3], [1.0, 2.0, 3.0])
    assert buffer.extend([4], [4.0])
    assert not buffer.extend([2, 5], [20.0, 5.0])  # out of order: merged, the later value wins
    assert buffer.x.tolist() == [1, 2, 3, 4, 5] and buffer.y.tolist() == [1.0, 20.0, 3.0, 4.0, 5.0]


def test_chart_panel_groups_every_numeric_key(qtbot: QtBot) -> None:
    panel = ChartPanel()
    qtbot.addWidget(panel)
    panel.add_points(
        [("train_loss", 1, 0.7), ("kl_divergence", 1, 0.01), ("valid_mean_token_accuracy", 1, 0.5)]
    )
    assert set(panel.plots) == {"Loss", "Token accuracy", "Kl divergence"}
    panel.add_points([("train_loss", s, 0.7 - s / 100) for s in range(2, 50)])
    panel._hovered(10.2)
    assert panel.readout.text().startswith("Step 10:")
    panel.set_epoch_boundaries([25.0])
    assert panel.plots["Loss"].epoch_steps == [25.0]


def test_reading_aid_notices_over_fitting() -> None:
    steps = list(range(1, 101))
    train = [0.7 * 0.98**s for s in steps]
    valid_good = [t * 1.05 for t in train]
    valid_bad = [0.7 * 0.98**s if s < 40 else 0.7 * 0.98**40 * (1 + (s - 40) / 60) for s in steps]
    good = reading_aid(steps, train, steps, valid_good)
    assert not good.overfitting and good.ratio == pytest.approx(1.05, rel=0.05)
    bad = reading_aid(steps, train, steps, valid_bad)
    assert (
        bad.overfitting
        and "over-fitting" in bad.note
        and bad.best_step is not None
        and 35 <= bad.best_step <= 45
    )
    assert reading_aid([1], [0.7], [], []).ratio is None
    assert ema(np.array([1.0, 1.0, 1.0]), 0.9).tolist() == pytest.approx([1.0, 1.0, 1.0])  # debiased


def test_epoch_boundaries_and_notice_wording() -> None:
    assert epoch_boundaries(90, 3) == [30.0, 60.0]
    assert epoch_boundaries(90, "auto") == [] and epoch_boundaries(None, 3) == []
    failed = StatusChange(
        "c", job("j", "failed", suffix="tone", error={"code": "x", "message": "Bad file."}), JobStatus.RUNNING
    )
    title, text = notice_text(failed, "Lab")
    assert title == "Run tone failed" and "Bad file." in text and "Lab" in text


def test_main_window_has_a_runs_tab_that_waits_to_poll(qtbot: QtBot) -> None:
    from dpo_studio.ui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    tab = window.runs_tab
    assert isinstance(tab, RunsTab) and window.tabs.indexOf(tab) >= 0
    assert not tab.started and not tab.syncing()
    window.show()
    window.show_tab(tab)
    assert tab.started
    settle(qtbot, tab)
    assert tab.empty.title.text() == "No connections yet"
    tab.shutdown()


def test_notifications_fall_back_to_the_status_bar(qtbot: QtBot, store: HistoryStore) -> None:
    window, tab = make_tab(qtbot, store)
    change = StatusChange("c", job("j", "succeeded", fine_tuned_model="ft:x"), JobStatus.RUNNING)
    notice = tab.notifier.run_finished(change)
    if notice.via == "status bar":
        assert "succeeded" in window.statusBar().currentMessage()
    assert "ft:x" in notice.text


def test_the_qt_binding_keeps_none_alive(qtbot: QtBot) -> None:
    """PySide6 6.12.0 dropped a reference to None per void call under CPython 3.11; charts hit it fast."""
    import sys

    from PySide6.QtGui import QPainterPath
    from PySide6.QtWidgets import QLabel

    label = QLabel()
    qtbot.addWidget(label)
    path = QPainterPath()
    before = sys.getrefcount(None)
    for _ in range(2000):
        label.setText("x")
        path.reserve(10)
    assert sys.getrefcount(None) - before > -100  # (6.12.0 on 3.11: -4000, then a crash later)


def test_an_unreadable_history_is_said_once_and_the_tab_keeps_working(
    qtbot: QtBot, tmp_path: Path, presented: list[PresentedError]
) -> None:
    store = HistoryStore(tmp_path / "history.sqlite3")
    shown: list[object] = presented
    _window, tab = make_tab(qtbot, store)
    store.close()  # from now on every read fails with a user error
    for _ in range(3):
        sync_now(qtbot, tab)
    assert tab.sync_label.text() == "The run history could not be read."
    assert len(shown) == 1 and "closed" in shown[0].message  # type: ignore[attr-defined]
    assert tab.refresh_button.isEnabled() and tab.timer.isActive()
    tab.shutdown()


def test_the_runs_screens_render(tmp_path: Path) -> None:
    """The screenshot command's Runs screens (live server, real sync) render to real PNGs offscreen."""
    from tests.screenshot_command import run_screenshot_command

    names = ["runs", "run-live", "runs-empty"]
    result = run_screenshot_command(str(tmp_path), "--only", *names, theme="dark")
    assert result.returncode == 0, result.stderr[-2000:]
    for name in names:
        image = QImage(str(tmp_path / f"{name}-dark.png"))
        assert not image.isNull() and image.width() >= 1000
