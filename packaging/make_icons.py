"""Render the application icon from its SVG source into every size and format the installers need.

    .venv/bin/python packaging/make_icons.py

Writes, next to ``resources/icons/dpo-studio.svg``:

- ``hicolor/<N>x<N>/apps/dpo-studio.png`` for the freedesktop icon theme (Linux .deb, window icon);
- ``dpo-studio.ico`` (Windows: exe, installer, Start menu), PNG-compressed entries 16-256 px;
- ``dpo-studio.icns`` (macOS .app), PNG entries 16-1024 px.

The outputs are committed, so platform builds need neither this script nor any image tool. Rendering
uses Qt's own SVG renderer (PySide6 is already a dependency); the .ico and .icns containers are
written by the small writers below instead of adding Pillow, because both formats are just a header
and a table of embedded PNG files.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ICON_DIR = Path(__file__).resolve().parents[1] / "resources" / "icons"
SOURCE = ICON_DIR / "dpo-studio.svg"
NAME = "dpo-studio"

#: Sizes installed into the hicolor theme (the freedesktop icon theme spec lists these as common).
HICOLOR_SIZES = (16, 22, 24, 32, 48, 64, 128, 256, 512)
#: Sizes in the Windows .ico (256 is the largest the format can describe).
ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)
#: macOS icon types holding PNG data, with their pixel size (the @2x types double the point size).
ICNS_TYPES = (
    (b"icp4", 16),
    (b"icp5", 32),
    (b"ic11", 32),  # 16 pt @2x
    (b"icp6", 64),
    (b"ic12", 64),  # 32 pt @2x
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic13", 256),  # 128 pt @2x
    (b"ic09", 512),
    (b"ic14", 512),  # 256 pt @2x
    (b"ic10", 1024),  # 512 pt @2x
)


def render_png(svg: Path, size: int) -> bytes:
    """The SVG rendered to a square, transparent PNG of ``size`` pixels."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer

    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise SystemExit(f"{svg}: not a valid SVG file")
    image = QImage(size, size, QImage.Format.Format_ARGB32)
    image.fill(Qt.GlobalColor.transparent)
    painter = QPainter(image)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
    renderer.render(painter)
    painter.end()
    data = QByteArray()
    buffer = QBuffer(data)
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    if not image.save(buffer, "PNG"):
        raise SystemExit(f"could not encode a {size} px PNG")
    buffer.close()
    return bytes(data.data())


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """A Windows .ico holding one PNG per size (PNG entries are valid since Windows Vista)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))  # reserved, type 1 = icon, image count
    offset = len(header) + 16 * len(sizes)
    directory = b""
    for size in sizes:
        data = pngs[size]
        side = 0 if size >= 256 else size  # 0 means 256 in the one-byte width/height fields
        directory += struct.pack("<BBBBHHII", side, side, 0, 0, 1, 32, len(data), offset)
        offset += len(data)
    return header + directory + b"".join(pngs[size] for size in sizes)


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """A macOS .icns: the ``icns`` magic and total length, then (type, length, PNG data) entries."""
    body = b"".join(kind + struct.pack(">I", 8 + len(pngs[size])) + pngs[size] for kind, size in ICNS_TYPES)
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def write_if_changed(path: Path, data: bytes) -> None:
    """Write ``data`` unless the file already holds it (keeps git status and timestamps quiet)."""
    if path.exists() and path.read_bytes() == data:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    print(f"wrote {path.relative_to(ICON_DIR.parents[1])} ({len(data):,} bytes)")


def main() -> int:
    """Render every size and write the PNG, ICO and ICNS files."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    needed = set(HICOLOR_SIZES) | set(ICO_SIZES) | {size for _, size in ICNS_TYPES}
    pngs = {size: render_png(SOURCE, size) for size in sorted(needed)}
    for size in HICOLOR_SIZES:
        write_if_changed(ICON_DIR / "hicolor" / f"{size}x{size}" / "apps" / f"{NAME}.png", pngs[size])
    write_if_changed(ICON_DIR / f"{NAME}.ico", ico_bytes({size: pngs[size] for size in ICO_SIZES}))
    write_if_changed(ICON_DIR / f"{NAME}.icns", icns_bytes(pngs))
    return 0


if __name__ == "__main__":
    sys.exit(main())
