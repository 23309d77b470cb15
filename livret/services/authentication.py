"""Who is at the computer: the login (with its growing wait), the DDFPT's countersignature,
and the login-free local profile of a file that has no account with a password."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from livret.domain.errors import LivretError, PermissionDenied
from livret.domain.login_policy import FREE_ATTEMPTS, french_duration, wait_after
from livret.domain.permissions import Action, require
from livret.domain.roles import ROLE_LABELS, Actor, Role
from livret.services import audit
from livret.services.database import Database
from livret.services.users import command_line_actor
from livret.storage import models

LOGIN_ACTION = "login"
LOGIN_FAILED_ACTION = "login_failed"
LOGIN_LOCKED_ACTION = "login_locked"
COUNTERSIGN_FAILED_ACTION = "countersign_failed"

REFUSED_MESSAGE = "Identifiant ou mot de passe incorrect."
NO_DDFPT_MESSAGE = (
    "Aucun compte DDFPT n'existe dans cette base. Un administrateur le crée dans "
    "Administration → Comptes… (ou, en ligne de commande : "
    '« livret user add LOGIN --role ddfpt --name "Mme Dupont" »).'
)


class LoginRefused(LivretError):
    """Wrong login or password (the message never says which), or an account that waits."""


@dataclass(frozen=True, slots=True)
class _Account:
    id: int
    login: str
    display_name: str
    role: str
    password_hash: str | None
    learner_id: int | None
    active: bool
    failed_logins: int
    locked_until: dt.datetime | None


def normalize_login(login: str) -> str:
    return login.strip().casefold()


def requires_login(database: Database) -> bool:
    """True when the app must open on the login dialog.

    Always in shared mode (PostgreSQL); on a SQLite file as soon as one active account
    has a password. A file without one keeps working login-free, as its local teacher.
    """
    if database.location.url.get_backend_name() != "sqlite":
        return True
    user = models.User
    with database.sessions() as session:
        count = session.scalar(
            select(func.count())
            .select_from(user)
            .where(user.password_hash.is_not(None), user.active.is_(True))
        )
    return bool(count)


def local_profile(database: Database) -> Actor:
    """The local profile of a login-free file: its first active teacher, without a password."""
    if requires_login(database):
        raise PermissionDenied("Cette base demande de se connecter avec un compte.")
    return dataclasses.replace(command_line_actor(database), local=True)


def authenticate(database: Database, login: str, password: str) -> Actor:
    """The account's actor when the password is right; LoginRefused otherwise.

    Every attempt is audited. After FREE_ATTEMPTS failures in a row the account
    waits (login_policy.wait_after) and is not even checked until then.
    """
    return _check(database, login, password, failure_action=LOGIN_FAILED_ACTION, audit_ok=True)


def countersign(database: Database, login: str, password: str, session_actor: Actor) -> Actor:
    """The DDFPT who authorises an unlock at someone's computer, by their own password.

    A wrong password counts as a failed login of that account (same wait, audited with
    the session's user). An account that is not a DDFPT's is refused.
    """
    if not has_active_ddfpt(database):
        raise PermissionDenied(NO_DDFPT_MESSAGE)
    ddfpt = _check(
        database,
        login,
        password,
        failure_action=COUNTERSIGN_FAILED_ACTION,
        audit_ok=False,
        session_actor=session_actor,
    )
    require(ddfpt, Action.UNLOCK_BILAN)
    return ddfpt


def has_active_ddfpt(database: Database) -> bool:
    user = models.User
    with database.sessions() as session:
        found = session.scalar(
            select(user.id)
            .where(
                user.role == Role.DDFPT.value,
                user.active.is_(True),
                user.password_hash.is_not(None),
            )
            .limit(1)
        )
    return found is not None


def _check(
    database: Database,
    login: str,
    password: str,
    *,
    failure_action: str,
    audit_ok: bool,
    session_actor: Actor | None = None,
) -> Actor:
    from livret.services.passwords import hash_password, needs_rehash, verify_password

    cleaned = normalize_login(login)
    account = _read_account(database, cleaned)
    now = dt.datetime.now()
    session_user_id = session_actor.user_id if session_actor is not None else None
    if account is not None and account.locked_until is not None and account.locked_until > now:
        # Not even verified: waiting is what stops a guessing program.
        wait = french_duration(account.locked_until - now)
        with database.transaction() as session:
            audit.record(
                session,
                None,
                failure_action,
                "app_user",
                account.id,
                f"compte en attente ({wait})",
                actor_label=account.login,
                session_user_id=session_user_id,
            )
        raise LoginRefused(f"Trop d'essais infructueux pour ce compte : réessayez dans {wait}.")
    stored = account.password_hash if account is not None else None
    good = verify_password(stored, password)  # runs even for an unknown login (same time)
    if account is None or not good:
        message = _record_failure(database, account, cleaned, failure_action, session_user_id)
        raise LoginRefused(message)
    if not account.active:
        raise LoginRefused("Ce compte est désactivé : voyez l'administrateur de Livret.")
    actor = Actor(
        user_id=account.id,
        display_name=account.display_name,
        role=Role(account.role),
        learner_id=account.learner_id,
    )
    with database.transaction() as session:
        values: dict[str, object] = {"failed_logins": 0, "locked_until": None}
        if audit_ok:
            values["last_login_at"] = now
        if stored is not None and needs_rehash(stored):
            values["password_hash"] = hash_password(password)
        session.execute(update(models.User).where(models.User.id == account.id).values(values))
        if audit_ok:
            audit.record(session, actor, LOGIN_ACTION, "app_user", account.id, at=now)
    return actor


def _record_failure(
    database: Database,
    account: _Account | None,
    login: str,
    action: str,
    session_user_id: int | None,
) -> str:
    """Count the failure (and start the wait at the limit); the message to show."""
    with database.transaction() as session:
        if account is None:
            audit.record(
                session,
                None,
                action,
                "app_user",
                None,
                "identifiant inconnu",
                actor_label=login[:200],
                session_user_id=session_user_id,
            )
            return REFUSED_MESSAGE
        failures = _increment_failures(session, account.id)
        wait = wait_after(failures)
        audit.record(
            session,
            None,
            action,
            "app_user",
            account.id,
            f"échec n° {failures}",
            actor_label=account.login,
            session_user_id=session_user_id,
        )
        if wait is None:
            return REFUSED_MESSAGE
        session.execute(
            update(models.User)
            .where(models.User.id == account.id)
            .values(locked_until=dt.datetime.now() + wait)
        )
        audit.record(
            session,
            None,
            LOGIN_LOCKED_ACTION,
            "app_user",
            account.id,
            f"{failures} échecs de suite : attente de {french_duration(wait)}",
            actor_label=account.login,
            session_user_id=session_user_id,
        )
    return (
        f"{REFUSED_MESSAGE} Après {FREE_ATTEMPTS} échecs de suite, le compte doit attendre "
        f"{french_duration(wait)} avant un nouvel essai."
    )


def _increment_failures(session: Session, user_id: int) -> int:
    """One more failure, counted in the database (two computers failing at once both count)."""
    user = models.User
    return int(
        session.execute(
            update(user)
            .where(user.id == user_id)
            .values(failed_logins=user.failed_logins + 1)
            .returning(user.failed_logins)
        ).scalar_one()
    )


def _read_account(database: Database, login: str) -> _Account | None:
    user = models.User
    with database.sessions() as session:
        row = session.execute(
            select(
                user.id,
                user.login,
                user.display_name,
                user.role,
                user.password_hash,
                user.learner_id,
                user.active,
                user.failed_logins,
                user.locked_until,
            ).where(func.lower(user.login) == login)
        ).first()
    return _Account(*row) if row is not None else None


def role_label(role: str) -> str:
    return ROLE_LABELS[Role(role)]
