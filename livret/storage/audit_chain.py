"""The tamper-evident audit log and final-bilan fingerprints: hashing, sealing, verifying.

Each audit event carries `personal_hash` (sha256 of its original personal columns:
actor, user_id, entity_id, session_user_id, details), `prev_hash` (the `hash` of the
event before it by id) and `hash` = sha256(prev_hash, at, action, entity,
personal_hash). The chain covers a hash of the personal columns rather than the
columns themselves, so that the RGPD erasure, which blanks them (the one change the
audit guard lets through, see storage.guards), leaves the chain verifiable: a row whose
personal columns no longer match `personal_hash` must show the erasure's marks.

Events are sealed (their three hashes written) at the commit of the transaction that
inserted them: a session listener notes each INSERT into audit_event, takes a
transaction-scoped advisory lock on PostgreSQL (so concurrent writers chain one after
the other; on SQLite the write lock already serializes them), and seals every
unsealed event after the last sealed one just before COMMIT. The guard allows that
one UPDATE of a row whose `hash` is still NULL; a committed row left unsealed (written
by raw SQL) is reported by `livret db check`.

A final bilan stores `cc_snapshot` (the common competencies — id, code, title — in
référentiel order when it was finalized: the sheet and the PDF show these titles) and
`content_hash` (sha256 of its learner, status, date, texts and positionings with CC
codes and titles).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Table, bindparam, event, select, text, update
from sqlalchemy.orm import ORMExecuteState, Session
from sqlalchemy.sql.dml import Insert

from livret.storage import guards, models

GENESIS = "0" * 64
"""The `prev_hash` of the first event."""
ERASED_NAME = guards.ERASED_NAME
ERASED_DETAILS = guards.ERASED_DETAILS
ERASED_ACTION = "learner_erased"
_LOCK_KEY = 0x4C495652  # "LIVR": the advisory lock serializing audit writers on PostgreSQL
_PENDING = "livret_audit_pending"

Executor = Session | Connection


def _digest(value: Any) -> str:
    data = json.dumps(value, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


def _timestamp(at: dt.datetime | str | None) -> str:
    if isinstance(at, str):
        at = dt.datetime.fromisoformat(at)
    return "" if at is None else at.isoformat(sep=" ", timespec="microseconds")


def personal_hash(
    actor: str | None,
    user_id: int | None,
    entity_id: int | None,
    session_user_id: int | None,
    details: str | None,
) -> str:
    return _digest([actor or "", user_id, entity_id, session_user_id, details or ""])


def event_hash(
    prev_hash: str, at: dt.datetime | str | None, action: str, entity: str, personal: str
) -> str:
    return _digest([prev_hash, _timestamp(at), action, entity, personal])


_event = models.AuditEvent
_FIELDS = (
    _event.id,
    _event.at,
    _event.action,
    _event.entity,
    _event.actor,
    _event.user_id,
    _event.entity_id,
    _event.session_user_id,
    _event.details,
)


def seal(executor: Executor) -> int:
    """Write the hashes of the unsealed events that follow the last sealed one; their count.

    Call inside the writing transaction (on PostgreSQL after `lock`).
    """
    last = executor.execute(
        select(_event.id, _event.hash)
        .where(_event.hash.is_not(None))
        .order_by(_event.id.desc())
        .limit(1)
    ).first()
    last_id, previous = (last.id, last.hash) if last is not None else (0, GENESIS)
    rows = executor.execute(
        select(*_FIELDS).where(_event.id > last_id, _event.hash.is_(None)).order_by(_event.id)
    ).all()
    sealed: list[dict[str, Any]] = []
    for row in rows:
        personal = personal_hash(
            row.actor, row.user_id, row.entity_id, row.session_user_id, row.details
        )
        current = event_hash(previous, row.at, row.action, row.entity, personal)
        sealed.append(
            {"row_id": row.id, "p_prev": previous, "p_personal": personal, "p_hash": current}
        )
        previous = current
    if sealed:
        table = cast(Table, _event.__table__)
        executor.execute(
            update(table)
            .where(table.c.id == bindparam("row_id"))
            .values(
                prev_hash=bindparam("p_prev"),
                personal_hash=bindparam("p_personal"),
                hash=bindparam("p_hash"),
            ),
            sealed,
        )
    return len(sealed)


def lock(executor: Executor) -> None:
    """Serialize the audit writers of a PostgreSQL database until the transaction ends."""
    bind = executor.get_bind() if isinstance(executor, Session) else executor
    if bind.dialect.name == "postgresql":
        executor.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


@event.listens_for(Session, "do_orm_execute")
def _on_execute(state: ORMExecuteState) -> None:
    statement = state.statement
    if not isinstance(statement, Insert) or getattr(statement.table, "name", None) != (
        "audit_event"
    ):
        return
    session = state.session
    if not session.info.get(_PENDING):
        session.info[_PENDING] = True
        lock(session)


@event.listens_for(Session, "before_commit")
def _on_commit(session: Session) -> None:
    if session.info.pop(_PENDING, False):
        seal(session)


@event.listens_for(Session, "after_rollback")
def _on_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


# -- verification ----------------------------------------------------------------------


def _redacted(row: Any) -> bool:
    """Whether the personal columns show the marks the RGPD erasure leaves."""
    details = row.details or ""
    return (
        details == ERASED_DETAILS
        or ERASED_NAME in details
        or row.actor == ERASED_NAME
        or (row.entity_id is None and row.entity in ("bilan", "learner", "user"))
    )


def verify_chain(connection: Connection, *, limit: int | None = None) -> list[str]:
    """French lines for each break in the audit chain (all events, or the last `limit`)."""
    problems: list[str] = []
    query = select(*_FIELDS, _event.prev_hash, _event.personal_hash, _event.hash)
    if limit is not None:
        newest = connection.scalar(
            select(_event.id).order_by(_event.id.desc()).offset(limit).limit(1)
        )
        if newest is not None:
            query = query.where(_event.id > newest)
            previous = connection.scalar(select(_event.hash).where(_event.id == newest))
        else:
            previous = GENESIS
    else:
        previous = GENESIS
    erasures = connection.execute(
        select(_event.id).where(_event.action == ERASED_ACTION).order_by(_event.id.desc()).limit(1)
    ).scalar()
    rows = connection.execute(query.order_by(_event.id)).all()
    for row in rows:
        label = f"journal : événement n° {row.id}"
        if row.hash is None:
            problems.append(f"{label} non scellé (écrit hors de Livret)")
            previous = None
            continue
        if previous is not None and row.prev_hash != previous:
            problems.append(f"{label} : chaîne rompue (un événement précédent manque ou a changé)")
        if row.hash != event_hash(row.prev_hash, row.at, row.action, row.entity, row.personal_hash):
            problems.append(f"{label} modifié (date, action ou empreinte)")
        current = personal_hash(
            row.actor, row.user_id, row.entity_id, row.session_user_id, row.details
        )
        if current != row.personal_hash and not (
            _redacted(row) and erasures is not None and erasures > row.id
        ):
            problems.append(f"{label} modifié (auteur, objet ou détails)")
        previous = row.hash
        if len(problems) >= 50:
            problems.append("journal : … (vérification arrêtée après 50 problèmes)")
            break
    return problems


# -- final bilans -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class SnapshotEntry:
    common_competency_id: int
    code: str
    title: str


def current_snapshot(executor: Executor) -> tuple[SnapshotEntry, ...]:
    """Every common competency in référentiel order, as a final bilan records them."""
    cc = models.CommonCompetency
    return tuple(
        SnapshotEntry(cc_id, code, title)
        for cc_id, code, title in executor.execute(
            select(cc.id, cc.code, cc.title).order_by(cc.referentiel_id, cc.position)
        )
    )


def dump_snapshot(entries: Iterable[SnapshotEntry]) -> str:
    return json.dumps(
        [[e.common_competency_id, e.code, e.title] for e in entries], ensure_ascii=False
    )


def load_snapshot(stored: str | None) -> tuple[SnapshotEntry, ...] | None:
    if not stored:
        return None
    return tuple(
        SnapshotEntry(int(cc_id), code, title) for cc_id, code, title in json.loads(stored)
    )


def content_hash(
    *,
    learner_id: int,
    status: str,
    bilan_date: dt.date | str,
    constats: str | None,
    conseils: str | None,
    snapshot: Sequence[SnapshotEntry],
    levels: dict[int, str],
) -> str:
    """The fingerprint of a final bilan: what it says, on which CCs, with which titles."""
    date = bilan_date if isinstance(bilan_date, str) else bilan_date.isoformat()
    known = {entry.common_competency_id for entry in snapshot}
    positionings = [
        [entry.code, entry.title, levels.get(entry.common_competency_id, "NE")]
        for entry in snapshot
    ]
    positionings += [
        [str(cc_id), "", levels[cc_id]] for cc_id in sorted(levels) if cc_id not in known
    ]
    return _digest(
        {
            "learner_id": learner_id,
            "status": status,
            "date": date[:10],
            "constats": constats or "",
            "conseils": conseils or "",
            "positionings": positionings,
        }
    )


def levels_by_bilan(
    executor: Executor, bilan_ids: Sequence[int] | None = None
) -> dict[int, dict[int, str]]:
    table = models.Positioning
    query = select(table.bilan_id, table.common_competency_id, table.level)
    if bilan_ids is not None:
        query = query.where(table.bilan_id.in_(list(bilan_ids)))
    levels: dict[int, dict[int, str]] = {}
    for bilan_id, cc_id, level in executor.execute(query):
        levels.setdefault(bilan_id, {})[cc_id] = level
    return levels


def fingerprint_values(
    executor: Executor, bilan_ids: Sequence[int], *, status: str = "final"
) -> list[dict[str, Any]]:
    """For each bilan: the current référentiel's snapshot and the content hash it gets when
    finalized (`status`), as UPDATE parameters (`row_id`, `cc_snapshot`, `content_hash`)."""
    if not bilan_ids:
        return []
    snapshot = current_snapshot(executor)
    stored = dump_snapshot(snapshot)
    levels = levels_by_bilan(executor, bilan_ids)
    bilan = models.Bilan
    values: list[dict[str, Any]] = []
    for row in executor.execute(
        select(bilan.id, bilan.learner_id, bilan.bilan_date, bilan.constats, bilan.conseils).where(
            bilan.id.in_(list(bilan_ids))
        )
    ):
        values.append(
            {
                "row_id": row.id,
                "cc_snapshot": stored,
                "content_hash": content_hash(
                    learner_id=row.learner_id,
                    status=status,
                    bilan_date=row.bilan_date,
                    constats=row.constats,
                    conseils=row.conseils,
                    snapshot=snapshot,
                    levels=levels.get(row.id, {}),
                ),
            }
        )
    return values


def verify_final_bilans(connection: Connection, *, limit: int | None = None) -> list[str]:
    """French lines for each final bilan whose content no longer matches its fingerprint.

    `limit`: only the newest `limit` final bilans (by id), as the start-up check does
    (the whole set grows with the school's history: 1.8 s for 22 000 at region scale).
    """
    bilan = models.Bilan
    problems: list[str] = []
    query = select(
        bilan.id,
        bilan.learner_id,
        bilan.status,
        bilan.bilan_date,
        bilan.constats,
        bilan.conseils,
        bilan.cc_snapshot,
        bilan.content_hash,
    ).where(bilan.status == "final")
    if limit is not None:
        query = query.order_by(bilan.id.desc()).limit(limit)
    rows = sorted(connection.execute(query).all(), key=lambda row: row.id)
    if not rows:
        levels: dict[int, dict[int, str]] = {}
    elif limit is not None:
        levels = levels_by_bilan(connection, [row.id for row in rows])
    else:
        levels = levels_by_bilan(connection)
    for row in rows:
        snapshot = load_snapshot(row.cc_snapshot)
        if snapshot is None or row.content_hash is None:
            problems.append(f"bilan définitif n° {row.id} sans empreinte")
            continue
        expected = content_hash(
            learner_id=row.learner_id,
            status=row.status,
            bilan_date=row.bilan_date,
            constats=row.constats,
            conseils=row.conseils,
            snapshot=snapshot,
            levels=levels.get(row.id, {}),
        )
        if expected != row.content_hash:
            problems.append(
                f"bilan définitif n° {row.id} modifié depuis son enregistrement définitif"
            )
        if len(problems) >= 50:
            problems.append("bilans : … (vérification arrêtée après 50 problèmes)")
            break
    return problems


def verify_trails(connection: Connection, finalize: str, unlock: str) -> list[str]:
    """French lines for each bilan whose finalize/unlock events do not match its state.

    A final bilan has one `finalize` event more than `unlock` ones (or neither: bilans
    made before the journal, or by the demo), the last of them a finalize; a draft as
    many of each, the last an unlock.
    """
    event, bilan = models.AuditEvent, models.Bilan
    trails: dict[int, list[str]] = {}
    for entity_id, action in connection.execute(
        select(event.entity_id, event.action)
        .where(event.entity == "bilan", event.action.in_((finalize, unlock)))
        .where(event.entity_id.is_not(None))
        .order_by(event.id)
    ):
        if entity_id is not None:
            trails.setdefault(entity_id, []).append(action)
    problems: list[str] = []
    if not trails:
        return problems
    states: dict[int, str] = {
        row.id: row.status
        for row in connection.execute(
            select(bilan.id, bilan.status).where(bilan.id.in_(list(trails)))
        )
    }
    for bilan_id, actions in sorted(trails.items()):
        status = states.get(bilan_id)
        if status is None:
            continue  # deleted draft: its events stay
        finalized, unlocked = actions.count(finalize), actions.count(unlock)
        if status == "final" and (finalized != unlocked + 1 or actions[-1] != finalize):
            problems.append(
                f"bilan n° {bilan_id} définitif, mais son journal compte {finalized} "
                f"enregistrement(s) définitif(s) et {unlocked} déverrouillage(s)"
            )
        elif status == "draft" and (finalized != unlocked or actions[-1] != unlock):
            problems.append(
                f"bilan n° {bilan_id} en brouillon, mais son journal compte {finalized} "
                f"enregistrement(s) définitif(s) et {unlocked} déverrouillage(s) "
                "(retour au brouillon sans déverrouillage enregistré)"
            )
    return problems
