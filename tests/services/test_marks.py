"""Noter le dernier bilan: golden marks through the real stack, save, export, CLI handler.

The class below is built with raw SQL; every expected mark is computed by hand in
the comments. Shares of the points: 1 → 0, 2 → 1/3, 3 → 2/3, 4 → 1; NE (or no
positioning) is left out; mark = 20 × Σ(weight × share) / Σ weight; rounding half up.
PMIA has 13 CCs: CC1.1, CC2.1–CC2.4, CC3.1–CC3.3, CC4.1, CC4.2, CC5.1, CC6.1, CC6.2.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped, unused-ignore]
from pypdf import PdfReader
from sqlalchemy import Connection, event, text

from livret import cli_marks
from livret.domain.errors import NotFound, PermissionDenied, ValidationError
from livret.domain.marks import MarkSettings
from livret.domain.roles import Actor, Role
from livret.services.catalog import CatalogService
from livret.services.database import Database
from livret.services.exports import ExportService
from livret.services.marks import (
    ALL_NE,
    EXPORT_HEADER,
    SAVED_ACTION,
    SETTINGS_ACTION,
    MarkService,
)
from livret.services.users import command_line_actor
from tests.accounts import make_account

ALL_CCS = (
    "CC1.1", "CC2.1", "CC2.2", "CC2.3", "CC2.4", "CC3.1", "CC3.2",
    "CC3.3", "CC4.1", "CC4.2", "CC5.1", "CC6.1", "CC6.2",
)  # fmt: skip

HYPERLINK = '=HYPERLINK("http://evil.example","clic")'
D_REASON = "seulement un brouillon (du 20/03/2026), pas encore enregistré définitivement"
CONSEIL = dt.date(2026, 4, 2)  # a conseil after the bilans of 20/03/2026


@dataclass(frozen=True)
class Fixture:
    class_id: int
    old_class_id: int
    other_class_id: int
    learners: dict[str, int]
    """Key letter → learner id."""
    bilans: dict[str, int]
    """Key letter → the learner's latest final bilan id (when they have one)."""


def query(database: Database, sql: str, **params: Any) -> list[Any]:
    with database.engine.connect() as connection:
        return list(connection.execute(text(sql), params).all())


def scalar(database: Database, sql: str, **params: Any) -> Any:
    with database.engine.connect() as connection:
        return connection.execute(text(sql), params).scalar_one()


def as_datetime(value: object) -> dt.datetime:
    return value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))


def _insert(connection: Connection, sql: str, **params: Any) -> int:
    return int(connection.execute(text(sql + " RETURNING id"), params).scalar_one())


def add_bilan(
    connection: Connection,
    learner_id: int,
    class_id: int | None,
    day: dt.date,
    levels: dict[str, str],
    *,
    final: bool = True,
) -> int:
    """A bilan with these positionings: inserted as a draft, then finalized (the guards'
    way: positionings cannot be added to a final bilan)."""
    cc = {
        code: cc_id
        for code, cc_id in connection.execute(text("SELECT code, id FROM common_competency"))
    }
    bilan_id = _insert(
        connection,
        "INSERT INTO bilan (learner_id, class_id, status, bilan_date) VALUES (:l, :c, 'draft', :d)",
        l=learner_id,
        c=class_id,
        d=day,
    )
    for code, level in levels.items():
        connection.execute(
            text(
                "INSERT INTO positioning (bilan_id, common_competency_id, level) "
                "VALUES (:b, :c, :v)"
            ),
            {"b": bilan_id, "c": cc[code], "v": level},
        )
    if final:
        connection.execute(
            text("UPDATE bilan SET status = 'final', finalized_at = :t WHERE id = :b"),
            {"b": bilan_id, "t": dt.datetime.combine(day, dt.time(17))},
        )
    return bilan_id


