"""Microsoft Entra ID sign-in through azure-identity, remembered between runs without storing a secret.

Browser sign-in (``InteractiveBrowserCredential``) is the default, device code the fallback for machines
without a usable browser, and the Azure CLI a convenience for developers. Tokens are cached by MSAL in the
OS-encrypted cache named :data:`CACHE_NAME`; the ``AuthenticationRecord`` that lets the app find its account
again holds no secret and is saved in the data folder. When the OS cannot encrypt the cache, the app keeps the
tokens in memory for this run only and says so (never ``allow_unencrypted_storage``).

Every call that may block (sign-in, token refresh) must run off the GUI thread.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from azure.core.credentials import TokenCredential
from azure.core.exceptions import ClientAuthenticationError
from azure.identity import (
    AuthenticationRecord,
    AzureCliCredential,
    CredentialUnavailableError,
    DeviceCodeCredential,
    InteractiveBrowserCredential,
    TokenCachePersistenceOptions,
    get_bearer_token_provider,
)

from dpo_studio.core.atomicfile import atomic_write_bytes
from dpo_studio.core.paths import data_dir
from dpo_studio.core.process_wide import ProcessWide
from dpo_studio.services.connections import AuthMethod, ConnectionProfile, ProviderKind
from dpo_studio.services.errors import SignInRequired, user_error

#: Token audience for Azure OpenAI / AI Services resource endpoints.
SCOPE_RESOURCE = "https://cognitiveservices.azure.com/.default"
#: Token audience for Microsoft Foundry project endpoints.
SCOPE_FOUNDRY = "https://ai.azure.com/.default"
#: The app's own MSAL cache, isolated from developer tools.
CACHE_NAME = "dpo-studio"
_NO_ENCRYPTION = "Cache encryption is impossible"

#: Called with (verification_uri, user_code, expires_on) so the UI can show the device code.
DeviceCodePrompt = Callable[[str, str, Any], None]


def scope_for(profile: ConnectionProfile) -> str:
    """The token scope for the profile's endpoint: Foundry projects and resources differ."""
    if profile.provider_kind is ProviderKind.FOUNDRY_PROJECT or "/api/projects/" in profile.endpoint:
        return SCOPE_FOUNDRY
    return SCOPE_RESOURCE


def record_path(connection_id: str) -> Path:
    """Where the connection's AuthenticationRecord (no secret: account and tenant ids) is kept."""
    return data_dir() / "entra" / f"{connection_id}.json"


def load_record(connection_id: str) -> AuthenticationRecord | None:
    """The saved AuthenticationRecord, or None when the user never signed in (or the file is damaged)."""
    try:
        return AuthenticationRecord.deserialize(record_path(connection_id).read_text(encoding="utf-8"))
    except (OSError, ValueError, KeyError, TypeError):
        return None


