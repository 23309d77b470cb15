"""`livret import …`: the command group, and `livret import siecle FILE`.

`import siecle` reads the SIECLE export (ElevesSansAdresses.xml, or the .zip it comes
in), prints the preview (what will be created, changed, left out and why), then
imports it in one transaction unless --dry-run is given. A refused file (unreadable,
unsafe, not a SIECLE export) exits with code 1 and one French line on stderr, and
nothing is written.
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

_YEAR = re.compile(r"^\d{4}-\d{4}$")
DETAIL_LIMIT = 50
"""Learners listed per section of the report (the counts are always complete)."""


def register(
    commands_subparsers: argparse._SubParsersAction[Any],
    common_parent: argparse.ArgumentParser,
) -> argparse._SubParsersAction[Any]:
    """Add the `import` command and its `siecle` sub-command; returns the `import` sub-commands.

    The sub-command is stored in `args.import_command`. Other importers can be added
    to the returned sub-parsers.
    """
    parser_class = type(common_parent)  # the French parser of livret.cli
    group = commands_subparsers.add_parser(
        "import",
        help="importe des fichiers (élèves SIECLE, résultats d'évaluation…)",
        description="Importe un fichier dans le livret, après en avoir affiché le rapport.",
    )
    import_commands = group.add_subparsers(
        dest="import_command", metavar="IMPORT", required=True, parser_class=parser_class
    )
    siecle = import_commands.add_parser(
        "siecle",
        parents=[common_parent],
        help="importe les élèves et les classes de l'export SIECLE (ElevesSansAdresses.xml)",
        description=(
            "Importe les élèves (par INE) et les classes d'une année scolaire depuis l'export "
            "SIECLE ElevesSansAdresses.xml, ou depuis l'archive .zip qui le contient. "
            "Affiche d'abord ce qui sera créé, modifié ou ignoré ; réimporter le même "
            "fichier ne change rien."
        ),
    )
    siecle.add_argument("file", type=Path, metavar="FICHIER", help="fichier .xml ou .zip")
    siecle.add_argument(
        "--year",
        type=_school_year,
        metavar="AAAA-AAAA",
        help="année scolaire (par défaut : celle indiquée dans le fichier)",
    )
    siecle.add_argument(
        "--dry-run",
        action="store_true",
        help="affiche seulement ce que ferait l'import, sans rien enregistrer",
    )
    return import_commands


def handle_siecle(args: argparse.Namespace, db: str | None) -> int:
    """Run `livret import siecle`; refusals are LivretError (one French line from main)."""
    from livret.exchange.siecle import read_siecle
    from livret.services.database import open_database
    from livret.services.siecle_import import SiecleImportService
    from livret.services.users import command_line_actor

    path: Path = args.file
    siecle = read_siecle(path)  # refuses a bad file before the database is opened
    database, _ = open_database(db)
    try:
        service = SiecleImportService(database, command_line_actor(database))
        preview = service.preview(siecle, args.year)
        for line in preview.report_lines(limit=DETAIL_LIMIT):
            print(line)
        if args.dry_run:
            print("Simulation (--dry-run) : rien n'a été enregistré.")
            return 0
        applied = service.apply(siecle, args.year, source_name=path.name)
    finally:
        database.dispose()
    if applied.has_changes:
        print(f"Import enregistré : {applied.summary()}")
    else:
        print("Import enregistré : aucune modification, la base était déjà à jour.")
    return 0


def _school_year(text: str) -> str:
    cleaned = text.strip()
    if not _YEAR.match(cleaned) or int(cleaned[5:]) != int(cleaned[:4]) + 1:
        raise argparse.ArgumentTypeError(
            f"année scolaire invalide : « {text} » (attendu : AAAA-AAAA, par exemple 2025-2026)"
        )
    return cleaned
