"""Azure model deployments through the control plane (ARM): create, wait until ready, list, delete.

A fine-tuned model (or one of its checkpoints) on Azure OpenAI or a Foundry account answers only once it is
deployed. Deployments are ARM resources::

    PUT/GET/DELETE {ARM}/subscriptions/{sub}/resourceGroups/{rg}/providers/Microsoft.CognitiveServices/
        accounts/{account}/deployments/{name}?api-version=...
    body: {"sku": {"name": "developertier" | "globalstandard" | "standard", "capacity": N},
           "properties": {"model": {"format": "OpenAI", "name": <tuned model or checkpoint>, "version": "1"}}}

and the deployment is usable when ``properties.provisioningState`` is ``Succeeded``. The calls go over plain
HTTPS with httpx2 (already installed with the openai SDK) and a Microsoft Entra token for
``https://management.azure.com/.default`` — ARM takes no API keys. The base URL is injectable so tests talk to
a local server. Every call blocks (run it off the GUI thread) and raises only ``UserError`` subclasses.

Costs (stated before anything is created, see :func:`cost_consequences`): Developer deployments have no
hosting fee and are deleted by Azure after 24 hours; Standard and Global Standard deployments are billed an
hourly hosting fee whether or not they are called; any fine-tuned deployment left unused for 15 days is
removed by Azure.
"""

from __future__ import annotations

import dataclasses
import enum
import re
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

import httpx2

from dpo_studio.core.errors import UserError
from dpo_studio.services.connections import AuthMethod, ConnectionProfile
from dpo_studio.services.errors import (
    AuthenticationFailed,
    BadRequest,
    Cancelled,
    NotFound,
    PermissionDenied,
    RateLimited,
    ServerError,
    ServiceError,
    TimedOut,
    user_error,
)
from dpo_studio.services.redaction import redact

#: The public ARM endpoint (tests pass the local server's address instead).
ARM_BASE_URL = "https://management.azure.com"
#: Token audience for ARM.
ARM_SCOPE = "https://management.azure.com/.default"
#: GA api-version for Standard / Global Standard deployments (Foundry SDK doc).
API_VERSION = "2024-10-01"
#: The Developer tier is documented with this preview api-version.
DEVELOPER_API_VERSION = "2025-07-01-preview"
#: Azure removes fine-tuned deployments that received no calls for this many days.
IDLE_REMOVAL_DAYS = 15
#: Azure deletes Developer-tier deployments this many hours after creation.
DEVELOPER_LIFETIME_HOURS = 24

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")
_GUID_OR_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._()-]{0,89}$")


class DeploymentSku(enum.StrEnum):
    """Deployment types for fine-tuned models (ARM ``sku.name``)."""

    DEVELOPER = "developertier"
    GLOBAL_STANDARD = "globalstandard"
    STANDARD = "standard"

    @property
    def label(self) -> str:
        """The name shown to people."""
        return {"developertier": "Developer", "globalstandard": "Global Standard", "standard": "Standard"}[
            self.value
        ]

    @property
    def default_capacity(self) -> int:
        """The capacity the Azure docs use in their examples for this type."""
        return {"developertier": 50, "globalstandard": 100, "standard": 1}[self.value]

    @property
    def api_version(self) -> str:
        """The ARM api-version used to create this type."""
        return DEVELOPER_API_VERSION if self is DeploymentSku.DEVELOPER else API_VERSION

    @classmethod
    def parse(cls, text: str) -> DeploymentSku | None:
        """The SKU for a name as ARM reports it ("DeveloperTier", "GlobalStandard", ...), or None."""
        key = text.strip().lower().replace(" ", "").replace("_", "")
        if key in ("developer", "developertier"):
            return cls.DEVELOPER
        try:
            return cls(key)
        except ValueError:
            return None


def cost_consequences(sku: DeploymentSku) -> list[str]:
    """What a deployment of this type will cost or cause, in plain sentences (shown before confirming)."""
    idle = (
        f"Azure removes a fine-tuned deployment that receives no calls for {IDLE_REMOVAL_DAYS} days; "
        "the model itself is kept and can be deployed again."
    )
    if sku is DeploymentSku.DEVELOPER:
        return [
            "No hourly hosting fee: you pay only for the tokens you send and receive.",
            f"Azure deletes a Developer deployment automatically {DEVELOPER_LIFETIME_HOURS} hours after it "
            "is created. It is meant for testing: no SLA, no data residency, and it may be slower.",
            idle,
        ]
    kind = "Global Standard" if sku is DeploymentSku.GLOBAL_STANDARD else "Standard (regional)"
    return [
        f"A {kind} deployment of a fine-tuned model is billed an hourly hosting fee for as long as it "
        "exists, whether or not it is called — plus the tokens you use.",
        "Delete it when you are done testing to stop the hosting fee.",
        idle,
    ]


