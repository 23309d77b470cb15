"""The command line as a user runs it: real processes, real files, French one-line errors."""

from __future__ import annotations

import os
import re
import socket
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from livret import __version__


def livret(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "livret", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        check=False,
    )


def assert_one_line_french_error(result: subprocess.CompletedProcess[str], fragment: str) -> None:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("livret : erreur : ")
    assert fragment in lines[0]


def test_version() -> None:
    result = livret("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"livret {__version__}"


def test_init_check_backup_upgrade(tmp_path: Path) -> None:
    db = tmp_path / "livret.sqlite"
    created = livret("db", "init", "--db", str(db))
    assert created.returncode == 0, created.stderr
    assert "Base créée" in created.stdout
    assert db.stat().st_mode & 0o777 == 0o600

    check = livret("db", "check", "--db", str(db))
    assert check.returncode == 0, check.stderr
    lines = check.stdout.splitlines()
    assert lines[0] == "ok"
    counts = dict(line.split() for line in lines[2:])
    assert counts["common_competency"] == "13"
    assert counts["criterion"] == "118"
    assert counts["learner"] == "0"

    again = livret("db", "init", "--db", str(db))
    assert again.returncode == 0
    assert "existe déjà" in again.stdout

    upgrade = livret("db", "upgrade", "--db", str(db))
    assert upgrade.returncode == 0
    assert "déjà à jour" in upgrade.stdout

    out = tmp_path / "copie.sqlite"
    backup = livret("db", "backup", "--db", str(db), "--out", str(out))
    assert backup.returncode == 0, backup.stderr
    with sqlite3.connect(out) as copy:
        assert copy.execute("SELECT COUNT(*) FROM criterion").fetchone() == (118,)


def test_check_reports_a_missing_guard(tmp_path: Path) -> None:
    db = tmp_path / "livret.sqlite"
    assert livret("db", "init", "--db", str(db)).returncode == 0
    with sqlite3.connect(db) as connection:
        connection.execute("DROP TRIGGER trg_bilan_final_update")
    check = livret("db", "check", "--db", str(db))
    assert check.returncode == 1
    assert check.stdout.splitlines()[0] == "problèmes :"
    assert "trg_bilan_final_update" in check.stdout


def test_demo_create_then_final_bilans_are_protected(tmp_path: Path) -> None:
    db = tmp_path / "demo.sqlite"
    result = livret("demo", "create", "--db", str(db), "--learners", "30", "--evaluations", "40")
    assert result.returncode == 0, result.stderr
    assert "30 apprenants" in result.stdout
    assert re.search(r"créée en \d+,\d s : ", result.stdout), result.stdout  # « 1,4 s »
    check = livret("db", "check", "--db", str(db))
    assert check.stdout.splitlines()[0] == "ok"
    # What a user would try with the sqlite3 shell: the trigger refuses it.
    shell = subprocess.run(
        ["sqlite3", str(db), "update bilan set constats='x' where status='final'"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert shell.returncode != 0
    assert "Bilan définitif" in shell.stderr
    again = livret("demo", "create", "--db", str(db), "--learners", "5")
    assert_one_line_french_error(again, "contient déjà des apprenants")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("command", [("db", "check"), ("db", "upgrade"), ("db", "init")])
def test_bad_db_values_give_one_french_line(tmp_path: Path, command: tuple[str, ...]) -> None:
    not_a_db = tmp_path / "notes.txt"
    not_a_db.write_text("Ceci n'est pas une base.\n", encoding="utf-8")
    cases = {
        str(tmp_path / "absent" / "livret.sqlite"): "n'existe pas",
        str(not_a_db): "n'est pas une base de données Livret",
        str(tmp_path): "est un dossier",
        f"postgresql://postgres@127.0.0.1:{_closed_port()}/livret": "Impossible de joindre",
        "mongodb://localhost/livret": "non pris en charge",
    }
    for value, fragment in cases.items():
        assert_one_line_french_error(livret(*command, "--db", value), fragment)
    assert not_a_db.read_text(encoding="utf-8") == "Ceci n'est pas une base.\n"


def test_missing_database_is_not_created_by_check(tmp_path: Path) -> None:
    db = tmp_path / "nouvelle.sqlite"
    assert_one_line_french_error(livret("db", "check", "--db", str(db)), "livret db init")
    assert not db.exists()


def test_default_database_lives_in_the_user_data_folder(tmp_path: Path) -> None:
    data_home = tmp_path / "data"
    result = livret("db", "init", env={"XDG_DATA_HOME": str(data_home)})
    assert result.returncode == 0, result.stderr
    db = data_home / "Livret" / "livret.sqlite"
    assert db.exists()
    assert db.stat().st_mode & 0o777 == 0o600
    assert (data_home / "Livret").stat().st_mode & 0o777 == 0o700


def test_usage_errors_are_french(tmp_path: Path) -> None:
    result = livret("demo", "create", "--db", str(tmp_path / "x.sqlite"), "--learners", "zéro")
    assert result.returncode == 2
    assert "n'est pas un nombre entier" in result.stderr
    assert "Traceback" not in result.stderr


def test_init_check_and_backup_on_each_backend(db_url: str, tmp_path: Path) -> None:
    assert livret("db", "init", "--db", db_url).returncode == 0
    check = livret("db", "check", "--db", db_url)
    assert check.returncode == 0, check.stderr
    assert check.stdout.splitlines()[0] == "ok"
    assert "criterion" in check.stdout
    out = tmp_path / "sauvegarde.dump"
    backup = livret("db", "backup", "--db", db_url, "--out", str(out))
    assert backup.returncode == 0, backup.stderr
    assert out.stat().st_size > 10_000


def test_check_and_backup_leave_an_old_schema_alone(tmp_path: Path) -> None:
    from livret.storage import migrate
    from livret.storage.engine import make_engine, resolve

    db = tmp_path / "ancienne.sqlite"
    engine = make_engine(resolve(str(db)), create=True)
    migrate.upgrade(engine, "0001")
    engine.dispose()
    check = livret("db", "check", "--db", str(db))
    assert check.returncode == 1
    assert "schéma en révision 0001" in check.stdout
    backup = livret("db", "backup", "--db", str(db), "--out", str(tmp_path))
    assert backup.returncode == 0, backup.stderr
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT version_num FROM livret_schema_version").fetchone() == (
            "0001",
        )
    upgraded = livret("db", "upgrade", "--db", str(db))
    assert upgraded.returncode == 0
    assert "depuis la révision 0001" in upgraded.stdout
    assert livret("db", "check", "--db", str(db)).stdout.splitlines()[0] == "ok"


def test_locked_database_gives_one_french_line(tmp_path: Path) -> None:
    from livret.storage import migrate
    from livret.storage.engine import make_engine, resolve

    db = tmp_path / "occupee.sqlite"
    engine = make_engine(resolve(str(db)), create=True)
    migrate.upgrade(engine, "0001")
    engine.dispose()
    other_program = sqlite3.connect(db, isolation_level=None)
    try:
        other_program.execute("BEGIN IMMEDIATE")  # holds the write lock
        result = livret("db", "upgrade", "--db", str(db))
    finally:
        other_program.close()
    assert_one_line_french_error(result, "occupée par un autre programme")
    with sqlite3.connect(db) as connection:
        assert connection.execute("SELECT version_num FROM livret_schema_version").fetchone() == (
            "0001",
        )
