"""Fail loud, stay right: the database failing mid-session, and unexpected exceptions.

The database really fails: a table is renamed behind the app's back through a second,
raw connection (sqlite3 on a file; another engine on PostgreSQL), then repaired.
"""

from __future__ import annotations

import os
import sqlite3
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt, QTimer
from PySide6.QtWidgets import QApplication, QDialog, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import create_engine, text

from livret import logs
from livret.domain.errors import DatabaseError
from livret.domain.roles import Role
from livret.services.authentication import local_profile
from livret.services.container import build_services
from livret.services.database import Database
from livret.ui import error_dialog
from livret.ui.error_dialog import ErrorReport, ErrorReporter, UnexpectedErrorDialog, doing
from livret.ui.main_window import MainWindow
from tests.accounts import make_account


@pytest.fixture
def log_file() -> Iterator[Path]:
    """The log as run_gui configures it (the user's log folder, redirected by conftest)."""
    path = logs.configure_logging()
    assert path is not None
    yield path
    logs.reset_logging()


@pytest.fixture
def window(qtbot: QtBot, demo_database: Database, tmp_path: Path) -> MainWindow:
    # A server asks for an account: a teacher's, as a real session gets it.
    actor = (
        local_profile(demo_database)
        if demo_database.location.is_sqlite
        else make_account(demo_database, Role.TEACHER, name="M. Martin")
    )
    services = build_services(demo_database, actor)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    widget = MainWindow(services, database_name="démo", settings=settings)
    qtbot.addWidget(widget)
    widget.resize(1300, 850)
    widget.show()
    yield widget
    widget.live_refresh.stop()


def rename_table(database: Database, old: str, new: str) -> None:
    """Another program changes the database under the running app."""
    if database.location.path is not None:
        raw = sqlite3.connect(database.location.path)
        try:
            raw.execute(f"ALTER TABLE {old} RENAME TO {new}")
            raw.commit()
        finally:
            raw.close()
        return
    other = create_engine(database.engine.url)
    try:
        with other.begin() as connection:
            connection.execute(text(f"ALTER TABLE {old} RENAME TO {new}"))
    finally:
        other.dispose()


def learner_names(database: Database) -> list[str]:
    with database.engine.connect() as connection:
        rows = connection.execute(text("SELECT family_name, first_name FROM learner")).all()
    return [name for row in rows for name in row]


def choose(window: MainWindow, row: int) -> str:
    """Click a learner in the list; returns the name shown there."""
    index = window.selector.learner_list.model().index(row, 0)
    window.selector.learner_list.setCurrentIndex(index)
    return str(index.data()).removesuffix(" (sorti)")


