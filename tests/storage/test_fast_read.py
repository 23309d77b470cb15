"""storage.fast_read: the driver's rows, typed as SQLAlchemy would give them."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, bindparam, select
from sqlalchemy.exc import DBAPIError

from livret.services.database import Database
from livret.storage import models
from livret.storage.fast_read import fetch_rows

_year = models.SchoolYear
_YEARS = (
    select(_year.id, _year.label, _year.start_date, _year.end_date)
    .where(_year.id >= bindparam("first", type_=Integer))
    .order_by(_year.start_date)
    .limit(2)
)


def test_rows_are_those_of_sqlalchemy_with_dates_as_dates(demo_database: Database) -> None:
    with demo_database.snapshot() as connection:
        expected = [tuple(row) for row in connection.execute(_YEARS, {"first": 0})]
        rows = fetch_rows(connection, _YEARS, {"first": 0})
    assert rows == expected
    assert len(rows) == 2  # the statement's own LIMIT is bound too
    assert all(isinstance(row[2], dt.date) for row in rows)


def test_a_parameter_filters_as_bound(demo_database: Database) -> None:
    with demo_database.snapshot() as connection:
        every = fetch_rows(connection, _YEARS, {"first": 0})
        later = fetch_rows(connection, _YEARS, {"first": every[1][0]})
    assert later[0] == every[1]


def test_a_driver_error_is_sqlalchemys_as_for_any_query(database: Database) -> None:
    missing = Table("no_such_table", MetaData(), Column("id", Integer))
    with database.snapshot() as connection, pytest.raises(DBAPIError) as raised:
        fetch_rows(connection, select(missing.c.id), {})
    assert "no_such_table" in str(raised.value)
