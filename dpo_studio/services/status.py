"""One job-status vocabulary for OpenAI, Azure classic and Azure v1/Foundry.

OpenAI says ``validating_files, queued, running, succeeded, failed, cancelled`` (+ ``paused``); Azure classic
says ``created, pending, running, pausing, paused, resuming, succeeded, cancelled, failed``. Anything else is
kept verbatim as :attr:`JobStatus.UNKNOWN` with its raw text, shown as it came, and never raises.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class JobStatus(enum.StrEnum):
    """The app's job states."""

    VALIDATING = "validating"
    QUEUED = "queued"
    RUNNING = "running"
    PAUSING = "pausing"
    PAUSED = "paused"
    RESUMING = "resuming"
    CANCELLING = "cancelling"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"
    UNKNOWN = "unknown"

    @property
    def is_terminal(self) -> bool:
        """No further change will happen."""
        return self in (JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED)

    @property
    def can_cancel(self) -> bool:
        """Cancel makes sense in this state."""
        return not self.is_terminal and self not in (JobStatus.CANCELLING, JobStatus.UNKNOWN)

    @property
    def can_pause(self) -> bool:
        """Pause applies only to running jobs (Azure: that trained at least one step)."""
        return self is JobStatus.RUNNING

    @property
    def can_resume(self) -> bool:
        """Resume applies only to paused jobs."""
        return self is JobStatus.PAUSED


_ALIASES: dict[str, JobStatus] = {
    # OpenAI and Azure v1
    "validating_files": JobStatus.VALIDATING,
    "queued": JobStatus.QUEUED,
    "running": JobStatus.RUNNING,
    "succeeded": JobStatus.SUCCEEDED,
    "failed": JobStatus.FAILED,
    "cancelled": JobStatus.CANCELLED,
    "paused": JobStatus.PAUSED,
    # Azure classic
    "created": JobStatus.QUEUED,
    "pending": JobStatus.QUEUED,
    "notstarted": JobStatus.QUEUED,
    "pausing": JobStatus.PAUSING,
    "resuming": JobStatus.RESUMING,
    "cancelling": JobStatus.CANCELLING,
    "canceling": JobStatus.CANCELLING,
    "canceled": JobStatus.CANCELLED,
    "completed": JobStatus.SUCCEEDED,
    "validating": JobStatus.VALIDATING,
}

_LABELS: dict[JobStatus, str] = {
    JobStatus.VALIDATING: "Validating files",
    JobStatus.QUEUED: "Queued",
    JobStatus.RUNNING: "Running",
    JobStatus.PAUSING: "Pausing",
    JobStatus.PAUSED: "Paused",
    JobStatus.RESUMING: "Resuming",
    JobStatus.CANCELLING: "Cancelling",
    JobStatus.SUCCEEDED: "Succeeded",
    JobStatus.FAILED: "Failed",
    JobStatus.CANCELLED: "Cancelled",
}


@dataclass(frozen=True)
class NormalizedStatus:
    """A status as the app understands it, with the provider's own word kept."""

    status: JobStatus
    raw: str

    @property
    def label(self) -> str:
        """What to show: a friendly name, or the provider's word verbatim when it is unknown."""
        if self.status is JobStatus.UNKNOWN:
            return self.raw or "Unknown"
        return _LABELS[self.status]


def normalize_status(raw: object) -> NormalizedStatus:
    """The app status for any provider's status value (``None`` and odd types included)."""
    text = "" if raw is None else str(getattr(raw, "value", raw))
    key = text.strip().lower().replace(" ", "").replace("-", "_")
    status = _ALIASES.get(key) or _ALIASES.get(key.replace("_", ""), JobStatus.UNKNOWN)
    return NormalizedStatus(status, text)
