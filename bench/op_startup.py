"""Start-up: `python -m livret --db …` in separate processes, from spawn to the painted window.

Each run is a new process with LIVRET_BENCH_STARTUP=1 (livret.app's hook: the main
window's first paint through the event loop, dashboard shown, prints one JSON line and
quits) and QT_QPA_PLATFORM=offscreen; the time is taken here, from just before Popen
to the line's arrival. The floor is bench/bare_window.py: PySide6 imported, an empty
QMainWindow of the same size painted, the same JSON line.

The runs start as a returning teacher would: the settings (in a scratch HOME) name the
first class and its first learner, so the dashboard of that learner is painted. A
SQLite database is copied into the scratch folder (the app writes its daily backup
beside it and WAL files). A server database always asks to log in, and the generated
ones have no password: it is copied into a scratch database (pg_dump | pg_restore,
dropped afterwards) where one teacher gets a password; the hook then prints when the
login dialog is painted and reads the login and password on stdin, written at once by
this bench, as the teacher types them (argon2's check is part of the figure). One
warm-up run, not counted, pays the day's first-opening backup and fills the OS cache.
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
import uuid
from contextlib import closing
from pathlib import Path
from typing import Any

from bench.core import BenchContext, Measurement

RUNS = 7
TEACHER = "p.lambert"
PASSWORD = "bench-startup-1"
ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_S = 120


def measure(context: BenchContext) -> list[Measurement]:
    if context.backend == "sqlite":
        target = _sqlite_copy(context)
        return _measure(context, target, login=None)
    url, drop = _postgresql_copy(context)
    try:
        return _measure(context, url, login={"login": TEACHER, "password": PASSWORD})
    finally:
        drop()


def _measure(context: BenchContext, db: str, *, login: dict[str, str] | None) -> list[Measurement]:
    environment = _environment(context.work)
    _remember_first_learner(db, environment, login)
    app_command = [sys.executable, "-m", "livret", "--db", db]
    bare_command = [sys.executable, str(ROOT / "bench" / "bare_window.py")]
    _run(app_command, environment, login)  # warm-up: daily backup, OS cache
    _run(bare_command, environment, None)
    app: list[dict[str, Any]] = []
    bare: list[dict[str, Any]] = []
    for _ in range(RUNS):  # interleaved: the shared machine's load hits both alike
        app.append(_run(app_command, environment, login))
        bare.append(_run(bare_command, environment, None))
    shown = all(run.get("learner_shown") for run in app)
    extra = {
        "in_process_painted_s": [run["painted_s"] for run in app],
        "cpu_s": [run["cpu_s"] for run in app],
        "bare_cpu_s": [run["cpu_s"] for run in bare],
        "bare_in_process_painted_s": [run["painted_s"] for run in bare],
        "learner_shown": shown,
        "login": login is not None,
        "login_painted_ms": [run.get("login_painted_ms") for run in app] if login else None,
    }
    who = "logging in through the dialog" if login else "login-free"
    return [
        Measurement(
            name="startup",
            times_ms=[run["spawn_to_painted_ms"] for run in app],
            floor_ms=[run["spawn_to_painted_ms"] for run in bare],
            note=(
                f"Spawn of `python -m livret --db` ({who}) to its main window painted with the "
                "first learner's dashboard; floor: a process showing an empty 1200×800 "
                "QMainWindow, painted."
            ),
            extra=extra,
        ),
        Measurement(
            name="rss_with_database_open",
            times_ms=[run["rss_mb"] for run in app],
            floor_ms=[run["rss_mb"] for run in bare],
            note=(
                "RSS in MB (not ms) of the app once its window is painted on the database; "
                "floor: RSS of the bare PySide6 window process."
            ),
        ),
    ]


def _run(
    command: list[str], environment: dict[str, str], login: dict[str, str] | None
) -> dict[str, Any]:
    started = time.perf_counter()
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=environment,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdin is not None and process.stdout is not None
    login_painted_ms: float | None = None
    try:
        for line in process.stdout:
            values: dict[str, Any] = json.loads(line)
            if "login_painted_s" in values:
                login_painted_ms = (time.perf_counter() - started) * 1000
                process.stdin.write(json.dumps(login or {}) + "\n")  # typed at once
                process.stdin.flush()
                continue
            if "painted_s" in values:
                values["spawn_to_painted_ms"] = (time.perf_counter() - started) * 1000
                if login is not None:
                    values["login_painted_ms"] = login_painted_ms
                # CPU seconds of the whole run (to its exit): steadier than wall time on a
                # loaded machine, for comparing two versions.
                _, status, usage = os.wait4(process.pid, 0)
                process.returncode = os.waitstatus_to_exitcode(status)
                values["cpu_s"] = round(usage.ru_utime + usage.ru_stime, 3)
                return values
        _, errors = process.communicate(timeout=TIMEOUT_S)
        raise RuntimeError(f"{command[1:]} ended without painting: {errors[-2000:]}")
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def _environment(work: Path) -> dict[str, str]:
    home = work / "home"
    home.mkdir(exist_ok=True)
    environment = dict(os.environ)
    environment.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_DATA_HOME=str(home / ".local" / "share"),
        XDG_STATE_HOME=str(home / ".local" / "state"),
        QT_QPA_PLATFORM="offscreen",
        LIVRET_BENCH_STARTUP="1",
        PYTHONPATH=str(ROOT),
    )
    return environment


def _remember_first_learner(
    db: str, environment: dict[str, str], login: dict[str, str] | None
) -> None:
    """The settings of a teacher who last looked at the first learner of the first class."""
    from livret.services.authentication import authenticate, local_profile
    from livret.services.catalog import CatalogService
    from livret.services.database import open_database

    database, _ = open_database(db, upgrade=False)
    try:
        actor = (
            authenticate(database, login["login"], login["password"])
            if login
            else local_profile(database)
        )
        catalog = CatalogService(database, actor)
        first_class = catalog.list_classes()[0]
        first_learner = catalog.list_learners(first_class.id)[0]
    finally:
        database.dispose()
    folder = Path(environment["XDG_CONFIG_HOME"]) / "Livret"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "Livret.conf").write_text(
        f"[selection]\nclass_id={first_class.id}\nlearner_id={first_learner.id}\n",
        encoding="utf-8",
    )


def _sqlite_copy(context: BenchContext) -> str:
    source = context.url.removeprefix("sqlite:///")
    target = context.work / "startup.sqlite"
    with closing(sqlite3.connect(source)) as origin, closing(sqlite3.connect(target)) as copy:
        origin.backup(copy)
    return str(target)


def _postgresql_copy(context: BenchContext) -> tuple[str, Any]:
    """A scratch copy of the server database with a password for TEACHER; and its drop."""
    import psycopg

    from livret.services.passwords import hash_password

    source = context.url.replace("postgresql+psycopg://", "postgresql://")
    server, _, _ = source.rpartition("/")
    name = f"livret_bench_startup_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')

    def drop() -> None:
        with psycopg.connect(f"{server}/postgres", autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    try:
        dump = subprocess.Popen(
            [shutil.which("pg_dump") or "pg_dump", "--format=custom", source],
            stdout=subprocess.PIPE,
        )
        subprocess.run(
            [shutil.which("pg_restore") or "pg_restore", "--no-owner", f"--dbname={server}/{name}"],
            stdin=dump.stdout,
            check=True,
        )
        if dump.wait() != 0:
            raise RuntimeError("pg_dump failed")
        with psycopg.connect(f"{server}/{name}", autocommit=True) as connection:
            connection.execute(
                "UPDATE app_user SET password_hash = %s WHERE login = %s",
                (hash_password(PASSWORD), TEACHER),
            )
    except BaseException:
        drop()
        raise
    return f"postgresql+psycopg://{server.removeprefix('postgresql://')}/{name}", drop
