"""Secrets are removed from text and from every log record, wherever they come from."""

from __future__ import annotations

import logging
import secrets

import pytest

from dpo_studio.services.redaction import (
    PLACEHOLDER,
    RedactingFilter,
    install_log_redaction,
    redact,
    register_secret,
)


def test_registered_secret_is_removed() -> None:
    key = secrets.token_hex(20)
    register_secret(key)
    assert redact(f"a{key}b") == f"a{PLACEHOLDER}b"


# Key-shaped values are made at import time, so no key-like literal sits in the repository.
_SK_TAIL = secrets.token_hex(10)


@pytest.mark.parametrize(
    "text",
    [
        f"Incorrect API key provided: sk-proj-{_SK_TAIL}",
        "Authorization: Bearer eyJhbGciOi.eyJzdWIiOiIx.c2lnbmF0dXJl",
        "header api-key: 0123456789abcdef0123",
        '{"api_key": "whatever-secret-value"}',
    ],
)
def test_key_shaped_text_is_removed(text: str) -> None:
    cleaned = redact(text)
    assert PLACEHOLDER in cleaned
    for secret in (_SK_TAIL, "c2lnbmF0dXJl", "0123456789abcdef0123", "whatever-secret-value"):
        assert secret not in cleaned


def test_log_records_and_tracebacks_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    key = "k-" + secrets.token_hex(12)
    register_secret(key)
    logger = logging.getLogger("dpo_studio.test_redaction")
    caplog.handler.addFilter(RedactingFilter())
    with caplog.at_level(logging.INFO, logger=logger.name):
        logger.info("using key %s", key)
        try:
            raise ValueError(f"bad key {key}")
        except ValueError:
            logger.exception("failed")
    text = caplog.text
    assert key not in text
    assert PLACEHOLDER in text
    assert "ValueError" in text


def test_install_is_idempotent() -> None:
    logger = logging.getLogger("dpo_studio.test_install")
    handler = logging.StreamHandler()
    logger.addHandler(handler)
    try:
        first = install_log_redaction(logger)
        second = install_log_redaction(logger)
        assert first is second
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
    finally:
        logger.removeHandler(handler)
