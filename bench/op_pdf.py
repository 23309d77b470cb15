"""PDFs: one final bilan exported to a file, and a class of 30 learners (each one's PDF and
the combined conseil de classe PDF).

pdf_one_bilan — app side: ExportService.export_bilan_pdf (permission check, the bilan's
content read in one snapshot, the Platypus layout and render, the file written through
a temporary name, fsync and rename), once for each of up to 50 final bilans spread over
the database, after a warm-up. Floor: the lowest raw equivalent of the same bilan — its
texts fetched with the plain driver (sqlite3 or psycopg) in two queries, drawn with
drawString at fixed positions on one page of a bare reportlab canvas in the same DejaVu
fonts, written to a file (no fsync).

pdf_class_30 — app side: ExportService.export_class_pdfs on a class given 30 learners with
a final bilan, on a scratch copy of the database (SQLite: a file copy; PostgreSQL: a
database copied from the bench one, dropped afterwards). Floor: the raw equivalent of
each of the 30 bilans (fetched, drawn, written) plus the raw combined PDF (the 30 bare
pages drawn on one canvas, written).
"""

from __future__ import annotations

import contextlib
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench.core import BenchContext, Measurement
from livret.domain.errors import PermissionDenied
from livret.domain.roles import Actor, Role
from livret.services.authentication import local_profile
from livret.services.database import Database, open_database
from livret.services.exports import ExportService

CLASS_SIZE = 30
ONE_SAMPLE = 50
CLASS_REPETITIONS = 7

RAW_HEAD = """
SELECT l.family_name, l.first_name, l.ine, c.label, y.label, b.bilan_date, b.status,
       b.constats, b.conseils, u.display_name, b.finalized_at
FROM bilan b
JOIN learner l ON l.id = b.learner_id
LEFT JOIN school_class c ON c.id = b.class_id
LEFT JOIN school_year y ON y.id = c.school_year_id
LEFT JOIN app_user u ON u.id = b.author_id
WHERE b.id = {marker}
"""
RAW_ROWS = """
SELECT cc.code, cc.title, p.level
FROM positioning p JOIN common_competency cc ON cc.id = p.common_competency_id
WHERE p.bilan_id = {marker}
ORDER BY cc.referentiel_id, cc.position
"""


def export_actor(database: Database) -> Actor:
    """The local profile where the file has no account; else the establishment's DDFPT."""
    try:
        return local_profile(database)
    except PermissionDenied:
        with database.engine.connect() as connection:
            user_id, name = connection.exec_driver_sql(
                "SELECT id, display_name FROM app_user WHERE role = 'ddfpt' ORDER BY id"
            ).first() or (None, "DDFPT")
        return Actor(user_id=user_id, display_name=name, role=Role.DDFPT)


# -- the raw floor ---------------------------------------------------------------------


def raw_fetch(connection: Any, marker: str, bilan_id: int) -> tuple[Any, list[Any]]:
    head = connection.execute(RAW_HEAD.format(marker=marker), (bilan_id,)).fetchone()
    rows = connection.execute(RAW_ROWS.format(marker=marker), (bilan_id,)).fetchall()
    return head, list(rows)


def raw_page(canvas: Any, head: Any, rows: list[Any]) -> None:
    """The bilan's texts at fixed positions, no layout: the least a PDF of it can cost."""
    from livret.reports.fonts import BOLD, REGULAR

    family, first, ine, klass, year, date, status, constats, conseils, author, final = head
    canvas.setFont(BOLD, 16)
    canvas.drawString(40, 800, f"Bilan de {family} {first}")
    canvas.setFont(REGULAR, 9)
    y = 780.0
    for value in (ine, klass, year, date, status, author, final):
        canvas.drawString(40, y, str(value))
        y -= 12
    for code, title, level in rows:
        canvas.drawString(40, y, f"{code} {title}"[:110])
        canvas.drawString(520, y, level)
        y -= 12
    for paragraph in (constats, conseils):
        for line in (paragraph or "").splitlines()[:8]:
            canvas.drawString(40, y, line[:120])
            y -= 12
    canvas.showPage()


def raw_pdf(path: Path, pages: list[tuple[Any, list[Any]]]) -> None:
    from reportlab.pdfgen.canvas import Canvas

    canvas = Canvas(str(path))
    for head, rows in pages:
        raw_page(canvas, head, rows)
    canvas.save()


