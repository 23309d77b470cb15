"""The database itself refuses any change to a final bilan, except the DDFPT unlock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from livret.services.database import Database, open_database
from livret.storage.guards import FINALIZE_ACTION, UNLOCK_ACTION, is_final_bilan_refusal
from tests.databases import PG_URL, reset_postgresql


def _learner_with_bilan(connection: Connection, status: str) -> tuple[int, int]:
    """A learner and a bilan with two positionings, finalized through the normal path."""
    learner_id = connection.execute(
        text(
            "INSERT INTO learner (ine, family_name, first_name) "
            "VALUES ('1234567890A', 'Lefèvre', 'Chloé') RETURNING id"
        )
    ).scalar_one()
    bilan_id = connection.execute(
        text(
            "INSERT INTO bilan (learner_id, status, bilan_date, constats, conseils, version) "
            "VALUES (:l, 'draft', :d, 'Bon trimestre', 'Continuer', 1) RETURNING id"
        ),
        {"l": learner_id, "d": dt.date(2026, 3, 20)},
    ).scalar_one()
    cc_ids = (
        connection.execute(text("SELECT id FROM common_competency ORDER BY position LIMIT 2"))
        .scalars()
        .all()
    )
    for cc_id, level in zip(cc_ids, ["3", "4"], strict=True):
        connection.execute(
            text(
                "INSERT INTO positioning (bilan_id, common_competency_id, level) "
                "VALUES (:b, :c, :v)"
            ),
            {"b": bilan_id, "c": cc_id, "v": level},
        )
    if status == "final":
        connection.execute(text("UPDATE bilan SET status = 'final' WHERE id = :b"), {"b": bilan_id})
    return learner_id, bilan_id


REFUSED_STATEMENTS = [
    "UPDATE bilan SET constats = 'x' WHERE status = 'final'",
    "UPDATE bilan SET conseils = 'x' WHERE status = 'final'",
    "UPDATE bilan SET bilan_date = '2020-01-01' WHERE status = 'final'",
    "UPDATE bilan SET status = 'draft', constats = 'x' WHERE status = 'final'",
    "UPDATE bilan SET status = 'draft' WHERE status = 'final'",
    "UPDATE bilan SET author_id = NULL, finalized_at = NULL WHERE status = 'final'",
    "DELETE FROM bilan WHERE status = 'final'",
    "UPDATE positioning SET level = '1'",
    "DELETE FROM positioning",
    "INSERT INTO positioning (bilan_id, common_competency_id, level) "
    "SELECT b.id, c.id, '2' FROM bilan b, common_competency c "
    "WHERE c.position = (SELECT MAX(position) FROM common_competency)",
]


@pytest.mark.parametrize("statement", REFUSED_STATEMENTS)
def test_raw_sql_cannot_change_a_final_bilan(database: Database, statement: str) -> None:
    with database.engine.begin() as connection:
        _learner_with_bilan(connection, "final")
    with (
        pytest.raises((IntegrityError, DBAPIError)) as refused,
        database.engine.begin() as connection,
    ):
        connection.execute(text(statement))
    assert is_final_bilan_refusal(refused.value)
    assert "Bilan définitif" in str(refused.value)
    with database.engine.connect() as connection:
        row = connection.execute(text("SELECT status, constats FROM bilan")).one()
        levels = (
            connection.execute(text("SELECT level FROM positioning ORDER BY id")).scalars().all()
        )
    assert tuple(row) == ("final", "Bon trimestre")
    assert levels == ["3", "4"]


def _audit(connection: Connection, action: str, bilan_id: int) -> None:
    connection.execute(
        text(
            "INSERT INTO audit_event (actor, action, entity, entity_id, details) "
            "VALUES ('Mme Diallo', :a, 'bilan', :b, 'test')"
        ),
        {"a": action, "b": bilan_id},
    )


UNLOCK = "UPDATE bilan SET status = 'draft', version = version + 1 WHERE id = :b"


def test_unlock_without_its_audit_event_is_refused(database: Database) -> None:
    with database.engine.begin() as connection:
        _, bilan_id = _learner_with_bilan(connection, "final")
    with pytest.raises(DBAPIError) as refused, database.engine.begin() as connection:
        connection.execute(text(UNLOCK), {"b": bilan_id})
    assert is_final_bilan_refusal(refused.value)
    # An unlock recorded before the last finalization does not count either.
    with database.engine.begin() as connection:
        _audit(connection, UNLOCK_ACTION, bilan_id)
        _audit(connection, FINALIZE_ACTION, bilan_id)
    with pytest.raises(DBAPIError), database.engine.begin() as connection:
        connection.execute(text(UNLOCK), {"b": bilan_id})


def test_unlock_only_changes_status_and_version(database: Database) -> None:
    with database.engine.begin() as connection:
        _, bilan_id = _learner_with_bilan(connection, "final")
    with database.engine.begin() as connection:
        _audit(connection, UNLOCK_ACTION, bilan_id)
        connection.execute(text(UNLOCK), {"b": bilan_id})
    with database.engine.begin() as connection:
        # Back to draft: everything is editable again.
        connection.execute(
            text("UPDATE bilan SET constats = 'Revu' WHERE id = :b"), {"b": bilan_id}
        )
        connection.execute(text("UPDATE positioning SET level = '2'"))
        row = connection.execute(text("SELECT status, constats, version FROM bilan")).one()
    assert tuple(row) == ("draft", "Revu", 2)


def test_drafts_stay_editable_and_one_draft_per_learner(database: Database) -> None:
    with database.engine.begin() as connection:
        learner_id, bilan_id = _learner_with_bilan(connection, "draft")
        connection.execute(
            text("UPDATE bilan SET constats = 'Modifié' WHERE id = :b"), {"b": bilan_id}
        )
        connection.execute(text("DELETE FROM positioning WHERE bilan_id = :b"), {"b": bilan_id})
    with pytest.raises(IntegrityError), database.engine.begin() as connection:
        connection.execute(
            text("INSERT INTO bilan (learner_id, status, bilan_date) VALUES (:l, 'draft', :d)"),
            {"l": learner_id, "d": dt.date(2026, 11, 1)},
        )
    with database.engine.begin() as connection:
        # A second bilan is fine once the first one is final.
        connection.execute(text("UPDATE bilan SET status = 'final' WHERE id = :b"), {"b": bilan_id})
        connection.execute(
            text("INSERT INTO bilan (learner_id, status, bilan_date) VALUES (:l, 'draft', :d)"),
            {"l": learner_id, "d": dt.date(2026, 11, 1)},
        )
        count = connection.execute(text("SELECT COUNT(*) FROM bilan")).scalar_one()
    assert count == 2


def test_insert_or_replace_cannot_swap_a_final_bilan(tmp_path: Path) -> None:
    """SQLite only: INSERT OR REPLACE deletes the old row first; the guards still fire."""
    database, _ = open_database(str(tmp_path / "livret.sqlite"), create=True)
    try:
        with database.engine.begin() as connection:
            learner_id, bilan_id = _learner_with_bilan(connection, "final")
        for statement in (
            "INSERT OR REPLACE INTO bilan (id, learner_id, status, bilan_date, constats) "
            "VALUES (:b, :l, 'final', '2026-03-20', 'FALSIFIÉ')",
            "REPLACE INTO positioning (bilan_id, common_competency_id, level) "
            "SELECT :b, common_competency_id, '1' FROM positioning",
        ):
            with pytest.raises(DBAPIError) as refused, database.engine.begin() as connection:
                connection.execute(text(statement), {"b": bilan_id, "l": learner_id})
            assert is_final_bilan_refusal(refused.value)
        with database.engine.connect() as connection:
            constats = connection.execute(text("SELECT constats FROM bilan")).scalar_one()
            levels = connection.execute(text("SELECT level FROM positioning ORDER BY id"))
            assert (constats, levels.scalars().all()) == ("Bon trimestre", ["3", "4"])
    finally:
        database.dispose()


if PG_URL:  # collected only when CI (or you) names a PostgreSQL server

    def test_truncate_cannot_remove_final_bilans() -> None:
        database, _ = open_database(reset_postgresql(), create=True)
        try:
            with database.engine.begin() as connection:
                _learner_with_bilan(connection, "final")
            for statement in (
                "TRUNCATE positioning",
                "TRUNCATE bilan CASCADE",
                "TRUNCATE learner CASCADE",
            ):
                with pytest.raises(DBAPIError) as refused, database.engine.begin() as connection:
                    connection.execute(text(statement))
                assert is_final_bilan_refusal(refused.value)
            with database.engine.connect() as connection:
                count = connection.execute(text("SELECT COUNT(*) FROM positioning")).scalar_one()
            assert count == 2
        finally:
            database.dispose()

    test_truncate_cannot_remove_final_bilans = pytest.mark.postgres(
        test_truncate_cannot_remove_final_bilans
    )
