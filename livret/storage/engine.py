"""Turn a --db value into an engine: path or URL, SQLite pragmas, clear French errors."""

from __future__ import annotations

import enum
import os
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError
from sqlalchemy.pool import ConnectionPoolEntry

from livret.domain.errors import DatabaseError
from livret.storage import recognise
from livret.storage.network_fs import Mount, refuse_network_file
from livret.storage.recognise import (
    SqliteFile,
    locked_message,
    read_only_message,
    recognise_sqlite_file,
)

APP_NAME = "Livret"


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


def check_sqlite_file(path: Path, *, create: bool = False) -> SqliteFile | None:
    """Recognise an existing file read-only, before any write connection; None if absent.

    Refuses (one French message, the file untouched) another program's database, a
    damaged or newer one, an empty one unless it is to be created, and a read-only
    file or folder: Livret saves every change at once, so it cannot work on it.
    """
    if not path.exists():
        return None
    found = recognise_sqlite_file(path)
    if found.empty and not create:
        raise DatabaseError(
            f"La base « {path} » est vide (créez-la avec « livret db init »). Rien n'a été modifié."
        )
    if not os.access(path, os.R_OK | os.W_OK) or not os.access(path.parent, os.W_OK | os.X_OK):
        raise DatabaseError(read_only_message(f"« {path} »"))
    return found


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
        cursor.execute(f"PRAGMA busy_timeout={int(recognise.BUSY_TIMEOUT_SECONDS * 1000)}")
    finally:
        cursor.close()


