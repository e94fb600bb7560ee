"""Fine-tune, Runs and Evaluate are built the first time they are needed, so that a window opened to edit a
dataset offline never loads the provider SDKs (``openai``, ``azure.identity``: about 90 MB)."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import weakref
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from pytestqt.qtbot import QtBot

from dpo_studio.ui.errors import PresentedError
from dpo_studio.ui.lazy_tab import TabPlaceholder
from dpo_studio.ui.main_window import MainWindow
from dpo_studio.ui.tasks import task_runner

#: The lazy tabs, their titles and the class of their page (by name: importing them is what is deferred).
LAZY = {"Fine-tune": "FineTuneTab", "Runs": "RunsTab", "Evaluate": "LoopTab"}

_STARTUP_PROBE = """
import json, sys
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication
from dpo_studio.app import create_application, main
from dpo_studio.ui.main_window import MainWindow

seen = {}

def look_and_quit():
    window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
    seen["visible"] = window.isVisible()
    tabs = window.tabs
    seen["pages"] = {tabs.tabText(i): type(tabs.widget(i)).__name__ for i in range(tabs.count())}
    seen["current"] = window.tabs.tabText(window.tabs.currentIndex())
    runs = window.lazy_tabs["Runs"].page
    seen["runs_started"] = bool(runs is not None and runs.started)
    seen["openai"] = "openai" in sys.modules
    seen["azure.identity"] = "azure.identity" in sys.modules
    window.close()
    QApplication.quit()

create_application()
QTimer.singleShot(300, look_and_quit)
seen["code"] = main(["--no-recovery"])
print(json.dumps(seen))
"""


def start_app(home: Path) -> dict[str, object]:
    """Run the real start-up (``app.main``) in its own interpreter and report what it built.

    ``app.exec()`` leaves a QApplication unfit for later tests in the same process (see test_gc.py).
    """
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DPO_STUDIO_HOME=str(home))
    result = subprocess.run(
        [sys.executable, "-c", _STARTUP_PROBE],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    seen: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["code"] == 0 and seen["visible"]
    return seen


def record_jobs(*statuses: str) -> None:
    """Jobs in the run history of the current home (``DPO_STUDIO_HOME``), one per status."""
    from dpo_studio.services.history import history
    from dpo_studio.services.providers.types import Job

    store = history()
    store.upsert_connection("conn-1", "Lab", "openai")
    jobs = [
        Job.from_sdk(
            {"id": f"ftjob-{i}", "status": s, "model": "gpt-4.1-mini", "created_at": 1_700_000_000 + i}
        )
        for i, s in enumerate(statuses)
    ]
    store.upsert_jobs("conn-1", jobs)
    store.close()


def test_start_up_with_an_empty_home_loads_no_provider_sdk(isolated_home: Path) -> None:
    seen = start_app(isolated_home)
    assert seen["pages"] == {
        "Datasets": "NoDatasetState",
        "Editor": "PairEditor",
        "Fine-tune": "TabPlaceholder",
        "Runs": "TabPlaceholder",
        "Evaluate": "TabPlaceholder",
    }
    assert seen["openai"] is False and seen["azure.identity"] is False
    assert seen["runs_started"] is False


def test_start_up_with_finished_runs_only_reads_the_history_without_the_sdks(isolated_home: Path) -> None:
    record_jobs("succeeded", "failed", "cancelled")
    seen = start_app(isolated_home)
    assert seen["pages"]["Runs"] == "TabPlaceholder"  # type: ignore[index]
    assert seen["openai"] is False and seen["azure.identity"] is False


def test_start_up_with_an_active_run_builds_and_starts_the_runs_tab(isolated_home: Path) -> None:
    record_jobs("succeeded", "running")
    seen = start_app(isolated_home)
    pages = seen["pages"]
    assert isinstance(pages, dict)
    assert pages["Runs"] == "RunsTab" and pages["Fine-tune"] == "TabPlaceholder"
    assert pages["Evaluate"] == "TabPlaceholder"
    assert seen["runs_started"] is True
    assert seen["current"] == "Datasets"  # followed in the background, not brought to the front


def test_start_up_with_a_waiting_pipeline_builds_the_fine_tune_tab_that_continues_it(
    isolated_home: Path,
) -> None:
    from dpo_studio.services.pipelines import Pipeline, PipelineStore

    PipelineStore().save(Pipeline(id="p1", connection_id="conn-1", sft_job_id="ftjob-sft", request={}))
    seen = start_app(isolated_home)
    pages = seen["pages"]
    assert isinstance(pages, dict)
    assert pages["Fine-tune"] == "FineTuneTab" and pages["Runs"] == "TabPlaceholder"
    assert seen["current"] == "Datasets"


def test_the_stores_read_at_start_up_import_without_the_sdk() -> None:
    code = (
        "import sys, dpo_studio.services.history, dpo_studio.services.providers.types\n"
        "import dpo_studio.services.pipelines\n"
        "print('openai' in sys.modules, 'azure.identity' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    )
    assert result.stdout.split() == ["False", "False"]


def test_every_public_provider_name_still_imports_from_the_package() -> None:
    import dpo_studio.services.providers as providers

    for name in providers.__all__:
        assert getattr(providers, name) is not None, name
    from dpo_studio.services.providers import Job, open_provider
    from dpo_studio.services.providers.service import open_provider as direct
    from dpo_studio.services.providers.types import Job as direct_job

    assert open_provider is direct and Job is direct_job


# ---- in the window ------------------------------------------------------------------------------------


@pytest.fixture
def window(qtbot: QtBot) -> Iterator[MainWindow]:
    window = MainWindow()
    window.show()
    qtbot.waitExposed(window)
    yield window
    task_runner().wait_all(10)
    runs = window.lazy_tabs["Runs"].page
    if runs is not None:
        runs.shutdown()  # type: ignore[attr-defined]
    window.close()
    window.deleteLater()
    # Collect the window's cycles here, on the GUI thread: left to a collection in a worker thread of a
    # later test they would destroy Qt objects there (see test_wizard.py and ui/gc.py).
    del window
    QApplication.processEvents()
    gc.collect()
    QApplication.processEvents()


def index_of(window: MainWindow, title: str) -> int:
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    return titles.index(title)


class PaintSpy(QObject):
    """Records whether a widget was ever painted."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__()
        self.painted = False
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.painted = True
        return False


