"""Pairs from generations (OpenPipe's sources of preference data) for the prompt of the example in the editor.

Generate N answers from any connected model, then make a pair in one of four ways:

- **Best and worst** (user choice): pick the best and the worst answer.
- **Regenerate** (regeneration): add answers one at a time until one is good; accepting it pairs it with the
  *first* answer, the first one rejected.
- **Edit a draft** (user edit): improve an answer; the edit is preferred, the original draft rejected.
- **Criterion judge** (criteria feedback): a judge model scores every answer against a written criterion; the
  best and the worst form the pair.

Every pair lands in the open dataset as one undoable step, is shown in the pair editor for review, and carries
its source in ``metadata``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPlainTextEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTabWidget,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from dpo_studio.core.errors import UserError
from dpo_studio.core.preference_sources import (
    Candidate,
    pair_from_choice,
    pair_from_edit,
    pair_from_regenerations,
    pair_from_scores,
)
from dpo_studio.core.records import Message, PreferenceRecord
from dpo_studio.services.evaluation import score_candidates
from dpo_studio.services.generation import GenerationSettings
from dpo_studio.ui.errors import present_error
from dpo_studio.ui.loop.blind_eval import transcript_html
from dpo_studio.ui.loop.common import (
    GeneratorFactory,
    ModelPicker,
    default_generator_factory,
    land_pairs,
    remember_model,
    secondary,
)
from dpo_studio.ui.session import DocumentSession
from dpo_studio.ui.tasks import TaskContext, TaskHandle, task_runner

#: How many answers are generated at first.
DEFAULT_CANDIDATES = 4


class GenerationsPage(QWidget):
    """Generate answers for the example's prompt and turn a judgment about them into a new pair."""

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
        self.task: TaskHandle | None = None
        self.context: list[Message] = []
        self.template: PreferenceRecord | None = None
        self.source_entry: int = -1
        self.candidates: list[Candidate] = []
        self.scores: list[float] | None = None
        layout = QVBoxLayout(self)

        top = QHBoxLayout()
        prompt_box = QGroupBox("Prompt (from the example in the editor)")
        prompt_layout = QVBoxLayout(prompt_box)
        self.prompt_view = QTextBrowser()
        self.prompt_view.setMaximumHeight(130)
        prompt_layout.addWidget(self.prompt_view)
        self.use_current_button = QPushButton("Use the example in the editor")
        self.use_current_button.clicked.connect(self.use_current_example)
        self.next_button = QPushButton("Next example ▸")
        self.next_button.setToolTip("Move to the next example and generate for its prompt")
        self.next_button.clicked.connect(self.next_example)
        prompt_buttons = QHBoxLayout()
        prompt_buttons.addWidget(self.use_current_button, 1)
        prompt_buttons.addWidget(self.next_button)
        prompt_layout.addLayout(prompt_buttons)
        top.addWidget(prompt_box, 3)
        settings_box = QGroupBox("Generate")
        form = QFormLayout(settings_box)
        self.picker = ModelPicker()
        form.addRow("Model", self.picker)
        self.count_spin = QSpinBox()
        self.count_spin.setRange(2, 10)
        self.count_spin.setValue(DEFAULT_CANDIDATES)
        form.addRow("Answers", self.count_spin)
        self.temperature = QDoubleSpinBox()
        self.temperature.setRange(0.0, 2.0)
        self.temperature.setSingleStep(0.1)
        self.temperature.setValue(1.0)
        form.addRow("Temperature", self.temperature)
        self.max_tokens = QSpinBox()
        self.max_tokens.setRange(1, 32768)
        self.max_tokens.setValue(512)
        form.addRow("Max tokens", self.max_tokens)
        self.generate_button = QPushButton("Generate answers")
        self.generate_button.clicked.connect(self.generate)
        form.addRow(self.generate_button)
        top.addWidget(settings_box, 2)
        layout.addLayout(top)

        splitter = QSplitter()
        self.list = QListWidget()
        self.list.setWordWrap(True)
        self.list.setAlternatingRowColors(True)
        self.list.setSpacing(3)
        self.list.currentRowChanged.connect(self._selection_changed)
        splitter.addWidget(self.list)
        self.methods = QTabWidget()
        self.methods.addTab(self._build_choice(), "Best and worst")
        self.methods.addTab(self._build_regenerate(), "Regenerate")
        self.methods.addTab(self._build_edit(), "Edit a draft")
        self.methods.addTab(self._build_judge(), "Criterion judge")
        splitter.addWidget(self.methods)
        splitter.setSizes([520, 480])
        layout.addWidget(splitter, 1)
        self.status = secondary(QLabel("Generate answers, then choose how to make the pair."))
        layout.addWidget(self.status)
        self._refresh_candidates()

    # ---- method panels -------------------------------------------------------------------------------

    def _build_choice(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.addRow(secondary(QLabel("Pick the best and the worst answer (source: user choice).")))
        self.best_combo = QComboBox()
        self.worst_combo = QComboBox()
        form.addRow("Best", self.best_combo)
        form.addRow("Worst", self.worst_combo)
        self.choice_button = QPushButton("Make the pair")
        self.choice_button.clicked.connect(self.make_choice_pair)
        form.addRow(self.choice_button)
        return page

    def _build_regenerate(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(
            secondary(
                QLabel(
                    "Add answers one at a time until one is good, select it and accept it. The pair is the "
                    "accepted answer against the first answer you rejected (source: regeneration)."
                )
            )
        )
        row = QHBoxLayout()
        self.regenerate_button = QPushButton("Regenerate (one more answer)")
        self.regenerate_button.clicked.connect(self.regenerate)
        self.accept_button = QPushButton("Accept the selected answer")
        self.accept_button.clicked.connect(self.accept_selected)
        row.addWidget(self.regenerate_button)
        row.addWidget(self.accept_button)
        layout.addLayout(row)
        layout.addStretch(1)
        return page

    def _build_edit(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.addWidget(
            secondary(
                QLabel(
                    "Improve the selected answer. Your edit is preferred, the draft rejected "
                    "(source: user edit)."
                )
            )
        )
        self.edit_box = QPlainTextEdit()
        layout.addWidget(self.edit_box, 1)
        self.edit_button = QPushButton("Make the pair from my edit")
        self.edit_button.clicked.connect(self.make_edit_pair)
        layout.addWidget(self.edit_button)
        return page

    def _build_judge(self) -> QWidget:
        page = QWidget()
        form = QFormLayout(page)
        form.addRow(
            secondary(
                QLabel(
                    "A judge scores every answer 1–10 against the criterion; best and worst become the pair."
                )
            )
        )
        self.judge_picker = ModelPicker()
        form.addRow("Judge", self.judge_picker)
        self.criterion_edit = QLineEdit()
        self.criterion_edit.setPlaceholderText("e.g. Answers in at most two sentences, without jargon.")
        form.addRow("Criterion", self.criterion_edit)
        self.judge_button = QPushButton("Score the answers and make the pair")
        self.judge_button.clicked.connect(self.judge)
        form.addRow(self.judge_button)
        return page

    # ---- prompt -------------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        """Take the prompt of the example in the editor when the page appears (if none is set)."""
        super().showEvent(event)
        if not self.context:
            self.use_current_example()
        self.picker.load_suggestions()

    def use_current_example(self) -> None:
        """Use the prompt of the example in the editor (else the first example)."""
        document = self.session.document
        indices = ([self.session.current] if self.session.current >= 0 else []) + document.record_indices()[
            :1
        ]
        for index in indices:
            record = document.record(index)
            if record is not None and record.context:
                self.set_prompt(record.context, record, index)
                return
        self.prompt_view.setPlainText("Open a dataset and choose an example: its prompt is used here.")

    def next_example(self) -> None:
        """Show the next example (after the one whose prompt is used) in the editor and take its prompt."""
        document = self.session.document
        following = [i for i in document.record_indices() if i > self.source_entry]
        for index in following:
            record = document.record(index)
            if record is not None and record.context and record.context[-1].get("role") != "assistant":
                self.session.set_current(index)
                self.set_prompt(record.context, record, index)
                self.status.setText(f"Example {index + 1}: generate answers for its prompt.")
                return
        self.status.setText("That was the last example.")

    def set_prompt(
        self, context: list[Message], template: PreferenceRecord | None = None, entry: int = -1
    ) -> None:
        """Generate for ``context`` (``template`` lends tools; answers so far are dropped)."""
        self.context = [dict(m) for m in context]
        self.template = template
        self.source_entry = entry
        self.prompt_view.setHtml(transcript_html(self.context))
        self.candidates = []
        self.scores = None
        self._refresh_candidates()

    # ---- generating ---------------------------------------------------------------------------------

    def _settings(self, seed: int | None = None) -> GenerationSettings:
        return GenerationSettings(self.temperature.value(), self.max_tokens.value(), seed)

    def _generate(self, count: int, *, append: bool, seed: int | None = None) -> None:
        target = self.picker.target()
        if target is None:
            present_error(
                self,
                UserError("Choose a connection and a model.", "On Azure, type the deployment name."),
                "Generate",
            )
            return
        if not self.context:
            present_error(
                self, UserError("There is no prompt.", "Open a dataset and pick an example."), "Generate"
            )
            return
        if self.task is not None:
            return
        remember_model(target.profile.id, target.model)
        factory, context, settings = self.generator_factory, list(self.context), self._settings(seed)

        def work(ctx: TaskContext) -> list[Candidate]:
            ctx.progress(0, 0, f"Asking {target.model} for {count} answer(s)…")
            answers = factory(target.profile).complete(target.model, context, settings, n=count)
            return [answer.candidate(target.model) for answer in answers]

        def done(found: list[Candidate]) -> None:
            self.candidates = [*self.candidates, *found] if append else found
            self.scores = None
            self._refresh_candidates()
            self.list.setCurrentRow(len(self.candidates) - 1 if append else 0)
            self.status.setText(f"{len(self.candidates)} answer(s) from {target.model}.")

        self._run(work, done, "Generating answers")

    def generate(self) -> None:
        """Replace the answers with N new ones."""
        self._generate(self.count_spin.value(), append=False)

    def regenerate(self) -> None:
        """Add one more answer (a new seed each time, so it differs)."""
        self._generate(1, append=True, seed=len(self.candidates) + 1)

    def _run(self, work: Callable[[TaskContext], Any], done: Callable[[Any], None], what: str) -> None:
        def finished(result: Any) -> None:
            self.task = None
            self._update_buttons()
            done(result)

        def failed(error: BaseException) -> None:
            self.task = None
            self._update_buttons()
            present_error(self, error, what)

        def cancelled() -> None:
            self.task = None
            self._update_buttons()

        self.task = task_runner().run(
            work,
            on_done=finished,
            on_error=failed,
            on_cancelled=cancelled,
            on_progress=lambda _d, _t, text: self.status.setText(text),
            description=what,
        )
        self._update_buttons()

    # ---- list and buttons ---------------------------------------------------------------------------

    def _refresh_candidates(self) -> None:
        self.list.clear()
        for number, candidate in enumerate(self.candidates, start=1):
            score = f"  [score {self.scores[number - 1]:g}]" if self.scores else ""
            cut = "  (cut off)" if candidate.truncated else ""
            QListWidgetItem(f"{number}. {candidate.text}{cut}{score}", self.list)
        labels = [str(n) for n in range(1, len(self.candidates) + 1)]
        for combo, default in ((self.best_combo, 0), (self.worst_combo, len(labels) - 1)):
            combo.clear()
            combo.addItems(labels)
            combo.setCurrentIndex(max(0, default))
        self._update_buttons()

    def _selection_changed(self, row: int) -> None:
        if 0 <= row < len(self.candidates):
            self.edit_box.setPlainText(self.candidates[row].text)
        self._update_buttons()

    def _update_buttons(self) -> None:
        busy = self.task is not None
        count = len(self.candidates)
        self.generate_button.setEnabled(not busy)
        self.regenerate_button.setEnabled(not busy)
        self.choice_button.setEnabled(not busy and count >= 2)
        self.accept_button.setEnabled(not busy and self.list.currentRow() >= 1)
        self.edit_button.setEnabled(not busy and count >= 1 and self.list.currentRow() >= 0)
        self.judge_button.setEnabled(not busy and count >= 2)

    # ---- making pairs -------------------------------------------------------------------------------

    def _details(self) -> dict[str, str]:
        return {"prompt_entry": str(self.source_entry + 1)} if self.source_entry >= 0 else {}

    def _land(self, make: Callable[[], PreferenceRecord], text: str) -> int | None:
        try:
            pair = make()
        except UserError as error:
            present_error(self, error, "Making the pair")
            return None
        index = land_pairs(self.session, [pair], text, window=self.window())
        self.status.setText(
            f"Added as example {index + 1} ({pair.metadata.get('source', '')}); review it in the editor."
        )
        self.pairAdded.emit(index)
        return index

    def make_choice_pair(self) -> int | None:
        """User choice: the chosen best answer preferred, the worst rejected."""
        best, worst = self.best_combo.currentIndex(), self.worst_combo.currentIndex()
        return self._land(
            lambda: pair_from_choice(
                self.context, self.candidates, best, worst, details=self._details(), template=self.template
            ),
            "Add pair (best and worst answer)",
        )

    def accept_selected(self) -> int | None:
        """Regeneration: the selected answer accepted, paired with the first answer (the first rejected)."""
        accepted = self.list.currentRow()
        return self._land(
            lambda: pair_from_regenerations(
                self.context,
                self.candidates[: accepted + 1],
                accepted,
                details=self._details(),
                template=self.template,
            ),
            "Add pair (regenerated answer)",
        )

    def make_edit_pair(self) -> int | None:
        """User edit: the edit preferred, the selected draft rejected."""
        row = self.list.currentRow()
        if not 0 <= row < len(self.candidates):
            return None
        edited = self.edit_box.toPlainText()
        return self._land(
            lambda: pair_from_edit(
                self.context, self.candidates[row], edited, details=self._details(), template=self.template
            ),
            "Add pair (edited answer)",
        )

    def judge(self) -> None:
        """Criteria judge: score every answer, then pair the best with the worst."""
        target = self.judge_picker.target()
        criterion = self.criterion_edit.text().strip()
        if target is None or not criterion:
            present_error(
                self,
                UserError("Choose the judge model and write the criterion.", "Then score again."),
                "Criterion judge",
            )
            return
        if self.task is not None:
            return
        remember_model(target.profile.id, target.model)
        factory, context, candidates = self.generator_factory, list(self.context), list(self.candidates)

        def work(ctx: TaskContext) -> list[float]:
            ctx.progress(0, 0, f"{target.model} is scoring {len(candidates)} answers…")
            return score_candidates(
                factory(target.profile),
                target.model,
                criterion,
                context,
                candidates,
                cancelled=lambda: ctx.cancelled,
            )

        def done(scores: list[float]) -> None:
            self.scores = scores
            self._refresh_candidates()
            self._land(
                lambda: pair_from_scores(
                    self.context,
                    self.candidates,
                    scores,
                    criterion=criterion,
                    details=self._details(),
                    template=self.template,
                ),
                "Add pair (criterion judge)",
            )

        self._run(work, done, "Scoring the answers")
