"""The run sync service against the local API server through the real openai SDK, in both API styles.

Connections are saved profiles with their key in a (test) keyring, exactly as the app reads them.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from dpo_studio.core.pricing import Price, PriceTable
from dpo_studio.services.connections import ConnectionProfile, ConnectionStore, ProviderKind, new_profile
from dpo_studio.services.credentials import credential_store
from dpo_studio.services.history import SOURCE_RESULTS, HistoryStore
from dpo_studio.services.providers import (
    DpoHyperparameters,
    DpoJobRequest,
    FineTuningProvider,
    Job,
    ProviderOptions,
    TrainingType,
    open_provider,
)
from dpo_studio.services.runs import RunSync, SyncOptions, duration_seconds, estimated_cost
from dpo_studio.services.status import JobStatus
from tests.apiserver.server import ApiServer
from tests.test_providers import write_dataset

FAST = ProviderOptions(poll_interval=0.01, max_retries=1, timeout=10.0, page_size=100)
QUICK = SyncOptions(active_interval=1.0, idle_max=8.0, quiet_interval=60.0, error_base=2.0, error_max=30.0)


class Clock:
    """A clock the test moves by hand (back-off decisions without waiting)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def connect(server: ApiServer, name: str = "Local server") -> ConnectionProfile:
    """Save a connection to ``server`` with its key in the keyring, as the Connections dialog does."""
    kind = ProviderKind.CUSTOM if server.style == "openai" else ProviderKind.AZURE_OPENAI
    profile = new_profile(name, kind, server.base_url)
    ConnectionStore().save(profile)
    credential_store().set_secret(profile.id, server.api_key)
    return profile


def fast_provider(profile: ConnectionProfile) -> FineTuningProvider:
    """The app's provider for a saved profile (key from the keyring), with test-sized timeouts."""
    return open_provider(profile, options=FAST, sleep=lambda _s: None)


def start_job(server: ApiServer, profile: ConnectionProfile, folder: Path, *, examples: int = 20) -> str:
    """Upload a training and a validation file and create a DPO job; returns its id."""
    provider = fast_provider(profile)
    train = provider.upload_training_file(write_dataset(folder, examples, "train.jsonl"))
    valid = provider.upload_training_file(write_dataset(folder, 10, "valid.jsonl"))
    azure = provider.traits.supports_training_type
    request = DpoJobRequest(
        model="gpt-4.1-mini-2025-04-14",
        training_file=train.id,
        validation_file=valid.id,
        hyperparameters=DpoHyperparameters(n_epochs=2, l2_multiplier=0.1 if azure else None),
        suffix="runs-test",
        training_type=TrainingType.GLOBAL_STANDARD if azure else None,
    )
    return provider.create_dpo_job(request).id


def make_sync(store: HistoryStore, clock: Callable[[], float] | None = None) -> RunSync:
    return RunSync(store, provider_factory=fast_provider, options=QUICK, clock=clock or Clock())


@pytest.fixture(params=["openai", "azure"])
def server(request: pytest.FixtureRequest, memory_keyring: object) -> ApiServer:
    """Each test runs against both API styles, with an in-memory keyring holding the keys."""
    fixture = "api_server" if request.param == "openai" else "azure_api_server"
    return request.getfixturevalue(fixture)  # type: ignore[no-any-return]


@pytest.fixture
def store(tmp_path: Path) -> HistoryStore:
    return HistoryStore(tmp_path / "history.sqlite3")


def event_requests(server: ApiServer, job_id: str) -> list[dict[str, str]]:
    """The query of each events request for the job (first value of each parameter)."""
    return [
        {key: values[0] for key, values in r.query.items()}
        for r in server.requests_to("GET", rf"/fine_tuning/jobs/{job_id}/events$")
    ]


