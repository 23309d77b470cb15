"""Kill safety (PRODUCT.md §6): SIGKILL a child writing through the services, or migrating.

The first test runs tests/storage/kill_child.py on a copy of the demo database and
kills it at random moments; after each kill the file is reopened and checked: the
SQLite integrity check passes, every bilan is wholly the old one or wholly one
round's (its marker, its positionings and its audit events agree), every import
and every new evaluation is all there or not at all. The second kills
`livret db upgrade` on an old-revision database: the file is intact at the old
revision or upgraded whole, and the pre-migration backup restores cleanly.

Bounded in time for `make test` (KILL_SECONDS and MIGRATION_SECONDS); set
LIVRET_KILL_ROUNDS to run that many kills of each instead, LIVRET_KILL_SEED to
replay a run. The figures are printed (pytest -s shows them).
"""

from __future__ import annotations

import dataclasses
import hashlib
import os
import queue
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

from alembic import command

from livret.services.bilans import (
    DRAFT_CREATED_ACTION,
    FINALIZE_ACTION,
    SAVED_ACTION,
    UNLOCK_ACTION,
)
from livret.services.database import check_database, open_database, restore_database
from livret.services.evaluations import CREATED_ACTION
from livret.services.results_import import IMPORT_ACTION
from livret.storage import migrate
from livret.storage.backup import PARTIAL_SUFFIX, backups_dir
from livret.storage.engine import make_engine, resolve
from tests.storage import kill_child

ROOT = Path(__file__).parents[2]
KILL_SECONDS = 12.0
"""Time given to the kills during writes when LIVRET_KILL_ROUNDS is not set."""
MIGRATION_SECONDS = 6.0
KILL_WINDOW = 1.0
"""A kill comes up to this many seconds after the worker opened the file (a round or two)."""
LEARNERS = 8
READY_TIMEOUT = 120.0
OLD_REVISION = "0004"
OLD_FIXTURE = ROOT / "tests" / "data" / "livret-0001.sqlite"
"""A database made by the first schema, when the repository holds one."""


def wanted_rounds() -> int | None:
    value = os.environ.get("LIVRET_KILL_ROUNDS")
    return int(value) if value else None


def seeded() -> random.Random:
    seed = int(os.environ.get("LIVRET_KILL_SEED") or time.time_ns() % 1_000_000)
    print(f"\nLIVRET_KILL_SEED={seed}")
    return random.Random(seed)


def rounds(seconds: float) -> Iterator[int]:
    """0, 1, 2… until the time is up, or LIVRET_KILL_ROUNDS of them (at least one)."""
    count, deadline = wanted_rounds(), time.monotonic() + seconds
    index = 0
    while index == 0 or (index < count if count is not None else time.monotonic() < deadline):
        yield index
        index += 1


@dataclasses.dataclass
class Child:
    """A child process whose stdout lines are collected by a thread."""

    process: subprocess.Popen[str]
    stderr: Path
    lines: queue.Queue[str] = dataclasses.field(default_factory=queue.Queue)

    @classmethod
    def start(cls, arguments: list[str], stderr: Path) -> Child:
        with stderr.open("w") as errors:
            process = subprocess.Popen(
                [sys.executable, *arguments],
                cwd=ROOT,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=errors,
                text=True,
            )
        child = cls(process, stderr)
        threading.Thread(target=child._read, daemon=True).start()
        return child

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line.strip())
        self.lines.put("")  # the end

    def next_line(self, timeout: float) -> str:
        """The next line printed ('' once the process has ended)."""
        return self.lines.get(timeout=timeout)

    def send(self, line: str) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(line + "\n")
        self.process.stdin.flush()

    def close(self) -> None:
        """End the input: the server stops (or kill it if it does not)."""
        assert self.process.stdin is not None
        self.process.stdin.close()
        try:
            self.finish()
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> int:
        self.process.send_signal(signal.SIGKILL)
        return self.finish()

    def finish(self) -> int:
        """Wait for the end; the return code (negative: the signal that ended it)."""
        code = self.process.wait(timeout=300)
        for stream in (self.process.stdin, self.process.stdout):
            if stream is not None and not stream.closed:
                stream.close()
        return code

    def errors(self) -> str:
        return self.stderr.read_text(errors="replace")