def build_class(database: Database) -> Fixture:
    """1PLP1 in 2025-2026 (a 1PLP1 of 2024-2025 and a 2PMIA1 exist too) with learners A–G.

    A: all 13 CCs at 3.
    B: CC1.1 = 4, CC2.1 = 2, the 11 others not positioned.
    C: an explicit NE on CC1.1, nothing else: every CC is NE.
    D: no final bilan, only a draft (and a formula-looking name).
    E: an older final bilan all at 4, then the latest: CC1.1 = 1, CC2.1 = 3, CC2.2 = 4.
    F: two final bilans on the same day: the higher id (all at 2) is the latest.
    G: CC1.1, CC2.1–CC2.4 at 4; CC3.1–CC3.3 at 1; 5 CCs NE.
    """
    day = dt.date(2026, 3, 20)
    with database.engine.begin() as connection:
        old_year = _insert(
            connection,
            "INSERT INTO school_year (label, start_date, end_date) VALUES ('2024-2025', :s, :e)",
            s=dt.date(2024, 9, 2),
            e=dt.date(2025, 7, 5),
        )
        year = _insert(
            connection,
            "INSERT INTO school_year (label, start_date, end_date) VALUES ('2025-2026', :s, :e)",
            s=dt.date(2025, 9, 1),
            e=dt.date(2026, 7, 4),
        )
        old_class = _insert(
            connection,
            "INSERT INTO school_class (school_year_id, code, label, grade) "
            "VALUES (:y, '1PLP1', '1re PLP 1', '1re')",
            y=old_year,
        )
        class_id = _insert(
            connection,
            "INSERT INTO school_class (school_year_id, code, label, grade) "
            "VALUES (:y, '1PLP1', '1re PLP 1', '1re')",
            y=year,
        )
        other_class = _insert(
            connection,
            "INSERT INTO school_class (school_year_id, code, label, grade) "
            "VALUES (:y, '2PMIA1', '2nde PMIA 1', '2nde')",
            y=year,
        )
        people = {
            "A": ("0000000001A", "Abel", "Zoé"),
            "B": ("0000000002B", "Béranger", "Élodie"),
            "C": ("0000000003C", "Caron", "+33 6 12 34 56 78"),
            "D": ("0000000004D", HYPERLINK, "@SUM(A1:A9)"),
            "E": ("0000000005E", "Dupont", "Éric"),
            "F": ("0000000006F", "Faure", "-Fanny"),
            "G": ("0000000007G", "Gauthier", "Gaël"),
            "X": ("0000000008X", "Xavier", "Autre"),  # in the other class
        }
        learners: dict[str, int] = {}
        for key, (ine, family, first) in people.items():
            learners[key] = _insert(
                connection,
                "INSERT INTO learner (ine, family_name, first_name) VALUES (:i, :f, :p)",
                i=ine,
                f=family,
                p=first,
            )
            connection.execute(
                text(
                    "INSERT INTO enrolment (learner_id, school_year_id, class_id) "
                    "VALUES (:l, :y, :c)"
                ),
                {"l": learners[key], "y": year, "c": other_class if key == "X" else class_id},
            )
        bilans = {
            "A": add_bilan(connection, learners["A"], class_id, day, dict.fromkeys(ALL_CCS, "3")),
            "B": add_bilan(connection, learners["B"], class_id, day, {"CC1.1": "4", "CC2.1": "2"}),
            "C": add_bilan(connection, learners["C"], class_id, day, {"CC1.1": "NE"}),
        }
        add_bilan(connection, learners["D"], class_id, day, {"CC1.1": "4"}, final=False)
        add_bilan(
            connection, learners["E"], class_id, dt.date(2025, 12, 12), dict.fromkeys(ALL_CCS, "4")
        )
        bilans["E"] = add_bilan(
            connection, learners["E"], class_id, day, {"CC1.1": "1", "CC2.1": "3", "CC2.2": "4"}
        )
        add_bilan(connection, learners["F"], class_id, day, dict.fromkeys(ALL_CCS, "4"))
        bilans["F"] = add_bilan(
            connection, learners["F"], class_id, day, dict.fromkeys(ALL_CCS, "2")
        )
        g_levels = {code: "4" for code in ALL_CCS[:5]} | {code: "1" for code in ALL_CCS[5:8]}
        bilans["G"] = add_bilan(connection, learners["G"], class_id, day, g_levels)
        # The other class's learner has a final bilan too: it must not leak in.
        add_bilan(connection, learners["X"], other_class, day, dict.fromkeys(ALL_CCS, "4"))
    return Fixture(class_id, old_class, other_class, learners, bilans)


def teacher(database: Database) -> MarkService:
    return MarkService(database, command_line_actor(database))


@pytest.fixture
def built(database: Database) -> Fixture:
    return build_class(database)


WEIGHTS = {"CC1.1": 2}
# Expected marks: key → (rounding, weighted?) → value. Hand computations:
# A: 20 × 2/3 = 13.333… → 13.3 | 13.5 | 13; weighted: the same (every CC at 2/3).
# B: 20 × (1 + 1/3)/2 = 13.333… → 13.3 | 13.5 | 13;
#    weighted: 20 × (2×1 + 1/3)/3 = 140/9 = 15.555… → 15.6 | 15.5 | 16.
# E: 20 × (0 + 2/3 + 1)/3 = 100/9 = 11.111… → 11.1 | 11.0 | 11;
#    weighted: 20 × (2×0 + 2/3 + 1)/4 = 25/3 = 8.333… → 8.3 | 8.5 | 8.
# F: 20 × 1/3 = 6.666… → 6.7 | 6.5 | 7; weighted: the same.
# G: 20 × 5/8 = 12.5 → 12.5 | 12.5 | 13 (a half rounds up, not to even);
#    weighted: 20 × (2 + 4)/9 = 13.333… → 13.3 | 13.5 | 13.
EXPECTED: dict[str, dict[tuple[str, bool], str]] = {
    "A": {("0.1", False): "13.3", ("0.5", False): "13.5", ("1", False): "13",
          ("0.1", True): "13.3", ("0.5", True): "13.5", ("1", True): "13"},
    "B": {("0.1", False): "13.3", ("0.5", False): "13.5", ("1", False): "13",
          ("0.1", True): "15.6", ("0.5", True): "15.5", ("1", True): "16"},
    "E": {("0.1", False): "11.1", ("0.5", False): "11.0", ("1", False): "11",
          ("0.1", True): "8.3", ("0.5", True): "8.5", ("1", True): "8"},
    "F": {("0.1", False): "6.7", ("0.5", False): "6.5", ("1", False): "7",
          ("0.1", True): "6.7", ("0.5", True): "6.5", ("1", True): "7"},
    "G": {("0.1", False): "12.5", ("0.5", False): "12.5", ("1", False): "13",
          ("0.1", True): "13.3", ("0.5", True): "13.5", ("1", True): "13"},
}  # fmt: skip
NE_COUNTS = {"A": 0, "B": 11, "C": 13, "E": 10, "F": 0, "G": 5}
ORDER = ["A", "B", "C", "E", "F", "G", "D"]  # D sorts as "hyperlink…"


