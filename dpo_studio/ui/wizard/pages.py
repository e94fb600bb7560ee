"""The wizard's choice pages: connection and model, method, tier, training data, validation data, settings.

Each page validates its own fields, explains what is wrong next to them, and keeps Next disabled until the
page is complete. Network and file work runs in the background; the page shows what it is doing.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import TYPE_CHECKING, Any

import shiboken6
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QSizePolicy,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from dpo_studio.core.errors import UserError
from dpo_studio.core.findings import Severity
from dpo_studio.core.validation import MIN_EXAMPLES, TOO_FEW_EXAMPLES
from dpo_studio.services.connections import OPENAI_WIND_DOWN_DATE, ConnectionStore, ProviderKind
from dpo_studio.services.jobplan import (
    SETTINGS,
    TIER_DESCRIPTIONS,
    TRAINING_FILE,
    TRAINING_OPEN,
    TRAINING_REMOTE,
    VALIDATION_FILE,
    VALIDATION_NONE,
    VALIDATION_REMOTE,
    VALIDATION_SPLIT,
    dpo_start_models,
    parse_seed,
    parse_value,
    suffix_rule_text,
)
from dpo_studio.services.providers import ModelInfo, RemoteFile, TrainingType
from dpo_studio.services.submission import list_training_files
from dpo_studio.ui.tasks import TaskContext, TaskHandle, task_runner
from dpo_studio.ui.wizard.common import (
    ProblemLabel,
    findings_html,
    hint_label,
    load_local_data,
    overlap_findings,
    wrapped_label,
)
from dpo_studio.ui.wizard.state import LoadedData, WizardState

if TYPE_CHECKING:
    from dpo_studio.ui.wizard.wizard import JobWizard

FILE_FILTER = "Preference data (*.jsonl *.json *.jsonl.txt);;All files (*)"

(
    PAGE_CONNECTION,
    PAGE_METHOD,
    PAGE_TIER,
    PAGE_TRAINING,
    PAGE_VALIDATION,
    PAGE_SETTINGS,
    PAGE_REVIEW,
    PAGE_SUBMIT,
) = range(8)


def alive(widget: QWidget, callback: Any) -> Any:
    """``callback`` guarded so it does nothing once ``widget`` was deleted (the wizard was closed)."""

    def call(*args: Any) -> Any:
        if shiboken6.isValid(widget):
            return callback(*args)
        return None

    return call


class WizardPage(QWizardPage):
    """A page with access to the wizard's state and a helper to run background work."""

    def __init__(self, wizard: JobWizard, title: str, subtitle: str) -> None:
        super().__init__()
        self.job_wizard = wizard
        self.setTitle(title)
        self.setSubTitle(subtitle)
        self._tasks: list[TaskHandle] = []

    @property
    def state(self) -> WizardState:
        """The shared :class:`WizardState`."""
        return self.job_wizard.state

    def run(
        self, fn: Any, *, on_done: Any, on_error: Any, on_progress: Any = None, description: str = ""
    ) -> TaskHandle:
        """Run ``fn(ctx)`` in the background; the callbacks are dropped if the page was destroyed."""
        handle = task_runner().run(
            fn,
            on_done=alive(self, on_done),
            on_error=alive(self, on_error),
            on_progress=alive(self, on_progress) if on_progress is not None else None,
            description=description,
        )
        self._tasks = [t for t in self._tasks if not t.done] + [handle]
        return handle

    def busy(self) -> bool:
        """Whether this page still waits for background work."""
        return any(not t.done for t in self._tasks)


# ---- 1. connection and base model ------------------------------------------------------------------------


