"""The side-by-side pair editor (prompt on top, preferred and rejected answers side by side)."""

from dpo_studio.ui.editor.pair_editor import SHORTCUTS, PairEditor

__all__ = ["SHORTCUTS", "PairEditor"]
