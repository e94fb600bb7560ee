"""The one provider abstraction: every fine-tuning call the app makes, for any provider kind.

Each method is blocking (run it off the GUI thread), goes through the real openai SDK with bounded retries
(the SDK honours ``Retry-After``), and raises only :class:`~dpo_studio.core.errors.UserError` subclasses.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import openai

from dpo_studio.core.atomicfile import atomic_write_bytes
from dpo_studio.core.errors import UserError
from dpo_studio.services.connections import AuthMethod, ConnectionProfile, ProviderKind
from dpo_studio.services.errors import PermissionDenied, ServiceError, explained, user_error
from dpo_studio.services.metrics import MetricSet, metrics_from_events, metrics_from_results_csv
from dpo_studio.services.providers import uploads
from dpo_studio.services.providers.requests import DpoJobRequest, check_request, job_request_body
from dpo_studio.services.providers.traits import (
    ProviderTraits,
    build_client,
    is_fine_tuned,
    supports_dpo,
    traits_for,
)
from dpo_studio.services.providers.types import (
    CancelCheck,
    Checkpoint,
    ConnectionReport,
    EventFeed,
    EventPage,
    Job,
    JobEvent,
    ModelInfo,
    ProgressCallback,
    RemoteFile,
    UploadState,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ProviderOptions:
    """Knobs with production defaults; tests make them small."""

    max_retries: int = 2  # per request, on 408/409/429/5xx and dropped connections (SDK, honours Retry-After)
    timeout: float = 60.0  # seconds for ordinary calls
    upload_timeout: float = 600.0  # seconds for file and part uploads
    connect_timeout: float = 10.0
    files_api_limit: int = uploads.FILES_API_LIMIT  # above this the Uploads API is used
    part_size: int = uploads.PART_SIZE
    poll_interval: float = 5.0  # seconds between file-status checks
    max_processing_wait: float = 30 * 60.0
    page_size: int = 100


def _never() -> bool:
    return False


class FineTuningProvider:
    """Fine-tuning operations for one connection, over a real openai client."""

    def __init__(
        self,
        profile: ConnectionProfile,
        client: openai.OpenAI,
        options: ProviderOptions | None = None,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.profile = profile
        self.client = client
        self.options = options or ProviderOptions()
        self.traits: ProviderTraits = traits_for(profile.provider_kind)
        self._sleep = sleep

    @property
    def kind(self) -> ProviderKind:
        """The provider kind of the connection."""
        return self.profile.provider_kind

    def _explained(self, action: str) -> Any:
        return explained(kind=self.kind, action=action)

    def _error(self, action: str) -> Callable[[BaseException], ServiceError]:
        def convert(error: BaseException) -> ServiceError:
            converted = user_error(error, kind=self.kind, action=action)
            if isinstance(converted, ServiceError):
                return converted
            return ServiceError(converted.message, converted.hint)

        return convert

    def _timeout(self, seconds: float) -> httpx2.Timeout:
        return httpx2.Timeout(seconds, connect=self.options.connect_timeout)

    # ---- models and connection test -------------------------------------------------------------------

    def list_models(self) -> list[ModelInfo]:
        """Every model the connection can see, each marked with whether DPO can train it."""
        with self._explained("list the models"):
            models = list(self.client.models.list())
        found: list[ModelInfo] = []
        for model in models:
            model_id = str(model.id)
            extra = getattr(model, "model_extra", None) or {}
            capabilities = extra.get("capabilities") if isinstance(extra, dict) else None
            fine_tunable = True
            if isinstance(capabilities, dict) and "fine_tune" in capabilities:
                fine_tunable = bool(capabilities["fine_tune"])  # Azure says so explicitly
            found.append(
                ModelInfo(
                    id=model_id,
                    supports_dpo=fine_tunable and supports_dpo(model_id),
                    fine_tuned=is_fine_tuned(model_id),
                    created=getattr(model, "created", None),
                    owned_by=str(getattr(model, "owned_by", "") or ""),
                )
            )
        return found

    def list_dpo_models(self) -> list[ModelInfo]:
        """The models DPO can train (base snapshots first, then fine-tuned ones)."""
        return sorted((m for m in self.list_models() if m.supports_dpo), key=lambda m: (m.fine_tuned, m.id))

    def test_connection(self) -> ConnectionReport:
        """Reach the service, list models and check fine-tuning jobs can be listed."""
        models = self.list_models()
        notes: list[str] = []
        can_list = True
        try:
            with self._explained("list fine-tuning jobs"):
                self.client.fine_tuning.jobs.list(limit=1)
        except PermissionDenied as denied:
            can_list = False
            notes.append(f"Fine-tuning is not allowed for this sign-in: {denied.hint}")
        if self.traits.legacy_notice:
            notes.append(self.traits.legacy_notice)
        return ConnectionReport(
            reached=self.profile.effective_endpoint,
            provider=self.kind.label,
            auth=self.profile.auth_method.label,
            models_total=len(models),
            dpo_models=[m.id for m in models if m.supports_dpo],
            can_list_jobs=can_list,
            notes=notes,
        )

    # ---- files -------------------------------------------------------------------------------------------

    def upload_training_file(
        self,
        path: Path,
        *,
        progress: ProgressCallback | None = None,
        cancelled: CancelCheck = _never,
        wait: bool = True,
        purpose: str = "fine-tune",
    ) -> RemoteFile:
        """Upload a JSONL file (Files API, or Uploads API above the limit) and wait until it is processed.

        A failed part raises :class:`~dpo_studio.services.providers.uploads.UploadInterrupted`; pass its
        ``state`` to :meth:`resume_upload`.
        """
        path = Path(path)
        try:
            size = path.stat().st_size
        except OSError as error:
            raise UserError(
                f"The file {path.name} cannot be read: {error.strerror}.", "Check it still exists."
            ) from None
        if size > self.options.files_api_limit:
            state = uploads.start_upload(path, self.options.part_size)
            return self.resume_upload(
                state, progress=progress, cancelled=cancelled, wait=wait, purpose=purpose
            )
        client = self.client.with_options(timeout=self._timeout(self.options.upload_timeout))
        with self._explained("upload the file"):
            created = uploads.upload_small(
                client, path, purpose=purpose, progress=progress, cancelled=cancelled
            )
        return self.wait_for_file(created.id, cancelled=cancelled) if wait else created

    def resume_upload(
        self,
        state: UploadState,
        *,
        progress: ProgressCallback | None = None,
        cancelled: CancelCheck = _never,
        wait: bool = True,
        purpose: str = "fine-tune",
    ) -> RemoteFile:
        """Continue a multi-part upload from its first unconfirmed part."""
        client = self.client.with_options(timeout=self._timeout(self.options.upload_timeout))
        created = uploads.resume_upload(
            client,
            state,
            purpose=purpose,
            progress=progress,
            cancelled=cancelled,
            on_error=self._error("upload the file"),
        )
        return self.wait_for_file(created.id, cancelled=cancelled) if wait else created

    def wait_for_file(
        self, file_id: str, *, cancelled: CancelCheck = _never, on_status: Callable[[str], None] | None = None
    ) -> RemoteFile:
        """Poll until the service has processed the file (raises with its reason when rejected)."""
        with self._explained("check the uploaded file"):
            return uploads.wait_until_processed(
                self.client,
                file_id,
                poll_interval=self.options.poll_interval,
                max_wait=self.options.max_processing_wait,
                cancelled=cancelled,
                sleep=self._sleep,
                on_status=on_status,
            )

    def retrieve_file(self, file_id: str) -> RemoteFile:
        """The file's current record."""
        with self._explained("look up the file"):
            return RemoteFile.from_sdk(self.client.files.retrieve(file_id))

    def file_content(self, file_id: str) -> bytes:
        """The file's bytes (result files are small CSVs)."""
        with self._explained("download the file"):
            return self.client.files.content(file_id).read()

    def download_file(self, file_id: str, destination: Path) -> Path:
        """Save the file's bytes atomically at ``destination``."""
        data = self.file_content(file_id)
        Path(destination).parent.mkdir(parents=True, exist_ok=True)
        atomic_write_bytes(Path(destination), data)
        return Path(destination)

    # ---- jobs --------------------------------------------------------------------------------------------

    def job_body(self, request: DpoJobRequest) -> dict[str, Any]:
        """The exact request body :meth:`create_dpo_job` will send (for the review page)."""
        return job_request_body(request, self.traits)

    def create_dpo_job(self, request: DpoJobRequest) -> Job:
        """Check the request against this provider's rules, then create the job."""
        check_request(request, self.traits)
        body = job_request_body(request, self.traits)
        extra_body = {"trainingType": body.pop("trainingType")} if "trainingType" in body else None
        with self._explained("create the fine-tuning job"):
            created = self.client.fine_tuning.jobs.create(**body, extra_body=extra_body)
        return Job.from_sdk(created)

    def list_jobs(self, *, limit: int = 100) -> list[Job]:
        """The most recent jobs (newest first), following pages up to ``limit`` jobs."""
        jobs: list[Job] = []
        with self._explained("list fine-tuning jobs"):
            pages = _pages(
                lambda after: self.client.fine_tuning.jobs.list(
                    limit=min(limit, self.options.page_size), after=after or openai.omit
                )
            )
            for job in pages:
                jobs.append(Job.from_sdk(job))
                if len(jobs) >= limit:
                    break
        return jobs

    def retrieve_job(self, job_id: str) -> Job:
        """The job's current state."""
        with self._explained("look up the job"):
            return Job.from_sdk(self.client.fine_tuning.jobs.retrieve(job_id))

    def cancel_job(self, job_id: str) -> Job:
        """Ask the service to cancel the job."""
        with self._explained("cancel the job"):
            return Job.from_sdk(self.client.fine_tuning.jobs.cancel(job_id))

    def pause_job(self, job_id: str) -> Job:
        """Pause a running job (Azure: it must have trained at least one step)."""
        with self._explained("pause the job"):
            return Job.from_sdk(self.client.fine_tuning.jobs.pause(job_id))

    def resume_job(self, job_id: str) -> Job:
        """Resume a paused job."""
        with self._explained("resume the job"):
            return Job.from_sdk(self.client.fine_tuning.jobs.resume(job_id))

    # ---- events, metrics, checkpoints --------------------------------------------------------------------

    def events_page(self, job_id: str, *, after: str | None = None, limit: int | None = None) -> EventPage:
        """One page of events as the service orders them; ``after`` is the previous page's last id."""
        kwargs: dict[str, Any] = {"limit": limit or self.options.page_size}
        if after:
            kwargs["after"] = after
        with self._explained("read the job's events"):
            page = self.client.fine_tuning.jobs.list_events(job_id, **kwargs)
            events = [JobEvent.from_sdk(e) for e in page.data]
            has_more = bool(getattr(page, "has_more", False))
        return EventPage(events, has_more)

    def poll_events(self, feed: EventFeed, *, max_pages: int = 1000) -> list[JobEvent]:
        """Events that arrived since the last poll of ``feed``, oldest first; updates ``feed``.

        OpenAI lists events newest first and ``after`` pages towards older ones; Azure's classic route lists
        them oldest first and ``after`` pages towards newer ones. The order is detected from the timestamps
        of the first page (falling back to the provider's usual order), then: newest-first feeds read from the
        top until a known event; oldest-first feeds continue ``after`` the newest known event.
        """
        fresh: list[JobEvent] = []
        after = feed.newest_id if feed.ascending else None
        for _page in range(max_pages):
            page = self.events_page(feed.job_id, after=after)
            if feed.ascending is None:
                feed.ascending = _detect_ascending(page.events, self.kind)
            events = page.events if feed.ascending else list(reversed(page.events))
            unseen = [e for e in events if e.id not in feed.seen]
            hit_known = len(unseen) < len(events)
            if feed.ascending:
                fresh.extend(unseen)
            else:
                fresh[:0] = unseen  # an older page goes before what was already collected
            feed.seen.update(e.id for e in unseen)
            if (not feed.ascending and hit_known) or not page.has_more or page.last_id in (None, after):
                break
            after = page.last_id
        if fresh:
            ordered = sorted(fresh, key=lambda e: e.created_at)  # stable: equal timestamps keep page order
            feed.newest_id = ordered[-1].id
            fresh = ordered
        return fresh

    def all_events(self, job_id: str) -> list[JobEvent]:
        """Every event of the job, oldest first."""
        return self.poll_events(EventFeed(job_id))

    def metrics(self, job_id: str, events: list[JobEvent] | None = None) -> MetricSet:
        """Metric series from the job's metrics events (pass ``events`` to avoid fetching them again)."""
        return metrics_from_events(events if events is not None else self.all_events(job_id))

    def result_metrics(self, job: Job) -> MetricSet:
        """Metric series from the job's results.csv files (empty when it has none yet)."""
        result = MetricSet()
        for file_id in job.result_files:
            metrics_from_results_csv(self.file_content(file_id), into=result)
        return result

    def list_checkpoints(self, job_id: str) -> list[Checkpoint]:
        """Every checkpoint of the job, by step."""
        with self._explained("list the job's checkpoints"):
            pages = _pages(
                lambda after: self.client.fine_tuning.jobs.checkpoints.list(
                    job_id, limit=self.options.page_size, after=after or openai.omit
                )
            )
            found = {c.id: c for c in (Checkpoint.from_sdk(item) for item in pages)}
        return sorted(found.values(), key=lambda c: c.step)