def _by_key(fixture: Fixture, preview: Any) -> dict[str, Any]:
    ids = {learner_id: key for key, learner_id in fixture.learners.items()}
    return {ids[line.learner.id]: line for line in preview.lines}


@pytest.mark.parametrize("rounding", ["0.1", "0.5", "1"])
@pytest.mark.parametrize("weighted", [False, True], ids=["weights-1", "CC1.1x2"])
def test_golden_marks(database: Database, built: Fixture, rounding: str, weighted: bool) -> None:
    settings = MarkSettings(Decimal(rounding), WEIGHTS if weighted else {})
    preview = teacher(database).preview(built.class_id, settings, on=CONSEIL)

    assert preview.class_code == "1PLP1"
    assert preview.school_year_label == "2025-2026"
    assert preview.settings == settings
    lines = _by_key(built, preview)
    assert list(lines) == ORDER
    for key, expected in EXPECTED.items():
        line = lines[key]
        value = expected[(rounding, weighted)]
        assert line.value == Decimal(value), key
        assert str(line.value) == value, key  # the step's decimals: 11.0 at 0.5, 13 at 1
        assert line.status == ""
        assert line.bilan_id == built.bilans[key]
        assert line.ne_count == NE_COUNTS[key]
        assert line.counted == 13 - NE_COUNTS[key]
        assert line.bilan_date == dt.date(2026, 3, 20)
    all_ne = lines["C"]
    assert (all_ne.value, all_ne.ne_count, all_ne.counted) == (None, 13, 0)
    assert all_ne.status == ALL_NE == "Tout est NE : pas de note"
    no_bilan = lines["D"]
    assert (no_bilan.value, no_bilan.bilan_id, no_bilan.bilan_date) == (None, None, None)
    assert no_bilan.status == D_REASON  # the rule's reason, as the class PDF gives it
    assert (preview.marked, preview.without_final_bilan, preview.without_mark) == (5, 1, 1)
    assert all(line.stored is None for line in preview.lines)
    assert preview.on == CONSEIL
    # Under half of the 13 CCs: B (2) and E (3) are flagged; G (8 of 13) and A, F (13) not.
    assert {key for key, line in lines.items() if line.flagged} == {"B", "E"}
    assert lines["B"].alert == "Calculée sur 2 CC sur 13" and lines["G"].alert == ""
    assert all(line.total == 13 for line in preview.lines)
    assert preview.flagged == 2


def test_preview_lists_the_class_like_the_catalog(database: Database, built: Fixture) -> None:
    preview = teacher(database).preview(built.class_id)
    catalog = CatalogService(database, command_line_actor(database)).list_learners(built.class_id)
    assert [line.learner for line in preview.lines] == list(catalog)
    assert built.learners["X"] not in {line.learner.id for line in preview.lines}


def test_settings_default_saved_and_used_by_the_preview(database: Database, built: Fixture) -> None:
    service = teacher(database)
    assert service.settings() == MarkSettings(Decimal("0.1"), {})

    wanted = MarkSettings(Decimal("0.5"), {"CC1.1": 2, "CC2.1": Decimal("0.5")})
    assert service.save_settings(wanted) == wanted
    assert service.settings() == wanted
    stored = dict(query(database, "SELECT key, value FROM setting WHERE key LIKE 'marks.%'"))
    assert json.loads(stored["marks.rounding"]) == "0.5"
    assert json.loads(stored["marks.weights"]) == {"CC1.1": 2, "CC2.1": 0.5}
    events = query(
        database,
        "SELECT action, entity, details FROM audit_event WHERE action = :a",
        a=SETTINGS_ACTION,
    )
    assert len(events) == 1
    assert events[0].entity == "setting"
    assert events[0].details == (
        "arrondi 0,1, coefficients tous à 1, alerte sous 50\u00a0% des CC → "
        "arrondi 0,5, coefficients CC1.1 × 2, CC2.1 × 0,5, alerte sous 50\u00a0% des CC"
    )

    # Without settings, the preview uses the stored ones: B weighted at 0.5 → see EXPECTED
    # except CC2.1 weighs 0.5 here: 20 × (2×1 + 0.5×1/3)/2.5 = 20 × (13/6)/2.5 = 17.333… → 17.5.
    lines = _by_key(built, service.preview(built.class_id))
    assert lines["B"].value == Decimal("17.5")
    assert lines["A"].value == Decimal("13.5")


def test_bad_settings_are_refused_in_french(database: Database, built: Fixture) -> None:
    service = teacher(database)
    with pytest.raises(ValidationError, match="Arrondi de la note invalide"):
        MarkSettings(Decimal("0.2"))
    with pytest.raises(ValidationError, match="négatif"):
        MarkSettings(weights={"CC1.1": -1})
    with pytest.raises(ValidationError, match=r"Compétence commune inconnue.*CC9\.9"):
        service.save_settings(MarkSettings(weights={"CC9.9": 2}))
    with pytest.raises(ValidationError, match="coefficient nul"):
        service.save_settings(MarkSettings(weights=dict.fromkeys(ALL_CCS, 0)))
    assert scalar(database, "SELECT COUNT(*) FROM setting WHERE key LIKE 'marks.%'") == 0
    learner = MarkService(database, Actor(None, "Élève", Role.LEARNER))
    with pytest.raises(PermissionDenied):
        learner.save_settings(MarkSettings())

    with database.engine.begin() as connection:
        connection.execute(text("INSERT INTO setting (key, value) VALUES ('marks.weights', '[1')"))
    with pytest.raises(ValidationError, match="Réglages des notes invalides"):
        service.settings()
    # Saving good settings repairs them.
    service.save_settings(MarkSettings(Decimal("1")))
    assert service.settings() == MarkSettings(Decimal("1"))
    details = scalar(
        database, "SELECT details FROM audit_event WHERE action = :a", a=SETTINGS_ACTION
    )
    assert details.startswith("illisibles → arrondi 1")


