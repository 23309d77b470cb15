"""Open, initialise, check and back up a livret database (the `livret db …` use cases)."""

from __future__ import annotations

import datetime as dt
import getpass
import os
import shutil
import sqlite3
import subprocess
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

from sqlalchemy import Connection, Engine, func, insert, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from livret.domain.errors import DatabaseError
from livret.storage import audit_chain, guards, migrate, models
from livret.storage.backup import BackupFile as BackupFile  # listed by the restore dialog
from livret.storage.backup import (
    Clock,
    backup_sqlite,
    daily_backup,
    list_backups,
    restore_sqlite,
)
from livret.storage.engine import DatabaseLocation, describe_connection_error, make_engine, resolve
from livret.storage.network_fs import refuse_network_file
from livret.storage.recognise import (
    Refusal,
    UnrecognisedFile,
    read_only_message,
    recognise_sqlite_file,
)

DEFAULT_ESTABLISHMENT = "Mon établissement"
# Shown as author until the teacher sets their name (Profil → Mon nom affiché…), never the OS login.
LOCAL_PROFILE_NAME = "Enseignant"


@dataclass(frozen=True, slots=True)
class Database:
    """An open, migrated database: the engine and the session factory of one run."""

    location: DatabaseLocation
    engine: Engine
    sessions: sessionmaker[Session]
    # Names this app instance in the change log, so that it can skip its own changes.
    origin: str = field(default_factory=lambda: uuid.uuid4().hex[:16])

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """One unit of work: commits on success, rolls back on any error."""
        with self.sessions.begin() as session:
            yield session

    @contextmanager
    def snapshot(self) -> Iterator[Connection]:
        """A read-only connection whose queries all see the same state of the data.

        SQLite reads inside one BEGIN (see storage.engine); PostgreSQL needs
        REPEATABLE READ, as READ COMMITTED gives each statement its own snapshot.
        """
        with self.engine.connect() as connection:
            if connection.dialect.name == "postgresql":
                connection = connection.execution_options(isolation_level="REPEATABLE READ")
            with connection.begin():
                yield connection

    def dispose(self) -> None:
        self.engine.dispose()


@dataclass(frozen=True, slots=True)
class OpenReport:
    """What opening did: created the schema, migrated it (from which revision), backed up.

    `backup` is the copy made before a migration, `daily_backup` the one made by the
    first opening of the day (a migration's copy stands for it that day).
    """

    created: bool
    migrated_from: str | None
    backup: Path | None
    daily_backup: Path | None = None


def open_database(
    db: str | os.PathLike[str] | None,
    *,
    create: bool = False,
    upgrade: bool = True,
    clock: Clock = dt.datetime.now,
) -> tuple[Database, OpenReport]:
    """Open the database named by a --db value, creating and migrating it as allowed.

    A SQLite file is first recognised through a read-only connection (see
    storage.recognise): a database from a newer Livret, one that Livret did not
    create, a damaged, read-only or locked file is refused with one French message
    and left unchanged. It is backed up before any migration, and on the first
    opening of each day (`clock` says which day). With upgrade=False an older
    schema is left as it is (for `db check` and `db backup`).

    Two apps may open the same file: WAL lets them read and write in turn, and the
    change feed (storage.changes) shows each one the other's changes.
    """
    location = resolve(db)
    engine = make_engine(location, create=create)
    try:
        database, report = _open(location, engine, create=create, upgrade=upgrade)
        if location.path is not None and not report.created and report.backup is None:
            report = replace(report, daily_backup=daily_backup(location.path, clock=clock))
        return database, report
    except DatabaseError:
        engine.dispose()
        raise
    except SQLAlchemyError as exc:
        engine.dispose()
        raise describe_connection_error(location, exc) from None


def _open(
    location: DatabaseLocation, engine: Engine, *, create: bool, upgrade: bool
) -> tuple[Database, OpenReport]:
    with engine.connect() as connection:
        if location.is_sqlite:
            # Whether this app can write at all (another program may hold the file's lock).
            raw = connection.connection.dbapi_connection
            assert raw is not None
            try:
                raw.execute("BEGIN IMMEDIATE")
                raw.execute("ROLLBACK")
            except sqlite3.OperationalError as exc:
                raise describe_connection_error(location, exc) from None
        state = migrate.inspect_schema(connection)
    if state.empty and not create:
        raise DatabaseError(
            f"La base « {location.display()} » est vide (créez-la avec « livret db init »)."
        )
    backup: Path | None = None
    migrated_from: str | None = None
    if not state.at_head and (upgrade or state.empty):
        if location.path is not None and not state.empty:
            backup = backup_sqlite(location.path, reason=f"avant-{migrate.head_revision()}")
        migrated_from = state.revision
        migrate.upgrade(engine)
    database = Database(location, engine, sessionmaker(engine, expire_on_commit=False))
    created = False
    if state.empty or migrated_from is not None or state.at_head:
        # Also completes a database whose first start was interrupted after the schema.
        created = _seed_if_new(database)
    return database, OpenReport(created=created, migrated_from=migrated_from, backup=backup)


