"""Prism: an independent mock of OpenAI's API generated from the same OpenAPI spec (DESIGN §4).

Nobody here wrote it, so provider code that passes against both Prism and the local ApiServer cannot be
agreeing with a mistake of ours. Prism answers 422 with the exact violation to a request that breaks the
spec. It is installed by `.ci/test` with `npm ci --prefix .ci/prism` into a git-ignored node_modules.
Starting it on the 3 MB spec takes about half a minute, so one instance serves the whole test session.
"""

from __future__ import annotations

import contextlib
import ctypes
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from .spec import SPEC_PATH

REPO = Path(__file__).resolve().parents[2]
PRISM_BIN = REPO / ".ci" / "prism" / "node_modules" / ".bin" / "prism"
START_TIMEOUT = 300.0  # seconds; a loaded 2-core machine needs ~35 s to parse the spec


@dataclass
class PrismServer:
    """A running `prism mock` on loopback; `base_url` is what the openai SDK takes (no /v1 prefix)."""

    process: subprocess.Popen[str]
    port: int
    log: list[str] = field(default_factory=list)

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def _die_with_parent() -> None:
    """Linux: let the kernel stop Prism if the test process dies without tearing down (no orphan node)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_prism(spec: Path = SPEC_PATH, timeout: float = START_TIMEOUT) -> PrismServer:
    """Start Prism and wait until it says it is listening; raise with its output if it does not."""
    if not PRISM_BIN.exists():
        raise FileNotFoundError(
            f"Prism is not installed at {PRISM_BIN}. Install it with "
            "`npm ci --prefix .ci/prism` (bash .ci/test does this)."
        )
    port = _free_port()
    process = subprocess.Popen(
        [str(PRISM_BIN), "mock", "-h", "127.0.0.1", "-p", str(port), str(spec)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
    )
    server = PrismServer(process, port)
    ready = threading.Event()

    def read() -> None:  # keep draining the pipe so Prism never blocks on a full buffer
        assert process.stdout is not None
        for line in process.stdout:
            server.log.append(line.rstrip())
            if "Prism is listening" in line:
                ready.set()
        ready.set()

    threading.Thread(target=read, name="prism-log", daemon=True).start()
    if not ready.wait(timeout) or process.poll() is not None:
        stop_prism(server)
        raise RuntimeError("Prism did not start:\n" + "\n".join(server.log[-20:]))
    return server


def stop_prism(server: PrismServer) -> None:
    """Terminate Prism (and wait briefly for it)."""
    server.process.terminate()
    with contextlib.suppress(subprocess.TimeoutExpired):
        server.process.wait(timeout=10)
    if server.process.poll() is None:
        server.process.kill()


@pytest.fixture(scope="session")
def prism_server() -> Iterator[PrismServer]:
    """One Prism mock of shared/specs/openai/openapi.yaml for the session. Fails (never skips) if missing."""
    try:
        server = start_prism()
    except (FileNotFoundError, RuntimeError) as error:
        pytest.fail(str(error), pytrace=False)
    try:
        yield server
    finally:
        stop_prism(server)
