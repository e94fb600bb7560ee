"""One answer of the pair (preferred or rejected): an editable text box with word differences highlighted."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QColor, QFont, QFontDatabase, QTextCharFormat, QTextCursor, QUndoStack
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPlainTextEdit, QTextEdit, QVBoxLayout, QWidget

from dpo_studio.core.records import Message
from dpo_studio.core.worddiff import DiffSpan, tokenize, utf16_offsets
from dpo_studio.ui import theme
from dpo_studio.ui.editor.messages import answer_text, structured_parts
from dpo_studio.ui.editor.text_edit import SessionTextEdit

#: Highlight colours. Translucent, so they tint whatever the palette's base colour is (light or dark)
#: and the text keeps the palette's own colour and contrast; a dark base needs a little more opacity.
PREFERRED_TINT = QColor(46, 160, 67, 90)
REJECTED_TINT = QColor(229, 62, 62, 90)
DARK_ALPHA = 130


def tint(kind: str) -> QColor:
    """The highlight colour of an answer kind for the palette in use."""
    colour = QColor(PREFERRED_TINT if kind == "preferred" else REJECTED_TINT)
    if theme.is_dark():
        colour.setAlpha(DARK_ALPHA)
    return colour


def count_words(text: str) -> int:
    """Words as the diff sees them: runs of letters or digits, and each CJK character on its own."""
    return sum(1 for token in tokenize(text) if any(ch.isalnum() for ch in token))


class AnswerPane(QFrame):
    """Title, the editable answer text, and what else the answer holds (tool calls), read-only.

    ``edited(text)`` is emitted when the user changes the text.
    """

    edited = Signal(str)

    def __init__(self, kind: str, undo_stack: QUndoStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = kind
        preferred = kind == "preferred"
        self._tint = PREFERRED_TINT if preferred else REJECTED_TINT  # the swatch's hue
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setObjectName(f"{kind}Pane")

        self.title = QLabel("<b>Preferred answer</b>" if preferred else "<b>Rejected answer</b>")
        self.title.setTextFormat(Qt.TextFormat.RichText)
        self.title.setToolTip(
            "What the model should learn to say." if preferred else "What the model should learn not to say."
        )
        swatch = QLabel()
        swatch.setFixedSize(12, 12)
        swatch.setStyleSheet(
            f"background: rgba({self._tint.red()}, {self._tint.green()}, {self._tint.blue()}, 200);"
            "border-radius: 2px;"
        )
        swatch.setToolTip("Words highlighted in this colour differ from the other answer.")
        self.counts = QLabel()
        self.counts.setObjectName(f"{kind}Counts")
        self.counts.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        self.counts.setToolTip("Words in this answer, and how many of them the other answer does not have")

        header = QHBoxLayout()
        header.setContentsMargins(0, 0, 0, 0)
        header.addWidget(swatch)
        header.addWidget(self.title)
        header.addStretch(1)
        header.addWidget(self.counts)

        self.editor = SessionTextEdit(
            undo_stack,
            placeholder=(
                "Type the answer the model should give…"
                if preferred
                else "Type (or paste) an answer the model should avoid…"
            ),
        )
        self.editor.setObjectName(f"{kind}Text")
        self.editor.setAccessibleName("Preferred answer" if preferred else "Rejected answer")
        self.editor.setLineWrapMode(QPlainTextEdit.LineWrapMode.WidgetWidth)
        self.editor.edited.connect(self.edited)

        self.parts_caption = QLabel("Also in this answer (kept when you edit the text):")
        self.parts = QLabel()
        self.parts.setObjectName(f"{kind}ToolCalls")
        self.parts.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.parts.setWordWrap(True)
        self.parts.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
        self.parts.setFrameShape(QFrame.Shape.StyledPanel)
        self.parts.setMargin(4)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(header)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.parts_caption)
        layout.addWidget(self.parts)
        self._show_parts("")

    # -- contents ----------------------------------------------------------------------------------

    def text(self) -> str:
        """The text in the box."""
        return self.editor.toPlainText()

    def show_answer(self, messages: list[Message], *, fresh: bool) -> None:
        """Show an answer; ``fresh`` for another example (cursor to the top), else keep the cursor."""
        text = answer_text(messages)
        if fresh:
            self.editor.replace_all(text)
        else:
            self.editor.show_text(text)
        self._show_parts(structured_parts(messages))

    def _show_parts(self, text: str) -> None:
        self.parts.setText(text)
        self.parts.setVisible(bool(text))
        self.parts_caption.setVisible(bool(text))

    # -- differences -------------------------------------------------------------------------------

    def show_differences(self, text: str, spans: Sequence[DiffSpan], *, identical: bool = False) -> None:
        """Highlight the changed ``spans`` (computed for ``text``, which must be the text in the box).

        ``identical`` says both answers are the same text (the counts line says so).
        """
        changed = [span for span in spans if span.changed]
        offsets = utf16_offsets(text)
        fmt = QTextCharFormat()
        fmt.setBackground(tint(self.kind))
        document = self.editor.document()
        selections: list[QTextEdit.ExtraSelection] = []
        for span in changed:
            start, end = span.start, span.end
            if offsets is not None:
                start, end = offsets[start], offsets[end]
            selection = QTextEdit.ExtraSelection()
            cursor = QTextCursor(document)
            cursor.setPosition(start)
            cursor.setPosition(end, QTextCursor.MoveMode.KeepAnchor)
            selection.cursor = cursor
            selection.format = fmt
            selections.append(selection)
        self.editor.setExtraSelections(selections)
        words = count_words(text)
        changed_words = sum(count_words(text[s.start : s.end]) for s in changed)
        if not text.strip():
            summary = "no text"
        elif identical:
            summary = "identical to the other"
        elif changed:
            summary = f"{changed_words} only here"
        else:
            summary = "all in the other"
        self.counts.setText(summary if not words else f"{words} word{'s' if words != 1 else ''} · {summary}")

    def highlighted_ranges(self) -> list[tuple[int, int]]:
        """The highlighted ranges as Qt positions (UTF-16 units), in order; for tests and checks."""
        ranges = []
        for selection in self.editor.extraSelections():
            cursor = selection.cursor
            ranges.append((cursor.selectionStart(), cursor.selectionEnd()))
        return ranges

    def set_mono(self, mono: bool) -> None:
        """Use a fixed-width font (code answers) or the normal one."""
        font = QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont) if mono else QFont()
        self.editor.setFont(font)
