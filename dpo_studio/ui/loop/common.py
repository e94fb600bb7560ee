"""Pieces the playground, the blind evaluation and the pair generator share: choosing a model on a
connection, landing new pairs in the open dataset (undoably, shown in the editor), and small labels."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QComboBox, QFrame, QHBoxLayout, QLabel, QScrollArea, QWidget

from dpo_studio.core.records import PreferenceRecord
from dpo_studio.services.connections import ConnectionProfile, ConnectionStore, ProviderKind
from dpo_studio.services.generation import ChatGenerator, open_generator
from dpo_studio.services.settings import settings
from dpo_studio.ui.session import DocumentSession
from dpo_studio.ui.tasks import TaskContext, task_runner

#: Settings section remembering the model names typed or deployed, per connection.
SECTION = "loop_models"


@dataclass
class RememberedModels:
    """Model and deployment names used per connection (suggested in the pickers next time)."""

    by_connection: dict[str, list[str]] = dataclasses.field(default_factory=dict)
    #: Azure: connection id -> {model or checkpoint id: deployment name} for deployments made in the app.
    deployments: dict[str, dict[str, str]] = dataclasses.field(default_factory=dict)


def remember_model(connection_id: str, name: str) -> None:
    """Add ``name`` to the connection's suggestions (most recent first, at most 20)."""
    if not name.strip():
        return
    store = settings()
    section = store.load(SECTION, RememberedModels)
    names = [n for n in section.by_connection.get(connection_id, []) if n != name]
    section.by_connection[connection_id] = [name, *names][:20]
    store.save(SECTION, section)


def remember_deployment(connection_id: str, model: str, deployment: str) -> None:
    """Note that ``model`` is deployed as ``deployment`` on this connection (and suggest the name)."""
    store = settings()
    section = store.load(SECTION, RememberedModels)
    section.deployments.setdefault(connection_id, {})[model] = deployment
    store.save(SECTION, section)
    remember_model(connection_id, deployment)


def deployment_for(connection_id: str, model: str) -> str:
    """The deployment made for ``model`` on this connection ("" when none is known)."""
    return settings().load(SECTION, RememberedModels).deployments.get(connection_id, {}).get(model, "")


def remembered_models(connection_id: str) -> list[str]:
    """The names used with this connection before, most recent first."""
    return list(settings().load(SECTION, RememberedModels).by_connection.get(connection_id, []))


#: Builds the chat generator of a connection (off the GUI thread). Tests may replace it.
GeneratorFactory = Callable[[ConnectionProfile], ChatGenerator]


def default_generator_factory(profile: ConnectionProfile) -> ChatGenerator:
    """The app's generator for a saved connection."""
    return open_generator(profile)


@dataclass(frozen=True)
class ModelTarget:
    """A chosen connection and the name sent as ``model`` (a model id, or a deployment name on Azure)."""

    profile: ConnectionProfile
    model: str

    @property
    def label(self) -> str:
        """How the model is named to people."""
        return self.model


