"""« Journal »: every event newest first, then filtered by kind, account, dates, learner name."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QDate
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from livret.domain.roles import Role
from livret.services import audit
from livret.services.container import build_services
from livret.services.database import Database
from livret.ui.audit_dialog import AuditDialog
from tests.accounts import make_account


def _a_final_bilan(database: Database) -> tuple[int, str, str]:
    """(bilan id, learner family name, learner first name) of a final bilan."""
    with database.engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT b.id, l.family_name, l.first_name FROM bilan b "
                "JOIN learner l ON l.id = b.learner_id WHERE b.status = 'final' "
                "ORDER BY b.id LIMIT 1"
            )
        ).one()
    return int(row[0]), str(row[1]), str(row[2])


@pytest.fixture
def journal(
    qtbot: QtBot, demo_database: Database, monkeypatch: pytest.MonkeyPatch
) -> tuple[AuditDialog, list[str], tuple[int, str, str]]:
    ddfpt = make_account(demo_database, Role.DDFPT, "ddfpt-journal", name="Mme Journal")
    teacher = make_account(demo_database, Role.TEACHER, "prof-journal", name="M. Prof")
    bilan = _a_final_bilan(demo_database)
    with demo_database.transaction() as session:
        audit.record(
            session, teacher, "bilan_saved", "bilan", bilan[0], "premier enregistrement",
            at=dt.datetime(2026, 1, 10, 9, 30),
        )  # fmt: skip
        audit.record(
            session, teacher, "bilan_finalized", "bilan", bilan[0], "",
            at=dt.datetime(2026, 2, 1, 10, 0),
        )  # fmt: skip
    errors: list[str] = []
    monkeypatch.setattr(AuditDialog, "show_error", lambda _self, message: errors.append(message))
    dialog = AuditDialog(build_services(demo_database, ddfpt))
    qtbot.addWidget(dialog)
    return dialog, errors, bilan


def test_everything_newest_first(
    journal: tuple[AuditDialog, list[str], tuple[int, str, str]],
) -> None:
    dialog, errors, _ = journal
    assert errors == []
    lines = dialog.lines()
    assert len(lines) >= 6  # two accounts made, two logins, two bilan events
    assert [line.at for line in lines] == sorted((line.at for line in lines), reverse=True)
    assert dialog.model.COLUMNS == ("Date", "Qui", "Action", "Apprenant", "Détails")
    assert dialog.count_label.text() == f"{len(lines)} événements"
    assert dialog.since.text() == "toutes dates" and dialog.until.text() == "toutes dates"


def test_filter_by_kind_shows_only_that_kind(
    journal: tuple[AuditDialog, list[str], tuple[int, str, str]],
) -> None:
    dialog, errors, _ = journal
    dialog.set_kind("login")
    assert dialog.kind.currentText() == "Connexion"
    lines = dialog.lines()
    assert len(lines) == 2
    assert {line.action for line in lines} == {"login"}
    shown = {dialog.model.index(r, 2).data() for r in range(dialog.model.rowCount())}
    assert shown == {"Connexion"}
    dialog.set_kind("bilan_finalized")
    assert [line.action for line in dialog.lines()] == ["bilan_finalized"]
    dialog.set_kind(None)
    assert len(dialog.lines()) >= 6
    assert errors == []


def test_filter_by_user_dates_and_learner_name(
    journal: tuple[AuditDialog, list[str], tuple[int, str, str]],
) -> None:
    dialog, errors, (_, family, first) = journal
    teacher_index = next(
        i for i in range(dialog.user.count()) if dialog.user.itemText(i).startswith("M. Prof")
    )
    dialog.user.setCurrentIndex(teacher_index)
    assert {line.login for line in dialog.lines()} == {"prof-journal"}
    dialog.since.setDate(QDate(2026, 1, 1))
    dialog.until.setDate(QDate(2026, 1, 31))
    assert [line.details for line in dialog.lines()] == ["premier enregistrement"]
    dialog.clear_dates()
    dialog.set_user(None)
    dialog.learner.setText(family.lower())
    dialog.refresh()  # the search waits for typing to pause; refresh at once here
    lines = dialog.lines()
    assert {line.action for line in lines} == {"bilan_saved", "bilan_finalized"}
    assert dialog.model.index(0, 3).data() == f"{family.upper()} {first}"
    dialog.learner.setText("personne-de-ce-nom")
    dialog.refresh()
    assert dialog.lines() == ()
    assert dialog.count_label.text() == "0 événement"
    assert errors == []


def test_a_teacher_is_told_why(
    qtbot: QtBot, demo_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    teacher = make_account(demo_database, Role.TEACHER)
    errors: list[str] = []
    monkeypatch.setattr(AuditDialog, "show_error", lambda _self, message: errors.append(message))
    dialog = AuditDialog(build_services(demo_database, teacher))
    qtbot.addWidget(dialog)
    assert errors and "journal" in errors[0]
    assert dialog.lines() == ()
