"""`livret export pdf`: the bilans of a class (one PDF each plus the conseil de classe
PDF), or a learner's latest final bilan, as PDF files in a folder.

A class's bilans are those of the day of the conseil (--date, default today): each
learner's latest final bilan on or before it, the bilan `livret export marks --date`
computes the mark from; with --drafts, a more recent draft instead, watermarked
BROUILLON. Learners without a bilan are listed with the reason.

Files of an earlier export with the same name (same class, learner and bilan date) are
replaced: it is the same bilan printed again. Progress goes to stderr, one line per
file, the summary to stdout. Exit code 0 when at least one PDF was written, 1 when
the class has no final bilan to export.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path
from typing import Any

from livret.cli_marks import conseil_date

_YEAR = re.compile(r"^\d{4}-\d{4}$")


def register(
    export_subparsers: argparse._SubParsersAction[Any],
    common_parent: argparse.ArgumentParser,
) -> argparse.ArgumentParser:
    """Add `pdf` to the `export` sub-commands; returns its parser."""
    parser = export_subparsers.add_parser(
        "pdf",
        parents=[common_parent],
        help="exporte les bilans en PDF (une classe ou un apprenant)",
        description=(
            "Exporte en PDF le dernier bilan définitif de chaque apprenant d'une classe "
            "à la date du conseil de classe (un fichier par apprenant et un PDF commun "
            "pour le conseil), ou celui d'un apprenant désigné par son INE."
        ),
    )
    who = parser.add_mutually_exclusive_group(required=True)
    who.add_argument(
        "--class",
        dest="class_code",
        metavar="CODE",
        help="code de la classe (dans l'année scolaire la plus récente qui l'a)",
    )
    who.add_argument("--learner", dest="ine", metavar="INE", help="INE de l'apprenant")
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="DOSSIER",
        help="dossier où écrire les PDF (créé s'il n'existe pas)",
    )
    parser.add_argument(
        "--year",
        type=_school_year,
        metavar="AAAA-AAAA",
        help="année scolaire de la classe, par exemple 2025-2026 (avec --class)",
    )
    parser.add_argument(
        "--date",
        dest="on",
        type=conseil_date,
        metavar="JJ/MM/AAAA",
        help="date du conseil de classe (ou AAAA-MM-JJ) : le dernier bilan définitif "
        "à cette date (par défaut : aujourd'hui ; avec --class)",
    )
    parser.add_argument(
        "--drafts",
        "--brouillons",
        dest="include_drafts",
        action="store_true",
        help="inclut les brouillons plus récents, marqués « BROUILLON » (avec --class)",
    )
    return parser


def handle_export_pdf(args: argparse.Namespace, db: str | None) -> int:
    """Run `livret export pdf`; errors are LivretError (one French line from main)."""
    from livret.domain.bilan_choice import french_date
    from livret.domain.errors import ValidationError
    from livret.services.database import open_database
    from livret.services.exports import ExportService
    from livret.services.users import command_line_actor

    out: Path = args.out
    if out.exists() and not out.is_dir():
        raise ValidationError(f"« {out} » est un fichier : indiquez un dossier avec --out.")
    if args.ine is not None:
        for given, option in (
            (args.year, "--year"),
            (args.on, "--date"),
            (args.include_drafts or None, "--drafts"),
        ):
            if given is not None:
                raise ValidationError(f"{option} ne s'emploie qu'avec --class.")

    database, _ = open_database(db)
    try:
        service = ExportService(database, command_line_actor(database))
        if args.ine is not None:
            written = service.export_learner_pdf(args.ine, out)
            print(f"PDF écrit : {written}")
            return 0

        def progress(done: int, total: int) -> None:
            if done:
                print(f"  PDF {done}/{total}", file=sys.stderr, flush=True)

        export = service.export_class_pdfs(
            args.class_code,
            out,
            school_year=args.year,
            progress=progress,
            on=args.on,
            include_drafts=args.include_drafts,
        )
    finally:
        database.dispose()

    heading = (
        f"Classe {export.class_code} ({export.class_label}, {export.school_year_label}), "
        f"conseil du {french_date(export.on)}"
    )
    if not export.files:
        print(f"{heading} : aucun bilan définitif à exporter, aucun PDF écrit.")
    else:
        count = len(export.files)
        drafts = ""
        if export.drafts:
            drafts = f" dont {export.drafts} {'brouillon' if export.drafts < 2 else 'brouillons'}"
        print(f"{heading} : {count} PDF {'écrit' if count < 2 else 'écrits'}{drafts} dans {out}")
        for path in export.files:
            print(f"  {path.name}")
        print(f"PDF du conseil de classe : {export.combined}")
    if export.skipped:
        count = len(export.skipped)
        print(f"{count} {'apprenant' if count < 2 else 'apprenants'} sans PDF :")
        for learner in export.skipped:
            print(f"  {learner.name} : {learner.reason}")
    return 0 if export.files else 1


def _school_year(text: str) -> str:
    cleaned = text.strip()
    if not _YEAR.match(cleaned) or int(cleaned[5:]) != int(cleaned[:4]) + 1:
        raise argparse.ArgumentTypeError(
            f"année scolaire invalide : « {text} » (attendu : AAAA-AAAA, par exemple 2025-2026)"
        )
    return cleaned
