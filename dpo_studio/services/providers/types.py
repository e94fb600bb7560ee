"""Plain data the provider layer returns: independent of the SDK's classes and safe to cache or show."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from dpo_studio.services.status import JobStatus, NormalizedStatus, normalize_status

#: ``progress(done, total, text)`` — the shape of ``ui.tasks`` contexts' ``progress``.
ProgressCallback = Callable[[int, int, str], None]
#: Returns True once the user asked to stop.
CancelCheck = Callable[[], bool]


def _get(obj: Any, name: str, default: Any = None) -> Any:
    """A field of an SDK model or a dict, including extra fields the SDK does not declare."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    value = getattr(obj, name, None)
    if value is None:
        extra = getattr(obj, "model_extra", None) or {}
        value = extra.get(name, default)
    return default if value is None else value


def _plain(value: Any) -> Any:
    """SDK models to plain dicts/lists (for storage and display)."""
    dump = getattr(value, "model_dump", None)
    if callable(dump):
        return dump(mode="json", exclude_none=True)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class ModelInfo:
    """A model the connection can see."""

    id: str
    supports_dpo: bool
    fine_tuned: bool = False
    created: int | None = None
    owned_by: str = ""


@dataclass(frozen=True)
class RemoteFile:
    """A file stored at the provider."""

    id: str
    filename: str
    bytes: int
    purpose: str
    status: str
    status_details: str = ""
    created_at: int | None = None

    @classmethod
    def from_sdk(cls, obj: Any) -> RemoteFile:
        """From an SDK ``FileObject`` (or a dict of one)."""
        return cls(
            id=str(_get(obj, "id", "")),
            filename=str(_get(obj, "filename", "")),
            bytes=int(_get(obj, "bytes", 0) or 0),
            purpose=str(_get(obj, "purpose", "")),
            status=str(_get(obj, "status", "")),
            status_details=str(_get(obj, "status_details", "") or ""),
            created_at=_get(obj, "created_at"),
        )


@dataclass(frozen=True)
class Job:
    """A fine-tuning job with its status normalised and its raw fields kept."""

    id: str
    status: NormalizedStatus
    model: str
    created_at: int | None
    fine_tuned_model: str | None = None
    finished_at: int | None = None
    estimated_finish: int | None = None
    training_file: str | None = None
    validation_file: str | None = None
    result_files: tuple[str, ...] = ()
    trained_tokens: int | None = None
    suffix: str | None = None
    seed: int | None = None
    method: dict[str, Any] = field(default_factory=dict)
    metadata: dict[str, str] = field(default_factory=dict)
    error_message: str = ""
    error_code: str = ""
    raw: dict[str, Any] = field(default_factory=dict)

    @property
    def state(self) -> JobStatus:
        """Shortcut for ``status.status``."""
        return self.status.status

    @property
    def hyperparameters(self) -> dict[str, Any]:
        """The effective DPO hyperparameters the service reports ("auto" resolved once running)."""
        method = self.method or {}
        kind = method.get("type") or "dpo"
        block = method.get(kind) or {}
        params = block.get("hyperparameters") if isinstance(block, dict) else None
        return dict(params) if isinstance(params, dict) else {}

    @classmethod
    def from_sdk(cls, obj: Any) -> Job:
        """From an SDK ``FineTuningJob`` (or a dict); unknown statuses and extra fields are kept."""
        raw = _plain(obj)
        error = _get(obj, "error")
        return cls(
            id=str(_get(obj, "id", "")),
            status=normalize_status(_get(obj, "status")),
            model=str(_get(obj, "model", "")),
            created_at=_get(obj, "created_at"),
            fine_tuned_model=_get(obj, "fine_tuned_model"),
            finished_at=_get(obj, "finished_at"),
            estimated_finish=_get(obj, "estimated_finish"),
            training_file=_get(obj, "training_file"),
            validation_file=_get(obj, "validation_file"),
            result_files=tuple(_get(obj, "result_files", ()) or ()),
            trained_tokens=_get(obj, "trained_tokens"),
            suffix=_get(obj, "suffix") or _get(obj, "user_provided_suffix"),
            seed=_get(obj, "seed"),
            method=_plain(_get(obj, "method", {})) or {},
            metadata=dict(_get(obj, "metadata", {}) or {}),
            error_message=str(_get(error, "message", "") or "") if error else "",
            error_code=str(_get(error, "code", "") or "") if error else "",
            raw=raw if isinstance(raw, dict) else {},
        )


