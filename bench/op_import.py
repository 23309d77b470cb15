"""Benchmark of `livret import evaluations`: 100 000 result rows against a raw bulk insert.

measure(context) never touches the context's database: every repetition works on a
fresh copy of it (SQLite: an online backup to a file; PostgreSQL: CREATE DATABASE …
TEMPLATE of a private copy made once with pg_dump | pg_restore, since the shared
bench database has other sessions and cannot be a template itself).

1. A CSV of 400 evaluations × 250 results (25 learners × 10 criteria each) for the
   database's learners and criteria (UTF-8 with BOM, ';', as Excel writes it).
2. App side, timed: what `livret import evaluations FILE` does once the database is
   open: the file's bytes read, read_results (decode, split, validate), then
   ResultsImportService.apply, which checks everything again in its transaction
   (INE, criteria, existing evaluations and results, closed periods, classes),
   writes the evaluations and results, one audit event and one change event, and
   commits. (check() alone, what the app's dialog runs before apply, is in `extra`.)
3. Floor, timed on another fresh copy: the lowest plain code doing the same job: the
   same bytes decoded and split by the csv module, INE and criterion codes mapped to
   ids by two queries, then the same 400 evaluations and 100 000 results inserted in
   one transaction into the same tables (same indexes, same pragmas): sqlite3
   executemany, or psycopg COPY.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import shutil
import sqlite3
import subprocess
import time
from pathlib import Path
from typing import Any

from bench.core import BenchContext, Measurement

EVALUATIONS = 400
LEARNERS_PER_EVALUATION = 25
CRITERIA_PER_EVALUATION = 10
LEVELS = ("1", "2", "3", "4", "--", "-", "+", "++", "NE", "ABS")
SYMBOLS = {"--": "1", "-": "2", "+": "3", "++": "4"}
FIRST_DAY = dt.date(2025, 9, 8)
REPETITIONS = (3, 5)
"""At least 3, at most 5 repetitions (each one copies the database twice)."""
NAME = "import_100k_results"


def measure(context: BenchContext) -> list[Measurement]:
    repetitions = max(REPETITIONS[0], min(context.repetitions, REPETITIONS[1]))
    copies = _SqliteCopies(context) if context.backend == "sqlite" else _PgCopies(context)
    try:
        learners, criteria, first_day = copies.codes()
        csv_path = context.work / "resultats.csv"
        rows = _write_csv(csv_path, learners, criteria, first_day)
        times: list[float] = []
        floors: list[float] = []
        checks: list[float] = []
        reads: list[float] = []
        created = 0
        for _ in range(repetitions):
            url = copies.fresh()
            try:
                read_ms, check_ms, app_ms, created = _app_side(url, csv_path)
            finally:
                copies.drop(url)
            url = copies.fresh()
            try:
                floor_ms = _floor(context.backend, url, csv_path)
            finally:
                copies.drop(url)
            times.append(app_ms)
            floors.append(floor_ms)
            checks.append(check_ms)
            reads.append(read_ms)
    finally:
        copies.close()
    return [
        Measurement(
            name=NAME,
            times_ms=times,
            floor_ms=floors,
            note=(
                f"`livret import evaluations` of a {rows}-row CSV once the database is open "
                "(read_results + apply: checks, evaluations, results, audit and change "
                "events, commit) on a fresh copy; floor: the same bytes split by the csv "
                "module and inserted by sqlite3 executemany / psycopg COPY in one "
                "transaction on another fresh copy."
            ),
            extra={
                "rows": rows,
                "results_created": created,
                "read_results_ms": reads,
                "check_only_ms": checks,
            },
        )
    ]


# -- copies ----------------------------------------------------------------------------


class _SqliteCopies:
    def __init__(self, context: BenchContext) -> None:
        self._source = Path(context.url.removeprefix("sqlite:///"))
        self._work = context.work
        self._template = context.work / "template.sqlite"
        origin, copy = sqlite3.connect(self._source), sqlite3.connect(self._template)
        try:
            origin.backup(copy)  # consistent, WAL content included
            copy.execute("PRAGMA journal_mode=DELETE")
        finally:
            origin.close()
            copy.close()
        self._count = 0

    def codes(self) -> tuple[list[str], list[str], dt.date]:
        connection = sqlite3.connect(self._template)
        try:
            return _codes(connection)
        finally:
            connection.close()

    def fresh(self) -> str:
        self._count += 1
        target = self._work / f"copy-{self._count}.sqlite"
        shutil.copyfile(self._template, target)
        return f"sqlite:///{target}"

    def drop(self, url: str) -> None:
        path = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)

    def close(self) -> None:
        self._template.unlink(missing_ok=True)


class _PgCopies:
    def __init__(self, context: BenchContext) -> None:
        import psycopg

        self._psycopg = psycopg
        self._server = context.url.rsplit("/", 1)[0].replace(
            "postgresql+psycopg://", "postgresql://"
        )
        self._source = context.url.rsplit("/", 1)[1]
        self._prefix = f"livret_bench_import_{os.getpid()}"
        self._template = f"{self._prefix}_tpl"
        self._count = 0
        self._admin(f'DROP DATABASE IF EXISTS "{self._template}"')
        self._admin(f'CREATE DATABASE "{self._template}"')
        dump = subprocess.run(
            ["pg_dump", "-Fc", "-d", f"{self._server}/{self._source}"],
            check=True,
            capture_output=True,
        )
        subprocess.run(
            ["pg_restore", "--no-owner", "-d", f"{self._server}/{self._template}"],
            input=dump.stdout,
            check=True,
            capture_output=True,
        )
        with psycopg.connect(f"{self._server}/{self._template}", autocommit=True) as connection:
            connection.execute("VACUUM ANALYZE")  # as a database in use: statistics known

    def _admin(self, sql: str) -> None:
        with self._psycopg.connect(f"{self._server}/postgres", autocommit=True) as connection:
            connection.execute(sql)

    def codes(self) -> tuple[list[str], list[str], dt.date]:
        with self._psycopg.connect(f"{self._server}/{self._template}") as connection:
            return _codes(connection)

    def fresh(self) -> str:
        self._count += 1
        name = f"{self._prefix}_{self._count}"
        self._admin(f'CREATE DATABASE "{name}" TEMPLATE "{self._template}"')
        return f"{self._server.replace('postgresql://', 'postgresql+psycopg://')}/{name}"

    def drop(self, url: str) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{url.rsplit("/", 1)[1]}" WITH (FORCE)')

    def close(self) -> None:
        self._admin(f'DROP DATABASE IF EXISTS "{self._template}" WITH (FORCE)')


def _codes(connection: Any) -> tuple[list[str], list[str], dt.date]:
    learners = [row[0] for row in connection.execute("SELECT ine FROM learner ORDER BY id")]
    criteria = [row[0] for row in connection.execute("SELECT code FROM criterion ORDER BY id")]
    if len(learners) < LEARNERS_PER_EVALUATION or len(criteria) < CRITERIA_PER_EVALUATION:
        raise ValueError("the database has too few learners or criteria")
    (last,) = connection.execute(
        "SELECT max(bilan_date) FROM bilan WHERE status = 'final'"
    ).fetchone()
    if isinstance(last, str):
        last = dt.date.fromisoformat(last)
    # After every closed period: the import needs no confirmation (nothing covered).
    first = FIRST_DAY if last is None else max(FIRST_DAY, last + dt.timedelta(days=1))
    return learners, criteria, first


# -- the file --------------------------------------------------------------------------


def _school_days(count: int, first: dt.date) -> list[dt.date]:
    days: list[dt.date] = []
    day = first
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _write_csv(path: Path, learners: list[str], criteria: list[str], first: dt.date) -> int:
    days = _school_days(EVALUATIONS, first)
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


# -- app side --------------------------------------------------------------------------


def _app_side(url: str, csv_path: Path) -> tuple[float, float, float, int]:
    """(read_results ms, check-only ms, read + apply ms, results created)."""
    from livret.exchange.results_file import read_results
    from livret.services.database import open_database
    from livret.services.results_import import ResultsImportService
    from livret.services.users import command_line_actor

    database, _ = open_database(url, upgrade=False)
    try:
        service = ResultsImportService(database, command_line_actor(database))
        started = time.perf_counter()
        results_file = read_results(csv_path.read_bytes(), csv_path.name)
        parsed = time.perf_counter()
        report = service.apply(results_file)
        applied = time.perf_counter()
        if not report.applied or report.results_created != results_file.line_count:
            raise RuntimeError(f"the import did not write the file: {report.summary()}")
        # check() alone, as the dialog runs it first (on the imported base: all updates).
        checked = time.perf_counter()
        service.check(results_file)
        check_ms = (time.perf_counter() - checked) * 1000
    finally:
        database.dispose()
    return (
        (parsed - started) * 1000,
        check_ms,
        (applied - started) * 1000,
        report.results_created,
    )


# -- floor -----------------------------------------------------------------------------


def _parse(data: bytes) -> tuple[list[str], list[list[str]]]:
    reader = csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""), delimiter=";")
    header = next(reader)
    return header, list(reader)


def _floor(backend: str, url: str, csv_path: Path) -> float:
    if backend == "sqlite":
        return _floor_sqlite(url.removeprefix("sqlite:///"), csv_path)
    return _floor_pg(url.replace("postgresql+psycopg://", "postgresql://"), csv_path)


def _plan_rows(
    lines: list[list[str]], learner_ids: dict[str, int], criterion_ids: dict[str, int], first: int
) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Evaluations (id, nature, ISO date, title) numbered from `first`, and results."""
    evaluations: dict[tuple[str, str, str], int] = {}
    results: list[tuple[Any, ...]] = []
    next_id = first
    for day, nature, title, ine, code, level, comment in lines:
        key = (day, nature, title)
        evaluation_id = evaluations.get(key)
        if evaluation_id is None:
            evaluation_id = evaluations[key] = next_id
            next_id += 1
        results.append(
            (
                evaluation_id,
                learner_ids[ine],
                criterion_ids[code],
                SYMBOLS.get(level, level),
                comment or None,
            )
        )
    evaluation_rows = [
        (evaluation_id, nature, f"{day[6:10]}-{day[3:5]}-{day[0:2]}", title)
        for (day, nature, title), evaluation_id in evaluations.items()
    ]
    return evaluation_rows, results


