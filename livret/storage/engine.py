"""Turn a --db value into an engine: path or URL, SQLite pragmas, clear French errors."""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import ConnectionPoolEntry

from livret.domain.errors import DatabaseError

APP_NAME = "Livret"
SQLITE_HEADER = b"SQLite format 3\x00"


@dataclass(frozen=True, slots=True)
class DatabaseLocation:
    """Where the data live: a SQLite file, or a server URL."""

    url: URL
    path: Path | None  # set for SQLite files only

    @property
    def is_sqlite(self) -> bool:
        return self.url.get_backend_name() == "sqlite"

    def display(self) -> str:
        """A safe text for messages (no password)."""
        return str(self.path) if self.path else self.url.render_as_string(hide_password=True)


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def default_database_path() -> Path:
    return default_data_dir() / "livret.sqlite"


def demo_database_path() -> Path:
    return default_data_dir() / "demo.sqlite"


def resolve(db: str | os.PathLike[str] | None) -> DatabaseLocation:
    """Interpret a --db value: None → the user's data folder, a path → SQLite, a URL → as given."""
    if db is None:
        directory = default_data_dir()
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        return _sqlite_location(default_database_path())
    text = os.fspath(db).strip()
    if not text:
        raise DatabaseError("Aucune base de données indiquée (--db est vide).")
    if "://" in text:
        try:
            url = make_url(text)
        except ArgumentError:
            raise DatabaseError(f"Adresse de base de données invalide : « {text} ».") from None
        if url.get_backend_name() == "sqlite":
            if not url.database or url.database == ":memory:":
                raise DatabaseError("Une base SQLite en mémoire ne peut pas être utilisée.")
            return _sqlite_location(Path(url.database))
        if url.drivername == "postgres":  # the short scheme many hosts print
            url = url.set(drivername="postgresql+psycopg")
        if url.get_backend_name() == "postgresql" and url.get_driver_name() != "psycopg":
            url = url.set(drivername="postgresql+psycopg")
        return DatabaseLocation(url=url, path=None)
    return _sqlite_location(Path(text))


def _sqlite_location(path: Path) -> DatabaseLocation:
    path = path.expanduser().absolute()
    if path.is_dir():
        raise DatabaseError(f"« {path} » est un dossier, pas un fichier de base de données.")
    if not path.parent.is_dir():
        raise DatabaseError(f"Le dossier « {path.parent} » n'existe pas.")
    url = URL.create("sqlite+pysqlite", database=str(path))
    return DatabaseLocation(url=url, path=path)


def check_sqlite_file(path: Path) -> None:
    """Refuse, before any connection, a file that exists but is not a SQLite database."""
    if not path.exists():
        return
    try:
        with path.open("rb") as handle:
            header = handle.read(len(SQLITE_HEADER))
    except OSError as exc:
        raise DatabaseError(f"Impossible de lire « {path} » : {exc.strerror}.") from None
    if header and header != SQLITE_HEADER:
        raise DatabaseError(
            f"« {path} » n'est pas une base de données Livret (fichier d'un autre type)."
        )


def create_sqlite_file(path: Path) -> None:
    """Create an empty database file readable by its owner only (data about minors)."""
    if path.exists():
        return
    try:
        fd = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    except FileExistsError:
        return
    except OSError as exc:
        raise DatabaseError(f"Impossible de créer « {path} » : {exc.strerror}.") from None
    os.close(fd)


def _set_sqlite_pragmas(dbapi_connection: Any, _record: ConnectionPoolEntry) -> None:
    # The sqlite3 module's own transaction handling commits DDL behind our back and
    # never begins before a SELECT; SQLAlchemy emits BEGIN itself (see _begin_sqlite),
    # so that a migration is atomic and a multi-query read sees one snapshot.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys=ON")
        # INSERT OR REPLACE must fire the delete guards of final bilans.
        cursor.execute("PRAGMA recursive_triggers=ON")
        cursor.execute("PRAGMA journal_mode=WAL")
        # Marks and bilans are precious: survive a power cut, not only a crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA busy_timeout=5000")
    finally:
        cursor.close()


def _begin_sqlite(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def make_engine(location: DatabaseLocation, *, create: bool = False) -> Engine:
    """An engine for the location; SQLite files are checked (and created if asked) first."""
    if location.path is not None:
        check_sqlite_file(location.path)
        if create:
            create_sqlite_file(location.path)
        elif not location.path.exists():
            raise DatabaseError(
                f"La base « {location.path} » n'existe pas (créez-la avec « livret db init »)."
            )
    kwargs: dict[str, Any] = {}
    if location.is_sqlite:
        kwargs["connect_args"] = {"timeout": 5}
    else:
        kwargs["connect_args"] = {"connect_timeout": 5}
        kwargs["pool_pre_ping"] = True
    try:
        engine = create_engine(location.url, **kwargs)
    except (NoSuchModuleError, ArgumentError, ImportError) as exc:
        raise DatabaseError(
            f"Type de base de données non pris en charge : « {location.display()} » ({exc})."
        ) from None
    if location.is_sqlite:
        event.listen(engine, "connect", _set_sqlite_pragmas)
        event.listen(engine, "begin", _begin_sqlite)
    return engine


def describe_connection_error(location: DatabaseLocation, exc: BaseException) -> DatabaseError:
    """A one-line French message for a failure to open or reach the database."""
    original = getattr(exc, "orig", exc)
    detail = str(original).strip().splitlines()[0] if str(original).strip() else type(exc).__name__
    if location.is_sqlite:
        if isinstance(original, sqlite3.DatabaseError) and "not a database" in detail:
            return DatabaseError(f"« {location.display()} » n'est pas une base de données Livret.")
        if "locked" in detail or "busy" in detail:
            return DatabaseError(
                f"La base « {location.display()} » est occupée par un autre programme : "
                "réessayez dans un instant."
            )
        return DatabaseError(f"Impossible d'ouvrir la base « {location.display()} » : {detail}.")
    return DatabaseError(
        f"Impossible de joindre le serveur de base de données « {location.display()} » : {detail}."
    )
