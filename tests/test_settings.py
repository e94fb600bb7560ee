"""The settings store: typed sections, defaults, damaged files, no secrets."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from dpo_studio.core.paths import config_dir
from dpo_studio.services.settings import SettingsStore, settings


@dataclass
class Recent:
    files: list[str] = field(default_factory=list)
    limit: int = 10


def test_section_round_trip_and_defaults(tmp_path: Path) -> None:
    store = SettingsStore(tmp_path / "settings.json")
    assert store.load("recent", Recent) == Recent()
    store.save("recent", Recent(files=["a.jsonl", "ü.jsonl"], limit=5))
    again = SettingsStore(tmp_path / "settings.json")
    assert again.load("recent", Recent) == Recent(files=["a.jsonl", "ü.jsonl"], limit=5)


def test_unknown_keys_are_ignored_and_missing_keys_default(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"version": 1, "sections": {"recent": {"files": ["x"], "gone": 3}}}', encoding="utf-8")
    assert SettingsStore(path).load("recent", Recent) == Recent(files=["x"], limit=10)


def test_damaged_file_is_kept_aside_and_defaults_used(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text("{not json", encoding="utf-8")
    store = SettingsStore(path)
    assert store.load("recent", Recent) == Recent()
    assert (tmp_path / "settings.broken.json").read_text(encoding="utf-8") == "{not json"


def test_default_store_lives_in_the_isolated_home(isolated_home: Path) -> None:
    settings().save("recent", Recent(files=["b"]))
    assert settings().path == config_dir() / "settings.json"
    assert str(settings().path).startswith(str(isolated_home))