@dataclass(frozen=True)
class AzureAccount:
    """Where deployments live: a Cognitive Services / AI Services account in a resource group."""

    subscription_id: str
    resource_group: str
    account_name: str

    def problems(self) -> list[str]:
        """Plain-language problems with the fields (empty when usable)."""
        found = []
        if not _GUID_OR_NAME.match(self.subscription_id.strip()):
            found.append("Enter the subscription id (a GUID, from the resource's Overview page).")
        if not _GUID_OR_NAME.match(self.resource_group.strip()):
            found.append("Enter the resource group name.")
        if not _GUID_OR_NAME.match(self.account_name.strip()):
            found.append("Enter the account (resource) name.")
        return found

    def path(self) -> str:
        """The account's ARM resource path."""
        return (
            f"/subscriptions/{quote(self.subscription_id.strip())}/resourceGroups/"
            f"{quote(self.resource_group.strip())}/providers/Microsoft.CognitiveServices/accounts/"
            f"{quote(self.account_name.strip())}"
        )


def account_name_from_endpoint(endpoint: str) -> str:
    """The account name in an Azure endpoint (``https://acme.openai.azure.com`` -> ``acme``), or ""."""
    host = urlsplit(endpoint.strip()).hostname or ""
    if host.endswith((".openai.azure.com", ".cognitiveservices.azure.com", ".services.ai.azure.com")):
        return host.split(".", 1)[0]
    return ""


@dataclass(frozen=True)
class DeploymentRequest:
    """A deployment to create."""

    account: AzureAccount
    name: str
    model: str  # fine-tuned model id or checkpoint id
    sku: DeploymentSku = DeploymentSku.DEVELOPER
    capacity: int = 50

    def problems(self) -> list[str]:
        """Plain-language problems (empty when the request can be sent)."""
        found = self.account.problems()
        if not _NAME.match(self.name):
            found.append(
                "The deployment name must be 1–64 characters: letters, digits, '.', '-' and '_', "
                "starting with a letter or digit."
            )
        if not self.model.strip():
            found.append("Choose the model or checkpoint to deploy.")
        if self.capacity < 1:
            found.append("Capacity must be at least 1.")
        return found

    def body(self) -> dict[str, Any]:
        """The exact ARM request body."""
        return {
            "sku": {"name": self.sku.value, "capacity": self.capacity},
            "properties": {"model": {"format": "OpenAI", "name": self.model.strip(), "version": "1"}},
        }


@dataclass(frozen=True)
class DeploymentInfo:
    """A deployment as ARM reports it."""

    name: str
    model: str
    sku: str
    capacity: int | None
    state: str  # provisioningState: Creating, Succeeded, Failed, Deleting, ... (unknown kept verbatim)
    resource_id: str = ""

    @property
    def ready(self) -> bool:
        """Usable for chat."""
        return self.state.lower() == "succeeded"

    @property
    def failed(self) -> bool:
        """Creation failed or was cancelled; it will not become ready."""
        return self.state.lower() in ("failed", "canceled", "cancelled")

    @property
    def sku_label(self) -> str:
        """The deployment type as people know it."""
        parsed = DeploymentSku.parse(self.sku)
        return parsed.label if parsed else self.sku

    @classmethod
    def from_arm(cls, raw: dict[str, Any]) -> DeploymentInfo:
        """Read ARM's JSON (missing fields become empty, never an error)."""
        properties = raw.get("properties") if isinstance(raw.get("properties"), dict) else {}
        assert isinstance(properties, dict)
        model = properties.get("model") if isinstance(properties.get("model"), dict) else {}
        assert isinstance(model, dict)
        sku = raw.get("sku") if isinstance(raw.get("sku"), dict) else {}
        assert isinstance(sku, dict)
        capacity = sku.get("capacity")
        return cls(
            name=str(raw.get("name") or ""),
            model=str(model.get("name") or ""),
            sku=str(sku.get("name") or ""),
            capacity=int(capacity) if isinstance(capacity, (int, float)) else None,
            state=str(properties.get("provisioningState") or "Unknown"),
            resource_id=str(raw.get("id") or ""),
        )


def _never() -> bool:
    return False


