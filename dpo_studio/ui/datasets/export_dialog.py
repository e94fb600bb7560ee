"""The export dialog: format, BOM, one file or separate training/validation files, and what gets lost."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from dpo_studio.core.annotations import APP_ONLY_FIELDS
from dpo_studio.core.dialects import Dialect, writable_dialects
from dpo_studio.core.document import Document
from dpo_studio.ui.datasets.exporting import ExportPlan, ExportSummary, default_paths, summarize_export
from dpo_studio.ui.datasets.wording import plural
from dpo_studio.ui.tasks import TaskContext, TaskHandle, task_runner

JSONL_FILTER = "JSON Lines (*.jsonl);;All files (*)"


class ExportDialog(QDialog):
    """Emits ``exportRequested(ExportPlan)`` on Export; the tab writes the files in the background."""

    exportRequested = Signal(object)
    #: The summary (losses and counts) for the current choices is shown.
    summaryReady = Signal()

    def __init__(self, document: Document, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("exportDialog")
        self.setWindowTitle(f"Export {document.title}")
        self._snapshot = document.snapshot()
        self._source = document.path
        self._summary_task: TaskHandle | None = None
        self._summary_key: tuple[str, bool, bool] | None = None
        self.summary: ExportSummary | None = None

        self.dialect_combo = QComboBox(self)
        for dialect in writable_dialects():
            self.dialect_combo.addItem(dialect.label, dialect.name)
        self.dialect_combo.setAccessibleName("Format")
        self.bom_check = QCheckBox("Start the file with a UTF-8 byte order mark (BOM)", self)
        self.bom_check.setToolTip("Azure's documentation mentions UTF-8 with a BOM; both are accepted")
        self.one_file = QRadioButton("One file", self)
        self.separate_files = QRadioButton("Separate training and validation files", self)
        self.one_file.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.one_file)
        group.addButton(self.separate_files)
        self.path_edit = QLineEdit(self)
        self.path_edit.setAccessibleName("File")
        self.validation_edit = QLineEdit(self)
        self.validation_edit.setAccessibleName("Validation file")
        for edit in (self.path_edit, self.validation_edit):
            edit.setMinimumWidth(self.fontMetrics().averageCharWidth() * 60)
        self.skip_unreadable = QCheckBox("Leave out lines that cannot be read", self)
        self.summary_label = QLabel("Working out what will be written…", self)
        self.summary_label.setWordWrap(True)
        self.summary_label.setObjectName("exportSummary")
        self.summary_label.setMinimumWidth(self.fontMetrics().averageCharWidth() * 70)

        files = QGroupBox("Files", self)
        files_form = QFormLayout(files)
        files_form.addRow(self.one_file)
        files_form.addRow(self.separate_files)
        self.path_caption = QLabel("File:", files)
        files_form.addRow(self.path_caption, self._with_browse(self.path_edit))
        self.validation_caption = QLabel("Validation file:", files)
        self._validation_row = self._with_browse(self.validation_edit)
        files_form.addRow(self.validation_caption, self._validation_row)

        form = QFormLayout()
        form.addRow("Format:", self.dialect_combo)
        form.addRow(self.bom_check)
        form.addRow(self.skip_unreadable)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel, self)
        self.export_button = buttons.addButton("Export", QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(files)
        summary_box = QGroupBox("Before writing", self)
        summary_layout = QVBoxLayout(summary_box)
        summary_layout.addWidget(self.summary_label)
        layout.addWidget(summary_box)
        layout.addWidget(buttons)

        self._paths_follow_dialect = True
        self.dialect_combo.currentIndexChanged.connect(self._dialect_changed)
        self.one_file.toggled.connect(self._mode_changed)
        self.skip_unreadable.toggled.connect(self._refresh_summary)
        self.path_edit.textEdited.connect(self._paths_edited)
        self.validation_edit.textEdited.connect(self._paths_edited)
        self._dialect_changed()
        self._mode_changed()

    def _with_browse(self, edit: QLineEdit) -> QWidget:
        row = QWidget(self)
        layout = QHBoxLayout(row)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(edit, 1)
        button = QPushButton("Browse…", row)
        button.clicked.connect(lambda: self._browse(edit))
        layout.addWidget(button)
        return row

    def _browse(self, edit: QLineEdit) -> None:
        name, _filter = QFileDialog.getSaveFileName(self, "Export to", edit.text(), JSONL_FILTER)
        if name:
            edit.setText(name)
            self._paths_edited()

    # -- choices -----------------------------------------------------------------------------------

    def dialect(self) -> Dialect:
        """The chosen format."""
        name = self.dialect_combo.currentData()
        return next(d for d in writable_dialects() if d.name == name)

    def set_dialect(self, name: str) -> None:
        """Choose a format by name."""
        self.dialect_combo.setCurrentIndex(max(0, self.dialect_combo.findData(name)))

    def set_separate(self, separate: bool) -> None:
        """One file or separate training and validation files."""
        (self.separate_files if separate else self.one_file).setChecked(True)

    def set_paths(self, path: Path, validation_path: Path | None = None) -> None:
        """Where to write (``validation_path`` for separate files)."""
        self.path_edit.setText(str(path))
        if validation_path is not None:
            self.validation_edit.setText(str(validation_path))
        self._paths_edited()

    def plan(self) -> ExportPlan:
        """The export the dialog describes."""
        separate = self.separate_files.isChecked()
        return ExportPlan(
            dialect=self.dialect(),
            bom=self.bom_check.isChecked(),
            path=Path(self.path_edit.text().strip()).expanduser(),
            validation_path=Path(self.validation_edit.text().strip()).expanduser() if separate else None,
            skip_unreadable=self.skip_unreadable.isChecked(),
        )

    def _paths_edited(self, *_args: object) -> None:
        self._paths_follow_dialect = False
        self._update_button()

    def _dialect_changed(self) -> None:
        if self._paths_follow_dialect:
            one, train, validation = default_paths(self._source, self.dialect())
            separate = self.separate_files.isChecked()
            self.path_edit.setText(str(train if separate else one))
            self.validation_edit.setText(str(validation))
        self._refresh_summary()

    def _mode_changed(self) -> None:
        separate = self.separate_files.isChecked()
        self.validation_caption.setVisible(separate)
        self._validation_row.setVisible(separate)
        self.path_caption.setText("Training file:" if separate else "File:")
        if self._paths_follow_dialect:
            self._dialect_changed()
        else:
            self._refresh_summary()

    def _update_button(self) -> None:
        plan_ok = bool(self.path_edit.text().strip()) and (
            not self.separate_files.isChecked() or bool(self.validation_edit.text().strip())
        )
        self.export_button.setEnabled(plan_ok and self.summary is not None)

    # -- the summary -------------------------------------------------------------------------------

    def _refresh_summary(self) -> None:
        dialect = self.dialect()
        separate = self.separate_files.isChecked()
        skip = self.skip_unreadable.isChecked()
        key = (dialect.name, separate, skip)
        if key == self._summary_key:
            return
        self._summary_key = key
        self.summary = None
        self._update_button()
        self.summary_label.setText("Working out what will be written…")
        if self._summary_task is not None:
            self._summary_task.cancel()
        snapshot = self._snapshot

        def work(_ctx: TaskContext) -> ExportSummary:
            return summarize_export(snapshot, dialect, separate=separate, skip_unreadable=skip)

        def done(summary: ExportSummary) -> None:
            if key != self._summary_key:
                return
            self._summary_task = None
            self.summary = summary
            self.summary_label.setText(describe_summary(summary, dialect, separate=separate, skip=skip))
            self._update_button()
            self.summaryReady.emit()

        self._summary_task = task_runner().run(work, on_done=done, description="")

    def accept(self) -> None:
        """Ask the tab to write the files, then close."""
        if self.summary is None:
            return
        self.exportRequested.emit(self.plan())
        super().accept()


def describe_summary(summary: ExportSummary, dialect: Dialect, *, separate: bool, skip: bool) -> str:
    """The text shown before writing: what goes where, and what the format cannot carry."""
    lines = []
    if separate:
        lines.append(
            f"Training file: {plural(summary.training + summary.unassigned, 'example')}"
            + (f" ({summary.unassigned:,} without a split)" if summary.unassigned else "")
            + f". Validation file: {plural(summary.validation, 'example')}."
        )
        if not summary.validation:
            lines.append("No example is marked for validation: use Split dataset… first.")
    else:
        lines.append(f"{plural(summary.examples, 'example')} in one file.")
    if summary.unreadable:
        if skip:
            lines.append(f"{plural(summary.unreadable, 'unreadable line')} will be left out.")
        else:
            lines.append(
                f"{plural(summary.unreadable, 'unreadable line')} will be copied as they are; "
                "the platforms reject a file with such lines."
            )
    if summary.losses:
        lines.append(f"{dialect.label} cannot carry:")
        for loss, count in sorted(summary.losses.items(), key=lambda item: -item[1]):
            kept = " — they stay in this dataset's notes file" if loss in APP_ONLY_FIELDS else ""
            lines.append(f"  • {loss} ({plural(count, 'example')}){kept}")
    else:
        lines.append(f"Nothing is lost: {dialect.label} carries everything in these examples.")
    return "\n".join(lines)
