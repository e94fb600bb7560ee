"""Azure control plane for model deployments (ARM), progressing on the test's clock.

    PUT/GET/DELETE {server.arm_endpoint}/subscriptions/{sub}/resourceGroups/{rg}/providers/
        Microsoft.CognitiveServices/accounts/{account}/deployments/{name}?api-version=2024-10-01
    GET .../deployments?api-version=...                      (list)
    GET .../operationStatuses/{id}?api-version=...           (the Azure-AsyncOperation URL a PUT returns)

Bearer tokens must carry the `https://management.azure.com` audience (`server.entra_token(ARM_AUDIENCE)`).
A new deployment is "Creating" until `server.advance()` has ticked `deployment_ticks` times, then
"Succeeded"; only then do chat completions reach it. Body and states follow reference §11.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from .protocol import ApiError, Reply

if TYPE_CHECKING:
    from .server import ApiServer

ARM_AUDIENCE = "https://management.azure.com"
SKUS = {
    "standard": "Standard",
    "globalstandard": "GlobalStandard",
    "developertier": "DeveloperTier",
    "developer": "DeveloperTier",
}
_DEPLOYMENT = re.compile(
    r"^/subscriptions/(?P<sub>[^/]+)/resourceGroups/(?P<rg>[^/]+)/providers/Microsoft\.CognitiveServices/"
    r"accounts/(?P<account>[^/]+)/deployments(?:/(?P<name>[^/]+))?$",
    re.IGNORECASE,
)
_OPERATION = re.compile(r"/operationStatuses/(?P<op>[^/]+)$")


@dataclass
class Deployment:
    """A model deployment on the resource; `state` is ARM's provisioningState."""

    name: str
    model: str
    sku: str
    capacity: int
    resource_id: str
    state: str = "Creating"
    ticks_left: int = 0
    operation_id: str = ""

    def render(self) -> dict[str, Any]:
        return {
            "id": self.resource_id,
            "type": "Microsoft.CognitiveServices/accounts/deployments",
            "name": self.name,
            "sku": {"name": self.sku, "capacity": self.capacity},
            "properties": {
                "model": {"format": "OpenAI", "name": self.model, "version": "1"},
                "provisioningState": self.state,
                "capabilities": {"chatCompletion": "true"},
            },
        }


def arm_error(status: int, code: str, message: str) -> ApiError:
    return ApiError(status, {"error": {"code": code, "message": message}})


def advance_deployments(server: ApiServer, ticks: int = 1) -> None:
    """Move every deployment that is being created towards Succeeded."""
    for deployment in server.deployments.values():
        if deployment.state == "Creating":
            deployment.ticks_left -= ticks
            if deployment.ticks_left <= 0:
                deployment.state = "Succeeded"


def handle_deployment(
    server: ApiServer, method: str, path: str, query: dict[str, list[str]], body: Any
) -> Reply:
    """Answer an ARM request under /subscriptions/... (server.lock is held by the caller)."""
    if not query.get("api-version"):
        raise arm_error(
            400,
            "MissingApiVersionParameter",
            "The api-version query parameter (?api-version=) is required for all requests.",
        )
    operation = _OPERATION.search(path)
    if operation and method == "GET":
        for deployment in server.deployments.values():
            if deployment.operation_id == operation.group("op"):
                status = {"Creating": "InProgress"}.get(deployment.state, deployment.state)
                return Reply(body={"id": path, "name": deployment.operation_id, "status": status})
        raise arm_error(404, "NotFound", f"Operation {operation.group('op')} was not found.")
    match = _DEPLOYMENT.match(path)
    if match is None:
        raise arm_error(404, "InvalidResourceType", f"The resource type could not be found for {path}.")
    name = match.group("name")
    if name is None:
        if method != "GET":
            raise arm_error(405, "MethodNotAllowed", f"{method} is not allowed on a deployment list.")
        return Reply(body={"value": [d.render() for d in server.deployments.values()]})
    current = server.deployments.get(name)
    if method == "GET":
        if current is None:
            raise _not_found(match.group("account"), match.group("rg"), name)
        return Reply(body=current.render())
    if method == "DELETE":
        if current is None:
            return Reply(204, b"")
        del server.deployments[name]
        return Reply(200, b"")
    if method == "PUT":
        return _create_or_update(server, path, name, body, current)
    raise arm_error(405, "MethodNotAllowed", f"{method} is not allowed on a deployment.")


def _not_found(account: str, group: str, name: str) -> ApiError:
    return arm_error(
        404,
        "ResourceNotFound",
        f"The Resource 'Microsoft.CognitiveServices/accounts/{account}/deployments/{name}' under resource "
        f"group '{group}' was not found. For more details please go to https://aka.ms/ARMResourceNotFoundFix",
    )


def _create_or_update(
    server: ApiServer, path: str, name: str, body: Any, existing: Deployment | None
) -> Reply:
    if not isinstance(body, dict):
        raise arm_error(
            400, "InvalidRequestContent", "The request content was invalid and could not be deserialized."
        )
    sku = body.get("sku") or {}
    model = (body.get("properties") or {}).get("model") or {}
    sku_name = SKUS.get(str(sku.get("name", "")).lower())
    if sku_name is None:
        raise arm_error(
            400,
            "InvalidResourceProperties",
            f"The specified SKU '{sku.get('name')}' for model deployment is not supported.",
        )
    if model.get("format") != "OpenAI" or not _deployable(server, str(model.get("name", ""))):
        raise arm_error(
            400,
            "DeploymentModelNotSupported",
            f"The model '{model.get('name')}' of format '{model.get('format')}' and version "
            f"'{model.get('version')}' is not supported.",
        )
    capacity = int(sku.get("capacity") or 1)
    deployment = Deployment(
        name,
        str(model["name"]),
        sku_name,
        capacity,
        path.split("?")[0],
        ticks_left=server.deployment_ticks,
        operation_id=server.world.new_id("part")[5:],
    )
    if deployment.ticks_left <= 0:
        deployment.state = "Succeeded"
    server.deployments[name] = deployment
    status_url = (
        f"{path.split('?')[0].rsplit('/deployments/', 1)[0]}/operationStatuses/{deployment.operation_id}"
    )
    headers = {"Azure-AsyncOperation": f"{server.root_url}{status_url}?api-version=2024-10-01"}
    return Reply(200 if existing else 201, deployment.render(), headers)


def _deployable(server: ApiServer, model: str) -> bool:
    """Base models, tuned models and their checkpoints can be deployed."""
    if model in server.world.models:
        return True
    return any(
        c["fine_tuned_model_checkpoint"] == model or c["id"] == model
        for job in server.world.jobs.values()
        for c in job.checkpoints
    )
