"""Opening a server database from the GUI: one French message per failure, nothing changed.

Real failures on the test server: a closed port, an unknown host, a database that
does not exist, another application's database, a newer and an older Livret
schema, TLS asked of a server without it, and a role that must give its password
(no password, a wrong one, the right one, one read from a pgpass file).
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from livret.app import open_chosen_database
from livret.domain.errors import DatabaseError
from livret.services.database import open_database
from livret.storage import migrate
from livret.storage.engine import ServerConnectionError, ServerProblem, make_engine, resolve
from tests.databases import PG_URL
from tests.pg_server import PASSWORD, password_role, scratch_database, server_url

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="LIVRET_TEST_DATABASE_URL n'est pas défini"),
]


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def refusal(db: str, password: str | None = None) -> ServerConnectionError:
    with pytest.raises(ServerConnectionError) as refused:
        open_chosen_database(db, password=password)
    assert "\n" not in refused.value.message
    return refused.value


@pytest.fixture
def livret_database() -> Iterator[str]:
    """A migrated Livret database of its own on the test server; yields its URL."""
    with scratch_database("livret_conn") as name:
        url = server_url(name)
        database, _ = open_database(url, create=True)
        database.dispose()
        yield url


def test_a_closed_port_says_the_server_does_not_answer() -> None:
    port = closed_port()
    error = refusal(f"postgresql://postgres@127.0.0.1:{port}/livret?sslmode=disable")
    assert error.problem is ServerProblem.UNREACHABLE
    assert f"« 127.0.0.1:{port} »" in error.message and "ne répond pas" in error.message


def test_an_unknown_host_is_named() -> None:
    error = refusal("postgresql://postgres@serveur-inconnu.invalid/livret")
    assert error.problem is ServerProblem.UNREACHABLE
    assert "nom d'ordinateur est inconnu" in error.message


def test_a_database_that_does_not_exist() -> None:
    error = refusal(server_url("livret_absente_de_ce_serveur"))
    assert error.problem is ServerProblem.NO_DATABASE
    assert "« livret_absente_de_ce_serveur » n'existe pas" in error.message


def test_tls_asked_of_a_server_without_it() -> None:
    error = refusal(server_url("postgres") + "?sslmode=require")
    assert error.problem is ServerProblem.TLS
    assert "Connexion chiffrée (TLS) impossible" in error.message


def test_another_applications_database_is_not_touched() -> None:
    with scratch_database("livret_foreign") as name:
        engine = create_engine(server_url(name))
        try:
            with engine.begin() as connection:
                connection.execute(text("CREATE TABLE invoices (id serial PRIMARY KEY, total int)"))
            with pytest.raises(DatabaseError) as refused:
                open_chosen_database(server_url(name))
            assert "n'a pas été créée par Livret" in refused.value.message
            with engine.connect() as connection:
                tables = set(
                    connection.scalars(
                        text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
                    )
                )
            assert tables == {"invoices"}
        finally:
            engine.dispose()


def test_a_newer_livret_schema_is_refused(livret_database: str) -> None:
    engine = create_engine(livret_database)
    try:
        with engine.begin() as connection:
            connection.execute(text(f"UPDATE {migrate.VERSION_TABLE} SET version_num = 'zzzz'"))
        with pytest.raises(DatabaseError) as refused:
            open_chosen_database(livret_database)
        assert "version plus récente de Livret" in refused.value.message
        with engine.connect() as connection:
            assert migrate.current_revision(connection) == "zzzz"
    finally:
        engine.dispose()


def test_an_older_schema_is_left_to_the_it_admin() -> None:
    with scratch_database("livret_old") as name:
        url = server_url(name)
        engine = make_engine(resolve(url))
        try:
            migrate.upgrade(engine, "0004")
            with pytest.raises(DatabaseError) as refused:
                open_chosen_database(url)
            assert "livret db upgrade" in refused.value.message
            assert "administrateur informatique" in refused.value.message
            with engine.connect() as connection:
                assert migrate.current_revision(connection) == "0004"  # not migrated
        finally:
            engine.dispose()


@pytest.fixture
def password_database(livret_database: str) -> str:
    """The Livret database, readable by the role that must give a password."""
    role = password_role()
    engine = create_engine(livret_database)
    try:
        with engine.begin() as connection:
            connection.execute(text(f"GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role}"))
    finally:
        engine.dispose()
    return make_url(livret_database).set(username=role).render_as_string(hide_password=False)


def test_without_a_password_the_server_asks_for_one(
    password_database: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PGPASSFILE", "/nonexistent/pgpass")
    error = refusal(password_database)
    assert error.problem is ServerProblem.PASSWORD_REQUIRED
    assert "demande un mot de passe" in error.message


def test_a_wrong_password_gets_one_message(password_database: str) -> None:
    error = refusal(password_database, password="pas-le-bon")
    assert error.problem is ServerProblem.PASSWORD_REFUSED
    assert error.message.startswith("Mot de passe refusé")
    assert "pas-le-bon" not in error.message


def test_the_right_password_opens_and_is_not_kept_in_what_is_shown(password_database: str) -> None:
    database = open_chosen_database(password_database, password=PASSWORD)
    try:
        assert PASSWORD not in database.location.display()
        with database.engine.connect() as connection:
            assert connection.scalar(text("SELECT current_user")) == "livret_pw_test"
    finally:
        database.dispose()


def test_the_password_can_come_from_the_users_pgpass(
    password_database: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pgpass = tmp_path / "pgpass"
    pgpass.write_text(f"127.0.0.1:*:*:livret_pw_test:{PASSWORD}\n", encoding="utf-8")
    pgpass.chmod(0o600)  # libpq ignores a pgpass file others can read
    monkeypatch.setenv("PGPASSFILE", str(pgpass))
    database = open_chosen_database(password_database)
    database.dispose()
