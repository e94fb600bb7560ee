"""The connections dialog driven as a person would, against the local API server and real keyrings."""

from __future__ import annotations

import secrets

from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from dpo_studio.services.connections import AuthMethod, ConnectionStore, ProviderKind
from dpo_studio.services.credentials import SERVICE, CredentialStore
from dpo_studio.services.entra import EntraAuthenticator
from dpo_studio.ui.connections import ConnectionsDialog
from dpo_studio.ui.tasks import task_runner
from tests.apiserver.server import ApiServer
from tests.keyring_backends import MemoryKeyring


def open_dialog(qtbot: QtBot) -> ConnectionsDialog:
    dialog = ConnectionsDialog(
        store=ConnectionStore(), credentials=CredentialStore(), authenticator=EntraAuthenticator()
    )
    qtbot.addWidget(dialog)
    dialog.show()
    settle(qtbot)
    return dialog


def settle(qtbot: QtBot) -> None:
    qtbot.waitUntil(lambda: not task_runner().running(), timeout=20_000)
    QApplication.processEvents()


def fill(dialog: ConnectionsDialog, name: str, kind: ProviderKind, endpoint: str, key: str = "") -> None:
    dialog.add_connection()
    dialog.name_edit.setText(name)
    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData(kind.value))
    dialog.endpoint_edit.setText(endpoint)
    if key:
        dialog.key_edit.setText(key)


def test_add_save_and_test_a_connection(
    qtbot: QtBot, api_server: ApiServer, memory_keyring: MemoryKeyring, presented: list[object]
) -> None:
    dialog = open_dialog(qtbot)
    assert "In-memory test keyring" in dialog.keyring_label.text()
    assert not dialog.session_only_check.isVisible()  # a usable keyring: no session-only choice

    fill(dialog, "Local server", ProviderKind.CUSTOM, api_server.base_url, api_server.api_key)
    dialog.save_button.click()
    settle(qtbot)
    profiles = ConnectionStore().list()
    assert [p.name for p in profiles] == ["Local server"]
    assert memory_keyring.passwords[(SERVICE, profiles[0].id)] == api_server.api_key
    assert dialog.key_edit.text() == ""  # the typed key does not linger in the form
    assert dialog.list.count() == 1 and "Local server" in dialog.list.item(0).text()
    assert "keyring" in dialog.result_label.text()
    assert "A key is stored in the system keyring" in dialog.key_state_label.text()

    fill(dialog, "Second", ProviderKind.CUSTOM, api_server.base_url, api_server.api_key)
    dialog.save_button.click()
    settle(qtbot)
    second = next(p for p in ConnectionStore().list() if p.name == "Second")
    dialog.default_button.click()
    assert ConnectionStore().default_id() == second.id
    assert "(default)" in dialog.list.currentItem().text()
    dialog.select(profiles[0].id)

    dialog.test_button.click()
    settle(qtbot)
    report = dialog.last_report
    assert report is not None and "gpt-4.1-mini-2025-04-14" in report.dpo_models
    assert "can be fine-tuned with DPO" in dialog.result_label.text()
    assert "127.0.0.1" in dialog.result_label.text()
    assert presented == []


def test_failed_test_is_explained_in_the_dialog(
    qtbot: QtBot, api_server: ApiServer, memory_keyring: MemoryKeyring, presented: list[object]
) -> None:
    dialog = open_dialog(qtbot)
    fill(dialog, "Wrong key", ProviderKind.CUSTOM, api_server.base_url, "sk-wrong-" + secrets.token_hex(8))
    dialog.test_button.click()
    settle(qtbot)
    text = dialog.result_label.text()
    assert "did not accept the credentials" in text and "What to do:" in text
    assert "0123456789abcdef" not in text
    assert dialog.last_error is not None and presented == []


