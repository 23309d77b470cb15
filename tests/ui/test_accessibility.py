"""Every window and dialog of Livret, walked as a screen-reader and keyboard user would.

The walk opens the main window for each role on the demo, every tab, every menu
action, then every « … » button of what those open (the convention for a button that
opens a dialog), and the windows reached from the dashboard and the bilan editor.
Each window it meets must give every interactive widget an accessible name and a
place in the tab order (tests/ui/accessibility.py). A last check fails when a
dialog or window class of livret.ui was never met: a new dialog cannot escape the walk.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QFileDialog,
    QMainWindow,
    QMenu,
    QMessageBox,
    QPushButton,
    QWidget,
)
from pytestqt.qtbot import QtBot
from sqlalchemy import text

import livret.ui
from livret.domain.roles import Role
from livret.services.authentication import local_profile
from livret.services.container import Services, build_services
from livret.services.database import Database
from livret.ui import messages
from livret.ui.connect_dialog import ConnectDialog, ServerPasswordDialog
from livret.ui.error_dialog import UnexpectedErrorDialog, report_for
from livret.ui.imports import open_results_import, open_siecle_import
from livret.ui.learner_window import LearnerWindow
from livret.ui.login_dialog import LoginDialog
from livret.ui.main_window import MainWindow
from livret.ui.referentiel.exchange import import_referentiel
from livret.ui.restore_dialog import RestoreDialog
from tests.accounts import make_account
from tests.ui.accessibility import problems

# Windows the walk cannot meet on the demo, each with the reason and the test that
# shows it elsewhere. Keep this list short: a class here is not walked.
NOT_WALKED: dict[str, str] = {}

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "exchange" / "data"
REFERENTIEL = ROOT / "resources" / "referentiels" / "pmia.json"


def _ui_window_classes() -> set[type[QWidget]]:
    """Every dialog and window class defined in livret.ui (modules imported on the way)."""
    for info in pkgutil.walk_packages(livret.ui.__path__, "livret.ui."):
        importlib.import_module(info.name)
    found: set[type[QWidget]] = set()
    pending: list[type[Any]] = [QDialog, QMainWindow]
    while pending:
        base = pending.pop()
        for cls in base.__subclasses__():
            pending.append(cls)
            if cls.__module__.startswith("livret.ui") and not inspect.isabstract(cls):
                found.add(cls)
    return found


class Walk:
    """Opens windows, checks each one once, remembers the classes it met."""

    def __init__(self, qtbot: QtBot) -> None:
        self.qtbot = qtbot
        self.met: set[type[QWidget]] = set()
        self.found: dict[str, list[str]] = {}
        self.checked: set[int] = set()

    def check(self, window: QWidget, where: str) -> None:
        QApplication.processEvents()
        self.met.add(type(window))
        if id(window) in self.checked:
            return
        self.checked.add(id(window))
        lines = problems(window)
        if lines:
            self.found.setdefault(f"{type(window).__name__} ({where})", []).extend(lines)

    def new_windows(self, act: Callable[[], object], where: str, *, depth: int = 1) -> None:
        """Run `act`; check every window it opened, and what their « … » buttons open."""
        before = {id(w) for w in QApplication.topLevelWidgets() if w.isVisible()}
        try:
            act()
        except Exception as exc:  # the walk reports, it does not stop at one window
            self.found.setdefault(where, []).append(f"erreur en ouvrant : {exc!r}")
            return
        QApplication.processEvents()
        opened = [
            w for w in QApplication.topLevelWidgets() if w.isVisible() and id(w) not in before
        ]
        for window in opened:
            self.check(window, where)
            if depth > 0:
                for button in window.findChildren(QPushButton):
                    if (
                        button.text().endswith("…")
                        and button.isVisibleTo(window)
                        and button.isEnabled()
                    ):
                        self.new_windows(
                            button.click, f"{where} → {button.text()}", depth=depth - 1
                        )
        for window in opened:
            if window.isVisible():
                window.close()
        QApplication.processEvents()

    def menus(self, window: QMainWindow, where: str) -> None:
        for menu in window.menuBar().findChildren(QMenu):
            for action in menu.actions():
                if action.isSeparator() or action.menu() is not None:
                    continue
                if not action.isVisible() or not action.isEnabled():
                    continue
                if action.text().replace("&", "") in {"Quitter"}:
                    continue
                label = action.text().replace("&", "")
                self.new_windows(
                    action.trigger, f"{where} : {menu.title().replace('&', '')} → {label}"
                )


@pytest.fixture
def walk(qtbot: QtBot, monkeypatch: pytest.MonkeyPatch) -> Iterator[Walk]:
    """Modal loops become shown windows; file choosers and error boxes answer « Annuler »."""

    def shown(dialog: QDialog) -> int:
        dialog.show()
        return int(QDialog.DialogCode.Rejected)

    monkeypatch.setattr(QDialog, "exec", shown)
    monkeypatch.setattr(QMessageBox, "exec", shown)
    for name in ("getOpenFileName", "getSaveFileName"):
        monkeypatch.setattr(QFileDialog, name, staticmethod(lambda *_a, **_k: ("", "")))
    monkeypatch.setattr(QFileDialog, "getExistingDirectory", staticmethod(lambda *_a, **_k: ""))
    monkeypatch.setattr(messages, "show_error", lambda *_args: None)
    monkeypatch.setattr(messages, "show_info", lambda *_args: None)
    yield Walk(qtbot)


def _main_window(qtbot: QtBot, services: Services, tmp_path: Path, name: str) -> MainWindow:
    settings = QSettings(str(tmp_path / f"{name}.ini"), QSettings.Format.IniFormat)
    window = MainWindow(services, database_name="démo", settings=settings)
    qtbot.addWidget(window)
    window.show()
    return window


def _teacher_walk(walk: Walk, qtbot: QtBot, database: Database, tmp_path: Path) -> None:
    services = build_services(database, local_profile(database))
    window = _main_window(qtbot, services, tmp_path, "enseignant")
    selector = window.selector
    selector.class_combo.setCurrentIndex(0)
    selector.learner_list.setCurrentIndex(selector.learner_list.model().index(0, 0))
    for index in range(window.tabs.count()):
        window.tabs.setCurrentIndex(index)
        walk.check(window, f"enseignant, onglet « {window.tabs.tabText(index)} »")
    window.tabs.setCurrentIndex(0)
    walk.menus(window, "enseignant")
    dashboard = window.dashboard
    walk.new_windows(lambda: dashboard.open_detail(0), "tableau de bord → détail")
    walk.new_windows(lambda: dashboard.open_picker(0), "tableau de bord → positionnement")

    def editor_and_its_dialogs() -> None:
        editor = dashboard.open_bilan_editor()
        assert editor is not None
        walk.check(editor, "éditeur de bilan")
        walk.new_windows(lambda: editor.open_picker(0), "éditeur → positionnement")
        walk.new_windows(editor.ask_finalize, "éditeur → Enregistrer définitivement")
        walk.new_windows(editor.ask_unlock, "éditeur → Déverrouiller")

    walk.new_windows(editor_and_its_dialogs, "tableau de bord → BILAN INTERMÉDIAIRE")
    window.close()


def _admin_walk(walk: Walk, qtbot: QtBot, database: Database, tmp_path: Path) -> None:
    actor = make_account(database, Role.ADMIN, "admin-a11y")
    window = _main_window(qtbot, build_services(database, actor), tmp_path, "admin")
    walk.check(window, "administrateur")
    walk.menus(window, "administrateur")
    window.close()


def _learner_walk(walk: Walk, qtbot: QtBot, database: Database, tmp_path: Path) -> None:
    with database.engine.connect() as connection:
        ine = connection.execute(
            text(
                "SELECT l.ine FROM learner l JOIN bilan b ON b.learner_id = l.id "
                "WHERE b.status = 'final' ORDER BY l.id LIMIT 1"
            )
        ).scalar_one()
    actor = make_account(database, Role.LEARNER, "eleve-a11y", learner_ine=ine)
    settings = QSettings(str(tmp_path / "eleve.ini"), QSettings.Format.IniFormat)

    def learner_window() -> None:
        window = LearnerWindow(build_services(database, actor), "démo", settings=settings)
        qtbot.addWidget(window)
        window.show()
        for index in range(window.tabs.count()):
            window.tabs.setCurrentIndex(index)
            walk.check(window, f"apprenant, onglet « {window.tabs.tabText(index)} »")
        walk.menus(window, "apprenant")

    walk.new_windows(learner_window, "apprenant")


def _windows_before_the_main_one(
    walk: Walk, qtbot: QtBot, database: Database, tmp_path: Path
) -> None:
    """Connexion, server, restore, imports, unexpected error: reached outside the menus here."""
    settings = QSettings(str(tmp_path / "connexions.ini"), QSettings.Format.IniFormat)
    openers: dict[str, Callable[[], QDialog]] = {
        "connexion": lambda: LoginDialog(database, database_name="démo"),
        "se connecter à un serveur": lambda: ConnectDialog(settings),
        "mot de passe du serveur": lambda: ServerPasswordDialog(
            "postgresql://prof@lycee/livret", "Mot de passe requis"
        ),
        "restaurer une sauvegarde": lambda: RestoreDialog([], tmp_path / "livret.sqlite"),
        "erreur inattendue": lambda: UnexpectedErrorDialog(report_for(RuntimeError("essai"))),
    }
    for where, make in openers.items():
        dialog = make()  # kept alive here: a parentless dialog dies with its last reference
        qtbot.addWidget(dialog)
        walk.new_windows(dialog.show, where)

    services = build_services(database, local_profile(database))
    window = _main_window(qtbot, services, tmp_path, "imports")
    siecle = DATA / "ElevesSansAdresses.xml"
    walk.new_windows(lambda: open_siecle_import(window, services, siecle), "import SIECLE")
    results = tmp_path / "resultats.csv"
    results.write_text("date;nature;titre;INE;critere;niveau\n", encoding="utf-8")
    walk.new_windows(lambda: open_results_import(window, services, results), "import résultats")
    walk.new_windows(
        lambda: import_referentiel(window, services, REFERENTIEL), "import du référentiel"
    )
    window.close()


def _erasure_walk(walk: Walk, qtbot: QtBot, database: Database, tmp_path: Path) -> None:
    actor = make_account(database, Role.ADMIN, "admin-rgpd")
    window = _main_window(qtbot, build_services(database, actor), tmp_path, "rgpd")

    def privacy_then_erasure() -> None:
        dialog = window.open_privacy()
        assert dialog is not None
        walk.check(dialog, "RGPD")
        with database.engine.connect() as connection:
            learner_id, ine = connection.execute(
                text("SELECT id, ine FROM learner ORDER BY id LIMIT 1")
            ).one()
        dialog.search.setText(ine)
        dialog.refresh()
        assert dialog.select_learner(learner_id)
        walk.new_windows(dialog.erase_selected, "RGPD → Effacer l'apprenant")

    walk.new_windows(privacy_then_erasure, "RGPD")
    window.close()


def test_every_window_names_its_controls_and_keeps_them_in_the_tab_order(
    qtbot: QtBot, walk: Walk, demo_database: Database, tmp_path: Path
) -> None:
    # The local profile first: once an account has a password, the base asks for a login.
    _teacher_walk(walk, qtbot, demo_database, tmp_path)
    _windows_before_the_main_one(walk, qtbot, demo_database, tmp_path)
    _admin_walk(walk, qtbot, demo_database, tmp_path)
    _learner_walk(walk, qtbot, demo_database, tmp_path)
    _erasure_walk(walk, qtbot, demo_database, tmp_path)

    report = "\n".join(
        f"{where}:\n  " + "\n  ".join(lines) for where, lines in sorted(walk.found.items())
    )
    never = sorted(
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in _ui_window_classes()
        if not any(issubclass(met, cls) for met in walk.met) and cls.__qualname__ not in NOT_WALKED
    )
    assert not walk.found and not never, (
        "Fenêtres à corriger :\n"
        + report
        + "\nJamais ouvertes par le parcours : "
        + ", ".join(never)
    )
