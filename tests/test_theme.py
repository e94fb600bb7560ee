"""Light and dark palettes follow the system scheme (or DPO_STUDIO_THEME), on the Fusion style."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from dpo_studio.ui import theme


@pytest.fixture
def app(qtbot: QtBot) -> QApplication:
    instance = QApplication.instance()
    assert isinstance(instance, QApplication)
    palette, style = instance.palette(), instance.style().name()
    yield instance
    instance.setStyle(style)
    instance.setPalette(palette)


def test_forced_dark_and_light(app: QApplication, monkeypatch: pytest.MonkeyPatch, qtbot: QtBot) -> None:
    seen: list[bool] = []
    theme.theme_signals.changed.connect(seen.append)
    try:
        monkeypatch.setenv(theme.THEME_VARIABLE, "dark")
        assert theme.apply_theme(app) is True and theme.is_dark()
        assert app.style().name().lower() == "fusion"
        window = app.palette().color(QPalette.ColorRole.Window)
        text = app.palette().color(QPalette.ColorRole.WindowText)
        assert window.lightness() < 80 and text.lightness() > 180, "readable light text on a dark window"
        monkeypatch.setenv(theme.THEME_VARIABLE, "light")
        assert theme.apply_theme(app) is False
        assert app.palette().color(QPalette.ColorRole.Window).lightness() > 180
        assert seen == [True, False]
    finally:
        theme.theme_signals.changed.disconnect(seen.append)


def test_without_override_the_system_scheme_decides(
    app: QApplication, monkeypatch: pytest.MonkeyPatch
) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtGui import QGuiApplication

    monkeypatch.delenv(theme.THEME_VARIABLE, raising=False)
    expected = QGuiApplication.styleHints().colorScheme() == Qt.ColorScheme.Dark
    assert theme.system_prefers_dark() is expected
    assert theme.apply_theme(app) is expected