def save_record(connection_id: str, record: AuthenticationRecord) -> None:
    """Keep the AuthenticationRecord so the next run signs in silently from the token cache."""
    path = record_path(connection_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_bytes(path, record.serialize().encode("utf-8"))


def forget_record(connection_id: str) -> None:
    """Sign out: the app no longer knows which account to use for this connection."""
    record_path(connection_id).unlink(missing_ok=True)


@dataclass
class EntraSignIn:
    """The credential of one connection and what the user should know about it."""

    credential: TokenCredential
    scope: str
    persistent: bool  # False when tokens live in memory for this run only

    def token_provider(self) -> Callable[[], str]:
        """A callable returning a fresh bearer token (the openai SDK calls it before each request)."""
        return get_bearer_token_provider(self.credential, self.scope)


class EntraAuthenticator:
    """Builds and remembers one credential per connection for this process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sessions: dict[str, EntraSignIn] = {}
        self._memory_only: set[str] = set()
        self._device_code: set[str] = set()  # browser sign-in failed here: use a device code instead

    def session(
        self, profile: ConnectionProfile, *, device_code_prompt: DeviceCodePrompt | None = None
    ) -> EntraSignIn:
        """The connection's credential (created on first use; no network yet)."""
        with self._lock:
            existing = self._sessions.get(profile.id)
            if existing is not None:
                return existing
            persistent = profile.id not in self._memory_only
            created = EntraSignIn(
                _build_credential(
                    profile,
                    persistent=persistent,
                    device_code_prompt=device_code_prompt,
                    device_code=profile.id in self._device_code,
                ),
                scope_for(profile),
                persistent and profile.auth_method is not AuthMethod.AZURE_CLI,
            )
            self._sessions[profile.id] = created
            return created

    def sign_in(
        self, profile: ConnectionProfile, *, device_code_prompt: DeviceCodePrompt | None = None
    ) -> EntraSignIn:
        """Get a token now: silently if a saved sign-in still works, else interactively (browser or code).

        Blocks until the user finishes; raises :class:`SignInRequired` and friends with a plain message.
        """
        for _attempt in range(3):
            signed = self.session(profile, device_code_prompt=device_code_prompt)
            try:
                self._acquire(profile, signed)
                return signed
            except CredentialUnavailableError as error:
                if isinstance(signed.credential, InteractiveBrowserCredential):
                    # No browser can be opened (SSH, locked-down desktop): fall back to a device code.
                    with self._lock:
                        self._device_code.add(profile.id)
                    self.reset(profile.id)
                    continue
                raise user_error(error, kind=profile.provider_kind, action="sign in") from None
            except ClientAuthenticationError as error:
                if _NO_ENCRYPTION in str(error) and signed.persistent:
                    # The OS cannot encrypt MSAL's cache: keep tokens in memory for this run instead.
                    self.reset(profile.id, memory_only=True)
                    continue
                raise user_error(error, kind=profile.provider_kind, action="sign in") from None
            except Exception as error:
                raise user_error(error, kind=profile.provider_kind, action="sign in") from None
        raise SignInRequired("Sign-in could not be completed.", "Try again.")

    def _acquire(self, profile: ConnectionProfile, signed: EntraSignIn) -> None:
        credential = signed.credential
        if isinstance(credential, (InteractiveBrowserCredential, DeviceCodeCredential)):
            from azure.identity import AuthenticationRequiredError

            try:
                credential.get_token(signed.scope)
            except AuthenticationRequiredError:
                record = credential.authenticate(scopes=[signed.scope])
                save_record(profile.id, record)
        else:
            credential.get_token(signed.scope)

    def reset(self, connection_id: str, *, memory_only: bool = False) -> None:
        """Forget the in-process credential (next use builds a new one)."""
        with self._lock:
            self._sessions.pop(connection_id, None)
            if memory_only:
                self._memory_only.add(connection_id)

    def sign_out(self, connection_id: str) -> None:
        """Forget the credential and the saved account of this connection."""
        self.reset(connection_id)
        forget_record(connection_id)


def _build_credential(
    profile: ConnectionProfile,
    *,
    persistent: bool,
    device_code_prompt: DeviceCodePrompt | None,
    device_code: bool = False,
) -> TokenCredential:
    method = profile.auth_method
    tenant = profile.tenant_id.strip() or None
    if method is AuthMethod.AZURE_CLI:
        return AzureCliCredential(tenant_id=tenant or "")
    options: dict[str, Any] = {
        "authentication_record": load_record(profile.id),
        "disable_automatic_authentication": True,
    }
    if tenant:
        options["tenant_id"] = tenant
    if persistent:
        options["cache_persistence_options"] = TokenCachePersistenceOptions(name=CACHE_NAME)
    if method is AuthMethod.ENTRA_DEVICE_CODE or (device_code and method is AuthMethod.ENTRA_BROWSER):
        if device_code_prompt is not None:
            options["prompt_callback"] = device_code_prompt
        return DeviceCodeCredential(**options)
    if method is AuthMethod.ENTRA_BROWSER:
        return InteractiveBrowserCredential(**options)
    raise SignInRequired(
        f"The connection '{profile.name}' does not use Microsoft Entra ID.",
        "Edit the connection's sign-in method.",
    )


entra = ProcessWide(
    EntraAuthenticator, "The process-wide authenticator (credentials are reused for the whole run)."
)