def _pages(fetch: Callable[[str | None], Any], max_pages: int = 1000) -> Iterator[Any]:
    """Items of a cursor-paged list, one page at a time.

    Stops at the last page, and also when a server repeats a cursor or never says it is done, so a broken
    server cannot make the app page forever.
    """
    after: str | None = None
    for _page in range(max_pages):
        page = fetch(after)
        items = list(page.data)
        yield from items
        last = getattr(items[-1], "id", None) if items else None
        if not getattr(page, "has_more", False) or not last or last == after:
            return
        after = str(last)


def _detect_ascending(events: list[JobEvent], kind: ProviderKind) -> bool:
    """Whether a page lists events oldest first (ties fall back to the provider's usual order)."""
    if len(events) >= 2 and events[0].created_at != events[-1].created_at:
        return events[0].created_at < events[-1].created_at
    return kind is ProviderKind.AZURE_OPENAI


def open_provider(
    profile: ConnectionProfile,
    *,
    options: ProviderOptions | None = None,
    api_key: str | None = None,
    token_provider: Callable[[], str] | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> FineTuningProvider:
    """A provider for ``profile``, taking its key from the credential store or its token from Entra ID.

    ``api_key`` / ``token_provider`` override the stores (the connections dialog tests a key before it is
    saved). May block on the keyring: call it off the GUI thread.
    """
    from dpo_studio.services.credentials import credential_store
    from dpo_studio.services.entra import entra

    options = options or ProviderOptions()
    method = profile.auth_method
    if api_key is None and token_provider is None:
        if method is AuthMethod.API_KEY:
            api_key = credential_store().require_secret(profile.id, profile.name)
        elif method.is_entra:
            token_provider = entra().session(profile).token_provider()
    client = build_client(
        profile,
        api_key=api_key,
        token_provider=token_provider,
        max_retries=options.max_retries,
        timeout=httpx2.Timeout(options.timeout, connect=options.connect_timeout),
    )
    return FineTuningProvider(profile, client, options, sleep=sleep)
