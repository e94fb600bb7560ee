"""A preference dataset read from (and written back to) one file, losing nothing.

Every physical line becomes an :class:`Entry`: a record, a blank line, or an unreadable line. Entries
keep their original bytes, and records are parsed from them on demand, so a 100k-pair file costs little
more memory than its size. A record that was edited (or added) holds its :class:`PreferenceRecord`
and is serialised again on save; every other entry is written back byte for byte.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path

import orjson

from dpo_studio.core.dialects import Dialect, get_dialect
from dpo_studio.core.errors import UserError
from dpo_studio.core.findings import Finding, Issue, Severity
from dpo_studio.core.records import PreferenceRecord
from dpo_studio.core.textfile import (
    BOM,
    Container,
    FileLayout,
    detect_layout,
    split_array,
    split_lines,
)


class EntryKind(IntEnum):
    """What a physical line of the file holds."""

    RECORD = 0
    BLANK = 1
    UNREADABLE = 2


@dataclass(slots=True)
class Entry:
    """One line of the file (or one element of a JSON array).

    ``raw`` is the exact source bytes without the line terminator (``None`` for a record created in
    the app). ``record`` is set once the record was edited or created, and then wins over ``raw``.
    """

    kind: EntryKind
    raw: bytes | None = None
    line: int = 0
    terminator: bytes = b"\n"
    record: PreferenceRecord | None = None
    #: For unreadable lines: (column, message) of the read error.
    error: tuple[int, str] | None = None

    @property
    def edited(self) -> bool:
        """Whether this entry must be serialised again rather than copied."""
        return self.record is not None


class DatasetReadError(UserError):
    """The file as a whole cannot be read (missing, a directory, not readable)."""


@dataclass
class Dataset:
    """A list of entries plus the dialect and byte layout they were read with."""

    dialect: Dialect
    entries: list[Entry] = field(default_factory=list)
    layout: FileLayout = field(default_factory=FileLayout)
    path: Path | None = None
    #: Problems found while reading the file as a whole (e.g. a broken JSON array).
    file_findings: list[Finding] = field(default_factory=list)

    # -- reading -------------------------------------------------------------------------------

    @classmethod
    def from_bytes(cls, data: bytes, dialect: Dialect, path: Path | None = None) -> Dataset:
        """Split ``data`` into entries for ``dialect`` (records are parsed lazily)."""
        layout = detect_layout(data)
        dataset = cls(dialect=dialect, layout=layout, path=path)
        if layout.container is Container.JSON_ARRAY:
            dataset._read_array(data)
        else:
            for raw_line in split_lines(data, layout):
                dataset.entries.append(_classify(raw_line.raw, raw_line.line, raw_line.terminator))
        return dataset

    @classmethod
    def open(cls, path: str | Path, dialect: Dialect | str | None = None) -> Dataset:
        """Read a file, detecting its dialect unless one is given."""
        from dpo_studio.core.detect import detect_dialect

        file_path = Path(path)
        data = read_file_bytes(file_path)
        if dialect is None:
            chosen = detect_dialect(data).dialect
        elif isinstance(dialect, str):
            chosen = get_dialect(dialect)
        else:
            chosen = dialect
        return cls.from_bytes(data, chosen, file_path)

    def _read_array(self, data: bytes) -> None:
        body = data[len(BOM) :] if self.layout.bom else data
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError as error:
            self.file_findings.append(
                Finding(
                    "DPO001",
                    Severity.ERROR,
                    f"The JSON array file is not valid UTF-8 (byte {error.start}); save it as UTF-8.",
                )
            )
            return
        elements, problem = split_array(text)
        for element in elements:
            raw = orjson.dumps(element.value)
            self.entries.append(Entry(EntryKind.RECORD, raw, element.line, b"\n"))
        if problem is not None:
            line, column, message = problem
            self.file_findings.append(
                Finding("DPO001", Severity.ERROR, f"The JSON array is broken: {message}.", None, line, column)
            )

    # -- access --------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.entries)

    def record_indices(self) -> list[int]:
        """Indices of the entries that hold records (blank and unreadable lines excluded)."""
        return [i for i, entry in enumerate(self.entries) if entry.kind is EntryKind.RECORD]

    def record(self, index: int) -> PreferenceRecord:
        """The record at entry ``index`` (parsed on demand; edits are returned as stored)."""
        entry = self.entries[index]
        if entry.record is not None:
            return entry.record
        if entry.kind is not EntryKind.RECORD or entry.raw is None:
            raise ValueError(f"entry {index} holds no record")
        record, _issues = self.dialect.parse(orjson.loads(entry.raw))
        return record

    def parse_entry(self, index: int) -> tuple[PreferenceRecord | None, list[Issue]]:
        """The record at ``index`` and the dialect's structural issues with its source object."""
        entry = self.entries[index]
        if entry.record is not None:
            return entry.record, []
        if entry.kind is not EntryKind.RECORD or entry.raw is None:
            return None, []
        return self.dialect.parse(orjson.loads(entry.raw))

    def iter_records(self) -> Iterator[tuple[int, PreferenceRecord]]:
        """Every (entry index, record) pair, parsing lazily."""
        for index, entry in enumerate(self.entries):
            if entry.kind is EntryKind.RECORD:
                yield index, self.record(index)

    def read_findings(self) -> list[Finding]:
        """Findings about lines that could not be read at all; the lines themselves are kept."""
        found = list(self.file_findings)
        for index, entry in enumerate(self.entries):
            if entry.kind is EntryKind.UNREADABLE and entry.error is not None:
                column, message = entry.error
                found.append(Finding("DPO001", Severity.ERROR, message, index, entry.line, column))
        return found

    @property
    def dirty(self) -> bool:
        """Whether anything would be written differently from the source bytes."""
        return any(entry.edited for entry in self.entries) or self.path is None

    # -- editing -------------------------------------------------------------------------------

    def set_record(self, index: int, record: PreferenceRecord) -> None:
        """Replace the record at ``index`` (an unreadable line becomes a record)."""
        entry = self.entries[index]
        entry.kind = EntryKind.RECORD
        entry.record = record
        entry.error = None

    def insert_record(self, index: int, record: PreferenceRecord) -> None:
        """Insert a new record before entry ``index``."""
        self.entries.insert(index, Entry(EntryKind.RECORD, None, 0, self.layout.newline, record))

    def append_record(self, record: PreferenceRecord) -> int:
        """Add a record at the end; returns its entry index."""
        self.entries.append(Entry(EntryKind.RECORD, None, 0, self.layout.newline, record))
        return len(self.entries) - 1

    def remove(self, index: int) -> Entry:
        """Remove and return entry ``index``."""
        return self.entries.pop(index)

    # -- writing -------------------------------------------------------------------------------

    def to_bytes(self, dialect: Dialect | None = None, *, bom: bool | None = None) -> bytes:
        """Serialise the dataset. In its own dialect, untouched entries are copied byte for byte.

        In another dialect every record is converted (check :meth:`conversion_losses` first);
        unreadable lines are still written as they were so nothing is lost silently.
        """
        target = dialect or self.dialect
        same = target.name == self.dialect.name
        if not target.writable:
            raise ValueError(f"{target.label} files can be read but not written")
        layout = self.layout
        if same and layout.container is Container.JSON_ARRAY and not self.dirty and self.path is not None:
            return read_file_bytes(self.path)
        newline = layout.newline
        option = 0 if layout.compact else None
        parts: list[bytes] = []
        use_bom = layout.bom if bom is None else bom
        if use_bom:
            parts.append(BOM)
        last = len(self.entries) - 1
        for position, entry in enumerate(self.entries):
            if same and not entry.edited and entry.raw is not None and layout.container is Container.JSONL:
                body = entry.raw
            elif entry.kind is EntryKind.RECORD:
                record = entry.record if entry.record is not None else self.record(position)
                body = dump_json(target.to_json(record), compact=option == 0)
            elif entry.raw is not None:
                body = entry.raw
            else:
                continue
            parts.append(body)
            terminator = entry.terminator if same and layout.container is Container.JSONL else newline
            if position == last:
                if layout.final_newline or not same:
                    terminator = terminator or newline
                else:
                    terminator = b""
            elif not terminator:
                terminator = newline
            parts.append(terminator)
        return b"".join(parts)

    def conversion_losses(self, target: Dialect) -> dict[str, int]:
        """What writing in ``target`` cannot carry: a count of affected records per kind of loss."""
        counts: dict[str, int] = {}
        for _index, record in self.iter_records():
            for loss in target.losses(record):
                counts[loss] = counts.get(loss, 0) + 1
        return counts


