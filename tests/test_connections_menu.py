"""File ▸ Connections… opens the connections dialog from anywhere in the app, not only from the Runs tab."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from dpo_studio.ui.connections import ConnectionsDialog
from dpo_studio.ui.main_window import MainWindow


def test_file_menu_opens_the_connections_dialog(qtbot: QtBot) -> None:
    window = MainWindow()
    qtbot.addWidget(window)
    window.show()
    titles = [action.text() for action in window.file_menu.actions()]
    assert "&Connections…" in titles
    window.connections_action.trigger()
    dialog = window.runs_tab.connections_dialog
    assert isinstance(dialog, ConnectionsDialog)
    qtbot.waitUntil(dialog.isVisible)
    dialog.close()
