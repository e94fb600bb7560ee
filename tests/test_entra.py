"""Microsoft Entra ID helpers with the real azure-identity classes (no sign-in can happen offline)."""

from __future__ import annotations

from pathlib import Path

import pytest
from azure.identity import AuthenticationRecord, AzureCliCredential, InteractiveBrowserCredential

from dpo_studio.services.connections import AuthMethod, ProviderKind, new_profile
from dpo_studio.services.entra import (
    SCOPE_FOUNDRY,
    SCOPE_RESOURCE,
    EntraAuthenticator,
    forget_record,
    load_record,
    record_path,
    save_record,
    scope_for,
)
from dpo_studio.services.errors import SignInRequired


def test_scope_per_endpoint() -> None:
    resource = new_profile(
        "r", ProviderKind.AZURE_OPENAI, "https://res.openai.azure.com", AuthMethod.ENTRA_BROWSER
    )
    project = new_profile(
        "p",
        ProviderKind.FOUNDRY_PROJECT,
        "https://a.services.ai.azure.com/api/projects/x",
        AuthMethod.ENTRA_BROWSER,
    )
    assert scope_for(resource) == SCOPE_RESOURCE == "https://cognitiveservices.azure.com/.default"
    assert scope_for(project) == SCOPE_FOUNDRY == "https://ai.azure.com/.default"


def test_authentication_record_round_trip_holds_no_secret(isolated_home: Path) -> None:
    record = AuthenticationRecord(
        "tenant-id", "client-id", "login.microsoftonline.com", "home.account", "ada@example.com"
    )
    save_record("conn", record)
    path = record_path("conn")
    assert path.is_relative_to(isolated_home)
    loaded = load_record("conn")
    assert loaded is not None and loaded.username == "ada@example.com" and loaded.tenant_id == "tenant-id"
    assert "token" not in path.read_text(encoding="utf-8").lower()
    forget_record("conn")
    assert load_record("conn") is None
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("{damaged", encoding="utf-8")
    assert load_record("conn") is None  # a damaged record means "sign in again", never a crash


def test_browser_credential_uses_the_apps_cache_and_saved_account(isolated_home: Path) -> None:
    profile = new_profile(
        "r", ProviderKind.AZURE_OPENAI, "https://res.openai.azure.com", AuthMethod.ENTRA_BROWSER
    )
    save_record(profile.id, AuthenticationRecord("t", "c", "login.microsoftonline.com", "h", "u"))
    authenticator = EntraAuthenticator()
    signed = authenticator.session(profile)
    assert isinstance(signed.credential, InteractiveBrowserCredential)
    assert signed.scope == SCOPE_RESOURCE and signed.persistent
    assert authenticator.session(profile) is signed  # one credential per connection for the whole run
    authenticator.sign_out(profile.id)
    assert load_record(profile.id) is None
    assert authenticator.session(profile) is not signed


def test_azure_cli_missing_is_explained() -> None:
    profile = new_profile(
        "cli", ProviderKind.AZURE_OPENAI, "https://res.openai.azure.com", AuthMethod.AZURE_CLI
    )
    authenticator = EntraAuthenticator()
    assert isinstance(authenticator.session(profile).credential, AzureCliCredential)
    with pytest.raises(SignInRequired) as caught:
        authenticator.sign_in(profile)
    assert "az login" in caught.value.hint or "Azure CLI" in caught.value.message


def test_key_profiles_have_no_entra_credential() -> None:
    profile = new_profile("k", ProviderKind.AZURE_OPENAI, "https://res.openai.azure.com", AuthMethod.API_KEY)
    with pytest.raises(SignInRequired):
        EntraAuthenticator().session(profile)
