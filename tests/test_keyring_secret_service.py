"""The app's credential store against a real Secret Service (gnome-keyring over D-Bus).

.ci/test runs this file inside ``dbus-run-session`` with gnome-keyring unlocked by a throwaway password and
HOME in a temporary folder, and sets ``DPO_STUDIO_SECRET_SERVICE=1``. There the test must pass: a missing or
unusable Secret Service is a failure, not a skip. Elsewhere (a developer's normal run) it is skipped, so it
never touches anyone's real keyring.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator

import keyring
import keyring.backend
import pytest

from dpo_studio.services.credentials import SERVICE, CredentialStore, keyring_status

ENV = "DPO_STUDIO_SECRET_SERVICE"

pytestmark = [
    pytest.mark.secret_service,
    pytest.mark.skipif(os.environ.get(ENV) != "1", reason=f"runs only where .ci/test sets {ENV}=1"),
]


@pytest.fixture
def secret_service() -> Iterator[keyring.backend.KeyringBackend]:
    """The SecretService backend as the active keyring (as keyring would choose it on a Linux desktop)."""
    from keyring.backends import SecretService

    backend = SecretService.Keyring()
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


def test_keyring_picks_secret_service_by_itself() -> None:
    chosen = keyring.core.load_keyring("keyring.backends.chainer.ChainerBackend")
    names = [type(b).__module__ for b in getattr(chosen, "backends", [chosen])]
    assert "keyring.backends.SecretService" in names, names


def test_store_read_delete_through_the_app(secret_service: keyring.backend.KeyringBackend) -> None:
    status = keyring_status()
    assert status.usable, status.reason
    assert "SecretService" in status.backend

    store = CredentialStore()
    connection_id = "ci-" + secrets.token_hex(6)
    key = "sk-ci-" + secrets.token_urlsafe(24)
    assert store.set_secret(connection_id, key) == "keyring"
    # A different store (as after a restart) reads it back from gnome-keyring itself.
    assert CredentialStore().get_secret(connection_id) == key
    assert secret_service.get_password(SERVICE, connection_id) == key
    store.delete_secret(connection_id)
    assert CredentialStore().get_secret(connection_id) is None
    assert secret_service.get_password(SERVICE, connection_id) is None
