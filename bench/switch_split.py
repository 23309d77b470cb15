"""Where a learner switch's (query + build) goes: the service call, the table model's
layout, then a cProfile of whole switches through the selector (no paint).

QT_QPA_PLATFORM=offscreen .venv/bin/python -m bench.switch_split [SQLITE_FILE] [--profile]

Run on the bench's establishment file (bench/out/establishment.sqlite, made by
`make bench`); the learners are the first 60 of the classes in id order.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from bench.core import SCALES, BenchContext
from bench.op_dashboard import open_window
from livret.services.database import open_database

DEFAULT_FILE = Path(__file__).parent / "out" / "establishment.sqlite"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", nargs="?", type=Path, default=DEFAULT_FILE)
    parser.add_argument("--profile", action="store_true", help="print the cProfile too")
    args = parser.parse_args()
    raw = sqlite3.connect(args.file)
    ids = [
        int(row[0])
        for row in raw.execute(
            "SELECT e.learner_id FROM enrolment e JOIN school_class c ON c.id = e.class_id "
            "ORDER BY c.id, e.learner_id LIMIT 60"
        )
    ]
    raw.close()
    database, _ = open_database(str(args.file), upgrade=False)
    work = Path(tempfile.mkdtemp())
    context = BenchContext(
        database, f"sqlite:///{args.file}", "sqlite", SCALES["establishment"], ids, work
    )
    _app, window = open_window(context)
    service, model = window.services.dashboards, window.dashboard.model
    for learner_id in ids[:5]:  # warm caches
        model.set_dashboard(service.learner_dashboard(learner_id))
    service_ms: list[float] = []
    build_ms: list[float] = []
    for learner_id in ids:
        started = time.perf_counter()
        dashboard = service.learner_dashboard(learner_id)
        fetched = time.perf_counter()
        model.set_dashboard(dashboard)
        built = time.perf_counter()
        service_ms.append((fetched - started) * 1000)
        build_ms.append((built - fetched) * 1000)
    print(
        f"service p50 {statistics.median(service_ms):.2f} ms, "
        f"model layout p50 {statistics.median(build_ms):.2f} ms (n={len(ids)})"
    )
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for learner_id in ids:
            window.selector.select_learner(learner_id)
        profile.disable()
        pstats.Stats(profile).sort_stats("cumulative").print_stats(25)
    window.close()
    database.dispose()


if __name__ == "__main__":
    main()
