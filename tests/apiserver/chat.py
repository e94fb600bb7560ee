"""Chat completions: deterministic answers per model and prompt, whole or streamed as server-sent events.

OpenAI style takes any chat-capable model id, tuned ones included. Azure answers only through a ready
deployment: `/openai/deployments/{name}/chat/completions` (classic) or `model=<deployment name>` on the
v1 and Foundry routes; an unknown or unfinished deployment gets Azure's DeploymentNotFound.
Tests can script answers with `server.chat_responder = lambda model, messages, index: "text"`.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from .errors import azure_error, openai_error
from .handlers import route
from .protocol import ApiError, Call, Reply

if TYPE_CHECKING:
    from .server import ApiServer

SENTENCES = (
    "The short answer is yes, with one condition worth checking first.",
    "Start with the simplest option and measure before changing anything else.",
    "In most cases the default setting is the right choice.",
    "Here is a concrete example that shows the idea in practice.",
    "Keep the reply brief and friendly, and offer one next step.",
    "The main risk is overfitting, so hold out a validation set.",
    "I would compare both versions side by side before deciding.",
    "It depends on your data; a few hundred good examples go a long way.",
    "Check the units and the source of the numbers before you rely on them.",
    "That is a common question, and the answer is simpler than it looks.",
    "Avoid jargon where a plain word will do.",
    "If anything is unclear, ask a follow-up question.",
)
DEPLOYMENT_NOT_FOUND = (
    "The API deployment for this resource does not exist. If you created the deployment within the last 5 "
    "minutes, please wait a moment and try again."
)


def default_answer(model: str, messages: list[dict[str, Any]], index: int, seed: int | None = None) -> str:
    """A stable pseudo-answer: the same model, messages, choice index and seed always give the same text."""
    key = json.dumps([model, messages, index, seed], sort_keys=True, default=str)
    rng = random.Random(hashlib.sha256(key.encode()).digest())
    return " ".join(rng.sample(SENTENCES, rng.randint(2, 4)))


def _count_tokens(text: str) -> int:
    return max(1, len(text.split()))


def _resolve_model(server: ApiServer, call: Call, requested: str) -> str:
    """The model that answers: a model id (OpenAI) or the model behind a ready deployment (Azure)."""
    if server.style == "azure":
        name = call.params.get("deployment", requested)
        deployment = server.deployments.get(name)
        if deployment is None or deployment.state != "Succeeded":
            raise ApiError(404, azure_error("DeploymentNotFound", DEPLOYMENT_NOT_FOUND))
        return deployment.model
    info = server.world.models.get(requested)
    if info is None or info.id.startswith("text-embedding"):
        raise ApiError(
            404,
            openai_error(
                f"The model `{requested}` does not exist or you do not have access to it.",
                code="model_not_found",
            ),
        )
    return requested


@route("POST", "/chat/completions")
@route("POST", "/deployments/{deployment}/chat/completions")
def create_chat_completion(server: ApiServer, call: Call) -> Reply:
    body = call.json or {}
    requested = str(body.get("model") or call.params.get("deployment", ""))
    model = _resolve_model(server, call, requested)
    messages = list(body.get("messages") or [])
    choices = int(body.get("n") or 1)
    limit = body.get("max_completion_tokens") or body.get("max_tokens")
    answers: list[tuple[str, str]] = []
    for index in range(choices):
        responder = server.chat_responder
        text = (
            responder(model, messages, index)
            if responder
            else default_answer(model, messages, index, body.get("seed"))
        )
        words = text.split(" ")
        if limit is not None and len(words) > int(limit):
            answers.append((" ".join(words[: int(limit)]), "length"))
        else:
            answers.append((text, "stop"))
    completion_id = (
        "chatcmpl-" + hashlib.sha256(f"{model}{messages}{server.world.now}".encode()).hexdigest()[:29]
    )
    prompt_tokens = sum(_count_tokens(str(m.get("content", ""))) for m in messages)
    completion_tokens = sum(_count_tokens(text) for text, _ in answers)
    usage = {
        "prompt_tokens": prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": prompt_tokens + completion_tokens,
    }
    head = {
        "id": completion_id,
        "created": server.world.now,
        "model": model,
        "system_fingerprint": "fp_dpostudio",
    }
    if body.get("stream"):
        include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return Reply(
            body=_stream(
                server, head, answers, usage if include_usage else None, azure=server.style == "azure"
            ),
            content_type="text/event-stream",
        )
    return Reply(
        body={
            **head,
            "object": "chat.completion",
            "choices": [
                {
                    "index": i,
                    "message": {"role": "assistant", "content": text, "refusal": None, "annotations": []},
                    "finish_reason": reason,
                    "logprobs": None,
                }
                for i, (text, reason) in enumerate(answers)
            ],
            "usage": usage,
        }
    )


def _stream(
    server: ApiServer,
    head: dict[str, Any],
    answers: list[tuple[str, str]],
    usage: dict[str, int] | None,
    *,
    azure: bool = False,
) -> Iterator[dict[str, Any]]:
    """Chunks as OpenAI sends them: role first, then words, then finish_reason, then (optionally) usage.

    Azure first sends a chunk with no choices and only `prompt_filter_results` (its content filter's verdict
    on the prompt), which breaks code that reads `chunk.choices[0]` blindly.
    """

    def chunk(choices: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        return {**head, "object": "chat.completion.chunk", "choices": choices, **extra}

    if azure:
        safe = {
            name: {"filtered": False, "severity": "safe"}
            for name in ("hate", "self_harm", "sexual", "violence")
        }
        yield {
            **chunk([]),
            "id": "",
            "model": "",
            "created": 0,
            "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": safe}],
        }

    yield chunk(
        [
            {
                "index": i,
                "delta": {"role": "assistant", "content": ""},
                "finish_reason": None,
                "logprobs": None,
            }
            for i in range(len(answers))
        ]
    )
    pieces = [text.split(" ") for text, _ in answers]
    for position in range(max(len(p) for p in pieces)):
        for index, words in enumerate(pieces):
            if position < len(words):
                content = words[position] if position == 0 else " " + words[position]
                yield chunk(
                    [{"index": index, "delta": {"content": content}, "finish_reason": None, "logprobs": None}]
                )
    yield chunk(
        [
            {"index": i, "delta": {}, "finish_reason": reason, "logprobs": None}
            for i, (_, reason) in enumerate(answers)
        ]
    )
    if usage is not None:
        yield chunk([], usage=usage)


# ----- Responses API (the Foundry guide tests its deployment with responses.create) -----------------------
def _input_messages(body: dict[str, Any]) -> list[dict[str, Any]]:
    """`instructions` + `input` (a string, or items with string or input_text content) as chat messages."""
    messages: list[dict[str, Any]] = []
    if isinstance(body.get("instructions"), str):
        messages.append({"role": "system", "content": body["instructions"]})
    source = body.get("input")
    if isinstance(source, str):
        return [*messages, {"role": "user", "content": source}]
    for item in source or []:
        if not isinstance(item, dict) or "role" not in item:
            continue
        content = item.get("content")
        if isinstance(content, list):
            content = "".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
        messages.append({"role": item["role"], "content": content})
    return messages


@route("POST", "/responses")
def create_response(server: ApiServer, call: Call) -> Reply:
    body = call.json or {}
    model = _resolve_model(server, call, str(body.get("model", "")))
    messages = _input_messages(body)
    responder = server.chat_responder
    text = responder(model, messages, 0) if responder else default_answer(model, messages, 0)
    limit = body.get("max_output_tokens")
    words = text.split(" ")
    incomplete = False
    if limit is not None and len(words) > int(limit):
        incomplete, text = True, " ".join(words[: int(limit)])
    digest = hashlib.sha256(f"{model}{messages}{server.world.now}".encode()).hexdigest()
    message_id, response_id = "msg_" + digest[:40], "resp_" + digest[24:64]
    input_tokens = sum(_count_tokens(str(m.get("content", ""))) for m in messages)
    output_tokens = _count_tokens(text)
    part = {"type": "output_text", "text": text, "annotations": [], "logprobs": []}
    item_status = "incomplete" if incomplete else "completed"
    item = {
        "type": "message",
        "id": message_id,
        "status": item_status,
        "role": "assistant",
        "content": [part],
    }
    response: dict[str, Any] = {
        "id": response_id,
        "object": "response",
        "created_at": server.world.now,
        "status": "incomplete" if incomplete else "completed",
        "completed_at": server.world.now,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if incomplete else None,
        "instructions": body.get("instructions"),
        "max_output_tokens": limit,
        "model": model,
        "output": [item],
        "parallel_tool_calls": True,
        "metadata": body.get("metadata") or {},
        "temperature": body.get("temperature", 1.0),
        "top_p": body.get("top_p", 1.0),
        "tool_choice": "auto",
        "tools": [],
        "text": {"format": {"type": "text"}},
        "usage": {
            "input_tokens": input_tokens,
            "input_tokens_details": {"cached_tokens": 0, "cache_write_tokens": 0},
            "output_tokens": output_tokens,
            "output_tokens_details": {"reasoning_tokens": 0},
            "total_tokens": input_tokens + output_tokens,
        },
    }
    if body.get("stream"):
        return Reply(body=_response_events(response, item, part), content_type="text/event-stream")
    return Reply(body=response)


def _response_events(
    response: dict[str, Any], item: dict[str, Any], part: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    """The Responses API's typed event sequence, from response.created to response.completed."""
    sequence = iter(range(1_000_000))
    pending = {key: value for key, value in response.items() if key != "usage"}  # usage comes at the end
    pending.update(status="in_progress", output=[], completed_at=None, incomplete_details=None)
    where = {"item_id": item["id"], "output_index": 0, "content_index": 0}
    yield {"type": "response.created", "response": pending, "sequence_number": next(sequence)}
    yield {"type": "response.in_progress", "response": pending, "sequence_number": next(sequence)}
    yield {
        "type": "response.output_item.added",
        "output_index": 0,
        "sequence_number": next(sequence),
        "item": {**item, "status": "in_progress", "content": []},
    }
    yield {
        "type": "response.content_part.added",
        **where,
        "sequence_number": next(sequence),
        "part": {**part, "text": ""},
    }
    for index, word in enumerate(part["text"].split(" ")):
        yield {
            "type": "response.output_text.delta",
            **where,
            "sequence_number": next(sequence),
            "delta": word if index == 0 else " " + word,
            "logprobs": [],
        }
    yield {
        "type": "response.output_text.done",
        **where,
        "sequence_number": next(sequence),
        "text": part["text"],
        "logprobs": [],
    }
    yield {"type": "response.content_part.done", **where, "sequence_number": next(sequence), "part": part}
    yield {
        "type": "response.output_item.done",
        "output_index": 0,
        "sequence_number": next(sequence),
        "item": item,
    }
    final = "response.incomplete" if response["status"] == "incomplete" else "response.completed"
    yield {"type": final, "response": response, "sequence_number": next(sequence)}
