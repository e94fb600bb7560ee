"""One provider abstraction over OpenAI, Azure OpenAI, Foundry projects and compatible servers.

Typical use (off the GUI thread)::

    provider = open_provider(profile)
    remote = provider.upload_training_file(path, progress=ctx.progress, cancelled=lambda: ctx.cancelled)
    job = provider.create_dpo_job(DpoJobRequest(model=..., training_file=remote.id, ...))
    feed = EventFeed(job.id)
    new = provider.poll_events(feed)  # again later: only events since the last poll
"""

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
