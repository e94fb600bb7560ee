"""A preference dataset read from (and written back to) one file, losing nothing.

Every physical line becomes an :class:`Entry`: a record, a blank line, or an unreadable line. Entries
keep their original bytes (a view into the file's bytes after reading, packed with zstd once
:meth:`Dataset.pack` ran: about a quarter of the file), and records are parsed from them on demand. A
record that was edited (or added) holds its :class:`PreferenceRecord` and is serialised again on save;
every other entry is written back byte for byte.
"""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from enum import IntEnum
from pathlib import Path
from typing import Any

import orjson

from dpo_studio.core.dialects import Dialect, get_dialect
from dpo_studio.core.errors import UserError
from dpo_studio.core.findings import Finding, Issue, Severity
from dpo_studio.core.packing import PACK_THRESHOLD, SAMPLE_LINES, LineCodec, PackedLine
from dpo_studio.core.records import PreferenceRecord
from dpo_studio.core.textfile import (
    BOM,
    Container,
    FileLayout,
    detect_array_indent,
    detect_layout,
    split_array,
    unsupported_encoding,
)


class EntryKind(IntEnum):
    """What a physical line of the file holds."""

    RECORD = 0
    BLANK = 1
    UNREADABLE = 2


class Entry:
    """One line of the file (or one element of a JSON array).

    ``raw`` is the exact source bytes without the line terminator (``None`` for a record created in
    the app). ``record`` is set once the record was edited or created, and then wins over ``raw``.

    Right after reading, a record's source bytes are a view into the file's bytes (no copy); a large
    file's dataset then packs them (:meth:`Dataset.pack`, :mod:`core.packing`) and ``raw`` unpacks them
    when read. Packing swaps one attribute, so readers on other threads always see a whole state.
    """

    __slots__ = ("_data", "error", "kind", "line", "record", "terminator")

    def __init__(
        self,
        kind: EntryKind,
        raw: bytes | memoryview | None = None,
        line: int = 0,
        terminator: bytes = b"\n",
        record: PreferenceRecord | None = None,
        error: tuple[int, str] | None = None,
    ) -> None:
        self.kind = kind
        self._data = raw
        self.line = line
        self.terminator = terminator
        self.record = record
        #: For unreadable lines: (column, message) of the read error.
        self.error = error

    @property
    def raw(self) -> bytes | None:
        """The exact source bytes (without the line terminator), or ``None`` for a new record."""
        data = self._data
        if data is None or type(data) is bytes:
            return data
        if isinstance(data, PackedLine):
            return data.unpack()
        return bytes(data)

    @property
    def source(self) -> bytes | memoryview | None:
        """The source bytes for parsing: like :attr:`raw`, but a view into the file is not copied."""
        data = self._data
        return data.unpack() if isinstance(data, PackedLine) else data

    @property
    def has_source(self) -> bool:
        """Whether the entry has source bytes (``raw is not None``, without unpacking them)."""
        return self._data is not None

    @property
    def raw_size(self) -> int:
        """``len(raw)`` (0 without source bytes), without unpacking or copying them."""
        data = self._data
        if data is None:
            return 0
        return data.size if isinstance(data, PackedLine) else len(data)

    @property
    def stored_size(self) -> int:
        """How many bytes the source bytes take in memory (packed or not)."""
        return 0 if self._data is None else len(self._data)

    @property
    def packed(self) -> bool:
        """Whether the source bytes are kept compressed."""
        return isinstance(self._data, PackedLine)

    @property
    def edited(self) -> bool:
        """Whether this entry must be serialised again rather than copied."""
        return self.record is not None

    def adopt_packed(self, packed: PackedLine) -> None:
        """Keep ``packed``, this entry's source bytes compressed (for :meth:`Dataset.pack` only)."""
        if self._data is not None and not isinstance(self._data, PackedLine):
            self._data = packed

    def with_record(self, record: PreferenceRecord | None) -> Entry:
        """A new entry with the same source bytes, position and terminator that holds ``record``.

        With a record it is a record entry (an unreadable line that was fixed becomes one); with
        ``None`` it is the source line again, as read.
        """
        kind = EntryKind.RECORD if record is not None or self.kind is EntryKind.RECORD else self.kind
        data = self._data
        # A view would keep the whole file's bytes alive for as long as the edit is on the undo stack.
        source = bytes(data) if isinstance(data, memoryview) else data
        return Entry(
            kind, source, self.line, self.terminator, record, None if record is not None else self.error
        )

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Entry):
            return NotImplemented
        return (
            self.kind == other.kind
            and self.raw == other.raw
            and self.line == other.line
            and self.terminator == other.terminator
            and self.record == other.record
            and self.error == other.error
        )

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by value like the dataclass it was

    def __repr__(self) -> str:
        size = f"{self.stored_size} bytes{' packed' if self.packed else ''}"
        return f"Entry({self.kind.name}, line {self.line}, {size}, edited={self.edited})"


