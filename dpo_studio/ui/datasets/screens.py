"""The Datasets tab's screens for ``python -m dpo_studio.ui.screenshots`` (found automatically).

The registry already has ``dataset`` (the table with findings) and ``stats`` (the statistics panel);
these add the filter states and the tab's dialogs.
"""

from __future__ import annotations

import json

from PySide6.QtWidgets import QWidget

from dpo_studio.ui.datasets.tab import DatasetsTab
from dpo_studio.ui.screenshots import ScreenContext, screen


def _tab(ctx: ScreenContext) -> DatasetsTab:
    from dpo_studio.ui.main_window import MainWindow

    window = ctx.window
    assert isinstance(window, MainWindow)
    tab = window.datasets_tab
    assert isinstance(tab, DatasetsTab)
    return tab


@screen("datasets-filtered", "The Datasets tab filtered to examples with findings, three rows selected")
def _filtered(ctx: ScreenContext) -> QWidget:
    from dpo_studio.core.dataset_index import ANY_FINDING

    ctx.open_sample()
    tab = _tab(ctx)
    tab.filter_bar.select(tab.filter_bar.finding, ANY_FINDING)
    tab.select_entries(tab.model.entries()[:3])
    ctx.settle(1)
    return tab.window()


@screen("datasets-no-match", "The Datasets tab when no example matches the filter")
def _no_match(ctx: ScreenContext) -> QWidget:
    ctx.open_sample()
    tab = _tab(ctx)
    tab.filter_bar.text.setText("no example says this")
    tab.filter_bar.text.returnPressed.emit()
    ctx.settle(1)
    return tab.window()


@screen("datasets-new-empty", "A new, empty dataset: what to do next")
def _new_empty(ctx: ScreenContext) -> QWidget:
    from dpo_studio.ui.main_window import MainWindow

    window = ctx.window
    assert isinstance(window, MainWindow)
    window.new_document()
    ctx.settle()
    return window


@screen("datasets-export", "The export dialog: separate files, and what OpenPipe cannot carry")
def _export(ctx: ScreenContext) -> QWidget:
    from dpo_studio.core.records import VALIDATION

    ctx.open_sample()
    tab = _tab(ctx)
    tab.select_entries([1, 5])
    tab.tag_selected("tone")
    tab.set_split_selected(VALIDATION)
    dialog = tab.export_dataset()
    dialog.set_separate(True)
    dialog.set_dialect("openpipe")
    ctx.settle()
    return dialog  # type: ignore[no-any-return]


@screen("datasets-split", "The split dialog: validation share, seed, grouped by prompt")
def _split(ctx: ScreenContext) -> QWidget:
    ctx.open_sample()
    dialog = _tab(ctx).show_split_dialog()
    ctx.settle(1)
    return dialog  # type: ignore[no-any-return]


@screen("datasets-format-choice", "Asked when the format of a file is unclear: a preview and a choice")
def _format_choice(ctx: ScreenContext) -> QWidget:
    from dpo_studio.core.detect import detect_dialect
    from dpo_studio.ui.datasets.dialect_dialog import DialectDialog

    path = ctx.folder / "mixed.jsonl"
    rows: list[dict[str, object]] = [
        {"prompt": f"Question {i}?", "chosen": "Yes.", "rejected": "No.", "source": "survey"}
        for i in range(8)
    ]
    rows += [{"messages": [{"role": "user", "content": "Hello"}], "label": "?"} for _ in range(8)]
    path.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    dialog = DialectDialog(path, detect_dialect(path.read_bytes()), _tab(ctx))
    dialog.show()
    ctx.settle(1)
    return dialog
