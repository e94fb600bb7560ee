"""Pytest fixtures for the local API server (listed in tests/conftest.py `pytest_plugins`).

`api_server` speaks OpenAI's API, `azure_api_server` Azure OpenAI's, and `server` runs a test once with
each. Each is a fresh, started server per test; at teardown any request or response that broke the
OpenAPI spec fails the test, so neither the app nor the server can drift from the real API unnoticed. A
test that breaks the spec on purpose takes the violations with `server.take_violations()`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .prism import prism_server
from .server import ApiServer

__all__ = ["api_server", "azure_api_server", "prism_server", "server"]


def _serve(style: str) -> Iterator[ApiServer]:
    server = ApiServer(style=style).start()
    try:
        yield server
    finally:
        server.stop()
    violations = server.take_violations()
    if violations:
        pytest.fail(
            f"{len(violations)} OpenAPI spec violation(s) in requests/responses of the {style} API server:\n"
            + "\n".join(f"  - {v}" for v in violations),
            pytrace=False,
        )


@pytest.fixture
def api_server() -> Iterator[ApiServer]:
    """An OpenAI-style server: `base_url` ends in /v1, bearer `api_key`."""
    yield from _serve("openai")


@pytest.fixture
def azure_api_server() -> Iterator[ApiServer]:
    """An Azure-style server: `base_url` is the resource endpoint; `api_key` header or `entra_token()`."""
    yield from _serve("azure")


@pytest.fixture(params=["openai", "azure"])
def server(request: pytest.FixtureRequest) -> ApiServer:
    """Each test that asks for ``server`` runs against both API styles."""
    fixture = "api_server" if request.param == "openai" else "azure_api_server"
    return request.getfixturevalue(fixture)  # type: ignore[no-any-return]
