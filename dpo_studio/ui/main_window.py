"""The main window: tabs, menus and toolbar, file handling, unsaved-changes safety, recovery.

The window owns one :class:`DocumentSession`. Tabs (Datasets, Editor, Fine-tune, Runs, Evaluate) get the
session and never open files themselves; they may offer optional hooks the window calls:

- ``import_files(paths: list[Path] | None)``: File ▸ Import (``None``: ask for files)
- ``export_dataset()``: File ▸ Export
- ``focus_find()``: Edit ▸ Find
- ``choose_dialect(path, detection) -> Dialect | None``: asked when detection is unsure

A tab that has the hook enables the action; otherwise the action stays disabled.

Fine-tune, Runs and Evaluate need the provider SDKs and are built the first time they are shown or asked
for (:meth:`MainWindow.add_lazy_tab`); ``window.finetune_tab``, ``window.runs_tab`` and ``window.loop_tab``
build theirs on first access.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QByteArray, QSettings, QSize, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import QAction, QCloseEvent, QDragEnterEvent, QDropEvent, QKeySequence
from PySide6.QtWidgets import (
    QApplication,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMainWindow,
    QMessageBox,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QToolButton,
    QWidget,
)

from dpo_studio.core.dialects import Dialect, writable_dialects
from dpo_studio.core.document import Document, PreviewRow, read_preview
from dpo_studio.core.errors import UserError
from dpo_studio.core.journal import Journal, JournalInfo, discard_journal, pending_journals, recover
from dpo_studio.core.paths import APP_NAME, config_dir
from dpo_studio.core.resources import resource_path
from dpo_studio.services.settings import settings
from dpo_studio.ui.empty_state import EmptyState
from dpo_studio.ui.errors import present_error
from dpo_studio.ui.lazy_tab import LazyTab
from dpo_studio.ui.session import DocumentSession
from dpo_studio.ui.tasks import TaskContext, TaskHandle, task_runner

if TYPE_CHECKING:
    from dpo_studio.ui.loop import LoopTab
    from dpo_studio.ui.runs import RunsTab
    from dpo_studio.ui.wizard import FineTuneTab

#: How many recent files File ▸ Open Recent lists.
RECENT_LIMIT = 10
#: Files at least this large show their first lines while the whole file is read.
PREVIEW_BYTES = 8 * 1024 * 1024
#: Background tasks appear in the status bar only when they run longer than this.
SHOW_TASK_AFTER_MS = 300
FILE_FILTER = "Preference data (*.jsonl *.json *.jsonl.txt);;All files (*)"
#: Use the platform save dialog where there is one (the format choice is its file-type list).
SAVE_DIALOG_NOT_NATIVE = False


@dataclass
class RecentFiles:
    """Settings section ``recent_files``: most recent first."""

    paths: list[str] = field(default_factory=list)


def remember_recent(path: Path) -> list[str]:
    """Put ``path`` first in the recent files list; returns the list."""
    store = settings()
    recent = store.load("recent_files", RecentFiles)
    text = str(path.resolve())
    paths = [text] + [p for p in recent.paths if p != text]
    recent.paths = paths[:RECENT_LIMIT]
    with contextlib.suppress(UserError):
        store.save("recent_files", recent)
    return recent.paths


def window_settings() -> QSettings:
    """Window geometry and layout (Qt's own byte blobs) in an INI file under the config folder."""
    return QSettings(str(config_dir() / "window.ini"), QSettings.Format.IniFormat)


def sample_dataset() -> Path | None:
    """The bundled sample dataset, if this installation has it."""
    try:
        path = resource_path("sample", "sample_dpo.jsonl")
    except (FileNotFoundError, OSError):
        return None
    return path if path.exists() else None


class NoDatasetState(EmptyState):
    """Shown before any dataset is open: what to do first."""

    def __init__(self, window: MainWindow) -> None:
        super().__init__(
            "No dataset open",
            "Open a preference file (OpenAI/Azure DPO, OpenPipe, TRL, HH-RLHF, ShareGPT …), "
            "drop one onto this window, or start a new dataset. "
            "Everything here works offline; nothing is uploaded until you submit a job.",
            title_scale=1.6,
            parent=window,
        )
        self.setObjectName("emptyState")
        self.hint.setObjectName("emptyHint")
        layout = self.column
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.open_button = QPushButton("Open…")
        self.open_button.setDefault(True)
        self.open_button.clicked.connect(window.open_dialog)
        self.new_button = QPushButton("New dataset")
        self.new_button.clicked.connect(window.new_document)
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.new_button)
        sample = sample_dataset()
        if sample is not None:
            self.sample_button = QPushButton("Open the sample")
            self.sample_button.clicked.connect(lambda: window.open_file(sample))
            buttons.addWidget(self.sample_button)
        buttons.addStretch(1)
        layout.addSpacing(self.line_height())
        layout.addLayout(buttons)
        self.recent_label = QLabel()
        self.recent_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.recent_label.setTextFormat(Qt.TextFormat.RichText)
        self.recent_label.setWordWrap(True)
        self.recent_label.linkActivated.connect(lambda link: window.open_file(Path(QUrl(link).toLocalFile())))
        layout.addSpacing(self.line_height())
        layout.addWidget(self.recent_label)
        layout.addStretch(3)

    def show_recent(self, paths: list[str]) -> None:
        """List recent files as links."""
        existing = [p for p in paths if Path(p).exists()][:5]
        if not existing:
            self.recent_label.setText("")
            return
        links = "<br>".join(
            f'<a href="{QUrl.fromLocalFile(p).toString()}">{Path(p).name}</a> '
            f"<span style='color: gray'>— {Path(p).parent}</span>"
            for p in existing
        )
        self.recent_label.setText(f"<b>Recent</b><br>{links}")


