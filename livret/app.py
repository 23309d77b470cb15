"""Start the GUI: engine → migrations → login → services → window, each handed to the next.

`GuiSession` also switches databases while the app runs (Fichier → Se connecter à un
serveur…, Fichier → Ouvrir un fichier…): the new database is opened and logged into
first, and only then does its window replace the current one, so a failure leaves
the user where they were.
"""

from __future__ import annotations

import os
import sys
import time
from typing import TYPE_CHECKING

from livret.domain.errors import DatabaseError, LivretError
from livret.domain.roles import Actor, Role
from livret.services.authentication import local_profile, requires_login
from livret.services.catalog import CatalogService
from livret.services.container import build_services
from livret.services.database import Database, open_database
from livret.services.installation import database_short_name
from livret.services.users import command_line_actor
from livret.storage import migrate
from livret.storage.engine import (
    ServerConnectionError,
    ServerProblem,
    demo_database_path,
    resolve,
    server_label,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication, QDialog, QMainWindow, QMessageBox, QWidget

    from livret.services.database import BackupFile
    from livret.ui.connect_dialog import ServerConnection

PASSWORD_PROBLEMS = frozenset({ServerProblem.PASSWORD_REQUIRED, ServerProblem.PASSWORD_REFUSED})
BENCH_STARTUP_VARIABLE = "LIVRET_BENCH_STARTUP"
"""Set (to anything), the GUI prints its start-up time and RSS once painted, then quits."""
_IMPORTED_AT = time.perf_counter()  # the hook's clock when not started by `python -m livret`


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


def open_chosen_database(
    db: str | None, *, password: str | None = None, create_file: bool = False
) -> Database:
    """Open the database the user chose in the GUI, or refuse it with one French message.

    A SQLite file is migrated (after a backup) as at start-up; it is created only
    when asked (the default file). A server database is never migrated from the
    GUI: an older schema is left to the IT admin's `livret db upgrade`. The password,
    if any, is used for this connection only; without one, libpq looks in ~/.pgpass.
    """
    location = resolve(db)
    if location.is_sqlite:
        return open_database(db, create=create_file)[0]
    url = location.url if password is None else location.url.set(password=password)
    database, _ = open_database(url.render_as_string(hide_password=False), upgrade=False)
    try:
        with database.engine.connect() as connection:
            revision = migrate.current_revision(connection)
    except Exception:
        database.dispose()
        raise
    if revision != migrate.head_revision():
        database.dispose()
        raise DatabaseError(
            f"La base « {location.display()} » est dans une version plus ancienne de Livret "
            f"(schéma {revision}, attendu {migrate.head_revision()}) : demandez à "
            "l'administrateur informatique de la mettre à jour avec « livret db upgrade "
            "--db … ». Rien n'a été modifié."
        )
    return database


class GuiSession:
    """The open database and its window; opens another one when the user asks.

    Tests drive it without dialogs through the seams `ask_password`,
    `choose_server`, `choose_file` and `log_in`.
    """

    def __init__(self, app: QApplication, settings: QSettings | None = None) -> None:
        from PySide6.QtCore import QSettings

        self._app = app
        self.settings = settings or QSettings()
        self.database: Database | None = None
        self.window: QMainWindow | None = None
        self.failed = False  # the last open() ended on an error message
        self.tampering_box: QMessageBox | None = None  # the start-up check's warning, if any

    # --- opening -------------------------------------------------------------

    def open(
        self,
        db: str | None,
        *,
        password: str | None = None,
        demo: bool = False,
        create_file: bool = False,
    ) -> bool:
        """Open db (asking the server's password if needed), log in, show its window.

        On any failure or cancel, one message at most, and the current window and
        database stay as they were. True when the new window is shown.
        """
        parent = self.window
        self.failed = False
        if parent is not None and not _close_child_windows(parent):
            return False  # e.g. a bilan with unsaved changes, and the user chose to stay
        try:
            database = (
                open_demo_database()
                if demo
                else self._open_with_password(db, password, create_file=create_file)
            )
        except LivretError as exc:
            self.show_error(parent, exc.message)
            return False
        if database is None:
            return False
        try:
            window = self._window_for(database)
        except LivretError as exc:
            database.dispose()
            self.show_error(parent, exc.message)
            return False
        if window is None:
            database.dispose()
            return False
        old_window, old_database = self.window, self.database
        # Between the two windows none is visible for a moment: that must not quit the app.
        quit_on_close = self._app.quitOnLastWindowClosed()
        self._app.setQuitOnLastWindowClosed(False)
        try:
            if old_window is not None and not old_window.close():
                window.deleteLater()  # the old window refused to close: stay on it
                database.dispose()
                return False
            self.window, self.database = window, database
            self._wire(window)
            window.show()
        finally:
            self._app.setQuitOnLastWindowClosed(quit_on_close)
        if old_window is not None:
            old_window.deleteLater()
        if old_database is not None:
            old_database.dispose()
        self.check_tampering(database, window)
        return True

    def _open_with_password(
        self, db: str | None, password: str | None, *, create_file: bool
    ) -> Database | None:
        while True:
            try:
                return open_chosen_database(db, password=password, create_file=create_file)
            except ServerConnectionError as exc:
                if exc.problem not in PASSWORD_PROBLEMS:
                    raise
                # No password yet (or the one in ~/.pgpass): a polite question, not an error.
                reason = (
                    exc.message
                    if password is not None or exc.problem is ServerProblem.PASSWORD_REFUSED
                    else ""
                )
                password = self.ask_password(server_label(resolve(db).url), reason)
                if password is None:
                    return None

    def _window_for(self, database: Database) -> QMainWindow | None:
        """The login (always on a server), then the window the account's role gets."""
        database_name = database.location.display()
        if requires_login(database):
            actor = self.log_in(database, database_name)
            if actor is None:
                return None
        else:
            actor = local_profile(database)
        services = build_services(database, actor)
        # The window's title names the base short: « livret.sqlite », « serveur/base ».
        short_name = database_short_name(database)
        if actor.role is Role.LEARNER:
            from livret.ui.learner_window import LearnerWindow

            return LearnerWindow(services, database_name=short_name)
        from livret.ui.main_window import MainWindow

        return MainWindow(services, database_name=short_name)

    def _wire(self, window: QMainWindow) -> None:
        from PySide6.QtGui import QAction

        for name, slot in (
            ("connect_server_action", self.connect_to_server),
            ("open_file_action", self.open_file),
            ("restore_backup_action", self.restore_backup),
        ):
            action = getattr(window, name, None)
            if isinstance(action, QAction):
                action.triggered.connect(slot)
                action.setEnabled(True)
        restore = getattr(window, "restore_backup_action", None)
        if isinstance(restore, QAction) and self.database is not None:
            # A server database is restored by the IT admin with pg_restore.
            restore.setVisible(self.database.location.is_sqlite)

    # --- the two menu entries ------------------------------------------------

    def connect_to_server(self) -> bool:
        """Fichier → Se connecter à un serveur…; the connection is remembered once it worked."""
        chosen = self.choose_server()
        if chosen is None:
            return False
        connection, password = chosen
        if not self.open(connection.url(), password=password):
            return False
        from livret.ui.connect_dialog import remember_connection

        remember_connection(self.settings, connection)
        return True

    def open_file(self) -> bool:
        """Fichier → Ouvrir un fichier…: an existing Livret file (SQLite)."""
        path = self.choose_file()
        return self.open(path) if path else False

    def restore_backup(self) -> bool:
        """Fichier → Restaurer une sauvegarde…: close this file, restore, reopen it.

        The restore needs the file to itself (storage.backup.restore_sqlite), so this
        app's own connections go first; whatever happens, the file is then reopened
        in a new window (restored, or as it was if the restore was refused).
        """
        from livret.services.database import PG_RESTORE_HINT, database_backups, restore_database

        database, window = self.database, self.window
        if database is None:
            return False
        path = database.location.path
        if path is None:
            self.show_error(window, PG_RESTORE_HINT)
            return False
        chosen = self.choose_backup(database_backups(database), path)
        if chosen is None:
            return False
        if window is not None and not _close_child_windows(window):
            return False
        live = getattr(window, "live_refresh", None)
        if live is not None:
            live.stop()
        database.dispose()
        error: str | None = None
        try:
            report = restore_database(str(path), chosen)
        except LivretError as exc:
            error = exc.message
        if not self.open(str(path)):
            return False
        if error is not None:
            self.show_error(self.window, error)
            return False
        kept = f"\n\nCopie de la base d'avant : {report.previous}" if report.previous else ""
        self.show_info(f"Sauvegarde restaurée : {chosen}{kept}")
        return True

    # --- seams: the dialogs --------------------------------------------------

    def choose_backup(self, backups: list[BackupFile], path: Path) -> Path | None:
        from PySide6.QtWidgets import QDialog

        from livret.ui.restore_dialog import RestoreDialog

        dialog = RestoreDialog(backups, path, self.window)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.chosen

    def show_info(self, message: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        QMessageBox.information(self.window, "Livret", message)

    def choose_server(self) -> tuple[ServerConnection, str | None] | None:
        from PySide6.QtWidgets import QDialog

        from livret.ui.connect_dialog import ConnectDialog

        dialog = ConnectDialog(self.settings, self.window)
        if dialog.exec() != QDialog.DialogCode.Accepted or dialog.connection is None:
            return None
        return dialog.connection, dialog.password()

    def choose_file(self) -> str | None:
        from livret.ui import remembered

        path = remembered.open_file(
            self.window,
            remembered.Purpose.DATABASE_FILE,
            "Ouvrir une base Livret",
            "Bases Livret (*.sqlite *.db);;Tous les fichiers (*)",
        )
        return str(path) if path else None

    def ask_password(self, server: str, reason: str) -> str | None:
        from PySide6.QtWidgets import QDialog

        from livret.ui.connect_dialog import ServerPasswordDialog

        dialog = ServerPasswordDialog(server, reason, self.window)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return dialog.password.text()

    def log_in(self, database: Database, database_name: str) -> Actor | None:
        from PySide6.QtWidgets import QDialog

        from livret.ui.login_dialog import LoginDialog

        login = LoginDialog(database, database_name=database_name, parent=self.window)
        if os.environ.get(BENCH_STARTUP_VARIABLE):
            _bench_login_from_stdin(login)
        if login.exec() != QDialog.DialogCode.Accepted:
            return None
        return login.actor

    def check_tampering(self, database: Database, parent: QWidget | None) -> None:
        """A quick `db check` after opening: a non-modal French warning when it fails."""
        from PySide6.QtCore import Qt
        from PySide6.QtWidgets import QMessageBox

        from livret.services.database import check_database, tampering_warning

        try:
            report = check_database(database, quick=True)
        except LivretError:
            return  # the window already works on this database; the check is advice
        if report.ok:
            return
        box = QMessageBox(
            QMessageBox.Icon.Warning, "Livret", tampering_warning(report), parent=parent
        )
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()  # window-modal, and returns at once: the app stays usable
        self.tampering_box = box

    def show_error(self, parent: QWidget | None, message: str) -> None:
        from PySide6.QtWidgets import QMessageBox

        self.failed = True
        print(f"livret : erreur : {message}", file=sys.stderr)
        QMessageBox.warning(parent, "Livret", message)

    def close(self) -> None:
        if self.database is not None:
            self.database.dispose()
            self.database = None


def _close_child_windows(window: QWidget) -> bool:
    """Close the dialogs a window opened (each may ask about unsaved work), then settle the
    window's own unsaved work (MainWindow.settle_unsaved); False if one stays."""
    from PySide6.QtWidgets import QWidget

    for child in window.findChildren(QWidget):
        if child.isWindow() and child.isVisible() and not child.close():
            return False
    settle = getattr(window, "settle_unsaved", None)
    return settle is None or bool(settle())


def run_gui(db: str | None, *, demo: bool = False) -> int:
    from PySide6.QtWidgets import QApplication

    from livret.gc_policy import freeze_start_up_heap
    from livret.logs import configure_logging
    from livret.ui.application import configure_application
    from livret.ui.error_dialog import install_error_reporter

    configure_logging()
    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    configure_application(app)
    # An exception escaping a slot is logged and shown; the app keeps running.
    reporter = install_error_reporter(app)
    session = GuiSession(app)
    try:
        # As `livret db init` would, a SQLite file is created on first use.
        if not session.open(db, demo=demo, create_file=True):
            return 1 if session.failed else 0
        if os.environ.get(BENCH_STARTUP_VARIABLE) and session.window is not None:
            _when_painted(session.window, lambda: _bench_report_and_quit(app, session.window))
        if session.window is not None:
            # What lives from start-up on is never collected again (livret.gc_policy).
            # Installed last, its filter runs first: frozen before the bench's report.
            _when_painted(session.window, freeze_start_up_heap)
        return app.exec()
    finally:
        session.close()
        reporter.uninstall()


# --- the start-up bench's hook (bench/op_startup.py) -------------------------------
#
# With LIVRET_BENCH_STARTUP set, the first paint of the main window (the whole
# window, dashboard included, rendered by the event loop as a user sees it) prints
# one JSON line, {"painted_s": …, "rss_mb": …}, then the app quits. painted_s counts
# from time.perf_counter() read on the first line of livret/__main__.py (so without
# the interpreter's own start, which the bench times from spawn). On a database with
# a login, the dialog, once painted, prints {"login_painted_s": …} and reads one JSON
# line {"login": …, "password": …} from stdin, as a teacher would type it; the time
# spent waiting for that line is taken out of painted_s and given as waited_s.

_bench_waited_s = 0.0


def _started_at() -> float:
    started = getattr(sys.modules.get("__main__"), "STARTED", None)
    return started if isinstance(started, float) else _IMPORTED_AT


def _when_painted(widget: QWidget, then: Callable[[], None]) -> None:
    """Call `then` once the event loop has painted `widget` (and its children) once."""
    from PySide6.QtCore import QEvent, QObject, QTimer

    class PaintProbe(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            """Override QObject::eventFilter: watch for the top-level's first paint."""
            if watched is widget and event.type() == QEvent.Type.Paint:
                widget.removeEventFilter(self)
                # The children are painted in the same pass, before this timer fires.
                QTimer.singleShot(0, then)
            return False

    probe = PaintProbe(widget)
    widget.installEventFilter(probe)


def _bench_print(values: dict[str, object]) -> None:
    import json

    print(json.dumps(values), flush=True)


def _bench_login_from_stdin(login: QDialog) -> None:
    def type_credentials() -> None:
        global _bench_waited_s
        _bench_print({"login_painted_s": round(time.perf_counter() - _started_at(), 4)})
        waiting = time.perf_counter()
        import json

        credentials = json.loads(sys.stdin.readline() or "{}")
        _bench_waited_s += time.perf_counter() - waiting
        login.login.setText(str(credentials.get("login", "")))  # type: ignore[attr-defined]
        login.password.setText(str(credentials.get("password", "")))  # type: ignore[attr-defined]
        login.login_button.click()  # type: ignore[attr-defined]

    _when_painted(login, type_credentials)


def _bench_report_and_quit(app: QApplication, window: QWidget | None) -> None:
    painted_s = time.perf_counter() - _started_at() - _bench_waited_s
    import gc

    import psutil

    dashboard = getattr(window, "dashboard", None)
    _bench_print(
        {
            "painted_s": round(painted_s, 4),
            "waited_s": round(_bench_waited_s, 4),
            "rss_mb": round(psutil.Process().memory_info().rss / 2**20, 1),
            "learner_shown": dashboard is not None and dashboard.shown_learner_id() is not None,
            "heap_frozen": gc.get_freeze_count() > 0,
        }
    )
    app.quit()
