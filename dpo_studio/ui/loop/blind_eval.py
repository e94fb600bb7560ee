"""Blind evaluation: answers of model A and model B side by side in random order, without names.

Setup → the comparisons (Left / Right / T for tie, Backspace to go back) → the result, where the names are
revealed with A's win rate and its confidence interval (the user's and each judge criterion's). Every
comparison A lost can be reviewed as a candidate pair (the winner preferred) and added to the dataset.
Finished evaluations are saved with their run in the history store.
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Iterator

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from dpo_studio.core.dataset import Dataset
from dpo_studio.core.errors import UserError
from dpo_studio.core.records import PreferenceRecord, message_text
from dpo_studio.core.winrate import TiePolicy, WinRate
from dpo_studio.services.evaluation import (
    DEFAULT_PROMPT_COUNT,
    USER,
    Evaluation,
    ModelSide,
    Side,
    generate_comparisons,
    judge_evaluation,
    load_evaluations,
    save_evaluation,
    select_prompts,
)
from dpo_studio.services.history import HistoryStore, history
from dpo_studio.ui.errors import present_error
from dpo_studio.ui.loop.common import (
    GeneratorFactory,
    ModelPicker,
    ModelTarget,
    default_generator_factory,
    land_pairs,
    remember_model,
    scrollable,
    secondary,
)
from dpo_studio.ui.loop.models import CandidatePairsModel, ComparisonsModel, EvaluationsModel
from dpo_studio.ui.session import DocumentSession
from dpo_studio.ui.tasks import TaskContext, TaskHandle, task_runner


def readable_records(dataset: Dataset) -> Iterator[tuple[int, PreferenceRecord]]:
    """(entry, record) for every entry that parses as a record (broken lines are skipped here)."""
    for index in dataset.record_indices():
        try:
            yield index, dataset.record(index)
        except Exception:  # a line that does not parse is reported by validation, not here
            continue


def transcript_html(messages: list[dict[str, object]]) -> str:
    """The prompt's messages as readable HTML (role in bold, text kept as written)."""
    parts = []
    for message in messages:
        role = html.escape(str(message.get("role", "")).capitalize())
        text = html.escape(message_text(message)).replace("\n", "<br>")
        parts.append(f"<p><b>{role}</b><br>{text}</p>")
    return "".join(parts)


