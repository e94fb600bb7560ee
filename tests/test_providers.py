"""The provider layer through the real openai SDK against the local API server, in both API styles.

Every fault the issue names is provoked on the server: nothing crashes, retries stay bounded, uploads resume
from the failed part, and the user-facing message says what happened and what to do.
"""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path

import pytest
from azure.core.credentials import AccessToken

from dpo_studio.core.errors import UserError
from dpo_studio.services.connections import AuthMethod, ConnectionProfile, ProviderKind, new_profile
from dpo_studio.services.entra import SCOPE_FOUNDRY, SCOPE_RESOURCE, EntraSignIn, scope_for
from dpo_studio.services.errors import (
    AuthenticationFailed,
    Cancelled,
    ConnectionLost,
    FileProcessingFailed,
    FineTuningClosed,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    TimedOut,
)
from dpo_studio.services.providers import (
    DpoHyperparameters,
    DpoJobRequest,
    EventFeed,
    FineTuningProvider,
    ProviderOptions,
    TrainingType,
    UploadInterrupted,
    open_provider,
)
from dpo_studio.services.status import JobStatus
from tests.apiserver.server import ApiServer

FAST = ProviderOptions(poll_interval=0.01, max_retries=2, timeout=10.0, page_size=100)

RECORD = {
    "input": {"messages": [{"role": "user", "content": "Say hello politely."}]},
    "preferred_output": [{"role": "assistant", "content": "Hello! How can I help you today?"}],
    "non_preferred_output": [{"role": "assistant", "content": "What."}],
}


def write_dataset(folder: Path, count: int = 20, name: str = "train.jsonl") -> Path:
    path = folder / name
    lines = []
    for index in range(count):
        record = json.loads(json.dumps(RECORD))
        record["input"]["messages"][0]["content"] += f" ({index})"
        lines.append(json.dumps(record))
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def profile_for(server: ApiServer, kind: ProviderKind | None = None) -> ConnectionProfile:
    if kind is None:
        kind = ProviderKind.CUSTOM if server.style == "openai" else ProviderKind.AZURE_OPENAI
    if kind is ProviderKind.FOUNDRY_PROJECT:
        return new_profile("Foundry", kind, server.project_endpoint(), AuthMethod.ENTRA_BROWSER)
    return new_profile("Test", kind, server.base_url)


def provider_for(server: ApiServer, options: ProviderOptions = FAST, **kwargs: object) -> FineTuningProvider:
    return open_provider(
        profile_for(server), api_key=server.api_key, options=options, sleep=lambda s: None, **kwargs
    )  # type: ignore[arg-type]


def dpo_request(provider: FineTuningProvider, file_id: str, **changes: object) -> DpoJobRequest:
    azure = provider.traits.supports_training_type
    request = DpoJobRequest(
        model="gpt-4.1-mini-2025-04-14",
        training_file=file_id,
        hyperparameters=DpoHyperparameters(beta=0.1, n_epochs=2, l2_multiplier=0.1 if azure else None),
        suffix="tone-v1",
        seed=42,
        metadata={"dataset": "sha256-abc"},
        training_type=TrainingType.GLOBAL_STANDARD if azure else None,
    )
    for key, value in changes.items():
        setattr(request, key, value)
    return request


# ---- the happy path, both styles ------------------------------------------------------------------------


