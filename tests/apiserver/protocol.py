"""Plain data shared by the server and its route handlers."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class ReceivedRequest:
    """One request as the server saw it, without secret header values."""

    method: str
    path: str
    api_path: str
    route: str
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-case names; Authorization / api-key values replaced by "<redacted>"
    json: Any = None
    form: dict[str, str] | None = None
    files: dict[str, int] | None = None  # multipart file field -> size in bytes


@dataclass
class Reply:
    """What a handler answers."""

    status: int = 200
    body: Any = None  # dict/list -> JSON; bytes -> raw
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str = "application/json"


class ApiError(Exception):
    """Raised by handlers to answer with an error body."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().__init__(status)
        self.status, self.body, self.headers = status, body, headers or {}


@dataclass
class Call:
    """A parsed request as handlers see it."""

    method: str
    api_path: str
    route: str  # openai | azure-classic | azure-v1 | foundry | arm
    params: dict[str, str]
    query: dict[str, list[str]]
    json: Any
    form: dict[str, str]
    files: dict[str, tuple[str, bytes]]
    headers: dict[str, str]
    base: str  # scheme://host:port

    @property
    def vocabulary(self) -> str:
        """Azure's classic route names job states the Azure way; every other route uses OpenAI's names."""
        return "azure" if self.route == "azure-classic" else "openai"

    def q(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None


def iter_pages(
    items: list[dict[str, Any]], after: str | None, limit: int
) -> tuple[list[dict[str, Any]], bool]:
    """Cursor paging: the `limit` items that follow the one whose id is `after`, and whether more remain."""
    start = 0
    if after:
        ids = [item["id"] for item in items]
        start = ids.index(after) + 1 if after in ids else len(items)
    page = items[start : start + limit]
    return page, start + limit < len(items)
