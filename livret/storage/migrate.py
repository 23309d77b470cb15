"""Bring a database to the current schema: inspect its revision, back up, migrate, verify.

Alembic (and Mako, Pygments behind it: ~0.3 s) is imported only to migrate: the
revisions are read from the migration scripts' `revision = …` lines, and a database's
revision from its version table, so opening a database already at head never loads it.
"""

from __future__ import annotations

import ast
import functools
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text

from livret.domain.errors import DatabaseError

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Our own name, so that another application's Alembic database is not taken for ours.
VERSION_TABLE = "livret_schema_version"


def alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


@functools.cache
def _revision_graph() -> dict[str, str | None]:
    """Each migration script's revision and the one it revises, as Alembic reads them.

    A test checks this against Alembic's ScriptDirectory.
    """
    graph: dict[str, str | None] = {}
    for script in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        names: dict[str, object] = {}
        for node in ast.parse(script.read_text(encoding="utf-8")).body:
            if isinstance(node, ast.Assign) and len(node.targets) == 1:
                target = node.targets[0]
                if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
                    names[target.id] = ast.literal_eval(node.value)
        revision = names.get("revision")
        if isinstance(revision, str):
            down = names.get("down_revision")
            graph[revision] = down if isinstance(down, str) else None
    return graph


def head_revision() -> str:
    """The one revision no other migration revises."""
    graph = _revision_graph()
    heads = set(graph) - {down for down in graph.values() if down is not None}
    if len(heads) != 1:
        raise DatabaseError(f"Migrations de Livret incohérentes : têtes {sorted(heads)}.")
    return heads.pop()


def known_revisions() -> set[str]:
    return set(_revision_graph())


@dataclass(frozen=True, slots=True)
class SchemaState:
    """What a database holds before migration."""

    revision: str | None
    empty: bool

    @property
    def at_head(self) -> bool:
        return self.revision == head_revision()


def inspect_schema(connection: Connection) -> SchemaState:
    """The database's revision; refuses a foreign database or one from a newer Livret."""
    tables = set(inspect(connection).get_table_names())
    if not tables:
        return SchemaState(revision=None, empty=True)
    if VERSION_TABLE not in tables:
        raise DatabaseError(
            "Cette base de données n'a pas été créée par Livret (aucune version de schéma) : "
            "elle n'est pas ouverte, pour ne rien abîmer."
        )
    revisions = list(connection.scalars(text(f"SELECT version_num FROM {VERSION_TABLE}")))
    if len(revisions) != 1:
        raise DatabaseError("Version de schéma illisible dans cette base de données.")
    revision = revisions[0]
    if revision not in known_revisions():
        raise DatabaseError(
            "Cette base a été créée par une version plus récente de Livret "
            f"(schéma « {revision} ») : mettez Livret à jour pour l'ouvrir."
        )
    return SchemaState(revision=revision, empty=False)


def upgrade(engine: Engine, target: str = "head") -> None:
    """Run the migrations up to target in one transaction, then verify foreign keys.

    On SQLite, foreign keys are off meanwhile (batch migrations rebuild tables); the
    pragma only works outside a transaction, hence on the raw connection before BEGIN.
    Any failure rolls back every step: the database stays at its former revision.
    """
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        raw = connection.connection.dbapi_connection
        if sqlite:
            assert raw is not None
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with connection.begin():
                from alembic import command

                config = alembic_config()
                config.attributes["connection"] = connection
                command.upgrade(config, target)
                if sqlite:
                    problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if problems:
                        raise DatabaseError(
                            f"Migration annulée : {len(problems)} référence(s) invalide(s) "
                            "dans la base ; rien n'a été modifié."
                        )
        finally:
            if sqlite:
                assert raw is not None
                raw.execute("PRAGMA foreign_keys=ON")


def current_revision(connection: Connection) -> str | None:
    """The revision in the version table (None without one), as Alembic reads it."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return None
    revisions = list(connection.scalars(text(f"SELECT version_num FROM {VERSION_TABLE}")))
    if len(revisions) > 1:
        raise DatabaseError("Version de schéma illisible dans cette base de données.")
    return revisions[0] if revisions else None
