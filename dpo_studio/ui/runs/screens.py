"""Screens of the Runs tab for ``python -m dpo_studio.ui.screenshots`` (found automatically).

They need the local API server of the test suite (``tests/apiserver``, present in a source checkout): jobs
are created and advanced on it through the real SDK and synced by the tab itself, so the pictures show what a
user sees. Keys live in an in-memory keyring for the run.
"""

from __future__ import annotations

import atexit
import json
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget

from dpo_studio.ui.screenshots import ScreenContext, screen

_servers: list[Any] = []
_prepared: list[tuple[Any, str, dict[str, str]]] = []


def _record(index: int) -> dict[str, Any]:
    return {
        "input": {"messages": [{"role": "user", "content": f"Explain idea number {index} politely."}]},
        "preferred_output": [
            {"role": "assistant", "content": f"Here is a clear explanation of idea {index}."}
        ],
        "non_preferred_output": [{"role": "assistant", "content": "No."}],
    }


def _prepare(ctx: ScreenContext) -> tuple[Any, str, dict[str, str]]:
    """A local Azure-style server with four DPO jobs in different states, and a saved connection to it.

    Made once per run: the screens share the app's home folder, hence its connections and history.
    """
    if _prepared:
        return _prepared[0]
    import keyring

    from dpo_studio.services.connections import ConnectionStore, ProviderKind, new_profile
    from dpo_studio.services.credentials import credential_store
    from dpo_studio.services.providers import (
        DpoHyperparameters,
        DpoJobRequest,
        TrainingType,
        open_provider,
    )
    from tests.apiserver.server import ApiServer
    from tests.keyring_backends import MemoryKeyring

    keyring.set_keyring(MemoryKeyring())
    server = ApiServer(style="azure").start()
    _servers.append(server)
    profile = new_profile("Contoso West Europe", ProviderKind.AZURE_OPENAI, server.base_url)
    ConnectionStore().save(profile)
    credential_store().set_secret(profile.id, server.api_key)
    provider = open_provider(profile, sleep=lambda _s: None)

    def upload(name: str, count: int) -> str:
        path = Path(ctx.folder) / name
        path.write_text("\n".join(json.dumps(_record(i)) for i in range(count)) + "\n", encoding="utf-8")
        return provider.upload_training_file(path).id

    train, valid = upload("train.jsonl", 150), upload("valid.jsonl", 30)
    jobs: dict[str, str] = {}
    for suffix, epochs in (("tone-v1", 2), ("tone-v2", 3), ("support-beta05", 2), ("support-long", 4)):
        request = DpoJobRequest(
            model="gpt-4.1-mini-2025-04-14",
            training_file=train,
            validation_file=valid,
            hyperparameters=DpoHyperparameters(n_epochs=epochs, l2_multiplier=0.1),
            suffix=suffix,
            training_type=TrainingType.GLOBAL_STANDARD,
        )
        jobs[suffix] = provider.create_dpo_job(request).id
    server.run_to_completion(jobs["tone-v1"])
    server.advance(jobs["support-beta05"], steps=12)
    server.fail_job(
        jobs["support-beta05"], "invalid_training_file", "Line 31: the preferred answer is empty."
    )
    server.advance(jobs["tone-v2"], steps=6)
    server.advance(jobs["support-long"], steps=2)
    _prepared.append((server, profile.id, jobs))
    return server, profile.id, jobs


@atexit.register
def _stop_servers() -> None:
    for server in _servers:
        server.stop()


def _runs_tab(ctx: ScreenContext) -> Any:
    window: Any = ctx.window
    tab = window.runs_tab
    window.show_tab(tab)
    ctx.settle()
    return tab


@screen("runs", "Runs: every job of every connection, a finished run selected")
def _runs(ctx: ScreenContext) -> QWidget:
    _server, connection_id, jobs = _prepare(ctx)
    tab = _runs_tab(ctx)
    tab.select_run((connection_id, jobs["tone-v1"]))
    ctx.settle()
    window: QWidget = ctx.window  # type: ignore[assignment]
    return window


@screen("run-live", "A running job: live loss and accuracy charts with reading aids")
def _run_live(ctx: ScreenContext) -> QWidget:
    server, connection_id, jobs = _prepare(ctx)
    live = jobs["tone-v2"]
    tab = _runs_tab(ctx)
    tab.select_run((connection_id, live))
    ctx.settle()
    for _ in range(4):  # the job moves on while the tab watches
        server.advance(live, steps=25)
        tab.refresh(force=True)
        ctx.settle()
    window: QWidget = ctx.window  # type: ignore[assignment]
    return window


@screen("runs-empty", "Runs before any connection exists: what to do first")
def _runs_empty(ctx: ScreenContext) -> QWidget:
    import tempfile

    from dpo_studio.services.history import HistoryStore
    from dpo_studio.services.runs import RunSync
    from dpo_studio.ui.runs import RunsTab

    # Its own empty history and no connections (the other screens filled the shared home).
    store = HistoryStore(Path(tempfile.mkdtemp(prefix="dpo-runs-empty-")) / "history.sqlite3")
    tab = RunsTab(store, RunSync(store, profiles=list))
    window: Any = ctx.window
    tab.resize(window.size())
    tab.show()
    ctx.settle()
    return tab


@screen("runs-compare", "Compare: the training loss of two runs overlaid")
def _runs_compare(ctx: ScreenContext) -> QWidget:
    from PySide6.QtCore import QItemSelectionModel

    _server, connection_id, jobs = _prepare(ctx)
    tab = _runs_tab(ctx)
    selection = tab.table.selectionModel()
    for suffix in ("tone-v1", "tone-v2"):
        row = tab.model.row_of((connection_id, jobs[suffix]))
        selection.select(
            tab.model.index(row, 0),
            QItemSelectionModel.SelectionFlag.Select | QItemSelectionModel.SelectionFlag.Rows,
        )
    tab.compare_selected()
    ctx.settle()
    window: QWidget = ctx.window  # type: ignore[assignment]
    return window


@screen("run-checkpoints", "A finished run's checkpoints, the best validation loss marked")
def _run_checkpoints(ctx: ScreenContext) -> QWidget:
    _server, connection_id, jobs = _prepare(ctx)
    tab = _runs_tab(ctx)
    tab.select_run((connection_id, jobs["tone-v1"]))
    ctx.settle()
    tab.run_view.tabs.setCurrentIndex(1)
    ctx.settle(1)
    window: QWidget = ctx.window  # type: ignore[assignment]
    return window
