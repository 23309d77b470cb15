"""libpq's reasons, as psycopg reports them, each become one French message.

The failures the test server can produce are checked for real in
tests/services/test_server_connection.py; these are the ones it cannot (a TLS
certificate, a time-out), with libpq's own wording.
"""

from __future__ import annotations

import psycopg
import pytest

from livret.storage.engine import (
    ServerConnectionError,
    ServerProblem,
    describe_connection_error,
    resolve,
)

PREFIX = 'connection failed: connection to server at "10.12.0.5", port 5432 failed: '


@pytest.mark.parametrize(
    ("reason", "problem", "fragment"),
    [
        ("timeout expired", ServerProblem.UNREACHABLE, "ne répond pas"),
        (
            'server certificate for "autre.lycee.local" does not match host name '
            '"livret.lycee.local"',
            ServerProblem.TLS,
            "ne porte pas ce nom de serveur",
        ),
        (
            "SSL error: certificate verify failed",
            ServerProblem.TLS,
            "n'est pas signé par l'autorité",
        ),
        (
            'root certificate file "/home/prof/.postgresql/root.crt" does not exist\n'
            "Either provide the file, use the system's trusted roots with "
            "sslrootcert=system, or change sslmode to disable server certificate verification.",
            ServerProblem.TLS,
            "certificat d'autorité (CA) est introuvable",
        ),
        (
            'FATAL:  no pg_hba.conf entry for host "10.12.3.4", user "livret_app", '
            'database "livret", no encryption',
            ServerProblem.OTHER,
            "n'accepte pas de connexion de ce poste",
        ),
    ],
)
def test_libpq_reasons(reason: str, problem: ServerProblem, fragment: str) -> None:
    location = resolve("postgresql://livret_app:secret@livret.lycee.local/livret")
    error = describe_connection_error(location, psycopg.OperationalError(PREFIX + reason))
    assert isinstance(error, ServerConnectionError)
    assert error.problem is problem
    assert fragment in error.message
    assert "« livret.lycee.local:5432 »" in error.message
    assert "secret" not in error.message and "\n" not in error.message
