"""Fixtures every test shares. No test may touch the developer's real profile or the network."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path

import pytest

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
REPO = Path(__file__).resolve().parents[1]

# Feature fixtures live next to what they serve; list their modules here.
pytest_plugins: list[str] = ["tests.keyring_backends", "tests.apiserver.fixtures", "tests.presented_errors"]


@pytest.fixture(autouse=True)
def collect_on_the_main_thread() -> Iterator[None]:
    """Garbage is collected on the main (GUI) thread only, as in the app (``ui/gc.py``).

    Automatic collection may run in whatever thread allocates; if it destroys a Qt object from a worker
    thread (a closed window's menus and actions wait for the collector), that thread and the GUI thread
    deadlock. Seen as hangs in test_runs_tab and test_datasets_tab.
    """
    gc.disable()
    yield
    gc.collect()


@pytest.fixture(autouse=True)
def isolated_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Path]:
    """Every test gets its own DPO Studio home (settings, history, journals) in a temporary folder."""
    home = tmp_path_factory.mktemp("dpo-home")
    monkeypatch.setenv("DPO_STUDIO_HOME", str(home))
    yield home
