"""Opening a database whose guards were tampered with warns, and the window stays usable."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.qtbot import QtBot

from livret.app import GuiSession
from livret.services.database import open_database


def _session(tmp_path: Path) -> GuiSession:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    return GuiSession(app, QSettings(str(tmp_path / "livret.ini"), QSettings.Format.IniFormat))


def _new_file(tmp_path: Path) -> Path:
    path = tmp_path / "livret.sqlite"
    database, _ = open_database(str(path), create=True)
    database.dispose()
    return path


def test_a_guard_recreated_as_when_0_is_warned_at_start_up(tmp_path: Path, qtbot: QtBot) -> None:
    path = _new_file(tmp_path)
    with closing(sqlite3.connect(path)) as shell:
        shell.execute("DROP TRIGGER trg_bilan_final_delete")
        shell.execute(
            "CREATE TRIGGER trg_bilan_final_delete BEFORE DELETE ON bilan "
            "FOR EACH ROW WHEN 0 BEGIN SELECT RAISE(ABORT, 'x'); END"
        )
        shell.commit()
    session = _session(tmp_path)
    try:
        assert session.open(str(path))
        box = session.tampering_box
        assert isinstance(box, QMessageBox)
        qtbot.waitUntil(box.isVisible)
        assert "protection modifiée : trg_bilan_final_delete" in box.text()
        assert "livret db check" in box.text()
        # Not application-modal: the main window still takes the user's input.
        assert box.windowModality() != box.windowModality().ApplicationModal
        assert session.window is not None and session.window.isVisible()
        box.close()
    finally:
        if session.window is not None:
            session.window.close()  # closeEvent stops its focus and change watchers
        session.close()


def test_a_clean_database_opens_without_warning(tmp_path: Path) -> None:
    path = _new_file(tmp_path)
    session = _session(tmp_path)
    try:
        assert session.open(str(path))
        assert session.tampering_box is None
    finally:
        if session.window is not None:
            session.window.close()  # closeEvent stops its focus and change watchers
        session.close()
