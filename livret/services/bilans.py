"""Write the learner's draft bilan: positionings set from the dashboard."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from livret.domain.errors import ConflictError, FinalBilanError, NotFound, PermissionDenied
from livret.domain.levels import Level, parse_level
from livret.domain.roles import Actor
from livret.services.database import Database
from livret.storage import guards, models


@dataclass(frozen=True, slots=True)
class PositioningSaved:
    """What set_positioning changed: the draft (maybe just created) and the stored level."""

    bilan_id: int
    bilan_version: int
    common_competency_id: int
    level: str
    created_draft: bool


class BilanService:
    """Use cases on bilans; each call is one transaction."""

    def __init__(self, database: Database, actor: Actor) -> None:
        self._database = database
        self._actor = actor

    def set_positioning(
        self, learner_id: int, common_competency_id: int, level: Level | str
    ) -> PositioningSaved:
        """Store the learner's current positioning on one CC in their draft bilan.

        The draft is created when the learner has none (at most one per learner).
        Choosing NE removes the positioning: it is "not set" again.
        """
        if not self._actor.may_position:
            raise PermissionDenied("Seuls les enseignants et le DDFPT positionnent les apprenants.")
        chosen = parse_level(str(level))
        try:
            with self._database.transaction() as session:
                return self._set_positioning(session, learner_id, common_competency_id, chosen)
        except IntegrityError as exc:
            if guards.is_final_bilan_refusal(exc):
                raise FinalBilanError(
                    "Ce bilan est définitif : il ne peut plus être modifié."
                ) from None
            raise ConflictError(
                "Le bilan de cet apprenant vient d'être modifié ailleurs : "
                "rechargez le tableau de bord puis recommencez."
            ) from None

    def _set_positioning(
        self, session: Session, learner_id: int, cc_id: int, level: Level
    ) -> PositioningSaved:
        if session.get(models.Learner, learner_id) is None:
            raise NotFound(f"Apprenant introuvable (n° {learner_id}).")
        if session.get(models.CommonCompetency, cc_id) is None:
            raise NotFound(f"Compétence commune introuvable (n° {cc_id}).")
        draft = session.scalars(
            select(models.Bilan).where(
                models.Bilan.learner_id == learner_id, models.Bilan.status == "draft"
            )
        ).one_or_none()
        created = draft is None
        if draft is None:
            draft = models.Bilan(
                learner_id=learner_id,
                class_id=_current_class_id(session, learner_id),
                status="draft",
                bilan_date=dt.date.today(),
                author_id=self._actor.user_id,
            )
            session.add(draft)
            session.flush()
            _audit(
                session, self._actor, "bilan_draft_created", draft.id, "depuis le tableau de bord"
            )
        where = (models.Positioning.bilan_id == draft.id) & (
            models.Positioning.common_competency_id == cc_id
        )
        if level is Level.NE:
            session.execute(delete(models.Positioning).where(where))
        elif session.scalar(select(models.Positioning.id).where(where)) is None:
            session.execute(
                insert(models.Positioning).values(
                    bilan_id=draft.id, common_competency_id=cc_id, level=level.value
                )
            )
        else:
            session.execute(update(models.Positioning).where(where).values(level=level.value))
        # Touching the draft bumps its version: an editor open elsewhere sees the change.
        draft.updated_at = dt.datetime.now()
        session.flush()
        return PositioningSaved(draft.id, draft.version, cc_id, level.value, created)


def _current_class_id(session: Session, learner_id: int) -> int | None:
    return session.scalar(
        select(models.Enrolment.class_id)
        .join(models.SchoolYear, models.SchoolYear.id == models.Enrolment.school_year_id)
        .where(models.Enrolment.learner_id == learner_id)
        .order_by(models.SchoolYear.start_date.desc())
        .limit(1)
    )


def _audit(session: Session, actor: Actor, action: str, bilan_id: int, details: str) -> None:
    session.execute(
        insert(models.AuditEvent).values(
            at=func.now(),
            user_id=actor.user_id,
            actor=actor.display_name,
            action=action,
            entity="bilan",
            entity_id=bilan_id,
            details=details,
        )
    )
