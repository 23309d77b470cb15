"""Command line: argument parsing only; every sub-command calls a service."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from livret import __version__
from livret.domain.errors import LivretError


def _integer(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"« {text} » n'est pas un nombre entier") from None


def _positive(text: str) -> int:
    value = _integer(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value} : un nombre positif est attendu")
    return value


def build_parser() -> argparse.ArgumentParser:
    # Here, not at the top: the GUI alone (livret [--db X]) needs none of them.
    from livret import (
        cli_establishment,
        cli_export,
        cli_import,
        cli_import_results,
        cli_learners,
        cli_marks,
        cli_referentiel,
        cli_users,
    )
    from livret.cli_french import install_argparse_french

    install_argparse_french()  # before any parser: argparse's own texts in French
    db_help = "fichier SQLite (chemin) ou adresse de serveur (postgresql://…) ; "
    db_help += "par défaut : la base du dossier de données de l'utilisateur"
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", metavar="CHEMIN_OU_URL", default=argparse.SUPPRESS, help=db_help)

    parser = argparse.ArgumentParser(
        prog="livret",
        description="Livret de compétences : sans commande, ouvre l'application.",
        parents=[common],
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"livret {__version__}",
        help="afficher la version de Livret et quitter",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="ouvre l'application sur la base de démonstration (créée au premier lancement)",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMANDE")

    db = commands.add_parser(
        "db", help="créer, mettre à jour, vérifier, sauvegarder, restaurer la base"
    )
    db_commands = db.add_subparsers(dest="db_command", metavar="ACTION", required=True)
    db_commands.add_parser("init", parents=[common], help="crée la base (schéma, référentiel PMIA)")
    db_commands.add_parser("upgrade", parents=[common], help="met le schéma à jour")
    db_commands.add_parser("check", parents=[common], help="vérifie l'intégrité, compte les lignes")
    backup = db_commands.add_parser("backup", parents=[common], help="sauvegarde la base")
    backup.add_argument("--out", type=Path, help="fichier ou dossier de destination")
    restore = db_commands.add_parser(
        "restore",
        parents=[common],
        help="remplace la base par une sauvegarde (après une copie de la base actuelle)",
    )
    restore.add_argument("file", type=Path, metavar="FICHIER", help="la sauvegarde à restaurer")

    demo = commands.add_parser("demo", help="données de démonstration")
    demo_commands = demo.add_subparsers(dest="demo_command", metavar="ACTION", required=True)
    create = demo_commands.add_parser(
        "create", parents=[common], help="crée une base de démonstration"
    )
    create.add_argument("--learners", type=_positive, metavar="N", help="nombre d'apprenants")
    create.add_argument("--evaluations", type=_positive, metavar="N", help="nombre d'évaluations")
    create.add_argument(
        "--seed", type=_integer, metavar="S", help="graine (mêmes données, même graine)"
    )
    self_test = commands.add_parser(
        "self-test", help="vérifie l'installation : base, fenêtre, bilan et PDF, sans écran"
    )
    self_test.add_argument(
        "--dir",
        type=Path,
        metavar="DOSSIER",
        help="où créer la base du test (par défaut : le dossier temporaire du système)",
    )

    export = commands.add_parser(
        "export", help="exporte les notes sur 20, les bilans en PDF, le référentiel"
    )
    export_commands = export.add_subparsers(dest="export_command", metavar="EXPORT", required=True)
    cli_marks.register(export_commands, common)
    cli_export.register(export_commands, common)
    import_commands = cli_import.register(commands, common)
    cli_import_results.register(import_commands, common)
    cli_referentiel.register(import_commands, export_commands, common)
    cli_users.register(commands, common)
    cli_establishment.register(commands, common)
    cli_learners.register(commands, common)
    return parser


def _gui_only(argv: Sequence[str]) -> argparse.Namespace | None:
    """`livret [--db X] [--demo]`, read without building every sub-command's parser.

    The GUI starts sooner so (the sub-commands' modules import their services). Any
    other argument, or one argparse would refuse, gets None: the full parser reads it.
    """
    args = argparse.Namespace(command=None, demo=False)
    rest = list(argv)
    while rest:
        argument = rest.pop(0)
        if argument == "--demo":
            args.demo = True
        elif argument == "--db" and rest and not rest[0].startswith("-"):
            args.db = rest.pop(0)
        elif argument.startswith("--db=") and len(argument) > len("--db="):
            args.db = argument.removeprefix("--db=")
        else:
            return None
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = _gui_only(sys.argv[1:] if argv is None else argv) or build_parser().parse_args(argv)
    db: str | None = getattr(args, "db", None)
    if args.command is None:
        return _run(lambda: _gui(db, demo=args.demo))
    from livret import (
        cli_establishment,
        cli_export,
        cli_import,
        cli_import_results,
        cli_learners,
        cli_marks,
        cli_referentiel,
        cli_users,
    )

    handlers: dict[tuple[str | None, str | None], Callable[[argparse.Namespace, str | None], int]]
    handlers = {
        ("db", "init"): _db_init,
        ("db", "upgrade"): _db_upgrade,
        ("db", "check"): _db_check,
        ("db", "backup"): _db_backup,
        ("db", "restore"): _db_restore,
        ("demo", "create"): _demo_create,
        ("self-test", None): _self_test,
        ("export", "marks"): cli_marks.handle,
        ("export", "pdf"): cli_export.handle_export_pdf,
        ("import", "siecle"): cli_import.handle_siecle,
        ("import", "evaluations"): cli_import_results.handle,
        ("import", "referentiel"): cli_referentiel.handle_import,
        ("export", "referentiel"): cli_referentiel.handle_export,
        **{("user", action): cli_users.handle for action in cli_users.ACTIONS},
        **{("establishment", a): cli_establishment.handle for a in cli_establishment.ACTIONS},
        **{("learner", action): cli_learners.handle for action in cli_learners.ACTIONS},
    }
    sub = (
        getattr(args, "db_command", None)
        or getattr(args, "demo_command", None)
        or getattr(args, "export_command", None)
        or getattr(args, "import_command", None)
        or getattr(args, "user_command", None)
        or getattr(args, "establishment_command", None)
        or getattr(args, "learner_command", None)
    )
    return _run(lambda: handlers[(args.command, sub)](args, db))


def _run(command: Callable[[], int]) -> int:
    """Run a command; a LivretError or an unexpected exception is one French line."""
    try:
        return command()
    except LivretError as exc:
        print(f"livret : erreur : {exc.message}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("livret : interrompu.", file=sys.stderr)
        return 130
    except Exception as exc:  # last resort: one French line, the detail in the log
        if os.environ.get("LIVRET_DEBUG"):
            raise
        return _unexpected_error(exc)


def _unexpected_error(exc: Exception) -> int:
    """Log the traceback; say one line without the SQL parameters (personal data)."""
    import logging

    from livret.logs import configure_logging, log_exception, safe_message

    path = configure_logging()
    log_exception(logging.getLogger("livret.cli"), "Erreur inattendue (ligne de commande)", exc)
    first_line = (safe_message(exc).splitlines() or [""])[0]
    where = f"détail dans le journal : {path}" if path else "LIVRET_DEBUG=1 pour le détail"
    print(
        f"livret : erreur inattendue : {exc.__class__.__name__}: {first_line} ({where})",
        file=sys.stderr,
    )
    return 1


def _gui(db: str | None, *, demo: bool) -> int:
    from livret.app import run_gui  # Qt is imported only when the GUI is asked for

    return run_gui(db, demo=demo)


def _db_init(_args: argparse.Namespace, db: str | None) -> int:
    from livret.services.database import open_database

    database, report = open_database(db, create=True)
    try:
        where = database.location.display()
        if report.created:
            print(f"Base créée : {where}")
        elif report.migrated_from:
            print(f"Base existante mise à jour : {where}")
        else:
            print(f"La base existe déjà et est à jour : {where}")
    finally:
        database.dispose()
    return 0


def _db_upgrade(_args: argparse.Namespace, db: str | None) -> int:
    from livret.services.database import open_database

    database, report = open_database(db)
    try:
        where = database.location.display()
        if report.migrated_from:
            print(f"Schéma mis à jour depuis la révision {report.migrated_from} : {where}")
            if report.backup:
                print(f"Sauvegarde préalable : {report.backup}")
        else:
            print(f"Schéma déjà à jour : {where}")
    finally:
        database.dispose()
    return 0


def _db_check(_args: argparse.Namespace, db: str | None) -> int:
    from livret.services.database import check_database, open_database

    database, _ = open_database(db, upgrade=False)
    try:
        report = check_database(database)
    finally:
        database.dispose()
    print("ok" if report.ok else "problèmes :")
    for problem in report.problems:
        print(f"  - {problem}")
    print(f"révision du schéma : {report.revision}")
    width = max(len(name) for name, _ in report.counts)
    for name, count in report.counts:
        print(f"{name:<{width}}  {count:>9}")
    return 0 if report.ok else 1


def _db_backup(args: argparse.Namespace, db: str | None) -> int:
    from livret.services.database import backup_database, open_database

    database, _ = open_database(db, upgrade=False)
    try:
        destination = backup_database(database, args.out)
    finally:
        database.dispose()
    print(f"Sauvegarde écrite : {destination}")
    return 0


def _db_restore(args: argparse.Namespace, db: str | None) -> int:
    from livret.services.database import restore_database

    report = restore_database(db, args.file)
    if report.previous is not None:
        print(f"Copie de la base avant restauration : {report.previous}")
    print(f"Sauvegarde restaurée : {report.restored} (schéma {report.revision})")
    return 0


def _self_test(args: argparse.Namespace, _db: str | None) -> int:
    from livret.self_test import run_self_test

    return run_self_test(args.dir)


def _demo_create(args: argparse.Namespace, db: str | None) -> int:
    from livret.services.database import open_database
    from livret.services.demo import create_demo

    if db is None:
        print("livret : erreur : indiquez la base à créer avec --db.", file=sys.stderr)
        return 2
    database, _ = open_database(db, create=True)
    try:
        options = {
            name: getattr(args, name)
            for name in ("learners", "evaluations", "seed")
            if getattr(args, name) is not None
        }
        report = create_demo(database, **options)
    finally:
        database.dispose()
    seconds = f"{report.seconds:.1f}".replace(".", ",")
    print(
        f"Démonstration créée en {seconds} s : {report.learners} apprenants, "
        f"{report.classes} classes, {report.evaluations} évaluations, {report.results} résultats, "
        f"{report.final_bilans} bilans définitifs, {report.draft_bilans} brouillons."
    )
    return 0
