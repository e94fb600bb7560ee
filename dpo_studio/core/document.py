"""The editable document: a :class:`Dataset` plus edit primitives, dirty tracking and cached findings.

The document is Qt-free so the same editing model serves the GUI (through ``ui.session`` and its undo
commands), the autosave journal and tests. Every edit primitive returns exactly what is needed to undo
it, and tells the registered listeners what changed (the journal and the session listen).

Entries are never mutated in place: an edit puts a new :class:`Entry` object at its position. A shallow
copy of the entry list is therefore a consistent snapshot that a background validation can read while
the user keeps editing (see :meth:`Document.snapshot`).
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import orjson

from dpo_studio.core import annotations as sidecar
from dpo_studio.core.atomicfile import atomic_write_chunks
from dpo_studio.core.dataset import Dataset, Entry, EntryKind, read_file_bytes
from dpo_studio.core.detect import Detection
from dpo_studio.core.dialects import Dialect, get_dialect
from dpo_studio.core.errors import UserError
from dpo_studio.core.findings import Finding
from dpo_studio.core.records import PreferenceRecord
from dpo_studio.core.validation import (
    Profile,
    ValidationReport,
    profile_for,
    validate_dataset,
    validate_record,
)

#: The dialect of a new, empty document.
NEW_DOCUMENT_DIALECT = "openai_dpo"

ProgressCallback = Callable[[int, int], None]


class ChangeKind(StrEnum):
    """What an edit did to the entry list."""

    #: Entries at ``indices`` now hold other contents (same count, same positions).
    SET = "set"
    #: ``len(entries)`` entries were inserted starting at ``indices[0]``.
    INSERT = "insert"
    #: The entries at ``indices`` (positions before removal, ascending) were removed.
    REMOVE = "remove"
    #: Everything changed (a save in another dialect re-read the file).
    RESET = "reset"
    #: Nothing changed, but the contents now equal the file at ``Document.path`` (saved, or undone
    #: back to the save point). Not counted as a revision.
    SAVED = "saved"


@dataclass(frozen=True, slots=True)
class Change:
    """One edit, as told to listeners. ``entries`` are the new entries for SET and INSERT."""

    kind: ChangeKind
    indices: tuple[int, ...]
    entries: tuple[Entry, ...] = ()


@dataclass(frozen=True, slots=True)
class Removed:
    """What :meth:`Document.remove` took out: (position before removal, entry), ascending."""

    items: tuple[tuple[int, Entry], ...]

    @property
    def indices(self) -> list[int]:
        """The positions the entries had."""
        return [index for index, _entry in self.items]


Listener = Callable[[Change], None]


@dataclass(eq=False, repr=False)
class Document:
    """One open dataset being edited.

    ``path`` is where :meth:`save` writes by default (``None`` for a new document); ``dialect`` and
    ``bom`` are how it writes. ``revision`` grows with every change (undo included) and ``dirty`` says
    whether the contents differ from what was last saved or opened.
    """

    dataset: Dataset
    path: Path | None = None
    profile: Profile = field(default_factory=profile_for)
    #: SHA-256 of the bytes the file had when opened or last saved (identifies the journal's base).
    source_digest: str = ""
    source_size: int = 0
    revision: int = 0
    listeners: list[Listener] = field(default_factory=list)
    _saved_revision: int = 0
    #: Findings per entry (``None``: not checked yet). Entries without findings share one empty tuple:
    #: 100k empty lists would cost 5.6 MB.
    _per_entry: list[Sequence[Finding] | None] = field(default_factory=list)
    _report: ValidationReport | None = None
    _report_revision: int = -1

    def __repr__(self) -> str:
        # Never the entries: a 100k-record repr in a log or traceback would be enormous.
        return f"<Document {self.title!r} {len(self)} entries, revision {self.revision}, dirty={self.dirty}>"

    def __post_init__(self) -> None:
        if not self._per_entry:
            self._per_entry = [None] * len(self.dataset.entries)
        self.bom: bool = self.dataset.layout.bom
        #: How the dialect was chosen when opening (``None`` when the caller named it).
        self.detection: Detection | None = None
        #: Notes and tags from the sidecar whose example is no longer in the file (written back on save).
        self.unmatched_annotations: list[sidecar.StoredAnnotation] = []
        #: Something to tell the user about the notes and tags sidecar (unreadable, unmatched notes).
        self.annotations_warning: UserError | None = None
        self._sidecar_broken = False
        if self.path is None and self.dataset.entries:
            # Contents that exist in no file yet (an import) are unsaved work from the start.
            self._saved_revision = -1

    # -- opening -------------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        path: str | Path,
        dialect: Dialect | str | None = None,
        *,
        profile: Profile | None = None,
    ) -> Document:
        """Read a file (detecting its dialect unless one is given). Raises :class:`UserError`."""
        from dpo_studio.core.detect import detect_dialect

        file_path = Path(path)
        data = read_file_bytes(file_path)
        detection = None
        if dialect is None:
            detection = detect_dialect(data)
            chosen = detection.dialect
        elif isinstance(dialect, str):
            try:
                chosen = get_dialect(dialect)
            except KeyError as error:
                raise UserError(str(error.args[0])) from None
        else:
            chosen = dialect
        # Hash in parallel with the parse (hashlib releases the GIL): it identifies the journal's base.
        digest: list[str] = []
        hasher = threading.Thread(target=lambda: digest.append(hashlib.sha256(data).hexdigest()))
        hasher.start()
        dataset = Dataset.from_bytes(data, chosen, file_path)
        document = cls(dataset, file_path, profile or profile_for())
        hasher.join()
        document.source_digest = digest[0]
        document.source_size = len(data)
        document.detection = detection
        document._load_annotations()
        return document

    def _load_annotations(self) -> None:
        """Put the notes and tags of the sidecar (``<file>.dpo-studio.json``) on their examples."""
        assert self.path is not None
        try:
            stored, unmatched = sidecar.read(self.path)
        except sidecar.SidecarError as error:
            self.annotations_warning = error
            self._sidecar_broken = True
            return
        if not stored and not unmatched:
            return
        self.unmatched_annotations = unmatched + sidecar.attach(self.dataset, stored)
        if self.unmatched_annotations:
            count = len(self.unmatched_annotations)
            self.annotations_warning = UserError(
                f"{count} note{'s' if count != 1 else ''} or tag{'s' if count != 1 else ''} in "
                f"{sidecar.sidecar_path(self.path).name} belong to examples that are no longer in "
                f"{self.path.name} (changed outside DPO Studio).",
                "They are kept in that file (under 'unmatched') so you can copy them back by hand.",
            )

    @classmethod
    def new(
        cls, dialect: Dialect | str = NEW_DOCUMENT_DIALECT, *, profile: Profile | None = None
    ) -> Document:
        """An empty, unsaved document."""
        chosen = get_dialect(dialect) if isinstance(dialect, str) else dialect
        return cls(Dataset(dialect=chosen), None, profile or profile_for())

    # -- reading -------------------------------------------------------------------------------

    @property
    def dialect(self) -> Dialect:
        """The dialect the document is read and saved in."""
        return self.dataset.dialect

    @property
    def entries(self) -> list[Entry]:
        """The entries (read-only use: edit through the primitives)."""
        return self.dataset.entries

    @property
    def title(self) -> str:
        """The file name, or ``Untitled`` for a new document."""
        return self.path.name if self.path is not None else "Untitled"

    @property
    def dirty(self) -> bool:
        """Whether the contents differ from the last save (or the file as opened)."""
        return self.revision != self._saved_revision

    def __len__(self) -> int:
        return len(self.dataset.entries)

    def is_record(self, index: int) -> bool:
        """Whether entry ``index`` holds a record (not a blank or unreadable line)."""
        return self.dataset.entries[index].kind is EntryKind.RECORD

    def record(self, index: int) -> PreferenceRecord | None:
        """The record at entry ``index`` (a copy you may change), or ``None`` for other lines.

        A record line whose JSON is not an object of the dialect still yields a (partial) record; its
        problems are in :meth:`findings_for`.
        """
        entry = self.dataset.entries[index]
        if entry.kind is not EntryKind.RECORD:
            return None
        record, _issues = self.dataset.parse_entry(index)
        return record.clone() if record is not None and entry.record is not None else record

    def record_indices(self) -> list[int]:
        """Indices of the entries that hold records."""
        return self.dataset.record_indices()

    def snapshot(self) -> Dataset:
        """A consistent copy of the dataset for reading in another thread (entries are shared)."""
        data = self.dataset
        return Dataset(
            dialect=data.dialect,
            entries=list(data.entries),
            layout=data.layout,
            path=data.path,
            file_findings=list(data.file_findings),
        )

    # -- findings ------------------------------------------------------------------------------

    def findings_for(self, index: int) -> list[Finding]:
        """Findings about entry ``index``: from the last full check, or computed now for edited entries."""
        cached = self._per_entry[index]
        if cached is None:
            cached = self._check_entry(index)
            self._per_entry[index] = cached
        if not cached:
            return []
        if any(finding.entry != index for finding in cached):
            # The entry moved (inserts or removals before it): report its current position.
            cached = [replace(finding, entry=index) for finding in cached]
            self._per_entry[index] = cached
        return cached if isinstance(cached, list) else list(cached)

    def findings(self) -> list[Finding]:
        """Every finding: file-level ones, then per entry in order (entries not yet checked are checked now).

        For a large file call this after :meth:`apply_report` (the session runs the full check in the
        background after opening and after edits).
        """
        found = [f for f in self._file_level_findings()]
        for index in range(len(self._per_entry)):
            found.extend(self.findings_for(index))
        return found

    @property
    def findings_current(self) -> bool:
        """Whether the last full check saw the current contents (cross-record findings are up to date)."""
        return self._report is not None and self._report_revision == self.revision

    @property
    def report(self) -> ValidationReport | None:
        """The last full validation report (may be older than the contents, see ``findings_current``)."""
        return self._report

    def validate(
        self,
        snapshot: Dataset | None = None,
        progress: ProgressCallback | None = None,
        *,
        count_tokens: bool = False,
    ) -> ValidationReport:
        """Run the full check (cross-record rules too) on ``snapshot`` (default: a snapshot taken now).

        Safe to call from another thread when given a snapshot.
        """
        return validate_dataset(
            snapshot or self.snapshot(), self.profile, progress=progress, count_tokens=count_tokens
        )

    def apply_report(self, report: ValidationReport, revision: int) -> bool:
        """Use ``report`` (computed on the contents at ``revision``) for the findings cache.

        Returns ``False`` (and changes nothing) when the document changed since; check again then.
        """
        if revision != self.revision:
            return False
        by_entry: dict[int, list[Finding]] = {}
        for finding in report.findings:
            if finding.entry is not None:
                by_entry.setdefault(finding.entry, []).append(finding)
        none: Sequence[Finding] = ()
        self._per_entry = [by_entry.get(index, none) for index in range(len(self.dataset.entries))]
        self._report = report
        self._report_revision = revision
        return True

    def set_profile(self, profile: Profile) -> None:
        """Check against other platform rules (provider/model); every cached finding is dropped."""
        self.profile = profile
        self._per_entry = [None] * len(self.dataset.entries)
        self._report = None

    def _file_level_findings(self) -> list[Finding]:
        if self._report is not None:
            return [f for f in self._report.findings if f.entry is None]
        return list(self.dataset.file_findings)

    def _check_entry(self, index: int) -> list[Finding]:
        entry = self.dataset.entries[index]
        if entry.kind is EntryKind.BLANK:
            return []
        if entry.kind is EntryKind.UNREADABLE:
            return [f for f in self.dataset.read_findings() if f.entry == index] if entry.error else []
        record, issues = self.dataset.parse_entry(index)
        if record is None:
            return []
        return validate_record(record, self.profile, entry=index, line=entry.line, issues=issues)

    # -- editing primitives (each returns what undoing it needs) -------------------------------

    def replace(self, index: int, record: PreferenceRecord) -> Entry:
        """Put ``record`` at entry ``index``; returns the previous entry (for :meth:`put_entries`)."""
        return self.replace_many({index: record})[index]

    def replace_many(self, records: Mapping[int, PreferenceRecord]) -> dict[int, Entry]:
        """Put several records at once (one change); returns the previous entry of each index."""
        entries = self.dataset.entries
        previous: dict[int, Entry] = {}
        new: dict[int, Entry] = {}
        for index, record in records.items():
            old = entries[index]
            previous[index] = old
            new[index] = old.with_record(record.clone())
        self.put_entries(new)
        return previous

    def put_entries(self, entries: Mapping[int, Entry]) -> dict[int, Entry]:
        """Put these exact entries back at their positions (undo of a replace); returns those replaced.

        An entry put back keeps its source bytes, so undoing every edit of a record writes it back
        byte-identical.
        """
        current = self.dataset.entries
        previous = {index: current[index] for index in entries}
        for index, entry in entries.items():
            current[index] = entry
            self._per_entry[index] = None
        order = sorted(entries)
        self._changed(Change(ChangeKind.SET, tuple(order), tuple(entries[i] for i in order)))
        return previous

    def insert(self, index: int, records: Sequence[PreferenceRecord]) -> list[int]:
        """Insert new records before entry ``index`` (``len(doc)`` appends); returns their indices."""
        newline = self.dataset.layout.newline
        entries = [Entry(EntryKind.RECORD, None, 0, newline, record.clone()) for record in records]
        return self.insert_entries(index, entries)

    def insert_entries(self, index: int, entries: Sequence[Entry]) -> list[int]:
        """Insert these exact entries before ``index``; returns their indices."""
        if not 0 <= index <= len(self.dataset.entries):
            raise IndexError(f"insert position {index} outside 0..{len(self.dataset.entries)}")
        self.dataset.entries[index:index] = list(entries)
        self._per_entry[index:index] = [None] * len(entries)
        indices = list(range(index, index + len(entries)))
        self._changed(Change(ChangeKind.INSERT, tuple(indices), tuple(entries)))
        return indices

    def remove(self, indices: Iterable[int]) -> Removed:
        """Remove the entries at ``indices``; returns them for :meth:`restore`."""
        order = sorted(set(indices))
        entries = self.dataset.entries
        removed = Removed(tuple((index, entries[index]) for index in order))
        for index in reversed(order):
            del entries[index]
            del self._per_entry[index]
        self._changed(Change(ChangeKind.REMOVE, tuple(order)))
        return removed

    def restore(self, removed: Removed) -> None:
        """Undo a :meth:`remove`: put every removed entry back at its old position."""
        entries = self.dataset.entries
        for index, entry in removed.items:
            entries.insert(index, entry)
            self._per_entry.insert(index, None)
        self._changed(
            Change(ChangeKind.INSERT, tuple(removed.indices), tuple(entry for _i, entry in removed.items))
        )

    def _changed(self, change: Change) -> None:
        self.revision += 1
        for listener in list(self.listeners):
            listener(change)

    # -- saving --------------------------------------------------------------------------------

    def save(
        self, path: str | Path | None = None, dialect: Dialect | str | None = None, bom: bool | None = None
    ) -> bool:
        """Write the document atomically; untouched records are copied byte for byte.

        Saving in another dialect converts every record and then re-reads the written file, so the
        document continues in the new dialect; that returns ``True`` (history before it no longer
        applies). Failure (read-only place, full disk ...) raises :class:`UserError`; then nothing on
        disk changed and the document stays dirty with all its edits.
        """
        target_path = Path(path) if path is not None else self.path
        if target_path is None:
            raise UserError("This dataset has not been saved yet.", "Use Save As to choose a file name.")
        if isinstance(dialect, str):
            dialect = get_dialect(dialect)
        target = dialect or self.dataset.dialect
        if not target.writable:
            raise UserError(
                f"{target.label} files can be read but not written.",
                "Save as OpenAI / Azure DPO, OpenPipe or TRL instead.",
            )
        use_bom = self.bom if bom is None else bom
        converted = target.name != self.dataset.dialect.name
        reread = None
        if converted:
            # Every record is converted: the new file is read back so the document continues in it.
            data = self.dataset.to_bytes(target, bom=use_bom)
            reread = Dataset.from_bytes(data, target, target_path)
            chunks: Iterable[bytes] = (data,)
        else:
            # Written block by block: a large file is never held whole (nor every line unpacked) at once.
            chunks = self._chunks_to_write(target, use_bom)
        # Notes and tags first: if they cannot be written, nothing is saved and nothing is lost.
        self._save_annotations(target_path, reread)
        self.source_size, self.source_digest = atomic_write_chunks(target_path, chunks)
        self.path = target_path
        self.dataset.path = target_path
        self.bom = use_bom
        if converted:
            assert reread is not None
            self.dataset = reread
            self._per_entry = [None] * len(self.dataset.entries)
            self._report = None
            self._changed(Change(ChangeKind.RESET, ()))
        self.mark_clean()
        return converted

    def _chunks_to_write(self, target: Dialect, bom: bool) -> Iterator[bytes]:
        """The file's bytes in its own dialect, in blocks; a line whose record differs from its source only
        in notes or tags is copied."""
        dataset = self.dataset
        entries = list(dataset.entries)
        for index, entry in enumerate(entries):
            if entry.record is None or entry.kind is not EntryKind.RECORD:
                continue
            if not (entry.record.notes or entry.record.tags):
                continue
            raw = entry.source
            if raw is None:
                continue
            source = entry.with_record(None)
            try:
                original, _issues = dataset.dialect.parse(orjson.loads(raw))
            except (orjson.JSONDecodeError, TypeError, ValueError):
                continue
            if sidecar.without_app_fields(entry.record) == original:
                entries[index] = source
        view = Dataset(dataset.dialect, entries, dataset.layout, dataset.path, dataset.file_findings)
        return view.iter_bytes(target, bom=bom)

    def _save_annotations(self, target_path: Path, reread: Dataset | None) -> None:
        """Write (or delete) the notes and tags sidecar of ``target_path``; ``reread`` after a conversion."""
        items = sidecar.collect(self.dataset)
        if reread is not None:
            # After a conversion the records are read back from the new file: carry the notes and tags over
            # by position (each non-blank entry is written as one line), falling back to the content keys.
            written = [
                entry
                for entry in self.dataset.entries
                if entry.kind is not EntryKind.BLANK and (entry.edited or entry.raw is not None)
            ]
            by_position = {
                position: sidecar.Annotation.of(entry.record)
                for position, entry in enumerate(written)
                if entry.record is not None and sidecar.Annotation.of(entry.record)
            }
            if by_position and len(written) == len(reread.entries):
                for position, annotation in by_position.items():
                    record = reread.record(position).clone()
                    annotation.apply(record)
                    reread.entries[position].record = record
            elif items:
                sidecar.attach(reread, items)
            items = sidecar.collect(reread)
        sidecar.write(target_path, items, self.unmatched_annotations, keep_broken=self._sidecar_broken)
        self._sidecar_broken = False

    def mark_clean(self) -> None:
        """Declare the contents equal to the saved file (the undo history returned to the save point)."""
        self._saved_revision = self.revision
        for listener in list(self.listeners):
            listener(Change(ChangeKind.SAVED, ()))


def describe_change(change: Change) -> dict[str, Any]:
    """A short, JSON-friendly description of a change (for logs and tests)."""
    return {"kind": change.kind.value, "indices": list(change.indices)}


# -- a quick look at a large file while it loads --------------------------------------------------------

#: How much of a file :func:`read_preview` reads.
PREVIEW_HEAD_BYTES = 512 * 1024


@dataclass(frozen=True, slots=True)
class PreviewRow:
    """One line of a file as shown while the whole file is still loading."""

    line: int
    prompt: str
    preferred: str
    rejected: str


def read_preview(path: str | Path, limit: int = 200) -> tuple[list[PreviewRow], int]:
    """The first rows of a JSON Lines file, from its first bytes only, and an estimate of its line count.

    For showing something at once while a large file is read; it never reads the whole file. A JSON
    array file (one value spanning the file) gets no preview: ``([], 0)``.
    """
    import orjson

    from dpo_studio.core.dataset_index import preview
    from dpo_studio.core.detect import detect_dialect
    from dpo_studio.core.textfile import BOM

    file_path = Path(path)
    try:
        size = file_path.stat().st_size
        with open(file_path, "rb") as stream:
            head = stream.read(PREVIEW_HEAD_BYTES)
    except OSError:
        return [], 0
    if head.startswith(BOM):
        head = head[len(BOM) :]
    if head.lstrip()[:1] == b"[":
        return [], 0
    lines = head.split(b"\n")
    if len(head) < size:
        lines.pop()  # cut off mid-line
    if not lines:
        return [], 0
    dialect = detect_dialect(b"\n".join(lines)).dialect
    rows: list[PreviewRow] = []
    for number, raw in enumerate(lines, 1):
        if len(rows) >= limit:
            break
        if not raw.strip():
            continue
        try:
            record, _issues = dialect.parse(orjson.loads(raw))
        except (orjson.JSONDecodeError, TypeError, ValueError, KeyError):
            rows.append(PreviewRow(number, "(a line that is not valid JSON)", "", ""))
            continue
        prompt = record.last_user_text or (record.context[-1].get("content") if record.context else "")
        rows.append(
            PreviewRow(
                number,
                preview(prompt if isinstance(prompt, str) else ""),
                preview(record.preferred_text),
                preview(record.rejected_text),
            )
        )
    read = sum(len(line) + 1 for line in lines) or 1
    estimate = round(len(lines) * size / read) if read < size else len(lines)
    return rows, estimate
