"""The demonstration data: counts, determinism, guards, periods, refusals."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Integer, cast, func, select, text
from sqlalchemy.exc import DatabaseError, IntegrityError

from livret.domain.errors import ValidationError
from livret.services.database import Database, open_database
from livret.services.demo import DemoReport, create_demo
from livret.storage import models
from tests.databases import BACKENDS, reset_postgresql

TODAY = dt.date(2026, 11, 27)
DUMPED_TABLES = (
    "app_user",
    "school_year",
    "school_class",
    "learner",
    "enrolment",
    "evaluation",
    "result",
    "bilan",
    "positioning",
)

NewDatabase = Callable[[], Database]


@pytest.fixture(params=BACKENDS)
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[NewDatabase]:
    """A factory of new, seeded databases (on PostgreSQL each call resets the schema)."""
    opened: list[Database] = []

    def make() -> Database:
        if request.param == "postgresql":
            for database in opened:
                database.dispose()
            database, _report = open_database(reset_postgresql(), create=True)
        else:
            database, _report = open_database(str(tmp_path / f"d{len(opened)}.sqlite"), create=True)
        opened.append(database)
        return database

    yield make
    for database in opened:
        database.dispose()


def _count(database: Database, table: str) -> int:
    with database.engine.connect() as connection:
        return int(connection.scalar(text(f"SELECT count(*) FROM {table}")) or 0)


def _dump(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    with database.engine.connect() as connection:
        return {
            table: [
                tuple(row) for row in connection.execute(text(f"SELECT * FROM {table} ORDER BY id"))
            ]
            for table in DUMPED_TABLES
        }


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


@pytest.fixture
def small(new_database: NewDatabase) -> tuple[Database, DemoReport]:
    database = new_database()
    return database, create_demo(database, learners=30, evaluations=60, seed=3)


def test_small_demo_has_the_expected_counts(small: tuple[Database, DemoReport]) -> None:
    database, report = small
    assert report.learners == 30 == _count(database, "learner")
    # Cohorts of 10: 2PMIA1 and 1PLP1 in 2025-2026; 1PLP1, TPLP1 and 2PMIA1 in 2026-2027.
    assert report.classes == 5 == _count(database, "school_class")
    assert report.evaluations == 60 == _count(database, "evaluation")
    assert report.results == _count(database, "result")
    assert 60 * 10 * 6 * 0.9 <= report.results <= 60 * 10 * 12
    with database.engine.connect() as connection:
        statuses = dict(
            connection.execute(text("SELECT status, count(*) FROM bilan GROUP BY status")).all()
        )
        assert statuses.get("final", 0) == report.final_bilans > 0
        assert statuses.get("draft", 0) == report.draft_bilans
        users = connection.execute(text("SELECT display_name, role FROM app_user")).all()
        assert ("Mme Diallo", "enseignant") in users
        assert sum(role == "ddfpt" for _name, role in users) == 1
        assert len(users) == 5
        codes = connection.execute(
            text(
                "SELECT y.label, c.code, c.label, c.grade, c.specialty_id FROM school_class c "
                "JOIN school_year y ON y.id = c.school_year_id ORDER BY c.id"
            )
        ).all()
        plp = connection.scalar(text("SELECT id FROM specialty WHERE code = 'PLP'"))
    assert [(year, code) for year, code, *_ in codes] == [
        ("2025-2026", "2PMIA1"),
        ("2025-2026", "1PLP1"),
        ("2026-2027", "1PLP1"),
        ("2026-2027", "TPLP1"),
        ("2026-2027", "2PMIA1"),
    ]
    assert codes[0][2:] == ("2nde PMIA 1", "2nde", None)
    assert codes[3][2:] == ("Tle PLP 1", "Tle", plp)
    assert 0 < report.seconds < 60


def test_learners_classes_and_enrolments_are_consistent(
    small: tuple[Database, DemoReport],
) -> None:
    database, _report = small
    with database.engine.connect() as connection:
        learners = connection.execute(
            text(
                "SELECT id, ine, family_name, first_name, birth_date, specialty_id, left_on "
                "FROM learner"
            )
        ).all()
        enrolments = connection.execute(
            text(
                "SELECT e.learner_id, y.label, c.code, c.grade FROM enrolment e "
                "JOIN school_class c ON c.id = e.class_id "
                "JOIN school_year y ON y.id = e.school_year_id"
            )
        ).all()
        class_sizes = connection.execute(
            text("SELECT class_id, count(*) FROM enrolment GROUP BY class_id")
        ).all()
    assert len({row.ine for row in learners}) == len(learners)
    assert all(re.fullmatch(r"\d{10}[A-Z]", row.ine) for row in learners)
    assert all(row.family_name and row.first_name for row in learners)
    assert all(2007 <= _as_date(row.birth_date).year <= 2011 for row in learners)
    assert all(size <= 30 for _class, size in class_sizes)
    by_learner: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    for learner_id, year, code, grade in enrolments:
        by_learner[learner_id].append((year, code, grade))
    for row in learners:
        years = sorted(by_learner[row.id])
        assert years, row
        assert len({year for year, _code, _grade in years}) == len(years)
        grades = [grade for _year, _code, grade in years]
        if grades[0] == "2nde" and years[0][0] == "2026-2027":
            assert row.specialty_id is None  # cohort C
        else:
            assert row.specialty_id is not None
            if row.left_on is None:
                assert grades in (["2nde", "1re"], ["1re", "Tle"])
    # Cohort A moves up together: 2PMIA1 of 2025-2026 → 1PLP1 of 2026-2027.
    moves = {
        tuple(code for _year, code, _grade in sorted(years))
        for years in by_learner.values()
        if len(years) == 2
    }
    assert moves <= {("2PMIA1", "1PLP1"), ("1PLP1", "TPLP1")}


def test_same_seed_gives_identical_rows_and_another_seed_differs(
    new_database: NewDatabase,
) -> None:
    first = new_database()
    create_demo(first, learners=25, evaluations=40, seed=7)
    dump_first = _dump(first)
    second = new_database()
    create_demo(second, learners=25, evaluations=40, seed=7)
    assert _dump(second) == dump_first
    third = new_database()
    create_demo(third, learners=25, evaluations=40, seed=8)
    dump_third = _dump(third)
    assert dump_third["learner"] != dump_first["learner"]
    assert dump_third["result"] != dump_first["result"]


def test_final_bilans_are_complete_and_guarded(small: tuple[Database, DemoReport]) -> None:
    database, report = small
    with database.engine.connect() as connection:
        cc_count = connection.scalar(text("SELECT count(*) FROM common_competency"))
        assert cc_count == 13
        rows = connection.execute(
            text(
                "SELECT b.id, b.status, b.version, b.author_id, b.finalized_by_id, "
                "b.finalized_at, b.bilan_date, b.class_id, b.constats, b.conseils, "
                "count(p.id) AS positionings "
                "FROM bilan b LEFT JOIN positioning p ON p.bilan_id = b.id "
                "WHERE b.status = 'final' GROUP BY b.id, b.status, b.version, "
                "b.author_id, b.finalized_by_id, b.finalized_at, b.bilan_date, b.class_id, "
                "b.constats, b.conseils"
            )
        ).all()
    assert len(rows) == report.final_bilans
    for row in rows:
        assert row.positionings == 13
        assert row.version == 1
        assert row.author_id is not None and row.finalized_by_id == row.author_id
        assert row.class_id is not None and row.constats and row.conseils
        finalized = row.finalized_at
        if not isinstance(finalized, dt.datetime):
            finalized = dt.datetime.fromisoformat(str(finalized))
        assert finalized == dt.datetime.combine(_as_date(row.bilan_date), dt.time(17, 0))
        assert _as_date(row.bilan_date) in (
            dt.date(2025, 12, 12),
            dt.date(2026, 3, 20),
            dt.date(2026, 11, 13),
        )
    with pytest.raises((IntegrityError, DatabaseError)), database.engine.begin() as connection:
        connection.execute(text("UPDATE bilan SET constats = 'x' WHERE status = 'final'"))
    with pytest.raises((IntegrityError, DatabaseError)), database.engine.begin() as connection:
        final_id = rows[0].id
        connection.execute(
            text("UPDATE positioning SET level = 'NE' WHERE bilan_id = :id"), {"id": final_id}
        )


def test_drafts_one_per_learner_dated_today(small: tuple[Database, DemoReport]) -> None:
    database, report = small
    with database.engine.connect() as connection:
        drafts = connection.execute(
            text("SELECT learner_id, bilan_date, finalized_at FROM bilan WHERE status = 'draft'")
        ).all()
        positionings = connection.scalar(
            text(
                "SELECT count(*) FROM positioning p JOIN bilan b ON b.id = p.bilan_id "
                "WHERE b.status = 'draft'"
            )
        )
    assert len(drafts) == report.draft_bilans
    assert len({learner_id for learner_id, _day, _at in drafts}) == len(drafts)
    assert all(_as_date(day) == TODAY and at is None for _learner, day, at in drafts)
    assert positionings < 13 * max(1, len(drafts))  # some CCs left without positioning


def test_positionings_follow_the_period_results(small: tuple[Database, DemoReport]) -> None:
    """A final positioning is the rounded mean of its period (±1), NE without results."""
    database, _report = small
    with database.engine.connect() as connection:
        finals: dict[int, list[dt.date]] = defaultdict(list)
        for learner_id, day in connection.execute(
            text("SELECT learner_id, bilan_date FROM bilan WHERE status = 'final'")
        ):
            finals[learner_id].append(_as_date(day))
        results = connection.execute(
            text(
                "SELECT r.learner_id, e.eval_date, c.common_competency_id, r.level "
                "FROM result r JOIN evaluation e ON e.id = r.evaluation_id "
                "JOIN criterion c ON c.id = r.criterion_id "
                "WHERE r.level IN ('1','2','3','4')"
            )
        ).all()
        positionings = connection.execute(
            text(
                "SELECT b.learner_id, b.bilan_date, p.common_competency_id, p.level "
                "FROM positioning p JOIN bilan b ON b.id = p.bilan_id WHERE b.status = 'final'"
            )
        ).all()
    levels: dict[tuple[int, dt.date, int], list[int]] = defaultdict(list)
    for learner_id, day, cc_id, level in results:
        ends = sorted(finals[learner_id])
        later = [end for end in ends if end >= _as_date(day)]
        if later:
            levels[(learner_id, later[0], cc_id)].append(int(level))
    assert positionings
    for learner_id, day, cc_id, level in positionings:
        values = levels.get((learner_id, _as_date(day), cc_id))
        if not values:
            assert level == "NE"
        else:
            expected = math.floor(sum(values) / len(values) + 0.5)
            assert level != "NE" and abs(int(level) - expected) <= 1


def test_levels_improve_over_time(new_database: NewDatabase) -> None:
    database = new_database()
    create_demo(database, learners=60, evaluations=200, seed=5)
    counted = models.Result.level.in_(("1", "2", "3", "4"))
    mean = func.avg(cast(models.Result.level, Integer))
    joined = select(mean).join(
        models.Evaluation, models.Evaluation.id == models.Result.evaluation_id
    )
    with database.engine.connect() as connection:
        early = float(
            connection.scalar(
                joined.where(counted, models.Evaluation.eval_date <= dt.date(2025, 12, 12))
            )
        )
        late = float(
            connection.scalar(
                joined.where(
                    counted,
                    models.Evaluation.eval_date > dt.date(2026, 3, 20),
                    models.Evaluation.eval_date < dt.date(2026, 9, 1),
                )
            )
        )
        shares = dict(
            connection.execute(text("SELECT level, count(*) FROM result GROUP BY level")).all()
        )
    assert late > early + 0.1
    total = sum(shares.values())
    assert 0.01 <= shares.get("ABS", 0) / total <= 0.06
    assert 0.002 <= shares.get("NE", 0) / total <= 0.03


def test_evaluations_stay_in_school_time(small: tuple[Database, DemoReport]) -> None:
    database, _report = small
    with database.engine.connect() as connection:
        evaluations = connection.execute(
            text(
                "SELECT e.eval_date, e.nature, e.company, e.tutor, e.pfmp_start, e.pfmp_end, "
                "e.author_id, y.start_date, y.end_date FROM evaluation e "
                "JOIN school_class c ON c.id = e.class_id "
                "JOIN school_year y ON y.id = c.school_year_id"
            )
        ).all()
        after_leaving = connection.scalar(
            text(
                "SELECT count(*) FROM result r JOIN learner l ON l.id = r.learner_id "
                "JOIN evaluation e ON e.id = r.evaluation_id "
                "WHERE l.left_on IS NOT NULL AND e.eval_date > l.left_on"
            )
        )
        max_date = connection.scalar(select(func.max(models.Evaluation.eval_date)))
    assert _as_date(max_date) <= TODAY
    assert after_leaving == 0
    for row in evaluations:
        day = _as_date(row.eval_date)
        assert day.weekday() < 5
        assert _as_date(row.start_date) <= day <= min(_as_date(row.end_date), TODAY)
        assert row.author_id is not None
        if row.nature == "E":
            assert row.company and row.tutor
            assert _as_date(row.pfmp_start) <= day <= _as_date(row.pfmp_end)
        else:
            assert row.nature == "F"
            assert row.company is None and row.pfmp_start is None
    assert {row.nature for row in evaluations} == {"E", "F"}


def test_new_rows_can_still_be_added_after_the_demo(small: tuple[Database, DemoReport]) -> None:
    """Ids were given explicitly: the database must still number new rows (PostgreSQL sequences)."""
    database, _report = small
    with database.transaction() as session:
        session.add(models.Learner(ine="0000000001Z", family_name="Nouveau", first_name="Élève"))
        session.add(models.Evaluation(nature="F", eval_date=TODAY, title="Nouvelle évaluation"))
        session.flush()
    assert _count(database, "learner") == 31


def test_a_second_demo_is_refused_and_writes_nothing(small: tuple[Database, DemoReport]) -> None:
    database, _report = small
    before = _dump(database)
    with pytest.raises(ValidationError, match="apprenants"):
        create_demo(database, learners=30, evaluations=60, seed=4)
    assert _dump(database) == before


@pytest.mark.parametrize(
    ("learners", "evaluations"),
    [(0, 10), (10, 0), (-1, 10), (20_001, 10), (10, 200_001)],
)
def test_bad_sizes_are_refused(new_database: NewDatabase, learners: int, evaluations: int) -> None:
    database = new_database()
    with pytest.raises(ValidationError):
        create_demo(database, learners=learners, evaluations=evaluations)
    assert _count(database, "learner") == 0
    assert _count(database, "app_user") == 1


def test_a_tiny_demo_works(new_database: NewDatabase) -> None:
    database = new_database()
    report = create_demo(database, learners=1, evaluations=1, seed=1)
    assert report.learners == 1
    assert report.evaluations == 1
    assert report.results == _count(database, "result")
