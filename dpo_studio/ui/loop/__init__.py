"""Close the loop: try the tuned model side by side, measure it blind, turn judgments into pairs, deploy it.

:func:`install` builds the "Evaluate" tab (Playground, Blind evaluation, Pairs from generations) for the main
window, and :func:`connect_run_view` connects the Runs tab's "Deploy…" and "Evaluate…" actions to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtWidgets import QMessageBox, QTabWidget, QVBoxLayout, QWidget

from dpo_studio.core.errors import UserError
from dpo_studio.services.connections import ConnectionStore, ProviderKind
from dpo_studio.services.history import HistoryStore, history
from dpo_studio.ui.errors import present_error
from dpo_studio.ui.loop.blind_eval import BlindEvaluationPage
from dpo_studio.ui.loop.common import GeneratorFactory, default_generator_factory, deployment_for
from dpo_studio.ui.loop.deploy_dialog import ClientFactory, DeployDialog, default_client_factory
from dpo_studio.ui.loop.generations import GenerationsPage
from dpo_studio.ui.loop.playground import PlaygroundPage
from dpo_studio.ui.session import DocumentSession

#: Provider kinds whose models answer only through a deployment.
AZURE_KINDS = (ProviderKind.AZURE_OPENAI, ProviderKind.FOUNDRY_PROJECT)

__all__ = [
    "BlindEvaluationPage",
    "DeployDialog",
    "GenerationsPage",
    "LoopTab",
    "PlaygroundPage",
    "connect_run_view",
    "install",
]


class LoopTab(QWidget):
    """The Evaluate tab: Playground, Blind evaluation, Pairs from generations."""

    def __init__(
        self,
        session: DocumentSession,
        parent: QWidget | None = None,
        *,
        generator_factory: GeneratorFactory = default_generator_factory,
        store: Callable[[], HistoryStore] = history,
        client_factory: ClientFactory = default_client_factory,
    ) -> None:
        super().__init__(parent)
        self.session = session
        self.client_factory = client_factory
        self.store = store
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.pages = QTabWidget()
        self.pages.setDocumentMode(True)
        self.playground = PlaygroundPage(session, generator_factory=generator_factory)
        self.blind = BlindEvaluationPage(session, generator_factory=generator_factory, store=store)
        self.generations = GenerationsPage(session, generator_factory=generator_factory)
        self.pages.addTab(self.playground, "Playground")
        self.pages.addTab(self.blind, "Blind evaluation")
        self.pages.addTab(self.generations, "Pairs from generations")
        layout.addWidget(self.pages)
        self.deploy_dialog: DeployDialog | None = None

    def evaluate_run(self, connection_id: str, job_id: str, model: str) -> None:
        """Prepare a blind evaluation of a run's model (A) and show it.

        On Azure the model answers through a deployment: the one made in the app is used when known.
        """
        name = model
        try:
            azure = ConnectionStore().get(connection_id).provider_kind in AZURE_KINDS
        except UserError:
            azure = False
        if azure:
            name = deployment_for(connection_id, model) or model
            self.blind.run_hint.setText(
                ""
                if name != model
                else "On Azure this model answers only through a deployment: deploy it first (Deploy… in "
                "the Runs tab), then type the deployment's name as A."
            )
        else:
            self.blind.run_hint.setText("")
        self.blind.set_run(connection_id, job_id, name)
        base = self._base_model(connection_id, job_id)
        if base and not self.blind.picker_b.model:
            # The reference is the model the run started from (on Azure its deployment, when one is known).
            self.blind.picker_b.set_model(deployment_for(connection_id, base) or base if azure else base)
        self.playground.columns[0].picker.set_connection(connection_id)
        self.playground.columns[0].picker.set_model(name)
        self.pages.setCurrentWidget(self.blind)

    def _base_model(self, connection_id: str, job_id: str) -> str:
        """The model the run was trained from, as the history knows it ("" when unknown)."""
        try:
            stored = self.store().job(connection_id, job_id)
        except Exception:  # the history is optional here: the user can type the reference model
            return ""
        return stored.job.model if stored is not None else ""

    def deploy_run(self, connection_id: str, job_id: str, model: str) -> QWidget | None:
        """Deploy a run's model or checkpoint (Azure), or explain that OpenAI needs no deployment."""
        try:
            profile = ConnectionStore().get(connection_id)
        except Exception as error:
            present_error(self, error, "Deploy")
            return None
        if profile.provider_kind not in AZURE_KINDS:
            self.playground.columns[0].picker.set_connection(connection_id)
            self.playground.columns[0].picker.set_model(model)
            self.pages.setCurrentWidget(self.playground)
            box = QMessageBox(
                QMessageBox.Icon.Information,
                "No deployment needed",
                f"On {profile.provider_kind.label} the fine-tuned model is called by its id, {model}. "
                "It is set as model A in the Playground.",
                QMessageBox.StandardButton.Ok,
                self,
            )
            box.open()
            return box
        models = [(f"Fine-tuned model  {model}", model)] if model else []
        try:
            checkpoints = self.store().checkpoints(connection_id, job_id)
        except Exception:  # the history is optional here: the model itself can still be deployed
            checkpoints = []
        for checkpoint in sorted(checkpoints, key=lambda c: -c.step):
            if checkpoint.model and checkpoint.model != model:
                models.append((f"Checkpoint at step {checkpoint.step}  {checkpoint.model}", checkpoint.model))
        dialog = DeployDialog(profile, models, self, client_factory=self.client_factory)
        dialog.deployed.connect(lambda name: self._deployed(connection_id, name))
        self.deploy_dialog = dialog
        dialog.show()
        return dialog

    def _deployed(self, connection_id: str, name: str) -> None:
        picker = self.playground.columns[0].picker
        picker.set_connection(connection_id)
        picker.set_model(name)


def install(window: Any) -> LoopTab:
    """The Evaluate tab for the main window, which builds it the first time it is shown or asked for.

    The Runs tab's Deploy / Evaluate actions reach it through :func:`connect_run_view` (the window calls it
    when it builds the Runs tab), whichever of the two tabs is built first.
    """
    return LoopTab(window.session)


def connect_run_view(window: Any, view: Any) -> None:
    """Send a Runs tab's Deploy… / Evaluate… to ``window.loop_tab`` (built then, if it is not yet)."""
    if view is None or not hasattr(view, "deployRequested"):
        return

    def evaluate(connection_id: str, job_id: str, model: str) -> None:
        tab = window.loop_tab
        tab.evaluate_run(connection_id, job_id, model)
        window.show_tab(tab)

    def deploy(connection_id: str, job_id: str, model: str) -> None:
        tab = window.loop_tab
        if (
            tab.deploy_run(connection_id, job_id, model) is not None
            and tab.pages.currentWidget() is tab.playground
        ):
            window.show_tab(tab)

    view.deployRequested.connect(deploy)
    view.evaluateRequested.connect(evaluate)
