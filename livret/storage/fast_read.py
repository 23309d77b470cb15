"""Read many rows at the driver's own pace: a compiled Core select, run on the DB-API cursor.

SQLAlchemy's result machinery (a Row per row, a processor call per value) costs
about as much as the query itself for the learner dashboard's thousand result rows.
`fetch_rows` compiles each statement once per dialect, binds the parameters in the
driver's own style, runs it on the connection's cursor (same transaction, same
snapshot) and converts only the columns whose type needs it (dates on SQLite), so
the rows come back as plain tuples almost at the speed of a bare sqlite3/psycopg
fetch. For read-only statements only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import Connection, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError


@dataclass(frozen=True, slots=True)
class _Prepared:
    sql: str
    positional: tuple[str, ...] | None
    """Parameter names in order for a positional driver (sqlite3); None: named (psycopg)."""
    defaults: Mapping[str, Any]
    """The values the statement binds itself (a LIMIT's, say)."""
    converters: tuple[tuple[int, Callable[[Any], Any]], ...]
    """(column index, processor) for the columns whose raw value is not the Python one."""


_prepared: dict[tuple[int, str], tuple[Select[*tuple[Any, ...]], _Prepared]] = {}


def fetch_rows(
    connection: Connection,
    statement: Select[*tuple[Any, ...]],
    parameters: Mapping[str, Any],
) -> list[tuple[Any, ...]]:
    """All rows of `statement` (bound with `parameters`) as tuples of Python values."""
    prepared = _prepare(statement, connection.dialect)
    values = {**prepared.defaults, **parameters}
    bound: Sequence[Any] | Mapping[str, Any]
    if prepared.positional is not None:
        bound = tuple(values[name] for name in prepared.positional)
    else:
        bound = values
    dialect = connection.dialect
    cursor = connection.connection.cursor()
    try:
        cursor.execute(prepared.sql, bound)
        rows = cast(list[tuple[Any, ...]], cursor.fetchall())
    except dialect.loaded_dbapi.Error as exc:  # as SQLAlchemy itself raises it
        raise DBAPIError.instance(
            prepared.sql, bound, exc, dialect.loaded_dbapi.Error, dialect=dialect
        ) from exc
    finally:
        cursor.close()
    if not prepared.converters:
        return rows
    converters = prepared.converters
    converted = []
    for row in rows:
        cells = list(row)
        for index, convert in converters:
            if cells[index] is not None:
                cells[index] = convert(cells[index])
        converted.append(tuple(cells))
    return converted


def _prepare(statement: Select[*tuple[Any, ...]], dialect: Dialect) -> _Prepared:
    key = (id(statement), dialect.name)
    cached = _prepared.get(key)
    if cached is not None and cached[0] is statement:
        return cached[1]
    compiled = statement.compile(dialect=dialect)
    converters = []
    for index, column in enumerate(statement.selected_columns):
        processor = column.type.dialect_impl(dialect).result_processor(dialect, None)
        if processor is not None:
            converters.append((index, processor))
    positional = tuple(compiled.positiontup or ()) if dialect.positional else None
    defaults = {name: value for name, value in compiled.params.items() if value is not None}
    prepared = _Prepared(compiled.string, positional, defaults, tuple(converters))
    # The statement is kept with its entry, so its id cannot be reused by another one.
    _prepared[key] = (statement, prepared)
    return prepared
