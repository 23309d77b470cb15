"""Read everything a learner's dashboard shows, in a constant number of set-based queries."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Connection, Integer, String, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY

from livret.domain.errors import NotFound
from livret.domain.periods import boundaries, periods_of
from livret.domain.permissions import Access, Action, access, require_learner
from livret.domain.roles import Actor
from livret.services.database import Database
from livret.services.database_errors import reads_database
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
from livret.storage.fast_read import fetch_rows

NOT_EVALUATED = "NE"


class DashboardService:
    """Builds the LearnerDashboard DTO (seven queries, whatever the learner's history).

    The rows come through storage.fast_read: plain tuples at the driver's pace.
    """

    def __init__(self, database: Database, actor: Actor) -> None:
        self._database = database
        self._actor = actor

    @reads_database
    def learner_dashboard(self, learner_id: int) -> LearnerDashboard:
        """Any learner's dashboard; an Apprenant's own only."""
        require_learner(self._actor, Action.VIEW_DASHBOARD, learner_id)
        bind = {"learner_id": learner_id}
        with self._database.snapshot() as connection:
            learner_rows = fetch_rows(connection, _LEARNER_QUERY, bind)
            if not learner_rows:
                raise NotFound(f"Apprenant introuvable (n° {learner_id}).")
            cc_rows = fetch_rows(connection, _COMMON_COMPETENCIES_QUERY, {})
            criterion_rows = fetch_rows(connection, _CRITERIA_QUERY, bind)
            result_rows = fetch_rows(connection, _RESULTS_QUERY, bind)
            evaluation_ids = sorted({row[0] for row in result_rows})
            evaluation_rows = _fetch_evaluations(connection, evaluation_ids)
            bilan_rows = fetch_rows(connection, _BILANS_QUERY, bind)
            positioning_rows = fetch_rows(connection, _POSITIONINGS_QUERY, bind)
        learner = LearnerInfo(*learner_rows[0])
        common_competencies = [CommonCompetencyInfo(*row) for row in cc_rows]
        criteria = [CriterionInfo(*row) for row in criterion_rows]

        bilans = [BilanRef(*row) for row in bilan_rows]
        final_bilans = tuple(bilan for bilan in bilans if bilan.status == "final")
        if access(self._actor, Action.VIEW_DASHBOARD) is Access.OWN:
            # A learner never sees a draft: no draft, and the current positionings stay NE.
            bilans = list(final_bilans)
        draft = next((bilan for bilan in bilans if bilan.status == "draft"), None)
        period_boundaries = boundaries([bilan.bilan_date for bilan in final_bilans])
        evaluations = _evaluations(evaluation_rows, period_boundaries)
        index_of = {evaluation.id: index for index, evaluation in enumerate(evaluations)}
        result_rows.sort(key=lambda row: index_of[row[0]])  # chronological, as the rows show

        results_by_criterion: dict[int, list[ResultInfo]] = defaultdict(list)
        # tuple.__new__ skips the NamedTuple's Python-level __new__: a thousand rows a switch.
        new, result_info = tuple.__new__, ResultInfo
        for evaluation_id, criterion_id, level, comment in result_rows:
            results_by_criterion[criterion_id].append(
                new(result_info, (index_of[evaluation_id], level, comment))
            )
        rows_by_cc: dict[int, list[CriterionRow]] = defaultdict(list)
        for criterion in criteria:
            rows_by_cc[criterion.common_competency_id].append(
                CriterionRow(criterion, tuple(results_by_criterion[criterion.id]))
            )

        final_dates = {bilan.id: bilan.bilan_date for bilan in final_bilans}
        previous_by_cc: dict[int, list[PositioningInfo]] = defaultdict(list)
        current_by_cc: dict[int, str] = {}
        for bilan_id, cc_id, level in positioning_rows:
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


# Statements are built once; each call only binds the learner (no SQL construction per switch).
_LEARNER = bindparam("learner_id", type_=Integer)
_learner, _enrolment, _class, _year = (
    models.Learner,
    models.Enrolment,
    models.SchoolClass,
    models.SchoolYear,
)
_cc, _criterion, _competency, _specialty = (
    models.CommonCompetency,
    models.Criterion,
    models.Competency,
    models.Specialty,
)
_evaluation, _result, _user = models.Evaluation, models.Result, models.User
_bilan, _positioning = models.Bilan, models.Positioning

# The learner with their most recent class.
_LEARNER_QUERY = (
    select(
        _learner.id,
        _learner.ine,
        _learner.family_name,
        _learner.first_name,
        _learner.birth_date,
        _learner.left_on,
        _specialty.code,
        _class.id,
        _class.code,
        _class.label,
        _year.label,
    )
    .outerjoin(_specialty, _specialty.id == _learner.specialty_id)
    .outerjoin(_enrolment, _enrolment.learner_id == _learner.id)
    .outerjoin(_class, _class.id == _enrolment.class_id)
    .outerjoin(_year, _year.id == _enrolment.school_year_id)
    .where(_learner.id == _LEARNER)
    .order_by(_year.start_date.desc())
    .limit(1)
)
_COMMON_COMPETENCIES_QUERY = select(
    _cc.id, _cc.code, _cc.title, _cc.group_code, _cc.group_label
).order_by(_cc.referentiel_id, _cc.position)
# The criteria this learner has results on, in référentiel order.
_CRITERIA_QUERY = (
    select(
        _criterion.id,
        _criterion.code,
        _criterion.text,
        _specialty.code,
        _competency.code,
        _competency.title,
        _criterion.common_competency_id,
    )
    .join(_competency, _competency.id == _criterion.competency_id)
    .join(_specialty, _specialty.id == _competency.specialty_id)
    .where(_criterion.id.in_(select(_result.criterion_id).where(_result.learner_id == _LEARNER)))
    .order_by(_specialty.position, _competency.position, _criterion.position)
)
_EVALUATION_COLUMNS = (
    _evaluation.id,
    _evaluation.nature,
    _evaluation.eval_date,
    _evaluation.title,
    _evaluation.context,
    _user.display_name,
    _evaluation.company,
    _evaluation.tutor,
    _evaluation.pfmp_start,
    _evaluation.pfmp_end,
)
# The learner's evaluations by primary key, from the ids their results name: a lookup
# per evaluation, whatever the number of evaluations in the database (an IN subquery
# lets PostgreSQL hash-join every evaluation of the region). The ids are bound as one
# array (PostgreSQL) or one JSON text (SQLite), so the statement never changes.
_EVALUATIONS_BY_ID = {
    "postgresql": select(*_EVALUATION_COLUMNS)
    .outerjoin(_user, _user.id == _evaluation.author_id)
    .where(_evaluation.id == any_(bindparam("evaluation_ids", type_=ARRAY(Integer))))
    .order_by(_evaluation.eval_date, _evaluation.id),
    "sqlite": select(*_EVALUATION_COLUMNS)
    .outerjoin(_user, _user.id == _evaluation.author_id)
    .where(
        _evaluation.id.in_(
            select(literal_column("value")).select_from(
                func.json_each(bindparam("evaluation_ids", type_=String))
            )
        )
    )
    .order_by(_evaluation.eval_date, _evaluation.id),
}
# The learner's results, through the index that leads with learner_id and without a
# join (sorted afterwards in the evaluations' order).
_RESULTS_QUERY = select(
    _result.evaluation_id, _result.criterion_id, _result.level, _result.comment
).where(_result.learner_id == _LEARNER)
_BILANS_QUERY = (
    select(_bilan.id, _bilan.status, _bilan.bilan_date, _user.display_name, _bilan.version)
    .outerjoin(_user, _user.id == _bilan.author_id)
    .where(_bilan.learner_id == _LEARNER)
    .order_by(_bilan.bilan_date, _bilan.id)
)
_POSITIONINGS_QUERY = (
    select(_positioning.bilan_id, _positioning.common_competency_id, _positioning.level)
    .join(_bilan, _bilan.id == _positioning.bilan_id)
    .where(_bilan.learner_id == _LEARNER)
)


def _fetch_evaluations(connection: Connection, ids: list[int]) -> list[tuple[Any, ...]]:
    if not ids:
        return []
    dialect = connection.dialect.name
    bound: Any = ids if dialect == "postgresql" else json.dumps(ids)
    return fetch_rows(connection, _EVALUATIONS_BY_ID[dialect], {"evaluation_ids": bound})


def _evaluations(
    rows: Sequence[Any], period_boundaries: tuple[dt.date, ...]
) -> tuple[EvaluationInfo, ...]:
    """Chronological evaluations with their short code (F1, F2, E1 …) and period."""
    periods = periods_of([row[2] for row in rows], period_boundaries)
    numbers: dict[str, int] = defaultdict(int)
    evaluations = []
    for row, period in zip(rows, periods, strict=True):
        (id_, nature, date, title, context, author, company, tutor, pfmp_start, pfmp_end) = row
        numbers[nature] += 1
        evaluations.append(
            EvaluationInfo(
                id=id_,
                short_code=f"{nature}{numbers[nature]}",
                nature=nature,
                date=date,
                title=title,
                context=context,
                author=author,
                company=company,
                tutor=tutor,
                pfmp_start=pfmp_start,
                pfmp_end=pfmp_end,
                period=period,
            )
        )
    return tuple(evaluations)
