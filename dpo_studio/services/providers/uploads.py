"""Uploading training files: Files API up to 512 MB, Uploads API in parts above that.

Progress is reported as bytes sent; cancel is checked while bytes are read and between parts. A part that
still fails after the client's bounded retries stops the upload with :class:`UploadInterrupted`, which carries
the :class:`UploadState` so :func:`resume_upload` continues from that part without resending the others.
"""

from __future__ import annotations

import io
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any, cast

import openai

from dpo_studio.services.errors import Cancelled, FileProcessingFailed, ServiceError, TimedOut, user_error
from dpo_studio.services.providers.types import CancelCheck, ProgressCallback, RemoteFile, UploadState

#: The Files API limit; above it the Uploads API is used.
FILES_API_LIMIT = 512 * 1024 * 1024
#: The largest part the Uploads API accepts.
PART_SIZE = 64 * 1024 * 1024
#: File states after which processing will not change any more.
_DONE_STATES = {"processed", "error", "deleted", "failed"}
MIME_TYPE = "application/jsonl"


class UploadInterrupted(ServiceError):
    """A multi-part upload stopped on a part; ``state`` lets it resume from there."""

    def __init__(self, cause: ServiceError, state: UploadState) -> None:
        done, total = len(state.part_ids), state.parts_total
        super().__init__(
            f"The upload stopped at part {done + 1} of {total}: {cause.message}",
            f"{cause.hint} Choose Resume to continue; the {done} part(s) already sent are kept.".strip(),
            status=cause.status,
            request_id=cause.request_id,
            server_message=cause.server_message,
            retry_after=cause.retry_after,
        )
        self.cause = cause
        self.state = state


class _ProgressReader(io.RawIOBase):
    """A seekable reader of ``length`` bytes of a file from ``start``; reports progress, honours cancel.

    Positions are relative to ``start``, so the SDK can rewind it to replay a request on retry. Progress is
    reported as ``start + position`` out of ``total`` (the whole file), so parts add up to one bar.
    """

    def __init__(
        self,
        path: Path,
        progress: ProgressCallback | None,
        cancelled: CancelCheck,
        *,
        start: int = 0,
        length: int | None = None,
        total: int | None = None,
        text: str = "Uploading",
    ) -> None:
        self._file = path.open("rb")
        size = path.stat().st_size
        self._start = start
        self._length = size - start if length is None else length
        self._total = size if total is None else total
        self._progress = progress
        self._cancelled = cancelled
        self._text = text
        self._file.seek(start)
        self.name = path.name

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_SET:
            target = offset
        elif whence == os.SEEK_CUR:
            target = self.tell() + offset
        else:
            target = self._length + offset
        target = max(0, min(self._length, target))
        self._file.seek(self._start + target)
        return target

    def tell(self) -> int:
        return self._file.tell() - self._start

    def readinto(self, buffer: Any) -> int:
        if self._cancelled():
            raise Cancelled("The upload was cancelled.", "Nothing was created at the provider.")
        remaining = self._length - self.tell()
        if remaining <= 0:
            return 0
        view = memoryview(buffer)[:remaining]
        count = self._file.readinto(view) or 0
        if self._progress is not None and count:
            self._progress(self._start + self.tell(), self._total, self._text)
        return count

    def close(self) -> None:
        self._file.close()
        super().close()


def upload_small(
    client: openai.OpenAI,
    path: Path,
    *,
    purpose: str,
    progress: ProgressCallback | None,
    cancelled: CancelCheck,
) -> RemoteFile:
    """One ``POST /files`` streaming the file from disk."""
    if cancelled():
        raise Cancelled("The upload was cancelled.", "Nothing was sent.")
    total = path.stat().st_size
    reader = _ProgressReader(path, progress, cancelled, total=total)
    try:
        created = client.files.create(file=(path.name, reader, MIME_TYPE), purpose=purpose)  # type: ignore[arg-type]
    finally:
        reader.close()
    if progress is not None:
        progress(total, total, "Uploaded")
    return RemoteFile.from_sdk(created)


