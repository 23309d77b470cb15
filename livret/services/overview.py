"""Read the class overview: every learner's latest positioning on every CC, in five queries."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import Integer, and_, bindparam, func, or_, select
from sqlalchemy.orm import aliased

from livret.domain.errors import NotFound
from livret.domain.levels import COUNTED_LEVELS, Level
from livret.domain.permissions import Action, require_all
from livret.domain.roles import Actor
from livret.services.database import Database
from livret.services.database_errors import reads_database
from livret.services.dto import CommonCompetencyInfo, LearnerSummary, sort_key
from livret.storage import models

SOURCE_DRAFT = "draft"
SOURCE_FINAL = "final"
SOURCE_NONE = "none"


@dataclass(frozen=True, slots=True)
class OverviewCell:
    """One learner on one CC: where they stand and how much evidence the open period holds."""

    level: str
    """'NE', '1' … '4'."""
    source: str
    """'draft' (the learner's draft positions this CC), 'final' (their latest final bilan)
    or 'none' (no final bilan and no draft positioning on this CC: the level is NE)."""
    bilan_date: dt.date | None
    """Date of the bilan the level comes from; None when the source is 'none'."""
    current_results: int
    """Results 1–4 on this CC's criteria dated after the learner's last final bilan."""


@dataclass(frozen=True, slots=True)
class OverviewLearner:
    learner: LearnerSummary
    cells: tuple[OverviewCell, ...]
    """One per CC, in the order of ClassOverview.common_competencies."""
    last_final_date: dt.date | None = None
    """Date of the learner's last final bilan: the current period starts after it."""


@dataclass(frozen=True, slots=True)
class ClassOverview:
    """Learners × common competencies of one class."""

    class_id: int
    class_code: str
    common_competencies: tuple[CommonCompetencyInfo, ...]
    learners: tuple[OverviewLearner, ...]
    """In the selectors' order (family name, first name, French collation)."""
    school_year_label: str | None = None
    """'2026-2027': class codes repeat from one year to the next."""


class OverviewService:
    """Builds the ClassOverview DTO (five queries, whatever the size of the class)."""

    def __init__(self, database: Database, actor: Actor) -> None:
        self._database = database
        self._actor = actor

    @reads_database
    def class_overview(self, class_id: int) -> ClassOverview:
        require_all(self._actor, Action.VIEW_CLASS_OVERVIEW)
        bind = {"class_id": class_id}
        # One snapshot: positionings and counts agree on each learner's last final bilan.
        with self._database.snapshot() as connection:
            class_row = connection.execute(_CLASS_QUERY, bind).first()
            if class_row is None:
                raise NotFound(f"Classe introuvable (n° {class_id}).")
            learner_rows = connection.execute(_LEARNERS_QUERY, bind).all()
            cc_rows = connection.execute(_COMMON_COMPETENCIES_QUERY).all()
            bilan_rows = connection.execute(_BILANS_QUERY, bind).all()
            count_rows = connection.execute(_CURRENT_COUNTS_QUERY, bind).all()

        _, class_code, year_label = class_row
        common_competencies = tuple(CommonCompetencyInfo(*row) for row in cc_rows)
        learners = [LearnerSummary(*row) for row in learner_rows]
        # The selectors' order (CatalogService.list_learners); not in SQL, where SQLite and
        # PostgreSQL collate accents differently.
        learners.sort(key=lambda s: (sort_key(s.family_name), sort_key(s.first_name), s.id))

        # The query keeps each learner's draft and latest final bilan (by date, then id);
        # the comparison below only makes that choice explicit.
        drafts: dict[int, tuple[int, dt.date]] = {}
        finals: dict[int, tuple[dt.date, int]] = {}
        levels: dict[int, dict[int, str]] = defaultdict(dict)
        for learner_id, bilan_id, status, bilan_date, cc_id, level in bilan_rows:
            if status == SOURCE_DRAFT:
                drafts[learner_id] = (bilan_id, bilan_date)
            elif (bilan_date, bilan_id) > finals.get(learner_id, (dt.date.min, -1)):
                finals[learner_id] = (bilan_date, bilan_id)
            if cc_id is not None:
                levels[bilan_id][cc_id] = level
        counts: dict[tuple[int, int], int] = {
            (learner_id, cc_id): int(n) for learner_id, cc_id, n in count_rows
        }

        def cell(learner_id: int, cc_id: int) -> OverviewCell:
            current = counts.get((learner_id, cc_id), 0)
            draft = drafts.get(learner_id)
            if draft is not None and cc_id in levels[draft[0]]:
                return OverviewCell(levels[draft[0]][cc_id], SOURCE_DRAFT, draft[1], current)
            final = finals.get(learner_id)
            if final is not None:
                # A CC left out of a final bilan stayed NE in it.
                level = levels[final[1]].get(cc_id, Level.NE.value)
                return OverviewCell(level, SOURCE_FINAL, final[0], current)
            return OverviewCell(Level.NE.value, SOURCE_NONE, None, current)

        rows = tuple(
            OverviewLearner(
                learner=learner,
                cells=tuple(cell(learner.id, cc.id) for cc in common_competencies),
                last_final_date=finals[learner.id][0] if learner.id in finals else None,
            )
            for learner in learners
        )
        return ClassOverview(
            class_id=class_id,
            class_code=class_code,
            common_competencies=common_competencies,
            learners=rows,
            school_year_label=year_label,
        )


# Statements are built once; each call only binds the class.
_CLASS = bindparam("class_id", type_=Integer)
_class, _year = models.SchoolClass, models.SchoolYear
_enrolment, _learner = models.Enrolment, models.Learner
_cc, _criterion = models.CommonCompetency, models.Criterion
_evaluation, _result = models.Evaluation, models.Result
_bilan, _positioning = models.Bilan, models.Positioning
_later = aliased(models.Bilan)

_CLASS_MEMBERS = select(_enrolment.learner_id).where(_enrolment.class_id == _CLASS)

_CLASS_QUERY = (
    select(_class.id, _class.code, _year.label)
    .join(_year, _year.id == _class.school_year_id)
    .where(_class.id == _CLASS)
)
_LEARNERS_QUERY = (
    select(
        _learner.id,
        _learner.ine,
        _learner.family_name,
        _learner.first_name,
        _learner.left_on,
    )
    .join(_enrolment, _enrolment.learner_id == _learner.id)
    .where(_enrolment.class_id == _CLASS)
)
# Référentiel order, as on the dashboard.
_COMMON_COMPETENCIES_QUERY = select(
    _cc.id, _cc.code, _cc.title, _cc.group_code, _cc.group_label
).order_by(_cc.referentiel_id, _cc.position)
# The class's drafts and latest final bilans (no later final bilan of the same learner,
# by date then id), with their positionings; a bilan without any still gives one row.
_BILANS_QUERY = (
    select(
        _bilan.learner_id,
        _bilan.id,
        _bilan.status,
        _bilan.bilan_date,
        _positioning.common_competency_id,
        _positioning.level,
    )
    .outerjoin(_positioning, _positioning.bilan_id == _bilan.id)
    .where(
        _bilan.learner_id.in_(_CLASS_MEMBERS),
        or_(
            _bilan.status == SOURCE_DRAFT,
            ~select(_later.id)
            .where(
                _later.learner_id == _bilan.learner_id,
                _later.status == SOURCE_FINAL,
                or_(
                    _later.bilan_date > _bilan.bilan_date,
                    and_(_later.bilan_date == _bilan.bilan_date, _later.id > _bilan.id),
                ),
            )
            .exists(),
        ),
    )
)
# Each learner's last final bilan date: the current period is what comes after it.
_last_final = (
    select(_bilan.learner_id, func.max(_bilan.bilan_date).label("last_date"))
    .where(_bilan.status == SOURCE_FINAL, _bilan.learner_id.in_(_CLASS_MEMBERS))
    .group_by(_bilan.learner_id)
    .subquery()
)
_CURRENT_COUNTS_QUERY = (
    select(_result.learner_id, _criterion.common_competency_id, func.count())
    .join(_evaluation, _evaluation.id == _result.evaluation_id)
    .join(_criterion, _criterion.id == _result.criterion_id)
    .outerjoin(_last_final, _last_final.c.learner_id == _result.learner_id)
    .where(
        _result.learner_id.in_(_CLASS_MEMBERS),
        _result.level.in_([level.value for level in COUNTED_LEVELS]),
        or_(_last_final.c.last_date.is_(None), _evaluation.eval_date > _last_final.c.last_date),
    )
    .group_by(_result.learner_id, _criterion.common_competency_id)
)
