"""`livret user …` on real databases: passwords from standard input or a hidden prompt,
never in the database in clear, never printed, never audited."""

from __future__ import annotations

import csv
import io
import stat
from pathlib import Path

import pytest
from sqlalchemy import func, select

from livret import cli
from livret.services.authentication import LoginRefused, authenticate, requires_login
from livret.services.database import Database
from livret.storage import models

PASSWORD = "Cheval-Agrafe-42"
OTHER_PASSWORD = "Pile-Batterie-7"


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    db_url: str,
    *args: str,
    stdin: str = "",
) -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = cli.main(["user", *args, "--db", db_url])
    out, err = capsys.readouterr()
    return code, out, err


def stored_hash(database: Database, login: str) -> str | None:
    with database.sessions() as session:
        return session.scalar(select(models.User.password_hash).where(models.User.login == login))


def database_bytes(database: Database) -> bytes:
    path = database.location.path
    if path is None:
        return b""
    data = path.read_bytes()
    for suffix in ("-wal", "-journal"):
        side = Path(f"{path}{suffix}")
        if side.exists():
            data += side.read_bytes()
    return data


def audit_texts(database: Database) -> str:
    event = models.AuditEvent
    with database.sessions() as session:
        rows = session.execute(select(event.actor, event.action, event.details)).all()
    return "\n".join(" ".join(str(cell) for cell in row) for row in rows)


