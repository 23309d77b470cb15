"""BilanService: the draft, the editor's sheet, saving, finalizing and the DDFPT unlock."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from livret.domain.errors import (
    ConflictError,
    FinalBilanError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from livret.domain.roles import Actor, Role
from livret.services import bilans
from livret.services.authentication import LoginRefused
from livret.services.bilans import BilanService, BilanSheet
from livret.services.dashboard import DashboardService
from livret.services.database import Database
from livret.services.users import command_line_actor
from livret.storage.guards import is_final_bilan_refusal
from tests.accounts import PASSWORD, make_account
from tests.demo_queries import learner_with

CC_CODES = [
    "CC1.1", "CC2.1", "CC2.2", "CC2.3", "CC2.4", "CC3.1", "CC3.2",
    "CC3.3", "CC4.1", "CC4.2", "CC5.1", "CC6.1", "CC6.2",
]  # fmt: skip
CONSTATS = "Élève sérieuse, à l'écoute.\nProgrès nets en maintenance « préventive » — bravo !"
CONSEILS = "Soigner les comptes rendus d'intervention.\n\nRelire les fiches sécurité."


def as_date(value: object) -> dt.date:
    """A date from a raw SQL row (SQLite gives text, PostgreSQL a date)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def query(database: Database, sql: str, **params: Any) -> list[Any]:
    with database.engine.connect() as connection:
        return list(connection.execute(text(sql), params).all())


def scalar(database: Database, sql: str, **params: Any) -> Any:
    with database.engine.connect() as connection:
        return connection.execute(text(sql), params).scalar_one()


COUNTERSIGN = {"ddfpt_login": "test-ddfpt", "ddfpt_password": PASSWORD}
"""The countersignature of make_account's DDFPT."""


def services(database: Database) -> tuple[BilanService, BilanService]:
    """The database's teacher (the CLI's actor) and a DDFPT account, logged in."""
    teacher = BilanService(database, command_line_actor(database))
    ddfpt = BilanService(database, make_account(database, Role.DDFPT))
    return teacher, ddfpt


def new_learner(database: Database, ine: str = "1234567890A") -> int:
    """Chloé Lefèvre, in 1re PLP 1 for 2026-2027."""
    with database.engine.begin() as connection:
        year = connection.execute(
            text(
                "INSERT INTO school_year (label, start_date, end_date) "
                "VALUES ('2026-2027', :s, :e) RETURNING id"
            ),
            {"s": dt.date(2026, 9, 1), "e": dt.date(2027, 7, 3)},
        ).scalar_one()
        class_id = connection.execute(
            text(
                "INSERT INTO school_class (school_year_id, code, label, grade) "
                "VALUES (:y, '1PLP1', '1re PLP 1', '1re') RETURNING id"
            ),
            {"y": year},
        ).scalar_one()
        learner = connection.execute(
            text(
                "INSERT INTO learner (ine, family_name, first_name) "
                "VALUES (:i, 'Lefèvre', 'Chloé') RETURNING id"
            ),
            {"i": ine},
        ).scalar_one()
        connection.execute(
            text(
                "INSERT INTO enrolment (learner_id, school_year_id, class_id) VALUES (:l, :y, :c)"
            ),
            {"l": learner, "y": year, "c": class_id},
        )
    return int(learner)


def cc_ids(database: Database) -> dict[str, int]:
    return {
        code: cc_id for cc_id, code in query(database, "SELECT id, code FROM common_competency")
    }


def stored(database: Database, bilan_id: int) -> tuple[Any, ...]:
    """Everything about a bilan, as raw SQL sees it."""
    row = query(
        database,
        "SELECT status, bilan_date, constats, conseils, version FROM bilan WHERE id = :b",
        b=bilan_id,
    )[0]
    levels = query(
        database,
        "SELECT cc.code, p.level FROM positioning p "
        "JOIN common_competency cc ON cc.id = p.common_competency_id "
        "WHERE p.bilan_id = :b ORDER BY cc.code",
        b=bilan_id,
    )
    audit = scalar(database, "SELECT COUNT(*) FROM audit_event WHERE entity_id = :b", b=bilan_id)
    return (
        row.status,
        as_date(row.bilan_date),
        row.constats,
        row.conseils,
        row.version,
        [tuple(level) for level in levels],
        audit,
    )


