"""Run the benchmarks, write bench/results.json and the figures of bench/README.md.

python -m bench [--scale class,establishment] [--backend sqlite,postgresql]
                [--ops switch_learner,...] [--processes 3]

Each operation runs in `--processes` separate processes, one after the other (so
that they do not compete for the CPU); each process measures the app side and the
raw floor on the same data, and each figure is the median over the processes of
each process's p50, p95 and floor. `make bench` runs the class and establishment
scales on SQLite and PostgreSQL; `make bench SCALE=region` the region scale on
PostgreSQL. The databases are generated once (bench.databases) and reused.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench.core import SCALES, Measurement, figure
from bench.databases import ensure
from bench.operations import OPERATIONS
from bench.report import update_readme

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results.json"
PROCESSES = {"startup": 1, "import_results": 2}
"""Start-up runs its own app processes; an import process makes its own database copies
(about a minute each): two suffice for a median."""
SKIPPED_OPERATIONS = {("import_results", "class")}
"""The 100 000-row import is an establishment's (a class database has 35 learners)."""
FAILED: list[str] = []
SKIPPED = {("region", "sqlite")}
"""The region scale is a PostgreSQL one (an establishment server, not a file)."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scale", default="class,establishment")
    parser.add_argument("--backend", default="sqlite,postgresql")
    parser.add_argument("--ops", default=",".join(OPERATIONS))
    parser.add_argument("--processes", type=int, default=3)
    parser.add_argument("--repetitions", type=int, default=30)
    args = parser.parse_args()
    scales = _names(args.scale, SCALES)
    backends = _names(args.backend, {"sqlite": 1, "postgresql": 1})
    operations = _names(args.ops, OPERATIONS)

    figures: list[dict[str, Any]] = []
    notes: list[str] = []
    for scale in scales:
        for backend in backends:
            if (scale, backend) in SKIPPED:
                continue
            url, note = ensure(scale, backend)
            if note:
                notes.append(f"{backend}: {note}")
            for operation in operations:
                if (operation, scale) in SKIPPED_OPERATIONS:
                    continue
                runs = _run(operation, url, scale, args.processes, args.repetitions)
                for measurements in runs.values():
                    entry = figure(scale, backend, measurements)
                    entry["measured"] = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d")
                    figures.append(entry)
                    _print(entry)
    results = _merge(figures, notes)
    RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", "utf-8")
    update_readme(HERE / "README.md", results)
    print(f"wrote {RESULTS.relative_to(HERE.parent)} and bench/README.md")
    if FAILED:
        print("failed: " + "; ".join(FAILED), file=sys.stderr)
    return 1 if FAILED else 0


def _names(value: str, known: dict[str, Any]) -> list[str]:
    names = [name.strip() for name in value.split(",") if name.strip()]
    unknown = [name for name in names if name not in known]
    if unknown:
        raise SystemExit(f"unknown: {', '.join(unknown)} (known: {', '.join(known)})")
    return names


def _run(
    operation: str, url: str, scale: str, processes: int, repetitions: int
) -> dict[str, list[Measurement]]:
    """Each measurement's runs, one per worker process."""
    runs: dict[str, list[Measurement]] = {}
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    for _ in range(PROCESSES.get(operation, processes)):
        with tempfile.NamedTemporaryFile(suffix=".json") as out:
            command = [
                sys.executable,
                "-m",
                "bench.worker",
                "--url",
                url,
                "--scale",
                scale,
                "--op",
                operation,
                "--out",
                out.name,
                "--repetitions",
                str(repetitions),
            ]
            if subprocess.run(command, env=env, cwd=HERE.parent, check=False).returncode:
                print(f"{operation} ({scale}): the worker failed, see above", flush=True)
                FAILED.append(f"{operation} {scale} {url}")
                break
            for item in json.loads(Path(out.name).read_text("utf-8")):
                measurement = Measurement(
                    item["name"], item["times_ms"], item["floor_ms"], item["note"], item["extra"]
                )
                runs.setdefault(measurement.name, []).append(measurement)
    return runs


def _print(entry: dict[str, Any]) -> None:
    floor = "—" if entry["floor_ms"] is None else f"{entry['floor_ms']:.1f}"
    ratio = "—" if entry["ratio_to_floor"] is None else f"{entry['ratio_to_floor']:.2f}"
    print(
        f"{entry['name']:<32} {entry['scale']:<13} {entry['backend']:<10} "
        f"p50 {entry['p50_ms']:8.1f}  p95 {entry['p95_ms']:8.1f}  floor {floor:>7}  "
        f"ratio {ratio}",
        flush=True,
    )


def _merge(figures: list[dict[str, Any]], notes: list[str]) -> dict[str, Any]:
    """This run's figures over the earlier ones (a region run keeps the others)."""
    earlier: dict[str, Any] = {}
    if RESULTS.exists():
        earlier = json.loads(RESULTS.read_text("utf-8"))
    key = ("name", "scale", "backend")
    fresh = {tuple(entry[k] for k in key) for entry in figures}
    kept = [
        entry for entry in earlier.get("results", []) if tuple(entry[k] for k in key) not in fresh
    ]
    return {
        "machine": _machine(),
        "generated": notes or earlier.get("generated", []),
        "results": kept + figures,
    }


def _machine() -> dict[str, Any]:
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        cwd=HERE.parent,
        check=False,
    ).stdout.strip()
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": commit,
        "cpus": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "processor": platform.processor() or platform.machine(),
    }


if __name__ == "__main__":
    raise SystemExit(main())
