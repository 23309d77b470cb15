"""Bring the database's référentiel to a new version: what is in use, what fits, and the writes.

The service checks first (usage_counts, length_problems) and refuses removals of
anything in use; sync_referentiel then updates rows in place by code, inserts the
new ones and deletes the ones no longer listed, so ids (and the results, classes
and positionings that point to them) stay.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Collection, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, String, Table, bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from livret.domain import referentiel as domain
from livret.storage import models
from livret.storage.referentiel_store import group_extra_json

_Executor = Session | Connection


@dataclass(frozen=True, slots=True)
class Usage:
    """How much stored data points to items of the référentiel, by code."""

    results_by_criterion: Mapping[str, int]
    positionings_by_cc: Mapping[str, int]
    classes_by_specialty: Mapping[str, int]
    learners_by_specialty: Mapping[str, int]


def usage_counts(
    executor: _Executor,
    ref_db_id: int,
    criteria: Collection[str],
    ccs: Collection[str],
    specialties: Collection[str],
) -> Usage:
    """Counts for the given codes only (GROUP BY queries, one per kind)."""
    criterion, cc_model, specialty = models.Criterion, models.CommonCompetency, models.Specialty
    results: dict[str, int] = {}
    if criteria:
        results = _counts(
            executor,
            select(criterion.code, func.count(models.Result.id))
            .join(models.Result, models.Result.criterion_id == criterion.id)
            .where(criterion.code.in_(sorted(criteria)))
            .group_by(criterion.code),
        )
    positionings: dict[str, int] = {}
    if ccs:
        positionings = _counts(
            executor,
            select(cc_model.code, func.count(models.Positioning.id))
            .join(models.Positioning, models.Positioning.common_competency_id == cc_model.id)
            .where(cc_model.referentiel_id == ref_db_id, cc_model.code.in_(sorted(ccs)))
            .group_by(cc_model.code),
        )
    classes: dict[str, int] = {}
    learners: dict[str, int] = {}
    if specialties:
        in_ref = (specialty.referentiel_id == ref_db_id, specialty.code.in_(sorted(specialties)))
        classes = _counts(
            executor,
            select(specialty.code, func.count(models.SchoolClass.id))
            .join(models.SchoolClass, models.SchoolClass.specialty_id == specialty.id)
            .where(*in_ref)
            .group_by(specialty.code),
        )
        learners = _counts(
            executor,
            select(specialty.code, func.count(models.Learner.id))
            .join(models.Learner, models.Learner.specialty_id == specialty.id)
            .where(*in_ref)
            .group_by(specialty.code),
        )
    return Usage(results, positionings, classes, learners)


def total_usage(executor: _Executor) -> dict[str, int]:
    """Rows that depend on the référentiel at all: results, positionings, classes, learners."""
    counts: dict[str, int] = {}
    for name, model, condition in (
        ("results", models.Result, None),
        ("positionings", models.Positioning, None),
        ("classes", models.SchoolClass, models.SchoolClass.specialty_id.is_not(None)),
        ("learners", models.Learner, models.Learner.specialty_id.is_not(None)),
    ):
        query = select(func.count()).select_from(model)
        if condition is not None:
            query = query.where(condition)
        counts[name] = int(executor.scalar(query) or 0)
    return counts


def _counts(executor: _Executor, query: Any) -> dict[str, int]:
    return {code: int(count) for code, count in executor.execute(query)}


def length_problems(ref: domain.Referentiel) -> list[str]:
    """French problems for codes and titles longer than their database columns."""
    problems: list[str] = []

    def check(model: type[models.Base], column: str, value: str | None, where: str) -> None:
        column_type = cast(Table, model.__table__).c[column].type
        limit = column_type.length if isinstance(column_type, String) else None
        if value is not None and limit is not None and len(value) > limit:
            problems.append(f"{where} : « {value[:60]} » dépasse {limit} caractères.")

    check(models.Referentiel, "code", ref.id, "Référentiel, identifiant")
    check(models.Referentiel, "title", ref.title, "Référentiel, titre")
    check(models.Referentiel, "version", ref.version, "Référentiel, version")
    for cc in ref.common_competencies:
        check(models.CommonCompetency, "code", cc.code, f"Compétence commune {cc.code}")
        check(models.CommonCompetency, "group_code", cc.group_code, f"Groupe {cc.group_code}")
        check(models.CommonCompetency, "group_label", cc.group_label, f"Groupe {cc.group_code}")
    for specialty in ref.specialties:
        check(models.Specialty, "code", specialty.code, f"Spécialité {specialty.code}")
        check(models.Specialty, "title", specialty.title, f"Spécialité {specialty.code}")
        for competency in specialty.competencies:
            where = f"Compétence [{specialty.code}] {competency.code}"
            check(models.Competency, "code", competency.code, where)
            for criterion in competency.criteria:
                check(models.Criterion, "code", criterion.id, f"Critère {criterion.id}")
                check(
                    models.Criterion, "confidence", criterion.confidence, f"Critère {criterion.id}"
                )
    return problems


def sync_referentiel(session: Session, ref_db_id: int, new: domain.Referentiel) -> None:
    """Make the stored référentiel equal to `new` (checked beforehand: removals unused)."""
    session.execute(
        update(models.Referentiel)
        .where(models.Referentiel.id == ref_db_id)
        .values(
            code=new.id,
            title=new.title,
            version=new.version,
            extra=json.dumps(dict(new.extra), ensure_ascii=False),
            group_extra=group_extra_json(new),
            updated_at=dt.datetime.now(),
        )
    )
    cc_model = models.CommonCompetency
    cc_ids = _upsert(
        session,
        cc_model,
        _ids(
            session, select(cc_model.code, cc_model.id).where(cc_model.referentiel_id == ref_db_id)
        ),
        (
            (
                cc.code,
                {
                    "code": cc.code,
                    "title": cc.title,
                    "group_code": cc.group_code,
                    "group_label": cc.group_label,
                    "position": cc.position,
                },
            )
            for cc in new.common_competencies
        ),
        {"referentiel_id": ref_db_id},
    )
    specialty = models.Specialty
    stored_specialties = _ids(
        session, select(specialty.code, specialty.id).where(specialty.referentiel_id == ref_db_id)
    )
    specialty_ids = _upsert(
        session,
        specialty,
        stored_specialties,
        (
            (
                item.code,
                {
                    "code": item.code,
                    "title": item.title,
                    "position": item.position,
                    "extra": json.dumps(dict(item.extra), ensure_ascii=False),
                },
            )
            for item in new.specialties
        ),
        {"referentiel_id": ref_db_id},
    )
    competency = models.Competency
    stored_competencies = {
        (spec_code, code): comp_id
        for comp_id, spec_code, code in session.execute(
            select(competency.id, specialty.code, competency.code)
            .join(specialty, specialty.id == competency.specialty_id)
            .where(specialty.referentiel_id == ref_db_id)
        )
    }
    competency_ids = _upsert(
        session,
        competency,
        stored_competencies,
        (
            (
                (item.specialty_code, item.code),
                {
                    "specialty_id": specialty_ids[item.specialty_code],
                    "code": item.code,
                    "title": item.title,
                    "position": item.position,
                },
            )
            for spec in new.specialties
            for item in spec.competencies
        ),
        {},
    )
    criterion = models.Criterion
    stored_criteria = _ids(
        session,
        select(criterion.code, criterion.id)
        .join(cc_model, cc_model.id == criterion.common_competency_id)
        .where(cc_model.referentiel_id == ref_db_id),
    )
    _upsert(
        session,
        criterion,
        stored_criteria,
        (
            (
                item.id,
                {
                    "code": item.id,
                    "competency_id": competency_ids[(item.specialty_code, item.competency_code)],
                    "common_competency_id": cc_ids[item.cc_code],
                    "text": item.text,
                    "confidence": item.confidence,
                    "position": item.position,
                    "extra": json.dumps(dict(item.extra), ensure_ascii=False),
                },
            )
            for item in new.criteria()
        ),
        {},
    )
    # Deepest first: nothing left points to what is deleted.
    _delete_missing(session, criterion, stored_criteria, {c.id for c in new.criteria()})
    _delete_missing(
        session,
        competency,
        stored_competencies,
        {(c.specialty_code, c.code) for s in new.specialties for c in s.competencies},
    )
    _delete_missing(session, specialty, stored_specialties, {s.code for s in new.specialties})
    _delete_missing(
        session,
        cc_model,
        _ids(
            session, select(cc_model.code, cc_model.id).where(cc_model.referentiel_id == ref_db_id)
        ),
        {cc.code for cc in new.common_competencies},
    )


def _ids(session: Session, query: Any) -> dict[Any, int]:
    return {key: int(row_id) for key, row_id in session.execute(query)}


def _upsert(
    session: Session,
    model: type[models.Base],
    stored: Mapping[Any, int],
    items: Iterable[tuple[Any, dict[str, Any]]],
    fixed: Mapping[str, Any],
) -> dict[Any, int]:
    """Update the rows whose key is stored, insert the others; returns key → id for all."""
    table = cast(Table, model.__table__)
    ids = dict(stored)
    updates: list[dict[str, Any]] = []
    for key, values in items:
        if key in stored:
            updates.append({"row_id": stored[key], **{f"new_{k}": v for k, v in values.items()}})
        else:
            new_id = session.scalar(insert(table).values(**fixed, **values).returning(table.c.id))
            assert new_id is not None
            ids[key] = int(new_id)
    if updates:
        columns = [name[4:] for name in updates[0] if name.startswith("new_")]
        session.execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values({name: bindparam(f"new_{name}") for name in columns}),
            updates,
        )
    return ids


def _delete_missing(
    session: Session, model: type[models.Base], stored: Mapping[Any, int], kept: Collection[Any]
) -> None:
    table = cast(Table, model.__table__)
    gone = sorted(row_id for key, row_id in stored.items() if key not in kept)
    if gone:
        session.execute(delete(table).where(table.c.id.in_(gone)))
