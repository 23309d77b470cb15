"""The revisions read from the migration scripts without Alembic are Alembic's own."""

from __future__ import annotations

from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import create_engine

from livret.services.database import open_database
from livret.storage import migrate


def test_head_and_known_revisions_are_alembics() -> None:
    script = ScriptDirectory.from_config(migrate.alembic_config())
    assert migrate.head_revision() == script.get_current_head()
    assert migrate.known_revisions() == {rev.revision for rev in script.walk_revisions()}


def test_current_revision_reads_the_version_table(tmp_path: Path) -> None:
    empty = create_engine(f"sqlite:///{tmp_path / 'empty.sqlite'}")
    with empty.connect() as connection:
        assert migrate.current_revision(connection) is None
    empty.dispose()
    database, _ = open_database(str(tmp_path / "livret.sqlite"), create=True)
    try:
        with database.engine.connect() as connection:
            assert migrate.current_revision(connection) == migrate.head_revision()
    finally:
        database.dispose()