def scrollable(page: QWidget) -> QScrollArea:
    """``page`` in a frameless scroll area, so a tall form never sets the main window's minimum height."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setFrameShape(QFrame.Shape.NoFrame)
    area.setWidget(page)
    return area


class ModelPicker(QWidget):
    """A connection and a model (or deployment) name, with suggestions loaded in the background."""

    #: The choice changed.
    changed = Signal()

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        if title:
            label = QLabel(title)
            font = label.font()
            font.setBold(True)
            label.setFont(font)
            layout.addWidget(label)
        self.connection_combo = QComboBox()
        # Sized by a few characters, not by the longest name, so two pickers side by side fit a small screen
        # (the full name is in the popup and the tooltip).
        self.connection_combo.setMinimumContentsLength(10)
        self.connection_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.connection_combo.setToolTip("The connection the model is called through")
        self.model_combo = QComboBox()
        self.model_combo.setEditable(True)
        self.model_combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.model_combo.setMinimumContentsLength(14)
        self.model_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        # Both grow with the window (the model name twice as much); neither needs its full text to fit.
        layout.addWidget(self.connection_combo, 1)
        layout.addWidget(self.model_combo, 2)
        self._profiles: list[ConnectionProfile] = []
        self._loading: Any = None
        self._suggested: set[str] = set()  # connections whose models were listed already
        self.connection_combo.currentIndexChanged.connect(self._connection_changed)
        self.model_combo.currentTextChanged.connect(lambda _t: self.changed.emit())
        self.reload_connections()

    # ---- connections --------------------------------------------------------------------------------

    def showEvent(self, event: QShowEvent) -> None:
        """Pick up connections added or removed since (under Connections) when shown again."""
        super().showEvent(event)
        if [p.id for p in ConnectionStore().list()] != [p.id for p in self._profiles]:
            self.reload_connections()

    def reload_connections(self) -> None:
        """Read the saved connections again (keeps the current choice when it still exists)."""
        current = self.profile.id if self.profile else ConnectionStore().default_id()
        self._profiles = ConnectionStore().list()
        self.connection_combo.blockSignals(True)
        self.connection_combo.clear()
        for profile in self._profiles:
            self.connection_combo.addItem(profile.name, profile.id)
        if not self._profiles:
            self.connection_combo.addItem("No connection — add one under Connections", "")
        index = max(0, self.connection_combo.findData(current))
        self.connection_combo.setCurrentIndex(index)
        self.connection_combo.blockSignals(False)
        self._connection_changed()

    @property
    def profile(self) -> ConnectionProfile | None:
        """The chosen connection (None when there is none)."""
        index = self.connection_combo.currentIndex() if hasattr(self, "connection_combo") else -1
        if 0 <= index < len(self._profiles):
            return self._profiles[index]
        return None

    def set_connection(self, connection_id: str) -> None:
        """Choose a connection by id (ignored when unknown)."""
        index = self.connection_combo.findData(connection_id)
        if index >= 0:
            self.connection_combo.setCurrentIndex(index)

    # ---- models -------------------------------------------------------------------------------------

    @property
    def model(self) -> str:
        """The typed or chosen model / deployment name."""
        return self.model_combo.currentText().strip()

    def set_model(self, name: str) -> None:
        """Put ``name`` in the model box."""
        self.model_combo.setEditText(name)

    def target(self) -> ModelTarget | None:
        """The choice, or None when no connection or no model is chosen."""
        profile = self.profile
        if profile is None or not self.model:
            return None
        return ModelTarget(profile, self.model)

    def _connection_changed(self, *_args: object) -> None:
        profile = self.profile
        # The box may be narrower than the name: the tooltip always has it whole.
        self.connection_combo.setToolTip(
            f"The connection the model is called through: {self.connection_combo.currentText()}"
        )
        typed = self.model
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        if profile is not None:
            self.model_combo.addItems(remembered_models(profile.id))
            azure = profile.provider_kind in (ProviderKind.AZURE_OPENAI, ProviderKind.FOUNDRY_PROJECT)
            edit = self.model_combo.lineEdit()
            if edit is not None:
                edit.setPlaceholderText("Deployment name" if azure else "Model id (base or ft:…)")
            self.model_combo.setToolTip(
                "On Azure a model answers through a deployment: type the deployment's name."
                if azure
                else "A base model id or a fine-tuned model id (ft:…)."
            )
        self.model_combo.setEditText(typed)
        self.model_combo.blockSignals(False)
        self.changed.emit()

    def add_suggestions(self, names: Sequence[str]) -> None:
        """Offer more names (fine-tuned models of the connection's runs, listed models)."""
        present = {self.model_combo.itemText(i) for i in range(self.model_combo.count())}
        typed = self.model
        for name in names:
            if name and name not in present:
                self.model_combo.addItem(name)
                present.add(name)
        self.model_combo.setEditText(typed)

    def load_suggestions(self) -> None:
        """List the connection's models in the background (OpenAI-style servers; Azure lists none)."""
        profile = self.profile
        if profile is None or profile.provider_kind in (
            ProviderKind.AZURE_OPENAI,
            ProviderKind.FOUNDRY_PROJECT,
        ):
            return
        if profile.id in self._suggested:
            return
        self._suggested.add(profile.id)

        def work(_ctx: TaskContext) -> list[str]:
            from dpo_studio.services.providers import open_provider

            models = open_provider(profile).list_models()
            tuned = [m.id for m in models if m.fine_tuned]
            chat = [m.id for m in models if not m.fine_tuned and m.id.startswith(("gpt-", "o"))]
            return tuned + sorted(chat)

        # A connection that cannot be reached just gets no suggestions; typing still works.
        self._loading = task_runner().run(
            work, on_done=self.add_suggestions, on_error=lambda _e: None, description="Listing models"
        )


def dataset_system_message(session: DocumentSession) -> str:
    """The system message of the example in the editor, else of the first example ("" when none)."""
    document = session.document
    indices = [session.current] if session.current >= 0 else []
    indices += document.record_indices()[:1]
    for index in indices:
        record = document.record(index)
        if record is not None and record.system_prompt:
            return record.system_prompt
    return ""


def land_pairs(
    session: DocumentSession,
    records: Sequence[PreferenceRecord],
    text: str,
    *,
    window: QWidget | None = None,
) -> int:
    """Append ``records`` to the open dataset as one undo step and show the first in the pair editor.

    Opens a new dataset first when none is open. Returns the index of the first new entry.
    """
    if window is not None and getattr(window, "showing_empty_state", False):
        new_document = getattr(window, "new_document", None)
        if callable(new_document):
            new_document()
    first = len(session.document)
    session.insert_records(first, list(records), text)
    session.set_current(first)
    editor = getattr(window, "editor", None) if window is not None else None
    show_tab = getattr(window, "show_tab", None) if window is not None else None
    if editor is not None and callable(show_tab):
        show_tab(editor)
    return first


def secondary(label: QLabel) -> QLabel:
    """Make a label small and word-wrapped (explanations under controls)."""
    label.setWordWrap(True)
    font = label.font()
    font.setPointSizeF(font.pointSizeF() * 0.92)
    label.setFont(font)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
    return label
