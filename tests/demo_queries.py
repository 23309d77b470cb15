"""Find learners of the demo database with a given bilan history (shared by the tests)."""

from __future__ import annotations

from sqlalchemy import text

from livret.services.database import Database


def learner_with(database: Database, finals: int, draft: bool) -> int:
    """The first learner with exactly `finals` final bilans, and a draft or not."""
    with database.engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT learner_id FROM bilan GROUP BY learner_id "
                    "HAVING SUM(CASE WHEN status = 'final' THEN 1 ELSE 0 END) = :f "
                    "AND SUM(CASE WHEN status = 'draft' THEN 1 ELSE 0 END) = :d "
                    "ORDER BY learner_id LIMIT 1"
                ),
                {"f": finals, "d": int(draft)},
            ).scalar_one()
        )