def current_levels(sheet: BilanSheet) -> dict[str, str]:
    return {row.code: row.current for row in sheet.rows if row.current != "NE"}


def saved_draft(database: Database, service: BilanService, learner_id: int) -> BilanSheet:
    """A draft with texts and three positionings."""
    ids = cc_ids(database)
    draft = service.open_draft(learner_id)
    return service.save_draft(
        draft.bilan_id,
        version=draft.version,
        constats=CONSTATS,
        conseils=CONSEILS,
        positionings={ids["CC1.1"]: "3", ids["CC2.1"]: "4", ids["CC3.2"]: "2"},
        bilan_date=dt.date(2026, 11, 20),
    )


# -- command-line actor -------------------------------------------------------------------


def test_command_line_actor_is_the_first_teacher_and_creates_nobody(database: Database) -> None:
    before = query(database, "SELECT id, login, role FROM app_user ORDER BY id")
    actor = command_line_actor(database)

    assert actor.role is Role.TEACHER and not actor.local
    assert actor.user_id == before[0][0] and before[0][2] == "enseignant"
    assert command_line_actor(database) == actor
    assert query(database, "SELECT id, login, role FROM app_user ORDER BY id") == before


# -- draft and sheet ----------------------------------------------------------------------


def test_open_draft_creates_once_then_reuses(database: Database) -> None:
    teacher, _ = services(database)
    learner_id = new_learner(database)

    sheet = teacher.open_draft(learner_id)
    assert sheet.learner_id == learner_id
    assert sheet.learner_name == "LEFÈVRE Chloé"
    assert (sheet.class_label, sheet.school_year_label) == ("1re PLP 1", "2026-2027")
    assert (sheet.status, sheet.is_final, sheet.version) == ("draft", False, 1)
    assert sheet.bilan_date == dt.date.today()
    assert (sheet.constats, sheet.conseils) == ("", "")
    assert sheet.author == teacher.actor.display_name
    assert (sheet.finalized_at, sheet.finalized_by, sheet.previous_date) == (None, None, None)
    assert [row.code for row in sheet.rows] == CC_CODES
    assert all(row.previous is None and row.current == "NE" for row in sheet.rows)
    assert sheet.missing == tuple(CC_CODES)
    assert [(e.label, e.actor, e.action) for e in sheet.history] == [
        ("Brouillon créé", teacher.actor.display_name, "bilan_draft_created")
    ]

    again = teacher.open_draft(learner_id)
    assert again == sheet
    assert scalar(database, "SELECT COUNT(*) FROM bilan") == 1
    assert scalar(database, "SELECT COUNT(*) FROM audit_event WHERE entity = 'bilan'") == 1


def test_open_draft_reuses_the_dashboard_draft(database: Database) -> None:
    teacher, _ = services(database)
    learner_id = new_learner(database)
    ids = cc_ids(database)
    saved = teacher.set_positioning(learner_id, ids["CC4.2"], "++")

    sheet = teacher.open_draft(learner_id)
    assert (sheet.bilan_id, sheet.version) == (saved.bilan_id, saved.bilan_version)
    assert current_levels(sheet) == {"CC4.2": "4"}
    assert len(sheet.missing) == 12 and "CC4.2" not in sheet.missing


def _levels_by_code(database: Database, bilan_id: int) -> dict[str, str]:
    return dict(
        query(
            database,
            "SELECT cc.code, p.level FROM positioning p "
            "JOIN common_competency cc ON cc.id = p.common_competency_id WHERE p.bilan_id = :b",
            b=bilan_id,
        )
    )


