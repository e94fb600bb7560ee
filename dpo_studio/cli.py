"""The ``dpo-studio`` command line: headless commands over the core.

Exit codes: 0 clean, 1 errors were found in the data, 2 usage or I/O problems. Results go to stdout
(human-readable, or JSON with ``--json``); progress and problems with the command itself go to stderr.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from dpo_studio import __version__
from dpo_studio.core.errors import UserError

EXIT_CLEAN = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2

DEFAULT_MODEL = "gpt-4.1-mini-2025-04-14"
#: Files at least this large show progress on stderr.
PROGRESS_THRESHOLD = 20 * 1024 * 1024


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every subcommand."""
    parser = argparse.ArgumentParser(
        prog="dpo-studio",
        description=(
            "Prepare, check and convert DPO preference datasets. "
            "Run without a command (optionally with a FILE) to start the app."
        ),
        epilog="Exit codes: 0 clean, 1 errors found in the data, 2 usage or file problems.",
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def data_options(command: argparse.ArgumentParser) -> None:
        command.add_argument("--dialect", help="skip detection and read input in this dialect")
        command.add_argument("--json", action="store_true", help="print machine-readable JSON")

    def model_options(command: argparse.ArgumentParser) -> None:
        command.add_argument(
            "--provider",
            choices=("openai", "azure", "foundry"),
            default="azure",
            help="whose rules and prices to apply (default: azure)",
        )
        command.add_argument("--model", default=DEFAULT_MODEL, help=f"base model (default: {DEFAULT_MODEL})")

    validate = sub.add_parser("validate", help="check files the way OpenAI and Azure will")
    validate.add_argument("files", nargs="+", type=Path, help="JSONL or JSON files to check")
    validate.add_argument("--validation-file", type=Path, help="validation file, checked for overlap too")
    data_options(validate)
    model_options(validate)

    convert = sub.add_parser("convert", help="write a file in another dialect")
    convert.add_argument("source", type=Path, help="file to read")
    convert.add_argument("target", type=Path, help="file to write")
    convert.add_argument("--to", dest="to_dialect", default="openai_dpo", help="target dialect")
    convert.add_argument("--bom", action="store_true", help="start the output with a UTF-8 BOM")
    data_options(convert)

    stats = sub.add_parser("stats", help="counts, tokens, cost estimate and quality report")
    stats.add_argument("file", type=Path)
    stats.add_argument("--epochs", type=int, help="training epochs (default: the platform's auto rule)")
    stats.add_argument("--tier", help="training tier for the price (e.g. Standard, GlobalStandard)")
    data_options(stats)
    model_options(stats)

    split = sub.add_parser("split", help="deterministic train/validation split, grouped by prompt")
    split.add_argument("file", type=Path)
    split.add_argument("--ratio", type=float, default=0.1, help="share of prompts for validation")
    split.add_argument("--seed", type=int, default=0)
    split.add_argument("--train-out", type=Path, required=True, help="where to write training pairs")
    split.add_argument("--validation-out", type=Path, required=True, help="where to write validation")
    split.add_argument("--to", dest="to_dialect", default="openai_dpo", help="dialect of both outputs")
    split.add_argument("--resplit", action="store_true", help="ignore a split the file already has")
    data_options(split)
    return parser


# -- helpers -------------------------------------------------------------------------------------


def _progress_printer(label: str, size: int) -> Callable[[int, int], None] | None:
    """A progress callback writing a percentage to stderr, for large inputs only."""
    if size < PROGRESS_THRESHOLD:
        return None
    last = [-5]

    def report(done: int, total: int) -> None:
        percent = done * 100 // max(total, 1)
        if percent - last[0] >= 5 or (percent == 100 and last[0] != 100):
            last[0] = percent
            print(f"\r{label}: {percent}%", end="" if percent < 100 else "\n", file=sys.stderr, flush=True)

    return report


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _read(path: Path, dialect: str | None) -> tuple[bytes, Any]:
    """A file's bytes and its dialect (given, or detected with a note on stderr when unsure)."""
    from dpo_studio.core.dataset import read_file_bytes
    from dpo_studio.core.detect import detect_dialect
    from dpo_studio.core.dialects import get_dialect

    size = _file_size(path)
    if size >= PROGRESS_THRESHOLD:
        print(f"Reading {path.name} ({size / 1024 / 1024:,.0f} MB)...", file=sys.stderr, flush=True)
    chosen = None
    if dialect is not None:
        try:
            chosen = get_dialect(dialect)
        except KeyError as error:
            raise UserError(f"{error.args[0]}.", "Pass one of those names to --dialect.") from None
    data = read_file_bytes(path)
    if chosen is None:
        detection = detect_dialect(data)
        chosen = detection.dialect
        if not detection.certain:
            print(
                f"note: {path.name}: {detection.explanation} Read as {chosen.label}; "
                "choose another format with --dialect.",
                file=sys.stderr,
            )
    return data, chosen


def _open(path: Path, dialect: str | None) -> Any:
    """Read a dataset (see :func:`_read`)."""
    from dpo_studio.core.dataset import Dataset

    data, chosen = _read(path, dialect)
    return Dataset.from_bytes(data, chosen, path)


def _target_dialect(name: str) -> Any:
    from dpo_studio.core.dialects import get_dialect

    try:
        target = get_dialect(name)
    except KeyError as error:
        raise UserError(f"{error.args[0]}.", "Pass one of those names to --to.") from None
    if not target.writable:
        raise UserError(f"{target.label} files can be read but not written.", "Choose another --to dialect.")
    return target


def _note_losses(dataset: Any, target: Any) -> dict[str, int]:
    """Name on stderr what the target dialect cannot carry, before writing."""
    losses: dict[str, int] = dataset.conversion_losses(target)
    for loss, count in sorted(losses.items()):
        print(f"note: {target.label} cannot carry {loss}: {count} example(s) affected.", file=sys.stderr)
    return losses


def _print_json(value: object) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2))