def _seed_if_new(database: Database) -> bool:
    """Give a database what every livret needs and it lacks; True when it had none of it.

    The establishment row, a local teacher and the bundled PMIA référentiel, each
    added only if its table is empty, all in one transaction.
    """
    with database.transaction() as session:

        def empty(model: type[models.Base]) -> bool:
            return not session.scalar(select(func.count()).select_from(model))

        missing = [m for m in (models.Establishment, models.User, models.Referentiel) if empty(m)]
        if models.Establishment in missing:
            session.execute(insert(models.Establishment).values(name=DEFAULT_ESTABLISHMENT))
        if models.User in missing:
            login = _local_login()
            session.execute(
                insert(models.User).values(
                    login=login, display_name=LOCAL_PROFILE_NAME, role="enseignant"
                )
            )
        if models.Referentiel in missing:
            # Here only: opening a database that has its référentiel never reads the file.
            from livret.domain.referentiel import bundled_referentiel_path, load_referentiel_file
            from livret.storage.referentiel_store import insert_referentiel

            insert_referentiel(session, load_referentiel_file(bundled_referentiel_path("pmia")))
    return len(missing) == 3


def _local_login() -> str:
    try:
        return getpass.getuser() or "enseignant"
    except (KeyError, OSError):
        return "enseignant"


@dataclass(frozen=True, slots=True)
class CheckReport:
    ok: bool
    problems: tuple[str, ...]
    revision: str | None
    counts: tuple[tuple[str, int], ...]


def check_database(database: Database, *, quick: bool = False) -> CheckReport:
    """Integrity, foreign keys, schema revision, guards, the audit chain, final bilans.

    Each guard's whole definition (and on PostgreSQL its enabled state) is compared
    with Livret's; the audit chain is verified, each final bilan against its
    fingerprint, each bilan's finalize/unlock events against its state. `quick` (the
    start-up check) skips SQLite's integrity and foreign-key scans and the row counts,
    and verifies only the newest QUICK_CHAIN_EVENTS events of the chain and the newest
    QUICK_FINAL_BILANS final bilans: its cost does not grow with the school's history.
    """
    try:
        return _check(database, quick=quick)
    except SQLAlchemyError as exc:
        raise describe_connection_error(database.location, exc) from None


QUICK_CHAIN_EVENTS = 1000
QUICK_FINAL_BILANS = 1000
"""The start-up check verifies the newest final bilans only; `livret db check` all."""


def tampering_warning(report: CheckReport, *, shown: int = 5) -> str:
    """The start-up warning for a failed check: the first problems, then what to do."""
    lines = [f"• {problem}" for problem in report.problems[:shown]]
    if len(report.problems) > shown:
        lines.append(f"• … et {len(report.problems) - shown} autre(s)")
    return (
        "La vérification de la base a trouvé des anomalies (protection modifiée, journal "
        "ou bilan définitif altéré) :\n\n"
        + "\n".join(lines)
        + "\n\nLivret reste utilisable. Prévenez l'administrateur : « livret db check » "
        "donne le détail."
    )


def _check(database: Database, *, quick: bool = False) -> CheckReport:
    problems: list[str] = []
    with database.engine.connect() as connection:
        if connection.dialect.name == "sqlite" and not quick:
            integrity = [row[0] for row in connection.exec_driver_sql("PRAGMA integrity_check")]
            if integrity != ["ok"]:
                problems.extend(f"intégrité : {line}" for line in integrity[:20])
            fk_problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if fk_problems:
                problems.append(f"{len(fk_problems)} référence(s) invalide(s)")
        revision = migrate.current_revision(connection)
        if revision != migrate.head_revision():
            problems.append(f"schéma en révision {revision}, attendu {migrate.head_revision()}")
            problems.extend(f"protection absente : {name}" for name in guards.missing(connection))
        else:
            problems.extend(guards.problems(connection))
            problems.extend(
                audit_chain.verify_chain(connection, limit=QUICK_CHAIN_EVENTS if quick else None)
            )
            problems.extend(
                audit_chain.verify_final_bilans(
                    connection, limit=QUICK_FINAL_BILANS if quick else None
                )
            )
            problems.extend(
                audit_chain.verify_trails(connection, guards.FINALIZE_ACTION, guards.UNLOCK_ACTION)
            )
        counts: tuple[tuple[str, int], ...] = ()
        if not quick:
            present = set(inspect(connection).get_table_names())
            counts = tuple(
                (table.name, int(connection.scalar(select(func.count()).select_from(table)) or 0))
                for table in models.Base.metadata.sorted_tables
                if table.name in present
            )
    return CheckReport(ok=not problems, problems=tuple(problems), revision=revision, counts=counts)


