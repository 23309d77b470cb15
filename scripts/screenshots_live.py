"""Pictures of the live refresh: python scripts/screenshots_live.py.

bilan-modifie-ailleurs.png: a draft open in one app while a colleague's app, on the
same database, saves it; the banner names the colleague and offers to reload.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from livret.domain.roles import Actor, Role
from livret.services.accounts import AccountService
from livret.services.authentication import authenticate
from livret.services.container import build_services
from livret.services.database import open_database
from livret.services.demo import create_demo
from livret.ui.application import configure_application
from livret.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "demo-mot-de-passe"
SETUP = Actor(user_id=None, display_name="Mise en place", role=Role.ADMIN, local=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    configure_application(app)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "demo.sqlite"
        first, _ = open_database(str(path), create=True)
        create_demo(first, learners=60, evaluations=120, seed=3)
        accounts = AccountService(first, SETUP)
        accounts.add("mdupont", Role.TEACHER, name="Mme Dupont", password=PASSWORD)
        accounts.add("jmartin", Role.TEACHER, name="M. Martin", password=PASSWORD)
        second, _ = open_database(str(path))
        windows = []
        for database, login in ((first, "mdupont"), (second, "jmartin")):
            services = build_services(database, authenticate(database, login, PASSWORD))
            settings = QSettings(str(Path(folder) / f"{login}.ini"), QSettings.Format.IniFormat)
            window = MainWindow(services, database_name="démo", settings=settings)
            window.selector.class_combo.setCurrentIndex(0)
            window.selector.learner_list.setCurrentIndex(
                window.selector.learner_list.model().index(0, 0)
            )
            window.show()
            windows.append(window)
        theirs = windows[0].dashboard.open_bilan_editor()
        mine = windows[1].dashboard.open_bilan_editor()
        assert theirs is not None and mine is not None
        mine.constats.setPlainText("Travail régulier en atelier ; à poursuivre sur la sécurité.")
        theirs.constats.setPlainText("Progrès nets depuis la PFMP.")
        theirs.save()
        deadline = time.monotonic() + 5
        while not mine.remote_banner.isVisible() and time.monotonic() < deadline:
            QApplication.processEvents()
            time.sleep(0.05)
        QApplication.processEvents()
        args.out.mkdir(parents=True, exist_ok=True)
        target = args.out / "bilan-modifie-ailleurs.png"
        mine.grab().save(str(target))
        print(target.relative_to(ROOT) if target.is_relative_to(ROOT) else target)
        for window in windows:
            with contextlib.suppress(RuntimeError):
                window.live_refresh.stop()
        first.dispose()
        second.dispose()


if __name__ == "__main__":
    main()
