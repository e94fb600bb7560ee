"""The screenshot command renders screens to real PNG files (offscreen here; Xvfb for the real pictures)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QImage

from tests.screenshot_command import run_screenshot_command


def test_screens_are_registered_and_render_to_png(tmp_path: Path) -> None:
    listed = run_screenshot_command("--list", theme="dark", timeout=120)
    assert listed.returncode == 0, listed.stderr
    names = [line.split()[0] for line in listed.stdout.splitlines()]
    assert {"empty", "dataset", "editor", "stats", "recovery", "error-user", "error-bug"} <= set(names)

    result = run_screenshot_command(str(tmp_path), "--only", "empty", "dataset", theme="dark")
    assert result.returncode == 0, result.stderr
    for name in ("empty-dark.png", "dataset-dark.png"):
        image = QImage(str(tmp_path / name))
        assert not image.isNull() and image.width() >= 1000 and image.height() >= 600
    # The dark palette is really in use: the window background is dark.
    corner = QImage(str(tmp_path / "empty-dark.png")).pixelColor(700, 700)
    assert corner.lightness() < 100
