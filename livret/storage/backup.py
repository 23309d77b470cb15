"""Consistent copies of a SQLite database file, kept in a rotating backups folder."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

from livret.domain.errors import DatabaseError

KEEP_BACKUPS = 10


def backups_dir(database: Path) -> Path:
    """One folder per database file, so rotation never touches another file's copies."""
    return database.parent / "sauvegardes" / database.name


def backup_sqlite(database: Path, *, destination: Path | None = None, reason: str = "") -> Path:
    """Copy the database with SQLite's online backup API (safe while it is in use).

    Without a destination, the copy goes to the backups folder beside the database,
    named after the time and the reason, and old copies are rotated. The copy is
    checked before it is reported as written.
    """
    automatic = destination is None
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
    if destination is None:
        folder = backups_dir(database)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        destination = folder / f"{stamp}{'-' + reason if reason else ''}.sqlite"
    elif destination.is_dir():
        destination = destination / f"{database.stem}-{stamp[:15]}.sqlite"
    if not destination.parent.is_dir():
        raise DatabaseError(f"Le dossier « {destination.parent} » n'existe pas.")
    if destination.exists():
        raise DatabaseError(f"« {destination} » existe déjà : la sauvegarde ne l'écrase pas.")
    try:
        fd = os.open(destination, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
        # A URI built by pathlib: '#', '?' and '%' in folder names are escaped.
        source = sqlite3.connect(f"{database.absolute().as_uri()}?mode=ro", uri=True)
        try:
            target = sqlite3.connect(destination)
            try:
                source.backup(target)
                _verify_copy(target, destination)
            finally:
                target.close()
        finally:
            source.close()
    except (OSError, sqlite3.Error, DatabaseError) as exc:
        destination.unlink(missing_ok=True)
        message = exc.message if isinstance(exc, DatabaseError) else str(exc)
        raise DatabaseError(f"Sauvegarde impossible vers « {destination} » : {message}") from None
    if automatic:
        rotate(destination.parent)
    return destination


def _verify_copy(copy: sqlite3.Connection, destination: Path) -> None:
    if copy.execute("PRAGMA integrity_check").fetchone() != ("ok",):
        raise DatabaseError("la copie est abîmée.")
    if copy.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,):
        raise DatabaseError("la copie est vide.")


def rotate(folder: Path, keep: int = KEEP_BACKUPS) -> list[Path]:
    """Delete the oldest automatic copies beyond `keep`; returns the deleted files."""
    copies = sorted(folder.glob("*.sqlite"))
    doomed = copies[:-keep] if keep > 0 else copies
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed
