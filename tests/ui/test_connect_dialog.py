"""Fichier → Se connecter à un serveur… : the dialog, what is remembered, and a failed switch."""

from __future__ import annotations

import shutil
import socket
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from livret.app import GuiSession
from livret.domain.roles import Role
from livret.services.database import Database
from livret.ui.connect_dialog import (
    SETTINGS_RECENT,
    ConnectDialog,
    ServerConnection,
    recent_connections,
    remember_connection,
)
from livret.ui.login_dialog import LoginDialog
from livret.ui.main_window import MainWindow
from tests.accounts import PASSWORD, make_account
from tests.databases import PG_URL


@pytest.fixture
def settings(tmp_path: Path) -> QSettings:
    return QSettings(str(tmp_path / "livret.ini"), QSettings.Format.IniFormat)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def fill(dialog: ConnectDialog, qtbot: QtBot, **values: str) -> None:
    for name, value in values.items():
        edit = getattr(dialog, name)
        edit.clear()
        qtbot.keyClicks(edit, value)


def test_the_url_has_no_password_and_verify_full_is_offered(
    qtbot: QtBot, settings: QSettings, tmp_path: Path
) -> None:
    ca = tmp_path / "ca-lycee.crt"
    ca.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    dialog = ConnectDialog(settings)
    qtbot.addWidget(dialog)
    assert dialog.sslmode.currentData() == "verify-full"  # the safe mode is the default
    assert "nom du serveur" in dialog.ssl_explanation.text()
    fill(dialog, qtbot, host="livret.lycee.local", user="livret_app", sslrootcert=str(ca))
    fill(dialog, qtbot, password_edit="s3cret-42")
    dialog.port.setValue(5433)
    qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)

    assert dialog.result() == ConnectDialog.DialogCode.Accepted
    assert dialog.connection is not None
    url = dialog.connection.url()
    assert url.startswith("postgresql+psycopg://livret_app@livret.lycee.local:5433/livret?")
    assert "sslmode=verify-full" in url and "sslrootcert=" in url
    assert "s3cret" not in url
    assert dialog.password() == "s3cret-42"


def test_the_ca_file_is_checked_and_only_asked_for_verifying_modes(
    qtbot: QtBot, settings: QSettings
) -> None:
    dialog = ConnectDialog(settings)
    qtbot.addWidget(dialog)
    fill(dialog, qtbot, host="livret.lycee.local", sslrootcert="/absent/ca.crt")
    qtbot.mouseClick(dialog.connect_button, Qt.MouseButton.LeftButton)
    assert dialog.result() != ConnectDialog.DialogCode.Accepted
    assert dialog.error.isVisibleTo(dialog)
    assert "« /absent/ca.crt » est introuvable" in dialog.error.text()

    dialog.sslmode.setCurrentIndex(dialog.sslmode.findData("disable"))
    assert not dialog.sslrootcert.isEnabled() and not dialog.browse_button.isEnabled()
    assert "en clair" in dialog.ssl_explanation.text()
    connection = dialog.try_accept()
    assert connection is not None and "sslrootcert" not in connection.url()


def test_an_ipv6_address_is_bracketed() -> None:
    connection = ServerConnection(host="fd00::12", user="livret_app", sslmode="disable")
    assert (
        connection.url() == "postgresql+psycopg://livret_app@[fd00::12]:5432/livret?sslmode=disable"
    )


def test_a_libpq_service_replaces_the_fields(qtbot: QtBot, settings: QSettings) -> None:
    dialog = ConnectDialog(settings)
    qtbot.addWidget(dialog)
    fill(dialog, qtbot, service="livret")
    assert not dialog.host.isEnabled() and not dialog.sslmode.isEnabled()
    connection = dialog.try_accept()
    assert connection is not None
    assert connection.url() == "postgresql+psycopg://?service=livret"


def test_recent_connections_are_remembered_without_password(
    qtbot: QtBot, settings: QSettings, tmp_path: Path
) -> None:
    first = ServerConnection(host="ancien.lycee.local", user="livret_app")
    latest = ServerConnection(
        host="livret.lycee.local", port=5433, user="livret_app", sslmode="verify-ca"
    )
    remember_connection(settings, first)
    remember_connection(settings, latest)
    remember_connection(settings, first)  # used again: first again, not twice
    assert recent_connections(settings) == [first, latest]
    stored = (tmp_path / "livret.ini").read_text(encoding="utf-8")
    assert "password" not in stored.lower() and "mot de passe" not in stored.lower()

    # A password some other tool slipped into the settings is never read back.
    tampered = str(settings.value(SETTINGS_RECENT)).replace(
        '"service": ""', '"service": "", "password": "ne-pas-relire"', 1
    )
    settings.setValue(SETTINGS_RECENT, tampered)
    dialog = ConnectDialog(settings)
    qtbot.addWidget(dialog)
    assert [dialog.recent.itemText(i) for i in range(dialog.recent.count())][1:] == [
        first.label(),
        latest.label(),
    ]
    assert dialog.host.text() == "ancien.lycee.local"  # the last one used, ready
    dialog.recent.setCurrentIndex(2)
    assert (dialog.host.text(), dialog.port.value(), dialog.sslmode.currentData()) == (
        "livret.lycee.local",
        5433,
        "verify-ca",
    )
    assert dialog.password_edit.text() == ""
    assert "ne-pas-relire" not in dialog.described().url()


class Recorder:
    def __init__(self) -> None:
        self.errors: list[str] = []

    def __call__(self, _parent: object, message: str) -> None:
        self.errors.append(message)


