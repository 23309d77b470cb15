"""`livret db restore` and `livret db backup --out` as a user runs them."""

from __future__ import annotations

import hashlib
import sqlite3
from contextlib import closing
from pathlib import Path

from tests.cli.test_cli import assert_one_line_french_error, livret


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def add_learner(db: Path, name: str, ine: str) -> None:
    with closing(sqlite3.connect(db)) as connection:
        connection.execute(
            "INSERT INTO learner (ine, family_name, first_name) VALUES (?, ?, 'X')", (ine, name)
        )
        connection.commit()


def names(db: Path) -> set[str]:
    with closing(sqlite3.connect(db)) as connection:
        return {row[0] for row in connection.execute("SELECT family_name FROM learner")}


def test_backup_then_restore(tmp_path: Path) -> None:
    db = tmp_path / "livret.sqlite"
    assert livret("db", "init", "--db", str(db)).returncode == 0
    add_learner(db, "Avant", "1111111111A")
    folder = tmp_path / "clé USB" / "sauvegardes"  # does not exist yet
    backup = livret("db", "backup", "--db", str(db), "--out", str(folder))
    assert backup.returncode == 0, backup.stderr
    (copy,) = folder.iterdir()
    assert backup.stdout.strip() == f"Sauvegarde écrite : {copy}"
    add_learner(db, "Après", "2222222222B")

    restored = livret("db", "restore", str(copy), "--db", str(db))

    assert restored.returncode == 0, restored.stderr
    lines = restored.stdout.strip().splitlines()
    assert lines[0].startswith("Copie de la base avant restauration : ")
    previous = Path(lines[0].split(" : ", 1)[1])
    assert lines[1].startswith(f"Sauvegarde restaurée : {copy}")
    assert names(db) >= {"Avant"} and "Après" not in names(db)
    assert "Après" in names(previous)
    assert livret("db", "check", "--db", str(db)).stdout.splitlines()[0] in ("ok", "problèmes :")


def test_restore_refuses_a_foreign_file_and_changes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "livret.sqlite"
    assert livret("db", "init", "--db", str(db)).returncode == 0
    other = tmp_path / "notes.sqlite"
    with closing(sqlite3.connect(other)) as connection:
        connection.execute("CREATE TABLE notes (eleve TEXT)")
    before = digest(db), digest(other)
    result = livret("db", "restore", str(other), "--db", str(db))
    assert_one_line_french_error(result, "Restauration refusée")
    assert "n'a pas été créée par Livret" in result.stderr
    assert (digest(db), digest(other)) == before


def test_restore_of_a_missing_file(tmp_path: Path) -> None:
    db = tmp_path / "livret.sqlite"
    assert livret("db", "init", "--db", str(db)).returncode == 0
    result = livret("db", "restore", str(tmp_path / "absente.sqlite"), "--db", str(db))
    assert_one_line_french_error(result, "n'existe pas")


def test_restore_on_a_server_explains_pg_restore(tmp_path: Path) -> None:
    copy = tmp_path / "copie.sqlite"
    result = livret("db", "restore", str(copy), "--db", "postgresql://prof@serveur.invalid/livret")
    assert_one_line_french_error(result, "pg_restore")
    assert "docs/etablissement.md" in result.stderr


def test_restore_is_in_the_help() -> None:
    result = livret("db", "--help")
    assert "restore" in result.stdout and "remplace la base par une sauvegarde" in result.stdout
