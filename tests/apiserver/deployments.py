"""Azure control-plane deployments (ARM). Not implemented yet: every call answers 404."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import azure_error
from .protocol import ApiError, Reply

if TYPE_CHECKING:
    from .server import ApiServer


def handle_deployment(
    server: ApiServer, method: str, path: str, query: dict[str, list[str]], body: Any
) -> Reply:
    """Answer an ARM request under /subscriptions/..."""
    raise ApiError(404, azure_error("NotFound", f"The resource at {path} was not found."))