def test_sheets_of_a_learner_with_history(demo_database: Database) -> None:
    teacher, _ = services(demo_database)
    learner_id = learner_with(demo_database, 2, True)
    bilans = query(
        demo_database,
        "SELECT b.id, b.status, b.bilan_date, c.label AS class_label, y.label AS year_label, "
        "u.display_name AS author, l.family_name, l.first_name FROM bilan b "
        "JOIN learner l ON l.id = b.learner_id "
        "LEFT JOIN school_class c ON c.id = b.class_id "
        "LEFT JOIN school_year y ON y.id = c.school_year_id "
        "LEFT JOIN app_user u ON u.id = b.author_id "
        "WHERE b.learner_id = :l ORDER BY b.bilan_date, b.id",
        l=learner_id,
    )
    first, second, draft = bilans
    assert (first.status, second.status, draft.status) == ("final", "final", "draft")

    sheet = teacher.open_draft(learner_id)  # the existing draft, nothing created
    assert sheet.bilan_id == draft.id
    assert scalar(demo_database, "SELECT COUNT(*) FROM audit_event WHERE entity = 'bilan'") == 0
    assert sheet.learner_name == f"{first.family_name.upper()} {first.first_name}"
    assert (sheet.class_label, sheet.school_year_label) == (draft.class_label, draft.year_label)
    assert sheet.author == draft.author
    assert [row.code for row in sheet.rows] == CC_CODES
    # Previous: the latest final bilan, NE where it has no positioning.
    latest = _levels_by_code(demo_database, second.id)
    assert len(latest) == 13  # the demo's final bilans are complete
    assert {row.code: row.previous for row in sheet.rows} == latest
    assert sheet.previous_date == as_date(second.bilan_date) == dt.date(2026, 3, 20)
    assert current_levels(sheet) == _levels_by_code(demo_database, draft.id)
    assert set(sheet.missing) == set(CC_CODES) - set(_levels_by_code(demo_database, draft.id))

    # A final bilan compares with the final one before it.
    second_sheet = teacher.sheet(second.id)
    assert second_sheet.is_final and second_sheet.finalized_at is not None
    assert second_sheet.previous_date == as_date(first.bilan_date) == dt.date(2025, 12, 12)
    assert {row.code: row.previous for row in second_sheet.rows} == _levels_by_code(
        demo_database, first.id
    )
    assert {row.code: row.current for row in second_sheet.rows} == latest
    first_sheet = teacher.sheet(first.id)
    assert first_sheet.previous_date is None
    assert all(row.previous is None for row in first_sheet.rows)

    with pytest.raises(NotFound, match="Bilan introuvable"):
        teacher.sheet(999_999)
    with pytest.raises(NotFound, match="Apprenant introuvable"):
        teacher.open_draft(999_999)


def test_previous_is_ne_where_the_previous_bilan_has_no_positioning(database: Database) -> None:
    teacher, _ = services(database)
    learner_id = new_learner(database)
    first = saved_draft(database, teacher, learner_id)
    teacher.finalize(first.bilan_id, version=first.version, confirmation="CONFIRMATION")

    sheet = teacher.open_draft(learner_id)
    assert sheet.bilan_id != first.bilan_id
    assert sheet.previous_date == dt.date(2026, 11, 20)
    previous = {row.code: row.previous for row in sheet.rows}
    assert previous == {code: "NE" for code in CC_CODES} | {
        "CC1.1": "3",
        "CC2.1": "4",
        "CC3.2": "2",
    }
    assert all(row.current == "NE" for row in sheet.rows)


# -- saving -------------------------------------------------------------------------------


def test_save_draft_round_trip(database: Database) -> None:
    teacher, _ = services(database)
    learner_id = new_learner(database)
    ids = cc_ids(database)

    saved = saved_draft(database, teacher, learner_id)
    assert saved.version == 2
    assert (saved.constats, saved.conseils) == (CONSTATS, CONSEILS)
    assert saved.bilan_date == dt.date(2026, 11, 20)
    assert current_levels(saved) == {"CC1.1": "3", "CC2.1": "4", "CC3.2": "2"}
    reread = teacher.sheet(saved.bilan_id)
    assert reread == saved
    assert stored(database, saved.bilan_id) == (
        "draft",
        dt.date(2026, 11, 20),
        CONSTATS,
        CONSEILS,
        2,
        [("CC1.1", "3"), ("CC2.1", "4"), ("CC3.2", "2")],
        2,
    )

    # NE removes a positioning; CCs left out of the mapping keep theirs; symbols are accepted.
    again = teacher.save_draft(
        saved.bilan_id,
        version=saved.version,
        constats=CONSTATS,
        conseils="Autre conseil",
        positionings={ids["CC2.1"]: "NE", ids["CC3.2"]: "--", ids["CC6.2"]: "+"},
    )
    assert again.version == 3
    assert again.bilan_date == dt.date(2026, 11, 20)  # no date given: unchanged
    assert current_levels(again) == {"CC1.1": "3", "CC3.2": "1", "CC6.2": "3"}
    assert stored(database, saved.bilan_id)[5] == [("CC1.1", "3"), ("CC3.2", "1"), ("CC6.2", "3")]
    history = [(e.label, e.details) for e in again.history]
    assert history == [
        ("Brouillon créé", "depuis l'éditeur"),
        (
            "Enregistré",
            "date : "
            + dt.date.today().strftime("%d/%m/%Y")
            + " → 20/11/2026 ; Constats modifiés ; Conseils modifiés ; "
            "CC1.1 : NE → 3 ; CC2.1 : NE → 4 ; CC3.2 : NE → 2",
        ),
        ("Enregistré", "Conseils modifiés ; CC2.1 : 4 → NE ; CC3.2 : 2 → 1 ; CC6.2 : NE → 3"),
    ]

    # Saving without any change still bumps the version (the editor's copy is the latest).
    unchanged = teacher.save_draft(
        saved.bilan_id,
        version=again.version,
        constats=again.constats,
        conseils=again.conseils,
        positionings={row.common_competency_id: row.current for row in again.rows},
    )
    assert unchanged.version == 4
    assert unchanged.history[-1].details == "aucune modification"


