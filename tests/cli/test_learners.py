"""`livret learner export|erase|retention` on the real demo database: answers read from
standard input (or a hidden prompt), the DDFPT's password never printed."""

from __future__ import annotations

import datetime as dt
import io
import json
import stat
import zipfile
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from livret import cli
from livret.domain.roles import Role
from livret.services.database import Database
from tests.accounts import PASSWORD, make_account
from tests.demo_queries import learner_with


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def rows(database: Database, sql: str, **params: Any) -> list[Any]:
    with database.engine.connect() as connection:
        return list(connection.execute(text(sql), params).all())


def run(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    db_url: str,
    *args: str,
    stdin: str = "",
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = cli.main(["learner", *args, "--db", db_url])
    out, err = capsys.readouterr()
    return code, out, err


def _learner(database: Database) -> tuple[int, str, str]:
    learner_id = learner_with(database, 2, True)
    ine, family, first = rows(
        database, "SELECT ine, family_name, first_name FROM learner WHERE id = :l", l=learner_id
    )[0]
    return learner_id, ine, f"{family.upper()} {first}"


def test_export_then_erase_from_stdin(
    demo_database: Database,
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_account(demo_database, Role.DDFPT)
    learner_id, ine, name = _learner(demo_database)
    out = tmp_path / "rgpd" / "eleve.zip"
    out.parent.mkdir()

    code, stdout, err = run(capsys, monkeypatch, db_url, "export", "--ine", ine, "--out", str(out))
    assert code == 0, err
    assert str(out) in stdout
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    with zipfile.ZipFile(out) as archive:
        record = json.loads(archive.read("donnees.json"))
    assert record["learner"]["ine"] == ine
    code, _, err = run(capsys, monkeypatch, db_url, "export", "--ine", ine, "--out", str(out))
    assert code == 1 and "existe déjà" in err

    # A wrong word: nothing erased.
    code, stdout, err = run(capsys, monkeypatch, db_url, "erase", "--ine", ine, stdin="oui\n")
    assert code == 1 and "rien n'a été effacé" in err
    assert f"Effacement de {name} (INE {ine})" in stdout
    assert "un DDFPT doit contre-signer" in stdout
    assert rows(demo_database, "SELECT COUNT(*) FROM learner WHERE id = :l", l=learner_id)[0][0]

    # A wrong password: nothing erased.
    code, _, err = run(
        capsys, monkeypatch, db_url, "erase", "--ine", ine, stdin="EFFACER\ntest-ddfpt\nfaux\n"
    )
    assert code == 1 and "incorrect" in err
    assert rows(demo_database, "SELECT COUNT(*) FROM learner WHERE id = :l", l=learner_id)[0][0]

    code, stdout, err = run(
        capsys,
        monkeypatch,
        db_url,
        "erase",
        "--ine",
        ine,
        "--ddfpt",
        "test-ddfpt",
        stdin=f"EFFACER\n{PASSWORD}\n",
    )
    assert code == 0, err
    assert "Apprenant effacé" in stdout and PASSWORD not in stdout + err
    assert (
        rows(demo_database, "SELECT COUNT(*) FROM learner WHERE id = :l", l=learner_id)[0][0] == 0
    )
    audit = rows(demo_database, "SELECT actor, action, details FROM audit_event")
    assert next(a for a in audit if a[1] == "learner_erased")[0].startswith("ligne de commande")
    assert sum(a[1] == "bilan_unlocked" for a in audit) == 2
    assert not any(ine in a[2] or name in a[2] for a in audit)

    code, _, err = run(capsys, monkeypatch, db_url, "erase", "--ine", ine, stdin="EFFACER\n")
    assert code == 1 and "Aucun apprenant n'a l'INE" in err


def test_erase_at_a_terminal_hides_the_password(
    demo_database: Database,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    make_account(demo_database, Role.DDFPT)
    learner_id, ine, _ = _learner(demo_database)
    monkeypatch.setattr("sys.stdin", _Terminal())
    typed = iter(["EFFACER", "test-ddfpt"])
    hidden: list[str] = []
    monkeypatch.setattr("builtins.input", lambda prompt: next(typed))

    def getpass(prompt: str) -> str:
        hidden.append(prompt)
        return PASSWORD

    monkeypatch.setattr("getpass.getpass", getpass)
    code = cli.main(["learner", "erase", "--ine", ine, "--db", db_url])
    _, err = capsys.readouterr()
    assert code == 0, err
    assert hidden == ["Mot de passe du DDFPT : "]
    assert (
        rows(demo_database, "SELECT COUNT(*) FROM learner WHERE id = :l", l=learner_id)[0][0] == 0
    )


def test_retention_lists_the_learners_who_left(
    demo_database: Database,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    learner_id, ine, name = _learner(demo_database)
    with demo_database.engine.begin() as connection:
        connection.execute(text("UPDATE learner SET left_on = NULL"))
        connection.execute(
            text("UPDATE learner SET left_on = :d WHERE id = :l"),
            {"d": dt.date.today() - dt.timedelta(days=2 * 366), "l": learner_id},
        )
    code, stdout, err = run(capsys, monkeypatch, db_url, "retention", "--years", "1")
    assert code == 0, err
    header, line, total = stdout.splitlines()
    assert header.split()[:2] == ["INE", "apprenant"]
    assert line.startswith(ine) and name in line
    assert total == "1 apprenant(s) sorti(s) depuis plus de 1 an(s)."
    code, stdout, _ = run(capsys, monkeypatch, db_url, "retention", "--years", "3")
    assert code == 0 and stdout.strip() == "Aucun apprenant sorti depuis plus de 3 an(s)."
    code, stdout, _ = run(capsys, monkeypatch, db_url, "retention")  # the default: 1 year
    assert ine in stdout
    with pytest.raises(SystemExit) as refused:
        run(capsys, monkeypatch, db_url, "retention", "--years", "-2")
    assert refused.value.code == 2
    assert "un nombre positif ou nul est attendu" in capsys.readouterr().err
