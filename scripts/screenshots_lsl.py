"""Picture of the LSL Pro tab: a Terminale class of the demo, one learner selected.

    python scripts/screenshots_lsl.py [--out docs/screenshots]

Builds its own demo database in a temporary folder (nothing is written outside
--out). For the picture to show every state, the selected learner's proposals are
taken (« Reprendre les propositions »), one degree is then changed by hand, an
appréciation is saved, and a final bilan of 20/11/2026 gives the 1st trimester's mean;
the other learners keep their missing fields.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import text

from livret.domain.lsl import Degree
from livret.domain.roles import Actor
from livret.services.bilans import CONFIRMATION_WORD, BilanService
from livret.services.container import build_services
from livret.services.database import Database, open_database
from livret.services.demo import create_demo
from livret.services.users import command_line_actor
from livret.ui.application import configure_application
from livret.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[1]
VIEW_FILE = "lsl-pro.png"
CLASS_CODE, YEAR = "TPLP1", "2026-2027"
LEARNER_ROW = 1
BILAN_DAY = dt.date(2026, 11, 20)
APPRECIATION = (
    "Élève sérieux et impliqué en atelier ; la PFMP chez Agroval a confirmé son autonomie "
    "sur la ligne. Doit encore gagner en rigueur dans le suivi de production."
)


def save(widget: QWidget, path: Path) -> None:
    QApplication.processEvents()
    widget.grab().save(str(path))
    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def final_bilan(database: Database, actor: Actor, learner_id: int) -> None:
    """A final bilan in the 1st trimester, so that one periodic mean shows."""
    with database.engine.connect() as connection:
        ccs = [int(row[0]) for row in connection.execute(text("SELECT id FROM common_competency"))]
    levels = ("3", "4", "3", "2")
    bilans = BilanService(database, actor)
    sheet = bilans.open_draft(learner_id)
    sheet = bilans.save_draft(
        sheet.bilan_id,
        version=sheet.version,
        constats="",
        conseils="",
        positionings={cc: levels[n % len(levels)] for n, cc in enumerate(ccs)},
        bilan_date=BILAN_DAY,
    )
    bilans.finalize(sheet.bilan_id, version=sheet.version, confirmation=CONFIRMATION_WORD)


def capture(out: Path, database: Database, folder: Path) -> None:
    actor = command_line_actor(database)
    services = build_services(database, actor)
    klass = next(
        k for k in services.lsl.classes() if k.code == CLASS_CODE and k.school_year_label == YEAR
    )
    learner = services.lsl.class_synthesis(klass.id).learners[LEARNER_ROW]
    final_bilan(database, actor, learner.learner.id)
    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(services, database_name="demo.sqlite", settings=settings)
    window.resize(1400, 900)
    window.show()
    window.selector.select_class(klass.id)
    view = window.lsl_view
    window.tabs.setCurrentWidget(view)
    QApplication.processEvents()
    view.select_learner(learner.learner.id)
    view.accept_proposals()
    view.choose_degree(2, Degree.MAITRISE)
    view.appreciation_edit.setPlainText(APPRECIATION)
    view.save_appreciation()
    view.appreciation_edit.setFocus()
    save(window, out / VIEW_FILE)
    window.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    configure_application(app)
    with tempfile.TemporaryDirectory() as folder:
        database, _ = open_database(str(Path(folder) / "demo.sqlite"), create=True)
        try:
            create_demo(database)
            capture(args.out, database, Path(folder))
        finally:
            database.dispose()
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
