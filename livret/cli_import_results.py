"""`livret import evaluations FILE [--dry-run] [--confirm-closed-periods]`: results, CSV/XLSX.

The file is checked in full before anything is written; any problem refuses the
whole file (exit code 1) and every problem is listed with its line number. With
--dry-run the file is only checked: the report tells what would be written.

Results dated inside a learner's closed period (on or before their latest final
bilan) are imported only with --confirm-closed-periods, the command line's answer
to the confirmation the app asks; they are then audited as such.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any


def register(
    import_subparsers: argparse._SubParsersAction[Any],
    common_parent: argparse.ArgumentParser,
) -> argparse.ArgumentParser:
    """Add `evaluations` to the `import` sub-commands; returns its parser."""
    parser = import_subparsers.add_parser(
        "evaluations",
        parents=[common_parent],
        help="importe des résultats d'évaluation (CSV ou XLSX, une ligne par résultat)",
        description=(
            "Importe des résultats d'évaluation depuis un fichier CSV ou XLSX, une ligne par "
            "résultat, avec les colonnes date;nature;titre;INE;critere;niveau;commentaire "
            "(commentaire facultatif). Les lignes de même date, nature et titre forment une "
            "évaluation. Tout ou rien : au moindre problème, rien n'est enregistré et chaque "
            "problème est listé avec son numéro de ligne."
        ),
    )
    parser.add_argument(
        "file",
        type=Path,
        metavar="FICHIER",
        help="fichier .csv (séparateur ; ou , ; UTF-8 ou Windows-1252) ou .xlsx",
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="vérifie seulement le fichier : rien n'est enregistré",
    )
    parser.add_argument(
        "--confirm-closed-periods",
        action="store_true",
        help=(
            "importe aussi les résultats datés d'une période close (au plus tard à la date "
            "du dernier bilan définitif de l'apprenant) : l'ajout est tracé dans le journal"
        ),
    )
    return parser


def handle(args: argparse.Namespace, db: str | None) -> int:
    """Run `livret import evaluations`; a refusal is a LivretError listing every problem."""
    from livret.domain.errors import ConflictError
    from livret.exchange.results_file import read_results
    from livret.services.database import open_database
    from livret.services.evaluation_dto import CoveredByFinalBilan
    from livret.services.results_import import (
        CLOSED_PERIOD_ASK,
        ResultsImportRefused,
        ResultsImportService,
    )
    from livret.services.users import command_line_actor

    path: Path = args.file
    results_file = read_results(_read(path), path.name)
    database, _ = open_database(db)
    try:
        service = ResultsImportService(database, command_line_actor(database))
        if args.dry_run:
            report = service.check(results_file)
            if report.problems:
                raise ResultsImportRefused(report)
        else:
            try:
                report = service.apply(results_file, confirm_covered=args.confirm_closed_periods)
            except CoveredByFinalBilan as exc:
                raise ConflictError(exc.message.replace(CLOSED_PERIOD_ASK, _ASK_FLAG)) from None
    finally:
        database.dispose()
    print(report.summary())
    if args.dry_run:
        if report.covered and not args.confirm_closed_periods:
            print(_ASK_FLAG)
        print("Simulation (--dry-run) : rien n'a été enregistré.")
    return 0


_ASK_FLAG = (
    "Relancez avec --confirm-closed-periods pour importer quand même : l'ajout sera tracé "
    "dans le journal."
)


def _read(path: Path) -> bytes:
    from livret.domain.errors import ValidationError
    from livret.exchange.results_file import check_size

    try:
        if not path.is_file():
            raise ValidationError(f"Fichier introuvable : « {path} ».")
        check_size(path.stat().st_size, path.name)
        return path.read_bytes()
    except OSError as exc:
        raise ValidationError(
            f"Impossible de lire « {path} » : {exc.strerror or exc.__class__.__name__}."
        ) from None
