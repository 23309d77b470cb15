"""`livret [--db X] [--demo]` is read without the sub-commands; anything else by argparse."""

from __future__ import annotations

import pytest

from livret.cli import _gui_only, build_parser


@pytest.mark.parametrize(
    "argv",
    [[], ["--db", "a.sqlite"], ["--db=postgresql://h/livret"], ["--demo"], ["--db", "x", "--demo"]],
)
def test_the_gui_options_read_as_argparse_reads_them(argv: list[str]) -> None:
    quick = _gui_only(argv)
    assert quick is not None
    full = build_parser().parse_args(argv)
    assert (quick.command, quick.demo, getattr(quick, "db", None)) == (
        full.command,
        full.demo,
        getattr(full, "db", None),
    )


@pytest.mark.parametrize(
    "argv",
    [["--db"], ["--db", "--demo"], ["--db="], ["db", "check"], ["--version"], ["--de"], ["-h"]],
)
def test_anything_else_goes_to_the_full_parser(argv: list[str]) -> None:
    assert _gui_only(argv) is None
