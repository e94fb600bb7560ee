"""The local run history: every job, event, metric point, checkpoint and result file seen, per connection.

One SQLite file under :func:`dpo_studio.core.paths.data_dir` (``history.sqlite3``) so past runs open with no
network and a reconnect fetches only what is new. WAL journaling and one transaction per write keep every
committed row through a crash mid-write; the schema is versioned (``PRAGMA user_version``) and migrated in
place, never rebuilt. Each thread gets its own connection (the poller runs off the GUI thread).

The provenance table links a job back to the data that made it; the job wizard records it::

    history().record_provenance(job.id, connection_id=profile.id, request_body=body,
                                dataset_path=str(path), dataset_sha256=sha256_of_file(path),
                                uploaded_sha256=sha256_of_bytes(sent), training_file_id=remote.id)
    history().provenance(job.id)  # -> Provenance | None
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dpo_studio.core import paths
from dpo_studio.core.errors import UserError
from dpo_studio.services.metrics import MetricSet, metric_rows, metrics_from_results_csv
from dpo_studio.services.providers.types import Checkpoint, EventFeed, Job, JobEvent
from dpo_studio.services.status import JobStatus

FILE_NAME = "history.sqlite3"

#: Where metric points came from: the job's ``metrics`` events, or its results.csv files.
SOURCE_EVENTS = "events"
SOURCE_RESULTS = "results"

_V1 = """
CREATE TABLE jobs (
    connection_id TEXT NOT NULL,
    job_id TEXT NOT NULL,
    status TEXT NOT NULL,
    raw_status TEXT NOT NULL,
    model TEXT NOT NULL DEFAULT '',
    created_at INTEGER,
    finished_at INTEGER,
    fine_tuned_model TEXT,
    raw TEXT NOT NULL,
    updated_at REAL NOT NULL,
    PRIMARY KEY (connection_id, job_id)
);
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id TEXT NOT NULL,
    job_id TEXT NOT NULL,
    event_id TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    level TEXT NOT NULL,
    type TEXT NOT NULL,
    message TEXT NOT NULL,
    data TEXT NOT NULL,
    UNIQUE (connection_id, job_id, event_id)
);
CREATE INDEX events_by_job ON events (connection_id, job_id, seq);
CREATE TABLE metrics (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    connection_id TEXT NOT NULL,
    job_id TEXT NOT NULL,
    source TEXT NOT NULL,
    name TEXT NOT NULL,
    step INTEGER NOT NULL,
    value REAL NOT NULL,
    UNIQUE (connection_id, job_id, source, name, step)
);
CREATE INDEX metrics_by_job ON metrics (connection_id, job_id, seq);
"""

# v2: what the Runs tab and the wizard need beyond v1 — the events list order, total steps and the
# connection's name on jobs; checkpoints, result files, connections (names survive a deleted profile)
# and provenance.
_V2 = """
ALTER TABLE jobs ADD COLUMN connection_name TEXT NOT NULL DEFAULT '';
ALTER TABLE jobs ADD COLUMN total_steps INTEGER;
ALTER TABLE jobs ADD COLUMN events_ascending INTEGER;
ALTER TABLE jobs ADD COLUMN finalized INTEGER NOT NULL DEFAULT 0;
CREATE TABLE connections (
    connection_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    last_sync REAL,
    last_error TEXT NOT NULL DEFAULT '',
    last_error_at REAL
);
CREATE TABLE checkpoints (
    connection_id TEXT NOT NULL,
    job_id TEXT NOT NULL,
    checkpoint_id TEXT NOT NULL,
    step INTEGER NOT NULL,
    model TEXT NOT NULL,
    metrics TEXT NOT NULL,
    created_at INTEGER,
    PRIMARY KEY (connection_id, job_id, checkpoint_id)
);
CREATE TABLE result_files (
    connection_id TEXT NOT NULL,
    job_id TEXT NOT NULL,
    file_id TEXT NOT NULL,
    content BLOB NOT NULL,
    fetched_at REAL NOT NULL,
    PRIMARY KEY (connection_id, job_id, file_id)
);
CREATE TABLE provenance (
    job_id TEXT PRIMARY KEY,
    connection_id TEXT NOT NULL,
    dataset_path TEXT NOT NULL DEFAULT '',
    dataset_sha256 TEXT NOT NULL DEFAULT '',
    uploaded_sha256 TEXT NOT NULL DEFAULT '',
    training_file_id TEXT NOT NULL DEFAULT '',
    validation_path TEXT NOT NULL DEFAULT '',
    validation_sha256 TEXT NOT NULL DEFAULT '',
    validation_uploaded_sha256 TEXT NOT NULL DEFAULT '',
    validation_file_id TEXT NOT NULL DEFAULT '',
    request_body TEXT NOT NULL,
    recorded_at REAL NOT NULL,
    fine_tuned_model TEXT NOT NULL DEFAULT '',
    checkpoints TEXT NOT NULL DEFAULT '[]',
    extra TEXT NOT NULL DEFAULT '{}'
);
"""

# v3 (issue 8): blind evaluations kept with their run — every answer, the left/right order and each verdict
# as JSON in ``data``, the win rates in ``summary`` so lists need not parse every answer.
_V3 = """
CREATE TABLE evaluations (
    evaluation_id TEXT PRIMARY KEY,
    connection_id TEXT NOT NULL DEFAULT '',
    job_id TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    model_a TEXT NOT NULL,
    model_b TEXT NOT NULL,
    summary TEXT NOT NULL,
    data TEXT NOT NULL,
    saved_at REAL NOT NULL
);
CREATE INDEX evaluations_by_job ON evaluations (job_id, created_at);
"""

#: Migration ``i`` takes a database from version ``i`` to ``i + 1``. Append, never edit a released one.
MIGRATIONS: tuple[str, ...] = (_V1, _V2, _V3)
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True)
class StoredJob:
    """A job as last seen, with where it came from."""

    connection_id: str
    connection_name: str
    job: Job
    total_steps: int | None = None
    updated_at: float = 0.0
    finalized: bool = False

    @property
    def key(self) -> tuple[str, str]:
        """``(connection_id, job_id)``: jobs are unique per connection."""
        return (self.connection_id, self.job.id)


@dataclass(frozen=True)
class StatusChange:
    """A job whose state changed since it was last stored (``before`` is None for a new job)."""

    connection_id: str
    job: Job
    before: JobStatus | None


@dataclass(frozen=True)
class MetricPoint:
    """One stored metric value; ``seq`` grows with every insert, so readers ask for what is newer."""

    seq: int
    source: str
    name: str
    step: int
    value: float


@dataclass(frozen=True)
class MetricColumns:
    """Metric points grouped per series, each in step order: ``(source, name) -> (steps, values)``."""

    last_seq: int
    series: dict[tuple[str, str], tuple[list[int], list[float]]]

    def count(self) -> int:
        """How many points in all."""
        return sum(len(steps) for steps, _values in self.series.values())


@dataclass(frozen=True)
class StoredEvent:
    """A stored event with its insertion order."""

    seq: int
    event: JobEvent


@dataclass(frozen=True)
class Provenance:
    """How a job was made: the data, the uploaded bytes, the request, and what it produced."""

    job_id: str
    connection_id: str
    request_body: dict[str, Any]
    dataset_path: str = ""
    dataset_sha256: str = ""
    uploaded_sha256: str = ""
    training_file_id: str = ""
    validation_path: str = ""
    validation_sha256: str = ""
    validation_uploaded_sha256: str = ""
    validation_file_id: str = ""
    recorded_at: float = 0.0
    fine_tuned_model: str = ""
    checkpoints: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StoredEvaluation:
    """A saved blind evaluation: who was compared, the win-rate summary and the full record (``data``)."""

    evaluation_id: str
    connection_id: str
    job_id: str
    created_at: float
    model_a: str
    model_b: str
    summary: dict[str, Any]
    data: dict[str, Any]


@dataclass(frozen=True)
class ConnectionState:
    """What the history knows of a connection: its name and the last sync's outcome."""

    connection_id: str
    name: str
    kind: str
    last_sync: float | None
    last_error: str
    last_error_at: float | None


