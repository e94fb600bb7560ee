"""The playground: one prompt to two models side by side, answers streamed as they are written.

The system message starts as the open dataset's (the tuned model should be tried with the system message
it was trained with) and can be edited. "A is better" / "B is better" turn the two answers into a new
pair (the better one preferred, source "user choice") in the open dataset and show it in the pair editor.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut, QShowEvent
from PySide6.QtWidgets import (
    QDoubleSpinBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from dpo_studio.core.errors import UserError
from dpo_studio.core.preference_sources import SOURCE_USER_CHOICE, Candidate, make_pair
from dpo_studio.core.records import Message, PreferenceRecord
from dpo_studio.services.generation import Answer, GenerationSettings
from dpo_studio.ui.errors import present_error
from dpo_studio.ui.loop.common import (
    GeneratorFactory,
    ModelPicker,
    ModelTarget,
    dataset_system_message,
    default_generator_factory,
    land_pairs,
    remember_model,
    secondary,
)
from dpo_studio.ui.session import DocumentSession
from dpo_studio.ui.tasks import TaskContext, TaskHandle, task_runner


class AnswerColumn(QWidget):
    """One model: its picker, the streamed answer and a line about how it ended."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.picker = ModelPicker(title)
        self.answer = QPlainTextEdit()
        self.answer.setReadOnly(True)
        self.answer.setPlaceholderText("The answer appears here as it is written.")
        self.status = secondary(QLabel(""))
        layout.addWidget(self.picker)
        layout.addWidget(self.answer, 1)
        layout.addWidget(self.status)
        self.task: TaskHandle | None = None
        self.result: Answer | None = None
        #: Every text the column showed while streaming (tests read how the answer arrived).
        self.updates: list[str] = []

    def show_text(self, text: str) -> None:
        """Show the answer so far (keeps the view at the end while text streams in)."""
        self.updates.append(text)
        self.answer.setPlainText(text)
        bar = self.answer.verticalScrollBar()
        bar.setValue(bar.maximum())


