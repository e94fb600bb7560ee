"""The openai SDK against Prism, an independent mock built from OpenAI's spec: proves the fixture works."""

from __future__ import annotations

import io

import openai
import pytest

from tests.apiserver import dpo_jsonl
from tests.apiserver.prism import PrismServer


def client_for(prism: PrismServer) -> openai.OpenAI:
    return openai.OpenAI(base_url=prism.base_url, api_key="sk-prism-test", max_retries=0)


def test_sdk_creates_a_dpo_job_uploads_a_file_and_lists_events_on_prism(prism_server: PrismServer) -> None:
    client = client_for(prism_server)
    uploaded = client.files.create(file=("train.jsonl", io.BytesIO(dpo_jsonl(10))), purpose="fine-tune")
    assert uploaded.object == "file" and uploaded.id
    job = client.fine_tuning.jobs.create(
        model="gpt-4.1-mini-2025-04-14",
        training_file=uploaded.id,
        method={"type": "dpo", "dpo": {"hyperparameters": {"beta": 0.1, "n_epochs": 2}}},
        suffix="prism-check",
    )
    assert job.object == "fine_tuning.job" and job.id
    events = client.fine_tuning.jobs.list_events(job.id, limit=5)
    assert events.object == "list"
    assert all(event.object == "fine_tuning.job.event" for event in events.data)


def test_prism_refuses_a_beta_outside_the_spec(prism_server: PrismServer) -> None:
    client = client_for(prism_server)
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        client.fine_tuning.jobs.create(
            model="gpt-4.1-mini-2025-04-14",
            training_file="file-abc",
            method={"type": "dpo", "dpo": {"hyperparameters": {"beta": 5}}},
        )
    problem = caught.value.response.json()  # application/problem+json listing each violation
    assert any(v["location"][-1] == "beta" for v in problem["validation"]), problem