def test_a_job_is_followed_from_queued_to_succeeded(
    server: ApiServer, store: HistoryStore, tmp_path: Path
) -> None:
    profile = connect(server)
    job_id = start_job(server, profile, tmp_path)
    sync = make_sync(store)

    first = sync.sync()
    assert first.errors == {} and first.active
    assert [(c.job.id, c.before) for c in first.changes] == [(job_id, None)]
    stored = store.job(profile.id, job_id)
    assert stored is not None and stored.connection_name == "Local server"
    assert stored.job.state in (JobStatus.VALIDATING, JobStatus.QUEUED)

    counts: list[int] = []
    states: set[JobStatus] = set()
    for _ in range(60):
        server.advance(job_id, steps=1)
        report = sync.sync()
        assert report.errors == {}
        stored = store.job(profile.id, job_id)
        assert stored is not None
        states.add(stored.job.state)
        series = store.metric_set(profile.id, job_id).series
        counts.append(len(series["train_loss"]) if "train_loss" in series else 0)
        if stored.job.state is JobStatus.SUCCEEDED:
            break
    assert stored.job.state is JobStatus.SUCCEEDED
    assert {JobStatus.RUNNING, JobStatus.SUCCEEDED} <= states
    assert report.finished and report.finished[0].job.id == job_id
    assert counts == sorted(counts) and counts[-1] > counts[len(counts) // 2] > 0  # the series grew
    assert stored.total_steps == counts[-1]

    metrics = store.metric_set(profile.id, job_id)
    assert {"train_loss", "valid_loss", "train_mean_token_accuracy"} <= set(metrics.series)
    provider = fast_provider(profile)
    every_event = provider.all_events(job_id)
    assert len(store.events(profile.id, job_id)) == len(every_event)  # each event stored exactly once
    assert {c.id for c in store.checkpoints(profile.id, job_id)} == {
        c.id for c in provider.list_checkpoints(job_id)
    }
    assert set(store.result_files(profile.id, job_id)) == set(provider.retrieve_job(job_id).result_files)
    assert store.metric_set(profile.id, job_id, SOURCE_RESULTS).series["train_loss"]
    assert stored.finalized and stored.job.fine_tuned_model

    # a finished, fully stored job is not polled again
    before = len(event_requests(server, job_id))
    again = sync.sync()
    assert len(event_requests(server, job_id)) == before
    assert not again.active and again.next_delay == QUICK.quiet_interval


def test_after_a_restart_only_new_events_are_fetched(server: ApiServer, tmp_path: Path) -> None:
    profile = connect(server)
    job_id = start_job(server, profile, tmp_path)
    path = tmp_path / "history.sqlite3"
    server.advance(job_id, steps=12)
    first_store = HistoryStore(path)
    make_sync(first_store).sync()
    stored_before = {e.event.id for e in first_store.events(profile.id, job_id)}
    newest = first_store.event_feed(profile.id, job_id).newest_id
    first_store.close()

    server.advance(job_id, steps=6)
    requests_before = len(event_requests(server, job_id))
    store = HistoryStore(path)  # "the app restarted": a new store and a new service on the same file
    report = make_sync(store).sync()
    assert report.errors == {} and report.new_events > 0
    fetched = event_requests(server, job_id)[requests_before:]
    if server.style == "azure":
        assert fetched[0].get("after") == newest  # oldest-first list: continue after the newest stored event
    else:
        assert len(fetched) == 1 and "after" not in fetched[0]  # newest-first: one page down to a known event
    ids = [e.event.id for e in store.events(profile.id, job_id)]
    assert len(ids) == len(set(ids)) and stored_before < set(ids)
    assert ids[::-1] == [e.id for e in fast_provider(profile).all_events(job_id)]


def test_pause_resume_and_cancel_change_the_state_on_the_server(
    server: ApiServer, store: HistoryStore, tmp_path: Path
) -> None:
    profile = connect(server)
    job_id = start_job(server, profile, tmp_path)
    sync = make_sync(store)
    server.advance(job_id, steps=5)
    sync.sync()
    assert store.job(profile.id, job_id).job.state.can_pause  # type: ignore[union-attr]

    paused = sync.pause(profile.id, job_id)
    assert paused.state in (JobStatus.PAUSING, JobStatus.PAUSED)
    server.advance(job_id)
    sync.sync()
    assert server.job(job_id)["status"] == "paused"
    stored = store.job(profile.id, job_id)
    assert stored is not None and stored.job.state is JobStatus.PAUSED and stored.job.state.can_resume

    sync.resume(profile.id, job_id)
    server.advance(job_id)
    assert server.job(job_id)["status"] in ("queued", "running")
    sync.sync_job(profile.id, job_id)
    assert store.job(profile.id, job_id).job.state in (JobStatus.QUEUED, JobStatus.RUNNING)  # type: ignore[union-attr]

    cancelled = sync.cancel(profile.id, job_id)
    assert cancelled.state in (JobStatus.CANCELLING, JobStatus.CANCELLED)
    server.advance(job_id)
    report = sync.sync()
    assert server.job(job_id)["status"] == "cancelled"
    stored = store.job(profile.id, job_id)
    assert stored is not None and stored.job.state is JobStatus.CANCELLED and not stored.job.state.can_cancel
    assert report.finished == [] or report.finished[0].job.id == job_id


def test_a_dropped_connection_mid_polling_is_retried_after_a_back_off(
    server: ApiServer, store: HistoryStore, tmp_path: Path
) -> None:
    profile = connect(server)
    job_id = start_job(server, profile, tmp_path)
    clock = Clock()
    sync = make_sync(store, clock)
    server.advance(job_id, steps=8)
    assert sync.sync().errors == {}

    server.advance(job_id, steps=8)
    # every attempt of this poll (the SDK's own retry included) loses its connection
    fault = server.faults.add("GET", r"/events$", "drop", times=4)
    failed = sync.sync()
    assert fault.hits >= 2
    (outcome,) = failed.outcomes
    assert outcome.error and "connection" in outcome.error.lower()
    assert outcome.retry_in == QUICK.error_base
    assert store.connections()[0].last_error == outcome.error
    assert failed.next_delay <= QUICK.error_base

    clock.now += 1  # still backing off: nothing is requested
    count = len(server.received)
    skipped = sync.sync()
    assert skipped.outcomes[0].skipped and len(server.received) == count

    clock.now += QUICK.error_base
    fault_left = server.faults.pending()
    server.faults.clear()
    assert fault_left or fault.hits >= 2
    recovered = sync.sync()
    assert recovered.errors == {} and recovered.new_events > 0
    assert store.connections()[0].last_error == ""
    ids = [e.event.id for e in store.events(profile.id, job_id)]
    assert len(ids) == len(set(ids))
    assert ids[::-1] == [e.id for e in fast_provider(profile).all_events(job_id)]  # nothing lost or doubled


def test_repeated_failures_back_off_longer_up_to_a_bound(
    api_server: ApiServer, store: HistoryStore, memory_keyring: object
) -> None:
    connect(api_server)
    clock = Clock()
    sync = make_sync(store, clock)
    api_server.faults.add("GET", r"^/fine_tuning/jobs$", "status", times=100, status=500)
    delays = []
    for _ in range(7):
        report = sync.sync()
        delays.append(report.outcomes[0].retry_in)
        assert report.outcomes[0].error
        clock.now += 1000
    assert delays[:4] == [2.0, 4.0, 8.0, 16.0]
    assert max(d or 0 for d in delays) == QUICK.error_max
    api_server.faults.clear()
    assert sync.sync().errors == {}


def test_rate_limit_waits_at_least_retry_after(
    api_server: ApiServer, store: HistoryStore, memory_keyring: object
) -> None:
    connect(api_server)
    sync = make_sync(store)
    api_server.faults.add("GET", r"^/fine_tuning/jobs$", "status", times=2, status=429, retry_after=3)
    report = sync.sync()
    (outcome,) = report.outcomes
    assert outcome.error and outcome.retry_in == 3.0  # Retry-After beats the 2 s first back-off


def test_an_unreachable_connection_does_not_stop_the_others(
    api_server: ApiServer, store: HistoryStore, tmp_path: Path, memory_keyring: object
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    dead = new_profile("Gone", ProviderKind.CUSTOM, f"http://127.0.0.1:{closed_port}/v1")
    ConnectionStore().save(dead)
    credential_store().set_secret(dead.id, "sk-test-" + "x" * 20)
    live = connect(api_server, "Alive")
    job_id = start_job(api_server, live, tmp_path)
    report = make_sync(store).sync()
    assert set(report.errors) == {dead.id}
    assert [s.job.id for s in store.jobs(live.id)] == [job_id]
    assert report.active


def test_idle_passes_back_off_and_activity_resets(
    server: ApiServer, store: HistoryStore, tmp_path: Path
) -> None:
    profile = connect(server)
    job_id = start_job(server, profile, tmp_path)
    server.advance(job_id, steps=4)
    sync = make_sync(store)
    assert sync.sync().next_delay == QUICK.active_interval
    delays = [sync.sync().next_delay for _ in range(5)]
    assert delays == [1.0, 2.0, 4.0, 8.0, 8.0]  # nothing new: wait longer, bounded
    server.advance(job_id, steps=1)
    assert sync.sync().next_delay == QUICK.active_interval


def test_a_deleted_connection_keeps_its_history(
    server: ApiServer, store: HistoryStore, tmp_path: Path
) -> None:
    profile = connect(server)
    job_id = start_job(server, profile, tmp_path)
    sync = make_sync(store)
    sync.sync()
    ConnectionStore().delete(profile.id)
    report = sync.sync()
    assert report.outcomes == []
    assert store.job(profile.id, job_id) is not None
    with pytest.raises(Exception, match="no longer exists"):
        sync.cancel(profile.id, job_id)


def test_figures_for_the_list() -> None:
    job = Job.from_sdk(
        {
            "id": "ftjob-1",
            "status": "succeeded",
            "model": "gpt-4.1-mini-2025-04-14",
            "created_at": 1000,
            "finished_at": 1600,
            "trained_tokens": 2_000_000,
            "trainingType": "GlobalStandard",
        }
    )
    table = PriceTable(
        [
            Price("azure", "gpt-4.1-mini-2025-04-14", "Standard", 5.0),
            Price("azure", "gpt-4.1-mini-2025-04-14", "GlobalStandard", 4.0),
        ]
    )
    assert estimated_cost(job, "azure_openai", table) == pytest.approx(8.0)
    assert estimated_cost(job, "openai", table) is None  # no OpenAI price in this table
    assert duration_seconds(job) == 600
    running = Job.from_sdk({"id": "j", "status": "running", "model": "m", "created_at": 1000})
    assert duration_seconds(running, now=1090) == 90
    assert estimated_cost(running, "azure_openai", table) is None
