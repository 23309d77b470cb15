"""`livret learner …`: the RGPD commands (export everything about a learner, erase a
learner, list the learners who left long ago).

Run as an Administrateur (whoever holds the database). Erasing asks for the word EFFACER
and, when the learner has final bilans, a DDFPT's login and password (their
countersignature, as for an unlock): typed at a terminal (the password hidden), or read
one per line from standard input when it is not a terminal. Nothing is ever printed back.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from livret.cli_groups import add_command_group
from livret.cli_users import command_line_actor
from livret.domain.errors import ValidationError

if TYPE_CHECKING:
    from livret.services.privacy import ErasurePreview, PrivacyService

ACTIONS = ("export", "erase", "retention")


def _years(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"« {text} » n'est pas un nombre entier") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} : un nombre positif ou nul est attendu")
    return value


def register(
    commands_subparsers: argparse._SubParsersAction[Any],
    common_parent: argparse.ArgumentParser,
) -> None:
    """Add the `learner` command group; the sub-command is stored in `args.learner_command`."""
    from livret.services.privacy import DEFAULT_RETENTION_YEARS

    learners = add_command_group(
        commands_subparsers,
        common_parent,
        "learner",
        help="données personnelles d'un apprenant (RGPD) : export, effacement, conservation",
        description=(
            "Données personnelles (RGPD) : exporter tout ce que la base contient sur un "
            "apprenant, effacer un apprenant, lister les apprenants partis depuis longtemps."
        ),
    )
    export = learners.add_parser(
        "export",
        parents=[common_parent],
        help="exporte toutes les données d'un apprenant (JSON et PDF, dans un zip)",
        description=(
            "Écrit un fichier zip lisible par son propriétaire seulement : les données de "
            "l'apprenant en JSON et le PDF de chacun de ses bilans. Un fichier existant "
            "n'est jamais remplacé."
        ),
    )
    export.add_argument("--ine", required=True, metavar="INE", help="INE de l'apprenant")
    export.add_argument(
        "--out", required=True, type=Path, metavar="FICHIER.zip", help="fichier zip à écrire"
    )
    erase = learners.add_parser(
        "erase",
        parents=[common_parent],
        help="efface un apprenant et toutes ses données",
        description=(
            "Efface l'apprenant, ses inscriptions, résultats, bilans, notes et son compte. "
            "Demande de taper EFFACER ; avec des bilans définitifs, l'identifiant et le mot "
            "de passe d'un DDFPT (lus sur l'entrée standard, une ligne chacun, quand elle "
            "n'est pas un terminal). Le journal garde les événements, sans données "
            "personnelles."
        ),
    )
    erase.add_argument("--ine", required=True, metavar="INE", help="INE de l'apprenant")
    erase.add_argument(
        "--ddfpt", metavar="IDENTIFIANT", help="identifiant du DDFPT qui contre-signe"
    )
    retention = learners.add_parser(
        "retention",
        parents=[common_parent],
        help="liste les apprenants partis depuis plus de N ans",
        description=(
            "Liste les apprenants dont la date de sortie remonte à plus de N ans "
            f"(par défaut {DEFAULT_RETENTION_YEARS}) : ceux dont les données sont à effacer."
        ),
    )
    retention.add_argument(
        "--years",
        type=_years,
        default=DEFAULT_RETENTION_YEARS,
        metavar="N",
        help=f"nombre d'années depuis la sortie (par défaut {DEFAULT_RETENTION_YEARS})",
    )


def handle(args: argparse.Namespace, db: str | None) -> int:
    """Run `livret learner <action>`; refusals are LivretError (one French line from main)."""
    from livret.services.database import open_database
    from livret.services.privacy import PrivacyService

    database, _ = open_database(db)
    try:
        service = PrivacyService(database, command_line_actor())
        action: str = args.learner_command
        if action == "export":
            written = service.export_learner(service.learner_id(args.ine), args.out)
            print(f"Données exportées : {written} (lisible par son propriétaire seulement).")
        elif action == "erase":
            return _erase(service, args)
        else:
            _retention(service, args.years)
    finally:
        database.dispose()
    return 0


def _erase(service: PrivacyService, args: argparse.Namespace) -> int:
    from livret.services.privacy import ERASE_WORD

    learner_id = service.learner_id(args.ine)
    preview = service.erasure_preview(learner_id)
    for line in describe(preview):
        print(line)
    typed = read_line(f"Pour confirmer, tapez {ERASE_WORD} : ")
    if typed != ERASE_WORD:
        raise ValidationError(f"Confirmation différente de {ERASE_WORD} : rien n'a été effacé.")
    login: str | None = None
    password: str | None = None
    if preview.needs_countersign:
        login = args.ddfpt or read_line("Identifiant du DDFPT : ")
        password = read_line("Mot de passe du DDFPT : ", secret=True)
    report = service.erase_learner(
        learner_id, confirmation=typed, ddfpt_login=login, ddfpt_password=password
    )
    print(
        f"Apprenant effacé : {report.results} résultat(s), {report.bilans} bilan(s), "
        f"{report.enrolments} inscription(s) supprimés ; "
        f"{report.audit_events_scrubbed} événement(s) du journal anonymisé(s)."
    )
    print(
        "Les sauvegardes déjà faites contiennent encore ces données jusqu'à leur "
        "remplacement : détruisez-les si nécessaire."
    )
    return 0


def describe(preview: ErasurePreview) -> list[str]:
    """What the erasure will delete, in French."""
    lines = [
        f"Effacement de {preview.name} (INE {preview.ine}) :",
        f"  - {preview.enrolments} inscription(s) dans une classe",
        f"  - {preview.results} résultat(s) d'évaluation",
        f"  - {preview.bilans} bilan(s), dont {preview.final_bilans} définitif(s), "
        f"avec {preview.positionings} positionnement(s)",
        f"  - {preview.marks} note(s) sur 20",
        f"  - {preview.conseil_remarks} remarque(s) de conseil de classe",
        f"  - {preview.lsl_entries} saisie(s) LSL Pro (appréciation, degrés, PFMP)",
    ]
    if preview.account_login:
        lines.append(f"  - le compte apprenant « {preview.account_login} »")
    lines.append(
        f"Le journal garde {preview.audit_events} événement(s) le concernant, "
        "sans son nom, son INE ni son identifiant."
    )
    if preview.needs_countersign:
        lines.append(
            "Ses bilans définitifs ne peuvent être effacés qu'après un déverrouillage : "
            "un DDFPT doit contre-signer."
        )
    return lines


def _retention(service: PrivacyService, years: int) -> None:
    rows = service.retention(years)
    if not rows:
        print(f"Aucun apprenant sorti depuis plus de {years} an(s).")
        return
    header = ("INE", "apprenant", "dernière classe", "sorti le", "bilans")
    table = [header]
    for row in rows:
        klass = f"{row.class_code} ({row.school_year_label})" if row.class_code else ""
        left = row.left_on.strftime("%d/%m/%Y") if row.left_on else ""
        table.append((row.ine, row.name, klass, left, str(row.bilans)))
    widths = [max(len(line[column]) for line in table) for column in range(len(header))]
    for line in table:
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip())
    print(f"{len(rows)} apprenant(s) sorti(s) depuis plus de {years} an(s).")


def read_line(prompt: str, *, secret: bool = False) -> str:
    """One answer: typed at a terminal (hidden when secret), or one line of standard input."""
    if sys.stdin is not None and sys.stdin.isatty():
        return getpass.getpass(prompt) if secret else input(prompt)
    line = sys.stdin.readline() if sys.stdin is not None else ""
    if not line:
        raise ValidationError("Réponse attendue sur l'entrée standard : rien n'a été effacé.")
    if line.endswith("\n"):
        line = line[:-1]
        if line.endswith("\r"):
            line = line[:-1]
    return line
