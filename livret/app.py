"""Start the GUI: engine → migrations → login → services → window, each handed to the next."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from livret.domain.errors import LivretError
from livret.domain.roles import Role
from livret.services.authentication import local_profile, requires_login
from livret.services.catalog import CatalogService
from livret.services.container import build_services
from livret.services.database import Database, open_database
from livret.services.users import command_line_actor
from livret.storage.engine import demo_database_path

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget


def open_demo_database() -> Database:
    """The demo database in the user's data folder, generated on first use."""
    from livret.services.demo import create_demo

    path = demo_database_path()
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    database, _ = open_database(str(path), create=True)
    if not CatalogService(database, command_line_actor(database)).list_classes():
        print("Création de la base de démonstration…", file=sys.stderr)
        create_demo(database)
    return database


def run_gui(db: str | None, *, demo: bool = False) -> int:
    from PySide6.QtWidgets import QApplication, QDialog, QMessageBox

    from livret.ui.application import configure_application
    from livret.ui.login_dialog import LoginDialog

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    configure_application(app)
    try:
        database = open_demo_database() if demo else open_database(db, create=True)[0]
    except LivretError as exc:
        QMessageBox.critical(None, "Livret", exc.message)
        print(f"livret : erreur : {exc.message}", file=sys.stderr)
        return 1
    try:
        database_name = database.location.display()
        try:
            if requires_login(database):
                login = LoginDialog(database, database_name=database_name)
                if login.exec() != QDialog.DialogCode.Accepted or login.actor is None:
                    return 0
                actor = login.actor
            else:
                actor = local_profile(database)
            services = build_services(database, actor)
        except LivretError as exc:
            QMessageBox.critical(None, "Livret", exc.message)
            print(f"livret : erreur : {exc.message}", file=sys.stderr)
            return 1
        window: QWidget
        if actor.role is Role.LEARNER:
            from livret.ui.learner_window import LearnerWindow

            window = LearnerWindow(services, database_name=database_name)
        else:
            from livret.ui.main_window import MainWindow

            window = MainWindow(services, database_name=database_name)
        window.show()
        return app.exec()
    finally:
        database.dispose()
