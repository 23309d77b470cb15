"""Start-up: the demo database, reused; the login; the window each account gets."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtGui import QFontDatabase
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import text

from livret.app import open_demo_database, run_gui
from livret.domain.roles import Role
from livret.services.authentication import local_profile
from livret.services.container import build_services
from livret.services.database import Database
from livret.storage.engine import demo_database_path
from livret.ui.learner_window import LearnerWindow
from livret.ui.login_dialog import LoginDialog
from livret.ui.main_window import MainWindow
from tests.accounts import PASSWORD, make_account


def test_demo_database_is_created_once(tmp_path: Path) -> None:
    path = demo_database_path()
    assert str(path).startswith(str(tmp_path.parent))  # the test's private data folder
    assert not path.exists()
    database = open_demo_database()
    try:
        classes = build_services(database, local_profile(database)).catalog.list_classes()
        assert len(classes) >= 5
        first_classes = [info.code for info in classes]
    finally:
        database.dispose()
    # A second start reuses it (generating again would be refused: learners exist).
    again = open_demo_database()
    try:
        assert [
            info.code for info in build_services(again, local_profile(again)).catalog.list_classes()
        ] == first_classes
    finally:
        again.dispose()
    assert path.stat().st_mode & 0o777 == 0o600


def test_bundled_font_is_available() -> None:
    assert "DejaVu Sans" in QFontDatabase.families()


def _run(
    monkeypatch: pytest.MonkeyPatch, database: Database, login: tuple[str, str] | None
) -> tuple[int, list[QWidget], bool]:
    """run_gui on the database's file; the login dialog filled in (or Quitter) by the test."""
    asked = False

    def fake_login(dialog: LoginDialog) -> int:
        nonlocal asked
        asked = True
        if login is None:
            dialog.reject()
        else:
            dialog.login.setText(login[0])
            dialog.password.setText(login[1])
            dialog.try_login()
        return dialog.result()

    before = set(QApplication.topLevelWidgets())
    shown: list[QWidget] = []

    def fake_exec() -> int:
        # The event loop would run here: what is on screen is what the user gets.
        shown.extend(w for w in QApplication.topLevelWidgets() if w not in before and w.isVisible())
        for widget in shown:
            widget.hide()
        return 0

    monkeypatch.setattr(LoginDialog, "exec", fake_login)
    monkeypatch.setattr(QApplication, "exec", staticmethod(fake_exec))
    code = run_gui(database.location.url.database)
    return code, shown, asked


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_login_free_file_opens_as_its_local_profile(
    monkeypatch: pytest.MonkeyPatch, demo_database: Database
) -> None:
    code, shown, asked = _run(monkeypatch, demo_database, None)
    assert code == 0 and not asked
    windows = [w for w in shown if isinstance(w, MainWindow)]
    assert len(windows) == 1
    assert windows[0].services.actor.local
    assert windows[0].windowTitle().endswith(windows[0].services.actor.display_name)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_accounts_ask_to_log_in_and_quitter_opens_nothing(
    monkeypatch: pytest.MonkeyPatch, demo_database: Database
) -> None:
    make_account(demo_database, Role.TEACHER, "mmartin", name="M. Martin")
    code, shown, asked = _run(monkeypatch, demo_database, None)
    assert asked and code == 0
    assert not any(isinstance(w, MainWindow | LearnerWindow) for w in shown)


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_each_account_gets_its_window(
    monkeypatch: pytest.MonkeyPatch, demo_database: Database
) -> None:
    make_account(demo_database, Role.TEACHER, "mmartin", name="M. Martin")
    with demo_database.engine.connect() as connection:
        ine = connection.execute(text("SELECT ine FROM learner ORDER BY id LIMIT 1")).scalar_one()
    make_account(demo_database, Role.LEARNER, "eleve", learner_ine=ine)

    _code, shown, _asked = _run(monkeypatch, demo_database, ("mmartin", PASSWORD))
    teacher = [w for w in shown if isinstance(w, MainWindow)]
    assert len(teacher) == 1 and teacher[0].windowTitle().endswith("M. Martin")
    assert teacher[0].services.actor.role is Role.TEACHER

    _code, shown, _asked = _run(monkeypatch, demo_database, ("eleve", PASSWORD))
    assert [type(w) for w in shown if isinstance(w, MainWindow | LearnerWindow)] == [LearnerWindow]
