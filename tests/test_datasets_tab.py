"""The Datasets tab driven as a person would: open corpus files, filter, fix, bulk-edit, split, export."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from dpo_studio.core.dataset import Dataset
from dpo_studio.core.dataset_index import ANY_FINDING, NO_SPLIT, RowFilter, preview
from dpo_studio.core.detect import detect_dialect
from dpo_studio.core.dialects import get_dialect, writable_dialects
from dpo_studio.core.document import Document
from dpo_studio.core.records import TRAIN, VALIDATION, PreferenceRecord
from dpo_studio.core.textfile import BOM
from dpo_studio.ui.datasets import DatasetsTab
from dpo_studio.ui.datasets.dialect_dialog import DialectDialog
from dpo_studio.ui.datasets.findings_model import FindingsModel
from dpo_studio.ui.datasets.findings_panel import expand_group
from dpo_studio.ui.datasets.table_model import EntryRole
from dpo_studio.ui.session import DocumentSession
from dpo_studio.ui.tasks import task_runner
from tests.conftest import CORPUS
from tests.fsfaults import read_only_folder

ORCA = CORPUS / "openai_dpo" / "msfoundry-orca-dpo-validation.jsonl"
CONTENT_PARTS = CORPUS / "trl_conversational" / "llamafactory-v1-dpo-demo-contentparts.jsonl"
CHAT = CORPUS / "openai_dpo" / "msfoundry-dpo-chat-preferenceft.jsonl"


@pytest.fixture
def session(qtbot: QtBot) -> Iterator[DocumentSession]:
    session = DocumentSession(journal=False)
    yield session
    session.shutdown()
    task_runner().wait_all(30)


@pytest.fixture
def tab(qtbot: QtBot, session: DocumentSession) -> DatasetsTab:
    widget = DatasetsTab(session)
    qtbot.addWidget(widget)
    widget.resize(1400, 800)
    widget.show()
    return widget


def settle(session: DocumentSession) -> None:
    """Let every background task (indexing, checking, token counting) finish and its results arrive."""
    for _ in range(5):
        assert task_runner().wait_all(60)
        QApplication.processEvents()
        if session.document.findings_current:
            break
        # The session re-checks a moment after an edit; do it now instead of waiting for its timer.
        session.revalidate()
    assert task_runner().wait_all(60)
    QApplication.processEvents()


def open_in(tab: DatasetsTab, path: Path) -> Document:
    document = Document.open(path)
    tab.session.set_document(document)
    settle(tab.session)
    tab.refresh_findings()
    return document


def shown_entries(tab: DatasetsTab) -> list[int]:
    return [tab.model.index(row, 0).data(EntryRole) for row in range(tab.model.rowCount())]


def select_rows(tab: DatasetsTab, entries: list[int]) -> None:
    tab.select_entries(entries)
    assert tab.selected_entries() == sorted(entries)


def records_of(document: Document) -> list[PreferenceRecord]:
    return [record for i in document.record_indices() if (record := document.record(i)) is not None]


# -- models ------------------------------------------------------------------------------------------


def test_models_pass_qtmodeltester(qtbot: QtBot, qtmodeltester: object, tab: DatasetsTab) -> None:
    open_in(tab, CONTENT_PARTS)
    qtmodeltester.check(tab.model)  # type: ignore[attr-defined]
    tab.apply_filter(RowFilter(finding=ANY_FINDING))
    qtmodeltester.check(tab.model)  # type: ignore[attr-defined]
    tab.model.sort(2, Qt.SortOrder.DescendingOrder)
    qtmodeltester.check(tab.model)  # type: ignore[attr-defined]
    findings = FindingsModel()
    findings.set_findings(tab.session.document.findings())
    assert findings.rowCount() == 1 and findings.total() == 10
    qtmodeltester.check(findings)  # type: ignore[attr-defined]
    qtmodeltester.check(tab.findings_panel.model)  # type: ignore[attr-defined]


def test_models_stay_valid_through_inserts_and_removals(
    qtbot: QtBot, qtmodeltester: object, tab: DatasetsTab
) -> None:
    document = open_in(tab, CHAT)
    qtmodeltester.check(tab.model, force_py=True)  # type: ignore[attr-defined]
    record = document.record(0)
    assert record is not None
    tab.session.insert_records(3, [record.clone(), record.clone()], "Add")
    tab.session.remove_entries([0, 5, 6], "Delete")
    tab.session.undo_stack.undo()
    tab.session.undo_stack.undo()
    assert shown_entries(tab) == list(range(12))


# -- opening and the table ---------------------------------------------------------------------------


def test_open_corpus_file_shows_every_example_with_previews_and_tokens(tab: DatasetsTab) -> None:
    document = open_in(tab, ORCA)
    records = records_of(document)
    assert tab.model.rowCount() == len(records) == 284
    assert not tab.building
    first = records[0]
    prompt = tab.model.index(0, 1).data()
    assert prompt and first.last_user_text.split()[0] in prompt
    assert tab.model.index(0, 2).data().split()[0] in first.preferred_text
    tokens = tab.model.index(0, 4).data()
    assert tokens and int(tokens.replace(",", "")) > 0
    assert "284 examples" in tab.count_label.text()
    assert tab.stats_panel.statistics is not None and tab.stats_panel.statistics.examples == 284
    _edges, heights = tab.stats_panel.histogram()
    assert sum(heights) == 284
    assert "$" in tab.stats_panel.cost_value.text()
    # The cost follows the chosen model and epochs.
    panel = tab.stats_panel
    assert panel.model_combo.currentText() == document.profile.model
    panel.epochs_spin.setValue(2)
    two = panel.estimate
    panel.epochs_spin.setValue(4)
    four = panel.estimate
    assert two.epochs == 2 and four.epochs == 4
    assert four.low == pytest.approx(2 * two.low) and four.high == pytest.approx(2 * two.high)
    panel.model_combo.setCurrentText("gpt-4.1-2025-04-14")
    assert four.price is not None and panel.estimate.price is not None
    ratio = panel.estimate.price.per_million / four.price.per_million
    assert panel.estimate.low == pytest.approx(four.low * ratio)


def test_text_filter_from_the_filter_bar(qtbot: QtBot, tab: DatasetsTab) -> None:
    document = open_in(tab, ORCA)
    word = "photosynthesis"
    expected = [
        i
        for i in document.record_indices()
        if word
        in "\n".join(
            [m.get("content") or "" for m in document.record(i).context]  # type: ignore[union-attr]
            + [document.record(i).preferred_text, document.record(i).rejected_text]  # type: ignore[union-attr]
        ).lower()
    ]
    assert expected, "the corpus file should mention the word"
    qtbot.keyClicks(tab.filter_bar.text, word.upper())
    qtbot.waitUntil(lambda: tab.model.row_filter.text == word.upper(), timeout=3000)
    assert shown_entries(tab) == expected
    assert f"{len(expected)} of 284 examples match" in tab.count_label.text()
    tab.filter_bar.text.clear()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 284, timeout=3000)


def test_no_match_shows_a_hint_and_clear_button(qtbot: QtBot, tab: DatasetsTab) -> None:
    open_in(tab, CHAT)
    tab.filter_bar.text.setText("zzzz-nothing-like-this")
    qtbot.waitUntil(lambda: tab.model.rowCount() == 0, timeout=3000)
    assert tab.table_stack.currentIndex() == 1
    assert "No examples match" in tab.no_rows_label.text()
    qtbot.mouseClick(tab.clear_filter_button, Qt.MouseButton.LeftButton)
    assert tab.model.rowCount() == 12 and tab.table_stack.currentIndex() == 0


def test_new_tag_reaches_the_filter_bar_once_typing_pauses(qtbot: QtBot, tab: DatasetsTab) -> None:
    open_in(tab, CHAT)
    session = tab.session
    record = session.document.record(3)
    assert record is not None
    record.tags = ["fresh-tag"]
    session.edit_record(3, record, "Tag")
    bar = tab.filter_bar
    # Recounted after a pause (not on every keystroke of the editor), then offered.
    qtbot.waitUntil(lambda: bar.tag.findData("fresh-tag") >= 0, timeout=5000)
    record.tags = []
    session.edit_record(3, record, "Untag")
    qtbot.waitUntil(lambda: bar.tag.findData("fresh-tag") < 0, timeout=5000)


def test_filter_by_finding_split_and_tag(qtbot: QtBot, tab: DatasetsTab) -> None:
    open_in(tab, CHAT)
    session = tab.session
    select_rows(tab, [0, 1, 2])
    tab.set_split_selected(VALIDATION)
    select_rows(tab, [1, 4])
    tab.tag_selected("tone")
    settle(session)
    bar = tab.filter_bar
    bar.select(bar.split, VALIDATION)
    assert shown_entries(tab) == [0, 1, 2]
    bar.select(bar.tag, "tone")
    assert shown_entries(tab) == [1]
    bar.select(bar.split, NO_SPLIT)
    assert shown_entries(tab) == [4]
    bar.clear()
    select_rows(tab, [4])
    tab.untag_selected("tone")
    bar.select(bar.tag, "tone")
    assert shown_entries(tab) == [1]
    bar.clear()
    assert tab.model.rowCount() == 12
    # An identical-answers example gets a finding; filter by its code.
    record = session.document.record(7)
    assert record is not None
    record.rejected = [dict(m) for m in record.preferred]
    session.edit_record(7, record, "Make identical", merge=False)
    settle(session)
    tab.refresh_findings()
    bar.select(bar.finding, "DPO111")
    assert shown_entries(tab) == [7]
    assert "DPO111" in tab.model.index(0, 5).data()


# -- findings: open, fix, fix all, undo --------------------------------------------------------------


def test_clicking_a_finding_selects_the_example_and_asks_for_the_editor(
    qtbot: QtBot, tab: DatasetsTab
) -> None:
    open_in(tab, CONTENT_PARTS)
    panel = tab.findings_panel
    group = expand_group(panel, "DPO117")
    assert group.isValid()
    child = panel.model.index(3, 0, group)
    finding = child.data(Qt.ItemDataRole.UserRole + 1)
    with qtbot.waitSignal(tab.openInEditor) as blocker:
        panel.view.clicked.emit(child)
    assert blocker.args == [finding.entry]
    assert tab.session.current == finding.entry
    assert tab.selected_entries() == [finding.entry]


def test_fix_one_and_fix_all_then_undo(qtbot: QtBot, tab: DatasetsTab) -> None:
    document = open_in(tab, CONTENT_PARTS)
    original = document.dataset.to_bytes()
    session = tab.session
    panel = tab.findings_panel
    group = expand_group(panel, "DPO117")
    assert panel.fix_all_button.isEnabled() and "10" in panel.fix_all_button.text()
    panel.view.setCurrentIndex(panel.model.index(0, 0, group))
    assert panel.fix_button.isEnabled()
    fixed_entry = panel.selected_finding().entry  # type: ignore[union-attr]
    qtbot.mouseClick(panel.fix_button, Qt.MouseButton.LeftButton)
    # The fixed row shows its new token count at once (counted on demand, the tokenizer is loaded).
    assert tab.model.index(tab.model.row_of(fixed_entry), 4).data()
    settle(session)
    tab.refresh_findings()
    remaining = [f for f in session.document.findings() if f.code == "DPO117"]
    assert len(remaining) == 9 and fixed_entry not in {f.entry for f in remaining}
    record = session.document.record(fixed_entry)
    assert record is not None and record.preferred_text == record.preferred_text.strip()
    expand_group(panel, "DPO117")
    qtbot.mouseClick(panel.fix_all_button, Qt.MouseButton.LeftButton)
    settle(session)
    tab.refresh_findings()
    assert not [f for f in session.document.findings() if f.code == "DPO117"]
    assert panel.model.rowCount() == 0
    assert session.undo_stack.count() == 2
    session.undo_stack.undo()
    settle(session)
    tab.refresh_findings()
    assert len([f for f in session.document.findings() if f.code == "DPO117"]) == 9
    session.undo_stack.undo()
    settle(session)
    assert session.document.dataset.to_bytes() == original
    assert not session.dirty


# -- bulk actions ------------------------------------------------------------------------------------


def test_bulk_actions_each_undo_in_one_step(qtbot: QtBot, tab: DatasetsTab) -> None:
    document = open_in(tab, CHAT)
    session = tab.session
    original = document.dataset.to_bytes()
    before = records_of(document)

    select_rows(tab, [2, 3])
    tab.swap_selected()
    after = records_of(session.document)
    assert after[2].preferred == before[2].rejected and after[2].rejected == before[2].preferred
    assert after[3].preferred == before[3].rejected
    assert after[4] == before[4]
    assert "Swap" in session.undo_stack.undoText()

    select_rows(tab, [0, 5])
    tab.duplicate_selected()
    assert tab.model.rowCount() == 14
    copies = records_of(session.document)
    assert copies[6] == before[0] and copies[7] == before[5]
    assert tab.selected_entries() == [6, 7]

    select_rows(tab, [1, 6, 7])
    delete = tab._actions["delete"]
    assert delete.shortcut().toString() == "Del"
    delete.trigger()
    assert tab.model.rowCount() == 11
    assert len(records_of(session.document)) == 11

    select_rows(tab, [0, 1])
    tab.tag_selected("review")
    tab.set_split_selected(TRAIN)
    tagged = records_of(session.document)
    assert tagged[0].tags == ["review"] and tagged[0].split == TRAIN
    assert tab.model.index(0, 7).data() == "review" and tab.model.index(0, 6).data() == "Training"

    assert session.undo_stack.count() == 5
    while session.undo_stack.canUndo():
        session.undo_stack.undo()
    assert records_of(session.document) == before
    assert session.document.dataset.to_bytes() == original
    assert tab.model.rowCount() == 12
    session.undo_stack.redo()  # swap again
    assert records_of(session.document)[2].preferred == before[2].rejected


def test_bulk_change_of_many_rows_is_reindexed_in_the_background(
    qtbot: QtBot, tab: DatasetsTab, tmp_path: Path
) -> None:
    from tests.benchmarks.synthetic import write_synthetic

    path = write_synthetic(tmp_path / "many.jsonl", 2600)
    open_in(tab, path)
    session = tab.session
    tab.table.selectAll()
    assert len(tab.selected_entries()) == 2600
    tab.set_split_selected(VALIDATION)
    assert tab.building  # more rows than are recomputed at once
    settle(session)
    tab.refresh_findings()
    assert all(r.split == VALIDATION for r in records_of(session.document))
    tab.filter_bar.select(tab.filter_bar.split, VALIDATION)
    assert tab.model.rowCount() == 2600
    assert tab.model.index(2599, 6).data() == "Validation"
    session.undo_stack.undo()
    settle(session)
    tab.filter_bar.select(tab.filter_bar.split, NO_SPLIT)
    assert tab.model.rowCount() == 2600
    assert session.document.dataset.to_bytes() == path.read_bytes()


def test_table_follows_the_session_current_entry(tab: DatasetsTab) -> None:
    open_in(tab, CHAT)
    tab.session.set_current(5)
    assert tab.table.currentIndex().row() == 5
    tab.table.setCurrentIndex(tab.model.index(8, 1))
    assert tab.session.current == 8


def test_selection_survives_sorting_and_filtering(tab: DatasetsTab) -> None:
    open_in(tab, CHAT)
    select_rows(tab, [2, 5, 6, 7])
    tab.table.sortByColumn(4, Qt.SortOrder.DescendingOrder)
    tokens = [int(tab.model.index(row, 4).data()) for row in range(tab.model.rowCount())]
    assert tokens == sorted(tokens, reverse=True)
    assert tab.selected_entries() == [2, 5, 6, 7]
    tab.filter_bar.text.setText("question")
    tab.filter_bar.text.returnPressed.emit()
    assert set(tab.selected_entries()) <= {2, 5, 6, 7}
    tab.filter_bar.clear()
    tab.table.sortByColumn(0, Qt.SortOrder.AscendingOrder)
    assert tab.selected_entries() == [2, 5, 6, 7]
    assert shown_entries(tab) == list(range(12))


# -- split ---------------------------------------------------------------------------------------------


def test_split_dialog_assigns_by_prompt_and_undoes(qtbot: QtBot, tab: DatasetsTab) -> None:
    document = open_in(tab, ORCA)
    session = tab.session
    dialog = tab.show_split_dialog()
    dialog.ratio.setValue(20)
    dialog.seed.setValue(7)
    dialog.keep.setChecked(False)
    qtbot.mouseClick(dialog.split_button, Qt.MouseButton.LeftButton)
    records = records_of(session.document)
    validation = [r for r in records if r.split == VALIDATION]
    training = [r for r in records if r.split == TRAIN]
    assert len(validation) + len(training) == len(records) == 284
    assert 0.15 <= len(validation) / len(records) <= 0.25
    assert not {r.prompt_key() for r in validation} & {r.prompt_key() for r in training}
    tab.filter_bar.select(tab.filter_bar.split, VALIDATION)
    assert tab.model.rowCount() == len(validation)
    session.undo_stack.undo()
    assert all(r.split is None for r in records_of(session.document))
    assert session.document.dataset.to_bytes() == document.dataset.to_bytes() == ORCA.read_bytes()


# -- export --------------------------------------------------------------------------------------------


def _texts(record: PreferenceRecord) -> tuple[str, str, str]:
    return (record.last_user_text, record.preferred_text.strip(), record.rejected_text.strip())


def _same_example(read: tuple[str, str, str], expected: tuple[str, str, str]) -> bool:
    """Same answers, and the prompt kept (text dialects fold the system prompt into the prompt text)."""
    return expected[0] in read[0] and read[1:] == expected[1:]


@pytest.mark.parametrize("dialect_name", [d.name for d in writable_dialects()])
@pytest.mark.parametrize("bom", [False, True])
@pytest.mark.parametrize("separate", [False, True])
def test_export_each_dialect_and_read_it_back(
    qtbot: QtBot, tab: DatasetsTab, tmp_path: Path, dialect_name: str, bom: bool, separate: bool
) -> None:
    document = open_in(tab, CHAT)
    session = tab.session
    if separate:
        select_rows(tab, [1, 4, 9])
        tab.set_split_selected(VALIDATION)
    expected = [_texts(r) for r in records_of(session.document)]
    dialog = tab.export_dataset()
    dialog.set_dialect(dialect_name)
    dialog.set_separate(separate)
    train_path, validation_path = tmp_path / "out.train.jsonl", tmp_path / "out.validation.jsonl"
    dialog.set_paths(train_path, validation_path if separate else None)
    qtbot.waitUntil(lambda: dialog.summary is not None and dialog.export_button.isEnabled(), timeout=10000)
    dialog.bom_check.setChecked(bom)
    summary_text = dialog.summary_label.text()
    assert "12 examples in one file" in summary_text or "Training file: 9 examples" in summary_text
    with qtbot.waitSignal(tab.exported, timeout=10000) as blocker:
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    written = blocker.args[0]
    assert written == ([train_path, validation_path] if separate else [train_path])
    target = get_dialect(dialect_name)
    read_back: list[tuple[str, str, str]] = []
    for path in written:
        data = path.read_bytes()
        assert data.startswith(BOM) == bom
        assert detect_dialect(data).dialect.name in {dialect_name, "trl_string", "trl_messages"}
        dataset = Dataset.open(path, target)
        assert not dataset.read_findings()
        read_back.extend(_texts(record) for _i, record in dataset.iter_records())
    if separate:
        validation_texts = [
            _texts(record) for _i, record in Dataset.open(validation_path, target).iter_records()
        ]
        wanted = [expected[1], expected[4], expected[9]]
        assert len(validation_texts) == 3
        assert all(_same_example(r, e) for r, e in zip(validation_texts, wanted, strict=True))
        training = [e for i, e in enumerate(expected) if i not in (1, 4, 9)]
        assert all(_same_example(r, e) for r, e in zip(read_back[:9], training, strict=True))
    else:
        assert len(read_back) == len(expected)
        assert all(_same_example(r, e) for r, e in zip(read_back, expected, strict=True))
    assert not session.dirty or separate
    del document


def test_export_summary_names_what_the_target_cannot_carry(
    qtbot: QtBot, tab: DatasetsTab, tmp_path: Path
) -> None:
    open_in(tab, CHAT)
    select_rows(tab, [0, 1])
    tab.tag_selected("keep-me")
    dialog = tab.export_dataset()
    dialog.set_dialect("openai_dpo")
    qtbot.waitUntil(lambda: dialog.summary is not None, timeout=10000)
    assert dialog.summary.losses.get("tags") == 2
    assert (
        "cannot carry" in dialog.summary_label.text() and "tags (2 examples)" in dialog.summary_label.text()
    )
    dialog.reject()


def test_export_to_a_read_only_folder_says_so_and_writes_nothing(
    qtbot: QtBot, tab: DatasetsTab, tmp_path: Path
) -> None:
    from dpo_studio.ui import errors

    shown: list[str] = []
    previous = errors.set_presenter_hook(lambda presented: shown.append(presented.message))
    try:
        open_in(tab, CHAT)
        with read_only_folder(tmp_path / "locked", {"x.jsonl": b"old"}) as folder:
            dialog = tab.export_dataset()
            dialog.set_paths(folder / "x.jsonl")
            qtbot.waitUntil(lambda: dialog.export_button.isEnabled(), timeout=10000)
            qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
            qtbot.waitUntil(lambda: bool(shown), timeout=10000)
            assert "read-only" in shown[0]
            assert [p.name for p in folder.iterdir()] == ["x.jsonl"]
            assert (folder / "x.jsonl").read_bytes() == b"old"
    finally:
        errors.set_presenter_hook(previous)


# -- format choice and import ------------------------------------------------------------------------


def _ambiguous_file(tmp_path: Path) -> Path:
    path = tmp_path / "ambiguous.jsonl"
    rows = [
        {"prompt": f"Question {i}?", "chosen": f"Good {i}", "rejected": f"Bad {i}", "extra": 1}
        for i in range(12)
    ]
    rows += [{"messages": [{"role": "user", "content": "hi"}], "note": "x"} for _ in range(12)]
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    return path


def test_dialect_dialog_previews_the_file_and_returns_the_choice(
    qtbot: QtBot, tab: DatasetsTab, tmp_path: Path
) -> None:
    path = _ambiguous_file(tmp_path)
    detection = detect_dialect(path.read_bytes())
    assert not detection.certain

    def answer() -> None:
        dialog = tab.dialect_dialog
        assert isinstance(dialog, DialectDialog)
        assert "Question 0?" in dialog.preview.toPlainText()
        dialog.choose("trl_string")
        dialog.accept()

    QTimer.singleShot(0, answer)
    chosen = tab.choose_dialect(path, detection)
    assert chosen is not None and chosen.name == "trl_string"


def test_import_several_files_appends_in_one_undo_step(
    qtbot: QtBot, tab: DatasetsTab, tmp_path: Path
) -> None:
    session = tab.session
    session.set_document(Document.new())
    settle(session)
    assert tab.table_stack.currentIndex() == 1 and "no examples yet" in tab.no_rows_label.text()
    asked: list[Path] = []

    def chooser(path: Path, detection: object) -> object:
        asked.append(path)
        return get_dialect("trl_string")

    tab.dialect_chooser = chooser  # type: ignore[assignment]
    ambiguous = _ambiguous_file(tmp_path)
    handle = tab.import_files([CHAT, CONTENT_PARTS, ambiguous])
    assert handle is not None
    settle(session)
    assert asked == [ambiguous]
    expected = 12 + 10 + len(Document.open(ambiguous, "trl_string").record_indices())
    assert len(session.document.record_indices()) == expected
    assert tab.model.rowCount() == expected
    assert session.undo_stack.count() == 2  # the two certain files at once, then the one asked about
    session.undo_stack.undo()
    session.undo_stack.undo()
    assert len(session.document) == 0 and tab.model.rowCount() == 0


def test_hooks_the_main_window_calls(qtbot: QtBot, tab: DatasetsTab) -> None:
    open_in(tab, CHAT)
    tab.window().activateWindow()
    tab.focus_find()
    qtbot.waitUntil(
        lambda: tab.filter_bar.text.hasFocus() or QApplication.focusWidget() is tab.filter_bar.text
    )
    dialog = tab.export_dataset()
    assert dialog.isVisible()
    dialog.reject()


# -- statistics ----------------------------------------------------------------------------------------


def _quality_file(tmp_path: Path) -> Path:
    rows = []

    def row(prompt: str, good: str, bad: str) -> dict[str, object]:
        return {
            "input": {"messages": [{"role": "user", "content": prompt}]},
            "preferred_output": [{"role": "assistant", "content": good}],
            "non_preferred_output": [{"role": "assistant", "content": bad}],
        }

    rows.append(row("What is 2+2?", "4", "5"))
    rows.append(row("What is 2+2?", "5", "4"))  # contradicts the first
    rows.append(row("what is 2 + 2", "Four.", "Five, surely."))  # near duplicate prompt
    rows.append(row("Same answers", "x", "x"))  # identical
    rows.append(row("Empty one", "", "text"))  # empty
    rows.append(row("Long preferred", "a much longer preferred answer", "short"))
    rows.extend(row(f"Prompt {i}", "yes " * (i + 1), "no") for i in range(12))
    path = tmp_path / "quality.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_statistics_agree_with_core_quality_and_token_counts(tmp_path: Path) -> None:
    from dpo_studio.core.quality import quality_report
    from dpo_studio.core.tokens import count_dataset_tokens
    from dpo_studio.ui.datasets.statistics import TokenCache, compute_statistics

    model = "gpt-4.1-mini-2025-04-14"
    for path in [
        _quality_file(tmp_path),
        ORCA,
        CORPUS / "trl_conversational" / "llamafactory-dpo-en-demo-sharegpt.jsonl",
    ]:
        document = Document.open(path)
        snapshot = document.snapshot()
        stats = compute_statistics(snapshot, model, TokenCache())
        expected = quality_report(snapshot.iter_records())
        mine = stats.quality
        assert mine.pairs == expected.pairs
        assert (mine.identical, mine.empty) == (expected.identical, expected.empty)
        assert mine.contradictions == expected.contradictions
        assert sorted(mine.duplicate_prompts) == sorted(expected.duplicate_prompts)
        assert sorted(mine.near_duplicate_prompts) == sorted(expected.near_duplicate_prompts)
        assert mine.pairs_per_prompt == expected.pairs_per_prompt
        assert mine.length == expected.length
        training = [(i, r) for i, r in snapshot.iter_records() if r.split != VALIDATION]
        per_entry, totals = count_dataset_tokens(training, model)
        assert (stats.billed_low, stats.billed_high) == (totals.billed_low, totals.billed_high)
        assert stats.longest == {i: t.longest for i, t in per_entry.items()}
        # Counting again from the cache (entries unchanged) gives the same numbers.
        again = compute_statistics(document.snapshot(), model, stats.cache)
        assert (again.billed_low, again.longest) == (stats.billed_low, stats.longest)
    first = compute_statistics(Document.open(_quality_file(tmp_path)).snapshot(), model, TokenCache()).quality
    assert (first.contradiction_count, first.identical_count, first.empty_count) == (1, 1, 1)
    assert len(first.near_duplicate_prompts) == 1


# -- in the main window ------------------------------------------------------------------------------


def test_in_the_main_window_a_finding_opens_the_editor_tab(qtbot: QtBot, tmp_path: Path) -> None:
    from dpo_studio.ui.main_window import MainWindow

    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    try:
        with qtbot.waitSignal(window.documentOpened, timeout=20000):
            window.open_file(CONTENT_PARTS)
        settle(window.session)
        tab = window.datasets_tab
        assert isinstance(tab, DatasetsTab)
        assert window.tabs.currentWidget() is tab
        assert tab.model.rowCount() == 10
        tab.refresh_findings()
        group = expand_group(tab.findings_panel, "DPO117")
        child = tab.findings_panel.model.index(2, 0, group)
        tab.findings_panel.view.clicked.emit(child)
        assert window.editor is not None and window.tabs.currentWidget() is window.editor
        assert window.session.current == child.data(Qt.ItemDataRole.UserRole + 1).entry
        window.focus_find()
        assert window.tabs.currentWidget() is tab
        assert window.export_action.isEnabled() and window.import_action.isEnabled()
    finally:
        task_runner().wait_all(10)
        window.session.close_document()
        window.close()


# -- the table follows any sequence of edits ----------------------------------------------------------

_EDITS = st.lists(
    st.tuples(st.sampled_from(["swap", "duplicate", "delete", "undo", "redo"]), st.integers(0, 40)),
    min_size=1,
    max_size=12,
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(edits=_EDITS, sort_column=st.sampled_from([0, 1, 4]), descending=st.booleans())
def test_rows_always_show_the_entry_they_name(
    qtbot: QtBot, session: DocumentSession, edits: list[tuple[str, int]], sort_column: int, descending: bool
) -> None:
    tab = DatasetsTab(session)
    qtbot.addWidget(tab)
    document = Document.open(CHAT)
    session.set_document(document)
    order = Qt.SortOrder.DescendingOrder if descending else Qt.SortOrder.AscendingOrder
    tab.table.sortByColumn(sort_column, order)
    for action, position in edits:
        size = len(session.document)
        if action == "undo":
            session.undo_stack.undo()
        elif action == "redo":
            session.undo_stack.redo()
        elif size:
            tab.select_entries([position % size])
            {"swap": tab.swap_selected, "duplicate": tab.duplicate_selected, "delete": tab.delete_selected}[
                action
            ]()
        current = session.document
        shown = shown_entries(tab)
        assert sorted(shown) == list(range(len(current)))
        for row, entry in enumerate(shown):
            record = current.record(entry)
            assert record is not None
            assert tab.model.index(row, 1).data() == preview(record.last_user_text)
            assert tab.model.index(row, 2).data() == preview(record.preferred_text)
    tab.deleteLater()


def test_export_copies_or_leaves_out_unreadable_lines(qtbot: QtBot, tab: DatasetsTab, tmp_path: Path) -> None:
    source = tmp_path / "broken.jsonl"
    source.write_bytes(CHAT.read_bytes() + b'{"input": {"messages": [\n')
    open_in(tab, source)
    for skip in (False, True):
        dialog = tab.export_dataset()
        target = tmp_path / f"out-{skip}.jsonl"
        dialog.set_paths(target)
        dialog.skip_unreadable.setChecked(skip)
        qtbot.waitUntil(lambda d=dialog: d.summary is not None and d.export_button.isEnabled(), timeout=10000)
        assert "1 unreadable line" in dialog.summary_label.text()
        with qtbot.waitSignal(tab.exported, timeout=10000):
            qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
        exported = Dataset.open(target, "openai_dpo")
        assert len(exported.record_indices()) == 12
        assert len(exported.read_findings()) == (0 if skip else 1)


def test_export_a_json_array_file_as_jsonl(qtbot: QtBot, tab: DatasetsTab, tmp_path: Path) -> None:
    source = CORPUS / "trl_conversational" / "llamafactory-dpo-en-demo-sharegpt.original.json"
    document = open_in(tab, source)
    expected = [_texts(r) for r in records_of(document)]
    assert len(expected) == 300
    dialog = tab.export_dataset()
    dialog.set_dialect("openai_dpo")
    dialog.set_paths(tmp_path / "out.jsonl")
    qtbot.waitUntil(lambda: dialog.summary is not None and dialog.export_button.isEnabled(), timeout=20000)
    with qtbot.waitSignal(tab.exported, timeout=20000):
        qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    data = (tmp_path / "out.jsonl").read_bytes()
    assert data.count(b"\n") == 300 and not data.lstrip().startswith(b"[")
    exported = Dataset.open(tmp_path / "out.jsonl", "openai_dpo")
    read_back = [_texts(r) for _i, r in exported.iter_records()]
    assert all(_same_example(r, e) for r, e in zip(read_back, expected, strict=True))


def test_token_counts_are_reused_for_unchanged_examples_only(tmp_path: Path) -> None:
    """Counts come from the cache for entries that are the same objects, even after rows moved."""
    from array import array

    from dpo_studio.ui.datasets.statistics import TokenCache, compute_statistics

    document = Document.open(ORCA)
    model = document.profile.model
    first = compute_statistics(document.snapshot(), model, TokenCache())
    records = document.record_indices()
    # Plant a recognisable (wrong) count for one unchanged example: if it shows up, the cache was used.
    planted = array("i", first.cache.counts)
    at = 3 * records[5]
    planted[at : at + 3] = array("i", [1, 2, 3])
    cache = TokenCache(first.cache.entries, planted)
    edited = document.record(records[0])
    assert edited is not None
    edited.preferred = [{"role": "assistant", "content": "word " * 500}]
    document.replace(records[0], edited)
    again = compute_statistics(document.snapshot(), model, cache)
    assert again.longest[records[5]] == 1 + 3
    assert again.longest[records[0]] > first.longest[records[0]]  # the edited example was counted again
    # After an insertion every later row moved; unchanged entries are still found.
    document.insert(0, [edited])
    moved = compute_statistics(document.snapshot(), model, again.cache)
    assert moved.longest[records[5] + 1] == 4
    assert moved.longest[0] == again.longest[records[0]]
