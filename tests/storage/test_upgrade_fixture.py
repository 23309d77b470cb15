"""A livret written by the first schema (tests/data/livret-0001.sqlite) upgrades to head intact."""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from livret.services.database import check_database, open_database
from livret.storage import guards, migrate
from livret.storage.backup import backups_dir
from livret.storage.guards import is_final_bilan_refusal

FIXTURE = Path(__file__).parents[1] / "data" / "livret-0001.sqlite"
TABLES_0001 = (
    "establishment",
    "referentiel",
    "school_year",
    "setting",
    "common_competency",
    "specialty",
    "competency",
    "learner",
    "school_class",
    "app_user",
    "criterion",
    "enrolment",
    "audit_event",
    "bilan",
    "evaluation",
    "mark",
    "positioning",
    "result",
)


def counts(path: Path) -> dict[str, int]:
    with closing(sqlite3.connect(path)) as connection:
        return {
            t: connection.execute(f"SELECT COUNT(*) FROM {t}").fetchone()[0] for t in TABLES_0001
        }


def test_the_fixture_is_the_first_schema_with_rows_everywhere() -> None:
    with sqlite3.connect(f"{FIXTURE.as_uri()}?mode=ro", uri=True) as connection:
        assert connection.execute("SELECT version_num FROM livret_schema_version").fetchone() == (
            "0001",
        )
    assert all(counts(FIXTURE).values())


def test_first_schema_upgrades_to_head_with_every_row(tmp_path: Path) -> None:
    path = tmp_path / "ancienne.sqlite"
    shutil.copyfile(FIXTURE, path)
    before = counts(path)

    database, report = open_database(str(path))
    try:
        assert report.migrated_from == "0001" and report.backup is not None
        with database.engine.connect() as connection:
            assert migrate.current_revision(connection) == migrate.head_revision()
            assert guards.missing(connection) == []
            after = {
                t: connection.execute(text(f"SELECT COUNT(*) FROM {t}")).scalar_one()
                for t in TABLES_0001
            }

            def one(sql: str) -> tuple[object, ...]:
                return tuple(connection.execute(text(sql)).one())

            assert one("SELECT family_name, first_name, ine FROM learner WHERE id = 2") == (
                "N'Diaye",
                "Éloi",
                "1234567890B",
            )
            assert one("SELECT level, comment FROM result WHERE id = 1") == ("3", "Très soigneux")
            assert one("SELECT status, constats, conseils FROM bilan WHERE id = 1") == (
                "final",
                "Bien",
                "Persévérer",
            )
            assert one("SELECT status, constats FROM bilan WHERE id = 2") == ("draft", "En cours")
            assert one(
                "SELECT level FROM positioning WHERE bilan_id = 1 AND common_competency_id = 2"
            ) == ("NE",)
            assert float(one("SELECT value FROM mark WHERE bilan_id = 1")[0]) == 13.5  # type: ignore[arg-type]
            assert one("SELECT company, tutor FROM evaluation WHERE id = 1") == (
                "Usine SA",
                "Mme Martin",
            )
            assert one("SELECT action, entity_id FROM audit_event WHERE id = 1") == (
                "bilan_finalized",
                1,
            )
            assert one("SELECT value FROM setting WHERE key = 'marks.rounding'") == ('"0.5"',)
        # The seed adds nothing to a livret that already has its establishment and people.
        assert after == before
        report_check = check_database(database)
        assert report_check.ok, report_check.problems
        with pytest.raises(DBAPIError) as refused, database.engine.begin() as connection:
            connection.execute(text("UPDATE bilan SET constats = 'x' WHERE id = 1"))
        assert is_final_bilan_refusal(refused.value)
    finally:
        database.dispose()
    # The copy made before the migration is the first schema, untouched.
    (copy,) = [p for p in backups_dir(path).glob("*.sqlite") if "avant-" in p.name]
    assert counts(copy) == before
    with closing(sqlite3.connect(copy)) as raw:
        assert raw.execute("SELECT version_num FROM livret_schema_version").fetchone() == ("0001",)