def _floor_sqlite(path: str, csv_path: Path) -> float:
    connection = sqlite3.connect(path, isolation_level=None)
    try:
        connection.execute("PRAGMA foreign_keys=ON")  # as Livret's engine
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=FULL")
        started = time.perf_counter()
        _header, lines = _parse(csv_path.read_bytes())
        connection.execute("BEGIN")
        learner_ids = dict(connection.execute("SELECT ine, id FROM learner"))
        criterion_ids = dict(connection.execute("SELECT code, id FROM criterion"))
        first = int(
            connection.execute("SELECT coalesce(max(id), 0) + 1 FROM evaluation").fetchone()[0]
        )
        evaluations, results = _plan_rows(lines, learner_ids, criterion_ids, first)
        connection.executemany(
            "INSERT INTO evaluation (id, nature, eval_date, title) VALUES (?, ?, ?, ?)",
            evaluations,
        )
        connection.executemany(
            "INSERT INTO result (evaluation_id, learner_id, criterion_id, level, comment) "
            "VALUES (?, ?, ?, ?, ?)",
            results,
        )
        connection.execute("COMMIT")
        return (time.perf_counter() - started) * 1000
    finally:
        connection.close()


def _floor_pg(url: str, csv_path: Path) -> float:
    import psycopg

    with psycopg.connect(url) as connection:
        started = time.perf_counter()
        _header, lines = _parse(csv_path.read_bytes())
        learner_ids = dict(connection.execute("SELECT ine, id FROM learner").fetchall())
        criterion_ids = dict(connection.execute("SELECT code, id FROM criterion").fetchall())
        keys = {(line[0], line[1], line[2]) for line in lines}
        ids = [
            row[0]
            for row in connection.execute(
                "SELECT nextval(pg_get_serial_sequence('evaluation', 'id')) "
                "FROM generate_series(1, %s)",
                (len(keys),),
            )
        ]
        evaluations, results = _plan_rows(lines, learner_ids, criterion_ids, 0)
        with connection.cursor() as cursor:
            with cursor.copy("COPY evaluation (id, nature, eval_date, title) FROM STDIN") as copy:
                for evaluation_id, nature, day, title in evaluations:
                    copy.write_row((ids[evaluation_id], nature, day, title))
            with cursor.copy(
                "COPY result (evaluation_id, learner_id, criterion_id, level, comment) FROM STDIN"
            ) as copy:
                for evaluation_id, learner_id, criterion_id, level, comment in results:
                    copy.write_row((ids[evaluation_id], learner_id, criterion_id, level, comment))
        connection.commit()
        return (time.perf_counter() - started) * 1000
