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
import queue
import sqlite3
import threading
from collections.abc import Iterable
from typing import Any

from sqlalchemy import URL, Engine, delete, insert, select, text
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

    Not thread-safe: one watcher is polled from one thread (the UI's timer). On
    PostgreSQL the LISTEN connection lives in a thread of its own, so that a server
    away (a connection attempt waits up to its timeout) never freezes the window; a
    lost connection is reopened there, and the changes missed meanwhile are read back
    from the change_event table, so none is lost.
    """

    def __init__(self, engine: Engine) -> None:
        self._engine = engine
        self._postgresql = engine.dialect.name == "postgresql"
        self._sqlite: sqlite3.Connection | None = None
        self._listener: _Listener | None = None
        self._catch_up = False
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

    # -- PostgreSQL: a thread LISTENs on a connection of its own; poll drains its queue

    def _poll_postgresql(self) -> list[Change]:
        if self._listener is None:
            self._listener = _Listener(self._engine.url.set(drivername="postgresql"))
            self._listener.start()
        changes: list[Change] = []
        for item in self._listener.drain():
            if item == _RECONNECTED:
                self._catch_up = True
            elif (change := _from_payload(item)) is not None and change.id > self._last_id:
                changes.append(change)
        if self._catch_up:
            # What was committed while no one listened is in the table.
            try:
                missed = self._read_after()
            except SQLAlchemyError:
                return changes  # still catching up: the next poll reads the table again
            self._catch_up = False
            known = {change.id for change in changes}
            changes = sorted(
                [*changes, *(c for c in missed if c.id not in known)], key=lambda c: c.id
            )
        return changes

    def close(self) -> None:
        if self._listener is not None:
            self._listener.stop()
            self._listener = None
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None


_RECONNECTED = "\x00reconnected"  # never a payload of ours (JSON starts with "{")
RETRY_S = 2.0


class _Listener(threading.Thread):
    """LISTEN on a connection of its own, payloads queued; reconnects when it is lost.

    After every (re)connection it queues _RECONNECTED first: the watcher then reads the
    change table for what was committed while nobody listened.
    """

    def __init__(self, url: URL) -> None:
        super().__init__(name="livret-listen", daemon=True)
        self._address = url.render_as_string(hide_password=False)
        self._queue: queue.SimpleQueue[str] = queue.SimpleQueue()
        self._stopping = threading.Event()

    def run(self) -> None:
        import psycopg  # a server's listener only: a SQLite file never loads the driver

        while not self._stopping.is_set():
            try:
                with psycopg.connect(self._address, autocommit=True, connect_timeout=5) as conn:
                    conn.execute(f"LISTEN {CHANNEL}")
                    self._queue.put(_RECONNECTED)
                    while not self._stopping.is_set():
                        for notify in conn.notifies(timeout=0.5):
                            self._queue.put(notify.payload)
            except psycopg.Error:
                self._stopping.wait(RETRY_S)  # the server is away: try again shortly

    def drain(self) -> list[str]:
        found: list[str] = []
        with contextlib.suppress(queue.Empty):
            while True:
                found.append(self._queue.get_nowait())
        return found

    def stop(self) -> None:
        self._stopping.set()
        self.join(timeout=2.0)
