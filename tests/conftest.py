"""Shared fixtures: real databases (a SQLite file, and PostgreSQL when asked), offscreen Qt."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from livret.services.database import Database, open_database
from tests.databases import BACKENDS, reset_postgresql
from tests.fuzzing import ENVIRONMENT, SLOW_CHECKS, examples

# Fuzzing: few examples in `make test`, many with LIVRET_FUZZ_EXAMPLES (tests/fuzzing.py).
settings.register_profile("ci", deadline=None, suppress_health_check=SLOW_CHECKS)
settings.register_profile(
    "fuzz", max_examples=examples(100), deadline=None, suppress_health_check=SLOW_CHECKS
)
settings.load_profile("fuzz" if os.environ.get(ENVIRONMENT) else "ci")


@pytest.fixture(autouse=True)
def _private_user_folders(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Never touch the real user's data folder or settings."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("XDG_DATA_HOME", str(home / "data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / "config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(home / "state"))  # the log (platformdirs)
    monkeypatch.setenv("XDG_CACHE_HOME", str(home / "cache"))


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A --db value for an empty database: a new SQLite file, or the emptied test server."""
    if request.param == "postgresql":
        return reset_postgresql()
    return str(tmp_path / "livret.sqlite")


@pytest.fixture
def database(db_url: str) -> Iterator[Database]:
    """A new, migrated database holding the PMIA référentiel."""
    database, _ = open_database(db_url, create=True)
    yield database
    database.dispose()


DEMO_OPTIONS = {"learners": 36, "evaluations": 90, "seed": 7}


@pytest.fixture(scope="session")
def demo_sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small demo database, generated once per run and copied by each test that uses it."""
    from livret.services.demo import create_demo

    path = tmp_path_factory.mktemp("demo") / "demo.sqlite"
    database, _ = open_database(str(path), create=True)
    try:
        create_demo(database, **DEMO_OPTIONS)
    finally:
        database.dispose()
    return path


@pytest.fixture
def demo_database(db_url: str, demo_sqlite_template: Path) -> Iterator[Database]:
    """A demo database on each back-end (36 learners, 90 evaluations, seed 7)."""
    from livret.services.demo import create_demo

    if db_url.endswith(".sqlite"):
        shutil.copyfile(demo_sqlite_template, db_url)
        database, _ = open_database(db_url)
    else:
        database, _ = open_database(db_url, create=True)
        create_demo(database, **DEMO_OPTIONS)
    yield database
    database.dispose()
