"""The "New DPO job" wizard, mirroring the Foundry portal's steps (reference/azure-foundry §10.2).

Connection and base model → method → training tier (Azure / Foundry) → training data → validation data →
name and settings → review → submit. The choices are remembered as the next run's defaults.
"""

from __future__ import annotations

import contextlib
import shutil

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QWidget, QWizard

from dpo_studio.core.document import Document
from dpo_studio.core.errors import UserError
from dpo_studio.services.jobplan import SECTION, WizardDefaults
from dpo_studio.services.providers import ProviderOptions, TrainingType
from dpo_studio.services.settings import settings
from dpo_studio.services.submission import SubmissionResult
from dpo_studio.ui.session import DocumentSession
from dpo_studio.ui.wizard.pages import (
    PAGE_CONNECTION,
    PAGE_METHOD,
    PAGE_REVIEW,
    PAGE_SETTINGS,
    PAGE_SUBMIT,
    PAGE_TIER,
    PAGE_TRAINING,
    PAGE_VALIDATION,
    ConnectionPage,
    MethodPage,
    SettingsPage,
    TierPage,
    TrainingDataPage,
    ValidationPage,
)
from dpo_studio.ui.wizard.review import ReviewPage, SubmitPage
from dpo_studio.ui.wizard.state import ProviderCache, ProviderFactory, WizardState


def load_defaults() -> WizardDefaults:
    """The remembered choices (their defaults on first use)."""
    try:
        return settings().load(SECTION, WizardDefaults)
    except UserError:
        return WizardDefaults()


def state_from_defaults(defaults: WizardDefaults) -> WizardState:
    """A fresh wizard state starting from the remembered choices."""
    try:
        tier = TrainingType(defaults.training_type)
    except ValueError:
        tier = TrainingType.GLOBAL_STANDARD
    return WizardState(
        defaults=defaults,
        model=defaults.model,
        sft_first=defaults.sft_first,
        training_type=tier,
        training_source=defaults.training_source,
        validation_mode=defaults.validation_mode,
        split_ratio=min(0.5, max(0.01, float(defaults.split_ratio))),
        split_seed=int(defaults.split_seed),
    )


class JobWizard(QWizard):
    """Configure, review and submit a DPO job."""

    #: (connection id, job id) of the job to show once the wizard is done.
    runRequested = Signal(str, str)
    #: Emitted after a job (or a pipeline's first job) was created.
    jobSubmitted = Signal(object)

    def __init__(
        self,
        session: DocumentSession | None = None,
        *,
        provider_factory: ProviderFactory | None = None,
        provider_options: ProviderOptions | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("jobWizard")
        self.setWindowTitle("New DPO job")
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.HaveHelpButton, False)
        self.session = session
        self.state = state_from_defaults(load_defaults())
        self.providers = ProviderCache(provider_factory, provider_options)
        self.submission_result: SubmissionResult | None = None
        self.connection_page = ConnectionPage(self)
        self.method_page = MethodPage(self)
        self.tier_page = TierPage(self)
        self.training_page = TrainingDataPage(self)
        self.validation_page = ValidationPage(self)
        self.settings_page = SettingsPage(self)
        self.review_page = ReviewPage(self)
        self.submit_page = SubmitPage(self)
        for page_id, page in (
            (PAGE_CONNECTION, self.connection_page),
            (PAGE_METHOD, self.method_page),
            (PAGE_TIER, self.tier_page),
            (PAGE_TRAINING, self.training_page),
            (PAGE_VALIDATION, self.validation_page),
            (PAGE_SETTINGS, self.settings_page),
            (PAGE_REVIEW, self.review_page),
            (PAGE_SUBMIT, self.submit_page),
        ):
            self.setPage(page_id, page)
        self.setStartId(PAGE_CONNECTION)
        metrics = self.fontMetrics()
        width, height = metrics.averageCharWidth() * 185, metrics.height() * 50
        screen = self.screen().availableGeometry() if self.screen() is not None else None
        if screen is not None:  # never larger than the screen
            width, height = min(width, screen.width() - 40), min(height, screen.height() - 60)
        self.resize(width, height)

    def document(self) -> Document | None:
        """The open dataset, if any."""
        if self.session is None:
            return None
        document = self.session.document
        return document if len(document) else None

    def submitted(self, result: SubmissionResult) -> None:
        """A job was created: remember the choices as the next defaults and tell the owner."""
        self.submission_result = result
        with contextlib.suppress(UserError):
            settings().save(SECTION, self.state.to_defaults())
        self.jobSubmitted.emit(result)

    def show_run(self) -> None:
        """Ask the owner to show the created job in the Runs tab."""
        result = self.submission_result
        if result is not None and self.state.profile is not None:
            self.runRequested.emit(self.state.profile.id, result.job.id)

    def accept(self) -> None:
        """Finish: show the run."""
        self.show_run()
        super().accept()

    def reject(self) -> None:
        """Close. During an upload, Cancel (or closing) cancels the upload and keeps the wizard open, so
        the user sees which files already exist at the service and can delete or reuse them."""
        if self.submit_page.running:
            self.submit_page.cancel()
            return
        submission = self.submit_page.submission
        if submission is not None:  # the local copies made for upload are not needed any more
            shutil.rmtree(submission.staging_dir, ignore_errors=True)
        super().reject()
