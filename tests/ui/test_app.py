"""Start-up: the demo database is created on first use and reused afterwards."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtGui import QFontDatabase

from livret.app import open_demo_database
from livret.services.authentication import local_profile
from livret.services.container import build_services
from livret.storage.engine import demo_database_path


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
