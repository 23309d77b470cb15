"""`pip install .` (not only editable) gives a working app: resources and migrations included."""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_holds_resources_and_migrations_and_runs(tmp_path: Path) -> None:
    built = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
         "--disable-pip-version-check", "-q", "-w", str(tmp_path / "dist"), str(ROOT)],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert built.returncode == 0, built.stderr
    (wheel,) = (tmp_path / "dist").glob("livret-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in [
        "livret/resources/referentiels/pmia.json",
        "livret/resources/fonts/DejaVuSans.ttf",
        "livret/storage/migrations/env.py",
        "livret/storage/migrations/script.py.mako",
        "livret/storage/migrations/versions/0001_initial_schema.py",
        "livret/storage/migrations/versions/0002_final_bilan_guards.py",
        "livret/py.typed",
    ]:
        assert expected in names
    assert not any(name.startswith(("tests/", "bench/")) for name in names)

    # Run the installed files, away from the source checkout.
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    env = {**os.environ, "PYTHONPATH": str(site), "XDG_DATA_HOME": str(tmp_path / "data")}
    db = tmp_path / "livret.sqlite"
    for command in (["db", "init", "--db", str(db)], ["db", "check", "--db", str(db)]):
        result = subprocess.run(
            [sys.executable, "-m", "livret", *command],
            capture_output=True, text=True, cwd=tmp_path, env=env, check=False,
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "ok"
    where = "import livret.resources as r; print(r.resource_path('referentiels', 'pmia.json'))"
    located = subprocess.run(
        [sys.executable, "-c", where],
        capture_output=True, text=True, cwd=tmp_path, env=env, check=False,
    )  # fmt: skip
    assert located.stdout.strip() == str(
        site / "livret" / "resources" / "referentiels" / "pmia.json"
    )