#: How many lines :meth:`Dataset.pack` compresses per call (it checks for cancellation in between).
PACK_BATCH = 10_000

#: Called as ``visit(entry index, entry, parsed JSON value)`` for each record entry while a file is read.
RecordVisitor = Callable[[int, Entry, Any], None]


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
    _codec: LineCodec | None = field(default=None, repr=False, compare=False)
    _pack_lock: threading.Lock = field(default_factory=threading.Lock, repr=False, compare=False)

    # -- reading -------------------------------------------------------------------------------

    @classmethod
    def from_bytes(
        cls,
        data: bytes,
        dialect: Dialect,
        path: Path | None = None,
        *,
        on_record: RecordVisitor | None = None,
    ) -> Dataset:
        """Split ``data`` into entries for ``dialect`` (records are parsed lazily).

        The dialect is set up to write new records the way this file writes its records
        (:meth:`Dialect.follow_style`), e.g. a TRL file without ``prompt`` stays without.
        ``on_record(index, entry, value)`` is called with each record entry's parsed JSON value as it
        is read, so a caller that needs every record (validation) does not parse the file twice.
        """
        layout = detect_layout(data)
        dataset = cls(dialect=dialect, layout=layout, path=path)
        body = data[len(BOM) :] if layout.bom else data
        with _gc_paused():
            if layout.container is Container.JSON_ARRAY:
                dataset._read_array(body, on_record)
            else:
                dataset._read_lines(body, on_record)
        dataset.dialect = dialect.follow_style(dataset._sample_values())
        problem = unsupported_encoding(data)
        if problem is not None:
            dataset.file_findings.append(Finding("DPO001", Severity.ERROR, problem))
        return dataset

    @classmethod
    def open(
        cls, path: str | Path, dialect: Dialect | str | None = None, *, on_record: RecordVisitor | None = None
    ) -> Dataset:
        """Read a file, detecting its dialect unless one is given (by name or as a dialect).

        ``on_record`` is passed to :meth:`from_bytes`.
        """
        from dpo_studio.core.detect import detect_dialect

        file_path = Path(path)
        data = read_file_bytes(file_path)
        if dialect is None:
            chosen = detect_dialect(data).dialect
        elif isinstance(dialect, str):
            chosen = get_dialect(dialect)
        else:
            chosen = dialect
        return cls.from_bytes(data, chosen, file_path, on_record=on_record)

    def _read_lines(self, body: bytes, on_record: RecordVisitor | None = None) -> None:
        # One orjson parse per line, straight from the file's buffer: records keep a view into it, so
        # opening copies nothing (a list of lines would double the memory while opening). A line is
        # checked for blankness only when it does not parse. See pack() for large files.
        view = memoryview(body)
        find = body.find
        append = self.entries.append
        loads = orjson.loads
        record, blank, unreadable = EntryKind.RECORD, EntryKind.BLANK, EntryKind.UNREADABLE
        size = len(body)
        position = 0
        number = 0
        while position < size:
            number += 1
            end = find(b"\n", position)
            if end < 0:
                # The last line has no line end; a "\r" there is part of its bytes, not a line end.
                end = stop = size
                terminator = b""
            elif end > position and body[end - 1] == 13:
                stop = end - 1
                terminator = b"\r\n"
            else:
                stop = end
                terminator = b"\n"
            line = view[position:stop]
            position = end + 1
            try:
                value = loads(line)
            except orjson.JSONDecodeError as error:
                raw = bytes(line)
                if raw.strip():
                    append(Entry(unreadable, raw, number, terminator, error=_describe_json_error(raw, error)))
                else:
                    append(Entry(blank, raw, number, terminator))
                continue
            entry = Entry(record, line, number, terminator)
            append(entry)
            if on_record is not None:
                on_record(len(self.entries) - 1, entry, value)
        self.layout.final_newline = not (self.entries and not body.endswith(b"\n"))

    def _read_array(self, body: bytes, on_record: RecordVisitor | None = None) -> None:
        # surrogateescape keeps invalid UTF-8 bytes as they are, so one bad element does not make the
        # whole file unreadable and its bytes can be written back unchanged.
        text = body.decode("utf-8", errors="surrogateescape")
        elements, problem = split_array(text, keep_values=False)
        layout = self.layout
        if elements:
            first_start = elements[0].start
        else:  # empty array: split_array saw only whitespace between '[' and ']' (or a problem)
            first_start = problem.offset if problem else text.find("]", text.find("[") + 1)
        layout.array_head = _encode(text[: max(first_start, 0)])
        separators: dict[bytes, int] = {}
        for position, element in enumerate(elements):
            piece = text[element.start : element.end]
            if position + 1 < len(elements):
                separator = _encode(text[element.end : elements[position + 1].start])
                separators[separator] = separators.get(separator, 0) + 1
            elif problem is not None:
                separator = _encode(text[element.end : problem.offset])
            else:
                separator = b""
            raw = _encode(piece)
            try:
                # Checked with orjson, which the records are parsed with later: it rejects what Python's
                # decoder lets through (invalid UTF-8, NaN, lone surrogates).
                value = orjson.loads(raw)
            except orjson.JSONDecodeError as bad:
                _column, message = _describe_json_error(raw, bad)
                message = message.replace("The line", "The element starting here", 1)
                self.entries.append(
                    Entry(EntryKind.UNREADABLE, raw, element.line, separator, error=(element.column, message))
                )
                continue
            entry = Entry(EntryKind.RECORD, raw, element.line, separator)
            self.entries.append(entry)
            if on_record is not None:
                on_record(len(self.entries) - 1, entry, value)
        if separators:
            layout.array_separator = max(separators, key=lambda sep: separators[sep])
        if problem is not None:
            rest = _encode(text[problem.offset :])
            message = f"The JSON array cannot be read from here on ({problem.message}); the rest is kept."
            if rest:
                where = (problem.column, message)
                self.entries.append(Entry(EntryKind.UNREADABLE, rest, problem.line, b"", error=where))
            else:
                self.file_findings.append(
                    Finding("DPO001", Severity.ERROR, message, None, problem.line, problem.column)
                )
            layout.array_tail = b""
        else:
            last_end = elements[-1].end if elements else max(first_start, 0)
            layout.array_tail = _encode(text[last_end:])
            closing = text.index("]", last_end) + 1
            after = text[closing:]
            if after.strip():
                line = text.count("\n", 0, closing + len(after) - len(after.lstrip())) + 1
                self.file_findings.append(
                    Finding(
                        "DPO001",
                        Severity.ERROR,
                        "There is text after the JSON array's closing ']'; it is kept as it is.",
                        None,
                        line,
                    )
                )
        layout.array_indent = detect_array_indent(text, elements[0] if elements else None)

    def _sample_values(self, limit: int = 200) -> list[object]:
        values: list[object] = []
        for entry in self.entries:
            source = entry.source
            if entry.kind is EntryKind.RECORD and source is not None:
                values.append(orjson.loads(source))
                if len(values) >= limit:
                    break
        return values

    def pack(self, cancelled: Callable[[], bool] | None = None) -> int:
        """Keep the records' source bytes compressed once they add up to :data:`PACK_THRESHOLD` or more.

        Meant for a background thread after a large file is opened: it takes about 6 microseconds a
        line, and entries stay readable (and editable) from any thread meanwhile. Stops early when
        ``cancelled()`` turns true. Returns how many entries were packed.
        """
        with self._pack_lock:
            todo = [
                entry
                for entry in list(self.entries)
                if entry.kind is EntryKind.RECORD and entry.stored_size and not entry.packed
            ]
            if sum(entry.stored_size for entry in todo) < PACK_THRESHOLD:
                return 0
            if self._codec is None:
                step = max(1, len(todo) // SAMPLE_LINES)
                samples = [entry.source for entry in todo[::step]]
                self._codec = LineCodec.train([sample for sample in samples if sample is not None])
            codec = self._codec
            if codec is None:
                return 0
            done = 0
            for start in range(0, len(todo), PACK_BATCH):
                if cancelled is not None and cancelled():
                    break
                batch = todo[start : start + PACK_BATCH]
                sources = [entry.source for entry in batch]
                for entry, packed in zip(
                    batch, codec.pack_many([s for s in sources if s is not None]), strict=True
                ):
                    entry.adopt_packed(packed)
                done += len(batch)
            return done

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
        source = entry.source
        if entry.kind is not EntryKind.RECORD or source is None:
            raise ValueError(f"entry {index} holds no record")
        record, _issues = self.dialect.parse(orjson.loads(source))
        return record

    def parse_entry(self, index: int) -> tuple[PreferenceRecord | None, list[Issue]]:
        """The record at ``index`` and the dialect's structural issues with its source object."""
        entry = self.entries[index]
        return self.parse_source(entry, None if entry.record is not None else entry.source)

    def parse_source(
        self, entry: Entry, source: bytes | memoryview | None
    ) -> tuple[PreferenceRecord | None, list[Issue]]:
        """:meth:`parse_entry` for an entry whose source bytes were read already (:func:`iter_sources`)."""
        if entry.record is not None:
            return entry.record, []
        if entry.kind is not EntryKind.RECORD or source is None:
            return None, []
        return self.dialect.parse(orjson.loads(source))

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
        self.entries.insert(index, Entry(EntryKind.RECORD, None, 0, self._new_terminator(), record))

    def append_record(self, record: PreferenceRecord) -> int:
        """Add a record at the end; returns its entry index."""
        self.entries.append(Entry(EntryKind.RECORD, None, 0, self._new_terminator(), record))
        return len(self.entries) - 1

    def _new_terminator(self) -> bytes:
        # Array elements get their separators when written; lines end with the file's newline.
        return b"" if self.layout.container is Container.JSON_ARRAY else self.layout.newline

    def remove(self, index: int) -> Entry:
        """Remove and return entry ``index``."""
        return self.entries.pop(index)

    # -- writing -------------------------------------------------------------------------------

    def to_bytes(self, dialect: Dialect | None = None, *, bom: bool | None = None) -> bytes:
        """Serialise the dataset. In its own dialect, untouched entries are copied byte for byte.

        In its own dialect the file keeps its layout (JSON array or JSON Lines, newline style, blank
        lines, unreadable lines). In another dialect every record is converted (check
        :meth:`conversion_losses` first) and written as JSON Lines; blank lines are dropped, and
        unreadable lines and JSON values that are not objects are written as they were, so nothing
        is lost silently. A read-only dialect can be written back only while no record was edited
        (a plain copy).
        """
        return b"".join(self.iter_bytes(dialect, bom=bom))

    def iter_bytes(
        self, dialect: Dialect | None = None, *, bom: bool | None = None, block: int = 1 << 20
    ) -> Iterator[bytes]:
        """:meth:`to_bytes` in blocks of about ``block`` bytes, for writing a large file without holding
        it (or every unpacked line of it) in memory at once."""
        target = dialect or self.dialect
        same = target.name == self.dialect.name
        if not target.writable and not (same and not any(entry.edited for entry in self.entries)):
            raise ValueError(f"{target.label} files can be read but not written")
        use_bom = self.layout.bom if bom is None else bom
        if same and self.layout.container is Container.JSON_ARRAY:
            parts = self._array_parts(target)
        elif same:
            parts = self._native_lines_parts(target)
        else:
            parts = self._converted_lines_parts(target)
        pending: list[bytes | memoryview] = [BOM] if use_bom else []
        size = 0
        for part in parts:
            pending.append(part)
            size += len(part)
            if size >= block:
                yield b"".join(pending)
                pending.clear()
                size = 0
        if pending or size:
            yield b"".join(pending)

    def _serialise(self, index: int, target: Dialect) -> bytes:
        entry = self.entries[index]
        record = entry.record if entry.record is not None else self.record(index)
        layout = self.layout
        value: object = target.to_json(record)
        if entry.record is not None and entry.has_source and target.name == self.dialect.name:
            # An edited source record keeps its fields in the order the file had them, so the
            # rewritten line differs from the original only where the record changed.
            value = follow_key_order(value, _loads_or_none(entry.source))
        return dump_json(value, compact=layout.compact, ascii_only=layout.ascii_only)

    def _native_lines_parts(self, target: Dialect) -> Iterator[bytes | memoryview]:
        newline = self.layout.newline
        last = len(self.entries) - 1
        for position, entry in enumerate(self.entries):
            if entry.edited:
                yield self._serialise(position, target)
            else:
                source = entry.source
                if source is None:
                    continue
                yield source
            terminator = entry.terminator or newline
            if position == last and not self.layout.final_newline:
                terminator = b""
            yield terminator

    def _converted_lines_parts(self, target: Dialect) -> Iterator[bytes | memoryview]:
        newline = self.layout.newline
        for position, entry in enumerate(self.entries):
            if entry.kind is EntryKind.RECORD and (entry.edited or _holds_object(entry.raw)):
                yield self._serialise(position, target)
            elif entry.has_source and entry.kind is not EntryKind.BLANK:
                # Unreadable lines and JSON values that are not objects cannot be converted; they are
                # copied so nothing is lost (their read issues still point at them).
                yield entry.raw or b""
            else:
                continue
            yield newline

    def _array_parts(self, target: Dialect) -> Iterator[bytes | memoryview]:
        layout = self.layout
        yield layout.array_head
        last = len(self.entries) - 1
        for position, entry in enumerate(self.entries):
            if entry.edited:
                body = self._serialise(position, target)
                if layout.array_indent is not None:
                    body = _indent_json(body, layout)
                yield body
            elif entry.has_source:
                yield entry.raw or b""
            if position < last:
                # A separator holds the comma; the source's last element has none of its own. Before an
                # unreadable rest the source's bytes are kept whatever they are.
                keep = b"," in entry.terminator or self.entries[position + 1].kind is EntryKind.UNREADABLE
                yield entry.terminator if keep else layout.array_separator
            elif b"," not in entry.terminator:
                yield entry.terminator
        yield layout.array_tail

    def conversion_losses(self, target: Dialect) -> dict[str, int]:
        """What writing in ``target`` cannot carry: a count of affected records per kind of loss."""
        counts: dict[str, int] = {}
        for _index, record in self.iter_records():
            for loss in target.losses(record):
                counts[loss] = counts.get(loss, 0) + 1
        return counts


def iter_sources(
    entries: Sequence[Entry], batch: int = 2000
) -> Iterator[tuple[int, Entry, bytes | memoryview | None]]:
    """``(index, entry, entry.source)`` for every entry, reading packed lines a batch at a time."""
    for start in range(0, len(entries), batch):
        chunk = entries[start : start + batch]
        for offset, (entry, source) in enumerate(zip(chunk, sources_of(chunk), strict=True)):
            yield start + offset, entry, source


def sources_of(entries: Sequence[Entry]) -> list[bytes | memoryview | None]:
    """:attr:`Entry.source` of many entries, packed ones unpacked together (see ``LineCodec.unpack_many``)."""
    sources: list[bytes | memoryview | None] = []
    packed: dict[LineCodec, tuple[list[int], list[PackedLine]]] = {}
    for position, entry in enumerate(entries):
        data = entry._data
        if isinstance(data, PackedLine):
            positions, lines = packed.setdefault(data.codec, ([], []))
            positions.append(position)
            lines.append(data)
            sources.append(None)
        else:
            sources.append(data)
    for codec, (positions, lines) in packed.items():
        for position, line in zip(positions, codec.unpack_many(lines), strict=True):
            sources[position] = line
    return sources


def dump_json(value: object, *, compact: bool = False, ascii_only: bool = False) -> bytes:
    """Serialise one JSON value on one line in a file's style.

    ``compact`` drops the spaces after ``,`` and ``:``; ``ascii_only`` escapes non-ASCII text as
    ``\\uXXXX``. Otherwise non-ASCII text is written as UTF-8 (like ``ensure_ascii=False``).
    """
    if compact and not ascii_only:
        return orjson.dumps(value)
    separators = (",", ":") if compact else (", ", ": ")
    return json.dumps(value, ensure_ascii=ascii_only, separators=separators).encode("utf-8")


def _indent_json(body: bytes, layout: FileLayout) -> bytes:
    """Re-serialise one element pretty-printed like the rest of a pretty-printed JSON array."""
    assert layout.array_indent is not None
    element_indent, step = layout.array_indent
    text = json.dumps(json.loads(body), ensure_ascii=layout.ascii_only, indent=step)
    newline = layout.newline.decode("ascii")
    return text.replace("\n", newline + element_indent).encode("utf-8")


def follow_key_order(value: object, model: object) -> object:
    """``value`` with its object keys in the order ``model`` has them (recursively; new keys last)."""
    if isinstance(value, dict) and isinstance(model, dict):
        ordered = {key: follow_key_order(value[key], model[key]) for key in model if key in value}
        for key, item in value.items():
            if key not in ordered:
                ordered[key] = item
        return ordered
    if isinstance(value, list) and isinstance(model, list):
        return [
            follow_key_order(item, model[position]) if position < len(model) else item
            for position, item in enumerate(value)
        ]
    return value


def _loads_or_none(raw: bytes | memoryview | None) -> object:
    if raw is None:
        return None
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None


def _holds_object(raw: bytes | None) -> bool:
    """Whether a readable entry's bytes are a JSON object (not an array, text or number)."""
    return raw is not None and raw.lstrip()[:1] == b"{"


def _encode(text: str) -> bytes:
    """Text decoded with ``surrogateescape`` back to its exact source bytes."""
    return text.encode("utf-8", errors="surrogateescape")


@contextmanager
def _gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a file's entries are created.

    Entries hold no reference cycles, but creating 100k of them triggers repeated full collections
    that walk every object already created (about a fifth of the open time of a large file).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


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


def _describe_json_error(raw: bytes, error: orjson.JSONDecodeError) -> tuple[int, str]:
    try:
        raw.decode("utf-8")
    except UnicodeDecodeError as bad:
        column = len(raw[: bad.start].decode("utf-8", errors="replace")) + 1
        return column, f"The line is not valid UTF-8 (byte {bad.start + 1}); it was kept as it is."
    column = error.colno or 1
    return column, f"The line is not valid JSON: {error.msg}."
