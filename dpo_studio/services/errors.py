"""Every failure of the outside world, as a sentence a person understands plus the next step.

:func:`user_error` turns any exception from the openai SDK, HTTPX2, azure-identity or the keyring into a
:class:`ServiceError` (a :class:`~dpo_studio.core.errors.UserError`). Messages never carry a secret: the
server's own text passes through :func:`~dpo_studio.services.redaction.redact` first.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

import httpx2
import openai

from dpo_studio.core.errors import UserError
from dpo_studio.services.connections import ProviderKind
from dpo_studio.services.redaction import redact

#: How much of a server's own error text is quoted in a message.
MAX_SERVER_TEXT = 400

#: The role to ask for when the service answers 403, per provider (reference/azure-foundry §9.1).
RBAC_HINTS: dict[ProviderKind, str] = {
    ProviderKind.AZURE_OPENAI: (
        "Ask an owner of the Azure OpenAI resource to give you the 'Cognitive Services OpenAI Contributor' "
        "role on it (fine-tuning needs it), then sign in again. With an API key, check the key belongs to "
        "this resource."
    ),
    ProviderKind.FOUNDRY_PROJECT: (
        "Ask an owner of the Foundry project to give you the 'Azure AI User' role on the project "
        "(training needs it; deploying needs 'Azure AI Owner'), then sign in again."
    ),
    ProviderKind.OPENAI: (
        "Ask an owner of your OpenAI organization for a key with write access to fine-tuning in this "
        "project. "
        "Organizations that never fine-tuned can no longer start jobs."
    ),
    ProviderKind.CUSTOM: "Ask whoever runs this server for access, or check the key you entered.",
}

#: Phrases OpenAI and gateways use when refusing new fine-tuning jobs after the wind-down.
WIND_DOWN_PHRASES = (
    "winding down",
    "wind-down",
    "no longer accepting",
    "no longer available",
    "no longer accessible",
    "not available to new",
    "fine-tuning is not available",
    "fine-tuning has been disabled",
    "not eligible for fine-tuning",
    "fine_tuning_unavailable",
)


class ServiceError(UserError):
    """A problem talking to a provider. ``status`` is the HTTP status when there was one."""

    def __init__(
        self,
        message: str,
        hint: str = "",
        *,
        status: int | None = None,
        request_id: str | None = None,
        server_message: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, hint)
        self.status = status
        self.request_id = request_id
        self.server_message = server_message
        self.retry_after = retry_after


class AuthenticationFailed(ServiceError):
    """401: the key or sign-in was refused."""


class PermissionDenied(ServiceError):
    """403: signed in, but not allowed to do this."""


class NotFound(ServiceError):
    """404: wrong endpoint, resource, deployment or id."""


class BadRequest(ServiceError):
    """400/409/422: the server refused the request and said why."""


class RateLimited(ServiceError):
    """429 after the bounded retries: wait ``retry_after`` seconds."""


class ServerError(ServiceError):
    """5xx after the bounded retries."""


class TimedOut(ServiceError):
    """No answer in time."""


class ConnectionLost(ServiceError):
    """No connection could be made, or it broke mid-way."""


class FineTuningClosed(ServiceError):
    """OpenAI refused to create a job because self-serve fine-tuning is winding down."""


class SignInRequired(ServiceError):
    """Microsoft Entra ID needs the user to sign in (again)."""


class CredentialsMissing(ServiceError):
    """No secret is stored for a connection that needs one."""


class KeyringUnavailable(ServiceError):
    """The OS keyring is missing, locked or refused the operation."""


class FileProcessingFailed(ServiceError):
    """The uploaded file was rejected while the service processed it."""


class Cancelled(ServiceError):
    """The user cancelled the operation."""


def _server_text(error: openai.APIStatusError) -> str:
    """The server's own explanation, redacted and shortened."""
    body = error.body
    text = ""
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict):
            text = str(inner.get("message") or "")
        elif isinstance(inner, str):
            text = inner
        if not text and isinstance(body.get("message"), str):
            text = body["message"]
        if not text:
            text = _problem_text(body)
    if not text:
        text = error.message or ""
    text = redact(" ".join(text.split()))
    if len(text) > MAX_SERVER_TEXT:
        text = text[: MAX_SERVER_TEXT - 1] + "…"
    return text


