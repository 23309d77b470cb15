"""Note, inside a service's transaction, what it changed, for the other open apps to refresh."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from livret.domain.changes import Change
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


class ChangeFeed:
    """The changes other apps (other Database objects) committed, read without blocking.

    The UI polls it on a timer; this app's own changes are left out (its views
    refresh from the service calls' results).
    """

    def __init__(self, database: Database) -> None:
        self._origin = database.origin
        self._watcher = changes.ChangeWatcher(database.engine)

    def poll(self) -> list[Change]:
        return [change for change in self._watcher.poll() if change.origin != self._origin]

    def close(self) -> None:
        self._watcher.close()
