"""Run the screenshot command (``python -m dpo_studio.ui.screenshots``) offscreen, for the screens' tests."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import REPO


def run_screenshot_command(*args: str, theme: str, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """The command run from the repository in a child process with ``args``, offscreen, in ``theme``."""
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DPO_STUDIO_THEME=theme)
    return subprocess.run(
        [sys.executable, "-m", "dpo_studio.ui.screenshots", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
