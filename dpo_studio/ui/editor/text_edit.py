"""A plain-text box wired to the session: shared undo, no echo of programmatic changes.

Two rules make the editor safe to bind to a document that also changes from outside (undo, the table):

* The box has no undo history of its own. Ctrl+Z / Ctrl+Shift+Z (and the platform's equivalents) go to
  the session's :class:`QUndoStack`, so undo means the same thing in the editor and in the table.
* :meth:`SessionTextEdit.show_text` replaces only the part of the text that differs, keeps the cursor
  and the scroll position, and emits no :attr:`SessionTextEdit.edited` signal, so a refresh never turns
  into another edit.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QResizeEvent, QTextCursor, QTextLayout, QUndoStack
from PySide6.QtWidgets import QFrame, QLineEdit, QPlainTextEdit, QWidget

from dpo_studio.core.worddiff import utf16_offsets

_LINE_BREAKS = str.maketrans({"\r": "\n", "\u2028": "\n", "\u2029": "\n"})


def qt_plain(text: str) -> str:
    """``text`` as a QPlainTextEdit gives it back: every line break becomes ``\\n``."""
    if "\r" not in text and "\u2028" not in text and "\u2029" not in text:
        return text
    return text.replace("\r\n", "\n").translate(_LINE_BREAKS)


def utf16_length(text: str) -> int:
    """Length of ``text`` in UTF-16 units (how Qt counts positions)."""
    offsets = utf16_offsets(text)
    return len(text) if offsets is None else offsets[-1]


class SessionTextEdit(QPlainTextEdit):
    """Plain text whose undo/redo is the session's, and whose refreshes never echo as edits.

    ``edited(text)`` is emitted after every change the user makes (typing, paste, cut, drop).
    With ``fit_lines``, the box grows with its text up to that many lines (context turns).
    """

    edited = Signal(str)

    def __init__(
        self,
        undo_stack: QUndoStack,
        parent: QWidget | None = None,
        *,
        fit_lines: tuple[int, int] | None = None,
        placeholder: str = "",
    ) -> None:
        super().__init__(parent)
        self._undo_stack = undo_stack
        self._refreshing = False
        self._following = False
        self._fit_lines = fit_lines
        self.setUndoRedoEnabled(False)
        self.setTabChangesFocus(True)
        if placeholder:
            self.setPlaceholderText(placeholder)
        self.textChanged.connect(self._on_text_changed)
        self._fitted_width = -1
        if fit_lines is not None:
            self.setFrameShape(QFrame.Shape.StyledPanel)
            self.textChanged.connect(self._fit_height)
            self._fit_height()

    # -- showing text from the record -------------------------------------------------------------

    def show_text(self, text: str) -> None:
        """Show ``text`` without emitting ``edited``; only the differing middle part is replaced.

        The cursor stays where it was (shifted by the change); when the user pressed undo or redo in this
        box, it moves to the end of the changed part so the user sees what changed.
        """
        text = qt_plain(text)
        current = self.toPlainText()
        if current == text:
            return
        prefix = 0
        limit = min(len(current), len(text))
        while prefix < limit and current[prefix] == text[prefix]:
            prefix += 1
        suffix = 0
        while suffix < limit - prefix and current[-1 - suffix] == text[-1 - suffix]:
            suffix += 1
        old_middle = current[prefix : len(current) - suffix]
        new_middle = text[prefix : len(text) - suffix]
        start = utf16_length(current[:prefix])
        cursor = QTextCursor(self.document())
        cursor.setPosition(start)
        cursor.setPosition(start + utf16_length(old_middle), QTextCursor.MoveMode.KeepAnchor)
        self._refreshing = True
        try:
            if len(text) == len(new_middle) and not current:
                self.setPlainText(text)  # first fill: one layout pass instead of an insertion
            else:
                cursor.insertText(new_middle)
        finally:
            self._refreshing = False
        if self._following:
            view_cursor = self.textCursor()
            view_cursor.setPosition(start + utf16_length(new_middle))
            self.setTextCursor(view_cursor)

    def replace_all(self, text: str) -> None:
        """Show ``text`` from the start (another example): cursor and scroll go to the top."""
        self._refreshing = True
        try:
            self.setPlainText(qt_plain(text))
        finally:
            self._refreshing = False

    # -- shared undo -------------------------------------------------------------------------------

    def event(self, event: QEvent) -> bool:
        """Claim undo/redo keys before window shortcuts see them, then route them in keyPressEvent."""
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and (event.matches(QKeySequence.StandardKey.Undo) or event.matches(QKeySequence.StandardKey.Redo))
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Undo and redo act on the session's stack (shared with the table), not on this box alone."""
        undo = event.matches(QKeySequence.StandardKey.Undo)
        if undo or event.matches(QKeySequence.StandardKey.Redo):
            self._following = True
            try:
                self._undo_stack.undo() if undo else self._undo_stack.redo()
            finally:
                self._following = False
            return
        super().keyPressEvent(event)

    # -- internals -------------------------------------------------------------------------------

    def _on_text_changed(self) -> None:
        if not self._refreshing and not self.isReadOnly():
            self.edited.emit(self.toPlainText())

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Re-fit the height when the width changes (lines wrap differently)."""
        super().resizeEvent(event)
        if self._fit_lines is not None and event.size().width() != self._fitted_width:
            self._fit_height()

    def _wrapped_lines(self, cap: int) -> int:
        """How many lines the text takes at the current width (counting stops at ``cap``)."""
        width = max(10.0, self.viewport().width() - 2 * self.document().documentMargin())
        option = self.document().defaultTextOption()
        lines = 0
        block = self.document().firstBlock()
        while block.isValid() and lines < cap:
            layout = QTextLayout(block.text(), self.font())
            layout.setTextOption(option)
            layout.beginLayout()
            block_lines = 0
            while lines + block_lines < cap:
                line = layout.createLine()
                if not line.isValid():
                    break
                line.setLineWidth(width)
                block_lines += 1
            layout.endLayout()
            lines += max(1, block_lines)
            block = block.next()
        return lines

    def _fit_height(self) -> None:
        if self._fit_lines is None:
            return
        self._fitted_width = self.width()
        low, high = self._fit_lines
        wrapped = self._wrapped_lines(high + 1)
        lines = max(low, min(high, wrapped))
        # Scroll bars only once the text outgrows the box; a bar that comes and goes would re-wrap lines.
        policies = Qt.ScrollBarPolicy
        self.setVerticalScrollBarPolicy(
            policies.ScrollBarAsNeeded if wrapped > high else policies.ScrollBarAlwaysOff
        )
        margins = self.contentsMargins()
        height = (
            self.fontMetrics().lineSpacing() * lines
            + int(2 * self.document().documentMargin())
            + margins.top()
            + margins.bottom()
            + 2
        )
        self.setFixedHeight(height)


class SessionLineEdit(QLineEdit):
    """A one-line field whose Ctrl+Z / Ctrl+Shift+Z act on the session's stack, like the text boxes."""

    def __init__(self, undo_stack: QUndoStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._undo_stack = undo_stack

    def event(self, event: QEvent) -> bool:
        """Claim undo/redo keys (QLineEdit would otherwise undo inside the field only)."""
        if (
            event.type() == QEvent.Type.ShortcutOverride
            and isinstance(event, QKeyEvent)
            and (event.matches(QKeySequence.StandardKey.Undo) or event.matches(QKeySequence.StandardKey.Redo))
        ):
            event.accept()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Undo and redo go to the shared stack."""
        if event.matches(QKeySequence.StandardKey.Undo):
            self._undo_stack.undo()
            return
        if event.matches(QKeySequence.StandardKey.Redo):
            self._undo_stack.redo()
            return
        super().keyPressEvent(event)
