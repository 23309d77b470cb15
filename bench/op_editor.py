"""Open the bilan editor: the sheet read, the dialog with its radar built, then painted.

The app side is what a teacher waits for after BILAN INTERMÉDIAIRE on a learner with a
draft: BilanService.sheet (the read path), the BilanEditor built as the dashboard
builds it, shown, and painted through the event loop (exposed, then a synchronous
repaint of the whole dialog), until no event is pending; then it is closed without
saving. The floor is the lowest raw equivalent: the same sheet's rows fetched with the
plain driver (sqlite3 or psycopg), plus the paint of a bare QDialog of the same size.
"""

from __future__ import annotations

import time
from typing import Any

from PySide6.QtCore import QEvent
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from bench.core import BenchContext, Measurement
from bench.painting import PaintCounter
from livret.services.bilans import BilanService
from livret.services.users import command_line_actor
from livret.ui.bilan.editor import BilanEditor

SAMPLE = 50
"""Drafts opened, in id order."""

RAW_HEAD = """
SELECT b.learner_id, l.family_name, l.first_name, c.label, y.label, b.status, b.bilan_date,
       b.constats, b.conseils, b.version, a.display_name, b.finalized_at, f.display_name,
       (SELECT p.id FROM bilan p WHERE p.learner_id = b.learner_id AND p.status = 'final'
        ORDER BY p.bilan_date DESC, p.id DESC LIMIT 1),
       (SELECT p.bilan_date FROM bilan p WHERE p.learner_id = b.learner_id
        AND p.status = 'final' ORDER BY p.bilan_date DESC, p.id DESC LIMIT 1)
FROM bilan b
JOIN learner l ON l.id = b.learner_id
LEFT JOIN school_class c ON c.id = b.class_id
LEFT JOIN school_year y ON y.id = c.school_year_id
LEFT JOIN app_user a ON a.id = b.author_id
LEFT JOIN app_user f ON f.id = b.finalized_by_id
WHERE b.id = {m}
"""
RAW_LEVELS = (
    "SELECT bilan_id, common_competency_id, level FROM positioning WHERE bilan_id IN ({m}, {m})"
)
RAW_CCS = "SELECT id, code, title FROM common_competency ORDER BY referentiel_id, position"
RAW_HISTORY = (
    "SELECT at, actor, action, details FROM audit_event "
    "WHERE entity = 'bilan' AND entity_id = {m} ORDER BY id"
)


def settle(app: QApplication) -> None:
    """Let the event loop run until nothing is pending (layouts, update requests, paints)."""
    app.processEvents()
    app.sendPostedEvents()
    app.processEvents()


def close(app: QApplication, dialog: QDialog) -> None:
    """Close and delete the dialog now (deleteLater alone waits for an event loop)."""
    dialog.close()
    dialog.deleteLater()
    app.sendPostedEvents(None, QEvent.Type.DeferredDelete)
    settle(app)


def paint(app: QApplication, dialog: QDialog) -> None:
    """Show the dialog and let Qt paint it as a user sees it.

    The event loop runs until the window is exposed (its expose event paints it), then
    the whole dialog is repainted synchronously. QTest.qWaitForWindowExposed would do
    the same but sleeps 10 ms between its checks, which a user does not wait for.
    """
    dialog.show()
    window = dialog.windowHandle()
    deadline = time.perf_counter() + 5
    while window is None or not window.isExposed():
        if time.perf_counter() > deadline:
            raise RuntimeError("the dialog was never exposed")
        app.processEvents()
        window = dialog.windowHandle()
    dialog.repaint()
    settle(app)


def raw_fetch(connection: Any, marker: str, bilan_id: int) -> list[Any]:
    head = connection.execute(RAW_HEAD.format(m=marker), (bilan_id,)).fetchone()
    previous_id = head[13] if head[13] is not None else bilan_id
    return [
        head,
        connection.execute(RAW_LEVELS.format(m=marker), (bilan_id, previous_id)).fetchall(),
        connection.execute(RAW_CCS).fetchall(),
        connection.execute(RAW_HISTORY.format(m=marker), (bilan_id,)).fetchall(),
    ]


def measure(context: BenchContext) -> list[Measurement]:
    app = QApplication.instance() or QApplication([])
    assert isinstance(app, QApplication)
    raw = context.raw_connection()
    marker = "?" if context.backend == "sqlite" else "%s"
    drafts = [
        row[0]
        for row in raw.execute(
            f"SELECT id FROM bilan WHERE status = 'draft' ORDER BY id LIMIT {SAMPLE}"
        ).fetchall()
    ]
    if not drafts:
        raise RuntimeError("no draft bilan in this database")
    bilans = BilanService(context.database, command_line_actor(context.database))
    # The dashboard is the editor's parent in the app; a plain shown widget stands for it.
    parent = QWidget()
    parent.resize(1400, 900)
    parent.show()
    settle(app)
    sizes: list[tuple[int, int]] = []

    counter = PaintCounter()

    def open_editor(bilan_id: int) -> None:
        editor = BilanEditor(bilans, bilans.sheet(bilan_id), {}, can_unlock=True, parent=parent)
        editor.installEventFilter(counter)
        paints = counter.paints
        paint(app, editor)
        if counter.paints == paints:
            raise RuntimeError(f"bilan {bilan_id}: the editor was not painted")
        sizes.append((editor.width(), editor.height()))
        close(app, editor)  # nothing typed: closes without asking, nothing saved

    def bare_dialog() -> None:
        dialog = QDialog(parent)
        dialog.resize(*sizes[-1])
        paint(app, dialog)
        close(app, dialog)

    open_editor(drafts[0])  # warm-up: imports, fonts, first pyqtgraph scene
    bare_dialog()
    raw_fetch(raw, marker, drafts[0])
    times: list[float] = []
    floors: list[float] = []
    for bilan_id in drafts:
        start = time.perf_counter()
        open_editor(bilan_id)
        times.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        raw_fetch(raw, marker, bilan_id)
        bare_dialog()
        floors.append((time.perf_counter() - start) * 1000)
    parent.close()
    raw.close()
    return [
        Measurement(
            "editor_open",
            times,
            floors,
            note=(
                "BilanService.sheet of a draft, BilanEditor with its radar built, shown and "
                "painted through the event loop (exposed + repaint), closed; floor: the same "
                "sheet's rows fetched raw in four queries plus the paint of a bare QDialog "
                "of the same size"
            ),
            extra={"drafts": len(times), "size": list(sizes[-1])},
        )
    ]
