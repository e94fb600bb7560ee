"""``python -m dpo_studio`` runs the command line."""

import sys

from dpo_studio.cli import main

sys.exit(main())
