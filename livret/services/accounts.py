"""Accounts: create, list, set a password, disable, rename; learner accounts for a class.

Passwords arrive as arguments of these methods only (the CLI prompts or reads standard
input, the GUI a password field); they are hashed with argon2id and never stored,
logged or audited in clear.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from livret.domain.errors import NotFound, ValidationError
from livret.domain.login_policy import password_problem
from livret.domain.permissions import Action, require
from livret.domain.roles import ROLE_LABELS, Actor, Role
from livret.services import audit
from livret.services.authentication import normalize_login
from livret.services.database import Database
from livret.services.dto import display_name, sort_key
from livret.services.passwords import generate_password, hash_password
from livret.storage import models

LOGIN_PATTERN = re.compile(r"[a-z0-9][a-z0-9._-]{0,99}")
MAX_DISPLAY_NAME = 200

USER_ADDED_ACTION = "user_added"
PASSWORD_SET_ACTION = "user_password_set"
USER_DISABLED_ACTION = "user_disabled"
USER_ENABLED_ACTION = "user_enabled"
USER_RENAMED_ACTION = "user_renamed"
CLASS_ACCOUNTS_ACTION = "class_accounts_created"


@dataclass(frozen=True, slots=True)
class AccountInfo:
    id: int
    login: str
    display_name: str
    role: Role
    active: bool
    has_password: bool
    learner_ine: str | None
    learner_name: str | None
    last_login_at: dt.datetime | None
    waiting: bool
    """True while the account waits after too many failed logins."""

    @property
    def role_label(self) -> str:
        return ROLE_LABELS[self.role]


@dataclass(frozen=True, slots=True)
class ClassAccounts:
    """What creating a class's learner accounts did."""

    created: tuple[tuple[str, str], ...]
    """(login, learner name) of each new account; the passwords are in the CSV only."""
    already: tuple[str, ...]
    """Names of the learners who had an account already."""
    csv_path: Path | None


