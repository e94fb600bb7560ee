"""Submitting a job as resumable steps: upload each file, wait until it is processed, create the job.

A :class:`Submission` remembers which steps succeeded (file ids, a multi-part upload's confirmed parts, the
created job), so after a failure :meth:`Submission.run` continues with the failed step and never uploads
again what the service already has. Each failure is raised as :class:`StepFailed`, naming the step.

After a cancel during an upload the service may still have created the file (the request was already
complete when the user pressed Cancel); :meth:`Submission.run` looks for such a file by name and keeps it
as this submission's upload, so :meth:`Submission.uploaded_files` lists everything that exists at the
provider and nothing is left there unreported.

Every created job is recorded in the local history with its provenance (dataset hash and path, hash of the
uploaded bytes, file ids, the exact request body, the connection). With "SFT first", the supervised job is
created here and the DPO stage is stored as a :class:`~dpo_studio.services.pipelines.Pipeline` that
:func:`~dpo_studio.services.pipelines.advance_pipeline` completes once the supervised job succeeded.
"""

from __future__ import annotations

import enum
import shutil
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from dpo_studio.core import paths
from dpo_studio.core.atomicfile import atomic_write_bytes
from dpo_studio.core.errors import UserError
from dpo_studio.core.training_data import UploadFile
from dpo_studio.services.connections import ConnectionProfile
from dpo_studio.services.errors import Cancelled, FileProcessingFailed, explained
from dpo_studio.services.history import HistoryStore, history
from dpo_studio.services.pipelines import Pipeline, PipelineStore, request_to_dict
from dpo_studio.services.providers.requests import DpoJobRequest, check_request, job_request_body
from dpo_studio.services.providers.service import FineTuningProvider
from dpo_studio.services.providers.traits import ProviderTraits
from dpo_studio.services.providers.types import Job, ProgressCallback, RemoteFile, UploadState
from dpo_studio.services.providers.uploads import UploadInterrupted

#: How long before the submission started a file may have been created and still count as ours (clock skew).
CLOCK_SLACK = 120
#: After a cancelled upload, how often (and how far apart, in seconds) to look for a file stored anyway.
STRAY_CHECKS = 4
STRAY_CHECK_INTERVAL = 0.5


class Step(enum.StrEnum):
    """The steps of a submission, in order."""

    UPLOAD_SFT = "upload_sft"
    UPLOAD_TRAINING = "upload_training"
    UPLOAD_VALIDATION = "upload_validation"
    CREATE_SFT_JOB = "create_sft_job"
    CREATE_JOB = "create_job"

    @property
    def label(self) -> str:
        """What the step does, for people."""
        return _STEP_LABELS[self]


_STEP_LABELS = {
    Step.UPLOAD_SFT: "Upload the supervised (preferred answers) file",
    Step.UPLOAD_TRAINING: "Upload the training file",
    Step.UPLOAD_VALIDATION: "Upload the validation file",
    Step.CREATE_SFT_JOB: "Create the supervised fine-tuning job",
    Step.CREATE_JOB: "Create the DPO job",
}


class StepFailed(UserError):
    """A step failed; ``cause`` is the explained error. Running the submission again retries this step."""

    def __init__(self, step: Step, cause: UserError, kept: list[str]) -> None:
        done = f" Already done and kept: {'; '.join(kept)}." if kept else ""
        super().__init__(
            f"{step.label} failed: {cause.message}",
            (cause.hint + " " if cause.hint else "")
            + "Everything you entered is kept; Retry continues with this step."
            + done,
        )
        self.step = step
        self.cause = cause


@dataclass
class FileSlot:
    """One file of the submission: bytes to upload (or an id already on the server) and how far it got."""

    role: str  # "sft" | "training" | "validation"
    upload: UploadFile | None = None
    remote_id: str = ""
    remote_name: str = ""
    processed: bool = False
    resume: UploadState | None = None
    path: Path | None = None

    @property
    def label(self) -> str:
        """The file's name for messages."""
        return self.upload.name if self.upload is not None else self.remote_name or self.remote_id


