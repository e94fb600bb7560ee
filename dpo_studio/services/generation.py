"""Chat completions from one connection: whole answers, several candidates, or a streamed answer.

On OpenAI (and other OpenAI-style servers) a fine-tuned model is called by its id (``ft:...``); on Azure
OpenAI and Foundry projects a model answers only through a *deployment*, and the deployment's name is what
goes in ``model``. :func:`chat_model_name` makes that choice in one place.

Every call blocks (run it off the GUI thread) and raises only :class:`~dpo_studio.core.errors.UserError`.
Typical use::

    generator = open_generator(profile)
    answer = generator.stream("ft:gpt-4.1-mini:acme:tone:abc", messages, GenerationSettings(0.7, 400),
                              on_text=lambda text: ctx.progress(0, 0, text), cancelled=lambda: ctx.cancelled)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import openai

from dpo_studio.core.errors import UserError
from dpo_studio.core.preference_sources import Candidate
from dpo_studio.core.records import Message
from dpo_studio.services.connections import ConnectionProfile, ProviderKind
from dpo_studio.services.errors import Cancelled, explained
from dpo_studio.services.providers import ProviderOptions, open_provider

#: Receives the whole answer so far each time a piece arrives (not just the piece: a listener that
#: drops updates still shows the latest text).
TextCallback = Callable[[str], None]


@dataclass(frozen=True)
class GenerationSettings:
    """Sampling settings sent with every request (None = the service's default)."""

    temperature: float | None = 1.0
    max_tokens: int | None = 512
    seed: int | None = None

    def request_fields(self) -> dict[str, Any]:
        """The request's sampling fields."""
        fields: dict[str, Any] = {}
        if self.temperature is not None:
            fields["temperature"] = self.temperature
        if self.max_tokens is not None:
            # max_tokens (not max_completion_tokens): fine-tuned gpt-4o/4.1 and every Azure api-version
            # that fine-tunes accept it.
            fields["max_tokens"] = self.max_tokens
        if self.seed is not None:
            fields["seed"] = self.seed
        return fields


@dataclass(frozen=True)
class Answer:
    """One generated answer."""

    text: str
    finish_reason: str
    model: str  # the model the service says answered
    prompt_tokens: int | None = None
    completion_tokens: int | None = None

    @property
    def truncated(self) -> bool:
        """True when the token limit cut the answer off."""
        return self.finish_reason == "length"

    def candidate(self, label: str = "") -> Candidate:
        """The answer as a candidate for a preference pair (``label`` names the model for people)."""
        return Candidate(self.text, label or self.model, self.finish_reason)


def chat_model_name(kind: ProviderKind, *, model_id: str, deployment: str = "") -> str:
    """What to send as ``model``: the deployment name on Azure/Foundry, the model id elsewhere."""
    if kind in (ProviderKind.AZURE_OPENAI, ProviderKind.FOUNDRY_PROJECT):
        if not deployment.strip():
            raise UserError(
                f"On {kind.label} a model answers only through a deployment, and '{model_id}' has none "
                "chosen.",
                "Deploy the model first (Deploy… in the Runs tab) and pick the deployment.",
            )
        return deployment.strip()
    if not model_id.strip():
        raise UserError("No model is chosen.", "Pick a model to generate with.")
    return model_id.strip()


def _never() -> bool:
    return False


class ChatGenerator:
    """Chat completions through one connection's real openai client."""

    def __init__(self, client: openai.OpenAI, kind: ProviderKind) -> None:
        self.client = client
        self.kind = kind

    def complete(
        self,
        model: str,
        messages: Sequence[Message],
        settings: GenerationSettings = GenerationSettings(),
        *,
        n: int = 1,
    ) -> list[Answer]:
        """``n`` whole answers to the same messages (one request)."""
        if n < 1:
            raise ValueError("n must be at least 1")
        extra: dict[str, Any] = {"n": n} if n > 1 else {}
        with explained(kind=self.kind, action=f"generate an answer with {model}"):
            request: dict[str, Any] = {
                "model": model,
                "messages": list(messages),
                **settings.request_fields(),
            }
            reply = self.client.chat.completions.create(**request, **extra)
        usage = reply.usage
        answers = [
            Answer(
                text=choice.message.content or "",
                finish_reason=str(choice.finish_reason or ""),
                model=str(reply.model or model),
                prompt_tokens=usage.prompt_tokens if usage else None,
                completion_tokens=usage.completion_tokens if usage else None,
            )
            for choice in sorted(reply.choices, key=lambda c: c.index)
        ]
        if not answers:
            raise UserError(f"{model} returned no answer.", "Try again; the service may have filtered it.")
        return answers

    def stream(
        self,
        model: str,
        messages: Sequence[Message],
        settings: GenerationSettings = GenerationSettings(),
        *,
        on_text: TextCallback | None = None,
        cancelled: Callable[[], bool] = _never,
    ) -> Answer:
        """One answer, streamed: ``on_text`` gets the text so far as pieces arrive. Cancel closes the stream.

        Chunks without choices (Azure's first chunk carries only its content filter's verdict on the
        prompt; the last one may carry only usage) are read for their metadata and otherwise skipped.
        """
        pieces: list[str] = []
        finish = ""
        answered_by = model
        usage: Any = None
        with explained(kind=self.kind, action=f"generate an answer with {model}"):
            request: dict[str, Any] = {
                "model": model,
                "messages": list(messages),
                "stream_options": {"include_usage": True},
                **settings.request_fields(),
            }
            stream = self.client.chat.completions.create(stream=True, **request)
            try:
                for chunk in stream:
                    if cancelled():
                        raise Cancelled("Generation was stopped.", "")
                    if chunk.model:
                        answered_by = chunk.model
                    if chunk.usage is not None:
                        usage = chunk.usage
                    for choice in chunk.choices:
                        if choice.index != 0:
                            continue
                        if choice.delta.content:
                            pieces.append(choice.delta.content)
                            if on_text is not None:
                                on_text("".join(pieces))
                        if choice.finish_reason:
                            finish = str(choice.finish_reason)
            finally:
                stream.close()
        return Answer(
            text="".join(pieces),
            finish_reason=finish,
            model=answered_by,
            prompt_tokens=getattr(usage, "prompt_tokens", None),
            completion_tokens=getattr(usage, "completion_tokens", None),
        )


def open_generator(
    profile: ConnectionProfile,
    *,
    options: ProviderOptions | None = None,
    api_key: str | None = None,
    token_provider: Callable[[], str] | None = None,
) -> ChatGenerator:
    """A generator for a saved connection (key from the keyring or Entra sign-in, as for fine-tuning).

    May block on the keyring: call it off the GUI thread.
    """
    provider = open_provider(
        profile,
        options=options or ProviderOptions(timeout=120.0),
        api_key=api_key,
        token_provider=token_provider,
    )
    return ChatGenerator(provider.client, provider.kind)