# -- writes ---------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class BilanState:
    status: str
    constats: str
    conseils: str
    positionings: tuple[tuple[int, str], ...]


def bilan_states(connection: sqlite3.Connection) -> dict[int, BilanState]:
    levels: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for bilan_id, cc_id, level in connection.execute(
        "SELECT bilan_id, common_competency_id, level FROM positioning ORDER BY 1, 2"
    ):
        levels[bilan_id].append((cc_id, level))
    return {
        bilan_id: BilanState(status, constats, conseils, tuple(levels[bilan_id]))
        for bilan_id, status, constats, conseils in connection.execute(
            "SELECT id, status, constats, conseils FROM bilan"
        )
    }


def integrity_ok(connection: sqlite3.Connection) -> None:
    assert connection.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    assert connection.execute("PRAGMA foreign_key_check").fetchall() == []


def check_after_kill(path: Path, before: dict[int, BilanState]) -> dict[str, int]:
    """Every invariant of the rounds, on the reopened file; returns what it holds."""
    connection = sqlite3.connect(path)  # replays or drops the WAL of the killed writer
    try:
        integrity_ok(connection)
        cc_ids = [row[0] for row in connection.execute("SELECT id FROM common_competency")]
        bilans = bilan_states(connection)
        actions: dict[int, list[str]] = defaultdict(list)
        latest: dict[int, str] = {}
        for entity_id, action, at in connection.execute(
            "SELECT entity_id, action, at FROM audit_event WHERE entity = 'bilan' ORDER BY id"
        ):
            actions[entity_id].append(action)
            latest[entity_id] = max(latest.get(entity_id, at), at)
        updated = dict(connection.execute("SELECT id, updated_at FROM bilan"))
        for bilan_id, state in bilans.items():
            marker = re.fullmatch(r"Tour (\d+)", state.constats)
            old = before.get(bilan_id)
            if marker is not None:
                number = int(marker.group(1))
                assert state.conseils == f"Conseils du tour {number}", (bilan_id, state)
                wanted = tuple((cc_id, kill_child.level(number)) for cc_id in sorted(cc_ids))
                assert state.positionings == wanted, (bilan_id, number, state)
                assert SAVED_ACTION in actions[bilan_id]
            elif old is None:  # opened by a round that was killed before its save
                assert (state.status, state.constats, state.positionings) == ("draft", "", ())
            else:
                assert state == old, (bilan_id, state, old)
            touched = old is None or marker is not None
            if old is None:
                assert actions[bilan_id].count(DRAFT_CREATED_ACTION) == 1, bilan_id
            if touched:
                # Written in the same transaction, from the same clock reading.
                assert updated[bilan_id] == latest[bilan_id], bilan_id
                finals = actions[bilan_id].count(FINALIZE_ACTION)
                unlocks = actions[bilan_id].count(UNLOCK_ACTION)
                was_final = old is not None and old.status == "final"
                assert finals - unlocks == int(state.status == "final") - int(was_final)

        learners = connection.execute(
            "SELECT ine FROM learner ORDER BY id LIMIT ?", (LEARNERS,)
        ).fetchall()
        codes = [row[0] for row in connection.execute("SELECT code FROM criterion ORDER BY id")]
        evaluations = {
            title: (evaluation_id, count)
            for evaluation_id, title, count in connection.execute(
                "SELECT e.id, e.title, (SELECT count(*) FROM result r WHERE r.evaluation_id = e.id)"
                " FROM evaluation e WHERE e.title LIKE '% tour %'"
            )
        }
        imports = [
            int(found.group(1))
            for (details,) in connection.execute(
                "SELECT details FROM audit_event WHERE action = ?", (IMPORT_ACTION,)
            )
            if (found := re.search(r"« tour-(\d+)\.csv »", details)) is not None
        ]
        created = {
            entity_id
            for (entity_id,) in connection.execute(
                "SELECT entity_id FROM audit_event WHERE action = ?", (CREATED_ACTION,)
            )
        }
    finally:
        connection.close()
    assert len(imports) == len(set(imports))
    imported = {
        int(found.group(1))
        for title in evaluations
        if (found := re.fullmatch(r"Import tour (\d+) [AB]", title)) is not None
    }
    assert imported == set(imports)  # the import's audit event iff its evaluations
    _, per_title = kill_child.import_file(0, [ine for (ine,) in learners], codes)
    for number in imported:  # both evaluations of the file, each with all its lines
        titles = kill_child.import_titles(number)
        counts = [evaluations[title][1] for title in titles]
        assert counts == list(per_title.values()), (number, counts)
    created_rounds = 0
    for title, (evaluation_id, count) in evaluations.items():
        if title.startswith("Évaluation tour "):
            assert count == LEARNERS * kill_child.EVALUATION_CRITERIA, title
            assert evaluation_id in created, title
            created_rounds += 1
    return {
        "bilans": sum(1 for s in bilans.values() if s.constats.startswith("Tour ")),
        "finals": sum(1 for s in bilans.values() if s.status == "final"),
        "imports": len(imported),
        "evaluations": created_rounds,
    }


