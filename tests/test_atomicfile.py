"""Atomic writes on real file systems: the old file survives failures, errors are plain sentences."""

from collections.abc import Iterator
from pathlib import Path

import pytest

from dpo_studio.core.atomicfile import atomic_write_bytes
from dpo_studio.core.errors import UserError
from tests.fsfaults import read_only_folder, tiny_disk


def test_writes_and_replaces(tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    atomic_write_bytes(target, b"one\n")
    atomic_write_bytes(target, b"two\n")
    assert target.read_bytes() == b"two\n"
    assert [p.name for p in tmp_path.iterdir()] == ["out.jsonl"]


def test_read_only_folder_keeps_old_file(tmp_path: Path) -> None:
    with read_only_folder(tmp_path / "ro", {"out.jsonl": b"old"}) as folder:
        with pytest.raises(UserError, match="read-only"):
            atomic_write_bytes(folder / "out.jsonl", b"new")
        assert (folder / "out.jsonl").read_bytes() == b"old"


def test_full_disk_keeps_old_file_and_leaves_no_temp(tmp_path: Path) -> None:
    with tiny_disk(tmp_path / "disk", size_kb=64) as folder:
        target = folder / "data.jsonl"
        target.write_bytes(b"old contents\n")
        with pytest.raises(UserError, match="disk is full") as raised:
            atomic_write_bytes(target, b"x" * 200_000)
        assert "data.jsonl" in raised.value.message
        assert target.read_bytes() == b"old contents\n"
        assert [p.name for p in folder.iterdir()] == ["data.jsonl"]


def test_missing_folder_is_a_plain_error(tmp_path: Path) -> None:
    with pytest.raises(UserError, match="does not exist"):
        atomic_write_bytes(tmp_path / "nope" / "out.jsonl", b"x")


def test_content_written_in_pieces_is_hashed_and_a_failure_midway_leaves_the_file_alone(
    tmp_path: Path,
) -> None:
    import hashlib

    from dpo_studio.core.atomicfile import atomic_write_chunks

    target = tmp_path / "data.jsonl"
    target.write_bytes(b"original\n")
    pieces = [b"one\n", b"two\n", b"three\n"]
    assert atomic_write_chunks(target, iter(pieces)) == (14, hashlib.sha256(b"".join(pieces)).hexdigest())
    assert target.read_bytes() == b"one\ntwo\nthree\n"

    def broken() -> Iterator[bytes]:
        yield b"half of it\n"
        raise ValueError("the content could not be produced")

    with pytest.raises(ValueError):
        atomic_write_chunks(target, broken())
    assert target.read_bytes() == b"one\ntwo\nthree\n"
    assert [p.name for p in tmp_path.iterdir()] == ["data.jsonl"]  # no temporary file left
