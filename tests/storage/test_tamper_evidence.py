"""Tampering is refused or seen: guards checked by definition, a chained audit log, final
bilans fingerprinted and keeping the titles they were written with."""

from __future__ import annotations

import io
import sqlite3
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from livret.domain.roles import Actor, Role
from livret.services import audit
from livret.services.bilans import CONFIRMATION_WORD, BilanService
from livret.services.database import Database, check_database
from livret.services.exports import ExportService
from livret.storage import audit_chain, guards
from tests.accounts import make_account
from tests.demo_queries import learner_with


@dataclass(frozen=True)
class Finalized:
    teacher: Actor
    learner_id: int
    bilan_id: int
    cc_id: int


def _finalize_one(database: Database) -> Finalized:
    """A learner with one final bilan gets a second, through the services (audited)."""
    teacher = make_account(database, Role.TEACHER)
    learner_id = learner_with(database, 1, False)
    service = BilanService(database, teacher)
    sheet = service.open_draft(learner_id)
    cc_id = sheet.rows[0].common_competency_id
    sheet = service.save_draft(
        sheet.bilan_id,
        version=sheet.version,
        constats="Progrès nets",
        conseils="Continuer",
        positionings={cc_id: "3"},
    )
    service.finalize(sheet.bilan_id, version=sheet.version, confirmation=CONFIRMATION_WORD)
    return Finalized(teacher, learner_id, sheet.bilan_id, cc_id)


def _problems(database: Database) -> tuple[str, ...]:
    return check_database(database).problems


def _refused(database: Database, statement: str, **params: object) -> DBAPIError:
    with pytest.raises(DBAPIError) as refused, database.engine.begin() as connection:
        connection.execute(text(statement), params)
    return refused.value


def test_a_fresh_demo_checks_clean(demo_database: Database) -> None:
    _finalize_one(demo_database)
    report = check_database(demo_database)
    assert report.problems == ()
    assert report.ok
    assert check_database(demo_database, quick=True).ok


# -- guards compared by definition ---------------------------------------------------------


