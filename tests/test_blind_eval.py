"""The blind evaluation page driven by keyboard against the local API server through the real SDK: answers
generated, order hidden and random, picks by Left / Right / T (Backspace to go back), the revealed win rate,
the evaluation saved with its run, and lost comparisons reviewed and added to the dataset (undoably)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from dpo_studio.core.document import Document
from dpo_studio.core.preference_sources import SOURCE_CRITERIA_JUDGE, SOURCE_USER_CHOICE
from dpo_studio.core.winrate import wilson_interval
from dpo_studio.services.evaluation import USER, Verdict, load_evaluations
from dpo_studio.services.history import HistoryStore
from dpo_studio.ui.errors import PresentedError
from dpo_studio.ui.loop.blind_eval import BlindEvaluationPage
from dpo_studio.ui.session import DocumentSession
from dpo_studio.ui.tasks import task_runner
from tests.apiserver.server import ApiServer
from tests.loop_support import BASE_MODEL, TunedSetup, prompt_records, tuned_setup
from tests.test_evaluation import scripted
from tests.test_runs_service import fast_provider

pytestmark = pytest.mark.usefixtures("memory_keyring")


@pytest.fixture
def session() -> Iterator[DocumentSession]:
    """Ten validation prompts numbered 0-9 (the scripted server answers by number) and ten training ones."""
    records = [record for _index, record in prompt_records(20)]
    for number, record in enumerate(records[10:]):
        record.context[-1]["content"] = f"Question {number}: how do I pick a learning rate?"
    document = Document.new()
    document.insert(0, records)
    document.mark_clean()
    session = DocumentSession(document, journal=False)
    yield session
    task_runner().wait_all(30)
    session.shutdown()


def evaluation_page(
    qtbot: QtBot, session: DocumentSession, setup: TunedSetup, store: HistoryStore
) -> BlindEvaluationPage:
    page = BlindEvaluationPage(session, store=lambda: store)
    qtbot.addWidget(page)
    page.resize(1100, 760)
    page.show()
    page.set_run(setup.profile.id, setup.job_id, setup.tuned_name)
    page.picker_b.set_model(setup.base_name)
    page.limit_spin.setValue(10)
    page.seed_spin.setValue(7)
    return page


def test_keyboard_picks_give_the_win_rate_and_losses_become_reviewed_pairs(
    api_server: ApiServer, tmp_path: Path, qtbot: QtBot, session: DocumentSession
) -> None:
    setup = tuned_setup(api_server, tmp_path)
    api_server.chat_responder = scripted(setup.tuned_model)
    store = HistoryStore(tmp_path / "history.sqlite3")
    page = evaluation_page(qtbot, session, setup, store)
    qtbot.waitUntil(lambda: page.prompt_note.text().startswith("10 prompts"), timeout=10000)
    assert "validation split" in page.prompt_note.text()
    page.start()
    qtbot.waitUntil(lambda: page.stack.currentWidget() is page.comparison_page, timeout=20000)
    comparison = page.comparison_page
    evaluation = page.evaluation
    assert evaluation is not None and len(evaluation.comparisons) == 10
    assert "Comparison 1 of 10" in comparison.counter.text()
    # Names are hidden: nothing on the comparison page says which model wrote what.
    shown = (
        comparison.counter.text() + comparison.left_view.toPlainText() + comparison.right_view.toPlainText()
    )
    assert setup.tuned_name not in shown and BASE_MODEL not in shown

    # The first pick is a deliberate mistake, corrected after Backspace.
    qtbot.keyClick(comparison, Qt.Key.Key_T)
    assert evaluation.comparisons[0].user is Verdict.TIE and "Comparison 2 of 10" in comparison.counter.text()
    qtbot.keyClick(comparison, Qt.Key.Key_Backspace)
    assert "Comparison 1 of 10" in comparison.counter.text()

    # A blind user who prefers the shorter answer, reading only what is on screen.
    keys = []
    for _ in range(10):
        left, right = comparison.left_view.toPlainText(), comparison.right_view.toPlainText()
        key = (
            Qt.Key.Key_T
            if len(left) == len(right)
            else (Qt.Key.Key_Left if len(left) < len(right) else Qt.Key.Key_Right)
        )
        keys.append(key)
        qtbot.keyClick(comparison, key)
    assert Qt.Key.Key_Left in keys and Qt.Key.Key_Right in keys  # the order really was mixed

    assert page.stack.currentWidget() is page.result_page
    results = evaluation.results().user
    assert results is not None and (results.wins, results.losses, results.ties) == (7, 2, 1)
    text = page.result_view.text()
    low, high = wilson_interval(7.5, 10)
    assert "75%" in text and f"{low:.0%}–{high:.0%}" in text and "ties count as half" in text
    assert setup.tuned_name in page.result_title.text() and setup.base_name in page.result_title.text()

    # Saved with the run.
    qtbot.waitUntil(lambda: page.saved_label.text().startswith("Saved with"), timeout=10000)
    stored = load_evaluations(store, job_id=setup.job_id)
    assert len(stored) == 1 and stored[0].id == evaluation.id
    assert stored[0].results().user == results
    assert store.evaluations(job_id=setup.job_id)[0].summary["win_rates"][USER]["wins"] == 7

    # Ties left out: 7 of 9 decisive comparisons.
    page.ties_combo.setCurrentIndex(page.ties_combo.findData("excluded"))
    assert "78%" in page.result_view.text() and "ties are left out" in page.result_view.text()
    page.ties_combo.setCurrentIndex(page.ties_combo.findData("half"))

    # Listed among the earlier evaluations, and opened again from there without saving a copy.
    qtbot.waitUntil(lambda: page.history_model.rowCount() == 1, timeout=10000)
    history_model = page.history_model
    assert history_model.data(history_model.index(0, 4)) == "75%"
    assert history_model.data(history_model.index(0, 1)) == setup.tuned_name
    page.stack.setCurrentWidget(page.setup_page)
    page.history_view.selectRow(0)
    page.open_saved_button.click()
    assert page.stack.currentWidget() is page.result_page and "from the history" in page.saved_label.text()
    assert page.evaluation is not None and page.evaluation.id == evaluation.id
    task_runner().wait_all(10)
    assert len(store.evaluations()) == 1

    # The table of comparisons, revealed.
    model = page.comparisons_model
    assert model.rowCount() == 10 and model.headerData(2, Qt.Orientation.Horizontal) == "Your pick"
    winners = [model.data(model.index(row, 2)) for row in range(10)]
    assert (winners.count("A"), winners.count("B"), winners.count("Tie")) == (7, 2, 1)
    loss = winners.index("B")
    assert model.data(model.index(loss, 2), Qt.ItemDataRole.ToolTipRole) == setup.base_name

    # Two losses: reviewed, one unchecked, the other added (one undo step).
    assert page.review_button.isEnabled() and "2 lost comparisons" in page.review_button.text()
    dialog = page.review_losses()
    assert dialog is not None
    qtbot.addWidget(dialog)
    pairs_model = dialog.model
    assert pairs_model.rowCount() == 2
    assert pairs_model.data(pairs_model.index(0, 0), Qt.ItemDataRole.CheckStateRole) == Qt.CheckState.Checked
    assert pairs_model.setData(
        pairs_model.index(1, 0), Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole
    )
    before = len(session.document)
    dialog.add_button.click()
    assert len(session.document) == before + 1 and session.current == before
    pair = session.document.record(before)
    assert pair is not None and pair.metadata["source"] == SOURCE_USER_CHOICE
    assert (
        pair.metadata["collected_in"] == "blind evaluation" and pair.metadata["evaluation"] == evaluation.id
    )
    assert pair.metadata["preferred_model"] == setup.base_name
    assert len(pair.rejected_text) > len(pair.preferred_text)  # the tuned model's long answer lost
    session.undo_stack.undo()
    assert len(session.document) == before


def test_judge_only_evaluation_goes_straight_to_the_result(
    api_server: ApiServer, tmp_path: Path, qtbot: QtBot, session: DocumentSession
) -> None:
    setup = tuned_setup(api_server, tmp_path)
    api_server.chat_responder = scripted(setup.tuned_model)
    store = HistoryStore(tmp_path / "history.sqlite3")
    page = evaluation_page(qtbot, session, setup, store)
    page.judge_box.setChecked(True)
    page.judge_picker.set_model(BASE_MODEL)
    page.criteria_edit.setPlainText("Shorter is better\n\n")
    page.judge_only.setChecked(True)
    page.start()
    qtbot.waitUntil(lambda: page.stack.currentWidget() is page.result_page, timeout=20000)
    evaluation = page.evaluation
    assert evaluation is not None and evaluation.results().user is None
    judged = evaluation.results().by_source["Shorter is better"]
    assert (judged.wins, judged.losses, judged.ties) == (7, 2, 1)
    assert "Judge: Shorter is better" in page.result_view.text()
    assert page.comparisons_model.headerData(2, Qt.Orientation.Horizontal).startswith("Judge:")
    pairs = evaluation.candidate_pairs()
    assert len(pairs) == 2 and all(p.metadata["source"] == SOURCE_CRITERIA_JUDGE for p in pairs)


def test_evaluation_models_pass_the_model_tester(
    api_server: ApiServer, tmp_path: Path, qtbot: QtBot, qtmodeltester: object, session: DocumentSession
) -> None:
    setup = tuned_setup(api_server, tmp_path)
    api_server.chat_responder = scripted(setup.tuned_model)
    page = evaluation_page(qtbot, session, setup, HistoryStore(tmp_path / "h.sqlite3"))
    page.judge_box.setChecked(True)
    page.judge_picker.set_model(BASE_MODEL)
    page.criteria_edit.setPlainText("Shorter is better")
    page.start()
    qtbot.waitUntil(lambda: page.stack.currentWidget() is page.comparison_page, timeout=20000)
    for _ in range(10):
        qtbot.keyClick(page.comparison_page, Qt.Key.Key_Left)
    assert page.stack.currentWidget() is page.result_page
    assert page.comparisons_model.columnCount() == 4  # #, prompt, your pick, judge
    qtmodeltester.check(page.comparisons_model)  # type: ignore[attr-defined]
    qtbot.waitUntil(lambda: page.history_model.rowCount() == 1, timeout=10000)
    qtmodeltester.check(page.history_model)  # type: ignore[attr-defined]
    dialog = page.review_losses()
    assert dialog is not None
    qtbot.addWidget(dialog)
    qtmodeltester.check(dialog.model)  # type: ignore[attr-defined]


def test_missing_choices_are_explained(
    qtbot: QtBot, session: DocumentSession, tmp_path: Path, presented: list[PresentedError]
) -> None:
    shown = presented
    page = BlindEvaluationPage(session, store=lambda: HistoryStore(tmp_path / "h.sqlite3"))
    qtbot.addWidget(page)
    page.start()
    assert shown and "model for A and for B" in shown[-1].message
    assert page.task is None and page.stack.currentWidget() is page.setup_page


def test_runs_tab_evaluate_and_deploy_actions_reach_the_evaluate_tab(
    api_server: ApiServer, tmp_path: Path, qtbot: QtBot
) -> None:
    from dpo_studio.ui.main_window import MainWindow

    setup = tuned_setup(api_server, tmp_path)
    window = MainWindow()
    qtbot.addWidget(window)
    view = window.runs_tab.run_view
    assert view.deploy_button.text() == "Deploy…" and not view.deploy_button.isEnabled()  # no run shown
    view.evaluateRequested.emit(setup.profile.id, setup.job_id, setup.tuned_model)
    tab = window.loop_tab
    assert window.tabs.currentWidget() is tab and tab.pages.currentWidget() is tab.blind
    assert tab.blind.picker_a.model == setup.tuned_model and tab.blind.run_key == (
        setup.profile.id,
        setup.job_id,
    )
    assert tab.blind.picker_b.model == ""  # the job is not in this window's history yet
    from dpo_studio.services.history import history

    history().upsert_jobs(setup.profile.id, [fast_provider(setup.profile).retrieve_job(setup.job_id)])
    view.evaluateRequested.emit(setup.profile.id, setup.job_id, setup.tuned_model)
    assert tab.blind.picker_b.model == "gpt-4.1-mini-2025-04-14"  # the run's base model is the reference
    view.deployRequested.emit(
        setup.profile.id, setup.job_id, setup.tuned_model
    )  # OpenAI: no deployment needed
    assert tab.pages.currentWidget() is tab.playground
    assert tab.playground.columns[0].picker.model == setup.tuned_model
    task_runner().wait_all(30)
    window.session.shutdown()


def test_an_answer_cut_off_at_the_token_limit_is_marked(qtbot: QtBot) -> None:
    from dpo_studio.ui.loop.blind_eval import ComparisonPage

    page = ComparisonPage()
    qtbot.addWidget(page)
    page.show_comparison(1, 3, [{"role": "user", "content": "q"}], "left text", "right", cut=(False, True))
    assert [box.title() for box in page.boxes] == ["Left answer", "Right answer — cut off at the token limit"]
    assert not page.back_button.isEnabled()
    picks: list[str] = []
    page.picked.connect(picks.append)
    for key in (Qt.Key.Key_Right, Qt.Key.Key_Left, Qt.Key.Key_T, Qt.Key.Key_X):
        qtbot.keyClick(page, key)
    assert picks == ["right", "left", "tie"]
