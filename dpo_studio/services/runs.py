"""Keep the run history in step with every connection: list jobs, fetch only new events, derive metrics.

:class:`RunSync` is blocking (call it off the GUI thread). One :meth:`RunSync.sync` pass lists each
connection's jobs, polls the events of every job not yet finished from the last stored event (only what is
new), stores them with their metric points, checkpoints and — once a job ends — its result files. It never
raises: a dropped connection, a 429 or a refused key is recorded for that connection and retried after a
bounded back-off, and :attr:`SyncReport.next_delay` tells the caller when the next pass is worth making
(sooner while jobs move, later when nothing changes).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from dpo_studio.core.errors import UserError
from dpo_studio.core.pricing import PriceTable
from dpo_studio.services.connections import ConnectionProfile, ConnectionStore, ProviderKind
from dpo_studio.services.history import (
    HistoryStore,
    MetricColumns,
    Provenance,
    StatusChange,
    StoredEvent,
    StoredJob,
)
from dpo_studio.services.providers import Checkpoint, EventFeed, FineTuningProvider, Job, open_provider

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SyncOptions:
    """Polling rhythm; tests make it small."""

    job_limit: int = 100  # newest jobs listed per connection and pass
    active_interval: float = 5.0  # seconds between passes while jobs move
    idle_max: float = 60.0  # longest wait while jobs run but nothing changes
    quiet_interval: float = 300.0  # wait when no job runs anywhere
    error_base: float = 5.0  # first retry after an error; doubles per further error
    error_max: float = 300.0


@dataclass
class ConnectionOutcome:
    """What one pass did for one connection."""

    connection_id: str
    name: str
    jobs: int = 0
    new_events: int = 0
    error: str = ""
    retry_in: float | None = None
    skipped: bool = False  # still backing off after an earlier error


@dataclass
class SyncReport:
    """The result of one pass."""

    outcomes: list[ConnectionOutcome] = field(default_factory=list)
    changes: list[StatusChange] = field(default_factory=list)
    new_events: int = 0
    active: bool = False  # some job is not finished yet
    next_delay: float = 0.0

    @property
    def errors(self) -> dict[str, str]:
        """Connection id → the user-facing message of its failure in this pass."""
        return {o.connection_id: o.error for o in self.outcomes if o.error}

    @property
    def finished(self) -> list[StatusChange]:
        """Jobs seen reaching a final state in this pass (after having been seen unfinished)."""
        return [c for c in self.changes if c.job.state.is_terminal and c.before is not None]


@dataclass
class _Backoff:
    failures: int = 0
    not_before: float = 0.0


ProviderFactory = Callable[[ConnectionProfile], FineTuningProvider]


def _default_profiles() -> list[ConnectionProfile]:
    return ConnectionStore().list()


class RunSync:
    """Synchronises the history store with the connections' fine-tuning jobs."""

    def __init__(
        self,
        store: HistoryStore,
        *,
        profiles: Callable[[], list[ConnectionProfile]] = _default_profiles,
        provider_factory: ProviderFactory = open_provider,
        options: SyncOptions | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.store = store
        self.options = options or SyncOptions()
        self._profiles = profiles
        self._factory = provider_factory
        self._clock = clock
        self._providers: dict[str, tuple[ConnectionProfile, FineTuningProvider]] = {}
        self._feeds: dict[tuple[str, str], EventFeed] = {}
        self._backoff: dict[str, _Backoff] = {}
        self._idle_passes = 0
        self._lock = threading.RLock()  # one pass at a time; actions may run alongside

    # ---- providers ---------------------------------------------------------------------------------------

    def profiles(self) -> list[ConnectionProfile]:
        """The saved connections (reads the settings file)."""
        return self._profiles()

    def provider(self, connection_id: str) -> FineTuningProvider:
        """The provider of a saved connection (opened once; reopened when the profile changed)."""
        profile = next((p for p in self._profiles() if p.id == connection_id), None)
        if profile is None:
            raise UserError(
                "The connection of this run no longer exists.",
                "Its history stays readable; add the connection again to control the run.",
            )
        with self._lock:
            cached = self._providers.get(connection_id)
            if cached is not None and cached[0] == profile:
                return cached[1]
        provider = self._factory(profile)
        with self._lock:
            self._providers[connection_id] = (profile, provider)
        return provider

    def forget_provider(self, connection_id: str) -> None:
        """Drop the cached provider (after the key or profile changed)."""
        with self._lock:
            self._providers.pop(connection_id, None)

    # ---- one pass ------------------------------------------------------------------------------------------

    def sync(self, *, force: bool = False, connection_ids: set[str] | None = None) -> SyncReport:
        """One pass over every connection (or ``connection_ids``). Never raises.

        ``force`` ignores the back-off of connections that failed recently (the user pressed Refresh).
        """
        with self._lock:
            report = SyncReport()
            try:
                profiles = self._profiles()
            except Exception as error:  # an unreadable settings file must not stop the poller
                log.warning("cannot read the connections: %s", error)
                profiles = []
            now = self._clock()
            for profile in profiles:
                if connection_ids is not None and profile.id not in connection_ids:
                    continue
                outcome = ConnectionOutcome(profile.id, profile.name)
                report.outcomes.append(outcome)
                backoff = self._backoff.get(profile.id)
                if backoff and not force and now < backoff.not_before:
                    outcome.skipped = True
                    outcome.retry_in = backoff.not_before - now
                    continue
                try:
                    self.store.upsert_connection(profile.id, profile.name, profile.kind)
                    self._sync_connection(profile, outcome, report)
                except Exception as error:  # recorded per connection; the others still sync
                    self._failed(profile.id, error, outcome)
                else:
                    self._backoff.pop(profile.id, None)
                    self._record(profile.id, "")
            report.active = any(not s.job.state.is_terminal for s in self._stored_jobs(profiles))
            report.next_delay = self._next_delay(report)
            return report

    def _stored_jobs(self, profiles: list[ConnectionProfile]) -> list[StoredJob]:
        ids = {p.id for p in profiles}
        try:
            return [s for s in self.store.jobs() if s.connection_id in ids]
        except UserError:
            return []

    def _sync_connection(
        self, profile: ConnectionProfile, outcome: ConnectionOutcome, report: SyncReport
    ) -> None:
        provider = self.provider(profile.id)
        jobs = provider.list_jobs(limit=self.options.job_limit)
        outcome.jobs = len(jobs)
        changes = self.store.upsert_jobs(profile.id, jobs)
        report.changes.extend(changes)
        stored = {s.job.id: s for s in self.store.jobs(profile.id)}
        for job in jobs:
            entry = stored.get(job.id)
            if entry is not None and entry.finalized and job.state.is_terminal:
                continue
            added = self._sync_details(profile.id, provider, job)
            outcome.new_events += added
            report.new_events += added

    def _sync_details(self, connection_id: str, provider: FineTuningProvider, job: Job) -> int:
        """New events, then checkpoints when something moved, then result files once the job ended."""
        key = (connection_id, job.id)
        feed = self._feeds.get(key)
        if feed is None:
            feed = self.store.event_feed(connection_id, job.id)
            self._feeds[key] = feed
        known_order = feed.ascending
        try:
            fresh = provider.poll_events(feed)
        except BaseException:
            # The feed may have marked events seen that were never stored: read it again from the store.
            self._feeds.pop(key, None)
            raise
        added = self.store.add_events(connection_id, job.id, fresh)
        if feed.ascending is not None and feed.ascending != known_order:
            self.store.save_feed_order(connection_id, job.id, feed.ascending)
        if added or job.state.is_terminal:
            self.store.save_checkpoints(connection_id, job.id, provider.list_checkpoints(job.id))
        if job.state.is_terminal:
            have = self.store.result_files(connection_id, job.id)
            for file_id in job.result_files:
                if file_id not in have:
                    self.store.save_result_file(
                        connection_id, job.id, file_id, provider.file_content(file_id)
                    )
            self.store.set_finalized(connection_id, job.id)
            self._feeds.pop(key, None)
        return added

    def _failed(self, connection_id: str, error: BaseException, outcome: ConnectionOutcome) -> None:
        message = _message(error)
        if not isinstance(error, UserError):
            log.exception("unexpected failure while syncing a connection", exc_info=error)
        backoff = self._backoff.setdefault(connection_id, _Backoff())
        backoff.failures += 1
        delay = min(self.options.error_max, self.options.error_base * 2.0 ** (backoff.failures - 1))
        retry_after = getattr(error, "retry_after", None)
        if isinstance(retry_after, (int, float)) and retry_after > delay:
            delay = min(float(retry_after), self.options.error_max)
        backoff.not_before = self._clock() + delay
        outcome.error = message
        outcome.retry_in = delay
        self._record(connection_id, message)

    def _record(self, connection_id: str, error: str) -> None:
        try:
            self.store.record_sync(connection_id, error)
        except Exception as failure:  # the history itself failing is logged, not fatal
            log.warning("cannot record the sync outcome: %s", failure)

    def _next_delay(self, report: SyncReport) -> float:
        options = self.options
        if report.changes or report.new_events:
            self._idle_passes = 0
        else:
            self._idle_passes += 1
        if report.active:
            delay = min(options.idle_max, options.active_interval * 2.0 ** max(0, self._idle_passes - 1))
        else:
            delay = options.quiet_interval
        now = self._clock()
        waits = [b.not_before - now for b in self._backoff.values() if b.not_before > now]
        if waits:
            delay = min(delay, max(min(waits), options.active_interval / 5))
        return delay

    # ---- one job -------------------------------------------------------------------------------------

    def sync_job(self, connection_id: str, job_id: str) -> list[StatusChange]:
        """Refresh one job now (after an action or when its view opens). Raises user errors."""
        provider = self.provider(connection_id)
        job = provider.retrieve_job(job_id)
        with self._lock:
            changes = self.store.upsert_jobs(connection_id, [job])
            self._sync_details(connection_id, provider, job)
        return changes

    def cancel(self, connection_id: str, job_id: str) -> Job:
        """Cancel the job at the provider and store its new state."""
        return self._act(connection_id, job_id, "cancel")

    def pause(self, connection_id: str, job_id: str) -> Job:
        """Pause the job at the provider and store its new state."""
        return self._act(connection_id, job_id, "pause")

    def resume(self, connection_id: str, job_id: str) -> Job:
        """Resume the job at the provider and store its new state."""
        return self._act(connection_id, job_id, "resume")

    def _act(self, connection_id: str, job_id: str, action: str) -> Job:
        provider = self.provider(connection_id)
        call = {"cancel": provider.cancel_job, "pause": provider.pause_job, "resume": provider.resume_job}
        job = call[action](job_id)
        self.store.upsert_jobs(connection_id, [job])
        self.store.set_finalized(connection_id, job_id, False)
        self._idle_passes = 0
        return job

    def result_file(self, connection_id: str, job_id: str, file_id: str) -> bytes:
        """A result file's bytes: from the history when stored, else downloaded and stored."""
        stored = self.store.result_files(connection_id, job_id)
        if file_id in stored:
            return stored[file_id]
        content = self.provider(connection_id).file_content(file_id)
        self.store.save_result_file(connection_id, job_id, file_id, content)
        return content


def _message(error: BaseException) -> str:
    if isinstance(error, UserError):
        return f"{error.message} {error.hint}".strip()
    return f"Unexpected error: {type(error).__name__}: {error}"


# ---- figures for the runs list ----------------------------------------------------------------------------

_PRICE_PROVIDER = {
    ProviderKind.OPENAI: "openai",
    ProviderKind.AZURE_OPENAI: "azure",
    ProviderKind.FOUNDRY_PROJECT: "foundry",
    ProviderKind.CUSTOM: "openai",
}


def price_provider(kind: str) -> str:
    """The price table's provider name for a connection kind."""
    try:
        return _PRICE_PROVIDER[ProviderKind(kind)]
    except ValueError:
        return "openai"


def estimated_cost(job: Job, kind: str, table: PriceTable) -> float | None:
    """Trained tokens × the model's training price (``None`` until tokens are known or without a price).

    ``trained_tokens`` already counts every epoch. Azure reports the tier as ``trainingType``.
    """
    if not job.trained_tokens:
        return None
    tier = job.raw.get("trainingType") or job.raw.get("training_type")
    provider = price_provider(kind)
    price = table.find(provider, job.model, str(tier) if tier else None)
    if price is None and tier:
        price = table.find(provider, job.model)
    if price is None or price.per_million is None:
        return None
    return job.trained_tokens * price.per_million / 1_000_000


def duration_seconds(job: Job, now: float | None = None) -> float | None:
    """Seconds from creation to the end (or to now while it runs); None without a creation time."""
    if job.created_at is None:
        return None
    end = job.finished_at
    if end is None:
        if job.state.is_terminal:
            return None
        end = int(now if now is not None else time.time())
    return max(0.0, float(end - job.created_at))


# ---- what the Runs tab reads (off the GUI thread) ---------------------------------------------------------


@dataclass(frozen=True)
class RunListEntry:
    """A stored run with the figures the list shows."""

    stored: StoredJob
    kind: str
    cost: float | None


def list_runs(store: HistoryStore, table: PriceTable | None = None) -> list[RunListEntry]:
    """Every stored run (all connections, newest first) with its connection kind and estimated cost."""
    kinds = {c.connection_id: c.kind for c in store.connections()}
    entries = []
    for stored in store.jobs():
        kind = kinds.get(stored.connection_id, "")
        cost = estimated_cost(stored.job, kind, table) if table is not None else None
        entries.append(RunListEntry(stored, kind, cost))
    return entries


@dataclass(frozen=True)
class RunDelta:
    """What a run view needs that it does not have yet (everything, the first time).

    ``after_point``/``after_event`` are the cursors it was read from; ``metrics.last_seq`` and
    :attr:`last_event_seq` are the next ones.
    """

    connection_id: str
    job_id: str
    after_point: int
    after_event: int
    stored: StoredJob | None
    metrics: MetricColumns
    events: list[StoredEvent]
    checkpoints: list[Checkpoint]
    provenance: Provenance | None
    result_files: list[str]

    @property
    def last_event_seq(self) -> int:
        """The cursor for the next delta's events."""
        return max((e.seq for e in self.events), default=0)


def load_run_delta(
    store: HistoryStore, connection_id: str, job_id: str, *, after_point: int = 0, after_event: int = 0
) -> RunDelta:
    """Read a run's stored state, with only the metric points and events newer than the cursors."""
    return RunDelta(
        connection_id=connection_id,
        job_id=job_id,
        after_point=after_point,
        after_event=after_event,
        stored=store.job(connection_id, job_id),
        metrics=store.metric_columns(connection_id, job_id, after_seq=after_point),
        events=store.events(connection_id, job_id, after_seq=after_event),
        checkpoints=store.checkpoints(connection_id, job_id),
        provenance=store.provenance(job_id),
        result_files=list(store.result_files(connection_id, job_id)),
    )
