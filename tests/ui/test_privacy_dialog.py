"""« Données personnelles (RGPD) » driven with qtbot on the demo database: the retention
list, the search, the export to a zip, the erasure with EFFACER and the DDFPT's password."""

from __future__ import annotations

import datetime as dt
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from livret.domain.roles import Actor, Role
from livret.services.container import build_services
from livret.services.database import Database
from livret.ui import messages
from livret.ui.privacy_dialog import PrivacyDialog, open_privacy_dialog
from tests.accounts import PASSWORD, make_account
from tests.demo_queries import learner_with


def rows(database: Database, sql: str, **params: Any) -> list[Any]:
    with database.engine.connect() as connection:
        return list(connection.execute(text(sql), params).all())


def _left_three_years_ago(database: Database) -> tuple[int, str]:
    """A learner with final bilans who left three years ago; nobody else has left."""
    learner_id = learner_with(database, 2, False)
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE learner SET left_on = NULL"))
        connection.execute(
            text("UPDATE learner SET left_on = :d WHERE id = :l"),
            {"d": dt.date.today() - dt.timedelta(days=3 * 366), "l": learner_id},
        )
    family, first = rows(
        database, "SELECT family_name, first_name FROM learner WHERE id = :l", l=learner_id
    )[0]
    return learner_id, f"{family.upper()} {first}"


