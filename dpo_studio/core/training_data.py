"""The bytes a fine-tuning job is trained on: a dataset (or part of it) as the platforms' DPO JSON Lines.

Whatever dialect the user edits in, the upload is OpenAI/Azure DPO JSONL, UTF-8 without BOM, one example a
line. Untouched lines of a file already in that dialect are sent byte for byte; every other record is
converted. A grouped split (no prompt on both sides) gives the training and validation parts. The content
hash of the dataset and of each uploaded file is what provenance records.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass

from dpo_studio.core.dataset import Dataset, EntryKind, dump_json
from dpo_studio.core.dialects import get_dialect
from dpo_studio.core.records import VALIDATION, PreferenceRecord
from dpo_studio.core.sft import sft_jsonl
from dpo_studio.core.split import split_records

#: The dialect the services accept.
UPLOAD_DIALECT = "openai_dpo"


@dataclass(frozen=True)
class UploadFile:
    """Bytes ready to upload and what they hold."""

    name: str
    data: bytes
    examples: int

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of the exact bytes that will be sent."""
        return hashlib.sha256(self.data).hexdigest()


def subset(dataset: Dataset, indices: Sequence[int]) -> Dataset:
    """A dataset of some entries of ``dataset`` (entries are shared, not copied; read it, do not edit it)."""
    return Dataset(
        dialect=dataset.dialect,
        entries=[dataset.entries[i] for i in indices],
        layout=dataset.layout,
        path=dataset.path,
    )


def dpo_jsonl(dataset: Dataset, indices: Sequence[int] | None = None) -> bytes:
    """The records at ``indices`` (every record when ``None``) as DPO JSON Lines for upload."""
    target = get_dialect(UPLOAD_DIALECT)
    same = dataset.dialect.name == UPLOAD_DIALECT
    chosen = dataset.record_indices() if indices is None else indices
    lines: list[bytes] = []
    for index in chosen:
        entry = dataset.entries[index]
        if entry.kind is not EntryKind.RECORD:
            continue
        if same and entry.record is None and entry.raw is not None:
            lines.append(entry.raw.strip())
        else:
            lines.append(dump_json(target.to_json(dataset.record(index)), compact=True))
    return b"".join(line + b"\n" for line in lines)


def records_at(dataset: Dataset, indices: Sequence[int] | None = None) -> list[PreferenceRecord]:
    """The records at ``indices`` (every record when ``None``), in order."""
    chosen = dataset.record_indices() if indices is None else indices
    return [dataset.record(i) for i in chosen if dataset.entries[i].kind is EntryKind.RECORD]


def dpo_upload(dataset: Dataset, indices: Sequence[int] | None, name: str) -> UploadFile:
    """An :class:`UploadFile` of DPO JSON Lines."""
    data = dpo_jsonl(dataset, indices)
    return UploadFile(name, data, data.count(b"\n"))


def sft_upload(dataset: Dataset, indices: Sequence[int] | None, name: str) -> UploadFile:
    """An :class:`UploadFile` of chat-format SFT examples made from the preferred answers."""
    data = sft_jsonl(records_at(dataset, indices))
    return UploadFile(name, data, data.count(b"\n"))


def content_sha256(dataset: Dataset) -> str:
    """Hex SHA-256 of the dataset's content as it would be saved now (equals the file's hash if untouched)."""
    try:
        data = dataset.to_bytes()
    except ValueError:  # a read-only dialect with edits: hash what would be uploaded instead
        data = dpo_jsonl(dataset)
    return hashlib.sha256(data).hexdigest()


def grouped_split(dataset: Dataset, ratio: float, seed: int) -> tuple[list[int], list[int]]:
    """(training, validation) entry indices: a fresh split by ``ratio``/``seed``, grouped by prompt."""
    indices = dataset.record_indices()
    sides = split_records([dataset.record(i) for i in indices], ratio, seed, keep_existing=False)
    train = [i for i, side in zip(indices, sides, strict=True) if side != VALIDATION]
    validation = [i for i, side in zip(indices, sides, strict=True) if side == VALIDATION]
    return train, validation


def upload_name(stem: str, part: str) -> str:
    """A file name for the service's file list, e.g. ``tone-train.dpo.jsonl``."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem).strip("._") or "dataset"
    return f"{safe[:60]}-{part}.jsonl"