def test_stale_version_is_refused_and_nothing_written(database: Database) -> None:
    teacher, ddfpt = services(database)
    learner_id = new_learner(database)
    ids = cc_ids(database)
    read_by_teacher = teacher.open_draft(learner_id)
    saved_by_ddfpt = ddfpt.save_draft(
        read_by_teacher.bilan_id,
        version=read_by_teacher.version,
        constats="Vu par le DDFPT",
        conseils="",
        positionings={ids["CC5.1"]: "2"},
    )
    before = stored(database, read_by_teacher.bilan_id)

    with pytest.raises(ConflictError) as conflict:
        teacher.save_draft(
            read_by_teacher.bilan_id,
            version=read_by_teacher.version,
            constats="Ma version",
            conseils="Mes conseils",
            positionings={ids["CC5.1"]: "4", ids["CC1.1"]: "3"},
            bilan_date=dt.date(2026, 11, 21),
        )
    assert conflict.value.message == (
        f"Ce bilan a été modifié entre-temps par {ddfpt.actor.display_name} : rechargez-le."
    )
    with pytest.raises(ConflictError, match="modifié entre-temps"):
        teacher.finalize(
            read_by_teacher.bilan_id, version=read_by_teacher.version, confirmation="CONFIRMATION"
        )
    assert stored(database, read_by_teacher.bilan_id) == before
    assert before[4] == saved_by_ddfpt.version == 2

    # A change from the dashboard (not audited) is reported without a name.
    teacher.set_positioning(learner_id, ids["CC6.1"], "3")
    with pytest.raises(ConflictError, match="depuis le tableau de bord ou un autre poste"):
        ddfpt.save_draft(
            saved_by_ddfpt.bilan_id,
            version=saved_by_ddfpt.version,
            constats="",
            conseils="",
            positionings={},
        )


@pytest.mark.parametrize(
    ("level", "known_cc", "message"),
    [
        ("ABS", True, "ABS n'est pas un positionnement possible"),
        ("5", True, "Niveau inconnu"),
        ("bien", True, "Niveau inconnu"),
        ("3", False, r"Compétence commune inconnue \(n° 999999\)"),
    ],
)
def test_invalid_positionings_write_nothing(
    database: Database, level: str, known_cc: bool, message: str
) -> None:
    teacher, _ = services(database)
    learner_id = new_learner(database)
    ids = cc_ids(database)
    draft = saved_draft(database, teacher, learner_id)
    before = stored(database, draft.bilan_id)

    with pytest.raises(ValidationError, match=message):
        teacher.save_draft(
            draft.bilan_id,
            version=draft.version,
            constats="Ne doit pas être écrit",
            conseils="",
            positionings={
                ids["CC1.1"]: "1",
                (ids["CC4.1"] if known_cc else 999_999): level,
                ids["CC2.1"]: "NE",
            },
            bilan_date=dt.date(2026, 11, 22),
        )
    assert stored(database, draft.bilan_id) == before