@dataclass
class SubmissionPlan:
    """Everything needed to submit: the connection, the request, the files and where the data came from."""

    profile: ConnectionProfile
    request: DpoJobRequest  # its file ids are filled in from the slots when the job is created
    training: FileSlot
    validation: FileSlot | None = None
    sft: FileSlot | None = None  # set for "SFT on the preferred answers first, then DPO"
    dataset_path: str = ""
    dataset_sha256: str = ""
    validation_path: str = ""
    validation_sha256: str = ""
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class SubmissionResult:
    """What was created: the job to show (the supervised one for a pipeline), and the body sent."""

    job: Job
    body: dict[str, Any]
    pipeline: Pipeline | None = None


def _never() -> bool:
    return False


def supervised_body(request: DpoJobRequest, traits: ProviderTraits, training_file: str) -> dict[str, Any]:
    """The create-job body of the supervised stage: same model, suffix, seed and tier; auto settings."""
    body = job_request_body(request, traits)
    body["training_file"] = training_file
    body.pop("validation_file", None)
    body["method"] = {
        "type": "supervised",
        "supervised": {
            "hyperparameters": {"batch_size": "auto", "learning_rate_multiplier": "auto", "n_epochs": "auto"}
        },
    }
    # No metadata of our own: Azure's classic route does not document it (v1 only), and the stage is
    # recorded in the local provenance anyway.
    return body


def create_job_from_body(provider: FineTuningProvider, body: dict[str, Any], action: str) -> Job:
    """Send a prepared create-job body (``trainingType`` goes in ``extra_body`` as the SDK needs)."""
    sent = dict(body)
    extra_body = {"trainingType": sent.pop("trainingType")} if "trainingType" in sent else None
    with explained(kind=provider.kind, action=action):
        created = provider.client.fine_tuning.jobs.create(**sent, extra_body=extra_body)
    return Job.from_sdk(created)


def list_training_files(provider: FineTuningProvider) -> list[RemoteFile]:
    """Files at the provider uploaded for fine-tuning, newest first."""
    with explained(kind=provider.kind, action="list the uploaded files"):
        files = [RemoteFile.from_sdk(f) for f in provider.client.files.list(purpose="fine-tune")]
    return sorted(files, key=lambda f: f.created_at or 0, reverse=True)


def delete_file(provider: FineTuningProvider, file_id: str) -> None:
    """Delete a file at the provider."""
    with explained(kind=provider.kind, action="delete the uploaded file"):
        provider.client.files.delete(file_id)