class ComparisonPage(QWidget):
    """One comparison at a time. Keys: Left, Right, T (tie), Backspace (back to the previous one)."""

    #: The user picked a side ("left", "right" or "tie").
    picked = Signal(str)
    #: The user asked to go back one comparison.
    back = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        layout = QVBoxLayout(self)
        self.counter = QLabel()
        font = self.counter.font()
        font.setBold(True)
        self.counter.setFont(font)
        layout.addWidget(self.counter)
        self.prompt_view = QTextBrowser()
        self.prompt_view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.prompt_view.setMaximumHeight(150)
        layout.addWidget(self.prompt_view)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        self.left_view = QPlainTextEdit()
        self.right_view = QPlainTextEdit()
        self.boxes: list[QGroupBox] = []
        for title, view in (("Left answer", self.left_view), ("Right answer", self.right_view)):
            view.setReadOnly(True)
            view.setFocusPolicy(Qt.FocusPolicy.NoFocus)  # the page keeps the keyboard for the picks
            box = QGroupBox(title)
            self.boxes.append(box)
            box_layout = QVBoxLayout(box)
            box_layout.addWidget(view)
            splitter.addWidget(box)
        layout.addWidget(splitter, 1)
        buttons = QHBoxLayout()
        self.back_button = QPushButton("Back (Backspace)")
        self.left_button = QPushButton("← Left is better")
        self.tie_button = QPushButton("Tie (T)")
        self.right_button = QPushButton("Right is better →")
        for button in (self.back_button, self.left_button, self.tie_button, self.right_button):
            button.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.back_button.clicked.connect(self.back.emit)
        self.left_button.clicked.connect(lambda: self.picked.emit(Side.LEFT.value))
        self.tie_button.clicked.connect(lambda: self.picked.emit(Side.TIE.value))
        self.right_button.clicked.connect(lambda: self.picked.emit(Side.RIGHT.value))
        buttons.addWidget(self.back_button)
        buttons.addStretch(1)
        buttons.addWidget(self.left_button)
        buttons.addWidget(self.tie_button)
        buttons.addWidget(self.right_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.hint = secondary(
            QLabel(
                "Model names stay hidden until the end; the order of the answers is random for each prompt."
            )
        )
        layout.addWidget(self.hint)

    def show_comparison(
        self,
        number: int,
        total: int,
        prompt: list[dict[str, object]],
        left: str,
        right: str,
        *,
        cut: tuple[bool, bool] = (False, False),
    ) -> None:
        """Show comparison ``number`` (1-based) of ``total``; ``cut``: answers stopped at the token limit."""
        self.counter.setText(f"Comparison {number} of {total} — which answer is better?")
        self.prompt_view.setHtml(transcript_html(prompt))
        self.left_view.setPlainText(left)
        self.right_view.setPlainText(right)
        for box, side, was_cut in zip(self.boxes, ("Left", "Right"), cut, strict=True):
            box.setTitle(f"{side} answer" + (" — cut off at the token limit" if was_cut else ""))
        self.back_button.setEnabled(number > 1)
        self.setFocus()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Left / Right / T pick; Backspace goes back."""
        key = event.key()
        if event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            super().keyPressEvent(event)
            return
        if key == Qt.Key.Key_Left:
            self.picked.emit(Side.LEFT.value)
        elif key == Qt.Key.Key_Right:
            self.picked.emit(Side.RIGHT.value)
        elif key == Qt.Key.Key_T:
            self.picked.emit(Side.TIE.value)
        elif key == Qt.Key.Key_Backspace:
            if self.back_button.isEnabled():
                self.back.emit()
        else:
            super().keyPressEvent(event)
            return
        event.accept()


def describe_rate(name: str, rate: WinRate) -> str:
    """One row of the result table in HTML."""
    if rate.rate is None:
        figure = "—"
    else:
        low, high = rate.interval
        figure = f"<b>{rate.rate:.0%}</b> (95% CI {low:.0%}–{high:.0%})"
    return (
        f"<tr><td>{html.escape(name)}</td><td>{figure}</td><td>{rate.wins}</td><td>{rate.losses}</td>"
        f"<td>{rate.ties}</td><td>{html.escape(rate.verdict)}</td></tr>"
    )


class CandidatePairsDialog(QDialog):
    """Review the pairs made from lost comparisons; the checked ones are added to the dataset."""

    def __init__(
        self,
        pairs: list[PreferenceRecord],
        add: Callable[[list[PreferenceRecord]], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Lost comparisons as preference pairs")
        self.resize(1000, 520)
        self._add = add
        layout = QVBoxLayout(self)
        layout.addWidget(
            secondary(
                QLabel(
                    "Each comparison the evaluated model lost becomes a pair: the winning answer preferred, "
                    "the evaluated model's answer rejected. Uncheck the ones you do not want; the rest are "
                    "added to the open dataset (undoable) for review in the pair editor. The prompts come "
                    "from the validation split: give the new pairs a split on purpose so validation stays "
                    "unseen."
                )
            )
        )
        self.model = CandidatePairsModel(pairs, self)
        self.view = QTableView()
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.verticalHeader().setVisible(False)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.horizontalHeader().setStretchLastSection(True)
        for column, width in ((0, 50), (1, 260), (2, 300)):
            self.view.setColumnWidth(column, width)
        layout.addWidget(self.view, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.add_button = buttons.addButton(
            "Add checked pairs to the dataset", QDialogButtonBox.ButtonRole.AcceptRole
        )
        buttons.accepted.connect(self.add_checked)
        buttons.rejected.connect(self.reject)
        layout.addWidget(buttons)

    def add_checked(self) -> None:
        """Add the checked pairs and close."""
        chosen = self.model.chosen()
        if chosen:
            self._add(chosen)
        self.accept()


class BlindEvaluationPage(QWidget):
    """Set up, judge blind, and read the result of a comparison of two models."""

    #: The evaluation was saved with its run (its id).
    saved = Signal(str)

    def __init__(
        self,
        session: DocumentSession,
        parent: QWidget | None = None,
        *,
        generator_factory: GeneratorFactory = default_generator_factory,
        store: Callable[[], HistoryStore] = history,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.generator_factory = generator_factory
        self.store = store
        self.evaluation: Evaluation | None = None
        self.position = 0
        self.run_key: tuple[str, str] = ("", "")
        self.task: TaskHandle | None = None
        self.pairs_dialog: CandidatePairsDialog | None = None
        layout = QVBoxLayout(self)
        self.stack = QStackedWidget()
        layout.addWidget(self.stack)
        self.setup_page = scrollable(self._build_setup())
        self.comparison_page = ComparisonPage()
        self.comparison_page.picked.connect(self.pick)
        self.comparison_page.back.connect(self.go_back)
        self.result_page = self._build_result()
        for page in (self.setup_page, self.comparison_page, self.result_page):
            self.stack.addWidget(page)
        session.documentReplaced.connect(self._update_prompt_note)
        session.entriesInserted.connect(lambda *_a: self._update_prompt_note())
        self._update_prompt_note()

    # ---- setup ---------------------------------------------------------------------------------------

    def _build_setup(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        models = QGroupBox("Models")
        form = QFormLayout(models)
        self.picker_a = ModelPicker()
        self.picker_b = ModelPicker()
        form.addRow("A (evaluated, e.g. the tuned model)", self.picker_a)
        form.addRow("B (reference, e.g. the base model)", self.picker_b)
        self.run_hint = secondary(QLabel())
        self.run_hint.setStyleSheet("color: #b7791f;")
        form.addRow(self.run_hint)
        layout.addWidget(models)

        prompts = QGroupBox("Prompts")
        prompts_form = QFormLayout(prompts)
        self.prompt_note = secondary(QLabel())
        prompts_form.addRow(self.prompt_note)
        self.limit_spin = QSpinBox()
        self.limit_spin.setRange(1, 1000)
        self.limit_spin.setValue(DEFAULT_PROMPT_COUNT)
        prompts_form.addRow("At most", self.limit_spin)
        self.seed_spin = QSpinBox()
        self.seed_spin.setRange(0, 2**31 - 1)
        self.seed_spin.setValue(1234)
        self.seed_spin.setToolTip(
            "Sets which prompts are sampled and the left/right order; keep it to replay."
        )
        prompts_form.addRow("Seed", self.seed_spin)
        layout.addWidget(prompts)

        self.judge_box = QGroupBox("Also let an LLM judge decide, by written criteria")
        self.judge_box.setCheckable(True)
        self.judge_box.setChecked(False)
        judge_form = QFormLayout(self.judge_box)
        self.judge_picker = ModelPicker()
        judge_form.addRow("Judge model", self.judge_picker)
        self.criteria_edit = QPlainTextEdit()
        self.criteria_edit.setPlaceholderText(
            "One criterion per line, e.g.\nAnswers in at most two sentences.\nDoes not invent facts."
        )
        self.criteria_edit.setMaximumHeight(90)
        judge_form.addRow("Criteria", self.criteria_edit)
        self.judge_only = QCheckBox("Judge only (skip my own blind picks)")
        judge_form.addRow(self.judge_only)
        layout.addWidget(self.judge_box)

        earlier = QGroupBox("Earlier evaluations (saved with their runs)")
        earlier_layout = QVBoxLayout(earlier)
        self.history_model = EvaluationsModel(self)
        self.history_view = QTableView()
        self.history_view.setModel(self.history_model)
        self.history_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.history_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.history_view.verticalHeader().setVisible(False)
        self.history_view.setWordWrap(False)
        self.history_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.history_view.horizontalHeader().setStretchLastSection(True)
        self.history_view.doubleClicked.connect(lambda _index: self.open_saved())
        earlier_layout.addWidget(self.history_view)
        open_row = QHBoxLayout()
        open_row.addStretch(1)
        self.open_saved_button = QPushButton("Show result")
        self.open_saved_button.clicked.connect(self.open_saved)
        open_row.addWidget(self.open_saved_button)
        earlier_layout.addLayout(open_row)

        row = QHBoxLayout()
        self.progress = QProgressBar()
        self.progress.setVisible(False)
        self.progress_text = secondary(QLabel())
        self.start_button = QPushButton("Generate answers and start")
        self.start_button.clicked.connect(self.start)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setVisible(False)
        self.cancel_button.clicked.connect(self.cancel)
        row.addWidget(self.progress, 1)
        row.addWidget(self.progress_text, 1)
        row.addWidget(self.start_button)
        row.addWidget(self.cancel_button)
        layout.addLayout(row)
        layout.addWidget(earlier, 1)
        return page

    def _update_prompt_note(self) -> None:
        """Say how many prompts an evaluation would use (counted off the GUI thread: datasets can be big)."""
        if not self.isVisible():
            return
        snapshot = self.session.document.snapshot()
        limit, seed = self.limit_spin.value(), self.seed_spin.value()

        def work(_ctx: TaskContext) -> str:
            try:
                selection = select_prompts(readable_records(snapshot), limit=limit, seed=seed)
            except UserError as error:
                return f"{error.message} {error.hint}"
            return f"{len(selection.prompts)} prompts. {selection.note}"

        task_runner().run(work, on_done=self.prompt_note.setText, description="Counting prompts")

    def showEvent(self, event: QShowEvent) -> None:
        """Count the prompts, list the models and the earlier evaluations when the page appears."""
        super().showEvent(event)
        self._update_prompt_note()
        self.load_history()
        for picker in (self.picker_a, self.picker_b, self.judge_picker):
            picker.load_suggestions()

    def set_run(self, connection_id: str, job_id: str, model: str) -> None:
        """Start from a run: A is its tuned model (or deployment) on its connection."""
        self.run_key = (connection_id, job_id)
        for picker in (self.picker_a, self.picker_b, self.judge_picker):
            picker.reload_connections()
            picker.set_connection(connection_id)
        self.picker_a.set_model(model)
        self.stack.setCurrentWidget(self.setup_page)

    def start(self) -> None:
        """Pick the prompts, generate both answers for each (background), then start judging."""
        if self.task is not None:
            return
        target_a, target_b = self.picker_a.target(), self.picker_b.target()
        judging = self.judge_box.isChecked()
        judge = self.judge_picker.target() if judging else None
        criteria = [line.strip() for line in self.criteria_edit.toPlainText().splitlines() if line.strip()]
        problem = ""
        if target_a is None or target_b is None:
            problem = "Choose a connection and a model for A and for B."
        elif judging and (judge is None or not criteria):
            problem = "Choose the judge model and write at least one criterion."
        if problem:
            present_error(self, UserError(problem, "On Azure, type deployment names."), "Blind evaluation")
            return
        assert target_a is not None and target_b is not None
        for target in (target_a, target_b, judge):
            if target is not None:
                remember_model(target.profile.id, target.model)
        self._run_generation(self.session.document.snapshot(), target_a, target_b, judge, criteria)

    def _run_generation(
        self,
        snapshot: Dataset,
        target_a: ModelTarget,
        target_b: ModelTarget,
        judge: ModelTarget | None,
        criteria: list[str],
    ) -> None:
        factory = self.generator_factory
        seed, limit = self.seed_spin.value(), self.limit_spin.value()
        run_key = self.run_key

        def work(ctx: TaskContext) -> Evaluation:
            selection = select_prompts(readable_records(snapshot), limit=limit, seed=seed)
            prompts, note = selection.prompts, selection.note
            generator_a = factory(target_a.profile)
            generator_b = (
                generator_a if target_b.profile.id == target_a.profile.id else factory(target_b.profile)
            )
            evaluation = generate_comparisons(
                prompts,
                ModelSide(target_a.model, target_a.model, target_a.profile.id),
                ModelSide(target_b.model, target_b.model, target_b.profile.id),
                generator_a,
                generator_b,
                seed=seed,
                progress=ctx.progress,
                cancelled=lambda: ctx.cancelled,
            )
            evaluation.prompt_note = note
            evaluation.connection_id = run_key[0] or target_a.profile.id
            evaluation.job_id = run_key[1]
            if judge is not None:
                judge_generator = factory(judge.profile)
                judge_evaluation(
                    evaluation,
                    judge_generator,
                    judge.model,
                    criteria,
                    progress=ctx.progress,
                    cancelled=lambda: ctx.cancelled,
                )
            return evaluation

        def progressed(done: int, total: int, text: str) -> None:
            self.progress.setRange(0, max(total, 1))
            self.progress.setValue(done)
            self.progress_text.setText(text)

        def finished(evaluation: Evaluation) -> None:
            self._end_task()
            self.begin(evaluation)

        def failed(error: BaseException) -> None:
            self._end_task()
            present_error(self, error, "Generating the answers")

        self.task = task_runner().run(
            work,
            on_done=finished,
            on_error=failed,
            on_progress=progressed,
            on_cancelled=self._end_task,
            description="Blind evaluation: generating answers",
        )
        self.progress.setVisible(True)
        self.progress.setValue(0)
        self.start_button.setEnabled(False)
        self.cancel_button.setVisible(True)

    def _end_task(self) -> None:
        self.task = None
        self.progress.setVisible(False)
        self.progress_text.setText("")
        self.start_button.setEnabled(True)
        self.cancel_button.setVisible(False)

    def cancel(self) -> None:
        """Stop generating."""
        if self.task is not None:
            self.task.cancel()

    # ---- judging ------------------------------------------------------------------------------------

    def begin(self, evaluation: Evaluation) -> None:
        """Show the first comparison of ``evaluation`` (or the result when the user does not judge)."""
        self.evaluation = evaluation
        if self.judge_box.isChecked() and self.judge_only.isChecked():
            self.finish()
            return
        self.position = 0
        self._show_current()

    def _show_current(self) -> None:
        evaluation = self.evaluation
        assert evaluation is not None
        comparison = evaluation.comparisons[self.position]
        self.comparison_page.show_comparison(
            self.position + 1,
            len(evaluation.comparisons),
            comparison.prompt,
            comparison.left,
            comparison.right,
            cut=(comparison.left_finish == "length", comparison.right_finish == "length"),
        )
        self.stack.setCurrentWidget(self.comparison_page)
        self.comparison_page.setFocus()

    def pick(self, side: str) -> None:
        """Record the user's pick for the current comparison and move on (the result after the last)."""
        evaluation = self.evaluation
        if evaluation is None or self.stack.currentWidget() is not self.comparison_page:
            return
        evaluation.comparisons[self.position].pick(side)
        following = evaluation.next_unjudged(self.position + 1)
        if following is None:
            self.finish()
            return
        self.position = following
        self._show_current()

    def go_back(self) -> None:
        """Show the previous comparison again (its pick can be changed)."""
        if self.evaluation is not None and self.position > 0:
            self.position -= 1
            self._show_current()

    # ---- result -------------------------------------------------------------------------------------

    def _build_result(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        self.result_title = QLabel()
        font = self.result_title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        font.setBold(True)
        self.result_title.setFont(font)
        self.result_title.setWordWrap(True)
        layout.addWidget(self.result_title)
        self.result_view = QLabel()
        self.result_view.setTextFormat(Qt.TextFormat.RichText)
        self.result_view.setWordWrap(True)
        self.result_view.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.result_view)
        ties_row = QHBoxLayout()
        ties_row.addWidget(QLabel("Ties"))
        self.ties_combo = QComboBox()
        self.ties_combo.addItem("count as half a win", TiePolicy.HALF.value)
        self.ties_combo.addItem("are left out", TiePolicy.EXCLUDED.value)
        self.ties_combo.currentIndexChanged.connect(lambda _i: self._render_result())
        ties_row.addWidget(self.ties_combo)
        ties_row.addStretch(1)
        layout.addLayout(ties_row)
        self.comparisons_model = ComparisonsModel(self)
        self.comparisons_view = QTableView()
        self.comparisons_view.setModel(self.comparisons_model)
        self.comparisons_view.verticalHeader().setVisible(False)
        self.comparisons_view.setWordWrap(False)
        self.comparisons_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.comparisons_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        layout.addWidget(self.comparisons_view, 1)
        row = QHBoxLayout()
        self.saved_label = secondary(QLabel())
        row.addWidget(self.saved_label, 1)
        self.review_button = QPushButton("Review lost comparisons as pairs…")
        self.review_button.clicked.connect(self.review_losses)
        self.again_button = QPushButton("New evaluation")
        self.again_button.clicked.connect(lambda: self.stack.setCurrentWidget(self.setup_page))
        row.addWidget(self.review_button)
        row.addWidget(self.again_button)
        layout.addLayout(row)
        return page

    @property
    def tie_policy(self) -> TiePolicy:
        """How ties count in the shown win rates."""
        return TiePolicy(self.ties_combo.currentData())

    def finish(self, *, save: bool = True) -> None:
        """Reveal the names, show the win rates and (unless it was opened from the history) save it."""
        evaluation = self.evaluation
        assert evaluation is not None
        self._render_result()
        self.comparisons_model.set_evaluation(evaluation)
        self.comparisons_view.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        losses = len(evaluation.candidate_pairs())
        self.review_button.setText(f"Review {losses} lost comparison{'s' if losses != 1 else ''} as pairs…")
        self.review_button.setEnabled(losses > 0)
        self.stack.setCurrentWidget(self.result_page)
        if save:
            self.saved_label.setText("Saving…")
            self._save(evaluation)
        else:
            when = time.strftime("%Y-%m-%d %H:%M", time.localtime(evaluation.created_at))
            self.saved_label.setText(f"Evaluation of {when}, from the history.")

    def _render_result(self) -> None:
        evaluation = self.evaluation
        if evaluation is None:
            return
        policy = self.tie_policy
        results = evaluation.results(policy)
        self.result_title.setText(
            f"A = {evaluation.model_a.name}    B = {evaluation.model_b.name}    "
            f"({len(evaluation.comparisons)} prompts)"
        )
        rows = [
            describe_rate("Your blind picks" if name == USER else f"Judge: {name}", rate)
            for name, rate in results.by_source.items()
        ]
        self.result_view.setText(
            "<p>Win rate of A over B, with the 95% Wilson confidence interval; "
            f"{html.escape(policy.label)}.</p>"
            "<table cellpadding='4'><tr><th align='left'>By</th><th align='left'>Win rate of A</th>"
            "<th>Wins</th>"
            "<th>Losses</th><th>Ties</th><th align='left'>Reading</th></tr>"
            + "".join(rows)
            + "</table>"
            + f"<p>{html.escape(evaluation.prompt_note)}</p>"
        )

    def _save(self, evaluation: Evaluation) -> None:
        store = self.store

        def work(_ctx: TaskContext) -> str:
            save_evaluation(store(), evaluation)
            return evaluation.id

        def done(evaluation_id: str) -> None:
            self.saved_label.setText("Saved with the run in the history, to compare models over time.")
            self.saved.emit(evaluation_id)
            self.load_history()

        task_runner().run(work, on_done=done, description="Saving the evaluation")

    # ---- earlier evaluations ------------------------------------------------------------------------

    def load_history(self) -> None:
        """List the saved evaluations (all runs, newest first) in the background."""
        store = self.store

        def work(_ctx: TaskContext) -> list[Evaluation]:
            return load_evaluations(store())

        task_runner().run(work, on_done=self.history_model.set_evaluations, description="Reading evaluations")

    def open_saved(self) -> None:
        """Show the selected earlier evaluation's result."""
        rows = self.history_view.selectionModel().selectedRows()
        if not rows:
            return
        self.evaluation = self.history_model.evaluations[rows[0].row()]
        self.finish(save=False)

    def review_losses(self) -> CandidatePairsDialog | None:
        """Open the review of the pairs made from lost comparisons (non-modal)."""
        if self.evaluation is None:
            return None
        pairs = self.evaluation.candidate_pairs()
        if not pairs:
            return None

        def add(chosen: list[PreferenceRecord]) -> None:
            land_pairs(
                self.session, chosen, f"Add {len(chosen)} pairs from a blind evaluation", window=self.window()
            )

        self.pairs_dialog = CandidatePairsDialog(pairs, add, self)
        self.pairs_dialog.show()
        return self.pairs_dialog
