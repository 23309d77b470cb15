"""Files Livret did not write, or cannot write: one French message each, and not a byte changed."""

from __future__ import annotations

import hashlib
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from livret.domain.errors import DatabaseError
from livret.services.catalog import CatalogService
from livret.services.database import open_database
from livret.services.users import command_line_actor
from livret.storage import recognise

FIXTURE = Path(__file__).parents[1] / "data" / "livret-0001.sqlite"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def fingerprint(folder: Path) -> dict[str, tuple[str, int, int]]:
    """Every file of the folder: hash, mtime, mode (side files such as -wal/-shm included)."""
    return {
        p.name: (hashlib.sha256(p.read_bytes()).hexdigest(), p.stat().st_mtime_ns, p.stat().st_mode)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def english_or_sql(message: str) -> list[str]:
    words = ("OperationalError", "[SQL", "INSERT", "SELECT", "parameters", "database is", "attempt")
    return [word for word in words if word in message]


@pytest.fixture
def livret_file(tmp_path: Path) -> Iterator[Path]:
    """A current Livret database with a few rows, closed."""
    path = tmp_path / "livret" / "livret.sqlite"
    path.parent.mkdir()
    database, _ = open_database(str(path), create=True)
    database.dispose()
    yield path


def _foreign(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE notes (eleve TEXT, note REAL)")
        connection.execute("INSERT INTO notes VALUES ('Zoé', 14.5)")
    connection.close()


def _foreign_wal(path: Path) -> None:
    _foreign(path)
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA journal_mode=WAL")
    connection.close()


def _zero_bytes(path: Path) -> None:
    path.write_bytes(b"")


def _other_type(path: Path) -> None:
    path.write_bytes(b"%PDF-1.7\n" + b"x" * 5000)


def _truncated(path: Path) -> None:
    shutil.copyfile(FIXTURE, path)
    with path.open("r+b") as handle:
        handle.truncate(path.stat().st_size // 2)


def _cut_in_the_header(path: Path) -> None:
    path.write_bytes(FIXTURE.read_bytes()[:40])


def _cut_in_the_magic(path: Path) -> None:
    path.write_bytes(b"SQLite for")


def _newer(path: Path) -> None:
    shutil.copyfile(FIXTURE, path)
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE livret_schema_version SET version_num = '9999_future'")
    connection.close()


def _alembic_of_another_app(path: Path) -> None:
    with sqlite3.connect(path) as connection:
        connection.execute("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL)")
        connection.execute("INSERT INTO alembic_version VALUES ('0001')")
    connection.close()


REFUSED: dict[str, tuple[Callable[[Path], None], str]] = {
    "non-Livret SQLite": (_foreign, "n'a pas été créée par Livret"),
    "non-Livret SQLite in WAL mode": (_foreign_wal, "n'a pas été créée par Livret"),
    "another app's Alembic": (_alembic_of_another_app, "n'a pas été créée par Livret"),
    "zero bytes": (_zero_bytes, "est vide"),
    "another type": (_other_type, "fichier d'un autre type"),
    "truncated": (_truncated, "abîmée ou tronquée"),
    "cut in the header": (_cut_in_the_header, "abîmée ou tronquée"),
    "cut in the magic": (_cut_in_the_magic, "abîmée ou tronquée"),
    "newer schema": (_newer, "version plus récente de Livret"),
}


@pytest.mark.parametrize("make", REFUSED.values(), ids=REFUSED.keys())
@pytest.mark.parametrize("upgrade", [True, False], ids=["open", "check"])
def test_a_refused_file_is_left_byte_for_byte(
    tmp_path: Path, make: tuple[Callable[[Path], None], str], upgrade: bool
) -> None:
    folder = tmp_path / "ailleurs"
    folder.mkdir()
    path = folder / "fichier.sqlite"
    build, fragment = make
    build(path)
    os.utime(path, ns=(1_600_000_000_000_000_000, 1_600_000_000_000_000_000))
    before = fingerprint(folder)
    with pytest.raises(DatabaseError) as refused:
        open_database(str(path), upgrade=upgrade)
    assert fragment in refused.value.message
    assert "Rien n'a été modifié" in refused.value.message
    assert not english_or_sql(refused.value.message)
    assert fingerprint(folder) == before
    assert not (folder / "sauvegardes").exists()


def test_the_cli_leaves_a_foreign_file_in_its_journal_mode(tmp_path: Path) -> None:
    path = tmp_path / "autre.sqlite"
    _foreign(path)
    before = fingerprint(tmp_path)
    result = subprocess.run(
        [sys.executable, "-m", "livret", "db", "check", "--db", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("livret : erreur : ") and len(result.stderr.splitlines()) == 1
    assert fingerprint(tmp_path) == before
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as connection:
        assert connection.execute("PRAGMA journal_mode").fetchone() == ("delete",)


def test_a_zero_byte_file_is_made_a_livret_only_when_asked(tmp_path: Path) -> None:
    path = tmp_path / "vide.sqlite"
    path.write_bytes(b"")
    database, report = open_database(str(path), create=True)  # `db init`, or the GUI's file
    database.dispose()
    assert report.created


# -- read-only -----------------------------------------------------------------------------


SETPRIV = shutil.which("setpriv")
# Root ignores file modes: the CLI then runs without the two capabilities that let it.
AS_ORDINARY_USER = (
    [SETPRIV, "--bounding-set=-dac_override,-dac_read_search"] if IS_ROOT and SETPRIV else []
)


def run_as_user(*argv: str) -> subprocess.CompletedProcess[str]:
    if IS_ROOT and not SETPRIV:
        pytest.skip("root without setpriv: file modes cannot be made to apply")
    return subprocess.run(
        [*AS_ORDINARY_USER, sys.executable, "-m", "livret", *argv],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("where", ["file", "folder"])
def test_a_read_only_file_gets_one_french_line_and_stays_as_it_was(
    livret_file: Path, where: str
) -> None:
    path = livret_file
    if where == "file":
        path.chmod(0o444)
    else:
        path.parent.chmod(0o555)
    before = fingerprint(path.parent)
    try:
        for argv in (("db", "check"), ("db", "upgrade"), ("db", "backup")):
            result = run_as_user(*argv, "--db", str(path))
            assert result.returncode == 1, result.stdout
            (line,) = result.stderr.strip().splitlines()
            assert line.startswith("livret : erreur : La base")
            assert "en lecture seule" in line and "Rien n'a été modifié" in line
            assert not english_or_sql(line)
    finally:
        path.parent.chmod(0o755)
    assert fingerprint(path.parent) == before


@pytest.mark.skipif(IS_ROOT, reason="root ignores file modes (the CLI test drops that right)")
def test_read_only_in_process(livret_file: Path) -> None:
    livret_file.chmod(0o444)
    before = fingerprint(livret_file.parent)
    with pytest.raises(DatabaseError, match="en lecture seule"):
        open_database(str(livret_file))
    assert fingerprint(livret_file.parent) == before


def test_read_only_message_when_sqlite_itself_says_so(livret_file: Path) -> None:
    """A read-only mount, or a right lost after the checks: SQLite's refusal in French."""
    from livret.storage.engine import describe_connection_error, resolve

    error = sqlite3.OperationalError("attempt to write a readonly database")
    message = describe_connection_error(resolve(str(livret_file)), error).message
    assert "en lecture seule" in message and not english_or_sql(message)


# -- locked ---------------------------------------------------------------------------------


@pytest.fixture
def short_wait(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(recognise, "BUSY_TIMEOUT_SECONDS", 0.3)


@pytest.mark.parametrize("journal", ["wal", "delete"])
def test_a_file_locked_by_another_program(
    livret_file: Path, short_wait: None, journal: str
) -> None:
    with sqlite3.connect(livret_file) as connection:
        connection.execute(f"PRAGMA journal_mode={journal}")
    connection.close()
    other_program = sqlite3.connect(livret_file, isolation_level=None)
    try:
        other_program.execute("BEGIN EXCLUSIVE")
        before = fingerprint(livret_file.parent)
        with pytest.raises(DatabaseError) as refused:
            open_database(str(livret_file))
        message = refused.value.message
        assert "occupée par un autre programme" in message and "Rien n'a été modifié" in message
        assert not english_or_sql(message)
        assert fingerprint(livret_file.parent) == before
    finally:
        other_program.close()
    database, _ = open_database(str(livret_file))  # once released, it opens
    database.dispose()


# -- two apps on one file ------------------------------------------------------------------


def test_two_apps_on_one_file_both_work(livret_file: Path) -> None:
    """Decision: a second app is not refused; WAL serialises the writes, each sees the other's."""
    first, _ = open_database(str(livret_file))
    second, report = open_database(str(livret_file))
    try:
        assert report.daily_backup is None  # the first opening of the day made it
        actor = command_line_actor(first)
        CatalogService(first, actor).list_classes()
        with first.transaction() as session:
            session.execute(
                text(
                    "INSERT INTO learner (ine, family_name, first_name) "
                    "VALUES ('1111111111A', 'Un', 'A')"
                )
            )
        with second.transaction() as session:
            session.execute(
                text(
                    "INSERT INTO learner (ine, family_name, first_name) "
                    "VALUES ('2222222222B', 'Deux', 'B')"
                )
            )
        for database in (first, second):
            with database.snapshot() as connection:
                names = set(connection.scalars(text("SELECT family_name FROM learner")))
            assert {"Un", "Deux"} <= names
    finally:
        first.dispose()
        second.dispose()
    with sqlite3.connect(livret_file) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_checkpoint_cut_short_by_a_kill_still_opens(livret_file: Path, tmp_path: Path) -> None:
    """Killed mid-checkpoint: the header already counts pages the file does not hold yet.

    The write-ahead log beside it still has them all: the file is not damaged, and the
    next opening finishes the checkpoint (found by the kill-safety test, under load).
    """
    writer = sqlite3.connect(livret_file, isolation_level=None)
    writer.execute("PRAGMA wal_autocheckpoint=0")
    writer.execute("CREATE TABLE filler (x BLOB)")
    writer.executemany("INSERT INTO filler VALUES (randomblob(4000))", [()] * 50)
    crashed = tmp_path / "crashed"
    crashed.mkdir()
    copy = crashed / livret_file.name
    # The state a kill leaves: the main file and its log, the writer never closed.
    for suffix in ("", "-wal"):
        shutil.copyfile(f"{livret_file}{suffix}", f"{copy}{suffix}")
    writer.close()
    header = bytearray(copy.read_bytes()[:100])
    page_size = int.from_bytes(header[16:18], "big")
    pages = copy.stat().st_size // page_size
    header[28:32] = (pages + 60).to_bytes(4, "big")  # written first by the checkpoint
    header[92:96] = header[24:28]  # and marked valid, as SQLite does
    with copy.open("r+b") as handle:
        handle.write(bytes(header))
    database, _ = open_database(str(copy))
    try:
        with database.engine.connect() as connection:
            assert connection.execute(text("SELECT count(*) FROM filler")).scalar() == 50
            assert connection.execute(text("PRAGMA integrity_check")).scalar() == "ok"
    finally:
        database.dispose()