def test_add_with_password_from_stdin_then_login(
    database: Database,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    login_free_before = not requires_login(database)
    code, out, err = run(
        capsys,
        monkeypatch,
        db_url,
        "add",
        "Marie",
        "--role",
        "administrateur",
        "--name",
        "Mme Martin",
        stdin=PASSWORD + "\n",
    )
    assert code == 0, err
    assert "« marie » créé" in out
    actor = authenticate(database, "marie", PASSWORD)
    assert actor.display_name == "Mme Martin"
    assert (stored_hash(database, "marie") or "").startswith("$argon2id$")
    if login_free_before:  # a SQLite file that opened without login
        assert "demandera désormais de se connecter" in err
        assert "livret user passwd " in err

    code, out, err = run(capsys, monkeypatch, db_url, "list")
    assert code == 0, err
    header, *lines = out.splitlines()
    assert header.split()[:3] == ["identifiant", "nom", "affiché"]
    marie = next(line for line in lines if line.startswith("marie "))
    assert "Mme Martin" in marie and "Administrateur" in marie

    everything = out + err + audit_texts(database)
    assert PASSWORD not in everything
    assert PASSWORD.encode() not in database_bytes(database)
    assert "user_added" in audit_texts(database)


def test_passwd_disable_enable_rename(
    database: Database,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, _, err = run(
        capsys, monkeypatch, db_url, "add", "paul", "--role", "enseignant", stdin=PASSWORD
    )
    assert code == 0, err  # a last line without newline is read too
    first_hash = stored_hash(database, "paul")

    code, out, err = run(capsys, monkeypatch, db_url, "passwd", "paul", stdin=OTHER_PASSWORD + "\n")
    assert code == 0, err
    assert stored_hash(database, "paul") != first_hash
    with pytest.raises(LoginRefused):
        authenticate(database, "paul", PASSWORD)
    authenticate(database, "paul", OTHER_PASSWORD)
    assert OTHER_PASSWORD not in out + err + audit_texts(database)
    assert OTHER_PASSWORD.encode() not in database_bytes(database)

    code, out, err = run(capsys, monkeypatch, db_url, "disable", "paul")
    assert code == 0, err
    assert "désactivé" in out
    with pytest.raises(LoginRefused, match="désactivé"):
        authenticate(database, "paul", OTHER_PASSWORD)
    _, out, _ = run(capsys, monkeypatch, db_url, "list")
    paul = next(line for line in out.splitlines() if line.startswith("paul "))
    assert paul.split()[-2:] == ["non", "oui"]  # actif : non, mot de passe : oui

    code, out, err = run(capsys, monkeypatch, db_url, "enable", "paul")
    assert code == 0, err
    authenticate(database, "paul", OTHER_PASSWORD)

    code, out, err = run(capsys, monkeypatch, db_url, "rename", "paul", "--name", "M. Durand")
    assert code == 0, err
    assert authenticate(database, "paul", OTHER_PASSWORD).display_name == "M. Durand"


def test_refusals_are_one_french_line(
    database: Database,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, out, err = run(
        capsys, monkeypatch, db_url, "add", "lea", "--role", "ddfpt", stdin="court\n"
    )
    assert code == 1
    assert err.strip().splitlines() == [
        "livret : erreur : Le mot de passe doit compter au moins 8 caractères."
    ]
    assert "court" not in out
    code, _, err = run(capsys, monkeypatch, db_url, "add", "lea", "--role", "ddfpt")
    assert code == 1
    assert "Aucun mot de passe lu" in err
    code, _, err = run(capsys, monkeypatch, db_url, "passwd", "personne", stdin=PASSWORD)
    assert code == 1
    assert err.strip() == "livret : erreur : Aucun compte « personne »."
    with database.sessions() as session:
        assert session.scalar(select(func.count()).where(models.User.login == "lea")) == 0

    with pytest.raises(SystemExit) as exited:
        run(capsys, monkeypatch, db_url, "add", "lea", "--role", "chef")
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert "choix invalide" in err and "au choix" in err


def test_terminal_prompts_twice_and_refuses_a_mismatch(
    database: Database,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    prompts: list[str] = []
    answers = iter([PASSWORD, "Autre-chose-99"])

    def fake_getpass(prompt: str = "") -> str:
        prompts.append(prompt)
        return next(answers)

    monkeypatch.setattr("getpass.getpass", fake_getpass)
    monkeypatch.setattr("sys.stdin", _Terminal())
    code = cli.main(["user", "add", "zoe", "--role", "enseignant", "--db", db_url])
    out, err = capsys.readouterr()
    assert code == 1
    assert "diffèrent" in err
    assert prompts == ["Mot de passe : ", "Confirmez le mot de passe : "]
    assert PASSWORD not in out + err
    with database.sessions() as session:
        assert session.scalar(select(func.count()).where(models.User.login == "zoe")) == 0

    answers = iter([PASSWORD, PASSWORD])
    code = cli.main(["user", "add", "zoe", "--role", "enseignant", "--db", db_url])
    assert code == 0, capsys.readouterr().err
    authenticate(database, "zoe", PASSWORD)


def test_learner_account_needs_an_existing_ine(
    demo_database: Database,
    db_url: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    code, _, err = run(
        capsys, monkeypatch, db_url, "add", "eleve", "--role", "apprenant", stdin=PASSWORD
    )
    assert code == 1
    assert "--learner" in err
    code, _, err = run(
        capsys,
        monkeypatch,
        db_url,
        "add",
        "eleve",
        "--role",
        "apprenant",
        "--learner",
        "0000000000Z",
        stdin=PASSWORD,
    )
    assert code == 1
    assert "Aucun apprenant d'INE" in err

    with demo_database.sessions() as session:
        learner_id, ine = session.execute(
            select(models.Learner.id, models.Learner.ine).order_by(models.Learner.id).limit(1)
        ).one()
    code, out, err = run(
        capsys,
        monkeypatch,
        db_url,
        "add",
        "eleve",
        "--role",
        "apprenant",
        "--learner",
        ine,
        stdin=PASSWORD,
    )
    assert code == 0, err
    assert ine in out
    actor = authenticate(demo_database, "eleve", PASSWORD)
    assert actor.learner_id == learner_id
    _, out, _ = run(capsys, monkeypatch, db_url, "list")
    assert ine in next(line for line in out.splitlines() if line.startswith("eleve "))


def test_class_accounts_write_a_private_csv_once(
    demo_database: Database,
    db_url: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cls, year, enrolment, learner = (
        models.SchoolClass,
        models.SchoolYear,
        models.Enrolment,
        models.Learner,
    )
    with demo_database.sessions() as session:
        class_id, code, year_label = session.execute(
            select(cls.id, cls.code, year.label)
            .join(year, year.id == cls.school_year_id)
            .order_by(cls.id)
            .limit(1)
        ).one()
        expected = session.scalar(
            select(func.count())
            .select_from(enrolment)
            .join(learner, learner.id == enrolment.learner_id)
            .where(enrolment.class_id == class_id, learner.left_on.is_(None))
        )
    assert expected
    out_csv = tmp_path / "comptes.csv"
    args = ("class-accounts", "--class", code, "--year", year_label, "--out", str(out_csv))
    exit_code, out, err = run(capsys, monkeypatch, db_url, *args)
    assert exit_code == 0, err
    assert f"{expected} compte(s) apprenant créé(s)" in out
    assert str(out_csv) in out
    assert "propriétaire seulement" in out
    assert stat.S_IMODE(out_csv.stat().st_mode) == 0o600

    with out_csv.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert len(rows) == expected
    for row in rows:
        actor = authenticate(demo_database, row["identifiant"], row["mot de passe"])
        assert actor.learner_id is not None
        assert row["mot de passe"] not in out + err
        assert row["mot de passe"] not in audit_texts(demo_database)

    out_csv.unlink()
    exit_code, out, err = run(capsys, monkeypatch, db_url, *args)
    assert exit_code == 0, err
    assert "aucun compte créé" in out
    assert f"Avaient déjà un compte ({expected})" in out
    assert not out_csv.exists()

    exit_code, _, err = run(
        capsys, monkeypatch, db_url, "class-accounts", "--class", "NULLE", "--out", str(out_csv)
    )
    assert exit_code == 1
    assert err.strip() == "livret : erreur : Aucune classe « NULLE »."
