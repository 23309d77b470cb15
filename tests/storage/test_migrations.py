"""Schema migrations: upgrade without loss, refuse newer or foreign databases, back up first."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from livret.domain.errors import DatabaseError
from livret.services.database import open_database
from livret.storage import migrate
from livret.storage.backup import backups_dir
from livret.storage.engine import make_engine, resolve
from livret.storage.guards import is_final_bilan_refusal
from livret.storage.models import Base

FIRST_REVISION = "0001"

# A small livret written with the schema of the first revision.
REVISION_1_ROWS = [
    "INSERT INTO referentiel (id, code, title, version) VALUES (1, 'pmia', 'PMIA', '0.1')",
    "INSERT INTO common_competency (id, referentiel_id, code, title, group_code, group_label, "
    "position) VALUES (1, 1, 'CC1.1', 'Décoder l''organisation', 'CC1', 'Analyser', 1)",
    "INSERT INTO specialty (id, referentiel_id, code, title, position) "
    "VALUES (1, 1, 'PLP', 'Pilote', 1)",
    "INSERT INTO competency (id, specialty_id, code, title, position) "
    "VALUES (1, 1, 'CP03', 'Préparer', 1)",
    "INSERT INTO criterion (id, code, competency_id, common_competency_id, text, position) "
    "VALUES (1, 'PLP-CP03-04', 1, 1, 'Les matières d''œuvre sont conformes', 1)",
    "INSERT INTO learner (id, ine, family_name, first_name) "
    "VALUES (1, '1234567890A', 'Bénard', 'Zoé')",
    "INSERT INTO evaluation (id, nature, eval_date, title, context) "
    "VALUES (1, 'E', :d1, 'Bilan PFMP', '')",
    "INSERT INTO result (id, evaluation_id, learner_id, criterion_id, level, comment) "
    "VALUES (1, 1, 1, 1, '3', 'Très soigneux')",
    "INSERT INTO bilan (id, learner_id, status, bilan_date, constats, conseils, version) "
    "VALUES (1, 1, 'final', :d2, 'Bien', 'Persévérer', 1)",
]


def test_models_and_migrations_agree(db_url: str) -> None:
    database, _ = open_database(db_url, create=True)
    try:
        with database.engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "version_table": migrate.VERSION_TABLE}
            )
            differences = compare_metadata(context, Base.metadata)
    finally:
        database.dispose()
    assert differences == []


def test_upgrade_from_first_revision_keeps_every_row(db_url: str) -> None:
    location = resolve(db_url)
    engine = make_engine(location, create=True)
    migrate.upgrade(engine, FIRST_REVISION)
    with engine.begin() as connection:
        for statement in REVISION_1_ROWS:
            dates = {"d1": dt.date(2026, 1, 15), "d2": dt.date(2026, 2, 1)}
            connection.execute(
                text(statement), {k: v for k, v in dates.items() if f":{k}" in statement}
            )
    engine.dispose()

    database, report = open_database(db_url)
    try:
        assert report.migrated_from == FIRST_REVISION
        with database.engine.begin() as connection:
            assert migrate.current_revision(connection) == migrate.head_revision()
            assert connection.execute(
                text("SELECT family_name, first_name FROM learner")
            ).one() == ("Bénard", "Zoé")
            assert connection.execute(text("SELECT level, comment FROM result")).one() == (
                "3",
                "Très soigneux",
            )
            assert connection.execute(text("SELECT status, constats FROM bilan")).one() == (
                "final",
                "Bien",
            )
            assert (
                connection.execute(text("SELECT text FROM criterion")).scalar_one()
                == "Les matières d'œuvre sont conformes"
            )
            # 0003: the bundled référentiel's details (sources, notes) come back for export.
            extra = json.loads(
                connection.execute(text("SELECT extra FROM referentiel")).scalar_one()
            )
            assert extra["sources"][0]["status"].startswith("official text")
            assert json.loads(connection.execute(text("SELECT extra FROM specialty")).scalar_one())[
                "reference"
            ].startswith("arrêté du 30 mars 2012")
            group_extra = connection.execute(
                text("SELECT group_extra FROM referentiel")
            ).scalar_one()
            assert json.loads(group_extra)["CC1"] == {"status": "proposed"}
        # The bilan that was final before the upgrade is protected after it.
        with pytest.raises(DBAPIError) as refused, database.engine.begin() as connection:
            connection.execute(text("UPDATE bilan SET constats = 'x'"))
        assert is_final_bilan_refusal(refused.value)
    finally:
        database.dispose()
    if location.path is not None:
        backups = list(backups_dir(location.path).glob("*.sqlite"))
        assert len(backups) == 1
        with sqlite3.connect(backups[0]) as copy:
            assert copy.execute("SELECT version_num FROM livret_schema_version").fetchone() == (
                FIRST_REVISION,
            )
            assert copy.execute("SELECT comment FROM result").fetchone() == ("Très soigneux",)


def test_newer_revision_is_refused_clearly(db_url: str) -> None:
    database, _ = open_database(db_url, create=True)
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE livret_schema_version SET version_num = '9999_future'"))
    database.dispose()
    with pytest.raises(DatabaseError, match="version plus récente de Livret"):
        open_database(db_url)


def test_foreign_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "autre.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE notes (eleve TEXT, note REAL)")
    with pytest.raises(DatabaseError, match="n'a pas été créée par Livret"):
        open_database(str(path))
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT name FROM sqlite_master").fetchall() == [("notes",)]


def test_new_database_is_private_and_seeded(tmp_path: Path) -> None:
    path = tmp_path / "neuve.sqlite"
    database, report = open_database(str(path), create=True)
    try:
        assert report.created
        with database.engine.connect() as connection:
            assert (
                connection.execute(text("SELECT COUNT(*) FROM common_competency")).scalar_one()
                == 13
            )
            assert connection.execute(text("SELECT COUNT(*) FROM criterion")).scalar_one() == 118
            assert (
                connection.execute(text("SELECT role FROM app_user")).scalar_one() == "enseignant"
            )
    finally:
        database.dispose()
    assert path.stat().st_mode & 0o777 == 0o600


def test_a_failed_migration_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "livret.sqlite"
    engine = make_engine(resolve(str(path)), create=True)
    migrate.upgrade(engine, FIRST_REVISION)
    engine.dispose()

    def broken_install(connection: object, columns: object) -> None:
        from sqlalchemy import text as sql

        assert hasattr(connection, "execute")
        connection.execute(
            sql("CREATE TRIGGER half_done AFTER INSERT ON learner BEGIN SELECT 1; END")
        )
        raise RuntimeError("coupure au milieu de la migration")

    monkeypatch.setattr("livret.storage.guards.install", broken_install)
    with pytest.raises(RuntimeError):
        open_database(str(path))
    with sqlite3.connect(path) as connection:
        assert connection.execute("SELECT version_num FROM livret_schema_version").fetchone() == (
            FIRST_REVISION,
        )
        triggers = connection.execute("SELECT name FROM sqlite_master WHERE type='trigger'")
        assert triggers.fetchall() == []
    monkeypatch.undo()
    database, report = open_database(str(path))
    database.dispose()
    assert report.migrated_from == FIRST_REVISION


def test_another_alembic_database_is_not_taken_for_ours(tmp_path: Path) -> None:
    path = tmp_path / "autre-appli.sqlite"
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        connection.execute("INSERT INTO alembic_version VALUES ('0001')")
        connection.execute("CREATE TABLE commandes (id INTEGER PRIMARY KEY)")
    with pytest.raises(DatabaseError, match="n'a pas été créée par Livret"):
        open_database(str(path))


def test_backup_in_a_folder_with_special_characters(tmp_path: Path) -> None:
    folder = tmp_path / "Classe #2 100%"
    folder.mkdir()
    database, _ = open_database(str(folder / "livret.sqlite"), create=True)
    database.dispose()
    from livret.storage.backup import backup_sqlite

    copy = backup_sqlite(folder / "livret.sqlite")
    with sqlite3.connect(copy) as connection:
        assert connection.execute("SELECT COUNT(*) FROM criterion").fetchone() == (118,)
    # Nothing stray (the old URI cut at '#' and created "Classe ").
    assert not (tmp_path / "Classe ").exists()
    assert [p.name for p in tmp_path.iterdir()] == ["Classe #2 100%"]
