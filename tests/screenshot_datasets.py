"""Screenshots of the Datasets tab: a loaded dataset with findings, statistics, filters and the dialogs.

    QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1440x900x24" \\
        .venv/bin/python -m tests.screenshot_datasets screenshots
    DPO_STUDIO_THEME=dark ... (dark palette);  QT_SCALE_FACTOR=2 with a 2880x1800 screen (200 %)

Works on a temporary copy of the bundled sample dataset; nothing touches the real profile.
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path


def main(out: Path) -> None:
    """Write datasets-*.png into ``out`` (suffixed with the theme and scale)."""
    os.environ["DPO_STUDIO_HOME"] = tempfile.mkdtemp(prefix="dpo-shots-")
    from PySide6.QtWidgets import QApplication, QWidget

    from dpo_studio.core.dataset_index import ANY_FINDING
    from dpo_studio.core.detect import detect_dialect
    from dpo_studio.core.document import Document
    from dpo_studio.core.records import VALIDATION
    from dpo_studio.core.resources import resource_path
    from dpo_studio.ui import theme
    from dpo_studio.ui.datasets import DatasetsTab
    from dpo_studio.ui.datasets.dialect_dialog import DialectDialog
    from dpo_studio.ui.datasets.findings_panel import expand_group
    from dpo_studio.ui.session import DocumentSession
    from dpo_studio.ui.tasks import task_runner

    app = QApplication([])
    dark = theme.apply_theme(app)
    scale = os.environ.get("QT_SCALE_FACTOR", "1")
    suffix = ("-dark" if dark else "-light") + ("" if scale in ("", "1") else f"-x{scale}")

    def settle() -> None:
        for _ in range(3):
            task_runner().wait_all(60)
            for _ in range(30):
                app.processEvents()
                time.sleep(0.01)
        app.processEvents()

    def shot(widget: QWidget, name: str) -> None:
        settle()
        widget.grab().save(str(out / f"datasets-{name}{suffix}.png"))

    out.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="dpo-shots-data-"))
    copy = folder / "sample_dpo.jsonl"
    shutil.copyfile(resource_path("sample", "sample_dpo.jsonl"), copy)
    session = DocumentSession(journal=False)
    tab = DatasetsTab(session)
    tab.setWindowTitle("Datasets")
    tab.resize(1400, 860)
    tab.show()
    session.set_document(Document.open(copy))
    settle()
    tab.refresh_findings()
    if tab.findings_panel.model.groups:
        group = expand_group(tab.findings_panel, tab.findings_panel.model.groups[0].code)
        tab.findings_panel.view.setCurrentIndex(tab.findings_panel.model.index(0, 0, group))
    tab.select_entries([2, 3, 4])
    shot(tab, "table")
    tab.filter_bar.select(tab.filter_bar.finding, ANY_FINDING)
    shot(tab, "filtered")
    tab.filter_bar.clear()
    tab.filter_bar.text.setText("no example says this")
    shot(tab, "no-match")
    tab.filter_bar.clear()
    tab.side.setCurrentWidget(tab.stats_panel)
    shot(tab, "statistics")
    tab.side.setCurrentWidget(tab.findings_panel)

    tab.select_entries([1, 5])
    tab.tag_selected("tone")
    tab.set_split_selected(VALIDATION)
    export = tab.export_dataset()
    export.set_separate(True)
    export.set_dialect("openpipe")
    shot(export, "export")
    export.reject()
    split = tab.show_split_dialog()
    shot(split, "split")
    split.reject()

    ambiguous = folder / "mixed.jsonl"
    rows: list[dict[str, object]] = [
        {"prompt": f"Q{i}?", "chosen": "yes", "rejected": "no", "x": 1} for i in range(8)
    ]
    rows += [{"messages": [{"role": "user", "content": "hi"}], "note": "?"} for _ in range(8)]
    ambiguous.write_text("\n".join(json.dumps(row) for row in rows) + "\n", encoding="utf-8")
    dialog = DialectDialog(ambiguous, detect_dialect(ambiguous.read_bytes()), tab)
    dialog.show()
    shot(dialog, "format-choice")
    dialog.reject()

    session.set_document(Document.new())
    shot(tab, "new-empty")
    session.shutdown()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots"))