def dump_json(value: object, *, compact: bool = False) -> bytes:
    """Serialise one JSON value on one line, non-ASCII kept as UTF-8 (like ``ensure_ascii=False``)."""
    if compact:
        return orjson.dumps(value)
    import json

    return json.dumps(value, ensure_ascii=False).encode("utf-8")


def read_file_bytes(path: Path) -> bytes:
    """Read a whole file, turning OS errors into one plain sentence."""
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise DatasetReadError(f"No file at {path}. Check the path and try again.") from None
    except IsADirectoryError:
        raise DatasetReadError(f"{path} is a folder, not a file. Choose a .jsonl or .json file.") from None
    except PermissionError:
        raise DatasetReadError(f"{path} cannot be read: permission denied.") from None
    except OSError as error:
        raise DatasetReadError(f"{path} cannot be read: {error.strerror or error}.") from None


def _classify(raw: bytes, line: int, terminator: bytes) -> Entry:
    """Decide whether a physical line is blank, a readable JSON value, or unreadable."""
    if not raw.strip():
        return Entry(EntryKind.BLANK, raw, line, terminator)
    try:
        orjson.loads(raw)
    except orjson.JSONDecodeError as error:
        return Entry(EntryKind.UNREADABLE, raw, line, terminator, error=_describe_json_error(raw, error))
    return Entry(EntryKind.RECORD, raw, line, terminator)


def _describe_json_error(raw: bytes, error: orjson.JSONDecodeError) -> tuple[int, str]:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        column = len(raw[: bad.start].decode("utf-8", errors="replace")) + 1
        return column, f"The line is not valid UTF-8 (byte {bad.start + 1}); it was kept as it is."
    column = error.colno or 1
    return column, f"The line is not valid JSON: {error.msg}."