class AccountService:
    """Account management (Administrateur; the login-free local profile for its first accounts)."""

    def __init__(self, database: Database, actor: Actor) -> None:
        self._database = database
        self._actor = actor

    @property
    def actor(self) -> Actor:
        return self._actor

    def list_accounts(self) -> tuple[AccountInfo, ...]:
        require(self._actor, Action.MANAGE_USERS)
        user, learner = models.User, models.Learner
        now = dt.datetime.now()  # locked_until is local time, like every stored timestamp
        with self._database.snapshot() as connection:
            rows = connection.execute(
                select(
                    user.id,
                    user.login,
                    user.display_name,
                    user.role,
                    user.active,
                    user.password_hash.is_not(None),
                    learner.ine,
                    learner.family_name,
                    learner.first_name,
                    user.last_login_at,
                    user.locked_until,
                )
                .outerjoin(learner, learner.id == user.learner_id)
                .order_by(user.login)
            ).all()
        return tuple(
            AccountInfo(
                id=row[0],
                login=row[1],
                display_name=row[2],
                role=Role(row[3]),
                active=bool(row[4]),
                has_password=bool(row[5]),
                learner_ine=row[6],
                learner_name=display_name(row[7], row[8]) if row[6] else None,
                last_login_at=row[9],
                waiting=row[10] is not None and row[10] > now,
            )
            for row in rows
        )

    def add(
        self,
        login: str,
        role: Role,
        *,
        name: str | None = None,
        password: str | None = None,
        learner_ine: str | None = None,
    ) -> AccountInfo:
        """A new account; an Apprenant account needs its learner's INE."""
        require(self._actor, Action.MANAGE_USERS)
        cleaned = _checked_login(login)
        if password is not None and (problem := password_problem(password)):
            raise ValidationError(problem)
        with self._database.transaction() as session:
            if _find(session, cleaned) is not None:
                raise ValidationError(f"L'identifiant « {cleaned} » existe déjà.")
            learner_id: int | None = None
            shown = (name or "").strip()
            if role is Role.LEARNER:
                learner_id, learner_name = _learner_for_account(session, learner_ine)
                shown = shown or learner_name
            elif learner_ine:
                raise ValidationError("Seul un compte Apprenant est rattaché à un apprenant (INE).")
            shown = _checked_name(shown or cleaned)
            user_id = session.execute(
                insert(models.User)
                .values(
                    login=cleaned,
                    display_name=shown,
                    role=role.value,
                    password_hash=hash_password(password) if password is not None else None,
                    learner_id=learner_id,
                )
                .returning(models.User.id)
            ).scalar_one()
            audit.record(
                session,
                self._actor,
                USER_ADDED_ACTION,
                "app_user",
                user_id,
                f"{cleaned} ({ROLE_LABELS[role]}, {shown})",
            )
        return self._info(cleaned)

    def set_password(self, login: str, password: str) -> AccountInfo:
        """A new password (an administrator's reset, or one's own); the wait is lifted."""
        cleaned = normalize_login(login)
        if not self._is_self(cleaned):
            require(self._actor, Action.MANAGE_USERS)
        if problem := password_problem(password):
            raise ValidationError(problem)
        with self._database.transaction() as session:
            user_id = self._existing(session, cleaned)
            session.execute(
                update(models.User)
                .where(models.User.id == user_id)
                .values(password_hash=hash_password(password), failed_logins=0, locked_until=None)
            )
            audit.record(session, self._actor, PASSWORD_SET_ACTION, "app_user", user_id, cleaned)
        return self._info(cleaned)

    def set_active(self, login: str, active: bool) -> AccountInfo:
        """Disable (or enable again) an account; a disabled account cannot log in."""
        require(self._actor, Action.MANAGE_USERS)
        cleaned = normalize_login(login)
        if not active and self._is_self(cleaned):
            raise ValidationError("Vous ne pouvez pas désactiver votre propre compte.")
        with self._database.transaction() as session:
            user_id = self._existing(session, cleaned)
            session.execute(
                update(models.User).where(models.User.id == user_id).values(active=active)
            )
            action = USER_ENABLED_ACTION if active else USER_DISABLED_ACTION
            audit.record(session, self._actor, action, "app_user", user_id, cleaned)
        return self._info(cleaned)

    def rename(self, login: str, name: str) -> AccountInfo:
        """The name shown as author (« Rédigé par : Mme Martin »); one's own, or as admin."""
        cleaned = normalize_login(login)
        if not self._is_self(cleaned) or self._actor.role is Role.LEARNER:
            require(self._actor, Action.MANAGE_USERS)
        shown = _checked_name(name.strip())
        with self._database.transaction() as session:
            user_id = self._existing(session, cleaned)
            session.execute(
                update(models.User).where(models.User.id == user_id).values(display_name=shown)
            )
            audit.record(session, self._actor, USER_RENAMED_ACTION, "app_user", user_id, shown)
        return self._info(cleaned)

    def own_login(self) -> str:
        if self._actor.user_id is None:
            raise NotFound("Cette session n'a pas de compte.")
        with self._database.sessions() as session:
            login = session.scalar(
                select(models.User.login).where(models.User.id == self._actor.user_id)
            )
        if login is None:
            raise NotFound("Ce compte n'existe plus.")
        return login

    def create_class_accounts(self, class_id: int, csv_path: Path) -> ClassAccounts:
        """An Apprenant account for every learner of the class who has none.

        Each gets a generated initial password, written with the logins to one CSV
        (`;`, UTF-8 with BOM for spreadsheets) readable by its owner only. The CSV is
        written before the accounts are committed: if it cannot be, none is created.
        """
        require(self._actor, Action.MANAGE_USERS)
        with self._database.transaction() as session:
            school_class = session.get(models.SchoolClass, class_id)
            if school_class is None:
                raise NotFound(f"Classe introuvable (n° {class_id}).")
            learners = _class_learners(session, class_id)
            taken = set(session.scalars(select(func.lower(models.User.login))))
            created: list[tuple[str, str, str, str, str]] = []
            already: list[str] = []
            for learner_id, ine, family, first, has_account in learners:
                name = display_name(family, first)
                if has_account:
                    already.append(name)
                    continue
                login = _unique_login(first, family, taken)
                password = generate_password()
                user_id = session.execute(
                    insert(models.User)
                    .values(
                        login=login,
                        display_name=_checked_name(f"{first} {family}".strip() or login),
                        role=Role.LEARNER.value,
                        password_hash=hash_password(password),
                        learner_id=learner_id,
                    )
                    .returning(models.User.id)
                ).scalar_one()
                audit.record(
                    session, self._actor, USER_ADDED_ACTION, "app_user", user_id,
                    f"{login} (Apprenant, {name})",
                )  # fmt: skip
                created.append((login, password, family, first, ine))
            audit.record(
                session,
                self._actor,
                CLASS_ACCOUNTS_ACTION,
                "school_class",
                class_id,
                f"{school_class.code} : {len(created)} compte(s) créé(s)",
            )
            written = _write_private_csv(csv_path, school_class.code, created) if created else None
        return ClassAccounts(
            created=tuple((login, display_name(f, p)) for login, _, f, p, _ in created),
            already=tuple(already),
            csv_path=written,
        )

    # -- helpers ---------------------------------------------------------------------

    def _is_self(self, login: str) -> bool:
        if self._actor.user_id is None:
            return False
        with self._database.sessions() as session:
            found = _find(session, login)
        return found is not None and found == self._actor.user_id

    def _existing(self, session: Session, login: str) -> int:
        user_id = _find(session, login)
        if user_id is None:
            raise NotFound(f"Aucun compte « {login} ».")
        return user_id

    def _info(self, login: str) -> AccountInfo:
        if not self._actor.local and self._actor.role is not Role.ADMIN:
            # One's own password or name: no right to list the others.
            return _own_info(self._database, login)
        return next(info for info in self.list_accounts() if info.login == login)


