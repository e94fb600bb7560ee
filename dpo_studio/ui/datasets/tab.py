"""The Datasets tab: the examples table with its filter bar, the findings and statistics panels, and the
bulk actions, split, import and export of the open dataset.

Everything goes through the shared :class:`DocumentSession`: edits are undoable session calls, and the
tab redraws from the session's signals. Slow work (indexing 100k rows, counting tokens, exporting) runs
with the one task runner; the table is usable at once because rows are computed on demand meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMenu,
    QProgressBar,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from dpo_studio.core.dataset_index import DatasetIndex, RowFilter
from dpo_studio.core.detect import Detection
from dpo_studio.core.dialects import Dialect
from dpo_studio.core.findings import Finding
from dpo_studio.core.records import TRAIN, VALIDATION, PreferenceRecord
from dpo_studio.core.split import split_records
from dpo_studio.ui.datasets import bulk
from dpo_studio.ui.datasets.dialect_dialog import DialectDialog
from dpo_studio.ui.datasets.examples_table import ExamplesTable
from dpo_studio.ui.datasets.export_dialog import ExportDialog
from dpo_studio.ui.datasets.exporting import write_export
from dpo_studio.ui.datasets.filter_bar import FilterBar
from dpo_studio.ui.datasets.findings_model import rule_title
from dpo_studio.ui.datasets.findings_panel import FindingsPanel
from dpo_studio.ui.datasets.importing import import_files as import_into
from dpo_studio.ui.datasets.split_dialog import SplitDialog
from dpo_studio.ui.datasets.statistics import TokenCache, compute_statistics
from dpo_studio.ui.datasets.stats_panel import StatsPanel
from dpo_studio.ui.datasets.table_model import DatasetTableModel
from dpo_studio.ui.datasets.wording import plural
from dpo_studio.ui.errors import present_error
from dpo_studio.ui.session import DocumentSession
from dpo_studio.ui.tasks import TaskContext, TaskHandle, task_runner

#: Milliseconds to wait after findings change before redrawing the findings panel (typing in the editor).
FINDINGS_DELAY_MS = 250
#: Pause after the last edit before the filter bar's tag and finding-code lists are recounted.
CHOICES_DELAY_MS = 400
#: Edits of up to this many rows update the table at once; larger ones are re-indexed in the background.
EAGER_ROWS = 2000
#: Milliseconds of quiet after an edit before the statistics are recomputed.
STATS_DELAY_MS = 800
#: Up to this many rows, tokens and statistics are recounted automatically after every edit.
AUTO_STATS_LIMIT = 20_000
FILE_FILTER = "Preference data (*.jsonl *.json *.jsonl.txt);;All files (*)"


def _count_tokens(record: PreferenceRecord, model: str) -> int:
    from dpo_studio.core.tokens import count_record_tokens

    return count_record_tokens(record, model)


class DatasetsTab(QWidget):
    """Table of examples, filters, findings, statistics and bulk actions for the session's document."""

    #: The user asked to edit this entry (double click, Enter, a finding): the window shows the editor.
    openInEditor = Signal(int)
    #: The row index finished building (tests and the benchmark wait for it).
    indexReady = Signal()
    #: Token counts and statistics were refreshed.
    statsReady = Signal()
    #: An export finished: the files written.
    exported = Signal(list)

    def __init__(self, session: DocumentSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("datasetsTab")
        self.session = session
        self.index: DatasetIndex | None = None
        self._build_task: TaskHandle | None = None
        self._stats_task: TaskHandle | None = None
        self._stats_stale = False
        self._token_cache = TokenCache()
        #: The model whose tokenizer a background task has loaded ("" before that).
        self._tokenizer_model = ""
        #: Entries changed since the findings were last taken from a full check.
        self._unchecked = 0
        #: Replaces the modal format question (tests, scripted use): ``(path, detection) -> Dialect | None``.
        self.dialect_chooser: Callable[[Path, Detection], Dialect | None] | None = None
        self.dialect_dialog: Any = None
        self.split_dialog: Any = None
        self.export_dialog: Any = None

        self.filter_bar = FilterBar(self)
        self.model = DatasetTableModel(self)
        self.table = ExamplesTable(self.model, self)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.table.entryActivated.connect(self.open_entry)
        self.table.currentEntryChanged.connect(self._row_changed)
        self.table.selectionCountChanged.connect(self._selection_changed)
        self.findings_panel = FindingsPanel(self)
        self.stats_panel = StatsPanel(self)
        self.side = QTabWidget(self)
        self.side.setDocumentMode(True)
        self.side.addTab(self.findings_panel, "Findings")
        self.side.addTab(self.stats_panel, "Statistics")

        self.count_label = QLabel(self)
        self.progress = QProgressBar(self)
        self.progress.setMaximumWidth(self.fontMetrics().averageCharWidth() * 22)
        self.progress.setTextVisible(False)
        self.progress.hide()
        self.progress_label = QLabel(self)
        self.checking_label = QLabel(self)

        self._actions = self._make_actions()
        toolbar = self._make_action_bar()
        self.table_stack = QStackedWidget(self)
        self.table_stack.addWidget(self.table)
        self.table_stack.addWidget(self._make_no_rows_page())

        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(self.filter_bar)
        left_layout.addLayout(toolbar)
        left_layout.addWidget(self.table_stack, 1)
        status = QHBoxLayout()
        status.addWidget(self.count_label)
        status.addStretch(1)
        status.addWidget(self.checking_label)
        status.addWidget(self.progress_label)
        status.addWidget(self.progress)
        left_layout.addLayout(status)

        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.addWidget(left)
        self.splitter.addWidget(self.side)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 1)
        width = self.fontMetrics().averageCharWidth()
        self.splitter.setSizes([width * 110, width * 60])
        layout = QVBoxLayout(self)
        layout.addWidget(self.splitter)

        self._message_timer = QTimer(self)
        self._message_timer.setSingleShot(True)
        self._message_timer.setInterval(6000)
        self._message_timer.timeout.connect(self._clear_message)
        # Statistics follow edits a moment later (typing in the editor edits on every key).
        self._stats_timer = QTimer(self)
        self._stats_timer.setSingleShot(True)
        self._stats_timer.setInterval(STATS_DELAY_MS)
        self._stats_timer.timeout.connect(self._refresh_stats_later)
        self._findings_timer = QTimer(self)
        self._findings_timer.setSingleShot(True)
        self._findings_timer.setInterval(FINDINGS_DELAY_MS)
        self._findings_timer.timeout.connect(self.refresh_findings)
        # The filter's tag and code lists scan every row (about 18 ms at 100k): after an edit they are
        # refreshed once typing pauses, not on every key.
        self._choices_timer = QTimer(self)
        self._choices_timer.setSingleShot(True)
        self._choices_timer.setInterval(CHOICES_DELAY_MS)
        self._choices_timer.timeout.connect(self._refresh_choices)

        self.filter_bar.filterChanged.connect(self._apply_filter)
        self.findings_panel.findingActivated.connect(self.open_entry)
        self.findings_panel.fixRequested.connect(lambda finding: self.apply_fixes([finding], "Fix"))
        self.findings_panel.fixAllRequested.connect(lambda findings: self.apply_fixes(findings, "Fix all"))
        self.findings_panel.filterRequested.connect(
            lambda code: self.filter_bar.select(self.filter_bar.finding, code)
        )
        self.stats_panel.refreshRequested.connect(self.refresh_stats)
        session.documentReplaced.connect(self._document_replaced)
        session.entriesChanged.connect(self._entries_changed)
        session.entriesInserted.connect(self._entries_inserted)
        session.entriesRemoved.connect(self._entries_removed)
        session.currentChanged.connect(self._current_changed)
        session.findingsChanged.connect(self._findings_timer.start)
        session.validatingChanged.connect(self._validating_changed)
        self.model.modelReset.connect(self._selection_changed)
        self.model.rowsInserted.connect(self._update_counts)
        self.model.rowsRemoved.connect(self._update_counts)
        self._document_replaced()
        self._selection_changed()

    # -- construction ------------------------------------------------------------------------------

    def _make_no_rows_page(self) -> QWidget:
        page = QWidget(self)
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        self.no_rows_label = QLabel(page)
        self.no_rows_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.no_rows_label.setWordWrap(True)
        layout.addWidget(self.no_rows_label)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.clear_filter_button = QPushButton("Show all examples", page)
        self.clear_filter_button.clicked.connect(self.filter_bar.clear)
        self.import_button = QPushButton("Import files…", page)
        self.import_button.clicked.connect(lambda: self.import_files(None))
        buttons.addWidget(self.clear_filter_button)
        buttons.addWidget(self.import_button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        layout.addStretch(2)
        return page

    def _action(self, text: str, slot: Callable[[], object], shortcut: str = "", tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        if tip:
            action.setToolTip(f"{tip} ({shortcut})" if shortcut else tip)
            action.setStatusTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.table.addAction(action)
        return action

    def _make_actions(self) -> dict[str, QAction]:
        actions = {
            "delete": self._action("Delete", self.delete_selected, "Del", "Delete the selected examples"),
            "duplicate": self._action(
                "Duplicate", self.duplicate_selected, "Ctrl+D", "Add a copy of each selected example"
            ),
            "swap": self._action(
                "Swap answers", self.swap_selected, "Ctrl+Shift+X", "Exchange preferred and rejected answers"
            ),
            "tag": self._action("Tag…", self.ask_tag, "Ctrl+T", "Add a tag to the selected examples"),
            "untag": self._action(
                "Remove tag…", self.ask_untag, "", "Remove a tag from the selected examples"
            ),
            "train": self._action("Training", lambda: self.set_split_selected(TRAIN)),
            "validation": self._action("Validation", lambda: self.set_split_selected(VALIDATION)),
            "no_split": self._action("No split", lambda: self.set_split_selected(None)),
            "edit": self._action("Open in editor", self._edit_current, "", "Edit the current example"),
        }
        self.split_menu = QMenu("Set split", self)
        for key in ("train", "validation", "no_split"):
            self.split_menu.addAction(actions[key])
        return actions

    def _make_action_bar(self) -> QHBoxLayout:
        bar = QHBoxLayout()
        bar.setContentsMargins(0, 0, 0, 0)
        for key in ("delete", "duplicate", "swap", "tag"):
            button = QToolButton(self)
            button.setDefaultAction(self._actions[key])
            bar.addWidget(button)
        split_button = QToolButton(self)
        split_button.setText("Set split")
        split_button.setToolTip("Put the selected examples in the training or validation set")
        split_button.setMenu(self.split_menu)
        split_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.split_button = split_button
        bar.addWidget(split_button)
        bar.addStretch(1)
        self.split_dialog_button = QPushButton("Split dataset…", self)
        self.split_dialog_button.setToolTip(
            "Assign training and validation examples by ratio, grouped by prompt"
        )
        self.split_dialog_button.clicked.connect(self.show_split_dialog)
        self.export_button = QPushButton("Export…", self)
        self.export_button.setToolTip("Write the dataset as OpenAI/Azure DPO, OpenPipe or TRL JSONL")
        self.export_button.clicked.connect(self.export_dataset)
        bar.addWidget(self.split_dialog_button)
        bar.addWidget(self.export_button)
        return bar

    # -- hooks for the main window -----------------------------------------------------------------

    def focus_find(self) -> None:
        """Edit ▸ Find: put the cursor in the search field."""
        self.filter_bar.text.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter_bar.text.selectAll()

    def import_files(self, paths: Sequence[Path] | None = None) -> TaskHandle | None:
        """File ▸ Import: append the examples of other files to this dataset (one undo step)."""
        if paths is None:
            names, _filter = QFileDialog.getOpenFileNames(self, "Import preference data", "", FILE_FILTER)
            paths = [Path(name) for name in names]
        if not paths:
            return None
        return import_into(self, [Path(path) for path in paths])

    def export_dataset(self) -> Any:
        """File ▸ Export: the export dialog (non-blocking; returns it)."""
        self.export_dialog = ExportDialog(self.session.document, self)
        self.export_dialog.exportRequested.connect(self._run_export)
        self.export_dialog.open()
        return self.export_dialog

    def choose_dialect(self, path: Path, detection: Detection) -> Dialect | None:
        """Asked by the window when detection is unsure: a preview and a choice (modal)."""
        self.dialect_dialog = DialectDialog(path, detection, self)
        try:
            if self.dialect_dialog.exec() == DialectDialog.DialogCode.Accepted:
                chosen: Dialect = self.dialect_dialog.chosen()
                return chosen
            return None
        finally:
            self.dialect_dialog.deleteLater()
            self.dialect_dialog = None

    # -- the document ------------------------------------------------------------------------------

    def _document_replaced(self) -> None:
        document = self.session.document
        if self._build_task is not None:
            self._build_task.cancel()
            self._build_task = None
        if self._stats_task is not None:
            self._stats_task.cancel()
            self._stats_task = None
        self._token_cache = TokenCache()
        # Entry numbers of the old document mean nothing in the new one.
        self.table.forget_selection()
        index = DatasetIndex(document.dataset)
        # While the index is built, rows computed on sight get no token count (counting costs about a
        # millisecond a row on the GUI thread); the statistics task counts every row in the background.
        index.token_counter = None
        self.index = index
        self.model.set_index(index)
        self.findings_panel.set_findings([], checking=True)
        self.stats_panel.clear()
        self.stats_panel.set_platform(document.profile.provider, document.profile.model)
        self._update_counts()
        self.table.scrollToTop()
        if self.isVisible():
            # Paint the first rows now, before background threads (this index, the session's check)
            # start competing with the GUI thread for Python's interpreter lock.
            self.table.viewport().repaint()
        if index.pending:
            self._start_build()
        else:
            self.indexReady.emit()
            self.refresh_stats()

    def _start_build(self) -> None:
        if self._build_task is not None:
            self._build_task.cancel()
        document = self.session.document
        snapshot = list(document.entries)
        dataset = document.dataset
        if self.index is not None:
            self.index.token_counter = None

        def work(ctx: TaskContext) -> DatasetIndex:
            built = DatasetIndex(dataset, snapshot)
            built.fill(
                snapshot,
                progress=lambda done, total: ctx.progress(done, total, "indexing"),
                cancelled=lambda: ctx.cancelled,
            )
            return built

        def done(result: DatasetIndex) -> None:
            if self._build_task is not handle[0]:
                return  # a newer build replaced this one
            self._build_task = None
            self._hide_progress()
            if document is not self.session.document:
                return
            live = result.realigned(snapshot)
            live.token_counter = self._counter_when_ready()
            if self.index is not None:
                live.finding_count = self.index.finding_count
                live.worst = self.index.worst
                live.codes = self.index.codes
                # Rows computed on demand while the build ran keep their token counts.
                for i, tokens in enumerate(self.index.tokens):
                    if tokens >= 0 and live.ready[i] and live.tokens[i] < 0:
                        live.tokens[i] = tokens
            live.ensure_all()
            self._swap_index(live)
            self.indexReady.emit()
            self.refresh_stats()

        self._show_progress("Indexing examples")
        handle: list[TaskHandle] = []
        self._build_task = task_runner().run(
            work,
            on_done=done,
            on_progress=self._progressed,
            on_cancelled=self._hide_progress,
            description=f"Indexing {document.title}",
            owner=self,
        )
        handle.append(self._build_task)

    def _swap_index(self, index: DatasetIndex) -> None:
        self.index = index
        self.model.set_index(index)  # the table keeps its selection (ExamplesTable)
        self._refresh_choices()

    def _tokenizer_ready(self, model: str) -> bool:
        return self._tokenizer_model == model

    def _counter_when_ready(self) -> Callable[[PreferenceRecord], int] | None:
        """Count tokens of edited rows on demand, once the tokenizer is loaded and no build runs."""
        ready = self._tokenizer_ready(self.session.document.profile.model) and not self.building
        return self._token_counter if ready else None

    def _token_counter(self, record: PreferenceRecord) -> int:
        return _count_tokens(record, self.session.document.profile.model)

    @property
    def building(self) -> bool:
        """Whether the first full index build is still running."""
        return self._build_task is not None

    # -- session signals ---------------------------------------------------------------------------

    def _entries_changed(self, entries: list[int]) -> None:
        index = self.index
        if index is None:
            return
        index.mark_changed(entries)
        self._unchecked += len(entries)
        if len(entries) <= EAGER_ROWS:
            document = self.session.document
            for entry in entries:
                index.set_row_findings(entry, document.findings_for(entry))
                index.ensure(entry)
        else:
            # A bulk change (fix all, split, undo of those): recompute the rows in the background; the
            # findings follow from the session's full check.
            self._start_build()
        self.model.entries_changed(entries)
        self._choices_timer.start()
        self._stats_changed()

    def _entries_inserted(self, first: int, count: int) -> None:
        if self.index is None:
            return
        self.index.insert_pending(first, count)
        self._unchecked += count
        if count <= EAGER_ROWS:
            for entry in range(first, first + count):
                self.index.ensure(entry)
        else:
            self._start_build()
        self.model.entries_inserted(first, count)
        self._stats_changed()

    def _entries_removed(self, entries: list[int]) -> None:
        if self.index is None:
            return
        self.index.remove(entries)
        self.model.entries_removed(entries)
        self._stats_changed()

    def _current_changed(self, entry: int) -> None:
        self.table.show_entry(entry)

    def _validating_changed(self, running: bool) -> None:
        self.checking_label.setText("Checking…" if running else "")
        if not running:
            self._findings_timer.start()

    # -- findings ----------------------------------------------------------------------------------

    def refresh_findings(self) -> None:
        """Redraw the findings panel and the table's findings column from the document's findings."""
        document = self.session.document
        index = self.index
        if document.report is None:
            self.findings_panel.set_findings([], checking=True)
            return
        if not document.findings_current and self._unchecked > EAGER_ROWS:
            # Many entries changed since the last full check: wait for the check (already scheduled by
            # the session) instead of checking them one by one here.
            self.findings_panel.set_checking("Checking the changed examples…")
            return
        if document.findings_current:
            self._unchecked = 0
        findings = document.findings()
        by_entry: dict[int, list[Finding]] = {}
        for finding in findings:
            if finding.entry is not None:
                by_entry.setdefault(finding.entry, []).append(finding)
        if index is not None and len(index) == len(document):
            index.set_findings(by_entry)
            self.model.all_changed()
            if self.model.row_filter.finding:
                self._apply_filter(self.model.row_filter)
        self.findings_panel.set_findings(findings, checking=not document.findings_current)
        self.stats_panel.set_findings(findings)
        self._refresh_choices()

    def apply_fixes(self, findings: Sequence[Finding], text: str) -> int:
        """Apply the mechanical fixes of ``findings`` as one undo step; returns how many examples changed."""
        records = bulk.fixed_records(self.session.document, findings)
        if records:
            label = findings[0].fix.label if findings and findings[0].fix is not None else "fix"
            self.session.edit_records(records, f"{text}: {label} ({plural(len(records), 'example')})")
        self.say(f"Fixed {plural(len(records), 'example')}." if records else "Nothing left to fix.")
        return len(records)

    # -- selection ---------------------------------------------------------------------------------

    def selected_entries(self) -> list[int]:
        """Entry indices of the selected rows, ascending."""
        return self.table.selected_entries()

    def select_entries(self, entries: Sequence[int]) -> None:
        """Select the rows of these entries (those visible under the filter)."""
        self.table.select_entries(entries)

    def _row_changed(self, entry: int) -> None:
        self.session.set_current(entry)

    def _selection_changed(self, *_args: object) -> None:
        count = self.table.selected_count()
        for key in ("delete", "duplicate", "swap", "tag", "untag", "train", "validation", "no_split"):
            self._actions[key].setEnabled(count > 0)
        self.split_button.setEnabled(count > 0)
        self._update_counts()

    def open_entry(self, entry: int) -> None:
        """Select ``entry`` and ask the window to show it in the editor."""
        if not 0 <= entry < len(self.session.document):
            return
        if self.model.row_of(entry) < 0:
            # Filtered out: show everything so the example is visible in the table when the user returns.
            self.filter_bar.clear()
        self.select_entries([entry])
        self.session.set_current(entry)
        self.openInEditor.emit(entry)
        window = self.window()
        editor = getattr(window, "editor", None)
        show_tab = getattr(window, "show_tab", None)
        if editor is not None and callable(show_tab):
            show_tab(editor)

    def _edit_current(self) -> None:
        entry = self.table.current_entry()
        if entry >= 0:
            self.open_entry(entry)

    def _context_menu(self, position: Any) -> None:
        menu = QMenu(self)
        menu.addAction(self._actions["edit"])
        menu.addSeparator()
        for key in ("duplicate", "swap", "tag", "untag"):
            menu.addAction(self._actions[key])
        menu.addMenu(self.split_menu)
        menu.addSeparator()
        menu.addAction(self._actions["delete"])
        menu.popup(self.table.viewport().mapToGlobal(position))

    # -- bulk actions ------------------------------------------------------------------------------

    def delete_selected(self) -> None:
        """Delete the selected examples (one undo step)."""
        entries = self.selected_entries()
        if entries:
            self.session.remove_entries(entries, f"Delete {plural(len(entries), 'example')}")

    def duplicate_selected(self) -> None:
        """Insert a copy of the selected examples after the last selected one (one undo step)."""
        entries = self.selected_entries()
        copies = bulk.duplicates_of(self.session.document, entries)
        if copies:
            at = entries[-1] + 1
            self.session.insert_records(at, copies, f"Duplicate {plural(len(copies), 'example')}")
            self.select_entries(list(range(at, at + len(copies))))

    def swap_selected(self) -> None:
        """Exchange preferred and rejected answers of the selected examples (one undo step)."""
        self._edit_selected(bulk.swapped, "Swap answers of")

    def set_split_selected(self, split: str | None) -> None:
        """Put the selected examples in ``split`` (``None``: no split)."""
        name = {TRAIN: "training", VALIDATION: "validation"}.get(split or "", "no split")
        self._edit_selected(bulk.with_split(split), f"Set split to {name} for")

    def tag_selected(self, tag: str) -> None:
        """Add ``tag`` to the selected examples."""
        tag = tag.strip()
        if tag:
            self._edit_selected(bulk.with_tag(tag), f"Tag '{tag}' on")

    def untag_selected(self, tag: str) -> None:
        """Remove ``tag`` from the selected examples."""
        self._edit_selected(bulk.without_tag(tag), f"Remove tag '{tag}' from")

    def ask_tag(self) -> None:
        """Ask for a tag name (offering the tags in use) and add it to the selection."""
        tags = self.index.all_tags() if self.index is not None else []
        tag, ok = QInputDialog.getItem(
            self, "Tag examples", "Tag to add to the selected examples:", tags, 0, True
        )
        if ok and tag.strip():
            self.tag_selected(tag)

    def ask_untag(self) -> None:
        """Ask which of the selection's tags to remove, and remove it."""
        document = self.session.document
        tags = sorted(
            {
                tag
                for entry in self.selected_entries()
                if (record := document.record(entry))
                for tag in record.tags
            },
            key=str.casefold,
        )
        if not tags:
            self.say("The selected examples have no tags.")
            return
        tag, ok = QInputDialog.getItem(
            self, "Remove tag", "Tag to remove from the selected examples:", tags, 0, False
        )
        if ok and tag:
            self.untag_selected(tag)

    def _edit_selected(self, change: bulk.RecordChange, text: str) -> None:
        entries = self.selected_entries()
        records = bulk.changed_records(self.session.document, entries, change)
        if records:
            self.session.edit_records(records, f"{text} {plural(len(records), 'example')}")
            self.select_entries(entries)

    # -- split and export --------------------------------------------------------------------------

    def show_split_dialog(self) -> Any:
        """The split dialog (non-blocking; returns it)."""
        self.split_dialog = SplitDialog(self)
        self.split_dialog.splitRequested.connect(self.split_dataset)
        self.split_dialog.open()
        return self.split_dialog

    def split_dataset(self, ratio: float, seed: int, keep_existing: bool) -> int:
        """Assign training/validation to every record (grouped by prompt); one undo step. Returns changes."""
        document = self.session.document
        records = {entry: record for entry in document.record_indices() if (record := document.record(entry))}
        splits = split_records(list(records.values()), ratio, seed, keep_existing=keep_existing)
        changed = bulk.split_assignments(records, splits)
        validation = sum(1 for split in splits if split == VALIDATION)
        if changed:
            self.session.edit_records(
                changed, f"Split {ratio:.0%} for validation (seed {seed}): {plural(len(changed), 'example')}"
            )
        self.say(
            f"{plural(len(splits) - validation, 'training example')}, "
            f"{plural(validation, 'validation example')}; {plural(len(changed), 'example')} changed."
        )
        return len(changed)

    def _run_export(self, plan: Any) -> TaskHandle:
        snapshot = self.session.document.snapshot()

        def work(ctx: TaskContext) -> list[Path]:
            ctx.progress(0, 0, "writing")
            return write_export(snapshot, plan)

        def done(paths: list[Path]) -> None:
            names = ", ".join(path.name for path in paths)
            self.say(f"Exported {names}.")
            self.exported.emit(paths)

        def failed(error: BaseException) -> None:
            present_error(self, error, "Exporting")

        return task_runner().run(work, on_done=done, on_error=failed, description="Exporting", owner=self)

    # -- statistics --------------------------------------------------------------------------------

    def _stats_changed(self) -> None:
        index = self.index
        if index is not None and len(index.rows()) <= AUTO_STATS_LIMIT and not self.building:
            self._stats_timer.start()
        else:
            self._stats_stale = True
            self.stats_panel.set_stale(True)

    def _refresh_stats_later(self) -> None:
        if self._stats_task is None:
            self.refresh_stats()
        else:
            self._stats_stale = True

    def refresh_stats(self) -> TaskHandle | None:
        """Count tokens (reusing the counts of unchanged records) and recompute the statistics."""
        if self._stats_task is not None:
            self._stats_stale = True
            return self._stats_task
        document = self.session.document
        index = self.index
        if index is None:
            return None
        self._stats_stale = False
        self.stats_panel.set_stale(False)
        snapshot = document.snapshot()
        cache = self._token_cache  # read-only in the task; replaced by the result's cache
        model = document.profile.model
        findings = self.findings_panel.model.groups

        def work(ctx: TaskContext) -> Any:
            return compute_statistics(
                snapshot,
                model,
                cache,
                duplicate_findings=sum(len(g.findings) for g in findings if g.code == "DPO130"),
                progress=lambda done, total: ctx.progress(done, total, "counting tokens"),
                cancelled=lambda: ctx.cancelled,
            )

        def mine() -> bool:
            """Whether this task is still the tab's current one (not replaced after a new document)."""
            if self._stats_task is not handle[0]:
                return False
            self._stats_task = None
            self._hide_progress()
            return True

        def done(result: Any) -> None:
            if not mine() or document is not self.session.document:
                return
            self._token_cache = result.cache
            self._tokenizer_model = model
            if self.index is not None:
                self.index.token_counter = self._counter_when_ready()
                updated = self.index.adopt_tokens(snapshot.entries, result.longest)
                if updated:
                    self.model.all_changed()
            self.stats_panel.show_statistics(result, model)
            self.statsReady.emit()
            if self._stats_stale:
                QTimer.singleShot(0, self.refresh_stats)

        def failed(error: BaseException) -> None:
            if mine():
                present_error(self, error, "Counting tokens")

        def cancelled() -> None:
            mine()

        self._show_progress("Counting tokens")
        handle: list[TaskHandle] = []
        self._stats_task = task_runner().run(
            work,
            on_done=done,
            on_error=failed,
            on_progress=self._progressed,
            on_cancelled=cancelled,
            description="Counting tokens",
            owner=self,
        )
        handle.append(self._stats_task)
        return self._stats_task

    # -- filter and counts -------------------------------------------------------------------------

    def _apply_filter(self, query: RowFilter) -> None:
        if self.index is not None and not self.building:
            self.index.ensure_all()
        self.model.set_filter(query)  # the table keeps its selection (ExamplesTable)

    def apply_filter(self, query: RowFilter) -> None:
        """Filter the table (as the filter bar does)."""
        self._apply_filter(query)

    def _refresh_choices(self) -> None:
        self._choices_timer.stop()
        index = self.index
        if index is None:
            return
        codes = index.all_codes()
        self.filter_bar.set_choices(codes, index.all_tags(), {code: rule_title(code) for code in codes})

    def _update_counts(self, *_args: object) -> None:
        shown = self.model.rowCount()
        total = self.model.total_rows
        selected = self.table.selected_count()
        if self.model.row_filter.active:
            text = f"{shown:,} of {plural(total, 'example')} match"
        else:
            text = plural(total, "example")
        if selected:
            text += f" · {selected:,} selected"
        if self.building:
            text += " · filters cover the rows indexed so far"
        self.count_label.setText(text)
        self.split_dialog_button.setEnabled(total > 0)
        self.export_button.setEnabled(total > 0)
        if shown == 0:
            if self.model.row_filter.active:
                self.no_rows_label.setText("No examples match the filter.")
                self.clear_filter_button.show()
                self.import_button.hide()
            else:
                self.no_rows_label.setText(
                    "This dataset has no examples yet.\n"
                    "Add one in the Editor, or import examples from other files (any supported format)."
                )
                self.clear_filter_button.hide()
                self.import_button.show()
            self.table_stack.setCurrentIndex(1)
        else:
            self.table_stack.setCurrentIndex(0)

    # -- progress ----------------------------------------------------------------------------------

    def _show_progress(self, text: str) -> None:
        self.progress_label.setText(text + "…")
        self.progress.setRange(0, 0)
        self.progress.show()

    def _progressed(self, done: int, total: int, _text: str) -> None:
        # Percent steps: a progress bar repaints on every value change, which is not free.
        if total > 0:
            percent = min(100, done * 100 // total)
            if self.progress.maximum() != 100:
                self.progress.setRange(0, 100)
            if percent - self.progress.value() >= 5 or percent < self.progress.value() or percent == 100:
                self.progress.setValue(percent)

    def _hide_progress(self) -> None:
        if self._build_task is None and self._stats_task is None:
            self.progress.hide()
            self.progress_label.setText("")
        self._update_counts()

    def say(self, text: str) -> None:
        """A short message in the window's status bar and under the table."""
        window = self.window()
        status = getattr(window, "statusBar", None)
        if callable(status) and window is not self:
            status().showMessage(text, 6000)
        self.progress_label.setText(text)
        self._message_timer.start()

    def _clear_message(self) -> None:
        if not self.progress.isVisible():
            self.progress_label.setText("")
