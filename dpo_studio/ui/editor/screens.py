"""The pair editor's screens for ``python -m dpo_studio.ui.screenshots`` (found automatically)."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget

from dpo_studio.ui.screenshots import ScreenContext, screen
from dpo_studio.ui.session import DocumentSession


def _show_editor(ctx: ScreenContext, index: int) -> QWidget:
    from dpo_studio.ui.main_window import MainWindow

    window = ctx.window
    assert isinstance(window, MainWindow)
    window.session.set_current(index)
    if window.editor is not None:
        window.show_tab(window.editor)
    ctx.settle(1)
    return window


def _session(ctx: ScreenContext) -> DocumentSession:
    from dpo_studio.ui.main_window import MainWindow

    window = ctx.window
    assert isinstance(window, MainWindow)
    return window.session


@screen("editor-finding", "The pair editor: word differences and a finding with its fix button")
def _finding(ctx: ScreenContext) -> QWidget:
    ctx.open_sample()
    document = _session(ctx).document
    chosen = None
    for index in document.record_indices():
        record = document.record(index)
        findings = document.findings_for(index)
        if record is None or not findings or not (record.preferred_text and record.rejected_text):
            continue
        if chosen is None or any(f.fix is not None for f in findings):
            chosen = index
            if any(f.fix is not None for f in findings):
                break
    return _show_editor(ctx, chosen if chosen is not None else document.record_indices()[0])


@screen("editor-empty", "The Editor tab before an example is chosen")
def _empty(ctx: ScreenContext) -> QWidget:
    ctx.open_sample()
    return _show_editor(ctx, -1)


@screen("editor-tool-call", "An answer that calls a tool (shown readably, kept when the text is edited)")
def _tool_call(ctx: ScreenContext) -> QWidget:
    ctx.open_sample()
    document = _session(ctx).document
    chosen = document.record_indices()[0]
    for index in document.record_indices():
        record = document.record(index)
        if record is not None and any(message.get("tool_calls") for message in record.preferred):
            chosen = index
            break
    return _show_editor(ctx, chosen)


@screen("editor-broken-line", "A line that is not valid JSON: its finding and the repair box")
def _broken_line(ctx: ScreenContext) -> QWidget:
    lines = ctx.sample.read_bytes().splitlines(keepends=True)
    lines[4] = lines[4][:120] + b"\n"  # cut short, as a bad copy and paste leaves it
    ctx.sample.write_bytes(b"".join(lines))
    ctx.open_sample()
    return _show_editor(ctx, 4)
