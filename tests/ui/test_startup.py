"""Start-up: the first window comes without the heavy libraries, and the bench hook reports it.

Each check runs in a fresh interpreter: sys.modules of the test process holds whatever
the other tests imported.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from livret.services.authentication import local_profile
from livret.services.catalog import CatalogService
from livret.services.database import open_database
from livret.services.demo import create_demo

ROOT = Path(__file__).resolve().parents[2]
DEFERRED = ("reportlab", "openpyxl", "pyqtgraph", "numpy", "alembic", "argon2", "defusedxml")
"""Imported only when first used: PDFs, XLSX, the bilan editor's radar, a migration, a login."""


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, int]:
    """A small demo file, and the first class and learner its teacher sees."""
    path = tmp_path_factory.mktemp("startup") / "livret.sqlite"
    database, _ = open_database(str(path), create=True)
    try:
        create_demo(database, learners=12, evaluations=30)
        catalog = CatalogService(database, local_profile(database))
        first_class = catalog.list_classes()[0]
        first_learner = catalog.list_learners(first_class.id)[0]
    finally:
        database.dispose()
    return path, first_class.id, first_learner.id


def _environment(tmp_path: Path, class_id: int, learner_id: int) -> dict[str, str]:
    """A teacher's settings naming the class and learner last shown, in a private HOME."""
    config = tmp_path / "config"
    (config / "Livret").mkdir(parents=True)
    (config / "Livret" / "Livret.conf").write_text(
        f"[selection]\nclass_id={class_id}\nlearner_id={learner_id}\n", encoding="utf-8"
    )
    environment = dict(os.environ)
    environment.update(
        HOME=str(tmp_path),
        XDG_CONFIG_HOME=str(config),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_STATE_HOME=str(tmp_path / "state"),
        QT_QPA_PLATFORM="offscreen",
    )
    environment.pop("LIVRET_BENCH_STARTUP", None)
    return environment


def _python(code: str, environment: dict[str, str]) -> str:
    completed = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    return completed.stdout


def test_the_first_window_imports_none_of_the_heavy_libraries(
    demo_file: tuple[Path, int, int], tmp_path: Path
) -> None:
    path, class_id, learner_id = demo_file
    output = _python(
        f"""
        import json, sys
        from PySide6.QtWidgets import QApplication
        from livret.app import GuiSession
        from livret.ui.application import configure_application

        app = QApplication([])
        configure_application(app)
        session = GuiSession(app)
        assert session.open({str(path)!r})
        app.processEvents()
        session.window.grab()  # the whole window rendered
        shown = session.window.dashboard.shown_learner_id()
        before = sorted({{m.split(".")[0] for m in sys.modules}} & set({DEFERRED!r}))
        session.window.dashboard.open_bilan_editor()  # the editor brings its radar
        after = sorted({{m.split(".")[0] for m in sys.modules}} & set({DEFERRED!r}))
        print(json.dumps({{"shown": shown, "before": before, "after": after}}))
        session.window.close()
        session.close()
        """,
        _environment(tmp_path, class_id, learner_id),
    )
    found = json.loads(output.strip().splitlines()[-1])
    assert found["shown"] == learner_id
    assert found["before"] == []
    assert "pyqtgraph" in found["after"]  # the check itself sees a deferred import


def test_the_bench_hook_prints_the_painted_window_and_quits(
    demo_file: tuple[Path, int, int], tmp_path: Path
) -> None:
    path, class_id, learner_id = demo_file
    environment = _environment(tmp_path, class_id, learner_id)
    environment["LIVRET_BENCH_STARTUP"] = "1"
    completed = subprocess.run(
        [sys.executable, "-m", "livret", "--db", str(path)],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["learner_shown"] is True
    assert report["heap_frozen"] is True  # livret.gc_policy, once the window is painted
    assert 0 < report["painted_s"] < 120
    assert report["rss_mb"] > 0
