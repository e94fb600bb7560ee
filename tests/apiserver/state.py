"""The server's world: files, uploads, fine-tuning jobs (with events and checkpoints) and models.

Jobs move only when the test calls `advance`, so a test controls time exactly. Internal job states are
rendered in the vocabulary of the route that asks: OpenAI names, or Azure's classic names.
"""

from __future__ import annotations

import builtins
import math
import random
import string
import time
import zlib
from dataclasses import dataclass, field
from typing import Any

from .trainingfile import check_training_file

# Internal job states, and how each vocabulary names them.
VALIDATING, QUEUED, RUNNING, PAUSING, PAUSED, RESUMING = (
    "validating",
    "queued",
    "running",
    "pausing",
    "paused",
    "resuming",
)
SUCCEEDED, FAILED, CANCELLED = "succeeded", "failed", "cancelled"
TERMINAL = frozenset({SUCCEEDED, FAILED, CANCELLED})
OPENAI_NAMES = {
    VALIDATING: "validating_files",
    QUEUED: "queued",
    RUNNING: "running",
    PAUSING: "running",
    PAUSED: "paused",
    RESUMING: "queued",
    SUCCEEDED: "succeeded",
    FAILED: "failed",
    CANCELLED: "cancelled",
}
AZURE_NAMES = {
    VALIDATING: "created",
    QUEUED: "pending",
    RUNNING: "running",
    PAUSING: "pausing",
    PAUSED: "paused",
    RESUMING: "resuming",
    SUCCEEDED: "succeeded",
    FAILED: "failed",
    CANCELLED: "cancelled",
}


@dataclass
class ModelInfo:
    """A model the server lists; `dpo`/`supervised` say which fine-tuning methods accept it as a base."""

    id: str
    dpo: bool = False
    supervised: bool = False
    owned_by: str = "system"
    created: int = 1_715_367_049
    fine_tuned: bool = False


BASE_MODELS = [
    ModelInfo("gpt-4o-2024-08-06", dpo=True, supervised=True, created=1_722_814_719),
    ModelInfo("gpt-4o-mini-2024-07-18", dpo=True, supervised=True, created=1_721_172_717),
    ModelInfo("gpt-4.1-2025-04-14", dpo=True, supervised=True, created=1_744_315_746),
    ModelInfo("gpt-4.1-mini-2025-04-14", dpo=True, supervised=True, created=1_744_317_547),
    ModelInfo("gpt-4.1-nano-2025-04-14", dpo=True, supervised=True, created=1_744_321_025),
    ModelInfo("gpt-3.5-turbo-0125", supervised=True, created=1_706_048_358),
    ModelInfo("gpt-4o-2024-11-20", created=1_739_331_543),
    ModelInfo("text-embedding-3-small", created=1_705_948_997),
]


@dataclass
class StoredFile:
    """A file as the Files API knows it; `content` is kept so /content and job validation can read it."""

    id: str
    filename: str
    purpose: str
    content: bytes
    created_at: int
    status: str = "processed"
    status_details: str | None = None
    expires_at: int | None = None
    polls_until_processed: int = 0
    invalid_reason: str | None = None  # set by a file_invalid fault: status error + failing jobs

    def render(self, style: str) -> dict[str, Any]:
        body: dict[str, Any] = {
            "object": "file",
            "id": self.id,
            "purpose": self.purpose,
            "filename": self.filename,
            "bytes": len(self.content),
            "created_at": self.created_at,
            "status": self.status,
            "status_details": self.status_details,
        }
        if self.expires_at is not None:
            body["expires_at"] = self.expires_at
        if body["status_details"] is None:
            del body["status_details"]  # the spec types it as a plain string
        return body


@dataclass
class StoredUpload:
    """An Uploads API session; parts are kept in arrival order until `complete` orders them."""

    id: str
    filename: str
    purpose: str
    bytes: int
    mime_type: str
    created_at: int
    expires_at: int
    status: str = "pending"
    parts: dict[str, builtins.bytes] = field(default_factory=dict)  # `bytes` is a field here
    file_id: str | None = None