def test_a_guard_recreated_as_when_0_is_reported(demo_database: Database) -> None:
    with demo_database.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.execute(text("DROP TRIGGER trg_positioning_final_delete"))
            connection.execute(
                text(
                    "CREATE TRIGGER trg_positioning_final_delete BEFORE DELETE ON positioning "
                    "FOR EACH ROW WHEN 0 BEGIN SELECT RAISE(ABORT, 'Bilan définitif'); END"
                )
            )
        else:
            # The same name, a body that lets everything through.
            connection.execute(
                text(
                    "CREATE OR REPLACE FUNCTION livret_positioning_final_guard() "
                    "RETURNS trigger AS $$ BEGIN IF TG_OP = 'DELETE' THEN RETURN OLD; END IF; "
                    "RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            connection.execute(
                text(
                    "DROP TRIGGER trg_bilan_final_guard ON bilan; "
                    "CREATE TRIGGER trg_bilan_final_guard BEFORE DELETE OR UPDATE ON bilan "
                    "FOR EACH ROW WHEN (false) EXECUTE FUNCTION livret_bilan_final_guard()"
                )
            )
    problems = _problems(demo_database)
    if demo_database.engine.dialect.name == "sqlite":
        assert "protection modifiée : trg_positioning_final_delete" in " ".join(problems)
    else:
        joined = " ".join(problems)
        assert "protection modifiée : fonction livret_positioning_final_guard" in joined
        assert "protection modifiée : trg_bilan_final_guard" in joined


def test_an_extra_trigger_is_reported(demo_database: Database) -> None:
    with demo_database.engine.begin() as connection:
        if connection.dialect.name == "sqlite":
            connection.execute(
                text("CREATE TRIGGER trg_sneaky AFTER INSERT ON audit_event BEGIN SELECT 1; END")
            )
        else:
            connection.execute(
                text(
                    "CREATE TRIGGER trg_sneaky AFTER INSERT ON audit_event FOR EACH ROW "
                    "EXECUTE FUNCTION livret_truncate_guard()"
                )
            )
    assert any("déclencheur inconnu : trg_sneaky" in line for line in _problems(demo_database))


@pytest.mark.postgres
def test_a_disabled_trigger_is_reported_on_postgresql(demo_database: Database) -> None:
    if demo_database.engine.dialect.name != "postgresql":
        pytest.skip("ALTER TABLE … DISABLE TRIGGER is PostgreSQL's")
    with demo_database.engine.begin() as connection:
        connection.execute(text("ALTER TABLE bilan DISABLE TRIGGER trg_bilan_final_guard"))
        connection.execute(text("ALTER TABLE audit_event DISABLE TRIGGER trg_audit_event_guard"))
    problems = _problems(demo_database)
    assert "protection désactivée : trg_bilan_final_guard (ALTER TABLE … DISABLE TRIGGER)" in (
        problems
    )
    assert any("désactivée : trg_audit_event_guard" in line for line in problems)


# -- INSERT OR REPLACE in a plain sqlite3 shell ----------------------------------------------


def _shell(database: Database) -> sqlite3.Connection:
    """A plain sqlite3 connection, as the sqlite3 shell opens it: no recursive_triggers."""
    path = database.location.path
    assert path is not None
    connection = sqlite3.connect(path)
    assert connection.execute("PRAGMA recursive_triggers").fetchone() == (0,)
    return connection


def test_insert_or_replace_cannot_move_a_final_positioning(demo_database: Database) -> None:
    if demo_database.location.path is None:
        pytest.skip("SQLite's OR REPLACE")
    done = _finalize_one(demo_database)
    shell = _shell(demo_database)
    try:
        final_row = shell.execute(
            "SELECT p.id, p.common_competency_id, p.level FROM positioning p "
            "JOIN bilan b ON b.id = p.bilan_id WHERE b.id = ?",
            (done.bilan_id,),
        ).fetchone()
        draft_id = shell.execute("SELECT id FROM bilan WHERE status = 'draft' LIMIT 1").fetchone()[
            0
        ]
        attacks = [
            (
                "INSERT OR REPLACE INTO positioning (id, bilan_id, common_competency_id, level) "
                "VALUES (?, ?, ?, '1')",
                (final_row[0], draft_id, final_row[1]),
            ),
            (
                "UPDATE OR REPLACE positioning SET id = ? "
                "WHERE id = (SELECT MIN(id) FROM positioning WHERE bilan_id = ?)",
                (final_row[0], draft_id),
            ),
            (
                "INSERT OR REPLACE INTO bilan (id, learner_id, status, bilan_date, version) "
                "VALUES (?, ?, 'draft', '2026-01-01', 1)",
                (done.bilan_id, done.learner_id),
            ),
            ("UPDATE OR REPLACE bilan SET id = ? WHERE id = ?", (done.bilan_id, draft_id)),
            (
                "INSERT OR REPLACE INTO audit_event (id, actor, action, entity, details, at) "
                "VALUES ((SELECT MIN(id) FROM audit_event), 'x', 'x', 'x', '', '2026-01-01')",
                (),
            ),
        ]
        for statement, params in attacks:
            with pytest.raises(sqlite3.IntegrityError, match=r"définitif|Journal d'audit"):
                shell.execute(statement, params)
            shell.rollback()
        assert shell.execute(
            "SELECT bilan_id, common_competency_id, level FROM positioning WHERE id = ?",
            (final_row[0],),
        ).fetchone() == (done.bilan_id, final_row[1], final_row[2])
    finally:
        shell.close()
    assert _problems(demo_database) == ()


# -- the audit log -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET details = 'rien' WHERE id = :e",
        "UPDATE audit_event SET actor = 'Quelqu''un' WHERE id = :e",
        "UPDATE audit_event SET action = 'bilan_saved' WHERE id = :e",
        "UPDATE audit_event SET at = at + INTERVAL '1 day' WHERE id = :e",
        "UPDATE audit_event SET entity_id = entity_id + 1 WHERE id = :e",
        "UPDATE audit_event SET hash = NULL WHERE id = :e",
        "DELETE FROM audit_event WHERE id = :e",
        "DELETE FROM audit_event",
    ],
)
def test_the_audit_log_refuses_changes(demo_database: Database, statement: str) -> None:
    _finalize_one(demo_database)
    if demo_database.engine.dialect.name == "sqlite":
        statement = statement.replace("at + INTERVAL '1 day'", "datetime(at, '+1 day')")
    with demo_database.engine.connect() as connection:
        event_id = connection.scalar(text("SELECT MAX(id) FROM audit_event"))
    refused = _refused(demo_database, statement, e=event_id)
    assert guards.is_audit_refusal(refused)
    assert _problems(demo_database) == ()


