"""The login dialog, the Profil menu and the window each role gets, driven as a user would."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QLabel, QLineEdit
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from livret.domain.roles import Actor, Role
from livret.services.authentication import REFUSED_MESSAGE, local_profile
from livret.services.container import build_services
from livret.services.database import Database
from livret.ui.login_dialog import LoginDialog
from livret.ui.main_window import MainWindow
from tests.accounts import PASSWORD, make_account


def make_window(qtbot: QtBot, database: Database, actor: Actor, tmp_path: Path) -> MainWindow:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(build_services(database, actor), database_name="démo", settings=settings)
    qtbot.addWidget(window)
    window.show()
    return window


def menu_titles(window: MainWindow) -> list[str]:
    return [
        action.text().replace("&", "")
        for action in window.menuBar().actions()
        if action.isVisible()
    ]


def test_a_wrong_password_is_refused_in_the_dialog(qtbot: QtBot, database: Database) -> None:
    make_account(database, Role.TEACHER, "mmartin", name="M. Martin")
    dialog = LoginDialog(database, database_name="lycee.sqlite")
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.password.echoMode() is QLineEdit.EchoMode.Password
    assert dialog.login_button.text() == "Se connecter" and dialog.quit_button.text() == "Quitter"
    qtbot.keyClicks(dialog.login, "mmartin")
    qtbot.keyClicks(dialog.password, "pas-le-bon")
    qtbot.mouseClick(dialog.login_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.actor is None
    assert dialog.error.isVisible() and dialog.error.text() == REFUSED_MESSAGE
    assert "c62828" in dialog.error.styleSheet()  # in red
    assert dialog.password.text() == "" and dialog.login.text() == "mmartin"
    assert dialog.focusWidget() is dialog.password
    # An unknown login gets the very same message: it never says which one was wrong.
    dialog.login.setText("inconnu")
    qtbot.keyClicks(dialog.password, PASSWORD)
    qtbot.mouseClick(dialog.login_button, Qt.MouseButton.LeftButton)
    assert dialog.error.text() == REFUSED_MESSAGE and dialog.actor is None


def test_the_right_password_returns_the_actor(qtbot: QtBot, database: Database) -> None:
    make_account(database, Role.DDFPT, "mdupont", name="Mme Dupont")
    dialog = LoginDialog(database)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.keyClicks(dialog.login, "MDupont ")
    qtbot.keyClicks(dialog.password, PASSWORD)
    with qtbot.waitSignal(dialog.accepted):
        qtbot.keyClick(dialog.password, Qt.Key.Key_Return)
    assert dialog.actor is not None
    assert dialog.actor.role is Role.DDFPT and dialog.actor.display_name == "Mme Dupont"
    assert not dialog.error.isVisible()


def test_quitter_rejects_without_an_actor(qtbot: QtBot, database: Database) -> None:
    dialog = LoginDialog(database)
    qtbot.addWidget(dialog)
    dialog.show()
    with qtbot.waitSignal(dialog.rejected):
        qtbot.mouseClick(dialog.quit_button, Qt.MouseButton.LeftButton)
    assert dialog.actor is None


def test_profile_menu_shows_the_user_and_offers_no_role_choice(
    qtbot: QtBot, demo_database: Database, tmp_path: Path
) -> None:
    teacher = make_account(demo_database, Role.TEACHER, "mmartin", name="M. Martin")
    window = make_window(qtbot, demo_database, teacher, tmp_path)
    assert window.windowTitle() == "Livret — démo — M. Martin"
    entries = [a.text() for a in window.profile_menu.actions() if not a.isSeparator()]
    assert entries[0] == "M. Martin — Enseignant" and not window.profile_action.isEnabled()
    assert "DDFPT" not in " ".join(entries)
    assert not any(action.isCheckable() for action in window.profile_menu.actions())
    assert not hasattr(window, "set_role")
    # A teacher neither manages accounts nor reads the journal.
    assert "Administration" not in menu_titles(window)
    assert not window.accounts_action.isVisible() and not window.audit_action.isVisible()
    assert not window.establishment_action.isVisible() and not window.privacy_action.isVisible()
    assert window.import_results_action.isVisible()


def test_my_display_name_renames_the_account(
    qtbot: QtBot, demo_database: Database, tmp_path: Path
) -> None:
    teacher = make_account(demo_database, Role.TEACHER, "mmartin", name="M. Martin")
    window = make_window(qtbot, demo_database, teacher, tmp_path)
    dialog = window.open_display_name()
    assert dialog.name.text() == "M. Martin"
    dialog.name.setText("  ")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.error.isVisible()  # refused, said in the dialog
    dialog.name.setText("Marc Martin")
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert window.windowTitle() == "Livret — démo — Marc Martin"
    assert window.profile_action.text() == "Marc Martin — Enseignant"
    assert window.services.actor.display_name == "Marc Martin"
    with demo_database.engine.connect() as connection:
        name = connection.execute(
            text("SELECT display_name FROM app_user WHERE login = 'mmartin'")
        ).scalar_one()
    assert name == "Marc Martin"


def test_the_ddfpt_reads_the_journal_but_does_not_manage_accounts(
    qtbot: QtBot, demo_database: Database, tmp_path: Path
) -> None:
    ddfpt = make_account(demo_database, Role.DDFPT, "mdupont", name="Mme Dupont")
    window = make_window(qtbot, demo_database, ddfpt, tmp_path)
    assert "Administration" in menu_titles(window)
    assert window.audit_action.isVisible() and not window.accounts_action.isVisible()
    # The right of access is answered by the school: the DDFPT may export, not erase.
    assert window.privacy_action.isVisible() and not window.establishment_action.isVisible()


def test_the_local_profile_may_create_the_first_accounts(
    qtbot: QtBot, demo_database: Database, tmp_path: Path
) -> None:
    window = make_window(qtbot, demo_database, local_profile(demo_database), tmp_path)
    assert window.accounts_action.isVisible() and not window.audit_action.isVisible()
    assert "(profil local)" in window.profile_action.text()


def test_an_administrator_gets_no_learner_views(
    qtbot: QtBot, demo_database: Database, tmp_path: Path
) -> None:
    admin = make_account(demo_database, Role.ADMIN, "admin", name="Admin du lycée")
    window = make_window(qtbot, demo_database, admin, tmp_path)
    titles = menu_titles(window)
    assert titles[:3] == ["Fichier", "Référentiel", "Administration"]
    assert "Évaluations" not in titles
    central = window.centralWidget()
    assert isinstance(central, QLabel) and "Compte administrateur" in central.text()
    assert window.accounts_action.isVisible() and window.audit_action.isVisible()
    assert window.import_siecle_action.isVisible()
    assert not window.import_results_action.isVisible()
    assert window.windowTitle() == "Livret — démo — Admin du lycée"


def test_administration_menu_opens_accounts_and_journal(
    qtbot: QtBot, demo_database: Database, tmp_path: Path
) -> None:
    admin = make_account(demo_database, Role.ADMIN, "admin", name="Admin du lycée")
    window = make_window(qtbot, demo_database, admin, tmp_path)
    window.accounts_action.trigger()
    assert window.accounts_dialog is not None and window.accounts_dialog.isVisible()
    window.accounts_dialog.reject()
    window.audit_action.trigger()
    assert window.audit_dialog is not None and window.audit_dialog.isVisible()
    window.audit_dialog.reject()
    window.establishment_action.trigger()
    assert window.establishment_dialog is not None and window.establishment_dialog.isVisible()
    window.establishment_dialog.reject()
    window.privacy_action.trigger()
    assert window.privacy_dialog is not None and window.privacy_dialog.isVisible()
    window.privacy_dialog.reject()
