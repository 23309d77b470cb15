"""Login, its growing wait, the DDFPT countersignature and account management, on a real base."""

from __future__ import annotations

import datetime as dt
import stat
from pathlib import Path

import pytest
from sqlalchemy import text

from livret.domain.errors import NotFound, PermissionDenied, ValidationError
from livret.domain.roles import Actor, Role
from livret.services.accounts import AccountService
from livret.services.authentication import (
    NO_DDFPT_MESSAGE,
    REFUSED_MESSAGE,
    LoginRefused,
    authenticate,
    countersign,
    local_profile,
    requires_login,
)
from livret.services.database import Database
from tests.accounts import ADMIN_SETUP, PASSWORD, make_account

SECRET = "Sésame-ouvre-toi 42"


def rows(database: Database, sql: str, **params: object) -> list[tuple[object, ...]]:
    with database.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params)]


def actions(database: Database) -> list[str]:
    return [str(row[0]) for row in rows(database, "SELECT action FROM audit_event ORDER BY id")]


def test_a_new_file_opens_login_free_until_an_account_has_a_password(database: Database) -> None:
    if not database.location.is_sqlite:
        assert requires_login(database)  # a server always asks
        return
    assert not requires_login(database)
    profile = local_profile(database)
    assert profile.local and profile.role is Role.TEACHER
    AccountService(database, profile).add("mdupont", Role.DDFPT, name="Mme Dupont", password=SECRET)
    assert requires_login(database)
    with pytest.raises(PermissionDenied):
        local_profile(database)


def test_a_right_password_logs_in_and_is_stored_only_as_argon2id(database: Database) -> None:
    AccountService(database, ADMIN_SETUP).add(
        "mmartin", Role.TEACHER, name="Mme Martin", password=SECRET
    )
    actor = authenticate(database, "  MMartin ", SECRET)
    assert (actor.display_name, actor.role, actor.local) == ("Mme Martin", Role.TEACHER, False)
    (stored,) = rows(database, "SELECT password_hash FROM app_user WHERE login = 'mmartin'")[0]
    assert str(stored).startswith("$argon2id$")
    assert SECRET not in str(rows(database, "SELECT * FROM audit_event"))
    if database.location.path is not None:
        for path in database.location.path.parent.glob(database.location.path.name + "*"):
            assert SECRET.encode() not in path.read_bytes()
    assert actions(database)[-1] == "login"


def test_wrong_login_and_wrong_password_get_the_same_message(database: Database) -> None:
    make_account(database, Role.TEACHER, "mmartin")
    with pytest.raises(LoginRefused) as unknown:
        authenticate(database, "personne", PASSWORD)
    with pytest.raises(LoginRefused) as wrong:
        authenticate(database, "mmartin", "pas le bon")
    assert unknown.value.message == wrong.value.message == REFUSED_MESSAGE
    assert actions(database)[-2:] == ["login_failed", "login_failed"]


def test_five_failures_in_a_row_make_the_account_wait(database: Database) -> None:
    make_account(database, Role.TEACHER, "mmartin")
    for _ in range(4):
        with pytest.raises(LoginRefused, match=r"^Identifiant ou mot de passe incorrect\.$"):
            authenticate(database, "mmartin", "faux")
    with pytest.raises(LoginRefused, match="attendre 30 s"):
        authenticate(database, "mmartin", "faux")
    # Even the right password waits: the account is not checked until then.
    with pytest.raises(LoginRefused, match="réessayez dans"):
        authenticate(database, "mmartin", PASSWORD)
    assert "login_locked" in actions(database)
    # Once the wait is over, the right password works and the count starts again.
    with database.engine.begin() as connection:
        connection.execute(
            text("UPDATE app_user SET locked_until = :past WHERE login = 'mmartin'"),
            {"past": dt.datetime.now() - dt.timedelta(seconds=1)},
        )
    authenticate(database, "mmartin", PASSWORD)
    assert rows(
        database, "SELECT failed_logins, locked_until FROM app_user WHERE login = 'mmartin'"
    ) == [(0, None)]


def test_a_disabled_account_cannot_log_in(database: Database) -> None:
    make_account(database, Role.TEACHER, "mmartin")
    AccountService(database, ADMIN_SETUP).set_active("mmartin", False)
    with pytest.raises(LoginRefused, match="désactivé"):
        authenticate(database, "mmartin", PASSWORD)


