"""Import SIECLE through the real stack (parser, service, SQLite and PostgreSQL, CLI handler).

The realistic file (tests/exchange/data/ElevesSansAdresses.xml, ISO-8859-15) holds 11
ELEVE records: 8 importable learners (one of them without a division, one who left
on 12/01/2026, one INE twice of which the record without DATE_SORTIE is kept), and 2
skipped (no INE, invalid INE). Its divisions: 1PLP1, 2PLP1, TPLP1.
"""

from __future__ import annotations

import argparse
import datetime as dt
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from livret import cli_import
from livret.domain.errors import PermissionDenied, ValidationError
from livret.domain.roles import Actor, Role
from livret.exchange.siecle import SiecleFile, parse_siecle, read_siecle
from livret.services.database import Database
from livret.services.siecle_import import (
    IMPORT_ACTION,
    SiecleImportService,
    guess_grade,
    school_year_label,
)
from livret.services.users import command_line_actor

DATA = Path(__file__).parents[1] / "exchange" / "data"
MAIN = DATA / "ElevesSansAdresses.xml"
OLD_FORMAT = DATA / "ElevesSansAdresses_2019_ancien_format.xml"


def rows(database: Database, sql: str, **params: Any) -> list[tuple[Any, ...]]:
    with database.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params)]


def as_date(value: object) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value))


