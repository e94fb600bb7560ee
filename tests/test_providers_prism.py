"""The provider layer's calls against Prism, an independent mock generated from OpenAI's OpenAPI spec.

Prism answers 422 with the exact violation to any request that breaks the spec, so every call below passing
means the requests the app builds (DPO hyperparameters, uploads, events paging) match the official spec, not
just our own server's reading of it.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import openai
import pytest

from dpo_studio.services.connections import ProviderKind, new_profile
from dpo_studio.services.errors import BadRequest, ServiceError, user_error
from dpo_studio.services.providers import (
    DpoHyperparameters,
    DpoJobRequest,
    EventFeed,
    FineTuningProvider,
    ProviderOptions,
    open_provider,
)
from tests.apiserver.prism import PrismServer
from tests.test_providers import write_dataset

pytestmark = pytest.mark.slow


def prism_provider(prism: PrismServer, **options: object) -> FineTuningProvider:
    profile = new_profile("Prism", ProviderKind.CUSTOM, prism.base_url)
    settings = ProviderOptions(max_retries=0, poll_interval=0.01, **options)  # type: ignore[arg-type]
    return open_provider(
        profile, api_key="sk-prism-" + secrets.token_hex(8), options=settings, sleep=lambda s: None
    )


def test_dpo_job_upload_and_events_match_the_spec(prism_server: PrismServer, tmp_path: Path) -> None:
    provider = prism_provider(prism_server)
    provider.list_models()
    remote = provider.upload_training_file(write_dataset(tmp_path), wait=False)
    assert remote.id
    request = DpoJobRequest(
        model="gpt-4.1-mini-2025-04-14",
        training_file=remote.id,
        validation_file="file-validation",
        hyperparameters=DpoHyperparameters(beta=0.1, batch_size=8, learning_rate_multiplier=0.5, n_epochs=2),
        suffix="tone-v1",
        seed=7,
        metadata={"dataset": "sha256-abc"},
    )
    job = provider.create_dpo_job(request)
    assert job.id
    page = provider.events_page(job.id, limit=5)
    provider.events_page(job.id, after=page.last_id or "ftevent-1", limit=5)
    provider.poll_events(EventFeed(job.id), max_pages=2)
    provider.list_checkpoints(job.id)
    provider.retrieve_job(job.id)
    provider.list_jobs(limit=3)
    provider.pause_job(job.id)
    provider.resume_job(job.id)
    provider.cancel_job(job.id)


def test_multipart_upload_matches_the_spec(prism_server: PrismServer, tmp_path: Path) -> None:
    provider = prism_provider(prism_server, files_api_limit=1024, part_size=1000)
    # create, every part and complete pass Prism's checks (a 422 would stop at that step); Prism's canned
    # "completed" Upload carries no file object, which the app reports instead of inventing a file id.
    with pytest.raises(ServiceError, match="returned no file"):
        provider.upload_training_file(write_dataset(tmp_path, count=10), wait=False)


def test_prism_really_checks_requests(prism_server: PrismServer) -> None:
    """A beta outside (0, 2] — which the app refuses before sending — is rejected by Prism with the reason."""
    provider = prism_provider(prism_server)
    method = {"type": "dpo", "dpo": {"hyperparameters": {"beta": 5}}}
    with pytest.raises(openai.APIStatusError) as caught:
        provider.client.fine_tuning.jobs.create(
            model="gpt-4.1-mini-2025-04-14", training_file="file-x", method=method
        )  # type: ignore[arg-type]
    explained = user_error(caught.value, kind=ProviderKind.CUSTOM, action="create the job")
    assert isinstance(explained, BadRequest)
    assert "method.dpo.hyperparameters.beta must be <= 2" in explained.message
