"""The CLI's last resort: one French line on stderr, the traceback in the log, no personal data."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import pytest
from sqlalchemy import text

from livret import cli, logs
from livret.services.database import open_database


def test_an_unexpected_error_is_logged_and_told_in_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "livret.sqlite"

    def failing_init(_args: argparse.Namespace, db: str | None) -> int:
        database, _ = open_database(db, create=True)
        try:
            with database.engine.connect() as connection:  # a statement naming a learner
                connection.execute(
                    text("UPDATE no_such_table SET family_name = :name"), {"name": "Zoé Marchal"}
                )
        finally:
            database.dispose()
        return 0

    monkeypatch.delenv("LIVRET_DEBUG", raising=False)
    monkeypatch.setattr(cli, "_db_init", failing_init)
    try:
        assert cli.main(["db", "init", "--db", str(path)]) == 1
        log = logs.log_file_path()
    finally:
        logs.reset_logging()
    err = capsys.readouterr().err
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert lines[0].startswith("livret : erreur inattendue : OperationalError: ")
    assert "Zoé" not in err and "[parameters" not in err
    assert log is not None and str(log) in lines[0]
    assert log.is_relative_to(Path(os.environ["XDG_STATE_HOME"]))
    written = log.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" in written
    assert "no such table: no_such_table" in written
    assert "Zoé" not in written
