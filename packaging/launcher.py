"""Entry point of the frozen executables (PyInstaller runs this file; it is not part of the package).

One analysis produces two executables from this script, as in the source install's entry points:
``dpo-studio-gui`` (windowed on Windows/macOS) starts the app, ``dpo-studio`` is the command line,
which starts the app too when given no command. Both accept ``--smoke-test``.
"""

import sys
from pathlib import Path

if __name__ == "__main__":
    if Path(sys.executable).stem.lower().endswith("-gui"):
        from dpo_studio.app import main as gui_main

        sys.exit(gui_main(sys.argv[1:]))
    from dpo_studio.cli import main as cli_main

    sys.exit(cli_main(sys.argv[1:]))
