"""`livret export marks`: the marks out of 20 of a class, as CSV or XLSX.

Each learner's bilan is their latest final bilan on or before the day of the conseil
(--date, default today), the rule `livret export pdf --date` follows too. Without
--save the file holds, per learner, the mark saved with that bilan when there is one,
else the mark computed now (nothing is written to the database). With --save the marks
are first computed and stored with the bilans (audited), then exported: the file and
the database then agree. Learners without a mark are listed with the reason.
"""

from __future__ import annotations

import argparse
import datetime as dt
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from livret.domain.marks import ROUNDING_STEPS

_YEAR = re.compile(r"^\d{4}-\d{4}$")


def register(
    export_subparsers: argparse._SubParsersAction[Any],
    common_parent: argparse.ArgumentParser,
) -> argparse.ArgumentParser:
    """Add `marks` to the `export` sub-commands; returns its parser."""
    parser = export_subparsers.add_parser(
        "marks",
        parents=[common_parent],
        help="exporte les notes sur 20 d'une classe (CSV ou XLSX)",
        description=(
            "Exporte la note sur 20 de chaque apprenant d'une classe, calculée sur son "
            "dernier bilan définitif à la date du conseil de classe (--date, par défaut "
            "aujourd'hui). Sans --save, le fichier reprend les notes déjà enregistrées, "
            "sinon les notes calculées, et la base n'est pas modifiée."
        ),
    )
    parser.add_argument(
        "--class",
        dest="class_code",
        required=True,
        metavar="CODE",
        help="code de la classe (dans l'année scolaire la plus récente qui l'a)",
    )
    parser.add_argument(
        "--year",
        type=_school_year,
        metavar="AAAA-AAAA",
        help="année scolaire de la classe, par exemple 2025-2026",
    )
    parser.add_argument(
        "--out",
        type=Path,
        required=True,
        metavar="FICHIER",
        help="fichier à écrire : .csv (Excel, séparateur ;) ou .xlsx",
    )
    parser.add_argument(
        "--rounding",
        type=_rounding,
        metavar="0.1|0.5|1",
        help="arrondi de la note (par défaut : celui des réglages)",
    )
    parser.add_argument(
        "--date",
        dest="on",
        type=conseil_date,
        metavar="JJ/MM/AAAA",
        help="date du conseil de classe (ou AAAA-MM-JJ) : le dernier bilan définitif "
        "à cette date compte (par défaut : aujourd'hui)",
    )
    parser.add_argument(
        "--save",
        action="store_true",
        help="enregistre d'abord les notes avec les bilans (journalisé)",
    )
    return parser


def handle(args: argparse.Namespace, db: str | None) -> int:
    """Run `livret export marks`; errors are LivretError (one French line from main)."""
    from dataclasses import replace

    from livret.domain.bilan_choice import french_date
    from livret.domain.errors import ValidationError
    from livret.domain.marks import percent_text
    from livret.services.database import open_database
    from livret.services.marks import ALL_NE, MarkService, export_format
    from livret.services.users import command_line_actor

    out: Path = args.out
    # Refuse a file that cannot be written before anything is saved.
    export_format(out)
    if not out.absolute().parent.is_dir():
        raise ValidationError(f"Impossible d'écrire « {out} » : le dossier n'existe pas.")
    database, _ = open_database(db)
    try:
        service = MarkService(database, command_line_actor(database))
        class_id = service.class_id(args.class_code, args.year)
        settings = service.settings()
        if args.rounding is not None:
            settings = replace(settings, rounding=args.rounding)
        on: dt.date = args.on if args.on is not None else dt.date.today()
        saved = service.save(class_id, settings, on=on) if args.save else None
        export = service.export(class_id, out, settings, on=on)
    finally:
        database.dispose()

    preview = export.preview
    all_ne = sum(1 for line in preview.lines if line.status == ALL_NE)
    other = preview.without_mark - all_ne
    parts = [
        _count(export.from_stored + export.from_preview, "apprenant noté", "apprenants notés"),
        f"{preview.without_final_bilan} sans bilan définitif à cette date",
        f"{all_ne} sans note (tout NE)",
    ]
    if other:
        parts.append(f"{other} sans note (coefficients nuls)")
    rounding = format(preview.settings.rounding, "f").replace(".", ",")
    if preview.flagged:
        parts.append(
            f"{preview.flagged} {'note signalée' if preview.flagged < 2 else 'notes signalées'} "
            f"(moins de {percent_text(preview.settings.min_share)} des CC)"
        )
    print(
        f"Classe {preview.class_code} ({preview.school_year_label}), conseil du "
        f"{french_date(preview.on)}, arrondi {rounding} : " + ", ".join(parts) + "."
    )
    for line in preview.lines:
        if line.value is None:
            print(f"  {line.learner.display_name} : {_lower_first(line.status)}")
        elif line.flagged:
            mark = format(line.value, "f").replace(".", ",")
            print(f"  {line.learner.display_name} : {mark}/20, {_lower_first(line.coverage)}")
    if saved is not None:
        print(f"Notes enregistrées avec les bilans : {saved.marked}.")
    elif preview.stored_differing:
        differing = preview.stored_differing
        print(
            f"Attention : {_count(differing, 'note enregistrée', 'notes enregistrées')} "
            f"{'diffère' if differing < 2 else 'diffèrent'} du calcul actuel ; le fichier "
            "reprend les notes enregistrées (--save pour les remplacer)."
        )
    print(f"Fichier écrit : {export.path} ({_count(export.rows, 'ligne', 'lignes')}).")
    return 0


def conseil_date(text: str) -> dt.date:
    """--date JJ/MM/AAAA or AAAA-MM-JJ; argparse prints the French message."""
    from livret.domain.bilan_choice import parse_day
    from livret.domain.errors import ValidationError

    try:
        return parse_day(text)
    except ValidationError as exc:
        raise argparse.ArgumentTypeError(_lower_first(exc.message)) from None


def _school_year(text: str) -> str:
    cleaned = text.strip()
    if not _YEAR.match(cleaned) or int(cleaned[5:]) != int(cleaned[:4]) + 1:
        raise argparse.ArgumentTypeError(
            f"année scolaire invalide : « {text} » (attendu : AAAA-AAAA, par exemple 2025-2026)"
        )
    return cleaned


def _rounding(text: str) -> Decimal:
    try:
        step = Decimal(text.strip().replace(",", "."))
    except InvalidOperation:
        step = None
    for allowed in ROUNDING_STEPS:
        if step is not None and step.is_finite() and step == allowed:
            return allowed
    raise argparse.ArgumentTypeError(f"arrondi invalide : « {text} » (choisir 0.1, 0.5 ou 1)")


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:]


def _count(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count < 2 else plural}"
