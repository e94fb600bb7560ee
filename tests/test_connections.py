"""Connection profiles: validation per provider, storage in settings, no secret ever in the settings file."""

from __future__ import annotations

from pathlib import Path

import pytest

from dpo_studio.core.errors import UserError
from dpo_studio.services.connections import (
    AuthMethod,
    ConnectionStore,
    ProviderKind,
    new_profile,
    validate_profile,
)


def test_valid_profiles_for_each_kind() -> None:
    assert (
        validate_profile(new_profile("Azure", ProviderKind.AZURE_OPENAI, "https://res.openai.azure.com"))
        == []
    )
    assert (
        validate_profile(
            new_profile(
                "Foundry",
                ProviderKind.FOUNDRY_PROJECT,
                "https://acct.services.ai.azure.com/api/projects/proj",
            )
        )
        == []
    )
    openai_profile = new_profile("OpenAI", ProviderKind.OPENAI)
    assert validate_profile(openai_profile) == []
    assert openai_profile.is_legacy
    assert openai_profile.effective_endpoint == "https://api.openai.com/v1"
    assert validate_profile(new_profile("Local", ProviderKind.CUSTOM, "http://127.0.0.1:8765/v1")) == []


@pytest.mark.parametrize(
    ("kind", "endpoint", "auth", "fragment"),
    [
        (
            ProviderKind.AZURE_OPENAI,
            "https://res.openai.azure.com/openai/deployments/x",
            None,
            "only the resource",
        ),
        (ProviderKind.AZURE_OPENAI, "https://example.com", None, "does not look like an Azure OpenAI"),
        (ProviderKind.FOUNDRY_PROJECT, "https://acct.services.ai.azure.com", None, "/api/projects/"),
        (
            ProviderKind.FOUNDRY_PROJECT,
            "https://a.services.ai.azure.com/api/projects/p",
            AuthMethod.API_KEY,
            "sign in",
        ),
        (ProviderKind.OPENAI, "", AuthMethod.ENTRA_BROWSER, "sign in with"),
        (ProviderKind.CUSTOM, "http://gateway.example.com/v1", None, "https://"),
        (ProviderKind.CUSTOM, "not a url", None, "full URL"),
        (ProviderKind.CUSTOM, "", None, "Enter the endpoint"),
    ],
)
def test_invalid_profiles_are_explained(
    kind: ProviderKind, endpoint: str, auth: AuthMethod | None, fragment: str
) -> None:
    problems = validate_profile(new_profile("x", kind, endpoint, auth))
    assert any(fragment in p for p in problems), problems


def test_store_round_trip_update_delete(isolated_home: Path) -> None:
    store = ConnectionStore()
    first = new_profile(
        "Azure", ProviderKind.AZURE_OPENAI, "https://res.openai.azure.com", AuthMethod.ENTRA_BROWSER
    )
    second = new_profile("Local", ProviderKind.CUSTOM, "http://127.0.0.1:9/v1")
    store.save(first)
    store.save(second)
    assert [p.name for p in store.list()] == ["Azure", "Local"]
    assert store.default_id() == first.id

    first.name = "Azure (work)"
    store.save(first)
    assert store.get(first.id).name == "Azure (work)"
    assert store.get(first.id).auth_method is AuthMethod.ENTRA_BROWSER

    # A fresh store reads the same file: the profile survived on disk.
    assert ConnectionStore().get(second.id).endpoint == "http://127.0.0.1:9/v1"

    store.delete(first.id)
    assert [p.id for p in store.list()] == [second.id]
    assert store.default_id() == second.id
    with pytest.raises(UserError):
        store.get(first.id)


def test_invalid_profile_is_not_saved() -> None:
    store = ConnectionStore()
    with pytest.raises(UserError) as caught:
        store.save(new_profile("", ProviderKind.CUSTOM, ""))
    assert "name" in caught.value.message
    assert store.list() == []


def test_unknown_kind_and_fields_survive(isolated_home: Path) -> None:
    settings_file = isolated_home / "config" / "settings.json"
    settings_file.parent.mkdir(parents=True, exist_ok=True)
    settings_file.write_text(
        '{"version": 1, "sections": {"connections": {"profiles": ['
        '{"id": "a", "name": "Future", "kind": "future_cloud", "endpoint": "https://x", "new_field": 1},'
        '{"broken": true}], "default_id": "a"}}}',
        encoding="utf-8",
    )
    profiles = ConnectionStore().list()
    assert [p.id for p in profiles] == ["a"]
    assert profiles[0].provider_kind is ProviderKind.CUSTOM