def test_only_teachers_and_ddfpt_write_bilans(database: Database) -> None:
    learner_id = new_learner(database)
    teacher, _ = services(database)
    draft = teacher.open_draft(learner_id)
    learner = BilanService(database, Actor(user_id=None, display_name="Chloé", role=Role.LEARNER))
    with pytest.raises(PermissionDenied):
        learner.open_draft(learner_id)
    with pytest.raises(PermissionDenied):
        learner.save_draft(
            draft.bilan_id, version=draft.version, constats="x", conseils="", positionings={}
        )
    with pytest.raises(PermissionDenied):
        learner.finalize(draft.bilan_id, version=draft.version, confirmation="CONFIRMATION")
    assert stored(database, draft.bilan_id)[0::4] == ("draft", 1)


# -- finalizing ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "typed", ["confirmation", "CONFIRMATIO", " CONFIRMATION", "CONFIRMATION ", "Confirmation", ""]
)
def test_finalize_needs_the_exact_word(database: Database, typed: str) -> None:
    teacher, _ = services(database)
    draft = saved_draft(database, teacher, new_learner(database))
    before = stored(database, draft.bilan_id)

    with pytest.raises(ValidationError) as refused:
        teacher.finalize(draft.bilan_id, version=draft.version, confirmation=typed)
    assert refused.value.message == (
        "Tapez CONFIRMATION en lettres capitales pour enregistrer définitivement."
    )
    assert stored(database, draft.bilan_id) == before
    assert before[0] == "draft"


def test_finalize_then_every_edit_path_is_refused(database: Database) -> None:
    teacher, _ = services(database)
    learner_id = new_learner(database)
    ids = cc_ids(database)
    draft = saved_draft(database, teacher, learner_id)

    final = teacher.finalize(draft.bilan_id, version=draft.version, confirmation="CONFIRMATION")
    assert (final.status, final.is_final, final.version) == ("final", True, 3)
    assert final.finalized_by == teacher.actor.display_name
    assert final.finalized_at is not None
    assert final.finalized_at.date() == dt.date.today()
    last = final.history[-1]
    assert (last.action, last.label, last.actor) == (
        "bilan_finalized",
        "Enregistré définitivement",
        teacher.actor.display_name,
    )
    assert last.details == (
        "10 positionnements NE : CC2.2, CC2.3, CC2.4, CC3.1, CC3.3, CC4.1, CC4.2, CC5.1, "
        "CC6.1, CC6.2"
    )
    assert last.at == final.finalized_at
    assert final.missing == (
        "CC2.2", "CC2.3", "CC2.4", "CC3.1", "CC3.3", "CC4.1", "CC4.2", "CC5.1", "CC6.1", "CC6.2",
    )  # fmt: skip
    before = stored(database, final.bilan_id)
    assert before[0] == "final"
    assert scalar(
        database,
        "SELECT finalized_by_id FROM bilan WHERE id = :b",
        b=final.bilan_id,
    ) == (teacher.actor.user_id)

    # Service paths.
    with pytest.raises(FinalBilanError, match="définitif"):
        teacher.save_draft(
            final.bilan_id,
            version=final.version,
            constats="Modifié",
            conseils="",
            positionings={ids["CC1.1"]: "1"},
        )
    with pytest.raises(FinalBilanError):
        teacher.finalize(final.bilan_id, version=final.version, confirmation="CONFIRMATION")
    # The dashboard's positioning goes to a new draft; the final bilan stays untouched.
    moved = teacher.set_positioning(learner_id, ids["CC1.1"], "1")
    assert moved.created_draft and moved.bilan_id != final.bilan_id
    # Raw SQL.
    for statement in (
        "UPDATE bilan SET constats = 'Modifié' WHERE id = :b",
        "UPDATE positioning SET level = '1' WHERE bilan_id = :b",
        "DELETE FROM positioning WHERE bilan_id = :b",
        "DELETE FROM bilan WHERE id = :b",
    ):
        with pytest.raises(DBAPIError) as refused, database.engine.begin() as connection:
            connection.execute(text(statement), {"b": final.bilan_id})
        assert is_final_bilan_refusal(refused.value)

    assert stored(database, final.bilan_id) == before
    assert teacher.sheet(final.bilan_id) == final
    new_draft = teacher.sheet(moved.bilan_id)
    assert current_levels(new_draft) == {"CC1.1": "1"}
    assert new_draft.previous_date == dt.date(2026, 11, 20)


