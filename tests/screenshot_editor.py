"""Screenshots of the pair editor: empty state, a word diff, and an example with a fixable finding.

    QT_QPA_PLATFORM=xcb xvfb-run -a -s "-screen 0 1440x900x24" \\
        .venv/bin/python -m tests.screenshot_editor screenshots
    DPO_STUDIO_THEME=dark ... (dark palette);  QT_SCALE_FACTOR=2 with a 2880x1800 screen (200 %)

Works on a temporary copy of the bundled sample dataset; nothing touches the real profile.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

#: Sample examples shown: one whose answers share most words, one with a fixable finding (a
#: 'developer' role) whose answers differ.
DIFF_EXAMPLE = 7
FINDING_EXAMPLE = 38
#: A preferred answer that calls a tool, and a multi-turn context with a tool result.
TOOL_CALL_EXAMPLE = 16
TOOL_RESULT_EXAMPLE = 17


def main(out: Path) -> None:
    """Write editor-*.png into ``out`` (suffixed with the theme and scale)."""
    os.environ["DPO_STUDIO_HOME"] = tempfile.mkdtemp(prefix="dpo-shots-")
    from PySide6.QtWidgets import QApplication

    from dpo_studio.core.document import Document
    from dpo_studio.core.resources import resource_path
    from dpo_studio.ui import theme
    from dpo_studio.ui.editor import PairEditor
    from dpo_studio.ui.session import DocumentSession
    from dpo_studio.ui.tasks import task_runner

    app = QApplication([])
    dark = theme.apply_theme(app)
    scale = os.environ.get("QT_SCALE_FACTOR", "1")
    suffix = ("-dark" if dark else "-light") + ("" if scale in ("", "1") else f"-x{scale}")

    def settle() -> None:
        for _ in range(300):
            app.processEvents()
            if not task_runner().running():
                break
            time.sleep(0.01)
        time.sleep(0.3)  # debounced diff and findings
        app.processEvents()

    out.mkdir(parents=True, exist_ok=True)
    copy = Path(tempfile.mkdtemp(prefix="dpo-shots-data-")) / "sample_dpo.jsonl"
    shutil.copyfile(resource_path("sample", "sample_dpo.jsonl"), copy)
    session = DocumentSession(Document.open(copy), journal=False)
    editor = PairEditor(session)
    editor.setWindowTitle("Editor")
    editor.resize(1400, 860)
    editor.show()
    settle()
    editor.grab().save(str(out / f"editor-empty{suffix}.png"))
    session.set_current(DIFF_EXAMPLE)
    settle()
    editor.grab().save(str(out / f"editor-diff{suffix}.png"))
    session.set_current(FINDING_EXAMPLE)
    settle()
    editor.grab().save(str(out / f"editor-finding{suffix}.png"))
    session.set_current(TOOL_CALL_EXAMPLE)
    settle()
    editor.grab().save(str(out / f"editor-toolcall{suffix}.png"))
    session.set_current(TOOL_RESULT_EXAMPLE)
    settle()
    editor.grab().save(str(out / f"editor-multiturn{suffix}.png"))
    session.set_current(FINDING_EXAMPLE)
    editor.resize(760, 640)
    settle()
    editor.grab().save(str(out / f"editor-narrow{suffix}.png"))
    session.shutdown()

    # A file with a line cut short (as happens with copy and paste): the repair page.
    broken = copy.with_name("broken.jsonl")
    lines = copy.read_bytes().splitlines(keepends=True)
    lines[4] = lines[4][:120] + b"\n"
    broken.write_bytes(b"".join(lines))
    session = DocumentSession(Document.open(broken), journal=False)
    editor = PairEditor(session)
    editor.resize(1400, 860)
    editor.show()
    session.set_current(4)
    settle()
    editor.grab().save(str(out / f"editor-broken-line{suffix}.png"))
    session.shutdown()


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots"))