def test_only_teachers_and_ddfpt_mark(database: Database, built: Fixture, tmp_path: Path) -> None:
    for role in (Role.LEARNER, Role.ADMIN):
        service = MarkService(database, Actor(None, role.value, role))
        with pytest.raises(PermissionDenied, match="ne permet pas de voir les notes"):
            service.preview(built.class_id)
        with pytest.raises(PermissionDenied):
            service.save(built.class_id)
        with pytest.raises(PermissionDenied):
            service.export(built.class_id, tmp_path / "notes.csv")
    assert not (tmp_path / "notes.csv").exists()
    ddfpt = MarkService(database, make_account(database, Role.DDFPT))
    assert ddfpt.save(built.class_id).marked == 5


def test_save_stores_marks_with_their_parameters(database: Database, built: Fixture) -> None:
    actor = command_line_actor(database)
    service = MarkService(database, actor)
    before = dt.datetime.now().replace(microsecond=0)
    saved = service.save(built.class_id, MarkSettings(Decimal("0.5"), WEIGHTS))
    after = dt.datetime.now()

    rows = {
        row.bilan_id: row
        for row in query(
            database,
            "SELECT bilan_id, value, rounding, weights, ne_count, computed_at, author_id FROM mark",
        )
    }
    expected_bilans = {built.bilans[key]: key for key in EXPECTED}
    assert set(rows) == set(expected_bilans)  # neither C (all NE) nor D (no final bilan)
    for bilan_id, key in expected_bilans.items():
        row = rows[bilan_id]
        assert Decimal(str(row.value)) == Decimal(EXPECTED[key][("0.5", True)])
        assert Decimal(str(row.rounding)) == Decimal("0.5")
        assert json.loads(row.weights) == WEIGHTS
        assert row.ne_count == NE_COUNTS[key]
        assert before <= as_datetime(row.computed_at) <= after  # Python's local time
        assert row.author_id == actor.user_id
    assert (
        scalar(
            database,
            "SELECT COUNT(*) FROM mark m JOIN bilan b ON b.id = m.bilan_id WHERE b.learner_id = :l",
            l=built.learners["D"],
        )
        == 0
    )

    events = query(
        database,
        "SELECT entity, entity_id, details, user_id FROM audit_event WHERE action = :a",
        a=SAVED_ACTION,
    )
    assert len(events) == 1
    assert (events[0].entity, events[0].entity_id) == ("school_class", built.class_id)
    assert events[0].user_id == actor.user_id
    details = events[0].details
    assert "1PLP1 (2025-2026)" in details
    assert "5 notes enregistrées" in details
    assert "arrondi 0,5" in details
    assert "CC1.1 × 2" in details

    lines = _by_key(built, saved)
    assert lines["B"].stored is not None
    assert lines["B"].stored.value == Decimal("15.5")
    assert lines["B"].stored.rounding == Decimal("0.5")
    assert lines["B"].stored.ne_count == 11
    assert lines["C"].stored is None and lines["D"].stored is None
    assert saved.stored_count == 5 and saved.stored_differing == 0


def test_saving_again_updates_instead_of_duplicating(database: Database, built: Fixture) -> None:
    service = teacher(database)
    service.save(built.class_id, MarkSettings(Decimal("0.1")))
    ids_before = {row.bilan_id: row.id for row in query(database, "SELECT id, bilan_id FROM mark")}
    # Read with other settings: the stored marks differ from the computation.
    preview = service.preview(built.class_id, MarkSettings(Decimal("1"), WEIGHTS))
    assert preview.stored_differing == 5  # 13.3 → 13, 13.3 → 16, 11.1 → 8, 6.7 → 7, 12.5 → 13
    service.save(built.class_id, MarkSettings(Decimal("1"), WEIGHTS))

    rows = query(database, "SELECT id, bilan_id, value, rounding, weights FROM mark")
    assert len(rows) == len(ids_before) == 5
    assert {row.bilan_id: row.id for row in rows} == ids_before
    values = {row.bilan_id: Decimal(str(row.value)) for row in rows}
    assert values[built.bilans["B"]] == Decimal("16")
    assert values[built.bilans["E"]] == Decimal("8")
    assert all(Decimal(str(row.rounding)) == 1 for row in rows)
    assert (
        scalar(database, "SELECT COUNT(*) FROM audit_event WHERE action = :a", a=SAVED_ACTION) == 2
    )


def test_saving_drops_a_mark_the_latest_bilan_no_longer_gives(
    database: Database, built: Fixture
) -> None:
    """A mark left on a bilan that now gives none (unlocked and refinalized all NE)."""
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO mark (bilan_id, value, rounding, weights, ne_count) "
                "VALUES (:b, 12.0, 0.1, '{}', 0)"
            ),
            {"b": built.bilans["C"]},
        )
    preview = teacher(database).preview(built.class_id)
    assert _by_key(built, preview)["C"].stored_differs
    teacher(database).save(built.class_id)
    assert (
        scalar(database, "SELECT COUNT(*) FROM mark WHERE bilan_id = :b", b=built.bilans["C"]) == 0
    )
    details = scalar(database, "SELECT details FROM audit_event WHERE action = :a", a=SAVED_ACTION)
    assert "1 note retirée" in details