def raw_one(connection: Any, marker: str, bilan_id: int, path: Path) -> None:
    raw_pdf(path, [raw_fetch(connection, marker, bilan_id)])


# -- one bilan -------------------------------------------------------------------------


def final_bilans(database: Database) -> list[int]:
    with database.engine.connect() as connection:
        ids = [
            row[0]
            for row in connection.exec_driver_sql(
                "SELECT id FROM bilan WHERE status = 'final' ORDER BY id"
            )
        ]
    step = max(1, len(ids) // ONE_SAMPLE)
    return ids[::step][:ONE_SAMPLE]


def measure_one(context: BenchContext) -> Measurement:
    from livret.reports.fonts import register_fonts

    register_fonts()
    service = ExportService(context.database, export_actor(context.database))
    raw = context.raw_connection()
    marker = "?" if context.backend == "sqlite" else "%s"
    ids = final_bilans(context.database)
    app_out, raw_out = context.work / "one.pdf", context.work / "raw.pdf"
    service.export_bilan_pdf(ids[0], app_out)  # warm-up: imports, fonts, caches
    raw_one(raw, marker, ids[0], raw_out)
    times, floors = [], []
    for bilan_id in ids:
        started = time.perf_counter()
        raw_one(raw, marker, bilan_id, raw_out)
        floors.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        service.export_bilan_pdf(bilan_id, app_out)
        times.append((time.perf_counter() - started) * 1000)
    raw.close()
    return Measurement(
        "pdf_one_bilan",
        times,
        floors,
        note=(
            f"One final bilan's PDF read, rendered and written ({len(ids)} bilans); floor: its "
            "texts fetched with the plain driver and drawn at fixed positions on a bare "
            "reportlab page, written."
        ),
        extra={"bilans": len(ids)},
    )


# -- a class of 30 ---------------------------------------------------------------------


@contextlib.contextmanager
def scratch_copy(context: BenchContext) -> Iterator[str]:
    """A URL of a throw-away copy of the bench database."""
    if context.backend == "sqlite":
        source = Path(context.url.removeprefix("sqlite:///"))
        target = context.work / "copy.sqlite"
        shutil.copyfile(source, target)
        yield f"sqlite:///{target}"
        return
    server, _, name = context.url.rpartition("/")
    copy = f"livret_bench_pdf_{abs(hash(context.work)) % 10**8}"
    admin = create_engine(f"{server}/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            try:
                connection.exec_driver_sql(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
            except Exception:  # the template is in use by other sessions: dump and restore
                connection.exec_driver_sql(f'CREATE DATABASE "{copy}"')
                plain = server.replace("postgresql+psycopg://", "postgresql://")
                dump = subprocess.run(
                    ["pg_dump", "--no-owner", f"{plain}/{name}"], check=True, capture_output=True
                )
                subprocess.run(
                    ["psql", "-q", "-v", "ON_ERROR_STOP=1", f"{plain}/{copy}"],
                    input=dump.stdout,
                    check=True,
                    capture_output=True,
                )
        yield f"{server}/{copy}"
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        admin.dispose()


def fill_class(url: str, size: int) -> tuple[str, str]:
    """Give the class with the most final bilans `size` learners with one: learners of
    other classes of its year move into it, each with a copy of their latest final bilan
    written in it. Returns the class code and school year label."""
    engine = create_engine(url)
    with engine.begin() as connection:
        class_id, code, year_id, year = connection.execute(
            text(
                "SELECT c.id, c.code, y.id, y.label FROM bilan b "
                "JOIN school_class c ON c.id = b.class_id "
                "JOIN school_year y ON y.id = c.school_year_id "
                "WHERE b.status = 'final' GROUP BY c.id, c.code, y.id, y.label "
                "ORDER BY count(DISTINCT b.learner_id) DESC, c.id LIMIT 1"
            )
        ).one()
        having = connection.execute(
            text(
                "SELECT count(DISTINCT b.learner_id) FROM bilan b JOIN enrolment e "
                "ON e.learner_id = b.learner_id AND e.class_id = :c "
                "WHERE b.status = 'final' AND b.class_id = :c"
            ),
            {"c": class_id},
        ).scalar_one()
        movers = connection.execute(
            text(
                "SELECT e.learner_id, max(b.id) FROM enrolment e "
                "JOIN bilan b ON b.learner_id = e.learner_id AND b.status = 'final' "
                "WHERE e.school_year_id = :y AND e.class_id <> :c AND NOT EXISTS "
                "(SELECT 1 FROM bilan d WHERE d.learner_id = e.learner_id AND d.status = 'draft') "
                "GROUP BY e.learner_id ORDER BY e.learner_id LIMIT :n"
            ),
            {"y": year_id, "c": class_id, "n": max(0, size - having)},
        ).all()
        for learner_id, source in movers:
            connection.execute(
                text(
                    "UPDATE enrolment SET class_id = :c "
                    "WHERE learner_id = :l AND school_year_id = :y"
                ),
                {"c": class_id, "l": learner_id, "y": year_id},
            )
            new_id = connection.execute(
                text(
                    "INSERT INTO bilan (learner_id, class_id, status, bilan_date, constats, "
                    "conseils, author_id, created_at, updated_at, version) "
                    "SELECT learner_id, :c, 'draft', bilan_date, constats, conseils, author_id, "
                    "created_at, updated_at, 1 FROM bilan WHERE id = :s RETURNING id"
                ),
                {"c": class_id, "s": source},
            ).scalar_one()
            connection.execute(
                text(
                    "INSERT INTO positioning (bilan_id, common_competency_id, level) "
                    "SELECT :n, common_competency_id, level FROM positioning WHERE bilan_id = :s"
                ),
                {"n": new_id, "s": source},
            )
            connection.execute(
                text(
                    "UPDATE bilan SET status = 'final', finalized_at = s.finalized_at, "
                    "finalized_by_id = s.finalized_by_id, cc_snapshot = s.cc_snapshot, "
                    "content_hash = s.content_hash FROM bilan s WHERE s.id = :s AND bilan.id = :n"
                ),
                {"n": new_id, "s": source},
            )
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("ANALYZE")
    engine.dispose()
    return code, year


def class_bilans(raw: Any, marker: str, code: str, year: str) -> list[int]:
    """What the export prints: each learner's latest final bilan written in the class."""
    query = (
        "SELECT max(b.id) FROM bilan b JOIN school_class c ON c.id = b.class_id "
        "JOIN school_year y ON y.id = c.school_year_id "
        "JOIN enrolment e ON e.learner_id = b.learner_id AND e.class_id = c.id "
        f"WHERE c.code = {marker} AND y.label = {marker} AND b.status = 'final' "
        "GROUP BY b.learner_id"
    )
    return [row[0] for row in raw.execute(query, (code, year)).fetchall()]


def raw_class(raw: Any, marker: str, ids: list[int], folder: Path) -> None:
    pages = []
    for index, bilan_id in enumerate(ids):
        page = raw_fetch(raw, marker, bilan_id)
        raw_pdf(folder / f"raw-{index}.pdf", [page])
        pages.append(page)
    raw_pdf(folder / "raw-combined.pdf", pages)


def measure_class(context: BenchContext) -> Measurement:
    with scratch_copy(context) as url:
        code, year = fill_class(url, CLASS_SIZE)
        database, _ = open_database(url, upgrade=False)
        try:
            service = ExportService(database, export_actor(database))
            if context.backend == "sqlite":
                import sqlite3

                raw: Any = sqlite3.connect(url.removeprefix("sqlite:///"))
            else:
                import psycopg

                raw = psycopg.connect(
                    url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
                )
            marker = "?" if context.backend == "sqlite" else "%s"
            ids = class_bilans(raw, marker, code, year)
            app_out, raw_out = context.work / "class", context.work / "raw-class"
            raw_out.mkdir()
            result = service.export_class_pdfs(code, app_out, school_year=year)  # warm-up
            raw_class(raw, marker, ids, raw_out)
            times, floors = [], []
            for _ in range(CLASS_REPETITIONS):
                started = time.perf_counter()
                raw_class(raw, marker, ids, raw_out)
                floors.append((time.perf_counter() - started) * 1000)
                started = time.perf_counter()
                service.export_class_pdfs(code, app_out, school_year=year)
                times.append((time.perf_counter() - started) * 1000)
            raw.close()
        finally:
            database.dispose()
    return Measurement(
        "pdf_class_30",
        times,
        floors,
        note=(
            f"A class export ({len(result.files)} learners' PDFs and the combined one) on a "
            "copy of the database given a class of 30; floor: the bare-canvas raw PDF of each "
            "bilan plus the raw combined one."
        ),
        extra={"pdfs": len(result.files), "skipped": len(result.skipped), "class": code},
    )


def measure(context: BenchContext) -> list[Measurement]:
    return [measure_one(context), measure_class(context)]