def state(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row the import may write, except the audit log."""
    return {
        "school_year": rows(database, "SELECT * FROM school_year ORDER BY id"),
        "school_class": rows(database, "SELECT * FROM school_class ORDER BY id"),
        "learner": rows(database, "SELECT * FROM learner ORDER BY id"),
        "enrolment": rows(database, "SELECT * FROM enrolment ORDER BY id"),
    }


def audit_count(database: Database) -> int:
    return rows(database, "SELECT count(*) FROM audit_event WHERE action = :a", a=IMPORT_ACTION)[0][
        0
    ]


def learners(database: Database) -> dict[str, tuple[Any, ...]]:
    """INE → (family name, first name, birth date, left on, class code of the 2025-2026 year)."""
    found = rows(
        database,
        """SELECT l.ine, l.family_name, l.first_name, l.birth_date, l.left_on, c.code
           FROM learner l
           LEFT JOIN enrolment e ON e.learner_id = l.id
           LEFT JOIN school_year y ON y.id = e.school_year_id AND y.label = '2025-2026'
           LEFT JOIN school_class c ON c.id = e.class_id AND c.school_year_id = y.id""",
    )
    return {
        ine: (family, first, as_date(birth), as_date(left), code)
        for ine, family, first, birth, left, code in found
    }


def edited(replacements: dict[str, str]) -> SiecleFile:
    """The realistic file with some text replaced, still in ISO-8859-15."""
    content = MAIN.read_bytes().decode("iso-8859-15")
    for old, new in replacements.items():
        assert old in content, old
        content = content.replace(old, new)
    return parse_siecle(content.encode("iso-8859-15"))


@pytest.fixture
def service(database: Database) -> SiecleImportService:
    return SiecleImportService(database, command_line_actor(database))


# -- reading the file (what the dialog calls) ------------------------------------------


def test_read_delegates_to_the_parser(tmp_path: Path) -> None:
    archive = tmp_path / "export.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.writestr("ElevesSansAdresses.xml", MAIN.read_bytes())
    expected = read_siecle(MAIN)
    assert SiecleImportService.read(MAIN.read_bytes(), MAIN.name) == expected
    assert SiecleImportService.read(archive.read_bytes(), archive.name) == expected
    with pytest.raises(ValidationError, match=r"« énorme\.xml » fait .* au-delà de la limite"):
        SiecleImportService.check_size(50 * 1024 * 1024 + 1, "énorme.xml")
    SiecleImportService.check_size(50 * 1024 * 1024, "énorme.xml")


# -- a first import --------------------------------------------------------------------


def test_preview_then_apply(database: Database, service: SiecleImportService) -> None:
    siecle = read_siecle(MAIN)
    before = state(database)

    preview = service.preview(siecle)
    assert state(database) == before  # nothing written
    assert audit_count(database) == 0
    assert not preview.applied
    assert preview.school_year_label == "2025-2026"
    assert preview.school_year_is_new
    assert preview.uaj == "0331234X"
    assert preview.classes_to_create == ("1PLP1", "2PLP1", "TPLP1")
    assert [line.display_name for line in preview.created] == [
        "BÉNARD Léa",
        "CŒUR Éloïse",
        "GARÇON Inès",
        "LEFÈVRE Chloé",
        "MARTIN-DUBOIS Jean-Baptiste",
        "N'DIAYE Moussa",
        "ROUSSEAU Emma",
        "VINCENT Théo",
    ]
    assert preview.updated == preview.unchanged == preview.absent == ()
    assert [skip.eleve_id for skip in preview.skipped] == ["2201006", "2201008"]
    assert [line.ine for line in preview.left] == ["2345678901B"]
    assert [line.ine for line in preview.without_division] == ["4567890123D"]
    assert preview.has_changes
    assert preview.summary() == (
        "8 apprenants à créer, 0 à modifier, 0 inchangé, 2 ignorés ; "
        "1 sorti (date de sortie) ; 3 classes à créer."
    )
    report = "\n".join(preview.report_lines())
    assert "Import SIECLE, année scolaire 2025-2026 (établissement 0331234X) :" in report
    assert "Classes à créer : 1PLP1, 2PLP1, TPLP1." in report
    assert "  - N'DIAYE Moussa (INE 2345678901B, TPLP1), sorti le 12/01/2026" in report
    assert "  - élève 2201006 (PETIT Lucas) : INE absent" in report
    assert "GARÇON Inès (INE 4567890123D, sans division)" in report
    assert "Remarques :\n  - Élève 2201007 (GARÇON Inès) : aucune division" in report
    assert "élève ignoré" not in report  # the skipped learners are listed once

    applied = service.apply(siecle, source_name="ElevesSansAdresses.xml")
    assert applied.applied
    assert applied.created == preview.created
    assert applied.summary().startswith("8 apprenants créés, 0 modifié, 0 inchangé, 2 ignorés")

    assert [
        (label, as_date(start), as_date(end))
        for label, start, end in rows(
            database, "SELECT label, start_date, end_date FROM school_year"
        )
    ] == [("2025-2026", dt.date(2025, 9, 1), dt.date(2026, 7, 4))]
    assert rows(
        database, "SELECT code, label, grade, specialty_id FROM school_class ORDER BY code"
    ) == [
        ("1PLP1", "1PLP1", "1re", None),
        ("2PLP1", "2PLP1", "2nde", None),
        ("TPLP1", "TPLP1", "Tle", None),
    ]
    assert learners(database) == {
        "070123456AB": ("LEFÈVRE", "Chloé", dt.date(2009, 4, 3), None, "1PLP1"),
        "1234567890A": ("BÉNARD", "Léa", dt.date(2008, 11, 21), None, "1PLP1"),
        "090876543CD": ("CŒUR", "Éloïse", dt.date(2010, 6, 17), None, "2PLP1"),
        "2345678901B": ("N'DIAYE", "Moussa", dt.date(2007, 2, 9), dt.date(2026, 1, 12), "TPLP1"),
        "3456789012C": ("MARTIN-DUBOIS", "Jean-Baptiste", dt.date(2007, 8, 30), None, "TPLP1"),
        "4567890123D": ("GARÇON", "Inès", dt.date(2009, 5, 5), None, None),
        "5678901234E": ("VINCENT", "Théo", None, None, "2PLP1"),
        "6789012345F": ("ROUSSEAU", "Emma", dt.date(2009, 7, 14), None, "1PLP1"),
    }
    assert rows(database, "SELECT count(*) FROM enrolment")[0][0] == 7

    events = rows(
        database,
        "SELECT actor, entity, entity_id, details FROM audit_event WHERE action = :a",
        a=IMPORT_ACTION,
    )
    year_id = rows(database, "SELECT id FROM school_year")[0][0]
    assert len(events) == 1
    actor, entity, entity_id, details = events[0]
    assert (entity, entity_id) == ("school_year", year_id)
    assert actor == command_line_actor(database).display_name
    assert details == (
        "année 2025-2026, fichier ElevesSansAdresses.xml, UAJ 0331234X : 8 créé(s), "
        "0 modifié(s), 0 inchangé(s), 2 ignoré(s), 1 sorti(s), 3 classe(s) créée(s), "
        "année scolaire créée"
    )


def test_reimport_is_idempotent(database: Database, service: SiecleImportService) -> None:
    service.apply(read_siecle(MAIN))
    after_first = state(database)

    again = service.preview(read_siecle(MAIN))
    assert not again.has_changes
    assert again.created == again.updated == ()
    assert len(again.unchanged) == 8
    assert again.classes_to_create == ()
    assert not again.school_year_is_new
    assert [line.ine for line in again.left] == ["2345678901B"]

    applied = service.apply(read_siecle(MAIN))
    assert not applied.has_changes
    assert state(database) == after_first  # only the audit event is written
    assert audit_count(database) == 2


def test_reimport_moves_renames_and_marks_left(
    database: Database, service: SiecleImportService
) -> None:
    service.apply(read_siecle(MAIN))
    enrolments_before = rows(database, "SELECT id, learner_id FROM enrolment ORDER BY id")
    changed = edited(
        {
            # Léa moves to a new class, Jean-Baptiste leaves, Chloé's name is corrected,
            # Inès gets a class, Théo's birth date is fixed.
            "<CODE_STRUCTURE> 1PLP1 </CODE_STRUCTURE>": "<CODE_STRUCTURE>1PLP2</CODE_STRUCTURE>",
            "<DATE_SORTIE></DATE_SORTIE>": "<DATE_SORTIE>03/02/2026</DATE_SORTIE>",
            "<NOM_DE_FAMILLE>LEFÈVRE</NOM_DE_FAMILLE>": "<NOM_DE_FAMILLE>LEFÈVRE-"
            "MOREAU</NOM_DE_FAMILLE>",
            "<DATE_NAISS>31/02/2010</DATE_NAISS>": "<DATE_NAISS>28/02/2010</DATE_NAISS>",
            "</STRUCTURES>": '<STRUCTURES_ELEVE ELEVE_ID="2201007"><STRUCTURE>'
            "<CODE_STRUCTURE>2PLP1</CODE_STRUCTURE><TYPE_STRUCTURE>D</TYPE_STRUCTURE>"
            "</STRUCTURE></STRUCTURES_ELEVE></STRUCTURES>",
        }
    )
    preview = service.preview(changed)
    assert preview.classes_to_create == ("1PLP2",)
    assert not preview.school_year_is_new
    assert {line.display_name: line.changes for line in preview.updated} == {
        "BÉNARD Léa": ("classe : 1PLP1 → 1PLP2",),
        "GARÇON Inès": ("inscription en 2PLP1",),
        "LEFÈVRE-MOREAU Chloé": ("nom : LEFÈVRE → LEFÈVRE-MOREAU",),
        "MARTIN-DUBOIS Jean-Baptiste": ("sorti le 03/02/2026",),
        "VINCENT Théo": ("date de naissance : (aucune) → 28/02/2010",),
    }
    assert len(preview.unchanged) == 3
    report = "\n".join(preview.report_lines())
    assert "  - BÉNARD Léa (INE 1234567890A, 1PLP2) : classe : 1PLP1 → 1PLP2" in report

    service.apply(changed)
    now = learners(database)
    assert now["1234567890A"][4] == "1PLP2"
    assert now["4567890123D"][4] == "2PLP1"
    assert now["070123456AB"][0] == "LEFÈVRE-MOREAU"
    assert now["3456789012C"][3] == dt.date(2026, 2, 3)
    assert now["5678901234E"][2] == dt.date(2010, 2, 28)
    assert len(now) == 8
    after = rows(database, "SELECT id, learner_id FROM enrolment ORDER BY id")
    assert after[: len(enrolments_before)] == enrolments_before  # moved, not re-created
    assert len(after) == len(enrolments_before) + 1  # Inès
    assert rows(database, "SELECT grade FROM school_class WHERE code = '1PLP2'") == [("1re",)]
    assert not service.preview(changed).has_changes


def test_leaving_and_coming_back(database: Database, service: SiecleImportService) -> None:
    service.apply(read_siecle(MAIN))
    back = edited({"<DATE_SORTIE>12/01/2026</DATE_SORTIE>": ""})
    preview = service.preview(back)
    assert {line.display_name: line.changes for line in preview.updated} == {
        "N'DIAYE Moussa": ("de retour (sortie du 12/01/2026 annulée)",),
    }
    service.apply(back)
    assert learners(database)["2345678901B"][3] is None

    later = edited(
        {"<DATE_SORTIE>12/01/2026</DATE_SORTIE>": "<DATE_SORTIE>30/03/2026</DATE_SORTIE>"}
    )
    service.apply(later)
    assert learners(database)["2345678901B"][3] == dt.date(2026, 3, 30)
    changed = edited(
        {"<DATE_SORTIE>12/01/2026</DATE_SORTIE>": "<DATE_SORTIE>02/04/2026</DATE_SORTIE>"}
    )
    assert [line.changes for line in service.preview(changed).updated] == [
        ("date de sortie : 30/03/2026 → 02/04/2026",)
    ]


def test_older_file_does_not_bring_back_who_left(
    database: Database, service: SiecleImportService
) -> None:
    service.apply(read_siecle(MAIN))  # Moussa left on 12/01/2026
    older = edited(
        {
            "<ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE>": "<ANNEE_SCOLAIRE>2024</ANNEE_SCOLAIRE>",
            "<DATE_SORTIE>12/01/2026</DATE_SORTIE>": "",
        }
    )
    preview = service.preview(older)
    assert preview.school_year_label == "2024-2025"
    assert preview.school_year_is_new
    moussa = next(line for line in preview.lines if line.ine == "2345678901B")
    assert moussa.left_on == dt.date(2026, 1, 12)
    assert moussa.changes == ("inscription en TPLP1",)
    service.apply(older)
    assert learners(database)["2345678901B"][3] == dt.date(2026, 1, 12)
    assert rows(database, "SELECT count(*) FROM school_year")[0][0] == 2
    assert rows(database, "SELECT count(*) FROM enrolment")[0][0] == 14


def test_absent_learners_are_listed_untouched(
    database: Database, service: SiecleImportService
) -> None:
    service.apply(read_siecle(MAIN))
    without_theo = edited({"<ID_NATIONAL>5678901234E</ID_NATIONAL>": ""})
    before = learners(database)
    preview = service.preview(without_theo)
    assert [line.display_name for line in preview.absent] == ["VINCENT Théo"]
    assert "2201009" in [skip.eleve_id for skip in preview.skipped]
    service.apply(without_theo)
    assert learners(database) == before


def test_year_option_and_existing_year(database: Database, service: SiecleImportService) -> None:
    with database.transaction() as session:
        session.execute(
            text(
                "INSERT INTO school_year (label, start_date, end_date) "
                "VALUES ('2026-2027', '2026-08-31', '2027-07-03')"
            )
        )
    preview = service.preview(read_siecle(MAIN), "2026-2027")
    assert preview.school_year_label == "2026-2027"
    assert not preview.school_year_is_new
    assert any("année 2025-2026" in problem for problem in preview.problems)
    service.apply(read_siecle(MAIN), " 2026-2027 ")
    assert [
        (label, as_date(start))
        for label, start in rows(database, "SELECT label, start_date FROM school_year")
    ] == [("2026-2027", dt.date(2026, 8, 31))]  # an existing year keeps its dates

    with pytest.raises(ValidationError, match="Année scolaire invalide"):
        service.preview(read_siecle(MAIN), "2025-2027")
    no_year = edited({"<ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE>": ""})
    with pytest.raises(ValidationError, match="n'indique pas son année scolaire"):
        service.preview(no_year)
    assert service.preview(no_year, "2025-2026").school_year_is_new


def test_old_format_file(database: Database, service: SiecleImportService) -> None:
    applied = service.apply(read_siecle(OLD_FORMAT))
    assert applied.school_year_label == "2019-2020"
    assert rows(database, "SELECT family_name, first_name FROM learner ORDER BY ine") == [
        ("DELŒIL", "Zoé"),
        ("FERRÉ", "Noël"),
    ]


def test_without_any_division_no_year_is_created(
    database: Database, service: SiecleImportService
) -> None:
    siecle = parse_siecle(
        b"<BEE_ELEVES><PARAMETRES><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES><DONNEES>"
        b'<ELEVES><ELEVE ELEVE_ID="1"><ID_NATIONAL>070123456AB</ID_NATIONAL>'
        b"<NOM_DE_FAMILLE>SEUL</NOM_DE_FAMILLE><PRENOM>Sam</PRENOM></ELEVE></ELEVES>"
        b"</DONNEES></BEE_ELEVES>"
    )
    preview = service.apply(siecle)
    assert not preview.school_year_is_new
    assert rows(database, "SELECT count(*) FROM school_year")[0][0] == 0
    assert rows(database, "SELECT ine FROM learner") == [("070123456AB",)]
    assert rows(
        database, "SELECT entity_id FROM audit_event WHERE action = :a", a=IMPORT_ACTION
    ) == [(None,)]


def test_nothing_importable_is_refused(database: Database, service: SiecleImportService) -> None:
    siecle = parse_siecle(
        b"<BEE_ELEVES><PARAMETRES><ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES><DONNEES>"
        b'<ELEVES><ELEVE ELEVE_ID="1"><NOM_DE_FAMILLE>SANS</NOM_DE_FAMILLE></ELEVE></ELEVES>'
        b"</DONNEES></BEE_ELEVES>"
    )
    assert len(service.preview(siecle).skipped) == 1
    before = state(database)
    with pytest.raises(ValidationError, match="Aucun élève importable"):
        service.apply(siecle)
    assert state(database) == before
    assert audit_count(database) == 0


def test_permissions(database: Database) -> None:
    siecle = read_siecle(MAIN)
    learner = SiecleImportService(database, Actor(None, "Élève", Role.LEARNER))
    with pytest.raises(PermissionDenied, match=r"\(Apprenant\) ne permet pas"):
        learner.preview(siecle)
    with pytest.raises(PermissionDenied):
        learner.apply(siecle)
    assert audit_count(database) == 0
    for role in (Role.ADMIN, Role.DDFPT, Role.TEACHER):
        SiecleImportService(database, Actor(None, role.value, role)).apply(siecle)
    assert audit_count(database) == 3


def test_large_file_set_based(database: Database, service: SiecleImportService) -> None:
    """1 200 learners over 3 INE chunks: bulk writes, then an idempotent re-import."""
    count = 1200
    eleves = "".join(
        f'<ELEVE ELEVE_ID="{n}"><ID_NATIONAL>{n:010d}X</ID_NATIONAL>'
        f"<NOM_DE_FAMILLE>NOM{n}</NOM_DE_FAMILLE><PRENOM>Prénom</PRENOM>"
        "<DATE_NAISS>01/09/2009</DATE_NAISS></ELEVE>"
        for n in range(count)
    )
    structures = "".join(
        f'<STRUCTURES_ELEVE ELEVE_ID="{n}"><STRUCTURE><CODE_STRUCTURE>1C{n % 40}'
        "</CODE_STRUCTURE><TYPE_STRUCTURE>D</TYPE_STRUCTURE></STRUCTURE></STRUCTURES_ELEVE>"
        for n in range(count)
    )
    document = (
        '<?xml version="1.0" encoding="ISO-8859-15"?><BEE_ELEVES><PARAMETRES>'
        "<ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE></PARAMETRES><DONNEES><ELEVES>"
        f"{eleves}</ELEVES><STRUCTURES>{structures}</STRUCTURES></DONNEES></BEE_ELEVES>"
    )
    siecle = parse_siecle(document.encode("iso-8859-15"))
    statements: list[str] = []

    from sqlalchemy import event

    def record(*args: Any) -> None:
        statements.append(args[2])

    event.listen(database.engine, "before_cursor_execute", record)
    try:
        applied = service.apply(siecle)
    finally:
        event.remove(database.engine, "before_cursor_execute", record)
    assert len(applied.created) == count
    assert len(applied.classes_to_create) == 40
    assert rows(database, "SELECT count(*) FROM enrolment")[0][0] == count
    # A fixed number of statements: not one per learner (insertmanyvalues batches rows).
    assert len(statements) < 20, statements
    assert not service.preview(siecle).has_changes


# -- the command line handler ----------------------------------------------------------


def parse_cli(*argv: str) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS)
    parser = argparse.ArgumentParser(prog="livret", parents=[common])
    commands = parser.add_subparsers(dest="command")
    cli_import.register(commands, common)
    return parser.parse_args(argv)


def test_cli_dry_run_then_import(
    database: Database, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    archive = tmp_path / "ElevesSansAdresses.zip"
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
        zipped.write(MAIN, "ElevesSansAdresses.xml")
    before = state(database)

    args = parse_cli("import", "siecle", str(archive), "--dry-run")
    assert (args.command, args.import_command) == ("import", "siecle")
    assert cli_import.handle_siecle(args, db_url) == 0
    out = capsys.readouterr().out
    assert "Import SIECLE, année scolaire 2025-2026" in out
    assert "8 apprenants à créer" in out
    assert "Simulation (--dry-run) : rien n'a été enregistré." in out
    assert state(database) == before

    assert cli_import.handle_siecle(parse_cli("import", "siecle", str(archive)), db_url) == 0
    out = capsys.readouterr().out
    assert "Import enregistré : 8 apprenants créés" in out
    assert len(learners(database)) == 8
    details = rows(database, "SELECT details FROM audit_event WHERE action = :a", a=IMPORT_ACTION)
    assert "fichier ElevesSansAdresses.zip" in details[0][0]

    assert cli_import.handle_siecle(parse_cli("import", "siecle", str(archive)), db_url) == 0
    assert "aucune modification" in capsys.readouterr().out

    args = parse_cli("import", "siecle", str(MAIN), "--year", "2026-2027", "--dry-run")
    assert args.year == "2026-2027"
    with pytest.raises(SystemExit):
        parse_cli("import", "siecle", str(MAIN), "--year", "2026")


@pytest.mark.parametrize("name", ["billion_laughs.xml", "external_entity.xml"])
def test_cli_refuses_unsafe_files_and_writes_nothing(
    database: Database, db_url: str, name: str
) -> None:
    before = state(database)
    with pytest.raises(ValidationError, match="Fichier SIECLE refusé : il contient des entités"):
        cli_import.handle_siecle(parse_cli("import", "siecle", str(DATA / name)), db_url)
    assert state(database) == before
    assert audit_count(database) == 0


def test_cli_refuses_malformed_file(database: Database, db_url: str, tmp_path: Path) -> None:
    broken = tmp_path / "ElevesSansAdresses.xml"
    broken.write_bytes(MAIN.read_bytes()[:2000])
    before = state(database)
    with pytest.raises(ValidationError, match=r"XML mal formé ligne \d+"):
        cli_import.handle_siecle(parse_cli("import", "siecle", str(broken)), db_url)
    assert state(database) == before


# -- small pieces ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "grade"),
    [
        ("2PLP1", "2nde"),
        ("1PLP1", "1re"),
        ("TPLP1", "Tle"),
        ("tmei", "Tle"),
        ("3PM", None),
        ("", None),
    ],
)
def test_guess_grade(code: str, grade: str | None) -> None:
    assert guess_grade(code) == grade


def test_school_year_label() -> None:
    assert school_year_label(" 2025-2026 ") == "2025-2026"
    for bad in ("2025", "2025-2025", "2025/2026", "abcd-efgh"):
        with pytest.raises(ValidationError):
            school_year_label(bad)


# -- property: random files never write partially --------------------------------------

VALID_INES = st.one_of(
    st.sampled_from(["070123456AB", "1234567890a", "2345678901B", "999999999ZZ"]),
    st.from_regex(r"[0-9]{9}[0-9A-Z][A-Z]", fullmatch=True),
)
PRINTABLE = st.characters(exclude_categories=("Cs", "Cc", "Cn", "Co"))
INES = st.one_of(VALID_INES, VALID_INES, VALID_INES, st.text(PRINTABLE, max_size=12))
CLEAN_NAMES = st.one_of(
    st.sampled_from(["CŒUR", "Lefèvre", " N'DIAYE  ", "Léa", "É"]),
    st.text(PRINTABLE, min_size=1, max_size=30),
)
RAW_NAMES = st.text(max_size=30)  # control characters: refused by the XML parser
DATES = st.one_of(st.none(), st.sampled_from(["01/09/2009", "31/02/2010", "2010-05-06", "x"]))
DIVISIONS = st.one_of(
    st.none(), st.sampled_from(["1PLP1", "2PLP1", "TPLP1"]), st.text(PRINTABLE, max_size=45)
)


@st.composite
def siecle_documents(draw: st.DrawFn) -> bytes:
    names = draw(st.sampled_from([CLEAN_NAMES] * 5 + [RAW_NAMES]))
    learners = draw(st.lists(st.tuples(INES, names, names, DATES, DATES, DIVISIONS), max_size=6))
    year = draw(st.sampled_from(["2024", "2025", "2025", "", "deux mille"]))
    eleves, structures = [], []
    for index, (ine, family, first, birth, left, division) in enumerate(learners):
        fields = [f"<ID_NATIONAL>{escape(ine)}</ID_NATIONAL>"]
        fields.append(f"<NOM_DE_FAMILLE>{escape(family)}</NOM_DE_FAMILLE>")
        fields.append(f"<PRENOM>{escape(first)}</PRENOM>")
        if birth is not None:
            fields.append(f"<DATE_NAISS>{birth}</DATE_NAISS>")
        if left is not None:
            fields.append(f"<DATE_SORTIE>{left}</DATE_SORTIE>")
        eleves.append(f'<ELEVE ELEVE_ID="{index}">{"".join(fields)}</ELEVE>')
        if division is not None:
            structures.append(
                f'<STRUCTURES_ELEVE ELEVE_ID="{index}"><STRUCTURE><CODE_STRUCTURE>'
                f"{escape(division)}</CODE_STRUCTURE><TYPE_STRUCTURE>D</TYPE_STRUCTURE>"
                "</STRUCTURE></STRUCTURES_ELEVE>"
            )
    document = (
        '<?xml version="1.0" encoding="ISO-8859-15"?>\n<BEE_ELEVES><PARAMETRES>'
        f"<ANNEE_SCOLAIRE>{year}</ANNEE_SCOLAIRE></PARAMETRES><DONNEES><ELEVES>"
        f"{''.join(eleves)}</ELEVES><STRUCTURES>{''.join(structures)}</STRUCTURES>"
        "</DONNEES></BEE_ELEVES>"
    )
    data = document.encode("iso-8859-15", errors="xmlcharrefreplace")
    if not draw(st.sampled_from([False, False, False, False, True])):
        return data
    cut = draw(st.integers(min_value=0, max_value=len(data)))
    return data[:cut] + draw(st.binary(max_size=20))  # damaged


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=siecle_documents())
def test_random_files_import_fully_or_not_at_all(
    database: Database, service: SiecleImportService, data: bytes
) -> None:
    before = state(database)
    try:
        siecle = parse_siecle(data)
        applied = service.apply(siecle)
    except ValidationError:
        event("refused")
        assert state(database) == before
        return
    event("imported")
    assert applied.applied
    stored = learners(database)
    for learner in siecle.learners:
        assert stored[learner.ine][:2] == (learner.family_name, learner.first_name)
    assert not service.preview(siecle).has_changes  # idempotent
