"""The bookkeeping of an example: notes, tags, split and metadata."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QUndoStack
from PySide6.QtWidgets import QComboBox, QFormLayout, QLabel, QVBoxLayout, QWidget

from dpo_studio.core.records import TRAIN, VALIDATION, PreferenceRecord
from dpo_studio.ui.editor.json_field import JsonField, check_object
from dpo_studio.ui.editor.text_edit import SessionLineEdit, SessionTextEdit

#: The tag the Flag action toggles.
FLAG_TAG = "flagged"

_SPLITS: tuple[tuple[str, str | None], ...] = (
    ("not set", None),
    ("training", TRAIN),
    ("validation", VALIDATION),
)


def parse_tags(text: str) -> list[str]:
    """Tags from a comma-separated line: trimmed, empty ones dropped, each once, in the order typed."""
    tags: list[str] = []
    for piece in text.split(","):
        tag = piece.strip()
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def format_tags(tags: list[str]) -> str:
    """How tags are shown in the line edit."""
    return ", ".join(tags)


class DetailsPanel(QWidget):
    """Notes, tags, split and metadata of the current example, each edited in place."""

    notesEdited = Signal(str)
    tagsEdited = Signal(list)
    splitChosen = Signal(object)
    metadataEdited = Signal(object)

    def __init__(self, undo_stack: QUndoStack, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.notes = SessionTextEdit(
            undo_stack,
            fit_lines=(3, 10),
            placeholder="Why is one better? Saved with the dataset, in a notes file beside it.",
        )
        self.notes.setObjectName("notesField")
        self.notes.setAccessibleName("Notes")
        self.notes.edited.connect(self.notesEdited)
        self.tags = SessionLineEdit(undo_stack)
        self.tags.setObjectName("tagsField")
        self.tags.setPlaceholderText("comma-separated, e.g. tone, too long")
        self.tags.setToolTip("Tags of this example, separated by commas. Flag adds the tag “flagged”.")
        self.tags.textEdited.connect(self._on_tags_edited)
        self._tags_shown: list[str] = []
        self.split = QComboBox()
        self.split.setObjectName("splitField")
        self.split.setToolTip(
            "Which file this example goes to when training and validation data are exported apart"
        )
        self.split.activated.connect(lambda _index: self.splitChosen.emit(self.split.currentData()))
        self.metadata = JsonField(
            undo_stack,
            check_object,
            empty={},
            placeholder='{"source": "expert review"}',
            lines=(3, 12),
        )
        self.metadata.setObjectName("metadataField")

        self.metadata.valueEdited.connect(self.metadataEdited)
        self.not_saved = QLabel()
        self.not_saved.setObjectName("notSavedNotice")
        self.not_saved.setWordWrap(True)
        self.not_saved.setStyleSheet("color: #b26a00;")
        self.not_saved.hide()
        form = QFormLayout()
        form.setContentsMargins(0, 0, 0, 0)
        form.addRow("Tags", self.tags)
        form.addRow("Split", self.split)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        notes_title = QLabel("<b>Notes</b>")
        metadata_title = QLabel("<b>Metadata</b> (a JSON object; OpenPipe files carry it)")
        metadata_title.setWordWrap(True)
        layout.addWidget(notes_title)
        layout.addWidget(self.notes)
        layout.addLayout(form)
        layout.addWidget(metadata_title)
        layout.addWidget(self.metadata)
        layout.addWidget(self.not_saved)
        layout.addStretch(1)

    def show_record(self, record: PreferenceRecord, *, fresh: bool) -> None:
        """Show the record's fields; a field the user is typing in is only touched if its value changed."""
        if fresh:
            self.notes.replace_all(record.notes)
        else:
            self.notes.show_text(record.notes)
        if fresh or record.tags != self._tags_shown:
            self._tags_shown = list(record.tags)
            if parse_tags(self.tags.text()) != record.tags:
                self.tags.setText(format_tags(record.tags))
        choices = list(_SPLITS)
        if record.split not in (None, TRAIN, VALIDATION):
            choices.append((str(record.split), record.split))  # an unusual value stays choosable
        shown = [(self.split.itemText(i), self.split.itemData(i)) for i in range(self.split.count())]
        if shown != choices:
            self.split.clear()
            for label, value in choices:
                self.split.addItem(label, value)
        self.split.setCurrentIndex(0 if record.split is None else self.split.findData(record.split))
        self.metadata.show_value(record.metadata, fresh=fresh)

    def show_losses(self, format_label: str, losses: list[str]) -> None:
        """Say what of this example the file's format cannot hold (``losses`` from the dialect)."""
        if not losses:
            self.not_saved.hide()
            return
        self.not_saved.setText(
            f"Not written to {format_label} files: {'; '.join(losses)}. It stays in this session "
            "(and its autosave journal) until you close the dataset."
        )
        self.not_saved.show()

    def _on_tags_edited(self, text: str) -> None:
        tags = parse_tags(text)
        if tags != self._tags_shown:
            self._tags_shown = tags
            self.tagsEdited.emit(tags)