class ConnectionPage(WizardPage):
    """Pick a connection and a base model that supports DPO (or one of the user's fine-tuned models)."""

    def __init__(self, wizard: JobWizard) -> None:
        super().__init__(
            wizard,
            "Connection and base model",
            "Where the job runs, and which model it starts from.",
        )
        layout = QVBoxLayout(self)
        form = QFormLayout()
        row = QHBoxLayout()
        self.connection = QComboBox()
        self.connection.setObjectName("connectionCombo")
        self.connection.setMinimumContentsLength(40)
        self.manage = QPushButton("Manage connections…")
        row.addWidget(self.connection, 1)
        row.addWidget(self.manage)
        form.addRow("Connection:", row)
        model_row = QHBoxLayout()
        self.model = QComboBox()
        self.model.setObjectName("modelCombo")
        self.model.setEditable(True)
        self.model.setMinimumContentsLength(40)
        line = self.model.lineEdit()
        assert line is not None
        line.setPlaceholderText("Choose a model (or type its id)")
        self.reload = QPushButton("Reload models")
        model_row.addWidget(self.model, 1)
        model_row.addWidget(self.reload)
        form.addRow("Base model:", model_row)
        layout.addLayout(form)
        self.status = wrapped_label()
        self.problem = ProblemLabel()
        self.notes = QGroupBox("About this provider")
        notes_layout = QVBoxLayout(self.notes)
        self.notes_text = wrapped_label(rich=True)
        notes_layout.addWidget(self.notes_text)
        layout.addWidget(self.status)
        layout.addWidget(self.problem)
        layout.addWidget(self.notes)
        layout.addStretch(1)
        self._profiles = []  # type: list[Any]
        self.connection.currentIndexChanged.connect(self._connection_changed)
        self.model.currentTextChanged.connect(self._model_changed)
        self.manage.clicked.connect(self._manage)
        self.reload.clicked.connect(self.load_models)
        self.reload_connections()

    def reload_connections(self) -> None:
        """Fill the connection list from the saved profiles (the remembered one first chosen)."""
        store = ConnectionStore()
        self._profiles = store.list()
        wanted = (
            self.state.profile.id
            if self.state.profile
            else self.state.defaults.connection_id or store.default_id()
        )
        self.connection.blockSignals(True)
        self.connection.clear()
        for profile in self._profiles:
            self.connection.addItem(profile.describe(), profile.id)
        self.connection.blockSignals(False)
        if not self._profiles:
            self.status.setText(
                "No connection yet. Add one with Manage connections… (Azure OpenAI, a Foundry project or "
                "OpenAI)."
            )
            self.state.profile = None
            self._show_notes()
            self.completeChanged.emit()
            return
        index = max(0, self.connection.findData(wanted))
        self.connection.setCurrentIndex(index)
        self._connection_changed(index)

    def _manage(self) -> None:
        from dpo_studio.ui.connections import ConnectionsDialog

        dialog = ConnectionsDialog(parent=self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.finished.connect(lambda _result: self.reload_connections())
        dialog.open()

    def _connection_changed(self, index: int) -> None:
        profile = self._profiles[index] if 0 <= index < len(self._profiles) else None
        if profile is None:
            return
        changed = self.state.profile is None or self.state.profile.id != profile.id
        self.state.profile = profile
        self._show_notes()
        if changed or not self.state.models:
            self.load_models()

    def _show_notes(self) -> None:
        profile = self.state.profile
        if profile is None:
            self.notes_text.setText("")
            return
        kind = profile.provider_kind
        lines: list[str] = []
        traits = self.state.traits
        if kind is ProviderKind.OPENAI:
            lines.append(
                f"<b style='color:#d04437'>Legacy:</b> {html.escape(traits.legacy_notice)} OpenAI stopped "
                "taking organisations that never fine-tuned on 2026-05-07, and those without recent use of a "
                f"fine-tuned model on 2026-07-02; no new jobs after {OPENAI_WIND_DOWN_DATE}. A refused job "
                f"is "
                "explained, and your dataset and settings are kept."
            )
        if kind in (ProviderKind.AZURE_OPENAI, ProviderKind.FOUNDRY_PROJECT):
            lines.append(
                "Azure OpenAI trains DPO on gpt-4o-2024-08-06, gpt-4.1-2025-04-14 and "
                "gpt-4.1-mini-2025-04-14 "
                "(and gpt-4.1-nano / gpt-4o-mini in the SDK samples). You also choose a training tier, and "
                "may "
                "set l2_multiplier. The suffix may have up to 18 characters."
            )
        if kind is ProviderKind.CUSTOM:
            lines.append("A server speaking the OpenAI fine-tuning API; OpenAI's rules are used for checks.")
        lines.append(
            "Your own fine-tuned models are listed too: start DPO from a model you trained with supervised "
            "fine-tuning (the two-stage flow OpenAI and Azure recommend)."
        )
        self.notes_text.setText("<p>" + "</p><p>".join(lines) + "</p>")

    def load_models(self) -> None:
        """List the connection's DPO-capable models in the background."""
        profile = self.state.profile
        if profile is None:
            return
        self.status.setText(f"Listing the models of {profile.name}…")
        self.problem.show_problems([])
        cache = self.job_wizard.providers

        def work(_ctx: TaskContext) -> list[ModelInfo]:
            return dpo_start_models(cache.get(profile).list_models())

        def done(models: list[ModelInfo]) -> None:
            if self.state.profile is None or self.state.profile.id != profile.id:
                return
            self.state.models = models
            self._fill_models(models)

        def failed(error: BaseException) -> None:
            self.status.setText("")
            message = (
                error.message + (" " + error.hint if error.hint else "")
                if isinstance(error, UserError)
                else str(error)
            )
            self.problem.show_problems([f"The models could not be listed: {message}"])
            self.completeChanged.emit()

        self.run(work, on_done=done, on_error=failed, description="Listing models")

    def _fill_models(self, models: list[ModelInfo]) -> None:
        wanted = self.state.model or self.state.defaults.model
        self.model.blockSignals(True)
        self.model.clear()
        for info in models:
            label = f"{info.id}  —  your fine-tuned model" if info.fine_tuned else info.id
            self.model.addItem(label, info.id)
        self.model.blockSignals(False)
        base = sum(1 for m in models if not m.fine_tuned)
        tuned = len(models) - base
        if models:
            self.status.setText(
                f"{base} base model(s) support DPO here"
                + (f", and {tuned} of your fine-tuned models." if tuned else ".")
            )
        else:
            self.status.setText(
                "This connection lists no model known to support DPO. You can type a model id."
            )
        index = self.model.findData(wanted)
        self.model.setCurrentIndex(index if index >= 0 else 0 if models else -1)
        self._model_changed(self.model.currentText())

    def _model_changed(self, _text: str) -> None:
        data = self.model.currentData()
        text = self.model.currentText().strip()
        self.state.model = (
            str(data)
            if data and self.model.itemText(self.model.currentIndex()) == text
            else text.split("  —  ")[0]
        )
        problems = []
        if (
            self.state.model
            and self.state.models
            and not any(m.id == self.state.model for m in self.state.models)
        ):
            problems.append(
                f"'{self.state.model}' is not in this connection's list of DPO models; the service may "
                f"refuse it."
            )
        if self.problem.text().startswith("The models could not"):
            return
        self.problem.show_problems(problems)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return self.state.profile is not None and bool(self.state.model)


# ---- 2. method -------------------------------------------------------------------------------------------


class MethodPage(WizardPage):
    """DPO, optionally after supervised fine-tuning on the preferred answers."""

    def __init__(self, wizard: JobWizard) -> None:
        super().__init__(wizard, "Training method", "How the model learns from your pairs.")
        layout = QVBoxLayout(self)
        self.dpo = QRadioButton("Direct preference optimization (DPO)")
        self.dpo.setChecked(True)
        layout.addWidget(self.dpo)
        layout.addWidget(
            hint_label(
                "The model learns to make the preferred answer more likely and the rejected one less likely, "
                "relative to where it started."
            )
        )
        layout.addSpacing(self.fontMetrics().height())
        self.sft_first = QCheckBox(
            "Supervised fine-tuning on the preferred answers first, then DPO from that model"
        )
        self.sft_first.setObjectName("sftFirst")
        layout.addWidget(self.sft_first)
        layout.addWidget(
            hint_label(
                "Both OpenAI and Azure recommend this two-stage flow: a supervised job teaches the preferred "
                "answers, then a DPO job starts from the resulting model. DPO Studio makes the supervised "
                "file from the preferred answers (chat format), runs both jobs as one tracked pipeline and "
                "creates the DPO job when the first one succeeds. It costs a second training run."
            )
        )
        self.problem = ProblemLabel()
        layout.addWidget(self.problem)
        layout.addStretch(1)
        self.sft_first.toggled.connect(self._changed)

    def initializePage(self) -> None:
        self.sft_first.setChecked(self.state.sft_first)

    def _changed(self, checked: bool) -> None:
        self.state.sft_first = checked

    def nextId(self) -> int:
        return PAGE_TIER if self.state.uses_tier else PAGE_TRAINING


# ---- 3. training tier (Azure / Foundry) -----------------------------------------------------------------


class TierPage(WizardPage):
    """Standard, Global Standard or Developer, each with what it means for residency, price, pre-emption."""

    def __init__(self, wizard: JobWizard) -> None:
        super().__init__(
            wizard,
            "Training tier",
            "Azure trains on one of three tiers. Not every model and region offers every tier.",
        )
        layout = QVBoxLayout(self)
        self.group = QButtonGroup(self)
        self.buttons: dict[TrainingType, QRadioButton] = {}
        for tier in (TrainingType.STANDARD, TrainingType.GLOBAL_STANDARD, TrainingType.DEVELOPER):
            button = QRadioButton(tier.label)
            button.setObjectName(f"tier{tier.value}")
            self.group.addButton(button)
            self.buttons[tier] = button
            layout.addWidget(button)
            layout.addWidget(hint_label(TIER_DESCRIPTIONS[tier]))
            layout.addSpacing(self.fontMetrics().height() // 2)
        layout.addStretch(1)
        self.group.buttonToggled.connect(self._changed)

    def initializePage(self) -> None:
        tier = self.state.training_type or TrainingType.GLOBAL_STANDARD
        self.buttons[tier].setChecked(True)

    def _changed(self) -> None:
        for tier, button in self.buttons.items():
            if button.isChecked():
                self.state.training_type = tier
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        return any(button.isChecked() for button in self.buttons.values())


# ---- 4. training data ------------------------------------------------------------------------------------


class PreviewTable(QTableWidget):
    """The first examples: prompt, preferred and rejected answer."""

    ROWS = 5

    def __init__(self) -> None:
        super().__init__(0, 3)
        self.setHorizontalHeaderLabels(["Prompt (last user turn)", "Preferred answer", "Rejected answer"])
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.verticalHeader().setVisible(True)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setWordWrap(False)
        self.setMinimumHeight(self.fontMetrics().height() * 8)

    def show_data(self, data: LoadedData | None) -> None:
        """Show the first records of ``data``."""
        self.setRowCount(0)
        if data is None:
            return
        rows = []
        for _index, record in data.dataset.iter_records():
            rows.append((record.last_user_text, record.preferred_text, record.rejected_text))
            if len(rows) >= self.ROWS:
                break
        self.setRowCount(len(rows))
        for row, texts in enumerate(rows):
            for column, text in enumerate(texts):
                item = QTableWidgetItem(" ".join(text.split())[:300])
                item.setToolTip(text[:2000])
                self.setItem(row, column, item)


class TrainingDataPage(WizardPage):
    """The open dataset, a local file, or a file already on the server — checked with the model's limits."""

    def __init__(self, wizard: JobWizard) -> None:
        super().__init__(
            wizard,
            "Training data",
            "The pairs the model trains on. They are checked with the chosen model's limits before anything "
            "is sent.",
        )
        layout = QVBoxLayout(self)
        grid = QGridLayout()
        self.source_group = QButtonGroup(self)
        self.open_choice = QRadioButton("The open dataset")
        self.file_choice = QRadioButton("A file on this computer:")
        self.remote_choice = QRadioButton("A file already uploaded to the service:")
        for button in (self.open_choice, self.file_choice, self.remote_choice):
            self.source_group.addButton(button)
        self.open_label = QLabel()
        self.path = QLineEdit()
        self.path.setPlaceholderText("Path of a JSONL file (any supported format)")
        self.browse = QPushButton("Browse…")
        self.remote = QComboBox()
        self.remote.setMinimumContentsLength(30)
        self.remote_reload = QPushButton("List files")
        grid.addWidget(self.open_choice, 0, 0)
        grid.addWidget(self.open_label, 0, 1, 1, 2)
        grid.addWidget(self.file_choice, 1, 0)
        grid.addWidget(self.path, 1, 1)
        grid.addWidget(self.browse, 1, 2)
        grid.addWidget(self.remote_choice, 2, 0)
        grid.addWidget(self.remote, 2, 1)
        grid.addWidget(self.remote_reload, 2, 2)
        grid.setColumnStretch(1, 1)
        layout.addLayout(grid)
        self.progress = QProgressBar()
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.summary = wrapped_label()
        self.summary.setObjectName("trainingSummary")
        self.problem = ProblemLabel()
        self.findings = wrapped_label(rich=True)
        layout.addWidget(self.progress)
        layout.addWidget(self.summary)
        layout.addWidget(self.problem)
        layout.addWidget(self.findings)
        layout.addWidget(QLabel("Preview of the first examples (hover a cell for the whole text):"))
        self.preview = PreviewTable()
        layout.addWidget(self.preview, 1)
        for widget in (self.summary, self.problem, self.findings):
            widget.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Maximum)
        self._checked_key: tuple[object, ...] | None = None
        self.source_group.buttonToggled.connect(self._source_changed)
        self.path.editingFinished.connect(self.check)
        self.browse.clicked.connect(self._browse)
        self.remote_reload.clicked.connect(self.list_remote)
        self.remote.currentIndexChanged.connect(self._remote_changed)

    def initializePage(self) -> None:
        document = self.job_wizard.document()
        has_open = document is not None and len(document.record_indices()) > 0
        self.open_choice.setEnabled(has_open)
        self.open_label.setText(
            f"{document.title} — {len(document.record_indices())} examples"
            if has_open and document
            else "(no dataset open)"
        )
        source = self.state.training_source
        if source == TRAINING_OPEN and not has_open:
            source = TRAINING_FILE
        if not self.path.text() and self.state.defaults.training_path:
            self.path.setText(self.state.defaults.training_path)
        {
            TRAINING_OPEN: self.open_choice,
            TRAINING_FILE: self.file_choice,
            TRAINING_REMOTE: self.remote_choice,
        }[source].setChecked(True)
        self.check()

    def _browse(self) -> None:
        start = self.path.text() or ""
        path, _filter = QFileDialog.getOpenFileName(self, "Training data", start, FILE_FILTER)
        if path:
            self.path.setText(path)
            self.file_choice.setChecked(True)
            self.check()

    def _source_changed(self, _button: object = None, checked: bool = True) -> None:
        if not checked:
            return
        if self.open_choice.isChecked():
            self.state.training_source = TRAINING_OPEN
        elif self.file_choice.isChecked():
            self.state.training_source = TRAINING_FILE
        else:
            self.state.training_source = TRAINING_REMOTE
            if not self.state.remote_files:
                self.list_remote()
        self.check()

    def list_remote(self) -> None:
        """List the fine-tuning files already at the provider."""
        profile = self.state.profile
        if profile is None:
            return
        cache = self.job_wizard.providers
        self.summary.setText("Listing the files at the service…")

        def work(_ctx: TaskContext) -> list[RemoteFile]:
            return list_training_files(cache.get(profile))

        def done(files: list[RemoteFile]) -> None:
            self.state.remote_files = files
            self.remote.blockSignals(True)
            self.remote.clear()
            for remote in files:
                self.remote.addItem(
                    f"{remote.filename} ({remote.id}, {remote.bytes:,} bytes, {remote.status})", remote.id
                )
            self.remote.blockSignals(False)
            self._remote_changed()

        def failed(error: BaseException) -> None:
            self.problem.show_problems([f"The files could not be listed: {getattr(error, 'message', error)}"])

        self.run(work, on_done=done, on_error=failed, description="Listing uploaded files")

    def _remote_changed(self, _index: int = 0) -> None:
        file_id = self.remote.currentData()
        self.state.training_remote = next((f for f in self.state.remote_files if f.id == file_id), None)
        if self.state.training_source == TRAINING_REMOTE:
            self.check()

    def _key(self) -> tuple[object, ...]:
        document = self.job_wizard.document()
        source = self.state.training_source
        revision = document.revision if document is not None and source == TRAINING_OPEN else 0
        return (source, self.path.text().strip(), revision, self.state.model, self.state.kind, id(document))

    def check(self) -> None:
        """Validate the chosen data in the background (only when something changed)."""
        source = self.state.training_source
        self.problem.show_problems([])
        if source == TRAINING_REMOTE:
            self._show_remote()
            return
        key = self._key()
        if key == self._checked_key and self.state.training is not None:
            self._show(self.state.training)
            return
        self.state.training = None
        self.preview.show_data(None)
        self.findings.setText("")
        profile = self.state.validation_rules
        if source == TRAINING_OPEN:
            document = self.job_wizard.document()
            if document is None:
                self.completeChanged.emit()
                return
            dataset, path = document.snapshot(), document.path
            unsaved = document.dirty
        else:
            text = self.path.text().strip()
            if not text:
                self.summary.setText("Choose a file.")
                self.completeChanged.emit()
                return
            dataset, path = None, Path(text).expanduser()
            unsaved = False
        self.summary.setText("Checking the data…")
        self.progress.setRange(0, 0)
        self.progress.show()

        def work(ctx: TaskContext) -> LoadedData:
            return load_local_data(
                profile, path=path if dataset is None else None, dataset=dataset, progress=ctx.progress
            )

        def progressed(done: int, total: int, _text: str) -> None:
            self.progress.setRange(0, max(total, 0))
            self.progress.setValue(done)

        def finished(data: LoadedData) -> None:
            self.progress.hide()
            if self._key() != key:
                return
            self._checked_key = key
            data.unsaved = unsaved
            self.state.training = data
            # A split belongs to the data it was made from; the validation page makes a new one.
            self.state.train_indices = self.state.validation_indices = None
            self._show(data)

        def failed(error: BaseException) -> None:
            self.progress.hide()
            self.summary.setText("")
            message = f"{error.message} {error.hint}".strip() if isinstance(error, UserError) else str(error)
            self.problem.show_problems([f"The data could not be read: {message}"])
            self.completeChanged.emit()

        self.run(
            work,
            on_done=finished,
            on_error=failed,
            on_progress=progressed,
            description="Checking training data",
        )

    def _show_remote(self) -> None:
        remote = self.state.training_remote
        self.preview.show_data(None)
        self.findings.setText("")
        problems = []
        if remote is None:
            self.summary.setText("Choose a file (List files shows what the service has).")
        else:
            self.summary.setText(
                f"{remote.filename}: {remote.bytes:,} bytes, status {remote.status}. A file on the service "
                f"cannot be "
                "checked or previewed here; the service validates it when the job starts."
            )
            if remote.status in ("error", "deleted", "failed"):
                problems.append(f"The service marked this file '{remote.status}': it cannot be trained on.")
        if self.state.sft_first:
            problems.append(
                "Supervised fine-tuning first needs local data (its file is made from the preferred "
                "answers): "
                "choose the open dataset or a file on this computer, or go back and untick it."
            )
        self.problem.show_problems(problems)
        self.completeChanged.emit()

    def _show(self, data: LoadedData) -> None:
        report = data.report
        tokens = data.tokens
        token_text = f"{tokens.billed_low:,}–{tokens.billed_high:,} billed tokens per epoch" if tokens else ""
        longest = (
            f", longest example {tokens.longest:,} tokens (limit {self.state.validation_rules.token_limit:,})"
            if tokens
            else ""
        )
        self.summary.setText(
            f"{report.example_count:,} examples; {token_text}{longest}. "
            f"{report.errors} error(s), {report.warnings} warning(s) with the rules of "
            f"{self.state.validation_rules.name} for {self.state.model}."
        )
        problems = []
        if report.errors:
            problems.append(
                "Errors block the upload: the service would reject this data. Fix them in the Datasets tab "
                "(many have a one-click fix), then come back."
            )
        self.problem.show_problems(problems)
        self.findings.setText(findings_html([f for f in report.findings if f.severity is not Severity.INFO]))
        self.preview.show_data(data)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        if self.state.training_source == TRAINING_REMOTE:
            remote = self.state.training_remote
            return (
                remote is not None
                and remote.status not in ("error", "deleted", "failed")
                and not self.state.sft_first
            )
        data = self.state.training
        return data is not None and data.report.errors == 0 and data.report.example_count > 0


# ---- 5. validation data ----------------------------------------------------------------------------------


class ValidationPage(WizardPage):
    """None, a grouped split of the training data, or a file; overlap with training is checked."""

    def __init__(self, wizard: JobWizard) -> None:
        super().__init__(
            wizard,
            "Validation data",
            "Optional held-out pairs: the job reports validation loss on them (they are not billed).",
        )
        layout = QVBoxLayout(self)
        self.group = QButtonGroup(self)
        self.none = QRadioButton("No validation data")
        self.split = QRadioButton("Split the training data")
        self.file = QRadioButton("A file on this computer:")
        self.remote = QRadioButton("A file already uploaded to the service:")
        for button in (self.none, self.split, self.file, self.remote):
            self.group.addButton(button)
        layout.addWidget(self.none)
        layout.addWidget(self.split)
        split_row = QHBoxLayout()
        split_row.addSpacing(self.fontMetrics().averageCharWidth() * 4)
        self.ratio = QDoubleSpinBox()
        self.ratio.setRange(1, 50)
        self.ratio.setDecimals(0)
        self.ratio.setSuffix(" %")
        self.ratio.setValue(10)
        self.seed = QSpinBox()
        self.seed.setRange(0, 2_147_483_647)
        split_row.addWidget(QLabel("Validation share:"))
        split_row.addWidget(self.ratio)
        split_row.addSpacing(self.fontMetrics().averageCharWidth() * 2)
        split_row.addWidget(QLabel("Seed:"))
        split_row.addWidget(self.seed)
        split_row.addStretch(1)
        layout.addLayout(split_row)
        split_hint = QHBoxLayout()
        split_hint.addSpacing(self.fontMetrics().averageCharWidth() * 4)
        split_hint.addWidget(
            hint_label(
                "Pairs that share a prompt stay on one side, so validation never sees a prompt the model "
                "trained on. The same share and seed always give the same split."
            ),
            1,
        )
        layout.addLayout(split_hint)
        file_row = QHBoxLayout()
        self.path = QLineEdit()
        self.path.setPlaceholderText("Path of a JSONL file")
        self.browse = QPushButton("Browse…")
        file_row.addWidget(self.file)
        file_row.addWidget(self.path, 1)
        file_row.addWidget(self.browse)
        layout.addLayout(file_row)
        remote_row = QHBoxLayout()
        self.remote_files = QComboBox()
        self.remote_files.setMinimumContentsLength(30)
        remote_row.addWidget(self.remote)
        remote_row.addWidget(self.remote_files, 1)
        layout.addLayout(remote_row)
        self.summary = wrapped_label()
        self.summary.setObjectName("validationSummary")
        self.problem = ProblemLabel()
        self.warning = ProblemLabel(warning=True)
        self.findings = wrapped_label(rich=True)
        layout.addWidget(self.summary)
        layout.addWidget(self.problem)
        layout.addWidget(self.warning)
        layout.addWidget(self.findings)
        layout.addStretch(1)
        self._overlap: list[Any] = []
        self._checking = False
        self._splitting = False
        self._blocking = False
        self.group.buttonToggled.connect(self._mode_changed)
        self.ratio.valueChanged.connect(self._split_changed)
        self.seed.valueChanged.connect(self._split_changed)
        self.path.editingFinished.connect(self._check_file)
        self.browse.clicked.connect(self._browse)
        self.remote_files.currentIndexChanged.connect(self._remote_changed)

    def initializePage(self) -> None:
        local = self.state.training_source != TRAINING_REMOTE
        self.split.setEnabled(local)
        mode = self.state.validation_mode
        if mode == VALIDATION_SPLIT and not local:
            mode = VALIDATION_NONE
        self.ratio.blockSignals(True)
        self.seed.blockSignals(True)
        self.ratio.setValue(round(self.state.split_ratio * 100))
        self.seed.setValue(self.state.split_seed)
        self.ratio.blockSignals(False)
        self.seed.blockSignals(False)
        if not self.path.text() and self.state.defaults.validation_path:
            self.path.setText(self.state.defaults.validation_path)
        self.remote_files.blockSignals(True)
        self.remote_files.clear()
        for remote in self.state.remote_files:
            self.remote_files.addItem(f"{remote.filename} ({remote.id})", remote.id)
        self.remote_files.blockSignals(False)
        self.remote.setEnabled(bool(self.state.remote_files))
        self.remote.setText(
            "A file already uploaded to the service:"
            if self.state.remote_files
            else "A file already uploaded to the service (list them on the previous page first)"
        )
        {
            VALIDATION_NONE: self.none,
            VALIDATION_SPLIT: self.split,
            VALIDATION_FILE: self.file,
            VALIDATION_REMOTE: self.remote,
        }[mode].setChecked(True)
        self._mode_changed(None, True)

    def _browse(self) -> None:
        path, _filter = QFileDialog.getOpenFileName(self, "Validation data", self.path.text(), FILE_FILTER)
        if path:
            self.path.setText(path)
            self.file.setChecked(True)
            self._check_file()

    def _mode_changed(self, _button: object, checked: bool) -> None:
        if not checked:
            return
        if self.none.isChecked():
            self.state.validation_mode = VALIDATION_NONE
        elif self.split.isChecked():
            self.state.validation_mode = VALIDATION_SPLIT
        elif self.file.isChecked():
            self.state.validation_mode = VALIDATION_FILE
        else:
            self.state.validation_mode = VALIDATION_REMOTE
        self._resplit()
        if self.state.validation_mode == VALIDATION_FILE:
            self._check_file()
        elif self.state.validation_mode == VALIDATION_REMOTE:
            self._remote_changed()
        else:
            self._overlap = []
            self._show()

    def _split_changed(self) -> None:
        self.state.split_ratio = self.ratio.value() / 100
        self.state.split_seed = self.seed.value()
        self._resplit()
        self._show()

    def _resplit(self) -> None:
        """Recompute the grouped split in the background (it parses every record of a big file)."""
        state = self.state
        key = state.split_key()
        if key is None:
            state.set_split(None, None)
            return
        if state.split_current:
            return
        self._splitting = True
        self.summary.setText("Splitting the training data by prompt…")
        self.completeChanged.emit()
        compute = state.compute_split

        def work(_ctx: TaskContext) -> tuple[list[int], list[int]]:
            return compute()

        def done(result: tuple[list[int], list[int]]) -> None:
            if state.set_split(key, result):
                self._splitting = False
                self._show()

        def failed(error: BaseException) -> None:
            self._splitting = False
            self.problem.show_problems([f"The split failed: {getattr(error, 'message', error)}"])
            self.completeChanged.emit()

        self.run(work, on_done=done, on_error=failed, description="Splitting the training data")

    def _remote_changed(self, _index: int = 0) -> None:
        file_id = self.remote_files.currentData()
        self.state.validation_remote = next((f for f in self.state.remote_files if f.id == file_id), None)
        self._overlap = []
        self._show()

    def _check_file(self) -> None:
        if self.state.validation_mode != VALIDATION_FILE:
            return
        text = self.path.text().strip()
        self.state.validation = None
        self._overlap = []
        if not text:
            self._show()
            return
        profile = self.state.validation_rules
        training = self.state.training
        indices = self.state.train_indices
        path = Path(text).expanduser()
        self._checking = True
        self.summary.setText("Checking the validation file and its overlap with the training data…")
        self.completeChanged.emit()

        def work(ctx: TaskContext) -> tuple[LoadedData, list[Any]]:
            data = load_local_data(profile, path=path, progress=ctx.progress)
            overlap = (
                overlap_findings(training, indices, data.dataset, profile) if training is not None else []
            )
            return data, overlap

        def done(result: tuple[LoadedData, list[Any]]) -> None:
            self._checking = False
            if self.path.text().strip() != text:
                return
            self.state.validation, self._overlap = result
            self._show()

        def failed(error: BaseException) -> None:
            self._checking = False
            message = f"{error.message} {error.hint}".strip() if isinstance(error, UserError) else str(error)
            self.summary.setText("")
            self.problem.show_problems([f"The validation file could not be read: {message}"])
            self.completeChanged.emit()

        self.run(work, on_done=done, on_error=failed, description="Checking validation data")

    def _show(self) -> None:
        mode = self.state.validation_mode
        problems: list[str] = []  # these block Next
        warnings: list[str] = []  # these are explained, the user decides
        self.findings.setText("")
        training = self.state.training_count()
        if mode == VALIDATION_NONE:
            self.summary.setText("The job will report training loss only.")
        elif mode == VALIDATION_SPLIT:
            if self._splitting or not self.state.split_current:
                self.problem.show_problems([])
                self.warning.show_problems([])
                self.completeChanged.emit()
                return
            validation = self.state.validation_count() or 0
            self.summary.setText(
                f"{training:,} training and {validation:,} validation pairs; no prompt is on both sides."
            )
            if training is not None and training < MIN_EXAMPLES:
                problems.append(
                    f"Only {training} training pairs would remain; the services need at least {MIN_EXAMPLES}."
                )
            if validation == 0:
                problems.append(
                    "The split leaves no validation pairs: raise the share, or choose no validation data."
                )
        elif mode == VALIDATION_FILE:
            data = self.state.validation
            if data is None:
                if not self._checking:
                    self.summary.setText("Choose a file.")
            else:
                # The 10-example minimum is for training files; a small validation file is fine.
                errors = [
                    f
                    for f in data.report.findings
                    if f.severity is Severity.ERROR and f.code != TOO_FEW_EXAMPLES
                ]
                self.summary.setText(
                    f"{data.report.example_count:,} validation pairs; {len(errors)} error(s), "
                    f"{data.report.warnings} warning(s); {len(self._overlap)} training pair(s) share a "
                    f"prompt with it."
                )
                if errors:
                    problems.append(
                        "The validation file has errors the service would reject; fix them first."
                    )
                if self.state.training is not None and data.path == self.state.training.path:
                    problems.append(
                        "The validation file is the training file; choose another file or a split."
                    )
                self.findings.setText(findings_html(errors + self._overlap))
                if self._overlap:
                    warnings.append(
                        f"{len(self._overlap)} training pair(s) have a prompt that is also in the validation "
                        "file: validation loss would partly measure memory. Remove them, or use a split."
                    )
        else:
            remote = self.state.validation_remote
            self.summary.setText(
                f"{remote.filename} ({remote.id}) — checked by the service when the job starts."
                if remote
                else "Choose a file."
            )
            if (
                remote is not None
                and self.state.training_remote is not None
                and remote.id == self.state.training_remote.id
            ):
                problems.append("The validation file must differ from the training file.")
        self.problem.show_problems(problems)
        self.warning.show_problems(warnings)
        self._blocking = bool(problems)
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        mode = self.state.validation_mode
        if self._checking or (mode == VALIDATION_SPLIT and (self._splitting or not self.state.split_current)):
            return False
        if self._blocking:
            return False
        if mode == VALIDATION_FILE:
            return self.state.validation is not None
        if mode == VALIDATION_REMOTE:
            return self.state.validation_remote is not None
        return True


# ---- 6. settings -----------------------------------------------------------------------------------------


class SettingsPage(WizardPage):
    """Suffix, seed and the DPO hyperparameters — each "auto" by default, with its allowed range shown."""

    def __init__(self, wizard: JobWizard) -> None:
        super().__init__(
            wizard,
            "Name and settings",
            "Leave a setting at auto to let the service choose. The allowed values are shown under each "
            "field.",
        )
        layout = QVBoxLayout(self)
        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.suffix = QLineEdit()
        self.suffix.setObjectName("suffix")
        self.suffix_hint = hint_label("")
        self.suffix_problem = ProblemLabel()
        form.addRow("Suffix:", self._stack(self.suffix, self.suffix_hint, self.suffix_problem))
        self.seed = QLineEdit()
        self.seed.setObjectName("seed")
        self.seed.setPlaceholderText("empty: the service picks one")
        self.seed_problem = ProblemLabel()
        form.addRow(
            "Seed:",
            self._stack(
                self.seed,
                hint_label("A whole number from 0 to 2147483647; the same seed repeats a run."),
                self.seed_problem,
            ),
        )
        self.fields: dict[str, QLineEdit] = {}
        self.problems: dict[str, ProblemLabel] = {}
        self.rows: dict[str, QWidget] = {}
        self.labels: dict[str, QLabel] = {}
        for setting in SETTINGS:
            edit = QLineEdit()
            edit.setObjectName(setting.key)
            edit.setPlaceholderText("auto")
            problem = ProblemLabel()
            row = self._stack(edit, hint_label(f"Allowed: {setting.range_text}. {setting.help}"), problem)
            label = QLabel(f"{setting.label}:")
            form.addRow(label, row)
            self.fields[setting.key] = edit
            self.problems[setting.key] = problem
            self.rows[setting.key] = row
            self.labels[setting.key] = label
            edit.textChanged.connect(self._changed)
        layout.addLayout(form)
        layout.addStretch(1)
        self.suffix.textChanged.connect(self._changed)
        self.seed.textChanged.connect(self._changed)

    @staticmethod
    def _stack(*widgets: QWidget) -> QWidget:
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        for widget in widgets:
            column.addWidget(widget)
        return box

    def initializePage(self) -> None:
        state = self.state
        defaults = state.defaults
        traits = state.traits
        self.suffix.setMaxLength(traits.suffix_max)
        self.suffix_hint.setText(suffix_rule_text(traits))
        if not state.setting_texts:
            state.setting_texts = {s.key: getattr(defaults, s.key, "auto") for s in SETTINGS}
            state.suffix = state.suffix or defaults.suffix
            state.seed_text = state.seed_text or defaults.seed
        self.suffix.setText(state.suffix)
        self.seed.setText(state.seed_text)
        for setting in SETTINGS:
            text = state.setting_texts.get(setting.key, "auto")
            self.fields[setting.key].setText("" if text == "auto" else text)
            visible = not setting.azure_only or traits.supports_l2_multiplier
            self.rows[setting.key].setVisible(visible)
            self.labels[setting.key].setVisible(visible)
        self._changed()

    def _changed(self) -> None:
        state = self.state
        state.suffix = self.suffix.text().strip()
        state.seed_text = self.seed.text().strip()
        state.setting_texts = {key: (edit.text().strip() or "auto") for key, edit in self.fields.items()}
        suffix_problem = state.traits.suffix_problem(state.suffix)
        self.suffix_problem.show_problems([suffix_problem] if suffix_problem else [])
        _seed, seed_problem = parse_seed(state.seed_text)
        self.seed_problem.show_problems([seed_problem] if seed_problem else [])
        for setting in SETTINGS:
            _value, problem = parse_value(setting, state.setting_texts[setting.key])
            self.problems[setting.key].show_problems(
                [problem] if problem and self.rows[setting.key].isVisibleTo(self) else []
            )
        self.completeChanged.emit()

    def isComplete(self) -> bool:
        if self.suffix_problem.text() and self.suffix_problem.isVisibleTo(self):
            return False
        if self.seed_problem.isVisibleTo(self):
            return False
        return not any(p.isVisibleTo(self) for p in self.problems.values())
