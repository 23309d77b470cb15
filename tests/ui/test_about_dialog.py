"""Aide → À propos de Livret: what a support request needs, copied in one click."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

import platformdirs
import PySide6
from PySide6.QtCore import QSettings, Qt, qVersion
from PySide6.QtGui import QGuiApplication
from pytestqt.qtbot import QtBot

from livret import __version__
from livret.services.authentication import local_profile
from livret.services.container import build_services
from livret.services.database import Database
from livret.ui.about_dialog import AboutDialog
from livret.ui.main_window import MainWindow


def rows(dialog: AboutDialog) -> dict[str, tuple[str, str]]:
    table = dialog.licences
    return {
        table.item(r, 0).text(): (table.item(r, 1).text(), table.item(r, 2).text())
        for r in range(table.rowCount())
    }


def test_the_about_box_says_versions_folders_database_and_licences(
    qtbot: QtBot, database: Database, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(
        build_services(database, local_profile(database)), database_name="x", settings=settings
    )
    qtbot.addWidget(window)
    window.show()
    window.about_action.trigger()
    dialog = window.about_dialog
    assert isinstance(dialog, AboutDialog) and dialog.isVisible()

    assert dialog.fields["Version"].text() == __version__ == metadata.version("livret")
    qt_line = dialog.fields["Qt / PySide6"].text()
    assert qt_line == f"Qt {qVersion()} / PySide6 {PySide6.__version__}"
    assert dialog.fields["Base de données"].text() == database.location.display()
    data_folder = platformdirs.user_data_dir("Livret", appauthor=False)
    assert data_folder in dialog.fields["Dossier des données"].text()
    assert platformdirs.user_log_dir("Livret", appauthor=False) in dialog.fields["Journal"].text()

    components = rows(dialog)
    assert components["Qt"] == (qVersion(), "LGPL-3.0-only")
    pyside = components["PySide6_Essentials"]
    assert pyside[0] == PySide6.__version__ and "LGPL-3.0" in pyside[1]
    assert components["SQLAlchemy"] == (metadata.version("sqlalchemy"), "MIT")
    assert components["reportlab"][1] == "BSD"  # its classifier, not its long License field
    for name in ("alembic", "numpy", "psycopg", "openpyxl", "defusedxml", "argon2-cffi"):
        assert components[name][0] == metadata.version(name)
    assert {"platformdirs", "pypdf", "psutil", "pillow", "rl_accel", "pyqtgraph"} <= set(components)
    assert "pytest" not in components  # a development tool, not shipped


def test_copy_puts_the_facts_on_the_clipboard(qtbot: QtBot, database: Database) -> None:
    dialog = AboutDialog(database)
    qtbot.addWidget(dialog)
    dialog.show()
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(dialog.copy_button, Qt.MouseButton.LeftButton)
    copied = QGuiApplication.clipboard().text()
    assert copied.startswith(f"Livret {__version__}\n")
    assert f"Base de données : {database.location.display()}" in copied
    assert f"  Qt {qVersion()} — LGPL-3.0-only" in copied
    assert f"  SQLAlchemy {metadata.version('sqlalchemy')} — MIT" in copied
    assert dialog.copy_button.text() == "Informations copiées"
