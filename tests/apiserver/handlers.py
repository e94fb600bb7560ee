"""Route handlers: one function per REST operation, each returning a Reply or raising ApiError.

Handlers run with `server.lock` held, so they may read and change `server.world` freely.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .errors import (
    AZURE_QUOTA,
    BASE_MODEL_UNSUPPORTED,
    OPENAI_REFUSAL,
    azure_error,
    openai_error,
    status_error,
)
from .protocol import ApiError, Call, Reply, iter_pages
from .state import PAUSED, RUNNING, TERMINAL, Job, StoredFile, StoredUpload

if TYPE_CHECKING:
    from .server import ApiServer

Handler = Callable[["ApiServer", Call], Reply]
_ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []

# Top-level fields OpenAI's create-job endpoint knows (CreateFineTuningJobRequest).
OPENAI_JOB_FIELDS = frozenset(
    {
        "model",
        "training_file",
        "validation_file",
        "hyperparameters",
        "suffix",
        "integrations",
        "seed",
        "method",
        "metadata",
    }
)
TRAINING_TYPES = {
    "standard": "Standard",
    "globalstandard": "GlobalStandard",
    "developertier": "developerTier",
    "developer": "developerTier",
}
DEFAULT_INVALID_FILE = (
    "Invalid file format. Example 1: 'preferred_output' must be a list with exactly one assistant message."
)


def route(method: str, pattern: str) -> Callable[[Handler], Handler]:
    """Register a handler for `method` on an API path pattern with {name} placeholders."""
    regex = re.compile("^" + re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", pattern) + "$")

    def register(handler: Handler) -> Handler:
        _ROUTES.append((method, regex, handler))
        return handler

    return register


def find_route(method: str, api_path: str) -> tuple[Handler, dict[str, str]] | None:
    """The handler for this request and its path parameters, if any matches."""
    for route_method, regex, handler in _ROUTES:
        match = regex.match(api_path)
        if match and route_method == method:
            return handler, match.groupdict()
    return None


# ----- helpers ------------------------------------------------------------------------------------------
def _bad(
    server: ApiServer, message: str, *, param: str | None = None, code: str | None = None, status: int = 400
) -> ApiError:
    if server.style == "azure":
        body = azure_error(code or "invalidPayload", message, param=param)
    else:
        body = openai_error(message, param=param, code=code)
    return ApiError(status, body)


def _not_found(server: ApiServer, what: str, ident: str, param: str = "id") -> ApiError:
    if server.style == "azure":
        return ApiError(404, azure_error("NotFound", f"{what} with id '{ident}' not found."))
    return ApiError(404, openai_error(f"No such {what}: {ident}", param=param))


def _limit(call: Call, default: int, maximum: int) -> int:
    raw = call.q("limit")
    return max(1, min(maximum, int(raw))) if raw and raw.lstrip("-").isdigit() else default


def _list_body(items: list[dict[str, Any]], has_more: bool, *, with_ids: bool) -> dict[str, Any]:
    body: dict[str, Any] = {"object": "list", "data": items, "has_more": has_more}
    if with_ids:
        body["first_id"] = items[0]["id"] if items else None
        body["last_id"] = items[-1]["id"] if items else None
    return body


def _created_status(call: Call) -> int:
    """Azure's classic route answers creations with 201 (azure spec excerpt); OpenAI with 200."""
    return 201 if call.route == "azure-classic" else 200


def _file(server: ApiServer, file_id: str) -> StoredFile:
    stored = server.world.files.get(file_id)
    if stored is None:
        raise _not_found(server, "File object" if server.style == "openai" else "File", file_id)
    return stored


def _job(server: ApiServer, job_id: str) -> Job:
    job = server.world.jobs.get(job_id)
    if job is None:
        if server.style == "azure":
            raise ApiError(
                404, azure_error("NotFound", f"The specified fine-tuning job '{job_id}' was not found.")
            )
        raise ApiError(
            404,
            openai_error(
                f"Fine-tuning job {job_id} not found.",
                param="fine_tuning_job_id",
                code="fine_tuning_job_not_found",
            ),
        )
    return job