def test_full_flow_sends_the_exact_dpo_request(server: ApiServer, tmp_path: Path) -> None:
    provider = provider_for(server)
    report = provider.test_connection()
    assert "gpt-4.1-mini-2025-04-14" in report.dpo_models
    assert report.can_list_jobs

    progress: list[tuple[int, int]] = []
    remote = provider.upload_training_file(
        write_dataset(tmp_path), progress=lambda d, t, _: progress.append((d, t))
    )
    assert remote.status == "processed"
    assert progress[-1][0] == progress[-1][1] == remote.bytes

    request = dpo_request(provider, remote.id)
    assert provider.job_body(request)["method"]["dpo"]["hyperparameters"]["beta"] == 0.1
    job = provider.create_dpo_job(request)
    assert job.id and job.model == "gpt-4.1-mini-2025-04-14"
    assert job.state in (JobStatus.VALIDATING, JobStatus.QUEUED)

    sent = server.requests_to("POST", r"^/fine_tuning/jobs$")[-1].json
    assert sent["method"] == {
        "type": "dpo",
        "dpo": {
            "hyperparameters": {
                "beta": 0.1,
                "batch_size": "auto",
                "learning_rate_multiplier": "auto",
                "n_epochs": 2,
                **({"l2_multiplier": 0.1} if server.style == "azure" else {}),
            }
        },
    }
    assert sent["suffix"] == "tone-v1" and sent["seed"] == 42
    if server.style == "azure":
        assert sent["trainingType"] == "GlobalStandard"
    else:
        assert "trainingType" not in sent

    assert server.run_to_completion(job.id) == "succeeded"
    finished = provider.retrieve_job(job.id)
    assert finished.state is JobStatus.SUCCEEDED
    assert finished.fine_tuned_model and finished.result_files
    results = provider.result_metrics(finished)
    assert "train_loss" in results.series and len(results.series["train_loss"]) > 5
    target = provider.download_file(finished.result_files[0], tmp_path / "results.csv")
    assert target.read_bytes().startswith(b"step")
    checkpoints = provider.list_checkpoints(job.id)
    assert checkpoints and checkpoints == sorted(checkpoints, key=lambda c: c.step)
    assert "train_loss" in checkpoints[-1].metrics and "step" not in checkpoints[-1].metrics
    assert job.id in {j.id for j in provider.list_jobs()}


def test_azure_statuses_are_normalised(azure_api_server: ApiServer, tmp_path: Path) -> None:
    provider = provider_for(azure_api_server)
    remote = provider.upload_training_file(write_dataset(tmp_path))
    job = provider.create_dpo_job(dpo_request(provider, remote.id))
    assert job.status.raw in ("created", "pending")  # Azure's own word is kept ...
    assert job.state is JobStatus.QUEUED  # ... and understood


def test_events_arrive_once_in_order_across_pages_and_polls(server: ApiServer, tmp_path: Path) -> None:
    provider = provider_for(server, ProviderOptions(poll_interval=0.01, page_size=3))
    remote = provider.upload_training_file(write_dataset(tmp_path))
    job = provider.create_dpo_job(dpo_request(provider, remote.id))
    feed = EventFeed(job.id)
    collected = provider.poll_events(feed)
    for _ in range(6):
        server.advance(job.id, steps=4)
        collected += provider.poll_events(feed)
    server.run_to_completion(job.id)
    collected += provider.poll_events(feed)
    assert provider.poll_events(feed) == []  # nothing new, nothing repeated

    ids = [e.id for e in collected]
    assert len(ids) == len(set(ids))
    assert ids == [e.id for e in provider.all_events(job.id)]  # same as one full read
    assert [e.created_at for e in collected] == sorted(e.created_at for e in collected)
    steps = [int(e.data["step"]) for e in collected if e.is_metrics]
    assert steps == sorted(steps) and steps[0] == 1 and len(steps) == len(set(steps))
    # paging really happened: page size 3 means many event requests with a cursor
    assert any("after" in r.query for r in server.requests_to("GET", r"/events$"))
    assert provider.metrics(job.id, collected).series["train_loss"].steps == steps


