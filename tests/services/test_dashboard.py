"""learner_dashboard: everything the dashboard shows, right, in a constant number of queries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, text

from livret.domain.errors import NotFound
from livret.services.catalog import CatalogService
from livret.services.dashboard import DashboardService
from livret.services.database import Database
from livret.services.users import command_line_actor
from tests.demo_queries import learner_with


def as_date(value: object) -> dt.date:
    """A date from a raw SQL row (SQLite gives text, PostgreSQL a date)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


@contextmanager
def count_queries(database: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", record)


def _learner_with_most_results(database: Database) -> int:
    with database.engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT learner_id FROM result GROUP BY learner_id "
                    "ORDER BY COUNT(*) DESC, learner_id LIMIT 1"
                )
            ).scalar_one()
        )


def test_sections_rows_and_results_match_the_database(demo_database: Database) -> None:
    learner_id = _learner_with_most_results(demo_database)
    dashboard = DashboardService(
        demo_database, command_line_actor(demo_database)
    ).learner_dashboard(learner_id)

    codes = [section.common_competency.code for section in dashboard.sections]
    assert codes == [
        "CC1.1", "CC2.1", "CC2.2", "CC2.3", "CC2.4", "CC3.1", "CC3.2",
        "CC3.3", "CC4.1", "CC4.2", "CC5.1", "CC6.1", "CC6.2",
    ]  # fmt: skip
    cc21 = dashboard.sections[1].common_competency
    assert cc21.heading.startswith("CC2.1 - Approvisionner et préparer les installations")

    with demo_database.engine.connect() as connection:
        expected = {
            (row.code, row.evaluation_id, as_date(row.eval_date), row.level)
            for row in connection.execute(
                text(
                    "SELECT c.code, r.evaluation_id, e.eval_date, r.level FROM result r "
                    "JOIN criterion c ON c.id = r.criterion_id "
                    "JOIN evaluation e ON e.id = r.evaluation_id WHERE r.learner_id = :l"
                ),
                {"l": learner_id},
            )
        }
        cc_of = dict(
            connection.execute(
                text(
                    "SELECT c.code, cc.code FROM criterion c "
                    "JOIN common_competency cc ON cc.id = c.common_competency_id"
                )
            ).all()
        )
    shown = set()
    for section in dashboard.sections:
        for row in section.rows:
            assert row.results, "a row is shown only when the learner has a result on it"
            assert cc_of[row.criterion.code] == section.common_competency.code
            assert row.criterion.label.startswith(f"[PLP] {row.criterion.competency_code} ")
            indexes = [result.evaluation_index for result in row.results]
            assert indexes == sorted(indexes)
            for result in row.results:
                evaluation = dashboard.evaluations[result.evaluation_index]
                shown.add((row.criterion.code, evaluation.id, evaluation.date, result.level))
    assert shown == expected
    assert dashboard.result_count == len(expected)


def test_evaluations_are_chronological_with_codes_and_periods(demo_database: Database) -> None:
    learner_id = learner_with(demo_database, 2, True)
    dashboard = DashboardService(
        demo_database, command_line_actor(demo_database)
    ).learner_dashboard(learner_id)

    dates = [evaluation.date for evaluation in dashboard.evaluations]
    assert dates == sorted(dates)
    formative = [e.short_code for e in dashboard.evaluations if e.nature == "F"]
    assert formative == [f"F{n}" for n in range(1, len(formative) + 1)]
    for evaluation in dashboard.evaluations:
        if evaluation.nature == "E":
            assert evaluation.company and evaluation.tutor

    first, second = (bilan.bilan_date for bilan in dashboard.final_bilans)
    assert dashboard.period_boundaries == (first, second)
    assert dashboard.current_period == 2
    for evaluation in dashboard.evaluations:
        expected = 0 if evaluation.date <= first else 1 if evaluation.date <= second else 2
        assert evaluation.period == expected


