"""Who is using the application: the local profile until accounts with passwords exist."""

from __future__ import annotations

from sqlalchemy import select

from livret.domain.errors import NotFound
from livret.domain.roles import Actor, Role
from livret.services.database import Database
from livret.storage import models


def local_actor(database: Database, role: Role = Role.TEACHER) -> Actor:
    """The local profile: the database's first user with that role (created at `db init`)."""
    user = models.User
    with database.sessions() as session:
        row = session.execute(
            select(user.id, user.display_name)
            .where(user.role == role.value, user.active.is_(True))
            .order_by(user.id)
            .limit(1)
        ).first()
    if row is None:
        raise NotFound(f"Aucun utilisateur avec le rôle « {role.value} » dans cette base.")
    return Actor(user_id=row.id, display_name=row.display_name, role=role)