def sha256_of_bytes(data: bytes) -> str:
    """Hex SHA-256 of ``data`` (the uploaded bytes' hash in provenance)."""
    return hashlib.sha256(data).hexdigest()


def sha256_of_file(path: Path, chunk: int = 1 << 20) -> str:
    """Hex SHA-256 of a file's content, read in chunks (datasets can be large)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while block := handle.read(chunk):
            digest.update(block)
    return digest.hexdigest()


class HistoryStore:
    """The run history database. Thread-safe: each thread uses its own SQLite connection."""

    def __init__(self, path: Path | None = None, *, busy_timeout: float = 10.0) -> None:
        self.path = Path(path) if path is not None else paths.data_dir() / FILE_NAME
        self._busy_timeout = busy_timeout
        self._local = threading.local()
        self._lock = threading.Lock()
        self._connections: list[sqlite3.Connection] = []
        self._closed = False
        self._migrate()

    # ---- connections and schema ------------------------------------------------------------------------

    def _db(self) -> sqlite3.Connection:
        db: sqlite3.Connection | None = getattr(self._local, "db", None)
        if db is None:
            if self._closed:
                raise UserError("The run history is closed.", "Restart DPO Studio.")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            try:
                db = sqlite3.connect(
                    self.path, timeout=self._busy_timeout, isolation_level=None, check_same_thread=False
                )
                db.execute("PRAGMA journal_mode=WAL")
                # NORMAL in WAL mode loses nothing committed when the app dies; only a power cut could.
                db.execute("PRAGMA synchronous=NORMAL")
                db.execute("PRAGMA foreign_keys=ON")
            except sqlite3.DatabaseError as error:
                raise self._unreadable(error) from None
            self._local.db = db
            with self._lock:
                self._connections.append(db)
        return db

    def _unreadable(self, error: BaseException) -> UserError:
        return UserError(
            f"The run history {self.path} cannot be opened ({error}).",
            "Close other copies of DPO Studio; if it persists, move the file aside to start a new history.",
        )

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One immediate transaction: all of it is committed, or none of it."""
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        else:
            db.execute("COMMIT")

    def _migrate(self) -> None:
        try:
            with self._write() as db:
                version = int(db.execute("PRAGMA user_version").fetchone()[0])
                if version > SCHEMA_VERSION:
                    raise UserError(
                        f"The run history {self.path} was written by a newer DPO Studio "
                        f"(schema {version}, this one knows {SCHEMA_VERSION}).",
                        "Update DPO Studio to open it; it was left untouched.",
                    )
                for index in range(version, SCHEMA_VERSION):
                    for statement in _statements(MIGRATIONS[index]):
                        db.execute(statement)
                if version != SCHEMA_VERSION:
                    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
        except sqlite3.DatabaseError as error:
            raise self._unreadable(error) from None

    def schema_version(self) -> int:
        """The database's schema version (``SCHEMA_VERSION`` once opened)."""
        return int(self._db().execute("PRAGMA user_version").fetchone()[0])

    def close(self) -> None:
        """Close every thread's connection (at shutdown; later calls raise)."""
        with self._lock:
            self._closed = True
            for db in self._connections:
                with suppress(sqlite3.Error):
                    db.close()
            self._connections.clear()
        self._local = threading.local()

    # ---- connections -----------------------------------------------------------------------------------

    def upsert_connection(self, connection_id: str, name: str, kind: str) -> None:
        """Remember a connection's name and kind (shown for its runs even after the profile is deleted)."""
        with self._write() as db:
            db.execute(
                "INSERT INTO connections (connection_id, name, kind) VALUES (?, ?, ?) "
                "ON CONFLICT (connection_id) DO UPDATE SET name = excluded.name, kind = excluded.kind",
                (connection_id, name, kind),
            )
            db.execute("UPDATE jobs SET connection_name = ? WHERE connection_id = ?", (name, connection_id))

    def record_sync(self, connection_id: str, error: str = "") -> None:
        """Note a sync's outcome: a success clears the last error, a failure records it."""
        now = time.time()
        with self._write() as db:
            if error:
                db.execute(
                    "UPDATE connections SET last_error = ?, last_error_at = ? WHERE connection_id = ?",
                    (error, now, connection_id),
                )
            else:
                db.execute(
                    "UPDATE connections SET last_sync = ?, last_error = '' WHERE connection_id = ?",
                    (now, connection_id),
                )

    def connections(self) -> list[ConnectionState]:
        """Every connection the history has seen."""
        rows = self._db().execute(
            "SELECT connection_id, name, kind, last_sync, last_error, last_error_at FROM connections "
            "ORDER BY name"
        )
        return [ConnectionState(*row) for row in rows]

    # ---- jobs --------------------------------------------------------------------------------------------

    def upsert_jobs(self, connection_id: str, jobs: Sequence[Job]) -> list[StatusChange]:
        """Store the jobs' latest state; returns the jobs that are new or changed state."""
        changes: list[StatusChange] = []
        now = time.time()
        with self._write() as db:
            row = db.execute(
                "SELECT name FROM connections WHERE connection_id = ?", (connection_id,)
            ).fetchone()
            name = row[0] if row else ""
            for job in jobs:
                before = db.execute(
                    "SELECT status FROM jobs WHERE connection_id = ? AND job_id = ?", (connection_id, job.id)
                ).fetchone()
                previous = _status(before[0]) if before else None
                if previous is not job.state:
                    changes.append(StatusChange(connection_id, job, previous))
                db.execute(
                    "INSERT INTO jobs (connection_id, job_id, status, raw_status, model, created_at, "
                    "finished_at, fine_tuned_model, raw, updated_at, connection_name) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
                    "ON CONFLICT (connection_id, job_id) DO UPDATE SET status = excluded.status, "
                    "raw_status = excluded.raw_status, model = excluded.model, "
                    "created_at = excluded.created_at, "
                    "finished_at = excluded.finished_at, fine_tuned_model = excluded.fine_tuned_model, "
                    "raw = excluded.raw, updated_at = excluded.updated_at, "
                    "connection_name = excluded.connection_name",
                    (
                        connection_id,
                        job.id,
                        job.state.value,
                        job.status.raw,
                        job.model,
                        job.created_at,
                        job.finished_at,
                        job.fine_tuned_model,
                        json.dumps(job.raw or _job_dict(job)),
                        now,
                        name,
                    ),
                )
                if job.fine_tuned_model:
                    db.execute(
                        "UPDATE provenance SET fine_tuned_model = ? WHERE job_id = ? AND connection_id = ?",
                        (job.fine_tuned_model, job.id, connection_id),
                    )
        return changes

    def jobs(self, connection_id: str | None = None) -> list[StoredJob]:
        """Stored jobs, newest first (all connections, or one)."""
        query = (
            "SELECT connection_id, connection_name, raw, total_steps, updated_at, finalized FROM jobs"
            + (" WHERE connection_id = ?" if connection_id else "")
            + " ORDER BY created_at DESC, job_id DESC"
        )
        rows = self._db().execute(query, (connection_id,) if connection_id else ())
        return [_stored_job(row) for row in rows]

    def has_active_jobs(self) -> bool:
        """Whether a stored job is not in a final state yet (the app follows those from its start)."""
        final = [status.value for status in JobStatus if status.is_terminal]
        row = (
            self._db()
            .execute(f"SELECT 1 FROM jobs WHERE status NOT IN ({', '.join('?' * len(final))}) LIMIT 1", final)
            .fetchone()
        )
        return row is not None

    def job(self, connection_id: str, job_id: str) -> StoredJob | None:
        """One stored job, or None."""
        row = (
            self._db()
            .execute(
                "SELECT connection_id, connection_name, raw, total_steps, updated_at, finalized FROM jobs "
                "WHERE connection_id = ? AND job_id = ?",
                (connection_id, job_id),
            )
            .fetchone()
        )
        return _stored_job(row) if row else None

    def set_finalized(self, connection_id: str, job_id: str, finalized: bool = True) -> None:
        """Mark a finished job whose last events, checkpoints and result files are all stored."""
        with self._write() as db:
            db.execute(
                "UPDATE jobs SET finalized = ? WHERE connection_id = ? AND job_id = ?",
                (int(finalized), connection_id, job_id),
            )

    # ---- events and metric points ------------------------------------------------------------------------

    def add_events(self, connection_id: str, job_id: str, events: Iterable[JobEvent]) -> int:
        """Store new events and the metric points of ``metrics`` events, in one transaction.

        Events already stored are skipped. Returns how many were new.
        """
        added = 0
        total_steps: int | None = None
        with self._write() as db:
            for event in events:
                cursor = db.execute(
                    "INSERT OR IGNORE INTO events (connection_id, job_id, event_id, created_at, level, type, "
                    "message, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        connection_id,
                        job_id,
                        event.id,
                        event.created_at,
                        event.level,
                        event.type,
                        event.message,
                        json.dumps(event.data),
                    ),
                )
                if cursor.rowcount != 1:
                    continue
                added += 1
                if event.type != "metrics" or not event.data:
                    continue
                step, total, values = metric_rows(event.data)
                if total is not None:
                    total_steps = total
                if step is None:
                    continue
                db.executemany(
                    "INSERT OR IGNORE INTO metrics (connection_id, job_id, source, name, step, value) "
                    "VALUES (?, ?, ?, ?, ?, ?)",
                    [(connection_id, job_id, SOURCE_EVENTS, name, step, value) for name, value in values],
                )
            if total_steps is not None:
                db.execute(
                    "UPDATE jobs SET total_steps = ? WHERE connection_id = ? AND job_id = ?",
                    (total_steps, connection_id, job_id),
                )
        return added

    def event_feed(self, connection_id: str, job_id: str) -> EventFeed:
        """An :class:`EventFeed` that knows every stored event, so the next poll fetches only new ones."""
        db = self._db()
        feed = EventFeed(job_id)
        feed.seen = {
            row[0]
            for row in db.execute(
                "SELECT event_id FROM events WHERE connection_id = ? AND job_id = ?", (connection_id, job_id)
            )
        }
        newest = db.execute(
            "SELECT event_id FROM events WHERE connection_id = ? AND job_id = ? "
            "ORDER BY created_at DESC, seq DESC LIMIT 1",
            (connection_id, job_id),
        ).fetchone()
        feed.newest_id = newest[0] if newest else None
        order = db.execute(
            "SELECT events_ascending FROM jobs WHERE connection_id = ? AND job_id = ?",
            (connection_id, job_id),
        ).fetchone()
        if order and order[0] is not None:
            feed.ascending = bool(order[0])
        return feed

    def save_feed_order(self, connection_id: str, job_id: str, ascending: bool | None) -> None:
        """Remember the order the service lists this job's events in (detected on the first poll)."""
        if ascending is None:
            return
        with self._write() as db:
            db.execute(
                "UPDATE jobs SET events_ascending = ? WHERE connection_id = ? AND job_id = ?",
                (int(ascending), connection_id, job_id),
            )

    def events(
        self,
        connection_id: str,
        job_id: str,
        *,
        after_seq: int = 0,
        search: str = "",
        newest_first: bool = True,
    ) -> list[StoredEvent]:
        """Stored events (``after_seq`` for only newer inserts; ``search`` matches message or type)."""
        query = (
            "SELECT seq, event_id, created_at, level, message, type, data FROM events "
            "WHERE connection_id = ? AND job_id = ? AND seq > ?"
        )
        args: list[Any] = [connection_id, job_id, after_seq]
        if search:
            query += " AND (instr(lower(message), ?) > 0 OR instr(lower(type), ?) > 0)"
            args += [search.lower(), search.lower()]
        query += " ORDER BY created_at DESC, seq DESC" if newest_first else " ORDER BY created_at, seq"
        return [
            StoredEvent(row[0], JobEvent(row[1], row[2], row[3], row[4], row[5], _json_dict(row[6])))
            for row in self._db().execute(query, args)
        ]

    def metric_points(
        self, connection_id: str, job_id: str, *, after_seq: int = 0, source: str | None = None
    ) -> list[MetricPoint]:
        """Metric points inserted after ``after_seq`` (0: all), in insertion order."""
        query = (
            "SELECT seq, source, name, step, value FROM metrics "
            "WHERE connection_id = ? AND job_id = ? AND seq > ?"
        )
        args: list[Any] = [connection_id, job_id, after_seq]
        if source:
            query += " AND source = ?"
            args.append(source)
        query += " ORDER BY seq"
        return [MetricPoint(*row) for row in self._db().execute(query, args)]

    def metric_columns(self, connection_id: str, job_id: str, *, after_seq: int = 0) -> MetricColumns:
        """Points inserted after ``after_seq``, grouped per (source, name) in step order (for charts)."""
        db = self._db()
        last = db.execute(
            "SELECT MAX(seq) FROM metrics WHERE connection_id = ? AND job_id = ? AND seq > ?",
            (connection_id, job_id, after_seq),
        ).fetchone()[0]
        series: dict[tuple[str, str], tuple[list[int], list[float]]] = {}
        if last is None:
            return MetricColumns(after_seq, series)
        rows = db.execute(
            "SELECT source, name, step, value FROM metrics WHERE connection_id = ? AND job_id = ? "
            "AND seq > ? AND seq <= ? ORDER BY source, name, step",
            (connection_id, job_id, after_seq, last),
        )
        current: tuple[str, str] | None = None
        steps: list[int] = []
        values: list[float] = []
        for source, name, step, value in rows:
            if (source, name) != current:
                current = (source, name)
                steps, values = series.setdefault(current, ([], []))
            steps.append(step)
            values.append(value)
        return MetricColumns(int(last), series)

    def metric_set(self, connection_id: str, job_id: str, source: str = SOURCE_EVENTS) -> MetricSet:
        """A job's stored series from one source (events or results.csv)."""
        result = MetricSet()
        for point in self.metric_points(connection_id, job_id, source=source):
            result.add(point.name, point.step, point.value)
        stored = self.job(connection_id, job_id)
        result.total_steps = stored.total_steps if stored else None
        return result

    def add_metric_points(
        self, connection_id: str, job_id: str, points: Iterable[tuple[str, int, float]], source: str
    ) -> int:
        """Store metric points directly (benchmarks, imports); returns how many were new."""
        with self._write() as db:
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO metrics (connection_id, job_id, source, name, step, value) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [
                    (connection_id, job_id, source, name, int(step), float(value))
                    for name, step, value in points
                ],
            )
            return db.total_changes - before

    # ---- checkpoints and result files ------------------------------------------------------------------

    def save_checkpoints(self, connection_id: str, job_id: str, checkpoints: Sequence[Checkpoint]) -> None:
        """Store the job's checkpoints (kept after the service drops old ones)."""
        with self._write() as db:
            db.executemany(
                "INSERT INTO checkpoints (connection_id, job_id, checkpoint_id, step, model, metrics, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
                "ON CONFLICT (connection_id, job_id, checkpoint_id) DO UPDATE SET "
                "step = excluded.step, model = excluded.model, metrics = excluded.metrics",
                [
                    (connection_id, job_id, c.id, c.step, c.model, json.dumps(c.metrics), c.created_at)
                    for c in checkpoints
                ],
            )
            models = [
                row[0]
                for row in db.execute(
                    "SELECT model FROM checkpoints WHERE connection_id = ? AND job_id = ? ORDER BY step",
                    (connection_id, job_id),
                )
            ]
            db.execute(
                "UPDATE provenance SET checkpoints = ? WHERE job_id = ? AND connection_id = ?",
                (json.dumps(models), job_id, connection_id),
            )

    def checkpoints(self, connection_id: str, job_id: str) -> list[Checkpoint]:
        """Stored checkpoints by step."""
        rows = self._db().execute(
            "SELECT checkpoint_id, step, model, metrics, created_at FROM checkpoints "
            "WHERE connection_id = ? AND job_id = ? ORDER BY step",
            (connection_id, job_id),
        )
        return [
            Checkpoint(row[0], row[1], row[2], {k: float(v) for k, v in _json_dict(row[3]).items()}, row[4])
            for row in rows
        ]

    def save_result_file(self, connection_id: str, job_id: str, file_id: str, content: bytes) -> int:
        """Keep a result file's bytes and its parsed metrics (by the CSV's header); returns points added."""
        parsed = metrics_from_results_csv(content)
        points = [
            (name, step, value) for name, s in parsed.series.items() for step, value in s.points.items()
        ]
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO result_files (connection_id, job_id, file_id, content, fetched_at) "
                "VALUES (?, ?, ?, ?, ?)",
                (connection_id, job_id, file_id, content, time.time()),
            )
            before = db.total_changes
            db.executemany(
                "INSERT OR IGNORE INTO metrics (connection_id, job_id, source, name, step, value) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [(connection_id, job_id, SOURCE_RESULTS, name, step, value) for name, step, value in points],
            )
            return db.total_changes - before

    def result_files(self, connection_id: str, job_id: str) -> dict[str, bytes]:
        """The stored result files' bytes by file id."""
        rows = self._db().execute(
            "SELECT file_id, content FROM result_files WHERE connection_id = ? AND job_id = ? "
            "ORDER BY file_id",
            (connection_id, job_id),
        )
        return {row[0]: bytes(row[1]) for row in rows}

    # ---- provenance --------------------------------------------------------------------------------------

    def record_provenance(
        self,
        job_id: str,
        *,
        connection_id: str,
        request_body: dict[str, Any],
        dataset_path: str = "",
        dataset_sha256: str = "",
        uploaded_sha256: str = "",
        training_file_id: str = "",
        validation_path: str = "",
        validation_sha256: str = "",
        validation_uploaded_sha256: str = "",
        validation_file_id: str = "",
        extra: dict[str, Any] | None = None,
    ) -> Provenance:
        """Record how a submitted job was made (the wizard calls this right after creating the job).

        ``request_body`` is the exact body sent (it holds no secret). Recording again replaces the entry but
        keeps the resulting model and checkpoints already known.
        """
        body = json.dumps(request_body, sort_keys=True)
        with self._write() as db:
            db.execute(
                "INSERT INTO provenance (job_id, connection_id, dataset_path, dataset_sha256, "
                "uploaded_sha256, training_file_id, validation_path, validation_sha256, "
                "validation_uploaded_sha256, "
                "validation_file_id, request_body, recorded_at, extra) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (job_id) DO UPDATE SET "
                "connection_id = excluded.connection_id, dataset_path = excluded.dataset_path, "
                "dataset_sha256 = excluded.dataset_sha256, uploaded_sha256 = excluded.uploaded_sha256, "
                "training_file_id = excluded.training_file_id, validation_path = excluded.validation_path, "
                "validation_sha256 = excluded.validation_sha256, "
                "validation_uploaded_sha256 = excluded.validation_uploaded_sha256, "
                "validation_file_id = excluded.validation_file_id, request_body = excluded.request_body, "
                "recorded_at = excluded.recorded_at, extra = excluded.extra",
                (
                    job_id,
                    connection_id,
                    dataset_path,
                    dataset_sha256,
                    uploaded_sha256,
                    training_file_id,
                    validation_path,
                    validation_sha256,
                    validation_uploaded_sha256,
                    validation_file_id,
                    body,
                    time.time(),
                    json.dumps(extra or {}, sort_keys=True),
                ),
            )
            # The job may already be synced (the wizard records after creating it): copy what is known.
            row = db.execute(
                "SELECT fine_tuned_model FROM jobs WHERE connection_id = ? AND job_id = ?",
                (connection_id, job_id),
            ).fetchone()
            if row and row[0]:
                db.execute("UPDATE provenance SET fine_tuned_model = ? WHERE job_id = ?", (row[0], job_id))
        found = self.provenance(job_id)
        assert found is not None
        return found

    def provenance(self, job_id: str) -> Provenance | None:
        """The recorded provenance of a job, or None (jobs not created by this app have none)."""
        row = (
            self._db()
            .execute(
                "SELECT job_id, connection_id, request_body, dataset_path, dataset_sha256, uploaded_sha256, "
                "training_file_id, validation_path, validation_sha256, validation_uploaded_sha256, "
                "validation_file_id, recorded_at, fine_tuned_model, checkpoints, extra "
                "FROM provenance WHERE job_id = ?",
                (job_id,),
            )
            .fetchone()
        )
        if row is None:
            return None
        checkpoints = json.loads(row[13]) if row[13] else []
        return Provenance(
            job_id=row[0],
            connection_id=row[1],
            request_body=_json_dict(row[2]),
            dataset_path=row[3],
            dataset_sha256=row[4],
            uploaded_sha256=row[5],
            training_file_id=row[6],
            validation_path=row[7],
            validation_sha256=row[8],
            validation_uploaded_sha256=row[9],
            validation_file_id=row[10],
            recorded_at=row[11],
            fine_tuned_model=row[12],
            checkpoints=tuple(str(c) for c in checkpoints if c),
            extra=_json_dict(row[14]),
        )

    # ---- evaluations -------------------------------------------------------------------------------------

    def save_evaluation(
        self,
        evaluation_id: str,
        *,
        connection_id: str,
        job_id: str,
        model_a: str,
        model_b: str,
        created_at: float,
        summary: dict[str, Any],
        data: dict[str, Any],
    ) -> None:
        """Keep (or replace) a blind evaluation with its run (see :mod:`dpo_studio.services.evaluation`)."""
        with self._write() as db:
            db.execute(
                "INSERT OR REPLACE INTO evaluations (evaluation_id, connection_id, job_id, created_at, "
                "model_a, model_b, summary, data, saved_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    evaluation_id,
                    connection_id,
                    job_id,
                    created_at,
                    model_a,
                    model_b,
                    json.dumps(summary),
                    json.dumps(data),
                    time.time(),
                ),
            )

    def evaluations(self, *, job_id: str | None = None) -> list[StoredEvaluation]:
        """Saved evaluations, newest first (of one run, or all)."""
        query = (
            "SELECT evaluation_id, connection_id, job_id, created_at, model_a, model_b, summary, data "
            "FROM evaluations"
            + (" WHERE job_id = ?" if job_id is not None else "")
            + " ORDER BY created_at DESC"
        )
        rows = self._db().execute(query, (job_id,) if job_id is not None else ())
        return [
            StoredEvaluation(
                evaluation_id=row[0],
                connection_id=row[1],
                job_id=row[2],
                created_at=row[3],
                model_a=row[4],
                model_b=row[5],
                summary=_json_dict(row[6]),
                data=_json_dict(row[7]),
            )
            for row in rows
        ]

    def jobs_for_dataset(self, dataset_sha256: str) -> list[Provenance]:
        """Every recorded job trained on a dataset with this content hash (oldest first)."""
        rows = self._db().execute(
            "SELECT job_id FROM provenance WHERE dataset_sha256 = ? ORDER BY recorded_at", (dataset_sha256,)
        )
        found = [self.provenance(row[0]) for row in rows.fetchall()]
        return [p for p in found if p is not None]


