"""Notes and tags (the "flagged" mark is a tag) kept next to a dataset in ``<file>.dpo-studio.json``.

No preference file dialect has a place for the editor's notes and tags, so the app keeps them in a small,
human-readable JSON sidecar beside the data file. Each annotated example is found again by a content
hash of its prompt and answers (so reordering lines or editing other examples in a text editor keeps the
notes attached), with its line number deciding between identical examples. Annotations whose example is
gone (changed outside the app) are kept in the sidecar as ``unmatched`` rather than dropped.

The sidecar is written by :meth:`Document.save` (also Save As, which writes it next to the new file);
it is deleted when there is nothing to keep. Exports do not carry it: the export dialog still names
notes and tags as what the exported file loses.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from dpo_studio.core.atomicfile import atomic_write_bytes
from dpo_studio.core.dataset import Dataset, EntryKind
from dpo_studio.core.errors import UserError
from dpo_studio.core.records import PreferenceRecord

SUFFIX = ".dpo-studio.json"
FORMAT = "dpo-studio-annotations"
VERSION = 1
#: What an unreadable sidecar is renamed to when the dataset is saved (so it is never overwritten).
BROKEN_SUFFIX = ".broken"

#: Record fields that live only in the app (and in the sidecar), never in a data file.
APP_ONLY_FIELDS = ("notes", "tags")


class SidecarError(UserError):
    """The sidecar file exists but cannot be read."""


@dataclass(frozen=True, slots=True)
class Annotation:
    """The app-only fields of one example."""

    notes: str = ""
    tags: tuple[str, ...] = ()

    @classmethod
    def of(cls, record: PreferenceRecord) -> Annotation:
        """The annotation a record carries."""
        return cls(record.notes, tuple(record.tags))

    def __bool__(self) -> bool:
        return bool(self.notes or self.tags)

    def apply(self, record: PreferenceRecord) -> None:
        """Put these notes and tags on ``record``."""
        record.notes = self.notes
        record.tags = list(self.tags)


@dataclass(frozen=True, slots=True)
class StoredAnnotation:
    """One sidecar entry: which example (content key, 1-based line or array element) and its annotation."""

    key: str
    line: int
    annotation: Annotation


def sidecar_path(path: str | Path) -> Path:
    """Where the notes and tags of the data file ``path`` are kept."""
    data_path = Path(path)
    return data_path.with_name(data_path.name + SUFFIX)


def example_key(record: PreferenceRecord) -> str:
    """A hash of the example's prompt and answers (not its notes, tags, split or metadata)."""
    content = orjson.dumps([record.context, record.preferred, record.rejected], option=orjson.OPT_SORT_KEYS)
    return hashlib.sha256(content).hexdigest()[:32]


def without_app_fields(record: PreferenceRecord) -> PreferenceRecord:
    """A copy of ``record`` with no notes and tags (what a data file can hold of it)."""
    copy = record.clone()
    copy.notes = ""
    copy.tags = []
    return copy


# -- collecting and attaching ---------------------------------------------------------------------


def collect(dataset: Dataset) -> list[StoredAnnotation]:
    """The annotations of a dataset's examples, positioned as the dataset would be written in its dialect.

    Only edited entries can hold notes or tags (a data file never does), so this costs nothing for the
    untouched lines of a large file.
    """
    found: list[StoredAnnotation] = []
    for index, entry in enumerate(dataset.entries):
        record = entry.record
        if record is None or entry.kind is not EntryKind.RECORD:
            continue
        annotation = Annotation.of(record)
        if annotation:
            found.append(StoredAnnotation(example_key(record), index + 1, annotation))
    return found


def attach(dataset: Dataset, stored: Sequence[StoredAnnotation]) -> list[StoredAnnotation]:
    """Put stored annotations on the examples they belong to; returns those whose example is gone.

    An annotation first tries the example at its own line (the usual case: one parse per annotation);
    the others are matched by content key over the whole file, the nearest line winning among identical
    examples. An annotated entry holds its record (``entry.record``) like an edited one; saving writes
    such a line back byte for byte when only its notes or tags differ (see ``Document.save``).
    """
    entries = dataset.entries
    claimed: set[int] = set()
    keys: dict[int, str] = {}

    def key_at(index: int) -> str | None:
        if index not in keys:
            entry = entries[index]
            if entry.kind is not EntryKind.RECORD:
                return None
            try:
                record, _issues = dataset.parse_entry(index)
            except (orjson.JSONDecodeError, TypeError, ValueError):
                return None
            if record is None:
                return None
            keys[index] = example_key(record)
        return keys[index]

    placed: dict[int, Annotation] = {}
    pending: list[StoredAnnotation] = []
    for item in stored:
        index = item.line - 1
        if 0 <= index < len(entries) and index not in claimed and key_at(index) == item.key:
            claimed.add(index)
            placed[index] = item.annotation
        else:
            pending.append(item)
    unmatched: list[StoredAnnotation] = []
    if pending:
        by_key: dict[str, list[int]] = {}
        for index in range(len(entries)):
            if index in claimed:
                continue
            key = key_at(index)
            if key is not None:
                by_key.setdefault(key, []).append(index)
        for item in pending:
            candidates = [index for index in by_key.get(item.key, []) if index not in claimed]
            if not candidates:
                unmatched.append(item)
                continue
            index = min(candidates, key=lambda position: abs(position + 1 - item.line))
            claimed.add(index)
            placed[index] = item.annotation
    for index, annotation in placed.items():
        record = dataset.record(index).clone()
        annotation.apply(record)
        entries[index].record = record
    return unmatched


