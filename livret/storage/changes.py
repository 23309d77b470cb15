"""Tell other open apps what a transaction changed: a change_event row, and NOTIFY on PostgreSQL.

A writing service calls `record` inside its transaction, so the change is seen only
if it commits (PostgreSQL delivers a NOTIFY at commit, never for a rollback). A
`ChangeWatcher` in each app reads the changes made by the others: on PostgreSQL it
LISTENs on a connection of its own; on SQLite it checks `PRAGMA data_version` (a
counter that moves when another connection commits) and only then reads the table.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterable
from typing import Any

import psycopg
from sqlalchemy import Engine, delete, insert, select, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from livret.domain.changes import Change
from livret.storage import models

CHANNEL = "livret_changes"
KEEP_EVENTS = 2000  # older rows are pruned: a watcher only needs the recent ones
# NOTIFY payloads are limited to 8 000 bytes: a bigger change names its classes only.
MAX_LEARNER_IDS = 400


def _ids_text(ids: Iterable[int]) -> str:
    return ",".join(str(i) for i in sorted(set(ids)))


def _ids(text_value: str) -> frozenset[int]:
    return frozenset(int(part) for part in text_value.split(",") if part)


def record(
    session: Session,
    *,
    origin: str,
    actor: str,
    kind: str,
    learner_ids: Iterable[int] = (),
    class_ids: Iterable[int] = (),
    bilan_id: int | None = None,
) -> None:
    """Note a change in the current transaction (a row, and a NOTIFY on PostgreSQL)."""
    learners = sorted(set(learner_ids))
    if len(learners) > MAX_LEARNER_IDS:
        learners = []  # the classes say enough (or, with none, everything is reloaded)
    values = {
        "origin": origin,
        "actor": actor[:200],
        "kind": kind,
        "learner_ids": _ids_text(learners),
        "class_ids": _ids_text(class_ids),
        "bilan_id": bilan_id,
    }
    change_id = session.scalar(
        insert(models.ChangeEvent).values(**values).returning(models.ChangeEvent.id)
    )
    assert change_id is not None
    session.execute(
        delete(models.ChangeEvent).where(models.ChangeEvent.id <= change_id - KEEP_EVENTS)
    )
    if session.get_bind().dialect.name == "postgresql":
        payload = json.dumps({"id": change_id, **values}, separators=(",", ":"))
        session.execute(
            text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload}
        )


def _from_row(row: Any) -> Change:
    return Change(
        id=int(row.id),
        origin=row.origin,
        actor=row.actor,
        kind=row.kind,
        learner_ids=_ids(row.learner_ids),
        class_ids=_ids(row.class_ids),
        bilan_id=row.bilan_id,
    )


def _from_payload(payload: str) -> Change | None:
    try:
        data = json.loads(payload)
        return Change(
            id=int(data["id"]),
            origin=str(data["origin"]),
            actor=str(data["actor"]),
            kind=str(data["kind"]),
            learner_ids=_ids(str(data["learner_ids"])),
            class_ids=_ids(str(data["class_ids"])),
            bilan_id=int(data["bilan_id"]) if data.get("bilan_id") is not None else None,
        )
    except (ValueError, KeyError, TypeError):
        return None  # not ours: another program may use the channel


_SELECT_AFTER = select(
    models.ChangeEvent.id,
    models.ChangeEvent.origin,
    models.ChangeEvent.actor,
    models.ChangeEvent.kind,
    models.ChangeEvent.learner_ids,
    models.ChangeEvent.class_ids,
    models.ChangeEvent.bilan_id,
).order_by(models.ChangeEvent.id)


class ChangeWatcher:
    """Reads, without blocking, the changes committed since the last call to `poll`.

    Not thread-safe: one watcher is polled from one thread (the UI's timer).
    A lost connection is reopened at a later poll; the changes missed meanwhile are
    read back from the change_event table, so none is lost.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._postgresql = engine.dialect.name == "postgresql"
        self._sqlite: sqlite3.Connection | None = None
        self._listener: psycopg.Connection[Any] | None = None
        self._data_version: int | None = None
        self._last_id = self._max_id()

    def _max_id(self) -> int:
        with self._engine.connect() as connection:
            found = connection.scalar(
                select(models.ChangeEvent.id).order_by(models.ChangeEvent.id.desc()).limit(1)
            )
        return int(found or 0)

    def _read_after(self) -> list[Change]:
        with self._engine.connect() as connection:
            rows = connection.execute(
                _SELECT_AFTER.where(models.ChangeEvent.id > self._last_id)
            ).all()
        return [_from_row(row) for row in rows]

    def poll(self) -> list[Change]:
        """The changes committed by anyone since the last poll, oldest first."""
        changes = self._poll_postgresql() if self._postgresql else self._poll_sqlite()
        if changes:
            self._last_id = max(self._last_id, max(change.id for change in changes))
        return changes

    # -- SQLite: a counter read on a connection of our own, the table only when it moved

    def _poll_sqlite(self) -> list[Change]:
        try:
            if self._sqlite is None:
                database = self._engine.url.database
                assert database is not None
                # Only ever reads; autocommit, so it holds no snapshot between polls.
                self._sqlite = sqlite3.connect(database, isolation_level=None)
            version = int(self._sqlite.execute("PRAGMA data_version").fetchone()[0])
            if version == self._data_version:
                return []
            changes = self._read_after()
        except (sqlite3.Error, SQLAlchemyError):
            return []  # the file is busy or away: the next poll tries again
        self._data_version = version
        return changes

    # -- PostgreSQL: LISTEN on a connection of our own, autocommit

    def _connect_listener(self) -> psycopg.Connection[Any]:
        url = self._engine.url.set(drivername="postgresql")
        connection = psycopg.connect(
            url.render_as_string(hide_password=False), autocommit=True, connect_timeout=5
        )
        connection.execute(f"LISTEN {CHANNEL}")
        return connection

    def _poll_postgresql(self) -> list[Change]:
        reconnected = False
        if self._listener is None or self._listener.closed:
            try:
                self._listener = self._connect_listener()
            except psycopg.Error:
                return []  # the server is away: try again at the next poll
            reconnected = True
        changes: list[Change] = []
        try:
            for notify in self._listener.notifies(timeout=0):
                change = _from_payload(notify.payload)
                if change is not None and change.id > self._last_id:
                    changes.append(change)
        except psycopg.Error:
            self._close_listener()
            return []
        if reconnected:
            # What was committed while no one listened is in the table.
            try:
                missed = self._read_after()
            except SQLAlchemyError:  # the next poll retries
                return changes
            known = {change.id for change in changes}
            changes = sorted(
                [*changes, *(c for c in missed if c.id not in known)], key=lambda c: c.id
            )
        return changes

    def _close_listener(self) -> None:
        if self._listener is not None:
            with contextlib.suppress(psycopg.Error):
                self._listener.close()
            self._listener = None

    def close(self) -> None:
        self._close_listener()
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
