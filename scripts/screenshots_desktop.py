"""Pictures of the desktop conventions: the About box and the teacher's guide window.

    python scripts/screenshots_desktop.py [--out docs/screenshots]

Builds its own demo database in a temporary folder; nothing is written outside --out.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget

from livret.services.container import build_services
from livret.services.database import open_database
from livret.services.demo import create_demo
from livret.services.users import command_line_actor
from livret.ui.application import configure_application
from livret.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[1]


def save(widget: QWidget, path: Path) -> None:
    QApplication.processEvents()
    widget.grab().save(str(path))
    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def capture(out: Path, folder: Path) -> None:
    database, _ = open_database(str(folder / "demo.sqlite"), create=True)
    try:
        create_demo(database)
        services = build_services(database, command_line_actor(database))
        settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(services, database_name="demo.sqlite", settings=settings)
        window.show()
        about = window.open_about()
        about.resize(760, 620)
        save(about, out / "a-propos.png")
        about.close()
        guide = window.open_help()
        guide.resize(1100, 760)
        guide.contents.setCurrentRow(min(8, guide.contents.count() - 1))
        guide.contents.itemClicked.emit(guide.contents.currentItem())
        save(guide, out / "aide.png")
        window.close()
    finally:
        database.dispose()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    configure_application(app)
    with tempfile.TemporaryDirectory() as folder:
        capture(args.out, Path(folder))
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