# ----- models -------------------------------------------------------------------------------------------
def _render_model(server: ApiServer, model_id: str) -> dict[str, Any]:
    info = server.world.models[model_id]
    body: dict[str, Any] = {
        "id": info.id,
        "object": "model",
        "created": info.created,
        "owned_by": info.owned_by,
    }
    if server.style == "azure":
        # Azure's model list tells what each model can do; OpenAI's does not.
        fine_tunable = info.dpo or info.supervised
        body.update(
            {
                "created_at": info.created,
                "status": "succeeded",
                "lifecycle_status": "generally-available",
                "capabilities": {
                    "fine_tune": fine_tunable,
                    "inference": not info.id.startswith("text-embedding"),
                    "completion": False,
                    "chat_completion": not info.id.startswith("text-embedding"),
                    "embeddings": info.id.startswith("text-embedding"),
                },
            }
        )
        if info.fine_tuned:
            body["fine_tune"] = info.id
    return body


@route("GET", "/models")
def list_models(server: ApiServer, call: Call) -> Reply:
    return Reply(body={"object": "list", "data": [_render_model(server, m) for m in server.world.models]})


@route("GET", "/models/{model}")
def retrieve_model(server: ApiServer, call: Call) -> Reply:
    model = call.params["model"]
    if model not in server.world.models:
        if server.style == "azure":
            raise ApiError(404, azure_error("NotFound", f"The model '{model}' does not exist."))
        raise ApiError(
            404, openai_error(f"The model '{model}' does not exist", param="model", code="model_not_found")
        )
    return Reply(body=_render_model(server, model))


@route("DELETE", "/models/{model}")
def delete_model(server: ApiServer, call: Call) -> Reply:
    model = call.params["model"]
    info = server.world.models.get(model)
    if info is None or not info.fine_tuned:
        if info is None:
            return retrieve_model(server, call)
        raise ApiError(
            403,
            openai_error(
                "You have insufficient permissions to delete this model.", code="insufficient_permissions"
            ),
        )
    del server.world.models[model]
    return Reply(body={"id": model, "object": "model", "deleted": True})


# ----- files --------------------------------------------------------------------------------------------
@route("POST", "/files")
def create_file(server: ApiServer, call: Call) -> Reply:
    if "file" not in call.files:
        raise _bad(server, "Missing required parameter: 'file'.", param="file")
    filename, content = call.files["file"]
    if len(content) > server.max_file_bytes:
        raise _bad(
            server,
            f"File is too large ({len(content)} bytes). The maximum size of a file uploaded "
            f"through the Files API is {server.max_file_bytes} bytes; use the Uploads API for larger files.",
            param="file",
            code="file_too_large",
            status=413,
        )
    seconds = call.form.get("expires_after[seconds]")
    stored = server.world.add_file(
        filename,
        call.form.get("purpose", ""),
        content,
        int(seconds) if seconds and seconds.isdigit() else None,
    )
    _apply_file_fault(server, call, stored)
    return Reply(_created_status(call), stored.render(server.style))


def _apply_file_fault(server: ApiServer, call: Call, stored: StoredFile) -> None:
    fault = server.faults.take(call.method, call.api_path, ("file_invalid",))
    if fault is not None:
        server.world.mark_invalid(stored, str(fault.body or DEFAULT_INVALID_FILE))


@route("GET", "/files")
def list_files(server: ApiServer, call: Call) -> Reply:
    items = [f for f in server.world.files.values() if call.q("purpose") in (None, f.purpose)]
    items.sort(
        key=lambda f: (f.created_at, list(server.world.files).index(f.id)),
        reverse=(call.q("order") or "desc") == "desc",
    )
    rendered = [f.render(server.style) for f in items]
    page, has_more = iter_pages(rendered, call.q("after"), _limit(call, 10_000, 10_000))
    body = _list_body(page, has_more, with_ids=True)
    body["first_id"] = body["first_id"] or ""
    body["last_id"] = body["last_id"] or ""
    return Reply(body=body)


@route("GET", "/files/{file_id}")
def retrieve_file(server: ApiServer, call: Call) -> Reply:
    stored = _file(server, call.params["file_id"])
    server.world.poll_file(stored)
    return Reply(body=stored.render(server.style))


