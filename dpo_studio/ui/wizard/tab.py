"""The Fine-tune tab: start the job wizard, and follow SFT → DPO pipelines until their DPO job exists."""

from __future__ import annotations

import html

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from dpo_studio.core.errors import UserError
from dpo_studio.services.connections import ConnectionStore
from dpo_studio.services.pipelines import CREATED, STOPPED, Pipeline, PipelineStore, advance_pipeline
from dpo_studio.services.providers import ProviderOptions
from dpo_studio.ui.session import DocumentSession
from dpo_studio.ui.tasks import TaskContext, TaskHandle, task_runner
from dpo_studio.ui.wizard.common import hint_label, wrapped_label
from dpo_studio.ui.wizard.state import ProviderCache, ProviderFactory
from dpo_studio.ui.wizard.wizard import JobWizard

#: How often waiting pipelines are checked (milliseconds).
PIPELINE_CHECK_MS = 60_000
#: Delay of the first check after start-up, when pipelines are waiting (milliseconds).
STARTUP_CHECK_MS = 5_000
#: How long the jump to a new run keeps trying to select it while the Runs tab loads (attempts × 250 ms).
SELECT_ATTEMPTS = 40


class FineTuneTab(QWidget):
    """Start DPO jobs and follow their pipelines."""

    #: Emitted after the pipelines were checked (for tests and the status bar).
    pipelinesChecked = Signal()

    def __init__(
        self,
        session: DocumentSession | None = None,
        *,
        provider_factory: ProviderFactory | None = None,
        provider_options: ProviderOptions | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("fineTuneTab")
        self.session = session
        self._factory = provider_factory
        self._options = provider_options
        self.providers = ProviderCache(provider_factory, provider_options)
        self.wizard: JobWizard | None = None
        self._check: TaskHandle | None = None
        layout = QVBoxLayout(self)
        title = QLabel("Fine-tune")
        font = title.font()
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        title.setFont(font)
        layout.addWidget(title)
        layout.addWidget(
            wrapped_label(
                "Train a model on your preference pairs with DPO, on Azure OpenAI, a Microsoft Foundry "
                "project or "
                "OpenAI. The wizard checks the data with the model's limits, shows the exact request and its "
                "cost, and only then uploads. Every job keeps its provenance: the dataset's hash, the "
                "uploaded "
                "files, the request and the resulting model."
            )
        )
        row = QHBoxLayout()
        self.new_button = QPushButton("New DPO job…")
        self.new_button.setObjectName("newDpoJob")
        self.new_button.setDefault(True)
        row.addWidget(self.new_button)
        row.addStretch(1)
        layout.addLayout(row)
        box = QGroupBox("Two-stage pipelines (supervised first, then DPO)")
        box_layout = QVBoxLayout(box)
        box_layout.addWidget(
            hint_label(
                "The DPO job of a pipeline is created when its supervised job succeeds. Waiting pipelines "
                "are "
                "checked every minute while DPO Studio runs."
            )
        )
        self.pipelines = QListWidget()
        self.pipelines.setObjectName("pipelineList")
        box_layout.addWidget(self.pipelines, 1)
        check_row = QHBoxLayout()
        self.check_button = QPushButton("Check now")
        self.status = wrapped_label()
        check_row.addWidget(self.check_button)
        check_row.addWidget(self.status, 1)
        box_layout.addLayout(check_row)
        layout.addWidget(box, 1)
        self.new_button.clicked.connect(self.new_dpo_job)
        self.check_button.clicked.connect(self.check_pipelines)
        self.timer = QTimer(self)
        self.timer.setInterval(PIPELINE_CHECK_MS)
        self.timer.timeout.connect(self.check_pipelines)
        self.timer.start()
        self.show_pipelines()
        if PipelineStore().waiting():
            # A pipeline started before the app was closed continues soon after it starts again.
            QTimer.singleShot(STARTUP_CHECK_MS, self.check_pipelines)

    # ---- the wizard -------------------------------------------------------------------------------------

    def new_dpo_job(self) -> JobWizard:
        """Open the job wizard (non-modal) on the open dataset."""
        if self.wizard is not None:
            self.wizard.raise_()
            self.wizard.activateWindow()
            return self.wizard
        wizard = JobWizard(
            self.session, provider_factory=self._factory, provider_options=self._options, parent=self.window()
        )
        wizard.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        wizard.setWindowModality(Qt.WindowModality.NonModal)
        wizard.runRequested.connect(self.show_run)
        wizard.jobSubmitted.connect(lambda _result: self.show_pipelines())
        wizard.destroyed.connect(self._wizard_closed)
        self.wizard = wizard
        wizard.show()
        return wizard

    def _wizard_closed(self) -> None:
        self.wizard = None

    def show_run(self, connection_id: str, job_id: str) -> bool:
        """Bring the Runs tab to the front with this job selected (when the window has a Runs tab)."""
        window = self.window()
        tabs = getattr(window, "tabs", None)
        if tabs is None:
            return False
        try:
            runs = getattr(window, "runs_tab", None)  # the main window builds it on first use
        except RuntimeError:  # it could not be built (the window showed why)
            return False
        if not callable(getattr(runs, "select_run", None)):
            runs = None
            for index in range(tabs.count()):
                widget = tabs.widget(index)
                if callable(getattr(widget, "select_run", None)):
                    runs = widget
        if runs is None:
            return False
        show_tab = getattr(window, "show_tab", None)
        if callable(show_tab):
            show_tab(runs)
        load = getattr(runs, "load_history", None)
        if callable(load):
            load()  # the new job is in the history already; the list loads it in the background
        key = (connection_id, job_id)
        attempts = [SELECT_ATTEMPTS]

        def try_select() -> None:
            if runs.select_run(key) or attempts[0] <= 0:
                return
            attempts[0] -= 1
            QTimer.singleShot(250, try_select)

        try_select()
        return True

    # ---- pipelines --------------------------------------------------------------------------------------

    def show_pipelines(self) -> None:
        """List the stored pipelines, newest first."""
        self.pipelines.clear()
        stored = list(reversed(PipelineStore().all()))
        names = {p.id: p.name for p in ConnectionStore().list()}
        for pipeline in stored:
            state = {CREATED: "DPO job created", STOPPED: "stopped"}.get(
                pipeline.state, "waiting for the supervised job"
            )
            where = names.get(pipeline.connection_id, "a deleted connection")
            text = (
                f"{where}: supervised {pipeline.sft_job_id} → DPO "
                f"{pipeline.dpo_job_id or '(created when the supervised job succeeds)'} — {state}"
            )
            if pipeline.message:
                text += f"\n{pipeline.message}"
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, pipeline.id)
            self.pipelines.addItem(item)
        if not stored:
            self.pipelines.addItem(
                "No pipeline yet. Tick “Supervised fine-tuning first” in the wizard to start one."
            )

    def check_pipelines(self) -> TaskHandle | None:
        """Check every waiting pipeline in the background; create DPO jobs whose supervised job succeeded."""
        if self._check is not None and not self._check.done:
            return self._check
        waiting = PipelineStore().waiting()
        if not waiting:
            self.pipelinesChecked.emit()
            return None
        cache = self.providers
        self.status.setText("Checking pipelines…")

        def work(_ctx: TaskContext) -> list[str]:
            profiles = {p.id: p for p in ConnectionStore().list()}
            problems: list[str] = []
            for pipeline in waiting:
                profile = profiles.get(pipeline.connection_id)
                if profile is None:
                    problems.append(f"{pipeline.sft_job_id}: its connection no longer exists.")
                    continue
                try:
                    advance_pipeline(cache.get(profile), pipeline)
                except UserError as error:
                    problems.append(f"{pipeline.sft_job_id}: {error.message} {error.hint}".strip())
            return problems

        def done(problems: list[str]) -> None:
            self.status.setText(" ".join(problems) if problems else "Checked just now.")
            self.show_pipelines()
            self.pipelinesChecked.emit()

        def failed(error: BaseException) -> None:
            self.status.setText(f"The pipelines could not be checked: {html.escape(str(error))}")
            self.pipelinesChecked.emit()

        self._check = task_runner().run(work, on_done=done, on_error=failed, description="Checking pipelines")
        return self._check

    def waiting_pipelines(self) -> list[Pipeline]:
        """Pipelines whose DPO job is still to be created."""
        return PipelineStore().waiting()
