"""The last two pages: review (summary, exact request, cost, warnings, copy as code) and submit."""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING, Any

from PySide6.QtGui import QFontDatabase, QGuiApplication
from PySide6.QtWidgets import (
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QSplitter,
    QVBoxLayout,
    QWidget,
    QWizard,
)

from dpo_studio.core.errors import UserError
from dpo_studio.core.tokens import count_dataset_tokens
from dpo_studio.core.training_data import records_at, upload_name
from dpo_studio.services.errors import Cancelled
from dpo_studio.services.jobplan import (
    TRAINING_OPEN,
    TRAINING_REMOTE,
    VALIDATION_FILE,
    VALIDATION_NONE,
    VALIDATION_REMOTE,
    VALIDATION_SPLIT,
    Endpoint,
    PendingUpload,
    PlanCost,
    curl_snippet,
    placeholder_for,
    plan_cost_from_totals,
    python_pipeline_snippet,
    python_snippet,
    review_warnings,
)
from dpo_studio.services.providers import job_request_body
from dpo_studio.services.submission import Step, StepFailed, Submission, SubmissionResult, supervised_body
from dpo_studio.ui.tasks import TaskContext, TaskHandle
from dpo_studio.ui.wizard.common import ProblemLabel, wrapped_label
from dpo_studio.ui.wizard.pages import PAGE_SUBMIT, WizardPage, alive

if TYPE_CHECKING:
    from dpo_studio.ui.wizard.wizard import JobWizard

SFT_MODEL_PLACEHOLDER = "<the model the supervised job produces>"


def _monospace(edit: QPlainTextEdit) -> None:
    edit.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    edit.setReadOnly(True)
    edit.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)


