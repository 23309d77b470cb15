"""The bilan each learner of a class shows on the day of a conseil, in two queries.

Applies the one rule of livret.domain.bilan_choice to every learner enrolled in a
class: the class PDF, the marks and the conseil de classe view call `class_choices`
and therefore agree on every learner. Learners come in French alphabetical order.
No permission check here: the calling service checks its own action.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from livret.domain.bilan_choice import BilanChoice, BilanHead, choose_bilan
from livret.services.dto import LearnerSummary, sort_key
from livret.storage import models


@dataclass(frozen=True, slots=True)
class LearnerChoice:
    learner: LearnerSummary
    choice: BilanChoice


def class_choices(
    connection: Connection | Session,
    class_id: int,
    on: dt.date,
    *,
    include_drafts: bool = False,
) -> list[LearnerChoice]:
    """Each enrolled learner of the class and the bilan standing for them on `on`.

    Two queries whatever the size of the class (one for a class without learners); works
    inside a service's snapshot (Connection) or transaction (Session).
    """
    learner, enrolment, bilan = models.Learner, models.Enrolment, models.Bilan
    rows = connection.execute(
        select(learner.id, learner.ine, learner.family_name, learner.first_name, learner.left_on)
        .join(enrolment, enrolment.learner_id == learner.id)
        .where(enrolment.class_id == class_id)
    ).all()
    learners = sorted(
        (LearnerSummary(*row) for row in rows),
        key=lambda s: (sort_key(s.family_name), sort_key(s.first_name), s.id),
    )
    heads: dict[int, list[BilanHead]] = {}
    if learners:
        members = select(enrolment.learner_id).where(enrolment.class_id == class_id)
        for bilan_id, learner_id, bilan_date, status in connection.execute(
            select(bilan.id, bilan.learner_id, bilan.bilan_date, bilan.status).where(
                bilan.learner_id.in_(members)
            )
        ):
            heads.setdefault(learner_id, []).append(BilanHead(bilan_id, bilan_date, status))
    return [
        LearnerChoice(s, choose_bilan(heads.get(s.id, ()), on, include_drafts=include_drafts))
        for s in learners
    ]
