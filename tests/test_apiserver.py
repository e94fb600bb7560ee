"""The local API server, driven by the real openai SDK in both styles: flows, paging, faults, spec checks."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
from typing import Any

import httpx2
import openai
import pytest

from tests.apiserver import ApiServer, dpo_jsonl, sft_jsonl
from tests.apiserver.spec import SpecValidator
from tests.conftest import REPO

API_VERSION = "2025-04-01-preview"
DPO = {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.1, "n_epochs": 2}}}
AZURE_DPO = {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.2, "l2_multiplier": 0.1, "n_epochs": 1}}}


def openai_client(server: ApiServer, **options: Any) -> openai.OpenAI:
    options.setdefault("max_retries", 0)
    return openai.OpenAI(base_url=server.base_url, api_key=server.api_key, **options)


def azure_client(server: ApiServer, **options: Any) -> openai.AzureOpenAI:
    options.setdefault("max_retries", 0)
    options.setdefault("api_key", server.api_key)
    return openai.AzureOpenAI(azure_endpoint=server.base_url, api_version=API_VERSION, **options)


def upload(client: openai.OpenAI, data: bytes, name: str = "train.jsonl") -> str:
    return client.files.create(file=(name, io.BytesIO(data)), purpose="fine-tune").id


def start_dpo_job(client: openai.OpenAI, **extra: Any) -> Any:
    training = upload(client, dpo_jsonl(12))
    validation = upload(client, dpo_jsonl(10, prefix="Held out"), "valid.jsonl")
    return client.fine_tuning.jobs.create(
        model="gpt-4.1-mini-2025-04-14", training_file=training, validation_file=validation, **extra
    )


# ----- OpenAI style: the whole DPO run ------------------------------------------------------------------
def test_openai_dpo_job_runs_to_a_model_with_metrics_checkpoints_and_results(api_server: ApiServer) -> None:
    client = openai_client(api_server)
    job = start_dpo_job(client, method=DPO, suffix="brand-voice", seed=7, metadata={"dataset": "ds1"})
    assert job.status == "validating_files"
    assert job.model_extra is not None and job.model_extra["user_provided_suffix"] == "brand-voice"
    assert job.method.dpo.hyperparameters.beta == 0.1
    assert job.method.dpo.hyperparameters.batch_size == "auto"  # echoed as sent until the job starts

    api_server.advance(job.id)
    assert client.fine_tuning.jobs.retrieve(job.id).status == "queued"
    api_server.advance(job.id, steps=3)
    running = client.fine_tuning.jobs.retrieve(job.id)
    assert running.status == "running"
    assert running.method.dpo.hyperparameters.n_epochs == 2
    assert running.method.dpo.hyperparameters.batch_size == 1  # "auto" resolved once training starts

    metrics = [e for e in client.fine_tuning.jobs.list_events(job.id) if e.type == "metrics"]
    assert [e.data["step"] for e in metrics] == [2, 1]  # newest first
    assert {
        "step",
        "train_loss",
        "valid_loss",
        "train_mean_token_accuracy",
        "valid_mean_token_accuracy",
        "total_steps",
    } <= set(metrics[0].data)
    assert metrics[0].data["total_steps"] == 24  # 12 examples x 2 epochs, batch 1
    assert metrics[0].message.startswith("Step 2/24: training loss=")

    assert api_server.run_to_completion(job.id) == "succeeded"
    done = client.fine_tuning.jobs.retrieve(job.id)
    assert done.fine_tuned_model is not None and done.fine_tuned_model.startswith(
        "ft:gpt-4.1-mini-2025-04-14:dpo-studio-test:brand-voice:"
    )
    assert done.trained_tokens and done.trained_tokens > 0
    assert done.finished_at is not None
    assert done.fine_tuned_model in {m.id for m in client.models.list()}
    assert client.models.retrieve(done.fine_tuned_model).owned_by == "dpo-studio-test"

    checkpoints = list(client.fine_tuning.jobs.checkpoints.list(job.id))
    assert [c.step_number for c in checkpoints] == [24, 12]
    assert checkpoints[0].fine_tuned_model_checkpoint == f"{done.fine_tuned_model}:ckpt-step-24"
    assert checkpoints[0].metrics.full_valid_loss is not None

    results = client.files.content(done.result_files[0]).text
    rows = list(csv.DictReader(io.StringIO(results)))
    assert list(rows[0]) == [
        "step",
        "train_loss",
        "train_accuracy",
        "valid_loss",
        "valid_mean_token_accuracy",
    ]
    assert len(rows) == 24
    assert client.files.retrieve(done.result_files[0]).purpose == "fine-tune-results"
    messages = [e.message for e in client.fine_tuning.jobs.list_events(job.id)]
    assert messages[0] == "The job has successfully completed"
    assert messages[-1] == f"Created fine-tuning job: {job.id}"


def test_requests_are_recorded_without_secrets(api_server: ApiServer) -> None:
    client = openai_client(api_server)
    start_dpo_job(client, method=DPO)
    create = api_server.requests_to("POST", r"^/fine_tuning/jobs$")[0]
    assert create.json["method"] == DPO
    assert create.headers["authorization"] == "<redacted>"
    upload_request = api_server.requests_to("POST", r"^/files$")[0]
    assert upload_request.form == {"purpose": "fine-tune"}
    assert upload_request.files == {"file": len(dpo_jsonl(12))}
    assert api_server.api_key not in repr(api_server.received)


def test_file_content_is_returned_byte_for_byte_and_files_can_be_deleted(api_server: ApiServer) -> None:
    client = openai_client(api_server)
    data = b"\xef\xbb\xbf" + dpo_jsonl(10).replace(b"\n", b"\r\n")
    file_id = upload(client, data)
    assert client.files.content(file_id).read() == data
    assert client.files.retrieve(file_id).bytes == len(data)
    assert client.files.delete(file_id).deleted is True
    with pytest.raises(openai.NotFoundError, match="No such File object"):
        client.files.retrieve(file_id)


def test_supervised_jobs_and_openai_rejections(api_server: ApiServer) -> None:
    client = openai_client(api_server)
    sft = upload(client, sft_jsonl(10))
    job = client.fine_tuning.jobs.create(model="gpt-3.5-turbo-0125", training_file=sft)
    assert job.method.type == "supervised"
    assert api_server.run_to_completion(job.id) == "succeeded"

    dpo_file = upload(client, dpo_jsonl(10))
    with pytest.raises(openai.BadRequestError, match="does not support DPO"):
        client.fine_tuning.jobs.create(model="gpt-3.5-turbo-0125", training_file=dpo_file, method=DPO)
    with pytest.raises(openai.BadRequestError, match="not available for fine-tuning or does not exist"):
        client.fine_tuning.jobs.create(model="gpt-9", training_file=dpo_file, method=DPO)
    with pytest.raises(openai.BadRequestError, match="invalid training_file: file-missing"):
        client.fine_tuning.jobs.create(model="gpt-4o-2024-08-06", training_file="file-missing", method=DPO)
    with pytest.raises(openai.BadRequestError, match="Unrecognized request argument supplied: trainingType"):
        client.fine_tuning.jobs.create(
            model="gpt-4o-2024-08-06",
            training_file=dpo_file,
            method=DPO,
            extra_body={"trainingType": "Standard"},
        )


def test_a_tuned_model_can_be_tuned_again_with_dpo(api_server: ApiServer) -> None:
    client = openai_client(api_server)
    first = client.fine_tuning.jobs.create(
        model="gpt-4.1-nano-2025-04-14", training_file=upload(client, sft_jsonl())
    )
    api_server.run_to_completion(first.id)
    tuned = client.fine_tuning.jobs.retrieve(first.id).fine_tuned_model
    assert tuned is not None
    second = client.fine_tuning.jobs.create(
        model=tuned, training_file=upload(client, dpo_jsonl()), method=DPO
    )
    assert api_server.run_to_completion(second.id) == "succeeded"


def test_training_file_problems_fail_the_job_at_validation(api_server: ApiServer) -> None:
    client = openai_client(api_server)
    few = client.fine_tuning.jobs.create(
        model="gpt-4o-2024-08-06", training_file=upload(client, dpo_jsonl(3)), method=DPO
    )
    wrong_shape = client.fine_tuning.jobs.create(
        model="gpt-4o-2024-08-06", training_file=upload(client, sft_jsonl(12)), method=DPO
    )
    api_server.advance(steps=1)
    failed = client.fine_tuning.jobs.retrieve(few.id)
    assert failed.status == "failed"
    assert failed.error is not None
    assert (failed.error.code, failed.error.param) == ("invalid_n_examples", "training_file")
    assert failed.error.message == "Training file has 3 example(s), but must have at least 10 examples"
    shape = client.fine_tuning.jobs.retrieve(wrong_shape.id).error
    assert shape is not None and "input.messages" in shape.message


def test_cancel_pause_and_resume_follow_openai_rules(api_server: ApiServer) -> None:
    client = openai_client(api_server)
    job = start_dpo_job(client, method=DPO)
    with pytest.raises(openai.BadRequestError, match="only running jobs"):
        client.fine_tuning.jobs.pause(job.id)
    api_server.advance(job.id, steps=3)
    assert client.fine_tuning.jobs.pause(job.id).status == "paused"
    api_server.advance(job.id, steps=5)
    assert client.fine_tuning.jobs.retrieve(job.id).status == "paused"
    assert client.fine_tuning.jobs.resume(job.id).status == "queued"
    api_server.advance(job.id)
    assert client.fine_tuning.jobs.retrieve(job.id).status == "running"
    assert client.fine_tuning.jobs.cancel(job.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError, match="already completed"):
        client.fine_tuning.jobs.cancel(job.id)
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.retrieve("ftjob-doesnotexist")


def test_uploads_api_assembles_parts_in_the_completed_order(api_server: ApiServer) -> None:
    client = openai_client(api_server)
    data = dpo_jsonl(30)
    chunks = [data[:1000], data[1000:2500], data[2500:]]
    session = client.uploads.create(
        bytes=len(data), filename="big.jsonl", mime_type="text/jsonl", purpose="fine-tune"
    )
    parts = {
        i: client.uploads.parts.create(session.id, data=chunk).id
        for i, chunk in reversed(list(enumerate(chunks)))
    }
    with pytest.raises(openai.BadRequestError, match="must match"):
        client.uploads.complete(session.id, part_ids=[parts[0], parts[1]])
    done = client.uploads.complete(session.id, part_ids=[parts[0], parts[1], parts[2]])
    assert done.status == "completed"
    assert done.file is not None and done.file.bytes == len(data)
    assert client.files.content(done.file.id).read() == data

    chunked = client.uploads.upload_file_chunked(
        file=data,
        filename="sdk.jsonl",
        bytes=len(data),
        mime_type="text/jsonl",
        purpose="fine-tune",
        part_size=700,
    )
    assert chunked.file is not None and client.files.content(chunked.file.id).read() == data
    assert len(api_server.requests_to("POST", r"/uploads/[^/]+/parts$")) == 3 + -(-len(data) // 700)

    cancelled = client.uploads.create(
        bytes=10, filename="x.jsonl", mime_type="text/jsonl", purpose="fine-tune"
    )
    assert client.uploads.cancel(cancelled.id).status == "cancelled"
    with pytest.raises(openai.BadRequestError, match="only pending uploads"):
        client.uploads.parts.create(cancelled.id, data=b"0123456789")


def test_files_become_processed_after_the_configured_number_of_polls(api_server: ApiServer) -> None:
    api_server.file_processing_polls = 3
    client = openai_client(api_server)
    file_id = upload(client, dpo_jsonl(10))
    assert client.files.retrieve(file_id).status == "uploaded"
    processed = client.files.wait_for_processing(file_id, poll_interval=0)
    assert processed.status == "processed"
    assert len(api_server.requests_to("GET", rf"^/files/{file_id}$")) == 3


# ----- paging -------------------------------------------------------------------------------------------
def test_jobs_events_checkpoints_and_files_page_with_after_and_limit(api_server: ApiServer) -> None:
    client = openai_client(api_server)
    training = upload(client, dpo_jsonl(10))
    ids = [
        client.fine_tuning.jobs.create(
            model="gpt-4o-mini-2024-07-18", training_file=training, method=DPO, metadata={"n": str(i % 2)}
        ).id
        for i in range(5)
    ]
    first = client.fine_tuning.jobs.list(limit=2)
    assert [j.id for j in first.data] == ids[::-1][:2] and first.has_more
    second = client.fine_tuning.jobs.list(limit=2, after=first.data[-1].id)
    assert [j.id for j in second.data] == ids[::-1][2:4]
    assert [j.id for j in client.fine_tuning.jobs.list(limit=2)] == ids[::-1]  # SDK auto-paging
    assert [j.id for j in client.fine_tuning.jobs.list(metadata={"n": "1"})] == [ids[3], ids[1]]

    api_server.advance(ids[0], steps=10)
    events = list(client.fine_tuning.jobs.list_events(ids[0], limit=3))
    assert len(events) == 2 + 1 + 1 + 8  # created, validating / validated / started / 8 steps
    newest = client.fine_tuning.jobs.list_events(ids[0], limit=3)
    older = client.fine_tuning.jobs.list_events(ids[0], limit=3, after=newest.data[-1].id)
    assert [e.id for e in newest.data + older.data] == [e.id for e in events[:6]]

    api_server.run_to_completion(ids[0])
    page = client.fine_tuning.jobs.checkpoints.list(ids[0], limit=1)
    assert len(page.data) == 1 and page.has_more
    assert len(list(client.fine_tuning.jobs.checkpoints.list(ids[0], limit=1))) == 2  # one per epoch

    names = [
        client.files.create(file=(f"f{i}.jsonl", io.BytesIO(dpo_jsonl(10))), purpose="fine-tune").filename
        for i in range(3)
    ]
    ascending = client.files.list(order="asc", purpose="fine-tune", limit=2)
    assert ascending.has_more
    assert [f.filename for f in client.files.list(order="asc", purpose="fine-tune")][-3:] == names
    assert [f.filename for f in client.files.list(purpose="fine-tune", limit=1)][:3] == names[::-1]


# ----- Azure style ------------------------------------------------------------------------------------
def test_azure_dpo_job_uses_azure_states_training_type_and_l2(azure_api_server: ApiServer) -> None:
    client = azure_client(azure_api_server)
    training = upload(client, dpo_jsonl(12))
    with pytest.raises(openai.BadRequestError, match="The specified base model does not support fine-tuning"):
        client.fine_tuning.jobs.create(model="gpt-4.1-2025-04-14", training_file=training, method=AZURE_DPO)
    raw = client.fine_tuning.jobs.with_raw_response.create(
        model="gpt-4.1-2025-04-14",
        training_file=training,
        method=AZURE_DPO,
        suffix="tone_v1",
        extra_body={"trainingType": "globalstandard"},
    )
    assert raw.status_code == 201
    job = raw.parse()
    assert raw.headers["location"].endswith(f"/openai/fine_tuning/jobs/{job.id}")
    assert job.status == "created"
    assert job.model_extra is not None and job.model_extra["trainingType"] == "GlobalStandard"
    assert job.method.dpo.hyperparameters.model_extra == {"l2_multiplier": 0.1}

    seen = [job.status]
    for _ in range(3):
        azure_api_server.advance(job.id)
        seen.append(client.fine_tuning.jobs.retrieve(job.id).status)
    seen.append(client.fine_tuning.jobs.pause(job.id).status)
    azure_api_server.advance(job.id)
    seen.append(client.fine_tuning.jobs.retrieve(job.id).status)
    seen.append(client.fine_tuning.jobs.resume(job.id).status)
    azure_api_server.advance(job.id)
    seen.append(client.fine_tuning.jobs.retrieve(job.id).status)
    azure_api_server.run_to_completion(job.id)
    done = client.fine_tuning.jobs.retrieve(job.id)
    seen.append(done.status)
    assert seen == [
        "created",
        "pending",
        "running",
        "running",
        "pausing",
        "paused",
        "resuming",
        "running",
        "succeeded",
    ]
    assert done.fine_tuned_model == f"gpt-4.1-2025-04-14.ft-{job.id.removeprefix('ftjob-')}-tone_v1"

    events = client.fine_tuning.jobs.list_events(job.id, limit=2)
    assert events.data[0].message.startswith("Created fine-tuning job")  # Azure's examples: oldest first
    header = client.files.content(done.result_files[0]).text.splitlines()[0]
    assert header == (
        "step,train_loss,train_mean_token_accuracy,valid_loss,validation_mean_token_accuracy,"
        "full_valid_loss,full_valid_mean_token_accuracy"
    )
    models = {m.id: m for m in client.models.list()}
    assert models["gpt-4.1-2025-04-14"].model_extra["capabilities"]["fine_tune"] is True
    assert models["gpt-4o-2024-11-20"].model_extra["capabilities"]["fine_tune"] is False
    assert done.fine_tuned_model in models


def test_azure_entra_tokens_audiences_and_routes(azure_api_server: ApiServer) -> None:
    server = azure_api_server
    tokens_given: list[str] = []

    def provider() -> str:
        tokens_given.append(server.entra_token("https://cognitiveservices.azure.com/.default"))
        return tokens_given[-1]

    entra = azure_client(server, api_key=None, azure_ad_token_provider=provider)
    assert entra.models.list().data
    assert tokens_given

    v1 = openai.OpenAI(base_url=server.azure_v1_base_url, api_key=provider, max_retries=0)
    job = start_dpo_job(v1, method=AZURE_DPO, extra_body={"trainingType": "Standard"})
    assert job.status == "validating_files"  # the v1 route speaks OpenAI's state names
    v1_key = openai.OpenAI(base_url=server.azure_v1_base_url, api_key=server.api_key, max_retries=0)
    assert v1_key.fine_tuning.jobs.retrieve(job.id).id == job.id

    project = server.project_endpoint() + "/openai/v1/"
    wrong_audience = openai.OpenAI(base_url=project, api_key=provider, max_retries=0)
    with pytest.raises(openai.AuthenticationError, match=r"audience is incorrect \(https://ai.azure.com\)"):
        wrong_audience.models.list()
    foundry = openai.OpenAI(
        base_url=project, api_key=lambda: server.entra_token("https://ai.azure.com/.default"), max_retries=0
    )
    assert foundry.fine_tuning.jobs.retrieve(job.id).status == "validating_files"

    stale = server.entra_token()
    server.revoke_tokens()
    with pytest.raises(openai.AuthenticationError):
        azure_client(server, api_key=None, azure_ad_token=stale).models.list()
    with pytest.raises(openai.AuthenticationError, match="Access denied due to invalid subscription key"):
        azure_client(server, api_key="0" * 32).models.list()


def test_azure_api_version_is_required_and_checked(azure_api_server: ApiServer) -> None:
    old = openai.AzureOpenAI(
        azure_endpoint=azure_api_server.base_url,
        api_key=azure_api_server.api_key,
        api_version="2023-05-15",
        max_retries=0,
    )
    with pytest.raises(openai.BadRequestError, match="API version not supported"):
        old.files.list()
    no_version = openai.OpenAI(
        base_url=azure_api_server.base_url + "/openai",
        default_headers={"api-key": azure_api_server.api_key},
        api_key="unused",
        max_retries=0,
    )
    with pytest.raises(openai.NotFoundError, match="Resource not found"):
        no_version.files.list()


def test_azure_rejects_unknown_training_type_and_long_suffix(azure_api_server: ApiServer) -> None:
    client = azure_client(azure_api_server)
    training = upload(client, dpo_jsonl(10))
    with pytest.raises(openai.BadRequestError, match="trainingType"):
        client.fine_tuning.jobs.create(
            model="gpt-4o-2024-08-06",
            training_file=training,
            method=AZURE_DPO,
            extra_body={"trainingType": "Premium"},
        )
    with pytest.raises(openai.BadRequestError, match="suffix"):
        client.fine_tuning.jobs.create(
            model="gpt-4o-2024-08-06",
            training_file=training,
            method=AZURE_DPO,
            suffix="x" * 41,
            extra_body={"trainingType": "Standard"},
        )


def test_azure_can_accept_a_missing_training_type_when_told_to(azure_api_server: ApiServer) -> None:
    azure_api_server.require_training_type = False
    client = azure_client(azure_api_server)
    job = client.fine_tuning.jobs.create(
        model="gpt-4o-2024-08-06", training_file=upload(client, dpo_jsonl(10)), method=AZURE_DPO
    )
    assert job.status == "created"


# ----- faults -------------------------------------------------------------------------------------------
def test_429_carries_retry_after_and_the_sdk_retry_then_succeeds(api_server: ApiServer) -> None:
    api_server.faults.add("GET", r"^/fine_tuning/jobs$", "status", status=429, retry_after=2)
    with pytest.raises(openai.RateLimitError) as caught:
        openai_client(api_server).fine_tuning.jobs.list()
    assert caught.value.response.headers["retry-after"] == "2"
    assert caught.value.code == "rate_limit_exceeded"

    fault = api_server.faults.add("GET", r"^/models$", "status", status=429, retry_after=0.01)
    assert openai_client(api_server, max_retries=2).models.list().data
    assert fault.hits == 1 and not api_server.faults.pending()
    assert len(api_server.requests_to("GET", r"^/models$")) == 2


def test_azure_429_is_worded_like_azure(azure_api_server: ApiServer) -> None:
    azure_api_server.faults.add("POST", r"^/fine_tuning/jobs$", "status", status=429, retry_after=5)
    client = azure_client(azure_api_server)
    with pytest.raises(openai.RateLimitError, match="Please retry after 5 seconds") as caught:
        client.fine_tuning.jobs.create(model="gpt-4o-2024-08-06", training_file="file-x", method=AZURE_DPO)
    assert caught.value.response.headers["retry-after"] == "5"


@pytest.mark.parametrize(
    ("status", "error", "words"),
    [
        (401, openai.AuthenticationError, "didn't provide an API key"),
        (403, openai.PermissionDeniedError, "Missing scopes: api.fine_tuning.jobs.read"),
        (404, openai.NotFoundError, "Invalid URL (GET /v1/fine_tuning/jobs)"),
        (500, openai.InternalServerError, "The server had an error"),
        (503, openai.InternalServerError, "overloaded"),
    ],
)
def test_status_faults_raise_the_sdk_error_with_a_realistic_body(
    api_server: ApiServer, status: int, error: type[Exception], words: str
) -> None:
    api_server.faults.add("GET", r"^/fine_tuning/jobs$", "status", status=status)
    with pytest.raises(error) as caught:
        openai_client(api_server).fine_tuning.jobs.list()
    assert words in str(caught.value)
    assert openai_client(api_server).fine_tuning.jobs.list().data == []  # times=1: the next call is fine


def test_azure_403_names_the_missing_data_action(azure_api_server: ApiServer) -> None:
    azure_api_server.faults.add("POST", r"^/files$", "status", status=403)
    with pytest.raises(openai.PermissionDeniedError, match="lacks the required data action") as caught:
        upload(azure_client(azure_api_server), dpo_jsonl(10))
    assert "Microsoft.CognitiveServices/accounts/OpenAI/files/write" in str(caught.value)


def test_slow_reply_times_out_and_a_dropped_connection_is_a_connection_error(api_server: ApiServer) -> None:
    api_server.faults.add("GET", r"^/models$", "slow", delay=5)
    with pytest.raises(openai.APITimeoutError):
        openai_client(api_server, timeout=0.3).models.list()
    api_server.faults.add("GET", r"^/models$", "drop")
    with pytest.raises(openai.APIConnectionError):
        openai_client(api_server).models.list()
    api_server.faults.add("GET", r"^/models$", "drop", times=2)
    assert openai_client(api_server, max_retries=2).models.list().data  # two drops, third try answers
    api_server.faults.add("GET", r"^/models$", "slow", delay=0.05)
    assert openai_client(api_server).models.list().data  # slow but within the timeout


def test_file_invalid_fault_marks_the_file_and_fails_the_job(api_server: ApiServer) -> None:
    api_server.faults.add("POST", r"^/files$", "file_invalid", body="Invalid file format. Line 4: bad JSON.")
    client = openai_client(api_server)
    bad = client.files.create(file=("t.jsonl", io.BytesIO(dpo_jsonl(10))), purpose="fine-tune")
    assert (bad.status, bad.status_details) == ("error", "Invalid file format. Line 4: bad JSON.")
    job = client.fine_tuning.jobs.create(model="gpt-4o-2024-08-06", training_file=bad.id, method=DPO)
    api_server.advance(job.id)
    failed = client.fine_tuning.jobs.retrieve(job.id)
    assert failed.status == "failed"
    assert failed.error is not None and failed.error.param == "training_file"
    assert failed.error.message == "Invalid file format. Line 4: bad JSON."
    assert (
        client.files.create(file=("t.jsonl", io.BytesIO(dpo_jsonl(10))), purpose="fine-tune").status
        == "processed"
    )


def test_refused_job_creation_openai_wind_down_and_azure_quota(
    api_server: ApiServer, azure_api_server: ApiServer
) -> None:
    api_server.faults.add("POST", r"^/fine_tuning/jobs$", "refuse_job")
    client = openai_client(api_server)
    training = upload(client, dpo_jsonl(10))
    with pytest.raises(openai.PermissionDeniedError, match="winding down the self-serve fine-tuning"):
        client.fine_tuning.jobs.create(model="gpt-4o-2024-08-06", training_file=training, method=DPO)
    assert client.fine_tuning.jobs.list().data == []

    azure_api_server.faults.add("POST", r"^/fine_tuning/jobs$", "refuse_job", times=2)
    azure = azure_client(azure_api_server)
    training = upload(azure, dpo_jsonl(10))
    for _ in range(2):
        with pytest.raises(openai.BadRequestError, match="concurrent fine-tuning jobs") as caught:
            azure.fine_tuning.jobs.create(
                model="gpt-4o-2024-08-06",
                training_file=training,
                method=AZURE_DPO,
                extra_body={"trainingType": "Standard"},
            )
        assert caught.value.code == "quotaExceeded"
    assert (
        azure.fine_tuning.jobs.create(
            model="gpt-4o-2024-08-06",
            training_file=training,
            method=AZURE_DPO,
            extra_body={"trainingType": "Standard"},
        ).status
        == "created"
    )


def test_faults_are_bounded() -> None:
    server = ApiServer()
    with pytest.raises(ValueError, match="bounded"):
        server.faults.add("GET", "/models", "status", times=0)
    with pytest.raises(ValueError, match="unknown fault kind"):
        server.faults.add("GET", "/models", "explode")


# ----- the spec check ----------------------------------------------------------------------------------
def test_a_request_that_breaks_the_spec_is_refused_and_recorded(api_server: ApiServer) -> None:
    client = openai_client(api_server)
    training = upload(client, dpo_jsonl(10))
    bad_method: Any = {"type": "dpo", "dpo": {"hyperparameters": {"beta": 5}}}
    with pytest.raises(openai.BadRequestError, match="5 is greater than the maximum of 2") as caught:
        client.fine_tuning.jobs.create(model="gpt-4o-2024-08-06", training_file=training, method=bad_method)
    assert caught.value.param == "method.dpo.hyperparameters.beta"
    violations = api_server.take_violations()
    assert len(violations) == 1
    assert "body.method.dpo.hyperparameters.beta: 5 is greater than the maximum of 2" in violations[0]
    with pytest.raises(openai.BadRequestError):
        client.fine_tuning.jobs.list(extra_query={"limt": "5"})
    assert api_server.take_violations() == [
        "[openai] request GET /fine_tuning/jobs: unknown query parameter 'limt'"
    ]


def test_a_response_that_breaks_the_spec_is_recorded(api_server: ApiServer) -> None:
    client = openai_client(api_server)
    job = start_dpo_job(client, method=DPO)
    api_server.world.jobs[job.id].seed = "seven"  # type: ignore[assignment]  # corrupt the server on purpose
    client.fine_tuning.jobs.retrieve(job.id)
    violations = api_server.take_violations()
    assert violations and all("seed: 'seven' is not of type 'integer'" in v for v in violations)


def test_spec_validator_knows_the_documented_deviations() -> None:
    openai_spec, azure_spec = SpecValidator("openai"), SpecValidator("azure")
    create = openai_spec.find("POST", "/fine_tuning/jobs")
    assert create is not None and create.operation_id == "createFineTuningJob"
    body = {
        "model": "m",
        "training_file": "f",
        "trainingType": 5,
        "method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": "auto", "l2_multiplier": "x"}}},
    }
    assert openai_spec.check_request(create, {}, "application/json", body) == []  # OpenAI's spec is open
    azure_create = azure_spec.find("POST", "/fine_tuning/jobs")
    assert azure_create is not None
    problems = azure_spec.check_request(azure_create, {}, "application/json", body)
    assert any("trainingType: 5 is not of type 'string'" in p for p in problems)
    assert any("l2_multiplier" in p for p in problems)
    retrieve = openai_spec.find("GET", "/fine_tuning/jobs/abc")
    assert retrieve is not None and retrieve.operation_id == "retrieveFineTuningJob"
    assert openai_spec.find("GET", "/fine_tuning/jobs/abc/events") is not None
    # beta's exclusive minimum (written as OpenAPI 3.0 `exclusiveMinimum: true`) is enforced.
    zero = {
        "model": "m",
        "training_file": "f",
        "method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": 0}}},
    }
    assert openai_spec.check_request(create, {}, "application/json", zero) != []


# ----- by hand ------------------------------------------------------------------------------------------
def test_the_server_can_be_started_by_hand() -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "tests.apiserver", "--style", "openai", "--tick", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline() for _ in range(3)]
        base_url = lines[1].split(":", 1)[1].strip()
        key = lines[2].split(":", 1)[1].strip()
        assert base_url.startswith("http://127.0.0.1:") and base_url.endswith("/v1")
        client = openai.OpenAI(base_url=base_url, api_key=key, max_retries=0)
        assert "gpt-4.1-mini-2025-04-14" in {m.id for m in client.models.list()}
    finally:
        process.terminate()
        process.wait(timeout=10)


# ----- chat completions and deployments (issue 8) -------------------------------------------------------
CHAT = [{"role": "system", "content": "Answer briefly."}, {"role": "user", "content": "How do I start?"}]


def test_chat_answers_are_deterministic_per_model_and_prompt(api_server: ApiServer) -> None:
    client = openai_client(api_server)
    first = client.chat.completions.create(model="gpt-4.1-mini-2025-04-14", messages=CHAT)
    again = client.chat.completions.create(model="gpt-4.1-mini-2025-04-14", messages=CHAT)
    other_model = client.chat.completions.create(model="gpt-4o-2024-08-06", messages=CHAT)
    other_prompt = client.chat.completions.create(
        model="gpt-4.1-mini-2025-04-14", messages=[{"role": "user", "content": "Something else"}]
    )
    text = first.choices[0].message.content
    assert text and text == again.choices[0].message.content
    assert text != other_model.choices[0].message.content
    assert text != other_prompt.choices[0].message.content
    assert first.usage is not None and first.usage.completion_tokens == len(text.split())

    several = client.chat.completions.create(
        model="gpt-4.1-mini-2025-04-14", messages=CHAT, n=3, max_tokens=4
    )
    assert len({c.message.content for c in several.choices}) == 3
    assert all(
        c.finish_reason == "length" and len((c.message.content or "").split()) == 4 for c in several.choices
    )
    with pytest.raises(openai.NotFoundError, match="does not exist or you do not have access"):
        client.chat.completions.create(model="gpt-7", messages=CHAT)


def test_chat_streams_server_sent_events_that_add_up_to_the_whole_answer(api_server: ApiServer) -> None:
    client = openai_client(api_server)
    whole = (
        client.chat.completions.create(model="gpt-4.1-nano-2025-04-14", messages=CHAT)
        .choices[0]
        .message.content
    )
    api_server.stream_delay = 0.001
    stream = client.chat.completions.create(
        model="gpt-4.1-nano-2025-04-14", messages=CHAT, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == whole
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None
    assert len(chunks) > 5


def test_tuned_models_chat_on_openai_and_a_scripted_responder_wins(api_server: ApiServer) -> None:
    client = openai_client(api_server)
    job = client.fine_tuning.jobs.create(
        model="gpt-4o-mini-2024-07-18", training_file=upload(client, dpo_jsonl()), method=DPO
    )
    api_server.run_to_completion(job.id)
    tuned = client.fine_tuning.jobs.retrieve(job.id).fine_tuned_model
    assert tuned is not None
    api_server.chat_responder = lambda model, messages, index: f"{model} says {messages[-1]['content']}"
    reply = client.chat.completions.create(model=tuned, messages=CHAT)
    assert reply.choices[0].message.content == f"{tuned} says How do I start?"
    assert reply.model == tuned


def test_azure_deployment_progresses_on_the_clock_then_serves_chat(azure_api_server: ApiServer) -> None:
    from tests.apiserver.deployments import ARM_AUDIENCE

    server = azure_api_server
    client = azure_client(server)
    job = client.fine_tuning.jobs.create(
        model="gpt-4.1-mini-2025-04-14",
        training_file=upload(client, dpo_jsonl()),
        method=AZURE_DPO,
        extra_body={"trainingType": "developerTier"},
    )
    server.run_to_completion(job.id)
    tuned = client.fine_tuning.jobs.retrieve(job.id).fine_tuned_model
    checkpoint = next(iter(client.fine_tuning.jobs.checkpoints.list(job.id))).fine_tuned_model_checkpoint

    arm = httpx2.Client(
        base_url=server.arm_endpoint, headers={"Authorization": f"Bearer {server.entra_token(ARM_AUDIENCE)}"}
    )
    url = (
        "/subscriptions/sub-1/resourceGroups/rg-1/providers/Microsoft.CognitiveServices/accounts/acct/"
        "deployments/{name}?api-version=2024-10-01"
    )
    body = {
        "sku": {"name": "developertier", "capacity": 50},
        "properties": {"model": {"format": "OpenAI", "name": tuned, "version": "1"}},
    }
    created = arm.put(url.format(name="tuned"), json=body)
    assert created.status_code == 201
    assert created.json()["properties"]["provisioningState"] == "Creating"
    assert arm.get(created.headers["Azure-AsyncOperation"]).json()["status"] == "InProgress"
    with pytest.raises(openai.NotFoundError, match="API deployment for this resource does not exist"):
        client.chat.completions.create(model="tuned", messages=CHAT)

    server.advance()
    assert arm.get(url.format(name="tuned")).json()["properties"]["provisioningState"] == "Creating"
    server.advance()
    assert arm.get(url.format(name="tuned")).json()["properties"]["provisioningState"] == "Succeeded"
    assert arm.get(created.headers["Azure-AsyncOperation"]).json()["status"] == "Succeeded"
    assert client.chat.completions.create(model="tuned", messages=CHAT).model == tuned

    server.deploy("base", "gpt-4.1-mini-2025-04-14")
    v1 = openai.OpenAI(base_url=server.azure_v1_base_url, api_key=server.api_key, max_retries=0)
    chunks = list(v1.chat.completions.create(model="base", messages=CHAT, stream=True))
    assert (
        chunks[0].choices == [] and chunks[0].model_extra is not None
    )  # Azure's prompt filter verdict first
    assert chunks[0].model_extra["prompt_filter_results"][0]["prompt_index"] == 0
    streamed = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert streamed == client.chat.completions.create(model="base", messages=CHAT).choices[0].message.content

    checkpoint_body = {
        **body,
        "properties": {"model": {"format": "OpenAI", "name": checkpoint, "version": "1"}},
    }
    assert arm.put(url.format(name="ckpt"), json=checkpoint_body).status_code == 201
    assert {d["name"] for d in arm.get(url.format(name="").replace("/?", "?")).json()["value"]} == {
        "tuned",
        "base",
        "ckpt",
    }
    unknown = {**body, "properties": {"model": {"format": "OpenAI", "name": "gpt-9", "version": "1"}}}
    assert (
        arm.put(url.format(name="bad"), json=unknown).json()["error"]["code"] == "DeploymentModelNotSupported"
    )
    assert arm.delete(url.format(name="tuned")).status_code == 200
    missing = arm.get(url.format(name="tuned"))
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "ResourceNotFound"
    assert (
        arm.get(url.format(name="base").split("?")[0]).json()["error"]["code"] == "MissingApiVersionParameter"
    )
    resource_key = httpx2.get(
        server.arm_endpoint + url.format(name="base"), headers={"api-key": server.api_key}
    )
    assert resource_key.status_code == 401  # ARM takes Entra tokens only


def test_azure_classic_route_deletes_finished_jobs_only(azure_api_server: ApiServer) -> None:
    client = azure_client(azure_api_server)
    job = client.fine_tuning.jobs.create(
        model="gpt-4o-2024-08-06",
        training_file=upload(client, dpo_jsonl()),
        method=AZURE_DPO,
        extra_body={"trainingType": "Standard"},
    )
    with pytest.raises(openai.BadRequestError, match="still active"):
        client.delete(f"/fine_tuning/jobs/{job.id}", cast_to=object)
    client.fine_tuning.jobs.cancel(job.id)
    response = client.delete(f"/fine_tuning/jobs/{job.id}", cast_to=httpx2.Response)
    assert response.status_code == 204
    with pytest.raises(openai.NotFoundError):
        client.fine_tuning.jobs.retrieve(job.id)


def test_truncated_replies_break_mid_body_and_mid_stream(api_server: ApiServer) -> None:
    client = openai_client(api_server)
    api_server.faults.add("GET", r"^/models$", "truncate")
    with pytest.raises(openai.APIConnectionError):
        client.models.list()
    assert client.models.list().data  # once only

    api_server.faults.add("POST", r"^/chat/completions$", "truncate", after=3)
    stream = client.chat.completions.create(model="gpt-4o-2024-08-06", messages=CHAT, stream=True)
    received = []
    with pytest.raises(openai.APIConnectionError):
        for chunk in stream:
            received.append(chunk)
    assert len(received) == 3


def test_unknown_statuses_and_event_types_can_be_injected(api_server: ApiServer) -> None:
    client = openai_client(api_server)
    job = start_dpo_job(client, method=DPO)
    api_server.force_status(job.id, "validating_data")
    assert client.fine_tuning.jobs.retrieve(job.id).status == "validating_data"
    assert [j.status for j in client.fine_tuning.jobs.list()] == ["validating_data"]
    api_server.force_status(job.id, None)
    assert client.fine_tuning.jobs.retrieve(job.id).status == "validating_files"

    event_id = api_server.add_event(
        job.id, "Moderation checks passed.", type="moderation_checks", data={"flagged": False}
    )
    custom = api_server.add_event(
        job.id, "Step 1/1", type="metrics", data={"step": 1, "train_rewards_margin": 0.42}
    )
    events = {e.id: e for e in client.fine_tuning.jobs.list_events(job.id)}
    assert events[event_id].type == "moderation_checks"
    assert events[custom].data == {"step": 1, "train_rewards_margin": 0.42}
    assert api_server.violations == []  # injected values are allowed, nothing else is


def test_file_expiry_is_sent_as_form_fields_and_echoed(api_server: ApiServer) -> None:
    client = openai_client(api_server)
    stored = client.files.create(
        file=("t.jsonl", io.BytesIO(dpo_jsonl(10))),
        purpose="fine-tune",
        expires_after={"anchor": "created_at", "seconds": 7200},
    )
    assert stored.expires_at == stored.created_at + 7200
    assert api_server.requests_to("POST", "^/files$")[0].form == {
        "purpose": "fine-tune",
        "expires_after[anchor]": "created_at",
        "expires_after[seconds]": "7200",
    }
    with pytest.raises(openai.BadRequestError, match="less than the minimum of 3600"):
        client.files.create(
            file=("t.jsonl", io.BytesIO(dpo_jsonl(10))),
            purpose="fine-tune",
            expires_after={"anchor": "created_at", "seconds": 60},
        )
    assert "expires_after.seconds: 60 is less than the minimum of 3600" in api_server.take_violations()[0]


def test_a_bug_in_the_server_is_a_500_and_a_recorded_violation(api_server: ApiServer) -> None:
    api_server.world.models["broken"] = None  # type: ignore[assignment]  # break the server on purpose
    with pytest.raises(openai.InternalServerError):
        openai_client(api_server).models.list()
    taken = api_server.take_violations()
    assert len(taken) == 1 and taken[0].startswith("[server bug] GET /v1/models: AttributeError")


def test_upload_parts_may_arrive_in_parallel(api_server: ApiServer) -> None:
    from concurrent.futures import ThreadPoolExecutor

    client = openai_client(api_server)
    data = dpo_jsonl(200)
    size = len(data) // 8 + 1
    chunks = [data[i : i + size] for i in range(0, len(data), size)]
    session = client.uploads.create(
        bytes=len(data), filename="parallel.jsonl", mime_type="text/jsonl", purpose="fine-tune"
    )
    with ThreadPoolExecutor(max_workers=4) as pool:
        part_ids = list(
            pool.map(lambda chunk: client.uploads.parts.create(session.id, data=chunk).id, chunks)
        )
    done = client.uploads.complete(session.id, part_ids=part_ids)
    assert done.file is not None
    assert client.files.content(done.file.id).read() == data


def test_responses_api_answers_like_chat_whole_truncated_and_streamed(api_server: ApiServer) -> None:
    client = openai_client(api_server)
    question = "Explain machine learning in simple terms."
    chat = client.chat.completions.create(
        model="gpt-4.1-mini-2025-04-14", messages=[{"role": "user", "content": question}]
    )
    response = client.responses.create(
        model="gpt-4.1-mini-2025-04-14", input=[{"role": "user", "content": question}]
    )
    assert response.status == "completed"
    assert response.output_text == chat.choices[0].message.content  # one answer per model and prompt
    short = client.responses.create(model="gpt-4.1-mini-2025-04-14", input=question, max_output_tokens=16)
    assert short.status == "incomplete" and short.incomplete_details is not None
    assert len(short.output_text.split()) == 16

    events = list(client.responses.create(model="gpt-4.1-mini-2025-04-14", input=question, stream=True))
    assert events[0].type == "response.created" and events[-1].type == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    deltas = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    assert deltas == response.output_text


def test_foundry_project_tests_a_deployment_with_responses_as_the_guide_does(
    azure_api_server: ApiServer,
) -> None:
    azure_api_server.deploy("dpo-tuned", "gpt-4.1-mini-2025-04-14.ft-abc")
    project = openai.OpenAI(
        base_url=azure_api_server.project_endpoint() + "/openai/v1/",
        api_key=lambda: azure_api_server.entra_token("https://ai.azure.com/.default"),
        max_retries=0,
    )
    response = project.responses.create(
        model="dpo-tuned", input=[{"role": "user", "content": "Explain machine learning in simple terms."}]
    )
    assert response.model == "gpt-4.1-mini-2025-04-14.ft-abc" and response.output_text
    with pytest.raises(openai.NotFoundError, match="API deployment for this resource does not exist"):
        project.responses.create(model="not-deployed", input="Hello")
