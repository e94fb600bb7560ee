"""Tell the user when a run finishes or fails: a desktop notification, else a status-bar message."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import QObject
from PySide6.QtGui import QIcon
from PySide6.QtWidgets import QApplication, QMainWindow, QSystemTrayIcon, QWidget

from dpo_studio.services.history import StatusChange
from dpo_studio.services.status import JobStatus


@dataclass(frozen=True)
class Notice:
    """One notification as sent."""

    title: str
    text: str
    via: str  # "tray" or "status bar"


def notice_text(change: StatusChange, connection_name: str = "") -> tuple[str, str]:
    """Title and body for a run that reached a final state."""
    job = change.job
    name = job.suffix or job.id
    where = f" on {connection_name}" if connection_name else ""
    if job.state is JobStatus.SUCCEEDED:
        model = f" Model: {job.fine_tuned_model}." if job.fine_tuned_model else ""
        return f"Run {name} succeeded", f"The fine-tuning job{where} finished.{model}"
    if job.state is JobStatus.FAILED:
        reason = f" {job.error_message}" if job.error_message else ""
        return f"Run {name} failed", f"The fine-tuning job{where} failed.{reason}"
    return f"Run {name} cancelled", f"The fine-tuning job{where} was cancelled."


class Notifier(QObject):
    """Sends notices through the system tray when there is one, else the window's status bar."""

    def __init__(self, widget: QWidget) -> None:
        super().__init__(widget)
        self._widget = widget
        self._tray: QSystemTrayIcon | None = None
        self.sent: list[Notice] = []

    def _tray_icon(self) -> QSystemTrayIcon | None:
        if not QSystemTrayIcon.isSystemTrayAvailable() or not QSystemTrayIcon.supportsMessages():
            return None
        if self._tray is None:
            icon = QApplication.windowIcon()
            self._tray = QSystemTrayIcon(icon if not icon.isNull() else QIcon(), self)
            self._tray.setToolTip("DPO Studio")
            self._tray.show()
        return self._tray

    def notify(self, title: str, text: str) -> Notice:
        """Show a notice now."""
        tray = self._tray_icon()
        if tray is not None:
            tray.showMessage(title, text, QSystemTrayIcon.MessageIcon.Information, 10_000)
            notice = Notice(title, text, "tray")
        else:
            window = self._widget.window()
            if isinstance(window, QMainWindow):
                window.statusBar().showMessage(f"{title}: {text}", 15_000)
            notice = Notice(title, text, "status bar")
        self.sent.append(notice)
        return notice

    def run_finished(self, change: StatusChange, connection_name: str = "") -> Notice:
        """Notify about a run that reached a final state."""
        title, text = notice_text(change, connection_name)
        return self.notify(title, text)