# -- the file ---------------------------------------------------------------------------------------


def _item_data(item: StoredAnnotation) -> dict[str, Any]:
    data: dict[str, Any] = {"key": item.key, "line": item.line}
    if item.annotation.notes:
        data["notes"] = item.annotation.notes
    if item.annotation.tags:
        data["tags"] = list(item.annotation.tags)
    return data


def encode(
    data_file: Path, items: Sequence[StoredAnnotation], unmatched: Sequence[StoredAnnotation]
) -> bytes:
    """The sidecar's bytes: indented JSON, readable and diffable."""
    value: dict[str, Any] = {
        "format": FORMAT,
        "version": VERSION,
        "about": (
            f"Notes and tags DPO Studio keeps for {data_file.name}, which cannot hold them itself. "
            "Examples are found by a hash of their prompt and answers ('key'), then by 'line'."
        ),
        "examples": [_item_data(item) for item in items],
    }
    if unmatched:
        value["unmatched"] = [_item_data(item) for item in unmatched]
    return (json.dumps(value, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _parse_items(values: Any, where: Path) -> list[StoredAnnotation]:
    if not isinstance(values, list):
        raise ValueError("'examples' is not a list")
    items = []
    for value in values:
        if not isinstance(value, dict) or not isinstance(value.get("key"), str):
            raise ValueError("an example has no 'key'")
        line = value.get("line", 0)
        notes = value.get("notes", "")
        tags = value.get("tags", [])
        if not isinstance(line, int) or not isinstance(notes, str):
            raise ValueError("an example's 'line' or 'notes' has the wrong type")
        if not isinstance(tags, list) or not all(isinstance(tag, str) for tag in tags):
            raise ValueError("an example's 'tags' is not a list of texts")
        items.append(StoredAnnotation(value["key"], line, Annotation(notes, tuple(tags))))
    return items


def read(data_file: str | Path) -> tuple[list[StoredAnnotation], list[StoredAnnotation]]:
    """The annotations stored for ``data_file`` and the unmatched ones (both empty without a sidecar).

    Raises :class:`SidecarError` when the sidecar exists but cannot be read.
    """
    path = sidecar_path(data_file)
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        return [], []
    except OSError as error:
        raise SidecarError(
            f"The notes and tags of {Path(data_file).name} could not be read ({error.strerror or error}).",
            f"They are in {path.name}; the dataset opened without them.",
        ) from None
    try:
        value = json.loads(data.decode("utf-8"))
        if not isinstance(value, dict) or value.get("format") != FORMAT:
            raise ValueError("it is not a DPO Studio notes file")
        if not isinstance(value.get("version"), int) or value["version"] > VERSION:
            raise ValueError("it was written by a newer DPO Studio")
        return _parse_items(value.get("examples", []), path), _parse_items(value.get("unmatched", []), path)
    except (UnicodeDecodeError, ValueError) as error:
        raise SidecarError(
            f"The notes and tags file {path.name} cannot be read: {error}.",
            f"The dataset opened without its notes and tags. When you save, the file is kept as "
            f"{path.name}{BROKEN_SUFFIX} so nothing in it is lost.",
        ) from None


def write(
    data_file: str | Path,
    items: Sequence[StoredAnnotation],
    unmatched: Sequence[StoredAnnotation] = (),
    *,
    keep_broken: bool = False,
) -> Path | None:
    """Write (atomically) or delete the sidecar of ``data_file``; returns its path when one was written.

    With ``keep_broken`` an existing (unreadable) sidecar is first renamed to ``...json.broken``.
    Failure raises :class:`UserError` saying the notes and tags were not saved.
    """
    target = Path(data_file)
    path = sidecar_path(target)
    try:
        if keep_broken and path.exists():
            os.replace(path, path.with_name(path.name + BROKEN_SUFFIX))
        if not items and not unmatched:
            # Nothing to keep: no sidecar (and no write at all when there is none, e.g. on a read-only disk).
            if path.exists():
                path.unlink()
            return None
        atomic_write_bytes(path, encode(target, items, unmatched))
    except UserError as error:
        raise UserError(
            f"Nothing was saved: the notes and tags could not be written to {path.name}. {error.message}",
            "Use Save As to save into a folder you can write to; your edits, notes and tags are all kept.",
        ) from None
    except OSError as error:
        raise UserError(
            f"Nothing was saved: the notes and tags file {path.name} could not be changed "
            f"({error.strerror or error}).",
            "Use Save As to save into a folder you can write to; your edits, notes and tags are all kept.",
        ) from None
    return path