def test_finalize_starts_a_new_period(demo_database: Database) -> None:
    teacher, _ = services(demo_database)
    learner_id = learner_with(demo_database, 2, True)
    dashboards = DashboardService(demo_database, command_line_actor(demo_database))
    before = dashboards.learner_dashboard(learner_id)
    assert before.draft is not None
    assert before.period_boundaries == (dt.date(2025, 12, 12), dt.date(2026, 3, 20))
    draft = teacher.open_draft(learner_id)

    final = teacher.finalize(draft.bilan_id, version=draft.version, confirmation="CONFIRMATION")

    after = dashboards.learner_dashboard(learner_id)
    assert after.draft is None
    assert after.period_boundaries == (*before.period_boundaries, final.bilan_date)
    assert after.final_bilans[-1].id == final.bilan_id
    assert after.current_period == 3
    first, second = before.period_boundaries
    for evaluation in after.evaluations:
        day = evaluation.date
        expected = (
            0 if day <= first else 1 if day <= second else 2 if day <= final.bilan_date else 3
        )
        assert evaluation.period == expected
    closed = [e for e in after.evaluations if dt.date(2026, 3, 20) < e.date <= final.bilan_date]
    assert closed and all(e.period == 2 for e in closed)
    # The next draft compares with the bilan just finalized.
    next_draft = teacher.open_draft(learner_id)
    assert next_draft.previous_date == final.bilan_date
    assert {row.code: row.previous for row in next_draft.rows} == {
        row.code: row.current for row in final.rows
    }


# -- unlocking ----------------------------------------------------------------------------


def _finalized(database: Database, service: BilanService) -> BilanSheet:
    draft = saved_draft(database, service, new_learner(database))
    return service.finalize(draft.bilan_id, version=draft.version, confirmation="CONFIRMATION")


def unlocked_events(database: Database) -> int:
    return int(scalar(database, "SELECT COUNT(*) FROM audit_event WHERE action = 'bilan_unlocked'"))


def test_unlock_needs_a_ddfpt_countersignature(database: Database) -> None:
    teacher, _ = services(database)
    final = _finalized(database, teacher)
    before = stored(database, final.bilan_id)
    make_account(database, Role.TEACHER, "collegue")

    with pytest.raises(LoginRefused):
        teacher.unlock(
            final.bilan_id, reason="Erreur", ddfpt_login="test-ddfpt", ddfpt_password="faux"
        )
    with pytest.raises(LoginRefused):
        teacher.unlock(
            final.bilan_id, reason="Erreur", ddfpt_login="inconnu", ddfpt_password=PASSWORD
        )
    with pytest.raises(PermissionDenied):  # a teacher's account does not countersign
        teacher.unlock(
            final.bilan_id, reason="Erreur", ddfpt_login="collegue", ddfpt_password=PASSWORD
        )
    assert stored(database, final.bilan_id) == before
    assert unlocked_events(database) == 0
    # The failed countersignatures are audited with the session's user.
    failures = query(
        database,
        "SELECT session_user_id FROM audit_event WHERE action = 'countersign_failed'",
    )
    assert failures and {row[0] for row in failures} == {teacher.actor.user_id}


def test_unlock_refused_without_any_ddfpt_account(database: Database) -> None:
    teacher = BilanService(database, command_line_actor(database))
    final = _finalized(database, teacher)
    with pytest.raises(PermissionDenied, match="Aucun compte DDFPT"):
        teacher.unlock(final.bilan_id, reason="Erreur", **COUNTERSIGN)
    assert stored(database, final.bilan_id)[0] == "final"
    assert unlocked_events(database) == 0


def test_ddfpt_countersigns_at_a_teachers_computer(database: Database) -> None:
    teacher, ddfpt = services(database)
    final = _finalized(database, teacher)

    unlocked = teacher.unlock(final.bilan_id, reason="Erreur de saisie", **COUNTERSIGN)
    assert not unlocked.is_final
    expected = f"{ddfpt.actor.display_name}, au poste de {teacher.actor.display_name}"
    assert unlocked.history[-1].actor == expected
    row = query(
        database,
        "SELECT user_id, session_user_id, details FROM audit_event "
        "WHERE action = 'bilan_unlocked' AND entity_id = :b",
        b=final.bilan_id,
    )
    assert [tuple(r) for r in row] == [
        (ddfpt.actor.user_id, teacher.actor.user_id, "Erreur de saisie")
    ]