class ReviewPage(WizardPage):
    """What will be sent and what it will cost, before anything is sent."""

    def __init__(self, wizard: JobWizard) -> None:
        super().__init__(
            wizard,
            "Review",
            "Check what will be sent and what it will cost. Nothing has been uploaded yet.",
        )
        self.setButtonText(QWizard.WizardButton.NextButton, "Submit")
        layout = QVBoxLayout(self)
        splitter = QSplitter()
        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        self.summary = wrapped_label(rich=True)
        self.summary.setObjectName("reviewSummary")
        left_layout.addWidget(self.summary)
        cost_box = QGroupBox("Estimated training cost")
        cost_layout = QVBoxLayout(cost_box)
        self.cost = wrapped_label()
        self.cost.setObjectName("reviewCost")
        cost_layout.addWidget(self.cost)
        left_layout.addWidget(cost_box)
        warnings_box = QGroupBox("Before you submit")
        warnings_layout = QVBoxLayout(warnings_box)
        self.warnings = wrapped_label(rich=True)
        self.warnings.setObjectName("reviewWarnings")
        warnings_layout.addWidget(self.warnings)
        left_layout.addWidget(warnings_box)
        left_layout.addStretch(1)
        scroll = QScrollArea()
        scroll.setWidget(left)
        scroll.setWidgetResizable(True)
        scroll.setFrameShape(QFrame.Shape.NoFrame)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        self.body_label = QLabel(
            "The exact request body (POST …/fine_tuning/jobs). No key or token is part of it:"
        )
        self.body_label.setWordWrap(True)
        self.body = QPlainTextEdit()
        self.body.setObjectName("requestBody")
        _monospace(self.body)
        buttons = QHBoxLayout()
        self.copy_python = QPushButton("Copy as Python")
        self.copy_curl = QPushButton("Copy as curl")
        self.copied = QLabel()
        buttons.addWidget(self.copy_python)
        buttons.addWidget(self.copy_curl)
        buttons.addWidget(self.copied, 1)
        right_layout.addWidget(self.body_label)
        right_layout.addWidget(self.body, 1)
        right_layout.addLayout(buttons)
        splitter.addWidget(scroll)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 1)
        splitter.setStretchFactor(1, 1)
        layout.addWidget(splitter, 1)
        self.copy_python.clicked.connect(lambda: self._copy(self.python_text(), "Python"))
        self.copy_curl.clicked.connect(lambda: self._copy(self.curl_text(), "curl"))
        self.plan_cost: PlanCost | None = None

    # ---- what is shown ----------------------------------------------------------------------------------

    def bodies(self) -> list[tuple[str, dict[str, Any]]]:
        """(title, body) of each job the submission creates, as reviewed."""
        state = self.state
        request = state.request()
        traits = state.traits
        dpo = job_request_body(request, traits)
        if not state.sft_first:
            return [("DPO job", dpo)]
        sft_placeholder = placeholder_for(upload_name(state.stem(), "sft"))
        sft = supervised_body(request, traits, sft_placeholder)
        dpo_later = dict(dpo)
        dpo_later["model"] = SFT_MODEL_PLACEHOLDER
        return [
            ("1. Supervised job (created now)", sft),
            ("2. DPO job (created when job 1 succeeds)", dpo_later),
        ]

    def body_text(self) -> str:
        """The request body (or bodies) as shown."""
        bodies = self.bodies()
        if len(bodies) == 1:
            return json.dumps(bodies[0][1], indent=2, ensure_ascii=False)
        return "\n\n".join(
            f"// {title}\n{json.dumps(body, indent=2, ensure_ascii=False)}" for title, body in bodies
        )

    def python_text(self) -> str:
        """The reviewed request as Python (the DPO job; the key from an environment variable)."""
        state = self.state
        assert state.profile is not None
        bodies = self.bodies()
        endpoint = Endpoint.of(state.profile)
        if len(bodies) == 2:  # supervised first, then DPO from its model
            sft_name = upload_name(state.stem(), "sft")
            sft_upload = PendingUpload("training_file", sft_name, placeholder_for(sft_name))
            dpo = dict(bodies[1][1])
            return python_pipeline_snippet(bodies[0][1], dpo, endpoint, sft_upload, state.pending_uploads())
        return python_snippet(bodies[0][1], endpoint, state.pending_uploads())

    def curl_text(self) -> str:
        """The reviewed request as curl commands (the key from an environment variable)."""
        state = self.state
        assert state.profile is not None
        _title, body = self.bodies()[-1]
        return curl_snippet(body, Endpoint.of(state.profile), state.pending_uploads())

    def _copy(self, text: str, what: str) -> None:
        QGuiApplication.clipboard().setText(text)
        env = Endpoint.of(self.state.profile).env_var if self.state.profile else ""
        self.copied.setText(f"Copied as {what}; it reads the key from ${env}.")

    def initializePage(self) -> None:
        self.body.setPlainText(self.body_text())
        self.summary.setText(self._summary_html())
        self.copied.setText("")
        self._show_warnings()
        self._estimate()

    def _summary_html(self) -> str:
        state = self.state
        profile = state.profile
        assert profile is not None
        rows: list[tuple[str, str]] = [
            ("Connection", f"{profile.name} ({profile.provider_kind.label})"),
            ("Base model", state.model),
            (
                "Method",
                "Supervised on the preferred answers, then DPO from that model" if state.sft_first else "DPO",
            ),
        ]
        if state.uses_tier and state.training_type is not None:
            rows.append(("Training tier", state.training_type.label))
        if state.training_source == TRAINING_REMOTE and state.training_remote is not None:
            rows.append(
                (
                    "Training data",
                    f"{state.training_remote.filename} ({state.training_remote.id}) on the service",
                )
            )
        elif state.training is not None:
            where = "the open dataset" if state.training_source == TRAINING_OPEN else str(state.training.path)
            rows.append(("Training data", f"{state.training_count():,} pairs from {where}"))
        count = f"{state.validation_count() or 0:,} pairs"
        validation_path = state.validation.path if state.validation else ""
        remote_name = state.validation_remote.filename if state.validation_remote else ""
        validation = {
            VALIDATION_NONE: "none",
            VALIDATION_SPLIT: (
                f"{count} split off ({state.split_ratio:.0%}, seed {state.split_seed}, grouped by prompt)"
            ),
            VALIDATION_FILE: f"{count} from {validation_path}",
            VALIDATION_REMOTE: f"{remote_name} on the service",
        }[state.validation_mode]
        rows.append(("Validation data", validation))
        request = state.request()
        rows.append(("Suffix", request.suffix or "(none)"))
        rows.append(("Seed", str(request.seed) if request.seed is not None else "chosen by the service"))
        params = request.hyperparameters
        settings = (
            f"beta {params.beta}, epochs {params.n_epochs}, batch size {params.batch_size}, "
            f"learning-rate multiplier {params.learning_rate_multiplier}"
        )
        if state.traits.supports_l2_multiplier:
            l2 = params.l2_multiplier if params.l2_multiplier is not None else "auto (not sent)"
            settings += f", l2_multiplier {l2}"
        rows.append(("Settings", settings))
        cells = "".join(
            f"<tr><td style='padding-right:12px; "
            f"vertical-align:top'><b>{html.escape(k)}</b></td><td>{html.escape(v)}</td></tr>"
            for k, v in rows
        )
        return f"<table>{cells}</table>"

    def _show_warnings(self) -> None:
        state = self.state
        found = review_warnings(
            examples=state.training_count(),
            length=state.training.length
            if state.training is not None and state.training_source != TRAINING_REMOTE
            else None,
            kind=state.kind,
            training_type=state.training_type if state.uses_tier else None,
            sft_first=state.sft_first,
            validation_examples=state.validation_count()
            if state.validation_mode == VALIDATION_SPLIT
            else None,
            legacy_notice=state.traits.legacy_notice,
        )
        self.warnings.setText(
            "<ul style='margin-left:-20px'>" + "".join(f"<li>{html.escape(w)}</li>" for w in found) + "</ul>"
            if found
            else "Nothing to warn about."
        )

    def _estimate(self) -> None:
        state = self.state
        if state.training is None or state.training_source == TRAINING_REMOTE:
            self.cost.setText(
                "No estimate: the training file is on the service, so its tokens cannot be counted here. "
                "The job reports its billed tokens (trained_tokens) when it finishes."
            )
            return
        self.cost.setText("Counting tokens…")
        dataset = state.training.dataset
        indices = state.train_indices
        params = state.request().hyperparameters
        epochs = params.n_epochs if isinstance(params.n_epochs, int) else None
        kind, model, tier, sft = (
            state.kind,
            state.model,
            state.training_type if state.uses_tier else None,
            state.sft_first,
        )

        counted = state.training.tokens if indices is None else None

        def work(_ctx: TaskContext) -> PlanCost:
            totals = counted
            if totals is None:  # else the whole file trains: its tokens were counted on the data page
                records = list(enumerate(records_at(dataset, indices)))
                _per_entry, totals = count_dataset_tokens(records, model)
            return plan_cost_from_totals(
                totals, kind=kind, model=model, training_type=tier, n_epochs=epochs, sft_first=sft
            )

        def done(cost: PlanCost) -> None:
            self.plan_cost = cost
            self.cost.setText("\n".join(cost.lines()))

        def failed(error: BaseException) -> None:
            self.cost.setText(f"The cost could not be estimated: {getattr(error, 'message', error)}")

        self.run(work, on_done=done, on_error=failed, description="Estimating the cost")

    def nextId(self) -> int:
        return PAGE_SUBMIT


