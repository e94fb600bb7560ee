"""Secrets (API keys) in the OS keyring, keyed by connection id — and nowhere else.

:func:`keyring_status` says which backend holds the secrets and whether it is usable. The fail and null
backends, plaintext backends (``keyrings.alt``) and a locked or broken keyring count as unusable; the app then
tells the user and may keep a secret in memory for this run only. There is never a plaintext fallback.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

import keyring
import keyring.backend
import keyring.errors

from dpo_studio.core.process_wide import ProcessWide
from dpo_studio.services.errors import CredentialsMissing, KeyringUnavailable, user_error
from dpo_studio.services.redaction import forget_secret, register_secret

#: The keyring "service" under which every DPO Studio secret is stored.
SERVICE = "dpo-studio"
#: A key name that is only ever read, to check that the keyring answers.
_PROBE = "__dpo-studio-probe__"

#: Backends that never keep anything, or keep it unencrypted on disk.
_UNUSABLE_MODULES = ("keyring.backends.fail", "keyring.backends.null", "keyrings.alt")


@dataclass(frozen=True)
class KeyringStatus:
    """Which keyring backend is in use and whether secrets can be stored in it."""

    usable: bool
    backend: str  # a readable backend name ("SecretService Keyring", "macOS Keyring", ...)
    reason: str = ""  # why it is unusable, in plain words

    def describe(self) -> str:
        """One sentence for the connections dialog."""
        if self.usable:
            return f"Secrets are stored in the system keyring ({self.backend})."
        return f"No usable system keyring ({self.reason}). Keys can be kept for this session only."


def _backend_name(backend: keyring.backend.KeyringBackend) -> str:
    name = getattr(backend, "name", "") or type(backend).__name__
    return str(name)


def _leaves(backend: keyring.backend.KeyringBackend) -> list[keyring.backend.KeyringBackend]:
    """The real backends behind a chainer (or the backend itself)."""
    inner = getattr(backend, "backends", None)
    if isinstance(inner, (list, tuple)):
        return list(inner)
    return [backend]


def _unusable(backend: keyring.backend.KeyringBackend) -> bool:
    module = type(backend).__module__
    return any(module == m or module.startswith(m + ".") for m in _UNUSABLE_MODULES)


def keyring_status() -> KeyringStatus:
    """Probe the active keyring (may block briefly: call it off the GUI thread)."""
    backend = keyring.get_keyring()
    leaves = [b for b in _leaves(backend) if not _unusable(b)]
    if not leaves:
        return KeyringStatus(False, _backend_name(backend), "no keyring service is running on this computer")
    name = ", ".join(_backend_name(b) for b in leaves)
    try:
        backend.get_password(SERVICE, _PROBE)
    except keyring.errors.KeyringLocked:
        return KeyringStatus(False, name, "the keyring is locked")
    except Exception as error:  # any backend failure means we cannot rely on it
        return KeyringStatus(False, name, f"the keyring did not answer: {type(error).__name__}")
    return KeyringStatus(True, name)


class CredentialStore:
    """Stores, reads and deletes connection secrets in the keyring, or in memory for this session only."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._session: dict[str, str] = {}

    def status(self) -> KeyringStatus:
        """See :func:`keyring_status`."""
        return keyring_status()

    def set_secret(self, connection_id: str, secret: str, *, session_only: bool = False) -> str:
        """Store ``secret`` for ``connection_id``; returns where it went ("keyring" or "session").

        Raises :class:`KeyringUnavailable` when the keyring cannot take it and ``session_only`` is False,
        so the caller can offer the session-only choice explicitly.
        """
        register_secret(secret)
        if session_only:
            with self._lock:
                self._session[connection_id] = secret
            return "session"
        status = keyring_status()
        if not status.usable:
            raise KeyringUnavailable(
                f"The key cannot be stored: {status.reason}.",
                "Unlock or install a system keyring, or choose to keep the key for this session only.",
            )
        try:
            keyring.set_password(SERVICE, connection_id, secret)
        except Exception as error:
            raise _keyring_error(error) from None
        with self._lock:
            self._session.pop(connection_id, None)
        return "keyring"

    def get_secret(self, connection_id: str) -> str | None:
        """The secret for ``connection_id`` (session first, then keyring), or None when none is stored."""
        with self._lock:
            secret = self._session.get(connection_id)
        if secret is not None:
            return secret
        try:
            secret = keyring.get_password(SERVICE, connection_id)
        except keyring.errors.NoKeyringError:
            return None
        except Exception as error:
            raise _keyring_error(error) from None
        register_secret(secret)
        return secret

    def require_secret(self, connection_id: str, connection_name: str = "") -> str:
        """The secret, or :class:`CredentialsMissing` telling the user to enter it."""
        secret = self.get_secret(connection_id)
        if not secret:
            label = f" for '{connection_name}'" if connection_name else ""
            raise CredentialsMissing(
                f"No API key is stored{label}.", "Enter the connection's key under Connections and save it."
            )
        return secret

    def where(self, connection_id: str) -> str:
        """ "session", "keyring" or "" — where the secret of ``connection_id`` lives (does not return it)."""
        with self._lock:
            if connection_id in self._session:
                return "session"
        try:
            return "keyring" if keyring.get_password(SERVICE, connection_id) else ""
        except Exception:
            return ""

    def delete_secret(self, connection_id: str) -> None:
        """Remove the secret from the session and the keyring; missing secrets are fine."""
        with self._lock:
            forget_secret(self._session.pop(connection_id, None))
        try:
            keyring.delete_password(SERVICE, connection_id)
        except (keyring.errors.PasswordDeleteError, keyring.errors.NoKeyringError):
            pass
        except Exception as error:
            raise _keyring_error(error) from None


def _keyring_error(error: Exception) -> Any:
    converted = user_error(error)
    if isinstance(converted, KeyringUnavailable):
        return converted
    return KeyringUnavailable(f"The system keyring failed: {converted.message}", converted.hint)


credential_store = ProcessWide(
    CredentialStore, "The process-wide credential store (session-only secrets live as long as the process)."
)
