"""Icons the Datasets tab shows for finding severities (the platform style's standard message icons)."""

from __future__ import annotations

from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QStyle

from dpo_studio.core.findings import Severity

_PIXMAPS = {
    Severity.ERROR: QStyle.StandardPixmap.SP_MessageBoxCritical,
    Severity.WARNING: QStyle.StandardPixmap.SP_MessageBoxWarning,
    Severity.INFO: QStyle.StandardPixmap.SP_MessageBoxInformation,
}
_CACHE: dict[Severity, QIcon] = {}


def severity_icon(severity: Severity) -> QIcon:
    """The icon for ``severity`` (made once; the style's icons are cheap to keep)."""
    icon = _CACHE.get(severity)
    if icon is None:
        style = QApplication.style()
        icon = style.standardIcon(_PIXMAPS[severity]) if style is not None else QIcon()
        _CACHE[severity] = icon
    return icon
