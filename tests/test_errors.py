"""Errors from the keyring and azure-identity become plain sentences; unknown ones never leak secrets."""

from __future__ import annotations

import keyring.errors
import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import AuthenticationRequiredError, CredentialUnavailableError

from dpo_studio.core.errors import UserError
from dpo_studio.services.errors import (
    KeyringUnavailable,
    ServiceError,
    SignInRequired,
    explained,
    is_wind_down_refusal,
    user_error,
)
from dpo_studio.services.redaction import register_secret


@pytest.mark.parametrize(
    ("error", "cls", "fragment"),
    [
        (keyring.errors.KeyringLocked("locked"), KeyringUnavailable, "locked"),
        (keyring.errors.NoKeyringError("none"), KeyringUnavailable, "No system keyring"),
        (keyring.errors.PasswordSetError("dbus"), KeyringUnavailable, "refused"),
        (CredentialUnavailableError("Azure CLI not found on path"), SignInRequired, "not available"),
        (AuthenticationRequiredError(["scope"]), SignInRequired, "Sign-in"),
        (ClientAuthenticationError("AADSTS700016: application not found"), SignInRequired, "failed"),
    ],
)
def test_mapped(error: Exception, cls: type[UserError], fragment: str) -> None:
    mapped = user_error(error, action="sign in")
    assert isinstance(mapped, cls)
    assert fragment in mapped.message
    assert mapped.hint


def test_unknown_errors_are_wrapped_and_redacted() -> None:
    secret = "tok-" + "9" * 20
    register_secret(secret)
    mapped = user_error(ValueError(f"weird {secret}"), action="list jobs")
    assert isinstance(mapped, ServiceError)
    assert secret not in str(mapped) and "ValueError" in mapped.message


def test_explained_reraises_user_errors_only() -> None:
    with pytest.raises(SignInRequired), explained(action="sign in"):
        raise AuthenticationRequiredError(["scope"])
    original = UserError("kept", "as is")
    with pytest.raises(UserError) as caught, explained():
        raise original
    assert caught.value is original


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("OpenAI is winding down the self-serve fine-tuning platform", True),
        ("The platform is no longer accessible to new users", True),
        ("Training file has 3 example(s), but must have at least 10 examples", False),
    ],
)
def test_wind_down_detection(text: str, expected: bool) -> None:
    assert is_wind_down_refusal(text) is expected
