"""The one settings store: typed, versioned sections in a JSON file under the config folder.

Each feature owns a dataclass for its section (``recent files``, ``connections``, ``wizard defaults``
...) and reads and writes it here by name. Unknown keys in a stored section are ignored and missing ones
take their defaults, so adding a field never breaks an older settings file. Secrets never go here:
they live only in the OS keyring (see ``services.credentials``).
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import threading
from pathlib import Path
from typing import Any, TypeVar

from dpo_studio.core.atomicfile import atomic_write_bytes
from dpo_studio.core.paths import config_dir

#: Bump when a stored section must be migrated; ``_migrate`` knows how.
SCHEMA_VERSION = 1
FILE_NAME = "settings.json"

T = TypeVar("T")


class SettingsStore:
    """Reads and writes typed sections of ``settings.json``; safe to use from several threads."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path or config_dir() / FILE_NAME
        self._lock = threading.Lock()

    def load(self, section: str, cls: type[T]) -> T:
        """The stored section as an instance of the dataclass ``cls`` (its defaults when absent)."""
        raw = self._read().get("sections", {}).get(section)
        return _build(cls, raw)

    def save(self, section: str, value: Any) -> None:
        """Store a dataclass instance as ``section``, atomically."""
        if not dataclasses.is_dataclass(value) or isinstance(value, type):
            raise TypeError("settings sections are dataclass instances")
        with self._lock:
            document = self._read()
            document.setdefault("sections", {})[section] = dataclasses.asdict(value)
            document["version"] = SCHEMA_VERSION
            data = json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")
            atomic_write_bytes(self.path, data)

    def _read(self) -> dict[str, Any]:
        try:
            document = json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {"version": SCHEMA_VERSION, "sections": {}}
        except (OSError, ValueError):
            # A damaged settings file must not stop the app; keep it aside for the user and start fresh.
            broken = self.path.with_suffix(".broken.json")
            with contextlib.suppress(OSError):
                self.path.replace(broken)
            return {"version": SCHEMA_VERSION, "sections": {}}
        if not isinstance(document, dict):
            return {"version": SCHEMA_VERSION, "sections": {}}
        return _migrate(document)


def _migrate(document: dict[str, Any]) -> dict[str, Any]:
    """Bring an older settings document up to :data:`SCHEMA_VERSION` (nothing to do yet)."""
    document.setdefault("sections", {})
    return document


def _build(cls: type[T], raw: Any) -> T:
    """An instance of ``cls`` from stored values, keeping only fields the class knows."""
    if not dataclasses.is_dataclass(cls):
        raise TypeError(f"{cls!r} is not a dataclass")
    if not isinstance(raw, dict):
        return cls()
    names = {f.name for f in dataclasses.fields(cls)}
    known = {key: value for key, value in raw.items() if key in names}
    try:
        return cls(**known)
    except TypeError:
        return cls()


_default: SettingsStore | None = None


def settings() -> SettingsStore:
    """The process-wide settings store (created on first use, under the current config folder)."""
    global _default
    if _default is None or _default.path.parent != config_dir():
        _default = SettingsStore()
    return _default
