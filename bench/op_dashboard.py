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
from bench.painting import PaintCounter
from livret.gc_policy import freeze_start_up_heap
from livret.services import dashboard
from livret.services.authentication import local_profile, requires_login
from livret.services.container import build_services
from livret.services.users import command_line_actor
from livret.ui.main_window import MainWindow

RAW_DASHBOARD_QUERY = """
SELECT r.level, r.comment, e.id, e.nature, e.eval_date, e.title, c.code, c.text
FROM result r
JOIN evaluation e ON e.id = r.evaluation_id
JOIN criterion c ON c.id = r.criterion_id
WHERE r.learner_id = {marker}
"""
WINDOW_SIZE = (1400, 900)


def open_window(context: BenchContext) -> tuple[QApplication, MainWindow]:
    """The main window as the app opens it on this database, shown and painted once."""
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    # A login-free file opens on its local profile; a server after a teacher's login.
    database = context.database
    actor = command_line_actor(database) if requires_login(database) else local_profile(database)
    settings = QSettings(str(context.work / "bench-settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(
        build_services(context.database, actor), database_name="bench", settings=settings
    )
    window.resize(*WINDOW_SIZE)
    window.show()
    settle(app)
    freeze_start_up_heap()  # as livret.app does once its window is up
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


def service_statements(dialect: Any) -> list[tuple[str, int]]:
    """The dashboard service's own statements as SQL text, with their parameter count."""
    statements = [
        dashboard._LEARNER_QUERY,
        dashboard._COMMON_COMPETENCIES_QUERY,
        dashboard._CRITERIA_QUERY,
        dashboard._RESULTS_QUERY,
        dashboard._BILANS_QUERY,
        dashboard._POSITIONINGS_QUERY,
    ]
    compiled = []
    for statement in statements:
        sql = statement.compile(dialect=dialect, compile_kwargs={"render_postcompile": True})
        text = str(sql)
        # Literal LIMITs, and one placeholder per use of the learner id.
        for name, value in sql.params.items():
            if name != "learner_id":
                text = text.replace(f"%({name})s", str(value))
        text = text.replace("%(learner_id)s", "%s")
        if dialect.name == "sqlite":
            text = text.replace("LIMIT ? OFFSET ?", "LIMIT 1 OFFSET 0")
        compiled.append((text, text.count("?") + text.count("%s")))
    # The evaluations, by the ids of the learner's results, in one raw statement.
    ids = "SELECT evaluation_id FROM result WHERE learner_id = {marker}"
    where = "e.id = ANY(ARRAY({ids}))" if dialect.name == "postgresql" else "e.id IN ({ids})"
    evaluations = (
        "SELECT e.id, e.nature, e.eval_date, e.title, e.context, u.display_name, e.company, "
        "e.tutor, e.pfmp_start, e.pfmp_end FROM evaluation e "
        "LEFT OUTER JOIN app_user u ON u.id = e.author_id WHERE "
        + where.format(ids=ids)
        + " ORDER BY e.eval_date, e.id"
    ).format(marker="%s" if dialect.name == "postgresql" else "?")
    compiled.append((evaluations, 1))
    return compiled


def raw_statements(connection: Any, statements: list[tuple[str, int]], learner_id: int) -> None:
    """The service's seven statements on the plain driver, rows fetched and nothing else."""
    for sql, count in statements:
        connection.execute(sql, (learner_id,) * count).fetchall()


def floor_ms(
    connection: Any, marker: str, statements: list[tuple[str, int]], learner: int
) -> float:
    """The lowest raw way to read the learner's rows: one join, or the service's statements."""
    start = time.perf_counter()
    raw_fetch(connection, marker, learner)
    joined = time.perf_counter()
    raw_statements(connection, statements, learner)
    done = time.perf_counter()
    return min(joined - start, done - joined) * 1000


def measure(context: BenchContext) -> list[Measurement]:
    app, window = open_window(context)
    service = window.services.dashboards
    raw = context.raw_connection()
    marker = "?" if context.backend == "sqlite" else "%s"
    statements = service_statements(context.database.engine.dialect)
    raw_statements(raw, statements, context.learner_ids[0])  # the same warm cache
    counter = PaintCounter()
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
        # Opening a class (a different operation) is not timed: each switch timed goes
        # from a learner of the class shown to another, as with the arrow keys.
        window.selector.select_learner(_classmate(window, learner_ids))
        settle(app)
        for learner_id in learner_ids:
            floors.append(floor_ms(raw, marker, statements, learner_id))
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
                "floor: the lowest of two raw reads of the same rows with the plain driver "
                "(one join, "
                "or the service's own seven statements)"
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


def _classmate(window: MainWindow, sampled: list[int]) -> int:
    """A learner of the class shown who is not sampled (or the last sampled one)."""
    others = sorted(window.selector.learner_ids() - set(sampled))
    return others[0] if others else sampled[-1]


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
