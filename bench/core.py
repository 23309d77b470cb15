"""What every benchmark operation shares: its context, its measurements, the figures.

One operation is a function `measure(context) -> list[Measurement]` registered in
bench.operations. The driver (bench.__main__) runs each operation in several
separate processes (bench.worker) and keeps, for each figure, the median over the
processes of each process's p50 and p95; the floor is the raw equivalent measured
in the same process, on the same data, just before or after the app side.
"""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from livret.services.database import Database


@dataclass(frozen=True, slots=True)
class Scale:
    """The size of a generated database."""

    name: str
    learners: int
    evaluations: int
    seed: int = 1


SCALES = {
    "class": Scale("class", learners=35, evaluations=180),
    "establishment": Scale("establishment", learners=400, evaluations=2_000),
    "region": Scale("region", learners=20_000, evaluations=100_000),
}


@dataclass(slots=True)
class Measurement:
    """One process's timings of one operation (milliseconds), app side and raw floor."""

    name: str
    times_ms: list[float]
    floor_ms: list[float]
    note: str = ""
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "times_ms": self.times_ms,
            "floor_ms": self.floor_ms,
            "note": self.note,
            "extra": self.extra,
        }


@dataclass(slots=True)
class BenchContext:
    """What one worker process hands to an operation."""

    database: Database
    url: str
    """SQLAlchemy URL of the database (a SQLite path is given as sqlite:///…)."""
    backend: str
    """'sqlite' or 'postgresql'."""
    scale: Scale
    learner_ids: list[int]
    """A sample of learners spread over the database (ids in id order)."""
    work: Path
    """A scratch folder of this process (removed afterwards)."""
    repetitions: int = 30

    def raw_connection(self) -> Any:
        """A plain DB-API connection (sqlite3 or psycopg) to the same database: the floor."""
        if self.backend == "sqlite":
            import sqlite3

            return sqlite3.connect(self.url.removeprefix("sqlite:///"))
        import psycopg

        return psycopg.connect(
            self.url.replace("postgresql+psycopg://", "postgresql://"), autocommit=True
        )


def timed_ms(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return (time.perf_counter() - start) * 1000


def percentile(values: list[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def figure(scale: str, backend: str, runs: list[Measurement]) -> dict[str, Any]:
    """One results.json entry: medians over processes of each process's p50, p95 and floor."""
    p50 = statistics.median(percentile(run.times_ms, 0.5) for run in runs)
    p95 = statistics.median(percentile(run.times_ms, 0.95) for run in runs)
    floors = [percentile(run.floor_ms, 0.5) for run in runs if run.floor_ms]
    floor = statistics.median(floors) if floors else None
    return {
        "name": runs[0].name,
        "scale": scale,
        "backend": backend,
        "p50_ms": round(p50, 2),
        "p95_ms": round(p95, 2),
        "floor_ms": None if floor is None else round(floor, 2),
        "ratio_to_floor": None if not floor else round(p50 / floor, 2),
        "processes": len(runs),
        "samples_per_process": len(runs[0].times_ms),
        "note": runs[0].note,
    }