@dataclass(frozen=True)
class JobEvent:
    """One job event; ``data`` holds the metrics of ``metrics`` events."""

    id: str
    created_at: int
    level: str
    message: str
    type: str
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def is_metrics(self) -> bool:
        """True for events carrying metric values."""
        return self.type == "metrics" and bool(self.data)

    @classmethod
    def from_sdk(cls, obj: Any) -> JobEvent:
        """From an SDK ``FineTuningJobEvent``; unknown types (``moderation_checks``...) are kept."""
        data = _plain(_get(obj, "data", {}))
        return cls(
            id=str(_get(obj, "id", "")),
            created_at=int(_get(obj, "created_at", 0) or 0),
            level=str(_get(obj, "level", "info")),
            message=str(_get(obj, "message", "")),
            type=str(_get(obj, "type", "message")),
            data=data if isinstance(data, dict) else {},
        )


@dataclass(frozen=True)
class Checkpoint:
    """A saved checkpoint with its metrics."""

    id: str
    step: int
    model: str
    metrics: dict[str, float]
    created_at: int | None = None

    @classmethod
    def from_sdk(cls, obj: Any) -> Checkpoint:
        """From an SDK ``FineTuningJobCheckpoint``."""
        metrics = _plain(_get(obj, "metrics", {})) or {}
        numbers = {
            str(k): float(v)
            for k, v in metrics.items()
            if isinstance(v, (int, float)) and not isinstance(v, bool) and k not in ("step", "total_steps")
        }
        return cls(
            id=str(_get(obj, "id", "")),
            step=int(_get(obj, "step_number", 0) or 0),
            model=str(_get(obj, "fine_tuned_model_checkpoint", "")),
            metrics=numbers,
            created_at=_get(obj, "created_at"),
        )


@dataclass(frozen=True)
class EventPage:
    """One page of events as the service returned it (newest first on OpenAI and Azure)."""

    events: list[JobEvent]
    has_more: bool

    @property
    def last_id(self) -> str | None:
        """The cursor for the next (older) page."""
        return self.events[-1].id if self.events else None


@dataclass
class EventFeed:
    """What the app already knows of a job's events, so each poll fetches only new ones."""

    job_id: str
    seen: set[str] = field(default_factory=set)
    newest_id: str | None = None
    ascending: bool | None = None  # the service's list order, detected on the first poll


@dataclass
class UploadState:
    """Where a multi-part upload stands, so a failed one resumes without resending finished parts."""

    path: str
    filename: str
    total_bytes: int
    part_size: int
    upload_id: str = ""
    part_ids: list[str] = field(default_factory=list)

    @property
    def parts_total(self) -> int:
        """How many parts the file splits into."""
        return max(1, -(-self.total_bytes // self.part_size))

    @property
    def bytes_done(self) -> int:
        """Bytes the service has confirmed."""
        return min(self.total_bytes, len(self.part_ids) * self.part_size)


@dataclass(frozen=True)
class ConnectionReport:
    """What "Test connection" found."""

    reached: str  # the endpoint that answered
    provider: str
    auth: str
    models_total: int
    dpo_models: list[str]
    can_list_jobs: bool
    notes: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """A few plain sentences for the dialog."""
        lines = [f"Reached {self.provider} at {self.reached} ({self.auth})."]
        if self.dpo_models:
            lines.append(
                f"{len(self.dpo_models)} model(s) can be fine-tuned with DPO: "
                + ", ".join(self.dpo_models)
                + "."
            )
        else:
            lines.append(
                f"{self.models_total} model(s) visible, none of them known to support DPO fine-tuning."
            )
        if self.can_list_jobs:
            lines.append("Fine-tuning jobs can be listed.")
        lines.extend(self.notes)
        return "\n".join(lines)
