"""The log file: owner-only, rotating, in the user's log folder, and without personal data."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from livret import logs
from livret.domain.errors import NotFound
from livret.services.database import Database

LOGGER = logging.getLogger("livret.tests")


@pytest.fixture
def log_folder(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "logs"
    yield folder
    logs.reset_logging()


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_default_folder_is_the_users_log_folder(tmp_path: Path) -> None:
    try:
        path = logs.configure_logging()
        assert path is not None
        # conftest points XDG_STATE_HOME to a temporary home: platformdirs puts logs there.
        assert path == Path(os.environ["XDG_STATE_HOME"]) / "Livret" / "log" / "livret.log"
        assert logs.log_file_path() == path
        assert logs.configure_logging() == path  # once: the same file, one handler
        handlers = [h for h in logging.getLogger("livret").handlers if hasattr(h, "baseFilename")]
        assert len(handlers) == 1
    finally:
        logs.reset_logging()
    assert logs.log_file_path() is None


def test_folder_and_file_are_owner_only(log_folder: Path) -> None:
    old_umask = os.umask(0o022)  # a usual umask would give 0755 / 0644
    try:
        path = logs.configure_logging(log_folder)
    finally:
        os.umask(old_umask)
    assert path is not None
    LOGGER.info("démarrage")
    assert mode(log_folder) == 0o700
    assert mode(path) == 0o600
    assert "démarrage" in path.read_text(encoding="utf-8")


def test_an_older_world_readable_file_is_tightened(log_folder: Path) -> None:
    log_folder.mkdir()
    old = log_folder / logs.LOG_FILE_NAME
    old.write_text("ancien\n", encoding="utf-8")
    old.chmod(0o644)
    logs.configure_logging(log_folder)
    assert mode(old) == 0o600


def test_the_file_rotates_and_each_file_stays_owner_only(
    log_folder: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "MAX_BYTES", 2_000)
    path = logs.configure_logging(log_folder)
    assert path is not None
    for number in range(200):
        LOGGER.info("ligne %d %s", number, "x" * 50)
    files = sorted(log_folder.iterdir())
    assert [f.name for f in files] == [
        "livret.log",
        "livret.log.1",
        "livret.log.2",
        "livret.log.3",
        "livret.log.4",
        "livret.log.5",
    ]
    assert all(mode(f) == 0o600 for f in files)
    assert all(f.stat().st_size <= 2_000 for f in files)
    assert "ligne 199" in path.read_text(encoding="utf-8")


def test_a_database_error_is_logged_without_its_parameters(
    log_folder: Path, database: Database
) -> None:
    """The raw SQLAlchemy error names the learner in `[parameters: …]`: the log does not."""
    path = logs.configure_logging(log_folder)
    assert path is not None
    try:
        with database.engine.connect() as connection:
            connection.execute(
                text("SELECT * FROM no_such_table WHERE family_name = :name AND ine = :ine"),
                {"name": "Zébulon-Martineau", "ine": "123456789AB"},
            )
    except Exception as exc:
        assert "Zébulon-Martineau" in str(exc)  # what would leak without the filter
        logs.log_exception(LOGGER, "lecture", exc)
    else:
        pytest.fail("the query should have failed")
    written = path.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in written
    assert "OperationalError" in written or "ProgrammingError" in written
    assert "no_such_table" in written  # the statement (placeholders only) is kept
    assert "[parameters: (retirés du journal)]" in written
    assert "Zébulon" not in written
    assert "123456789AB" not in written


def test_quoted_values_and_french_messages_are_masked(log_folder: Path) -> None:
    path = logs.configure_logging(log_folder)
    assert path is not None
    # Values come from variables: a traceback's source lines show code, never data.
    name, ine = "Dupont Léa", "123456789AB"
    pdf = f"/tmp/Bilan_{name}.pdf"
    try:
        try:
            {"a": 1}[name]
        except KeyError as exc:
            raise FileNotFoundError(2, "No such file", pdf) from exc
    except FileNotFoundError as exc:
        logs.log_exception(LOGGER, "export", exc)
    try:
        raise NotFound(f"Apprenant introuvable : {name} (INE {ine}).")
    except NotFound as exc:
        logs.log_exception(LOGGER, "lecture", exc)
    written = path.read_text(encoding="utf-8")
    assert "Dupont" not in written
    assert "123456789AB" not in written
    assert "KeyError: '…'" in written
    assert "The above exception was the direct cause" in written
    assert "livret.domain.errors.NotFound: (message destiné à l'utilisateur" in written


def test_psycopg_detail_lines_are_dropped() -> None:
    class UniqueViolation(Exception):
        pass

    error = UniqueViolation(
        'duplicate key value violates unique constraint "learner_ine_key"\n'
        "DETAIL:  Key (ine)=(123456789AB) already exists."
    )
    message = logs.safe_message(error)
    assert "123456789AB" not in message
    assert "DETAIL: (retiré du journal)" in message
