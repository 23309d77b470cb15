"""Fichier → Restaurer une sauvegarde… : the list, the confirmation, the file reopened restored."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QDialog
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from livret.app import GuiSession
from livret.services.database import BackupFile, open_database
from livret.storage.backup import backup_sqlite, backups_dir, list_backups
from livret.ui.main_window import MainWindow
from livret.ui.restore_dialog import RestoreDialog


def names(path: Path) -> set[str]:
    with closing(sqlite3.connect(path)) as connection:
        return {row[0] for row in connection.execute("SELECT family_name FROM learner")}


def add_learner(path: Path, name: str, ine: str) -> None:
    database, _ = open_database(str(path))
    try:
        with database.transaction() as session:
            session.execute(
                text("INSERT INTO learner (ine, family_name, first_name) VALUES (:i, :n, 'X')"),
                {"i": ine, "n": name},
            )
    finally:
        database.dispose()


@pytest.fixture
def livret_file(tmp_path: Path) -> Path:
    path = tmp_path / "livret.sqlite"
    database, _ = open_database(str(path), create=True)
    database.dispose()
    add_learner(path, "Avant", "1111111111A")
    shutil.rmtree(backups_dir(path))  # that opening's daily copy: each test makes its own
    return path


def test_the_dialog_lists_the_backups_newest_first_and_asks_first(
    qtbot: QtBot, livret_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    older = backup_sqlite(
        livret_file, reason="avant-0005", clock=lambda: dt.datetime(2026, 11, 2, 9)
    )
    newer = backup_sqlite(
        livret_file, reason="quotidienne", clock=lambda: dt.datetime(2026, 12, 1, 8, 5)
    )
    dialog = RestoreDialog(list_backups(livret_file), livret_file)
    qtbot.addWidget(dialog)
    texts = [dialog.list.item(row).text() for row in range(dialog.list.count())]
    assert texts[0].startswith("01/12/2026 à 08:05 — première ouverture du jour")
    assert texts[1].startswith("02/11/2026 à 09:00 — avant la mise à jour du schéma 0005")
    assert dialog.selected_path() == newer and dialog.restore_button.isEnabled()
    questions: list[str] = []
    answers = iter([False, True])

    def confirm(question: str) -> bool:
        questions.append(question)
        return next(answers)

    monkeypatch.setattr(dialog, "confirm", confirm)
    dialog.list.setCurrentRow(1)
    dialog.restore_button.click()  # « Annuler » in the confirmation
    assert dialog.chosen is None and dialog.result() != QDialog.DialogCode.Accepted
    dialog.restore_button.click()
    assert dialog.chosen == older and dialog.result() == QDialog.DialogCode.Accepted
    assert str(livret_file) in questions[0] and "copie de l'état actuel" in questions[0]


def test_the_dialog_without_backups(qtbot: QtBot, livret_file: Path) -> None:
    dialog = RestoreDialog([], livret_file)
    qtbot.addWidget(dialog)
    assert dialog.list.count() == 0 and not dialog.restore_button.isEnabled()
    assert not dialog.empty_label.isHidden()


@pytest.fixture
def session(
    livret_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[GuiSession, list[str], list[str]]]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    session = GuiSession(app, QSettings(str(tmp_path / "livret.ini"), QSettings.Format.IniFormat))
    errors: list[str] = []
    infos: list[str] = []
    monkeypatch.setattr(session, "show_error", lambda _parent, message: errors.append(message))
    monkeypatch.setattr(session, "show_info", infos.append)
    assert session.open(str(livret_file))
    yield session, errors, infos
    if session.window is not None:
        session.window.close()  # closeEvent stops its focus and change watchers
    session.close()


def choose_the_oldest(monkeypatch: pytest.MonkeyPatch) -> None:
    """The user picks the last row of the real dialog and confirms."""

    def run(dialog: RestoreDialog) -> int:
        dialog.list.setCurrentRow(dialog.list.count() - 1)
        dialog.restore_button.click()
        return int(dialog.result())

    monkeypatch.setattr(RestoreDialog, "exec", run)
    monkeypatch.setattr(RestoreDialog, "confirm", lambda _self, _question: True)


def test_restore_from_the_menu_reopens_the_file_restored(
    session: tuple[GuiSession, list[str], list[str]],
    livret_file: Path,
    monkeypatch: pytest.MonkeyPatch,
    qtbot: QtBot,
) -> None:
    gui, errors, infos = session
    first = gui.window
    assert isinstance(first, MainWindow)
    assert first.restore_backup_action.isEnabled() and first.restore_backup_action.isVisible()
    oldest = backup_sqlite(livret_file, reason="test", clock=lambda: dt.datetime(2020, 1, 1))
    assert gui.database is not None
    with gui.database.transaction() as transaction:  # typed in the app after the copy
        transaction.execute(
            text(
                "INSERT INTO learner (ine, family_name, first_name) "
                "VALUES ('2222222222B', 'Après', 'Y')"
            )
        )
    choose_the_oldest(monkeypatch)

    first.restore_backup_action.trigger()

    assert errors == []
    assert "Après" not in names(livret_file) and "Avant" in names(livret_file)
    second = gui.window
    assert isinstance(second, MainWindow) and second is not first and second.isVisible()
    assert not first.isVisible()
    assert infos and infos[0].startswith(f"Sauvegarde restaurée : {oldest}")
    (previous,) = backups_dir(livret_file).glob("*-avant-restauration.sqlite")
    assert "Après" in names(previous) and str(previous) in infos[0]
    assert not second.services.catalog.list_classes()  # the new window works on the file


def test_a_refused_restore_says_why_once_and_changes_nothing(
    session: tuple[GuiSession, list[str], list[str]],
    livret_file: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    gui, errors, infos = session
    window = gui.window
    assert isinstance(window, MainWindow)
    backup_sqlite(livret_file, reason="test", clock=lambda: dt.datetime(2020, 1, 1))
    add_learner(livret_file, "Après", "2222222222B")
    other_app, _ = open_database(str(livret_file))  # a colleague's Livret on the same file
    try:
        with other_app.snapshot() as connection:
            connection.execute(text("SELECT 1"))
        choose_the_oldest(monkeypatch)
        window.restore_backup_action.trigger()
    finally:
        other_app.dispose()
    assert len(errors) == 1 and "ouverte dans une autre application" in errors[0]
    assert infos == []
    assert "Après" in names(livret_file)
    assert gui.window is not None and gui.window.isVisible()  # reopened, usable


def test_a_cancelled_choice_leaves_the_window(
    session: tuple[GuiSession, list[str], list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    gui, errors, _infos = session
    window = gui.window
    monkeypatch.setattr(gui, "choose_backup", lambda _backups, _path: None)
    assert isinstance(window, MainWindow)
    window.restore_backup_action.trigger()
    assert gui.window is window and errors == []


def test_backup_files_are_listed_through_the_service(livret_file: Path) -> None:
    from livret.services.database import database_backups

    backup_sqlite(livret_file, reason="test")
    database, _ = open_database(str(livret_file))
    try:
        found = database_backups(database)
    finally:
        database.dispose()
    assert all(isinstance(b, BackupFile) for b in found) and len(found) == 2  # + the daily one