@route("DELETE", "/files/{file_id}")
def delete_file(server: ApiServer, call: Call) -> Reply:
    stored = _file(server, call.params["file_id"])
    del server.world.files[stored.id]
    return Reply(body={"id": stored.id, "object": "file", "deleted": True})


@route("GET", "/files/{file_id}/content")
def file_content(server: ApiServer, call: Call) -> Reply:
    stored = _file(server, call.params["file_id"])
    kind = "text/csv" if stored.filename.endswith(".csv") else "application/octet-stream"
    return Reply(body=stored.content, content_type=kind)


# ----- uploads ------------------------------------------------------------------------------------------
def _render_upload(server: ApiServer, upload: StoredUpload) -> dict[str, Any]:
    file_id = upload.file_id
    return {
        "id": upload.id,
        "object": "upload",
        "bytes": upload.bytes,
        "created_at": upload.created_at,
        "filename": upload.filename,
        "purpose": upload.purpose,
        "status": upload.status,
        "expires_at": upload.expires_at,
        "file": server.world.files[file_id].render(server.style) if file_id in server.world.files else None,
    }


def _upload(server: ApiServer, upload_id: str, *, pending: bool = True) -> StoredUpload:
    upload = server.world.uploads.get(upload_id)
    if upload is None:
        raise _not_found(server, "Upload", upload_id)
    if pending and upload.status != "pending":
        raise _bad(
            server, f"Upload {upload_id} has status {upload.status!r}; only pending uploads accept this."
        )
    return upload


@route("POST", "/uploads")
def create_upload(server: ApiServer, call: Call) -> Reply:
    body = call.json or {}
    if body.get("bytes", 0) > 8 * 1024**3:
        raise _bad(server, "An Upload can accept at most 8 GB in total.", param="bytes")
    world = server.world
    upload = StoredUpload(
        world.new_id("upload"),
        body["filename"],
        body["purpose"],
        body["bytes"],
        body["mime_type"],
        world.now,
        world.now + 3600,
    )
    world.uploads[upload.id] = upload
    return Reply(body=_render_upload(server, upload))


@route("POST", "/uploads/{upload_id}/parts")
def add_upload_part(server: ApiServer, call: Call) -> Reply:
    upload = _upload(server, call.params["upload_id"])
    if "data" not in call.files:
        raise _bad(server, "Missing required parameter: 'data'.", param="data")
    data = call.files["data"][1]
    if len(data) > server.max_part_bytes:
        raise _bad(server, f"Each Part can be at most {server.max_part_bytes} bytes.", param="data")
    part_id = server.world.new_id("part")
    upload.parts[part_id] = data
    return Reply(
        body={"id": part_id, "object": "upload.part", "created_at": server.world.now, "upload_id": upload.id}
    )


@route("POST", "/uploads/{upload_id}/complete")
def complete_upload(server: ApiServer, call: Call) -> Reply:
    upload = _upload(server, call.params["upload_id"])
    part_ids = (call.json or {}).get("part_ids", [])
    unknown = [p for p in part_ids if p not in upload.parts]
    if unknown:
        raise _bad(server, f"Part {unknown[0]} does not belong to upload {upload.id}.", param="part_ids")
    content = b"".join(upload.parts[p] for p in part_ids)
    if len(content) != upload.bytes:
        raise _bad(
            server,
            f"The number of bytes uploaded upon completion ({len(content)}) must match the number "
            f"of bytes initially specified ({upload.bytes}).",
            param="part_ids",
        )
    md5 = (call.json or {}).get("md5")
    if md5 and hashlib.md5(content).hexdigest() != md5:  # the API's own checksum
        raise _bad(server, "The md5 checksum does not match the uploaded content.", param="md5")
    stored = server.world.add_file(upload.filename, upload.purpose, content)
    _apply_file_fault(server, call, stored)
    upload.status, upload.file_id = "completed", stored.id
    return Reply(body=_render_upload(server, upload))


