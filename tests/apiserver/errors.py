"""Error bodies worded the way each service words them, so the app's error mapping meets realistic input.

Wording sources: reference/openai-fine-tuning-api.md (error envelope, `invalid_n_examples`), the Azure RBAC/
key/quota messages seen in public issue threads, and OpenAI's fine-tuning wind-down notice (reference §0).
Where no captured response exists (the wind-down refusal, Azure's fine-tuning job quota) the text is
modelled on the documented facts and says so in the server's README section of the H3 report.
"""

from __future__ import annotations

from typing import Any

AZURE_BAD_KEY = (
    "Access denied due to invalid subscription key or wrong API endpoint. Make sure to provide a valid key "
    "for an active subscription and use a correct regional API endpoint for your resource."
)
OPENAI_REFUSAL = (
    "Fine-tuning is not available to this organization. OpenAI is winding down the self-serve fine-tuning "
    "platform: it is no longer accessible to new users, and no new fine-tuning jobs can be created after "
    "January 6, 2027. Existing fine-tuned models remain available for inference until their base models are "
    "deprecated."
)
AZURE_QUOTA = (
    "The maximum number of concurrent fine-tuning jobs for this resource has been reached (limit: 3). "
    "Wait for a running job to finish or cancel one, or request a quota increase at https://aka.ms/oai/quotaincrease."
)
BASE_MODEL_UNSUPPORTED = "The specified base model does not support fine-tuning."


def openai_error(
    message: str, *, type_: str = "invalid_request_error", param: str | None = None, code: str | None = None
) -> dict[str, Any]:
    """OpenAI's envelope: {"error": {"message", "type", "param", "code"}} (spec `ErrorResponse`)."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def azure_error(code: str, message: str, *, param: str | None = None) -> dict[str, Any]:
    """Azure's envelope: {"error": {"code", "message"}} (+ param when a body field is at fault)."""
    body: dict[str, Any] = {"code": code, "message": message}
    if param is not None:
        body["param"] = param
    return {"error": body}


def mask_key(key: str) -> str:
    """How OpenAI echoes a wrong key: a few leading and the last four characters, the rest starred."""
    if len(key) <= 8:
        return "*" * len(key)
    return key[:3] + "*" * (len(key) - 7) + key[-4:]


def status_error(
    style: str,
    status: int,
    method: str,
    api_path: str,
    *,
    retry_after: float | None = None,
    api_version: str = "2025-04-01-preview",
) -> dict[str, Any]:
    """The body a service sends with `status` for this request when nothing more specific applies."""
    seconds = max(1, round(retry_after or 1))
    if style == "azure":
        if status == 401:
            return azure_error("401", AZURE_BAD_KEY)
        if status == 403:
            action = _azure_data_action(method, api_path)
            return azure_error(
                "PermissionDenied",
                "The principal `3f2a8c1e-5b7d-4e09-9a61-0c4d2b8e7f15` lacks the required data action "
                f"`{action}` to perform `{method} /openai{api_path}` operation.",
            )
        if status == 404:
            return azure_error("404", "Resource not found")
        if status == 429:
            return azure_error(
                "429",
                f"Requests to the {_azure_operation(method, api_path)} Operation under Azure OpenAI API "
                f"version {api_version} have exceeded call rate limit of your current OpenAI S0 pricing "
                f"tier. Please retry after {seconds} second{'s' if seconds != 1 else ''}. Please go here: "
                "https://aka.ms/oai/quotaincrease if you would like to further increase the default rate "
                "limit.",
            )
        if status >= 500:
            return azure_error(
                "InternalServerError", "The service encountered an internal error. Please retry."
            )
        return azure_error("BadRequest", "The request is invalid.")
    if status == 401:
        return openai_error(
            "You didn't provide an API key. You need to provide your API key in an Authorization header "
            "using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
        )
    if status == 403:
        return openai_error(
            "You have insufficient permissions for this operation. Missing scopes: "
            f"{_openai_scope(method, api_path)}. Check that you have the correct role in your organization "
            "(Owner, Reader), and if you're using a restricted API key, that it has the necessary scopes.",
        )
    if status == 404:
        return openai_error(f"Invalid URL ({method} /v1{api_path})")
    if status == 429:
        return openai_error("Rate limit reached for requests", type_="requests", code="rate_limit_exceeded")
    if status in (502, 503):
        return openai_error("The server is overloaded or not ready yet.", type_="server_error")
    if status >= 500:
        return openai_error(
            "The server had an error while processing your request. Sorry about that!", type_="server_error"
        )
    return openai_error("The request is invalid.")


def _azure_data_action(method: str, api_path: str) -> str:
    area = (
        "files"
        if api_path.startswith(("/files", "/uploads"))
        else ("fine-tunes" if api_path.startswith("/fine_tuning") else "models")
    )
    verb = {"GET": "read", "DELETE": "delete"}.get(method, "write")
    return f"Microsoft.CognitiveServices/accounts/OpenAI/{area}/{verb}"


def _azure_operation(method: str, api_path: str) -> str:
    if api_path.startswith("/fine_tuning"):
        return (
            "Create a fine-tuning job"
            if method == "POST" and api_path == "/fine_tuning/jobs"
            else "FineTuning"
        )
    if api_path.startswith(("/files", "/uploads")):
        return "Files"
    return "Models"


def _openai_scope(method: str, api_path: str) -> str:
    area = (
        "files"
        if api_path.startswith(("/files", "/uploads"))
        else ("fine_tuning.jobs" if api_path.startswith("/fine_tuning") else "model")
    )
    return f"api.{area}.{'read' if method == 'GET' else 'write'}"