@pytest.mark.postgres
def test_truncate_of_the_audit_log_is_refused(demo_database: Database) -> None:
    if demo_database.engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE is PostgreSQL's")
    _finalize_one(demo_database)
    assert guards.is_audit_refusal(_refused(demo_database, "TRUNCATE audit_event CASCADE"))


def _reinstall_guards(connection: Connection) -> None:
    """The attacker puts the guards back as they were, so that only the chain tells."""
    columns = (
        [row[1] for row in connection.exec_driver_sql("PRAGMA table_info(bilan)")]
        if connection.dialect.name == "sqlite"
        else []
    )
    guards.install(connection, columns)
    guards.install_audit(connection)


@pytest.mark.parametrize("change", ["details", "delete", "actor"])
def test_a_chain_broken_behind_the_guards_is_reported(demo_database: Database, change: str) -> None:
    _finalize_one(demo_database)
    with demo_database.engine.begin() as connection:
        first, middle = connection.execute(
            text("SELECT MIN(id), MIN(id) + 1 FROM audit_event")
        ).one()
        guards.drop(connection)
        if change == "details":
            connection.execute(
                text("UPDATE audit_event SET details = 'aucune modification' WHERE id = :e"),
                {"e": middle},
            )
        elif change == "actor":
            connection.execute(
                text("UPDATE audit_event SET actor = 'Un autre' WHERE id = :e"), {"e": first}
            )
        else:
            connection.execute(text("DELETE FROM audit_event WHERE id = :e"), {"e": middle})
        _reinstall_guards(connection)
    problems = " ".join(_problems(demo_database))
    if change == "delete":
        assert "chaîne rompue" in problems
    else:
        assert "modifié (auteur, objet ou détails)" in problems


def test_the_start_up_check_verifies_the_newest_final_bilans(
    demo_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its cost must not grow with the school's history; `db check` still sees them all."""
    import livret.services.database as database_module

    monkeypatch.setattr(database_module, "QUICK_FINAL_BILANS", 2)
    with demo_database.engine.connect() as connection:
        finals = (
            connection.execute(text("SELECT id FROM bilan WHERE status = 'final' ORDER BY id"))
            .scalars()
            .all()
        )
    assert len(finals) > 3
    oldest, newest = finals[0], finals[-1]

    def tamper(bilan_id: int) -> None:
        with demo_database.engine.begin() as connection:
            guards.drop(connection)
            connection.execute(
                text("UPDATE bilan SET constats = 'Réécrit en douce' WHERE id = :b"),
                {"b": bilan_id},
            )
            _reinstall_guards(connection)

    tamper(oldest)
    assert check_database(demo_database, quick=True).ok  # out of the start-up slice
    full = " ".join(check_database(demo_database).problems)
    assert f"bilan définitif n° {oldest} modifié" in full
    tamper(newest)
    quick = " ".join(check_database(demo_database, quick=True).problems)
    assert f"bilan définitif n° {newest} modifié" in quick
    assert f"n° {oldest} " not in quick


def test_a_fake_unlock_is_reported(demo_database: Database) -> None:
    """Insert a bilan_unlocked event, edit, re-finalize, delete the event: refused, and seen."""
    done = _finalize_one(demo_database)
    with demo_database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO audit_event (at, actor, action, entity, entity_id, details) "
                "VALUES (CURRENT_TIMESTAMP, 'DDFPT', 'bilan_unlocked', 'bilan', :b, 'faux')"
            ),
            {"b": done.bilan_id},
        )
        connection.execute(
            text("UPDATE bilan SET status = 'draft' WHERE id = :b"), {"b": done.bilan_id}
        )
        connection.execute(
            text("UPDATE bilan SET constats = 'Réécrit' WHERE id = :b"), {"b": done.bilan_id}
        )
        connection.execute(
            text("UPDATE bilan SET status = 'final' WHERE id = :b"), {"b": done.bilan_id}
        )
    refused = _refused(
        demo_database,
        "DELETE FROM audit_event WHERE action = 'bilan_unlocked' AND entity_id = :b",
        b=done.bilan_id,
    )
    assert guards.is_audit_refusal(refused)
    problems = " ".join(_problems(demo_database))
    assert "non scellé" in problems
    assert f"bilan définitif n° {done.bilan_id} modifié" in problems
    assert f"bilan n° {done.bilan_id} définitif, mais son journal compte 1" in problems

    # Even with the guards dropped, the deleted event and the rewritten text show.
    with demo_database.engine.begin() as connection:
        guards.drop(connection)
        connection.execute(text("DELETE FROM audit_event WHERE details = 'faux'"))
        _reinstall_guards(connection)
    problems = " ".join(_problems(demo_database))
    assert f"bilan définitif n° {done.bilan_id} modifié" in problems


