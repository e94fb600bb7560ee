"""The one base class for problems a user can understand and act on.

Anything raised as a :class:`UserError` is shown as a plain sentence plus what to do; every other
exception is treated as a bug and shown with details to copy. Messages must never contain secrets.
"""

from __future__ import annotations


class UserError(Exception):
    """A known problem: ``message`` says what happened, ``hint`` what to do about it."""

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} {self.hint}".strip()