def test_a_kill_during_writes_loses_only_the_action_in_progress(
    tmp_path: Path, demo_sqlite_template: Path
) -> None:
    path = tmp_path / "tuee.sqlite"
    shutil.copyfile(demo_sqlite_template, path)
    with sqlite3.connect(path) as connection:
        before = bilan_states(connection)
    rng = seeded()
    server = Child.start(
        ["-m", "tests.storage.kill_child", str(path), str(LEARNERS)], tmp_path / "enfant.err"
    )
    try:
        assert server.next_line(READY_TIMEOUT) == "prêt", server.errors()
        started = time.monotonic()
        next_round, kills = 1, 0
        held: dict[str, int] = {}
        for _ in rounds(KILL_SECONDS):
            server.send(f"tour {next_round}")
            opened = server.next_line(READY_TIMEOUT)
            assert opened.startswith("ouvert "), (opened, server.errors())
            time.sleep(rng.uniform(0, KILL_WINDOW))
            os.kill(int(opened.split()[1]), signal.SIGKILL)
            begun = []
            while not (line := server.next_line(READY_TIMEOUT)).startswith("fin "):
                begun.append(int(line))
            status = int(line.split()[1])
            # Killed, not ended on its own (its traceback would be in the errors).
            assert os.WIFSIGNALED(status), server.errors()
            assert os.WTERMSIG(status) == signal.SIGKILL
            next_round = (begun[-1] if begun else next_round) + 1
            held = check_after_kill(path, before)
            kills += 1
        elapsed = time.monotonic() - started
    finally:
        server.close()
    database, _ = open_database(str(path))
    try:
        report = check_database(database)
    finally:
        database.dispose()
    assert report.ok, report.problems
    print(
        f"kill safety (writes): {kills} SIGKILL rounds survived in {elapsed:.1f} s, "
        f"{next_round - 1} rounds begun; the file holds {held} written by whole rounds"
    )


# -- migration ----------------------------------------------------------------------------

FINGERPRINTED = (
    "learner",
    "school_class",
    "enrolment",
    "criterion",
    "common_competency",
    "evaluation",
    "result",
    "bilan",
    "positioning",
    "audit_event",
)


def columns_of(path: Path) -> dict[str, set[str]]:
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as connection:
        return {
            table: {row[1] for row in connection.execute(f"PRAGMA table_info({table})")}
            for table in FINGERPRINTED
        }


def fingerprint(path: Path, columns: dict[str, list[str]]) -> dict[str, str]:
    """A hash of each table's rows (the columns both schemas have), read-only."""
    digests = {}
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as connection:
        for table, names in columns.items():
            digest = hashlib.sha256()
            for row in connection.execute(
                f"SELECT {', '.join(names)} FROM {table} ORDER BY {', '.join(names)}"
            ):
                digest.update(repr(row).encode())
            digests[table] = digest.hexdigest()
    return digests


def revision_of(path: Path) -> str:
    with sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True) as connection:
        return str(
            connection.execute("SELECT version_num FROM livret_schema_version").fetchone()[0]
        )


def old_database(folder: Path, demo: Path) -> Path:
    """A database at an old revision, with rows in every table that matters."""
    path = folder / "ancienne.sqlite"
    if OLD_FIXTURE.is_file():
        shutil.copyfile(OLD_FIXTURE, path)
        return path
    # The demo, taken back to OLD_REVISION by the migrations' own downgrades.
    shutil.copyfile(demo, path)
    engine = make_engine(resolve(str(path)))
    try:
        with engine.connect() as connection:
            raw = connection.connection.dbapi_connection
            assert raw is not None
            raw.execute("PRAGMA foreign_keys=OFF")
            with connection.begin():
                config = migrate.alembic_config()
                config.attributes["connection"] = connection
                command.downgrade(config, OLD_REVISION)
    finally:
        engine.dispose()
    with sqlite3.connect(path) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    return path


