"""Connection profiles: where jobs run and how the app signs in, without any secret.

A profile names a provider kind (Azure OpenAI resource, Foundry project, OpenAI, or any server speaking the
same API), its endpoint and how to authenticate. Profiles are stored in the typed settings (section
``connections``); the API key of a key-based profile is kept only in the OS keyring under the profile's id
(see :mod:`dpo_studio.services.credentials`).
"""

from __future__ import annotations

import dataclasses
import enum
import re
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from dpo_studio.core.errors import UserError
from dpo_studio.services.settings import SettingsStore, settings

SECTION = "connections"

#: The api-version the Azure classic route needs for DPO, pause/resume and checkpoints.
DEFAULT_AZURE_API_VERSION = "2025-04-01-preview"
OPENAI_BASE_URL = "https://api.openai.com/v1"
#: OpenAI's self-serve fine-tuning wind-down: reported last day for new jobs.
OPENAI_WIND_DOWN_DATE = "2027-01-06"


class ProviderKind(enum.StrEnum):
    """Where the fine-tuning API lives."""

    AZURE_OPENAI = "azure_openai"
    FOUNDRY_PROJECT = "foundry_project"
    OPENAI = "openai"
    CUSTOM = "custom"

    @property
    def label(self) -> str:
        """The name shown to people."""
        return _KIND_LABELS[self]


_KIND_LABELS = {
    ProviderKind.AZURE_OPENAI: "Azure OpenAI",
    ProviderKind.FOUNDRY_PROJECT: "Microsoft Foundry project",
    ProviderKind.OPENAI: "OpenAI (legacy)",
    ProviderKind.CUSTOM: "Custom OpenAI-compatible server",
}


class AuthMethod(enum.StrEnum):
    """How requests are authorised."""

    API_KEY = "api_key"
    ENTRA_BROWSER = "entra_browser"  # interactive browser sign-in, persisted cache + AuthenticationRecord
    ENTRA_DEVICE_CODE = "entra_device_code"  # fallback for machines without a usable browser
    AZURE_CLI = "azure_cli"  # developers already signed in with `az login`
    NONE = "none"  # a local or gateway server that needs no key

    @property
    def label(self) -> str:
        """The name shown to people."""
        return _AUTH_LABELS[self]

    @property
    def is_entra(self) -> bool:
        """True for the Microsoft Entra ID methods (no secret stored by the app)."""
        return self in (AuthMethod.ENTRA_BROWSER, AuthMethod.ENTRA_DEVICE_CODE, AuthMethod.AZURE_CLI)


_AUTH_LABELS = {
    AuthMethod.API_KEY: "API key",
    AuthMethod.ENTRA_BROWSER: "Microsoft Entra ID (browser sign-in)",
    AuthMethod.ENTRA_DEVICE_CODE: "Microsoft Entra ID (device code)",
    AuthMethod.AZURE_CLI: "Azure CLI (az login)",
    AuthMethod.NONE: "No authentication",
}

#: Which sign-in methods each provider accepts (Foundry projects are Entra ID only).
ALLOWED_AUTH: dict[ProviderKind, tuple[AuthMethod, ...]] = {
    ProviderKind.AZURE_OPENAI: (
        AuthMethod.API_KEY,
        AuthMethod.ENTRA_BROWSER,
        AuthMethod.ENTRA_DEVICE_CODE,
        AuthMethod.AZURE_CLI,
    ),
    ProviderKind.FOUNDRY_PROJECT: (
        AuthMethod.ENTRA_BROWSER,
        AuthMethod.ENTRA_DEVICE_CODE,
        AuthMethod.AZURE_CLI,
    ),
    ProviderKind.OPENAI: (AuthMethod.API_KEY,),
    ProviderKind.CUSTOM: (AuthMethod.API_KEY, AuthMethod.NONE),
}


@dataclass
class ConnectionProfile:
    """One saved connection. Holds no secret."""

    id: str
    name: str
    kind: str  # a ProviderKind value (kept as str so unknown future kinds survive a round trip)
    endpoint: str = ""
    auth: str = AuthMethod.API_KEY.value
    api_version: str = DEFAULT_AZURE_API_VERSION  # Azure classic route only
    tenant_id: str = ""  # Entra ID: empty means "organizations"
    organization: str = ""  # OpenAI only (optional)
    project: str = ""  # OpenAI only (optional)

    @property
    def provider_kind(self) -> ProviderKind:
        """The provider kind as an enum (unknown values read as a custom server)."""
        try:
            return ProviderKind(self.kind)
        except ValueError:
            return ProviderKind.CUSTOM

    @property
    def auth_method(self) -> AuthMethod:
        """The sign-in method as an enum (unknown values read as an API key)."""
        try:
            return AuthMethod(self.auth)
        except ValueError:
            return AuthMethod.API_KEY

    @property
    def needs_secret(self) -> bool:
        """True when an API key must come from the credential store."""
        return self.auth_method is AuthMethod.API_KEY

    @property
    def is_legacy(self) -> bool:
        """OpenAI's own fine-tuning is closed to new users and winding down."""
        return self.provider_kind is ProviderKind.OPENAI

    @property
    def host(self) -> str:
        """The host name of the endpoint, for messages ("what was reached")."""
        return urlsplit(self.effective_endpoint).netloc or self.effective_endpoint

    @property
    def effective_endpoint(self) -> str:
        """The endpoint, with OpenAI's default filled in."""
        if self.provider_kind is ProviderKind.OPENAI and not self.endpoint.strip():
            return OPENAI_BASE_URL
        return self.endpoint.strip().rstrip("/")

    def describe(self) -> str:
        """One line for lists: name, provider and host."""
        return f"{self.name} — {self.provider_kind.label} · {self.host}"


