"""Azure deployments through ARM (httpx2 + an Entra token) against the local server's control plane."""

from __future__ import annotations

from pathlib import Path

import pytest

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
