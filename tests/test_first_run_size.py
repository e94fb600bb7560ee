"""The first start (no remembered geometry) opens the window at most of the screen, never beyond it."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from dpo_studio.ui.main_window import MainWindow


def test_first_start_uses_most_of_the_screen_and_fits_it(qtbot: QtBot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    screen = window.screen()
    assert screen is not None
    available = screen.availableGeometry().size()
    assert window.minimumSizeHint().width() <= available.width()  # else the bounds below cannot hold
    size = window.size()
    assert int(available.width() * 0.9) <= size.width() <= available.width()
    assert int(available.height() * 0.9) <= size.height() <= available.height()
