"""Pictures of the conseil de classe: its tab in the main window, and its PDF's first page.

    python scripts/screenshots_conseil.py [--out docs/screenshots]

Builds its own demo database in a temporary folder. For the picture to show every
case, one learner of 1PLP1 (2026-2027) who has no bilan yet is given a final bilan on
3 CCs (its mark is flagged ⚠), and two remarks are typed; the conseil is held on
10/12/2026. The PDF page is rendered with poppler's pdftoppm (Debian package
poppler-utils); nothing is written outside --out.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import text

from livret.domain.roles import Actor
from livret.services.bilans import CONFIRMATION_WORD, BilanService
from livret.services.container import build_services
from livret.services.database import Database, open_database
from livret.services.demo import create_demo
from livret.services.users import command_line_actor
from livret.ui.application import configure_application
from livret.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[1]
VIEW_FILE = "conseil-de-classe.png"
PDF_FILE = "conseil-de-classe-pdf.png"
CONSEIL = dt.date(2026, 12, 10)
CLASS_CODE, YEAR = "1PLP1", "2026-2027"
REMARKS = (
    "Bons progrès en atelier ; rester régulier à l'écrit.",
    "Absences à surveiller avant la PFMP de janvier.",
)


def save(widget: QWidget, path: Path) -> None:
    QApplication.processEvents()
    widget.grab().save(str(path))
    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def rows(database: Database, sql: str, **params: object) -> list[tuple[object, ...]]:
    with database.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params).all()]


def flagged_bilan(database: Database, actor: Actor, class_id: int) -> None:
    """A learner without any bilan gets a final one on 3 CCs of 13 (a flagged mark)."""
    found = rows(
        database,
        "SELECT e.learner_id FROM enrolment e WHERE e.class_id = :c AND NOT EXISTS "
        "(SELECT 1 FROM bilan b WHERE b.learner_id = e.learner_id) ORDER BY e.learner_id",
        c=class_id,
    )
    if not found:
        return
    ccs = {
        str(code): int(str(cc_id))
        for cc_id, code in rows(database, "SELECT id, code FROM common_competency")
    }
    bilans = BilanService(database, actor)
    sheet = bilans.open_draft(int(str(found[0][0])))
    day = min(dt.date.today(), dt.date(2026, 11, 20))
    sheet = bilans.save_draft(
        sheet.bilan_id,
        version=sheet.version,
        constats="",
        conseils="",
        positionings={ccs["CC1.1"]: "3", ccs["CC2.1"]: "2", ccs["CC3.1"]: "3"},
        bilan_date=day,
    )
    bilans.finalize(sheet.bilan_id, version=sheet.version, confirmation=CONFIRMATION_WORD)


def render_first_page(pdf: Path, png: Path) -> None:
    if shutil.which("pdftoppm") is None:
        print("pdftoppm introuvable : installez poppler-utils pour la page du PDF.")
        return
    stem = png.with_suffix("")
    subprocess.run(
        ["pdftoppm", "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", str(pdf), str(stem)],
        check=True,
    )
    print(png.relative_to(ROOT) if png.is_relative_to(ROOT) else png)


def capture(out: Path, database: Database, folder: Path) -> None:
    actor = command_line_actor(database)
    services = build_services(database, actor)
    (class_id,) = rows(
        database,
        "SELECT c.id FROM school_class c JOIN school_year y ON y.id = c.school_year_id "
        "WHERE c.code = :code AND y.label = :year",
        code=CLASS_CODE,
        year=YEAR,
    )[0]
    class_id = int(str(class_id))
    flagged_bilan(database, actor, class_id)

    settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(services, database_name="demo.sqlite", settings=settings)
    window.resize(1500, 800)
    window.show()
    window.selector.select_class(class_id)
    view = window.conseil_view
    window.tabs.setCurrentWidget(view)
    view.set_date(CONSEIL)
    QApplication.processEvents()
    lines = view.model.lines()
    with_bilan = [row for row, line in enumerate(lines) if line.bilan_id is not None]
    for row, remark in zip(with_bilan, REMARKS, strict=False):
        view.edit_remark(row, remark)
    view.table.setCurrentIndex(view.model.index(with_bilan[-1] + 1, view.model.remark_column))
    save(window, out / VIEW_FILE)

    pdf = services.conseil.export_pdf(class_id, CONSEIL, folder / "conseil.pdf")
    render_first_page(pdf, out / PDF_FILE)
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
