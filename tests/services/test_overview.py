"""class_overview: every cell right against the tables, in a constant number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Connection, event, text

from livret.domain.errors import NotFound
from livret.services.catalog import CatalogService
from livret.services.database import Database
from livret.services.overview import ClassOverview, OverviewCell, OverviewService
from livret.services.users import command_line_actor

COUNTED = {"1", "2", "3", "4"}


def as_date(value: object) -> dt.date:
    """A date from a raw SQL row (SQLite gives text, PostgreSQL a date)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "SET TRANSACTION")


@contextmanager
def count_queries(database: Database) -> Iterator[list[str]]:
    """The queries sent to the database (not the statements that open or close a transaction)."""
    statements: list[str] = []

    def record(*args: object) -> None:
        statement = str(args[2])
        if not statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", record)


def expected_cells(database: Database, class_id: int) -> dict[int, list[OverviewCell]]:
    """The overview's rule, computed again from the raw tables: learner id → cells."""
    members = "(SELECT learner_id FROM enrolment WHERE class_id = :c)"
    bind = {"c": class_id}
    with database.engine.connect() as connection:
        learners = connection.execute(
            text(f"SELECT id FROM learner WHERE id IN {members}"), bind
        ).scalars()
        cc_ids = connection.execute(
            text("SELECT id FROM common_competency ORDER BY referentiel_id, position")
        ).scalars()
        bilans = connection.execute(
            text(
                "SELECT id, learner_id, status, bilan_date FROM bilan "
                f"WHERE learner_id IN {members}"
            ),
            bind,
        ).all()
        positionings = connection.execute(
            text(
                "SELECT p.bilan_id, p.common_competency_id, p.level FROM positioning p "
                f"JOIN bilan b ON b.id = p.bilan_id WHERE b.learner_id IN {members}"
            ),
            bind,
        ).all()
        results = connection.execute(
            text(
                "SELECT r.learner_id, c.common_competency_id, r.level, e.eval_date "
                "FROM result r JOIN evaluation e ON e.id = r.evaluation_id "
                f"JOIN criterion c ON c.id = r.criterion_id WHERE r.learner_id IN {members}"
            ),
            bind,
        ).all()
        learner_ids, ccs = list(learners), list(cc_ids)
    level_of = {(p.bilan_id, p.common_competency_id): p.level for p in positionings}
    expected: dict[int, list[OverviewCell]] = {}
    for learner_id in learner_ids:
        own = [b for b in bilans if b.learner_id == learner_id]
        drafts = [b for b in own if b.status == "draft"]
        assert len(drafts) <= 1
        finals = sorted(
            (b for b in own if b.status == "final"), key=lambda b: (as_date(b.bilan_date), b.id)
        )
        last = finals[-1] if finals else None
        last_date = as_date(last.bilan_date) if last is not None else None
        cells = []
        for cc_id in ccs:
            current = sum(
                1
                for r in results
                if r.learner_id == learner_id
                and r.common_competency_id == cc_id
                and r.level in COUNTED
                and (last_date is None or as_date(r.eval_date) > last_date)
            )
            if drafts and (drafts[0].id, cc_id) in level_of:
                draft = drafts[0]
                cell = OverviewCell(
                    level_of[draft.id, cc_id], "draft", as_date(draft.bilan_date), current
                )
            elif last is not None:
                cell = OverviewCell(
                    level_of.get((last.id, cc_id), "NE"), "final", last_date, current
                )
            else:
                cell = OverviewCell("NE", "none", None, current)
            cells.append(cell)
        expected[learner_id] = cells
    return expected


