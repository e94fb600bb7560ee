"""Writing files so that a crash, a kill or a full disk never leaves a half-written file behind."""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from dpo_studio.core.errors import UserError


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically: temporary file, flush, fsync, rename.

    On failure the original file (if any) is untouched and the temporary file is removed; the error is
    raised as a :class:`UserError` saying what happened and what to do.
    """
    atomic_write_chunks(path, (data,))


def atomic_write_chunks(path: str | Path, chunks: Iterable[bytes]) -> tuple[int, str]:
    """:func:`atomic_write_bytes` for content produced piece by piece (a large file is never whole in
    memory). Returns the size and the SHA-256 (hex) of what was written."""
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    try:
        handle, temp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as error:
        raise _as_user_error(error, target) from None
    digest = hashlib.sha256()
    size = 0
    try:
        with os.fdopen(handle, "wb") as stream:
            for chunk in chunks:
                stream.write(chunk)
                digest.update(chunk)
                size += len(chunk)
            stream.flush()
            os.fsync(stream.fileno())
        if target.exists():
            # Keep the permissions the user gave the file.
            os.chmod(temp_name, target.stat().st_mode & 0o7777)
        os.replace(temp_name, target)
    except OSError as error:
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise _as_user_error(error, target) from None
    except BaseException:
        # Producing the content failed (or was interrupted): no half-written temporary file stays.
        with contextlib.suppress(OSError):
            os.unlink(temp_name)
        raise
    _fsync_directory(folder)
    return size, digest.hexdigest()


def _fsync_directory(folder: Path) -> None:
    """Make the rename itself durable where the OS allows it (not on Windows)."""
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _as_user_error(error: OSError, target: Path) -> UserError:
    if error.errno == errno.ENOSPC:
        return UserError(
            f"The disk is full: {target.name} was not saved (the previous version is unchanged).",
            "Free some space or save to another drive.",
        )
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return UserError(
            f"{target.parent} is read-only or you lack permission: {target.name} was not saved.",
            "Save to another folder (Save As).",
        )
    if error.errno == errno.ENOENT:
        return UserError(f"The folder {target.parent} does not exist.", "Choose an existing folder.")
    if error.errno == errno.EISDIR:
        return UserError(f"{target} is a folder.", "Choose a file name.")
    return UserError(f"{target.name} was not saved: {error.strerror or error}.", "Try another location.")
