"""Write a parsed référentiel into the database (set-based inserts)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.orm import Session

from livret.domain import referentiel as domain
from livret.domain.errors import ValidationError
from livret.storage import models


def insert_referentiel(session: Session, ref: domain.Referentiel) -> int:
    """Insert a référentiel that the database does not hold yet; returns its id."""
    if session.scalar(select(models.Referentiel.id).where(models.Referentiel.code == ref.id)):
        raise ValidationError(f"Le référentiel « {ref.id} » est déjà dans la base.")
    ref_id = session.scalar(
        insert(models.Referentiel)
        .values(
            code=ref.id,
            title=ref.title,
            version=ref.version,
            extra=_json(ref.extra),
            group_extra=group_extra_json(ref),
            updated_at=dt.datetime.now(),
        )
        .returning(models.Referentiel.id)
    )
    assert ref_id is not None
    cc_ids: dict[str, int] = {}
    for cc in ref.common_competencies:
        cc_ids[cc.code] = _insert_id(
            session,
            models.CommonCompetency,
            referentiel_id=ref_id,
            code=cc.code,
            title=cc.title,
            group_code=cc.group_code,
            group_label=cc.group_label,
            position=cc.position,
        )
    criteria_rows: list[dict[str, object]] = []
    for specialty in ref.specialties:
        specialty_id = _insert_id(
            session,
            models.Specialty,
            referentiel_id=ref_id,
            code=specialty.code,
            title=specialty.title,
            position=specialty.position,
            extra=_json(specialty.extra),
        )
        for competency in specialty.competencies:
            competency_id = _insert_id(
                session,
                models.Competency,
                specialty_id=specialty_id,
                code=competency.code,
                title=competency.title,
                position=competency.position,
            )
            criteria_rows.extend(
                {
                    "code": criterion.id,
                    "competency_id": competency_id,
                    "common_competency_id": cc_ids[criterion.cc_code],
                    "text": criterion.text,
                    "confidence": criterion.confidence,
                    "position": criterion.position,
                    "extra": _json(criterion.extra),
                }
                for criterion in competency.criteria
            )
    if criteria_rows:
        session.execute(insert(models.Criterion), criteria_rows)
    return ref_id


def _insert_id(session: Session, model: type[models.Base], **values: object) -> int:
    table = cast(Table, model.__table__)
    new_id = session.scalar(insert(table).values(**values).returning(table.c.id))
    assert new_id is not None
    return int(new_id)


def group_extra_json(ref: domain.Referentiel) -> str:
    """The groups' kept fields as stored: JSON object, group code → fields."""
    return json.dumps(
        {code: dict(extra) for code, extra in ref.group_extra.items()}, ensure_ascii=False
    )


def _json(extra: Mapping[str, Any]) -> str:
    return json.dumps(dict(extra), ensure_ascii=False)