@dataclass
class Job:
    """A fine-tuning job and everything it produced so far."""

    id: str
    created_at: int
    model: str
    training_file: str
    validation_file: str | None
    method: dict[str, Any]
    suffix: str | None
    seed: int
    metadata: dict[str, str] | None
    integrations: list[Any] | None
    training_type: str | None
    state: str = VALIDATING
    step: int = 0
    total_steps: int = 0
    steps_per_epoch: int = 0
    examples: int = 0
    tokens: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)  # chronological
    checkpoints: list[dict[str, Any]] = field(default_factory=list)  # chronological
    metrics_rows: list[dict[str, Any]] = field(default_factory=list)
    result_files: list[str] = field(default_factory=list)
    fine_tuned_model: str | None = None
    finished_at: int | None = None
    trained_tokens: int | None = None
    estimated_finish: int | None = None
    error: dict[str, Any] | None = None
    model_base: str | None = None  # the tuned model's name, fixed at the first checkpoint
    status_override: str | None = None  # a status string reported verbatim (tests of unknown states)

    @property
    def method_type(self) -> str:
        return str(self.method.get("type", "supervised"))

    def hyperparameters(self) -> dict[str, Any]:
        section = self.method.get(self.method_type) or {}
        return dict(section.get("hyperparameters") or {})

    def render(self, style: str, vocabulary: str) -> dict[str, Any]:
        names = AZURE_NAMES if vocabulary == "azure" else OPENAI_NAMES
        hyper = self.hyperparameters()
        body: dict[str, Any] = {
            "object": "fine_tuning.job",
            "id": self.id,
            "created_at": self.created_at,
            "model": self.model,
            "organization_id": "org-dpostudiotest" if style == "openai" else "",
            "training_file": self.training_file,
            "validation_file": self.validation_file,
            "status": self.status_override or names[self.state],
            "error": self.error,
            "fine_tuned_model": self.fine_tuned_model,
            "finished_at": self.finished_at,
            "trained_tokens": self.trained_tokens,
            "estimated_finish": self.estimated_finish,
            "result_files": list(self.result_files),
            "seed": self.seed,
            "method": self.method,
            # Top-level hyperparameters echo the supervised ones only; DPO keeps them under `method`.
            "hyperparameters": {
                k: v for k, v in hyper.items() if k in ("batch_size", "learning_rate_multiplier", "n_epochs")
            },
            "integrations": self.integrations,
            "metadata": self.metadata,
        }
        # OpenAI echoes it as `user_provided_suffix` (spec examples); Azure's schema calls it `suffix`.
        body["suffix" if style == "azure" else "user_provided_suffix"] = self.suffix
        if style == "azure" and self.training_type is not None:
            body["trainingType"] = self.training_type
        return body


