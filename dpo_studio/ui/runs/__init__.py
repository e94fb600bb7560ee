"""Runs: every fine-tuning job of every connection, live charts, checkpoints, events, actions and compare."""

from dpo_studio.ui.runs.tab import RunsTab

__all__ = ["RunsTab"]
