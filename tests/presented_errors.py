"""The ``presented`` fixture: the errors that reached the app's one error presenter during a test.

Listed in tests/conftest.py ``pytest_plugins``. The presenter's hook takes them instead of a dialog, so a
test can check what the user would have been told (or that nothing was); the old hook comes back after.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from dpo_studio.ui import errors


@pytest.fixture
def presented() -> Iterator[list[errors.PresentedError]]:
    """The presented errors, in order (a live list: it grows while the test runs)."""
    shown: list[errors.PresentedError] = []
    old = errors.set_presenter_hook(shown.append)
    yield shown
    errors.set_presenter_hook(old)
