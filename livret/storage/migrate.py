"""Bring a database to the current schema: inspect its revision, back up, migrate, verify."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from livret.domain.errors import DatabaseError

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
# Our own name, so that another application's Alembic database is not taken for ours.
VERSION_TABLE = "livret_schema_version"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return config


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return {rev.revision for rev in script.walk_revisions()}


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
    context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
    return context.get_current_revision()
