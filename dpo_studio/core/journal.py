"""The autosave journal: every edit is appended to a file so a killed app can recover it on next start.

Only edits are journaled, never the whole dataset, so a 100k-record file costs nothing until the user
changes something, and then only the changed entries. A journal is one JSON Lines file under
``state_dir()/journals``: a header naming the base file (path, dialect, size, SHA-256 of its bytes),
then one line per document change (``set``, ``insert``, ``remove``) carrying the full new entries.
Replaying the lines on the base file rebuilds the document exactly, including undos (an undo is just
another change).

Each line is written with one ``os.write`` on an ``O_APPEND`` descriptor: the data is in the kernel as
soon as the call returns, so it survives the process being killed. ``fsync`` (surviving a power loss
too) runs at most once per :data:`SYNC_INTERVAL` and whenever :meth:`Journal.sync` is called.

A running app holds an OS lock on its journal's lock file; the lock dies with the process, so
:func:`pending_journals` offers exactly the journals of apps that are gone (crashed or killed).
Saving (or undoing back to the save point) empties the journal; closing without saving deletes it.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import hashlib
import json
import os
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from dpo_studio.core.dataset import Entry, EntryKind, read_file_bytes
from dpo_studio.core.dialects import get_dialect
from dpo_studio.core.document import Change, ChangeKind, Document
from dpo_studio.core.errors import UserError
from dpo_studio.core.paths import state_dir
from dpo_studio.core.records import PreferenceRecord

FORMAT = "dpo-studio-journal"
VERSION = 1
SUFFIX = ".journal"
#: Seconds between forced fsyncs while edits keep coming.
SYNC_INTERVAL = 1.0


def journal_dir() -> Path:
    """Where journals live (under the per-user state folder, honouring ``DPO_STUDIO_HOME``)."""
    folder = state_dir() / "journals"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# -- entry (de)serialisation ---------------------------------------------------------------------


def record_to_data(record: PreferenceRecord) -> dict[str, Any]:
    """Every field of a record as JSON-friendly data (nothing a dialect would drop)."""
    return dataclasses.asdict(record)


def record_from_data(data: dict[str, Any]) -> PreferenceRecord:
    """The record :func:`record_to_data` described (unknown keys ignored)."""
    names = {f.name for f in dataclasses.fields(PreferenceRecord)}
    return PreferenceRecord(**{key: value for key, value in data.items() if key in names})


def entry_to_data(entry: Entry) -> dict[str, Any]:
    """An entry as JSON-friendly data, keeping its exact source bytes."""
    data: dict[str, Any] = {"kind": int(entry.kind), "line": entry.line}
    if entry.raw is not None:
        try:
            data["raw"] = entry.raw.decode("utf-8")
        except UnicodeDecodeError:
            data["raw64"] = base64.b64encode(entry.raw).decode("ascii")
    data["term"] = base64.b64encode(entry.terminator).decode("ascii")
    if entry.record is not None:
        data["record"] = record_to_data(entry.record)
    if entry.error is not None:
        data["error"] = list(entry.error)
    return data


def entry_from_data(data: dict[str, Any]) -> Entry:
    """The entry :func:`entry_to_data` described."""
    raw: bytes | None = None
    if "raw" in data:
        raw = str(data["raw"]).encode("utf-8")
    elif "raw64" in data:
        raw = base64.b64decode(data["raw64"])
    record = record_from_data(data["record"]) if isinstance(data.get("record"), dict) else None
    error = data.get("error")
    return Entry(
        EntryKind(int(data["kind"])),
        raw,
        int(data.get("line", 0)),
        base64.b64decode(data.get("term", "Cg==")),
        record,
        (int(error[0]), str(error[1])) if isinstance(error, list) and len(error) == 2 else None,
    )


# -- locking ---------------------------------------------------------------------------------------


def _lock(handle: BinaryIO) -> bool:
    """Take an exclusive, non-blocking OS lock on an open file; ``False`` if another process holds it."""
    try:
        if os.name == "nt":  # pragma: no cover - exercised on Windows only
            import msvcrt

            handle.seek(0)
            locking = getattr(msvcrt, "locking")  # noqa: B009 - Windows-only names, unknown to mypy on Linux
            locking(handle.fileno(), getattr(msvcrt, "LK_NBLCK"), 1)  # noqa: B009
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        return False
    return True


def _is_locked(lock_path: Path) -> bool:
    """Whether a live process holds the lock file (the lock is released when it dies)."""
    try:
        handle = open(lock_path, "a+b")  # noqa: SIM115 - closed below, the lock must be probed while open
    except OSError:
        return False
    try:
        return not _lock(handle)
    finally:
        handle.close()


# -- the journal -------------------------------------------------------------------------------------


class Journal:
    """The journal of one open document. Attach it and it records every change the document makes."""

    def __init__(
        self, document: Document, folder: Path | None = None, *, name: str | None = None, resume: bool = False
    ) -> None:
        self.document = document
        self.folder = folder or journal_dir()
        self.name = name or uuid.uuid4().hex
        self._fd: int | None = None
        self._lock_handle: BinaryIO | None = None
        self._last_sync = 0.0
        self._unsynced = False
        self.edit_count = 0
        document.listeners.append(self._on_change)
        if not resume and document.path is None and len(document):
            # A document with contents but no file (an import) has no base to replay on: journal it.
            self._begin_with_base()

    @property
    def path(self) -> Path:
        """The journal file (it exists only while there are unsaved edits)."""
        return self.folder / f"{self.name}{SUFFIX}"

    @property
    def lock_path(self) -> Path:
        """The lock file held while the app runs."""
        return self.folder / f"{self.name}.lock"

    # -- recording ---------------------------------------------------------------------------

    def _on_change(self, change: Change) -> None:
        if change.kind is ChangeKind.SAVED:
            self.clear()
            return
        if change.kind is ChangeKind.RESET:
            return  # only a save in another dialect resets; the SAVED that follows clears the journal
        if self._fd is None:
            self._open_new()
        if change.kind is ChangeKind.SET:
            op: dict[str, Any] = {
                "op": "set",
                "indices": list(change.indices),
                "entries": [entry_to_data(entry) for entry in change.entries],
            }
        elif change.kind is ChangeKind.INSERT:
            op = {
                "op": "insert",
                "indices": list(change.indices),
                "entries": [entry_to_data(entry) for entry in change.entries],
            }
        else:
            op = {"op": "remove", "indices": list(change.indices)}
        self._append(op)
        self.edit_count += 1

    def _open_new(self) -> None:
        """Create the journal file with a header describing the base the edits apply to."""
        self._take_lock()
        document = self.document
        header = {
            "format": FORMAT,
            "version": VERSION,
            "path": str(document.path) if document.path is not None else None,
            "dialect": document.dialect.name,
            "size": document.source_size,
            "digest": document.source_digest,
            "title": document.title,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "pid": os.getpid(),
        }
        self._fd = os.open(self.path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_APPEND | _BINARY, 0o600)
        self._append(header)

    def _take_lock(self) -> None:
        if self._lock_handle is None:
            self.folder.mkdir(parents=True, exist_ok=True)
            self._lock_handle = open(self.lock_path, "a+b")  # noqa: SIM115 - held open while the app runs
            _lock(self._lock_handle)

    def _append(self, value: dict[str, Any]) -> None:
        assert self._fd is not None
        line = json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
        view = memoryview(line)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]
        self._unsynced = True
        now = time.monotonic()
        if now - self._last_sync >= SYNC_INTERVAL:
            self.sync()

    def sync(self) -> None:
        """Make every journaled edit durable on disk (fsync)."""
        if self._fd is not None and self._unsynced:
            with contextlib.suppress(OSError):
                os.fsync(self._fd)
            self._unsynced = False
            self._last_sync = time.monotonic()

    def _begin_with_base(self) -> None:
        """Journal the current entries as the base, for a document that has no file to replay on."""
        self._open_new()
        entries = self.document.entries
        self._append(
            {
                "op": "insert",
                "indices": list(range(len(entries))),
                "entries": [entry_to_data(entry) for entry in entries],
            }
        )

    # -- ending ----------------------------------------------------------------------------

    def clear(self) -> None:
        """The document was saved: nothing to recover any more (the next edit starts a new journal)."""
        self._close_file()
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()
        self.edit_count = 0

    def discard(self) -> None:
        """Stop journaling this document and delete its journal (closed without saving, or app exit)."""
        with contextlib.suppress(ValueError):
            self.document.listeners.remove(self._on_change)
        self.clear()
        if self._lock_handle is not None:
            self._lock_handle.close()
            self._lock_handle = None
        with contextlib.suppress(FileNotFoundError):
            self.lock_path.unlink()

    def _close_file(self) -> None:
        if self._fd is not None:
            self.sync()
            os.close(self._fd)
            self._fd = None

    # -- resuming ----------------------------------------------------------------------------

    @classmethod
    def resume(cls, info: JournalInfo, document: Document) -> Journal:
        """Keep appending to a recovered journal: its edits stay recoverable until saved."""
        journal = cls(document, info.path.parent, name=info.path.stem, resume=True)
        journal._take_lock()
        journal._fd = os.open(journal.path, os.O_WRONLY | os.O_APPEND | _BINARY)
        journal.edit_count = info.edit_count
        return journal


_BINARY = getattr(os, "O_BINARY", 0)


# -- finding and recovering journals ---------------------------------------------------------------


@dataclass(frozen=True)
class JournalInfo:
    """A journal left behind by an app that did not close normally."""

    path: Path
    file: Path | None
    title: str
    dialect: str
    size: int
    digest: str
    created: str
    edit_count: int
    modified: float

    def describe(self) -> str:
        """One sentence for the recovery prompt."""
        when = datetime.fromtimestamp(self.modified).strftime("%Y-%m-%d %H:%M")
        where = str(self.file) if self.file is not None else "a new, unsaved dataset"
        edits = "1 unsaved edit" if self.edit_count == 1 else f"{self.edit_count} unsaved edits"
        return f"{edits} to {where} (last change {when})"


def _read_lines(path: Path) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """Header and operations; a line cut short by a kill or a damaged line ends the readable part."""
    header: dict[str, Any] | None = None
    ops: list[dict[str, Any]] = []
    with open(path, "rb") as stream:
        for number, raw in enumerate(stream):
            if not raw.endswith(b"\n"):
                break
            try:
                value = json.loads(raw)
            except ValueError:
                break
            if not isinstance(value, dict):
                break
            if number == 0:
                if value.get("format") != FORMAT:
                    return None, []
                header = value
            else:
                ops.append(value)
    return header, ops


def pending_journals(folder: Path | None = None) -> list[JournalInfo]:
    """Journals with edits whose app is no longer running, newest first."""
    folder = folder or journal_dir()
    for lock in folder.glob("*.lock"):
        # Left by an app that died before its first edit: nothing to recover, nobody holds it.
        if not lock.with_suffix(SUFFIX).exists() and not _is_locked(lock):
            with contextlib.suppress(OSError):
                lock.unlink()
    found: list[JournalInfo] = []
    for path in folder.glob(f"*{SUFFIX}"):
        if _is_locked(path.with_suffix(".lock")):
            continue
        try:
            header, ops = _read_lines(path)
            modified = path.stat().st_mtime
        except OSError:
            continue
        if header is None or int(header.get("version", 0)) > VERSION:
            continue
        if not ops:
            # An app died before its first edit reached the journal: nothing to offer.
            _remove_journal(path)
            continue
        file = header.get("path")
        found.append(
            JournalInfo(
                path=path,
                file=Path(file) if file else None,
                title=str(header.get("title") or "Untitled"),
                dialect=str(header.get("dialect") or ""),
                size=int(header.get("size") or 0),
                digest=str(header.get("digest") or ""),
                created=str(header.get("created") or ""),
                edit_count=len(ops),
                modified=modified,
            )
        )
    found.sort(key=lambda info: info.modified, reverse=True)
    return found


def recover(info: JournalInfo) -> Document:
    """Rebuild the document the journal describes: its base file plus every journaled edit.

    Raises :class:`UserError` (and keeps the journal) when the base file is gone or changed since.
    """
    header, ops = _read_lines(info.path)
    if header is None:
        raise UserError(
            f"The recovery file {info.path.name} is damaged.", "It was kept; nothing was changed."
        )
    try:
        dialect = get_dialect(info.dialect)
    except KeyError:
        raise UserError(f"The recovery file uses an unknown format ({info.dialect}).") from None
    if info.file is None:
        document = Document.new(dialect)
    else:
        data = read_file_bytes(info.file)
        if len(data) != info.size or hashlib.sha256(data).hexdigest() != info.digest:
            raise UserError(
                f"{info.file.name} changed on disk after the unsaved edits were made, so they cannot be "
                "replayed on it safely.",
                f"The edits are kept in {info.path}; open the file as it is or restore the earlier version.",
            )
        document = Document.open(info.file, dialect)
    try:
        for op in ops:
            _replay(document, op)
    except (KeyError, IndexError, TypeError, ValueError, binascii.Error) as error:
        raise UserError(
            f"The recovery file {info.path.name} does not match {info.title}: {error}.",
            "It was kept; nothing was changed.",
        ) from None
    return document


def _replay(document: Document, op: dict[str, Any]) -> None:
    kind = op["op"]
    if kind == "set":
        entries = [entry_from_data(data) for data in op["entries"]]
        document.put_entries(dict(zip(op["indices"], entries, strict=True)))
    elif kind == "insert":
        for index, data in zip(op["indices"], op["entries"], strict=True):
            document.insert_entries(int(index), [entry_from_data(data)])
    elif kind == "remove":
        document.remove(int(index) for index in op["indices"])
    else:
        raise ValueError(f"unknown operation {kind!r}")


def discard_journal(info: JournalInfo) -> None:
    """Delete a left-behind journal (the user chose not to recover it)."""
    _remove_journal(info.path)


def _remove_journal(path: Path) -> None:
    for stale in (path, path.with_suffix(".lock")):
        with contextlib.suppress(OSError):
            stale.unlink()
