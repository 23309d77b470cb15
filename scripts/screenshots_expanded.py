"""Pictures of the expanded dashboard at 30 and 200 evaluations, at the default window size.

    python scripts/screenshots_expanded.py [--out docs/screenshots]

Builds two demo databases in a temporary folder (the usual demo, whose oldest learners
have 202 evaluations, and a smaller one where a learner has 30), opens the main window
at the size the app opens at and grabs the learner's dashboard as it opens, then with
the columns' choice on the current period and on the school year; nothing is written
anywhere else. The demo's `tableau-de-bord-etendu.png` comes from scripts/screenshots.py.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QPoint, QRect, QSettings
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QApplication, QLabel, QWidget
from sqlalchemy import text

from livret.services.container import build_services
from livret.services.database import Database, open_database
from livret.services.demo import create_demo
from livret.services.users import command_line_actor
from livret.ui.application import configure_application
from livret.ui.dashboard.scope import CURRENT_PERIOD, ScopeKind
from livret.ui.dashboard.view import DashboardView
from livret.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[1]
FILE_200 = "tableau-de-bord-200-evaluations.png"
FILE_200_PERIOD = "tableau-de-bord-200-evaluations-periode-en-cours.png"
FILE_200_YEAR = "tableau-de-bord-200-evaluations-annee.png"
FILE_30 = "tableau-de-bord-30-evaluations.png"
FILE_CHOICE = "choix-colonnes-tableau-de-bord.png"
SMALL_DEMO_EVALUATIONS = 66  # the demo then gives its learners 30 evaluations


def save(widget: QWidget, path: Path) -> None:
    for _ in range(3):
        QApplication.processEvents()
    widget.grab().save(str(path))
    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def learner_with_draft(database: Database, evaluations: int) -> tuple[int, int]:
    """(class id, learner id) of a learner of this year with `evaluations` evaluations
    and a draft bilan (as a teacher preparing the next bilan sees them)."""
    with database.engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT e.class_id, r.learner_id FROM result r "
                "JOIN enrolment e ON e.learner_id = r.learner_id "
                "JOIN school_year y ON y.id = e.school_year_id AND y.label = '2026-2027' "
                "WHERE EXISTS (SELECT 1 FROM bilan b WHERE b.learner_id = r.learner_id "
                "AND b.status = 'draft') "
                "GROUP BY e.class_id, r.learner_id "
                "HAVING COUNT(DISTINCT r.evaluation_id) = :n ORDER BY r.learner_id LIMIT 1"
            ),
            {"n": evaluations},
        ).one()
    return int(row[0]), int(row[1])


def open_window(folder: Path, name: str, evaluations: int | None) -> tuple[MainWindow, Database]:
    database, _ = open_database(str(folder / f"{name}.sqlite"), create=True)
    if evaluations is None:
        create_demo(database)
    else:
        create_demo(database, evaluations=evaluations)
    services = build_services(database, command_line_actor(database))
    settings = QSettings(str(folder / f"{name}.ini"), QSettings.Format.IniFormat)
    window = MainWindow(services, database_name=f"{name}.sqlite", settings=settings)
    window.show()  # at the size the app opens at (MainWindow's default)
    return window, database


def show(window: MainWindow, class_id: int, learner_id: int) -> None:
    window.selector.select_class(class_id)
    window.selector.select_learner(learner_id)
    QApplication.processEvents()


def choice_picture(dashboard: DashboardView) -> QLabel:
    """The dashboard's title and toolbar with the columns' choice open below it."""
    combo = dashboard.scope_combo
    combo.showPopup()
    QApplication.processEvents()
    popup = combo.view().window().grab()
    combo.hidePopup()
    under = combo.mapTo(dashboard, QPoint(0, combo.height()))
    top = dashboard.grab(QRect(0, 0, dashboard.width(), under.y() + popup.height() + 12))
    painter = QPainter(top)
    painter.drawPixmap(under, popup)
    painter.end()
    picture = QLabel()
    picture.setPixmap(top)
    picture.resize(top.size())
    return picture


def capture(out: Path, folder: Path) -> None:
    window, database = open_window(folder, "etendu-202", None)
    class_id, learner_id = learner_with_draft(database, 202)
    show(window, class_id, learner_id)
    dashboard = window.dashboard
    save(window, out / FILE_200)
    dashboard.set_scope(CURRENT_PERIOD)
    save(window, out / FILE_200_PERIOD)
    year = next(c.scope for c in dashboard._scope_choices if c.scope.kind is ScopeKind.YEAR)
    dashboard.set_scope(year)
    save(window, out / FILE_200_YEAR)
    save(choice_picture(dashboard), out / FILE_CHOICE)
    window.close()
    database.dispose()

    window, database = open_window(folder, "etendu-30", SMALL_DEMO_EVALUATIONS)
    class_id, learner_id = learner_with_draft(database, 30)
    show(window, class_id, learner_id)
    save(window, out / FILE_30)
    window.close()
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
    sys.exit(main())