def _own_info(database: Database, login: str) -> AccountInfo:
    user = models.User
    with database.sessions() as session:
        row = session.execute(
            select(user.id, user.login, user.display_name, user.role, user.active).where(
                func.lower(user.login) == login
            )
        ).one()
    return AccountInfo(
        row[0], row[1], row[2], Role(row[3]), bool(row[4]), True, None, None, None, False
    )


def _find(session: Session, login: str) -> int | None:
    return session.scalar(select(models.User.id).where(func.lower(models.User.login) == login))


def _checked_login(login: str) -> str:
    cleaned = normalize_login(login)
    if not LOGIN_PATTERN.fullmatch(cleaned):
        raise ValidationError(
            f"Identifiant « {login.strip()[:40]} » refusé : lettres sans accent, chiffres, "
            "points, tirets et soulignés seulement (100 caractères au plus)."
        )
    return cleaned


def _checked_name(name: str) -> str:
    if not name:
        raise ValidationError("Indiquez le nom affiché du compte.")
    if len(name) > MAX_DISPLAY_NAME or any(unicodedata.category(c)[0] == "C" for c in name):
        raise ValidationError(
            f"Nom affiché refusé : {MAX_DISPLAY_NAME} caractères au plus, "
            "sans caractère de contrôle."
        )
    return name


def _learner_for_account(session: Session, ine: str | None) -> tuple[int, str]:
    if not ine or not ine.strip():
        raise ValidationError("Un compte Apprenant doit indiquer l'INE de l'apprenant (--learner).")
    learner = models.Learner
    row = session.execute(
        select(learner.id, learner.family_name, learner.first_name).where(
            learner.ine == ine.strip().upper()
        )
    ).first()
    if row is None:
        raise NotFound(f"Aucun apprenant d'INE « {ine.strip()} ».")
    owner = session.scalar(select(models.User.login).where(models.User.learner_id == row.id))
    if owner is not None:
        raise ValidationError(
            f"{display_name(row.family_name, row.first_name)} a déjà un compte (« {owner} »)."
        )
    return row.id, f"{row.first_name} {row.family_name}"


def _class_learners(session: Session, class_id: int) -> list[tuple[int, str, str, str, bool]]:
    learner, enrolment, user = models.Learner, models.Enrolment, models.User
    rows = session.execute(
        select(
            learner.id,
            learner.ine,
            learner.family_name,
            learner.first_name,
            user.id.is_not(None),
        )
        .join(enrolment, enrolment.learner_id == learner.id)
        .outerjoin(user, user.learner_id == learner.id)
        .where(enrolment.class_id == class_id, learner.left_on.is_(None))
    ).all()
    found = [(r[0], r[1], r[2], r[3], bool(r[4])) for r in rows]
    found.sort(key=lambda r: (sort_key(r[2]), sort_key(r[3]), r[0]))
    return found


def _ascii_slug(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    kept = "".join(
        c if c.isascii() and (c.isalnum()) else "-"
        for c in decomposed
        if not unicodedata.combining(c)
    )
    return "-".join(part for part in kept.split("-") if part)


def _unique_login(first: str, family: str, taken: set[str]) -> str:
    """« prénom.nom » without accents, made unique with a number: chloe.lefevre2."""
    base = ".".join(part for part in (_ascii_slug(first), _ascii_slug(family)) if part)[:90]
    base = base or "apprenant"
    login, number = base, 1
    while login in taken:
        number += 1
        login = f"{base}{number}"
    taken.add(login)
    return login


def _write_private_csv(
    path: Path, class_code: str, rows: Iterable[tuple[str, str, str, str, str]]
) -> Path:
    """Write the initial passwords to a CSV only its owner may read (0600, replaced atomically)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow(["identifiant", "mot de passe", "nom", "prénom", "INE", "classe"])
    for login, password, family, first, ine in rows:
        writer.writerow([login, password, family, first, ine, class_code])
    data = ("\ufeff" + buffer.getvalue()).encode("utf-8")
    target = path.expanduser()
    temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(temporary, 0o600)
        os.replace(temporary, target)
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise ValidationError(
            f"Impossible d'écrire « {target} » ({exc.strerror or exc}) : aucun compte créé."
        ) from None
    return target
