"""Shared set-up for the deploy / playground / evaluation tests (issue 8): a saved connection to the local
API server, a finished DPO job with its tuned model, and Azure deployments of the tuned and the base model."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from dpo_studio.core.records import TRAIN, VALIDATION, PreferenceRecord
from dpo_studio.services.connections import ConnectionProfile
from dpo_studio.services.generation import ChatGenerator, open_generator
from tests.apiserver.server import ApiServer
from tests.provider_options import FAST
from tests.test_runs_service import connect, fast_provider, start_job

BASE_MODEL = "gpt-4.1-mini-2025-04-14"


@dataclass(frozen=True)
class TunedSetup:
    """A connection, a succeeded job and the names to chat with (deployment names on Azure)."""

    profile: ConnectionProfile
    job_id: str
    tuned_model: str
    tuned_name: str  # what goes in `model` for the tuned model
    base_name: str  # what goes in `model` for the base model


def tuned_setup(server: ApiServer, folder: Path) -> TunedSetup:
    """Train a DPO job to completion on ``server``; on Azure also deploy the tuned and the base model."""
    folder.mkdir(parents=True, exist_ok=True)
    profile = connect(server)
    job_id = start_job(server, profile, folder)
    server.run_to_completion(job_id)
    tuned = fast_provider(profile).retrieve_job(job_id).fine_tuned_model
    assert tuned
    if server.style == "azure":
        server.deploy("tuned-eval", tuned)
        server.deploy("base-eval", BASE_MODEL)
        return TunedSetup(profile, job_id, tuned, "tuned-eval", "base-eval")
    return TunedSetup(profile, job_id, tuned, tuned, BASE_MODEL)


def generator(profile: ConnectionProfile) -> ChatGenerator:
    """The app's chat generator for a saved connection (key from the test keyring)."""
    return open_generator(profile, options=FAST)


def prompt_records(count: int, *, validation: int | None = None) -> list[tuple[int, PreferenceRecord]]:
    """(entry, record) pairs with distinct prompts; the last ``validation`` ones in the validation split."""
    validation = count // 2 if validation is None else validation
    records = []
    for index in range(count):
        records.append(
            (
                index,
                PreferenceRecord(
                    context=[
                        {"role": "system", "content": "Answer in one short sentence."},
                        {"role": "user", "content": f"Question {index}: how do I pick a learning rate?"},
                    ],
                    preferred=[{"role": "assistant", "content": f"Good answer {index}."}],
                    rejected=[{"role": "assistant", "content": f"Bad answer {index}."}],
                    split=VALIDATION if index >= count - validation else TRAIN,
                ),
            )
        )
    return records
