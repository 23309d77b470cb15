"""Raw database failures met while reading (file gone, table missing, server away) → French.

The UI only ever receives a `DatabaseError` with a message it can show as is; the
SQLAlchemy exception stays attached as its cause, for the log.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Concatenate, ParamSpec, Protocol, TypeVar

from sqlalchemy.exc import DBAPIError, IntegrityError

from livret.services.database import Database
from livret.storage.engine import describe_connection_error

P = ParamSpec("P")
R = TypeVar("R")


class _ReadsDatabase(Protocol):
    _database: Database


S = TypeVar("S", bound=_ReadsDatabase)


@contextmanager
def database_errors(database: Database) -> Iterator[None]:
    """Turn a DBAPI failure inside the block into a French DatabaseError.

    An IntegrityError is not a broken database but a refused write: it goes on as is.
    """
    try:
        yield
    except IntegrityError:
        raise
    except DBAPIError as exc:
        raise describe_connection_error(database.location, exc, opening=False) from exc


def reads_database(method: Callable[Concatenate[S, P], R]) -> Callable[Concatenate[S, P], R]:
    """Decorate a service method that reads `self._database`, as `database_errors` does."""

    @functools.wraps(method)
    def wrapper(self: S, /, *args: P.args, **kwargs: P.kwargs) -> R:
        with database_errors(self._database):
            return method(self, *args, **kwargs)

    return wrapper
