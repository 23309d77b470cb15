"""Read everything a learner's dashboard shows, in a constant number of set-based queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from sqlalchemy import Row, select
from sqlalchemy.orm import Session, aliased

from livret.domain.errors import NotFound
from livret.domain.periods import boundaries, periods_of
from livret.services.database import Database
from livret.services.dto import (
    BilanRef,
    CommonCompetencyInfo,
    CriterionInfo,
    CriterionRow,
    DashboardSection,
    EvaluationInfo,
    LearnerDashboard,
    LearnerInfo,
    PositioningInfo,
    ResultInfo,
)
from livret.storage import models

NOT_EVALUATED = "NE"


class DashboardService:
    """Builds the LearnerDashboard DTO (seven queries, whatever the learner's history)."""

    def __init__(self, database: Database) -> None:
        self._database = database

    def learner_dashboard(self, learner_id: int) -> LearnerDashboard:
        with self._database.sessions() as session:
            learner = _learner_info(session, learner_id)
            common_competencies = _common_competencies(session)
            criteria = _criteria_with_results(session, learner_id)
            evaluation_rows = _evaluation_rows(session, learner_id)
            result_rows = _result_rows(session, learner_id)
            bilan_rows = _bilan_rows(session, learner_id)
            positioning_rows = _positioning_rows(session, learner_id)

        final_bilans = tuple(
            BilanRef(row.id, row.status, row.bilan_date, row.author, row.version)
            for row in bilan_rows
            if row.status == "final"
        )
        draft = next(
            (
                BilanRef(row.id, row.status, row.bilan_date, row.author, row.version)
                for row in bilan_rows
                if row.status == "draft"
            ),
            None,
        )
        period_boundaries = boundaries([bilan.bilan_date for bilan in final_bilans])
        evaluations = _evaluations(evaluation_rows, period_boundaries)
        index_of = {evaluation.id: index for index, evaluation in enumerate(evaluations)}

        results_by_criterion: dict[int, list[ResultInfo]] = defaultdict(list)
        for row in result_rows:
            results_by_criterion[row.criterion_id].append(
                ResultInfo(index_of[row.evaluation_id], row.level, row.comment)
            )
        rows_by_cc: dict[int, list[CriterionRow]] = defaultdict(list)
        for criterion in criteria:
            results = sorted(results_by_criterion[criterion.id], key=lambda r: r.evaluation_index)
            rows_by_cc[criterion.common_competency_id].append(
                CriterionRow(criterion, tuple(results))
            )

        final_dates = {bilan.id: bilan.bilan_date for bilan in final_bilans}
        previous_by_cc: dict[int, list[PositioningInfo]] = defaultdict(list)
        current_by_cc: dict[int, str] = {}
        for row in positioning_rows:
            bilan_id, cc_id, level = row.bilan_id, row.common_competency_id, row.level
            if bilan_id in final_dates:
                previous_by_cc[cc_id].append(
                    PositioningInfo(bilan_id, final_dates[bilan_id], level)
                )
            elif draft is not None and bilan_id == draft.id:
                current_by_cc[cc_id] = level
        sections = tuple(
            DashboardSection(
                common_competency=cc,
                rows=tuple(rows_by_cc[cc.id]),
                previous=tuple(
                    sorted(previous_by_cc[cc.id], key=lambda p: (p.bilan_date, p.bilan_id))
                ),
                current=current_by_cc.get(cc.id, NOT_EVALUATED),
            )
            for cc in common_competencies
        )
        return LearnerDashboard(
            learner=learner,
            evaluations=evaluations,
            sections=sections,
            final_bilans=final_bilans,
            draft=draft,
            period_boundaries=period_boundaries,
        )


def _learner_info(session: Session, learner_id: int) -> LearnerInfo:
    """The learner with their most recent class (one query)."""
    learner, enrolment, cls, year = (
        models.Learner,
        models.Enrolment,
        models.SchoolClass,
        models.SchoolYear,
    )
    row = session.execute(
        select(
            learner.id,
            learner.ine,
            learner.family_name,
            learner.first_name,
            learner.birth_date,
            learner.left_on,
            models.Specialty.code,
            cls.id,
            cls.code,
            cls.label,
            year.label,
        )
        .outerjoin(models.Specialty, models.Specialty.id == learner.specialty_id)
        .outerjoin(enrolment, enrolment.learner_id == learner.id)
        .outerjoin(cls, cls.id == enrolment.class_id)
        .outerjoin(year, year.id == enrolment.school_year_id)
        .where(learner.id == learner_id)
        .order_by(year.start_date.desc())
        .limit(1)
    ).first()
    if row is None:
        raise NotFound(f"Apprenant introuvable (n° {learner_id}).")
    return LearnerInfo(*row)


def _common_competencies(session: Session) -> list[CommonCompetencyInfo]:
    cc = models.CommonCompetency
    rows = session.execute(
        select(cc.id, cc.code, cc.title, cc.group_code, cc.group_label).order_by(
            cc.referentiel_id, cc.position
        )
    )
    return [CommonCompetencyInfo(*row) for row in rows]


def _criteria_with_results(session: Session, learner_id: int) -> list[CriterionInfo]:
    """The criteria this learner has results on, in référentiel order."""
    criterion, competency, specialty = models.Criterion, models.Competency, models.Specialty
    assessed = select(models.Result.criterion_id).where(models.Result.learner_id == learner_id)
    rows = session.execute(
        select(
            criterion.id,
            criterion.code,
            criterion.text,
            specialty.code,
            competency.code,
            competency.title,
            criterion.common_competency_id,
        )
        .join(competency, competency.id == criterion.competency_id)
        .join(specialty, specialty.id == competency.specialty_id)
        .where(criterion.id.in_(assessed))
        .order_by(specialty.position, competency.position, criterion.position)
    )
    return [CriterionInfo(*row) for row in rows]


def _evaluation_rows(session: Session, learner_id: int) -> list[Row[Any]]:
    evaluation, user = models.Evaluation, models.User
    assessed = select(models.Result.evaluation_id).where(models.Result.learner_id == learner_id)
    return list(
        session.execute(
            select(
                evaluation.id,
                evaluation.nature,
                evaluation.eval_date,
                evaluation.title,
                evaluation.context,
                user.display_name,
                evaluation.company,
                evaluation.tutor,
                evaluation.pfmp_start,
                evaluation.pfmp_end,
            )
            .outerjoin(user, user.id == evaluation.author_id)
            .where(evaluation.id.in_(assessed))
            .order_by(evaluation.eval_date, evaluation.id)
        )
    )


def _evaluations(
    rows: list[Row[Any]], period_boundaries: tuple[dt.date, ...]
) -> tuple[EvaluationInfo, ...]:
    """Chronological evaluations with their short code (F1, F2, E1 …) and period."""
    periods = periods_of([row.eval_date for row in rows], period_boundaries)
    numbers: dict[str, int] = defaultdict(int)
    evaluations = []
    for row, period in zip(rows, periods, strict=True):
        numbers[row.nature] += 1
        evaluations.append(
            EvaluationInfo(
                id=row.id,
                short_code=f"{row.nature}{numbers[row.nature]}",
                nature=row.nature,
                date=row.eval_date,
                title=row.title,
                context=row.context,
                author=row.display_name,
                company=row.company,
                tutor=row.tutor,
                pfmp_start=row.pfmp_start,
                pfmp_end=row.pfmp_end,
                period=period,
            )
        )
    return tuple(evaluations)


def _result_rows(session: Session, learner_id: int) -> list[Row[Any]]:
    result = models.Result
    return list(
        session.execute(
            select(result.evaluation_id, result.criterion_id, result.level, result.comment).where(
                result.learner_id == learner_id
            )
        )
    )


def _bilan_rows(session: Session, learner_id: int) -> list[Row[Any]]:
    bilan, user = models.Bilan, aliased(models.User)
    return list(
        session.execute(
            select(
                bilan.id,
                bilan.status,
                bilan.bilan_date,
                user.display_name.label("author"),
                bilan.version,
            )
            .outerjoin(user, user.id == bilan.author_id)
            .where(bilan.learner_id == learner_id)
            .order_by(bilan.bilan_date, bilan.id)
        )
    )


def _positioning_rows(session: Session, learner_id: int) -> list[Row[Any]]:
    positioning, bilan = models.Positioning, models.Bilan
    return list(
        session.execute(
            select(positioning.bilan_id, positioning.common_competency_id, positioning.level)
            .join(bilan, bilan.id == positioning.bilan_id)
            .where(bilan.learner_id == learner_id)
        )
    )
