"""Consistent copies of a SQLite database file, kept in a rotating backups folder, and restore.

Automatic copies go to `sauvegardes/<file name>/` beside the database, named
`AAAAMMJJ-HHMMSS-micro-<reason>.sqlite`: one before each migration, one on the first
opening of each day (`quotidienne`), one before each restore. Each is checked with
`PRAGMA integrity_check` before it counts as written.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from livret.domain.errors import DatabaseError
from livret.storage import recognise
from livret.storage.recognise import read_only_uri

KEEP_BACKUPS = 10  # copies made before a migration or a restore
# Copies made on the first opening of a day: a fortnight of school days back, about.
KEEP_DAILY_BACKUPS = 14
DAILY = "quotidienne"
BEFORE_RESTORE = "avant-restauration"
STAMP_FORMAT = "%Y%m%d-%H%M%S-%f"
PARTIAL_SUFFIX = ".partiel"

Clock = Callable[[], dt.datetime]


def backups_dir(database: Path) -> Path:
    """One folder per database file, so rotation never touches another file's copies."""
    return database.parent / "sauvegardes" / database.name


def backup_sqlite(
    database: Path,
    *,
    destination: Path | None = None,
    reason: str = "",
    clock: Clock = dt.datetime.now,
) -> Path:
    """Copy the database with SQLite's online backup API (safe while it is in use).

    Without a destination, the copy goes to the backups folder beside the database,
    named after the time and the reason, and old copies of the same kind are rotated.
    A destination folder that does not exist yet is created. The copy is checked
    before it is reported as written.
    """
    automatic = destination is None
    stamp = clock().strftime(STAMP_FORMAT)
    if destination is None:
        folder = backups_dir(database)
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        destination = folder / f"{stamp}{'-' + reason if reason else ''}.sqlite"
    elif destination.is_dir():
        destination = destination / f"{database.stem}-{stamp[:15]}.sqlite"
    try:
        destination.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise DatabaseError(
            f"Impossible de créer le dossier « {destination.parent} » : {exc.strerror or exc}."
        ) from None
    if destination.exists():
        raise DatabaseError(f"« {destination} » existe déjà : la sauvegarde ne l'écrase pas.")
    # Written under a temporary name and renamed once checked: a copy cut short (the
    # process killed, the disk full) never looks like a good backup.
    partial = destination.with_name(destination.name + PARTIAL_SUFFIX)
    try:
        fd = os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
        # A URI built by pathlib: '#', '?' and '%' in folder names are escaped.
        source = sqlite3.connect(f"{database.absolute().as_uri()}?mode=ro", uri=True)
        source.execute(f"PRAGMA busy_timeout={int(recognise.BUSY_TIMEOUT_SECONDS * 1000)}")
        try:
            target = sqlite3.connect(partial)
            try:
                source.backup(target)
                _verify_copy(target, destination)
            finally:
                target.close()
        finally:
            source.close()
        _publish(partial, destination)
    except (OSError, sqlite3.Error, DatabaseError) as exc:
        partial.unlink(missing_ok=True)
        message = exc.message if isinstance(exc, DatabaseError) else str(exc)
        raise DatabaseError(f"Sauvegarde impossible vers « {destination} » : {message}") from None
    if automatic:
        if reason == DAILY:
            rotate(destination.parent, KEEP_DAILY_BACKUPS, daily=True)
        else:
            rotate(destination.parent)
    return destination


def _publish(partial: Path, destination: Path) -> None:
    """Give the checked copy its name, never over an existing file."""
    try:
        os.link(partial, destination)  # fails if the name was taken meanwhile
    except FileExistsError:
        raise DatabaseError("le fichier existe déjà, la sauvegarde ne l'écrase pas.") from None
    except OSError:
        # No hard links there (a FAT USB stick): check again, then rename.
        if destination.exists():
            raise DatabaseError("le fichier existe déjà, la sauvegarde ne l'écrase pas.") from None
        os.replace(partial, destination)
        return
    partial.unlink()


def _verify_copy(copy: sqlite3.Connection, destination: Path) -> None:
    if copy.execute("PRAGMA integrity_check").fetchone() != ("ok",):
        raise DatabaseError("la copie est abîmée.")
    if copy.execute("SELECT count(*) FROM sqlite_master").fetchone() == (0,):
        raise DatabaseError("la copie est vide.")


def rotate(folder: Path, keep: int = KEEP_BACKUPS, *, daily: bool = False) -> list[Path]:
    """Delete the oldest automatic copies of one kind beyond `keep`; returns the deleted files.

    Daily copies and the others (before a migration, before a restore) are counted
    apart, so that a week of openings never pushes out the copy made before a migration.
    """
    copies = sorted(p for p in folder.glob("*.sqlite") if p.stem.endswith(f"-{DAILY}") == daily)
    doomed = copies[:-keep] if keep > 0 else copies
    # Copies cut short by a kill: never a backup; an hour old, no backup is still writing them.
    cut_short = [
        path
        for path in folder.glob(f"*{PARTIAL_SUFFIX}")
        if path.stat().st_mtime < dt.datetime.now().timestamp() - 3600
    ]
    for path in [*doomed, *cut_short]:
        path.unlink(missing_ok=True)
    return doomed