def _problem_text(body: dict[str, Any]) -> str:
    """The explanation in an RFC 7807 problem document (gateways, mock servers): detail and violations."""
    violations = body.get("validation") or body.get("errors")
    messages: list[str] = []
    if isinstance(violations, list):
        for item in violations:
            message = item.get("message") if isinstance(item, dict) else item
            if isinstance(message, str) and message not in messages:
                messages.append(message)
    if messages:
        return "; ".join(messages)
    for key in ("detail", "title"):
        if isinstance(body.get(key), str):
            return str(body[key])
    return ""


def _retry_after(response: httpx2.Response) -> float | None:
    for header, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        value = response.headers.get(header)
        if value:
            try:
                return max(0.0, float(value) / divisor)
            except ValueError:
                continue
    return None


def _where(kind: ProviderKind | None) -> str:
    return kind.label if kind else "the service"


def is_wind_down_refusal(text: str) -> bool:
    """True when a server message says fine-tuning is closed (OpenAI's wind-down)."""
    lowered = text.lower()
    return any(phrase in lowered for phrase in WIND_DOWN_PHRASES)


def user_error(error: BaseException, *, kind: ProviderKind | None = None, action: str = "") -> UserError:
    """The :class:`UserError` explaining ``error``; ``action`` says what was being done ("create the job")."""
    if isinstance(error, UserError):
        return error
    doing = f" while trying to {action}" if action else ""
    where = _where(kind)

    if isinstance(error, openai.APIStatusError):
        return _from_status(error, kind=kind, doing=doing)
    if isinstance(error, openai.APITimeoutError):
        return TimedOut(
            f"{where} did not answer in time{doing}.",
            "The service may be busy or the network slow. Try again in a minute; nothing was lost.",
        )
    if isinstance(error, openai.APIConnectionError):
        return _from_connection(error, where=where, doing=doing)
    if isinstance(error, openai.OpenAIError):
        return ServiceError(f"The request to {where} failed{doing}: {redact(str(error))}", "Try again.")

    identity = _from_identity(error, doing=doing)
    if identity is not None:
        return identity
    keyring_error = _from_keyring(error)
    if keyring_error is not None:
        return keyring_error
    if isinstance(error, httpx2.TimeoutException):
        return TimedOut(f"{where} did not answer in time{doing}.", "Try again in a minute; nothing was lost.")
    if isinstance(error, httpx2.TransportError):
        return ConnectionLost(
            f"The connection to {where} failed{doing}.", "Check your network connection and try again."
        )
    if isinstance(error, (TimeoutError, ConnectionError)):
        return ConnectionLost(
            f"The connection to {where} failed{doing}.", "Check your network connection and try again."
        )
    raise_unknown = ServiceError(
        f"Something unexpected went wrong{doing}: {type(error).__name__}: {redact(str(error))}",
        "Try again. If it keeps happening, copy the details and report it.",
    )
    return raise_unknown


def _from_status(error: openai.APIStatusError, *, kind: ProviderKind | None, doing: str) -> ServiceError:
    status = error.status_code
    text = _server_text(error)
    said = f' The service said: "{text}"' if text else ""
    common: dict[str, Any] = {"status": status, "request_id": error.request_id, "server_message": text}
    where = _where(kind)

    if status in (400, 403, 409, 422) and is_wind_down_refusal(text):
        return FineTuningClosed(
            f"OpenAI refused to start the fine-tuning job: OpenAI is winding down self-serve fine-tuning "
            f"(closed to new users; new jobs are reported to end on 2027-01-06).{said}",
            "Run the job on Azure OpenAI or a Microsoft Foundry project instead: add such a connection under "
            "Connections and choose it in the wizard. Your dataset and settings are kept.",
            **common,
        )
    if status == 401:
        if kind in (ProviderKind.AZURE_OPENAI, ProviderKind.FOUNDRY_PROJECT) and "audience" in text.lower():
            hint = "The token is for the wrong audience. Check the endpoint type, then sign in again."
        else:
            hint = "Check the API key (copy it again from the portal) or sign in again, then Test connection."
        return AuthenticationFailed(f"{where} did not accept the credentials{doing}.{said}", hint, **common)
    if status == 403:
        return PermissionDenied(
            f"You are signed in, but not allowed to do this on {where}{doing}.{said}",
            RBAC_HINTS.get(kind or ProviderKind.CUSTOM, RBAC_HINTS[ProviderKind.CUSTOM]),
            **common,
        )
    if status == 404:
        if kind is ProviderKind.AZURE_OPENAI:
            hint = (
                "Check the endpoint is the resource address (https://<resource>.openai.azure.com), the "
                "api-version is one that supports fine-tuning (2025-04-01-preview), and the id still exists."
            )
        elif kind is ProviderKind.FOUNDRY_PROJECT:
            hint = "Check the project endpoint (…/api/projects/<project>) and that the id still exists."
        else:
            hint = "Check the endpoint or base URL, and that the file, job or model still exists."
        return NotFound(f"{where} could not find what was asked for{doing}.{said}", hint, **common)
    if status == 429:
        retry = _retry_after(error.response)
        wait = f"about {retry:.0f} seconds" if retry else "a minute"
        return RateLimited(
            f"{where} is limiting requests (too many requests or quota used up){doing}.{said}",
            f"Wait {wait} and try again. If it persists, check your subscription's or organization's quota.",
            retry_after=retry,
            **common,
        )
    if status >= 500:
        return ServerError(
            f"{where} had an internal problem (HTTP {status}){doing}.{said}",
            "This is on the service's side. Try again in a few minutes; nothing was lost.",
            **common,
        )
    if status in (400, 409, 422):
        hint = "Correct the request and try again."
        if kind is ProviderKind.AZURE_OPENAI and "does not support fine-tuning" in text.lower():
            hint = (
                "Azure gives this message when the training tier is missing or not offered for this model in "
                "this region: choose a training tier (Standard, Global Standard or Developer) and try again."
            )
        return BadRequest(f"{where} refused the request{doing}.{said}", hint, **common)
    return ServiceError(f"{where} answered with HTTP {status}{doing}.{said}", "Try again.", **common)


