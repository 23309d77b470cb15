"""What the About box and the window title read about the installation (no Qt)."""

from __future__ import annotations

from pathlib import Path

from livret.services.installation import bundled_components, location_short_name
from livret.storage.engine import resolve


def test_a_file_is_named_without_its_folder_a_server_as_host_and_base(tmp_path: Path) -> None:
    assert location_short_name(resolve(str(tmp_path / "lycée.sqlite"))) == "lycée.sqlite"
    server = resolve("postgresql+psycopg://prof:secret@db.lycee.fr:5432/livret_2026")
    assert location_short_name(server) == "db.lycee.fr/livret_2026"


def test_components_follow_the_runtime_requirements_only() -> None:
    names = {component.name.lower().replace("_", "-") for component in bundled_components()}
    assert {"pyside6-essentials", "sqlalchemy", "psycopg", "psycopg-binary", "reportlab"} <= names
    assert {"pytest", "mypy", "ruff", "hypothesis"}.isdisjoint(names)  # dev extras
