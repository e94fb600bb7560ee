"""Undo commands: every change to the document goes through one of these on the session's QUndoStack.

Each command calls a document primitive in ``redo`` and keeps what that primitive returned so ``undo``
can put the exact previous entries back (an undone edit restores the original source bytes, so the
record is saved byte-identical again).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from PySide6.QtGui import QUndoCommand

from dpo_studio.core.dataset import Entry
from dpo_studio.core.document import Document, Removed
from dpo_studio.core.records import PreferenceRecord

#: ``QUndoCommand.id`` of record edits that may merge (consecutive typing on one record).
TYPING_ID = 0x44504F


class ReplaceRecordsCommand(QUndoCommand):
    """Replace the records at some entries. With ``merge``, consecutive edits of one record by the same
    action (same text, e.g. typing in the preferred answer) collapse into one undo step."""

    def __init__(
        self,
        document: Document,
        records: Mapping[int, PreferenceRecord],
        text: str,
        *,
        merge: bool = False,
        join: bool = True,
    ) -> None:
        super().__init__(text)
        self.document = document
        self.records = {index: record.clone() for index, record in records.items()}
        #: Later typing edits may merge into this one ...
        self.merge = merge and len(records) == 1
        #: ... and this one may merge into the typing edit before it (not right after a save or undo).
        self.join = join
        self.previous: dict[int, Entry] | None = None
        self._after: dict[int, Entry] | None = None

    def redo(self) -> None:
        """Apply the edit (first time) or put the edited entries back (redo after undo)."""
        if self._after is None:
            self.previous = self.document.replace_many(self.records)
            self._after = {index: self.document.entries[index] for index in self.records}
        else:
            self.document.put_entries(self._after)

    def undo(self) -> None:
        """Put the entries that were there before back."""
        assert self.previous is not None
        self.document.put_entries(self.previous)

    def id(self) -> int:
        """Typing edits share an id so Qt offers them to :meth:`mergeWith`."""
        return TYPING_ID if self.merge else -1

    def mergeWith(self, other: QUndoCommand) -> bool:
        """Absorb a following typing edit of the same record by the same action."""
        if not isinstance(other, ReplaceRecordsCommand) or not (self.merge and other.merge and other.join):
            return False
        if other.records.keys() != self.records.keys() or other.text() != self.text():
            return False
        self.records = other.records
        self._after = other._after
        return True


class InsertRecordsCommand(QUndoCommand):
    """Insert new records before an entry (``len(document)`` appends)."""

    def __init__(
        self, document: Document, index: int, records: Sequence[PreferenceRecord], text: str
    ) -> None:
        super().__init__(text)
        self.document = document
        self.index = index
        self.records = [record.clone() for record in records]
        self._entries: list[Entry] | None = None

    def redo(self) -> None:
        """Insert (the same entry objects again on redo, so later commands still match)."""
        if self._entries is None:
            indices = self.document.insert(self.index, self.records)
            self._entries = [self.document.entries[i] for i in indices]
        else:
            self.document.insert_entries(self.index, self._entries)

    def undo(self) -> None:
        """Remove what was inserted."""
        assert self._entries is not None
        self.document.remove(range(self.index, self.index + len(self._entries)))


class RemoveEntriesCommand(QUndoCommand):
    """Remove entries (records, blank or unreadable lines)."""

    def __init__(self, document: Document, indices: Sequence[int], text: str) -> None:
        super().__init__(text)
        self.document = document
        self.indices = sorted(set(indices))
        self.removed: Removed | None = None

    def redo(self) -> None:
        """Remove the entries, keeping them for undo."""
        self.removed = self.document.remove(self.indices)

    def undo(self) -> None:
        """Put every removed entry back where it was."""
        assert self.removed is not None
        self.document.restore(self.removed)