def test_previous_and_current_positionings(demo_database: Database) -> None:
    learner_id = learner_with(demo_database, 2, True)
    dashboard = DashboardService(
        demo_database, command_line_actor(demo_database)
    ).learner_dashboard(learner_id)
    assert dashboard.draft is not None and dashboard.draft.status == "draft"

    with demo_database.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT cc.code, b.status, b.bilan_date, p.level FROM positioning p "
                "JOIN bilan b ON b.id = p.bilan_id "
                "JOIN common_competency cc ON cc.id = p.common_competency_id "
                "WHERE b.learner_id = :l ORDER BY b.bilan_date"
            ),
            {"l": learner_id},
        ).all()
    for section in dashboard.sections:
        code = section.common_competency.code
        finals = [
            (as_date(r.bilan_date), r.level) for r in rows if r.code == code and r.status == "final"
        ]
        assert [(p.bilan_date, p.level) for p in section.previous] == finals
        drafts = [r.level for r in rows if r.code == code and r.status == "draft"]
        assert section.current == (drafts[0] if drafts else "NE")


def test_constant_number_of_queries_whatever_the_history(demo_database: Database) -> None:
    busy = _learner_with_most_results(demo_database)
    with demo_database.engine.begin() as connection:
        newcomer = connection.execute(
            text(
                "INSERT INTO learner (ine, family_name, first_name) "
                "VALUES ('0000000001Z', 'Nouveau', 'Noé') RETURNING id"
            )
        ).scalar_one()
    service = DashboardService(demo_database, command_line_actor(demo_database))
    with count_queries(demo_database) as busy_queries:
        busy_dashboard = service.learner_dashboard(busy)
    with count_queries(demo_database) as empty_queries:
        empty_dashboard = service.learner_dashboard(newcomer)
    assert busy_dashboard.result_count > 100
    assert empty_dashboard.result_count == 0
    assert empty_dashboard.evaluations == ()
    assert all(section.current == "NE" for section in empty_dashboard.sections)
    assert len(busy_queries) == len(empty_queries) <= 8


def test_unknown_learner(demo_database: Database) -> None:
    with pytest.raises(NotFound, match="Apprenant introuvable"):
        DashboardService(demo_database, command_line_actor(demo_database)).learner_dashboard(
            999_999
        )


def test_catalog_lists_classes_and_learners(demo_database: Database) -> None:
    catalog = CatalogService(demo_database, command_line_actor(demo_database))
    classes = catalog.list_classes()
    years = [info.school_year_label for info in classes]
    assert years == sorted(years, reverse=True)
    assert {info.grade for info in classes} == {"2nde", "1re", "Tle"}
    total = 0
    for info in classes:
        learners = catalog.list_learners(info.id)
        assert len(learners) == info.learner_count
        total += len(learners)
    with demo_database.engine.connect() as connection:
        assert total == connection.execute(text("SELECT COUNT(*) FROM enrolment")).scalar_one()


def test_learners_sorted_in_french_order(database: Database) -> None:
    with database.engine.begin() as connection:
        year = connection.execute(
            text(
                "INSERT INTO school_year (label, start_date, end_date) "
                "VALUES ('2026-2027', :s, :e) RETURNING id"
            ),
            {"s": dt.date(2026, 9, 1), "e": dt.date(2027, 7, 3)},
        ).scalar_one()
        class_id = connection.execute(
            text(
                "INSERT INTO school_class (school_year_id, code, label, grade) "
                "VALUES (:y, '2PMIA1', '2nde PMIA 1', '2nde') RETURNING id"
            ),
            {"y": year},
        ).scalar_one()
        for ine, family, first in [
            ("0000000001A", "Zidane", "Léa"),
            ("0000000002B", "Éluard", "Paul"),
            ("0000000003C", "le Gall", "Yann"),
            ("0000000004D", "Eluard", "Anaïs"),
            ("0000000005E", "Lefèvre", "Chloé"),
        ]:
            learner = connection.execute(
                text(
                    "INSERT INTO learner (ine, family_name, first_name) "
                    "VALUES (:i, :f, :p) RETURNING id"
                ),
                {"i": ine, "f": family, "p": first},
            ).scalar_one()
            connection.execute(
                text(
                    "INSERT INTO enrolment (learner_id, school_year_id, class_id) "
                    "VALUES (:l, :y, :c)"
                ),
                {"l": learner, "y": year, "c": class_id},
            )
    names = [
        s.display_name
        for s in CatalogService(database, command_line_actor(database)).list_learners(class_id)
    ]
    assert names == ["ELUARD Anaïs", "ÉLUARD Paul", "LEFÈVRE Chloé", "LE GALL Yann", "ZIDANE Léa"]