def test_pause_resume_cancel(server: ApiServer, tmp_path: Path) -> None:
    provider = provider_for(server)
    remote = provider.upload_training_file(write_dataset(tmp_path))
    job = provider.create_dpo_job(dpo_request(provider, remote.id))
    server.advance(job.id, steps=5)
    assert provider.retrieve_job(job.id).state is JobStatus.RUNNING
    paused = provider.pause_job(job.id)
    assert paused.state in (JobStatus.PAUSING, JobStatus.PAUSED)
    server.advance(job.id, steps=1)
    assert provider.retrieve_job(job.id).state is JobStatus.PAUSED
    resumed = provider.resume_job(job.id)
    assert resumed.state in (JobStatus.RESUMING, JobStatus.QUEUED, JobStatus.RUNNING)
    cancelled = provider.cancel_job(job.id)
    server.advance(job.id, steps=1)
    assert cancelled.state in (JobStatus.CANCELLING, JobStatus.CANCELLED)
    assert provider.retrieve_job(job.id).state is JobStatus.CANCELLED


# ---- uploads ----------------------------------------------------------------------------------------------


def multipart_options(**changes: object) -> ProviderOptions:
    values: dict[str, object] = {
        "poll_interval": 0.01,
        "files_api_limit": 1024,
        "part_size": 1000,
        "max_retries": 1,
    }
    values.update(changes)
    return ProviderOptions(**values)  # type: ignore[arg-type]


