"""The Playground and "Pairs from generations" pages, driven as a person would, against the local API server
through the real openai SDK: streamed answers, "use as example", and pairs from N generated candidates (user
choice, regeneration, user edit, criterion judge) landing undoably in the open dataset with their source."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pytestqt.qtbot import QtBot

from dpo_studio.core.document import Document
from dpo_studio.core.preference_sources import (
    SOURCE_CRITERIA_JUDGE,
    SOURCE_REGENERATION,
    SOURCE_USER_CHOICE,
    SOURCE_USER_EDIT,
)
from dpo_studio.ui.errors import PresentedError
from dpo_studio.ui.loop import LoopTab
from dpo_studio.ui.loop.generations import GenerationsPage
from dpo_studio.ui.loop.playground import PlaygroundPage
from dpo_studio.ui.session import DocumentSession
from dpo_studio.ui.tasks import task_runner
from tests.apiserver.chat import default_answer
from tests.apiserver.server import ApiServer
from tests.loop_support import BASE_MODEL, TunedSetup, prompt_records, tuned_setup

pytestmark = pytest.mark.usefixtures("memory_keyring")

SYSTEM = "Answer in one short sentence."


@pytest.fixture
def session() -> Iterator[DocumentSession]:
    """A session with 6 examples (system message SYSTEM), 3 of them in the validation split."""
    document = Document.new()
    document.insert(0, [record for _index, record in prompt_records(6)])
    document.mark_clean()
    session = DocumentSession(document, journal=False)
    yield session
    task_runner().wait_all(30)
    session.shutdown()


def choose(picker: Any, setup: TunedSetup, model: str) -> None:
    picker.reload_connections()
    picker.set_connection(setup.profile.id)
    picker.set_model(model)


@pytest.mark.parametrize("style", ["openai", "azure"])
def test_playground_streams_two_answers_and_uses_them_as_an_example(
    style: str,
    api_server: ApiServer,
    azure_api_server: ApiServer,
    tmp_path: Path,
    qtbot: QtBot,
    session: DocumentSession,
) -> None:
    server = api_server if style == "openai" else azure_api_server
    setup = tuned_setup(server, tmp_path)
    server.stream_delay = 0.005  # chunks arrive one by one, as from a real service
    page = PlaygroundPage(session)
    qtbot.addWidget(page)
    page.show()
    assert page.system_edit.toPlainText() == SYSTEM  # the dataset's system message by default
    choose(page.columns[0].picker, setup, setup.tuned_name)
    choose(page.columns[1].picker, setup, setup.base_name)
    page.user_edit.setPlainText("How should I name my variables?")
    page.temperature.setValue(0.3)
    page.max_tokens.setValue(200)
    assert not page.a_better_button.isEnabled()
    page.send()
    assert page.busy and not page.send_button.isEnabled()
    qtbot.waitUntil(lambda: not page.busy, timeout=20000)

    messages = [
        {"role": "system", "content": SYSTEM},
        {"role": "user", "content": "How should I name my variables?"},
    ]
    tuned_text = default_answer(setup.tuned_model, messages, 0)
    base_text = default_answer(BASE_MODEL, messages, 0)
    column_a, column_b = page.columns
    assert column_a.answer.toPlainText() == tuned_text and column_b.answer.toPlainText() == base_text
    assert len(column_a.updates) > 3  # the text arrived in pieces
    assert all(tuned_text.startswith(update) for update in column_a.updates)
    assert column_a.result is not None and column_a.result.model == setup.tuned_model
    assert "complete" in column_a.status.text()
    assert column_a.result.finish_reason == "stop"
    sent = [r.json for r in server.requests_to("POST", r"/chat/completions$")]
    assert all(
        body and body["stream"] and body["temperature"] == 0.3 and body["max_tokens"] == 200 for body in sent
    )
    assert all(body and body["messages"] == messages for body in sent)

    assert page.b_better_button.isEnabled()
    before = len(session.document)
    added: list[int] = []
    page.pairAdded.connect(added.append)
    page.b_better_button.click()
    assert added == [before] and len(session.document) == before + 1 and session.current == before
    pair = session.document.record(before)
    assert pair is not None
    assert pair.preferred_text == base_text and pair.rejected_text == tuned_text
    assert pair.context == messages
    assert pair.metadata["source"] == SOURCE_USER_CHOICE and pair.metadata["collected_in"] == "playground"
    assert pair.metadata["preferred_model"] == setup.base_name
    session.undo_stack.undo()
    assert len(session.document) == before


def test_playground_stop_and_missing_choices(
    api_server: ApiServer,
    tmp_path: Path,
    qtbot: QtBot,
    session: DocumentSession,
    presented: list[PresentedError],
) -> None:

    shown = presented
    setup = tuned_setup(api_server, tmp_path)
    page = PlaygroundPage(session)
    qtbot.addWidget(page)
    page.user_edit.setPlainText("Hello")
    page.send()  # no models chosen
    assert shown and "Choose a connection and a model" in shown[-1].message
    choose(page.columns[0].picker, setup, setup.tuned_name)
    choose(page.columns[1].picker, setup, "gpt-7")
    page.send()
    qtbot.waitUntil(lambda: not page.busy, timeout=20000)
    assert "could not find" in shown[-1].message  # the unknown model, explained
    assert page.columns[1].result is None and page.columns[0].result is not None

    choose(page.columns[1].picker, setup, BASE_MODEL)
    api_server.stream_delay = 0.05
    page.send()
    qtbot.waitUntil(lambda: len(page.columns[0].updates) >= 1, timeout=20000)
    page.stop()
    qtbot.waitUntil(lambda: not page.busy, timeout=20000)
    assert [c.status.text() for c in page.columns] == ["Stopped.", "Stopped."]
    assert all(c.result is None for c in page.columns)
    assert not page.a_better_button.isEnabled()


def test_pairs_from_generations_all_four_sources(
    api_server: ApiServer, tmp_path: Path, qtbot: QtBot, session: DocumentSession
) -> None:
    setup = tuned_setup(api_server, tmp_path)
    session.set_current(2)
    page = GenerationsPage(session)
    qtbot.addWidget(page)
    page.show()
    context = session.document.record(2).context  # type: ignore[union-attr]
    assert page.context == context
    choose(page.picker, setup, BASE_MODEL)
    page.count_spin.setValue(3)
    page.generate()
    qtbot.waitUntil(lambda: page.task is None and len(page.candidates) == 3, timeout=20000)
    assert [c.text for c in page.candidates] == [default_answer(BASE_MODEL, context, i) for i in range(3)]
    assert page.list.count() == 3
    start = len(session.document)

    # User choice: best = 3, worst = 1.
    page.best_combo.setCurrentIndex(2)
    page.worst_combo.setCurrentIndex(0)
    index = page.make_choice_pair()
    assert index == start and session.current == start
    pair = session.document.record(start)
    assert pair is not None and pair.preferred_text == page.candidates[2].text
    assert pair.rejected_text == page.candidates[0].text
    assert pair.metadata["source"] == SOURCE_USER_CHOICE and pair.metadata["prompt_entry"] == "3"

    # Regeneration: one more answer, accept it; the first answer is the rejected side.
    page.regenerate()
    qtbot.waitUntil(lambda: page.task is None and len(page.candidates) == 4, timeout=20000)
    assert page.candidates[3].text not in [c.text for c in page.candidates[:3]]
    assert page.list.currentRow() == 3
    page.accept_selected()
    pair = session.document.record(start + 1)
    assert pair is not None and pair.metadata["source"] == SOURCE_REGENERATION
    assert pair.preferred_text == page.candidates[3].text and pair.rejected_text == page.candidates[0].text

    # User edit of the second answer.
    page.list.setCurrentRow(1)
    assert page.edit_box.toPlainText() == page.candidates[1].text
    page.edit_box.setPlainText("A better, shorter answer.")
    page.make_edit_pair()
    pair = session.document.record(start + 2)
    assert pair is not None and pair.metadata["source"] == SOURCE_USER_EDIT
    assert (
        pair.preferred_text == "A better, shorter answer." and pair.rejected_text == page.candidates[1].text
    )

    # Criterion judge: the scripted judge scores by length (shorter is better).
    def judge(model: str, messages: list[dict[str, Any]], index: int) -> str:
        answer = str(messages[-1]["content"]).split("Answer:\n", 1)[1]
        return f"{max(1, 10 - len(answer) // 20)}\nlength"

    api_server.chat_responder = judge
    choose(page.judge_picker, setup, BASE_MODEL)
    page.criterion_edit.setText("Shorter is better")
    page.judge()
    qtbot.waitUntil(lambda: len(session.document) == start + 4, timeout=20000)
    pair = session.document.record(start + 3)
    assert pair is not None and pair.metadata["source"] == SOURCE_CRITERIA_JUDGE
    assert pair.metadata["criterion"] == "Shorter is better"
    lengths = sorted(page.candidates, key=lambda c: len(c.text))
    assert len(pair.preferred_text) <= len(lengths[0].text) + 19  # among the best scored
    assert page.scores is not None and len(page.scores) == 4

    # Four undoable steps, each one pair.
    for _ in range(4):
        session.undo_stack.undo()
    assert len(session.document) == start

    # On to the next example's prompt.
    page.next_button.click()
    assert session.current == 3 and page.source_entry == 3 and page.candidates == []
    assert page.context == session.document.record(3).context  # type: ignore[union-attr]


def test_loop_tab_has_the_three_pages(qtbot: QtBot, session: DocumentSession) -> None:
    tab = LoopTab(session)
    qtbot.addWidget(tab)
    assert [tab.pages.tabText(i) for i in range(tab.pages.count())] == [
        "Playground",
        "Blind evaluation",
        "Pairs from generations",
    ]


def test_model_picker_follows_new_connections_and_lists_models_once(
    api_server: ApiServer, tmp_path: Path, qtbot: QtBot
) -> None:
    from dpo_studio.ui.loop.common import ModelPicker

    picker = ModelPicker()
    qtbot.addWidget(picker)
    picker.show()
    assert picker.profile is None and picker.target() is None
    setup = tuned_setup(api_server, tmp_path)  # a connection saved meanwhile (as the Connections dialog does)
    picker.hide()
    picker.show()
    assert picker.profile is not None and picker.profile.id == setup.profile.id
    picker.load_suggestions()
    items = lambda: [picker.model_combo.itemText(i) for i in range(picker.model_combo.count())]  # noqa: E731
    qtbot.waitUntil(lambda: setup.tuned_model in items(), timeout=10000)
    assert items()[0] == setup.tuned_model and BASE_MODEL in items()  # tuned models first
    listed = len(api_server.requests_to("GET", r"^/models$"))
    picker.load_suggestions()
    task_runner().wait_all(10)
    assert len(api_server.requests_to("GET", r"^/models$")) == listed


def test_evaluate_tab_screens_render(tmp_path: Path) -> None:
    from PySide6.QtGui import QImage

    from tests.screenshot_command import run_screenshot_command

    names = ["playground", "blind-comparison", "blind-result", "deploy", "generations"]
    result = run_screenshot_command(str(tmp_path), "--only", *names, theme="light")
    assert result.returncode == 0, result.stderr
    for name in names:
        image = QImage(str(tmp_path / f"{name}-light.png"))
        assert not image.isNull() and image.width() >= 800 and image.height() >= 600, name


def test_a_cut_off_answer_says_so(
    api_server: ApiServer, tmp_path: Path, qtbot: QtBot, session: DocumentSession
) -> None:
    setup = tuned_setup(api_server, tmp_path)
    page = PlaygroundPage(session)
    qtbot.addWidget(page)
    choose(page.columns[0].picker, setup, setup.tuned_name)
    choose(page.columns[1].picker, setup, BASE_MODEL)
    page.user_edit.setPlainText("Explain DPO.")
    page.max_tokens.setValue(3)
    page.send()
    qtbot.waitUntil(lambda: not page.busy, timeout=20000)
    assert all("cut off at the token limit" in column.status.text() for column in page.columns)
    assert all(len(column.answer.toPlainText().split()) == 3 for column in page.columns)
