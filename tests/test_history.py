"""The local run history: storage, incremental reads, crash survival (a real SIGKILL) and schema migration."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from dpo_studio.core.errors import UserError
from dpo_studio.services.history import (
    SCHEMA_VERSION,
    SOURCE_EVENTS,
    SOURCE_RESULTS,
    HistoryStore,
    history,
    sha256_of_bytes,
    sha256_of_file,
)
from dpo_studio.services.providers.types import Checkpoint, Job, JobEvent
from dpo_studio.services.status import JobStatus
from tests.conftest import REPO


def job(job_id: str = "ftjob-1", status: str = "running", **fields: object) -> Job:
    return Job.from_sdk(
        {"id": job_id, "status": status, "model": "gpt-4.1-mini-2025-04-14", "created_at": 100, **fields}
    )


def metrics_event(step: int, **values: float) -> JobEvent:
    data: dict[str, object] = {"step": step, "total_steps": 30, "train_loss": 1.0 / step, **values}
    return JobEvent(f"ftevent-{step}", 1000 + step, "info", f"Step {step}/30", "metrics", data)


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore(tmp_path / "history.sqlite3")


def test_default_location_is_the_data_folder(isolated_home: Path) -> None:
    opened = history()
    assert opened.path == isolated_home / "data" / "history.sqlite3"
    assert opened.path.exists()
    assert history() is opened
    assert opened.schema_version() == SCHEMA_VERSION
    assert sqlite3.connect(opened.path).execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_jobs_are_stored_per_connection_with_status_changes(store: HistoryStore) -> None:
    store.upsert_connection("conn-a", "Azure West", "azure_openai")
    store.upsert_connection("conn-b", "OpenAI", "openai")
    first = store.upsert_jobs("conn-a", [job(status="pending"), job("ftjob-2", "succeeded", created_at=50)])
    assert [(c.job.id, c.before) for c in first] == [("ftjob-1", None), ("ftjob-2", None)]
    # the same job id on another connection is another job
    store.upsert_jobs("conn-b", [job(status="queued")])
    assert store.upsert_jobs("conn-a", [job(status="pending")]) == []  # nothing changed
    changed = store.upsert_jobs("conn-a", [job(status="running")])
    assert [(c.job.state, c.before) for c in changed] == [(JobStatus.RUNNING, JobStatus.QUEUED)]

    listed = store.jobs()
    keys = [(s.connection_id, s.job.id) for s in listed]
    assert sorted(keys[:2]) == [("conn-a", "ftjob-1"), ("conn-b", "ftjob-1")]  # newest first
    assert keys[2] == ("conn-a", "ftjob-2")
    assert {s.connection_name for s in listed} == {"Azure West", "OpenAI"}
    one = store.job("conn-a", "ftjob-1")
    assert one is not None and one.job.state is JobStatus.RUNNING and one.job.model.startswith("gpt-4.1")
    assert [s.job.id for s in store.jobs("conn-b")] == ["ftjob-1"]
    assert store.job("conn-b", "nope") is None


def test_unknown_status_is_kept_verbatim(store: HistoryStore) -> None:
    store.upsert_jobs("c", [job(status="warming_up")])
    stored = store.job("c", "ftjob-1")
    assert stored is not None
    assert stored.job.state is JobStatus.UNKNOWN and stored.job.status.label == "warming_up"


def test_events_are_stored_once_and_metrics_derived(store: HistoryStore) -> None:
    store.upsert_jobs("c", [job()])
    events = [
        metrics_event(1, valid_loss=0.9),
        metrics_event(2),
        JobEvent("msg-1", 1003, "warn", "Hello", "message"),
    ]
    assert store.add_events("c", "ftjob-1", events) == 3
    assert store.add_events("c", "ftjob-1", events[:2]) == 0  # a repeated page adds nothing

    feed = store.event_feed("c", "ftjob-1")
    assert feed.seen == {"ftevent-1", "ftevent-2", "msg-1"} and feed.newest_id == "msg-1"
    assert feed.ascending is None
    store.save_feed_order("c", "ftjob-1", False)
    assert store.event_feed("c", "ftjob-1").ascending is False

    metrics = store.metric_set("c", "ftjob-1")
    assert metrics.total_steps == 30
    assert metrics.series["train_loss"].points == {1: 1.0, 2: 0.5}
    assert metrics.series["valid_loss"].points == {1: 0.9}
    assert [e.event.id for e in store.events("c", "ftjob-1")] == ["msg-1", "ftevent-2", "ftevent-1"]
    assert [e.event.id for e in store.events("c", "ftjob-1", search="hello")] == ["msg-1"]
    assert store.events("c", "ftjob-1")[-1].event.data["valid_loss"] == 0.9


def test_readers_get_only_what_is_newer(store: HistoryStore) -> None:
    store.upsert_jobs("c", [job()])
    store.add_events("c", "ftjob-1", [metrics_event(1), metrics_event(2)])
    first = store.metric_points("c", "ftjob-1")
    assert {(p.name, p.step) for p in first} == {("train_loss", 1), ("train_loss", 2)}
    last_seq = max(p.seq for p in first)
    store.add_events("c", "ftjob-1", [metrics_event(3, train_mean_token_accuracy=0.7)])
    newer = store.metric_points("c", "ftjob-1", after_seq=last_seq)
    assert sorted((p.name, p.step) for p in newer) == [("train_loss", 3), ("train_mean_token_accuracy", 3)]
    newest_event = store.events("c", "ftjob-1")[0].seq
    assert store.events("c", "ftjob-1", after_seq=newest_event) == []


def test_metric_columns_group_series_in_step_order(store: HistoryStore) -> None:
    store.upsert_jobs("c", [job()])
    store.add_events("c", "ftjob-1", [metrics_event(3, valid_loss=0.3), metrics_event(1), metrics_event(2)])
    columns = store.metric_columns("c", "ftjob-1")
    assert columns.series[(SOURCE_EVENTS, "train_loss")] == ([1, 2, 3], [1.0, 0.5, 1.0 / 3])
    assert columns.series[(SOURCE_EVENTS, "valid_loss")] == ([3], [0.3])
    assert columns.count() == 4
    store.add_events("c", "ftjob-1", [metrics_event(4)])
    newer = store.metric_columns("c", "ftjob-1", after_seq=columns.last_seq)
    assert newer.series == {(SOURCE_EVENTS, "train_loss"): ([4], [0.25])}
    assert newer.last_seq > columns.last_seq
    nothing = store.metric_columns("c", "ftjob-1", after_seq=newer.last_seq)
    assert nothing.series == {} and nothing.last_seq == newer.last_seq


def test_checkpoints_and_result_files(store: HistoryStore) -> None:
    store.upsert_jobs("c", [job(status="succeeded", fine_tuned_model="ft:gpt-4.1-mini:org:x:1")])
    store.record_provenance("ftjob-1", connection_id="c", request_body={"model": "gpt-4.1-mini"})
    store.save_checkpoints(
        "c",
        "ftjob-1",
        [
            Checkpoint("ftckpt-2", 20, "ft:m:ckpt-step-20", {"valid_loss": 0.3}),
            Checkpoint("ftckpt-1", 10, "ft:m:ckpt-step-10", {"valid_loss": 0.5}),
        ],
    )
    assert [c.step for c in store.checkpoints("c", "ftjob-1")] == [10, 20]
    assert store.checkpoints("c", "ftjob-1")[1].metrics == {"valid_loss": 0.3}
    csv = b"\xef\xbb\xbfstep,train_loss,validation_mean_token_accuracy,note\r\n1,0.7,0.5,x\r\n2,0.6,,y\r\n"
    assert store.save_result_file("c", "ftjob-1", "file-r", csv) == 3
    assert store.result_files("c", "ftjob-1") == {"file-r": csv}
    results = store.metric_set("c", "ftjob-1", SOURCE_RESULTS)
    assert results.series["train_loss"].points == {1: 0.7, 2: 0.6}
    assert results.series["valid_mean_token_accuracy"].points == {1: 0.5}  # synonym mapped
    assert store.metric_set("c", "ftjob-1", SOURCE_EVENTS).series == {}
    provenance = store.provenance("ftjob-1")
    assert provenance is not None
    assert provenance.fine_tuned_model == "ft:gpt-4.1-mini:org:x:1"
    assert provenance.checkpoints == ("ft:m:ckpt-step-10", "ft:m:ckpt-step-20")


def test_provenance_round_trip_and_later_model(store: HistoryStore, tmp_path: Path) -> None:
    dataset = tmp_path / "train.jsonl"
    dataset.write_bytes(b'{"a": 1}\n' * 1000)
    body = {"model": "gpt-4.1-mini", "training_file": "file-t", "method": {"type": "dpo", "dpo": {}}}
    recorded = store.record_provenance(
        "ftjob-9",
        connection_id="conn",
        request_body=body,
        dataset_path=str(dataset),
        dataset_sha256=sha256_of_file(dataset),
        uploaded_sha256=sha256_of_bytes(dataset.read_bytes()),
        training_file_id="file-t",
        validation_file_id="file-v",
        extra={"split": {"ratio": 0.1, "seed": 7}},
    )
    assert recorded.request_body == body and recorded.extra == {"split": {"ratio": 0.1, "seed": 7}}
    assert recorded.dataset_sha256 == sha256_of_bytes(dataset.read_bytes())
    assert store.provenance("unknown") is None
    store.upsert_jobs("conn", [job("ftjob-9", "succeeded", fine_tuned_model="ft:model:9")])
    later = store.provenance("ftjob-9")
    assert later is not None and later.fine_tuned_model == "ft:model:9" and later.training_file_id == "file-t"
    assert [p.job_id for p in store.jobs_for_dataset(recorded.dataset_sha256)] == ["ftjob-9"]


def test_connections_record_sync_errors(store: HistoryStore) -> None:
    store.upsert_connection("c", "Lab", "custom")
    store.record_sync("c", "The connection dropped.")
    (state,) = store.connections()
    assert state.last_error == "The connection dropped." and state.last_error_at is not None
    store.record_sync("c")
    (state,) = store.connections()
    assert state.last_error == "" and state.last_sync is not None


def test_threads_use_their_own_connections(store: HistoryStore) -> None:
    store.upsert_jobs("c", [job()])
    errors: list[BaseException] = []

    def writer(offset: int) -> None:
        try:
            for step in range(offset, offset + 50):
                store.add_events("c", "ftjob-1", [metrics_event(step)])
        except BaseException as error:  # collected for the assertion below
            errors.append(error)

    threads = [threading.Thread(target=writer, args=(i * 50 + 1,)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(store.metric_set("c", "ftjob-1").series["train_loss"]) == 200


def test_newer_schema_is_refused_untouched(tmp_path: Path) -> None:
    path = tmp_path / "future.sqlite3"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE future (x)")
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.commit()
    db.close()
    with pytest.raises(UserError, match="newer DPO Studio"):
        HistoryStore(path)
    assert sqlite3.connect(path).execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1


def test_a_damaged_file_is_explained(tmp_path: Path) -> None:
    path = tmp_path / "broken.sqlite3"
    path.write_bytes(b"this is not a database" * 100)
    with pytest.raises(UserError, match="cannot be opened"):
        HistoryStore(path)


# ---- migration ------------------------------------------------------------------------------------------

# The first released schema, written here independently of the store's own copy.
V1_SCHEMA = """
CREATE TABLE jobs (connection_id TEXT NOT NULL, job_id TEXT NOT NULL, status TEXT NOT NULL,
    raw_status TEXT NOT NULL, model TEXT NOT NULL DEFAULT '', created_at INTEGER, finished_at INTEGER,
    fine_tuned_model TEXT, raw TEXT NOT NULL, updated_at REAL NOT NULL, PRIMARY KEY (connection_id, job_id));
