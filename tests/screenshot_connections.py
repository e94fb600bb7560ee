"""Screenshots of the connections dialog in four states, against the local API server.

    QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1440x900x24" \\
        .venv/bin/python -m tests.screenshot_connections screenshots

Secrets are an in-memory keyring's (then keyring's own "fail" backend); nothing touches the real profile.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path


def main(out: Path) -> None:
    """Write connections-*.png into ``out``."""
    os.environ["DPO_STUDIO_HOME"] = tempfile.mkdtemp(prefix="dpo-shots-")
    import keyring
    from keyring.backends import fail
    from PySide6.QtWidgets import QApplication

    from dpo_studio.services.connections import AuthMethod, ConnectionStore, ProviderKind, new_profile
    from dpo_studio.services.credentials import CredentialStore
    from dpo_studio.services.entra import EntraAuthenticator
    from dpo_studio.ui import theme
    from dpo_studio.ui.connections import ConnectionsDialog
    from dpo_studio.ui.tasks import task_runner
    from tests.apiserver.server import ApiServer
    from tests.keyring_backends import MemoryKeyring

    app = QApplication([])
    apply = getattr(theme, "apply_theme", None)
    if callable(apply):
        apply(app)

    def settle() -> None:
        for _ in range(1000):
            app.processEvents()
            if not task_runner().running():
                break
            time.sleep(0.01)
        app.processEvents()

    out.mkdir(parents=True, exist_ok=True)
    server = ApiServer(style="azure").start()
    try:
        keyring.set_keyring(MemoryKeyring())
        store, credentials = ConnectionStore(), CredentialStore()
        azure = new_profile("Work Azure (Sweden Central)", ProviderKind.AZURE_OPENAI, server.base_url)
        store.save(azure)
        credentials.set_secret(azure.id, server.api_key)
        foundry = new_profile(
            "Foundry research project",
            ProviderKind.FOUNDRY_PROJECT,
            "https://contoso.services.ai.azure.com/api/projects/dpo-research",
            AuthMethod.ENTRA_BROWSER,
        )
        store.save(foundry)
        legacy = new_profile("OpenAI (legacy)", ProviderKind.OPENAI, "")
        store.save(legacy)

        dialog = ConnectionsDialog(store=store, credentials=credentials, authenticator=EntraAuthenticator())
        dialog.show()
        settle()
        dialog.select(azure.id)
        settle()
        dialog.test_button.click()
        settle()
        dialog.grab().save(str(out / "connections-tested.png"))
        dialog.select(foundry.id)
        settle()
        dialog.grab().save(str(out / "connections-foundry.png"))
        dialog.select(legacy.id)
        settle()
        dialog.test_button.click()
        settle()
        dialog.grab().save(str(out / "connections-openai-failed.png"))
        dialog.close()

        keyring.set_keyring(fail.Keyring())
        second = ConnectionsDialog(
            store=store, credentials=CredentialStore(), authenticator=EntraAuthenticator()
        )
        second.show()
        settle()
        second.add_connection()
        second.kind_combo.setCurrentIndex(second.kind_combo.findData(ProviderKind.CUSTOM.value))
        second.name_edit.setText("Local gateway")
        second.endpoint_edit.setText("http://127.0.0.1:8765/v1")
        second.key_edit.setText("x" * 24)
        second.save_button.click()
        settle()
        second.grab().save(str(out / "connections-no-keyring.png"))
    finally:
        server.stop()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots"))
