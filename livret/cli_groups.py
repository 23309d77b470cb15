"""A command group of the CLI (`livret user …`, `livret learner …`): its parser and actions."""

from __future__ import annotations

import argparse
from typing import Any


def add_command_group(
    commands_subparsers: argparse._SubParsersAction[Any],
    common_parent: argparse.ArgumentParser,
    name: str,
    *,
    help: str,
    description: str,
) -> argparse._SubParsersAction[Any]:
    """Add `livret NAME ACTION …`; the action chosen is stored in `args.<name>_command`."""
    group = commands_subparsers.add_parser(name, help=help, description=description)
    return group.add_subparsers(
        dest=f"{name}_command",
        metavar="ACTION",
        required=True,
        parser_class=type(common_parent),  # the French parser of livret.cli
    )