@route("POST", "/uploads/{upload_id}/cancel")
def cancel_upload(server: ApiServer, call: Call) -> Reply:
    upload = _upload(server, call.params["upload_id"])
    upload.status = "cancelled"
    return Reply(body=_render_upload(server, upload))


# ----- fine-tuning jobs ---------------------------------------------------------------------------------
@route("POST", "/fine_tuning/jobs")
def create_job(server: ApiServer, call: Call) -> Reply:
    body = dict(call.json or {})
    _check_job_request(server, call, body)
    refusal = server.faults.take(call.method, call.api_path, ("refuse_job",))
    if refusal is not None:
        if server.style == "azure":
            raise ApiError(refusal.status or 400, refusal.body or azure_error("quotaExceeded", AZURE_QUOTA))
        raise ApiError(
            refusal.status or 403,
            refusal.body
            or openai_error(OPENAI_REFUSAL, type_="invalid_request_error", code="fine_tuning_unavailable"),
        )
    if "trainingType" in body:
        body["trainingType"] = TRAINING_TYPES[str(body["trainingType"]).lower()]
    job = server.world.create_job(body)
    headers = (
        {"location": f"{call.base}/openai/fine_tuning/jobs/{job.id}"} if call.route == "azure-classic" else {}
    )
    return Reply(_created_status(call), job.render(server.style, call.vocabulary), headers)


def _check_job_request(server: ApiServer, call: Call, body: dict[str, Any]) -> None:
    """What the service checks beyond the schema: known args, files, model support, Azure's extras."""
    world = server.world
    if server.style == "openai":
        unknown = sorted(set(body) - OPENAI_JOB_FIELDS)
        if unknown:
            raise _bad(server, f"Unrecognized request argument supplied: {unknown[0]}")
    for param in ("training_file", "validation_file"):
        file_id = body.get(param)
        if file_id is not None and file_id not in world.files:
            raise _bad(server, f"invalid {param}: {file_id}", param=param)
    method = (body.get("method") or {}).get("type", "supervised")
    model = str(body.get("model"))
    base = world.models.get(model)
    if base is not None and base.fine_tuned:
        base = world.models.get(_base_of(model))  # continuing from a tuned model of a supported base
    supported = base is not None and (
        base.dpo if method == "dpo" else base.supervised if method == "supervised" else False
    )
    if server.style == "azure":
        training_type = body.get("trainingType")
        if server.require_training_type and training_type is None:
            # A missing trainingType surfaces as this misleading message (DESIGN §5, reference/peers.md).
            raise _bad(server, BASE_MODEL_UNSUPPORTED, param="model")
        if training_type is not None and str(training_type).lower() not in TRAINING_TYPES:
            raise _bad(
                server,
                f"Invalid value for 'trainingType': {training_type!r}. Supported values are "
                "'Standard', 'GlobalStandard' and 'developerTier'.",
                param="trainingType",
            )
        hyper = ((body.get("method") or {}).get(method) or {}).get("hyperparameters") or {}
        if "l2_multiplier" in hyper and method != "dpo":
            raise _bad(server, "'l2_multiplier' is only valid for the dpo method.", param="method")
        suffix = body.get("suffix")
        if suffix is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", str(suffix)):
            raise _bad(
                server, "The suffix may contain at most 40 characters from [a-zA-Z0-9-_].", param="suffix"
            )
        if not supported:
            raise _bad(server, BASE_MODEL_UNSUPPORTED, param="model")
    elif not supported:
        if base is not None and method == "dpo":
            raise _bad(
                server,
                f"Model {model} does not support DPO fine-tuning.",
                param="model",
                code="model_not_available",
            )
        raise _bad(
            server,
            f"Model {model} is not available for fine-tuning or does not exist.",
            param="model",
            code="model_not_available",
        )


def _base_of(model: str) -> str:
    """The base model of a tuned model id (OpenAI "ft:base:org:suffix:id", Azure "base.ft-hex[-suffix]")."""
    if model.startswith("ft:"):
        return model.split(":")[1]
    return model.split(".ft-", 1)[0]


