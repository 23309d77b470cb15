"""Insert many rows at once: COPY on PostgreSQL, batched executemany on SQLite.

psycopg's executemany still sends one INSERT per row; COPY on the session's own
connection (same transaction, so all or nothing still holds) is about ten times
faster for the big batches of the demo and of the results import. SQLite's
executemany is already a prepared statement run in a loop, its raw floor.
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
    session: Session, table: Table, rows: Sequence[dict[str, Any]], *, chunk: int = CHUNK
) -> None:
    """Insert `rows` (dicts with the same keys) into `table`, in the session's transaction."""
    if not rows:
        return
    if len(rows) >= COPY_THRESHOLD and session.get_bind().dialect.name == "postgresql":
        _copy(session, table, rows)
        return
    for start in range(0, len(rows), chunk):
        session.execute(insert(table), list(rows[start : start + chunk]))


def _copy(session: Session, table: Table, rows: Sequence[dict[str, Any]]) -> None:
    columns = list(rows[0])
    unknown = [name for name in columns if name not in table.c]
    if unknown:  # never build SQL from a name the table does not have
        raise KeyError(f"{table.name}: unknown columns {unknown}")
    names_sql = ", ".join(f'"{column}"' for column in columns)
    driver_connection = session.connection().connection.driver_connection
    assert driver_connection is not None
    with (
        driver_connection.cursor() as cursor,
        cursor.copy(f'COPY "{table.name}" ({names_sql}) FROM STDIN') as copy,
    ):
        for row in rows:
            copy.write_row([row[column] for column in columns])
