"""Where DPO Studio keeps its own files: settings, history, journals, caches.

Everything lives under the per-user folders of platformdirs. Setting ``DPO_STUDIO_HOME`` puts all of
them under one folder instead; tests, the smoke test and portable installs use it so that nothing
touches the user's real profile.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "DPO Studio"
APP_ID = "dpo-studio"
HOME_VARIABLE = "DPO_STUDIO_HOME"


def _folder(kind: str) -> Path:
    override = os.environ.get(HOME_VARIABLE)
    if override:
        folder = Path(override) / kind
    else:
        getter = {
            "config": platformdirs.user_config_dir,
            "data": platformdirs.user_data_dir,
            "cache": platformdirs.user_cache_dir,
            "state": platformdirs.user_state_dir,
        }[kind]
        folder = Path(getter(APP_NAME, appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def config_dir() -> Path:
    """Settings (non-secret, typed, versioned)."""
    return _folder("config")


def data_dir() -> Path:
    """Lasting data: run history, provenance."""
    return _folder("data")


def cache_dir() -> Path:
    """Files that can be rebuilt, such as the tokenizer cache."""
    return _folder("cache")


def state_dir() -> Path:
    """Working state: autosave journals, logs."""
    return _folder("state")
