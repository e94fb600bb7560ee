"""The Fine-tune tab's and the job wizard's screens for ``python -m dpo_studio.ui.screenshots``.

The wizard talks to the repository's local test API server (``tests/apiserver``, started on 127.0.0.1 for
the run) with a fresh key kept in an in-memory keyring, so every page shows real answers and nothing
reaches the internet. Run from a source checkout (the server is test code, not part of the app).
"""

from __future__ import annotations

import atexit
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QWidget

from dpo_studio.ui.screenshots import ScreenContext, screen

_servers: dict[str, Any] = {}


def _server(style: str) -> Any:
    """A started local API server of ``style`` (one per process), with a connection saved for it."""
    from tests.apiserver.server import ApiServer

    if style not in _servers:
        server = ApiServer(style=style).start()
        atexit.register(server.stop)
        _servers[style] = server
    return _servers[style]


def _connect(style: str) -> None:
    import keyring

    from dpo_studio.services.connections import ConnectionStore, ProviderKind, new_profile
    from dpo_studio.services.credentials import CredentialStore
    from tests.keyring_backends import MemoryKeyring

    if not isinstance(keyring.get_keyring(), MemoryKeyring):
        keyring.set_keyring(MemoryKeyring())
    server = _server(style)
    store = ConnectionStore()
    name = "Contoso Azure OpenAI (Sweden Central)" if style == "azure" else "OpenAI (legacy) account"
    if any(p.name == name for p in store.list()):
        return
    kind = ProviderKind.AZURE_OPENAI if style == "azure" else ProviderKind.OPENAI
    profile = new_profile(name, kind, server.base_url)
    store.save(profile)
    store.set_default(profile.id)
    CredentialStore().set_secret(profile.id, server.api_key)


def _clean_copy(ctx: ScreenContext) -> Path:
    """The sample's pairs without the deliberate problems (so the wizard can go past the data page)."""
    from dpo_studio.core.dataset import Dataset
    from dpo_studio.core.findings import Severity
    from dpo_studio.core.validation import profile_for, validate_dataset

    dataset = Dataset.open(ctx.sample)
    report = validate_dataset(dataset, profile_for("azure"))
    bad = {f.entry for f in report.findings if f.severity is Severity.ERROR}
    lines = [
        dataset.entries[i].raw
        for i in dataset.record_indices()
        if i not in bad and dataset.entries[i].raw is not None
    ]
    path = ctx.folder / "support_tone.jsonl"
    path.write_bytes(b"\n".join(line for line in lines if line is not None) + b"\n")
    return path


def _wizard(ctx: ScreenContext, style: str = "azure", *, clean: bool = True) -> Any:
    from dpo_studio.services.providers import ProviderOptions
    from dpo_studio.ui.main_window import MainWindow
    from dpo_studio.ui.wizard.state import ProviderCache

    _connect(style)
    window = ctx.window
    assert isinstance(window, MainWindow)
    if clean:
        window.open_file(_clean_copy(ctx))
        ctx.settle()
    else:
        ctx.open_sample()
    wizard = window.finetune_tab.new_dpo_job()
    wizard.providers = ProviderCache(None, ProviderOptions(poll_interval=0.05, max_retries=1))
    page = wizard.connection_page
    page.reload_connections()
    wanted = "OpenAI (legacy) account" if style == "openai" else "Contoso Azure"
    for index in range(page.connection.count()):
        if page.connection.itemText(index).startswith(wanted):
            page.connection.setCurrentIndex(index)
    wizard.move(window.x() + 40, window.y() + 30)
    ctx.settle()
    return wizard


def _advance(ctx: ScreenContext, wizard: Any, steps: int) -> None:
    for _ in range(steps):
        ctx.settle()
        wizard.next()
        ctx.settle()


def _choose_model(ctx: ScreenContext, wizard: Any, model: str = "gpt-4.1-mini-2025-04-14") -> None:
    combo = wizard.connection_page.model
    index = combo.findData(model)
    if index >= 0:
        combo.setCurrentIndex(index)
    ctx.settle(1)


@screen("wizard-connection", "New DPO job: connection and base model (Azure OpenAI)")
def _connection(ctx: ScreenContext) -> QWidget:
    wizard = _wizard(ctx)
    _choose_model(ctx, wizard)
    return wizard  # type: ignore[no-any-return]


@screen("wizard-connection-openai", "New DPO job on OpenAI: the legacy warning with its dates")
def _connection_openai(ctx: ScreenContext) -> QWidget:
    wizard = _wizard(ctx, "openai")
    _choose_model(ctx, wizard)
    return wizard  # type: ignore[no-any-return]


