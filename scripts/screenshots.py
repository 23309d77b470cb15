"""Regenerate the README's pictures from a demo database: python scripts/screenshots.py."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from livret.services.container import build_services
from livret.services.database import open_database
from livret.services.demo import create_demo
from livret.ui.application import configure_application
from livret.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    configure_application(app)
    with tempfile.TemporaryDirectory() as folder:
        database, _ = open_database(str(Path(folder) / "demo.sqlite"), create=True)
        create_demo(database)
        services = build_services(database)
        settings = QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(
            services,
            database_name="demo.sqlite",
            settings=settings,
        )
        window.resize(1100, 700)
        window.show()
        window.selector.class_combo.setCurrentIndex(1)
        window.selector.learner_list.setCurrentIndex(
            window.selector.learner_list.model().index(4, 0)
        )
        app.processEvents()
        window.grab().save(str(args.out / "fenetre-principale.png"))
        window.close()
        database.dispose()
    print(f"Captures écrites dans {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
