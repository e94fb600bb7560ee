"""The main window driven as a person would: open, edit, title, unsaved-changes prompt, recent files,
drag and drop, window state, errors shown instead of lost work."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QMimeData, QPoint, Qt, QTimer, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence, QTextCursor
from PySide6.QtWidgets import QApplication, QFileDialog, QMessageBox, QWidget
from pytestqt.qtbot import QtBot

from dpo_studio.core.dialects import get_dialect
from dpo_studio.core.document import Document
from dpo_studio.services.settings import settings
from dpo_studio.ui import errors
from dpo_studio.ui.main_window import MainWindow, RecentFiles
from dpo_studio.ui.tasks import task_runner
from tests.conftest import CORPUS
from tests.fsfaults import read_only_folder

SOURCE = CORPUS / "openai_dpo" / "msfoundry-dpo-chat-preferenceft.jsonl"


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[MainWindow]:
    window = MainWindow()
    window.show()
    yield window
    task_runner().wait_all(10)
    # Drop unsaved test edits so closing the window does not ask (qtbot would close it before this runs).
    window.session.close_document()
    window.close()
    window.deleteLater()


@pytest.fixture
def data(tmp_path: Path) -> Path:
    path = tmp_path / "pairs.jsonl"
    shutil.copyfile(SOURCE, path)
    return path


def open_and_wait(qtbot: QtBot, window: MainWindow, path: Path) -> None:
    with qtbot.waitSignal(window.documentOpened, timeout=20000):
        window.open_file(path)


def edit_first_answer(window: MainWindow, text: str = "Better answer") -> None:
    session = window.session
    record = session.document.record(0)
    assert record is not None
    record.preferred = [{"role": "assistant", "content": text}]
    session.edit_record(0, record, "Edit preferred answer")


def answer_next_modal(button: QMessageBox.StandardButton, seen: list[str]) -> None:
    """Click ``button`` in the next modal message box (the unsaved-changes prompt)."""

    def click() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, click)
            return
        seen.append(box.text())
        box.button(button).click()

    QTimer.singleShot(0, click)


def test_starts_with_an_empty_state_that_says_what_to_do(window: MainWindow) -> None:
    assert window.showing_empty_state
    assert window.windowTitle() == "DPO Studio"
    assert (
        "drop one onto this window"
        in window.empty_state.findChild(type(window.dirty_label), "emptyHint").text()
    )
    assert not window.save_action.isEnabled()
    assert not window.windowIcon().isNull()


def test_menus_have_the_usual_shortcuts(window: MainWindow) -> None:
    def keys(action: object) -> list[str]:
        return [s.toString() for s in action.shortcuts()]  # type: ignore[attr-defined]

    assert QKeySequence(QKeySequence.StandardKey.Open).toString() in keys(window.open_action)
    assert "Ctrl+S" in keys(window.save_action)
    assert "Ctrl+Z" in keys(window.undo_action)
    assert any(k in keys(window.redo_action) for k in ("Ctrl+Shift+Z", "Ctrl+Y"))
    assert "Ctrl+F" in keys(window.find_action)
    assert "Ctrl+Q" in keys(window.quit_action)
    assert keys(window.import_action) and keys(window.export_action)
    menus = [a.text().replace("&", "") for a in window.menuBar().actions()]
    assert menus[:2] == ["File", "Edit"]


def test_open_edit_title_and_save(qtbot: QtBot, window: MainWindow, data: Path) -> None:
    open_and_wait(qtbot, window, data)
    assert not window.showing_empty_state
    assert window.windowTitle() == "pairs.jsonl[*] — DPO Studio"
    assert not window.isWindowModified()
    edit_first_answer(window)
    assert window.isWindowModified()
    assert window.dirty_label.text() == "Unsaved changes"
    window.undo_action.trigger()
    assert not window.isWindowModified()
    window.redo_action.trigger()
    assert window.isWindowModified()
    window.save_action.trigger()
    assert not window.isWindowModified()
    assert b"Better answer" in data.read_bytes().splitlines()[0]


def test_recent_files_are_remembered(qtbot: QtBot, window: MainWindow, data: Path) -> None:
    open_and_wait(qtbot, window, data)
    assert settings().load("recent_files", RecentFiles).paths[0] == str(data.resolve())
    texts = [a.text() for a in window.recent_menu.actions()]
    assert texts[0] == str(data.resolve())
    window.session.close_document()
    second = MainWindow()
    qtbot.addWidget(second)
    assert str(data.resolve()) in [a.text() for a in second.recent_menu.actions()]
    assert data.name in second.empty_state.recent_label.text()
    second.session.shutdown()


def test_closing_with_unsaved_changes_asks_first(qtbot: QtBot, window: MainWindow, data: Path) -> None:
    open_and_wait(qtbot, window, data)
    edit_first_answer(window)
    asked: list[str] = []
    answer_next_modal(QMessageBox.StandardButton.Cancel, asked)
    assert window.close() is False
    assert asked == ["Save the changes to pairs.jsonl?"]
    assert window.isVisible() and window.session.dirty
    answer_next_modal(QMessageBox.StandardButton.Discard, asked)
    assert window.close() is True
    assert len(asked) == 2
    assert data.read_bytes() == SOURCE.read_bytes(), "discarding writes nothing"


def test_save_answer_in_close_prompt_saves(qtbot: QtBot, window: MainWindow, data: Path) -> None:
    open_and_wait(qtbot, window, data)
    edit_first_answer(window, "Saved on close")
    asked: list[str] = []
    answer_next_modal(QMessageBox.StandardButton.Save, asked)
    assert window.close() is True
    assert b"Saved on close" in data.read_bytes()


def test_opening_another_file_asks_about_unsaved_changes(
    qtbot: QtBot, window: MainWindow, data: Path
) -> None:
    open_and_wait(qtbot, window, data)
    edit_first_answer(window)
    asked: list[str] = []
    answer_next_modal(QMessageBox.StandardButton.Cancel, asked)
    assert window.open_file(CORPUS / "openai_dpo" / "msfoundry-orca-dpo-validation.jsonl") is None
    assert window.session.document.path == data and asked


def drag_enter(window: MainWindow, mime: QMimeData) -> bool:
    enter = QDragEnterEvent(
        QPoint(10, 10),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, enter)
    return enter.isAccepted()


def test_dragging_text_is_refused(window: MainWindow) -> None:
    mime = QMimeData()
    mime.setText("just text")
    assert not drag_enter(window, mime)


def test_drop_a_file_opens_it(qtbot: QtBot, window: MainWindow, data: Path) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(data))])
    assert drag_enter(window, mime)
    event = QDropEvent(
        QPoint(10, 10).toPointF(),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    with qtbot.waitSignal(window.documentOpened, timeout=20000):
        QApplication.sendEvent(window, event)
    assert window.session.document.path == data


def test_window_state_is_remembered(qtbot: QtBot, data: Path) -> None:
    first = MainWindow()
    qtbot.addWidget(first)
    first.show()
    screen = first.screen().availableGeometry()
    first.resize(
        first.minimumSizeHint().width() + 3, min(first.minimumSizeHint().height() + 41, screen.height() - 60)
    )
    first.toolbar.hide()
    size = first.size()
    first.close()
    second = MainWindow()
    qtbot.addWidget(second)
    second.show()
    # The offscreen screen is narrower than the window's minimum width, so compare the height.
    assert second.height() == size.height()
    assert second.toolbar.isHidden()
    second.close()


def test_opening_a_missing_file_shows_a_plain_error(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, presented: list[errors.PresentedError]
) -> None:
    shown = presented
    handle = window.open_file(tmp_path / "gone.jsonl")
    assert handle is not None
    with qtbot.waitSignal(handle.ended, timeout=10000):
        pass
    assert len(shown) == 1 and shown[0].expected
    assert "No file at" in shown[0].message
    assert window.showing_empty_state


def test_saving_to_a_read_only_folder_shows_error_and_keeps_edits(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    with read_only_folder(tmp_path / "ro", {"pairs.jsonl": SOURCE.read_bytes()}) as folder:
        open_and_wait(qtbot, window, folder / "pairs.jsonl")
        edit_first_answer(window, "Not lost")
        before = len(errors.history)
        assert window.save() is False
        boxes = [w for w in QApplication.topLevelWidgets() if w.objectName() == "errorBox" and w.isVisible()]
        assert boxes, "the error is shown"
        box = boxes[-1]
        assert isinstance(box, QMessageBox)
        assert "read-only" in box.text() and "Save As" in box.informativeText()
        assert errors.history[before].expected
        box.close()
        assert window.isWindowModified()
        assert (folder / "pairs.jsonl").read_bytes() == SOURCE.read_bytes()
        record = window.session.document.record(0)
        assert record is not None and record.preferred_text == "Not lost"
        assert window.session.journal is not None and window.session.journal.path.exists()
        saved = tmp_path / "elsewhere.jsonl"
        window.session.save(saved)
        assert b"Not lost" in saved.read_bytes()


def test_unsure_detection_asks_which_format(qtbot: QtBot, window: MainWindow) -> None:
    path = CORPUS / "invalid" / "minillm-preferred-other-keys.jsonl"
    asked: list[str] = []

    def chooser(chosen_path: Path, detection: object) -> object:
        asked.append(chosen_path.name)
        return get_dialect("openpipe")

    window.dialect_chooser = chooser
    with qtbot.waitSignal(window.documentOpened, timeout=20000):
        window.open_file(path)
    assert asked == [path.name]
    assert window.session.document.dialect.name == "openpipe"


def test_new_dataset_then_close(qtbot: QtBot, window: MainWindow) -> None:
    window.new_action.trigger()
    assert not window.showing_empty_state
    assert window.windowTitle() == "Untitled[*] — DPO Studio"
    window.close_action.trigger()
    assert window.showing_empty_state


# -- the whole flow, as a person does it -------------------------------------------------------------

CONTENT_PARTS = CORPUS / "trl_conversational" / "llamafactory-v1-dpo-demo-contentparts.jsonl"


def settle(window: MainWindow) -> None:
    """Let background work (indexing, checks, token counts) finish and its results arrive."""
    session = window.session
    for _ in range(5):
        assert task_runner().wait_all(60)
        QApplication.processEvents()
        if session._revalidate_timer.isActive():
            session.revalidate()
        else:
            break
    assert task_runner().wait_all(60)
    QApplication.processEvents()


def answer_save_dialog(path: Path, file_type: str, seen: list[str]) -> None:
    """Fill in the next Save As dialog: file name and file type, then accept."""

    def fill() -> None:
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QFileDialog):
            QTimer.singleShot(10, fill)
            return
        seen.append(dialog.selectedNameFilter())
        dialog.selectNameFilter(next(f for f in dialog.nameFilters() if f.startswith(file_type)))
        dialog.selectFile(str(path))
        dialog.accept()

    QTimer.singleShot(0, fill)


def type_at_end(qtbot: QtBot, box: QWidget, text: str) -> None:
    box.setFocus()
    box.moveCursor(QTextCursor.MoveOperation.End)  # type: ignore[attr-defined]
    qtbot.keyClicks(box, text)


def test_open_filter_fix_edit_swap_undo_redo_save_reopen(
    qtbot: QtBot, window: MainWindow, tmp_path: Path
) -> None:
    from dpo_studio.ui.datasets import DatasetsTab
    from dpo_studio.ui.datasets.findings_panel import expand_group
    from dpo_studio.ui.editor import PairEditor

    source = tmp_path / CONTENT_PARTS.name
    shutil.copyfile(CONTENT_PARTS, source)
    window.resize(1400, 850)
    qtbot.waitExposed(window)
    window.activateWindow()
    open_and_wait(qtbot, window, source)
    settle(window)
    tab, editor, session = window.datasets_tab, window.editor, window.session
    assert isinstance(tab, DatasetsTab) and isinstance(editor, PairEditor)
    assert window.tabs.currentWidget() is tab and tab.model.rowCount() == 10

    # Filter by text (Edit ▸ Find puts the cursor in the filter field).
    window.find_action.trigger()
    assert tab.filter_bar.text.hasFocus()
    first = session.document.record(0)
    assert first is not None
    word = first.last_user_text.split()[0]
    qtbot.keyClicks(tab.filter_bar.text, word)
    qtbot.waitUntil(lambda: tab.model.rowCount() < 10, timeout=5000)
    assert tab.model.rowCount() >= 1
    tab.filter_bar.text.clear()
    qtbot.waitUntil(lambda: tab.model.rowCount() == 10, timeout=5000)

    # Fix one finding from the findings panel.
    tab.refresh_findings()
    panel = tab.findings_panel
    group = expand_group(panel, "DPO117")
    panel.view.setCurrentIndex(panel.model.index(0, 0, group))
    fixed = panel.selected_finding()
    assert fixed is not None and fixed.fix is not None
    qtbot.mouseClick(panel.fix_button, Qt.MouseButton.LeftButton)
    settle(window)
    tab.refresh_findings()
    assert fixed.entry not in {f.entry for f in session.document.findings() if f.code == "DPO117"}
    assert window.isWindowModified()

    # Open another example in the editor by clicking its finding; edit both answers; swap.
    group = expand_group(panel, "DPO117")
    child = panel.model.index(1, 0, group)
    entry = child.data(Qt.ItemDataRole.UserRole + 1).entry
    panel.view.clicked.emit(child)
    assert window.tabs.currentWidget() is editor and session.current == entry
    before = session.document.record(entry)
    assert before is not None
    type_at_end(qtbot, editor.preferred.editor, " Preferred, edited.")
    type_at_end(qtbot, editor.rejected.editor, " Rejected, edited.")
    edited = session.document.record(entry)
    assert edited is not None
    assert edited.preferred_text.endswith("Preferred, edited.")
    assert edited.rejected_text.endswith("Rejected, edited.")
    swap = editor.actions_by_name["swap"]
    swap.trigger()
    swapped = session.document.record(entry)
    assert swapped is not None
    assert swapped.preferred == edited.rejected and swapped.rejected == edited.preferred

    # Undo and redo from the window's Edit menu.
    window.undo_action.trigger()
    assert session.document.record(entry) == edited
    assert editor.preferred.text() == edited.preferred_text
    window.redo_action.trigger()
    assert session.document.record(entry) == swapped
    expected = [session.document.record(i) for i in range(len(session.document))]

    # Save: the file's own format (ShareGPT) is read-only, so Save As asks for a name and a format.
    target = tmp_path / "reviewed.jsonl"
    offered: list[str] = []
    answer_save_dialog(target, "OpenAI / Azure DPO", offered)
    window.save_action.trigger()
    assert offered and offered[0].startswith("OpenAI / Azure DPO"), "a writable format is proposed"
    assert not window.isWindowModified()
    assert window.windowTitle() == "reviewed.jsonl[*] — DPO Studio"
    assert source.read_bytes() == CONTENT_PARTS.read_bytes(), "the original file is untouched"
    settle(window)

    # Reopen the saved file and compare.
    open_and_wait(qtbot, window, target)
    settle(window)
    reopened = window.session.document
    assert reopened.dialect.name == "openai_dpo"
    assert len(reopened) == len(expected)
    for index, record in enumerate(expected):
        again = reopened.record(index)
        assert record is not None and again is not None
        assert again.preferred_text == record.preferred_text, index
        assert again.rejected_text == record.rejected_text, index
        assert again.last_user_text == record.last_user_text, index
    assert reopened.record(entry).preferred_text.endswith("Rejected, edited.")  # type: ignore[union-attr]
    fixed_again = reopened.record(fixed.entry)  # type: ignore[arg-type]
    assert fixed_again is not None and fixed_again.preferred_text == fixed_again.preferred_text.strip()
    assert not [f for f in reopened.findings_for(fixed.entry) if f.code == "DPO117"]  # type: ignore[arg-type]


def test_every_model_of_the_window_passes_qtmodeltester(
    qtbot: QtBot, qtmodeltester: object, window: MainWindow
) -> None:
    from PySide6.QtCore import QAbstractItemModel

    open_and_wait(qtbot, window, CONTENT_PARTS)
    settle(window)
    models = {id(m): m for m in window.findChildren(QAbstractItemModel)}
    ours = [m for m in models.values() if not m.metaObject().className().startswith("Q")]
    # Qt's own models (combo boxes, completers) are Qt's to test; ours include the table and findings.
    assert {"DatasetTableModel", "FindingsModel"} <= {m.metaObject().className() for m in ours}
    for model in ours:
        qtmodeltester.check(model)  # type: ignore[attr-defined]


def test_no_two_actions_share_a_shortcut(window: MainWindow) -> None:
    """Within the window plus any one tab (only one tab page is visible at a time), keys are unique."""
    from PySide6.QtGui import QAction

    for title in window.lazy_tabs:  # the tabs built on first use bring their own actions
        assert window.lazy_page(title) is not None, title
    pages = [window.tabs.widget(i) for i in range(window.tabs.count())]
    if window.datasets_tab is not None:
        pages.append(window.datasets_tab)

    def page_of(action: QAction) -> QWidget | None:
        owner = action.parent()
        while isinstance(owner, QWidget):
            if owner in pages:
                return owner
            owner = owner.parentWidget()
        return None

    window_level: dict[str, str] = {}
    per_page: dict[int, dict[str, list[str]]] = {}
    for action in window.findChildren(QAction):
        page = page_of(action)
        for sequence in action.shortcuts():
            key, name = sequence.toString(), action.text().replace("&", "")
            if not key:
                continue
            if page is None:
                assert window_level.setdefault(key, name) == name, f"{key}: {name} and {window_level[key]}"
            else:
                per_page.setdefault(id(page), {}).setdefault(key, []).append(name)
    for keys in per_page.values():
        for key, names in keys.items():
            assert len(set(names)) == 1, f"{key} is used by {names} in one tab"
            assert key not in window_level, f"{key}: {names[0]} (tab) and {window_level[key]} (window)"


def test_every_tab_is_reachable_without_a_dataset(window: MainWindow) -> None:
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert titles[:2] == ["Datasets", "Editor"]
    view = [a.text().replace("&", "") for a in window.view_menu.actions() if a.shortcut().toString()]
    assert view[: len(titles)] == titles
    last = window.view_menu.actions()[len(titles) - 1]
    assert last.shortcut().toString() == f"Ctrl+{len(titles)}"
    last.trigger()
    assert window.tabs.currentIndex() == len(titles) - 1
    assert window.showing_empty_state, "the Datasets tab keeps saying what to do first"


def test_dropping_several_files_imports_them_into_one_dataset(qtbot: QtBot, window: MainWindow) -> None:
    first = CORPUS / "openai_dpo" / "msfoundry-dpo-chat-preferenceft.jsonl"
    second = CORPUS / "openai_dpo" / "msfoundry-orca-dpo-validation.jsonl"
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(first)), QUrl.fromLocalFile(str(second))])
    assert drag_enter(window, mime)
    event = QDropEvent(
        QPoint(10, 10).toPointF(),
        Qt.DropAction.CopyAction,
        mime,
        Qt.MouseButton.LeftButton,
        Qt.KeyboardModifier.NoModifier,
    )
    QApplication.sendEvent(window, event)
    expected = len(Document.open(first).record_indices()) + len(Document.open(second).record_indices())
    qtbot.waitUntil(lambda: len(window.session.document.record_indices()) == expected, timeout=20000)
    assert window.session.document.path is None, "an import is a new dataset until saved"
    assert window.isWindowModified()


def test_large_file_shows_its_first_lines_while_loading(
    qtbot: QtBot, qtmodeltester: object, window: MainWindow, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dpo_studio.ui import main_window
    from dpo_studio.ui.loading import LoadingPage

    monkeypatch.setattr(main_window, "PREVIEW_BYTES", 1)  # every file counts as large here
    seen: list[tuple[int, str]] = []

    def look() -> None:
        page = window.tabs.widget(0)
        assert isinstance(page, LoadingPage) and window.tabs.currentWidget() is page
        qtmodeltester.check(page.model)  # type: ignore[attr-defined]
        seen.append((page.model.rowCount(), page.model.index(0, 2).data()))

    window.previewShown.connect(look)
    with qtbot.waitSignal(window.documentOpened, timeout=20000):
        window.open_file(data)
    first = window.session.document.record(0)
    assert first is not None
    assert (
        seen
        and seen[0][0] == len(window.session.document)
        and first.preferred_text.startswith(seen[0][1][:30])
    )
    assert window.tabs.widget(0) is window.datasets_tab, "the table replaced the preview"
    assert not window.findChildren(LoadingPage) or all(
        not p.isVisible() for p in window.findChildren(LoadingPage)
    )


def test_cancel_while_loading_goes_back_and_opens_nothing(
    qtbot: QtBot, window: MainWindow, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dpo_studio.ui import main_window
    from dpo_studio.ui.loading import LoadingPage

    monkeypatch.setattr(main_window, "PREVIEW_BYTES", 1)

    def cancel() -> None:
        page = window.tabs.widget(0)
        assert isinstance(page, LoadingPage)
        page.cancel.click()

    window.previewShown.connect(cancel)
    opened: list[bool] = []
    window.documentOpened.connect(lambda: opened.append(True))
    with qtbot.waitSignal(window.previewShown, timeout=20000):
        window.open_file(data)
    assert task_runner().wait_all(20)
    assert opened == [] and window.showing_empty_state
    assert window.session.document.path is None
