"""Live refresh: a change committed through one connection reaches another app's feed.

Two Database objects on the same file or server are two apps: on PostgreSQL the
feed LISTENs on a connection of its own and the writer's NOTIFY reaches it; on
SQLite the feed polls the file's data_version counter. Each feed skips its own
app's changes, and a rolled-back transaction sends nothing.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator

import pytest
from sqlalchemy import text

from livret.domain.changes import Change
from livret.domain.errors import ValidationError
from livret.exchange.results_file import read_results
from livret.services.bilans import BilanService
from livret.services.change_log import ChangeFeed, note_change
from livret.services.database import Database, open_database
from livret.services.evaluations import EvaluationService
from livret.services.results_import import ResultsImportService
from livret.services.users import command_line_actor
from livret.storage import changes
from tests.databases import BACKENDS
from tests.services.test_evaluations import draft_for
from tests.services.test_results_import import DAY, csv_data

POSTGRESQL_ONLY = [param for param in BACKENDS if param.id == "postgresql"]
WAIT_S = 10.0  # a generous bound for a slow CI machine; the feed usually answers at once


def wait_for(feed: ChangeFeed) -> list[Change]:
    """Poll as the UI's timer does until something arrives (or give up after WAIT_S)."""
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline:
        found = feed.poll()
        if found:
            return found
        time.sleep(0.02)
    return []


@pytest.fixture
def other_app(demo_database: Database) -> Iterator[Database]:
    """A second app on the same database: its own engine, its own origin."""
    url = demo_database.location.url.render_as_string(hide_password=False)
    other, _ = open_database(url)
    yield other
    other.dispose()


def learners_of(database: Database, evaluation_id: int) -> set[int]:
    with database.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT DISTINCT learner_id FROM result WHERE evaluation_id = :e"),
            {"e": evaluation_id},
        )
        return {int(row[0]) for row in rows}


def test_a_new_evaluation_reaches_the_other_app_with_its_learners(
    demo_database: Database, other_app: Database
) -> None:
    feed = ChangeFeed(other_app)
    own_feed = ChangeFeed(demo_database)
    try:
        assert feed.poll() == []
        service = EvaluationService(demo_database, command_line_actor(demo_database))
        evaluation_id = service.create(draft_for(demo_database))
        received = wait_for(feed)
        assert [change.kind for change in received] == ["evaluation"]
        assert received[0].learner_ids == learners_of(demo_database, evaluation_id)
        assert received[0].actor == command_line_actor(demo_database).display_name
        assert feed.poll() == []  # read once
        # The writing app never hears its own change back.
        assert own_feed.poll() == []
        # An edit and a deletion are changes too; the deletion names the learners it had.
        had = learners_of(demo_database, evaluation_id)
        service.update(evaluation_id, dataclasses.replace(draft_for(demo_database), title="Bis"))
        service.delete(evaluation_id)
        kinds: list[Change] = []
        while len(kinds) < 2 and (more := wait_for(feed)):
            kinds.extend(more)
        assert [change.kind for change in kinds] == ["evaluation", "evaluation"]
        assert kinds[1].learner_ids == had
    finally:
        feed.close()
        own_feed.close()


def test_bilan_changes_name_the_bilan_and_its_learner(
    demo_database: Database, other_app: Database
) -> None:
    actor = command_line_actor(demo_database)
    bilans = BilanService(demo_database, actor)
    learner_id = int(
        _scalar(demo_database, "SELECT MIN(learner_id) FROM bilan WHERE status = 'draft'")
    )
    feed = ChangeFeed(other_app)
    try:
        cc_id = int(_scalar(demo_database, "SELECT MIN(id) FROM common_competency"))
        saved = bilans.set_positioning(learner_id, cc_id, "3")
        sheet = bilans.sheet(saved.bilan_id)
        bilans.save_draft(
            sheet.bilan_id, version=sheet.version, constats="Vu", conseils="", positionings={}
        )
        found: list[Change] = []
        while len(found) < 2 and (more := wait_for(feed)):
            found.extend(more)
        assert [(c.kind, c.bilan_id, c.learner_ids) for c in found] == [
            ("positioning", saved.bilan_id, frozenset({learner_id})),
            ("bilan_saved", saved.bilan_id, frozenset({learner_id})),
        ]
    finally:
        feed.close()


