"""Reading evaluations in a few set-based queries: the criteria tree, a class's list, one
evaluation with its results, and the learners a final bilan covers.

A result is covered by a final bilan when the evaluation's date is on or before the
learner's latest final bilan (the rule of the results import). The functions run on the
session or connection the caller opened, and never write.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping, Sequence
from typing import TypeVar

from sqlalchemy import Connection, and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from livret.domain.errors import NotFound
from livret.services.dto import LearnerSummary, display_name, sort_key
from livret.services.evaluation_dto import (
    CompetencyNode,
    CoveredLearner,
    CriterionItem,
    EvaluationDetails,
    EvaluationDraft,
    EvaluationRow,
    GridResult,
    SpecialtyNode,
)
from livret.storage import models

IN_CHUNK = 5_000
"""Values per IN (…) list: well under SQLite's and PostgreSQL's bound-parameter limits."""

_T = TypeVar("_T")


def in_chunks(values: Sequence[_T]) -> Iterator[Sequence[_T]]:
    """The values IN_CHUNK at a time, for IN (…) lists."""
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


def gone_message(evaluation_id: int) -> str:
    """Why an evaluation opened earlier can no longer be read or changed."""
    return (
        f"Cette évaluation n'existe plus (n° {evaluation_id}) : elle a sans doute été "
        "supprimée sur un autre poste. Rien n'a été enregistré."
    )


def read_criteria_tree(session: Session) -> tuple[SpecialtyNode, ...]:
    """Specialty → competency → criterion, référentiel order (one query)."""
    specialty, competency = models.Specialty, models.Competency
    criterion, cc = models.Criterion, models.CommonCompetency
    query = (
        select(
            specialty.code,
            specialty.title,
            competency.code,
            competency.title,
            criterion.id,
            criterion.code,
            criterion.text,
            cc.code,
        )
        .join(competency, competency.specialty_id == specialty.id)
        .join(criterion, criterion.competency_id == competency.id)
        .join(cc, cc.id == criterion.common_competency_id)
        .order_by(
            specialty.referentiel_id,
            specialty.position,
            specialty.id,
            competency.position,
            competency.id,
            criterion.position,
            criterion.id,
        )
    )
    rows = session.execute(query).all()
    # Group consecutive rows (already ordered) into the tree.
    specialties: list[tuple[str, str, list[tuple[str, str, list[CriterionItem]]]]] = []
    for sp_code, sp_title, co_code, co_title, cr_id, cr_code, cr_text, cc_code in rows:
        if not specialties or specialties[-1][0] != sp_code:
            specialties.append((sp_code, sp_title, []))
        competencies = specialties[-1][2]
        if not competencies or competencies[-1][0] != co_code:
            competencies.append((co_code, co_title, []))
        competencies[-1][2].append(CriterionItem(cr_id, cr_code, cr_text, cc_code))
    return tuple(
        SpecialtyNode(
            sp_code,
            sp_title,
            tuple(
                CompetencyNode(co_code, co_title, tuple(items))
                for co_code, co_title, items in competencies
            ),
        )
        for sp_code, sp_title, competencies in specialties
    )


def read_class_evaluations(connection: Connection, class_id: int) -> tuple[EvaluationRow, ...]:
    """The class's evaluations, latest first, in one query.

    An evaluation of no class (imported for learners who shared none) is listed
    with every class one of its learners belongs to.
    """
    evaluation, user = models.Evaluation, models.User
    counted, result, member = (aliased(models.Result) for _ in range(3))
    bilan, enrolment = models.Bilan, models.Enrolment
    result_count = (
        select(func.count(counted.id))
        .where(counted.evaluation_id == evaluation.id)
        .scalar_subquery()
    )
    covered = exists().where(
        result.evaluation_id == evaluation.id,
        bilan.learner_id == result.learner_id,
        bilan.status == "final",
        bilan.bilan_date >= evaluation.eval_date,
    )
    has_class_learner = exists().where(
        member.evaluation_id == evaluation.id,
        enrolment.learner_id == member.learner_id,
        enrolment.class_id == class_id,
    )
    query = (
        select(
            evaluation.id,
            evaluation.eval_date,
            evaluation.nature,
            evaluation.title,
            user.display_name,
            result_count,
            covered,
        )
        .outerjoin(user, user.id == evaluation.author_id)
        .where(
            or_(
                evaluation.class_id == class_id,
                and_(evaluation.class_id.is_(None), has_class_learner),
            )
        )
        .order_by(evaluation.eval_date.desc(), evaluation.id.desc())
    )
    if connection.scalar(select(models.SchoolClass.id).filter_by(id=class_id)) is None:
        raise NotFound(f"Classe introuvable (n° {class_id}).")
    rows = connection.execute(query).all()
    return tuple(
        EvaluationRow(id_, day, nature, title, author, int(count or 0), bool(is_covered))
        for id_, day, nature, title, author, count, is_covered in rows
    )


def read_details(connection: Connection, evaluation_id: int) -> EvaluationDetails:
    """An evaluation with its results, learners, criteria and coverage, in three queries."""
    evaluation, user = models.Evaluation, models.User
    head = connection.execute(
        select(
            evaluation.nature,
            evaluation.eval_date,
            evaluation.title,
            evaluation.context,
            evaluation.class_id,
            evaluation.company,
            evaluation.tutor,
            evaluation.pfmp_start,
            evaluation.pfmp_end,
            user.display_name,
        )
        .outerjoin(user, user.id == evaluation.author_id)
        .where(evaluation.id == evaluation_id)
    ).one_or_none()
    if head is None:
        raise NotFound(gone_message(evaluation_id))
    result, learner, criterion = models.Result, models.Learner, models.Criterion
    competency, specialty, cc = models.Competency, models.Specialty, models.CommonCompetency
    rows = connection.execute(
        select(
            result.learner_id,
            result.criterion_id,
            result.level,
            result.comment,
            learner.ine,
            learner.family_name,
            learner.first_name,
            learner.left_on,
            criterion.code,
            criterion.text,
            cc.code,
            specialty.referentiel_id,
            specialty.position,
            competency.position,
            criterion.position,
        )
        .join(learner, learner.id == result.learner_id)
        .join(criterion, criterion.id == result.criterion_id)
        .join(competency, competency.id == criterion.competency_id)
        .join(specialty, specialty.id == competency.specialty_id)
        .join(cc, cc.id == criterion.common_competency_id)
        .where(result.evaluation_id == evaluation_id)
    ).all()
    learners: dict[int, LearnerSummary] = {}
    criteria: dict[int, tuple[tuple[int, ...], CriterionItem]] = {}
    for (
        learner_id,
        criterion_id,
        _level,
        _comment,
        ine,
        family_name,
        first_name,
        left_on,
        code,
        text,
        cc_code,
        *order,
    ) in rows:
        if learner_id not in learners:
            learners[learner_id] = LearnerSummary(learner_id, ine, family_name, first_name, left_on)
        if criterion_id not in criteria:
            item = CriterionItem(criterion_id, code, text, cc_code)
            criteria[criterion_id] = ((*order, criterion_id), item)
    ordered_learners = sorted(
        learners.values(),
        key=lambda s: (sort_key(s.family_name), sort_key(s.first_name), s.id),
    )
    ordered_criteria = [item for _, item in sorted(criteria.values(), key=lambda c: c[0])]
    learner_rank = {s.id: i for i, s in enumerate(ordered_learners)}
    criterion_rank = {c.id: i for i, c in enumerate(ordered_criteria)}
    results = sorted(
        (GridResult(row[0], row[1], row[2], row[3]) for row in rows),
        key=lambda r: (learner_rank[r.learner_id], criterion_rank[r.criterion_id]),
    )
    draft = EvaluationDraft(
        nature=head.nature,
        eval_date=head.eval_date,
        title=head.title,
        context=head.context,
        class_id=head.class_id,
        company=head.company,
        tutor=head.tutor,
        pfmp_start=head.pfmp_start,
        pfmp_end=head.pfmp_end,
        results=tuple(results),
    )
    return EvaluationDetails(
        id=evaluation_id,
        draft=draft,
        author=head.display_name,
        learners=tuple(ordered_learners),
        criteria=tuple(ordered_criteria),
        covered=read_covered(connection, dict.fromkeys(learners, head.eval_date)),
    )


def read_covered(
    executor: Session | Connection, dates: Mapping[int, dt.date]
) -> tuple[CoveredLearner, ...]:
    """The learners whose latest final bilan is on or after their date here, by name."""
    bilan, learner = models.Bilan, models.Learner
    covered: list[CoveredLearner] = []
    for chunk in in_chunks(sorted(dates)):
        for learner_id, family_name, first_name, latest in executor.execute(
            select(
                bilan.learner_id,
                learner.family_name,
                learner.first_name,
                func.max(bilan.bilan_date),
            )
            .join(learner, learner.id == bilan.learner_id)
            .where(bilan.status == "final", bilan.learner_id.in_(chunk))
            .group_by(bilan.learner_id, learner.family_name, learner.first_name)
        ):
            if dates[learner_id] <= latest:
                covered.append(
                    CoveredLearner(learner_id, display_name(family_name, first_name), latest)
                )
    covered.sort(key=lambda c: (sort_key(c.name), c.learner_id))
    return tuple(covered)