class PlaygroundPage(QWidget):
    """Same prompt, two models, streamed answers; the better answer becomes a pair on request."""

    #: A pair was added to the dataset (its entry index).
    pairAdded = Signal(int)

    def __init__(
        self,
        session: DocumentSession,
        parent: QWidget | None = None,
        *,
        generator_factory: GeneratorFactory = default_generator_factory,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.generator_factory = generator_factory
        self._system_edited = False
        layout = QVBoxLayout(self)

        prompt_box = QGroupBox("Prompt")
        prompt_layout = QVBoxLayout(prompt_box)
        system_row = QHBoxLayout()
        system_row.addWidget(QLabel("System message"))
        system_row.addStretch(1)
        self.from_dataset_button = QPushButton("Use the dataset's system message")
        self.from_dataset_button.clicked.connect(self.use_dataset_system_message)
        system_row.addWidget(self.from_dataset_button)
        prompt_layout.addLayout(system_row)
        self.system_edit = QPlainTextEdit()
        self.system_edit.setPlaceholderText(
            "No system message (the tuned model is best tried with its training one)"
        )
        self.system_edit.setMaximumHeight(70)
        self.system_edit.textChanged.connect(self._system_changed)
        prompt_layout.addWidget(self.system_edit)
        prompt_layout.addWidget(QLabel("User message"))
        self.user_edit = QPlainTextEdit()
        self.user_edit.setPlaceholderText("Type a prompt, then Send (Ctrl+Enter)")
        self.user_edit.setMaximumHeight(110)
        prompt_layout.addWidget(self.user_edit)

        controls = QHBoxLayout()
        controls.addWidget(QLabel("Temperature"))
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(0.7)
        controls.addWidget(self.temperature)
        controls.addSpacing(12)
        controls.addWidget(QLabel("Max tokens"))
        self.max_tokens = QSpinBox()
        self.max_tokens.setRange(1, 32768)
        self.max_tokens.setValue(512)
        controls.addWidget(self.max_tokens)
        controls.addStretch(1)
        self.send_button = QPushButton("Send to both")
        self.send_button.setDefault(True)
        self.send_button.setToolTip("Send the prompt to both models (Ctrl+Enter)")
        self.stop_button = QPushButton("Stop")
        self.stop_button.setEnabled(False)
        self.send_button.clicked.connect(self.send)
        self.stop_button.clicked.connect(self.stop)
        controls.addWidget(self.send_button)
        controls.addWidget(self.stop_button)
        prompt_layout.addLayout(controls)
        layout.addWidget(prompt_box)

        self.columns = (AnswerColumn("A"), AnswerColumn("B"))
        splitter = QSplitter(Qt.Orientation.Horizontal)
        for column in self.columns:
            splitter.addWidget(column)
        layout.addWidget(splitter, 1)

        use_row = QHBoxLayout()
        use_row.addWidget(
            secondary(QLabel("Use as example: the better answer becomes the preferred one.")), 1
        )
        self.a_better_button = QPushButton("A is better — add as example")
        self.b_better_button = QPushButton("B is better — add as example")
        self.a_better_button.clicked.connect(lambda: self.use_as_example(0))
        self.b_better_button.clicked.connect(lambda: self.use_as_example(1))
        use_row.addWidget(self.a_better_button)
        use_row.addWidget(self.b_better_button)
        layout.addLayout(use_row)

        send_shortcut = QShortcut(QKeySequence("Ctrl+Return"), self)
        send_shortcut.activated.connect(self.send)
        session.documentReplaced.connect(self._document_replaced)
        self._update_buttons()

    # ---- system message ----------------------------------------------------------------------------

    def _system_changed(self) -> None:
        if not self.system_edit.signalsBlocked():
            self._system_edited = True

    def use_dataset_system_message(self) -> None:
        """Put the open dataset's system message in the box."""
        self.system_edit.blockSignals(True)
        self.system_edit.setPlainText(dataset_system_message(self.session))
        self.system_edit.blockSignals(False)
        self._system_edited = False

    def _document_replaced(self) -> None:
        if not self._system_edited:
            self.use_dataset_system_message()

    def showEvent(self, event: QShowEvent) -> None:
        """Fill the system message from the dataset the first time, unless the user typed one."""
        super().showEvent(event)
        if not self._system_edited and not self.system_edit.toPlainText():
            self.use_dataset_system_message()
        for column in self.columns:
            column.picker.load_suggestions()

    # ---- sending -----------------------------------------------------------------------------------

    def messages(self) -> list[Message]:
        """The conversation sent to both models."""
        messages: list[Message] = []
        system = self.system_edit.toPlainText().strip()
        if system:
            messages.append({"role": "system", "content": system})
        messages.append({"role": "user", "content": self.user_edit.toPlainText().strip()})
        return messages

    def settings(self) -> GenerationSettings:
        """Temperature and max tokens as set."""
        return GenerationSettings(temperature=self.temperature.value(), max_tokens=self.max_tokens.value())

    @property
    def busy(self) -> bool:
        """Whether an answer is still streaming."""
        return any(column.task is not None for column in self.columns)

    def send(self) -> None:
        """Send the prompt to both models at once; answers stream into their columns."""
        if self.busy:
            return
        if not self.user_edit.toPlainText().strip():
            present_error(self, UserError("Type a user message first.", "Then press Send."), "Playground")
            return
        targets = [column.picker.target() for column in self.columns]
        if any(target is None for target in targets):
            present_error(
                self,
                UserError(
                    "Choose a connection and a model for A and for B.", "On Azure, type the deployment name."
                ),
                "Playground",
            )
            return
        messages, settings = self.messages(), self.settings()
        for column, target in zip(self.columns, targets, strict=True):
            assert target is not None
            remember_model(target.profile.id, target.model)
            self._start(column, target, messages, settings)
        self._update_buttons()

    def _start(
        self, column: AnswerColumn, target: ModelTarget, messages: list[Message], settings: GenerationSettings
    ) -> None:
        column.result = None
        column.updates = []
        column.answer.clear()
        column.status.setText(f"Asking {target.model}…")
        factory = self.generator_factory

        def work(ctx: TaskContext) -> Answer:
            generator = factory(target.profile)
            # total 0: every piece reaches the GUI (progress is throttled only while done < total).
            return generator.stream(
                target.model,
                messages,
                settings,
                on_text=lambda text: ctx.progress(0, 0, text),
                cancelled=lambda: ctx.cancelled,
            )

        def progressed(_done: int, _total: int, text: str) -> None:
            column.show_text(text)

        def done(answer: Answer) -> None:
            column.task = None
            column.result = answer
            if column.answer.toPlainText() != answer.text:
                column.show_text(answer.text)
            ending = {
                "length": "cut off at the token limit",
                "content_filter": "stopped by the service's content filter",
            }.get(answer.finish_reason, "complete")
            tokens = f", {answer.completion_tokens} tokens" if answer.completion_tokens is not None else ""
            column.status.setText(f"Answered by {answer.model} ({ending}{tokens}).")
            self._update_buttons()

        def failed(error: BaseException) -> None:
            column.task = None
            column.status.setText("No answer (see the message).")
            self._update_buttons()
            present_error(self, error, f"Asking {target.model}")

        def cancelled() -> None:
            column.task = None
            column.status.setText("Stopped.")
            self._update_buttons()

        column.task = task_runner().run(
            work,
            on_done=done,
            on_error=failed,
            on_progress=progressed,
            on_cancelled=cancelled,
            description=f"Asking {target.model}",
        )

    def stop(self) -> None:
        """Stop both answers."""
        for column in self.columns:
            if column.task is not None:
                column.task.cancel()

    def _update_buttons(self) -> None:
        busy = self.busy
        self.send_button.setEnabled(not busy)
        self.stop_button.setEnabled(busy)
        ready = not busy and all(column.result is not None and column.result.text for column in self.columns)
        self.a_better_button.setEnabled(ready)
        self.b_better_button.setEnabled(ready)

    # ---- use as example ----------------------------------------------------------------------------

    def example(self, better: int) -> PreferenceRecord:
        """The pair made of the two answers, column ``better`` preferred."""
        answers = [column.result for column in self.columns]
        if any(answer is None for answer in answers):
            raise UserError("Both models must answer first.", "Send the prompt, wait for both answers.")
        candidates = [
            Candidate(answer.text, column.picker.model, answer.finish_reason)
            for column, answer in zip(self.columns, answers, strict=True)
            if answer is not None
        ]
        return make_pair(
            self.messages(),
            candidates[better],
            candidates[1 - better],
            source=SOURCE_USER_CHOICE,
            details={"collected_in": "playground"},
        )

    def use_as_example(self, better: int) -> None:
        """Add the two answers as a pair (``better`` preferred) and open it in the pair editor."""
        try:
            pair = self.example(better)
        except UserError as error:
            present_error(self, error, "Use as example")
            return
        index = land_pairs(self.session, [pair], "Add example from the playground", window=self.window())
        self.pairAdded.emit(index)
