"""Two teachers at once, for real: threads on their own connections, released together.

On PostgreSQL (run by .ci/run on its own database) these are two server sessions
racing; on SQLite two connections to one file. Whatever the interleaving, nothing is
overwritten unseen, a draft becomes final exactly once, and an import running while
a bilan is finalized leaves both whole.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from functools import partial
from typing import Any

import pytest
from sqlalchemy import text

from livret.domain.errors import ConflictError, FinalBilanError, LivretError
from livret.domain.roles import Actor, Role
from livret.exchange.results_file import read_results
from livret.services.bilans import CONFIRMATION_WORD, BilanService, BilanSheet
from livret.services.database import Database, check_database
from livret.services.results_import import ResultsImportService
from tests.accounts import make_account
from tests.services.test_results_import import DAY, csv_data

ROUNDS = 100


def rows(database: Database, sql: str, **params: Any) -> list[Any]:
    with database.engine.connect() as connection:
        return list(connection.execute(text(sql), params).all())


def race(*calls: Callable[[], object]) -> list[object]:
    """Run the calls in threads released at the same instant; each outcome or its error."""
    barrier = threading.Barrier(len(calls))
    outcomes: list[object] = [None] * len(calls)

    def run(index: int, call: Callable[[], object]) -> None:
        barrier.wait()
        try:
            outcomes[index] = call()
        except Exception as exc:  # kept and asserted on by the test
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=item) for item in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def two_teachers(database: Database) -> tuple[Actor, Actor]:
    return (
        make_account(database, Role.TEACHER, "prof-a", name="Mme Alpha"),
        make_account(database, Role.TEACHER, "prof-b", name="M. Bravo"),
    )


def learners(database: Database) -> list[int]:
    return [row[0] for row in rows(database, "SELECT id FROM learner ORDER BY id")]


def test_two_teachers_saving_the_same_draft_one_gets_a_conflict(database: Database) -> None:
    alpha, bravo = two_teachers(database)
    learner_id = _new_learner(database)
    draft = BilanService(database, alpha).open_draft(learner_id)
    # Both opened the draft at the same version; the first save wins…
    BilanService(database, alpha).save_draft(
        draft.bilan_id, version=draft.version, constats="Alpha", conseils="", positionings={}
    )
    # … the second is told in French, and overwrites nothing.
    with pytest.raises(ConflictError, match="rechargez-le") as refused:
        BilanService(database, bravo).save_draft(
            draft.bilan_id, version=draft.version, constats="Bravo", conseils="", positionings={}
        )
    assert "Mme Alpha" in refused.value.message
    assert rows(database, "SELECT constats FROM bilan WHERE id = :b", b=draft.bilan_id) == [
        ("Alpha",)
    ]


def test_racing_saves_of_one_draft_never_both_succeed(database: Database) -> None:
    alpha, bravo = two_teachers(database)
    learner_id = _new_learner(database)
    for round_number in range(20):
        sheet = BilanService(database, alpha).open_draft(learner_id)
        outcomes = race(
            partial(_save, database, alpha, sheet, f"Alpha {round_number}"),
            partial(_save, database, bravo, sheet, f"Bravo {round_number}"),
        )
        won = [o for o in outcomes if not isinstance(o, Exception)]
        lost = [o for o in outcomes if isinstance(o, Exception)]
        assert len(won) == 1 and len(lost) == 1, outcomes
        assert isinstance(lost[0], ConflictError), lost[0]
        stored = rows(database, "SELECT constats FROM bilan WHERE id = :b", b=sheet.bilan_id)
        assert stored == [(won[0].constats,)]  # type: ignore[attr-defined]


def test_racing_finalizations_make_exactly_one_final_bilan(database: Database) -> None:
    """ROUNDS rounds: two teachers type CONFIRMATION on the same draft at the same instant."""
    alpha, bravo = two_teachers(database)
    learner_id = _new_learner(database)
    for _ in range(ROUNDS):
        sheet = BilanService(database, alpha).open_draft(learner_id)
        finals_before = _finals(database, learner_id)

        def finalize(actor: Actor, version: int = sheet.version, bilan_id: int = sheet.bilan_id):
            return BilanService(database, actor).finalize(
                bilan_id, version=version, confirmation=CONFIRMATION_WORD
            )

        outcomes = race(lambda: finalize(alpha), lambda: finalize(bravo))
        errors = [o for o in outcomes if isinstance(o, Exception)]
        assert len(errors) == 1, outcomes
        assert isinstance(errors[0], (ConflictError, FinalBilanError)), errors[0]
        assert isinstance(errors[0], LivretError) and errors[0].message
        assert _finals(database, learner_id) == finals_before + 1
        finalized = rows(
            database,
            "SELECT COUNT(*) FROM audit_event WHERE entity = 'bilan' AND entity_id = :b "
            "AND action = 'bilan_finalized'",
            b=sheet.bilan_id,
        )
        assert finalized == [(1,)]
    assert not rows(
        database, "SELECT id FROM bilan WHERE learner_id = :l AND status = 'draft'", l=learner_id
    )
    assert check_database(database).ok


def test_an_import_while_a_bilan_is_finalized_leaves_both_whole(demo_database: Database) -> None:
    alpha, bravo = two_teachers(demo_database)
    ines = [row[0] for row in rows(demo_database, "SELECT ine FROM learner ORDER BY id")]
    criteria = [row[0] for row in rows(demo_database, "SELECT code FROM criterion ORDER BY id")]
    file_rows = [
        [DAY, "F", f"Import concurrent {n % 7}", ine, criterion, str(1 + n % 4), ""]
        for n, (ine, criterion) in enumerate((i, c) for i in ines for c in criteria[:40])
    ]
    results_file = read_results(csv_data(file_rows), "concurrent.csv")
    assert not results_file.problems
    for learner_id in learners(demo_database)[:10]:
        sheet = BilanService(demo_database, alpha).open_draft(learner_id)
        results_before = rows(demo_database, "SELECT COUNT(*) FROM result")[0][0]
        finals_before = _finals(demo_database, learner_id)

        outcomes = race(
            lambda: ResultsImportService(demo_database, bravo).apply(results_file),
            lambda s=sheet: BilanService(demo_database, alpha).finalize(
                s.bilan_id, version=s.version, confirmation=CONFIRMATION_WORD
            ),
        )
        imported, finalized = outcomes
        results_after = rows(demo_database, "SELECT COUNT(*) FROM result")[0][0]
        # The import is all or nothing…
        if isinstance(imported, Exception):
            assert isinstance(imported, LivretError), imported
            assert results_after == results_before
        else:
            assert results_after == results_before + imported.results_created  # type: ignore[attr-defined]
        # … and the bilan final exactly once, or still a draft with a French reason.
        if isinstance(finalized, Exception):
            assert isinstance(finalized, LivretError), finalized
            assert _finals(demo_database, learner_id) == finals_before
        else:
            assert _finals(demo_database, learner_id) == finals_before + 1
    assert check_database(demo_database).ok


def _save(database: Database, actor: Actor, sheet: BilanSheet, words: str) -> BilanSheet:
    return BilanService(database, actor).save_draft(
        sheet.bilan_id, version=sheet.version, constats=words, conseils="", positionings={}
    )


def _finals(database: Database, learner_id: int) -> int:
    found = rows(
        database,
        "SELECT COUNT(*) FROM bilan WHERE learner_id = :l AND status = 'final'",
        l=learner_id,
    )
    return int(found[0][0])


def _new_learner(database: Database) -> int:
    from tests.services.test_bilans import new_learner

    return new_learner(database)
