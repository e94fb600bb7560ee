"""Keyring backends for tests: a real in-memory ``KeyringBackend`` and ones that fail like real keyrings do.

Listed in ``pytest_plugins`` (tests/conftest.py); the fixtures install a backend with ``keyring.set_keyring``
and put the previous one back afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import keyring.backend
import keyring.errors
import pytest


class MemoryKeyring(keyring.backend.KeyringBackend):
    """Keeps passwords in a dict, like an unlocked OS keyring would."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.passwords: dict[tuple[str, str], str] = {}

    @property
    def name(self) -> str:  # type: ignore[override]
        return "In-memory test keyring"

    def get_password(self, service: str, username: str) -> str | None:
        return self.passwords.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.passwords[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        try:
            del self.passwords[(service, username)]
        except KeyError:
            raise keyring.errors.PasswordDeleteError("not found") from None


class LockedKeyring(MemoryKeyring):
    """A keyring whose collection is locked: every access raises ``KeyringLocked``."""

    @property
    def name(self) -> str:  # type: ignore[override]
        return "Locked test keyring"

    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise keyring.errors.KeyringLocked("collection is locked")


def _install(backend: keyring.backend.KeyringBackend) -> Iterator[keyring.backend.KeyringBackend]:
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """An unlocked in-memory keyring as the active backend."""
    backend = MemoryKeyring()
    for _ in _install(backend):
        yield backend


@pytest.fixture
def locked_keyring() -> Iterator[LockedKeyring]:
    """A locked keyring as the active backend."""
    backend = LockedKeyring()
    for _ in _install(backend):
        yield backend


@pytest.fixture
def no_keyring() -> Iterator[keyring.backend.KeyringBackend]:
    """keyring's own 'fail' backend, what a machine without any keyring service gets."""
    from keyring.backends import fail

    backend = fail.Keyring()
    for _ in _install(backend):
        yield backend
