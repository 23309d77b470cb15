"""`livret user …`: accounts from the command line (add, passwd, list, disable, enable,
rename, class-accounts).

Whoever holds the database file (or its server credentials) runs these commands as an
Administrateur. Passwords are never command-line arguments: they are typed twice at a
terminal (hidden), or read as one line from standard input when it is not a terminal.
They are never printed.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from livret.cli_groups import add_command_group
from livret.cli_import import _school_year
from livret.domain.errors import NotFound, ValidationError
from livret.domain.roles import ROLE_LABELS, Actor, Role

if TYPE_CHECKING:
    from livret.services.accounts import AccountInfo, AccountService
    from livret.services.database import Database

PROMPT = "Mot de passe : "
CONFIRM_PROMPT = "Confirmez le mot de passe : "
ACTIONS = ("add", "passwd", "list", "disable", "enable", "rename", "class-accounts")


def register(
    commands_subparsers: argparse._SubParsersAction[Any],
    common_parent: argparse.ArgumentParser,
) -> None:
    """Add the `user` command group; the sub-command is stored in `args.user_command`."""
    users = add_command_group(
        commands_subparsers,
        common_parent,
        "user",
        help="gère les comptes (ajout, mot de passe, liste, désactivation…)",
        description=(
            "Gère les comptes de la base. Les mots de passe ne se donnent jamais sur la "
            "ligne de commande : ils sont demandés (deux fois, sans écho) ou lus sur "
            "l'entrée standard."
        ),
    )

    add = users.add_parser(
        "add",
        parents=[common_parent],
        help="crée un compte",
        description=(
            "Crée un compte et lui donne un mot de passe (demandé, ou lu sur l'entrée "
            "standard), sauf avec --no-password. Un compte apprenant indique l'INE de "
            "l'apprenant (--learner)."
        ),
    )
    add.add_argument("login", metavar="IDENTIFIANT", help="identifiant de connexion")
    add.add_argument(
        "--role",
        required=True,
        choices=[role.value for role in Role],
        help="rôle du compte",
    )
    add.add_argument("--learner", metavar="INE", help="INE de l'apprenant (compte apprenant)")
    add.add_argument("--name", metavar="NOM", help="nom affiché (par défaut : l'identifiant)")
    add.add_argument(
        "--no-password",
        action="store_true",
        help="crée le compte sans mot de passe (il ne peut pas se connecter)",
    )

    passwd = users.add_parser(
        "passwd",
        parents=[common_parent],
        help="change le mot de passe d'un compte",
        description="Donne un nouveau mot de passe au compte (demandé, ou lu sur l'entrée "
        "standard) et lève l'attente après des échecs de connexion.",
    )
    passwd.add_argument("login", metavar="IDENTIFIANT")

    users.add_parser("list", parents=[common_parent], help="liste les comptes")

    disable = users.add_parser(
        "disable", parents=[common_parent], help="désactive un compte (plus de connexion)"
    )
    disable.add_argument("login", metavar="IDENTIFIANT")
    enable = users.add_parser("enable", parents=[common_parent], help="réactive un compte")
    enable.add_argument("login", metavar="IDENTIFIANT")

    rename = users.add_parser(
        "rename", parents=[common_parent], help="change le nom affiché d'un compte"
    )
    rename.add_argument("login", metavar="IDENTIFIANT")
    rename.add_argument("--name", metavar="NOM", required=True, help="nouveau nom affiché")

    accounts = users.add_parser(
        "class-accounts",
        parents=[common_parent],
        help="crée les comptes apprenants d'une classe",
        description=(
            "Crée un compte apprenant pour chaque apprenant de la classe qui n'en a pas, "
            "avec un mot de passe initial. Les identifiants et mots de passe sont écrits "
            "dans un fichier CSV lisible par son propriétaire seulement."
        ),
    )
    accounts.add_argument("--class", dest="class_code", metavar="CODE", required=True)
    accounts.add_argument(
        "--year",
        type=_school_year,
        metavar="AAAA-AAAA",
        help="année scolaire (par défaut : la plus récente où la classe existe)",
    )
    accounts.add_argument(
        "--out", type=Path, metavar="FICHIER.csv", required=True, help="fichier CSV à écrire"
    )


def command_line_actor() -> Actor:
    """Whoever runs the CLI holds the database: an Administrateur without an account."""
    try:
        who = getpass.getuser() or "inconnu"
    except (KeyError, OSError):
        who = "inconnu"
    return Actor(user_id=None, display_name=f"ligne de commande ({who})", role=Role.ADMIN)


def handle(args: argparse.Namespace, db: str | None) -> int:
    """Run `livret user <action>`; refusals are LivretError (one French line from main)."""
    from livret.services.accounts import AccountService
    from livret.services.database import open_database

    action: str = args.user_command
    database, _ = open_database(db)
    try:
        service = AccountService(database, command_line_actor())
        if action == "list":
            return _list(database, service)
        login_free = _local_login(database, service)
        if action == "add":
            _add(args, service)
        elif action == "passwd":
            password = read_password()
            info = service.set_password(args.login, password)
            print(f"Mot de passe de « {info.login} » enregistré.")
        elif action in ("disable", "enable"):
            info = service.set_active(args.login, action == "enable")
            state = "réactivé" if info.active else "désactivé"
            print(f"Compte « {info.login} » {state}.")
        elif action == "rename":
            info = service.rename(args.login, args.name)
            print(f"Compte « {info.login} » : nom affiché « {info.display_name} ».")
        elif action == "class-accounts":
            _class_accounts(args, database, service)
        _warn_if_login_now_required(database, service, login_free)
    finally:
        database.dispose()
    return 0


def read_password() -> str:
    """The new password: typed twice at a terminal, or one line of standard input."""
    if sys.stdin is not None and sys.stdin.isatty():
        first = getpass.getpass(PROMPT)
        second = getpass.getpass(CONFIRM_PROMPT)
        if first != second:
            raise ValidationError("Les deux mots de passe saisis diffèrent : rien n'a changé.")
        return first
    line = sys.stdin.readline() if sys.stdin is not None else ""
    if not line:
        raise ValidationError("Aucun mot de passe lu sur l'entrée standard.")
    if line.endswith("\n"):
        line = line[:-1]
        if line.endswith("\r"):
            line = line[:-1]
    return line


def _add(args: argparse.Namespace, service: AccountService) -> None:
    role = Role(args.role)
    password = None if args.no_password else read_password()
    info = service.add(
        args.login, role, name=args.name, password=password, learner_ine=args.learner
    )
    line = f"Compte « {info.login} » créé : {info.role_label}, « {info.display_name} »"
    if info.learner_ine:
        line += f", apprenant {info.learner_name} ({info.learner_ine})"
    line += "." if info.has_password else ", sans mot de passe (il ne peut pas se connecter)."
    print(line)


def _list(database: Database, service: AccountService) -> int:
    accounts = service.list_accounts()
    if not accounts:
        print("Aucun compte.")
        return 0
    header = (
        "identifiant",
        "nom affiché",
        "rôle",
        "apprenant",
        "actif",
        "mot de passe",
        "en attente",
    )
    rows = [header, *(_row(info) for info in accounts)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(header))]
    for row in rows:
        print(
            "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        )
    local = _local_login(database, service)
    if local is not None:
        print(
            f"Cette base s'ouvre sans connexion, avec le profil local « {local} » "
            "(aucun compte actif n'a de mot de passe)."
        )
    return 0


def _row(info: AccountInfo) -> tuple[str, ...]:
    learner = f"{info.learner_name} ({info.learner_ine})" if info.learner_ine else ""
    return (
        info.login,
        info.display_name,
        ROLE_LABELS[info.role],
        learner,
        _yes_no(info.active),
        _yes_no(info.has_password),
        "oui" if info.waiting else "",
    )


def _yes_no(value: bool) -> str:
    return "oui" if value else "non"


def _class_accounts(args: argparse.Namespace, database: Database, service: AccountService) -> None:
    from livret.services.catalog import CatalogService

    code = args.class_code.strip()
    classes = [
        found
        for found in CatalogService(database, service.actor).list_classes()
        if found.code.casefold() == code.casefold()
        and (args.year is None or found.school_year_label == args.year)
    ]
    if not classes:
        year = f" en {args.year}" if args.year else ""
        raise NotFound(f"Aucune classe « {code} »{year}.")
    school_class = classes[0]  # the most recent school year first
    result = service.create_class_accounts(school_class.id, args.out)
    where = f"{school_class.code} ({school_class.school_year_label})"
    count = len(result.created)
    if count:
        print(f"Classe {where} : {count} compte(s) apprenant créé(s).")
    else:
        print(f"Classe {where} : aucun compte créé.")
    if result.already:
        print(f"Avaient déjà un compte ({len(result.already)}) : {', '.join(result.already)}.")
    if result.csv_path is not None:
        print(
            f"Identifiants et mots de passe initiaux : {result.csv_path} "
            "(lisible par son propriétaire seulement ; à distribuer puis à détruire)."
        )
    else:
        print("Aucun fichier écrit : il n'y avait aucun mot de passe à distribuer.")


def _local_login(database: Database, service: AccountService) -> str | None:
    """The local profile's login while the file opens without login; None otherwise."""
    from livret.services.authentication import local_profile, requires_login

    if requires_login(database):
        return None
    try:
        profile = local_profile(database)
    except NotFound:
        return ""
    return next((info.login for info in service.list_accounts() if info.id == profile.user_id), "")


def _warn_if_login_now_required(
    database: Database, service: AccountService, login_free: str | None
) -> None:
    """Tell that a login-free file now asks to log in, and what the local profile needs."""
    from livret.services.authentication import requires_login

    if login_free is None or not requires_login(database):
        return
    message = (
        "livret : attention : cette base a maintenant un compte avec mot de passe ; "
        "l'application demandera désormais de se connecter."
    )
    local = next((info for info in service.list_accounts() if info.login == login_free), None)
    if local is not None and local.active and not local.has_password:
        message += (
            f" Le profil local « {local.login} » (qui ouvrait la base sans connexion) "
            f"doit lui aussi recevoir un mot de passe : livret user passwd {local.login}"
        )
    print(message, file=sys.stderr)
