"""Pictures of the conseil's day: « Noter le dernier bilan » with a flagged mark, and the
class PDF dialog listing who gets which bilan.

    python scripts/screenshots_marks.py [--out docs/screenshots]

Builds its own demo database in a temporary folder. In 1PLP1 (2026-2027) a teacher
finalizes today a bilan positioning one learner on two CCs only: its mark is flagged.
Both dialogs share the « Conseil du » date (today); nothing is written anywhere else.
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

from livret.services.authentication import local_profile
from livret.services.bilans import CONFIRMATION_WORD
from livret.services.container import Services, build_services
from livret.services.database import open_database
from livret.services.demo import create_demo
from livret.ui.application import configure_application
from livret.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[1]
MARKS_FILE = "noter-le-dernier-bilan.png"
CLASS_PDF_FILE = "pdf-de-la-classe.png"
CLASS = ("1PLP1", "2026-2027")


def save(widget: QWidget, path: Path) -> None:
    QApplication.processEvents()
    widget.grab().save(str(path))
    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def finalize_on_two_ccs(services: Services, class_code: str, year: str) -> None:
    """The first learner (alphabetical) with a final bilan and no draft: a new final bilan
    today, positioned on CC1.1 (++) and CC2.1 (+) only."""
    plan = services.exports.class_plan(class_code, school_year=year, include_drafts=True)
    learner = next(c.learner for c in plan.choices if c.choice.chosen and not c.choice.is_draft)
    draft = services.bilans.open_draft(learner.id)
    ids = {row.code: row.common_competency_id for row in draft.rows}
    saved = services.bilans.save_draft(
        draft.bilan_id,
        version=draft.version,
        constats="Absent une grande partie de la période : seules deux compétences évaluées.",
        conseils="Rattraper les évaluations de maintenance corrective avant la PFMP.",
        positionings={ids["CC1.1"]: "4", ids["CC2.1"]: "3"},
    )
    services.bilans.finalize(saved.bilan_id, version=saved.version, confirmation=CONFIRMATION_WORD)


def capture(out: Path) -> None:
    with tempfile.TemporaryDirectory() as folder:
        database, _ = open_database(str(Path(folder) / "demo.sqlite"), create=True)
        try:
            create_demo(database)
            services = build_services(database, local_profile(database))
            finalize_on_two_ccs(services, *CLASS)
            settings = QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat)
            window = MainWindow(services, database_name="démo", settings=settings)
            window.show()
            info = next(
                c for c in window.selector.classes() if (c.code, c.school_year_label) == CLASS
            )
            window.selector.select_class(info.id)
            QApplication.processEvents()

            marks = window.open_marks()
            assert marks is not None
            marks.resize(1180, 760)
            marks.table.setFocus()
            save(marks, out / MARKS_FILE)
            marks.close()

            pdfs = window.export_class_pdfs()
            assert pdfs is not None
            pdfs.include_drafts.setChecked(True)
            pdfs.table.setFocus()
            save(pdfs, out / CLASS_PDF_FILE)
            pdfs.close()
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
    capture(args.out)
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
