"""Bulk changes to a selection of records, as plain functions (the tab pushes them as one undo step)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from dpo_studio.core.document import Document
from dpo_studio.core.findings import Finding
from dpo_studio.core.records import PreferenceRecord

RecordChange = Callable[[PreferenceRecord], PreferenceRecord | None]


def changed_records(
    document: Document, entries: Iterable[int], change: RecordChange
) -> dict[int, PreferenceRecord]:
    """Apply ``change`` to a copy of each record; keep only records it changed (``None`` = no change).

    Unreadable and blank lines in ``entries`` are skipped: they hold no record to change.
    """
    out: dict[int, PreferenceRecord] = {}
    for entry in sorted(set(entries)):
        record = document.record(entry)
        if record is None:
            continue
        result = change(record.clone())
        if result is not None and result != record:
            out[entry] = result
    return out


def with_split(split: str | None) -> RecordChange:
    """Set the split (``None`` clears it)."""

    def change(record: PreferenceRecord) -> PreferenceRecord:
        record.split = split
        return record

    return change


def with_tag(tag: str) -> RecordChange:
    """Add a tag (records that already have it are unchanged)."""

    def change(record: PreferenceRecord) -> PreferenceRecord | None:
        if tag in record.tags:
            return None
        record.tags = [*record.tags, tag]
        return record

    return change


def without_tag(tag: str) -> RecordChange:
    """Remove a tag."""

    def change(record: PreferenceRecord) -> PreferenceRecord | None:
        if tag not in record.tags:
            return None
        record.tags = [t for t in record.tags if t != tag]
        return record

    return change


def swapped(record: PreferenceRecord) -> PreferenceRecord:
    """Preferred and rejected answers exchanged."""
    record.preferred, record.rejected = record.rejected, record.preferred
    return record


def duplicates_of(document: Document, entries: Iterable[int]) -> list[PreferenceRecord]:
    """Copies of the records at ``entries`` in entry order (other lines skipped)."""
    copies = []
    for entry in sorted(set(entries)):
        record = document.record(entry)
        if record is not None:
            copies.append(record.clone())
    return copies


def fixed_records(document: Document, findings: Sequence[Finding]) -> dict[int, PreferenceRecord]:
    """Apply the fixes of ``findings`` (several on one record are applied one after the other).

    A fix that raises (it no longer applies, e.g. the record changed since the check) is skipped, so one
    stale finding does not stop the others.
    """
    by_entry: dict[int, list[Finding]] = {}
    for finding in findings:
        if finding.fix is not None and finding.entry is not None and 0 <= finding.entry < len(document):
            by_entry.setdefault(finding.entry, []).append(finding)
    out: dict[int, PreferenceRecord] = {}
    for entry, entry_findings in sorted(by_entry.items()):
        record = document.record(entry)
        if record is None:
            continue
        current = record.clone()
        for finding in entry_findings:
            assert finding.fix is not None
            try:
                current = finding.fix.apply(current.clone())
            except Exception:
                continue
        if current != record:
            out[entry] = current
    return out


def split_assignments(
    records: Mapping[int, PreferenceRecord], splits: Sequence[str]
) -> dict[int, PreferenceRecord]:
    """Records whose split differs from ``splits`` (aligned with ``records`` in key order), updated."""
    out: dict[int, PreferenceRecord] = {}
    for (entry, record), split in zip(records.items(), splits, strict=True):
        if record.split != split:
            updated = record.clone()
            updated.split = split
            out[entry] = updated
    return out
