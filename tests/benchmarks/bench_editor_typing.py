"""Cost of one keystroke in the pair editor with long answers, and of the word diff that follows.

``QT_QPA_PLATFORM=offscreen python -m tests.benchmarks.bench_editor_typing`` prints, for answers of
1000 to 8000 words (paragraphs of 80 words): milliseconds per typed character (the edit going through
the session's undo stack, the document, and the editor's refresh), and milliseconds of the debounced
diff + highlight.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from pathlib import Path


def main() -> None:
    """Print the timings."""
    os.environ.setdefault("DPO_STUDIO_HOME", tempfile.mkdtemp(prefix="dpo-bench-"))
    from PySide6.QtGui import QTextCursor
    from PySide6.QtTest import QTest
    from PySide6.QtWidgets import QApplication

    from dpo_studio.core.document import Document
    from dpo_studio.core.records import PreferenceRecord
    from dpo_studio.ui.editor import PairEditor
    from dpo_studio.ui.session import DocumentSession

    app = QApplication.instance() or QApplication([])
    rng = random.Random(5)
    vocabulary = [f"word{i}" for i in range(4000)]
    weights = [1 / (i + 1) for i in range(4000)]
    print(f"{'words':>6} {'per keystroke':>14} {'diff+highlight':>15}")
    for words in (1000, 2000, 4000, 8000):
        chosen = rng.choices(vocabulary, weights, k=words)
        # Paragraphs of 80 words, as real answers have (one 8000-word paragraph costs Qt ~20 ms per
        # keystroke just to lay the paragraph out again).
        text = "\n\n".join(" ".join(chosen[i : i + 80]) for i in range(0, words, 80))
        edited = text.replace("word1 ", "WORD1 ", 20)
        record = PreferenceRecord(
            context=[{"role": "user", "content": "Summarise the report."}],
            preferred=[{"role": "assistant", "content": text}],
            rejected=[{"role": "assistant", "content": edited}],
        )
        path = Path(tempfile.mkdtemp()) / "long.jsonl"
        document = Document.new()
        document.insert(0, [record])
        document.save(path)
        session = DocumentSession(Document.open(path), journal=False)
        editor = PairEditor(session)
        editor.resize(1300, 800)
        editor.show()
        session.set_current(0)
        app.processEvents()
        box = editor.preferred.editor
        box.setFocus()
        box.moveCursor(QTextCursor.MoveOperation.End)
        typed = " and then some more words"
        start = time.perf_counter()
        QTest.keyClicks(box, typed)
        per_key = (time.perf_counter() - start) / len(typed) * 1000
        start = time.perf_counter()
        editor.refresh_differences()
        diff_ms = (time.perf_counter() - start) * 1000
        print(f"{words:>6} {per_key:>12.2f}ms {diff_ms:>13.1f}ms")
        session.shutdown()
        editor.close()
        editor.deleteLater()
        app.processEvents()


if __name__ == "__main__":
    main()