def start(
    demo_database: Database, settings: QSettings, monkeypatch: pytest.MonkeyPatch
) -> tuple[GuiSession, Recorder]:
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    session = GuiSession(app, settings)
    recorder = Recorder()
    monkeypatch.setattr(session, "show_error", recorder)
    assert session.open(str(demo_database.location.path))
    return session, recorder


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_a_failed_connection_says_so_once_and_the_window_stays_usable(
    qtbot: QtBot,
    settings: QSettings,
    monkeypatch: pytest.MonkeyPatch,
    demo_database: Database,
) -> None:
    session, recorder = start(demo_database, settings, monkeypatch)
    window = session.window
    assert isinstance(window, MainWindow)
    qtbot.addWidget(window)
    assert window.connect_server_action.isEnabled() and window.open_file_action.isEnabled()
    port = closed_port()
    target = ServerConnection(host="127.0.0.1", port=port, user="postgres", sslmode="disable")
    monkeypatch.setattr(session, "choose_server", lambda: (target, "secret"))
    try:
        window.connect_server_action.trigger()

        assert len(recorder.errors) == 1
        assert recorder.errors[0].startswith(
            f"Impossible de joindre le serveur « 127.0.0.1:{port} »"
        )
        assert session.window is window and window.isVisible()
        assert session.database is not None
        assert window.services.catalog.list_classes()  # still on its database, usable
        assert recent_connections(settings) == []  # only a connection that worked is kept
    finally:
        window.hide()
        session.close()


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_opening_a_file_replaces_the_window_and_a_bad_file_does_not(
    qtbot: QtBot,
    settings: QSettings,
    monkeypatch: pytest.MonkeyPatch,
    demo_database: Database,
    tmp_path: Path,
) -> None:
    session, recorder = start(demo_database, settings, monkeypatch)
    first = session.window
    assert isinstance(first, MainWindow)
    not_livret = tmp_path / "notes.sqlite"
    not_livret.write_text("pas une base\n", encoding="utf-8")
    other = tmp_path / "autre.sqlite"
    assert demo_database.location.path is not None
    shutil.copyfile(demo_database.location.path, other)
    chosen = iter([str(not_livret), str(other)])
    monkeypatch.setattr(session, "choose_file", lambda: next(chosen))
    try:
        first.open_file_action.trigger()
        assert (
            len(recorder.errors) == 1
            and "n'est pas une base de données Livret" in (recorder.errors[0])
        )
        assert session.window is first and first.isVisible()

        old_database = session.database
        first.open_file_action.trigger()
        assert len(recorder.errors) == 1
        second = session.window
        assert isinstance(second, MainWindow) and second is not first
        assert second.isVisible() and not first.isVisible()
        assert session.database is not old_database
        assert session.database is not None and session.database.location.path == other
        assert second.windowTitle().startswith(f"Livret — {other.name} — ")
    finally:
        if session.window is not None:
            session.window.close()  # closeEvent stops its focus and change watchers
        session.close()


@pytest.mark.postgres
@pytest.mark.skipif(not PG_URL, reason="LIVRET_TEST_DATABASE_URL n'est pas défini")
@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_connecting_to_the_server_asks_the_password_then_the_login(
    qtbot: QtBot,
    settings: QSettings,
    monkeypatch: pytest.MonkeyPatch,
    demo_database: Database,
) -> None:
    from sqlalchemy.engine import make_url

    from livret.services.database import open_database
    from tests.pg_server import PASSWORD as SERVER_PASSWORD
    from tests.pg_server import password_role, scratch_database, server_url

    role = password_role()
    monkeypatch.setenv("PGPASSFILE", "/nonexistent/pgpass")
    with scratch_database("livret_ui") as name:
        server, _ = open_database(server_url(name), create=True)
        try:
            make_account(server, Role.TEACHER, "mmartin", name="M. Martin")
            with server.engine.begin() as connection:
                rights = "SELECT, INSERT, UPDATE, DELETE"
                connection.execute(text(f"GRANT {rights} ON ALL TABLES IN SCHEMA public TO {role}"))
                connection.execute(text(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {role}"))
        finally:
            server.dispose()
        session, recorder = start(demo_database, settings, monkeypatch)
        first = session.window
        assert first is not None
        host = make_url(PG_URL)
        target = ServerConnection(
            host=host.host or "127.0.0.1",
            port=host.port or 5432,
            database=name,
            user=role,
            sslmode="disable",
        )
        asked: list[str] = []
        answers = iter(["pas-le-bon", SERVER_PASSWORD])

        def ask_password(_server: str, reason: str) -> str:
            asked.append(reason)
            return next(answers)

        def log_in(dialog: LoginDialog) -> int:
            dialog.login.setText("mmartin")
            dialog.password.setText(PASSWORD)
            dialog.try_login()
            return dialog.result()

        monkeypatch.setattr(session, "choose_server", lambda: (target, None))
        monkeypatch.setattr(session, "ask_password", ask_password)
        monkeypatch.setattr(LoginDialog, "exec", log_in)
        try:
            first.connect_server_action.trigger()
            assert recorder.errors == []
            # Asked politely first, then once with why: the password was refused.
            assert asked[0] == "" and asked[1].startswith("Mot de passe refusé")
            window = session.window
            assert isinstance(window, MainWindow) and window is not first
            assert window.services.actor.display_name == "M. Martin"
            assert recent_connections(settings) == [target]
            stored = Path(settings.fileName()).read_text(encoding="utf-8")
            assert SERVER_PASSWORD not in stored and "pas-le-bon" not in stored
        finally:
            if session.window is not None:
                session.window.close()  # closeEvent stops its focus and change watchers
            session.close()
