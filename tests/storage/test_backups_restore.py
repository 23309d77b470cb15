"""Backups that restore: one copy per day of use, checked; restore refuses what is not a Livret."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
from sqlalchemy import text

from livret.domain.errors import DatabaseError
from livret.services.database import (
    PG_RESTORE_HINT,
    Database,
    backup_database,
    open_database,
    restore_database,
)
from livret.storage import backup
from livret.storage.backup import backups_dir, list_backups

FIXTURE = Path(__file__).parents[1] / "data" / "livret-0001.sqlite"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def learners(path: Path) -> set[str]:
    with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as connection:
        return {row[0] for row in connection.execute("SELECT family_name FROM learner")}


def add_learner(path: Path, name: str, ine: str) -> None:
    database, _ = open_database(str(path))
    try:
        with database.transaction() as session:
            session.execute(
                text("INSERT INTO learner (ine, family_name, first_name) VALUES (:i, :n, 'X')"),
                {"i": ine, "n": name},
            )
    finally:
        database.dispose()


@pytest.fixture
def livret_file(tmp_path: Path) -> Iterator[Path]:
    path = tmp_path / "livret.sqlite"
    database, _ = open_database(str(path), create=True)
    database.dispose()
    yield path


# -- once per day of use ---------------------------------------------------------------------


def test_the_first_opening_of_each_day_makes_one_checked_copy(livret_file: Path) -> None:
    clock = Clock(dt.datetime(2026, 12, 1, 8, 0))
    first = open_database(str(livret_file), clock=clock)
    first[0].dispose()
    assert first[1].daily_backup is not None
    clock.now = dt.datetime(2026, 12, 1, 17, 30)
    again = open_database(str(livret_file), clock=clock)
    again[0].dispose()
    assert again[1].daily_backup is None  # same day
    clock.now = dt.datetime(2026, 12, 2, 7, 45)
    next_day = open_database(str(livret_file), clock=clock)
    next_day[0].dispose()
    assert next_day[1].daily_backup is not None
    daily = sorted(p.name for p in backups_dir(livret_file).glob("*-quotidienne.sqlite"))
    assert [name[:8] for name in daily] == ["20261201", "20261202"]
    for name in daily:
        with closing(sqlite3.connect(backups_dir(livret_file) / name)) as copy:
            assert copy.execute("PRAGMA integrity_check").fetchone() == ("ok",)
            assert copy.execute("SELECT COUNT(*) FROM criterion").fetchone() == (118,)
    assert {b.reason for b in list_backups(livret_file)} == {"quotidienne"}


def test_daily_copies_are_rotated_apart_from_the_others(
    livret_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(backup, "KEEP_DAILY_BACKUPS", 3)
    folder = backups_dir(livret_file)
    before_migration = backup.backup_sqlite(livret_file, reason="avant-0006")
    for day in range(1, 7):
        backup.daily_backup(livret_file, clock=Clock(dt.datetime(2026, 11, day, 8)), keep=3)
    daily = sorted(p.name[:8] for p in folder.glob("*-quotidienne.sqlite"))
    assert daily == ["20261104", "20261105", "20261106"]
    assert before_migration.exists()  # a week of openings never pushes it out


def test_a_new_database_has_no_daily_copy_yet(tmp_path: Path) -> None:
    path = tmp_path / "neuve.sqlite"
    database, report = open_database(str(path), create=True)
    database.dispose()
    assert report.created and report.daily_backup is None
    assert not backups_dir(path).exists()


def test_backup_into_a_missing_folder_creates_it(livret_file: Path, tmp_path: Path) -> None:
    database, _ = open_database(str(livret_file))
    try:
        into_folder = backup_database(database, tmp_path / "clé" / "sauvegardes")
        as_file = backup_database(database, tmp_path / "autre" / "dossier" / "copie.sqlite")
    finally:
        database.dispose()
    assert into_folder.parent == tmp_path / "clé" / "sauvegardes"
    assert as_file == tmp_path / "autre" / "dossier" / "copie.sqlite"
    assert learners(into_folder) == learners(as_file) == learners(livret_file)


# -- restore ---------------------------------------------------------------------------------


def test_restore_round_trip(livret_file: Path) -> None:
    add_learner(livret_file, "Avant", "1111111111A")
    copy = backup.backup_sqlite(livret_file, reason="test")
    add_learner(livret_file, "Après", "2222222222B")
    assert {"Avant", "Après"} <= learners(livret_file)

    report = restore_database(str(livret_file), copy)

    assert "Avant" in learners(livret_file) and "Après" not in learners(livret_file)
    assert report.previous is not None and report.previous.exists()
    assert "Après" in learners(report.previous)  # what was replaced is kept
    assert report.previous.stat().st_mode & 0o777 == 0o600
    database, opened = open_database(str(livret_file))  # and it opens as before
    database.dispose()
    assert opened.migrated_from is None


def test_restore_an_older_schema_then_it_is_migrated_at_opening(livret_file: Path) -> None:
    restore_database(str(livret_file), FIXTURE)
    database, report = open_database(str(livret_file))
    database.dispose()
    assert report.migrated_from == "0001"
    assert "N'Diaye" in learners(livret_file)


def _corrupt(path: Path, good: Path) -> None:
    data = bytearray(good.read_bytes())
    page = 4096
    for offset in range(2 * page, len(data), page):  # scribble over every b-tree page header
        data[offset : offset + 8] = b"\xff" * 8
    path.write_bytes(bytes(data))


def _foreign(path: Path, _good: Path) -> None:
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("CREATE TABLE notes (eleve TEXT)")


def _newer(path: Path, good: Path) -> None:
    shutil.copyfile(good, path)
    with closing(sqlite3.connect(path)) as connection:
        connection.execute("UPDATE livret_schema_version SET version_num = '9999_future'")
        connection.commit()


def _text(path: Path, _good: Path) -> None:
    path.write_text("élève;note\n", encoding="utf-8")


def _empty(path: Path, _good: Path) -> None:
    path.write_bytes(b"")


@pytest.mark.parametrize(
    ("make", "fragment"),
    [
        (_corrupt, "abîmée"),
        (_foreign, "n'a pas été créée par Livret"),
        (_newer, "version plus récente"),
        (_text, "fichier d'un autre type"),
        (_empty, "aucune donnée Livret"),
    ],
    ids=["corrupt", "foreign", "newer", "text", "empty"],
)
def test_restore_refuses_and_leaves_everything_unchanged(
    livret_file: Path, tmp_path: Path, make: object, fragment: str
) -> None:
    add_learner(livret_file, "Actuel", "1111111111A")
    good = backup.backup_sqlite(livret_file, destination=tmp_path / "bonne.sqlite")
    bad = tmp_path / "mauvaise.sqlite"
    make(bad, good)  # type: ignore[operator]
    before, bad_before = digest(livret_file), digest(bad)
    with pytest.raises(DatabaseError) as refused:
        restore_database(str(livret_file), bad)
    assert refused.value.message.startswith("Restauration refusée")
    assert fragment in refused.value.message
    assert digest(livret_file) == before and digest(bad) == bad_before
    assert not any(backups_dir(livret_file).glob("*avant-restauration*"))


def test_restore_never_overwrites_another_programs_database(
    livret_file: Path, tmp_path: Path
) -> None:
    other = tmp_path / "autre.sqlite"
    _foreign(other, other)
    before = digest(other)
    with pytest.raises(DatabaseError, match="la restauration ne l'écrase pas"):
        restore_database(str(other), livret_file)
    assert digest(other) == before


def test_restore_over_a_damaged_database_keeps_its_bytes(livret_file: Path, tmp_path: Path) -> None:
    copy = backup.backup_sqlite(livret_file, destination=tmp_path / "bonne.sqlite")
    _corrupt(livret_file, copy)
    damaged = livret_file.read_bytes()
    report = restore_database(str(livret_file), copy)
    assert report.previous is not None and report.previous.read_bytes() == damaged
    assert report.previous.suffix == ".abimee"
    with closing(sqlite3.connect(livret_file)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_restore_is_refused_while_another_app_has_the_file_open(
    livret_file: Path, tmp_path: Path
) -> None:
    """Decision: no restore under a running app (it would keep showing the replaced data)."""
    copy = backup.backup_sqlite(livret_file, destination=tmp_path / "copie.sqlite")
    add_learner(livret_file, "Ouvert", "3333333333C")
    other_app, _ = open_database(str(livret_file))
    try:
        with other_app.snapshot() as connection:  # an idle pooled connection stays open
            connection.execute(text("SELECT 1"))
        before = digest(livret_file)
        with pytest.raises(DatabaseError, match="ouverte dans une autre application"):
            restore_database(str(livret_file), copy)
        assert digest(livret_file) == before
    finally:
        other_app.dispose()
    restore_database(str(livret_file), copy)  # once it is closed
    assert "Ouvert" not in learners(livret_file)


def test_restore_of_a_missing_database_creates_it(tmp_path: Path, livret_file: Path) -> None:
    target = tmp_path / "nouvelle.sqlite"
    report = restore_database(str(target), livret_file)
    assert report.previous is None
    assert target.stat().st_mode & 0o777 == 0o600
    assert learners(target) == learners(livret_file)


def test_restore_on_a_server_points_to_pg_restore(tmp_path: Path, livret_file: Path) -> None:
    with pytest.raises(DatabaseError) as refused:
        restore_database("postgresql://prof@serveur.invalid/livret", livret_file)
    assert refused.value.message == PG_RESTORE_HINT
    assert "pg_restore" in PG_RESTORE_HINT and "docs/etablissement.md" in PG_RESTORE_HINT


def test_backup_into_a_missing_folder_on_each_backend(database: Database, tmp_path: Path) -> None:
    folder = tmp_path / "nouveau" / "dossier"
    written = backup_database(database, folder)
    assert written.parent == folder and written.stat().st_size > 0
    if database.location.path is None:  # pg_dump's custom format
        assert written.name == "livret.dump" and written.read_bytes().startswith(b"PGDMP")


def test_restore_is_not_pretended_on_the_server(db_url: str, livret_file: Path) -> None:
    if "://" not in db_url:
        pytest.skip("a server URL only")
    with pytest.raises(DatabaseError) as refused:
        restore_database(db_url, livret_file)
    assert refused.value.message == PG_RESTORE_HINT