class World:
    """All server state. Callers hold `ApiServer.lock` while using it."""

    def __init__(self, style: str, seed: int = 20261125) -> None:
        self.style = style
        self.random = random.Random(seed)
        self.now = int(time.time())
        self.files: dict[str, StoredFile] = {}
        self.uploads: dict[str, StoredUpload] = {}
        self.jobs: dict[str, Job] = {}
        self.models: dict[str, ModelInfo] = {m.id: ModelInfo(**vars(m)) for m in BASE_MODELS}
        self.file_processing_polls = 0
        self.seconds_per_step = 30

    # ----- ids -------------------------------------------------------------------------------------
    def _token(self, length: int, alphabet: str = string.ascii_letters + string.digits) -> str:
        return "".join(self.random.choice(alphabet) for _ in range(length))

    def new_id(self, kind: str) -> str:
        """Ids shaped like each provider's (OpenAI: short base62; Azure: 32 hex digits)."""
        if self.style == "azure":
            hex32 = self._token(32, "0123456789abcdef")
            return {
                "file": f"file-{hex32}",
                "job": f"ftjob-{hex32}",
                "event": f"ftevent-{hex32}",
                "checkpoint": f"ftckpt_{self._token(24)}",
                "upload": f"upload-{hex32}",
                "part": f"part-{hex32}",
            }[kind]
        return {
            "file": f"file-{self._token(22)}",
            "job": f"ftjob-{self._token(24)}",
            "event": f"ftevent-{self._token(24)}",
            "checkpoint": f"ftckpt_{self._token(24)}",
            "upload": f"upload_{self._token(24)}",
            "part": f"part_{self._token(24)}",
        }[kind]

    # ----- files -----------------------------------------------------------------------------------
    def add_file(
        self, filename: str, purpose: str, content: bytes, expires_after: int | None = None
    ) -> StoredFile:
        stored = StoredFile(
            id=self.new_id("file"),
            filename=filename,
            purpose=purpose,
            content=content,
            created_at=self.now,
            expires_at=self.now + expires_after if expires_after else None,
        )
        if self.file_processing_polls > 0:
            stored.status = "pending" if self.style == "azure" else "uploaded"
            stored.polls_until_processed = self.file_processing_polls
        self.files[stored.id] = stored
        return stored

    def poll_file(self, stored: StoredFile) -> None:
        """A retrieve counts as a poll: processing finishes after the configured number of polls."""
        if stored.polls_until_processed > 0:
            stored.polls_until_processed -= 1
            if stored.polls_until_processed == 0:
                self._finish_processing(stored)

    def _finish_processing(self, stored: StoredFile) -> None:
        if stored.invalid_reason:
            stored.status, stored.status_details = "error", stored.invalid_reason
        else:
            stored.status = "processed"

    def mark_invalid(self, stored: StoredFile, reason: str) -> None:
        stored.invalid_reason = reason
        if stored.polls_until_processed == 0:
            self._finish_processing(stored)

    # ----- jobs ------------------------------------------------------------------------------------
    def create_job(self, body: dict[str, Any]) -> Job:
        method = body.get("method") or {
            "type": "supervised",
            "supervised": {"hyperparameters": body.get("hyperparameters") or {}},
        }
        method = _with_defaults(method)
        job = Job(
            id=self.new_id("job"),
            created_at=self.now,
            model=body["model"],
            training_file=body["training_file"],
            validation_file=body.get("validation_file"),
            method=method,
            suffix=body.get("suffix"),
            seed=body["seed"] if body.get("seed") is not None else self.random.randrange(2**31),
            metadata=body.get("metadata"),
            integrations=body.get("integrations"),
            training_type=body.get("trainingType"),
        )
        self.jobs[job.id] = job
        self._event(job, f"Created fine-tuning job: {job.id}")
        self._event(
            job,
            f"Validating training file: {job.training_file}"
            + (f" and validation file: {job.validation_file}" if job.validation_file else ""),
        )
        return job

    def _event(
        self,
        job: Job,
        message: str,
        *,
        level: str = "info",
        data: dict[str, Any] | None = None,
        kind: str | None = None,
    ) -> dict[str, Any]:
        event: dict[str, Any] = {
            "object": "fine_tuning.job.event",
            "id": self.new_id("event"),
            "created_at": self.now,
            "level": level,
            "message": message,
            "type": kind or ("metrics" if data is not None else "message"),
            "data": data if data is not None else {},
        }
        job.events.append(event)
        return event

    def advance(self, job: Job, steps: int) -> None:
        """Move one job `steps` ticks along: validate -> queue -> run step by step -> finish."""
        for _ in range(steps):
            if job.state in TERMINAL or job.state == PAUSED:
                return
            self.now += self.seconds_per_step
            if job.state == VALIDATING:
                self._validate(job)
            elif job.state in (QUEUED, RESUMING):
                self._start(job)
            elif job.state == PAUSING:
                job.state = PAUSED
                job.estimated_finish = None
                self._event(job, "Fine-tuning job paused.")
            elif job.state == RUNNING:
                self._train_step(job)

    def _validate(self, job: Job) -> None:
        for param, file_id in (
            ("training_file", job.training_file),
            ("validation_file", job.validation_file),
        ):
            if file_id is None:
                continue
            stored = self.files.get(file_id)
            if stored is None:
                self.fail(
                    job, "invalid_file", f"File {file_id} was deleted before the job could read it.", param
                )
                return
            if stored.invalid_reason:
                self.fail(job, "invalid_training_file", stored.invalid_reason, param)
                return
            check = check_training_file(stored.content, job.method_type)
            if check.problem and (param == "training_file" or check.code != "invalid_n_examples"):
                self.fail(job, check.code or "invalid_training_file", check.problem, param)
                return
            if param == "training_file":
                job.examples, job.tokens = check.examples, check.tokens
        job.state = QUEUED
        self._event(job, "Files validated, moving job to queued state")

    def _start(self, job: Job) -> None:
        resumed = job.state == RESUMING or job.step > 0
        if job.total_steps == 0:
            hyper = job.hyperparameters()
            n_epochs = hyper.get("n_epochs")
            batch_size = hyper.get("batch_size")
            n_epochs = 3 if n_epochs in (None, "auto") else int(n_epochs)
            batch_size = max(1, job.examples // 50) if batch_size in (None, "auto") else int(batch_size)
            resolved = dict(hyper, n_epochs=n_epochs, batch_size=batch_size)
            if resolved.get("learning_rate_multiplier", "auto") == "auto":
                resolved["learning_rate_multiplier"] = 1.8
            if job.method_type == "dpo" and resolved.get("beta", "auto") == "auto":
                resolved["beta"] = 0.1
            job.method = {"type": job.method_type, job.method_type: {"hyperparameters": resolved}}
            job.steps_per_epoch = max(1, math.ceil(job.examples / batch_size))
            job.total_steps = job.steps_per_epoch * n_epochs
        job.state = RUNNING
        job.estimated_finish = self.now + (job.total_steps - job.step) * self.seconds_per_step
        self._event(job, "Fine-tuning job resumed." if resumed else "Fine-tuning job started")

    def _train_step(self, job: Job) -> None:
        job.step += 1
        data = self._metrics(job)
        job.metrics_rows.append(data)
        parts = [f"training loss={data['train_loss']:.2f}"]
        if "valid_loss" in data:
            parts.append(f"validation loss={data['valid_loss']:.2f}")
        if "full_valid_loss" in data:
            parts.append(f"full validation loss={data['full_valid_loss']:.2f}")
        self._event(job, f"Step {job.step}/{job.total_steps}: " + ", ".join(parts), data=data)
        if job.step % job.steps_per_epoch == 0:
            self._checkpoint(job, data)
        if job.step >= job.total_steps:
            self._succeed(job)

    def _metrics(self, job: Job) -> dict[str, Any]:
        """Deterministic, plausible curves: DPO loss starts near ln 2 and falls; noise per job and step."""
        rng = random.Random(zlib.crc32(f"{job.id}:{job.step}".encode()))
        progress = job.step / max(1, job.total_steps)
        train_loss = max(0.0, 0.6931 * math.exp(-2.2 * progress) + 0.05 + rng.uniform(-0.04, 0.04))
        data: dict[str, Any] = {
            "step": job.step,
            "train_loss": round(train_loss, 6),
            "train_mean_token_accuracy": round(min(1.0, 0.5 + 0.45 * progress + rng.uniform(-0.03, 0.03)), 6),
            "total_steps": job.total_steps,
        }
        if job.validation_file:
            data["valid_loss"] = round(train_loss + 0.04 + rng.uniform(-0.03, 0.03), 6)
            data["valid_mean_token_accuracy"] = round(
                min(1.0, 0.48 + 0.42 * progress + rng.uniform(-0.03, 0.03)), 6
            )
            if job.step % job.steps_per_epoch == 0:
                data["full_valid_loss"] = round(train_loss + 0.06, 6)
                data["full_valid_mean_token_accuracy"] = round(min(1.0, 0.47 + 0.43 * progress), 6)
        return data

    def _model_name(self, job: Job) -> str:
        if self.style == "azure":
            name = f"{job.model}.ft-{job.id.split('-', 1)[1]}"
            return f"{name}-{job.suffix}" if job.suffix else name
        return f"ft:{job.model}:dpo-studio-test:{job.suffix or ''}:{self._token(8)}"

    def _checkpoint(self, job: Job, data: dict[str, Any]) -> None:
        base = job.model_base = job.model_base or self._model_name(job)
        metrics = {k: v for k, v in data.items() if k != "total_steps"}
        checkpoint = {
            "object": "fine_tuning.job.checkpoint",
            "id": self.new_id("checkpoint"),
            "created_at": self.now,
            "fine_tuned_model_checkpoint": f"{base}:ckpt-step-{job.step}",
            "fine_tuning_job_id": job.id,
            "step_number": job.step,
            "metrics": metrics,
        }
        job.checkpoints.append(checkpoint)
        del job.checkpoints[:-3]  # "only the checkpoints for the last 3 epochs of the job are saved"
        self._event(
            job,
            f"Checkpoint created at step {job.step} with Snapshot ID: "
            + str(checkpoint["fine_tuned_model_checkpoint"]),
        )

    def _succeed(self, job: Job) -> None:
        job.fine_tuned_model = job.model_base = job.model_base or self._model_name(job)
        job.state = SUCCEEDED
        job.finished_at = self.now
        job.estimated_finish = None
        n_epochs = int(job.hyperparameters().get("n_epochs", 1))
        job.trained_tokens = job.tokens * n_epochs
        results = self.add_file(
            "results.csv" if self.style == "azure" else "step_metrics.csv",
            "fine-tune-results",
            results_csv(job.metrics_rows, self.style).encode(),
        )
        results.status, results.polls_until_processed = "processed", 0
        job.result_files = [results.id]
        self.models[job.fine_tuned_model] = ModelInfo(
            job.fine_tuned_model, owned_by="dpo-studio-test", created=self.now, fine_tuned=True
        )
        self._event(job, f"New fine-tuned model created: {job.fine_tuned_model}")
        self._event(job, "The job has successfully completed")

    def fail(self, job: Job, code: str, message: str, param: str | None = None) -> None:
        """End a job as failed with an error object like the service's."""
        job.state = FAILED
        job.finished_at = self.now
        job.estimated_finish = None
        job.error = {"code": code, "message": message, "param": param}
        self._event(job, message, level="error")

    def cancel(self, job: Job) -> None:
        job.state = CANCELLED
        job.finished_at = self.now
        job.estimated_finish = None
        self._event(job, "Fine-tuning job cancelled.")

    def pause(self, job: Job, *, immediate: bool) -> None:
        if immediate:
            job.state = PAUSED
            job.estimated_finish = None
            self._event(job, "Fine-tuning job paused.")
        else:
            job.state = PAUSING
            self._event(job, "Pausing fine-tuning job.")

    def resume(self, job: Job, *, immediate: bool) -> None:
        job.state = QUEUED if immediate else RESUMING
        self._event(job, "Resuming fine-tuning job.")


def _with_defaults(method: dict[str, Any]) -> dict[str, Any]:
    """The method as the service echoes it: every hyperparameter present, `auto` where not given."""
    kind = method.get("type", "supervised")
    section = dict(method.get(kind) or {})
    hyper = dict(section.get("hyperparameters") or {})
    names = ["batch_size", "learning_rate_multiplier", "n_epochs"] + (["beta"] if kind == "dpo" else [])
    for name in names:
        hyper.setdefault(name, "auto")
    return {"type": kind, kind: {**section, "hyperparameters": hyper}}


def results_csv(rows: list[dict[str, Any]], style: str) -> str:
    """The per-step results file; OpenAI and Azure name the accuracy columns differently."""
    if style == "azure":
        columns = [
            ("step", "step"),
            ("train_loss", "train_loss"),
            ("train_mean_token_accuracy", "train_mean_token_accuracy"),
            ("valid_loss", "valid_loss"),
            ("validation_mean_token_accuracy", "valid_mean_token_accuracy"),
            ("full_valid_loss", "full_valid_loss"),
            ("full_valid_mean_token_accuracy", "full_valid_mean_token_accuracy"),
        ]
    else:
        columns = [
            ("step", "step"),
            ("train_loss", "train_loss"),
            ("train_accuracy", "train_mean_token_accuracy"),
            ("valid_loss", "valid_loss"),
            ("valid_mean_token_accuracy", "valid_mean_token_accuracy"),
        ]
    lines = [",".join(header for header, _ in columns)]
    for row in rows:
        lines.append(",".join("" if row.get(key) is None else str(row[key]) for _, key in columns))
    return "\n".join(lines) + "\n"