def pages_named(window: MainWindow, class_name: str) -> list[QWidget]:
    return [w for w in window.findChildren(QWidget) if type(w).__name__ == class_name]


def check_built_once(qtbot: QtBot, window: MainWindow, title: str, count: int) -> None:
    index = index_of(window, title)
    page = window.tabs.widget(index)
    assert type(page).__name__ == LAZY[title], title
    assert window.tabs.currentIndex() == index and window.tabs.tabText(index) == title
    assert window.tabs.count() == count
    assert window.lazy_tabs[title].page is page
    # Away and back again: the same page, never a second one.
    window.tabs.setCurrentIndex(0)
    window.tabs.setCurrentIndex(index)
    qtbot.wait(20)
    assert window.tabs.widget(index) is page and len(pages_named(window, LAZY[title])) == 1


def test_a_fresh_window_has_placeholders_in_the_lazy_tabs(window: MainWindow) -> None:
    for title in LAZY:
        assert isinstance(window.tabs.widget(index_of(window, title)), TabPlaceholder), title
        assert window.lazy_tabs[title].page is None
    assert not any(pages_named(window, name) for name in LAZY.values())


@pytest.mark.parametrize("title", list(LAZY))
def test_clicking_a_lazy_tab_builds_its_page_in_place_once(
    qtbot: QtBot, window: MainWindow, title: str
) -> None:
    count = window.tabs.count()
    index = index_of(window, title)
    placeholder = window.tabs.widget(index)
    assert isinstance(placeholder, TabPlaceholder)
    spy = PaintSpy(placeholder)
    bar = window.tabs.tabBar()
    QTest.mouseClick(
        bar, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier, bar.tabRect(index).center()
    )
    qtbot.wait(50)  # let anything paint that would
    assert not spy.painted, "the placeholder was painted before the page replaced it"
    check_built_once(qtbot, window, title, count)


@pytest.mark.parametrize("title", list(LAZY))
def test_the_view_shortcut_builds_the_page_once(qtbot: QtBot, window: MainWindow, title: str) -> None:
    count = window.tabs.count()
    index = index_of(window, title)
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)
    key = Qt.Key(Qt.Key.Key_1.value + index)  # View ▸ <title> is Ctrl+<its position>
    QTest.keyClick(window, key, Qt.KeyboardModifier.ControlModifier)
    check_built_once(qtbot, window, title, count)
    QTest.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == 0
    QTest.keyClick(window, key, Qt.KeyboardModifier.ControlModifier)
    assert window.tabs.currentIndex() == index and len(pages_named(window, LAZY[title])) == 1