def test_every_cell_matches_the_tables(demo_database: Database) -> None:
    catalog = CatalogService(demo_database, command_line_actor(demo_database))
    service = OverviewService(demo_database, command_line_actor(demo_database))
    sources: set[str] = set()
    draft_overrides_final = excluded_before_period = 0
    for info in catalog.list_classes():
        overview = service.class_overview(info.id)
        assert overview.class_id == info.id
        assert overview.class_code == info.code
        assert overview.school_year_label == info.school_year_label
        assert [cc.code for cc in overview.common_competencies][:3] == ["CC1.1", "CC2.1", "CC2.2"]
        assert len(overview.common_competencies) == 13
        # The selectors' order.
        assert [row.learner for row in overview.learners] == list(catalog.list_learners(info.id))

        expected = expected_cells(demo_database, info.id)
        assert {row.learner.id for row in overview.learners} == set(expected)
        for row in overview.learners:
            assert len(row.cells) == len(overview.common_competencies)
            assert list(row.cells) == expected[row.learner.id], row.learner.display_name
            finals = {cell.bilan_date for cell in row.cells if cell.source == "final"}
            assert finals <= {row.last_final_date}
            for cell in row.cells:
                sources.add(cell.source)
                if cell.source == "draft" and row.last_final_date is not None:
                    draft_overrides_final += 1
        excluded_before_period += _results_before_period(demo_database, overview)
    # The demo exercises every branch of the rule.
    assert sources == {"draft", "final", "none"}
    assert draft_overrides_final > 0
    assert excluded_before_period > 0


def _results_before_period(database: Database, overview: ClassOverview) -> int:
    """How many counted results of the class the current period leaves out."""
    shown = sum(cell.current_results for row in overview.learners for cell in row.cells)
    with database.engine.connect() as connection:
        total = connection.execute(
            text(
                "SELECT COUNT(*) FROM result WHERE level IN ('1','2','3','4') AND learner_id IN "
                "(SELECT learner_id FROM enrolment WHERE class_id = :c)"
            ),
            {"c": overview.class_id},
        ).scalar_one()
    return int(total) - shown


def _insert(connection: Connection, sql: str, **values: Any) -> int:
    return int(connection.execute(text(sql + " RETURNING id"), values).scalar_one())


def _one_learner_class(database: Database) -> tuple[int, int]:
    """A new class holding a single learner without any history: (class id, learner id)."""
    with database.engine.begin() as connection:
        year = connection.execute(text("SELECT MIN(id) FROM school_year")).scalar_one()
        class_id = _insert(
            connection,
            "INSERT INTO school_class (school_year_id, code, label) VALUES (:y, 'SOLO', 'Seul')",
            y=year,
        )
        learner = _insert(
            connection,
            "INSERT INTO learner (ine, family_name, first_name) "
            "VALUES ('0000000001Z', 'Nouveau', 'Noé')",
        )
        connection.execute(
            text(
                "INSERT INTO enrolment (learner_id, school_year_id, class_id) VALUES (:l, :y, :c)"
            ),
            {"l": learner, "y": year, "c": class_id},
        )
    return class_id, learner


def test_constant_number_of_queries_whatever_the_class(demo_database: Database) -> None:
    biggest = max(
        CatalogService(demo_database, command_line_actor(demo_database)).list_classes(),
        key=lambda c: c.learner_count,
    )
    solo_class, solo_learner = _one_learner_class(demo_database)
    service = OverviewService(demo_database, command_line_actor(demo_database))
    with count_queries(demo_database) as big_queries:
        big = service.class_overview(biggest.id)
    with count_queries(demo_database) as solo_queries:
        solo = service.class_overview(solo_class)
    assert len(big.learners) == biggest.learner_count >= 10
    assert [row.learner.id for row in solo.learners] == [solo_learner]
    assert solo.learners[0].cells == tuple(
        OverviewCell("NE", "none", None, 0) for _ in solo.common_competencies
    )
    assert len(big_queries) == len(solo_queries) <= 5


def test_unknown_class(demo_database: Database) -> None:
    with pytest.raises(NotFound, match="Classe introuvable"):
        OverviewService(demo_database, command_line_actor(demo_database)).class_overview(999_999)


