"""The credential store against real keyring backends: in-memory, locked, and none at all."""

from __future__ import annotations

import secrets

import pytest

from dpo_studio.services.credentials import SERVICE, CredentialStore, keyring_status
from dpo_studio.services.errors import CredentialsMissing, KeyringUnavailable
from dpo_studio.services.redaction import redact
from tests.keyring_backends import LockedKeyring, MemoryKeyring


def fake_key() -> str:
    return "sk-test-" + secrets.token_urlsafe(24)


def test_stores_reads_and_deletes_in_keyring(memory_keyring: MemoryKeyring) -> None:
    store = CredentialStore()
    key = fake_key()
    assert store.set_secret("conn-1", key) == "keyring"
    assert memory_keyring.passwords[(SERVICE, "conn-1")] == key
    assert store.get_secret("conn-1") == key
    assert store.where("conn-1") == "keyring"
    store.delete_secret("conn-1")
    assert store.get_secret("conn-1") is None
    assert (SERVICE, "conn-1") not in memory_keyring.passwords
    store.delete_secret("conn-1")  # deleting twice is harmless


def test_status_names_the_backend(memory_keyring: MemoryKeyring) -> None:
    status = keyring_status()
    assert status.usable
    assert status.backend == "In-memory test keyring"
    assert "In-memory test keyring" in status.describe()


def test_no_keyring_is_reported_and_refuses_to_store(no_keyring: object) -> None:
    status = keyring_status()
    assert not status.usable
    assert "no keyring" in status.reason
    store = CredentialStore()
    with pytest.raises(KeyringUnavailable) as caught:
        store.set_secret("conn-2", fake_key())
    assert "session only" in caught.value.hint
    assert store.get_secret("conn-2") is None


def test_locked_keyring_is_reported(locked_keyring: LockedKeyring) -> None:
    status = keyring_status()
    assert not status.usable
    assert status.reason == "the keyring is locked"
    with pytest.raises(KeyringUnavailable):
        CredentialStore().set_secret("conn-3", fake_key())
    with pytest.raises(KeyringUnavailable) as caught:
        CredentialStore().get_secret("conn-3")
    assert "locked" in caught.value.message


def test_session_only_secret_lives_in_memory_only(no_keyring: object) -> None:
    store = CredentialStore()
    key = fake_key()
    assert store.set_secret("conn-4", key, session_only=True) == "session"
    assert store.get_secret("conn-4") == key
    assert store.where("conn-4") == "session"
    # Another process (a new store) does not see it: nothing was written anywhere.
    assert CredentialStore().get_secret("conn-4") is None
    store.delete_secret("conn-4")
    assert store.get_secret("conn-4") is None


def test_missing_secret_says_what_to_do(memory_keyring: MemoryKeyring) -> None:
    with pytest.raises(CredentialsMissing) as caught:
        CredentialStore().require_secret("nothing-here", "Work Azure")
    assert "Work Azure" in caught.value.message
    assert "Enter the connection's key" in caught.value.hint


def test_stored_secrets_are_redacted_everywhere_after_use(memory_keyring: MemoryKeyring) -> None:
    key = "custom-" + secrets.token_hex(16)  # not key-shaped: only registration can catch it
    CredentialStore().set_secret("conn-5", key)
    assert key not in redact(f"failed with {key} in the message")