def upgrade_child(path: Path, stderr: Path) -> Child:
    return Child.start(["-m", "livret", "db", "upgrade", "--db", str(path)], stderr)


def test_a_kill_during_a_migration_leaves_the_old_base_or_the_new_and_a_good_backup(
    tmp_path: Path, demo_sqlite_template: Path
) -> None:
    old = old_database(tmp_path, demo_sqlite_template)
    old_revision = revision_of(old)
    head = migrate.head_revision()

    # One migration to its end: how long it takes, and which columns both schemas share.
    calibration = tmp_path / "etalon" / "base.sqlite"
    calibration.parent.mkdir()
    shutil.copyfile(old, calibration)
    started = time.monotonic()
    whole = upgrade_child(calibration, tmp_path / "etalon.err")
    while not backups_dir(calibration).exists() and whole.process.poll() is None:
        time.sleep(0.005)
    backing_up = time.monotonic() - started  # the start-up is over: the work begins
    assert whole.finish() == 0, whole.errors()
    duration = time.monotonic() - started
    assert revision_of(calibration) == head
    before, after = columns_of(old), columns_of(calibration)
    shared = {table: sorted(before[table] & after[table]) for table in FINGERPRINTED}
    expected = fingerprint(old, shared)
    assert fingerprint(calibration, shared) == expected  # an upgrade keeps every row

    rng = seeded()
    outcomes: dict[str, int] = defaultdict(int)
    started = time.monotonic()
    for index in rounds(MIGRATION_SECONDS):
        folder = tmp_path / f"tour-{index}"
        folder.mkdir()
        path = folder / "base.sqlite"
        shutil.copyfile(old, path)
        child = upgrade_child(path, tmp_path / f"migration-{index}.err")
        # Mostly within the backup and the migration, sometimes before or after.
        time.sleep(rng.uniform(0.8 * backing_up, 1.1 * duration))
        code = child.kill()
        assert code in (0, -signal.SIGKILL), child.errors()

        with sqlite3.connect(path) as connection:
            integrity_ok(connection)
        revision = revision_of(path)
        assert revision in (old_revision, head)
        outcomes["upgraded" if revision == head else "old revision"] += 1
        assert fingerprint(path, shared) == expected

        restored = folder / "restauree.sqlite"
        complete = sorted(backups_dir(path).glob("*.sqlite"))
        for copy in complete:
            # Every copy under a backup's name is finished: one cut short by the kill
            # is left under its temporary name, which no listing or restore takes.
            with sqlite3.connect(f"{copy.as_uri()}?mode=ro", uri=True) as connection:
                assert connection.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
        outcomes["backup cut short"] += len(list(backups_dir(path).glob(f"*{PARTIAL_SUFFIX}")))
        if revision == head:
            assert complete, "upgraded without a finished backup"
        for copy in complete:
            with sqlite3.connect(f"{copy.as_uri()}?mode=ro", uri=True) as connection:
                integrity_ok(connection)
            assert revision_of(copy) == old_revision
            assert fingerprint(copy, shared) == expected
            # `livret db restore` over the killed file (a copy of it), then opened.
            shutil.copyfile(path, restored)
            restore_database(str(restored), copy)
            assert revision_of(restored) == old_revision
            assert fingerprint(restored, shared) == expected
            database, _ = open_database(str(restored))
            database.dispose()
            assert revision_of(restored) == head
            assert fingerprint(restored, shared) == expected
            outcomes["backups restored"] += 1

        database, _ = open_database(str(path))  # completes an interrupted upgrade
        database.dispose()
        assert revision_of(path) == head
        assert fingerprint(path, shared) == expected
    elapsed = time.monotonic() - started
    print(
        f"kill safety (migration {old_revision} → {head}, {duration:.1f} s each, the work "
        f"from {backing_up:.1f} s): "
        f"{sum(outcomes[k] for k in ('upgraded', 'old revision'))} SIGKILL rounds in "
        f"{elapsed:.1f} s: {dict(outcomes)}"
    )
