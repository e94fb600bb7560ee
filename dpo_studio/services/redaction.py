"""Keep secrets out of every message and log line.

Secrets the app handles (API keys, bearer tokens) are registered here the moment they are read from the
keyring or typed by the user; :func:`redact` replaces every registered secret, and anything that merely
looks like a key or a bearer token, with a placeholder. The logging filter applies the same rule to every
record, so a secret that slips into an exception or a third-party log message is still never written.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

PLACEHOLDER = "[redacted]"

#: Shapes that are secrets whoever produced them: OpenAI keys, bearer tokens, api-key headers, JWTs.
_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"\bsk-[A-Za-z0-9_\-]{8,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._~+/=\-]{8,}"),
    re.compile(r"(?i)((?:api[-_]?key|authorization|access[-_]?token)[\"']?\s*[:=]\s*[\"']?)[^\s\"',;}]{6,}"),
    re.compile(r"\beyJ[A-Za-z0-9_\-]{6,}\.[A-Za-z0-9_\-]{6,}\.[A-Za-z0-9_\-]{6,}"),
)

#: Secrets shorter than this are not registered: replacing a 3-letter string everywhere would garble text.
MIN_SECRET_LENGTH = 6

_lock = threading.Lock()
_secrets: set[str] = set()


def register_secret(secret: str | None) -> None:
    """Remember ``secret`` so that :func:`redact` removes it from any text from now on."""
    if secret and len(secret) >= MIN_SECRET_LENGTH:
        with _lock:
            _secrets.add(secret)


def forget_secret(secret: str | None) -> None:
    """Stop tracking ``secret`` (after it was deleted); harmless if it was never registered."""
    if secret:
        with _lock:
            _secrets.discard(secret)


def redact(text: str, extra: Iterable[str] = ()) -> str:
    """``text`` with every registered secret, every ``extra`` secret and anything key-shaped replaced."""
    with _lock:
        known = sorted(_secrets.union(s for s in extra if s and len(s) >= MIN_SECRET_LENGTH), key=len)
    for secret in reversed(known):  # longest first, so a secret containing another is removed whole
        text = text.replace(secret, PLACEHOLDER)
    for pattern in _PATTERNS:
        if pattern.groups:
            text = pattern.sub(lambda m: m.group(1) + PLACEHOLDER, text)
        else:
            text = pattern.sub(PLACEHOLDER, text)
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that renders each record and removes secrets from the result."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a broken format string must not lose the record
            message = str(record.msg)
        cleaned = redact(message)
        if record.exc_info and record.exc_info[1] is not None:
            # Exceptions are formatted later by the handler; store the redacted text instead.
            formatter = logging.Formatter()
            cleaned = cleaned + "\n" + redact(formatter.formatException(record.exc_info))
            record.exc_info = None
            record.exc_text = None
        record.msg = cleaned
        record.args = None
        return True


def install_log_redaction(logger: logging.Logger | None = None) -> RedactingFilter:
    """Attach one :class:`RedactingFilter` to ``logger`` (root by default) and to each of its handlers.

    Filters on a logger do not see records propagated from child loggers, so the filter also goes on the
    handlers, which see everything they write. Calling it twice adds nothing.
    """
    target = logger or logging.getLogger()
    existing = next((f for f in target.filters if isinstance(f, RedactingFilter)), None)
    shared = existing or RedactingFilter()
    if existing is None:
        target.addFilter(shared)
    for handler in target.handlers:
        if not any(isinstance(f, RedactingFilter) for f in handler.filters):
            handler.addFilter(shared)
    return shared