def test_unreachable_endpoint_is_explained(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    dialog = open_dialog(qtbot)
    fill(dialog, "Nowhere", ProviderKind.CUSTOM, "http://127.0.0.1:9/v1", "sk-any-0000000000")
    dialog.test_button.click()
    settle(qtbot)
    assert "Could not reach" in dialog.result_label.text()


def test_invalid_form_is_explained_before_anything_runs(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    dialog = open_dialog(qtbot)
    fill(dialog, "", ProviderKind.AZURE_OPENAI, "https://example.com")
    dialog.save_button.click()
    assert "cannot be saved" in dialog.result_label.text()
    assert "Give the connection a name" in dialog.result_label.text()
    assert ConnectionStore().list() == []


def test_no_keyring_offers_session_only(qtbot: QtBot, api_server: ApiServer, no_keyring: object) -> None:
    dialog = open_dialog(qtbot)
    assert "No usable system keyring" in dialog.keyring_label.text()
    fill(dialog, "Session", ProviderKind.CUSTOM, api_server.base_url, api_server.api_key)
    assert dialog.session_only_check.isVisible()

    dialog.save_button.click()  # not chosen: refused, nothing written
    settle(qtbot)
    assert "cannot be stored" in dialog.result_label.text()
    assert ConnectionStore().list() == []

    dialog.key_edit.setText(api_server.api_key)
    dialog.session_only_check.setChecked(True)
    dialog.save_button.click()
    settle(qtbot)
    saved = ConnectionStore().list()
    assert [p.name for p in saved] == ["Session"]
    assert "this session only" in dialog.result_label.text()
    assert dialog.credentials.get_secret(saved[0].id) == api_server.api_key
    dialog.test_button.click()
    settle(qtbot)
    assert dialog.last_report is not None  # the session key works


def test_provider_kinds_change_the_form(qtbot: QtBot, memory_keyring: MemoryKeyring) -> None:
    dialog = open_dialog(qtbot)
    fill(dialog, "x", ProviderKind.OPENAI, "")
    assert dialog.legacy_label.isVisible() and "2027-01-06" in dialog.legacy_label.text()
    assert dialog.organization_edit.isVisible() and not dialog.api_version_edit.isVisible()

    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData(ProviderKind.FOUNDRY_PROJECT.value))
    methods = [dialog.auth_combo.itemData(i) for i in range(dialog.auth_combo.count())]
    assert AuthMethod.API_KEY.value not in methods  # Foundry projects are Entra ID only
    assert not dialog.key_edit.isVisible() and dialog.sign_in_button.isVisible()
    assert dialog.tenant_edit.isVisible() and not dialog.legacy_label.isVisible()

    dialog.kind_combo.setCurrentIndex(dialog.kind_combo.findData(ProviderKind.AZURE_OPENAI.value))
    assert dialog.api_version_edit.isVisible() and dialog.key_edit.isVisible()


def test_delete_asks_then_removes_profile_and_key(
    qtbot: QtBot, api_server: ApiServer, memory_keyring: MemoryKeyring
) -> None:
    dialog = open_dialog(qtbot)
    fill(dialog, "Doomed", ProviderKind.CUSTOM, api_server.base_url, api_server.api_key)
    dialog.save_button.click()
    settle(qtbot)
    assert memory_keyring.passwords

    dialog.delete_button.click()
    box = dialog.findChild(QMessageBox, "confirmDelete")
    assert box is not None and box.isVisible()
    box.button(QMessageBox.StandardButton.Yes).click()
    settle(qtbot)
    assert ConnectionStore().list() == []
    assert memory_keyring.passwords == {}
    assert dialog.list.count() == 0


def test_sign_in_problem_is_explained(
    qtbot: QtBot, memory_keyring: MemoryKeyring, presented: list[object]
) -> None:
    dialog = open_dialog(qtbot)
    fill(dialog, "Dev", ProviderKind.AZURE_OPENAI, "https://res.openai.azure.com")
    dialog.auth_combo.setCurrentIndex(dialog.auth_combo.findData(AuthMethod.AZURE_CLI.value))
    assert dialog.sign_in_button.isVisible() and not dialog.key_edit.isVisible()
    dialog.sign_in_button.click()
    settle(qtbot)
    text = dialog.result_label.text()
    assert "Azure CLI" in text and "What to do:" in text  # no az on this machine: said plainly
    assert presented == []


def test_a_check_finishing_after_the_dialog_closed_is_ignored(
    qtbot: QtBot, memory_keyring: MemoryKeyring, presented: list[object]
) -> None:
    """The keyring check runs in the background; closing the dialog first must not raise an error."""
    import shiboken6

    dialog = ConnectionsDialog(
        store=ConnectionStore(), credentials=CredentialStore(), authenticator=EntraAuthenticator()
    )
    dialog.show()
    shiboken6.delete(dialog)  # closed and deleted before the check's result arrives
    settle(qtbot)
    assert presented == []
