"""Two Livret windows on the same database, as two teachers on two computers.

Each window has its own Database (its own engine and origin), as two apps have:
what one commits reaches the other through the change feed (data_version on
SQLite, LISTEN/NOTIFY on PostgreSQL) with no manual reload.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from livret.domain.roles import Actor, Role
from livret.services.authentication import authenticate
from livret.services.container import build_services
from livret.services.database import Database, open_database
from livret.services.privacy import PrivacyService
from livret.services.privacy_records import ERASE_WORD
from livret.ui.main_window import MainWindow
from tests.accounts import PASSWORD, make_account
from tests.ui.test_main_window import show_first_learner

WAIT_MS = 5000


@pytest.fixture
def second_app(demo_database: Database) -> Iterator[Database]:
    other, _ = open_database(demo_database.location.url.render_as_string(hide_password=False))
    yield other
    other.dispose()


def two_windows(
    qtbot: QtBot, first: Database, second: Database, tmp_path: Path
) -> tuple[MainWindow, MainWindow]:
    """Two teachers logged in with their own accounts, one app each."""
    alpha = make_account(first, Role.TEACHER, "prof-a", name="Mme Alpha")
    make_account(first, Role.TEACHER, "prof-b", name="M. Bravo")
    bravo = authenticate(second, "prof-b", PASSWORD)  # logged in on the other app
    here = window_for(qtbot, first, alpha, tmp_path / "here.ini")
    there = window_for(qtbot, second, bravo, tmp_path / "there.ini")
    show_first_learner(here)
    show_first_learner(there)
    assert here.dashboard.shown_learner_id() == there.dashboard.shown_learner_id()
    return here, there


def window_for(qtbot: QtBot, database: Database, actor: Actor, settings: Path) -> MainWindow:
    window = MainWindow(
        build_services(database, actor),
        database_name="démo",
        settings=QSettings(str(settings), QSettings.Format.IniFormat),
    )
    qtbot.addWidget(window)
    window.show()
    return window


def evaluation_count(window: MainWindow) -> int:
    shown = window.dashboard.model.dashboard
    assert shown is not None
    return len(shown.evaluations)


def test_an_evaluation_added_in_one_window_appears_in_the_other(
    qtbot: QtBot, demo_database: Database, second_app: Database, tmp_path: Path
) -> None:
    here, there = two_windows(qtbot, demo_database, second_app, tmp_path)
    before = evaluation_count(there)
    there.tabs.setCurrentWidget(there.class_overview)  # an overview on screen
    overview_before = there.class_overview.model.overview
    assert overview_before is not None
    here.new_evaluation_action.trigger()
    dialog = here.evaluation_dialog
    assert dialog is not None
    dialog.title_edit.setText("Contrôle vu d'ailleurs")
    dialog.check_criteria(["PLP-CP03-04"])
    dialog.grid.setFocus()
    dialog.grid.setCurrentCell(0, 0)
    qtbot.keyClick(dialog.grid, Qt.Key.Key_3)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert evaluation_count(here) == before + 1

    # No click in the other window: its dashboard follows on its own.
    qtbot.waitUntil(lambda: evaluation_count(there) == before + 1, timeout=WAIT_MS)
    shown = there.dashboard.model.dashboard
    assert shown is not None and shown.evaluations[-1].title == "Contrôle vu d'ailleurs"
    assert "Mis à jour" in there.statusBar().currentMessage()
    # The class overview of that class was read again too.
    assert there.class_overview.model.overview is not overview_before


def test_a_draft_changed_elsewhere_keeps_the_typed_text_and_offers_to_reload(
    qtbot: QtBot, demo_database: Database, second_app: Database, tmp_path: Path
) -> None:
    here, there = two_windows(qtbot, demo_database, second_app, tmp_path)
    theirs = here.dashboard.open_bilan_editor()
    mine = there.dashboard.open_bilan_editor()
    assert theirs is not None and mine is not None
    assert theirs.sheet.bilan_id == mine.sheet.bilan_id
    # Both editors are children of their window: qtbot closes them with it.
    mine.constats.setPlainText("Mes constats, pas encore enregistrés")
    assert mine.is_dirty()

    theirs.constats.setPlainText("Constats du collègue")
    assert theirs.save()

    qtbot.waitUntil(mine.remote_banner.isVisible, timeout=WAIT_MS)
    assert "modifié par Mme Alpha" in mine.remote_label.text()
    assert mine.constats.toPlainText() == "Mes constats, pas encore enregistrés"

    # Saving the stale copy is refused: nothing of the colleague's is overwritten.
    assert not mine.save()
    assert "rien n'a été enregistré" in mine.remote_label.text().lower()
    assert stored_constats(demo_database, mine.sheet.bilan_id) == "Constats du collègue"
    assert mine.constats.toPlainText() == "Mes constats, pas encore enregistrés"

    qtbot.mouseClick(mine.reload_button, Qt.MouseButton.LeftButton)
    assert not mine.remote_banner.isVisible()
    assert mine.constats.toPlainText() == "Constats du collègue"
    assert not mine.is_dirty()
    mine.constats.setPlainText("Après rechargement")
    assert mine.save()
    assert stored_constats(demo_database, mine.sheet.bilan_id) == "Après rechargement"


def stored_constats(database: Database, bilan_id: int) -> str:
    with database.engine.connect() as connection:
        return str(
            connection.execute(
                text("SELECT constats FROM bilan WHERE id = :b"), {"b": bilan_id}
            ).scalar_one()
        )


def test_a_learner_erased_elsewhere_leaves_the_class_list(
    qtbot: QtBot, demo_database: Database, second_app: Database, tmp_path: Path
) -> None:
    _here, there = two_windows(qtbot, demo_database, second_app, tmp_path)
    learner_id = there.dashboard.shown_learner_id()
    assert learner_id is not None and learner_id in there.selector.learner_ids()
    make_account(demo_database, Role.DDFPT, "ddfpt", name="Mme Delta")
    admin = make_account(demo_database, Role.ADMIN, "admin", name="Admin")
    PrivacyService(demo_database, admin).erase_learner(
        learner_id, confirmation=ERASE_WORD, ddfpt_login="ddfpt", ddfpt_password=PASSWORD
    )
    # The other computer's class list and dashboard drop the erased learner by themselves.
    qtbot.waitUntil(lambda: learner_id not in there.selector.learner_ids(), timeout=WAIT_MS)
    assert there.dashboard.shown_learner_id() != learner_id