def _finding_json(finding: Any) -> dict[str, Any]:
    return {
        "code": finding.code,
        "severity": finding.severity.value,
        "line": finding.line,
        "column": finding.column,
        "field": finding.field,
        "message": finding.message,
        "fix": finding.fix.label if finding.fix is not None else None,
    }


# -- commands ------------------------------------------------------------------------------------


def cmd_validate(args: argparse.Namespace) -> int:
    """Print every finding of each file; exit 1 if any is an error."""
    from dpo_studio.core.validation import open_and_validate, profile_for

    try:
        profile = profile_for(args.provider, args.model)
    except ValueError as error:
        raise UserError(str(error)) from None
    validation = _open(args.validation_file, args.dialect) if args.validation_file else None
    results = []
    worst = EXIT_CLEAN
    for path in args.files:
        data, dialect = _read(path, args.dialect)
        progress = _progress_printer(f"Checking {path.name}", len(data))
        dataset, report = open_and_validate(
            path, profile, dialect=dialect, data=data, validation=validation, progress=progress
        )
        errors, warnings = report.errors, report.warnings
        if errors:
            worst = EXIT_FINDINGS
        results.append(
            {
                "file": str(path),
                "dialect": dataset.dialect.name,
                "provider": profile.provider,
                "model": profile.model,
                "examples": report.example_count,
                "errors": errors,
                "warnings": warnings,
                "findings": [_finding_json(f) for f in report.findings],
            }
        )
        if not args.json:
            for finding in report.findings:
                fix = f" [fix: {finding.fix.label}]" if finding.fix is not None else ""
                print(f"{path}: {finding.describe()}{fix}")
            verdict = "no errors" if not errors else f"{errors} error(s)"
            print(
                f"{path}: {report.example_count} examples ({dataset.dialect.label}), "
                f"{verdict}, {warnings} warning(s) for {profile.model} on {profile.name}"
            )
    if args.json:
        _print_json(results if len(results) > 1 else results[0])
    return worst


def cmd_convert(args: argparse.Namespace) -> int:
    """Write the source file in the target dialect, naming first what cannot be carried."""
    from dpo_studio.core.atomicfile import atomic_write_chunks

    target = _target_dialect(args.to_dialect)
    dataset = _open(args.source, args.dialect)
    losses = _note_losses(dataset, target)
    unreadable = len(dataset.read_findings())
    if unreadable:
        print(
            f"note: {unreadable} unreadable line(s) copied unchanged; fix them before uploading.",
            file=sys.stderr,
        )
    atomic_write_chunks(args.target, dataset.iter_bytes(target, bom=args.bom))
    summary = {
        "source": str(args.source),
        "from": dataset.dialect.name,
        "target": str(args.target),
        "to": target.name,
        "examples": len(dataset.record_indices()),
        "unreadable_lines": unreadable,
        "losses": losses,
    }
    if args.json:
        _print_json(summary)
    else:
        print(f"Wrote {summary['examples']} examples to {args.target} as {target.label}.")
    return EXIT_CLEAN