def test_a_draft_back_from_final_without_its_unlock_is_reported(demo_database: Database) -> None:
    done = _finalize_one(demo_database)
    with demo_database.engine.begin() as connection:
        guards.drop(connection)
        connection.execute(
            text("UPDATE bilan SET status = 'draft' WHERE id = :b"), {"b": done.bilan_id}
        )
        _reinstall_guards(connection)
    problems = " ".join(_problems(demo_database))
    assert f"bilan n° {done.bilan_id} en brouillon" in problems
    assert "retour au brouillon sans déverrouillage" in problems


def test_a_real_unlock_checks_clean(demo_database: Database) -> None:
    done = _finalize_one(demo_database)
    make_account(demo_database, Role.DDFPT, "ddfpt-tamper")
    from tests.accounts import PASSWORD

    sheet = BilanService(demo_database, done.teacher).unlock(
        done.bilan_id,
        reason="erreur de saisie",
        ddfpt_login="ddfpt-tamper",
        ddfpt_password=PASSWORD,
    )
    assert sheet.status == "draft"
    assert _problems(demo_database) == ()
    BilanService(demo_database, done.teacher).finalize(
        done.bilan_id, version=sheet.version, confirmation=CONFIRMATION_WORD
    )
    assert _problems(demo_database) == ()


@pytest.mark.postgres
def test_concurrent_writers_keep_one_chain(demo_database: Database) -> None:
    if demo_database.engine.dialect.name != "postgresql":
        pytest.skip("PostgreSQL's concurrent writers")
    errors: list[BaseException] = []

    def write(worker: int) -> None:
        try:
            for index in range(15):
                with demo_database.transaction() as session:
                    audit.record(session, None, "test_event", "test", None, f"{worker}-{index}")
                    audit.record(session, None, "test_event", "test", None, f"{worker}-{index}b")
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(n,)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    with demo_database.engine.connect() as connection:
        assert audit_chain.verify_chain(connection) == []
        assert connection.scalar(text("SELECT COUNT(*) FROM audit_event WHERE hash IS NULL")) == 0


# -- a final bilan keeps its titles ------------------------------------------------------------


def _pdf_text(path: Path) -> str:
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    return " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)


def test_a_renamed_cc_leaves_final_bilans_as_they_were(
    demo_database: Database, tmp_path: Path
) -> None:
    done = _finalize_one(demo_database)
    with demo_database.engine.begin() as connection:
        old_title = connection.scalar(
            text("SELECT title FROM common_competency WHERE id = :c"), {"c": done.cc_id}
        )
        connection.execute(
            text("UPDATE common_competency SET title = 'Intitulé tout neuf' WHERE id = :c"),
            {"c": done.cc_id},
        )
    service = BilanService(demo_database, done.teacher)
    final = service.sheet(done.bilan_id)
    row = next(r for r in final.rows if r.common_competency_id == done.cc_id)
    assert (row.title, row.current) == (old_title, "3")
    draft = service.open_draft(learner_with(demo_database, 1, False))
    assert next(r for r in draft.rows if r.common_competency_id == done.cc_id).title == (
        "Intitulé tout neuf"
    )
    exports = ExportService(demo_database, done.teacher)
    final_pdf = _pdf_text(exports.export_bilan_pdf(done.bilan_id, tmp_path / "final.pdf"))
    draft_pdf = _pdf_text(exports.export_bilan_pdf(draft.bilan_id, tmp_path / "draft.pdf"))
    assert " ".join(old_title.split()[:3]) in final_pdf
    assert "Intitulé tout neuf" not in final_pdf
    assert "Intitulé tout neuf" in draft_pdf
    # Renaming is no tampering: the final bilan still matches its fingerprint.
    assert _problems(demo_database) == ()


