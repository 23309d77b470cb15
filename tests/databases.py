"""The back-ends the storage and service tests run on: SQLite always, PostgreSQL when asked."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import create_engine, text

PG_URL = os.environ.get("LIVRET_TEST_DATABASE_URL", "").strip()
BACKENDS = [
    pytest.param("sqlite", id="sqlite"),
    *([pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres)] if PG_URL else []),
]


def reset_postgresql() -> str:
    """Empty the test server's schema; fails loudly if the server cannot be reached."""
    engine = create_engine(PG_URL.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.begin() as connection:
            connection.execute(text("DROP SCHEMA public CASCADE"))
            connection.execute(text("CREATE SCHEMA public"))
    finally:
        engine.dispose()
    return PG_URL
