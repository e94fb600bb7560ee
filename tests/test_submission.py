"""The Qt-free submission pipeline, job plan and SFT conversion against the local API server (both styles)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from dpo_studio.core.dataset import Dataset
from dpo_studio.core.sft import sft_example
from dpo_studio.core.training_data import content_sha256, dpo_upload, grouped_split, sft_upload
from dpo_studio.services.connections import AuthMethod, ProviderKind, new_profile
from dpo_studio.services.errors import Cancelled, FineTuningClosed
from dpo_studio.services.history import history, sha256_of_bytes
from dpo_studio.services.jobplan import (
    SETTINGS,
    Endpoint,
    PendingUpload,
    curl_snippet,
    parse_settings,
    python_snippet,
    review_warnings,
)
from dpo_studio.services.pipelines import CREATED, PipelineStore, advance_pipeline
from dpo_studio.services.providers import (
    DpoHyperparameters,
    DpoJobRequest,
    FineTuningProvider,
    ProviderOptions,
    TrainingType,
    open_provider,
    traits_for,
)
from dpo_studio.services.submission import FileSlot, StepFailed, Submission, SubmissionPlan
from tests.apiserver.server import ApiServer
from tests.provider_options import FAST, MULTIPART

MODEL = "gpt-4.1-mini-2025-04-14"


def write_dataset(folder: Path, count: int = 24, name: str = "pairs.jsonl") -> Path:
    lines = []
    for index in range(count):
        lines.append(
            json.dumps(
                {
                    "input": {
                        "messages": [{"role": "user", "content": f"Greet customer number {index // 2}."}]
                    },
                    "preferred_output": [
                        {"role": "assistant", "content": f"Hello, customer {index}! Welcome."}
                    ],
                    "non_preferred_output": [{"role": "assistant", "content": "What do you want."}],
                }
            )
        )
    path = folder / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def provider_for(server: ApiServer, options: ProviderOptions = FAST) -> FineTuningProvider:
    kind = ProviderKind.CUSTOM if server.style == "openai" else ProviderKind.AZURE_OPENAI
    profile = new_profile(f"Test {server.style}", kind, server.base_url)
    return open_provider(profile, api_key=server.api_key, options=options, sleep=lambda s: None)


def plan_for(
    provider: FineTuningProvider, path: Path, *, split: bool = True, sft: bool = False
) -> SubmissionPlan:
    dataset = Dataset.open(path)
    azure = provider.traits.supports_training_type
    if split:
        train, validation = grouped_split(dataset, 0.25, 7)
    else:
        train, validation = dataset.record_indices(), []
    request = DpoJobRequest(
        model=MODEL,
        training_file="",
        hyperparameters=DpoHyperparameters(beta=0.2, n_epochs=2, l2_multiplier=0.05 if azure else None),
        suffix="tone-v1",
        seed=7,
        training_type=TrainingType.STANDARD if azure else None,
    )
    return SubmissionPlan(
        profile=provider.profile,
        request=request,
        training=FileSlot("training", dpo_upload(dataset, train, "pairs-train.jsonl")),
        validation=FileSlot("validation", dpo_upload(dataset, validation, "pairs-validation.jsonl"))
        if split
        else None,
        sft=FileSlot("sft", sft_upload(dataset, train, "pairs-sft.jsonl")) if sft else None,
        dataset_path=str(path),
        dataset_sha256=content_sha256(dataset),
    )


def test_submission_sends_the_reviewed_request_and_records_provenance(
    server: ApiServer, tmp_path: Path
) -> None:
    provider = provider_for(server)
    path = write_dataset(tmp_path)
    plan = plan_for(provider, path)
    submission = Submission(provider, plan)
    progress: list[str] = []
    result = submission.run(progress=lambda d, t, text: progress.append(text))

    (sent,) = server.requests_to("POST", r"^/fine_tuning/jobs$")
    assert sent.json == result.body
    assert sent.json["method"]["type"] == "dpo"
    hyper = sent.json["method"]["dpo"]["hyperparameters"]
    assert hyper["beta"] == 0.2 and hyper["n_epochs"] == 2 and hyper["batch_size"] == "auto"
    assert sent.json["suffix"] == "tone-v1" and sent.json["seed"] == 7
    if server.style == "azure":
        assert sent.json["trainingType"] == "Standard" and hyper["l2_multiplier"] == 0.05
    else:
        assert "trainingType" not in sent.json and "l2_multiplier" not in hyper
    uploads = server.requests_to("POST", r"^/files$")
    assert len(uploads) == 2  # training and validation, once each
    assert sent.json["training_file"] == plan.training.remote_id
    assert sent.json["validation_file"] == plan.validation.remote_id  # type: ignore[union-attr]
    assert any("Upload the training file" in text for text in progress)

    # The server holds exactly the bytes whose hash provenance records.
    content = provider.file_content(plan.training.remote_id)
    record = history().provenance(result.job.id)
    assert record is not None
    assert record.uploaded_sha256 == sha256_of_bytes(content)
    assert record.dataset_sha256 == sha256_of_bytes(path.read_bytes())  # untouched file: its own hash
    assert record.dataset_path == str(path)
    assert record.training_file_id == plan.training.remote_id
    assert record.validation_file_id == plan.validation.remote_id  # type: ignore[union-attr]
    assert record.request_body == result.body
    assert record.extra["connection"]["name"] == provider.profile.name
    assert server.api_key not in json.dumps(record.extra) + json.dumps(record.request_body)
    assert history().job(provider.profile.id, result.job.id) is not None  # visible in Runs at once

    # Later: the resulting model reaches the provenance through the history sync (H9's store).
    server.run_to_completion(result.job.id)
    history().upsert_jobs(provider.profile.id, [provider.retrieve_job(result.job.id)])
    later = history().provenance(result.job.id)
    assert later is not None and later.fine_tuned_model


def test_a_failed_part_resumes_and_finished_files_are_not_sent_again(
    server: ApiServer, tmp_path: Path
) -> None:
    provider = provider_for(server, MULTIPART)
    plan = plan_for(provider, write_dataset(tmp_path, count=40))
    submission = Submission(provider, plan)
    first = True

    def fail_once(done: int, total: int, text: str) -> None:
        nonlocal first
        if first and "validation" in text and "Sent part 1 of" in text:
            first = False  # the validation file's second part fails on its try and its one retry
            server.faults.add("POST", r"^/uploads/[^/]+/parts$", "status", times=2, status=500)

    with pytest.raises(StepFailed) as caught:
        submission.run(progress=fail_once)
    assert caught.value.step.value == "upload_validation"
    assert plan.validation is not None and plan.validation.resume is not None
    assert len(plan.validation.resume.part_ids) == 1
    assert "Retry" in caught.value.hint and plan.training.remote_id in caught.value.hint
    training_id = plan.training.remote_id
    parts_before = len(server.requests_to("POST", r"^/uploads/[^/]+/parts$"))
    creates_before = len(server.requests_to("POST", r"^/uploads$"))

    result = submission.run()
    assert plan.training.remote_id == training_id  # not uploaded again
    assert len(server.requests_to("POST", r"^/uploads$")) == creates_before  # the same Upload continued
    sent_parts = len(server.requests_to("POST", r"^/uploads/[^/]+/parts$")) - parts_before
    assert plan.validation is not None and plan.validation.upload is not None
    assert sent_parts == -(-len(plan.validation.upload.data) // 1000) - 1  # only the missing parts
    assert provider.file_content(plan.validation.remote_id) == plan.validation.upload.data
    assert result.job.training_file == training_id


def test_a_refused_job_is_explained_and_retry_only_creates_the_job(server: ApiServer, tmp_path: Path) -> None:
    provider = provider_for(server)
    plan = plan_for(provider, write_dataset(tmp_path), split=False)
    submission = Submission(provider, plan)
    server.faults.add("POST", r"^/fine_tuning/jobs$", "refuse_job")
    with pytest.raises(StepFailed) as caught:
        submission.run()
    failure = caught.value
    assert failure.step.value == "create_job"
    if server.style == "openai":
        assert isinstance(failure.cause, FineTuningClosed)
        assert "winding down" in failure.message and "Azure" in failure.hint
    else:
        assert "quota" in failure.message.lower()
    assert not history().jobs()  # nothing recorded for a job that does not exist
    result = submission.run()
    assert len(server.requests_to("POST", r"^/files$")) == 1
    assert result.job.id


def test_cancel_during_upload_leaves_nothing_unreported(server: ApiServer, tmp_path: Path) -> None:
    provider = provider_for(server)
    plan = plan_for(provider, write_dataset(tmp_path, count=200))
    submission = Submission(provider, plan)
    state = {"cancel": False}

    def cancel_in_validation(done: int, total: int, text: str) -> None:
        if "validation" in text and done > 0:
            state["cancel"] = True

    with pytest.raises(Cancelled):
        submission.run(progress=cancel_in_validation, cancelled=lambda: state["cancel"])
    on_server = {f.id for f in provider.client.files.list()}
    reported = {file_id for _name, file_id in submission.uploaded_files()}
    # The validation body was read to its end before the cancel was seen, so the server may have stored it:
    # then it is reported (and reused by a retry) like the training file.
    assert on_server == reported and plan.training.remote_id in reported
    assert not server.requests_to("POST", r"^/fine_tuning/jobs$")
    deleted = submission.delete_uploads()
    assert set(deleted) == reported
    assert not list(provider.client.files.list())


def test_sft_then_dpo_pipeline(server: ApiServer, tmp_path: Path) -> None:
    provider = provider_for(server)
    plan = plan_for(provider, write_dataset(tmp_path), sft=True)
    result = Submission(provider, plan).run()
    assert result.pipeline is not None
    (sft_request,) = server.requests_to("POST", r"^/fine_tuning/jobs$")
    assert sft_request.json["method"]["type"] == "supervised"
    assert sft_request.json["training_file"] == plan.sft.remote_id  # type: ignore[union-attr]
    sft_content = provider.file_content(plan.sft.remote_id)  # type: ignore[union-attr]
    first = json.loads(sft_content.splitlines()[0])
    assert first["messages"][-1]["role"] == "assistant" and "Hello" in first["messages"][-1]["content"]

    store = PipelineStore()
    (waiting,) = store.waiting()
    assert advance_pipeline(provider, waiting).waiting  # still running: nothing created
    assert len(server.requests_to("POST", r"^/fine_tuning/jobs$")) == 1
    server.run_to_completion(result.job.id)
    done = advance_pipeline(provider, store.waiting()[0])
    assert done.state == CREATED
    _, dpo_request = server.requests_to("POST", r"^/fine_tuning/jobs$")
    tuned = provider.retrieve_job(result.job.id).fine_tuned_model
    assert dpo_request.json["model"] == tuned
    assert dpo_request.json["method"]["type"] == "dpo"
    assert dpo_request.json["training_file"] == plan.training.remote_id
    record = history().provenance(done.dpo_job_id)
    assert record is not None and record.extra["sft_job_id"] == result.job.id
    assert not store.waiting()


# ---- pure parts ------------------------------------------------------------------------------------------


def test_settings_parse_with_ranges() -> None:
    azure, openai = traits_for(ProviderKind.AZURE_OPENAI), traits_for(ProviderKind.OPENAI)
    params, problems = parse_settings({"beta": "0.5", "n_epochs": "3", "l2_multiplier": "0.1"}, azure)
    assert not problems and params.beta == 0.5 and params.n_epochs == 3 and params.l2_multiplier == 0.1
    _params, problems = parse_settings({"beta": "0", "n_epochs": "51", "batch_size": "x"}, openai)
    assert set(problems) == {"beta", "n_epochs", "batch_size"}
    assert "above 0 and at most 2" in problems["beta"]
    params, problems = parse_settings({"l2_multiplier": "0.3"}, openai)  # not offered on OpenAI: ignored
    assert params.l2_multiplier is None and not problems
    assert all(s.range_text for s in SETTINGS)


def test_snippets_hold_no_secret_and_name_the_env_var() -> None:
    profile = new_profile("Azure", ProviderKind.AZURE_OPENAI, "https://res.openai.azure.com")
    body = {
        "model": MODEL,
        "training_file": "<id of a.jsonl after upload>",
        "method": {"type": "dpo", "dpo": {"hyperparameters": {"beta": "auto"}}},
        "trainingType": "Standard",
    }
    uploads = [PendingUpload("training_file", "a.jsonl", "<id of a.jsonl after upload>")]
    python = python_snippet(body, Endpoint.of(profile), uploads)
    assert 'os.environ["AZURE_OPENAI_API_KEY"]' in python
    assert 'extra_body={\n        "trainingType": "Standard"\n    }' in python
    assert "training_file=training_upload.id" in python
    compile(python, "snippet", "exec")
    curl = curl_snippet(body, Endpoint.of(profile), uploads)
    assert "api-key: $AZURE_OPENAI_API_KEY" in curl and "api-version=2025-04-01-preview" in curl
    openai_profile = new_profile("OpenAI", ProviderKind.OPENAI, "")
    assert "Authorization: Bearer $OPENAI_API_KEY" in curl_snippet(body, Endpoint.of(openai_profile))
    foundry = new_profile(
        "F",
        ProviderKind.FOUNDRY_PROJECT,
        "https://a.services.ai.azure.com/api/projects/p",
        AuthMethod.ENTRA_BROWSER,
    )
    assert "ai.azure.com/.default" in python_snippet(body, Endpoint.of(foundry))


def test_review_warnings() -> None:
    found = review_warnings(
        examples=20,
        length=None,
        kind=ProviderKind.AZURE_OPENAI,
        training_type=TrainingType.DEVELOPER,
        sft_first=True,
    )
    text = " ".join(found)
    assert "Small dataset" in text and "24 hours" in text and "Two jobs" in text
    assert "hourly hosting fee" not in text  # Developer deployments have none
    standard = " ".join(
        review_warnings(
            examples=500,
            length=None,
            kind=ProviderKind.AZURE_OPENAI,
            training_type=TrainingType.STANDARD,
            sft_first=False,
        )
    )
    assert "hourly hosting fee" in standard and "Small dataset" not in standard


def test_sft_example_keeps_tools() -> None:
    from dpo_studio.core.records import PreferenceRecord

    record = PreferenceRecord(
        context=[{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}],
        preferred=[{"role": "assistant", "content": "Hello."}],
        rejected=[{"role": "assistant", "content": "Go away."}],
        tools=[{"type": "function", "function": {"name": "f", "parameters": {}}}],
        parallel_tool_calls=False,
    )
    example = sft_example(record)
    assert [m["content"] for m in example["messages"]] == ["Be brief.", "Hi", "Hello."]
    assert example["tools"] == record.tools and example["parallel_tool_calls"] is False


def test_foundry_project_submission_sends_the_tier(azure_api_server: ApiServer, tmp_path: Path) -> None:
    """A Foundry project (Entra token for ai.azure.com, OpenAI v1 route) gets the same DPO body and tier."""
    server = azure_api_server
    profile = new_profile(
        "Foundry", ProviderKind.FOUNDRY_PROJECT, server.project_endpoint(), AuthMethod.ENTRA_BROWSER
    )
    provider = open_provider(
        profile,
        token_provider=lambda: server.entra_token("https://ai.azure.com/.default"),
        options=FAST,
        sleep=lambda s: None,
    )
    plan = plan_for(provider, write_dataset(tmp_path), split=False)
    result = Submission(provider, plan).run()
    (sent,) = server.requests_to("POST", r"^/fine_tuning/jobs$")
    assert sent.route != "azure-classic"
    assert sent.json["trainingType"] == "Standard"
    assert sent.json["method"]["dpo"]["hyperparameters"]["l2_multiplier"] == 0.05
    assert history().provenance(result.job.id) is not None


def test_other_dialects_are_uploaded_as_dpo_jsonl_the_service_trains_on(api_server: ApiServer) -> None:
    """An HH-RLHF file from the corpus (a read-only dialect) goes up converted; the server's own check of
    the training file accepts it and the job succeeds; the SFT file from it is valid chat data too."""
    from tests.conftest import CORPUS

    path = CORPUS / "hh_rlhf" / "anthropic-hh-harmless-base-test.jsonl"
    dataset = Dataset.open(path)
    assert dataset.dialect.name != "openai_dpo"
    chosen = dataset.record_indices()[:40]
    upload = dpo_upload(dataset, chosen, "hh-train.jsonl")
    first = json.loads(upload.data.splitlines()[0])
    assert set(first) >= {"input", "preferred_output", "non_preferred_output"}
    assert upload.examples == 40
    provider = provider_for(api_server)
    request = DpoJobRequest(model=MODEL, training_file="")
    plan = SubmissionPlan(
        profile=provider.profile,
        request=request,
        training=FileSlot("training", upload),
        sft=FileSlot("sft", sft_upload(dataset, chosen, "hh-sft.jsonl")),
        dataset_path=str(path),
        dataset_sha256=content_sha256(dataset),
    )
    result = Submission(provider, plan).run()
    assert api_server.run_to_completion(result.job.id) == "succeeded"  # the SFT file trained
    (pipeline,) = PipelineStore().waiting()
    created = advance_pipeline(provider, pipeline)
    assert created.state == CREATED
    assert api_server.run_to_completion(created.dpo_job_id) == "succeeded"  # the converted DPO file trained
    assert provider.file_content(plan.training.remote_id) == upload.data
    record = history().provenance(created.dpo_job_id)
    assert record is not None and record.dataset_sha256 == sha256_of_bytes(path.read_bytes())
