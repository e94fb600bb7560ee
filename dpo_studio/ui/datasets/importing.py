"""Importing several files into the open dataset: read and detect off the GUI thread, append in one step."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from dpo_studio.core.dataset import Dataset, EntryKind, read_file_bytes
from dpo_studio.core.detect import Detection, detect_dialect
from dpo_studio.core.dialects import Dialect
from dpo_studio.core.errors import UserError
from dpo_studio.core.records import PreferenceRecord
from dpo_studio.ui.datasets.wording import plural
from dpo_studio.ui.errors import present_error
from dpo_studio.ui.tasks import TaskContext, TaskHandle, task_runner

if TYPE_CHECKING:
    from dpo_studio.ui.datasets.tab import DatasetsTab


@dataclass
class ImportedFile:
    """One file read for import."""

    path: Path
    detection: Detection | None = None
    dialect: Dialect | None = None
    records: list[PreferenceRecord] = field(default_factory=list)
    #: Lines that hold no example (unreadable JSON); they are not imported.
    skipped: int = 0
    #: Detection was unsure: the user must choose a format first.
    ask: bool = False
    error: UserError | None = None


def read_for_import(path: Path, dialect: Dialect | None = None) -> ImportedFile:
    """Read ``path`` (detecting its dialect unless given); unsure detection leaves the choice to the user."""
    result = ImportedFile(path)
    try:
        data = read_file_bytes(path)
    except UserError as error:
        result.error = error
        return result
    if dialect is None:
        result.detection = detect_dialect(data)
        if not result.detection.certain:
            result.ask = True
            return result
        dialect = result.detection.dialect
    result.dialect = dialect
    dataset = Dataset.from_bytes(data, dialect, path)
    for index, entry in enumerate(dataset.entries):
        if entry.kind is EntryKind.RECORD:
            record, _issues = dataset.parse_entry(index)
            if record is not None:
                result.records.append(record)
        elif entry.kind is EntryKind.UNREADABLE:
            result.skipped += 1
    return result


def import_files(
    tab: DatasetsTab, paths: Sequence[Path], dialects: Mapping[Path, Dialect] | None = None
) -> TaskHandle:
    """Append the examples of ``paths`` to the tab's document (one undo step for the files read at once)."""
    chosen = dict(dialects or {})

    def work(ctx: TaskContext) -> list[ImportedFile]:
        results = []
        for number, path in enumerate(paths):
            ctx.check_cancelled()
            ctx.progress(number, len(paths), path.name)
            results.append(read_for_import(path, chosen.get(path)))
        return results

    def done(results: list[ImportedFile]) -> None:
        session = tab.session
        records = [record for result in results for record in result.records]
        imported = [result for result in results if result.records]
        if records:
            names = ", ".join(result.path.name for result in imported)
            session.insert_records(
                len(session.document), records, f"Import {plural(len(records), 'example')} from {names}"
            )
        notes = [
            f"Imported {plural(len(result.records), 'example')} from {result.path.name}"
            for result in imported
        ]
        notes += [
            f"left out {plural(result.skipped, 'unreadable line')} of {result.path.name} "
            "(open that file to see and fix them)"
            for result in results
            if result.skipped
        ]
        notes += [
            f"{result.path.name} holds no examples"
            for result in results
            if result.dialect and not result.records
        ]
        if notes:
            tab.say("; ".join(notes) + ".")
        errors = [result.error for result in results if result.error is not None]
        if errors:
            message = " ".join(error.message for error in errors)
            present_error(tab, UserError(message, errors[0].hint), "Importing")
        for result in results:
            if result.ask and result.detection is not None:
                chooser = tab.dialect_chooser or tab.choose_dialect
                dialect = chooser(result.path, result.detection)
                if dialect is not None:
                    import_files(tab, [result.path], {result.path: dialect})

    def failed(error: BaseException) -> None:
        present_error(tab, error, "Importing")

    return task_runner().run(
        work, on_done=done, on_error=failed, description=f"Importing {plural(len(paths), 'file')}"
    )
