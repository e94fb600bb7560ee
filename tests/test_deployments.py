"""Azure deployments through ARM (httpx2 + an Entra token) against the local server's control plane."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from dpo_studio.core.errors import UserError
from dpo_studio.services.deployments import (
    API_VERSION,
    DEVELOPER_API_VERSION,
    AzureAccount,
    DeploymentClient,
    DeploymentInfo,
    DeploymentRequest,
    DeploymentSku,
    account_name_from_endpoint,
    cost_consequences,
)
from dpo_studio.services.errors import (
    AuthenticationFailed,
    BadRequest,
    Cancelled,
    NotFound,
    PermissionDenied,
    ServiceError,
)
from dpo_studio.services.generation import open_generator
from tests.apiserver.deployments import ARM_AUDIENCE
from tests.apiserver.server import ApiServer
from tests.loop_support import FAST, tuned_setup

pytestmark = pytest.mark.usefixtures("memory_keyring")

ACCOUNT = AzureAccount("00000000-1111-2222-3333-444444444444", "rg-dpo", "acme-openai")
CHAT = [{"role": "user", "content": "Say hello."}]


def arm_client(server: ApiServer, **kwargs: object) -> DeploymentClient:
    """The app's ARM client pointed at the local server; sleeping moves the server's clock one tick."""
    options: dict[str, object] = {"poll_interval": 0.0, "sleep": lambda _s: server.advance()}
    options.update(kwargs)
    return DeploymentClient(
        lambda: server.entra_token(ARM_AUDIENCE),
        base_url=server.arm_endpoint,
        **options,  # type: ignore[arg-type]
    )


def test_deploy_waits_until_ready_then_chat_works_and_delete_removes_it(
    azure_api_server: ApiServer, tmp_path: Path
) -> None:
    server = azure_api_server
    server.deployment_ticks = 3
    setup = tuned_setup(server, tmp_path)
    states: list[str] = []
    with arm_client(server) as arm:
        request = DeploymentRequest(ACCOUNT, "tone-test", setup.tuned_model, DeploymentSku.DEVELOPER, 50)
        ready = arm.deploy(request, on_state=lambda info, _elapsed: states.append(info.state))
        assert ready.ready and ready.model == setup.tuned_model and ready.name == "tone-test"
        assert (
            states[0] == "Creating" and states[-1] == "Succeeded" and states.count("Creating") == 4
        )  # PUT + 3 ticks
        assert ready.sku_label == "Developer" and ready.capacity == 50

        put = server.requests_to("PUT", r"/deployments/tone-test$")[0]
        assert put.query["api-version"] == [DEVELOPER_API_VERSION]
        assert put.json == {
            "sku": {"name": "developertier", "capacity": 50},
            "properties": {"model": {"format": "OpenAI", "name": setup.tuned_model, "version": "1"}},
        }
        assert put.path.startswith(f"/subscriptions/{ACCOUNT.subscription_id}/resourceGroups/rg-dpo/")
        assert put.headers["authorization"] == "<redacted>"

        answer = open_generator(setup.profile, options=FAST).complete("tone-test", CHAT)[0]
        assert answer.model == setup.tuned_model

        listed = arm.list(ACCOUNT)
        assert "tone-test" in [d.name for d in listed]
        assert server.requests_to("GET", r"/deployments$")[0].query["api-version"] == [API_VERSION]

        arm.delete(ACCOUNT, "tone-test")
        assert "tone-test" not in [d.name for d in arm.list(ACCOUNT)]
        arm.delete(ACCOUNT, "tone-test")  # already gone: no error
        with pytest.raises(NotFound, match="subscription id, resource group"):
            arm.get(ACCOUNT, "tone-test")


def test_checkpoint_deploys_with_global_standard_sku(azure_api_server: ApiServer, tmp_path: Path) -> None:
    server = azure_api_server
    setup = tuned_setup(server, tmp_path)
    checkpoint = server.world.jobs[setup.job_id].checkpoints[0]["fine_tuned_model_checkpoint"]
    with arm_client(server) as arm:
        request = DeploymentRequest(ACCOUNT, "ckpt-1", checkpoint, DeploymentSku.GLOBAL_STANDARD, 100)
        info = arm.deploy(request)
    assert info.ready and info.model == checkpoint and info.sku_label == "Global Standard"
    assert server.requests_to("PUT", r"/deployments/ckpt-1$")[0].query["api-version"] == [API_VERSION]


def test_refusals_are_explained(azure_api_server: ApiServer, tmp_path: Path) -> None:
    server = azure_api_server
    with arm_client(server) as arm:
        with pytest.raises(BadRequest, match=r"DeploymentModelNotSupported|is not supported") as refused:
            arm.create(DeploymentRequest(ACCOUNT, "bad", "gpt-9", DeploymentSku.STANDARD, 1))
        assert "fine-tuned model or checkpoint" in refused.value.hint
        server.faults.add("PUT", r"/deployments/denied$", "status", status=403)
        with pytest.raises(PermissionDenied, match="not allowed to manage deployments") as denied:
            arm.create(DeploymentRequest(ACCOUNT, "denied", "gpt-4o-2024-08-06"))
        assert "Contributor" in denied.value.hint
    wrong_audience = DeploymentClient(lambda: server.entra_token(), base_url=server.arm_endpoint)
    with pytest.raises(AuthenticationFailed, match="did not accept the sign-in"):
        wrong_audience.list(ACCOUNT)
    wrong_audience.close()
    with pytest.raises(UserError, match="cannot be created"):
        DeploymentClient(lambda: "x").create(DeploymentRequest(ACCOUNT, "bad name!", "m"))


def test_rate_limit_is_retried_after_the_servers_delay(azure_api_server: ApiServer) -> None:
    server = azure_api_server
    slept: list[float] = []
    server.faults.add("GET", r"/deployments$", "status", status=429, retry_after=7, times=2)
    with arm_client(server, sleep=slept.append) as arm:
        assert arm.list(ACCOUNT) == []
    assert slept == [7.0, 7.0]


def test_waiting_can_be_cancelled_and_a_failed_deployment_raises(azure_api_server: ApiServer) -> None:
    server = azure_api_server
    server.deployment_ticks = 100
    server.deploy("slow", "gpt-4o-2024-08-06", ready=False)
    with arm_client(server) as arm, pytest.raises(Cancelled, match="Stopped waiting"):
        arm.wait_until_ready(ACCOUNT, "slow", cancelled=lambda: True)
    server.deployments["slow"].state = "Failed"
    with arm_client(server) as arm, pytest.raises(ServiceError, match="could not create the deployment"):
        arm.wait_until_ready(ACCOUNT, "slow")


def test_cost_consequences_are_stated_per_sku() -> None:
    developer = " ".join(cost_consequences(DeploymentSku.DEVELOPER))
    assert "24 hours" in developer and "No hourly hosting fee" in developer and "15 days" in developer
    for sku in (DeploymentSku.GLOBAL_STANDARD, DeploymentSku.STANDARD):
        text = " ".join(cost_consequences(sku))
        assert "hourly hosting fee" in text and "whether or not it is called" in text and "15 days" in text
        assert "24 hours" not in text


def test_parsing_names_and_unknown_states() -> None:
    assert DeploymentSku.parse("DeveloperTier") is DeploymentSku.DEVELOPER
    assert DeploymentSku.parse("Developer") is DeploymentSku.DEVELOPER
    assert DeploymentSku.parse("GlobalStandard") is DeploymentSku.GLOBAL_STANDARD
    assert DeploymentSku.parse("ProvisionedManaged") is None
    info = DeploymentInfo.from_arm({"name": "x", "properties": {"provisioningState": "Accepted"}, "sku": {}})
    assert (info.state, info.ready, info.failed, info.capacity, info.sku_label) == (
        "Accepted",
        False,
        False,
        None,
        "",
    )
    assert DeploymentInfo.from_arm({}).state == "Unknown"
    assert account_name_from_endpoint("https://acme.openai.azure.com/") == "acme"
    assert account_name_from_endpoint("https://acme.services.ai.azure.com/api/projects/p") == "acme"
    assert account_name_from_endpoint("http://127.0.0.1:8000") == ""
    assert ACCOUNT.problems() == []
    assert len(AzureAccount("", "", "").problems()) == 3


# ---- the Deploy dialog ------------------------------------------------------------------------------------


def test_deploy_dialog_states_costs_first_then_deploys_lists_and_deletes(
    azure_api_server: ApiServer, tmp_path: Path, qtbot: QtBot, qtmodeltester: object
) -> None:
    from dpo_studio.ui.loop.deploy_dialog import DeployDialog

    server = azure_api_server
    server.deployment_ticks = 3
    setup = tuned_setup(server, tmp_path)
    checkpoint = server.world.jobs[setup.job_id].checkpoints[0]["fine_tuned_model_checkpoint"]
    dialog = DeployDialog(
        setup.profile,
        [("Fine-tuned model", setup.tuned_model), ("Checkpoint", checkpoint)],
        client_factory=lambda _profile: arm_client(server),
    )
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.name_edit.text()  # a valid name suggested from the model id
    assert "24 hours" in dialog.cost_label.text() and "No hourly hosting fee" in dialog.cost_label.text()
    dialog.sku_combo.setCurrentIndex(dialog.sku_combo.findData(DeploymentSku.GLOBAL_STANDARD.value))
    assert "hourly hosting fee" in dialog.cost_label.text() and "15 days" in dialog.cost_label.text()
    assert dialog.capacity_spin.value() == 100
    dialog.sku_combo.setCurrentIndex(dialog.sku_combo.findData(DeploymentSku.DEVELOPER.value))
    assert dialog.capacity_spin.value() == 50
    dialog.subscription_edit.setText(ACCOUNT.subscription_id)
    dialog.group_edit.setText(ACCOUNT.resource_group)
    dialog.account_edit.setText(ACCOUNT.account_name)
    dialog.name_edit.setText("tone-dev")
    assert not dialog.deploy_button.isEnabled()  # the costs are not acknowledged yet
    dialog.understood.setChecked(True)
    assert dialog.deploy_button.isEnabled()
    deployed: list[str] = []
    dialog.deployed.connect(deployed.append)
    dialog.deploy_button.click()
    qtbot.waitUntil(lambda: deployed == ["tone-dev"], timeout=20000)
    assert "Ready" in dialog.status_label.text()
    assert server.deployments["tone-dev"].state == "Succeeded"
    assert server.deployments["tone-dev"].model == setup.tuned_model
    assert server.deployments["tone-dev"].sku == "DeveloperTier"
    from dpo_studio.core.document import Document
    from dpo_studio.ui.loop import LoopTab
    from dpo_studio.ui.loop.common import deployment_for
    from dpo_studio.ui.session import DocumentSession

    assert deployment_for(setup.profile.id, setup.tuned_model) == "tone-dev"
    tab = LoopTab(DocumentSession(Document.new(), journal=False))
    qtbot.addWidget(tab)
    tab.evaluate_run(setup.profile.id, setup.job_id, setup.tuned_model)  # Evaluate… from the run
    assert tab.blind.picker_a.model == "tone-dev" and tab.blind.run_hint.text() == ""
    tab.evaluate_run(setup.profile.id, setup.job_id, checkpoint)  # never deployed
    assert tab.blind.picker_a.model == checkpoint and "deploy it first" in tab.blind.run_hint.text()
    qtbot.waitUntil(lambda: dialog.task is None and dialog.deployments_model.rowCount() >= 1, timeout=20000)
    names = [d.name for d in dialog.deployments_model.deployments]
    assert "tone-dev" in names
    qtmodeltester.check(dialog.deployments_model)  # type: ignore[attr-defined]

    # Remembered for this connection next time.
    again = DeployDialog(
        setup.profile, [("m", setup.tuned_model)], client_factory=lambda _p: arm_client(server)
    )
    qtbot.addWidget(again)
    assert again.subscription_edit.text() == ACCOUNT.subscription_id and again.group_edit.text() == "rg-dpo"

    dialog.deployments_view.selectRow(names.index("tone-dev"))
    asked: list[str] = []
    dialog.confirm_delete = lambda name: asked.append(name) or True
    dialog.delete_button.click()
    qtbot.waitUntil(lambda: "tone-dev" not in server.deployments, timeout=20000)
    assert asked == ["tone-dev"]
    qtbot.waitUntil(
        lambda: (
            dialog.task is None and "tone-dev" not in [d.name for d in dialog.deployments_model.deployments]
        ),
        timeout=20000,
    )


def test_deploy_from_a_run_on_openai_needs_no_deployment(
    api_server: ApiServer, tmp_path: Path, qtbot: QtBot
) -> None:
    from PySide6.QtWidgets import QMessageBox

    from dpo_studio.core.document import Document
    from dpo_studio.ui.loop import LoopTab
    from dpo_studio.ui.session import DocumentSession

    setup = tuned_setup(api_server, tmp_path)
    tab = LoopTab(DocumentSession(Document.new(), journal=False))
    qtbot.addWidget(tab)
    shown = tab.deploy_run(setup.profile.id, setup.job_id, setup.tuned_model)
    assert isinstance(shown, QMessageBox) and "called by its id" in shown.text()
    picker = tab.playground.columns[0].picker
    assert picker.model == setup.tuned_model and picker.profile is not None
    assert tab.pages.currentWidget() is tab.playground
    shown.close()


def test_deploy_from_an_azure_run_offers_the_model_and_its_checkpoints(
    azure_api_server: ApiServer, tmp_path: Path, qtbot: QtBot
) -> None:
    from dpo_studio.core.document import Document
    from dpo_studio.services.history import HistoryStore
    from dpo_studio.services.providers import Checkpoint
    from dpo_studio.ui.loop import LoopTab
    from dpo_studio.ui.loop.deploy_dialog import DeployDialog
    from dpo_studio.ui.session import DocumentSession

    setup = tuned_setup(azure_api_server, tmp_path)
    store = HistoryStore(tmp_path / "history.sqlite3")
    store.save_checkpoints(
        setup.profile.id,
        setup.job_id,
        [
            Checkpoint("ftchkpt-1", 10, "m.ft-1:ckpt-step-10", {}),
            Checkpoint("ftchkpt-2", 20, "m.ft-1:ckpt-step-20", {}),
        ],
    )
    tab = LoopTab(
        DocumentSession(Document.new(), journal=False),
        store=lambda: store,
        client_factory=lambda _p: arm_client(azure_api_server),
    )
    qtbot.addWidget(tab)
    dialog = tab.deploy_run(setup.profile.id, setup.job_id, setup.tuned_model)
    assert isinstance(dialog, DeployDialog)
    qtbot.addWidget(dialog)
    choices = [dialog.model_combo.itemData(i) for i in range(dialog.model_combo.count())]
    assert choices == [
        setup.tuned_model,
        "m.ft-1:ckpt-step-20",
        "m.ft-1:ckpt-step-10",
    ]  # newest checkpoint first
    dialog.model_combo.setCurrentIndex(1)
    assert dialog.name_edit.text() == "m.ft-1-ckpt-step-20"  # a valid deployment name made from the id
    # The account name is read from *.openai.azure.com endpoints; the local server's address has none.
    assert len(dialog.request().problems()) == 3 and not dialog.deploy_button.isEnabled()
    dialog.close()
