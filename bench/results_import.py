"""Benchmark of `livret import evaluations`: 100 000 result rows, against a raw bulk insert.

bench_results_import(db_path) works on a copy of the (establishment-scale) demo
database, so the demo is left as it is and every run measures the same thing:

1. writes a CSV of 400 evaluations × 250 results (25 learners × 10 criteria each)
   for the demo's learners and criteria (UTF-8 with BOM, ';', as Excel writes it);
2. times read_results (parsing), ResultsImportService.check and .apply;
3. times the raw floor in the same run: sqlite3 executemany of the same 400
   evaluations and 100 000 results into copies of the evaluation and result tables
   (same DDL, same indexes, same existing rows, same pragmas), in one transaction.

Targets (issue 6): importing ≤ 5 s and ≤ 3 × the raw bulk insert.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
import sqlite3
import tempfile
import time
from pathlib import Path
from typing import Any

from livret.exchange.results_file import read_results
from livret.services.database import open_database
from livret.services.results_import import ResultsImportService
from livret.services.users import command_line_actor

EVALUATIONS = 400
LEARNERS_PER_EVALUATION = 25
CRITERIA_PER_EVALUATION = 10
LEVELS = ("1", "2", "3", "4", "--", "-", "+", "++", "NE", "ABS")
FIRST_DAY = dt.date(2025, 9, 8)
TARGET_SECONDS = 5.0
TARGET_RATIO = 3.0


def bench_results_import(db_path: str | Path) -> dict[str, Any]:
    """Figures of one run (seconds, ratios); the database at db_path is not modified."""
    with tempfile.TemporaryDirectory(prefix="livret-bench-import-") as folder:
        work = Path(folder)
        copy = work / "bench.sqlite"
        _copy_database(Path(db_path), copy)
        learners, criteria = _demo_codes(copy)
        csv_path = work / "resultats.csv"
        rows = _write_csv(csv_path, learners, criteria)
        size = csv_path.stat().st_size

        raw_seconds = _raw_insert(copy, csv_path)

        database, _ = open_database(str(copy))
        try:
            service = ResultsImportService(database, command_line_actor(database))
            started = time.perf_counter()
            results_file = read_results(csv_path.read_bytes(), csv_path.name)
            parsed = time.perf_counter()
            checked_report = service.check(results_file)
            checked = time.perf_counter()
            report = service.apply(results_file)
            applied = time.perf_counter()
        finally:
            database.dispose()

    read_seconds = parsed - started
    check_seconds = checked - parsed
    apply_seconds = applied - checked
    total = read_seconds + apply_seconds
    figures: dict[str, Any] = {
        "rows": rows,
        "file_megabytes": round(size / (1024 * 1024), 1),
        "evaluations_created": report.evaluations_created,
        "results_created": report.results_created,
        "problems": len(checked_report.problems) + len(report.problems),
        "read_seconds": round(read_seconds, 3),
        "check_seconds": round(check_seconds, 3),
        "apply_seconds": round(apply_seconds, 3),
        "read_and_apply_seconds": round(total, 3),
        "raw_insert_seconds": round(raw_seconds, 3),
        "apply_ratio": round(apply_seconds / raw_seconds, 2),
        "read_and_apply_ratio": round(total / raw_seconds, 2),
        "target_seconds": TARGET_SECONDS,
        "target_ratio": TARGET_RATIO,
    }
    figures["meets_targets"] = (
        total <= TARGET_SECONDS and apply_seconds / raw_seconds <= TARGET_RATIO
    )
    return figures


def _copy_database(source: Path, target: Path) -> None:
    """A consistent copy (sqlite3 online backup: WAL content included)."""
    if not source.exists():
        raise FileNotFoundError(source)
    origin, copy = sqlite3.connect(source), sqlite3.connect(target)
    try:
        origin.backup(copy)
    finally:
        origin.close()
        copy.close()


def _demo_codes(path: Path) -> tuple[list[str], list[str]]:
    connection = sqlite3.connect(path)
    try:
        learners = [row[0] for row in connection.execute("SELECT ine FROM learner ORDER BY id")]
        criteria = [row[0] for row in connection.execute("SELECT code FROM criterion ORDER BY id")]
    finally:
        connection.close()
    if len(learners) < LEARNERS_PER_EVALUATION or len(criteria) < CRITERIA_PER_EVALUATION:
        raise ValueError("the demo database has too few learners or criteria")
    return learners, criteria


def _school_days(count: int) -> list[dt.date]:
    days: list[dt.date] = []
    day = FIRST_DAY
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _write_csv(path: Path, learners: list[str], criteria: list[str]) -> int:
    days = _school_days(EVALUATIONS)
    count = 0
    with path.open("w", encoding="utf-8-sig", newline="") as stream:
        writer = csv.writer(stream, delimiter=";", lineterminator="\r\n")
        writer.writerow(["date", "nature", "titre", "INE", "critère", "niveau", "commentaire"])
        for number in range(EVALUATIONS):
            day = days[number].strftime("%d/%m/%Y")
            title = f"Banc d'import n° {number + 1:03d}"
            first_learner = (number * LEARNERS_PER_EVALUATION) % len(learners)
            first_criterion = (number * CRITERIA_PER_EVALUATION) % len(criteria)
            for offset in range(LEARNERS_PER_EVALUATION):
                ine = learners[(first_learner + offset) % len(learners)]
                for step in range(CRITERIA_PER_EVALUATION):
                    code = criteria[(first_criterion + step) % len(criteria)]
                    level = LEVELS[(count * 7) % len(LEVELS)]
                    comment = "Très bien, à l'aise à l'oral" if count % 20 == 0 else ""
                    writer.writerow([day, "F", title, ine, code, level, comment])
                    count += 1
    return count


def _raw_insert(path: Path, csv_path: Path) -> float:
    """sqlite3 executemany of the same rows into copies of evaluation and result (timed)."""
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA foreign_keys=ON")
        connection.execute("PRAGMA synchronous=FULL")  # as Livret's engine
        _copy_tables(connection)
        learner_ids = dict(connection.execute("SELECT ine, id FROM learner"))
        criterion_ids = dict(connection.execute("SELECT code, id FROM criterion"))
        symbols = {"--": "1", "-": "2", "+": "3", "++": "4"}
        evaluations: dict[tuple[str, str, str], int] = {}
        results: list[tuple[int, int, int, str, str | None]] = []
        next_id = int(connection.execute("SELECT max(id) FROM evaluation_raw").fetchone()[0] or 0)
        with csv_path.open(encoding="utf-8-sig", newline="") as stream:
            reader = csv.reader(stream, delimiter=";")
            next(reader)
            for day, nature, title, ine, code, level, comment in reader:
                key = (day, nature, title)
                if key not in evaluations:
                    next_id += 1
                    evaluations[key] = next_id
                results.append(
                    (
                        evaluations[key],
                        learner_ids[ine],
                        criterion_ids[code],
                        symbols.get(level, level),
                        comment or None,
                    )
                )
        evaluation_rows = [
            (evaluation_id, nature, dt.datetime.strptime(day, "%d/%m/%Y").date().isoformat(), title)
            for (day, nature, title), evaluation_id in evaluations.items()
        ]
        started = time.perf_counter()
        connection.execute("BEGIN")
        connection.executemany(
            "INSERT INTO evaluation_raw (id, nature, eval_date, title) VALUES (?, ?, ?, ?)",
            evaluation_rows,
        )
        connection.executemany(
            "INSERT INTO result_raw (evaluation_id, learner_id, criterion_id, level, comment) "
            "VALUES (?, ?, ?, ?, ?)",
            results,
        )
        connection.execute("COMMIT")
        return time.perf_counter() - started
    finally:
        connection.close()


def _copy_tables(connection: sqlite3.Connection) -> None:
    """evaluation_raw and result_raw: same DDL and indexes, same rows (not timed)."""
    renames = (
        (r"\bCREATE TABLE evaluation\b", "CREATE TABLE evaluation_raw"),
        (r"\bCREATE TABLE result\b", "CREATE TABLE result_raw"),
        (r"\bREFERENCES evaluation\b", "REFERENCES evaluation_raw"),
        (r"\bON evaluation\b", "ON evaluation_raw"),
        (r"\bON result\b", "ON result_raw"),
        (r"\bCONSTRAINT (\w+)", r"CONSTRAINT \1_raw"),
        (r"\bINDEX (\w+)", r"INDEX \1_raw"),
    )
    statements = [
        sql
        for (sql,) in connection.execute(
            "SELECT sql FROM sqlite_master WHERE tbl_name IN ('evaluation', 'result') "
            "AND sql IS NOT NULL ORDER BY type DESC, tbl_name"
        )
    ]
    connection.execute("BEGIN")
    for statement in statements:  # tables first (type 'table' > 'index'), evaluation first
        for pattern, replacement in renames:
            statement = re.sub(pattern, replacement, statement)
        connection.execute(statement)
    connection.execute("INSERT INTO evaluation_raw SELECT * FROM evaluation")
    connection.execute("INSERT INTO result_raw SELECT * FROM result")
    connection.execute("COMMIT")


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(bench_results_import(sys.argv[1]), indent=2, ensure_ascii=False))
