"""Who acts in the command-line tools: whoever holds the database file or its credentials."""

from __future__ import annotations

from sqlalchemy import select

from livret.domain.errors import NotFound
from livret.domain.roles import Actor, Role
from livret.services.database import Database
from livret.storage import models


def command_line_actor(database: Database) -> Actor:
    """The actor of the CLI commands: the database's first active teacher.

    That is the user created at `db init` (login = the OS login). The command line
    is run by whoever holds the database file (SQLite) or its credentials
    (PostgreSQL), who could change the data directly anyway; the audit log names
    that teacher.
    """
    user = models.User
    with database.sessions() as session:
        row = session.execute(
            select(user.id, user.display_name)
            .where(user.role == Role.TEACHER.value, user.active.is_(True))
            .order_by(user.id)
            .limit(1)
        ).first()
    if row is None:
        raise NotFound("Aucun profil local (enseignant actif) dans cette base.")
    return Actor(user_id=row.id, display_name=row.display_name, role=Role.TEACHER)
