"""class_choices: the one rule applied to every learner of a class, in two queries.

Checked against raw SQL on the demo at several conseil dates, and on a hand-built class
whose expected choices are written out below; both back-ends through the fixtures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Connection, event, text

from livret.services.bilan_choice import class_choices
from livret.services.catalog import CatalogService
from livret.services.database import Database
from livret.services.users import command_line_actor

TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "SET TRANSACTION")


def as_date(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def rows(database: Database, sql: str, **params: Any) -> list[Any]:
    with database.engine.connect() as connection:
        return list(connection.execute(text(sql), params).all())


def class_id(database: Database, code: str, year: str) -> int:
    return int(
        rows(
            database,
            "SELECT c.id FROM school_class c JOIN school_year y ON y.id = c.school_year_id "
            "WHERE c.code = :c AND y.label = :y",
            c=code,
            y=year,
        )[0][0]
    )


@contextmanager
def count_queries(database: Database) -> Iterator[list[str]]:
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


# -- the demo --------------------------------------------------------------------------------

CONSEILS = [
    dt.date(2025, 9, 15),  # start of the first year: nobody has a bilan yet
    dt.date(2025, 12, 12),  # the day of the first bilans
    dt.date(2026, 1, 20),
    dt.date(2026, 9, 10),  # start of the second year
    dt.date(2026, 12, 10),  # December: the March bilans, not the drafts of 27/11
    dt.date(2027, 3, 18),
]


@pytest.mark.parametrize(("code", "year"), [("1PLP1", "2026-2027"), ("1PLP1", "2025-2026")])
def test_demo_classes_against_raw_sql(demo_database: Database, code: str, year: str) -> None:
    klass = class_id(demo_database, code, year)
    catalog = CatalogService(demo_database, command_line_actor(demo_database))
    learners = catalog.list_learners(klass)
    bilans: dict[int, list[tuple[dt.date, int, str]]] = {}
    for bilan_id, learner_id, day, status in rows(
        demo_database,
        "SELECT b.id, b.learner_id, b.bilan_date, b.status FROM bilan b "
        "JOIN enrolment e ON e.learner_id = b.learner_id WHERE e.class_id = :c",
        c=klass,
    ):
        bilans.setdefault(learner_id, []).append((as_date(day), bilan_id, status))
    seen_reasons: set[str] = set()
    chosen_somewhere = drafts_somewhere = 0
    for on in CONSEILS:
        for include_drafts in (False, True):
            with demo_database.engine.connect() as connection:
                choices = class_choices(connection, klass, on, include_drafts=include_drafts)
            # Every enrolled learner, in the catalogue's French alphabetical order.
            assert [c.learner for c in choices] == list(learners)
            for item in choices:
                mine = bilans.get(item.learner.id, [])
                finals = [(d, i) for d, i, s in mine if s == "final" and d <= on]
                drafts = [(d, i) for d, i, s in mine if s == "draft" and d <= on]
                expected = max(finals, default=None)
                if include_drafts and drafts and (expected is None or max(drafts) >= expected):
                    expected = max(drafts)
                if expected is None:
                    assert item.choice.bilan_id is None and item.choice.reason
                    seen_reasons.add(item.choice.reason.split(" (")[0])
                    continue
                assert (item.choice.bilan_date, item.choice.bilan_id) == expected
                assert item.choice.is_draft == (expected not in finals)
                chosen_somewhere += 1
                drafts_somewhere += item.choice.is_draft
    assert chosen_somewhere and drafts_somewhere  # the demo exercises both
    assert "aucun bilan définitif au 15/09/2025" in seen_reasons


def test_december_conseil_of_1plp1_uses_the_march_bilans(demo_database: Database) -> None:
    """The issue's case: in December, the learners with a draft of 27/11 still show March's."""
    klass = class_id(demo_database, "1PLP1", "2026-2027")
    with demo_database.engine.connect() as connection:
        choices = class_choices(connection, klass, dt.date(2026, 12, 10))
        with_drafts = class_choices(connection, klass, dt.date(2026, 12, 10), include_drafts=True)
    dates = {c.choice.bilan_date for c in choices if c.choice.chosen}
    # Their latest final bilans, written last year in 2nde (none yet this year).
    assert dt.date(2026, 3, 20) in dates <= {dt.date(2026, 3, 20), dt.date(2025, 12, 12)}
    assert sum(c.choice.chosen for c in choices) > len(choices) // 2
    drafted = [c for c in with_drafts if c.choice.is_draft]
    assert drafted and all(c.choice.bilan_date == dt.date(2026, 11, 27) for c in drafted)
    # Those drafts' learners show their final bilan (or their reason) without drafts.
    plain = {c.learner.id: c.choice for c in choices}
    assert all(not plain[c.learner.id].is_draft for c in drafted)


def test_two_queries_whatever_the_class_size(demo_database: Database) -> None:
    small = class_id(demo_database, "2PMIA1", "2026-2027")
    big = class_id(demo_database, "1PLP1", "2025-2026")
    counts = []
    for klass in (small, big):
        with count_queries(demo_database) as statements, demo_database.engine.connect() as c:
            assert class_choices(c, klass, dt.date(2026, 12, 10))
        counts.append(len(statements))
    assert counts == [2, 2]


# -- a hand-built class -------------------------------------------------------------------------


def _insert(connection: Connection, sql: str, **params: Any) -> int:
    return int(connection.execute(text(sql + " RETURNING id"), params).scalar_one())


def _bilan(
    connection: Connection, learner: int, klass: int | None, day: dt.date, final: bool
) -> int:
    bilan_id = _insert(
        connection,
        "INSERT INTO bilan (learner_id, class_id, status, bilan_date) VALUES (:l, :c, 'draft', :d)",
        l=learner,
        c=klass,
        d=day,
    )
    if final:
        connection.execute(
            text("UPDATE bilan SET status = 'final', finalized_at = :t WHERE id = :b"),
            {"b": bilan_id, "t": dt.datetime.combine(day, dt.time(17))},
        )
    return bilan_id


def test_a_built_class(database: Database) -> None:
    """A: finals in two classes and a draft; B: a draft only; C: nothing; D: a final after the
    day; E: two finals on one day; F: enrolled elsewhere (never listed); G: left the school."""
    with database.engine.begin() as connection:
        old = _insert(
            connection,
            "INSERT INTO school_year (label, start_date, end_date) VALUES ('2025-2026', :s, :e)",
            s=dt.date(2025, 9, 1),
            e=dt.date(2026, 7, 4),
        )
        year = _insert(
            connection,
            "INSERT INTO school_year (label, start_date, end_date) VALUES ('2026-2027', :s, :e)",
            s=dt.date(2026, 9, 1),
            e=dt.date(2027, 7, 3),
        )
        before = _insert(
            connection,
            "INSERT INTO school_class (school_year_id, code, label) VALUES (:y, '2PMIA1', '2nde')",
            y=old,
        )
        klass = _insert(
            connection,
            "INSERT INTO school_class (school_year_id, code, label) VALUES (:y, '1PLP1', '1re')",
            y=year,
        )
        other = _insert(
            connection,
            "INSERT INTO school_class (school_year_id, code, label) VALUES (:y, '1PLP2', '1re')",
            y=year,
        )
        ids: dict[str, int] = {}
        for key, family, first in [
            ("A", "Étienne", "Zoé"),
            ("B", "Bastide", "Léa"),
            ("C", "Caron", "Hugo"),
            ("D", "Dupont", "Éric"),
            ("E", "Abel", "Inès"),
            ("F", "Faure", "Luc"),
            ("G", "Gauthier", "Gaël"),
        ]:
            ids[key] = _insert(
                connection,
                "INSERT INTO learner (ine, family_name, first_name, left_on) "
                "VALUES (:i, :f, :p, :left)",
                i=f"000000000{len(ids)}{key}",
                f=family,
                p=first,
                left=dt.date(2026, 11, 2) if key == "G" else None,
            )
            connection.execute(
                text(
                    "INSERT INTO enrolment (learner_id, school_year_id, class_id) "
                    "VALUES (:l, :y, :c)"
                ),
                {"l": ids[key], "y": year, "c": other if key == "F" else klass},
            )
        a_dec = _bilan(connection, ids["A"], before, dt.date(2025, 12, 12), True)
        a_mar = _bilan(connection, ids["A"], before, dt.date(2026, 3, 20), True)
        a_draft = _bilan(connection, ids["A"], klass, dt.date(2026, 11, 27), False)
        _bilan(connection, ids["B"], klass, dt.date(2026, 11, 27), False)
        _bilan(connection, ids["D"], klass, dt.date(2027, 3, 18), True)
        _bilan(connection, ids["E"], klass, dt.date(2026, 11, 13), True)
        e_last = _bilan(connection, ids["E"], klass, dt.date(2026, 11, 13), True)
        _bilan(connection, ids["F"], other, dt.date(2026, 11, 13), True)
        g_final = _bilan(connection, ids["G"], None, dt.date(2026, 3, 20), True)

    def choose(on: dt.date, include_drafts: bool = False) -> dict[str, tuple[Any, ...]]:
        with database.engine.connect() as connection:
            found = class_choices(connection, klass, on, include_drafts=include_drafts)
        keys = {learner_id: key for key, learner_id in ids.items()}
        return {
            keys[c.learner.id]: (c.choice.bilan_id, c.choice.is_draft, c.choice.reason)
            for c in found
        }

    december = choose(dt.date(2026, 12, 10))
    assert list(december) == ["E", "B", "C", "D", "A", "G"]  # French order: Étienne after Dupont
    assert december == {
        "E": (e_last, False, ""),
        "B": (
            None,
            False,
            "seulement un brouillon (du 27/11/2026), pas encore enregistré définitivement",
        ),
        "C": (None, False, "aucun bilan"),
        "D": (None, False, "aucun bilan définitif au 10/12/2026 (le premier est du 18/03/2027)"),
        "A": (a_mar, False, ""),  # written in last year's class: it still stands
        "G": (g_final, False, ""),  # a learner who left keeps their line
    }
    with_drafts = choose(dt.date(2026, 12, 10), include_drafts=True)
    assert with_drafts["A"] == (a_draft, True, "")
    assert with_drafts["B"][1] is True
    assert with_drafts["E"] == december["E"]
    assert choose(dt.date(2026, 1, 5))["A"] == (a_dec, False, "")
    assert choose(dt.date(2027, 3, 18))["D"][0] is not None
    with database.engine.connect() as connection:
        assert class_choices(connection, 999_999, dt.date(2026, 12, 10)) == []