def test_asking_for_a_tab_builds_it_without_bringing_it_to_the_front(window: MainWindow) -> None:
    from dpo_studio.ui.runs import RunsTab

    runs = window.runs_tab
    assert isinstance(runs, RunsTab) and window.tabs.widget(index_of(window, "Runs")) is runs
    assert window.tabs.currentIndex() == 0 and not runs.started  # built, not shown, not polling
    assert window.runs_tab is runs
    window.show_tab(runs)
    assert window.tabs.currentWidget() is runs and runs.started  # polls once shown, as before


def test_new_dpo_job_from_the_file_menu_builds_the_fine_tune_tab_and_opens_the_wizard(
    qtbot: QtBot, window: MainWindow
) -> None:
    action = next(a for a in window.file_menu.actions() if a.text() == "New &DPO Job…")
    assert window.lazy_tabs["Fine-tune"].page is None
    action.trigger()
    tab = window.lazy_tabs["Fine-tune"].page
    assert tab is not None and window.tabs.currentWidget() is tab
    wizard = tab.wizard
    assert wizard is not None and wizard.isVisible() and wizard.session is window.session
    wizard.close()


def test_connections_from_the_file_menu_builds_the_runs_tab(qtbot: QtBot, window: MainWindow) -> None:
    window.connections_action.trigger()
    dialog = window.runs_tab.connections_dialog
    qtbot.waitUntil(dialog.isVisible)
    dialog.close()


@pytest.mark.parametrize("first", ["Runs", "Evaluate"])
def test_evaluate_from_a_run_reaches_the_evaluate_tab_whichever_was_built_first(
    qtbot: QtBot, window: MainWindow, first: str
) -> None:
    window.lazy_page(first)
    view = window.runs_tab.run_view
    view.evaluateRequested.emit("conn-1", "ftjob-1", "ft:gpt-4.1-mini:tone")
    tab = window.lazy_tabs["Evaluate"].page
    assert tab is not None and window.tabs.currentWidget() is tab
    assert tab.pages.currentWidget() is tab.blind  # type: ignore[attr-defined]
    assert tab.blind.run_key == ("conn-1", "ftjob-1")  # type: ignore[attr-defined]
    assert tab.blind.picker_a.model == "ft:gpt-4.1-mini:tone"  # type: ignore[attr-defined]


def test_a_tab_that_fails_to_build_says_so_through_the_presenter_and_can_be_retried(
    qtbot: QtBot, window: MainWindow, presented: list[PresentedError]
) -> None:
    ready: list[bool] = []

    def build() -> QWidget:
        if not ready:
            raise RuntimeError("plugin missing")
        return QLabel("extra page")

    index = window.add_lazy_tab("Extra", build)
    lazy = window.lazy_tabs["Extra"]
    window.tabs.setCurrentIndex(index)
    assert len(presented) == 1 and "plugin missing" in presented[0].message
    assert window.tabs.currentWidget() is lazy.placeholder and lazy.page is None
    assert lazy.placeholder.title.text() == "Extra could not be opened"
    window.tabs.setCurrentIndex(0)
    window.tabs.setCurrentIndex(index)
    assert len(presented) == 1  # showing it again does not repeat the failure
    ready.append(True)
    QTest.mouseClick(lazy.placeholder.retry_button, Qt.MouseButton.LeftButton)
    assert isinstance(window.tabs.widget(index), QLabel) and window.tabs.currentIndex() == index
    assert window.tabs.tabText(index) == "Extra" and len(presented) == 1


@pytest.mark.parametrize("built", [False, True], ids=["fresh", "tabs-built"])
def test_a_closed_window_is_freed_without_the_cyclic_collector(qtbot: QtBot, built: bool) -> None:
    """No reference cycle through the window: left to the cyclic collector, which may run on a worker
    thread, its Qt objects would be destroyed there (that deadlocked the test suite)."""
    gc.collect()
    gc.disable()
    try:
        window = MainWindow()
        window.show()
        if built:
            for title in window.lazy_tabs:
                assert window.lazy_page(title) is not None, title
        task_runner().wait_all(10)
        QApplication.processEvents()
        freed = weakref.ref(window)
        window.close()
        window.deleteLater()
        del window
        QApplication.processEvents()
        QCoreApplication.sendPostedEvents(None, QEvent.Type.DeferredDelete)
        assert freed() is None
    finally:
        gc.enable()
