"""Look at a SQLite file through a read-only connection before anything may write to it.

Only a file recognised here (a Livret database of a known schema, or an empty file
meant to become one) is then opened for writing with its pragmas; so a refused file
— another program's database, a truncated copy, one from a newer Livret, a file of
another type — is left byte-for-byte as it was.
"""

from __future__ import annotations

import enum
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from livret.domain.errors import DatabaseError
from livret.storage import migrate

SQLITE_HEADER = b"SQLite format 3\x00"
HEADER_SIZE = 100
BUSY_TIMEOUT_SECONDS = 5.0  # how long a lock held by another program is waited for


class Refusal(enum.Enum):
    """Why a file is not opened."""

    OTHER_TYPE = "other_type"
    DAMAGED = "damaged"
    FOREIGN = "foreign"
    NEWER = "newer"
    LOCKED = "locked"
    UNREADABLE = "unreadable"


class UnrecognisedFile(DatabaseError):
    """A French message about a file Livret will not open, with the reason."""

    def __init__(self, message: str, refusal: Refusal) -> None:
        super().__init__(message)
        self.refusal = refusal


@dataclass(frozen=True, slots=True)
class SqliteFile:
    """A recognised file: empty (zero bytes or no table), or a Livret schema revision."""

    revision: str | None

    @property
    def empty(self) -> bool:
        return self.revision is None


def read_only_uri(path: Path) -> str:
    """A URI that opens the file without writing to it or creating anything beside it.

    Without a write-ahead log beside it the file alone holds the data, so SQLite may
    read it as immutable (no -shm/-wal created, works in a read-only folder); with
    one, the log must be read through the shared memory that already exists.
    """
    uri = path.absolute().as_uri()  # '#', '?' and '%' in folder names are escaped
    wal = path.with_name(path.name + "-wal")
    return f"{uri}?mode=ro&immutable=1" if not wal.exists() else f"{uri}?mode=ro"


def recognise_sqlite_file(path: Path, *, integrity: bool = False) -> SqliteFile:
    """Refuse with one French message anything but an empty file or a Livret database.

    `integrity` runs SQLite's full integrity check as well (for a backup about to be
    restored; opening relies on the header's size and a read of the schema).
    """
    name = f"« {path} »"
    try:
        size = path.stat().st_size
        with path.open("rb") as handle:
            header = handle.read(HEADER_SIZE)
    except OSError as exc:
        raise UnrecognisedFile(
            f"Impossible de lire {name} : {exc.strerror or exc}.", Refusal.UNREADABLE
        ) from None
    if size == 0:
        return SqliteFile(revision=None)
    if not header.startswith(SQLITE_HEADER):
        if SQLITE_HEADER.startswith(header):  # cut inside the very first bytes
            raise _damaged(name)
        raise UnrecognisedFile(
            f"{name} n'est pas une base de données Livret (fichier d'un autre type) : "
            "il n'est pas ouvert. Rien n'a été modifié.",
            Refusal.OTHER_TYPE,
        )
    # With a write-ahead log beside it, a checkpoint cut short (the app killed) may have
    # written the header's new size before the pages: the log still holds them all, and
    # the next connection finishes the checkpoint. Only a file alone is judged by size.
    wal = path.with_name(path.name + "-wal")
    has_log = wal.exists() and wal.stat().st_size > 0
    if len(header) < HEADER_SIZE or (not has_log and size < _expected_size(header)):
        raise _damaged(name)
    try:
        connection = sqlite3.connect(read_only_uri(path), uri=True, timeout=BUSY_TIMEOUT_SECONDS)
    except sqlite3.Error as exc:
        raise _from_sqlite(name, exc) from None
    try:
        return _read_schema(connection, name, integrity=integrity)
    except sqlite3.Error as exc:
        raise _from_sqlite(name, exc) from None
    finally:
        connection.close()


def _expected_size(header: bytes) -> int:
    """The size the header promises, or 0 when the header does not say (older writers)."""
    page_size = int.from_bytes(header[16:18], "big")
    page_size = 65536 if page_size == 1 else page_size
    pages = int.from_bytes(header[28:32], "big")
    change_counter, valid_for = header[24:28], header[92:96]
    return pages * page_size if pages and change_counter == valid_for else 0


def _read_schema(connection: sqlite3.Connection, name: str, *, integrity: bool) -> SqliteFile:
    tables = {
        row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
    }
    if integrity:
        found = [row[0] for row in connection.execute("PRAGMA integrity_check")]
        if found != ["ok"]:
            raise _damaged(name)
    if not tables:
        return SqliteFile(revision=None)
    if migrate.VERSION_TABLE not in tables:
        raise UnrecognisedFile(
            f"{name} n'a pas été créée par Livret (aucune version de schéma) : elle n'est "
            "pas ouverte, pour ne rien abîmer. Rien n'a été modifié.",
            Refusal.FOREIGN,
        )
    revisions = [
        row[0] for row in connection.execute(f"SELECT version_num FROM {migrate.VERSION_TABLE}")
    ]
    if len(revisions) != 1 or not isinstance(revisions[0], str):
        raise UnrecognisedFile(
            f"Version de schéma illisible dans {name} : elle n'est pas ouverte. "
            "Rien n'a été modifié.",
            Refusal.DAMAGED,
        )
    if revisions[0] not in migrate.known_revisions():
        raise UnrecognisedFile(
            f"{name} a été créée par une version plus récente de Livret (schéma "
            f"« {revisions[0]} ») : mettez Livret à jour pour l'ouvrir. Rien n'a été modifié.",
            Refusal.NEWER,
        )
    return SqliteFile(revision=revisions[0])


def _damaged(name: str) -> UnrecognisedFile:
    return UnrecognisedFile(
        f"{name} est abîmée ou tronquée (copie interrompue ?) : elle n'est pas ouverte. "
        "Rien n'a été modifié ; restaurez une sauvegarde (Fichier → Restaurer une "
        "sauvegarde…, ou « livret db restore »).",
        Refusal.DAMAGED,
    )


def _from_sqlite(name: str, exc: sqlite3.Error) -> UnrecognisedFile:
    text = str(exc).lower()
    if "locked" in text or "busy" in text:
        return UnrecognisedFile(locked_message(name), Refusal.LOCKED)
    if isinstance(exc, sqlite3.DatabaseError) and (
        "not a database" in text or "malformed" in text or "corrupt" in text
    ):
        return _damaged(name)
    if "readonly" in text or "read-only" in text:
        return UnrecognisedFile(read_only_message(name), Refusal.UNREADABLE)
    return UnrecognisedFile(
        f"Impossible de lire {name} : SQLite ne peut pas l'ouvrir (droits, disque ?). "
        "Rien n'a été modifié.",
        Refusal.UNREADABLE,
    )


def locked_message(name: str) -> str:
    return (
        f"La base {name} est occupée par un autre programme, qui la tient verrouillée : "
        "réessayez dans un instant, ou fermez ce programme. Rien n'a été modifié."
    )


def read_only_message(name: str) -> str:
    return (
        f"La base {name} est en lecture seule (droits du fichier ou de son dossier) : "
        "Livret ne l'ouvre pas, car chaque positionnement, chaque bilan y est enregistré "
        "aussitôt. Faites rétablir vos droits d'écriture, ou copiez-la dans un dossier où "
        "vous pouvez écrire. Rien n'a été modifié."
    )
