"""Read the référentiel held by the database back into its domain form (four queries)."""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from livret.domain import referentiel as domain
from livret.domain.errors import NotFound
from livret.storage import models

_Executor = Session | Connection


@dataclass(frozen=True, slots=True)
class StoredReferentiel:
    """The database's référentiel, its row id and the date of its last change."""

    db_id: int
    referentiel: domain.Referentiel
    updated_at: dt.datetime | None


def read_referentiel(executor: _Executor, *, for_update: bool = False) -> StoredReferentiel:
    """The référentiel of this database (a livret holds exactly one).

    `for_update` locks its row until the transaction ends (PostgreSQL; SQLite writers
    are serialized anyway): two updates then run one after the other, and the second
    sees the first's `updated_at`.
    """
    ref_model = models.Referentiel
    query = select(
        ref_model.id,
        ref_model.code,
        ref_model.title,
        ref_model.version,
        ref_model.extra,
        ref_model.group_extra,
        ref_model.updated_at,
    ).order_by(ref_model.id)
    if for_update:
        query = query.with_for_update()
    row = executor.execute(query).first()
    if row is None:
        raise NotFound("La base ne contient aucun référentiel.")
    ref_id, code, title, version, extra, group_extra, updated_at = row

    cc_model = models.CommonCompetency
    ccs = [
        domain.CommonCompetency(cc_code, cc_title, group_code, group_label, index)
        for index, (cc_code, cc_title, group_code, group_label) in enumerate(
            executor.execute(
                select(cc_model.code, cc_model.title, cc_model.group_code, cc_model.group_label)
                .where(cc_model.referentiel_id == ref_id)
                .order_by(cc_model.position, cc_model.id)
            )
        )
    ]

    criteria = _criteria_by_competency(executor, ref_id)
    specialty, competency = models.Specialty, models.Competency
    competencies: dict[int, list[domain.Competency]] = defaultdict(list)
    for comp_id, specialty_id, specialty_code, comp_code, comp_title in executor.execute(
        select(competency.id, specialty.id, specialty.code, competency.code, competency.title)
        .join(specialty, specialty.id == competency.specialty_id)
        .where(specialty.referentiel_id == ref_id)
        .order_by(specialty.position, competency.position, competency.id)
    ):
        siblings = competencies[specialty_id]
        siblings.append(
            domain.Competency(
                comp_code,
                comp_title,
                specialty_code,
                len(siblings),
                tuple(
                    domain.Criterion(
                        c.id,
                        c.text,
                        c.cc_code,
                        comp_code,
                        specialty_code,
                        c.confidence,
                        index,
                        extra=_extra(c.extra),
                    )
                    for index, c in enumerate(criteria.get(comp_id, ()))
                ),
            )
        )
    specialties = tuple(
        domain.Specialty(
            spec_code,
            spec_title,
            index,
            tuple(competencies.get(spec_id, ())),
            extra=_extra(spec_extra),
        )
        for index, (spec_id, spec_code, spec_title, spec_extra) in enumerate(
            executor.execute(
                select(specialty.id, specialty.code, specialty.title, specialty.extra)
                .where(specialty.referentiel_id == ref_id)
                .order_by(specialty.position, specialty.id)
            )
        )
    )
    return StoredReferentiel(
        db_id=ref_id,
        referentiel=domain.Referentiel(
            id=code,
            title=title,
            version=version,
            common_competencies=tuple(ccs),
            specialties=specialties,
            extra=_extra(extra),
            group_extra=MappingProxyType(
                {
                    code: MappingProxyType(fields)
                    for code, fields in _extra(group_extra).items()
                    if isinstance(fields, dict)
                }
            ),
        ),
        updated_at=updated_at,
    )


@dataclass(frozen=True, slots=True)
class _CriterionRow:
    id: str
    text: str
    cc_code: str
    confidence: str | None
    extra: str


def _criteria_by_competency(executor: _Executor, ref_id: int) -> dict[int, list[_CriterionRow]]:
    criterion, cc_model = models.Criterion, models.CommonCompetency
    by_competency: dict[int, list[_CriterionRow]] = defaultdict(list)
    for competency_id, code, text, cc_code, confidence, extra in executor.execute(
        select(
            criterion.competency_id,
            criterion.code,
            criterion.text,
            cc_model.code,
            criterion.confidence,
            criterion.extra,
        )
        .join(cc_model, cc_model.id == criterion.common_competency_id)
        .where(cc_model.referentiel_id == ref_id)
        .order_by(criterion.competency_id, criterion.position, criterion.id)
    ):
        by_competency[competency_id].append(_CriterionRow(code, text, cc_code, confidence, extra))
    return by_competency


def _extra(text: str | None) -> MappingProxyType[str, Any]:
    try:
        value = json.loads(text or "{}")
    except ValueError:
        value = {}
    return MappingProxyType(value if isinstance(value, dict) else {})