def test_database_failing_mid_session_clears_the_dashboard_then_retry_shows_the_right_learner(
    qtbot: QtBot,
    window: MainWindow,
    demo_database: Database,
    log_file: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    window.selector.class_combo.setCurrentIndex(0)
    first = choose(window, 0)
    dashboard = window.dashboard
    assert dashboard.title.text() == first
    assert dashboard.model.rowCount() > 0
    capfd.readouterr()

    rename_table(demo_database, "result", "result_gone")
    second = choose(window, 1)

    # Nothing of the learner shown before; the selection and the view agree.
    assert window.selector.current_learner_id() == dashboard.shown_learner_id()
    assert dashboard.model.dashboard is None
    assert dashboard.model.rowCount() == 0
    assert first not in dashboard.title.text() + dashboard.summary.text()
    assert dashboard.title.text() == "Tableau de bord non chargé"
    assert not dashboard.bilan_button.isEnabled()
    assert dashboard.load_failed and not dashboard.table.isVisibleTo(dashboard)
    message = dashboard.failure.message.text()
    assert message.startswith(f"Le tableau de bord de {second} n'a pas pu être chargé : ")
    assert "result" in message  # the database's own reason, in a French sentence
    assert dashboard.failure.retry_button.text() == "&Réessayer"

    out, err = capfd.readouterr()
    assert "Traceback" not in out + err
    assert err == ""
    written = log_file.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in written
    assert "no such table: result" in written or 'relation "…" does not exist' in written
    assert f"apprenant n° {dashboard.shown_learner_id()}" in written
    for name in learner_names(demo_database):
        assert name not in written

    # Réessayer while still broken: the same message, nothing else.
    qtbot.mouseClick(dashboard.failure.retry_button, Qt.MouseButton.LeftButton)
    assert dashboard.load_failed and dashboard.model.dashboard is None

    rename_table(demo_database, "result_gone", "result")
    with qtbot.waitSignal(dashboard.learner_shown) as shown:
        qtbot.mouseClick(dashboard.failure.retry_button, Qt.MouseButton.LeftButton)
    assert shown.args == [window.selector.current_learner_id()]
    assert dashboard.title.text() == second
    assert not dashboard.load_failed and dashboard.table.isVisibleTo(dashboard)
    assert dashboard.model.rowCount() > 0
    assert "Traceback" not in "".join(capfd.readouterr())


def test_class_overview_and_bilans_list_clear_and_retry(
    qtbot: QtBot, window: MainWindow, demo_database: Database, log_file: Path
) -> None:
    window.selector.class_combo.setCurrentIndex(0)
    overview = window.class_overview
    window.tabs.setCurrentWidget(overview)
    assert overview.model.rowCount() > 0
    rename_table(demo_database, "bilan", "bilan_gone")
    overview.show_class(window.selector.current_class_id() or 0)
    assert overview.model.rowCount() == 0 and overview.load_failed
    assert "n'a pas pu être chargée" in overview.failure.message.text()
    window.bilans_module.reload()
    assert window.bilans_module.model.rowCount() == 0
    assert window.bilans_module.load_failed

    rename_table(demo_database, "bilan_gone", "bilan")
    qtbot.mouseClick(overview.failure.retry_button, Qt.MouseButton.LeftButton)
    assert overview.model.rowCount() > 0 and not overview.load_failed
    qtbot.mouseClick(window.bilans_module.failure.retry_button, Qt.MouseButton.LeftButton)
    assert window.bilans_module.model.rowCount() > 0 and not window.bilans_module.load_failed


class Seen:
    """Stands in for the dialog: records each report."""

    def __init__(self) -> None:
        self.reports: list[ErrorReport] = []

    def __call__(self, report: ErrorReport, _parent: QWidget | None) -> QDialog | None:
        self.reports.append(report)
        return None


@pytest.fixture
def reporter(
    qapp: QApplication, monkeypatch: pytest.MonkeyPatch, log_file: Path
) -> Iterator[tuple[ErrorReporter, Seen]]:
    seen = Seen()
    monkeypatch.setattr(error_dialog, "show_unexpected_error", seen)
    installed = error_dialog.install_error_reporter(qapp)
    yield installed, seen
    installed.uninstall()


@pytest.mark.qt_no_exception_capture
def test_changing_class_while_the_database_fails_shows_nobody(
    qtbot: QtBot,
    window: MainWindow,
    demo_database: Database,
    reporter: tuple[ErrorReporter, Seen],
) -> None:
    window.selector.class_combo.setCurrentIndex(0)
    choose(window, 0)
    assert window.dashboard.model.dashboard is not None
    window.tabs.setCurrentWidget(window.class_overview)
    rename_table(demo_database, "enrolment", "enrolment_gone")
    try:
        window.selector.class_combo.setCurrentIndex(1)  # the selector cannot read its learners
        _, seen = reporter
        assert len(seen.reports) == 1
        assert "n'a pas pu être lue" in seen.reports[0].message  # the French DatabaseError
        assert window.selector.current_learner_id() is None
        assert window.dashboard.model.dashboard is None  # nobody chosen, nobody shown
        assert window.dashboard.title.text() == "Aucun apprenant choisi"
        assert window.class_overview.load_failed
        assert window.class_overview.model.rowCount() == 0
    finally:
        rename_table(demo_database, "enrolment_gone", "enrolment")


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_is_logged_and_shown_and_the_app_keeps_running(
    qtbot: QtBot, reporter: tuple[ErrorReporter, Seen], log_file: Path
) -> None:
    _, seen = reporter
    after: list[str] = []

    def broken_slot() -> None:
        with doing("enregistrer le bilan"):
            raise ZeroDivisionError("division by zero")

    QTimer.singleShot(0, broken_slot)
    QTimer.singleShot(20, lambda: after.append("encore là"))
    qtbot.waitUntil(lambda: bool(after))
    assert len(seen.reports) == 1
    report = seen.reports[0]
    assert report.doing == "enregistrer le bilan"
    assert report.message == "Erreur technique : ZeroDivisionError."
    assert report.log_path == log_file
    assert "Livret " in report.details and "ZeroDivisionError" in report.details
    assert "broken_slot" in report.details
    written = log_file.read_text(encoding="utf-8")
    assert "Erreur inattendue pendant : enregistrer le bilan" in written
    assert "Traceback (most recent call last)" in written
    assert "ZeroDivisionError: division by zero" in written


@pytest.mark.qt_no_exception_capture
def test_a_storm_of_the_same_error_gives_one_dialog(
    qtbot: QtBot, reporter: tuple[ErrorReporter, Seen]
) -> None:
    _, seen = reporter
    fired: list[int] = []

    def broken() -> None:
        fired.append(1)
        raise DatabaseError("La base ne répond plus.")

    timer = QTimer()
    timer.setInterval(1)
    timer.timeout.connect(broken)
    timer.start()
    qtbot.waitUntil(lambda: len(fired) >= 30)
    timer.stop()
    assert len(seen.reports) == 1
    assert seen.reports[0].message == "La base ne répond plus."


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_another_thread_is_reported_in_the_gui_thread(
    qtbot: QtBot, reporter: tuple[ErrorReporter, Seen], log_file: Path
) -> None:
    _, seen = reporter

    def work() -> None:
        raise LookupError("no index")

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    qtbot.waitUntil(lambda: bool(seen.reports))
    assert seen.reports[0].message == "Erreur technique : LookupError."
    assert "LookupError: no index" in log_file.read_text(encoding="utf-8")


def test_the_dialog_says_what_and_copies_the_details(qtbot: QtBot, tmp_path: Path) -> None:
    report = ErrorReport(
        message="Erreur technique : OperationalError.",
        doing="afficher le tableau de bord",
        details="Livret 0.1.0\nTraceback (most recent call last):\n…",
        log_path=tmp_path / "livret.log",
    )
    dialog = UnexpectedErrorDialog(report)
    qtbot.addWidget(dialog)
    dialog.show()
    assert dialog.heading.text() == "Une erreur inattendue s'est produite"
    assert dialog.doing_label.text() == "Pendant : afficher le tableau de bord."
    assert str(tmp_path / "livret.log") in dialog.log_label.text()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    assert QApplication.clipboard().text() == report.details
    dialog.note_another()
    assert dialog.repeat_label.isVisibleTo(dialog)
    qtbot.mouseClick(dialog.close_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()


@pytest.mark.qt_no_exception_capture
def test_the_real_dialog_opens_once_without_blocking(
    qtbot: QtBot, qapp: QApplication, log_file: Path
) -> None:
    installed = error_dialog.install_error_reporter(qapp)
    try:
        QTimer.singleShot(0, lambda: 1 / 0)
        qtbot.waitUntil(lambda: installed.dialog is not None)
        dialog = installed.dialog
        assert isinstance(dialog, UnexpectedErrorDialog)
        assert dialog.isVisible()
        QTimer.singleShot(0, lambda: [][1])  # another error while it is open: counted on it
        qtbot.waitUntil(lambda: dialog.repeats == 1)
        dialog.close()
        qtbot.waitUntil(lambda: installed.dialog is None)
    finally:
        installed.uninstall()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_run_gui_logs_to_the_users_log_folder_and_installs_the_hook(
    monkeypatch: pytest.MonkeyPatch, demo_database: Database
) -> None:
    from livret.app import run_gui

    seen: dict[str, object] = {}

    def fake_exec() -> int:
        seen["hook"] = sys.excepthook
        seen["log"] = logs.log_file_path()
        for widget in QApplication.topLevelWidgets():
            widget.hide()
        return 0

    monkeypatch.setattr(QApplication, "exec", staticmethod(fake_exec))
    before = sys.excepthook
    try:
        assert run_gui(demo_database.location.url.database) == 0
    finally:
        logs.reset_logging()
    hook = seen["hook"]
    assert getattr(hook, "__self__", None).__class__ is ErrorReporter
    log = seen["log"]
    assert isinstance(log, Path)
    assert log.is_relative_to(Path(os.environ["XDG_STATE_HOME"]))
    assert sys.excepthook is before  # given back when the app ends
