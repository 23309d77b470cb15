"""EXPLAIN (ANALYZE, BUFFERS) of the dashboard's seven statements for one learner.

.venv/bin/python bench/explain_dashboard.py URL LEARNER_ID  (PostgreSQL URL)
"""

from __future__ import annotations

import sys

from sqlalchemy import create_engine

from livret.services import dashboard

NAMES = (
    "_LEARNER_QUERY",
    "_COMMON_COMPETENCIES_QUERY",
    "_CRITERIA_QUERY",
    "_EVALUATIONS_QUERY",
    "_RESULTS_QUERY",
    "_BILANS_QUERY",
    "_POSITIONINGS_QUERY",
)


def main(url: str, learner_id: int) -> None:
    engine = create_engine(url)
    with engine.connect() as connection:
        for name in NAMES:
            compiled = getattr(dashboard, name).compile(dialect=connection.dialect)
            params = {
                key: learner_id if key.startswith("learner_id") else value
                for key, value in compiled.params.items()
            }
            rows = connection.exec_driver_sql(
                "EXPLAIN (ANALYZE, BUFFERS) " + compiled.string, params
            ).all()
            print("=====", name)
            for (line,) in rows:
                print(line)
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]))