CREATE TABLE events (seq INTEGER PRIMARY KEY AUTOINCREMENT, connection_id TEXT NOT NULL, job_id TEXT NOT NULL,
    event_id TEXT NOT NULL, created_at INTEGER NOT NULL, level TEXT NOT NULL, type TEXT NOT NULL,
    message TEXT NOT NULL, data TEXT NOT NULL, UNIQUE (connection_id, job_id, event_id));
CREATE INDEX events_by_job ON events (connection_id, job_id, seq);
CREATE TABLE metrics (seq INTEGER PRIMARY KEY AUTOINCREMENT, connection_id TEXT NOT NULL,
    job_id TEXT NOT NULL, source TEXT NOT NULL, name TEXT NOT NULL, step INTEGER NOT NULL,
    value REAL NOT NULL,
    UNIQUE (connection_id, job_id, source, name, step));
CREATE INDEX metrics_by_job ON metrics (connection_id, job_id, seq);
PRAGMA user_version = 1;
"""


def test_a_v1_database_is_migrated_in_place_keeping_its_rows(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    db = sqlite3.connect(path)
    db.executescript(V1_SCHEMA)
    raw = {"id": "ftjob-old", "status": "succeeded", "model": "gpt-4o-mini", "created_at": 10}
    db.execute(
        "INSERT INTO jobs VALUES "
        "('c', 'ftjob-old', 'succeeded', 'succeeded', 'gpt-4o-mini', 10, 20, 'ft:x', ?, 1.0)",
        (json.dumps(raw),),
    )
    db.execute(
        "INSERT INTO events (connection_id, job_id, event_id, created_at, level, type, message, data) "
        "VALUES ('c', 'ftjob-old', 'ev-1', 11, 'info', 'metrics', 'Step 1', ?)",
        (json.dumps({"step": 1, "train_loss": 0.42}),),
    )
    db.execute(
        "INSERT INTO metrics (connection_id, job_id, source, name, step, value) "
        "VALUES ('c', 'ftjob-old', 'events', 'train_loss', 1, 0.42)"
    )
    db.commit()
    inode = path.stat().st_ino
    db.close()

    store = HistoryStore(path)
    assert store.schema_version() == SCHEMA_VERSION
    assert path.stat().st_ino == inode  # the same file, altered — not a new one
    (old,) = store.jobs()
    assert old.job.id == "ftjob-old" and old.job.state is JobStatus.SUCCEEDED and old.total_steps is None
    assert old.connection_name == ""
    assert store.metric_set("c", "ftjob-old").series["train_loss"].points == {1: 0.42}
    assert [e.event.id for e in store.events("c", "ftjob-old")] == ["ev-1"]
    # the new tables work on the migrated file
    store.upsert_connection("c", "Renamed", "openai")
    assert store.jobs()[0].connection_name == "Renamed"
    store.record_provenance("ftjob-old", connection_id="c", request_body={"model": "gpt-4o-mini"})
    assert store.provenance("ftjob-old") is not None
    store.add_events("c", "ftjob-old", [metrics_event(2)])
    assert store.metric_set("c", "ftjob-old").series["train_loss"].points == {1: 0.42, 2: 0.5}
    store.close()
    assert HistoryStore(path).schema_version() == SCHEMA_VERSION  # opening again changes nothing


# ---- crash survival ---------------------------------------------------------------------------------------

WRITER = """
import sys
from pathlib import Path
from dpo_studio.services.history import HistoryStore
from dpo_studio.services.providers.types import Job, JobEvent