def cmd_stats(args: argparse.Namespace) -> int:
    """Counts, tokens, cost estimate and quality report of one file."""
    from dpo_studio.core.statistics import dataset_statistics, format_statistics

    if args.epochs is not None and not 1 <= args.epochs <= 50:
        raise UserError("--epochs must be between 1 and 50.")
    dataset = _open(args.file, args.dialect)
    progress = _progress_printer(f"Counting tokens in {args.file.name}", _file_size(args.file))
    stats = dataset_statistics(
        dataset,
        provider=args.provider,
        model=args.model,
        epochs=args.epochs,
        tier=args.tier,
        progress=progress,
    )
    if args.json:
        _print_json(stats)
    else:
        print(format_statistics(stats))
    return EXIT_CLEAN


def cmd_split(args: argparse.Namespace) -> int:
    """Write training and validation files, never putting one prompt on both sides."""
    from dpo_studio.core.atomicfile import atomic_write_chunks
    from dpo_studio.core.dataset import Dataset
    from dpo_studio.core.records import VALIDATION
    from dpo_studio.core.split import split_records

    if not 0 < args.ratio < 1:
        raise UserError("--ratio must be between 0 and 1 (for example 0.1).")
    target = _target_dialect(args.to_dialect)
    dataset = _open(args.file, args.dialect)
    _note_losses(dataset, target)
    indices = dataset.record_indices()
    records = [dataset.record(i) for i in indices]
    sides = split_records(records, args.ratio, args.seed, keep_existing=not args.resplit)
    train = Dataset(dialect=target)
    validation = Dataset(dialect=target)
    for record, side in zip(records, sides, strict=True):
        record.split = None
        (validation if side == VALIDATION else train).append_record(record)
    atomic_write_chunks(args.train_out, train.iter_bytes(target))
    atomic_write_chunks(args.validation_out, validation.iter_bytes(target))
    unreadable = len(dataset.read_findings())
    summary = {
        "train": len(train),
        "validation": len(validation),
        "seed": args.seed,
        "ratio": args.ratio,
        "unreadable_lines_left_out": unreadable,
    }
    if args.json:
        _print_json(summary)
    else:
        print(
            f"{summary['train']} training and {summary['validation']} validation examples "
            f"(seed {args.seed}); written to {args.train_out} and {args.validation_out}."
        )
    if unreadable:
        print(
            f"dpo-studio: {unreadable} unreadable line(s) of {args.file} are in neither file; "
            "fix them and split again.",
            file=sys.stderr,
        )
        return EXIT_FINDINGS
    return EXIT_CLEAN


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "validate": cmd_validate,
    "convert": cmd_convert,
    "stats": cmd_stats,
    "split": cmd_split,
}


def wants_gui(arguments: Sequence[str]) -> bool:
    """No subcommand (nothing, a FILE to open, or GUI options): start the app instead of a command."""
    if not arguments:
        return True
    first = arguments[0]
    if first in COMMANDS or first in ("-h", "--help", "--version"):
        return False
    return first == "--smoke-test" or not first.startswith("-") or first == "--no-recovery"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``dpo-studio`` console command."""
    arguments = list(sys.argv[1:] if argv is None else argv)
    if wants_gui(arguments):
        from dpo_studio.app import main as gui_main

        return gui_main(arguments)
    parser = build_parser()
    args = parser.parse_args(arguments)
    command = COMMANDS.get(args.command or "")
    if command is None:
        parser.print_help()
        return EXIT_USAGE
    try:
        return command(args)
    except UserError as error:
        print(f"dpo-studio: {error}", file=sys.stderr)
        return EXIT_USAGE
    except BrokenPipeError:
        # The reader of our output went away (e.g. `| head`): stop without a traceback; the output was
        # not fully written, which is an I/O problem. Point stdout at devnull so the interpreter's
        # final flush does not complain about the closed pipe.
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("dpo-studio: interrupted.", file=sys.stderr)
        return EXIT_USAGE


if __name__ == "__main__":
    sys.exit(main())