def _statements(script: str) -> list[str]:
    return [part.strip() for part in script.split(";") if part.strip()]


def _status(text: str) -> JobStatus:
    try:
        return JobStatus(text)
    except ValueError:
        return JobStatus.UNKNOWN


def _json_dict(text: str | bytes | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _job_dict(job: Job) -> dict[str, Any]:
    """A plain dict from which :meth:`Job.from_sdk` rebuilds the job (when ``raw`` is empty)."""
    return {
        "id": job.id,
        "status": job.status.raw or job.state.value,
        "model": job.model,
        "created_at": job.created_at,
        "fine_tuned_model": job.fine_tuned_model,
        "finished_at": job.finished_at,
        "estimated_finish": job.estimated_finish,
        "training_file": job.training_file,
        "validation_file": job.validation_file,
        "result_files": list(job.result_files),
        "trained_tokens": job.trained_tokens,
        "suffix": job.suffix,
        "seed": job.seed,
        "method": job.method,
        "metadata": job.metadata,
        **({"error": {"code": job.error_code, "message": job.error_message}} if job.error_message else {}),
    }


def _stored_job(row: Sequence[Any]) -> StoredJob:
    return StoredJob(
        connection_id=row[0],
        connection_name=row[1] or "",
        job=Job.from_sdk(_json_dict(row[2])),
        total_steps=row[3],
        updated_at=row[4] or 0.0,
        finalized=bool(row[5]),
    )


_store: HistoryStore | None = None
_store_lock = threading.Lock()


def history(factory: Callable[[], HistoryStore] = HistoryStore) -> HistoryStore:
    """The application's history store (opened on first use under the current data folder)."""
    global _store
    with _store_lock:
        expected = paths.data_dir() / FILE_NAME
        if _store is None or _store.path != expected or _store._closed:
            _store = factory()
        return _store