def _from_connection(error: openai.APIConnectionError, *, where: str, doing: str) -> ServiceError:
    cause = error.__cause__
    if isinstance(cause, httpx2.ConnectError):
        return ConnectionLost(
            f"Could not reach {where}{doing}.",
            "Check that this computer is online and that the endpoint address is right "
            "(a typo in the resource name looks exactly like this).",
        )
    return ConnectionLost(
        f"The connection to {where} was lost{doing}.",
        "Check your network connection and try again; nothing was lost.",
    )


def _from_identity(error: BaseException, *, doing: str) -> ServiceError | None:
    try:
        from azure.core.exceptions import ClientAuthenticationError
        from azure.identity import AuthenticationRequiredError, CredentialUnavailableError
    except ImportError:  # pragma: no cover - azure-identity is a dependency
        return None
    if isinstance(error, AuthenticationRequiredError):
        return SignInRequired(
            f"Sign-in to Microsoft Entra ID is needed{doing}.",
            "Click Sign in and finish the sign-in in your browser.",
        )
    if isinstance(error, CredentialUnavailableError):
        text = redact(str(error))
        if "Azure CLI not found" in text or "az login" in text:
            hint = "Install the Azure CLI and run 'az login', or choose browser sign-in for this connection."
        else:
            hint = "Sign in again, or choose another sign-in method for this connection."
        return SignInRequired(f"Microsoft Entra ID sign-in is not available{doing}: {text}", hint)
    if isinstance(error, ClientAuthenticationError):
        return SignInRequired(
            f"Microsoft Entra ID sign-in failed{doing}: {redact(str(error.message or error))}",
            "Sign in again; check the tenant id if your account belongs to several organizations.",
        )
    return None


def _from_keyring(error: BaseException) -> ServiceError | None:
    try:
        from keyring.errors import KeyringError, KeyringLocked, NoKeyringError
    except ImportError:  # pragma: no cover - keyring is a dependency
        return None
    if isinstance(error, KeyringLocked):
        return KeyringUnavailable(
            "The system keyring is locked.", "Unlock it (log in to your desktop keyring) and try again."
        )
    if isinstance(error, NoKeyringError):
        return KeyringUnavailable(
            "No system keyring is available to store secrets.",
            "Install or start a keyring (GNOME Keyring, KWallet, macOS Keychain, Windows Credentials), "
            "or keep the key for this session only.",
        )
    if isinstance(error, KeyringError):
        return KeyringUnavailable(
            f"The system keyring refused the operation: {redact(str(error))}",
            "Unlock the keyring and try again, or keep the key for this session only.",
        )
    return None


@contextlib.contextmanager
def explained(*, kind: ProviderKind | None = None, action: str = "") -> Iterator[None]:
    """Re-raise any exception inside the block as the :class:`UserError` that explains it."""
    try:
        yield
    except UserError:
        raise
    except Exception as error:
        raise user_error(error, kind=kind, action=action) from None
