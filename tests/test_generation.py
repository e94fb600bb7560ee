"""Chat generation through the real openai SDK against the local API server, in both API styles."""

from __future__ import annotations

from pathlib import Path

import pytest

from dpo_studio.core.errors import UserError
from dpo_studio.services.connections import ProviderKind
from dpo_studio.services.errors import Cancelled, NotFound
from dpo_studio.services.generation import GenerationSettings, chat_model_name
from tests.apiserver.chat import default_answer
from tests.apiserver.server import ApiServer
from tests.loop_support import BASE_MODEL, generator, tuned_setup

pytestmark = pytest.mark.usefixtures("memory_keyring")

MESSAGES = [
    {"role": "system", "content": "Answer in one short sentence."},
    {"role": "user", "content": "How do I start a DPO run?"},
]


@pytest.mark.parametrize("style", ["openai", "azure"])
def test_streamed_answer_arrives_in_pieces_and_equals_the_whole_answer(
    style: str, api_server: ApiServer, azure_api_server: ApiServer, tmp_path: Path
) -> None:
    server = api_server if style == "openai" else azure_api_server
    setup = tuned_setup(server, tmp_path)
    chat = generator(setup.profile)
    settings = GenerationSettings(temperature=0.7, max_tokens=None)
    seen: list[str] = []
    streamed = chat.stream(setup.tuned_name, MESSAGES, settings, on_text=seen.append)
    # The server's deterministic answer for the model behind the name (the tuned model itself on Azure).
    expected = default_answer(setup.tuned_model, MESSAGES, 0)
    assert streamed.text == expected
    assert streamed.finish_reason == "stop"
    assert streamed.model == setup.tuned_model
    assert len(seen) == len(expected.split(" ")) > 3  # one update per word
    assert all(expected.startswith(text) for text in seen) and seen[-1] == expected
    assert streamed.completion_tokens == len(expected.split())
    whole = chat.complete(setup.tuned_name, MESSAGES, settings)
    assert [a.text for a in whole] == [expected]
    base = chat.complete(setup.base_name, MESSAGES, settings)[0]
    assert base.text == default_answer(BASE_MODEL, MESSAGES, 0) != expected

    sent = server.requests_to("POST", r"/chat/completions$")
    assert sent[0].json is not None and sent[0].json["stream"] is True
    assert sent[0].json["temperature"] == 0.7 and "max_tokens" not in sent[0].json


def test_n_candidates_token_limit_and_seed_are_sent(api_server: ApiServer, tmp_path: Path) -> None:
    setup = tuned_setup(api_server, tmp_path)
    chat = generator(setup.profile)
    answers = chat.complete(BASE_MODEL, MESSAGES, GenerationSettings(0.9, 6, seed=7), n=4)
    assert len(answers) == 4
    assert all(a.truncated and len(a.text.split()) == 6 for a in answers)
    body = api_server.requests_to("POST", r"/chat/completions$")[-1].json
    assert body is not None and body["n"] == 4 and body["max_tokens"] == 6 and body["seed"] == 7
    whole = chat.complete(BASE_MODEL, MESSAGES, GenerationSettings(0.9, None, seed=7), n=4)
    assert [a.text for a in whole] == [default_answer(BASE_MODEL, MESSAGES, i, 7) for i in range(4)]
    assert [a.text.split()[:6] for a in whole] == [a.text.split() for a in answers]


def test_cancel_stops_the_stream(api_server: ApiServer, tmp_path: Path) -> None:
    setup = tuned_setup(api_server, tmp_path)
    chat = generator(setup.profile)
    seen: list[str] = []
    with pytest.raises(Cancelled):
        chat.stream(BASE_MODEL, MESSAGES, on_text=seen.append, cancelled=lambda: len(seen) >= 2)
    assert len(seen) == 2


def test_unknown_model_and_missing_deployment_are_explained(
    api_server: ApiServer, azure_api_server: ApiServer, tmp_path: Path
) -> None:
    setup = tuned_setup(api_server, tmp_path / "openai")
    with pytest.raises(NotFound, match="could not find"):
        generator(setup.profile).complete("gpt-7", MESSAGES)
    azure = tuned_setup(azure_api_server, tmp_path / "azure")
    with pytest.raises(NotFound, match="deployment for this resource does not exist"):
        generator(azure.profile).stream("not-deployed", MESSAGES)


def test_chat_model_name_uses_deployments_on_azure_and_ids_on_openai() -> None:
    assert chat_model_name(ProviderKind.OPENAI, model_id="ft:gpt-4o:acme::x1") == "ft:gpt-4o:acme::x1"
    assert chat_model_name(ProviderKind.CUSTOM, model_id="m", deployment="ignored") == "m"
    assert chat_model_name(ProviderKind.AZURE_OPENAI, model_id="gpt-4o.ft-1", deployment=" dep ") == "dep"
    assert chat_model_name(ProviderKind.FOUNDRY_PROJECT, model_id="x", deployment="d") == "d"
    with pytest.raises(UserError, match="only through a deployment"):
        chat_model_name(ProviderKind.AZURE_OPENAI, model_id="gpt-4o.ft-1")


def test_foundry_project_chats_through_a_deployment_with_an_entra_token(azure_api_server: ApiServer) -> None:
    from dpo_studio.services.connections import AuthMethod, new_profile
    from dpo_studio.services.generation import open_generator
    from tests.apiserver.server import PROJECT_AUDIENCE

    server = azure_api_server
    server.deploy("base-chat", BASE_MODEL)
    profile = new_profile(
        "Foundry", ProviderKind.FOUNDRY_PROJECT, server.project_endpoint(), auth=AuthMethod.ENTRA_BROWSER
    )
    chat = open_generator(profile, token_provider=lambda: server.entra_token(PROJECT_AUDIENCE))
    name = chat_model_name(ProviderKind.FOUNDRY_PROJECT, model_id=BASE_MODEL, deployment="base-chat")
    seen: list[str] = []
    answer = chat.stream(name, MESSAGES, on_text=seen.append)
    assert answer.text == default_answer(BASE_MODEL, MESSAGES, 0) and len(seen) > 3
    request = server.requests_to("POST", r"/chat/completions$")[-1]
    assert request.path.startswith("/api/projects/") and request.headers["authorization"] == "<redacted>"