def daily_backup(
    database: Path, *, clock: Clock = dt.datetime.now, keep: int = KEEP_DAILY_BACKUPS
) -> Path | None:
    """The first opening of a day copies the database; later ones that day do nothing."""
    now = clock()
    folder = backups_dir(database)
    if any(folder.glob(f"{now:%Y%m%d}-*-{DAILY}.sqlite")):
        return None
    copy = backup_sqlite(database, reason=DAILY, clock=lambda: now)
    rotate(folder, keep, daily=True)
    return copy


@dataclass(frozen=True, slots=True)
class BackupFile:
    """One copy in the backups folder, as the restore dialog lists it."""

    path: Path
    made_at: dt.datetime | None
    reason: str
    size: int


def list_backups(database: Path) -> list[BackupFile]:
    """The copies beside the database, newest first."""
    folder = backups_dir(database)
    found: list[BackupFile] = []
    for path in folder.glob("*.sqlite") if folder.is_dir() else ():
        stamp, _, reason = path.stem[:22], path.stem[22:23], path.stem[23:]
        try:
            made_at: dt.datetime | None = dt.datetime.strptime(stamp, STAMP_FORMAT)
        except ValueError:
            made_at, reason = None, path.stem
        found.append(BackupFile(path, made_at, reason, path.stat().st_size))
    return sorted(found, key=lambda b: (b.made_at or dt.datetime.min, b.path.name), reverse=True)


def restore_sqlite(database: Path, source: Path, *, clock: Clock = dt.datetime.now) -> Path | None:
    """Replace the database's content with the source's; returns the copy made first.

    The source must already be recognised (see services.database.restore_database).
    The database file is held with an exclusive lock from before the pre-restore copy
    to the end of the restore: it is refused, untouched, while any other connection
    (another Livret, a sqlite3 shell) has it open — in WAL mode every open connection
    holds a shared lock on the file. The copy uses SQLite's backup API, so the file is
    replaced as one transaction: a crash midway leaves the former content.
    """
    name = f"« {database} »"
    existed = database.exists() and database.stat().st_size > 0
    if not database.exists():
        fd = os.open(database, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
        os.close(fd)
    try:
        target = sqlite3.connect(database, timeout=0.5, isolation_level=None)
    except sqlite3.Error:
        raise DatabaseError(f"Impossible d'ouvrir {name} pour la restaurer.") from None
    before: Path | None = None
    try:
        try:
            target.execute("PRAGMA locking_mode=EXCLUSIVE")
            target.execute("BEGIN EXCLUSIVE")
            target.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                raise DatabaseError(
                    f"La base {name} est ouverte dans une autre application (un autre Livret, "
                    "ou un autre programme) : fermez-la, puis recommencez la restauration. "
                    "Rien n'a été modifié."
                ) from None
            if "readonly" in str(exc):
                raise DatabaseError(recognise.read_only_message(name)) from None
            if not existed:
                raise
        except sqlite3.DatabaseError:
            pass  # a damaged database: its raw bytes are kept below, then it is replaced
        if existed:
            before = _copy_before_restore(target, database, clock)
        try:
            # The backup API cannot change the page size of a WAL database (an older
            # copy may have another): a rollback journal meanwhile, WAL at next opening.
            with contextlib.suppress(sqlite3.DatabaseError):  # damaged: replaced anyway
                target.execute("PRAGMA journal_mode=DELETE")
            copy = sqlite3.connect(read_only_uri(source), uri=True)
            try:
                copy.backup(target)
            finally:
                copy.close()
            if target.execute("PRAGMA integrity_check").fetchone() != ("ok",):
                raise DatabaseError("la base restaurée est abîmée")
        except (sqlite3.Error, DatabaseError) as exc:
            message = exc.message if isinstance(exc, DatabaseError) else str(exc).splitlines()[0]
            where = f" ; la copie faite avant est « {before} »" if before else ""
            raise DatabaseError(f"Restauration de {name} impossible ({message}){where}.") from None
    finally:
        target.close()
    return before


def _copy_before_restore(target: sqlite3.Connection, database: Path, clock: Clock) -> Path:
    """A copy of what is about to be replaced, through the connection holding the lock."""
    folder = backups_dir(database)
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = clock().strftime(STAMP_FORMAT)
    destination = folder / f"{stamp}-{BEFORE_RESTORE}.sqlite"
    fd = os.open(destination, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    try:
        copy = sqlite3.connect(destination)
        try:
            target.backup(copy)
            _verify_copy(copy, destination)
        finally:
            copy.close()
    except (sqlite3.Error, DatabaseError):
        # Damaged: keep its bytes as they are (not listed as a backup to restore).
        destination.unlink(missing_ok=True)
        destination = destination.with_suffix(".abimee")
        shutil.copyfile(database, destination)
        os.chmod(destination, 0o600)
    rotate(folder)
    return destination