class SubmitPage(WizardPage):
    """Upload with progress and cancel, wait for processing, create the job; retry only what failed."""

    def __init__(self, wizard: JobWizard) -> None:
        super().__init__(
            wizard, "Submit", "Uploading and creating the job. You can cancel while files upload."
        )
        layout = QVBoxLayout(self)
        self.steps_box = QGroupBox("Steps")
        self.steps_layout = QVBoxLayout(self.steps_box)
        self.step_labels: dict[Step, QLabel] = {}
        layout.addWidget(self.steps_box)
        self.progress = QProgressBar()
        self.progress.setObjectName("submitProgress")
        self.progress_text = wrapped_label()
        layout.addWidget(self.progress)
        layout.addWidget(self.progress_text)
        self.problem = ProblemLabel()
        self.problem.setObjectName("submitProblem")
        layout.addWidget(self.problem)
        self.hint = wrapped_label()
        self.hint.setObjectName("submitHint")
        layout.addWidget(self.hint)
        self.result_label = wrapped_label(rich=True)
        self.result_label.setObjectName("submitResult")
        layout.addWidget(self.result_label)
        buttons = QHBoxLayout()
        self.cancel_button = QPushButton("Cancel upload")
        self.retry_button = QPushButton("Retry")
        self.delete_button = QPushButton("Delete the uploaded files")
        self.show_run_button = QPushButton("Show the run")
        for button in (self.cancel_button, self.retry_button, self.delete_button, self.show_run_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(1)
        self.submission: Submission | None = None
        self._fingerprint: tuple[object, ...] | None = None
        self.task: TaskHandle | None = None
        self.outcome: SubmissionResult | None = None
        self._pending: Submission | None = None  # set by the worker once the plan is built
        self.cancel_button.clicked.connect(self.cancel)
        self.retry_button.clicked.connect(self.start)
        self.delete_button.clicked.connect(self.delete_uploads)
        self.show_run_button.clicked.connect(self.job_wizard.show_run)
        self._set_buttons(running=False)

    @property
    def running(self) -> bool:
        """Whether a submission step is running."""
        return self.task is not None and not self.task.done

    def _set_buttons(self, *, running: bool) -> None:
        done = self.outcome is not None
        self.progress.setVisible(running or done)
        self.cancel_button.setVisible(running)
        self.retry_button.setVisible(not running and not done and self.submission is not None)
        self.delete_button.setVisible(
            not running
            and not done
            and self.submission is not None
            and bool(self.submission.uploaded_files())
        )
        self.show_run_button.setVisible(done)
        back = self.job_wizard.button(QWizard.WizardButton.BackButton)
        back.setEnabled(not running and not done)
        self.completeChanged.emit()

    def _build_steps(self, submission: Submission) -> None:
        for label in self.step_labels.values():
            label.deleteLater()
        self.step_labels = {}
        for step in submission.steps():
            label = QLabel()
            self.steps_layout.addWidget(label)
            self.step_labels[step] = label
        self._show_steps(None)

    def _show_steps(self, current: Step | None, failed: bool = False) -> None:
        submission = self.submission
        if submission is None:
            return
        for step, label in self.step_labels.items():
            if submission.step_done(step):
                mark = "✓ done"
            elif step is current:
                mark = "✗ failed" if failed else "… working"
            else:
                mark = "waiting"
            label.setText(f"{step.label} — {mark}")

    def initializePage(self) -> None:
        if self.outcome is None and not self.running:
            self.start()

    def start(self) -> None:
        """Run the submission's remaining steps in the background."""
        if self.running or self.outcome is not None:
            return
        state = self.state
        fingerprint = state.upload_fingerprint()
        reuse = self.submission is not None and fingerprint == self._fingerprint
        self.problem.show_problems([])
        self.hint.setText("")
        self.result_label.setText("")
        self.progress.setRange(0, 0)
        self.progress_text.setText("Preparing the files…")
        cache = self.job_wizard.providers
        profile = state.profile
        existing = self.submission if reuse else None
        assert profile is not None, "the connection page requires a connection"
        if existing is not None:
            existing.plan.request = state.request()  # settings may have changed; the files have not
        plan_builder = state.build_plan

        def work(ctx: TaskContext) -> SubmissionResult:
            submission = existing
            if submission is None:
                plan = plan_builder()
                submission = Submission(cache.get(profile), plan)
                self._pending = submission  # picked up on the GUI thread below
                ctx.progress(0, 0, "ready")
            return submission.run(progress=ctx.progress, cancelled=lambda: ctx.cancelled)

        def progressed(done: int, total: int, text: str) -> None:
            pending = getattr(self, "_pending", None)
            if pending is not None and pending is not self.submission:
                self.submission = pending
                self._fingerprint = fingerprint
                self._build_steps(pending)
            if total > 0:
                self.progress.setRange(0, total)
                self.progress.setValue(min(done, total))
            else:
                self.progress.setRange(0, 0)
            if text and text != "ready":
                self.progress_text.setText(text)
            if self.submission is not None:
                self._show_steps(self.submission.last_step)

        def finished(result: SubmissionResult) -> None:
            progressed(0, 0, "ready")
            self.outcome = result
            self.progress.setRange(0, 1)
            self.progress.setValue(1)
            self.progress_text.setText("")
            self._show_steps(None)
            job = result.job
            if result.pipeline is not None:
                text = (
                    f"<b>Supervised job {html.escape(job.id)} created</b> ({html.escape(job.status.label)}). "
                    "The DPO job is created from its model as soon as it succeeds; the Fine-tune tab shows "
                    "the pipeline."
                )
            else:
                text = f"<b>DPO job {html.escape(job.id)} created</b> ({html.escape(job.status.label)})."
            self.result_label.setText(
                text + " Its provenance (data hash, uploaded files, request) is recorded."
            )
            self._set_buttons(running=False)
            self.job_wizard.submitted(result)

        def failed(error: BaseException) -> None:
            progressed(0, 0, "ready")
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self.progress_text.setText("")
            if isinstance(error, StepFailed):
                self._show_steps(error.step, failed=True)
            if isinstance(error, UserError):
                self.problem.show_problems([error.message])
                self.hint.setText(error.hint)
            else:
                from dpo_studio.ui.errors import present_error

                present_error(self, error, "Submitting the job")
                self.problem.show_problems([f"Something unexpected went wrong: {error}"])
            self._set_buttons(running=False)

        def cancelled() -> None:
            progressed(0, 0, "ready")
            self.progress.setRange(0, 1)
            self.progress.setValue(0)
            self._report_cancel()
            self._set_buttons(running=False)

        from dpo_studio.ui.tasks import task_runner

        self._pending = None
        self.task = task_runner().run(
            work,
            on_done=alive(self, finished),
            on_error=alive(self, lambda e: cancelled() if isinstance(e, Cancelled) else failed(e)),
            on_progress=alive(self, progressed),
            on_cancelled=alive(self, cancelled),
            description="Submitting the job",
        )
        self._tasks.append(self.task)
        self._set_buttons(running=True)

    def _report_cancel(self) -> None:
        submission = self.submission
        files = submission.uploaded_files() if submission is not None else []
        if files:
            listed = ", ".join(f"{name} ({file_id})" for name, file_id in files)
            self.progress_text.setText(
                f"Cancelled. No job was created. These files are at the service: {listed}. Retry reuses "
                f"them; "
                "Delete removes them."
            )
        else:
            self.progress_text.setText("Cancelled. Nothing was created at the service.")
        self._show_steps(None)

    def cancel(self) -> None:
        """Stop the upload (files already processed stay, and are reported)."""
        if self.task is not None:
            self.task.cancel()
            self.progress_text.setText("Cancelling…")

    def delete_uploads(self) -> None:
        """Delete the files this submission uploaded (after a cancel or a failure)."""
        submission = self.submission
        if submission is None:
            return

        def work(_ctx: TaskContext) -> list[str]:
            return submission.delete_uploads()

        def done(deleted: list[str]) -> None:
            self.progress_text.setText(
                f"Deleted {len(deleted)} uploaded file(s) at the service: {', '.join(deleted)}."
            )
            self._show_steps(None)
            self._set_buttons(running=False)

        def failed(error: BaseException) -> None:
            self.problem.show_problems(
                [f"The files could not be deleted: {getattr(error, 'message', error)}"]
            )

        self.run(work, on_done=done, on_error=failed, description="Deleting uploaded files")

    def isComplete(self) -> bool:
        return self.outcome is not None

    def validatePage(self) -> bool:
        return self.outcome is not None
