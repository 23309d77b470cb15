"""The switch-learner benchmark itself: it switches, paints, and reads its floor raw."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path


def test_the_worker_times_each_switch_with_its_raw_floor(
    demo_sqlite_template: Path, tmp_path: Path
) -> None:
    database = tmp_path / "bench.sqlite"
    shutil.copyfile(demo_sqlite_template, database)
    out = tmp_path / "figures.json"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.worker",
            "--url",
            f"sqlite:///{database}",
            "--scale",
            "class",
            "--op",
            "switch_learner",
            "--out",
            str(out),
        ],
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    )
    measurements = {item["name"]: item for item in json.loads(out.read_text("utf-8"))}
    assert set(measurements) == {"switch_learner", "switch_learner_query_and_build"}
    total, data = measurements["switch_learner"], measurements["switch_learner_query_and_build"]
    # One timing and one floor per learner switched (the worker fails if a switch
    # showed no learner or painted nothing).
    assert len(total["times_ms"]) == len(total["floor_ms"]) == len(data["times_ms"]) > 10
    assert all(
        whole >= part > 0 for whole, part in zip(total["times_ms"], data["times_ms"], strict=True)
    )
    assert all(floor > 0 for floor in total["floor_ms"])
