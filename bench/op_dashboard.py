"""Switch learner: the next learner's dashboard, queried, built and painted in the window.

The app side is what a teacher waits for after pressing the down arrow in the learner
list: the selector's signal, the service's queries, the model build with its row
heights and spans, and the paint of the whole main window (1400×900) through the event
loop, until no event is pending. The floor is the lowest raw equivalent of the data:
the same learner's result rows with their evaluation and criterion, fetched with the
plain driver (sqlite3 or psycopg) in one join.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QEvent, QObject, QSettings
from PySide6.QtWidgets import QApplication

from bench.core import BenchContext, Measurement
from livret.services.authentication import local_profile
from livret.services.container import build_services
from livret.ui.main_window import MainWindow

RAW_DASHBOARD_QUERY = """
SELECT r.level, r.comment, e.id, e.nature, e.eval_date, e.title, c.code, c.text
FROM result r
JOIN evaluation e ON e.id = r.evaluation_id
JOIN criterion c ON c.id = r.criterion_id
WHERE r.learner_id = {marker}
"""
WINDOW_SIZE = (1400, 900)


class _PaintCounter(QObject):
    """Counts the paint events of a widget (proof that the paint happened in the loop)."""

    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Override QObject::eventFilter."""
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False


def open_window(context: BenchContext) -> tuple[QApplication, MainWindow]:
    """The main window as the app opens it on this database, shown and painted once."""
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    actor = local_profile(context.database)
    settings = QSettings(str(context.work / "bench-settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(
        build_services(context.database, actor), database_name="bench", settings=settings
    )
    window.resize(*WINDOW_SIZE)
    window.show()
    settle(app)
    return app, window


class _PendingWork(QObject):
    """Counts the events that mean the window is not painted yet."""

    TYPES = frozenset({QEvent.Type.Paint, QEvent.Type.UpdateRequest, QEvent.Type.LayoutRequest})

    def __init__(self) -> None:
        super().__init__()
        self.count = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Override QObject::eventFilter."""
        if event.type() in self.TYPES:
            self.count += 1
        return False


_pending = _PendingWork()


def settle(app: QApplication) -> None:
    """Run the event loop until a round brings no layout, update or paint event:
    everything the last action asked for is laid out and painted."""
    app.installEventFilter(_pending)
    try:
        for _ in range(50):
            _pending.count = 0
            app.sendPostedEvents()
            app.processEvents()
            if not _pending.count:
                return
    finally:
        app.removeEventFilter(_pending)


def raw_fetch(connection: Any, marker: str, learner_id: int) -> list[Any]:
    cursor = connection.execute(RAW_DASHBOARD_QUERY.format(marker=marker), (learner_id,))
    return list(cursor.fetchall())


def measure(context: BenchContext) -> list[Measurement]:
    app, window = open_window(context)
    service = window.services.dashboards
    raw = context.raw_connection()
    marker = "?" if context.backend == "sqlite" else "%s"
    counter = _PaintCounter()
    window.dashboard.table.viewport().installEventFilter(counter)

    query_ms: list[float] = []
    original = service.learner_dashboard

    def timed_query(learner_id: int) -> Any:
        start = time.perf_counter()
        try:
            return original(learner_id)
        finally:
            query_ms.append((time.perf_counter() - start) * 1000)

    service.learner_dashboard = timed_query  # type: ignore[method-assign]

    by_class = _learners_by_class(raw, marker, context.learner_ids)
    totals: list[float] = []
    data: list[float] = []
    floors: list[float] = []
    for class_id, learner_ids in by_class:
        if not window.selector.select_class(class_id):
            raise RuntimeError(f"class {class_id} is not in the class list")
        settle(app)
        for learner_id in learner_ids:
            start = time.perf_counter()
            raw_fetch(raw, marker, learner_id)
            floors.append((time.perf_counter() - start) * 1000)
            query_ms.clear()
            paints = counter.paints
            start = time.perf_counter()
            listed = window.selector.select_learner(learner_id)
            shown = time.perf_counter()
            settle(app)
            painted = time.perf_counter()
            if not listed or not query_ms or counter.paints == paints:
                raise RuntimeError(f"learner {learner_id}: not switched or not painted")
            data.append((shown - start) * 1000)
            totals.append((painted - start) * 1000)
    window.close()
    raw.close()
    count = len(totals)
    return [
        Measurement(
            "switch_learner",
            totals,
            floors,
            note=(
                "select the learner in the list → query, model build, paint of the whole "
                f"{WINDOW_SIZE[0]}×{WINDOW_SIZE[1]} main window through the event loop; "
                "floor: the same result rows fetched raw in one join"
            ),
            extra={"learners": count},
        ),
        Measurement(
            "switch_learner_query_and_build",
            data,
            floors,
            note="the same switch up to the model built (query + build), before the paint",
        ),
    ]


def _learners_by_class(
    raw: Any, marker: str, learner_ids: list[int]
) -> list[tuple[int, list[int]]]:
    """Each sampled learner's current class (the one the selector lists them in)."""
    grouped: dict[int, list[int]] = {}
    for learner_id in learner_ids:
        row = raw.execute(
            "SELECT e.class_id FROM enrolment e JOIN school_year y ON y.id = e.school_year_id "
            f"WHERE e.learner_id = {marker} ORDER BY y.start_date DESC LIMIT 1",
            (learner_id,),
        ).fetchone()
        if row is not None:
            grouped.setdefault(row[0], []).append(learner_id)
    return list(grouped.items())
