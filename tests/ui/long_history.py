"""A learner with a long history (200 evaluations, two final bilans), written through the
services on a real database: shared by the expanded-view tests and their screenshots."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import text

from livret.domain.school_years import school_year_label, school_year_of
from livret.services.bilans import CONFIRMATION_WORD
from livret.services.container import Services
from livret.services.database import Database
from livret.services.evaluation_dto import EvaluationDraft, GridResult


@dataclass(frozen=True)
class History:
    class_id: int
    learner_id: int
    other_learner_id: int
    """A classmate with a few evaluations only."""
    evaluation_dates: tuple[dt.date, ...]
    """The long history's evaluations, oldest first."""
    bilan_dates: tuple[dt.date, dt.date]


def _insert(database: Database, sql: str, **params: object) -> int:
    with database.engine.begin() as connection:
        return int(connection.execute(text(sql + " RETURNING id"), params).scalar_one())


def _class_with_two_learners(database: Database, today: dt.date) -> tuple[int, int, int]:
    """The school year of today, a class and two learners enrolled in it (no service
    creates learners but the SIECLE import: a few rows written directly)."""
    first = school_year_of(today)
    year = _insert(
        database,
        "INSERT INTO school_year (label, start_date, end_date) VALUES (:l, :s, :e)",
        l=school_year_label(first),
        s=dt.date(first, 9, 1),
        e=dt.date(first + 1, 7, 4),
    )
    class_id = _insert(
        database,
        "INSERT INTO school_class (school_year_id, code, label, grade) "
        "VALUES (:y, 'TPLP1', 'Tle PLP 1', 'Tle')",
        y=year,
    )
    learners = []
    for ine, family, given in (("0000000001A", "Abel", "Zoé"), ("0000000002B", "Bastide", "Léo")):
        learner = _insert(
            database,
            "INSERT INTO learner (ine, family_name, first_name) VALUES (:i, :f, :p)",
            i=ine,
            f=family,
            p=given,
        )
        with database.engine.begin() as connection:
            connection.execute(
                text(
                    "INSERT INTO enrolment (learner_id, school_year_id, class_id) "
                    "VALUES (:l, :y, :c)"
                ),
                {"l": learner, "y": year, "c": class_id},
            )
        learners.append(learner)
    return class_id, learners[0], learners[1]


def build_long_history(
    database: Database, services: Services, *, evaluations: int = 200, today: dt.date | None = None
) -> History:
    """`evaluations` evaluations every other day up to three days ago, with 3 results each
    for the learner, and final bilans 200 and 12 days ago: the current period holds the
    last five evaluations. The classmate has one result in every 25th evaluation."""
    today = today or dt.date.today()
    class_id, learner, other = _class_with_two_learners(database, today)
    criteria = [
        criterion
        for specialty in services.evaluations.criteria_tree()
        for competency in specialty.competencies
        for criterion in competency.criteria
    ]
    bilan_dates = (today - dt.timedelta(days=200), today - dt.timedelta(days=12))
    dates = tuple(
        today - dt.timedelta(days=2 * (evaluations - 1 - number) + 3)
        for number in range(evaluations)
    )
    pending = list(bilan_dates)
    for number, day in enumerate(dates):
        while pending and pending[0] < day:
            _final_bilan(services, learner, pending.pop(0))
        results = [
            GridResult(
                learner, criteria[(7 * number + k) % len(criteria)].id, "1234"[(number + k) % 4]
            )
            for k in range(3)
        ]
        if number % 25 == 0:
            results.append(GridResult(other, criteria[number % len(criteria)].id, "3"))
        company = number % 10 == 9
        services.evaluations.create(
            EvaluationDraft(
                nature="E" if company else "F",
                eval_date=day,
                title=f"Évaluation {number + 1}",
                class_id=class_id,
                company="Atelier Martin" if company else None,
                results=tuple(results),
            )
        )
    for day in pending:
        _final_bilan(services, learner, day)
    return History(class_id, learner, other, dates, bilan_dates)


def _final_bilan(services: Services, learner_id: int, day: dt.date) -> None:
    """A bilan dated `day`, every CC at 3, finalized as the editor does."""
    bilans = services.bilans
    sheet = bilans.open_draft(learner_id)
    sheet = bilans.save_draft(
        sheet.bilan_id,
        version=sheet.version,
        constats="",
        conseils="",
        positionings={row.common_competency_id: "3" for row in sheet.rows},
        bilan_date=day,
    )
    bilans.finalize(sheet.bilan_id, version=sheet.version, confirmation=CONFIRMATION_WORD)