def _begin_sqlite(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN")


def make_engine(
    location: DatabaseLocation, *, create: bool = False, mounts: Sequence[Mount] | None = None
) -> Engine:
    """An engine for the location; SQLite files are checked (and created if asked) first.

    A SQLite file on a network share is refused (see storage.network_fs); `mounts` is
    the mount table to judge by, the machine's own when None.
    """
    if location.path is not None:
        refuse_network_file(location.path, mounts)
        check_sqlite_file(location.path, create=create)
        if create:
            create_sqlite_file(location.path)
        elif not location.path.exists():
            raise DatabaseError(
                f"La base « {location.path} » n'existe pas (créez-la avec « livret db init »)."
            )
    kwargs: dict[str, Any] = {}
    if location.is_sqlite:
        kwargs["connect_args"] = {"timeout": recognise.BUSY_TIMEOUT_SECONDS}
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


class ServerProblem(enum.Enum):
    """Why a PostgreSQL server could not be used; the GUI asks a password on two of them."""

    UNREACHABLE = "unreachable"
    PASSWORD_REQUIRED = "password_required"
    PASSWORD_REFUSED = "password_refused"
    NO_DATABASE = "no_database"
    TLS = "tls"
    OTHER = "other"


class ServerConnectionError(DatabaseError):
    """A French message about a server connection, with the kind of problem."""

    def __init__(self, message: str, problem: ServerProblem) -> None:
        super().__init__(message)
        self.problem = problem


def server_label(url: URL) -> str:
    """The server as a user names it: host:port, a libpq service, or the local socket."""
    if url.host:
        host = f"[{url.host}]" if ":" in url.host else url.host  # an IPv6 address
        return f"{host}:{url.port or 5432}"
    service = url.query.get("service")
    if service:
        return f"service {service if isinstance(service, str) else service[0]}"
    return "local"


# libpq's own wording (it is not translated: the client library runs in English here).
_UNREACHABLE = ("connection refused", "no route to host", "network is unreachable")
_UNKNOWN_HOST = ("could not translate host name", "failed to resolve host", "name or service")
_TIMEOUT = ("timeout expired", "timed out")
_PASSWORD_REQUIRED = ("no password supplied", "password is required")
_PASSWORD_REFUSED = ("password authentication failed", "authentication failed")
_TLS = ("ssl", "certificate", "tls")


def _server_error(url: URL, detail: str) -> ServerConnectionError:
    server = f"« {server_label(url)} »"
    user = f"« {url.username} »" if url.username else "(utilisateur du système)"
    lowered = detail.lower()

    def has(words: tuple[str, ...]) -> bool:
        return any(word in lowered for word in words)

    if has(_UNKNOWN_HOST):
        return ServerConnectionError(
            f"Impossible de joindre le serveur {server} : ce nom d'ordinateur est inconnu. "
            "Vérifiez l'adresse du serveur.",
            ServerProblem.UNREACHABLE,
        )
    if has(_UNREACHABLE) or has(_TIMEOUT):
        return ServerConnectionError(
            f"Impossible de joindre le serveur {server} : il ne répond pas. Vérifiez "
            "l'adresse et le port, le réseau, et que PostgreSQL est démarré (sinon, "
            "prévenez l'administrateur informatique).",
            ServerProblem.UNREACHABLE,
        )
    if has(_PASSWORD_REQUIRED):
        return ServerConnectionError(
            f"Le serveur {server} demande un mot de passe pour l'utilisateur {user}.",
            ServerProblem.PASSWORD_REQUIRED,
        )
    if has(_PASSWORD_REFUSED) or ("role" in lowered and "does not exist" in lowered):
        return ServerConnectionError(
            f"Mot de passe refusé : le serveur {server} n'accepte pas l'utilisateur {user} "
            "avec ce mot de passe.",
            ServerProblem.PASSWORD_REFUSED,
        )
    if "database" in lowered and "does not exist" in lowered:
        return ServerConnectionError(
            f"La base « {url.database} » n'existe pas sur le serveur {server} : vérifiez "
            "son nom auprès de l'administrateur informatique.",
            ServerProblem.NO_DATABASE,
        )
    if "pg_hba.conf" in lowered:
        return ServerConnectionError(
            f"Le serveur {server} n'accepte pas de connexion de ce poste pour l'utilisateur "
            f"{user} et la base « {url.database} » (aucune règle pg_hba.conf, ou pas avec ce "
            "mode TLS) : prévenez l'administrateur informatique.",
            ServerProblem.OTHER,
        )
    if has(_TLS):
        if "does not support ssl" in lowered:
            why = "le serveur n'accepte pas les connexions chiffrées"
        elif "does not match host name" in lowered:
            why = "son certificat ne porte pas ce nom de serveur"
        elif "root certificate file" in lowered or "could not read root certificate" in lowered:
            why = "le fichier du certificat d'autorité (CA) est introuvable ou illisible"
        elif "certificate verify failed" in lowered:
            why = "son certificat n'est pas signé par l'autorité (CA) indiquée"
        else:
            why = detail
        return ServerConnectionError(
            f"Connexion chiffrée (TLS) impossible avec le serveur {server} : {why}. "
            "Vérifiez le mode TLS et le certificat de l'autorité.",
            ServerProblem.TLS,
        )
    return ServerConnectionError(
        f"Impossible de joindre le serveur de base de données {server} : {detail}.",
        ServerProblem.OTHER,
    )


def describe_connection_error(
    location: DatabaseLocation, exc: BaseException, *, opening: bool = True
) -> DatabaseError:
    """A one-line French message for a failure to open or reach the database.

    `opening=False` words it for a database already open that fails while being read.
    """
    original = getattr(exc, "orig", exc)
    text = str(original).strip()
    detail = text.splitlines()[0] if text else type(exc).__name__
    if location.is_sqlite:
        if isinstance(original, sqlite3.DatabaseError) and "not a database" in detail:
            return DatabaseError(f"« {location.display()} » n'est pas une base de données Livret.")
        name = f"« {location.display()} »"
        if "locked" in detail or "busy" in detail:
            return DatabaseError(locked_message(name))
        if "readonly" in detail or "read-only" in detail:
            return DatabaseError(read_only_message(name))
        if "malformed" in detail or "corrupt" in detail:
            return DatabaseError(
                f"La base {name} est abîmée : restaurez une sauvegarde (Fichier → Restaurer "
                "une sauvegarde…, ou « livret db restore »)."
            )
        # SQLite's own words are English: only its first line, never a statement.
        reason = detail.split("[SQL:")[0].strip()
        if not opening:
            return DatabaseError(f"La base {name} n'a pas pu être lue (SQLite : {reason}).")
        return DatabaseError(f"Impossible d'ouvrir la base {name} (SQLite : {reason}).")
    # libpq puts the server's reason after "failed: " (FATAL: …) on the same line.
    reason = text.replace("\n", " ").rsplit("failed: ", 1)[-1].removeprefix("FATAL:").strip()
    return _server_error(location.url, " ".join(reason.split()) or detail)
