"""The connections dialog: add, edit, delete and test connections; see where secrets are kept.

Every keyring access, sign-in and network call runs through :func:`dpo_studio.ui.tasks.task_runner`; the
GUI thread only validates and lays out. A failed test is explained inside the dialog (what went wrong, what to
do); unexpected failures go to the one error presenter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from dpo_studio.core.errors import UserError
from dpo_studio.services.connections import (
    ALLOWED_AUTH,
    DEFAULT_AZURE_API_VERSION,
    AuthMethod,
    ConnectionProfile,
    ConnectionStore,
    ProviderKind,
    new_profile,
    validate_profile,
)
from dpo_studio.services.credentials import CredentialStore, KeyringStatus, credential_store
from dpo_studio.services.entra import EntraAuthenticator, entra
from dpo_studio.services.errors import KeyringUnavailable
from dpo_studio.services.providers import ConnectionReport, FineTuningProvider, open_provider
from dpo_studio.services.providers.traits import TRAITS
from dpo_studio.ui.errors import present_error
from dpo_studio.ui.tasks import TaskContext, TaskHandle, task_runner

ProviderFactory = Callable[..., FineTuningProvider]

_PLACEHOLDERS = {
    ProviderKind.AZURE_OPENAI: "https://<resource>.openai.azure.com",
    ProviderKind.FOUNDRY_PROJECT: "https://<account>.services.ai.azure.com/api/projects/<project>",
    ProviderKind.OPENAI: "https://api.openai.com/v1 (leave empty for the default)",
    ProviderKind.CUSTOM: "https://gateway.example.com/v1",
}

# Tinted boxes that read in light and dark palettes: a translucent fill and a coloured edge.
_BOX = "QLabel {{ background: rgba({fill}); border: 1px solid {edge}; border-radius: 4px; padding: 8px; }}"
_OK_STYLE = _BOX.format(fill="46, 139, 87, 40", edge="#2e8b57")
_BAD_STYLE = _BOX.format(fill="192, 57, 43, 40", edge="#c0392b")
_INFO_STYLE = _BOX.format(fill="212, 160, 23, 45", edge="#b8860b")


class _DeviceCodeBridge(QObject):
    """Carries the device-code prompt from the sign-in thread to the GUI thread."""

    prompted = Signal(str, str)

    def prompt(self, uri: str, code: str, _expires: Any) -> None:
        self.prompted.emit(uri, code)


class ConnectionsDialog(QDialog):
    """Manage connection profiles and their secrets."""

    #: A connection was added, changed or deleted (its id).
    connectionsChanged = Signal(str)

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        store: ConnectionStore | None = None,
        credentials: CredentialStore | None = None,
        authenticator: EntraAuthenticator | None = None,
        provider_factory: ProviderFactory = open_provider,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Connections")
        self.setObjectName("ConnectionsDialog")
        self.resize(980, 640)
        self.store = store or ConnectionStore()
        self.credentials = credentials or credential_store()
        self.authenticator = authenticator or entra()
        self.provider_factory = provider_factory
        self.keyring: KeyringStatus | None = None
        self.last_report: ConnectionReport | None = None
        self.last_error: UserError | None = None
        self._current: ConnectionProfile | None = None
        self._tasks: list[TaskHandle] = []
        self._device_bridge = _DeviceCodeBridge(self)
        self._device_bridge.prompted.connect(self._show_device_code)
        self._build()
        self.reload()
        self._probe_keyring()

    # ---- layout ------------------------------------------------------------------------------------------

    def _build(self) -> None:
        outer = QVBoxLayout(self)
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        outer.addWidget(splitter, 1)

        left = QWidget(splitter)
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel("<b>Saved connections</b>"))
        self.list = QListWidget(left)
        self.list.setObjectName("connectionList")
        self.list.setSpacing(3)
        self.list.setAlternatingRowColors(True)
        self.list.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.list.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.list.currentItemChanged.connect(self._on_selected)
        left_layout.addWidget(self.list, 1)
        row = QHBoxLayout()
        self.add_button = QPushButton("Add")
        self.add_button.setToolTip("Create a new connection")
        self.add_button.clicked.connect(self.add_connection)
        self.delete_button = QPushButton("Delete")
        self.delete_button.setToolTip("Delete the selected connection and its stored key")
        self.delete_button.clicked.connect(self.delete_current)
        self.default_button = QPushButton("Make default")
        self.default_button.setToolTip("Use this connection when none is chosen")
        self.default_button.clicked.connect(self.make_default)
        row.addWidget(self.add_button)
        row.addWidget(self.delete_button)
        row.addWidget(self.default_button)
        row.addStretch(1)
        left_layout.addLayout(row)
        left.setMinimumWidth(260)

        right = QWidget(splitter)
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(8, 0, 0, 0)

        form_box = QGroupBox("Connection", right)
        form = QFormLayout(form_box)
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.ExpandingFieldsGrow)
        self.name_edit = QLineEdit()
        self.name_edit.setPlaceholderText("A name you will recognise, e.g. Work Azure (Sweden Central)")
        form.addRow("Name", self.name_edit)
        self.kind_combo = QComboBox()
        for kind in ProviderKind:
            self.kind_combo.addItem(kind.label, kind.value)
        self.kind_combo.currentIndexChanged.connect(self._on_kind_changed)
        form.addRow("Provider", self.kind_combo)
        self.legacy_label = QLabel(TRAITS[ProviderKind.OPENAI].legacy_notice)
        self.legacy_label.setWordWrap(True)
        self.legacy_label.setMinimumWidth(420)
        self.legacy_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        self.legacy_label.setStyleSheet(_INFO_STYLE)
        form.addRow("", self.legacy_label)
        self.endpoint_edit = QLineEdit()
        form.addRow("Endpoint", self.endpoint_edit)
        self.auth_combo = QComboBox()
        self.auth_combo.currentIndexChanged.connect(self._update_visibility)
        form.addRow("Sign in with", self.auth_combo)
        self.api_version_edit = QLineEdit()
        self.api_version_edit.setPlaceholderText(DEFAULT_AZURE_API_VERSION)
        self.api_version_label = QLabel("API version")
        form.addRow(self.api_version_label, self.api_version_edit)
        self.tenant_edit = QLineEdit()
        self.tenant_edit.setPlaceholderText("Optional: your directory (tenant) id or domain")
        self.tenant_label = QLabel("Tenant")
        form.addRow(self.tenant_label, self.tenant_edit)
        self.organization_edit = QLineEdit()
        self.organization_edit.setPlaceholderText("Optional: org-...")
        self.organization_label = QLabel("Organization")
        form.addRow(self.organization_label, self.organization_edit)

        self.key_edit = QLineEdit()
        self.key_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.key_edit.setObjectName("apiKeyEdit")
        self.key_label = QLabel("API key")
        form.addRow(self.key_label, self.key_edit)
        self.key_state_label = QLabel("")
        self.key_state_label.setWordWrap(True)
        self.key_state_label.setMinimumWidth(420)
        self.key_state_label.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Preferred)
        form.addRow("", self.key_state_label)
        self.session_only_check = QCheckBox(
            "Keep the key for this session only (it is forgotten when the app closes)"
        )
        form.addRow("", self.session_only_check)
        right_layout.addWidget(form_box)

        actions = QHBoxLayout()
        self.save_button = QPushButton("Save")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(self.save_current)
        self.test_button = QPushButton("Test connection")
        self.test_button.clicked.connect(self.test_current)
        self.sign_in_button = QPushButton("Sign in")
        self.sign_in_button.setToolTip("Sign in with Microsoft Entra ID in your browser")
        self.sign_in_button.clicked.connect(self.sign_in_current)
        self.sign_out_button = QPushButton("Sign out")
        self.sign_out_button.clicked.connect(self.sign_out_current)
        for button in (self.save_button, self.test_button, self.sign_in_button, self.sign_out_button):
            actions.addWidget(button)
        actions.addStretch(1)
        right_layout.addLayout(actions)

        self.result_label = QLabel("")
        self.result_label.setObjectName("testResult")
        self.result_label.setWordWrap(True)
        self.result_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.result_label.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Minimum)
        self.result_label.setVisible(False)
        right_layout.addWidget(self.result_label)
        right_layout.addStretch(1)
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([300, 680])

        line = QFrame(self)
        line.setFrameShape(QFrame.Shape.HLine)
        line.setFrameShadow(QFrame.Shadow.Sunken)
        outer.addWidget(line)
        bottom = QHBoxLayout()
        self.keyring_label = QLabel("Checking the system keyring…")
        self.keyring_label.setObjectName("keyringStatus")
        self.keyring_label.setWordWrap(True)
        bottom.addWidget(self.keyring_label, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(self.reject)
        bottom.addWidget(buttons)
        outer.addLayout(bottom)
        self._set_editing_enabled(False)

    # ---- list --------------------------------------------------------------------------------------------

    def reload(self, select_id: str = "") -> None:
        """Refill the list from the settings, keeping or choosing a selection."""
        wanted = select_id or (self._current.id if self._current else "")
        self.list.blockSignals(True)
        self.list.clear()
        default_id = self.store.default_id()
        chosen: QListWidgetItem | None = None
        for profile in self.store.list():
            text = profile.name
            if profile.id == default_id:
                text += "  (default)"
            item = QListWidgetItem(f"{text}\n{profile.provider_kind.label} · {profile.host}")
            item.setData(Qt.ItemDataRole.UserRole, profile.id)
            item.setToolTip(profile.describe())
            self.list.addItem(item)
            if profile.id == wanted:
                chosen = item
        self.list.blockSignals(False)
        if chosen is None and self.list.count():
            chosen = self.list.item(0)
        if chosen is not None:
            self.list.setCurrentItem(chosen)
            self._on_selected(chosen, None)
        elif self._current is None or self._current.id not in {p.id for p in self.store.list()}:
            self._show_profile(None)

    def _on_selected(self, item: QListWidgetItem | None, _previous: QListWidgetItem | None) -> None:
        if item is None:
            return
        connection_id = item.data(Qt.ItemDataRole.UserRole)
        try:
            profile = self.store.get(str(connection_id))
        except UserError:
            return
        self._show_profile(profile)

    def select(self, connection_id: str) -> None:
        """Select the connection with this id."""
        for row in range(self.list.count()):
            item = self.list.item(row)
            if item.data(Qt.ItemDataRole.UserRole) == connection_id:
                self.list.setCurrentItem(item)
                return

    # ---- form --------------------------------------------------------------------------------------------

    def add_connection(self, kind: ProviderKind = ProviderKind.AZURE_OPENAI) -> None:
        """Start a new, unsaved connection in the form."""
        self.list.clearSelection()
        self.list.setCurrentItem(None)
        self._show_profile(new_profile("", kind))
        self.name_edit.setFocus()

    def _show_profile(self, profile: ConnectionProfile | None) -> None:
        self._current = profile
        self.result_label.setVisible(False)
        self._set_editing_enabled(profile is not None)
        if profile is None:
            for edit in (
                self.name_edit,
                self.endpoint_edit,
                self.tenant_edit,
                self.organization_edit,
                self.key_edit,
            ):
                edit.clear()
            self.key_state_label.setText("Add a connection to get started.")
            return
        self.name_edit.setText(profile.name)
        self.kind_combo.blockSignals(True)
        self.kind_combo.setCurrentIndex(max(0, self.kind_combo.findData(profile.provider_kind.value)))
        self.kind_combo.blockSignals(False)
        self._fill_auth_methods(profile.provider_kind, profile.auth_method)
        self.endpoint_edit.setText(profile.endpoint)
        self.api_version_edit.setText(profile.api_version)
        self.tenant_edit.setText(profile.tenant_id)
        self.organization_edit.setText(profile.organization)
        self.key_edit.clear()
        self.session_only_check.setChecked(False)
        self._update_visibility()
        self._refresh_key_state()

    def _fill_auth_methods(self, kind: ProviderKind, chosen: AuthMethod | None = None) -> None:
        self.auth_combo.blockSignals(True)
        self.auth_combo.clear()
        for method in ALLOWED_AUTH[kind]:
            self.auth_combo.addItem(method.label, method.value)
        index = self.auth_combo.findData(chosen.value) if chosen else -1
        self.auth_combo.setCurrentIndex(max(0, index))
        self.auth_combo.blockSignals(False)

    def _on_kind_changed(self) -> None:
        kind = ProviderKind(self.kind_combo.currentData())
        self._fill_auth_methods(kind)
        self._update_visibility()

    def _update_visibility(self) -> None:
        kind = ProviderKind(self.kind_combo.currentData() or ProviderKind.CUSTOM.value)
        method = AuthMethod(self.auth_combo.currentData() or AuthMethod.API_KEY.value)
        self.endpoint_edit.setPlaceholderText(_PLACEHOLDERS[kind])
        self.legacy_label.setVisible(kind is ProviderKind.OPENAI)
        azure = kind is ProviderKind.AZURE_OPENAI
        self.api_version_label.setVisible(azure)
        self.api_version_edit.setVisible(azure)
        self.tenant_label.setVisible(method.is_entra)
        self.tenant_edit.setVisible(method.is_entra)
        openai_kind = kind is ProviderKind.OPENAI
        self.organization_label.setVisible(openai_kind)
        self.organization_edit.setVisible(openai_kind)
        key = method is AuthMethod.API_KEY
        self.key_label.setVisible(key)
        self.key_edit.setVisible(key)
        self.key_state_label.setVisible(key or method.is_entra)
        self.session_only_check.setVisible(key and self.keyring is not None and not self.keyring.usable)
        self.sign_in_button.setVisible(method.is_entra)
        self.sign_out_button.setVisible(method in (AuthMethod.ENTRA_BROWSER, AuthMethod.ENTRA_DEVICE_CODE))
        if method.is_entra:
            self.key_state_label.setText(
                "No key is stored: you sign in with your Microsoft account. The sign-in is remembered in the "
                "system's protected token cache."
            )

    def _set_editing_enabled(self, enabled: bool) -> None:
        for widget in (
            self.name_edit,
            self.kind_combo,
            self.endpoint_edit,
            self.auth_combo,
            self.api_version_edit,
            self.tenant_edit,
            self.organization_edit,
            self.key_edit,
            self.save_button,
            self.test_button,
            self.sign_in_button,
            self.sign_out_button,
        ):
            widget.setEnabled(enabled)
        self.delete_button.setEnabled(enabled)
        self.default_button.setEnabled(enabled)

    def form_profile(self) -> ConnectionProfile | None:
        """The connection as currently typed in the form (not saved)."""
        if self._current is None:
            return None
        kind = ProviderKind(self.kind_combo.currentData())
        return ConnectionProfile(
            id=self._current.id,
            name=self.name_edit.text().strip(),
            kind=kind.value,
            endpoint=self.endpoint_edit.text().strip(),
            auth=str(self.auth_combo.currentData() or AuthMethod.API_KEY.value),
            api_version=self.api_version_edit.text().strip() or DEFAULT_AZURE_API_VERSION,
            tenant_id=self.tenant_edit.text().strip(),
            organization=self.organization_edit.text().strip(),
            project=self._current.project,
        )

    # ---- keyring -----------------------------------------------------------------------------------------

    def _run(self, fn: Callable[[TaskContext], Any], description: str, **callbacks: Any) -> TaskHandle:
        handle = task_runner().run(fn, description=description, owner=self, **callbacks)
        self._tasks.append(handle)
        handle.ended.connect(lambda: self._tasks.remove(handle) if handle in self._tasks else None)
        return handle

    def _probe_keyring(self) -> None:
        self._run(
            lambda ctx: self.credentials.status(),
            "Checking the system keyring",
            on_done=self._show_keyring,
            on_error=lambda error: self._show_keyring(None, error),
        )

    def _show_keyring(self, status: KeyringStatus | None, error: BaseException | None = None) -> None:
        self.keyring = status
        if status is None:
            self.keyring_label.setText(f"The system keyring could not be checked: {error}")
            self.keyring_label.setStyleSheet(_BAD_STYLE)
        elif status.usable:
            self.keyring_label.setText(f"Secrets are stored in the system keyring: {status.backend}.")
            self.keyring_label.setStyleSheet(_OK_STYLE)
        else:
            self.keyring_label.setText(
                f"No usable system keyring: {status.reason} ({status.backend}). API keys are never "
                "written to disk: you can keep a key for this session only, or unlock or install a keyring "
                "and reopen this dialog."
            )
            self.keyring_label.setStyleSheet(_INFO_STYLE)
        self._update_visibility()

    def _refresh_key_state(self) -> None:
        profile = self._current
        if profile is None or not profile.needs_secret:
            return
        connection_id = profile.id
        self.key_state_label.setText("Looking for a stored key…")
        self._run(
            lambda ctx: self.credentials.where(connection_id),
            "Looking up the stored key",
            on_done=lambda where: self._show_key_state(connection_id, where),
            on_error=lambda error: self._show_key_state(connection_id, ""),
        )

    def _show_key_state(self, connection_id: str, where: str) -> None:
        if self._current is None or self._current.id != connection_id:
            return
        text = {
            "keyring": "A key is stored in the system keyring. Leave the field empty to keep it.",
            "session": "A key is kept for this session only. Leave the field empty to keep it.",
        }.get(where, "No key is stored yet: paste the key from the portal.")
        self.key_state_label.setText(text)

    # ---- actions -----------------------------------------------------------------------------------------

    def save_current(self) -> None:
        """Validate and save the form; the typed key goes to the keyring in the background."""
        profile = self.form_profile()
        if profile is None:
            return
        problems = validate_profile(profile)
        if problems:
            self._show_failure(UserError("The connection cannot be saved yet.", " ".join(problems)))
            return
        key = self.key_edit.text().strip()
        session_only = self.session_only_check.isVisible() and self.session_only_check.isChecked()
        if key and profile.needs_secret:
            self.save_button.setEnabled(False)
            self._run(
                lambda ctx: self.credentials.set_secret(profile.id, key, session_only=session_only),
                "Storing the API key",
                on_done=lambda where: self._finish_save(profile, where),
                on_error=self._on_secret_error,
            )
        else:
            self._finish_save(profile, "")

    def _finish_save(self, profile: ConnectionProfile, where: str) -> None:
        self.save_button.setEnabled(True)
        try:
            self.store.save(profile)
        except UserError as error:
            self._show_failure(error)
            return
        self.key_edit.clear()
        self._current = profile
        self.reload(profile.id)
        message = f"Saved '{profile.name}'."
        if where == "keyring":
            message += " The key is in the system keyring."
        elif where == "session":
            message += " The key is kept for this session only."
        self._show_success(message)
        self.connectionsChanged.emit(profile.id)

    def _on_secret_error(self, error: BaseException) -> None:
        self.save_button.setEnabled(True)
        if isinstance(error, KeyringUnavailable):
            self.session_only_check.setVisible(True)
        self._handle_error(error)

    def test_current(self) -> None:
        """Reach the service with the form's settings (and the typed key, if any) and report."""
        profile = self.form_profile()
        if profile is None:
            return
        problems = validate_profile(profile)
        if problems:
            self._show_failure(UserError("The connection cannot be tested yet.", " ".join(problems)))
            return
        key = self.key_edit.text().strip() or None
        factory = self.provider_factory
        self.test_button.setEnabled(False)
        self._show_info(f"Testing {profile.host}…")

        credentials = self.credentials

        def work(ctx: TaskContext) -> ConnectionReport:
            if profile.needs_secret:
                secret = key or credentials.require_secret(profile.id, profile.name)
                provider = factory(profile, api_key=secret)
            else:
                provider = factory(profile)
            return provider.test_connection()

        self._run(
            work,
            f"Testing {profile.name or 'the connection'}",
            on_done=self._on_tested,
            on_error=self._on_test_error,
        )

    def _on_tested(self, report: ConnectionReport) -> None:
        self.test_button.setEnabled(True)
        self.last_report = report
        self.last_error = None
        self._show_success(report.summary())

    def _on_test_error(self, error: BaseException) -> None:
        self.test_button.setEnabled(True)
        self._handle_error(error)

    def sign_in_current(self) -> None:
        """Sign in with Microsoft Entra ID (browser or device code) in the background."""
        profile = self.form_profile()
        if profile is None or not profile.auth_method.is_entra:
            return
        bridge = self._device_bridge
        authenticator = self.authenticator
        self._show_info("Waiting for the sign-in to finish in your browser…")
        self._run(
            lambda ctx: authenticator.sign_in(profile, device_code_prompt=bridge.prompt),
            "Signing in",
            on_done=lambda signed: self._show_success(
                "Signed in."
                + (
                    ""
                    if signed.persistent
                    else " The sign-in is kept for this session only (no protected cache)."
                )
            ),
            on_error=self._handle_error,
        )

    def _show_device_code(self, uri: str, code: str) -> None:
        self._show_info(f"Open {uri} and enter the code {code} to sign in.")

    def sign_out_current(self) -> None:
        """Forget the Entra ID sign-in of this connection."""
        profile = self._current
        if profile is None:
            return
        self.authenticator.sign_out(profile.id)
        self._show_success("Signed out. You will be asked to sign in again next time.")

    def make_default(self) -> None:
        """Make the selected (saved) connection the default one."""
        profile = self._current
        if profile is None or profile.id not in {p.id for p in self.store.list()}:
            return
        self.store.set_default(profile.id)
        self.reload(profile.id)
        self.connectionsChanged.emit(profile.id)

    def delete_current(self, *, confirm: bool = True) -> None:
        """Delete the selected connection and its stored key (asks first unless ``confirm`` is False)."""
        profile = self._current
        if profile is None:
            return
        if confirm:
            box = QMessageBox(
                QMessageBox.Icon.Question,
                "Delete connection",
                f"Delete the connection '{profile.name or 'unnamed'}' and its stored key?",
                QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
                self,
            )
            box.setObjectName("confirmDelete")
            box.button(QMessageBox.StandardButton.Yes).clicked.connect(
                lambda: self.delete_current(confirm=False)
            )
            box.open()
            return
        connection_id = profile.id
        authenticator = self.authenticator

        def work(ctx: TaskContext) -> None:
            self.credentials.delete_secret(connection_id)
            authenticator.sign_out(connection_id)

        def done(_result: object) -> None:
            self.store.delete(connection_id)
            self._current = None
            self.reload()
            self.connectionsChanged.emit(connection_id)

        self._run(work, "Deleting the connection", on_done=done, on_error=self._handle_error)

    # ---- messages ----------------------------------------------------------------------------------------

    def _handle_error(self, error: BaseException) -> None:
        if isinstance(error, UserError):
            self._show_failure(error)
        else:
            present_error(self, error, "Connections")

    def _show_failure(self, error: UserError) -> None:
        self.last_error = error
        text = error.message + (f"\n\nWhat to do: {error.hint}" if error.hint else "")
        self.result_label.setText(text)
        self.result_label.setStyleSheet(_BAD_STYLE)
        self.result_label.setVisible(True)

    def _show_success(self, text: str) -> None:
        self.result_label.setText(text)
        self.result_label.setStyleSheet(_OK_STYLE)
        self.result_label.setVisible(True)

    def _show_info(self, text: str) -> None:
        self.result_label.setText(text)
        self.result_label.setStyleSheet(_INFO_STYLE)
        self.result_label.setVisible(True)

    def wait_for_tasks(self, timeout: float = 30.0) -> bool:
        """Wait until the dialog's background work has finished (tests, closing)."""
        return task_runner().wait_all(timeout)
