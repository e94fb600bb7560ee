"""``dpo-studio`` with no subcommand (nothing, or a FILE) starts the app; subcommands stay headless."""

from __future__ import annotations

from dpo_studio.app import build_parser
from dpo_studio.cli import wants_gui


def test_no_subcommand_starts_the_app() -> None:
    assert wants_gui([])
    assert wants_gui(["resources/sample/sample_dpo.jsonl"])
    assert wants_gui(["--no-recovery", "data.jsonl"])
    assert wants_gui(["--smoke-test"])


def test_subcommands_and_help_stay_on_the_command_line() -> None:
    for arguments in (
        ["validate", "x.jsonl"],
        ["convert", "a", "b"],
        ["stats", "x"],
        ["--help"],
        ["--version"],
    ):
        assert not wants_gui(arguments), arguments


def test_gui_arguments() -> None:
    args = build_parser().parse_args(["data.jsonl", "--no-recovery"])
    assert str(args.file) == "data.jsonl" and args.no_recovery
    assert build_parser().parse_args([]).file is None