@screen("wizard-method", "New DPO job: DPO, optionally supervised fine-tuning first")
def _method(ctx: ScreenContext) -> QWidget:
    wizard = _wizard(ctx)
    _choose_model(ctx, wizard)
    _advance(ctx, wizard, 1)
    wizard.method_page.sft_first.setChecked(True)
    return wizard  # type: ignore[no-any-return]


@screen("wizard-tier", "New DPO job: Azure training tiers with residency, price and pre-emption")
def _tier(ctx: ScreenContext) -> QWidget:
    wizard = _wizard(ctx)
    _choose_model(ctx, wizard)
    _advance(ctx, wizard, 2)
    return wizard  # type: ignore[no-any-return]


@screen("wizard-training", "New DPO job: training data checked with the model's limits, with a preview")
def _training(ctx: ScreenContext) -> QWidget:
    wizard = _wizard(ctx)
    _choose_model(ctx, wizard)
    _advance(ctx, wizard, 3)
    return wizard  # type: ignore[no-any-return]


@screen("wizard-training-errors", "New DPO job: data with errors blocks Next and says why")
def _training_errors(ctx: ScreenContext) -> QWidget:
    wizard = _wizard(ctx, clean=False)
    _choose_model(ctx, wizard)
    _advance(ctx, wizard, 3)
    return wizard  # type: ignore[no-any-return]


@screen("wizard-validation", "New DPO job: a grouped train/validation split")
def _validation(ctx: ScreenContext) -> QWidget:
    wizard = _wizard(ctx)
    _choose_model(ctx, wizard)
    _advance(ctx, wizard, 4)
    wizard.validation_page.split.setChecked(True)
    wizard.validation_page.ratio.setValue(15)
    ctx.settle(1)
    return wizard  # type: ignore[no-any-return]


@screen(
    "wizard-settings", "New DPO job: suffix, seed and hyperparameters with their ranges (one out of range)"
)
def _settings(ctx: ScreenContext) -> QWidget:
    wizard = _wizard(ctx)
    _choose_model(ctx, wizard)
    _advance(ctx, wizard, 5)
    page = wizard.settings_page
    page.suffix.setText("support-tone")
    page.seed.setText("42")
    page.fields["beta"].setText("2.5")
    page.fields["n_epochs"].setText("3")
    ctx.settle(1)
    return wizard  # type: ignore[no-any-return]


def _to_review(ctx: ScreenContext, style: str = "azure", *, sft_first: bool = False) -> Any:
    wizard = _wizard(ctx, style)
    _choose_model(ctx, wizard)
    _advance(ctx, wizard, 1)
    wizard.method_page.sft_first.setChecked(sft_first)
    _advance(ctx, wizard, 3 if style == "azure" else 2)
    wizard.validation_page.split.setChecked(True)
    _advance(ctx, wizard, 1)
    page = wizard.settings_page
    page.suffix.setText("support-tone")
    page.seed.setText("42")
    page.fields["beta"].setText("0.2")
    page.fields["n_epochs"].setText("3")
    if style == "azure":
        page.fields["l2_multiplier"].setText("0.1")
    _advance(ctx, wizard, 1)
    return wizard


@screen("wizard-review", "New DPO job: the exact request, the cost estimate with bounds, and warnings")
def _review(ctx: ScreenContext) -> QWidget:
    return _to_review(ctx)  # type: ignore[no-any-return]


@screen("wizard-submitted", "New DPO job: uploaded, processed, job created")
def _submitted(ctx: ScreenContext) -> QWidget:
    wizard = _to_review(ctx)
    _advance(ctx, wizard, 1)
    ctx.settle()
    return wizard  # type: ignore[no-any-return]


@screen("wizard-refused", "New DPO job on OpenAI: a refused job creation explained, uploads kept for Retry")
def _refused(ctx: ScreenContext) -> QWidget:
    wizard = _to_review(ctx, "openai")
    _server("openai").faults.add("POST", r"^/fine_tuning/jobs$", "refuse_job")
    _advance(ctx, wizard, 1)
    ctx.settle()
    return wizard  # type: ignore[no-any-return]


@screen("finetune-tab", "The Fine-tune tab with a supervised → DPO pipeline")
def _tab(ctx: ScreenContext) -> QWidget:
    from dpo_studio.ui.main_window import MainWindow

    wizard = _to_review(ctx, sft_first=True)
    _advance(ctx, wizard, 1)
    wizard.close()
    window = ctx.window
    assert isinstance(window, MainWindow)
    window.show_tab(window.finetune_tab)
    window.finetune_tab.show_pipelines()
    ctx.settle()
    return window
