"""Finding the files under ``resources/`` from a source checkout, an install, or a frozen app."""

from __future__ import annotations

import sys
from pathlib import Path


def resources_dir() -> Path:
    """The folder holding the sample dataset, price table, icons and other bundled files."""
    frozen_root = getattr(sys, "_MEIPASS", None)
    if frozen_root:  # PyInstaller bundle: packaging/ collects resources/ next to the code
        return Path(frozen_root) / "resources"
    return Path(__file__).resolve().parents[2] / "resources"


def resource_path(*parts: str) -> Path:
    """Path of a bundled file, e.g. ``resource_path("sample", "sample_dpo.jsonl")``."""
    return resources_dir().joinpath(*parts)
