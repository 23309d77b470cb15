"""One benchmark process: open the database, run one operation, write its measurements.

python -m bench.worker --url URL --scale NAME --op NAME --out FILE.json
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from bench.core import SCALES, BenchContext
from bench.operations import load
from livret.services.database import open_database

SAMPLE = 50
"""Learners sampled, spread over the whole database."""


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--scale", required=True, choices=sorted(SCALES))
    parser.add_argument("--op", required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--repetitions", type=int, default=30)
    args = parser.parse_args()

    measure = load(args.op)
    database, _ = open_database(args.url, upgrade=False)
    backend = database.engine.dialect.name
    with database.engine.connect() as connection:
        ids = [row[0] for row in connection.exec_driver_sql("SELECT id FROM learner ORDER BY id")]
    step = max(1, len(ids) // SAMPLE)
    with tempfile.TemporaryDirectory(prefix="livret-bench-") as folder:
        context = BenchContext(
            database=database,
            url=args.url,
            backend=backend,
            scale=SCALES[args.scale],
            learner_ids=ids[::step][:SAMPLE],
            work=Path(folder),
            repetitions=args.repetitions,
        )
        try:
            measurements = measure(context)
        finally:
            database.dispose()
    args.out.write_text(json.dumps([m.to_json() for m in measurements]), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
