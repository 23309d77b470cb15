"""After a large import on PostgreSQL, the planner's statistics are fresh and the new pages
all-visible (VACUUM ANALYZE), whether autovacuum runs on the server or not."""

from __future__ import annotations

import datetime as dt
import time

import pytest

from livret.services.database import Database
from livret.services.results_import import ANALYZE_THRESHOLD
from tests.services.test_results_import import DAY, apply, csv_data, demo_codes, rows_of


def _analyzed_at(database: Database) -> dt.datetime | None:
    ((when,),) = rows_of(
        database, "SELECT last_analyze FROM pg_stat_user_tables WHERE relname = 'result'"
    )
    return when


def _invisible_pages(database: Database) -> int:
    """Pages of `result` an index-only scan must still visit (not marked all-visible)."""
    ((pages,),) = rows_of(
        database, "SELECT relpages - relallvisible FROM pg_class WHERE relname = 'result'"
    )
    return int(pages)


def test_a_large_import_refreshes_statistics_and_a_small_one_does_not(
    demo_database: Database,
) -> None:
    if demo_database.engine.dialect.name != "postgresql":
        pytest.skip("ANALYZE is PostgreSQL's (SQLite plans without statistics here)")
    demo = demo_codes(demo_database)
    small = [[DAY, "F", "Petit", ine, demo.criteria[0], "3", ""] for ine in demo.ines[:5]]
    before = _analyzed_at(demo_database)
    apply(demo_database, csv_data(small), confirm_covered=True)
    assert _analyzed_at(demo_database) == before  # a few rows: no ANALYZE

    evaluations = -(-ANALYZE_THRESHOLD // (len(demo.ines) * len(demo.criteria)))
    large = [
        [DAY, "F", f"Grand {number}", ine, code, "2", ""]
        for number in range(evaluations)
        for ine in demo.ines
        for code in demo.criteria
    ]
    assert len(large) >= ANALYZE_THRESHOLD
    apply(demo_database, csv_data(large), confirm_covered=True)
    for _ in range(50):  # the statistics collector may show it a moment later
        after = _analyzed_at(demo_database)
        if after is not None and (before is None or after > before):
            break
        time.sleep(0.1)
    assert after is not None and (before is None or after > before)
    # The overview's counts are answered by the index alone: no page left to visit.
    assert _invisible_pages(demo_database) == 0


def test_the_demo_is_left_vacuumed_and_analyzed(demo_database: Database) -> None:
    if demo_database.engine.dialect.name != "postgresql":
        pytest.skip("VACUUM ANALYZE is PostgreSQL's (SQLite's covering indexes need neither)")
    assert _analyzed_at(demo_database) is not None
    assert _invisible_pages(demo_database) == 0
