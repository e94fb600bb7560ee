"""What an export writes and what it loses, worked out off the GUI thread (no Qt here).

An export always writes JSON Lines (what the platforms and TRL read). In the dataset's own dialect
untouched records are copied byte for byte; in another dialect every record is converted by
``Dataset.to_bytes``. With separate files, examples marked ``validation`` go to the validation file
and every other example (training or unassigned) to the training file.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from dpo_studio.core.atomicfile import atomic_write_chunks
from dpo_studio.core.dataset import Dataset, Entry, EntryKind
from dpo_studio.core.dialects import Dialect
from dpo_studio.core.errors import UserError
from dpo_studio.core.records import VALIDATION
from dpo_studio.core.textfile import Container


@dataclass(frozen=True)
class ExportPlan:
    """What the user chose in the export dialog."""

    dialect: Dialect
    bom: bool
    path: Path
    #: Set for separate training and validation files (``path`` is then the training file).
    validation_path: Path | None = None
    skip_unreadable: bool = False

    @property
    def separate(self) -> bool:
        """Whether training and validation examples go to two files."""
        return self.validation_path is not None


@dataclass
class ExportSummary:
    """What will be written, and what the target dialect cannot carry (loss -> affected examples)."""

    examples: int = 0
    training: int = 0
    validation: int = 0
    unassigned: int = 0
    unreadable: int = 0
    losses: dict[str, int] = field(default_factory=dict)


def default_paths(source: Path | None, dialect: Dialect) -> tuple[Path, Path, Path]:
    """Suggested file names: one file, training file, validation file (next to the source)."""
    folder = source.parent if source is not None else Path.home()
    stem = source.stem if source is not None else "dataset"
    stem = stem.removesuffix(".jsonl")
    tag = dialect.name
    return (
        folder / f"{stem}.{tag}.jsonl",
        folder / f"{stem}.{tag}.train.jsonl",
        folder / f"{stem}.{tag}.validation.jsonl",
    )


def _parts(snapshot: Dataset, skip_unreadable: bool) -> tuple[list[Entry], list[Entry], ExportSummary]:
    """Entries for the training (or only) file and for the validation file, plus the counts."""
    summary = ExportSummary()
    training: list[Entry] = []
    validation: list[Entry] = []
    array = snapshot.layout.container is Container.JSON_ARRAY
    for index, entry in enumerate(snapshot.entries):
        if entry.kind is EntryKind.BLANK:
            continue
        if entry.kind is EntryKind.UNREADABLE:
            summary.unreadable += 1
            if not skip_unreadable:
                training.append(entry)
            continue
        record, _issues = snapshot.parse_entry(index)
        if record is None:
            continue
        summary.examples += 1
        if array and entry.record is None:
            # Elements of a JSON array may span several lines: write them again, one per line.
            entry = entry.with_record(record)
            entry.terminator = b"\n"
        if record.split == VALIDATION:
            summary.validation += 1
            validation.append(entry)
        else:
            summary.training += 1 if record.split else 0
            summary.unassigned += 0 if record.split else 1
            training.append(entry)
    return training, validation, summary


def _subset(snapshot: Dataset, entries: list[Entry]) -> Dataset:
    layout = replace(snapshot.layout, container=Container.JSONL, final_newline=True)
    return Dataset(dialect=snapshot.dialect, entries=entries, layout=layout, path=None)


def summarize_export(
    snapshot: Dataset, dialect: Dialect, *, separate: bool, skip_unreadable: bool = False
) -> ExportSummary:
    """Counts and conversion losses of exporting ``snapshot`` as ``dialect``."""
    training, validation, summary = _parts(snapshot, skip_unreadable)
    losses = _subset(snapshot, training + validation).conversion_losses(dialect)
    if separate:
        # The split is carried by which file an example is in.
        losses = {loss: count for loss, count in losses.items() if not loss.startswith("split")}
    summary.losses = losses
    return summary


def export_files(snapshot: Dataset, plan: ExportPlan) -> list[tuple[Path, Dataset]]:
    """The files an export writes and what goes into each (checked before anything is written)."""
    if not plan.dialect.writable:
        raise UserError(f"{plan.dialect.label} files can be read but not written.", "Choose another format.")
    training, validation, _summary = _parts(snapshot, plan.skip_unreadable)
    if plan.validation_path is None:
        return [(plan.path, _subset(snapshot, training + validation))]
    if plan.validation_path.resolve() == plan.path.resolve():
        raise UserError("The training and validation files must be different files.", "Choose another name.")
    return [(plan.path, _subset(snapshot, training)), (plan.validation_path, _subset(snapshot, validation))]


def write_export(
    snapshot: Dataset, plan: ExportPlan, progress: Callable[[str], None] | None = None
) -> list[Path]:
    """Write the export atomically (each file is complete or untouched); returns the paths written.

    Each file is written in blocks as it is produced, so a large export is never held in memory whole.
    """
    written = []
    for path, contents in export_files(snapshot, plan):
        if progress is not None:
            progress(path.name)
        atomic_write_chunks(path, contents.iter_bytes(plan.dialect, bom=plan.bom))
        written.append(path)
    return written
