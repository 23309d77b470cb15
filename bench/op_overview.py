"""The class overview: a class's learners × common competencies read, built and painted.

The app side is what a teacher waits for after choosing a class: OverviewService.
class_overview (the read path), ClassOverviewView.show_class (model reset, title and
details), then the whole top-level window painted through the event loop (posted
events and layouts processed, a synchronous repaint of the window, until nothing is
pending). The view is the top-level window here, sized like the main window, as the
tab is in the app. The floor is the lowest raw equivalent: the same rows (class,
learners, CCs, the drafts' and latest final bilans' positionings, the current
period's counts) fetched with the plain driver (sqlite3 or psycopg).
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtWidgets import QApplication

from bench.core import BenchContext, Measurement
from livret.services.overview import OverviewService
from livret.services.users import command_line_actor
from livret.ui.class_overview import ClassOverviewView

WINDOW_SIZE = (1400, 900)
CLASSES = 12
"""The biggest classes of the database (most learners first)."""
ROUNDS = 3
"""Each class shown this many times (after a warm-up round)."""

RAW_CLASS = (
    "SELECT c.id, c.code, y.label FROM school_class c "
    "JOIN school_year y ON y.id = c.school_year_id WHERE c.id = {m}"
)
RAW_LEARNERS = (
    "SELECT l.id, l.ine, l.family_name, l.first_name, l.left_on FROM learner l "
    "JOIN enrolment e ON e.learner_id = l.id WHERE e.class_id = {m}"
)
RAW_CCS = (
    "SELECT id, code, title, group_code, group_label FROM common_competency "
    "ORDER BY referentiel_id, position"
)
RAW_BILANS = """
SELECT b.learner_id, b.id, b.status, b.bilan_date, p.common_competency_id, p.level
FROM bilan b
LEFT JOIN positioning p ON p.bilan_id = b.id
WHERE b.learner_id IN (SELECT learner_id FROM enrolment WHERE class_id = {m})
  AND (b.status = 'draft' OR NOT EXISTS (
        SELECT 1 FROM bilan n WHERE n.learner_id = b.learner_id AND n.status = 'final'
        AND (n.bilan_date > b.bilan_date OR (n.bilan_date = b.bilan_date AND n.id > b.id))))
"""
RAW_COUNTS = """
SELECT r.learner_id, k.common_competency_id, count(*)
FROM result r
JOIN evaluation v ON v.id = r.evaluation_id
JOIN criterion k ON k.id = r.criterion_id
LEFT JOIN (SELECT learner_id, max(bilan_date) AS last_date FROM bilan
           WHERE status = 'final'
             AND learner_id IN (SELECT learner_id FROM enrolment WHERE class_id = {m})
           GROUP BY learner_id) f ON f.learner_id = r.learner_id
WHERE r.learner_id IN (SELECT learner_id FROM enrolment WHERE class_id = {m})
  AND r.level IN ('1', '2', '3', '4')
  AND (f.last_date IS NULL OR v.eval_date > f.last_date)
GROUP BY r.learner_id, k.common_competency_id
"""


def settle(app: QApplication) -> None:
    """Let the event loop run until nothing is pending (layouts, update requests, paints)."""
    app.processEvents()
    app.sendPostedEvents()
    app.processEvents()


def raw_fetch(connection: Any, marker: str, class_id: int) -> list[Any]:
    return [
        connection.execute(RAW_CLASS.format(m=marker), (class_id,)).fetchone(),
        connection.execute(RAW_LEARNERS.format(m=marker), (class_id,)).fetchall(),
        connection.execute(RAW_CCS).fetchall(),
        connection.execute(RAW_BILANS.format(m=marker), (class_id,)).fetchall(),
        connection.execute(RAW_COUNTS.format(m=marker), (class_id, class_id)).fetchall(),
    ]


def biggest_classes(connection: Any) -> list[tuple[int, int]]:
    rows = connection.execute(
        "SELECT class_id, count(*) FROM enrolment GROUP BY class_id ORDER BY count(*) DESC, "
        "class_id LIMIT " + str(CLASSES)
    ).fetchall()
    return [(int(class_id), int(n)) for class_id, n in rows]


def measure(context: BenchContext) -> list[Measurement]:
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    raw = context.raw_connection()
    marker = "?" if context.backend == "sqlite" else "%s"
    classes = biggest_classes(raw)
    if not classes:
        raise RuntimeError("no class with learners in this database")
    overviews = OverviewService(context.database, command_line_actor(context.database))
    view = ClassOverviewView(overviews)
    view.resize(*WINDOW_SIZE)
    view.show()
    window = view.windowHandle()
    deadline = time.perf_counter() + 5
    while window is None or not window.isExposed():
        if time.perf_counter() > deadline:
            raise RuntimeError("the overview was never exposed")
        app.processEvents()
        window = view.windowHandle()
    settle(app)

    def show(class_id: int) -> None:
        if not view.show_class(class_id):
            raise RuntimeError(f"class {class_id} could not be shown")
        settle(app)
        view.repaint()  # the whole top-level window, synchronously
        settle(app)

    for class_id, _ in classes:  # warm-up: imports, statements compiled, fonts, caches
        show(class_id)
        raw_fetch(raw, marker, class_id)
    times: list[float] = []
    floors: list[float] = []
    for _ in range(ROUNDS):
        for class_id, _ in classes:
            start = time.perf_counter()
            show(class_id)
            times.append((time.perf_counter() - start) * 1000)
            start = time.perf_counter()
            raw_fetch(raw, marker, class_id)
            floors.append((time.perf_counter() - start) * 1000)
    view.close()
    raw.close()
    return [
        Measurement(
            "class_overview",
            times,
            floors,
            note=(
                "OverviewService.class_overview, ClassOverviewView.show_class and the whole "
                "window repainted through the event loop, on the biggest classes; floor: the "
                "same rows fetched raw in five queries"
            ),
            extra={
                "classes": len(classes),
                "learners": [n for _, n in classes],
                "rounds": ROUNDS,
                "size": list(WINDOW_SIZE),
            },
        )
    ]