def test_ddfpt_unlocks_with_a_reason(database: Database) -> None:
    teacher, ddfpt = services(database)
    final = _finalized(database, teacher)
    before = stored(database, final.bilan_id)
    for blank in ("", "   ", "\n\t"):
        with pytest.raises(ValidationError, match="motif"):
            ddfpt.unlock(final.bilan_id, reason=blank, **COUNTERSIGN)
    assert stored(database, final.bilan_id) == before

    unlocked = ddfpt.unlock(final.bilan_id, reason="  Erreur de saisie sur CC3.2\n", **COUNTERSIGN)
    assert (unlocked.status, unlocked.is_final) == ("draft", False)
    assert unlocked.version == final.version + 1
    # Nothing else changed: texts, date, positionings, finalization trace.
    assert (unlocked.constats, unlocked.conseils, unlocked.bilan_date) == (
        final.constats,
        final.conseils,
        final.bilan_date,
    )
    assert unlocked.rows == final.rows
    assert [(e.label, e.actor) for e in unlocked.history] == [
        ("Brouillon créé", teacher.actor.display_name),
        ("Enregistré", teacher.actor.display_name),
        ("Enregistré définitivement", teacher.actor.display_name),
        ("Déverrouillé", ddfpt.actor.display_name),
    ]
    assert unlocked.history[-1].details == "Erreur de saisie sur CC3.2"
    assert tuple(
        query(
            database,
            "SELECT user_id, session_user_id FROM audit_event "
            "WHERE action = 'bilan_unlocked' AND entity_id = :b",
            b=final.bilan_id,
        )[0]
    ) == (ddfpt.actor.user_id, ddfpt.actor.user_id)

    # A draft again: editable, then final again; a second unlock needs a new audit event.
    ids = cc_ids(database)
    fixed = teacher.save_draft(
        unlocked.bilan_id,
        version=unlocked.version,
        constats=unlocked.constats,
        conseils=unlocked.conseils,
        positionings={ids["CC3.2"]: "3"},
    )
    refinal = teacher.finalize(fixed.bilan_id, version=fixed.version, confirmation="CONFIRMATION")
    assert refinal.is_final and current_levels(refinal)["CC3.2"] == "3"
    again = ddfpt.unlock(refinal.bilan_id, reason="Deuxième correction", **COUNTERSIGN)
    assert again.status == "draft"
    assert [e.action for e in again.history][-3:] == [
        "bilan_saved",
        "bilan_finalized",
        "bilan_unlocked",
    ]


def test_unlock_refused_while_the_learner_has_another_draft(database: Database) -> None:
    teacher, ddfpt = services(database)
    final = _finalized(database, teacher)
    other = teacher.open_draft(final.learner_id)
    assert other.bilan_id != final.bilan_id
    before = stored(database, final.bilan_id)

    with pytest.raises(ValidationError, match="déjà un brouillon"):
        ddfpt.unlock(final.bilan_id, reason="Erreur de saisie", **COUNTERSIGN)
    assert stored(database, final.bilan_id) == before
    with pytest.raises(ValidationError, match="pas définitif"):
        ddfpt.unlock(other.bilan_id, reason="Erreur de saisie", **COUNTERSIGN)
    with pytest.raises(NotFound):
        ddfpt.unlock(999_999, reason="Erreur de saisie", **COUNTERSIGN)
    assert unlocked_events(database) == 0


# -- concurrent changes -------------------------------------------------------------------