def new_profile(
    name: str, kind: ProviderKind, endpoint: str = "", auth: AuthMethod | None = None, **extra: Any
) -> ConnectionProfile:
    """A profile with a fresh id and the provider's first allowed sign-in method by default."""
    method = auth or ALLOWED_AUTH[kind][0]
    return ConnectionProfile(
        id=uuid.uuid4().hex, name=name, kind=kind.value, endpoint=endpoint, auth=method.value, **extra
    )


_AZURE_HOST = re.compile(
    r"^[a-z0-9][a-z0-9\-]*\.(openai\.azure\.com|cognitiveservices\.azure\.com|services\.ai\.azure\.com)$"
)
_FOUNDRY_PATH = re.compile(r"^/api/projects/[^/]+$")


def validate_profile(profile: ConnectionProfile) -> list[str]:
    """Plain-language problems with a profile (empty when it can be saved)."""
    problems: list[str] = []
    kind = profile.provider_kind
    if not profile.name.strip():
        problems.append("Give the connection a name.")
    if profile.auth_method not in ALLOWED_AUTH[kind]:
        allowed = ", ".join(m.label for m in ALLOWED_AUTH[kind])
        problems.append(f"{kind.label} connections sign in with: {allowed}.")
    endpoint = profile.endpoint.strip()
    if kind is ProviderKind.OPENAI and not endpoint:
        return problems
    if not endpoint:
        problems.append("Enter the endpoint URL.")
        return problems
    parts = urlsplit(endpoint)
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme not in ("https", "http") or not parts.netloc:
        problems.append("The endpoint must be a full URL starting with https://.")
        return problems
    if parts.scheme == "http" and not local:
        problems.append(
            "Use https:// for remote endpoints; plain http:// is only accepted for this computer."
        )
    if kind is ProviderKind.AZURE_OPENAI and not local:
        if parts.path.strip("/"):
            problems.append(
                "Enter only the resource address, for example https://my-resource.openai.azure.com "
                "(without /openai/... or a deployment)."
            )
        elif not _AZURE_HOST.match(parts.hostname or ""):
            problems.append(
                "That does not look like an Azure OpenAI resource: expected "
                "https://<resource>.openai.azure.com or https://<resource>.cognitiveservices.azure.com."
            )
    if kind is ProviderKind.FOUNDRY_PROJECT and not local and not _FOUNDRY_PATH.match(parts.path.rstrip("/")):
        problems.append(
            "A Foundry project endpoint looks like https://<account>.services.ai.azure.com/api/projects/<project>."
        )
    if kind is ProviderKind.AZURE_OPENAI and not profile.api_version.strip():
        problems.append("Enter the Azure api-version (for example 2025-04-01-preview).")
    return problems


@dataclass
class ConnectionsSection:
    """The ``connections`` settings section: every profile plus the one used by default."""

    profiles: list[dict[str, Any]] = field(default_factory=list)
    default_id: str = ""


class ConnectionStore:
    """Reads and writes connection profiles in the settings file (never a secret)."""

    def __init__(self, store: SettingsStore | None = None) -> None:
        self._store = store

    @property
    def _settings(self) -> SettingsStore:
        return self._store or settings()

    def _section(self) -> ConnectionsSection:
        return self._settings.load(SECTION, ConnectionsSection)

    def list(self) -> list[ConnectionProfile]:
        """Every saved profile, in the order they were added."""
        names = {f.name for f in dataclasses.fields(ConnectionProfile)}
        profiles: list[ConnectionProfile] = []
        for raw in self._section().profiles:
            if isinstance(raw, dict) and raw.get("id") and raw.get("kind"):
                try:
                    profiles.append(ConnectionProfile(**{k: v for k, v in raw.items() if k in names}))
                except TypeError:
                    continue  # a damaged entry is skipped, never fatal
        return profiles

    def get(self, connection_id: str) -> ConnectionProfile:
        """The profile with this id, or a :class:`UserError` saying it no longer exists."""
        for profile in self.list():
            if profile.id == connection_id:
                return profile
        raise UserError("That connection no longer exists.", "Choose another one under Connections.")

    def save(self, profile: ConnectionProfile) -> None:
        """Add ``profile`` or replace the stored one with the same id; refuses invalid profiles."""
        problems = validate_profile(profile)
        if problems:
            raise UserError(
                "The connection cannot be saved: " + " ".join(problems), "Correct it and save again."
            )
        section = self._section()
        entry = dataclasses.asdict(profile)
        for index, raw in enumerate(section.profiles):
            if isinstance(raw, dict) and raw.get("id") == profile.id:
                section.profiles[index] = entry
                break
        else:
            section.profiles.append(entry)
            if not section.default_id:
                section.default_id = profile.id
        self._settings.save(SECTION, section)

    def delete(self, connection_id: str) -> None:
        """Remove the profile (its secret is removed separately by the credential store)."""
        section = self._section()
        section.profiles = [
            p for p in section.profiles if not (isinstance(p, dict) and p.get("id") == connection_id)
        ]
        if section.default_id == connection_id:
            section.default_id = next(
                (p["id"] for p in section.profiles if isinstance(p, dict) and "id" in p), ""
            )
        self._settings.save(SECTION, section)

    def default_id(self) -> str:
        """The id of the connection used when none is chosen ("" when there is none)."""
        return self._section().default_id

    def set_default(self, connection_id: str) -> None:
        """Make ``connection_id`` the default connection."""
        section = self._section()
        section.default_id = connection_id
        self._settings.save(SECTION, section)
