"""Deploy a fine-tuned model or checkpoint on Azure, with its costs stated first; list and delete deployments.

The dialog is non-modal. Every ARM call runs through the task runner; errors go to the error presenter.
The subscription, resource group and account are remembered per connection.
"""

from __future__ import annotations

import dataclasses
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from dpo_studio.services.connections import ConnectionProfile
from dpo_studio.services.deployments import (
    AzureAccount,
    DeploymentClient,
    DeploymentInfo,
    DeploymentRequest,
    DeploymentSku,
    account_name_from_endpoint,
    arm_token_provider,
    cost_consequences,
)
from dpo_studio.services.settings import settings
from dpo_studio.ui.errors import present_error
from dpo_studio.ui.loop.common import remember_deployment, secondary
from dpo_studio.ui.tasks import TaskContext, TaskHandle, task_runner

Index = QModelIndex | QPersistentModelIndex
#: Builds the ARM client for a connection (off the GUI thread; may sign in). Tests point it at a local server.
ClientFactory = Callable[[ConnectionProfile], DeploymentClient]
SECTION = "deploy_targets"


def default_client_factory(profile: ConnectionProfile) -> DeploymentClient:
    """ARM at management.azure.com, signed in with the connection's Entra ID method."""
    return DeploymentClient(arm_token_provider(profile))


@dataclass
class DeployTargets:
    """Subscription / resource group / account last used per connection (no secret)."""

    by_connection: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)


def suggested_name(model: str) -> str:
    """A valid deployment name from a model id (``ft:gpt-4o:acme:tone:x1`` -> ``gpt-4o-acme-tone-x1``)."""
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", model.removeprefix("ft:")).strip("-._")
    return (name or "fine-tuned")[:64]


class DeploymentsModel(QAbstractTableModel):
    """The account's deployments."""

    HEADERS = ("Name", "Model", "Type", "Capacity", "State")

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self.deployments: list[DeploymentInfo] = []

    def set_deployments(self, deployments: Sequence[DeploymentInfo]) -> None:
        """Replace the list."""
        self.beginResetModel()
        self.deployments = list(deployments)
        self.endResetModel()

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self.deployments)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self.HEADERS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        horizontal = orientation == Qt.Orientation.Horizontal
        if role == Qt.ItemDataRole.DisplayRole and horizontal and 0 <= section < len(self.HEADERS):
            return self.HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or role != Qt.ItemDataRole.DisplayRole:
            return None
        item = self.deployments[index.row()]
        values = (
            item.name,
            item.model,
            item.sku_label,
            "" if item.capacity is None else str(item.capacity),
            item.state,
        )
        return values[index.column()]