@contextmanager
def count_queries(database: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def record(*args: object) -> None:
        statement = str(args[2]).strip().upper()
        if statement not in ("BEGIN", "COMMIT", "ROLLBACK"):
            statements.append(statement)

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", record)


def test_constant_number_of_queries(demo_database: Database) -> None:
    classes = CatalogService(demo_database, command_line_actor(demo_database)).list_classes()
    biggest = max(classes, key=lambda info: info.learner_count)
    with demo_database.engine.begin() as connection:
        empty = _insert(
            connection,
            "INSERT INTO school_class (school_year_id, code, label) VALUES (:y, 'VIDE', 'Vide')",
            y=biggest.school_year_id,
        )
    service = teacher(demo_database)
    with count_queries(demo_database) as busy_queries:
        busy = service.preview(biggest.id)
    with count_queries(demo_database) as empty_queries:
        nobody = service.preview(empty)
    assert len(busy.lines) == biggest.learner_count > 10
    assert busy.marked > 5
    assert nobody.lines == ()
    # Class, settings, learners and their bilans (the rule), marks, positionings, CCs.
    assert len(busy_queries) == 7
    assert len(empty_queries) <= 7  # nothing to read for a class without learners
    with count_queries(demo_database) as given_settings:
        service.preview(biggest.id, MarkSettings())
    assert len(given_settings) == 6


def test_realistic_class(demo_database: Database, tmp_path: Path) -> None:
    classes = CatalogService(demo_database, command_line_actor(demo_database)).list_classes()
    service = teacher(demo_database)
    for info in classes:
        preview = service.preview(info.id, MarkSettings(Decimal("0.5")))
        assert len(preview.lines) == info.learner_count
        finals = {
            row.learner_id
            for row in query(
                demo_database,
                "SELECT DISTINCT e.learner_id FROM enrolment e "
                "JOIN bilan b ON b.learner_id = e.learner_id AND b.status = 'final' "
                "WHERE e.class_id = :c",
                c=info.id,
            )
        }
        for line in preview.lines:
            assert line.has_final_bilan == (line.learner.id in finals)
            if line.value is not None:
                assert Decimal(0) <= line.value <= Decimal(20)
                assert line.value % Decimal("0.5") == 0
                assert line.ne_count + line.counted == 13
            elif line.has_final_bilan:
                assert line.status == ALL_NE
            else:
                assert line.status.startswith(("aucun bilan", "seulement un brouillon"))
    biggest = max(classes, key=lambda info: info.learner_count)
    saved = service.save(biggest.id)
    assert scalar(demo_database, "SELECT COUNT(*) FROM mark") == saved.marked > 0
    # The latest final bilan by date: check one learner against raw SQL.
    line = next(line for line in saved.lines if line.bilan_id is not None)
    latest = query(
        demo_database,
        "SELECT id FROM bilan WHERE learner_id = :l AND status = 'final' "
        "ORDER BY bilan_date DESC, id DESC LIMIT 1",
        l=line.learner.id,
    )
    assert line.bilan_id == latest[0].id
    for name in ("notes.csv", "notes.xlsx"):
        export = service.export(biggest.id, tmp_path / name)
        assert export.rows == len(saved.lines)
        assert export.from_stored == saved.marked and export.from_preview == 0
    with (tmp_path / "notes.csv").open(encoding="utf-8-sig", newline="") as stream:
        assert len(list(csv.reader(stream, delimiter=";"))) == len(saved.lines) + 1


def test_class_code_resolution(database: Database, built: Fixture) -> None:
    service = teacher(database)
    assert service.class_id("1PLP1") == built.class_id  # the most recent school year
    assert service.class_id(" 1plp1 ") == built.class_id
    assert service.class_id("1PLP1", "2024-2025") == built.old_class_id
    assert service.class_id("2PMIA1", "2025-2026") == built.other_class_id
    with pytest.raises(NotFound, match="Classe « 3XYZ » introuvable"):
        service.class_id("3XYZ")
    with pytest.raises(NotFound, match="introuvable en 2024-2025"):
        service.class_id("2PMIA1", "2024-2025")
    with pytest.raises(NotFound, match="Année scolaire « 2030-2031 » introuvable"):
        service.class_id("1PLP1", "2030-2031")
    with pytest.raises(NotFound, match="Classe introuvable"):
        service.preview(999_999)


def test_csv_export(database: Database, built: Fixture, tmp_path: Path) -> None:
    path = tmp_path / "notes 1PLP1.csv"
    export = teacher(database).export(
        built.class_id, path, MarkSettings(Decimal("0.5"), WEIGHTS), on=CONSEIL
    )
    assert (export.rows, export.from_stored, export.from_preview) == (7, 0, 5)

    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert raw.count(b"\r\n") == 8 and b"\n" not in raw.replace(b"\r\n", b"")
    with path.open(encoding="utf-8-sig", newline="") as stream:
        rows = list(csv.reader(stream, delimiter=";"))
    assert rows[0] == [
        "INE", "nom", "prénom", "classe", "note", "date du bilan", "nombre de NE",
        "CC positionnées", "alerte", "remarque",
    ]  # fmt: skip
    assert tuple(rows[0]) == EXPORT_HEADER
    body = {row[0]: row for row in rows[1:]}
    assert body["0000000001A"] == [
        "0000000001A", "Abel", "Zoé", "1PLP1", "13,5", "20/03/2026", "0", "13", "", "",
    ]  # fmt: skip
    # 2 CCs of 13: flagged.
    assert body["0000000002B"][4:] == [
        "15,5", "20/03/2026", "11", "2", "Calculée sur 2 CC sur 13", "",
    ]  # fmt: skip
    assert body["0000000005E"][4:] == [
        "8,5", "20/03/2026", "10", "3", "Calculée sur 3 CC sur 13", "",
    ]  # fmt: skip
    assert body["0000000006F"] == [
        "0000000006F", "Faure", "'-Fanny", "1PLP1", "6,5", "20/03/2026", "0", "13", "", "",
    ]  # fmt: skip
    # All NE: no note (never 0), the bilan's date and its 13 NE.
    assert body["0000000003C"] == [
        "0000000003C", "Caron", "'+33 6 12 34 56 78", "1PLP1", "", "20/03/2026", "13", "0", "",
        "Tout est NE : pas de note",
    ]  # fmt: skip
    # No final bilan: listed with the reason, everything about the mark empty; formulas
    # neutralised.
    assert body["0000000004D"] == [
        "0000000004D", "'" + HYPERLINK, "'@SUM(A1:A9)", "1PLP1", "", "", "", "", "", D_REASON,
    ]  # fmt: skip
    assert [row[0] for row in rows[1:]] == [
        f"000000000{n}" for n in ("1A", "2B", "3C", "5E", "6F", "7G", "4D")
    ]


def test_export_writes_the_stored_marks(database: Database, built: Fixture, tmp_path: Path) -> None:
    """Saved marks win over the computation; a learner with no saved mark gets the computed one."""
    service = teacher(database)
    service.save(built.class_id, MarkSettings(Decimal("1")))
    with database.engine.begin() as connection:
        connection.execute(
            text("DELETE FROM bilan WHERE learner_id = :l AND status = 'draft'"),
            {"l": built.learners["D"]},
        )
        # D's first final bilan, after the save: CC1.1 = 4, CC2.1 = 3 → 20 × (5/3)/2 = 16.666….
        add_bilan(
            connection,
            built.learners["D"],
            built.class_id,
            dt.date(2026, 5, 29),
            {"CC1.1": "4", "CC2.1": "3"},
        )
    path = tmp_path / "notes.csv"
    export = service.export(built.class_id, path, MarkSettings(Decimal("0.1")))
    assert (export.from_stored, export.from_preview) == (5, 1)
    with path.open(encoding="utf-8-sig", newline="") as stream:
        body = {row[0]: row for row in csv.reader(stream, delimiter=";")}
    assert body["0000000002B"][4] == "13"  # saved at step 1 (13.3 at 0.1)
    assert body["0000000006F"][4] == "7"
    assert body["0000000004D"][4:9] == ["16,7", "29/05/2026", "11", "2", "Calculée sur 2 CC sur 13"]


def test_xlsx_export(database: Database, built: Fixture, tmp_path: Path) -> None:
    path = tmp_path / "notes.xlsx"
    teacher(database).export(
        built.class_id, path, MarkSettings(Decimal("0.5"), WEIGHTS), on=CONSEIL
    )

    workbook = load_workbook(path)
    assert workbook.sheetnames == ["Notes"]
    sheet = workbook["Notes"]
    rows = list(sheet.iter_rows())
    assert [cell.value for cell in rows[0]] == list(EXPORT_HEADER)
    assert all(cell.font.b for cell in rows[0])
    assert all(cell.data_type != "f" for row in rows for cell in row)
    body = {row[0].value: row for row in rows[1:]}
    hyperlink_row = body["0000000004D"]
    assert hyperlink_row[1].value == HYPERLINK and hyperlink_row[1].data_type == "s"
    assert hyperlink_row[2].value == "@SUM(A1:A9)" and hyperlink_row[2].data_type == "s"
    assert [cell.value for cell in hyperlink_row[4:9]] == [None] * 5
    assert hyperlink_row[9].value == D_REASON
    a_row = body["0000000001A"]
    assert a_row[4].value == 13.5 and a_row[4].data_type == "n"
    assert a_row[4].number_format == "0.0"
    assert a_row[5].value == dt.datetime(2026, 3, 20)
    assert a_row[5].number_format == "DD/MM/YYYY"
    assert a_row[6].value == 0
    assert body["0000000003C"][4].value is None  # all NE: no mark, not 0
    assert body["0000000003C"][6].value == 13
    b_row = body["0000000002B"]
    assert b_row[7].value == 2 and b_row[7].data_type == "n"
    assert b_row[8].value == "Calculée sur 2 CC sur 13"
    assert a_row[8].value is None  # no alert: an empty cell


def test_bad_suffix_is_refused(database: Database, built: Fixture, tmp_path: Path) -> None:
    service = teacher(database)
    folder = tmp_path / "exports"
    folder.mkdir()
    for name in ("notes.txt", "notes", "notes.csv.bak"):
        with pytest.raises(ValidationError, match=r"\.csv ou \.xlsx"):
            service.export(built.class_id, folder / name)
    assert list(folder.iterdir()) == []
    with pytest.raises(ValidationError, match="le dossier n'existe pas"):
        service.export(built.class_id, folder / "absent" / "notes.csv")


# -- `livret export marks` (the handler; cli.py registers it) ----------------------------


def run_cli(db_url: str, *args: str) -> int:
    parser = argparse.ArgumentParser(prog="livret")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS)
    export = (
        parser.add_subparsers(dest="command")
        .add_parser("export")
        .add_subparsers(dest="export_command")
    )
    cli_marks.register(export, common)
    parsed = parser.parse_args(["export", "marks", "--db", db_url, *args])
    return cli_marks.handle(parsed, parsed.db)


