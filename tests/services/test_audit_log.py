"""The audit journal read back: filters by date, user, kind and learner; who may read it."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from livret.domain.errors import PermissionDenied
from livret.domain.roles import Actor, Role
from livret.services import audit
from livret.services.audit_log import AuditLogService, action_label, matching_learners
from livret.services.database import Database
from tests.accounts import make_account


def _learner_and_bilan(database: Database) -> tuple[int, str, int, str]:
    """(learner id, INE, id of one of their final bilans, 'NOM Prénom')."""
    with database.engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT l.id, l.ine, b.id, l.family_name, l.first_name FROM bilan b "
                "JOIN learner l ON l.id = b.learner_id WHERE b.status = 'final' "
                "ORDER BY l.id, b.id LIMIT 1"
            )
        ).one()
    return int(row[0]), str(row[1]), int(row[2]), f"{str(row[3]).upper()} {row[4]}"


def _other_bilan(database: Database, learner_id: int) -> int:
    with database.engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT MIN(id) FROM bilan WHERE learner_id <> :id"), {"id": learner_id}
            ).scalar_one()
        )


@pytest.fixture
def journal(demo_database: Database) -> tuple[AuditLogService, dict[str, object]]:
    """A DDFPT's journal over: accounts made now, and dated bilan events."""
    ddfpt = make_account(demo_database, Role.DDFPT, "ddfpt-journal", name="Mme Journal")
    teacher = make_account(demo_database, Role.TEACHER, "prof-journal", name="M. Prof")
    learner_id, ine, bilan_id, name = _learner_and_bilan(demo_database)
    make_account(demo_database, Role.LEARNER, "eleve-journal", learner_ine=ine)
    other_bilan = _other_bilan(demo_database, learner_id)
    with demo_database.transaction() as session:
        audit.record(
            session, teacher, "bilan_saved", "bilan", bilan_id, "janvier",
            at=dt.datetime(2026, 1, 10, 9, 30),
        )  # fmt: skip
        audit.record(
            session, teacher, "bilan_finalized", "bilan", bilan_id, "février",
            at=dt.datetime(2026, 2, 1, 23, 59),
        )  # fmt: skip
        audit.record(
            session, ddfpt, "bilan_unlocked", "bilan", other_bilan, "mars",
            at=dt.datetime(2026, 3, 5, 8, 0), session_user_id=teacher.user_id,
        )  # fmt: skip
    facts: dict[str, object] = {
        "ddfpt": ddfpt,
        "teacher": teacher,
        "learner_id": learner_id,
        "name": name,
        "bilan_id": bilan_id,
    }
    return AuditLogService(demo_database, ddfpt), facts


def test_everything_newest_first_with_french_labels(
    journal: tuple[AuditLogService, dict[str, object]],
) -> None:
    service, facts = journal
    lines = service.search()
    assert [line.at for line in lines] == sorted((line.at for line in lines), reverse=True)
    actions = {line.action for line in lines}
    assert {"user_added", "login", "bilan_saved", "bilan_finalized", "bilan_unlocked"} <= actions
    unlocked = next(line for line in lines if line.action == "bilan_unlocked")
    assert unlocked.label == "Bilan déverrouillé"
    assert unlocked.actor == "Mme Journal"
    assert unlocked.login == "ddfpt-journal"
    assert unlocked.session_user == "M. Prof"
    assert unlocked.learner_name is not None and unlocked.learner_name != facts["name"]
    assert action_label("inconnue") == "inconnue"


def test_filter_by_dates_whole_days_included(
    journal: tuple[AuditLogService, dict[str, object]],
) -> None:
    service, _ = journal
    january_to_february = service.search(since=dt.date(2026, 1, 10), until=dt.date(2026, 2, 1))
    assert [line.details for line in january_to_february] == ["février", "janvier"]
    from_february = service.search(since=dt.date(2026, 1, 11), until=dt.date(2026, 3, 5))
    assert [line.details for line in from_february] == ["mars", "février"]
    assert service.search(until=dt.date(2026, 1, 9)) == ()


def test_filter_by_user_and_kind(journal: tuple[AuditLogService, dict[str, object]]) -> None:
    service, facts = journal
    teacher = facts["teacher"]
    assert isinstance(teacher, Actor)
    by_teacher = service.search(user_id=teacher.user_id)
    assert {line.action for line in by_teacher} == {"bilan_saved", "bilan_finalized", "login"}
    assert {line.login for line in by_teacher} == {"prof-journal"}
    logins = service.search(action="login")
    assert len(logins) == 3  # the three accounts made by the fixture logged in
    assert {line.label for line in logins} == {"Connexion"}
    both = service.search(user_id=teacher.user_id, action="bilan_saved")
    assert [line.details for line in both] == ["janvier"]


def test_filter_by_learner_joins_bilans_and_accounts(
    journal: tuple[AuditLogService, dict[str, object]],
) -> None:
    service, facts = journal
    lines = service.search(learner_id=int(str(facts["learner_id"])))
    assert {line.action for line in lines} == {
        "bilan_saved",
        "bilan_finalized",
        "user_added",  # their Apprenant account
        "login",  # and their own login
    }
    assert {line.learner_name for line in lines} == {facts["name"]}
    ids = matching_learners(service.learners(), str(facts["name"]).lower())
    assert ids is not None and int(str(facts["learner_id"])) in ids
    assert {line.id for line in service.search(learner_ids=ids)} >= {line.id for line in lines}
    assert service.search(learner_ids=frozenset()) == ()
    assert matching_learners(service.learners(), "  ") is None


def test_limit_keeps_the_newest(journal: tuple[AuditLogService, dict[str, object]]) -> None:
    service, _ = journal
    everything = service.search()
    assert service.search(limit=2) == everything[:2]


def test_kinds_and_users(journal: tuple[AuditLogService, dict[str, object]]) -> None:
    service, _ = journal
    kinds = dict(service.kinds())
    assert kinds["bilan_finalized"] == "Bilan enregistré définitivement"
    assert kinds["login"] == "Connexion"
    users = dict(service.users())
    assert any(name.startswith("Mme Journal") for name in users.values())


def test_a_teacher_may_not_read_the_journal(demo_database: Database) -> None:
    teacher = make_account(demo_database, Role.TEACHER)
    service = AuditLogService(demo_database, teacher)
    with pytest.raises(PermissionDenied):
        service.search()
    with pytest.raises(PermissionDenied):
        service.kinds()
    with pytest.raises(PermissionDenied):
        service.users()
    with pytest.raises(PermissionDenied):
        service.learners()


def test_a_learner_may_not_read_the_journal(demo_database: Database) -> None:
    _, ine, _, _ = _learner_and_bilan(demo_database)
    learner = make_account(demo_database, Role.LEARNER, learner_ine=ine)
    with pytest.raises(PermissionDenied):
        AuditLogService(demo_database, learner).search()
