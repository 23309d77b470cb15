"""Run the benchmarks on the establishment-scale demo and print the figures.

python -m bench [--db PATH] [--learners N]

The demo database (400 learners, 2 000 evaluations, ~500 000 results) is
generated once into bench/out/ and reused. Each figure is set against its raw
floor measured in the same run, so the ratios hold on any machine.
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import time
from collections.abc import Callable
from pathlib import Path

from livret.services.dashboard import DashboardService
from livret.services.database import open_database
from livret.services.demo import create_demo

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

    service = DashboardService(database)
    raw = sqlite3.connect(args.db)
    # Warm both paths once (page cache, statement caches) before measuring.
    service.learner_dashboard(sample[0])
    raw.execute(RAW_DASHBOARD_QUERY, (sample[0],)).fetchall()

    service_ms: list[float] = []
    raw_ms: list[float] = []

    def raw_fetch(learner_id: int) -> object:
        return raw.execute(RAW_DASHBOARD_QUERY, (learner_id,)).fetchall()

    for learner_id in sample:
        raw_ms.append(timed(raw_fetch, learner_id))
        service_ms.append(timed(service.learner_dashboard, learner_id))
    raw.close()
    database.dispose()

    ratio = statistics.median(service_ms) / statistics.median(raw_ms)
    print(f"learner_dashboard over {len(sample)} learners:")
    print(
        f"  query + DTO   p50 {percentile(service_ms, 0.5):6.1f} ms"
        f"   p95 {percentile(service_ms, 0.95):6.1f} ms"
    )
    print(
        f"  raw SQL fetch p50 {percentile(raw_ms, 0.5):6.1f} ms"
        f"   p95 {percentile(raw_ms, 0.95):6.1f} ms"
    )
    print(f"  ratio (median service / median raw) {ratio:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