def test_cli_exports_and_saves(
    db_url: str,
    database: Database,
    built: Fixture,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = tmp_path / "notes.csv"
    absent = tmp_path / "absent" / "notes.csv"
    with pytest.raises(ValidationError, match="le dossier n'existe pas"):
        run_cli(db_url, "--class", "1PLP1", "--out", str(absent), "--save")
    assert scalar(database, "SELECT COUNT(*) FROM mark") == 0  # refused before saving

    assert run_cli(db_url, "--class", "1PLP1", "--out", str(out), "--rounding", "0,5") == 0
    printed = capsys.readouterr().out
    today = dt.date.today().strftime("%d/%m/%Y")
    assert f"Classe 1PLP1 (2025-2026), conseil du {today}, arrondi 0,5 : 5 apprenants" in printed
    assert "1 sans bilan définitif à cette date, 1 sans note (tout NE)" in printed
    assert "2 notes signalées (moins de 50\u00a0% des CC)" in printed
    assert f"  {HYPERLINK.upper()} @SUM(A1:A9) : {D_REASON}\n" in printed
    assert "  BÉRANGER Élodie : 13,5/20, calculée sur 2 CC sur 13\n" in printed
    assert "Fichier écrit" in printed and "(7 lignes)" in printed
    assert scalar(database, "SELECT COUNT(*) FROM mark") == 0  # no --save: nothing stored

    xlsx = tmp_path / "notes.xlsx"
    year = ("--year", "2025-2026")
    assert run_cli(db_url, "--class", "1PLP1", *year, "--out", str(xlsx), "--save") == 0
    assert run_cli(db_url, "--class", "1PLP1", "--out", str(xlsx), "--save") == 0
    printed = capsys.readouterr().out
    assert "arrondi 0,1" in printed
    assert "Notes enregistrées avec les bilans : 5." in printed
    assert scalar(database, "SELECT COUNT(*) FROM mark") == 5

    assert run_cli(db_url, "--class", "1PLP1", "--out", str(out), "--rounding", "1") == 0
    # Saved at 0.1 (13.3, 13.3, 11.1, 6.7, 12.5), computed at 1 (13, 13, 11, 7, 13).
    assert "Attention : 5 notes enregistrées diffèrent" in capsys.readouterr().out

    with pytest.raises(ValidationError, match=r"\.csv ou \.xlsx"):
        run_cli(db_url, "--class", "1PLP1", "--out", str(tmp_path / "notes.ods"), "--save")
    with pytest.raises(NotFound, match="Classe « 9ZZ » introuvable"):
        run_cli(db_url, "--class", "9ZZ", "--out", str(out))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--rounding", "0.2"], "arrondi invalide"),
        (["--year", "2025"], "année scolaire invalide"),
        (["--year", "2025-2027"], "année scolaire invalide"),
    ],
)
def test_cli_argument_errors(
    db_url: str, args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        run_cli(db_url, "--class", "1PLP1", "--out", "x.csv", *args)
    assert message in capsys.readouterr().err


# -- the day of the conseil, and marks that warn ------------------------------------------------


def test_the_conseil_date_chooses_each_bilan(database: Database, built: Fixture) -> None:
    """In January only E's December bilan exists: the others' reasons say when theirs come."""
    service = teacher(database)
    january = dt.date(2026, 1, 10)
    lines = _by_key(built, service.preview(built.class_id, on=january))
    assert lines["E"].bilan_date == dt.date(2025, 12, 12)
    assert lines["E"].value == Decimal("20.0")  # that bilan is all at 4
    for key in "ABCFG":
        assert lines[key].bilan_id is None and lines[key].value is None
        assert lines[key].status == (
            "aucun bilan définitif au 10/01/2026 (le premier est du 20/03/2026)"
        )
    assert lines["D"].status == "aucun bilan au 10/01/2026 (seulement un brouillon du 20/03/2026)"

    saved = service.save(built.class_id, on=january)
    assert saved.on == january and saved.marked == 1
    (stored,) = query(database, "SELECT bilan_id, value FROM mark")
    assert stored.bilan_id == lines["E"].bilan_id
    details = scalar(database, "SELECT details FROM audit_event WHERE action = :a", a=SAVED_ACTION)
    assert "conseil du 10/01/2026" in details and "1 note enregistrée" in details
    # The same class in April: the March bilans (E's latest), the January mark left alone.
    april = _by_key(built, service.preview(built.class_id, on=CONSEIL))
    assert april["E"].bilan_id == built.bilans["E"] and april["E"].stored is None


def test_the_alert_share_is_a_setting(database: Database, built: Fixture) -> None:
    service = teacher(database)
    assert service.settings().min_share == Decimal("0.5")
    service.save_settings(MarkSettings(min_share=Decimal("0.7")))
    assert json.loads(scalar(database, "SELECT value FROM setting WHERE key = 'marks.min_share'"))
    assert service.settings().min_share == Decimal("0.7")
    lines = _by_key(built, service.preview(built.class_id, on=CONSEIL))
    # G: 8 of 13 = 61 % < 70 %: flagged now, with B and E; A and F (13 of 13) never.
    assert {key for key, line in lines.items() if line.flagged} == {"B", "E", "G"}
    assert lines["G"].alert == "Calculée sur 8 CC sur 13"
    none = service.preview(built.class_id, MarkSettings(min_share=Decimal(0)), on=CONSEIL)
    assert none.flagged == 0
    for wrong in ("1.5", "-0.1", "NaN", "beaucoup"):
        with pytest.raises(ValidationError, match="Seuil d'alerte des notes invalide"):
            MarkSettings(min_share=wrong)  # type: ignore[arg-type]
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE setting SET value = '\"2\"' WHERE key = 'marks.min_share'"))
    with pytest.raises(ValidationError, match="Réglages des notes invalides dans la base"):
        service.settings()


def test_a_demo_learner_marked_on_2_ccs_of_13_is_flagged_everywhere(
    demo_database: Database, tmp_path: Path
) -> None:
    """A teacher positions a demo learner on two CCs and finalizes: the mark warns in the
    preview, the CSV and the XLSX."""
    from livret.services.bilans import CONFIRMATION_WORD, BilanService

    actor = command_line_actor(demo_database)
    classes = CatalogService(demo_database, actor).list_classes()
    klass = next(c for c in classes if c.code == "1PLP1" and c.school_year_label == "2026-2027")
    (learner_id,) = query(
        demo_database,
        "SELECT e.learner_id FROM enrolment e JOIN learner l ON l.id = e.learner_id "
        "WHERE e.class_id = :c AND NOT EXISTS (SELECT 1 FROM bilan b "
        "WHERE b.learner_id = e.learner_id AND b.status = 'draft') AND l.left_on IS NULL "
        "ORDER BY e.learner_id LIMIT 1",
        c=klass.id,
    )[0]
    ccs = dict(query(demo_database, "SELECT code, id FROM common_competency"))
    bilans = BilanService(demo_database, actor)
    bilans.set_positioning(learner_id, ccs["CC1.1"], "4")
    saved = bilans.set_positioning(learner_id, ccs["CC2.1"], "3")
    version = bilans.sheet(saved.bilan_id).version
    bilans.finalize(saved.bilan_id, version=version, confirmation=CONFIRMATION_WORD)

    service = MarkService(demo_database, actor)
    preview = service.preview(klass.id)
    (line,) = [line for line in preview.lines if line.learner.id == learner_id]
    assert line.bilan_id == saved.bilan_id
    # 20 × (1 + 2/3) / 2 = 16.666… → 16,7, on 2 CCs of 13: flagged.
    assert (line.value, line.counted, line.total) == (Decimal("16.7"), 2, 13)
    assert line.flagged and line.alert == "Calculée sur 2 CC sur 13"
    others = [other for other in preview.lines if other.learner.id != learner_id]
    assert all(o.flagged == (o.counted * 2 < 13) for o in others if o.value is not None)
    assert not any(o.flagged for o in others if o.value is None)

    service.export(klass.id, tmp_path / "notes.csv")
    with (tmp_path / "notes.csv").open(encoding="utf-8-sig", newline="") as stream:
        csv_rows = {
            row[0]: dict(zip(EXPORT_HEADER, row, strict=True))
            for row in csv.reader(stream, delimiter=";")
        }
    mine = csv_rows[line.learner.ine]
    assert (mine["note"], mine["CC positionnées"], mine["alerte"]) == (
        "16,7",
        "2",
        "Calculée sur 2 CC sur 13",
    )
    service.export(klass.id, tmp_path / "notes.xlsx")
    sheet = load_workbook(tmp_path / "notes.xlsx")["Notes"]
    xlsx_rows = {
        row[0]: dict(zip(EXPORT_HEADER, row, strict=True))
        for row in sheet.iter_rows(min_row=2, values_only=True)
    }
    assert xlsx_rows[line.learner.ine]["note"] == 16.7
    assert xlsx_rows[line.learner.ine]["CC positionnées"] == 2
    assert xlsx_rows[line.learner.ine]["alerte"] == "Calculée sur 2 CC sur 13"
    unflagged = [o.learner.ine for o in others if o.value is not None and not o.flagged]
    assert unflagged and all(xlsx_rows[ine]["alerte"] is None for ine in unflagged)

    # Saved, the mark prints on the bilan's PDF with the same warning; a sound one without.
    service.save(klass.id)
    exports = ExportService(demo_database, actor)
    flagged_pdf = exports.export_bilan_pdf(saved.bilan_id, tmp_path / "signalee.pdf")
    first_page = PdfReader(flagged_pdf).pages[0].extract_text()
    assert "16,7 / 20" in first_page and "⚠ Calculée sur 2 CC sur 13" in first_page
    sound = next(o for o in others if o.value is not None and not o.flagged)
    assert sound.bilan_id is not None
    sound_pdf = exports.export_bilan_pdf(sound.bilan_id, tmp_path / "normale.pdf")
    sound_page = PdfReader(sound_pdf).pages[0].extract_text()
    assert "/ 20" in sound_page and "Calculée sur" not in sound_page


def test_cli_date(
    db_url: str, built: Fixture, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "notes.csv"
    assert run_cli(db_url, "--class", "1PLP1", "--out", str(out), "--date", "10/01/2026") == 0
    printed = capsys.readouterr().out
    assert "conseil du 10/01/2026" in printed and ": 1 apprenant noté, 6 sans bilan" in printed
    assert run_cli(db_url, "--class", "1PLP1", "--out", str(out), "--date", "2026-04-02") == 0
    assert "conseil du 02/04/2026" in capsys.readouterr().out
    for wrong, message in (("31/02/2026", "impossible"), ("demain", "illisible")):
        with pytest.raises(SystemExit):
            run_cli(db_url, "--class", "1PLP1", "--out", str(out), "--date", wrong)
        assert message in capsys.readouterr().err
