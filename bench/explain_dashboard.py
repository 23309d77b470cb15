"""EXPLAIN (ANALYZE, BUFFERS) of the dashboard's seven statements for one learner,
and of the class overview's statements for one class.

.venv/bin/python bench/explain_dashboard.py URL LEARNER_ID [CLASS_ID]  (PostgreSQL URL)
"""

from __future__ import annotations

import sys

from sqlalchemy import create_engine

from livret.services import dashboard, overview

NAMES = (
    "_LEARNER_QUERY",
    "_COMMON_COMPETENCIES_QUERY",
    "_CRITERIA_QUERY",
    "_RESULTS_QUERY",
    "_BILANS_QUERY",
    "_POSITIONINGS_QUERY",
)


OVERVIEW_NAMES = (
    "_CLASS_QUERY",
    "_LEARNERS_QUERY",
    "_COMMON_COMPETENCIES_QUERY",
    "_BILANS_QUERY",
    "_CURRENT_COUNTS_QUERY",
)


def main(url: str, learner_id: int, class_id: int | None = None) -> None:
    engine = create_engine(url)
    statements = [(f"dashboard{name}", getattr(dashboard, name), learner_id) for name in NAMES]
    if class_id is not None:
        statements += [
            (f"overview{name}", getattr(overview, name), class_id) for name in OVERVIEW_NAMES
        ]
    with engine.connect() as connection:
        for name, statement, bound in statements:
            sql = str(
                statement.params(learner_id=bound, class_id=bound).compile(
                    dialect=connection.dialect, compile_kwargs={"literal_binds": True}
                )
            )
            rows = connection.exec_driver_sql("EXPLAIN (ANALYZE, BUFFERS) " + sql).all()
            print("=====", name)
            for (line,) in rows:
                print(line)
        # The evaluations, looked up by the ids the learner's results name.
        ids = sorted(
            {
                row[0]
                for row in connection.exec_driver_sql(
                    "SELECT evaluation_id FROM result WHERE learner_id = %(id)s",
                    {"id": learner_id},
                )
            }
        )
        sql = str(dashboard._EVALUATIONS_BY_ID["postgresql"].compile(dialect=connection.dialect))
        rows = connection.exec_driver_sql(
            "EXPLAIN (ANALYZE, BUFFERS) " + sql, {"evaluation_ids": ids}
        ).all()
        print("===== dashboard_EVALUATIONS_BY_ID")
        for (line,) in rows:
            print(line)
    engine.dispose()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), int(sys.argv[3]) if len(sys.argv) > 3 else None)