def backup_database(database: Database, destination: Path | None = None) -> Path:
    """A consistent copy: SQLite online backup, or pg_dump for a server database.

    A destination that does not exist is a folder when it has no extension (created,
    owner-only), else a file whose folder is created.
    """
    if destination is not None and not destination.exists():
        folder = destination if not destination.suffix else destination.parent
        try:
            folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        except OSError as exc:
            raise DatabaseError(
                f"Impossible de créer le dossier « {folder} » : {exc.strerror or exc}."
            ) from None
    if database.location.path is not None:
        return backup_sqlite(database.location.path, destination=destination)
    if destination is None:
        raise DatabaseError("Indiquez le fichier de sauvegarde (--out) pour une base sur serveur.")
    pg_dump = shutil.which("pg_dump")
    if pg_dump is None:
        raise DatabaseError("pg_dump est introuvable : installez les outils clients PostgreSQL.")
    if destination.is_dir():
        destination = destination / "livret.dump"
    if destination.exists():
        raise DatabaseError(f"« {destination} » existe déjà : la sauvegarde ne l'écrase pas.")
    url = database.location.url
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)  # not on the command line: ps shows it
    address = url.set(drivername="postgresql", password=None).render_as_string(False)
    completed = subprocess.run(
        [pg_dump, "--format=custom", f"--file={destination}", address],
        capture_output=True,
        text=True,
        check=False,
        env=environment,
    )
    if completed.returncode != 0:
        destination.unlink(missing_ok=True)
        message = completed.stderr.strip().splitlines()[-1] if completed.stderr.strip() else ""
        raise DatabaseError(f"pg_dump a échoué : {message}")
    return destination


def database_backups(database: Database) -> list[BackupFile]:
    """The automatic copies of a SQLite database, newest first (none for a server)."""
    path = database.location.path
    return list_backups(path) if path is not None else []


@dataclass(frozen=True, slots=True)
class RestoreReport:
    """What a restore did: the copy restored, its schema, and the copy made before."""

    restored: Path
    revision: str
    previous: Path | None


PG_RESTORE_HINT = (
    "La restauration d'une base sur serveur (PostgreSQL) se fait avec pg_restore, par "
    "l'administrateur informatique, toutes les applications Livret fermées : voir la "
    "section « 6. Les sauvegardes » de docs/etablissement.md (« Restaurer »). "
    "Rien n'a été modifié."
)


def restore_database(
    db: str | os.PathLike[str] | None, source: Path, *, clock: Clock = dt.datetime.now
) -> RestoreReport:
    """Put a backup back in place of the database, after a copy of the current one.

    The backup must be a Livret database of a known schema that passes SQLite's
    integrity check; an older schema is migrated at the next opening, as any older
    file. The current file must not be another program's database, and no other app
    may have it open (storage.backup.restore_sqlite holds it exclusively). A server
    database is restored with pg_restore, not here.
    """
    location = resolve(db)
    if location.path is None:
        raise DatabaseError(PG_RESTORE_HINT)
    target = location.path
    refuse_network_file(target)
    source = source.expanduser().absolute()
    if not source.is_file():
        raise DatabaseError(f"La sauvegarde « {source} » n'existe pas.")
    if target.exists() and source.samefile(target):
        raise DatabaseError("La sauvegarde indiquée est la base elle-même : rien à restaurer.")
    try:
        found = recognise_sqlite_file(source, integrity=True)
    except UnrecognisedFile as exc:
        raise DatabaseError(f"Restauration refusée : {exc.message}") from None
    if found.revision is None:
        raise DatabaseError(
            f"Restauration refusée : « {source} » ne contient aucune donnée Livret. "
            "Rien n'a été modifié."
        )
    if target.exists():
        try:
            recognise_sqlite_file(target)
        except UnrecognisedFile as exc:
            # A damaged or newer database is what a restore is for; another program's is not.
            if exc.refusal in (Refusal.OTHER_TYPE, Refusal.FOREIGN, Refusal.UNREADABLE):
                raise DatabaseError(
                    f"Restauration refusée : {exc.message.split(' : ')[0]}, la restauration "
                    "ne l'écrase pas. Rien n'a été modifié."
                ) from None
            if exc.refusal is Refusal.LOCKED:
                raise
        if not os.access(target, os.W_OK) or not os.access(target.parent, os.W_OK | os.X_OK):
            raise DatabaseError(read_only_message(f"« {target} »"))
    previous = restore_sqlite(target, source, clock=clock)
    return RestoreReport(restored=source, revision=found.revision, previous=previous)
