"""The test server's own databases and one role that must give a password (SCRAM).

The local test server trusts every connection from 127.0.0.1, so a wrong password
would pass. One dedicated role, `livret_pw_test`, gets a pg_hba.conf rule of its
own, placed before the trust lines: `.ci/run` adds it, and `password_role()` adds
it too when it is missing (a developer's server), then reloads the configuration.
"""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import make_url

from tests.databases import PG_URL

PASSWORD_ROLE = "livret_pw_test"
PASSWORD = "mot-de-passe-du-serveur"
HBA_RULE = f"host all {PASSWORD_ROLE} 127.0.0.1/32 scram-sha-256"


def server_url(database: str, *, user: str | None = None, password: str | None = None) -> str:
    """A URL on the test server (its host and port) for another database or role."""
    url = make_url(PG_URL).set(drivername="postgresql+psycopg", database=database)
    if user is not None:
        url = url.set(username=user, password=password)
    return url.render_as_string(hide_password=False)


def _superuser() -> Engine:
    return create_engine(server_url("postgres"), isolation_level="AUTOCOMMIT")


@contextmanager
def scratch_database(prefix: str) -> Iterator[str]:
    """A new, empty database of the test server, dropped afterwards; yields its name."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    engine = _superuser()
    try:
        with engine.connect() as connection:
            connection.execute(text(f"CREATE DATABASE {name}"))
        yield name
    finally:
        with engine.connect() as connection:
            connection.execute(text(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        engine.dispose()


def _has_rule(engine: Engine) -> bool:
    with engine.connect() as connection:
        return bool(
            connection.scalar(
                text(
                    "SELECT count(*) FROM pg_hba_file_rules WHERE :role = ANY(user_name) "
                    "AND auth_method = 'scram-sha-256' AND error IS NULL"
                ),
                {"role": PASSWORD_ROLE},
            )
        )


def password_role() -> str:
    """Make sure livret_pw_test exists, has PASSWORD, and must give it; returns its name."""
    engine = _superuser()
    try:
        with engine.connect() as connection:
            connection.execute(
                text(
                    "DO $$ BEGIN CREATE ROLE livret_pw_test LOGIN; "
                    "EXCEPTION WHEN duplicate_object THEN NULL; END $$"
                )
            )
            connection.execute(text("SET password_encryption = 'scram-sha-256'"))
            connection.execute(text(f"ALTER ROLE {PASSWORD_ROLE} PASSWORD '{PASSWORD}'"))
            if not _has_rule(engine):
                hba = Path(str(connection.scalar(text("SHOW hba_file"))))
                lines = hba.read_text(encoding="utf-8").splitlines()
                rules = [i for i, line in enumerate(lines) if line.strip()[:1] not in ("", "#")]
                first_rule = rules[0] if rules else len(lines)
                lines.insert(first_rule, HBA_RULE)
                hba.write_text("\n".join(lines) + "\n", encoding="utf-8")
            connection.execute(text("SELECT pg_reload_conf()"))
        _wait_for_password_rule()
    finally:
        engine.dispose()
    return PASSWORD_ROLE


def _wait_for_password_rule() -> None:
    """pg_reload_conf() only sends a signal: wait until a password-less login is refused."""
    import psycopg

    server = make_url(PG_URL)
    for _ in range(50):
        try:
            psycopg.connect(
                host=server.host or "127.0.0.1",
                port=server.port or 5432,
                dbname="postgres",
                user=PASSWORD_ROLE,
                passfile=os.devnull,  # no ~/.pgpass either: no password at all
                connect_timeout=5,
            ).close()
        except psycopg.OperationalError:
            return
        time.sleep(0.1)
    raise AssertionError(f"la règle « {HBA_RULE} » n'est pas appliquée par le serveur de test")