def test_large_file_goes_through_uploads_api_in_parts(server: ApiServer, tmp_path: Path) -> None:
    provider = provider_for(server, multipart_options())
    path = write_dataset(tmp_path, count=40)
    size = path.stat().st_size
    progress: list[int] = []
    remote = provider.upload_training_file(path, progress=lambda d, t, _: progress.append(d))
    parts = server.requests_to("POST", r"^/uploads/[^/]+/parts$")
    assert len(parts) == -(-size // 1000) > 3
    assert not server.requests_to("POST", r"^/files$")
    assert progress == sorted(progress) and progress[-1] == size
    assert remote.bytes == size and remote.status == "processed"
    assert provider.file_content(remote.id) == path.read_bytes()  # parts were put together in order


def test_failed_part_resumes_without_resending_finished_parts(server: ApiServer, tmp_path: Path) -> None:
    provider = provider_for(server, multipart_options())  # 1000-byte parts, one retry per request
    path = write_dataset(tmp_path, count=40)
    parts_total = -(-path.stat().st_size // 1000)

    def count_parts() -> int:
        return len(server.requests_to("POST", r"^/uploads/[^/]+/parts$"))

    planned: list[object] = []

    def fail_after_two_parts(done: int, total: int, text: str) -> None:
        if text == "Sent part 2 of " + str(parts_total) and not planned:
            # part 3 fails on its first try and on its one retry
            planned.append(
                server.faults.add("POST", r"^/uploads/[^/]+/parts$", "status", times=2, status=500)
            )

    with pytest.raises(UploadInterrupted) as caught:
        provider.upload_training_file(path, progress=fail_after_two_parts)
    interrupted = caught.value
    assert interrupted.state.upload_id and len(interrupted.state.part_ids) == 2
    assert "part 3 of" in interrupted.message and "Resume" in interrupted.hint
    assert isinstance(interrupted.cause, ServerError)
    assert count_parts() == 2 + 2  # two good parts, then one try + one bounded retry

    remote = provider.resume_upload(interrupted.state)
    assert count_parts() == 4 + (parts_total - 2)  # only the missing parts were sent
    assert provider.file_content(remote.id) == path.read_bytes()


def test_cancel_stops_an_upload(server: ApiServer, tmp_path: Path) -> None:
    provider = provider_for(server)
    path = write_dataset(tmp_path, count=400)
    with pytest.raises(Cancelled):
        provider.upload_training_file(path, cancelled=lambda: True)
    assert not server.requests_to("POST", r"^/files$")  # cancelled before anything was sent

    reads: list[int] = []
    with pytest.raises(Cancelled):  # cancelled while the body streams: the request is abandoned
        provider.upload_training_file(
            path, progress=lambda d, t, _: reads.append(d), cancelled=lambda: bool(reads)
        )
    assert reads and reads[-1] < path.stat().st_size

    multipart = provider_for(server, multipart_options())
    calls = iter([False, False, True])
    with pytest.raises(Cancelled):
        multipart.upload_training_file(path, cancelled=lambda: next(calls, True))
    assert server.requests_to("POST", r"^/uploads/[^/]+/cancel$")


def test_rejected_file_is_explained(server: ApiServer, tmp_path: Path) -> None:
    provider = provider_for(server)
    if server.style == "openai":
        # Processing takes a few polls. (Azure's "pending" file state is not in the OpenAI spec the server
        # checks its answers against, so the Azure run is rejected at once.)
        server.file_processing_polls = 2
    server.faults.add("POST", r"^/files$", "file_invalid", body="Line 3: preferred_output is missing.")
    with pytest.raises(FileProcessingFailed) as caught:
        provider.upload_training_file(write_dataset(tmp_path))
    assert "train.jsonl" in caught.value.message
    assert "Validate" in caught.value.hint


# ---- faults and messages ----------------------------------------------------------------------------------


def test_server_errors_are_retried_a_bounded_number_of_times(server: ApiServer) -> None:
    provider = provider_for(server, ProviderOptions(max_retries=2))
    server.faults.add("GET", r"^/fine_tuning/jobs$", "status", times=3, status=500)
    with pytest.raises(ServerError) as caught:
        provider.list_jobs()
    assert len(server.requests_to("GET", r"^/fine_tuning/jobs$")) == 3  # first try + 2 retries, no more
    assert "HTTP 500" in caught.value.message and "Try again" in caught.value.hint

    server.faults.add("GET", r"^/fine_tuning/jobs$", "status", times=2, status=503)
    assert provider.list_jobs() == []  # two failures, then the third try succeeds
    assert len(server.requests_to("GET", r"^/fine_tuning/jobs$")) == 6


def test_rate_limit_honours_retry_after_then_explains(server: ApiServer) -> None:
    provider = provider_for(server, ProviderOptions(max_retries=2))
    server.faults.add("GET", r"^/models$", "status", times=1, status=429, retry_after=0.3)
    started = time.monotonic()
    assert provider.list_models()
    assert time.monotonic() - started >= 0.3  # the SDK waited as the server asked

    server.faults.add("GET", r"^/models$", "status", times=10, status=429, retry_after=0.05)
    with pytest.raises(RateLimited) as caught:
        provider.list_models()
    assert caught.value.retry_after == pytest.approx(0.05)
    assert "limiting requests" in caught.value.message and "Wait" in caught.value.hint


def test_wrong_key_is_explained_without_echoing_it(server: ApiServer) -> None:
    wrong = "sk-wrong-" + "x1y2z3" * 6 if server.style == "openai" else "f00d" * 8
    provider = open_provider(profile_for(server), api_key=wrong, options=FAST)
    with pytest.raises(AuthenticationFailed) as caught:
        provider.test_connection()
    assert "did not accept the credentials" in caught.value.message
    assert "API key" in caught.value.hint
    assert wrong not in str(caught.value) and wrong[-12:] not in str(caught.value)


@pytest.mark.parametrize(
    ("kind", "role"),
    [
        (ProviderKind.AZURE_OPENAI, "Cognitive Services OpenAI Contributor"),
        (ProviderKind.CUSTOM, "Ask whoever runs this server"),
    ],
)
def test_forbidden_names_the_role_to_ask_for(
    azure_api_server: ApiServer, api_server: ApiServer, kind: ProviderKind, role: str
) -> None:
    server = azure_api_server if kind is ProviderKind.AZURE_OPENAI else api_server
    provider = provider_for(server)
    server.faults.add("POST", r"^/fine_tuning/jobs$", "status", status=403)
    with pytest.raises(PermissionDenied) as caught:
        provider.create_dpo_job(dpo_request(provider, "file-x"))
    assert role in caught.value.hint
    assert "not allowed" in caught.value.message


def test_not_found_points_at_the_endpoint(server: ApiServer) -> None:
    provider = provider_for(server)
    with pytest.raises(NotFound) as caught:
        provider.retrieve_job("ftjob-does-not-exist")
    assert "could not find" in caught.value.message
    assert "endpoint" in caught.value.hint


def test_bad_request_quotes_the_server(server: ApiServer, tmp_path: Path) -> None:
    provider = provider_for(server)
    remote = provider.upload_training_file(write_dataset(tmp_path))
    with pytest.raises(UserError) as caught:
        provider.create_dpo_job(dpo_request(provider, remote.id, model="babbage-002"))
    assert "The service said" in caught.value.message


def test_slow_reply_times_out_with_a_plain_message(server: ApiServer) -> None:
    provider = provider_for(server, ProviderOptions(timeout=0.3, max_retries=0))
    server.faults.add("GET", r"^/models$", "slow", delay=3)
    with pytest.raises(TimedOut) as caught:
        provider.list_models()
    assert "did not answer in time" in caught.value.message


def test_dropped_connection_is_retried_then_explained(server: ApiServer) -> None:
    provider = provider_for(server, ProviderOptions(max_retries=1))
    server.faults.add("GET", r"^/models$", "drop", times=1)
    assert provider.list_models()  # one drop: the retry succeeds
    server.faults.add("GET", r"^/models$", "drop", times=5)
    with pytest.raises(ConnectionLost) as caught:
        provider.list_models()
    assert "lost" in caught.value.message or "reach" in caught.value.message
    assert len(server.requests_to("GET", r"^/models$")) == 2 + 2


def test_unreachable_endpoint_says_so() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    profile = new_profile("Nowhere", ProviderKind.CUSTOM, f"http://127.0.0.1:{port}/v1")
    provider = open_provider(profile, api_key="sk-unused-000000", options=ProviderOptions(max_retries=0))
    with pytest.raises(ConnectionLost) as caught:
        provider.test_connection()
    assert "Could not reach" in caught.value.message
    assert "online" in caught.value.hint


def test_openai_wind_down_refusal_is_explained(api_server: ApiServer, tmp_path: Path) -> None:
    profile = new_profile("OpenAI", ProviderKind.OPENAI, api_server.base_url)
    provider = open_provider(profile, api_key=api_server.api_key, options=FAST)
    remote = provider.upload_training_file(write_dataset(tmp_path))
    api_server.faults.add("POST", r"^/fine_tuning/jobs$", "refuse_job")
    with pytest.raises(FineTuningClosed) as caught:
        provider.create_dpo_job(dpo_request(provider, remote.id))
    assert "winding down" in caught.value.message and "2027-01-06" in caught.value.message
    assert "Azure OpenAI" in caught.value.hint and "Foundry" in caught.value.hint


def test_azure_quota_refusal_quotes_the_limit(azure_api_server: ApiServer, tmp_path: Path) -> None:
    provider = provider_for(azure_api_server)
    remote = provider.upload_training_file(write_dataset(tmp_path))
    azure_api_server.faults.add("POST", r"^/fine_tuning/jobs$", "refuse_job")
    with pytest.raises(UserError) as caught:
        provider.create_dpo_job(dpo_request(provider, remote.id))
    assert "concurrent fine-tuning jobs" in caught.value.message
    assert not isinstance(caught.value, FineTuningClosed)


# ---- per-provider rules -----------------------------------------------------------------------------------


def test_suffix_rules_differ_per_provider(azure_api_server: ApiServer, api_server: ApiServer) -> None:
    azure = provider_for(azure_api_server)
    with pytest.raises(UserError) as caught:
        azure.create_dpo_job(dpo_request(azure, "file-x", suffix="a" * 19))
    assert "18 characters" in caught.value.message
    with pytest.raises(UserError):
        azure.create_dpo_job(dpo_request(azure, "file-x", suffix="dots.not.allowed"))
    assert not azure_api_server.requests_to("POST", r"^/fine_tuning/jobs$")  # refused before sending

    openai_like = provider_for(api_server)
    assert openai_like.traits.suffix_problem("a" * 64) == ""
    with pytest.raises(UserError) as caught:
        openai_like.create_dpo_job(dpo_request(openai_like, "file-x", suffix="a" * 65))
    assert "64 characters" in caught.value.message


def test_azure_needs_a_training_tier_and_openai_refuses_l2(
    azure_api_server: ApiServer, api_server: ApiServer
) -> None:
    azure = provider_for(azure_api_server)
    with pytest.raises(UserError) as caught:
        azure.create_dpo_job(dpo_request(azure, "file-x", training_type=None))
    assert "training tier" in caught.value.message
    openai_like = provider_for(api_server)
    request = dpo_request(openai_like, "file-x", hyperparameters=DpoHyperparameters(l2_multiplier=0.1))
    with pytest.raises(UserError) as caught:
        openai_like.create_dpo_job(request)
    assert "l2_multiplier" in caught.value.message
    bad = dpo_request(openai_like, "file-x", hyperparameters=DpoHyperparameters(beta=5, n_epochs=0))
    with pytest.raises(UserError) as caught:
        openai_like.create_dpo_job(bad)
    assert "beta" in caught.value.message and "epochs" in caught.value.message


# ---- Entra ID: the right scope per endpoint, through azure-identity's token provider ---------------------


class ServerTokens:
    """A real azure-core TokenCredential that asks the test server for a token of the requested audience."""

    def __init__(self, server: ApiServer) -> None:
        self.server = server
        self.scopes: list[str] = []

    def get_token(self, *scopes: str, **_kwargs: object) -> AccessToken:
        self.scopes.extend(scopes)
        audience = scopes[0].removesuffix("/.default")
        return AccessToken(self.server.entra_token(audience), int(time.time()) + 3600)


@pytest.mark.parametrize("kind", [ProviderKind.AZURE_OPENAI, ProviderKind.FOUNDRY_PROJECT])
def test_entra_token_with_the_right_scope_is_accepted(
    azure_api_server: ApiServer, tmp_path: Path, kind: ProviderKind
) -> None:
    profile = (
        new_profile("Entra", kind, azure_api_server.base_url, AuthMethod.ENTRA_BROWSER)
        if kind is ProviderKind.AZURE_OPENAI
        else profile_for(azure_api_server, kind)
    )
    expected = SCOPE_RESOURCE if kind is ProviderKind.AZURE_OPENAI else SCOPE_FOUNDRY
    assert scope_for(profile) == expected
    credential = ServerTokens(azure_api_server)
    signed = EntraSignIn(credential, scope_for(profile), persistent=True)  # type: ignore[arg-type]
    provider = open_provider(
        profile, token_provider=signed.token_provider(), options=FAST, sleep=lambda s: None
    )
    remote = provider.upload_training_file(write_dataset(tmp_path))
    job = provider.create_dpo_job(dpo_request(provider, remote.id))
    assert job.id
    assert set(credential.scopes) == {expected}
    route = "foundry" if kind is ProviderKind.FOUNDRY_PROJECT else "azure-classic"
    assert {r.route for r in azure_api_server.received} == {route}


def test_entra_token_for_the_wrong_audience_is_explained(azure_api_server: ApiServer) -> None:
    profile = profile_for(azure_api_server, ProviderKind.FOUNDRY_PROJECT)
    wrong = EntraSignIn(ServerTokens(azure_api_server), SCOPE_RESOURCE, persistent=True)  # type: ignore[arg-type]
    provider = open_provider(profile, token_provider=wrong.token_provider(), options=FAST)
    with pytest.raises(AuthenticationFailed) as caught:
        provider.list_models()
    assert "wrong audience" in caught.value.hint
