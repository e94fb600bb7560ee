"""The ``dpo-studio`` command line: headless commands over the core."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from dpo_studio import __version__
from dpo_studio.core.dataset import Dataset, DatasetReadError
from dpo_studio.core.findings import Severity

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="dpo-studio",
        description="Prepare, check and convert DPO preference datasets.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command")
    validate = sub.add_parser("validate", help="check files the way OpenAI and Azure will")
    validate.add_argument("files", nargs="+", help="JSONL or JSON files to check")
    validate.add_argument("--dialect", help="skip detection and read the files in this dialect")
    return parser


def cmd_validate(args: argparse.Namespace) -> int:
    """Print every finding of each file; exit 1 if any is an error."""
    worst = EXIT_CLEAN
    for name in args.files:
        try:
            dataset = Dataset.open(name, args.dialect)
        except DatasetReadError as error:
            print(f"dpo-studio: {error}", file=sys.stderr)
            return EXIT_USAGE
        findings = dataset.read_findings()
        for index in dataset.record_indices():
            _record, issues = dataset.parse_entry(index)
            for problem in issues:
                print(f"{name}: line {dataset.entries[index].line}: {problem.code}: {problem.message}")
                if problem.severity is Severity.ERROR:
                    worst = EXIT_FINDINGS
        for finding in findings:
            print(f"{name}: {finding.describe()}")
            if finding.severity is Severity.ERROR:
                worst = EXIT_FINDINGS
        print(f"{name}: {len(dataset.record_indices())} examples, {dataset.dialect.label}")
    return worst


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dpo-studio`` console command."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command == "validate":
        return cmd_validate(args)
    parser.print_help()
    return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
