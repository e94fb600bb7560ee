"""Light and dark appearance following the system, on the Fusion style so every platform looks alike.

Fusion draws every widget from the palette, so switching the palette is all a theme change needs.
The scheme comes from ``QStyleHints.colorScheme()`` (the platform's light/dark setting) and follows
``colorSchemeChanged``. ``DPO_STUDIO_THEME=light|dark`` forces one (screenshots, accessibility).
Widgets that paint their own colours (diff highlights, charts) read :func:`is_dark` and listen to
:data:`theme_signals`'s ``changed``.
"""

from __future__ import annotations

import os

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication

THEME_VARIABLE = "DPO_STUDIO_THEME"


class _ThemeSignals(QObject):
    #: Emitted with True for dark after the palette changed.
    changed = Signal(bool)


theme_signals = _ThemeSignals()
_dark = False


def is_dark() -> bool:
    """Whether the dark palette is in use."""
    return _dark


def system_prefers_dark() -> bool:
    """The forced theme, else the platform's colour scheme."""
    forced = os.environ.get(THEME_VARIABLE, "").strip().lower()
    if forced in ("light", "dark"):
        return forced == "dark"
    hints = QGuiApplication.styleHints()
    return hints.colorScheme() == Qt.ColorScheme.Dark


def dark_palette() -> QPalette:
    """A calm dark palette with enough contrast for long reading."""
    palette = QPalette()
    window = QColor(0x2B, 0x2D, 0x31)
    base = QColor(0x1F, 0x21, 0x24)
    text = QColor(0xE6, 0xE6, 0xE6)
    disabled = QColor(0x80, 0x80, 0x80)
    highlight = QColor(0x3D, 0x7E, 0xD6)
    roles = {
        QPalette.ColorRole.Window: window,
        QPalette.ColorRole.WindowText: text,
        QPalette.ColorRole.Base: base,
        QPalette.ColorRole.AlternateBase: QColor(0x27, 0x29, 0x2D),
        QPalette.ColorRole.ToolTipBase: QColor(0x3A, 0x3C, 0x40),
        QPalette.ColorRole.ToolTipText: text,
        QPalette.ColorRole.PlaceholderText: QColor(0x9A, 0x9A, 0x9A),
        QPalette.ColorRole.Text: text,
        QPalette.ColorRole.Button: QColor(0x35, 0x37, 0x3B),
        QPalette.ColorRole.ButtonText: text,
        QPalette.ColorRole.BrightText: QColor(0xFF, 0x6B, 0x6B),
        QPalette.ColorRole.Link: QColor(0x6C, 0xA8, 0xFF),
        QPalette.ColorRole.LinkVisited: QColor(0xB0, 0x8C, 0xFF),
        QPalette.ColorRole.Highlight: highlight,
        QPalette.ColorRole.HighlightedText: QColor(0xFF, 0xFF, 0xFF),
        QPalette.ColorRole.Mid: QColor(0x45, 0x47, 0x4B),
        QPalette.ColorRole.Dark: QColor(0x18, 0x19, 0x1B),
        QPalette.ColorRole.Shadow: QColor(0x0E, 0x0E, 0x10),
        QPalette.ColorRole.Light: QColor(0x4A, 0x4C, 0x50),
        QPalette.ColorRole.Midlight: QColor(0x3C, 0x3E, 0x42),
    }
    for role, color in roles.items():
        palette.setColor(role, color)
    for role in (QPalette.ColorRole.Text, QPalette.ColorRole.ButtonText, QPalette.ColorRole.WindowText):
        palette.setColor(QPalette.ColorGroup.Disabled, role, disabled)
    return palette


def apply_theme(app: QApplication | None = None) -> bool:
    """Use Fusion with the palette for the system scheme; returns True when dark."""
    global _dark
    app = app or QApplication.instance()  # type: ignore[assignment]
    if not isinstance(app, QApplication):
        return False
    app.setStyle("Fusion")
    _dark = system_prefers_dark()
    app.setPalette(dark_palette() if _dark else app.style().standardPalette())
    theme_signals.changed.emit(_dark)
    return _dark


def follow_system_theme(app: QApplication) -> None:
    """Apply the theme now and again whenever the system switches between light and dark."""
    apply_theme(app)
    QGuiApplication.styleHints().colorSchemeChanged.connect(lambda _scheme: apply_theme(app))
