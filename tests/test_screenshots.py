"""The screenshot command renders screens to real PNG files (offscreen here; Xvfb for the real pictures)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PySide6.QtGui import QImage

from tests.conftest import REPO


def test_screens_are_registered_and_render_to_png(tmp_path: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen", DPO_STUDIO_THEME="dark")
    listed = subprocess.run(
        [sys.executable, "-m", "dpo_studio.ui.screenshots", "--list"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert listed.returncode == 0, listed.stderr
    names = [line.split()[0] for line in listed.stdout.splitlines()]
    assert {"empty", "dataset", "editor", "stats", "recovery", "error-user", "error-bug"} <= set(names)

    result = subprocess.run(
        [sys.executable, "-m", "dpo_studio.ui.screenshots", str(tmp_path), "--only", "empty", "dataset"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr
    for name in ("empty-dark.png", "dataset-dark.png"):
        image = QImage(str(tmp_path / name))
        assert not image.isNull() and image.width() >= 1000 and image.height() >= 600
    # The dark palette is really in use: the window background is dark.
    corner = QImage(str(tmp_path / "empty-dark.png")).pixelColor(700, 700)
    assert corner.lightness() < 100
