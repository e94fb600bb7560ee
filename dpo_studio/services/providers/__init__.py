"""One provider abstraction over OpenAI, Azure OpenAI, Foundry projects and compatible servers.

Typical use (off the GUI thread)::

    provider = open_provider(profile)
    remote = provider.upload_training_file(path, progress=ctx.progress, cancelled=lambda: ctx.cancelled)
    job = provider.create_dpo_job(DpoJobRequest(model=..., training_file=remote.id, ...))
    feed = EventFeed(job.id)
    new = provider.poll_events(feed)  # again later: only events since the last poll

The names below are imported from their submodules on first use (PEP 562): importing a light submodule
such as :mod:`~dpo_studio.services.providers.types` (the run history does, at start-up) must not load the
``openai`` SDK, which ``service``, ``traits`` and ``uploads`` need.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from dpo_studio.services.providers.requests import (
        AUTO,
        DpoHyperparameters,
        DpoJobRequest,
        check_request,
        job_request_body,
        request_problems,
    )
    from dpo_studio.services.providers.service import FineTuningProvider, ProviderOptions, open_provider
    from dpo_studio.services.providers.traits import (
        DPO_BASE_MODELS,
        TRAITS,
        ProviderTraits,
        TrainingType,
        build_client,
        supports_dpo,
        traits_for,
    )
    from dpo_studio.services.providers.types import (
        Checkpoint,
        ConnectionReport,
        EventFeed,
        EventPage,
        Job,
        JobEvent,
        ModelInfo,
        RemoteFile,
        UploadState,
    )
    from dpo_studio.services.providers.uploads import FILES_API_LIMIT, PART_SIZE, UploadInterrupted

#: Which submodule defines each public name.
_SOURCES: dict[str, str] = {
    **dict.fromkeys(
        (
            "AUTO",
            "DpoHyperparameters",
            "DpoJobRequest",
            "check_request",
            "job_request_body",
            "request_problems",
        ),
        "requests",
    ),
    **dict.fromkeys(("FineTuningProvider", "ProviderOptions", "open_provider"), "service"),
    **dict.fromkeys(
        (
            "DPO_BASE_MODELS",
            "TRAITS",
            "ProviderTraits",
            "TrainingType",
            "build_client",
            "supports_dpo",
            "traits_for",
        ),
        "traits",
    ),
    **dict.fromkeys(
        (
            "Checkpoint",
            "ConnectionReport",
            "EventFeed",
            "EventPage",
            "Job",
            "JobEvent",
            "ModelInfo",
            "RemoteFile",
            "UploadState",
        ),
        "types",
    ),
    **dict.fromkeys(("FILES_API_LIMIT", "PART_SIZE", "UploadInterrupted"), "uploads"),
}

__all__ = [
    "AUTO",
    "DPO_BASE_MODELS",
    "FILES_API_LIMIT",
    "PART_SIZE",
    "TRAITS",
    "Checkpoint",
    "ConnectionReport",
    "DpoHyperparameters",
    "DpoJobRequest",
    "EventFeed",
    "EventPage",
    "FineTuningProvider",
    "Job",
    "JobEvent",
    "ModelInfo",
    "ProviderOptions",
    "ProviderTraits",
    "RemoteFile",
    "TrainingType",
    "UploadInterrupted",
    "UploadState",
    "build_client",
    "check_request",
    "job_request_body",
    "open_provider",
    "request_problems",
    "supports_dpo",
    "traits_for",
]


def __getattr__(name: str) -> Any:
    """Import a public name (or a submodule) the first time it is asked for."""
    source = _SOURCES.get(name)
    if source is None:
        if name in ("requests", "service", "traits", "types", "uploads"):
            return importlib.import_module(f"{__name__}.{name}")
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{source}"), name)
    globals()[name] = value  # later lookups skip this function
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_SOURCES})
