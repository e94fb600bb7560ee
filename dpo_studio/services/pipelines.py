""" "SFT on the preferred answers first, then DPO from that model" as one tracked pipeline.

The wizard creates the supervised job and stores a :class:`Pipeline` holding the DPO request (its files are
already uploaded). :func:`advance_pipeline` looks at the supervised job: once it succeeded, the DPO job is
created from the resulting model and recorded with its provenance; if it failed or was cancelled, the
pipeline stops with the reason. Pipelines live in ``pipelines.json`` under the data folder, so one started
before the app was closed continues when it starts again.
"""

from __future__ import annotations

import dataclasses
import json
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from dpo_studio.core import paths
from dpo_studio.core.atomicfile import atomic_write_bytes
from dpo_studio.services.status import JobStatus

if TYPE_CHECKING:  # the provider modules load the openai SDK: the app reads this store at start-up without it
    from dpo_studio.services.providers.requests import DpoJobRequest
    from dpo_studio.services.providers.service import FineTuningProvider

FILE_NAME = "pipelines.json"

WAITING = "waiting"  # the supervised job is still running
CREATED = "created"  # the DPO job exists
STOPPED = "stopped"  # the supervised job did not succeed, or creating the DPO job failed for good


@dataclass
class Pipeline:
    """One SFT → DPO pipeline."""

    id: str
    connection_id: str
    sft_job_id: str
    request: dict[str, Any]  # request_to_dict of the DPO request (model filled in from the SFT result)
    provenance: dict[str, Any] = field(default_factory=dict)
    state: str = WAITING
    dpo_job_id: str = ""
    sft_model: str = ""
    message: str = ""

    @property
    def waiting(self) -> bool:
        """Whether the DPO stage is still to be created."""
        return self.state == WAITING


def request_to_dict(request: DpoJobRequest) -> dict[str, Any]:
    """A JSON-ready copy of a DPO request."""
    data = dataclasses.asdict(request)
    data["training_type"] = request.training_type.value if request.training_type is not None else None
    return data


def request_from_dict(data: dict[str, Any], model: str) -> DpoJobRequest:
    """The DPO request stored by :func:`request_to_dict`, for ``model``."""
    from dpo_studio.services.providers.requests import AUTO, DpoHyperparameters, DpoJobRequest
    from dpo_studio.services.providers.traits import TrainingType

    hyper = data.get("hyperparameters") or {}
    training_type = data.get("training_type")
    return DpoJobRequest(
        model=model,
        training_file=str(data.get("training_file") or ""),
        validation_file=data.get("validation_file") or None,
        hyperparameters=DpoHyperparameters(
            beta=hyper.get("beta", AUTO),
            batch_size=hyper.get("batch_size", AUTO),
            learning_rate_multiplier=hyper.get("learning_rate_multiplier", AUTO),
            n_epochs=hyper.get("n_epochs", AUTO),
            l2_multiplier=hyper.get("l2_multiplier"),
        ),
        suffix=str(data.get("suffix") or ""),
        seed=data.get("seed"),
        metadata=dict(data.get("metadata") or {}),
        training_type=TrainingType(training_type) if training_type else None,
    )


class PipelineStore:
    """The pipelines file (JSON, written atomically)."""

    _lock = threading.Lock()

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or paths.data_dir() / FILE_NAME

    def all(self) -> list[Pipeline]:
        """Every stored pipeline, oldest first."""
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return []
        names = {f.name for f in dataclasses.fields(Pipeline)}
        found: list[Pipeline] = []
        for item in raw.get("pipelines", []) if isinstance(raw, dict) else []:
            if isinstance(item, dict):
                try:
                    found.append(Pipeline(**{k: v for k, v in item.items() if k in names}))
                except TypeError:
                    continue  # a damaged entry is skipped
        return found

    def waiting(self, connection_id: str | None = None) -> list[Pipeline]:
        """Pipelines whose DPO stage is still to be created."""
        return [p for p in self.all() if p.waiting and connection_id in (None, p.connection_id)]

    def save(self, pipeline: Pipeline) -> None:
        """Add or replace a pipeline."""
        with self._lock:
            pipelines = [p for p in self.all() if p.id != pipeline.id] + [pipeline]
            data = {"version": 1, "pipelines": [dataclasses.asdict(p) for p in pipelines]}
            atomic_write_bytes(self.path, json.dumps(data, indent=2).encode("utf-8"))


def advance_pipeline(
    provider: FineTuningProvider, pipeline: Pipeline, store: PipelineStore | None = None
) -> Pipeline:
    """Check the supervised job; create the DPO job from its model once it succeeded. Saves the new state.

    Runs off the GUI thread. Errors while creating the DPO job propagate (the pipeline stays waiting, so the
    next check tries again); a supervised job that failed or was cancelled stops the pipeline.
    """
    from dpo_studio.services.history import history
    from dpo_studio.services.submission import record_job

    if not pipeline.waiting:
        return pipeline
    store = store or PipelineStore()
    sft = provider.retrieve_job(pipeline.sft_job_id)
    records = history()
    records.upsert_connection(provider.profile.id, provider.profile.name, provider.profile.kind)
    records.upsert_jobs(provider.profile.id, [sft])
    if sft.state is JobStatus.SUCCEEDED and sft.fine_tuned_model:
        request = request_from_dict(pipeline.request, sft.fine_tuned_model)
        body = provider.job_body(request)
        job = provider.create_dpo_job(request)
        fields = dict(pipeline.provenance)
        fields["extra"] = {
            **dict(fields.get("extra") or {}),
            "stage": "dpo",
            "pipeline": pipeline.id,
            "sft_job_id": sft.id,
            "sft_model": sft.fine_tuned_model,
        }
        record_job(records, provider.profile, job, body, fields)
        pipeline.state = CREATED
        pipeline.dpo_job_id = job.id
        pipeline.sft_model = sft.fine_tuned_model
        pipeline.message = f"DPO job {job.id} created from {sft.fine_tuned_model}."
    elif sft.state.is_terminal:
        pipeline.state = STOPPED
        reason = f": {sft.error_message}" if sft.error_message else ""
        pipeline.message = (
            f"The supervised job {sft.id} ended {sft.status.label.lower()}{reason}; DPO was not started."
        )
    else:
        pipeline.message = f"Waiting for the supervised job {sft.id} ({sft.status.label})."
    store.save(pipeline)
    return pipeline
