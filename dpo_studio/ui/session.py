"""The open document as the widgets see it: one QUndoStack, change signals, the current entry.

The Datasets table and the pair editor share one :class:`DocumentSession`. They never change the
document directly: every edit goes through the undoable methods here, and both redraw from the signals,
so an edit in one shows in the other and undo works the same everywhere.

Signals (indices are entry indices of ``session.document``):

- ``documentReplaced()``: another document was opened (or a save in another dialect re-read it).
- ``entriesChanged(list)``: those entries hold new contents (same positions).
- ``entriesInserted(int, int)``: ``(first, count)`` entries were inserted at ``first``. Several
  signals may follow each other (an undone multi-row delete re-inserts runs in ascending order; apply
  them in order).
- ``entriesRemoved(list)``: the entries at those positions (ascending, numbered before the removal)
  are gone.
- ``currentChanged(int)``: the entry shown in the editor (``-1`` for none).
- ``findingsChanged()``: findings were refreshed (per-entry after an edit, all after a full check).
- ``dirtyChanged(bool)``: whether there are unsaved changes.
- ``pathChanged()``: the document was saved under another name (the title changes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QUndoStack

from dpo_studio.core.dialects import Dialect
from dpo_studio.core.document import Change, ChangeKind, Document
from dpo_studio.core.journal import Journal
from dpo_studio.core.records import PreferenceRecord
from dpo_studio.ui.commands import InsertRecordsCommand, RemoveEntriesCommand, ReplaceRecordsCommand

#: Milliseconds of quiet after an edit before the full (cross-record) check runs again.
REVALIDATE_DELAY_MS = 600
#: Milliseconds between journal fsyncs while editing.
JOURNAL_SYNC_MS = 2000


class DocumentSession(QObject):
    """The document being edited plus its undo history, journal and current entry."""

    documentReplaced = Signal()
    entriesChanged = Signal(list)
    entriesInserted = Signal(int, int)
    entriesRemoved = Signal(list)
    currentChanged = Signal(int)
    findingsChanged = Signal()
    dirtyChanged = Signal(bool)
    pathChanged = Signal()
    #: Emitted when a full check starts (True) and ends (False), for a busy indicator.
    validatingChanged = Signal(bool)

    def __init__(
        self, document: Document | None = None, parent: QObject | None = None, *, journal: bool = True
    ):
        super().__init__(parent)
        self.undo_stack = QUndoStack(self)
        self.undo_stack.cleanChanged.connect(self._on_clean_changed)
        self._journal_enabled = journal
        self._journal: Journal | None = None
        self._current = -1
        self._dirty = False
        #: Undo-stack index right after the last typing edit (-1: the next edit starts a new step).
        self._typing_index = -1
        self._validation_task: object | None = None
        self._revalidate_timer = QTimer(self)
        self._revalidate_timer.setSingleShot(True)
        self._revalidate_timer.setInterval(REVALIDATE_DELAY_MS)
        self._revalidate_timer.timeout.connect(self.revalidate)
        self._sync_timer = QTimer(self)
        self._sync_timer.setInterval(JOURNAL_SYNC_MS)
        self._sync_timer.timeout.connect(self._sync_journal)
        self._sync_timer.start()
        self.document = document or Document.new()
        self._attach(self.document)
        if len(self.document):
            self.revalidate()

    # -- the document ----------------------------------------------------------------------------

    @property
    def current(self) -> int:
        """The entry shown in the editor, or -1."""
        return self._current

    @property
    def dirty(self) -> bool:
        """Whether there are unsaved changes."""
        return self.document.dirty

    @property
    def journal(self) -> Journal | None:
        """The autosave journal of the open document (``None`` when journaling is off)."""
        return self._journal

    def set_document(self, document: Document, *, journal: Journal | None = None) -> None:
        """Show another document. Its undo history starts empty; the old document's journal is deleted.

        Pass ``journal`` to keep appending to a recovered journal.
        """
        self._detach(discard_journal=True)
        self.undo_stack.clear()
        self.document = document
        self._attach(document, journal)
        self._current = -1
        # First in the queue: until a large file is packed its bytes are held twice over the index.
        self._pack_in_background()
        self.documentReplaced.emit()
        self.currentChanged.emit(-1)
        self._update_dirty()
        self.findingsChanged.emit()
        self.revalidate()

    def close_document(self) -> None:
        """Replace the document with a new empty one, discarding its unsaved edits and journal."""
        self.set_document(Document.new())

    def shutdown(self) -> None:
        """The app is closing normally: stop background work and remove the journal."""
        self._revalidate_timer.stop()
        self._sync_timer.stop()
        self._detach(discard_journal=True)

    def _attach(self, document: Document, journal: Journal | None = None) -> None:
        document.listeners.append(self._on_change)
        if journal is not None:
            self._journal = journal
        elif self._journal_enabled:
            self._journal = Journal(document)
        if document.dirty:
            # Recovered or imported contents: no undo step leads back to a saved state.
            self.undo_stack.resetClean()
        self._dirty = document.dirty

    def _detach(self, *, discard_journal: bool) -> None:
        if self._on_change in self.document.listeners:
            self.document.listeners.remove(self._on_change)
        if self._journal is not None and discard_journal:
            self._journal.discard()
        self._journal = None

    def _sync_journal(self) -> None:
        if self._journal is not None:
            self._journal.sync()

    # -- undoable edits ----------------------------------------------------------------------------

    def edit_record(
        self, index: int, record: PreferenceRecord, text: str = "Edit example", *, merge: bool = True
    ) -> None:
        """Replace one record. Consecutive calls for the same record with the same ``text`` (typing)
        merge into one undo step unless ``merge`` is False."""
        # Typing merges only into the edit just made: not across a save, an undo or a redo.
        join = self.undo_stack.index() == self._typing_index
        self.undo_stack.push(
            ReplaceRecordsCommand(self.document, {index: record}, text, merge=merge, join=join)
        )
        self._typing_index = self.undo_stack.index()

    def edit_records(self, records: Mapping[int, PreferenceRecord], text: str) -> None:
        """Replace several records as one undo step (bulk actions, fix all)."""
        if records:
            self.undo_stack.push(ReplaceRecordsCommand(self.document, records, text))

    def insert_records(
        self, index: int, records: Sequence[PreferenceRecord], text: str = "Add example"
    ) -> None:
        """Insert records before entry ``index`` (``len(document)`` appends) as one undo step."""
        if records:
            self.undo_stack.push(InsertRecordsCommand(self.document, index, records, text))

    def remove_entries(self, indices: Sequence[int], text: str = "Delete") -> None:
        """Remove entries as one undo step."""
        if indices:
            self.undo_stack.push(RemoveEntriesCommand(self.document, indices, text))

    def set_current(self, index: int) -> None:
        """Show entry ``index`` in the editor (-1 for none)."""
        if not -1 <= index < len(self.document):
            index = -1
        if index != self._current:
            self._current = index
            self.currentChanged.emit(index)

    # -- saving ------------------------------------------------------------------------------------

    def save(
        self, path: str | Path | None = None, dialect: Dialect | str | None = None, bom: bool | None = None
    ) -> None:
        """Save atomically (raises ``UserError`` on failure; then the document stays dirty)."""
        old_path = self.document.path
        self._typing_index = -1
        converted = self.document.save(path, dialect, bom)
        if converted:
            # The dataset was re-read in the new dialect: old undo steps refer to entries that are gone.
            self.undo_stack.clear()
            self._current = min(self._current, len(self.document) - 1)
            self.documentReplaced.emit()
            self.currentChanged.emit(self._current)
            self.revalidate()
        else:
            self.undo_stack.setClean()
        if self.document.path != old_path:
            self.pathChanged.emit()
        self._update_dirty()

    # -- reacting to document changes --------------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        kind = change.kind
        if kind is ChangeKind.SET:
            self.entriesChanged.emit(list(change.indices))
            self.findingsChanged.emit()
        elif kind is ChangeKind.INSERT:
            self._emit_inserted(change.indices)
            self.findingsChanged.emit()
        elif kind is ChangeKind.REMOVE:
            self._adjust_current_after_remove(change.indices)
            self.entriesRemoved.emit(list(change.indices))
            self.findingsChanged.emit()
        if kind is ChangeKind.RESET:
            self._pack_in_background()  # saved in another format: the document read the new file
        if kind is not ChangeKind.SAVED and kind is not ChangeKind.RESET:
            # The full check of a large file takes a while and competes with typing: wait longer there.
            self._revalidate_timer.start(max(REVALIDATE_DELAY_MS, len(self.document) // 50))
        self._update_dirty()

    def _emit_inserted(self, indices: Sequence[int]) -> None:
        runs: list[list[int]] = []
        for index in indices:
            if runs and index == runs[-1][0] + runs[-1][1]:
                runs[-1][1] += 1
            else:
                runs.append([index, 1])
        for first, count in runs:
            if self._current >= 0 and first <= self._current:
                self._current += count
            self.entriesInserted.emit(first, count)

    def _adjust_current_after_remove(self, indices: Sequence[int]) -> None:
        if self._current < 0:
            return
        before = sum(1 for index in indices if index < self._current)
        if self._current in indices:
            remaining = len(self.document)
            self._current = min(self._current - before, remaining - 1)
            # Defer the signal until the views have removed the rows.
            QTimer.singleShot(0, lambda: self.currentChanged.emit(self._current))
        else:
            self._current -= before

    def _on_clean_changed(self, clean: bool) -> None:
        if clean and self.document.path is not None and self.document.dirty:
            self.document.mark_clean()
        self._update_dirty()

    def _update_dirty(self) -> None:
        dirty = self.document.dirty
        if dirty != self._dirty:
            self._dirty = dirty
            self.dirtyChanged.emit(dirty)

    # -- background work ----------------------------------------------------------------------------

    def _pack_in_background(self) -> None:
        """Compress a large file's lines in memory (``Dataset.pack``); silent, the user loses no time."""
        from dpo_studio.ui.errors import present_error
        from dpo_studio.ui.tasks import task_runner

        dataset = self.document.dataset
        task_runner().run(
            lambda ctx: dataset.pack(cancelled=lambda: ctx.cancelled),
            on_error=lambda error: present_error(None, error, "Compacting the dataset in memory"),
        )

    def revalidate(self) -> None:
        """Run the full check (cross-record rules, token limits) in the background, then refresh findings."""
        from dpo_studio.ui.tasks import task_runner

        self._revalidate_timer.stop()
        if self._validation_task is not None:
            # One check at a time; the one running re-checks when it sees it is out of date.
            return
        document = self.document
        revision = document.revision
        snapshot = document.snapshot()
        self.validatingChanged.emit(True)

        def work(ctx: object) -> object:
            from dpo_studio.ui.tasks import TaskContext

            assert isinstance(ctx, TaskContext)
            return document.validate(snapshot, progress=ctx.progress)

        def done(report: object) -> None:
            self._validation_task = None
            self.validatingChanged.emit(False)
            if document is not self.document:
                return
            if document.apply_report(report, revision):  # type: ignore[arg-type]
                self.findingsChanged.emit()
            else:
                self._revalidate_timer.start()

        def failed(error: BaseException) -> None:
            self._validation_task = None
            self.validatingChanged.emit(False)
            from dpo_studio.ui.errors import present_error

            present_error(None, error, "Checking the dataset")

        self._validation_task = task_runner().run(
            work, on_done=done, on_error=failed, description="Checking the dataset"
        )