store = HistoryStore(Path(sys.argv[1]))
running = Job.from_sdk({"id": "ftjob-crash", "status": "running", "model": "m", "created_at": 1})
store.upsert_jobs("c", [running])
step = 0
while True:
    batch = []
    for _ in range(50):
        step += 1
        data = {"step": step, "train_loss": 1.0 / step, "valid_loss": 2.0 / step, "total_steps": 10**9}
        batch.append(JobEvent(f"ev-{step}", step, "info", "x" * 200, "metrics", data))
    store.add_events("c", "ftjob-crash", batch)
    print(step, flush=True)  # every event up to here is committed
"""


def test_a_writer_killed_mid_write_loses_nothing_committed(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    env = dict(os.environ, PYTHONPATH=str(REPO))
    process = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True, env=env, cwd=REPO
    )
    assert process.stdout is not None
    committed = 0
    try:
        for line in process.stdout:
            committed = int(line)
            if committed >= 3000:
                break
    finally:
        process.send_signal(signal.SIGKILL)  # no chance to finish the transaction in flight
        process.wait()
    assert process.returncode == -signal.SIGKILL
    assert committed >= 3000
    assert Path(str(path) + "-wal").exists()  # the write-ahead log was in use when it died

    store = HistoryStore(path)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    steps = sorted(store.metric_set("c", "ftjob-crash").series["train_loss"].points)
    assert len(steps) >= committed  # every committed batch is there (plus perhaps one printed too late)
    assert steps == list(range(1, len(steps) + 1))  # and no half batch: whole transactions only
    assert len(steps) % 50 == 0
    events = store.events("c", "ftjob-crash")
    assert len(events) == len(steps)
    feed = store.event_feed("c", "ftjob-crash")
    assert feed.newest_id == f"ev-{len(steps)}"