def test_latest_positioning_and_current_period_rules(database: Database) -> None:
    """The edge cases, on a hand-made class: ties, gaps, the bilan's own day, ABS and NE."""
    final_day, later = dt.date(2026, 11, 13), dt.date(2026, 11, 20)
    with database.engine.begin() as connection:
        cc1, cc2, cc3 = connection.execute(
            text("SELECT id FROM common_competency ORDER BY referentiel_id, position LIMIT 3")
        ).scalars()
        first, second = connection.execute(
            text("SELECT id FROM criterion WHERE common_competency_id = :cc ORDER BY id LIMIT 2"),
            {"cc": cc1},
        ).scalars()
        year = _insert(
            connection,
            "INSERT INTO school_year (label, start_date, end_date) VALUES ('2026-2027', :s, :e)",
            s=dt.date(2026, 9, 1),
            e=dt.date(2027, 7, 3),
        )
        klass, other_class = (
            _insert(
                connection,
                "INSERT INTO school_class (school_year_id, code, label) VALUES (:y, :c, :c)",
                y=year,
                c=code,
            )
            for code in ("1PLP1", "1PLP2")
        )

        def learner(ine: str, family: str, first_name: str, class_id: int) -> int:
            learner_id = _insert(
                connection,
                "INSERT INTO learner (ine, family_name, first_name) VALUES (:i, :f, :p)",
                i=ine,
                f=family,
                p=first_name,
            )
            connection.execute(
                text(
                    "INSERT INTO enrolment (learner_id, school_year_id, class_id) "
                    "VALUES (:l, :y, :c)"
                ),
                {"l": learner_id, "y": year, "c": class_id},
            )
            return learner_id

        zoe = learner("0000000001A", "Zola", "Zoé", klass)
        emile = learner("0000000002B", "Émery", "Émile", klass)
        anna = learner("0000000003C", "Eluard", "Anna", klass)
        learner("0000000004D", "Ailleurs", "Paul", other_class)

        def bilan(learner_id: int, day: dt.date, final: bool, levels: dict[int, str]) -> None:
            bilan_id = _insert(
                connection,
                "INSERT INTO bilan (learner_id, status, bilan_date) VALUES (:l, 'draft', :d)",
                l=learner_id,
                d=day,
            )
            for cc_id, level in levels.items():
                connection.execute(
                    text(
                        "INSERT INTO positioning (bilan_id, common_competency_id, level) "
                        "VALUES (:b, :cc, :level)"
                    ),
                    {"b": bilan_id, "cc": cc_id, "level": level},
                )
            if final:
                connection.execute(
                    text("UPDATE bilan SET status = 'final' WHERE id = :b"), {"b": bilan_id}
                )

        # Zoé: two final bilans the same day (the later id wins; it leaves CC2 out),
        # an older one, and a draft positioning CC3 only.
        bilan(zoe, dt.date(2026, 9, 20), True, {cc1: "2", cc2: "3"})
        bilan(zoe, final_day, True, {cc1: "3", cc2: "4"})
        bilan(zoe, final_day, True, {cc1: "4"})
        bilan(zoe, later, False, {cc3: "1"})
        # Anna: a draft only.
        bilan(anna, later, False, {cc2: "3"})

        evaluations = [
            _insert(
                connection,
                "INSERT INTO evaluation (nature, eval_date, title) VALUES ('F', :d, 'TP')",
                d=day,
            )
            for day in (dt.date(2026, 10, 1), final_day, later)
        ]
        before, same_day, after = evaluations
        for learner_id, evaluation, criterion, level in [
            (zoe, before, first, "1"),  # before the last final bilan
            (zoe, same_day, first, "2"),  # its own day closes the period
            (zoe, after, first, "3"),
            (zoe, after, second, "ABS"),  # never counted
            (zoe, same_day, second, "NE"),
            (emile, before, first, "4"),
            (emile, after, first, "NE"),
            (emile, after, second, "2"),
        ]:
            connection.execute(
                text(
                    "INSERT INTO result (evaluation_id, learner_id, criterion_id, level) "
                    "VALUES (:e, :l, :c, :level)"
                ),
                {"e": evaluation, "l": learner_id, "c": criterion, "level": level},
            )

    overview = OverviewService(database, command_line_actor(database)).class_overview(klass)
    assert [row.learner.display_name for row in overview.learners] == [
        "ELUARD Anna",
        "ÉMERY Émile",
        "ZOLA Zoé",
    ]
    anna_row, emile_row, zoe_row = overview.learners
    assert zoe_row.last_final_date == final_day
    assert zoe_row.cells[:3] == (
        OverviewCell("4", "final", final_day, 1),
        OverviewCell("NE", "final", final_day, 0),
        OverviewCell("1", "draft", later, 0),
    )
    assert {cell.source for cell in zoe_row.cells[3:]} == {"final"}
    assert emile_row.last_final_date is None
    assert emile_row.cells[0] == OverviewCell("NE", "none", None, 2)
    assert anna_row.cells[:2] == (
        OverviewCell("NE", "none", None, 0),
        OverviewCell("3", "draft", later, 0),
    )
    assert list(zoe_row.cells) == expected_cells(database, klass)[zoe]
