"""Growth: does switching to a learner grow with their own rows only?

python -m bench.growth [--processes 3]

From the establishment SQLite demo, four copies (bench/out/growth-*.sqlite, made
once) differ in one respect each:

- history-1x, -4x, -16x: one learner ("the subject") has 1, 4 or 16 times their
  own history (each of their evaluations copied, with their results on it);
- database-4x: the subject as in 1x, in a database with four times everyone else
  (each other learner, evaluation and result copied three times).

In each, the whole-window switch to the subject (from a classmate) is measured as
bench.op_dashboard does, in several processes. The figures go into results.json
(scale = the copy's name) with the slopes: milliseconds per thousand of the
subject's results, and the ratio database-4x / history-1x (1.0: no growth).
"""

from __future__ import annotations

import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.core import Measurement, figure
from bench.databases import OUT, ensure

COPIES = {"history-1x": (1, 1), "history-4x": (4, 1), "history-16x": (16, 1), "database-4x": (1, 4)}
SWITCHES = 30


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--processes", type=int, default=3)
    args = parser.parse_args()
    base_url, _ = ensure("establishment", "sqlite")
    base = Path(base_url.removeprefix("sqlite:///"))
    subject, classmate = _subject(base)
    figures = []
    rows_of: dict[str, int] = {}
    for name, (history, everyone) in COPIES.items():
        path = OUT / f"growth-{name}.sqlite"
        if not path.exists():
            started = time.perf_counter()
            _make_copy(base, path, subject, history, everyone)
            print(f"made {path.name} in {time.perf_counter() - started:.1f} s", flush=True)
        rows_of[name] = _count(path, "SELECT COUNT(*) FROM result WHERE learner_id = ?", subject)
        runs = [_measure(path, subject, classmate) for _ in range(args.processes)]
        entry = figure(name, "sqlite", runs)
        entry["extra"] = {
            "subject_results": rows_of[name],
            "database_results": _count(path, "SELECT COUNT(*) FROM result"),
        }
        figures.append(entry)
        print(
            f"{name:<12} subject's results {rows_of[name]:>6}  database "
            f"{entry['extra']['database_results']:>8}  p50 {entry['p50_ms']:6.1f} ms  "
            f"p95 {entry['p95_ms']:6.1f} ms",
            flush=True,
        )
    by_name = {entry["scale"]: entry for entry in figures}
    one, sixteen = by_name["history-1x"], by_name["history-16x"]
    per_thousand = (sixteen["p50_ms"] - one["p50_ms"]) / (
        (rows_of["history-16x"] - rows_of["history-1x"]) / 1000
    )
    database_ratio = by_name["database-4x"]["p50_ms"] / one["p50_ms"]
    slopes = {
        "ms_per_thousand_own_results": round(per_thousand, 2),
        "database_4x_over_1x": round(database_ratio, 2),
    }
    print(f"slopes: {slopes}")
    _store(figures, slopes)
    return 0


