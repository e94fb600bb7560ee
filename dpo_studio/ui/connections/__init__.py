"""Connections: add, edit, delete and test where fine-tuning jobs run."""

from dpo_studio.ui.connections.dialog import ConnectionsDialog

__all__ = ["ConnectionsDialog"]