def test_only_a_ddfpt_password_countersigns(database: Database) -> None:
    teacher = make_account(database, Role.TEACHER, "mmartin")
    with pytest.raises(PermissionDenied) as none:
        countersign(database, "mmartin", PASSWORD, teacher)
    assert none.value.message == NO_DDFPT_MESSAGE
    make_account(database, Role.DDFPT, "mdupont", name="Mme Dupont")
    with pytest.raises(PermissionDenied, match=r"\(Enseignant\)"):
        countersign(database, "mmartin", PASSWORD, teacher)
    with pytest.raises(LoginRefused):
        countersign(database, "mdupont", "faux", teacher)
    failed = rows(
        database,
        "SELECT session_user_id FROM audit_event WHERE action = 'countersign_failed'",
    )
    assert failed == [(teacher.user_id,)]
    assert countersign(database, "mdupont", PASSWORD, teacher).display_name == "Mme Dupont"


def test_accounts_are_managed_by_the_administrator_only(database: Database) -> None:
    teacher = make_account(database, Role.TEACHER, "mmartin")
    with pytest.raises(PermissionDenied):
        AccountService(database, teacher).add("x", Role.DDFPT, password=SECRET)
    with pytest.raises(PermissionDenied):
        AccountService(database, teacher).list_accounts()
    # One's own password and display name are one's own business.
    AccountService(database, teacher).set_password("mmartin", SECRET)
    AccountService(database, teacher).rename("mmartin", "Mme Martin")
    assert authenticate(database, "mmartin", SECRET).display_name == "Mme Martin"


def test_bad_account_input_is_refused_in_french_and_writes_nothing(database: Database) -> None:
    service = AccountService(database, ADMIN_SETUP)
    before = rows(database, "SELECT COUNT(*) FROM app_user")
    with pytest.raises(ValidationError, match="Identifiant"):
        service.add("é t é", Role.TEACHER, password=SECRET)
    with pytest.raises(ValidationError, match="8 caractères"):
        service.add("court", Role.TEACHER, password="abc")
    with pytest.raises(ValidationError, match="INE"):
        service.add("eleve", Role.LEARNER, password=SECRET)
    with pytest.raises(NotFound):
        service.add("eleve", Role.LEARNER, password=SECRET, learner_ine="00000000000")
    service.add("mmartin", Role.TEACHER, password=SECRET)
    with pytest.raises(ValidationError, match="existe déjà"):
        service.add("MMARTIN", Role.DDFPT, password=SECRET)
    assert rows(database, "SELECT COUNT(*) FROM app_user")[0][0] == before[0][0] + 1


def test_class_accounts_write_a_private_csv_whose_passwords_log_in(
    demo_database: Database, tmp_path: Path
) -> None:
    (class_id, code) = rows(demo_database, "SELECT id, code FROM school_class ORDER BY id")[0]
    admin = make_account(demo_database, Role.ADMIN, "admin")
    service = AccountService(demo_database, admin)
    out = tmp_path / "comptes.csv"
    report = service.create_class_accounts(int(str(class_id)), out)
    assert report.created and report.csv_path == out
    assert stat.S_IMODE(out.stat().st_mode) == 0o600
    lines = out.read_text(encoding="utf-8-sig").splitlines()
    assert lines[0] == "identifiant;mot de passe;nom;prénom;INE;classe"
    assert len(lines) == 1 + len(report.created)
    login, password, *_rest, shown_code = lines[1].split(";")
    learner = authenticate(demo_database, login, password)
    assert learner.role is Role.LEARNER and learner.learner_id is not None
    assert shown_code == code
    again = service.create_class_accounts(int(str(class_id)), tmp_path / "encore.csv")
    assert again.created == () and again.csv_path is None
    assert len(again.already) == len(report.created)


def test_class_accounts_are_not_created_when_the_csv_cannot_be_written(
    demo_database: Database, tmp_path: Path
) -> None:
    (class_id,) = rows(demo_database, "SELECT id FROM school_class ORDER BY id")[0]
    service = AccountService(demo_database, Actor(None, "admin", Role.ADMIN))
    with pytest.raises(ValidationError, match="aucun compte créé"):
        service.create_class_accounts(int(str(class_id)), tmp_path / "absent" / "comptes.csv")
    assert rows(demo_database, "SELECT COUNT(*) FROM app_user WHERE role = 'apprenant'") == [(0,)]
