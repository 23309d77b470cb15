"""One learner's dashboard service call, p50/p95 over 50 learners (after one warm-up each).

.venv/bin/python bench/dashboard_scale.py URL
"""

from __future__ import annotations

import statistics
import sys
import time

from sqlalchemy import text

from livret.services.dashboard import DashboardService
from livret.services.database import open_database
from livret.services.users import command_line_actor


def main(url: str, count: int = 50) -> None:
    database, _ = open_database(url, upgrade=False)
    try:
        with database.engine.connect() as connection:
            ids = list(
                connection.execute(
                    text("SELECT id FROM learner ORDER BY id LIMIT :n OFFSET 0"), {"n": count}
                ).scalars()
            )
        service = DashboardService(database, command_line_actor(database))
        service.learner_dashboard(ids[0])
        times = []
        for learner_id in ids:
            started = time.perf_counter()
            service.learner_dashboard(learner_id)
            times.append((time.perf_counter() - started) * 1000)
        times.sort()
        p95 = times[int(0.95 * (len(times) - 1))]
        print(f"{url}: p50 {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, n={len(times)}")
    finally:
        database.dispose()


if __name__ == "__main__":
    main(sys.argv[1])