@route("GET", "/fine_tuning/jobs")
def list_jobs(server: ApiServer, call: Call) -> Reply:
    wanted = {
        name[len("metadata[") : -1]: values[-1]
        for name, values in call.query.items()
        if name.startswith("metadata[")
    }
    jobs = [
        j
        for j in reversed(server.world.jobs.values())
        if all((j.metadata or {}).get(k) == v for k, v in wanted.items())
    ]
    rendered = [j.render(server.style, call.vocabulary) for j in jobs]
    page, has_more = iter_pages(rendered, call.q("after"), _limit(call, 20, 100))
    return Reply(body=_list_body(page, has_more, with_ids=False))


@route("GET", "/fine_tuning/jobs/{job_id}")
def retrieve_job(server: ApiServer, call: Call) -> Reply:
    return Reply(body=_job(server, call.params["job_id"]).render(server.style, call.vocabulary))


@route("DELETE", "/fine_tuning/jobs/{job_id}")
def delete_job(server: ApiServer, call: Call) -> Reply:
    """Azure's classic route can delete a finished job (FineTuning_Delete, 204); OpenAI has no such call."""
    if call.route != "azure-classic":
        raise ApiError(404, status_error(server.style, 404, call.method, call.api_path))
    job = _job(server, call.params["job_id"])
    if job.state not in TERMINAL:
        raise _bad(server, f"Job {job.id} is still active; cancel it before deleting it.")
    del server.world.jobs[job.id]
    return Reply(204, b"")


@route("POST", "/fine_tuning/jobs/{job_id}/cancel")
def cancel_job(server: ApiServer, call: Call) -> Reply:
    job = _job(server, call.params["job_id"])
    if job.state in TERMINAL:
        raise _bad(server, f"Job has already completed: {job.id}", param="fine_tuning_job_id")
    server.world.cancel(job)
    return Reply(body=job.render(server.style, call.vocabulary))


@route("POST", "/fine_tuning/jobs/{job_id}/pause")
def pause_job(server: ApiServer, call: Call) -> Reply:
    job = _job(server, call.params["job_id"])
    if job.state != RUNNING or job.step < 1:
        raise _bad(
            server,
            f"Cannot pause job {job.id}: only running jobs that have trained at least one step "
            f"can be paused (status: {job.render(server.style, call.vocabulary)['status']}).",
        )
    server.world.pause(job, immediate=call.vocabulary == "openai")
    return Reply(body=job.render(server.style, call.vocabulary))


@route("POST", "/fine_tuning/jobs/{job_id}/resume")
def resume_job(server: ApiServer, call: Call) -> Reply:
    job = _job(server, call.params["job_id"])
    if job.state != PAUSED:
        raise _bad(
            server,
            f"Cannot resume job {job.id}: only paused jobs can be resumed "
            f"(status: {job.render(server.style, call.vocabulary)['status']}).",
        )
    server.world.resume(job, immediate=call.vocabulary == "openai")
    return Reply(body=job.render(server.style, call.vocabulary))


def _ordered(server: ApiServer, call: Call, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Newest first (OpenAI); oldest first on Azure's classic route, as its examples show."""
    if call.route == "azure-classic" and server.azure_classic_list_order == "asc":
        return list(items)
    return list(reversed(items))


@route("GET", "/fine_tuning/jobs/{job_id}/events")
def list_events(server: ApiServer, call: Call) -> Reply:
    job = _job(server, call.params["job_id"])
    page, has_more = iter_pages(_ordered(server, call, job.events), call.q("after"), _limit(call, 20, 10_000))
    return Reply(body=_list_body(page, has_more, with_ids=False))


@route("GET", "/fine_tuning/jobs/{job_id}/checkpoints")
def list_checkpoints(server: ApiServer, call: Call) -> Reply:
    job = _job(server, call.params["job_id"])
    page, has_more = iter_pages(
        _ordered(server, call, job.checkpoints), call.q("after"), _limit(call, 10, 100)
    )
    return Reply(body=_list_body(page, has_more, with_ids=True))


def handle_arm(server: ApiServer, method: str, path: str, query: dict[str, list[str]], body: Any) -> Reply:
    """Azure control plane (deployments); filled in by deployments.py."""
    from .deployments import handle_deployment

    return handle_deployment(server, method, path, query, body)
