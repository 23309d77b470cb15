"""One growth process: switch from a classmate to the subject, again and again.

python -m bench.growth_worker DB SUBJECT CLASSMATE SWITCHES OUT.json
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

from bench.core import SCALES, BenchContext
from bench.op_dashboard import (
    _learners_by_class,
    floor_ms,
    open_window,
    raw_statements,
    service_statements,
    settle,
)
from livret.services.database import open_database


def main() -> int:
    path, subject, classmate, switches, out = sys.argv[1:6]
    url = f"sqlite:///{path}"
    database, _ = open_database(url, upgrade=False)
    with tempfile.TemporaryDirectory() as folder:
        context = BenchContext(
            database, url, "sqlite", SCALES["establishment"], [int(subject)], Path(folder)
        )
        app, window = open_window(context)
        raw = context.raw_connection()
        statements = service_statements(database.engine.dialect)
        ((class_id, _),) = _learners_by_class(raw, "?", [int(subject)])
        window.selector.select_class(class_id)
        settle(app)
        raw_statements(raw, statements, int(subject))
        times, floors = [], []
        for _ in range(int(switches)):
            window.selector.select_learner(int(classmate))
            settle(app)
            floors.append(floor_ms(raw, "?", statements, int(subject)))
            start = time.perf_counter()
            if not window.selector.select_learner(int(subject)):
                raise RuntimeError("the subject is not in the class list")
            settle(app)
            times.append((time.perf_counter() - start) * 1000)
        window.close()
        raw.close()
    database.dispose()
    note = (
        "switch from a classmate to the subject, whole window painted (as switch_learner); "
        "floor: the subject's rows read raw"
    )
    Path(out).write_text(json.dumps({"times_ms": times, "floor_ms": floors, "note": note}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
