"""Real file-system faults for tests: a full disk and a read-only folder, made with tmpfs mounts.

Mounting needs root (CI runs as root). Elsewhere the tests that use these skip with that reason.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

CAN_MOUNT = hasattr(os, "geteuid") and os.geteuid() == 0


def _mount(folder: Path, options: str) -> None:
    subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(folder)], check=True)


def _umount(folder: Path) -> None:
    subprocess.run(["umount", "-l", str(folder)], check=False)


@contextmanager
def tiny_disk(folder: Path, size_kb: int = 64) -> Iterator[Path]:
    """A folder on a real file system that holds only ``size_kb`` kilobytes."""
    if not CAN_MOUNT:
        pytest.skip("mounting a tiny tmpfs needs root")
    folder.mkdir(parents=True, exist_ok=True)
    _mount(folder, f"size={size_kb}k")
    try:
        yield folder
    finally:
        _umount(folder)


@contextmanager
def read_only_folder(folder: Path, files: dict[str, bytes] | None = None) -> Iterator[Path]:
    """A folder on a real read-only file system, holding ``files``."""
    if not CAN_MOUNT:
        pytest.skip("mounting a read-only tmpfs needs root")
    folder.mkdir(parents=True, exist_ok=True)
    _mount(folder, "size=1m")
    try:
        for name, data in (files or {}).items():
            (folder / name).write_bytes(data)
        subprocess.run(["mount", "-o", "remount,ro", str(folder)], check=True)
        yield folder
    finally:
        _umount(folder)
