"""The region scale on PostgreSQL: 20 000 learners, 100 000 evaluations, ~28 M results.

The demo's own builder (livret.services.demo) writes the rows: it already streams
the results through COPY in chunks of 50 000 (evaluations and results are flushed
as they are built; only learners, classes and the evaluation plan stay in memory),
so memory stays flat. What makes 28 M rows slow is what PostgreSQL does per row:
three foreign-key triggers, two secondary indexes and the primary key on `result`.
They are dropped before the load and recreated after it (one sort per index, one
validating join per foreign key instead of one lookup per row), then VACUUM ANALYZE.
"""

from __future__ import annotations

import time

from sqlalchemy import Connection, func, select, text

from bench.core import Scale
from livret.services.database import open_database
from livret.services.demo import analyze, create_demo
from livret.storage import models

MAINTENANCE_WORK_MEM = "1GB"  # index builds sort in memory rather than on disk


def generate_region(url: str, scale: Scale) -> str:
    """Fill the new database at `url` (schema created here); a note with counts and seconds."""
    if not url.startswith("postgresql"):
        raise ValueError("the region scale is generated on PostgreSQL only")
    database, _ = open_database(url, create=True)  # creates the schema (migrations)
    try:
        with database.engine.begin() as connection:
            if connection.scalar(select(func.count()).select_from(models.Learner)):
                raise ValueError(f"{url}: not empty")
            saved = _drop_result_constraints(connection)
        started = time.perf_counter()
        try:
            report = create_demo(
                database, learners=scale.learners, evaluations=scale.evaluations, seed=scale.seed
            )
        finally:
            load_seconds = time.perf_counter() - started
            rebuilt = time.perf_counter()
            with database.engine.begin() as connection:
                connection.exec_driver_sql(
                    f"SET LOCAL maintenance_work_mem = '{MAINTENANCE_WORK_MEM}'"
                )
                for statement in saved:
                    connection.exec_driver_sql(statement)
            index_seconds = time.perf_counter() - rebuilt
        analyzed = time.perf_counter()
        analyze(database)
        analyze_seconds = time.perf_counter() - analyzed
        with database.engine.connect() as connection:
            size = connection.scalar(
                text("SELECT pg_size_pretty(pg_database_size(current_database()))")
            )
    finally:
        database.dispose()
    return (
        f"{report.learners} learners, {report.classes} classes, {report.evaluations} evaluations, "
        f"{report.results} results, {report.final_bilans} final and {report.draft_bilans} draft "
        f"bilans; rows built and COPied in {load_seconds:.0f} s without result's indexes and "
        f"foreign keys, which were rebuilt in {index_seconds:.0f} s; "
        f"VACUUM ANALYZE {analyze_seconds:.0f} s; {size} on disk"
    )


def _drop_result_constraints(connection: Connection) -> list[str]:
    """Drop result's keys, foreign keys and indexes; the statements that recreate them, in order."""
    constraints = connection.execute(
        text(
            "SELECT conname, contype, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = 'result'::regclass AND contype IN ('p', 'u', 'f') "
            "ORDER BY CASE contype WHEN 'p' THEN 0 WHEN 'u' THEN 1 ELSE 2 END, conname"
        )
    ).all()
    indexes = connection.execute(
        text(
            "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() "
            "AND tablename = 'result' AND indexname NOT IN "
            "(SELECT conname FROM pg_constraint WHERE conrelid = 'result'::regclass)"
        )
    ).all()
    recreate: list[str] = []
    for name, _kind, definition in constraints:
        recreate.append(f'ALTER TABLE result ADD CONSTRAINT "{name}" {definition}')
    recreate += [definition for _name, definition in indexes]
    for name, _kind, _definition in reversed(constraints):
        connection.exec_driver_sql(f'ALTER TABLE result DROP CONSTRAINT "{name}"')
    for name, _definition in indexes:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    return recreate
