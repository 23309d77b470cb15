"""Consistent copies of a SQLite database file, kept in a rotating backups folder."""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
from pathlib import Path

from livret.domain.errors import DatabaseError

KEEP_BACKUPS = 10


def backups_dir(database: Path) -> Path:
    return database.parent / "sauvegardes"


def backup_sqlite(database: Path, *, destination: Path | None = None, reason: str = "") -> Path:
    """Copy the database with SQLite's online backup API (safe while it is in use).

    Without a destination, the copy goes to the backups folder beside the database,
    named after the file, the time and the reason, and old copies are rotated.
    """
    if destination is None:
        folder = backups_dir(database)
        folder.mkdir(mode=0o700, exist_ok=True)
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S-%f")
        suffix = f"-{reason}" if reason else ""
        destination = folder / f"{database.stem}-{stamp}{suffix}.sqlite"
    elif destination.is_dir():
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        destination = destination / f"{database.stem}-{stamp}.sqlite"
    if not destination.parent.is_dir():
        raise DatabaseError(f"Le dossier « {destination.parent} » n'existe pas.")
    if destination.exists():
        raise DatabaseError(f"« {destination} » existe déjà : la sauvegarde ne l'écrase pas.")
    try:
        fd = os.open(destination, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
        source = sqlite3.connect(f"file:{database}?mode=ro", uri=True)
        try:
            target = sqlite3.connect(destination)
            try:
                source.backup(target)
            finally:
                target.close()
        finally:
            source.close()
    except (OSError, sqlite3.Error) as exc:
        destination.unlink(missing_ok=True)
        raise DatabaseError(f"Sauvegarde impossible vers « {destination} » : {exc}.") from None
    if destination.parent == backups_dir(database):
        rotate(destination.parent, database.stem)
    return destination


def rotate(folder: Path, stem: str, keep: int = KEEP_BACKUPS) -> list[Path]:
    """Delete the oldest automatic copies beyond `keep`; returns the deleted files."""
    copies = sorted(folder.glob(f"{stem}-*.sqlite"))
    doomed = copies[:-keep] if keep > 0 else copies
    for path in doomed:
        path.unlink(missing_ok=True)
    return doomed
