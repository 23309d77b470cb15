"""Note, inside a service's transaction, what it changed, for the other open apps to refresh."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from livret.domain.roles import Actor
from livret.services.database import Database
from livret.storage import changes


def note_change(
    session: Session,
    database: Database,
    actor: Actor,
    kind: str,
    *,
    learner_ids: Iterable[int] = (),
    class_ids: Iterable[int] = (),
    bilan_id: int | None = None,
) -> None:
    """Record `kind` (e.g. "evaluation", "bilan_final") for the learners and classes it touches."""
    changes.record(
        session,
        origin=database.origin,
        actor=actor.display_name,
        kind=kind,
        learner_ids=learner_ids,
        class_ids=class_ids,
        bilan_id=bilan_id,
    )
