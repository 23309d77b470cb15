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
    if "alembic_version" not in tables:
        raise DatabaseError(
            "Cette base de données n'a pas été créée par Livret (aucune version de schéma) : "
            "elle n'est pas ouverte, pour ne rien abîmer."
        )
    revisions = list(connection.scalars(text("SELECT version_num FROM alembic_version")))
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
    """Run the migrations up to target on one connection, foreign keys off, then verify them."""
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations rebuild tables; FK enforcement must be off meanwhile
            # (this pragma is ignored inside a transaction, hence before begin()).
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        try:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, target)
            connection.commit()
            if sqlite:
                problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if problems:
                    raise DatabaseError(
                        f"Migration interrompue : {len(problems)} référence(s) invalide(s) "
                        "dans la base."
                    )
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")


def current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()
