"""Status names from both vocabularies map to one enum; unknown ones are kept and never crash."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dpo_studio.services.status import JobStatus, normalize_status

OPENAI = {
    "validating_files": JobStatus.VALIDATING,
    "queued": JobStatus.QUEUED,
    "running": JobStatus.RUNNING,
    "succeeded": JobStatus.SUCCEEDED,
    "failed": JobStatus.FAILED,
    "cancelled": JobStatus.CANCELLED,
    "paused": JobStatus.PAUSED,
}
AZURE = {
    "created": JobStatus.QUEUED,
    "pending": JobStatus.QUEUED,
    "running": JobStatus.RUNNING,
    "pausing": JobStatus.PAUSING,
    "paused": JobStatus.PAUSED,
    "resuming": JobStatus.RESUMING,
    "succeeded": JobStatus.SUCCEEDED,
    "cancelled": JobStatus.CANCELLED,
    "failed": JobStatus.FAILED,
}


@pytest.mark.parametrize(("raw", "expected"), [*OPENAI.items(), *AZURE.items()])
def test_known_vocabularies(raw: str, expected: JobStatus) -> None:
    normalized = normalize_status(raw)
    assert normalized.status is expected
    assert normalized.raw == raw
    assert normalized.label and normalized.label != "Unknown"


def test_case_and_spelling_variants() -> None:
    assert normalize_status("Succeeded").status is JobStatus.SUCCEEDED
    assert normalize_status("Canceled").status is JobStatus.CANCELLED
    assert normalize_status("VALIDATING_FILES").status is JobStatus.VALIDATING


def test_unknown_kept_verbatim() -> None:
    normalized = normalize_status("moderation_review")
    assert normalized.status is JobStatus.UNKNOWN
    assert normalized.label == "moderation_review"
    assert normalize_status(None).label == "Unknown"


def test_actions_follow_state() -> None:
    assert JobStatus.RUNNING.can_pause and not JobStatus.RUNNING.can_resume
    assert JobStatus.PAUSED.can_resume and JobStatus.PAUSED.can_cancel
    assert not JobStatus.SUCCEEDED.can_cancel and JobStatus.SUCCEEDED.is_terminal
    assert not JobStatus.UNKNOWN.can_cancel


@given(st.one_of(st.text(), st.integers(), st.none(), st.floats()))
def test_never_raises(raw: object) -> None:
    normalized = normalize_status(raw)
    assert isinstance(normalized.label, str)
