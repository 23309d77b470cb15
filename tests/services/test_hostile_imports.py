"""Hostile and damaged files through the services: refused in French, nothing written.

The readers' own bounds are in tests/exchange (test_hostile_files, test_fuzz_readers);
here each file goes the way the app takes it (read, then apply) on a real database,
and every table an import may write is counted before and after a refusal.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from sqlalchemy import text

from livret.domain.errors import LivretError, ValidationError
from livret.domain.referentiel import parse_referentiel_bytes
from livret.exchange import results_file
from livret.services.database import Database
from livret.services.referentiel import ReferentielService
from livret.services.results_import import ResultsImportService
from livret.services.siecle_import import SiecleImportService
from livret.services.users import command_line_actor
from tests.exchange import hostile_files
from tests.exchange.test_fuzz_readers import HOSTILE_VALUES, PMIA_PATHS, REFERENTIEL, damaged
from tests.fuzzing import fuzz

TABLES = (
    "evaluation", "result", "audit_event", "learner", "enrolment", "school_class",
    "school_year", "criterion", "competency", "common_competency", "specialty",
)  # fmt: skip


def snapshot(database: Database) -> dict[str, Any]:
    """Row counts of every table an import writes, and the référentiel's texts."""
    with database.engine.connect() as connection:
        counted = {
            table: connection.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()
            for table in TABLES
        }
        texts = connection.execute(text("SELECT code, text FROM criterion ORDER BY code")).all()
    return {**counted, "criteria": [tuple(row) for row in texts]}


def demo_csv(database: Database) -> bytes:
    with database.engine.connect() as connection:
        ines = [row[0] for row in connection.execute(text("SELECT ine FROM learner LIMIT 3"))]
        codes = [row[0] for row in connection.execute(text("SELECT code FROM criterion LIMIT 2"))]
    lines = ["date;nature;titre;INE;critere;niveau;commentaire"]
    for ine in ines:
        for code in codes:
            lines.append(f"05/03/2026;F;Évaluation à l'atelier;{ine};{code};3;Très bien")
    return ("\r\n".join(lines) + "\r\n").encode()


def import_results(database: Database, data: bytes, name: str) -> str:
    """ "refused" (nothing may have been written) or "imported"."""
    importer = ResultsImportService(database, command_line_actor(database))
    try:
        importer.apply(importer.read(data, name))
    except LivretError as exc:  # ValidationError, or CoveredByFinalBilan asking to confirm
        assert exc.message.strip()
        return "refused"
    return "imported"


BOMBS = {"xlsx_row_bomb", "xlsx_zip_bomb", "xlsx_loose_elements", "siecle_zip_bomb"}
"""Refused by the reader before any database call (tests/exchange): slow to build twice."""
RESULTS_CASES = [
    case.name
    for case in hostile_files.CASES
    if case.reader == "results" and "million" not in case.name and case.name not in BOMBS
]


@pytest.mark.parametrize("name", RESULTS_CASES)
def test_hostile_results_file_writes_nothing(demo_database: Database, name: str) -> None:
    case = hostile_files.BY_NAME[name]
    before = snapshot(demo_database)
    assert import_results(demo_database, case.build(), case.file_name) == "refused"
    assert snapshot(demo_database) == before


@fuzz(40, fixtures=True)
@given(data=st.data())
def test_damaged_results_file_imports_whole_or_writes_nothing(
    demo_database: Database, data: st.DataObject
) -> None:
    payload = data.draw(damaged(demo_csv(demo_database)), label="file")
    before = snapshot(demo_database)
    outcome = import_results(demo_database, payload, "notes.csv")
    event(outcome)
    if outcome == "refused":
        assert snapshot(demo_database) == before
        return
    with demo_database.engine.connect() as connection:
        longest = connection.execute(text("SELECT MAX(LENGTH(comment)) FROM result")).scalar()
    assert (longest or 0) <= results_file.COMMENT_MAX


SIECLE_CASES = [
    case.name
    for case in hostile_files.CASES
    if case.reader == "siecle" and case.name not in BOMBS and "tiny" not in case.name
]


@pytest.mark.parametrize("name", SIECLE_CASES)
def test_hostile_siecle_file_writes_nothing(database: Database, name: str) -> None:
    case = hostile_files.BY_NAME[name]
    importer = SiecleImportService(database, command_line_actor(database))
    before = snapshot(database)
    try:
        siecle = importer.read(case.build(), case.file_name)
        applied = importer.apply(siecle)
    except ValidationError as exc:
        assert exc.message.strip()
    else:  # only the learner with a 5 Mo name is left out; the others come in
        assert name == "siecle_overlong_names"
        assert all(len(line.family_name) <= 100 for line in applied.lines)
        return
    assert snapshot(database) == before


@fuzz(40, fixtures=True)
@given(
    edits=st.lists(st.tuples(st.sampled_from(PMIA_PATHS), HOSTILE_VALUES), min_size=1, max_size=3)
)
def test_hostile_referentiel_values_write_nothing(
    database: Database, edits: list[tuple[tuple[Any, ...], Any]]
) -> None:
    document = json.loads(REFERENTIEL)
    for path, value in edits:
        target = document
        try:
            for step in path[:-1]:
                target = target[step]
            target[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    before = snapshot(database)
    try:
        new = parse_referentiel_bytes(json.dumps(document).encode(), "r.json")
        ReferentielService(database, command_line_actor(database)).apply(new)
    except ValidationError as exc:
        event("refused")
        assert exc.message.strip()
        assert snapshot(database) == before
        return
    event("applied")
    with database.engine.connect() as connection:
        longest = connection.execute(text("SELECT MAX(LENGTH(text)) FROM criterion")).scalar()
    assert longest <= 1000