class DeploymentClient:
    """ARM deployment calls for one signed-in user.

    ``token_provider`` returns a bearer token for :data:`ARM_SCOPE` (called before each request, so a
    refreshed token is picked up). ``base_url`` is :data:`ARM_BASE_URL` except in tests.
    """

    def __init__(
        self,
        token_provider: Callable[[], str],
        *,
        base_url: str = ARM_BASE_URL,
        timeout: float = 60.0,
        max_retries: int = 3,
        poll_interval: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._token = token_provider
        self.base_url = base_url.rstrip("/")
        self.max_retries = max_retries
        self.poll_interval = poll_interval
        self._sleep = sleep
        self._clock = clock
        self._http = httpx2.Client(timeout=httpx2.Timeout(timeout, connect=10.0))

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()

    def __enter__(self) -> DeploymentClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ---- requests ----------------------------------------------------------------------------------------

    def _request(
        self, method: str, path: str, *, api_version: str, action: str, body: dict[str, Any] | None = None
    ) -> httpx2.Response:
        """One ARM call with bounded retries on 429/5xx (honouring Retry-After) and dropped connections."""
        url = f"{self.base_url}{path}"
        for attempt in range(self.max_retries + 1):
            try:
                token = self._token()
                response = self._http.request(
                    method,
                    url,
                    params={"api-version": api_version},
                    json=body,
                    headers={"Authorization": f"Bearer {token}"},
                )
            except UserError:
                raise
            except (httpx2.TransportError, TimeoutError, ConnectionError) as error:
                if attempt < self.max_retries:
                    self._sleep(min(2.0**attempt, 10.0))
                    continue
                raise user_error(error, action=action) from None
            except Exception as error:  # the token provider's sign-in failures, explained
                raise user_error(error, action=action) from None
            if response.status_code in (429, 500, 502, 503, 504) and attempt < self.max_retries:
                self._sleep(_retry_after(response) or min(2.0**attempt, 10.0))
                continue
            if response.status_code >= 400:
                raise arm_error(response, action)
            return response
        raise AssertionError("unreachable")  # pragma: no cover

    def create(self, request: DeploymentRequest) -> DeploymentInfo:
        """Create (or update) the deployment; returns at once, usually still ``Creating``."""
        problems = request.problems()
        if problems:
            raise UserError(
                "The deployment cannot be created: " + " ".join(problems), "Correct it and retry."
            )
        response = self._request(
            "PUT",
            f"{request.account.path()}/deployments/{quote(request.name)}",
            api_version=request.sku.api_version,
            action=f"create the deployment '{request.name}'",
            body=request.body(),
        )
        return DeploymentInfo.from_arm(_json(response))

    def get(self, account: AzureAccount, name: str) -> DeploymentInfo:
        """The deployment's current state."""
        response = self._request(
            "GET",
            f"{account.path()}/deployments/{quote(name)}",
            api_version=API_VERSION,
            action=f"check the deployment '{name}'",
        )
        return DeploymentInfo.from_arm(_json(response))

    def list(self, account: AzureAccount) -> list[DeploymentInfo]:
        """Every deployment of the account (base models too), following ``nextLink`` pages."""
        found: list[DeploymentInfo] = []
        response = self._request(
            "GET", f"{account.path()}/deployments", api_version=API_VERSION, action="list the deployments"
        )
        for _page in range(100):
            data = _json(response)
            found.extend(DeploymentInfo.from_arm(v) for v in data.get("value") or [] if isinstance(v, dict))
            next_link = data.get("nextLink")
            if not isinstance(next_link, str) or not next_link:
                break
            response = self._follow(next_link)
        return sorted(found, key=lambda d: d.name.lower())

    def _follow(self, link: str) -> httpx2.Response:
        try:
            response = self._http.get(link, headers={"Authorization": f"Bearer {self._token()}"})
        except Exception as error:
            raise user_error(error, action="list the deployments") from None
        if response.status_code >= 400:
            raise arm_error(response, "list the deployments")
        return response

    def delete(self, account: AzureAccount, name: str) -> None:
        """Delete the deployment (no error when it is already gone)."""
        try:
            self._request(
                "DELETE",
                f"{account.path()}/deployments/{quote(name)}",
                api_version=API_VERSION,
                action=f"delete the deployment '{name}'",
            )
        except NotFound:
            return

    def wait_until_ready(
        self,
        account: AzureAccount,
        name: str,
        *,
        timeout: float = 60 * 60.0,
        on_state: Callable[[DeploymentInfo, float], None] | None = None,
        cancelled: Callable[[], bool] = _never,
    ) -> DeploymentInfo:
        """Poll until ``provisioningState`` is ``Succeeded`` (returned) or failed (raised).

        ``on_state(info, elapsed_seconds)`` is told every state seen. Fine-tuned deployments commonly take
        several minutes. Cancelling stops waiting; the deployment keeps being created at Azure.
        """
        started = self._clock()
        while True:
            info = self.get(account, name)
            elapsed = self._clock() - started
            if on_state is not None:
                on_state(info, elapsed)
            if info.ready:
                return info
            if info.failed:
                raise ServiceError(
                    f"Azure could not create the deployment '{name}' (state: {info.state}).",
                    "Check the model is a fine-tuned model or checkpoint of this resource, the region offers "
                    "this deployment type, and your quota allows the capacity; then try again.",
                )
            if elapsed >= timeout:
                raise TimedOut(
                    f"The deployment '{name}' was still {info.state.lower()} after "
                    f"{timeout / 60:.0f} minutes.",
                    "It keeps being created at Azure: refresh the deployments list later.",
                )
            if cancelled():
                raise Cancelled(
                    "Stopped waiting for the deployment.",
                    "Azure keeps creating it; it appears in the deployments list.",
                )
            self._sleep(self.poll_interval)

    def deploy(
        self,
        request: DeploymentRequest,
        *,
        on_state: Callable[[DeploymentInfo, float], None] | None = None,
        cancelled: Callable[[], bool] = _never,
        timeout: float = 60 * 60.0,
    ) -> DeploymentInfo:
        """Create the deployment and wait until it is ready."""
        created = self.create(request)
        if on_state is not None:
            on_state(created, 0.0)
        if created.ready:
            return created
        return self.wait_until_ready(
            request.account, request.name, on_state=on_state, cancelled=cancelled, timeout=timeout
        )


def _json(response: httpx2.Response) -> dict[str, Any]:
    try:
        data = response.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _retry_after(response: httpx2.Response) -> float | None:
    value = response.headers.get("retry-after")
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def arm_error(response: httpx2.Response, action: str) -> ServiceError:
    """The user-facing error for an ARM error response (ARM's own message quoted, redacted)."""
    data = _json(response)
    inner = data.get("error") if isinstance(data.get("error"), dict) else {}
    assert isinstance(inner, dict)
    code = str(inner.get("code") or "")
    text = redact(" ".join(str(inner.get("message") or response.reason_phrase or "").split()))[:400]
    said = f' Azure said: "{text}"' if text else ""
    status = response.status_code
    doing = f" while trying to {action}"
    common: dict[str, Any] = {"status": status, "server_message": text}
    if status == 401:
        return AuthenticationFailed(
            f"Azure Resource Manager did not accept the sign-in{doing}.{said}",
            "Sign in again with Microsoft Entra ID (deployments cannot use an API key).",
            **common,
        )
    if status == 403:
        return PermissionDenied(
            f"You are signed in, but not allowed to manage deployments on this account{doing}.{said}",
            "Deploying needs control-plane write access on the account, for example the 'Cognitive Services "
            "Contributor' role (Foundry: 'Azure AI Owner'). Ask an owner of the resource.",
            **common,
        )
    if status == 404:
        return NotFound(
            f"Azure could not find it{doing}.{said}",
            "Check the subscription id, resource group and account name (from the resource's Overview page).",
            **common,
        )
    if status == 429:
        return RateLimited(
            f"Azure is limiting requests{doing}.{said}", "Wait a minute and try again.", **common
        )
    if status >= 500:
        return ServerError(
            f"Azure had an internal problem (HTTP {status}){doing}.{said}",
            "Try again in a few minutes.",
            **common,
        )
    hint = "Correct the request and try again."
    if code in ("InsufficientQuota", "QuotaExceeded") or "quota" in text.lower():
        hint = "Lower the capacity, choose another deployment type, or request more quota for this region."
    elif code == "DeploymentModelNotSupported":
        hint = (
            "Deploy a fine-tuned model or checkpoint that belongs to this resource (copy its id from Runs)."
        )
    return BadRequest(f"Azure refused the request{doing}.{said}", hint, **common)


def arm_token_provider(profile: ConnectionProfile) -> Callable[[], str]:
    """A bearer-token callable for ARM, signed in with the connection's Microsoft Entra ID method.

    ARM accepts no API keys: a key-based Azure connection signs in through the browser for deployments
    (the same saved account is reused next time). May block on sign-in: call it off the GUI thread.
    """
    from azure.identity import get_bearer_token_provider

    from dpo_studio.services.entra import entra

    signer = (
        profile
        if profile.auth_method.is_entra
        else dataclasses.replace(profile, id=profile.id + "-arm", auth=AuthMethod.ENTRA_BROWSER.value)
    )
    signed = entra().sign_in(signer)
    return get_bearer_token_provider(signed.credential, ARM_SCOPE)