class DeployDialog(QDialog):
    """Deploy a run's model or checkpoint on Azure; list and delete the account's deployments."""

    #: A deployment became ready (its name).
    deployed = Signal(str)

    def __init__(
        self,
        profile: ConnectionProfile,
        models: Sequence[tuple[str, str]],
        parent: QWidget | None = None,
        *,
        client_factory: ClientFactory = default_client_factory,
    ) -> None:
        """``models``: (label, model id) choices — the fine-tuned model first, then its checkpoints."""
        super().__init__(parent)
        self.profile = profile
        self.client_factory = client_factory
        self.task: TaskHandle | None = None
        self.last_ready: DeploymentInfo | None = None
        self.confirm_delete: Callable[[str], bool] = self._ask_delete
        self.setWindowTitle(f"Deploy on Azure — {profile.name}")
        self.resize(820, 720)
        layout = QVBoxLayout(self)

        what = QGroupBox("What to deploy")
        form = QFormLayout(what)
        self.model_combo = QComboBox()
        for label, model in models:
            self.model_combo.addItem(label, model)
        self.model_combo.currentIndexChanged.connect(self._model_changed)
        form.addRow("Model or checkpoint", self.model_combo)
        self.name_edit = QLineEdit()
        form.addRow("Deployment name", self.name_edit)
        self.sku_combo = QComboBox()
        for sku in (DeploymentSku.DEVELOPER, DeploymentSku.GLOBAL_STANDARD, DeploymentSku.STANDARD):
            self.sku_combo.addItem(sku.label, sku.value)
        self.sku_combo.currentIndexChanged.connect(self._sku_changed)
        form.addRow("Deployment type", self.sku_combo)
        self.capacity_spin = QSpinBox()
        self.capacity_spin.setRange(1, 100000)
        form.addRow("Capacity", self.capacity_spin)
        layout.addWidget(what)

        where = QGroupBox("Where (Azure control plane; you sign in with Microsoft Entra ID)")
        where_form = QFormLayout(where)
        remembered = settings().load(SECTION, DeployTargets).by_connection.get(profile.id, {})
        self.subscription_edit = QLineEdit(remembered.get("subscription_id", ""))
        self.subscription_edit.setPlaceholderText("00000000-0000-0000-0000-000000000000")
        self.group_edit = QLineEdit(remembered.get("resource_group", ""))
        self.account_edit = QLineEdit(
            remembered.get("account_name") or account_name_from_endpoint(profile.endpoint)
        )
        where_form.addRow("Subscription id", self.subscription_edit)
        where_form.addRow("Resource group", self.group_edit)
        where_form.addRow("Account (resource) name", self.account_edit)
        layout.addWidget(where)

        costs = QGroupBox("What this costs")
        costs_layout = QVBoxLayout(costs)
        self.cost_label = QLabel()
        self.cost_label.setWordWrap(True)
        self.cost_label.setTextFormat(Qt.TextFormat.RichText)
        costs_layout.addWidget(self.cost_label)
        self.understood = QCheckBox("I understand these costs")
        self.understood.toggled.connect(self._update_buttons)
        costs_layout.addWidget(self.understood)
        layout.addWidget(costs)

        row = QHBoxLayout()
        self.status_label = secondary(
            QLabel("Deploy and Refresh sign in to Azure with Microsoft Entra ID (ARM takes no API keys).")
        )
        row.addWidget(self.status_label, 1)
        self.deploy_button = QPushButton("Deploy")
        self.deploy_button.clicked.connect(self.deploy)
        self.stop_button = QPushButton("Stop waiting")
        self.stop_button.setVisible(False)
        self.stop_button.clicked.connect(self.stop)
        row.addWidget(self.deploy_button)
        row.addWidget(self.stop_button)
        layout.addLayout(row)

        listing = QGroupBox("Deployments of this account")
        listing_layout = QVBoxLayout(listing)
        self.deployments_model = DeploymentsModel(self)
        self.deployments_view = QTableView()
        self.deployments_view.setModel(self.deployments_model)
        self.deployments_view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.deployments_view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.deployments_view.verticalHeader().setVisible(False)
        self.deployments_view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.deployments_view.horizontalHeader().setStretchLastSection(True)
        listing_layout.addWidget(self.deployments_view, 1)
        buttons = QHBoxLayout()
        self.refresh_button = QPushButton("Refresh")
        self.delete_button = QPushButton("Delete selected…")
        self.refresh_button.clicked.connect(self.refresh)
        self.delete_button.clicked.connect(self.delete_selected)
        buttons.addWidget(self.refresh_button)
        buttons.addWidget(self.delete_button)
        buttons.addStretch(1)
        listing_layout.addLayout(buttons)
        layout.addWidget(listing, 1)

        for edit in (self.name_edit, self.subscription_edit, self.group_edit, self.account_edit):
            edit.textChanged.connect(self._update_buttons)
        self._model_changed()
        self._sku_changed()

    # ---- fields -------------------------------------------------------------------------------------

    @property
    def sku(self) -> DeploymentSku:
        """The chosen deployment type."""
        return DeploymentSku(self.sku_combo.currentData())

    def account(self) -> AzureAccount:
        """The account as typed."""
        return AzureAccount(
            self.subscription_edit.text().strip(),
            self.group_edit.text().strip(),
            self.account_edit.text().strip(),
        )

    def request(self) -> DeploymentRequest:
        """The deployment as set up."""
        return DeploymentRequest(
            self.account(),
            self.name_edit.text().strip(),
            str(self.model_combo.currentData() or ""),
            self.sku,
            self.capacity_spin.value(),
        )

    def _model_changed(self, *_args: object) -> None:
        self.name_edit.setText(suggested_name(str(self.model_combo.currentData() or "")))

    def _sku_changed(self, *_args: object) -> None:
        sku = self.sku
        self.capacity_spin.setValue(sku.default_capacity)
        items = "".join(f"<li>{line}</li>" for line in cost_consequences(sku))
        self.cost_label.setText(f"<b>{sku.label}</b><ul style='margin-left:12px'>{items}</ul>")
        self.understood.setChecked(False)  # a new type means new costs to accept
        self._update_buttons()

    def _update_buttons(self, *_args: object) -> None:
        busy = self.task is not None
        problems = self.request().problems()
        self.deploy_button.setEnabled(not busy and not problems and self.understood.isChecked())
        self.deploy_button.setToolTip(" ".join(problems) if problems else "")
        account_ok = not self.account().problems()
        self.refresh_button.setEnabled(not busy and account_ok)
        self.delete_button.setEnabled(not busy and account_ok)
        self.stop_button.setVisible(busy)

    def _remember(self) -> None:
        store = settings()
        section = store.load(SECTION, DeployTargets)
        account = self.account()
        section.by_connection[self.profile.id] = {
            "subscription_id": account.subscription_id,
            "resource_group": account.resource_group,
            "account_name": account.account_name,
        }
        store.save(SECTION, section)

    # ---- actions ------------------------------------------------------------------------------------

    def _run(self, work: Callable[[TaskContext], Any], done: Callable[[Any], None], what: str) -> None:
        def finished(result: Any) -> None:
            self.task = None
            self._update_buttons()
            done(result)

        def failed(error: BaseException) -> None:
            self.task = None
            self._update_buttons()
            self.status_label.setText(f"{what}: failed.")
            present_error(self, error, what)

        def cancelled() -> None:
            self.task = None
            self._update_buttons()
            self.status_label.setText(
                "Stopped waiting. Azure keeps creating the deployment; refresh the list later."
            )

        self.task = task_runner().run(
            work,
            on_done=finished,
            on_error=failed,
            on_cancelled=cancelled,
            on_progress=self._progress,
            description=what,
        )
        self._update_buttons()

    def _progress(self, _done: int, _total: int, text: str) -> None:
        self.status_label.setText(text)

    def deploy(self) -> None:
        """Create the deployment and wait (in the background) until it is really ready."""
        if self.task is not None or not self.deploy_button.isEnabled():
            return
        request = self.request()
        self._remember()
        factory, profile = self.client_factory, self.profile
        started = time.monotonic()

        def work(ctx: TaskContext) -> DeploymentInfo:
            def on_state(info: DeploymentInfo, _elapsed: float) -> None:
                waited = int(time.monotonic() - started)
                ctx.progress(0, 0, f"{request.name}: {info.state} ({waited // 60} min {waited % 60:02d} s)")

            with factory(profile) as client:
                return client.deploy(request, on_state=on_state, cancelled=lambda: ctx.cancelled)

        def done(info: DeploymentInfo) -> None:
            self.last_ready = info
            remember_deployment(profile.id, request.model, info.name)
            self.status_label.setText(
                f"Ready: '{info.name}' answers now. Use this name as the model in the Playground or an "
                "evaluation."
            )
            self.deployed.emit(info.name)
            self.refresh()

        self.status_label.setText(f"Creating '{request.name}'…")
        self._run(work, done, "Deploying the model")

    def stop(self) -> None:
        """Stop waiting (the deployment continues at Azure)."""
        if self.task is not None:
            self.task.cancel()

    def refresh(self) -> None:
        """List the account's deployments."""
        if self.task is not None:
            return
        account = self.account()
        self._remember()
        factory, profile = self.client_factory, self.profile

        def work(_ctx: TaskContext) -> list[DeploymentInfo]:
            with factory(profile) as client:
                return client.list(account)

        def done(deployments: list[DeploymentInfo]) -> None:
            self.deployments_model.set_deployments(deployments)
            if not self.status_label.text().startswith("Ready"):
                self.status_label.setText(f"{len(deployments)} deployment(s) in {account.account_name}.")

        self._run(work, done, "Listing the deployments")

    def _ask_delete(self, name: str) -> bool:
        answer = QMessageBox.question(
            self,
            "Delete the deployment?",
            f"Delete the deployment '{name}'? Calls to it stop working; the fine-tuned model itself is kept "
            "and can be deployed again.",
        )
        return answer == QMessageBox.StandardButton.Yes

    def delete_selected(self) -> None:
        """Ask, then delete the selected deployment."""
        rows = self.deployments_view.selectionModel().selectedRows()
        if not rows or self.task is not None:
            return
        name = self.deployments_model.deployments[rows[0].row()].name
        if not self.confirm_delete(name):
            return
        account = self.account()
        factory, profile = self.client_factory, self.profile

        def work(_ctx: TaskContext) -> str:
            with factory(profile) as client:
                client.delete(account, name)
            return name

        def done(deleted: str) -> None:
            self.status_label.setText(f"Deleted '{deleted}'.")
            self.refresh()

        self._run(work, done, "Deleting the deployment")
