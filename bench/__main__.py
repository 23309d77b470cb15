"""Run the benchmarks on the establishment-scale demo and print the figures.

python -m bench [--db PATH] [--learners N]

The demo database (400 learners, 2 000 evaluations, ~500 000 results) is
generated once into bench/out/ and reused. Each figure is set against its raw
floor measured in the same run, so the ratios hold on any machine.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication

from bench.results_import import bench_results_import
from livret.services.bilans import BilanService
from livret.services.catalog import CatalogService
from livret.services.dashboard import DashboardService
from livret.services.database import Database, open_database
from livret.services.demo import create_demo
from livret.services.exports import ExportService
from livret.services.users import command_line_actor
from livret.ui.bilan.editor import BilanEditor
from livret.ui.dashboard.view import DashboardView

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

OUT = Path(__file__).resolve().parent / "out"
ESTABLISHMENT = {"learners": 400, "evaluations": 2000, "seed": 1}

RAW_DASHBOARD_QUERY = """
SELECT r.level, r.comment, e.id, e.nature, e.eval_date, e.title, c.code, c.text
FROM result r
JOIN evaluation e ON e.id = r.evaluation_id
JOIN criterion c ON c.id = r.criterion_id
WHERE r.learner_id = ?
"""


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def timed(action: Callable[[int], object], learner_id: int) -> float:
    start = time.perf_counter()
    action(learner_id)
    return (time.perf_counter() - start) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--db", type=Path, default=OUT / "establishment.sqlite")
    parser.add_argument("--learners", type=int, default=50, help="learners sampled")
    args = parser.parse_args()

    if not args.db.exists():
        args.db.parent.mkdir(parents=True, exist_ok=True)
        database, _ = open_database(str(args.db), create=True)
        report = create_demo(database, **ESTABLISHMENT)
        print(f"demo create (establishment): {report.seconds:.1f} s for {report.results} results")
    else:
        database, _ = open_database(str(args.db))

    with database.engine.connect() as connection:
        learner_ids = [
            row[0]
            for row in connection.exec_driver_sql("SELECT id FROM learner ORDER BY id").fetchall()
        ]
    step = max(1, len(learner_ids) // args.learners)
    sample = learner_ids[::step][: args.learners]

    service = DashboardService(database, command_line_actor(database))
    raw = sqlite3.connect(args.db)
    app = QApplication.instance() or QApplication([])
    view = DashboardView(
        service,
        BilanService(database, command_line_actor(database)),
        CatalogService(database, command_line_actor(database)).list_specialties(),
        QSettings(str(OUT / "bench-settings.ini"), QSettings.Format.IniFormat),
    )
    view.resize(1400, 900)
    view.show()

    def raw_fetch(learner_id: int) -> object:
        return raw.execute(RAW_DASHBOARD_QUERY, (learner_id,)).fetchall()

    window_height = view.table.height()

    def switch(learner_id: int) -> tuple[float, float, float, float]:
        """One learner switch: query, model build (with sizes), first paint of the window,
        and, apart, a paint of all thirteen sections at once (a viewport as tall as them)."""
        view.table.resize(view.table.width(), window_height)
        start = time.perf_counter()
        dashboard = service.learner_dashboard(learner_id)
        queried = time.perf_counter()
        view._show(dashboard)
        built = time.perf_counter()
        view.table.viewport().grab()
        painted = time.perf_counter()
        view.table.resize(view.table.width(), view.row_header.length() + 40)
        full = time.perf_counter()
        view.table.viewport().grab()
        full_painted = time.perf_counter()
        return (
            (queried - start) * 1000,
            (built - queried) * 1000,
            (painted - built) * 1000,
            (full_painted - full) * 1000,
        )

    # Warm both paths once (page cache, statement caches, Qt's first paint) before measuring.
    switch(sample[0])
    raw_fetch(sample[0])

    raw_ms: list[float] = []
    query_ms: list[float] = []
    build_ms: list[float] = []
    paint_ms: list[float] = []
    full_paint_ms: list[float] = []
    for learner_id in sample:
        raw_ms.append(timed(raw_fetch, learner_id))
        query, build, paint, full_paint = switch(learner_id)
        query_ms.append(query)
        build_ms.append(build)
        paint_ms.append(paint)
        full_paint_ms.append(full_paint)
    editor_ms = measure_editor(database, view, sample_size=len(sample))
    pdf_ms, class_seconds, class_files = measure_pdfs(database, sample_size=len(sample))
    raw.close()
    view.close()
    app.processEvents()
    database.dispose()

    total_ms = [q + b + p for q, b, p in zip(query_ms, build_ms, paint_ms, strict=True)]
    data_ms = [q + b for q, b in zip(query_ms, build_ms, strict=True)]
    print(f"switch learner over {len(sample)} learners (establishment scale, expanded view):")
    for label, values in (
        ("query (learner_dashboard)", query_ms),
        ("model build + sizes", build_ms),
        ("first paint (1400x900)", paint_ms),
        ("total", total_ms),
        ("paint of all 13 sections", full_paint_ms),
        ("raw SQL fetch of the rows", raw_ms),
    ):
        print(
            f"  {label:<27} p50 {percentile(values, 0.5):6.1f} ms"
            f"   p95 {percentile(values, 0.95):6.1f} ms"
        )
    ratio = statistics.median(data_ms) / statistics.median(raw_ms)
    print(f"  ratio (query + model build) / raw fetch, medians: {ratio:.2f}")
    print(f"open the bilan editor with radar over {len(editor_ms)} drafts (read + build + paint):")
    print(
        f"  {'editor':<27} p50 {percentile(editor_ms, 0.5):6.1f} ms"
        f"   p95 {percentile(editor_ms, 0.95):6.1f} ms"
    )
    print(f"PDF of one final bilan over {len(pdf_ms)} bilans (read + render + write):")
    print(
        f"  {'one bilan':<27} p50 {percentile(pdf_ms, 0.5):6.1f} ms"
        f"   p95 {percentile(pdf_ms, 0.95):6.1f} ms"
    )
    print(f"PDF of a class: {class_files} files + the combined one in {class_seconds:.2f} s")
    figures = bench_results_import(args.db)
    print(
        f"import of {figures['rows']} result rows (CSV, {figures['file_megabytes']} MB): "
        f"read {figures['read_seconds']:.2f} s + apply {figures['apply_seconds']:.2f} s "
        f"= {figures['read_and_apply_seconds']:.2f} s; raw bulk insert "
        f"{figures['raw_insert_seconds']:.2f} s; apply / raw {figures['apply_ratio']:.2f}, "
        f"(read + apply) / raw {figures['read_and_apply_ratio']:.2f}"
    )
    return 0


def measure_pdfs(database: Database, sample_size: int) -> tuple[list[float], float, int]:
    """One bilan's PDF, then the biggest class of the first year (each learner + combined)."""
    exports = ExportService(database, command_line_actor(database))
    with database.engine.connect() as connection:
        finals = [
            row[0]
            for row in connection.exec_driver_sql(
                "SELECT id FROM bilan WHERE status = 'final' ORDER BY id"
            ).fetchall()
        ][:sample_size]
        code, year = connection.exec_driver_sql(
            "SELECT c.code, y.label FROM bilan b JOIN school_class c ON c.id = b.class_id "
            "JOIN school_year y ON y.id = c.school_year_id WHERE b.status = 'final' "
            "GROUP BY c.code, y.label ORDER BY COUNT(*) DESC LIMIT 1"
        ).one()
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder)
        exports.export_bilan_pdf(finals[0], out)  # warm-up: reportlab import, fonts
        single = [timed(lambda b: exports.export_bilan_pdf(b, out), b) for b in finals]
        start = time.perf_counter()
        result = exports.export_class_pdfs(code, out / "classe", school_year=year)
        seconds = time.perf_counter() - start
    return single, seconds, len(result.files)


def measure_editor(database: Database, view: DashboardView, sample_size: int) -> list[float]:
    """Open each draft's editor as BILAN INTERMÉDIAIRE does: read the sheet, build, paint."""
    with database.engine.connect() as connection:
        drafts = [
            row[0]
            for row in connection.exec_driver_sql(
                "SELECT id FROM bilan WHERE status = 'draft' ORDER BY id"
            ).fetchall()
        ][:sample_size]
    bilans = BilanService(database, command_line_actor(database))

    def open_editor(bilan_id: int) -> object:
        editor = BilanEditor(bilans, bilans.sheet(bilan_id), {}, can_unlock=False, parent=view)
        editor.show()
        editor.grab()
        editor._dirty = False
        editor.close()
        editor.deleteLater()
        return editor

    open_editor(drafts[0])  # warm-up: first pyqtgraph scene
    return [timed(open_editor, bilan_id) for bilan_id in drafts]


if __name__ == "__main__":
    raise SystemExit(main())
