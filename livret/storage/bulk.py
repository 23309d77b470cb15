"""Insert many rows at once: COPY on PostgreSQL, the driver's executemany on SQLite.

psycopg's executemany still sends one INSERT per row; COPY on the session's own
connection (same transaction, so all or nothing still holds) is about ten times
faster for the big batches of the demo and of the results import. On SQLite a big
batch goes straight to sqlite3's executemany (one prepared statement run in a loop,
its raw floor) on the session's connection, without SQLAlchemy's per-row work.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

COPY_THRESHOLD = 1_000
"""PostgreSQL: batches at least this big go through COPY."""
CHUNK = 20_000
"""Rows per executemany call otherwise (bounds the memory of one call)."""


def bulk_insert(
    session: Session,
    table: Table,
    rows: Sequence[dict[str, Any]],
    *,
    chunk: int = CHUNK,
    plain_values: bool = False,
) -> None:
    """Insert `rows` (dicts with the same keys) into `table`, in the session's transaction.

    `plain_values`: every value is an int, a str or None, which sqlite3 stores exactly
    as SQLAlchemy would (no date or boolean to convert): SQLite may then skip SQLAlchemy.
    """
    if not rows:
        return
    dialect = session.get_bind().dialect.name
    if len(rows) >= COPY_THRESHOLD and dialect == "postgresql":
        _copy(session, table, rows)
        return
    if plain_values and len(rows) >= COPY_THRESHOLD and dialect == "sqlite":
        _executemany(session, table, rows, chunk)
        return
    for start in range(0, len(rows), chunk):
        session.execute(insert(table), list(rows[start : start + chunk]))


def _columns(table: Table, rows: Sequence[dict[str, Any]]) -> list[str]:
    columns = list(rows[0])
    unknown = [name for name in columns if name not in table.c]
    if unknown:  # never build SQL from a name the table does not have
        raise KeyError(f"{table.name}: unknown columns {unknown}")
    return columns


def _executemany(
    session: Session, table: Table, rows: Sequence[dict[str, Any]], chunk: int
) -> None:
    """sqlite3's own executemany of one prepared INSERT, on the session's connection
    (its transaction): SQLAlchemy's executemany costs as much again in Python per row."""
    columns = _columns(table, rows)
    names_sql = ", ".join(f'"{column}"' for column in columns)
    marks = ", ".join("?" for _ in columns)
    sql = f'INSERT INTO "{table.name}" ({names_sql}) VALUES ({marks})'
    cursor = session.connection().connection.cursor()
    try:
        for start in range(0, len(rows), chunk):
            cursor.executemany(
                sql,
                [tuple(row[column] for column in columns) for row in rows[start : start + chunk]],
            )
    finally:
        cursor.close()


def _copy(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    columns = _columns(table, rows)
    names_sql = ", ".join(f'"{column}"' for column in columns)
    driver_connection = session.connection().connection.driver_connection
    assert driver_connection is not None
    with (
        driver_connection.cursor() as cursor,
        cursor.copy(f'COPY "{table.name}" ({names_sql}) FROM STDIN') as copy,
    ):
        for row in rows:
            copy.write_row([row[column] for column in columns])
