"""A tab whose page is built the first time it is needed: shown, or asked for by code.

Fine-tune, Runs and Evaluate pull in the provider SDKs (``openai``, ``azure.identity`` and their
dependencies, about 90 MB) and start timers; most sessions only edit a dataset. The main window adds them
with :class:`LazyTab`: a light placeholder sits in the tab bar until the tab becomes current (click,
View ▸ shortcut, :meth:`MainWindow.show_tab`) or code asks for the page. The window calls :meth:`ensure`
from ``QTabWidget.currentChanged``, which Qt emits before the new page paints, so the placeholder is never
seen empty. If building fails, the error goes to the one error presenter and the placeholder says so, with
a Try again button.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable
from types import MethodType

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QHBoxLayout, QPushButton, QTabWidget, QWidget

from dpo_studio.ui.empty_state import EmptyState
from dpo_studio.ui.errors import present_error


class TabPlaceholder(EmptyState):
    """What stands in the tab bar for a page not built yet; it says something only when building failed."""

    def __init__(self, title: str, parent: QWidget | None = None) -> None:
        super().__init__(parent=parent)
        self.setObjectName("tabPlaceholder")
        row = QHBoxLayout()
        row.addStretch(1)
        self.retry_button = QPushButton("Try again")
        self.retry_button.hide()
        row.addWidget(self.retry_button)
        row.addStretch(1)
        self.column.addSpacing(self.line_height())
        self.column.addLayout(row)
        self.column.addStretch(3)
        self.tab_title = title

    def show_failure(self) -> None:
        """Building the page failed (the error was presented): say so and offer to try again."""
        self.title.setText(f"{self.tab_title} could not be opened")
        self.hint.setText("The problem was shown in a message. Try again once it is fixed.")
        self.retry_button.show()


class LazyTab:
    """One tab of ``tabs`` whose page ``build()`` makes on first need; the page then takes the placeholder's
    index (and title) in the tab bar.

    A bound method as ``build`` is held weakly: the window keeps its lazy tabs, and a strong reference back
    to the window would make a cycle that only Python's cyclic collector frees, which may run on a worker
    thread and destroy the window's Qt objects there (see :mod:`dpo_studio.ui.gc`).
    """

    def __init__(self, tabs: QTabWidget, title: str, build: Callable[[], QWidget]) -> None:
        self.tabs = tabs
        self.title = title
        self._build: Callable[[], Callable[[], QWidget] | None] = (
            weakref.WeakMethod(build) if isinstance(build, MethodType) else (lambda: build)
        )
        self.placeholder = TabPlaceholder(title)
        self.placeholder.retry_button.clicked.connect(self._retry)
        self.page: QWidget | None = None
        #: The last build failed: showing the tab again does not retry (Try again or code asking does).
        self.failed = False
        self._building = False

    @property
    def widget(self) -> QWidget:
        """What the tab bar holds for this tab now: the page once built, else the placeholder."""
        return self.page if self.page is not None else self.placeholder

    def shown(self) -> None:
        """The placeholder became the current tab: build the page (unless the last attempt failed)."""
        if self.page is None and not self.failed:
            self.ensure()

    def ensure(self) -> QWidget | None:
        """The page, built now if need be; None if building failed (the error was presented)."""
        if self.page is not None:
            return self.page
        if self._building:  # the page's own construction asked for it
            return None
        build = self._build()
        if build is None:  # its owner is gone
            return None
        self._building = True
        QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            page = build()
        except Exception as error:  # shown by the presenter; the placeholder says what happened
            self.failed = True
            self.placeholder.show_failure()
            present_error(self.tabs.window(), error, f"Opening the {self.title} tab")
            return None
        finally:
            QApplication.restoreOverrideCursor()
            self._building = False
        self.page = page
        self.failed = False
        self._swap(page)
        return page

    def _swap(self, page: QWidget) -> None:
        """Put ``page`` where the placeholder is. It goes in next to it first and becomes current before the
        placeholder leaves, so no other tab is shown (or started) in between."""
        tabs = self.tabs
        index = tabs.indexOf(self.placeholder)
        if index < 0:
            return
        current = tabs.currentIndex() == index
        tabs.insertTab(index + 1, page, self.title)
        tabs.setTabToolTip(index + 1, tabs.tabToolTip(index))
        if current:
            tabs.setCurrentIndex(index + 1)
        tabs.removeTab(index)
        self.placeholder.hide()
        self.placeholder.deleteLater()

    def _retry(self) -> None:
        self.ensure()