def start_upload(path: Path, part_size: int) -> UploadState:
    """A fresh state for a multi-part upload of ``path``."""
    return UploadState(
        path=str(path), filename=path.name, total_bytes=path.stat().st_size, part_size=part_size
    )


def resume_upload(
    client: openai.OpenAI,
    state: UploadState,
    *,
    purpose: str,
    progress: ProgressCallback | None,
    cancelled: CancelCheck,
    on_error: Callable[[BaseException], ServiceError],
) -> RemoteFile:
    """Create the Upload if needed, send the parts not yet confirmed, complete it; returns the file."""
    path = Path(state.path)
    if path.stat().st_size != state.total_bytes:
        raise ServiceError(
            "The file changed on disk since the upload started.", "Start the upload again from the beginning."
        )
    try:
        if not state.upload_id:
            upload = client.uploads.create(
                bytes=state.total_bytes,
                filename=state.filename,
                mime_type=MIME_TYPE,
                purpose=purpose,  # type: ignore[arg-type]
            )
            state.upload_id = upload.id
    except Exception as error:
        raise on_error(error) from None
    while len(state.part_ids) < state.parts_total:
        if cancelled():
            _cancel_quietly(client, state.upload_id)
            raise Cancelled("The upload was cancelled.", "Nothing was created at the provider.")
        index = len(state.part_ids)
        reader = _ProgressReader(
            path,
            progress,
            cancelled,
            start=index * state.part_size,
            length=min(state.part_size, state.total_bytes - index * state.part_size),
            total=state.total_bytes,
            text=f"Sending part {index + 1} of {state.parts_total}",
        )
        try:
            part = client.uploads.parts.create(upload_id=state.upload_id, data=cast(IO[bytes], reader))
        except Cancelled:
            _cancel_quietly(client, state.upload_id)
            raise
        except Exception as error:
            raise UploadInterrupted(on_error(error), state) from None
        finally:
            reader.close()
        state.part_ids.append(part.id)
        if progress is not None:
            progress(state.bytes_done, state.total_bytes, f"Sent part {index + 1} of {state.parts_total}")
    try:
        completed = client.uploads.complete(upload_id=state.upload_id, part_ids=list(state.part_ids))
    except Exception as error:
        raise UploadInterrupted(on_error(error), state) from None
    if completed.file is None:
        raise ServiceError("The service completed the upload but returned no file.", "Try the upload again.")
    return RemoteFile.from_sdk(completed.file)


def _cancel_quietly(client: openai.OpenAI, upload_id: str) -> None:
    try:
        client.uploads.cancel(upload_id)
    except Exception as error:  # the user already chose to stop; a failed cleanup only expires later
        user_error(error)


def wait_until_processed(
    client: openai.OpenAI,
    file_id: str,
    *,
    poll_interval: float,
    max_wait: float,
    cancelled: CancelCheck,
    sleep: Callable[[float], None] = time.sleep,
    on_status: Callable[[str], None] | None = None,
) -> RemoteFile:
    """Poll the file until the service has processed it; raises with the reason when it was rejected."""
    started = time.monotonic()
    while True:
        current = RemoteFile.from_sdk(client.files.retrieve(file_id))
        if on_status is not None:
            on_status(current.status)
        if current.status in _DONE_STATES:
            if current.status != "processed":
                details = f" {current.status_details}" if current.status_details else ""
                raise FileProcessingFailed(
                    f"The service rejected the file '{current.filename}' ({current.status}).{details}",
                    "Fix the problems in the dataset (run Validate), then upload it again.",
                )
            return current
        if time.monotonic() - started > max_wait:
            raise TimedOut(
                f"The file '{current.filename}' was still being processed after {max_wait / 60:.0f} minutes.",
                "You can create the job anyway later; the file stays at the provider.",
            )
        if cancelled():
            raise Cancelled(
                "Stopped waiting for the file.", "The file stays at the provider and can be reused."
            )
        sleep(poll_interval)