def test_erased_marks_match_the_guards() -> None:
    from livret.services import privacy_records

    assert privacy_records.ERASED_NAME == guards.ERASED_NAME
    assert privacy_records.ERASED_DETAILS == guards.ERASED_DETAILS


# -- migration 0006 ------------------------------------------------------------------------

REVISION_5_ROWS = [
    "INSERT INTO referentiel (id, code, title, version) VALUES (1, 'pmia', 'PMIA', '0.1')",
    "INSERT INTO common_competency (id, referentiel_id, code, title, group_code, group_label, "
    "position) VALUES (1, 1, 'CC1.1', 'Décoder l''organisation', 'CC1', 'Analyser', 1)",
    "INSERT INTO common_competency (id, referentiel_id, code, title, group_code, group_label, "
    "position) VALUES (2, 1, 'CC1.2', 'Rendre compte', 'CC1', 'Analyser', 2)",
    "INSERT INTO learner (id, ine, family_name, first_name) "
    "VALUES (1, '1234567890A', 'Bénard', 'Zoé')",
    "INSERT INTO bilan (id, learner_id, status, bilan_date, constats, conseils, version) "
    "VALUES (1, 1, 'draft', '2026-02-01', 'Bien', 'Persévérer', 1)",
    "INSERT INTO positioning (bilan_id, common_competency_id, level) VALUES (1, 1, '3')",
    "INSERT INTO audit_event (at, actor, action, entity, entity_id, details) "
    "VALUES ('2026-02-01 10:00:00', 'M. Martin', 'bilan_draft_created', 'bilan', 1, '')",
    "INSERT INTO audit_event (at, actor, action, entity, entity_id, details) "
    "VALUES ('2026-02-01 10:05:00.250000', 'M. Martin', 'bilan_saved', 'bilan', 1, "
    "'CC1.1 : NE → 3')",
    "UPDATE bilan SET status = 'final' WHERE id = 1",
    "INSERT INTO audit_event (at, actor, action, entity, entity_id, details) "
    "VALUES ('2026-02-01 10:06:00', 'M. Martin', 'bilan_finalized', 'bilan', 1, "
    "'1 positionnement NE : CC1.2')",
]


def test_upgrade_from_0005_chains_the_journal_and_fingerprints_final_bilans(db_url: str) -> None:
    from livret.services.database import open_database
    from livret.storage import migrate
    from livret.storage.engine import make_engine, resolve

    engine = make_engine(resolve(db_url), create=True)
    migrate.upgrade(engine, "0005")
    with engine.begin() as connection:
        for statement in REVISION_5_ROWS:
            connection.execute(text(statement))
    engine.dispose()

    database, report = open_database(db_url)
    try:
        assert report.migrated_from == "0005"
        with database.engine.connect() as connection:
            hashes = connection.execute(
                text("SELECT prev_hash, hash FROM audit_event ORDER BY id")
            ).all()
            assert len(hashes) == 3 and all(h for pair in hashes for h in pair)
            assert hashes[0][0] == audit_chain.GENESIS
            assert [pair[0] for pair in hashes[1:]] == [pair[1] for pair in hashes[:-1]]
            assert audit_chain.verify_chain(connection) == []
            snapshot, fingerprint = connection.execute(
                text("SELECT cc_snapshot, content_hash FROM bilan WHERE id = 1")
            ).one()
            assert fingerprint and len(fingerprint) == 64
            assert [e.title for e in audit_chain.load_snapshot(snapshot) or ()] == [
                "Décoder l'organisation",
                "Rendre compte",
            ]
        assert check_database(database).problems == ()
        # The journal written before the upgrade is guarded after it.
        assert guards.is_audit_refusal(
            _refused(database, "UPDATE audit_event SET details = 'x' WHERE id = 1")
        )
        # And the final bilan keeps its titles through a later rename.
        with database.engine.begin() as connection:
            connection.execute(text("UPDATE common_competency SET title = 'Autre' WHERE id = 2"))
        with database.snapshot() as connection:
            from livret.services.bilans import read_sheet

            sheet = read_sheet(connection, 1)
        assert [row.title for row in sheet.rows] == ["Décoder l'organisation", "Rendre compte"]
        assert [row.current for row in sheet.rows] == ["3", "NE"]
    finally:
        database.dispose()