class Submission:
    """The resumable upload → wait → create pipeline of one wizard submission."""

    def __init__(
        self,
        provider: FineTuningProvider,
        plan: SubmissionPlan,
        *,
        staging_dir: Path | None = None,
        store: HistoryStore | None = None,
        pipelines: PipelineStore | None = None,
    ) -> None:
        self.provider = provider
        self.plan = plan
        self.id = uuid.uuid4().hex[:12]
        self.staging_dir = staging_dir or paths.cache_dir() / "uploads" / self.id
        self._store = store
        self._pipelines = pipelines
        self.started = time.time()
        self.result: SubmissionResult | None = None
        self.sft_job: Job | None = None
        self.last_step: Step | None = None

    # ---- what there is to do ------------------------------------------------------------------------------

    @property
    def history(self) -> HistoryStore:
        """The history store provenance is recorded in."""
        return self._store or history()

    def slots(self) -> list[tuple[Step, FileSlot]]:
        """The file slots in upload order, each with its step."""
        found: list[tuple[Step, FileSlot]] = []
        if self.plan.sft is not None:
            found.append((Step.UPLOAD_SFT, self.plan.sft))
        found.append((Step.UPLOAD_TRAINING, self.plan.training))
        if self.plan.validation is not None:
            found.append((Step.UPLOAD_VALIDATION, self.plan.validation))
        return found

    def steps(self) -> list[Step]:
        """Every step of this submission, in order."""
        steps = [step for step, _slot in self.slots()]
        steps.append(Step.CREATE_SFT_JOB if self.plan.sft is not None else Step.CREATE_JOB)
        return steps

    def step_done(self, step: Step) -> bool:
        """Whether ``step`` already succeeded."""
        for slot_step, slot in self.slots():
            if slot_step is step:
                return bool(slot.remote_id) and slot.processed
        return self.result is not None

    def uploaded_files(self) -> list[tuple[str, str]]:
        """(file name, id) of every file this submission has at the provider."""
        return [
            (slot.label, slot.remote_id) for _step, slot in self.slots() if slot.remote_id and slot.upload
        ]

    def _kept(self) -> list[str]:
        return [f"{name} uploaded as {file_id}" for name, file_id in self.uploaded_files()]

    # ---- running ------------------------------------------------------------------------------------------

    def run(
        self, progress: ProgressCallback | None = None, cancelled: Callable[[], bool] = _never
    ) -> SubmissionResult:
        """Do every step not done yet; raises :class:`StepFailed` or ``Cancelled`` (state kept for retry)."""
        check_request(self._request_with_files(placeholders=True), self.provider.traits)
        if self.result is not None:
            return self.result
        for step, slot in self.slots():
            if slot.remote_id and slot.processed:
                continue
            self.last_step = step
            try:
                self._upload(step, slot, progress, cancelled)
            except Cancelled:
                self._adopt_stray_upload(slot)
                raise
            except UploadInterrupted as interrupted:
                slot.resume = interrupted.state
                raise StepFailed(step, interrupted, self._kept()) from None
            except UserError as error:
                raise StepFailed(step, error, self._kept()) from None
        step = Step.CREATE_SFT_JOB if self.plan.sft is not None else Step.CREATE_JOB
        self.last_step = step
        if cancelled():
            raise Cancelled("Stopped before the job was created.", "The uploaded files are kept for a retry.")
        if progress is not None:
            progress(0, 0, step.label)
        try:
            self.result = self._create_pipeline() if self.plan.sft is not None else self._create_job()
        except UserError as error:
            raise StepFailed(step, error, self._kept()) from None
        shutil.rmtree(self.staging_dir, ignore_errors=True)
        return self.result

    def _upload(
        self, step: Step, slot: FileSlot, progress: ProgressCallback | None, cancelled: Callable[[], bool]
    ) -> None:
        label = step.label

        def report(done: int, total: int, text: str) -> None:
            if progress is not None:
                progress(done, total, f"{label}: {text}")

        if not slot.remote_id:
            if slot.resume is not None:
                remote = self.provider.resume_upload(
                    slot.resume, progress=report, cancelled=cancelled, wait=False
                )
            else:
                assert slot.upload is not None, "a slot without bytes must carry a remote id"
                path = self._stage(slot.upload)
                slot.path = path
                remote = self.provider.upload_training_file(
                    path, progress=report, cancelled=cancelled, wait=False
                )
            slot.remote_id = remote.id
            slot.remote_name = remote.filename
            slot.resume = None
        report(0, 0, "waiting for the service to process the file")
        try:
            self.provider.wait_for_file(
                slot.remote_id, cancelled=cancelled, on_status=lambda s: report(0, 0, f"file {s}")
            )
        except FileProcessingFailed:
            # The service will reject the same bytes again: a retry uploads the (corrected) file afresh.
            slot.remote_id = ""
            raise
        slot.processed = True

    def _stage(self, upload: UploadFile) -> Path:
        self.staging_dir.mkdir(parents=True, exist_ok=True)
        path = self.staging_dir / upload.name
        atomic_write_bytes(path, upload.data)
        return path

    def _adopt_stray_upload(self, slot: FileSlot) -> None:
        """After a cancel: if the service created the file anyway, keep it as ours (so it is reported)."""
        if slot.remote_id or slot.upload is None:
            return
        known = {file_id for _name, file_id in self.uploaded_files()}
        # A body sent in full may still be stored after the client gave up: look a few times.
        for attempt in range(STRAY_CHECKS):
            if attempt:
                time.sleep(STRAY_CHECK_INTERVAL)
            try:
                files = list_training_files(self.provider)
            except UserError:
                return
            for remote in files:
                if (
                    remote.filename == slot.upload.name
                    and remote.id not in known
                    and (remote.created_at or 0) >= self.started - CLOCK_SLACK
                    and remote.bytes == len(slot.upload.data)
                ):
                    slot.remote_id = remote.id
                    slot.remote_name = remote.filename
                    return

    def delete_uploads(self) -> list[str]:
        """Delete this submission's uploaded files at the provider (after a cancel); returns their ids."""
        deleted: list[str] = []
        for _step, slot in self.slots():
            if slot.remote_id and slot.upload is not None:
                delete_file(self.provider, slot.remote_id)
                deleted.append(slot.remote_id)
                slot.remote_id = ""
                slot.processed = False
        return deleted

    # ---- creating jobs ------------------------------------------------------------------------------------

    def _request_with_files(self, *, placeholders: bool = False) -> DpoJobRequest:
        request = self.plan.request
        training = self.plan.training.remote_id or ("pending" if placeholders else "")
        validation = None
        if self.plan.validation is not None:
            validation = self.plan.validation.remote_id or ("pending-validation" if placeholders else "")
        return DpoJobRequest(
            model=request.model,
            training_file=training,
            validation_file=validation,
            hyperparameters=request.hyperparameters,
            suffix=request.suffix,
            seed=request.seed,
            metadata=dict(request.metadata),
            training_type=request.training_type,
        )

    def _create_job(self) -> SubmissionResult:
        request = self._request_with_files()
        body = self.provider.job_body(request)
        job = self.provider.create_dpo_job(request)
        self._record(job, body, self.plan.training, stage="dpo")
        return SubmissionResult(job, body)

    def _create_pipeline(self) -> SubmissionResult:
        assert self.plan.sft is not None
        request = self._request_with_files()
        body = supervised_body(request, self.provider.traits, self.plan.sft.remote_id)
        job = create_job_from_body(self.provider, body, "create the supervised fine-tuning job")
        self.sft_job = job
        self._record(job, body, self.plan.sft, stage="sft")
        pipeline = Pipeline(
            id=self.id,
            connection_id=self.plan.profile.id,
            sft_job_id=job.id,
            request=request_to_dict(request),
            provenance=self._provenance_fields(self.plan.training),
            message=f"Supervised job {job.id} created; the DPO job follows when it succeeds.",
        )
        (self._pipelines or PipelineStore()).save(pipeline)
        return SubmissionResult(job, body, pipeline)

    def _provenance_fields(self, training: FileSlot) -> dict[str, Any]:
        plan = self.plan
        validation = plan.validation
        profile = plan.profile
        return {
            "dataset_path": plan.dataset_path,
            "dataset_sha256": plan.dataset_sha256,
            "uploaded_sha256": training.upload.sha256 if training.upload else "",
            "training_file_id": training.remote_id,
            "validation_path": plan.validation_path,
            "validation_sha256": plan.validation_sha256,
            "validation_uploaded_sha256": validation.upload.sha256
            if validation and validation.upload
            else "",
            "validation_file_id": validation.remote_id if validation else "",
            "extra": {
                **plan.extra,
                "connection": {
                    "id": profile.id,
                    "name": profile.name,
                    "kind": profile.kind,
                    "endpoint": profile.effective_endpoint,
                    "auth": profile.auth,
                },
                "uploaded_name": training.upload.name if training.upload else training.remote_name,
            },
        }

    def _record(self, job: Job, body: dict[str, Any], training: FileSlot, *, stage: str) -> None:
        fields = self._provenance_fields(training)
        fields["extra"] = {**fields["extra"], "stage": stage}
        if stage == "sft":
            fields["validation_file_id"] = ""
            fields["validation_uploaded_sha256"] = ""
        record_job(self.history, self.plan.profile, job, body, fields)


def record_job(
    store: HistoryStore, profile: ConnectionProfile, job: Job, body: dict[str, Any], fields: dict[str, Any]
) -> None:
    """Put a just-created job in the run history with its provenance."""
    store.upsert_connection(profile.id, profile.name, profile.kind)
    store.upsert_jobs(profile.id, [job])
    store.record_provenance(job.id, connection_id=profile.id, request_body=body, **fields)