class TaskStatus(QWidget):
    """Status-bar progress of background tasks, with a cancel button."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.label = QLabel()
        self.bar = QProgressBar()
        self.bar.setMaximumWidth(self.fontMetrics().averageCharWidth() * 24)
        self.bar.setTextVisible(False)
        self.cancel = QToolButton()
        self.cancel.setText("Cancel")
        self.cancel.setToolTip("Stop this task")
        self.cancel.clicked.connect(self._cancel)
        layout.addWidget(self.label)
        layout.addWidget(self.bar)
        layout.addWidget(self.cancel)
        self._handle: TaskHandle | None = None
        # Quick tasks (a re-check after each keystroke) would make the status bar flicker: show only
        # tasks still running after a moment.
        self._show_timer = QTimer(self)
        self._show_timer.setSingleShot(True)
        self._show_timer.setInterval(SHOW_TASK_AFTER_MS)
        self._show_timer.timeout.connect(self._show_if_running)
        self.hide()
        runner = task_runner()
        runner.tasksChanged.connect(self._refresh)
        self._refresh()

    @property
    def busy(self) -> bool:
        """Whether a described task is running (shown, or about to be)."""
        return self._handle is not None

    def _show_if_running(self) -> None:
        self.setVisible(self._handle is not None)

    def _refresh(self) -> None:
        running = [handle for handle in task_runner().running() if handle.description]
        handle = running[-1] if running else None
        if self._handle is not None and self._handle is not handle:
            with contextlib.suppress(RuntimeError):
                self._handle.progressed.disconnect(self._progress)
        self._handle = handle
        if handle is None:
            self._show_timer.stop()
            self.hide()
        elif not self.isVisible() and not self._show_timer.isActive():
            self._show_timer.start()
        if handle is not None:
            handle.progressed.connect(self._progress)
            self.label.setText(
                handle.description + ("…" if len(running) == 1 else f"… (+{len(running) - 1})")
            )
            self._progress(*handle.progress)

    def _progress(self, done: int, total: int, text: str) -> None:
        if total <= 0:
            self.bar.setRange(0, 0)
        else:
            self.bar.setRange(0, total)
            self.bar.setValue(min(done, total))
        if text and self._handle is not None:
            self.label.setText(f"{self._handle.description}: {text}")

    def _cancel(self) -> None:
        if self._handle is not None:
            self._handle.cancel()


class RecoveryDialog(QMessageBox):
    """Offers to recover the edits of a session that ended without saving."""

    def __init__(self, info: JournalInfo, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.info = info
        self.setObjectName("recoveryDialog")
        self.setIcon(QMessageBox.Icon.Question)
        self.setWindowTitle(f"Recover unsaved edits — {APP_NAME}")
        self.setText(f"{APP_NAME} closed without saving. There are {info.describe()}.")
        self.setInformativeText(
            "Recover them to continue where you left off (then save), or discard them for good."
        )
        self.recover_button = self.addButton("Recover", QMessageBox.ButtonRole.AcceptRole)
        self.discard_button = self.addButton("Discard edits", QMessageBox.ButtonRole.DestructiveRole)
        self.later_button = self.addButton("Decide later", QMessageBox.ButtonRole.RejectRole)
        self.setDefaultButton(self.recover_button)


class MainWindow(QMainWindow):
    """The application window."""

    #: Emitted after a document finished opening (or recovering) and is shown.
    documentOpened = Signal()
    #: Emitted when a large file's first lines are shown while the whole file is read.
    previewShown = Signal()

    def __init__(self, session: DocumentSession | None = None) -> None:
        super().__init__()
        self.session = session or DocumentSession(parent=self)
        self._has_document = False
        self._opening: TaskHandle | None = None
        self._loading_page: QWidget | None = None
        self.dialect_chooser: Callable[[Path, Any], Any] | None = None
        self.setAcceptDrops(True)
        self.setWindowTitle(APP_NAME)
        self._set_icon()
        self.setDocumentMode(True)

        # Tabs are always there (Runs needs no dataset); until a dataset is open the Datasets tab's page
        # is the empty state, which says what to do first.
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        #: The tabs built on first use (Fine-tune, Runs, Evaluate), by title.
        self.lazy_tabs: dict[str, LazyTab] = {}
        self.tabs.currentChanged.connect(self._tab_changed)
        self.empty_state = NoDatasetState(self)
        self.setCentralWidget(self.tabs)

        self.task_status = TaskStatus(self)
        self.statusBar().addPermanentWidget(self.task_status)
        self.dirty_label = QLabel()
        self.statusBar().addPermanentWidget(self.dirty_label)

        self._create_actions()
        self._create_menus()
        self._create_toolbar()
        self._add_standard_tabs()

        session_ = self.session
        session_.dirtyChanged.connect(self._update_title)
        session_.pathChanged.connect(self._update_title)
        session_.documentReplaced.connect(self._update_title)
        session_.undo_stack.cleanChanged.connect(self._update_title)
        self._refresh_recent()
        self._update_title()
        self._update_actions()
        self.restore_window_state()

    # -- construction ----------------------------------------------------------------------------

    def _set_icon(self) -> None:
        try:
            from dpo_studio.ui.about import app_icon

            self.setWindowIcon(app_icon())
        except Exception:  # a missing icon must never stop the app
            pass

    def _action(
        self,
        text: str,
        slot: Callable[[], object],
        shortcut: QKeySequence.StandardKey | str | None = None,
        tip: str = "",
    ) -> QAction:
        action = QAction(text, self)
        if isinstance(shortcut, QKeySequence.StandardKey):
            action.setShortcuts(shortcut)
        elif shortcut:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setStatusTip(tip)
            keys = action.shortcut().toString(QKeySequence.SequenceFormat.NativeText)
            action.setToolTip(f"{tip} ({keys})" if keys else tip)
        action.triggered.connect(lambda _checked=False: slot())
        return action

    def _create_actions(self) -> None:
        Key = QKeySequence.StandardKey
        self.new_action = self._action("&New Dataset", self.new_document, Key.New, "Start an empty dataset")
        self.open_action = self._action("&Open…", self.open_dialog, Key.Open, "Open a preference file")
        self.import_action = self._action(
            "&Import…", self.import_files, "Ctrl+Shift+I", "Add the examples of other files to this dataset"
        )
        self.save_action = self._action("&Save", self.save, Key.Save, "Save the dataset")
        self.save_as_action = self._action("Save &As…", self.save_as, Key.SaveAs, "Save under another name")
        self.export_action = self._action(
            "&Export…", self.export_dataset, "Ctrl+E", "Write the dataset in another format or split it"
        )
        self.close_action = self._action(
            "&Close Dataset", self.close_document, Key.Close, "Close the dataset"
        )
        self.quit_action = self._action("&Quit", self.close, Key.Quit, "Quit DPO Studio")
        self.quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        if not self.quit_action.shortcuts():
            self.quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        self.undo_action = self.session.undo_stack.createUndoAction(self, "&Undo")
        self.undo_action.setShortcuts(Key.Undo)
        self.redo_action = self.session.undo_stack.createRedoAction(self, "&Redo")
        self.redo_action.setShortcuts(Key.Redo)
        self.find_action = self._action("&Find…", self.focus_find, Key.Find, "Filter the examples by text")
        self.about_action = self._action("&About DPO Studio", self.show_about)
        self.connections_action = self._action(
            "&Connections…",
            self.open_connections,
            None,
            "Add, test or remove Azure, Foundry and OpenAI connections",
        )
        self.about_action.setMenuRole(QAction.MenuRole.AboutRole)

    def _create_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        file_menu.addAction(self.new_action)
        file_menu.addAction(self.open_action)
        self.recent_menu = file_menu.addMenu("Open &Recent")
        file_menu.addAction(self.import_action)
        file_menu.addSeparator()
        file_menu.addAction(self.save_action)
        file_menu.addAction(self.save_as_action)
        file_menu.addAction(self.export_action)
        file_menu.addSeparator()
        file_menu.addAction(self.connections_action)
        file_menu.addSeparator()
        file_menu.addAction(self.close_action)
        file_menu.addAction(self.quit_action)
        self.file_menu = file_menu
        edit_menu = bar.addMenu("&Edit")
        edit_menu.addAction(self.undo_action)
        edit_menu.addAction(self.redo_action)
        edit_menu.addSeparator()
        edit_menu.addAction(self.find_action)
        self.edit_menu = edit_menu
        self.view_menu = bar.addMenu("&View")
        self._view_separator = self.view_menu.addSeparator()
        help_menu = bar.addMenu("&Help")
        help_menu.addAction(self.about_action)
        self.help_menu = help_menu

    def _create_toolbar(self) -> None:
        toolbar = self.addToolBar("Main")
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        # The menu's undo/redo actions name the step ("Undo Swap answers"); on the toolbar that text would
        # make every later button jump, so the toolbar gets fixed labels with the step in the tooltip.
        stack = self.session.undo_stack
        self.toolbar_undo = self._action("Undo", stack.undo)
        self.toolbar_redo = self._action("Redo", stack.redo)
        self.toolbar_undo.setEnabled(False)
        self.toolbar_redo.setEnabled(False)
        stack.canUndoChanged.connect(self.toolbar_undo.setEnabled)
        stack.canRedoChanged.connect(self.toolbar_redo.setEnabled)
        stack.undoTextChanged.connect(self._undo_tip)
        stack.redoTextChanged.connect(self._redo_tip)
        for action in (self.open_action, self.save_action, None, self.toolbar_undo, self.toolbar_redo, None):
            if action is None:
                toolbar.addSeparator()
            else:
                toolbar.addAction(action)
        toolbar.addAction(self.import_action)
        toolbar.addAction(self.export_action)
        toolbar.addAction(self.find_action)
        self.toolbar = toolbar
        self.view_menu.addAction(toolbar.toggleViewAction())

    def _undo_tip(self, step: str) -> None:
        self.toolbar_undo.setToolTip(f"Undo {step}".strip())

    def _redo_tip(self, step: str) -> None:
        self.toolbar_redo.setToolTip(f"Redo {step}".strip())

    def _add_standard_tabs(self) -> None:
        """The Datasets tab (H6) and the Editor (H7), when those packages are installed in this build."""
        self.datasets_tab: QWidget | None = None
        self.editor: QWidget | None = None
        self._datasets_index = self.add_tab(self.empty_state, "Datasets")
        try:
            from dpo_studio.ui.datasets import DatasetsTab
        except ImportError:
            pass
        else:
            self.datasets_tab = DatasetsTab(self.session)
            self.datasets_tab.setParent(self)
            self.datasets_tab.hide()
        try:
            from dpo_studio.ui.editor import PairEditor
        except ImportError:
            pass
        else:
            self.editor = PairEditor(self.session)
            self.add_tab(self.editor, "Editor")
        self._add_finetune_tab()
        self._add_runs_tab()
        self._add_loop_tab()

    def _add_finetune_tab(self) -> None:
        """The Fine-tune tab (H10): the "New DPO job" wizard and SFT → DPO pipelines; built on first use."""
        self.add_lazy_tab("Fine-tune", self._build_finetune_tab)
        self.new_job_action = self._action(
            "New &DPO Job…", self.new_dpo_job, "Ctrl+Shift+J", "Fine-tune a model on your data with DPO"
        )
        self.file_menu.insertAction(self.close_action, self.new_job_action)
        self.file_menu.insertSeparator(self.close_action)
        self.toolbar.addSeparator()
        self.toolbar.addAction(self.new_job_action)

    def _build_finetune_tab(self) -> QWidget:
        from dpo_studio.ui.wizard import FineTuneTab

        return FineTuneTab(self.session)

    def new_dpo_job(self) -> None:
        """File ▸ New DPO Job (also on the toolbar, so it is at hand from the Datasets tab)."""
        tab = self.lazy_page("Fine-tune")
        if tab is None:
            return  # it could not be built: the error was shown
        self.show_tab(tab)
        self.finetune_tab.new_dpo_job()

    def _add_runs_tab(self) -> None:
        """The Runs tab (H9), built on first use: it polls only once started (app start-up, when runs are
        active) or first shown."""
        self.add_lazy_tab("Runs", self._build_runs_tab)

    def _build_runs_tab(self) -> QWidget:
        from dpo_studio.ui.loop import connect_run_view
        from dpo_studio.ui.runs import RunsTab

        tab = RunsTab(autostart=False)
        # Deploy… and Evaluate… of a run open the Evaluate tab, which is built then if it is not yet.
        connect_run_view(self, tab.run_view)
        return tab

    def start_following_runs(self) -> None:
        """Build the Runs tab now and start polling (app start-up, when runs are still active)."""
        if self.lazy_page("Runs") is not None:
            self.runs_tab.start()

    def _add_loop_tab(self) -> None:
        """The Evaluate tab (issue 8): playground, blind evaluation, pairs from generations; Runs' Deploy."""
        self.add_lazy_tab("Evaluate", self._build_loop_tab)

    def _build_loop_tab(self) -> QWidget:
        from dpo_studio.ui.loop import install

        return install(self)

    def add_lazy_tab(self, title: str, build: Callable[[], QWidget]) -> int:
        """Add a tab whose page ``build()`` makes the first time it is shown or asked for (see
        :mod:`dpo_studio.ui.lazy_tab`); until then a light placeholder holds its place. Returns its index."""
        lazy = LazyTab(self.tabs, title, build)
        self.lazy_tabs[title] = lazy
        return self.add_tab(lazy.placeholder, title)

    def lazy_page(self, title: str) -> QWidget | None:
        """The page of the lazy tab ``title``, built now if need be; None if building failed (the error was
        shown)."""
        return self.lazy_tabs[title].ensure()

    def _required_page(self, title: str) -> Any:
        page = self.lazy_page(title)
        if page is None:
            raise RuntimeError(f"The {title} tab could not be built (the error was shown).")
        return page

    @property
    def finetune_tab(self) -> FineTuneTab:
        """The Fine-tune tab's page, built on first access."""
        return self._required_page("Fine-tune")  # type: ignore[no-any-return]

    @property
    def runs_tab(self) -> RunsTab:
        """The Runs tab's page, built on first access (it starts polling when shown or started)."""
        return self._required_page("Runs")  # type: ignore[no-any-return]

    @property
    def loop_tab(self) -> LoopTab:
        """The Evaluate tab's page, built on first access."""
        return self._required_page("Evaluate")  # type: ignore[no-any-return]

    def _tab_changed(self, index: int) -> None:
        """A lazy tab came to the front: its page replaces the placeholder before anything paints."""
        widget = self.tabs.widget(index)
        for lazy in self.lazy_tabs.values():
            if widget is lazy.placeholder and lazy.page is None:
                lazy.shown()

    def add_tab(self, widget: QWidget, title: str) -> int:
        """Add a tab; returns its index. Tabs get the session from the window (``window.session``).

        View ▸ <title> (Ctrl+1, Ctrl+2 ...) brings it to the front.
        """
        index = self.tabs.addTab(widget, title)
        number = self.tabs.count()
        action = self._action(
            f"&{title}", lambda: self._show_tab_at(index), f"Ctrl+{number}" if number < 10 else None
        )
        self.view_menu.insertAction(self._view_separator, action)
        self._update_actions()
        return index

    def _show_tab_at(self, index: int) -> None:
        self.tabs.setCurrentIndex(index)

    def show_tab(self, widget: QWidget) -> None:
        """Bring a tab to the front (the Datasets tab only once a dataset is open)."""
        if widget is self.datasets_tab:
            self.tabs.setCurrentIndex(self._datasets_index)
            return
        index = self.tabs.indexOf(widget)
        if index >= 0:
            self.tabs.setCurrentIndex(index)

    @property
    def showing_empty_state(self) -> bool:
        """Whether the Datasets tab shows the "no dataset open" page."""
        return self.tabs.widget(self._datasets_index) is self.empty_state

    def _set_datasets_page(self, page: QWidget) -> None:
        """Put ``page`` (the empty state or the Datasets tab) in the Datasets tab's place."""
        index = self._datasets_index
        old = self.tabs.widget(index)
        if old is page:
            return
        current = self.tabs.currentIndex()
        self.tabs.removeTab(index)
        if old is not None:
            old.hide()
        self.tabs.insertTab(index, page, "Datasets")
        self.tabs.setCurrentIndex(current)

    def _hook(self, name: str) -> Callable[..., Any] | None:
        """A tab's optional hook (see the module docstring)."""
        widgets = [self.tabs.widget(index) for index in range(self.tabs.count())]
        for widget in [self.datasets_tab, *widgets]:
            hook = getattr(widget, name, None)
            if callable(hook):
                return hook  # type: ignore[no-any-return]
        return None

    # -- title and actions -------------------------------------------------------------------------

    def _update_title(self, *_ignored: object) -> None:
        document = self.session.document
        name = document.title if self._has_document else ""
        self.setWindowModified(self.session.dirty)
        if name:
            self.setWindowTitle(f"{name}[*] — {APP_NAME}")
            self.setWindowFilePath(str(document.path) if document.path else "")
        else:
            self.setWindowTitle(APP_NAME)
        self.dirty_label.setText("Unsaved changes" if self._has_document and self.session.dirty else "")
        self._update_actions()

    def _update_actions(self) -> None:
        has = self._has_document
        if not hasattr(self, "save_action"):
            return
        self.save_action.setEnabled(has)
        self.save_as_action.setEnabled(has)
        self.close_action.setEnabled(has)
        self.import_action.setEnabled(self._hook("import_files") is not None)
        self.export_action.setEnabled(has and self._hook("export_dataset") is not None)
        self.find_action.setEnabled(has and self._hook("focus_find") is not None)

    def _show_document(self) -> None:
        self._has_document = True
        if self.datasets_tab is not None:
            self._set_datasets_page(self.datasets_tab)
        self._update_title()

    # -- files -------------------------------------------------------------------------------------

    def new_document(self) -> None:
        """Start a new, empty dataset (asking first about unsaved changes)."""
        if not self.confirm_discard_changes():
            return
        self.session.set_document(Document.new())
        self._show_document()
        self.documentOpened.emit()

    def open_dialog(self) -> None:
        """Ask for a file and open it."""
        start = str(self.session.document.path.parent) if self.session.document.path else ""
        path, _filter = QFileDialog.getOpenFileName(self, "Open preference data", start, FILE_FILTER)
        if path:
            self.open_file(Path(path))

    def open_file(
        self, path: str | Path, dialect: Any = None, *, confirmed: bool = False
    ) -> TaskHandle | None:
        """Open ``path`` in the background; asks about unsaved changes first.

        A large file first shows its opening lines (read from its start only, in milliseconds) with a
        progress bar in the Datasets tab, then the real table once the whole file is read.
        """
        path = Path(path)
        if not confirmed and not self.confirm_discard_changes():
            return None
        if self._opening is not None and not self._opening.done:
            self._opening.cancel()
        try:
            large = path.stat().st_size >= PREVIEW_BYTES
        except OSError:
            large = False  # the full open reports the problem in plain words
        if not large or self.datasets_tab is None:
            return self._open_now(path, dialect)

        def look(ctx: TaskContext) -> tuple[list[PreviewRow], int]:
            return read_preview(path)

        def show(result: tuple[list[PreviewRow], int]) -> None:
            rows, estimate = result
            if rows:
                page = self._show_loading(path, rows, estimate)
                if self._loading_page is not page:
                    return  # cancelled (or replaced by another open) as soon as it showed
            self._opening = self._open_now(path, dialect)

        def open_anyway(_error: BaseException) -> None:
            self._open_now(path, dialect)

        self._opening = task_runner().run(
            look,
            on_done=show,
            on_error=open_anyway,
            description=f"Opening {path.name}",
        )
        return self._opening

    def _show_loading(self, path: Path, rows: list[PreviewRow], estimate: int) -> QWidget:
        from dpo_studio.ui.loading import LoadingPage

        size = path.stat().st_size if path.exists() else 0
        page = LoadingPage(path.name, size, rows, estimate, self)
        page.cancelRequested.connect(self._cancel_opening)
        previous, self._loading_page = self._loading_page, page
        self._set_datasets_page(page)
        if previous is not None:
            previous.deleteLater()
        self.tabs.setCurrentIndex(self._datasets_index)
        self.previewShown.emit()
        return page

    def _cancel_opening(self) -> None:
        if self._opening is not None and not self._opening.done:
            self._opening.cancel()
        self._end_loading()

    def _end_loading(self, page: QWidget | None = None) -> None:
        """Take the loading page away: back to the table, or the empty state if nothing is open.

        With ``page``, only if that page is still the one shown (a newer open may have replaced it).
        """
        if page is not None and page is not self._loading_page:
            return
        page = self._loading_page
        if page is None:
            return
        self._loading_page = None
        if self._has_document and self.datasets_tab is not None:
            self._set_datasets_page(self.datasets_tab)
        else:
            self._set_datasets_page(self.empty_state)
        page.deleteLater()

    def _open_now(self, path: Path, dialect: Any) -> TaskHandle:
        profile = self.session.document.profile
        page = self._loading_page

        def work(ctx: TaskContext) -> Document:
            ctx.progress(0, 0, f"reading {path.name}")
            document = Document.open(path, dialect, profile=profile)
            ctx.check_cancelled()
            return document

        def done(document: Document) -> None:
            detection = document.detection
            if detection is not None and not detection.certain:
                chooser = self.dialect_chooser or self._hook("choose_dialect")
                if chooser is not None:
                    chosen = chooser(path, detection)
                    if chosen is None:
                        self._end_loading(page)
                        return
                    if chosen.name != document.dialect.name:
                        self._opening = self._open_now(path, chosen)
                        return
            self.session.set_document(document)
            remember_recent(path)
            self._refresh_recent()
            self._loading_page = None
            self._show_document()  # the table takes the loading page's place
            if page is not None:
                page.deleteLater()
            if self.datasets_tab is not None:
                # A freshly opened file starts with its overview, wherever the user was before.
                self.show_tab(self.datasets_tab)
            self.statusBar().showMessage(
                f"Opened {path.name}: {len(document.record_indices())} examples", 5000
            )
            self.documentOpened.emit()
            if document.annotations_warning is not None:
                # An unreadable notes file (or notes whose example is gone) does not stop the opening.
                present_error(self, document.annotations_warning, f"Notes and tags of {path.name}")

        def failed(error: BaseException) -> None:
            self._end_loading(page)
            present_error(self, error, f"Opening {path.name}")

        self._opening = task_runner().run(
            work,
            on_done=done,
            on_error=failed,
            on_cancelled=lambda: self._end_loading(page),
            description=f"Opening {path.name}",
        )
        return self._opening

    def save(self) -> bool:
        """Save to the current file; Save As for a new dataset or one in a read-only format."""
        document = self.session.document
        if document.path is None or not document.dialect.writable:
            return self.save_as()
        return self._save_to(None)

    def save_as(self) -> bool:
        """Ask for a file name and a format (the document's own when it can be written) and save there."""
        document = self.session.document
        dialects = writable_dialects()
        filters = [f"{dialect.label} (*.jsonl)" for dialect in dialects]
        current = next((d for d in dialects if d.name == document.dialect.name), dialects[0])
        dialog = QFileDialog(self, "Save dataset as")
        dialog.setObjectName("saveAsDialog")
        dialog.setAcceptMode(QFileDialog.AcceptMode.AcceptSave)
        dialog.setFileMode(QFileDialog.FileMode.AnyFile)
        dialog.setOption(QFileDialog.Option.DontUseNativeDialog, SAVE_DIALOG_NOT_NATIVE)
        dialog.setNameFilters(filters)
        dialog.selectNameFilter(filters[dialects.index(current)])
        dialog.setDefaultSuffix("jsonl")
        if document.path is not None:
            dialog.setDirectory(str(document.path.parent))
            stem = document.path.name if document.dialect.writable else f"{document.path.stem}.jsonl"
            dialog.selectFile(stem)
        else:
            dialog.selectFile("dataset.jsonl")
        if dialog.exec() != QFileDialog.DialogCode.Accepted or not dialog.selectedFiles():
            return False
        chosen = (
            dialects[filters.index(dialog.selectedNameFilter())]
            if dialog.selectedNameFilter() in filters
            else current
        )
        return self._save_to(Path(dialog.selectedFiles()[0]), chosen)

    def _save_to(self, path: Path | None, dialect: Dialect | None = None) -> bool:
        # Saving copies untouched lines and writes edited ones (about 0.3 s for 100k pairs); it stays on
        # the GUI thread so no edit can slip in between writing and marking the document saved.
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            self.session.save(path, dialect)
        except UserError as error:
            present_error(self, error, "Saving")
            return False
        except OSError as error:
            present_error(self, UserError(f"The file was not saved: {error.strerror or error}."), "Saving")
            return False
        finally:
            QApplication.restoreOverrideCursor()
        saved = self.session.document.path
        if saved is not None:
            remember_recent(saved)
            self._refresh_recent()
            self.statusBar().showMessage(f"Saved {saved.name}", 5000)
        self._update_title()
        return True

    def close_document(self) -> None:
        """Close the dataset (asking first about unsaved changes)."""
        if not self.confirm_discard_changes():
            return
        self.session.close_document()
        self._has_document = False
        self._set_datasets_page(self.empty_state)
        self.tabs.setCurrentIndex(self._datasets_index)
        self._update_title()

    def import_files(self, paths: list[Path] | None = None) -> None:
        """File ▸ Import: handled by the Datasets tab."""
        hook = self._hook("import_files")
        if hook is not None:
            if not self._has_document:
                self.session.set_document(Document.new())
                self._show_document()
            hook(paths)

    def export_dataset(self) -> None:
        """File ▸ Export: handled by the Datasets tab."""
        hook = self._hook("export_dataset")
        if hook is not None:
            hook()

    def focus_find(self) -> None:
        """Edit ▸ Find: the Datasets tab's filter field."""
        hook = self._hook("focus_find")
        if hook is not None:
            if self.datasets_tab is not None:
                self.show_tab(self.datasets_tab)
            hook()

    def open_connections(self) -> None:
        """File ▸ Connections…: the Runs tab owns the dialog so that its jobs refresh when it closes."""
        if self.lazy_page("Runs") is not None:
            self.runs_tab.open_connections()

    def show_about(self) -> None:
        """Help ▸ About."""
        try:
            from dpo_studio.ui.about import show_about

            show_about(self)
        except Exception as error:  # shown by the presenter
            present_error(self, error, "Showing About")

    # -- recent files ------------------------------------------------------------------------------

    def _refresh_recent(self) -> None:
        paths = settings().load("recent_files", RecentFiles).paths
        self.recent_menu.clear()
        for text in paths:
            action = self.recent_menu.addAction(text)
            action.triggered.connect(lambda _checked=False, p=text: self.open_file(Path(p)))
        self.recent_menu.setEnabled(bool(paths))
        self.empty_state.show_recent(paths)

    # -- unsaved changes ---------------------------------------------------------------------------

    def confirm_discard_changes(self) -> bool:
        """If there are unsaved changes, ask: Save / Discard / Cancel. True means go ahead."""
        if not (self._has_document and self.session.dirty):
            return True
        box = QMessageBox(self)
        box.setObjectName("unsavedChangesBox")
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(APP_NAME)
        box.setText(f"Save the changes to {self.session.document.title}?")
        box.setInformativeText("If you don't save, your changes will be lost.")
        box.setStandardButtons(
            QMessageBox.StandardButton.Save
            | QMessageBox.StandardButton.Discard
            | QMessageBox.StandardButton.Cancel
        )
        box.setDefaultButton(QMessageBox.StandardButton.Save)
        answer = box.exec()
        if answer == QMessageBox.StandardButton.Save:
            return self.save()
        return answer == QMessageBox.StandardButton.Discard

    def closeEvent(self, event: QCloseEvent) -> None:
        """Ask about unsaved changes, remember the window, remove the journal."""
        if not self.confirm_discard_changes():
            event.ignore()
            return
        self.save_window_state()
        self.session.shutdown()
        event.accept()

    # -- window state ------------------------------------------------------------------------------

    def save_window_state(self) -> None:
        """Remember geometry, toolbar/dock layout and the current tab."""
        store = window_settings()
        store.setValue("geometry", self.saveGeometry())
        store.setValue("state", self.saveState())
        store.setValue("tab", self.tabs.currentIndex())
        store.sync()

    def first_run_size(self) -> QSize:
        """Most of the screen the first time (the table and side panels need room), never more than it."""
        metrics = self.fontMetrics()
        wanted = QSize(metrics.averageCharWidth() * 200, metrics.height() * 55)
        screen = self.screen() or QApplication.primaryScreen()
        if screen is None:
            return wanted
        available = screen.availableGeometry().size()
        roomy = QSize(int(available.width() * 0.9), int(available.height() * 0.9))
        return wanted.expandedTo(roomy).boundedTo(available).expandedTo(self.minimumSizeHint())

    def restore_window_state(self) -> None:
        """Restore what :meth:`save_window_state` remembered; a sensible size the first time."""
        store = window_settings()
        geometry = store.value("geometry")
        if isinstance(geometry, QByteArray) and not geometry.isEmpty():
            self.restoreGeometry(geometry)
        else:
            self.resize(self.first_run_size())
        state = store.value("state")
        if isinstance(state, QByteArray) and not state.isEmpty():
            self.restoreState(state)
        tab = store.value("tab")
        with contextlib.suppress(TypeError, ValueError):
            if tab is not None and 0 <= int(tab) < self.tabs.count():
                self.tabs.setCurrentIndex(int(tab))

    # -- drag and drop -----------------------------------------------------------------------------

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        """Accept local files."""
        if event.mimeData().hasUrls() and any(url.isLocalFile() for url in event.mimeData().urls()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def dropEvent(self, event: QDropEvent) -> None:
        """One file opens; several are imported into one dataset (when the Datasets tab can)."""
        paths = [Path(url.toLocalFile()) for url in event.mimeData().urls() if url.isLocalFile()]
        if not paths:
            return
        event.acceptProposedAction()
        self.open_paths(paths)

    def open_paths(self, paths: list[Path]) -> None:
        """Open one file, or import several when the Datasets tab supports it."""
        if len(paths) > 1 and self._hook("import_files") is not None:
            # Let the drop finish before dialogs may show.
            QTimer.singleShot(0, lambda: self.import_files(paths))
        else:
            QTimer.singleShot(0, lambda: self.open_file(paths[0]))

    # -- recovery ----------------------------------------------------------------------------------

    def check_recovery(self) -> RecoveryDialog | None:
        """Offer to recover edits left by a session that was killed; returns the (non-blocking) prompt."""
        pending = pending_journals()
        if not pending:
            return None
        dialog = RecoveryDialog(pending[0], self)
        dialog.buttonClicked.connect(lambda button: self._recovery_answer(dialog, button))
        dialog.open()
        return dialog

    def _recovery_answer(self, dialog: RecoveryDialog, button: object) -> None:
        if button is dialog.recover_button:
            self.recover_journal(dialog.info)
        elif button is dialog.discard_button:
            discard_journal(dialog.info)
        QTimer.singleShot(0, self.check_recovery if button is not dialog.later_button else (lambda: None))

    def recover_journal(self, info: JournalInfo) -> TaskHandle:
        """Rebuild the document of ``info`` in the background and show it, unsaved, with its journal."""

        def work(ctx: TaskContext) -> Document:
            ctx.progress(0, 0, "replaying edits")
            return recover(info)

        def done(document: Document) -> None:
            self.session.set_document(document, journal=Journal.resume(info, document))
            self._show_document()
            self.statusBar().showMessage(f"Recovered {info.edit_count} edits; save to keep them", 8000)
            self.documentOpened.emit()

        def failed(error: BaseException) -> None:
            present_error(self, error, "Recovering unsaved edits")

        return task_runner().run(work, on_done=done, on_error=failed, description=f"Recovering {info.title}")
