"""Pictures of what a failure looks like: the unexpected-error dialog, a dashboard that failed.

    python scripts/screenshots_errors.py [--out docs/screenshots]

Builds its own demo database in a temporary folder, breaks it behind the window's back
(a table renamed through a second sqlite3 connection) and grabs the two views; the log
goes to that temporary folder too.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import sys
import tempfile
from dataclasses import replace
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import text

from livret import logs
from livret.services.authentication import local_profile
from livret.services.container import build_services
from livret.services.database import open_database
from livret.services.demo import create_demo
from livret.ui.application import configure_application
from livret.ui.error_dialog import UnexpectedErrorDialog, doing, report_for
from livret.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[1]
DIALOG_FILE = "erreur-inattendue.png"
DASHBOARD_FILE = "tableau-de-bord-echec.png"


def save(widget: QWidget, path: Path) -> None:
    QApplication.processEvents()
    widget.grab().save(str(path))
    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    app = QApplication(sys.argv[:1])
    configure_application(app)
    with tempfile.TemporaryDirectory() as folder:
        logs.configure_logging(Path(folder) / "log")
        path = Path(folder) / "demo.sqlite"
        database, _ = open_database(str(path), create=True)
        create_demo(database, learners=36, evaluations=90, seed=7)
        services = build_services(database, local_profile(database))
        settings = QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(services, database_name=str(path), settings=settings)
        window.resize(1300, 760)
        window.show()
        selector = window.selector
        selector.class_combo.setCurrentIndex(0)
        selector.learner_list.setCurrentIndex(selector.learner_list.model().index(0, 0))
        raw = sqlite3.connect(path)
        raw.execute("ALTER TABLE result RENAME TO result_gone")
        raw.commit()
        selector.learner_list.setCurrentIndex(selector.learner_list.model().index(1, 0))
        save(window, args.out / DASHBOARD_FILE)

        try:
            with doing("afficher la liste des évaluations"), database.engine.connect() as c:
                c.execute(text("SELECT * FROM result WHERE learner_id = :id"), {"id": 1})
        except Exception as exc:
            report = report_for(exc)
        # The path as a teacher's machine shows it, not this script's temporary folder.
        shown = Path("~/.local/state/Livret/log") / logs.LOG_FILE_NAME
        dialog = UnexpectedErrorDialog(replace(report, log_path=shown))
        dialog.show()
        dialog.adjustSize()
        save(dialog, args.out / DIALOG_FILE)
        raw.execute("ALTER TABLE result_gone RENAME TO result")
        raw.commit()
        raw.close()
        window.live_refresh.stop()
        window.close()
        database.dispose()
        logs.reset_logging()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