def test_an_import_names_its_learners_and_a_refused_one_sends_nothing(
    demo_database: Database, other_app: Database
) -> None:
    ine, criterion, learner_id = _row(
        demo_database,
        "SELECT learner.ine, criterion.code, learner.id FROM learner, criterion "
        "ORDER BY learner.id, criterion.id LIMIT 1",
    )
    feed = ChangeFeed(other_app)
    try:
        service = ResultsImportService(demo_database, command_line_actor(demo_database))
        good = read_results(csv_data([[DAY, "F", "Direct", ine, criterion, "3", ""]]), "a.csv")
        service.apply(good)
        received = wait_for(feed)
        assert [(c.kind, c.learner_ids) for c in received] == [("import", {learner_id})]
        bad = read_results(csv_data([[DAY, "F", "Faux", "00000000000", criterion, "3", ""]]), "b")
        with pytest.raises(ValidationError):
            service.apply(bad)
        time.sleep(0.3)
        assert feed.poll() == []
    finally:
        feed.close()


def test_a_rolled_back_transaction_is_never_announced(
    demo_database: Database, other_app: Database
) -> None:
    feed = ChangeFeed(other_app)
    actor = command_line_actor(demo_database)
    try:
        with pytest.raises(RuntimeError), demo_database.transaction() as session:
            note_change(session, demo_database, actor, "evaluation", learner_ids=[1])
            raise RuntimeError("rollback")
        with demo_database.transaction() as session:
            note_change(session, demo_database, actor, "referentiel")
        received = wait_for(feed)
        assert [change.kind for change in received] == ["referentiel"]
        assert received[0].everything
    finally:
        feed.close()


def test_a_big_change_names_no_learner_and_old_events_are_pruned(
    demo_database: Database, other_app: Database
) -> None:
    actor = command_line_actor(demo_database)
    feed = ChangeFeed(other_app)
    try:
        with demo_database.transaction() as session:
            many = range(1, changes.MAX_LEARNER_IDS + 2)
            note_change(session, demo_database, actor, "import", learner_ids=many)
        (received,) = wait_for(feed)
        assert received.everything  # the other app reloads everything
        for _ in range(3):
            with demo_database.transaction() as session:
                for _ in range(changes.KEEP_EVENTS // 2):
                    note_change(session, demo_database, actor, "marks", learner_ids=[1])
        assert _scalar(demo_database, "SELECT COUNT(*) FROM change_event") <= changes.KEEP_EVENTS
    finally:
        feed.close()


@pytest.mark.parametrize("db_url", POSTGRESQL_ONLY, indirect=True)
def test_a_listener_that_lost_its_connection_catches_up(
    demo_database: Database, other_app: Database
) -> None:
    """LISTEN connections exist on PostgreSQL only (run by .ci/run's PostgreSQL pass)."""
    feed = ChangeFeed(other_app)
    actor = command_line_actor(demo_database)
    try:
        with demo_database.transaction() as session:
            note_change(session, demo_database, actor, "marks", learner_ids=[1])
        assert [c.kind for c in wait_for(feed)] == ["marks"]
        # The server drops every LISTEN connection (a restart, a network cut)…
        with demo_database.engine.begin() as connection:
            dropped = connection.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE query LIKE 'LISTEN%' AND datname = current_database()"
                )
            ).all()
        assert dropped
        # … a colleague changes something meanwhile, unheard by anyone.
        with demo_database.transaction() as session:
            note_change(session, demo_database, actor, "evaluation", learner_ids=[2])
        # The feed reconnects and reads what it missed from the change table.
        received = wait_for(feed)
        if not received:
            received = wait_for(feed)
        assert [(c.kind, c.learner_ids) for c in received] == [("evaluation", {2})]
    finally:
        feed.close()


def _row(database: Database, sql: str) -> tuple[object, ...]:
    with database.engine.connect() as connection:
        return tuple(connection.execute(text(sql)).one())


def _scalar(database: Database, sql: str) -> object:
    with database.engine.connect() as connection:
        return connection.execute(text(sql)).scalar()
