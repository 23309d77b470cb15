"""Write one audit event: who (the account, its name at the time), what, on which record.

The journal is tamper-evident (storage.audit_chain): the event is chained — its
`prev_hash`, `personal_hash` and `hash` written — when the transaction commits, after
the other events of the same transaction; on PostgreSQL the first audit insert of a
transaction takes an advisory lock so that concurrent writers chain one after the
other. Once committed, the event can be neither changed nor deleted (storage.guards),
but for the RGPD erasure's redaction.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import insert
from sqlalchemy.orm import Session

from livret.domain.roles import Actor
from livret.storage import models


def record(
    session: Session,
    actor: Actor | None,
    action: str,
    entity: str,
    entity_id: int | None,
    details: str = "",
    *,
    at: dt.datetime | None = None,
    actor_label: str | None = None,
    session_user_id: int | None = None,
) -> None:
    """Insert the event in the caller's transaction (so it commits, chained, or rolls back
    with it).

    Local time from Python, like the records' own timestamps (SQLite's
    CURRENT_TIMESTAMP is UTC). `actor_label` names an actor who is not logged in (a
    failed login); `session_user_id` the user at the computer when `actor` is someone
    else who authorised the action (the countersigning DDFPT).
    """
    session.execute(
        insert(models.AuditEvent).values(
            at=at if at is not None else dt.datetime.now(),
            user_id=actor.user_id if actor is not None else None,
            actor=actor_label if actor_label is not None else (actor.display_name if actor else ""),
            action=action,
            entity=entity,
            entity_id=entity_id,
            details=details,
            session_user_id=session_user_id,
        )
    )
