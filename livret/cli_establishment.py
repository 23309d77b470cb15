"""`livret establishment show|set`: the name, UAI, city and logo printed on every bilan PDF.

Whoever holds the database runs these commands as an Administrateur (as `livret user`).
`set` changes only what it is given: `--uai ""` or `--city ""` clears that field,
`--no-logo` removes the logo.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from livret.cli_groups import add_command_group
from livret.cli_users import command_line_actor
from livret.domain.errors import ValidationError

if TYPE_CHECKING:
    from livret.services.establishment import EstablishmentInfo

ACTIONS = ("show", "set")


def register(
    commands_subparsers: argparse._SubParsersAction[Any],
    common_parent: argparse.ArgumentParser,
) -> None:
    """Add the `establishment` command group; the action goes to `args.establishment_command`."""
    actions = add_command_group(
        commands_subparsers,
        common_parent,
        "establishment",
        help="nom, UAI, ville et logo de l'établissement (en tête des PDF)",
        description=(
            "Affiche ou change le nom, l'UAI, la ville et le logo de l'établissement, "
            "imprimés en tête de chaque bilan PDF."
        ),
    )
    actions.add_parser("show", parents=[common_parent], help="affiche l'établissement")
    change = actions.add_parser(
        "set",
        parents=[common_parent],
        help="change l'établissement",
        description=(
            'Change ce qui est indiqué et garde le reste. Une valeur vide (--uai "") '
            "efface l'UAI ou la ville ; --no-logo retire le logo."
        ),
    )
    change.add_argument("--name", metavar="NOM", help="nom de l'établissement")
    change.add_argument("--uai", metavar="UAI", help="numéro UAI (7 chiffres et une lettre)")
    change.add_argument("--city", metavar="VILLE", help="ville")
    logo = change.add_mutually_exclusive_group()
    logo.add_argument(
        "--logo", type=Path, metavar="FICHIER", help="logo PNG ou JPEG (1 Mo au plus)"
    )
    logo.add_argument("--no-logo", action="store_true", help="retire le logo")


def handle(args: argparse.Namespace, db: str | None) -> int:
    """Run `livret establishment <action>`; refusals are LivretError (one line from main)."""
    from livret.services.database import open_database
    from livret.services.establishment import KEEP, EstablishmentService

    database, _ = open_database(db)
    try:
        service = EstablishmentService(database, command_line_actor())
        current = service.info()
        if args.establishment_command == "set":
            if (
                args.name is None
                and args.uai is None
                and args.city is None
                and args.logo is None
                and not args.no_logo
            ):
                raise ValidationError(
                    "Rien à changer : indiquez --name, --uai, --city, --logo ou --no-logo."
                )
            logo = None if args.no_logo else (_read_logo(args.logo) if args.logo else KEEP)
            current = service.update(
                args.name if args.name is not None else current.name,
                args.uai if args.uai is not None else current.uai,
                args.city if args.city is not None else current.city,
                logo=logo,
            )
            print("Établissement enregistré.")
        _print(current)
    finally:
        database.dispose()
    return 0


def _read_logo(path: Path) -> bytes:
    try:
        return path.expanduser().read_bytes()
    except OSError as exc:
        raise ValidationError(
            f"Impossible de lire le logo « {path} » ({exc.strerror or exc})."
        ) from None


def _print(info: EstablishmentInfo) -> None:
    print(f"Nom   : {info.name}")
    print(f"UAI   : {info.uai or '(aucun)'}")
    print(f"Ville : {info.city or '(aucune)'}")
    if info.logo is None:
        print("Logo  : (aucun)")
    else:
        print(f"Logo  : {info.logo_format}, {_size(len(info.logo))}")


def _size(count: int) -> str:
    if count < 1024:
        return f"{count} octets"
    return f"{count / 1024:.0f} Ko"
