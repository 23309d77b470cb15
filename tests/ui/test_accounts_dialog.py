"""« Comptes »: create through the form, refuse bad input, reset, disable, a class's accounts."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from livret.domain.roles import Role
from livret.services.authentication import LoginRefused, authenticate
from livret.services.container import build_services
from livret.services.database import Database
from livret.ui.accounts_dialog import AccountsDialog, NewAccountDialog, PasswordDialog
from tests.accounts import make_account

PASSWORD = "un-mot-de-passe-solide"


@pytest.fixture
def dialog(
    qtbot: QtBot, demo_database: Database, monkeypatch: pytest.MonkeyPatch
) -> tuple[AccountsDialog, list[str], list[str]]:
    admin = make_account(demo_database, Role.ADMIN, "admin", name="Administrateur")
    errors: list[str] = []
    infos: list[str] = []
    for cls in (AccountsDialog, NewAccountDialog, PasswordDialog):
        monkeypatch.setattr(cls, "show_error", lambda _self, message: errors.append(message))
    monkeypatch.setattr(
        AccountsDialog, "show_info", lambda _self, _title, message: infos.append(message)
    )
    dialog = AccountsDialog(build_services(demo_database, admin))
    qtbot.addWidget(dialog)
    return dialog, errors, infos


def _fill_and_submit(
    dialog: AccountsDialog,
    monkeypatch: pytest.MonkeyPatch,
    *,
    login: str,
    role: Role,
    password: str,
    confirmation: str,
    name: str = "",
) -> None:
    def run_form(form: object) -> bool:
        assert isinstance(form, NewAccountDialog)
        assert form.password.echoMode() == form.password.EchoMode.Password
        assert form.confirmation.echoMode() == form.confirmation.EchoMode.Password
        form.login.setText(login)
        form.name.setText(name)
        form.set_role(role)
        form.password.setText(password)
        form.confirmation.setText(confirmation)
        form.ok_button.click()
        return bool(form.result())

    monkeypatch.setattr(dialog, "run_form", run_form)
    dialog.new_button.click()


def test_lists_the_accounts(dialog: tuple[AccountsDialog, list[str], list[str]]) -> None:
    accounts, errors, _ = dialog
    assert errors == []
    logins = {info.login for info in accounts.accounts()}
    assert {"admin", "y.legoff", "p.lambert"} <= logins
    assert accounts.model.COLUMNS == (
        "Identifiant", "Nom affiché", "Rôle", "Apprenant", "Actif", "Mot de passe", "En attente",
    )  # fmt: skip


def test_create_a_ddfpt_account_through_the_form(
    dialog: tuple[AccountsDialog, list[str], list[str]],
    demo_database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    accounts, errors, _ = dialog
    _fill_and_submit(
        accounts, monkeypatch, login="M.Dupuis", role=Role.DDFPT, name="M. Dupuis",
        password=PASSWORD, confirmation=PASSWORD,
    )  # fmt: skip
    assert errors == []
    created = next(info for info in accounts.accounts() if info.login == "m.dupuis")
    assert created.role is Role.DDFPT and created.display_name == "M. Dupuis"
    assert accounts.selected() == created
    actor = authenticate(demo_database, "m.dupuis", PASSWORD)
    assert actor.role is Role.DDFPT and actor.display_name == "M. Dupuis"


def test_password_mismatch_is_refused_and_creates_nothing(
    dialog: tuple[AccountsDialog, list[str], list[str]],
    demo_database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    accounts, errors, _ = dialog
    before = accounts.accounts()
    _fill_and_submit(
        accounts, monkeypatch, login="m.dupuis", role=Role.DDFPT,
        password=PASSWORD, confirmation=PASSWORD + "x",
    )  # fmt: skip
    assert errors == ["Les deux mots de passe ne sont pas identiques."]
    accounts.reload()
    assert accounts.accounts() == before
    with pytest.raises(LoginRefused):
        authenticate(demo_database, "m.dupuis", PASSWORD)


def test_service_refusals_are_shown_in_french(
    dialog: tuple[AccountsDialog, list[str], list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    accounts, errors, _ = dialog
    before = accounts.accounts()
    _fill_and_submit(
        accounts, monkeypatch, login="élève à accents", role=Role.TEACHER,
        password=PASSWORD, confirmation=PASSWORD,
    )  # fmt: skip
    _fill_and_submit(
        accounts, monkeypatch, login="sans-ine", role=Role.LEARNER,
        password=PASSWORD, confirmation=PASSWORD,
    )  # fmt: skip
    assert len(errors) == 2
    assert "Identifiant" in errors[0] and "refusé" in errors[0]
    assert "INE" in errors[1]
    assert accounts.accounts() == before


def test_new_password_then_disable_and_enable(
    dialog: tuple[AccountsDialog, list[str], list[str]],
    demo_database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    accounts, errors, infos = dialog

    def run_form(form: object) -> bool:
        assert isinstance(form, PasswordDialog)
        form.password.setText(PASSWORD)
        form.confirmation.setText(PASSWORD)
        form.buttons.accepted.emit()
        return bool(form.result())

    monkeypatch.setattr(accounts, "run_form", run_form)
    accounts.select_login("p.lambert")
    accounts.password_button.click()
    assert errors == [] and len(infos) == 1
    assert authenticate(demo_database, "p.lambert", PASSWORD).display_name == "M. Lambert"

    accounts.select_login("p.lambert")
    assert accounts.active_button.text() == "&Désactiver"
    accounts.active_button.click()
    info = accounts.selected()
    assert info is not None and info.login == "p.lambert" and not info.active
    assert accounts.active_button.text() == "&Réactiver"
    with pytest.raises(LoginRefused):
        authenticate(demo_database, "p.lambert", PASSWORD)
    accounts.active_button.click()
    assert authenticate(demo_database, "p.lambert", PASSWORD).user_id == info.id


def test_an_administrator_cannot_disable_themselves(
    dialog: tuple[AccountsDialog, list[str], list[str]],
) -> None:
    accounts, errors, _ = dialog
    accounts.select_login("admin")
    accounts.active_button.click()
    assert errors and "propre compte" in errors[0]
    info = accounts.selected()
    assert info is not None and info.active


def test_accounts_of_a_class(
    dialog: tuple[AccountsDialog, list[str], list[str]],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    accounts, errors, infos = dialog
    offered: list[list[tuple[int, str]]] = []

    def choose_class(classes: list[tuple[int, str]]) -> int:
        offered.append(classes)
        return classes[0][0]

    monkeypatch.setattr(accounts, "choose_class", choose_class)
    monkeypatch.setattr(accounts, "choose_csv_path", lambda _suggested: tmp_path / "comptes")
    before = len(accounts.accounts())
    accounts.class_button.click()
    assert errors == []
    assert offered and offered[0]
    written = tmp_path / "comptes.csv"
    assert written.exists()
    assert stat.S_IMODE(written.stat().st_mode) == 0o600
    created = len(accounts.accounts()) - before
    assert created > 0
    assert len(infos) == 1
    assert f"{created} comptes créés" in infos[0]
    assert "lisible que par vous" in infos[0]
    learners = [info for info in accounts.accounts() if info.role is Role.LEARNER]
    assert len(learners) == created and all(info.learner_name for info in learners)
