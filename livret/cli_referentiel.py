"""`livret import referentiel FILE [--dry-run]` and `livret export referentiel --format … --out …`.

The import reads a référentiel JSON file (the shape of resources/referentiels/
pmia.json), prints every change it brings, then applies it in one transaction
unless --dry-run is given. A file with problems, or a change the database cannot
take (removing an evaluated criterion…), exits with code 1, lists every reason
and writes nothing. The export writes the référentiel as JSON (the same shape) or
as a 1EdTech CASE 1.0 package.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

FORMATS = ("json", "case")


def register(
    import_subparsers: argparse._SubParsersAction[Any],
    export_subparsers: argparse._SubParsersAction[Any],
    common_parent: argparse.ArgumentParser,
) -> None:
    """Add `referentiel` to the `import` and `export` sub-commands."""
    importer = import_subparsers.add_parser(
        "referentiel",
        parents=[common_parent],
        help="met à jour le référentiel (fichier JSON)",
        description=(
            "Met à jour le référentiel de la base depuis un fichier JSON (même forme que "
            "l'export) : nouveaux critères, correspondances critère → compétence commune "
            "modifiées… Le fichier décrit tout le référentiel ; chaque changement est "
            "affiché avant d'être appliqué. Tout ou rien."
        ),
    )
    importer.add_argument("file", type=Path, metavar="FICHIER", help="fichier .json")
    importer.add_argument(
        "--dry-run",
        action="store_true",
        help="affiche seulement les changements, sans rien enregistrer",
    )
    exporter = export_subparsers.add_parser(
        "referentiel",
        parents=[common_parent],
        help="exporte le référentiel (JSON ou paquet 1EdTech CASE)",
        description=(
            "Exporte le référentiel de la base en JSON (réimportable) ou en paquet "
            "1EdTech CASE 1.0 (CFDocument, CFItems, CFAssociations ; identifiants stables)."
        ),
    )
    exporter.add_argument(
        "--format", choices=FORMATS, default="json", help="json (par défaut) ou case"
    )
    exporter.add_argument(
        "--out", type=Path, required=True, metavar="FICHIER", help="fichier à écrire"
    )


def handle_import(args: argparse.Namespace, db: str | None) -> int:
    """Run `livret import referentiel`; a refusal is a LivretError listing every reason."""
    from livret.domain.referentiel import load_referentiel_file
    from livret.services.database import open_database
    from livret.services.referentiel import ReferentielRefused, ReferentielService
    from livret.services.users import command_line_actor

    path: Path = args.file
    new = load_referentiel_file(path)  # refuses a bad file before the database is opened
    database, _ = open_database(db)
    try:
        service = ReferentielService(database, command_line_actor(database))
        preview = service.preview(new)
        if preview.problems:
            raise ReferentielRefused(preview)
        print(preview.text())
        if args.dry_run:
            print("Simulation (--dry-run) : rien n'a été enregistré.")
            return 0
        if preview.has_changes:
            service.apply(new, source_name=path.name, previewed=preview)
            print("Référentiel mis à jour.")
    finally:
        database.dispose()
    return 0


def handle_export(args: argparse.Namespace, db: str | None) -> int:
    """Run `livret export referentiel`."""
    from livret.domain.errors import ValidationError
    from livret.services.database import open_database
    from livret.services.referentiel import ReferentielService
    from livret.services.users import command_line_actor

    out: Path = args.out
    if out.is_dir():
        raise ValidationError(f"« {out} » est un dossier : donnez le nom du fichier à écrire.")
    if not out.parent.is_dir():
        raise ValidationError(f"Le dossier « {out.parent} » n'existe pas.")
    database, _ = open_database(db)
    try:
        service = ReferentielService(database, command_line_actor(database))
        content = service.export_case() if args.format == "case" else service.export_json()
    finally:
        database.dispose()
    try:
        out.write_bytes(content)
    except OSError as exc:
        raise ValidationError(
            f"Impossible d'écrire « {out} » : {exc.strerror or exc.__class__.__name__}."
        ) from None
    label = "paquet CASE" if args.format == "case" else "JSON"
    print(f"Référentiel exporté ({label}) : {out}")
    return 0
