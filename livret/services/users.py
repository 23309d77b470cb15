"""Who is using the application: the local profile until accounts with passwords exist."""

from __future__ import annotations

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError

from livret.domain.errors import NotFound, PermissionDenied
from livret.domain.roles import ROLE_LABELS, Actor, Role
from livret.services.database import Database
from livret.storage import models


def local_actor(database: Database, role: Role = Role.TEACHER) -> Actor:
    """The local profile, acting with the given role.

    The local profile is the database's first active teacher: the user created at
    `db init` (login = the OS login). Until user accounts exist, the local profile
    may act with another role (the DDFPT, to unlock a bilan): that role gets its own
    user, created once, with login "<local login>-<role>" and display name
    "<local name> (DDFPT)". The original user's role is never changed, so the audit
    log and the bilans' authors keep telling what was done as teacher and what as
    DDFPT, and these users become ordinary accounts once accounts exist.
    """
    user = models.User
    with database.sessions() as session:
        local = session.execute(
            select(user.id, user.login, user.display_name)
            .where(user.role == Role.TEACHER.value, user.active.is_(True))
            .order_by(user.id)
            .limit(1)
        ).first()
    if local is None:
        raise NotFound("Aucun profil local (enseignant actif) dans cette base.")
    if role is Role.TEACHER:
        return Actor(user_id=local.id, display_name=local.display_name, role=role)

    login = f"{local.login}-{role.value}"
    display_name = f"{local.display_name} ({ROLE_LABELS[role]})"
    for _attempt in range(2):  # a second Livret started at the same time may create it too
        with database.sessions() as session:
            row = session.execute(
                select(user.id, user.display_name, user.role, user.active).where(
                    user.login == login
                )
            ).first()
        if row is not None:
            if row.role != role.value or not row.active:
                raise PermissionDenied(
                    f"Le profil local « {login} » n'a plus le rôle {ROLE_LABELS[role]}."
                )
            return Actor(user_id=row.id, display_name=row.display_name, role=role)
        try:
            with database.transaction() as session:
                user_id = session.execute(
                    insert(user)
                    .values(login=login, display_name=display_name, role=role.value)
                    .returning(user.id)
                ).scalar_one()
        except IntegrityError:
            continue
        return Actor(user_id=user_id, display_name=display_name, role=role)
    raise NotFound(f"Impossible de créer le profil local « {login} ».")