def _subject(path: Path) -> tuple[int, int]:
    """A learner of median history, and a classmate to switch from."""
    with sqlite3.connect(path) as connection:
        counts = connection.execute(
            "SELECT learner_id, COUNT(*) FROM result GROUP BY learner_id ORDER BY 2, 1"
        ).fetchall()
        subject = counts[len(counts) // 2][0]
        classmate = connection.execute(
            "SELECT e2.learner_id FROM enrolment e1 JOIN enrolment e2 "
            "ON e2.class_id = e1.class_id AND e2.learner_id != e1.learner_id "
            "WHERE e1.learner_id = ? ORDER BY e1.school_year_id DESC, e2.learner_id LIMIT 1",
            (subject,),
        ).fetchone()[0]
    return subject, classmate


def _count(path: Path, sql: str, *parameters: Any) -> int:
    with sqlite3.connect(path) as connection:
        return int(connection.execute(sql, parameters).fetchone()[0])


def _make_copy(base: Path, path: Path, subject: int, history: int, everyone: int) -> None:
    work = path.with_suffix(".partial")
    with sqlite3.connect(base) as source, sqlite3.connect(work) as target:
        source.backup(target)
    connection = sqlite3.connect(work)
    try:
        connection.execute("PRAGMA foreign_keys = OFF")
        max_evaluation = connection.execute("SELECT MAX(id) FROM evaluation").fetchone()[0]
        max_learner = connection.execute("SELECT MAX(id) FROM learner").fetchone()[0]
        columns = "nature, eval_date, title, context, class_id, author_id, company, tutor, "
        columns += "pfmp_start, pfmp_end, created_at"
        with connection:
            for copy in range(1, history):  # the subject's own evaluations, copied
                offset = max_evaluation * copy
                connection.execute(
                    f"INSERT INTO evaluation (id, {columns}) SELECT id + ?, {columns} "
                    "FROM evaluation WHERE id <= ? AND id IN "
                    "(SELECT evaluation_id FROM result WHERE learner_id = ?)",
                    (offset, max_evaluation, subject),
                )
                connection.execute(
                    "INSERT INTO result (evaluation_id, learner_id, criterion_id, level, comment) "
                    "SELECT evaluation_id + ?, learner_id, criterion_id, level, comment "
                    "FROM result WHERE learner_id = ? AND evaluation_id <= ?",
                    (offset, subject, max_evaluation),
                )
            for copy in range(1, everyone):  # everyone else, and their evaluations
                evaluation_offset = max_evaluation * (history + copy)
                learner_offset = max_learner * copy
                connection.execute(
                    f"INSERT INTO evaluation (id, {columns}) SELECT id + ?, {columns} "
                    "FROM evaluation WHERE id <= ?",
                    (evaluation_offset, max_evaluation),
                )
                connection.execute(
                    "INSERT INTO learner (id, ine, family_name, first_name, birth_date, "
                    "specialty_id, left_on) SELECT id + ?, ine || '-' || ?, family_name, "
                    "first_name, birth_date, specialty_id, left_on FROM learner "
                    "WHERE id != ? AND id <= ?",
                    (learner_offset, copy, subject, max_learner),
                )
                connection.execute(
                    "INSERT INTO enrolment (learner_id, school_year_id, class_id) "
                    "SELECT learner_id + ?, school_year_id, class_id FROM enrolment "
                    "WHERE learner_id != ? AND learner_id <= ?",
                    (learner_offset, subject, max_learner),
                )
                connection.execute(
                    "INSERT INTO result (evaluation_id, learner_id, criterion_id, level, comment) "
                    "SELECT evaluation_id + ?, learner_id + ?, criterion_id, level, comment "
                    "FROM result WHERE learner_id != ? AND learner_id <= ? AND evaluation_id <= ?",
                    (evaluation_offset, learner_offset, subject, max_learner, max_evaluation),
                )
        connection.execute("ANALYZE")
    finally:
        connection.close()
    work.replace(path)


def _measure(path: Path, subject: int, classmate: int) -> Measurement:
    with tempfile.NamedTemporaryFile(suffix=".json") as out:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "bench.growth_worker",
                str(path),
                str(subject),
                str(classmate),
                str(SWITCHES),
                out.name,
            ],
            check=True,
            env={**os.environ, "QT_QPA_PLATFORM": "offscreen"},
        )
        item = json.loads(Path(out.name).read_text("utf-8"))
    return Measurement("switch_learner_growth", item["times_ms"], item["floor_ms"], item["note"])


def _store(figures: list[dict[str, Any]], slopes: dict[str, float]) -> None:
    from bench.__main__ import RESULTS

    results = json.loads(RESULTS.read_text("utf-8")) if RESULTS.exists() else {"results": []}
    names = {entry["scale"] for entry in figures}
    results["results"] = [
        entry
        for entry in results.get("results", [])
        if not (entry["name"] == "switch_learner_growth" and entry["scale"] in names)
    ] + figures
    results["growth_slopes"] = slopes
    RESULTS.write_text(json.dumps(results, indent=1, ensure_ascii=False) + "\n", "utf-8")
    from bench.report import update_readme

    if "machine" in results:
        update_readme(RESULTS.parent / "README.md", results)


if __name__ == "__main__":
    raise SystemExit(main())