def test_concurrent_draft_creation_is_a_conflict(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    teacher, _ = services(database)
    learner_id = new_learner(database)
    existing = teacher.open_draft(learner_id)
    # As if another computer created the draft between our lookup and our insert.
    monkeypatch.setattr(bilans, "_draft_of", lambda session, learner_id: None)

    with pytest.raises(ConflictError, match="vient d'être créé"):
        teacher.open_draft(learner_id)
    assert query(database, "SELECT id, status FROM bilan") == [(existing.bilan_id, "draft")]
    assert scalar(database, "SELECT COUNT(*) FROM audit_event WHERE entity = 'bilan'") == 1


@pytest.mark.parametrize("change", ["save", "finalize"])
def test_change_between_read_and_write_is_refused(
    database: Database, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """Another computer saves (or finalizes) the draft after our checks, before our write."""
    teacher, _ = services(database)
    draft = saved_draft(database, teacher, new_learner(database))
    ids = cc_ids(database)
    checked = BilanService._editable
    other = (
        "UPDATE bilan SET version = version + 1, constats = 'Ailleurs' WHERE id = :b"
        if change == "save"
        else "UPDATE bilan SET status = 'final' WHERE id = :b"
    )

    def editable_then_changed_elsewhere(
        self: BilanService, session: Any, bilan_id: int, version: int
    ) -> Any:
        bilan = checked(self, session, bilan_id, version)
        with database.engine.begin() as connection:
            connection.execute(text(other), {"b": bilan_id})
        return bilan

    monkeypatch.setattr(BilanService, "_editable", editable_then_changed_elsewhere)
    before = stored(database, draft.bilan_id)
    expected: tuple[type[Exception], ...] = (ConflictError,)
    if change == "finalize" and database.engine.dialect.name == "postgresql":
        expected = (FinalBilanError,)  # the guards refuse our update of a final bilan
    with pytest.raises(expected):
        teacher.save_draft(
            draft.bilan_id,
            version=draft.version,
            constats="Notre version",
            conseils="",
            positionings={ids["CC6.2"]: "4"},
        )
    after = stored(database, draft.bilan_id)
    # Only the other computer's change is there.
    assert after[2] == ("Ailleurs" if change == "save" else CONSTATS)
    assert after[5] == before[5]
    assert after[6] == before[6]


def test_unlock_removes_the_stored_mark(demo_database: Database) -> None:
    from livret.services.marks import MarkService

    learner_id = learner_with(demo_database, 1, False)
    with demo_database.engine.connect() as connection:
        bilan_id, class_id = connection.execute(
            text("SELECT id, class_id FROM bilan WHERE learner_id = :l AND status = 'final'"),
            {"l": learner_id},
        ).one()
    teacher = command_line_actor(demo_database)
    saved = MarkService(demo_database, teacher).save(class_id)
    assert any(line.bilan_id == bilan_id and line.stored for line in saved.lines)
    BilanService(demo_database, make_account(demo_database, Role.DDFPT)).unlock(
        bilan_id, reason="Correction du positionnement", **COUNTERSIGN
    )
    with demo_database.engine.connect() as connection:
        marks = connection.execute(
            text("SELECT COUNT(*) FROM mark WHERE bilan_id = :b"), {"b": bilan_id}
        ).scalar_one()
    assert marks == 0


def test_bilan_date_between_the_last_final_bilan_and_today(demo_database: Database) -> None:
    learner_id = learner_with(demo_database, 2, False)
    service = BilanService(demo_database, command_line_actor(demo_database))
    sheet = service.open_draft(learner_id)
    for wrong, fragment in (
        (dt.date.today() + dt.timedelta(days=1), "dans le futur"),
        (dt.date(2026, 3, 19), r"précède le dernier bilan définitif \(20/03/2026\)"),
    ):
        with pytest.raises(ValidationError, match=fragment):
            service.save_draft(
                sheet.bilan_id,
                version=sheet.version,
                constats="x",
                conseils="",
                positionings={},
                bilan_date=wrong,
            )
    assert service.sheet(sheet.bilan_id).constats == ""  # nothing written


def test_only_the_latest_final_bilan_can_be_unlocked(demo_database: Database) -> None:
    learner_id = learner_with(demo_database, 2, False)
    with demo_database.engine.connect() as connection:
        older, latest = connection.execute(
            text(
                "SELECT id FROM bilan WHERE learner_id = :l AND status = 'final' "
                "ORDER BY bilan_date, id"
            ),
            {"l": learner_id},
        ).scalars()
    ddfpt = BilanService(demo_database, make_account(demo_database, Role.DDFPT))
    with pytest.raises(ValidationError, match="Seul le dernier bilan définitif"):
        ddfpt.unlock(older, reason="corriger décembre", **COUNTERSIGN)
    assert ddfpt.sheet(older).is_final
    assert not ddfpt.unlock(latest, reason="corriger mars", **COUNTERSIGN).is_final
