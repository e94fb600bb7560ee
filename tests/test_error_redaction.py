"""A secret inside an unexpected exception never reaches errors.log, the dialog or the copied details."""

from __future__ import annotations

import secrets

from PySide6.QtWidgets import QApplication, QMessageBox, QPushButton
from pytestqt.qtbot import QtBot

from dpo_studio.core.errors import UserError
from dpo_studio.core.paths import state_dir
from dpo_studio.services.redaction import forget_secret, register_secret
from dpo_studio.ui.errors import present_error


def _fake_secret() -> str:
    # Not key-shaped on purpose: only the registration can catch it, not the patterns.
    return "zq" + secrets.token_hex(16)


def test_secret_in_exception_is_redacted_everywhere(qtbot: QtBot) -> None:
    secret = _fake_secret()
    register_secret(secret)
    try:
        try:
            raise RuntimeError(f"the server said no to {secret}")
        except RuntimeError as error:
            box = present_error(None, error, f"Calling with {secret}")
        assert isinstance(box, QMessageBox)
        qtbot.addWidget(box)
        shown = "\n".join([box.windowTitle(), box.text(), box.informativeText(), box.detailedText()])
        assert "RuntimeError" in box.detailedText() and "[redacted]" in box.detailedText()
        assert secret not in shown
        copy = next(b for b in box.findChildren(QPushButton) if b.text() == "Copy details")
        copy.click()
        copied = QApplication.clipboard().text()
        assert "RuntimeError" in copied and secret not in copied
        log = (state_dir() / "logs" / "errors.log").read_text(encoding="utf-8")
        assert "RuntimeError" in log and "[redacted]" in log
        assert secret not in log
        box.close()
    finally:
        forget_secret(secret)


def test_secret_in_a_user_error_is_redacted(qtbot: QtBot) -> None:
    secret = _fake_secret()
    register_secret(secret)
    try:
        box = present_error(None, UserError(f"Key {secret} was refused.", f"Check {secret}."), "Signing in")
        assert isinstance(box, QMessageBox)
        qtbot.addWidget(box)
        assert secret not in box.text() + box.informativeText()
        assert "[redacted]" in box.text()
        box.close()
    finally:
        forget_secret(secret)