class Seen:
    """What the dialog told the user (its message-box seams)."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.infos: list[str] = []


@pytest.fixture
def admin(demo_database: Database) -> Actor:
    make_account(demo_database, Role.DDFPT)
    return make_account(demo_database, Role.ADMIN)


@pytest.fixture
def screen(
    qtbot: QtBot, demo_database: Database, admin: Actor, monkeypatch: pytest.MonkeyPatch
) -> tuple[PrivacyDialog, Seen, int, str]:
    learner_id, name = _left_three_years_ago(demo_database)
    seen = Seen()
    monkeypatch.setattr(PrivacyDialog, "show_error", lambda _s, m: seen.errors.append(m))
    monkeypatch.setattr(PrivacyDialog, "show_info", lambda _s, _t, m: seen.infos.append(m))
    dialog = PrivacyDialog(build_services(demo_database, admin))
    qtbot.addWidget(dialog)
    return dialog, seen, learner_id, name


def _shown_names(dialog: PrivacyDialog) -> list[str]:
    model = dialog.model
    return [model.index(r, 0).data() for r in range(model.rowCount())]


def test_retention_list_shows_the_learner_who_left(
    screen: tuple[PrivacyDialog, Seen, int, str],
) -> None:
    dialog, seen, learner_id, name = screen
    assert dialog.windowTitle() == "Données personnelles (RGPD)"
    assert dialog.years.value() == 1
    assert _shown_names(dialog) == [name]
    assert dialog.list_label.text() == "1 apprenant sorti depuis plus de 1 an(s)"
    row = dialog.rows()[0]
    assert row.learner_id == learner_id and row.final_bilans == 2
    assert dialog.model.index(0, 4).data() == "2 (dont 2 déf.)"
    assert dialog.export_button.isEnabled() and dialog.erase_button.isVisibleTo(dialog)
    dialog.years.setValue(4)  # left three years ago: not more than four
    assert _shown_names(dialog) == []
    assert not dialog.export_button.isEnabled() and not dialog.erase_button.isEnabled()
    assert seen.errors == []


def test_search_over_all_learners(
    qtbot: QtBot, screen: tuple[PrivacyDialog, Seen, int, str], demo_database: Database
) -> None:
    dialog, _, _, _ = screen
    family, first, ine = rows(
        demo_database,
        "SELECT family_name, first_name, ine FROM learner WHERE left_on IS NULL ORDER BY id",
    )[0]
    qtbot.keyClicks(dialog.search, ine)
    qtbot.waitUntil(lambda: _shown_names(dialog) == [f"{family.upper()} {first}"])
    assert dialog.list_label.text() == "1 apprenant trouvé"
    dialog.search.clear()
    qtbot.waitUntil(lambda: dialog.list_label.text().endswith("depuis plus de 1 an(s)"))


def test_export_writes_a_private_zip(
    qtbot: QtBot,
    screen: tuple[PrivacyDialog, Seen, int, str],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dialog, seen, _, name = screen
    offered: list[str] = []
    target = tmp_path / "exports" / "eleve.zip"
    target.parent.mkdir()

    def choose(_self: PrivacyDialog, suggested: str) -> Path:
        offered.append(suggested)
        return target

    monkeypatch.setattr(PrivacyDialog, "choose_export_path", choose)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert offered and offered[0].startswith("RGPD_") and offered[0].endswith(".zip")
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    with zipfile.ZipFile(target) as archive:
        assert "donnees.json" in archive.namelist()
        assert sum(n.endswith(".pdf") for n in archive.namelist()) == 2
    assert seen.errors == [] and name in seen.infos[0]
    # Again to the same file: refused, the file kept.
    before = target.read_bytes()
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    assert "existe déjà" in seen.errors[0]
    assert target.read_bytes() == before


def test_erase_with_typed_confirmation_and_countersign(
    qtbot: QtBot, screen: tuple[PrivacyDialog, Seen, int, str], demo_database: Database
) -> None:
    dialog, seen, learner_id, name = screen
    erased: list[int] = []
    dialog.learner_erased.connect(erased.append)
    qtbot.mouseClick(dialog.erase_button, Qt.MouseButton.LeftButton)
    confirm = dialog.erasure_dialog
    assert confirm is not None and confirm.isVisible()
    assert confirm.preview.learner_id == learner_id and confirm.preview.needs_countersign
    assert not confirm.ok_button.isEnabled()
    qtbot.keyClicks(confirm.word, "effacer")
    qtbot.keyClicks(confirm.ddfpt_login, "test-ddfpt")
    qtbot.keyClicks(confirm.ddfpt_password, "pas-le-bon")
    assert not confirm.ok_button.isEnabled()  # lower case is not the word
    confirm.word.clear()
    qtbot.keyClicks(confirm.word, "EFFACER")
    assert confirm.ok_button.isEnabled()

    qtbot.mouseClick(confirm.ok_button, Qt.MouseButton.LeftButton)  # wrong password
    assert confirm.error.isVisible() and "incorrect" in confirm.error.text()
    assert confirm.ddfpt_password.text() == "" and confirm.report is None
    assert (
        rows(demo_database, "SELECT COUNT(*) FROM learner WHERE id = :l", l=learner_id)[0][0] == 1
    )

    qtbot.keyClicks(confirm.ddfpt_password, PASSWORD)
    qtbot.mouseClick(confirm.ok_button, Qt.MouseButton.LeftButton)
    assert confirm.report is not None and confirm.result() == confirm.DialogCode.Accepted
    assert (
        rows(demo_database, "SELECT COUNT(*) FROM learner WHERE id = :l", l=learner_id)[0][0] == 0
    )
    assert erased == [learner_id]
    assert _shown_names(dialog) == []
    assert name in seen.infos[-1] and seen.errors == []


def test_a_learner_without_final_bilans_needs_no_ddfpt(
    qtbot: QtBot, screen: tuple[PrivacyDialog, Seen, int, str], demo_database: Database
) -> None:
    dialog, _, _, _ = screen
    learner_id = rows(
        demo_database,
        "SELECT id FROM learner WHERE id NOT IN (SELECT learner_id FROM bilan) ORDER BY id",
    )[0][0]
    ine = rows(demo_database, "SELECT ine FROM learner WHERE id = :l", l=learner_id)[0][0]
    dialog.search.setText(ine)
    dialog.refresh()
    assert dialog.select_learner(learner_id)
    confirm = dialog.erase_selected()
    assert confirm is not None and not confirm.preview.needs_countersign
    assert not confirm.ddfpt_login.isVisibleTo(confirm)
    qtbot.keyClicks(confirm.word, "EFFACER")
    qtbot.mouseClick(confirm.ok_button, Qt.MouseButton.LeftButton)
    assert confirm.report is not None
    assert (
        rows(demo_database, "SELECT COUNT(*) FROM learner WHERE id = :l", l=learner_id)[0][0] == 0
    )


def test_the_ddfpt_exports_but_does_not_erase(
    qtbot: QtBot, demo_database: Database, admin: Actor
) -> None:
    ddfpt = make_account(demo_database, Role.DDFPT, "autre-ddfpt")
    dialog = PrivacyDialog(build_services(demo_database, ddfpt))
    qtbot.addWidget(dialog)
    assert not dialog.erase_button.isVisibleTo(dialog)
    assert dialog.erase_selected() is None


def test_a_teacher_gets_no_dialog(
    qtbot: QtBot, demo_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    teacher = make_account(demo_database, Role.TEACHER)
    errors: list[str] = []
    monkeypatch.setattr(messages, "show_error", lambda _p, m: errors.append(m))
    parent = QWidget()
    qtbot.addWidget(parent)
    assert open_privacy_dialog(parent, build_services(demo_database, teacher)) is None
    assert errors and "Enseignant" in errors[0]
