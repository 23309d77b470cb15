"""Results import against real databases: all or nothing, every problem, updates, CLI."""

from __future__ import annotations

import argparse
import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook  # type: ignore[import-untyped, unused-ignore]
from sqlalchemy import text

from livret import cli_import_results
from livret.domain.errors import ConflictError, LivretError, PermissionDenied, ValidationError
from livret.domain.roles import Actor, Role
from livret.exchange.results_file import read_results
from livret.services.database import Database
from livret.services.evaluations import ADDED_AFTER_FINAL_ACTION, CoveredByFinalBilan
from livret.services.results_import import (
    IMPORT_ACTION,
    PROGRESS_EVERY,
    ResultsImportRefused,
    ResultsImportReport,
    ResultsImportService,
)
from livret.services.users import command_line_actor
from livret.storage.bulk import COPY_THRESHOLD

HEADER = ["Date", "Nature", "Titre", "INE", "Critère", "Niveau", "Commentaire"]
DAY = "15/06/2026"  # in the demo's school year 2025-2026, after its final bilans: open
CLOSED_DAY = "05/03/2026"  # before the demo's final bilans of 20/03/2026: a closed period
TABLES = ("evaluation", "result", "audit_event")


@dataclass(frozen=True)
class Demo:
    ines: list[str]
    """Learners' INEs, by learner id."""
    criteria: list[str]
    """Criterion codes, by id."""
    classmates: list[str]
    """INEs of learners in one class in 2025-2026."""
    class_id: int
    other_class_ine: str
    """A learner of another class that year."""


def scalar(database: Database, sql: str, **params: Any) -> Any:
    with database.engine.connect() as connection:
        return connection.execute(text(sql), params).scalar()


def rows_of(database: Database, sql: str, **params: Any) -> list[Any]:
    with database.engine.connect() as connection:
        return list(connection.execute(text(sql), params).all())


def counts(database: Database) -> dict[str, int]:
    return {table: scalar(database, f"SELECT COUNT(*) FROM {table}") for table in TABLES}


def demo_codes(database: Database) -> Demo:
    ines = [row[0] for row in rows_of(database, "SELECT ine FROM learner ORDER BY id")]
    criteria = [row[0] for row in rows_of(database, "SELECT code FROM criterion ORDER BY id")]
    enrolled = rows_of(
        database,
        "SELECT e.class_id, l.ine FROM enrolment e JOIN learner l ON l.id = e.learner_id "
        "JOIN school_year y ON y.id = e.school_year_id WHERE y.label = '2025-2026' "
        "ORDER BY e.class_id, l.id",
    )
    class_id = enrolled[0][0]
    classmates = [ine for cls, ine in enrolled if cls == class_id]
    other = next(ine for cls, ine in enrolled if cls != class_id)
    return Demo(ines, criteria, classmates, class_id, other)


def csv_data(rows: list[list[str]], *, delimiter: str = ";", encoding: str = "utf-8") -> bytes:
    lines = [HEADER, *rows]
    return ("\r\n".join(delimiter.join(row) for row in lines) + "\r\n").encode(encoding)


def service(database: Database) -> ResultsImportService:
    return ResultsImportService(database, command_line_actor(database))


def apply(
    database: Database, data: bytes, name: str = "résultats.csv", *, confirm_covered: bool = False
) -> ResultsImportReport:
    return service(database).apply(read_results(data, name), confirm_covered=confirm_covered)


def stored(database: Database, title: str) -> dict[tuple[str, str], tuple[str, str | None]]:
    """{(INE, criterion): (level, comment)} of the evaluations with that title."""
    return {
        (ine, code): (level, comment)
        for ine, code, level, comment in rows_of(
            database,
            "SELECT l.ine, c.code, r.level, r.comment FROM result r "
            "JOIN evaluation e ON e.id = r.evaluation_id "
            "JOIN learner l ON l.id = r.learner_id JOIN criterion c ON c.id = r.criterion_id "
            "WHERE e.title = :title",
            title=title,
        )
    }


@pytest.fixture
def demo(demo_database: Database) -> Demo:
    return demo_codes(demo_database)


def test_read_and_size_check_delegate_to_the_parser() -> None:
    data = csv_data([[DAY, "F", "Lu", "070123456AB", "C1", "3", ""]])
    assert ResultsImportService.read(data, "lu.csv") == read_results(data, "lu.csv")
    with pytest.raises(ValidationError, match=r"« vide\.csv » est vide"):
        ResultsImportService.read(b"  ", "vide.csv")
    with pytest.raises(ValidationError, match=r"« gros\.csv » est trop gros"):
        ResultsImportService.check_size(20 * 1024 * 1024 + 1, "gros.csv")
    ResultsImportService.check_size(20 * 1024 * 1024, "gros.csv")


def test_csv_in_three_encodings_and_both_separators(demo_database: Database, demo: Demo) -> None:
    before = counts(demo_database)
    variants = [
        (encoding, delimiter)
        for encoding in ("utf-8", "utf-8-sig", "cp1252")
        for delimiter in (";", ",")
    ]
    for number, (encoding, delimiter) in enumerate(variants):
        title = f"Contrôle n°{number} à l'atelier (°C) — {encoding} {delimiter!r}".replace("—", "-")
        quoted = f'"{title}"'
        rows = [
            [DAY, "F", quoted, demo.ines[0], demo.criteria[0], "3", '"Très bien, à l\'aise"'],
            [DAY, "F", quoted, demo.ines[1].lower(), demo.criteria[0].lower(), "++", ""],
            [DAY, "F", quoted, demo.ines[0], demo.criteria[1], "ABS", "Absent (°)"],
        ]
        report = apply(demo_database, csv_data(rows, delimiter=delimiter, encoding=encoding))
        assert report.ok and report.applied
        assert (report.evaluations_created, report.results_created) == (1, 3)
        assert stored(demo_database, title) == {
            (demo.ines[0], demo.criteria[0]): ("3", "Très bien, à l'aise"),
            (demo.ines[1], demo.criteria[0]): ("4", None),
            (demo.ines[0], demo.criteria[1]): ("ABS", "Absent (°)"),
        }
    after = counts(demo_database)
    assert after["evaluation"] == before["evaluation"] + 6
    assert after["result"] == before["result"] + 18
    assert after["audit_event"] == before["audit_event"] + 6


def test_xlsx_import(demo_database: Database, demo: Demo) -> None:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    sheet.append([dt.date(2026, 6, 15), "E", "PFMP — bilan", demo.ines[2], demo.criteria[3], 2])
    sheet.append([])
    sheet.append(["2026-06-15", "E", "PFMP — bilan", demo.ines[3], demo.criteria[3], "-", "Bien"])
    stream = io.BytesIO()
    workbook.save(stream)

    report = apply(demo_database, stream.getvalue(), "pfmp.xlsx")

    assert (report.lines, report.evaluations_created, report.results_created) == (2, 1, 2)
    assert "XLSX" in report.summary()
    assert stored(demo_database, "PFMP — bilan") == {
        (demo.ines[2], demo.criteria[3]): ("2", None),
        (demo.ines[3], demo.criteria[3]): ("2", "Bien"),
    }
    nature = scalar(demo_database, "SELECT nature FROM evaluation WHERE title = 'PFMP — bilan'")
    assert nature == "E"


def test_bad_rows_are_all_reported_and_nothing_is_written(
    demo_database: Database, demo: Demo
) -> None:
    ine, code = demo.ines[0], demo.criteria[0]
    rows = [
        [DAY, "F", "Mauvais", ine, code, "3", "ok"],  # 2: fine
        [DAY, "F", "Mauvais", "0000000000Z", code, "3", ""],  # 3: unknown INE
        [DAY, "F", "Mauvais", demo.ines[1], "PLP-CP99-01", "3", ""],  # 4: unknown criterion
        ["31/02/2026", "F", "Mauvais", demo.ines[2], code, "3", ""],  # 5: impossible date
        [DAY, "F", "Mauvais", demo.ines[3], code, "5", ""],  # 6: unknown level
        [DAY, "F", "Mauvais", demo.ines[4], code],  # 7: wrong column count
        [DAY, "F", "", demo.ines[5], code, "3", ""],  # 8: empty title
        [DAY, "F", "Mauvais", ine, code, "4", ""],  # 9: duplicate of line 2
        [DAY, "F", "Mauvais", "0000000000Y", "PLP-CP99-02", "x", ""],  # 10: three problems
        [DAY, "F", "Mauvais", demo.ines[6], code, "2", ""],  # 11: fine
    ]
    data = csv_data(rows)
    before = counts(demo_database)

    checked = service(demo_database).check(read_results(data, "mauvais.csv"))
    expected = (
        "Ligne 3 : INE « 0000000000Z » inconnu.",
        "Ligne 4 : critère « PLP-CP99-01 » inconnu.",
        "Ligne 5 : date « 31/02/2026 » impossible (ce jour n'existe pas).",
        "Ligne 6 : niveau « 5 » inconnu (attendu : NE, 1, 2, 3, 4, ABS, --, -, + ou ++).",
        "Ligne 7 : 5 colonnes au lieu de 7.",
        "Ligne 8 : titre manquant.",
        f"Ligne 9 : résultat en double : INE « {ine} », critère « {code} » déjà à la ligne 2 "
        "pour la même évaluation.",
        "Ligne 10 : niveau « x » inconnu (attendu : NE, 1, 2, 3, 4, ABS, --, -, + ou ++).",
        "Ligne 10 : INE « 0000000000Y » inconnu.",
        "Ligne 10 : critère « PLP-CP99-02 » inconnu.",
    )
    assert checked.problems == expected
    assert not checked.ok and not checked.applied

    with pytest.raises(ResultsImportRefused) as refused:
        apply(demo_database, data, "mauvais.csv")
    assert refused.value.report.problems == expected
    assert not refused.value.report.applied
    message = refused.value.message
    assert message.startswith("Fichier « mauvais.csv » (CSV UTF-8, séparateur « ; ») : 10 lignes")
    assert "Import refusé : 10 problèmes, rien n'a été enregistré." in message
    assert all(problem in message for problem in expected)
    assert counts(demo_database) == before
    assert stored(demo_database, "Mauvais") == {}


def test_formula_looking_text_is_stored_as_typed(demo_database: Database, demo: Demo) -> None:
    dangerous = ['=HYPERLINK("http://evil.example","clic")', "+33 6 12", "-2+3", "@SUM(A1)"]
    quoted = ['"' + comment.replace('"', '""') + '"' for comment in dangerous]
    rows = [
        [DAY, "F", '"=1+1"', demo.ines[index], demo.criteria[0], "3", comment]
        for index, comment in enumerate(quoted)
    ]
    apply(demo_database, csv_data(rows))
    assert sorted(comment for _level, comment in stored(demo_database, "=1+1").values()) == sorted(
        dangerous
    )


OPEN_DAY = "15/06/2026"  # after the demo's last final bilans of 2025-2026: an open period


def test_reimport_updates_instead_of_duplicating(demo_database: Database, demo: Demo) -> None:
    rows = [
        [OPEN_DAY, "F", "Réimport", ine, code, "2", "premier"]
        for ine in demo.ines[:3]
        for code in demo.criteria[:2]
    ]
    first = apply(demo_database, csv_data(rows))
    assert (first.evaluations_created, first.results_created, first.results_updated) == (1, 6, 0)
    after_first = counts(demo_database)

    again = apply(demo_database, csv_data(rows))
    assert (again.evaluations_created, again.evaluations_completed) == (0, 1)
    assert (again.results_created, again.results_updated, again.results_unchanged) == (0, 6, 6)
    assert "Résultats : 0 créé, 6 mis à jour (dont 6 sans changement)." in again.summary()

    rows[0][5], rows[1][6] = "4", ""
    rows.append([OPEN_DAY, "F", "Réimport", demo.ines[3], demo.criteria[0], "1", ""])
    changed = apply(demo_database, csv_data(rows))
    assert (changed.results_created, changed.results_updated, changed.results_unchanged) == (
        1,
        6,
        4,
    )
    assert "Évaluations : 0 créée, 1 existante complétée." in changed.summary()
    result = stored(demo_database, "Réimport")
    assert result[(demo.ines[0], demo.criteria[0])] == ("4", "premier")
    assert result[(demo.ines[0], demo.criteria[1])] == ("2", None)  # the empty cell clears it
    assert len(result) == 7
    after = counts(demo_database)
    assert after["evaluation"] == after_first["evaluation"]
    assert after["result"] == after_first["result"] + 1

    # Without the commentaire column, comments stay as they are.
    no_comment = "\r\n".join(
        ";".join(row[:6]) for row in [HEADER, *[[*r[:5], "3"] for r in rows]]
    ).encode()
    apply(demo_database, no_comment)
    result = stored(demo_database, "Réimport")
    assert result[(demo.ines[0], demo.criteria[0])] == ("3", "premier")
    assert {level for level, _comment in result.values()} == {"3"}


def test_an_existing_evaluation_is_completed(demo_database: Database, demo: Demo) -> None:
    evaluation_id, nature, day, title, ine, code, level = rows_of(
        demo_database,
        "SELECT e.id, e.nature, e.eval_date, e.title, l.ine, c.code, r.level FROM result r "
        "JOIN evaluation e ON e.id = r.evaluation_id JOIN learner l ON l.id = r.learner_id "
        "JOIN criterion c ON c.id = r.criterion_id ORDER BY r.id LIMIT 1",
    )[0]
    same_day = rows_of(
        demo_database,
        "SELECT COUNT(*) FROM evaluation WHERE eval_date = :day AND nature = :nature "
        "AND title = :title",
        day=day,
        nature=nature,
        title=title,
    )[0][0]
    assert same_day == 1
    new_level = "1" if level != "1" else "4"
    free = next(
        other
        for other in demo.criteria
        if not scalar(
            demo_database,
            "SELECT COUNT(*) FROM result r JOIN criterion c ON c.id = r.criterion_id "
            "WHERE r.evaluation_id = :e AND c.code = :code",
            e=evaluation_id,
            code=other,
        )
    )
    when = dt.date.fromisoformat(str(day)).strftime("%d/%m/%Y")
    quoted = '"' + title.replace('"', '""') + '"'
    rows = [
        [when, nature, quoted, ine, code, new_level, ""],
        [when, nature, quoted, ine, free, "NE", ""],
    ]
    before = counts(demo_database)

    report = apply(demo_database, csv_data(rows))

    assert (report.evaluations_created, report.evaluations_completed) == (0, 1)
    assert (report.results_created, report.results_updated, report.results_unchanged) == (1, 1, 0)
    after = counts(demo_database)
    assert after["evaluation"] == before["evaluation"]
    assert after["result"] == before["result"] + 1
    levels = dict(
        rows_of(
            demo_database,
            "SELECT c.code, r.level FROM result r JOIN criterion c ON c.id = r.criterion_id "
            "JOIN learner l ON l.id = r.learner_id WHERE r.evaluation_id = :e AND l.ine = :ine",
            e=evaluation_id,
            ine=ine,
        )
    )
    assert levels[code] == new_level
    assert levels[free] == "NE"


def test_several_existing_evaluations_with_that_title_are_ambiguous(
    demo_database: Database, demo: Demo
) -> None:
    rows = [[DAY, "F", "Doublon", demo.ines[0], demo.criteria[0], "3", ""]]
    apply(demo_database, csv_data(rows))
    with demo_database.transaction() as session:
        session.execute(
            text(
                "INSERT INTO evaluation (nature, eval_date, title, context) "
                "VALUES ('F', :day, 'Doublon', '')"
            ),
            {"day": dt.date(2026, 6, 15)},
        )
    before = counts(demo_database)
    with pytest.raises(ResultsImportRefused) as refused:
        apply(demo_database, csv_data(rows))
    assert refused.value.report.problems == (
        "Ligne 2 : 2 évaluations « Doublon » (F) du 15/06/2026 existent déjà : impossible de "
        "savoir laquelle compléter (donnez un autre titre dans le fichier).",
    )
    assert counts(demo_database) == before


def test_new_evaluation_gets_the_class_its_learners_share(
    demo_database: Database, demo: Demo
) -> None:
    code = demo.criteria[0]
    rows = [[DAY, "F", "Une classe", ine, code, "3", ""] for ine in demo.classmates[:4]]
    rows += [[DAY, "F", "Deux classes", ine, code, "3", ""] for ine in demo.classmates[:2]]
    rows.append([DAY, "F", "Deux classes", demo.other_class_ine, code, "3", ""])
    apply(demo_database, csv_data(rows))

    classes = dict(
        rows_of(
            demo_database,
            "SELECT title, class_id FROM evaluation WHERE title IN ('Une classe', 'Deux classes')",
        )
    )
    assert classes == {"Une classe": demo.class_id, "Deux classes": None}
    author = scalar(demo_database, "SELECT author_id FROM evaluation WHERE title = 'Une classe'")
    assert author == command_line_actor(demo_database).user_id


def test_one_audit_event_per_import(demo_database: Database, demo: Demo) -> None:
    rows = [[DAY, "F", "Audit", ine, demo.criteria[0], "3", ""] for ine in demo.ines[:5]]
    apply(demo_database, csv_data(rows), "audit.csv")
    events = rows_of(
        demo_database,
        "SELECT actor, entity, details FROM audit_event WHERE action = :action",
        action=IMPORT_ACTION,
    )
    assert len(events) == 1
    actor, entity, details = events[0]
    assert actor == command_line_actor(demo_database).display_name
    assert entity == "evaluation"
    assert details == (
        "fichier « audit.csv » : 5 lignes, 1 évaluation créée, 0 complétée, "
        "5 résultats créés, 0 mis à jour"
    )


def test_who_may_import(demo_database: Database, demo: Demo) -> None:
    data = read_results(
        csv_data([[DAY, "F", "Rôles", demo.ines[0], demo.criteria[0], "3", ""]]), "r.csv"
    )
    learner = ResultsImportService(demo_database, Actor(None, "Élève", Role.LEARNER))
    admin = ResultsImportService(demo_database, Actor(None, "Admin", Role.ADMIN))
    for refused in (learner, admin):
        with pytest.raises(PermissionDenied, match="ne permet pas d"):
            refused.check(data)
        with pytest.raises(PermissionDenied):
            refused.apply(data)
    ddfpt = Actor(None, "DDFPT", Role.DDFPT)
    assert ResultsImportService(demo_database, ddfpt).check(data).ok


def run_cli(db_url: str, *args: str) -> int:
    parser = argparse.ArgumentParser(prog="livret")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS)
    imports = (
        parser.add_subparsers(dest="command")
        .add_parser("import")
        .add_subparsers(dest="import_command")
    )
    cli_import_results.register(imports, common)
    parsed = parser.parse_args(["import", "evaluations", "--db", db_url, *args])
    return cli_import_results.handle(parsed, parsed.db)


def test_cli_imports_into_closed_periods_only_with_the_flag(
    db_url: str,
    demo_database: Database,
    demo: Demo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    finals = final_dates(demo_database)
    closed = [ine for ine in demo.ines if finals.get(ine, dt.date.min) >= dt.date(2026, 3, 5)]
    path = tmp_path / "clos.csv"
    path.write_bytes(
        csv_data([[CLOSED_DAY, "F", "CLI clos", ine, demo.criteria[0], "3", ""] for ine in closed])
    )
    before = counts(demo_database)

    assert run_cli(db_url, str(path), "--dry-run") == 0
    printed = capsys.readouterr().out
    assert f"Période close : {len(closed)} résultats à ajouter" in printed
    assert "Relancez avec --confirm-closed-periods pour importer quand même" in printed

    with pytest.raises(ConflictError) as refused:
        run_cli(db_url, str(path))
    message = refused.value.message
    assert message.startswith(f"L'import ajoute {len(closed)} résultats dans une période close")
    assert "Relancez avec --confirm-closed-periods pour importer quand même" in message
    assert "Confirmez" not in message
    assert message.endswith("Rien n'a été enregistré.")
    assert counts(demo_database) == before

    assert run_cli(db_url, str(path), "--confirm-closed-periods") == 0
    printed = capsys.readouterr().out
    assert f"Période close : {len(closed)} résultats ajouté(s)" in printed
    after = counts(demo_database)
    assert after["result"] == before["result"] + len(closed)
    assert after["audit_event"] == before["audit_event"] + 2  # the import, the closed period
    action = scalar(demo_database, "SELECT action FROM audit_event ORDER BY id DESC LIMIT 1")
    assert action == ADDED_AFTER_FINAL_ACTION


def test_cli(
    db_url: str,
    demo_database: Database,
    demo: Demo,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    good = tmp_path / "bons.csv"
    good.write_bytes(
        csv_data([[DAY, "F", "CLI", ine, demo.criteria[0], "+", ""] for ine in demo.ines[:3]])
    )
    before = counts(demo_database)

    assert run_cli(db_url, str(good), "--dry-run") == 0
    printed = capsys.readouterr().out
    assert "Fichier « bons.csv » (CSV UTF-8, séparateur « ; ») : 3 lignes de résultats." in printed
    assert "Évaluations : 1 à créer, 0 existante à compléter." in printed
    assert "Résultats : 3 à créer, 0 à mettre à jour." in printed
    assert "Simulation (--dry-run) : rien n'a été enregistré." in printed
    assert counts(demo_database) == before

    assert run_cli(db_url, str(good)) == 0
    printed = capsys.readouterr().out
    assert "Évaluations : 1 créée, 0 existante complétée." in printed
    assert "Résultats : 3 créés, 0 mis à jour." in printed
    written = counts(demo_database)
    assert written["result"] == before["result"] + 3

    bad = tmp_path / "mauvais.csv"
    bad.write_bytes(
        csv_data(
            [
                [DAY, "F", "CLI 2", "0000000000Z", demo.criteria[0], "3", ""],
                [DAY, "F", "CLI 2", demo.ines[0], "PLP-CP99-01", "3", ""],
            ]
        )
    )
    for extra in ([], ["--dry-run"]):
        with pytest.raises(LivretError) as refused:
            run_cli(db_url, str(bad), *extra)
        assert "Ligne 2 : INE « 0000000000Z » inconnu." in refused.value.message
        assert "Ligne 3 : critère « PLP-CP99-01 » inconnu." in refused.value.message
    with pytest.raises(ValidationError, match="Fichier introuvable"):
        run_cli(db_url, str(tmp_path / "absent.csv"))
    assert counts(demo_database) == written


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_random_files_never_crash_nor_write_partially(
    demo_database: Database, demo: Demo, data: st.DataObject
) -> None:
    if data.draw(st.booleans(), label="raw bytes"):
        payload = data.draw(st.binary(max_size=600), label="bytes")
    else:
        # Half of the files hold only good values (they may still repeat a result).
        clean = data.draw(st.booleans(), label="clean")
        garbage = st.nothing() if clean else st.text(max_size=8)
        columns = [
            st.sampled_from([DAY, "2026-06-16"] + ([] if clean else ["31/02/2026", "16/6/26", ""]))
            | garbage,
            st.sampled_from(["F", "E", "e"] + ([] if clean else ["X", ""])),
            st.sampled_from(["Hasard A", "Hasard B", "=1+1"] + ([] if clean else [""])) | garbage,
            st.sampled_from([*demo.ines[:6]] + ([] if clean else ["0000000000Z", ""])),
            st.sampled_from([*demo.criteria[:4]] + ([] if clean else ["PLP-CP99-01", ""])),
            st.sampled_from(["1", "2", "3", "4", "NE", "ABS", "--", "-", "+", "++"])
            | (st.nothing() if clean else st.sampled_from(["5", ""])),
            st.sampled_from(["", "bien", "=A1", "+1", "-", "@x"]) | garbage,
        ]
        row = st.tuples(*columns).map(list)
        rows = data.draw(st.lists(row, min_size=1, max_size=8), label="rows")
        for index, cells in enumerate(rows):  # sometimes a cell too many or too few
            cut = 7 if clean else data.draw(st.sampled_from([7, 7, 7, 5, 8]), label=f"w{index}")
            rows[index] = [*cells, "x"][:cut]
        delimiter = data.draw(st.sampled_from([";", ","]), label="delimiter")
        encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]), label="encoding")
        text_ = "\r\n".join(delimiter.join(cells) for cells in [HEADER, *rows])
        try:
            payload = text_.encode(encoding)
        except UnicodeEncodeError:
            payload = text_.encode("utf-8")
    before = counts(demo_database)
    importer = service(demo_database)
    try:
        parsed = read_results(payload, "hasard.csv")
    except ValidationError as exc:
        event("refused as a whole")
        assert exc.message
        assert counts(demo_database) == before
        return
    checked = importer.check(parsed)
    try:
        report = importer.apply(parsed)
    except ResultsImportRefused as refused:
        event("refused line by line")
        assert refused.report.problems == checked.problems
        assert all(problem.startswith("Ligne ") for problem in checked.problems)
        assert counts(demo_database) == before
        return
    event("imported")
    assert checked.ok and report.ok and report.applied
    after = counts(demo_database)
    assert after["evaluation"] == before["evaluation"] + report.evaluations_created
    assert after["result"] == before["result"] + report.results_created
    assert after["audit_event"] == before["audit_event"] + 1


def test_results_covered_by_a_final_bilan_are_not_changed(
    demo_database: Database, demo: Demo
) -> None:
    rows = [[CLOSED_DAY, "F", "Clos", ine, demo.criteria[0], "2", ""] for ine in demo.ines[:2]]
    apply(demo_database, csv_data(rows), confirm_covered=True)  # added once confirmed
    before = counts(demo_database)
    rows[0][5] = "4"
    for confirm in (False, True):  # a change is refused outright, confirmed or not
        with pytest.raises(ResultsImportRefused) as refused:
            apply(demo_database, csv_data(rows), confirm_covered=confirm)
        assert "Ligne 2 : résultat déjà pris en compte par un bilan définitif" in str(refused.value)
    assert counts(demo_database) == before
    assert stored(demo_database, "Clos")[(demo.ines[0], demo.criteria[0])][0] == "2"


def final_dates(database: Database) -> dict[str, dt.date]:
    """{INE: date of the learner's latest final bilan}."""
    return {
        ine: as_date(day)
        for ine, day in rows_of(
            database,
            "SELECT l.ine, MAX(b.bilan_date) FROM bilan b JOIN learner l ON l.id = b.learner_id "
            "WHERE b.status = 'final' GROUP BY l.ine",
        )
    }


def as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def test_adding_results_in_a_closed_period_needs_a_confirmation(
    demo_database: Database, demo: Demo
) -> None:
    """A new evaluation dated before some learners' final bilan, and an old one completed."""
    finals = final_dates(demo_database)
    closed_day = dt.date(2026, 3, 5)
    closed = [ine for ine in demo.ines if finals.get(ine, dt.date.min) >= closed_day][:3]
    open_ = [ine for ine in demo.ines if ine not in finals][:2]
    assert len(closed) == 3 and open_
    old_id, old_day, old_nature, old_title, old_ine = rows_of(
        demo_database,
        "SELECT e.id, e.eval_date, e.nature, e.title, l.ine FROM evaluation e "
        "JOIN result r ON r.evaluation_id = e.id JOIN learner l ON l.id = r.learner_id "
        "JOIN bilan b ON b.learner_id = l.id AND b.status = 'final' "
        "AND b.bilan_date >= e.eval_date ORDER BY e.id, l.id LIMIT 1",
    )[0]
    taken = {code for (ine, code) in stored(demo_database, old_title) if ine == old_ine}
    free = next(code for code in demo.criteria if code not in taken)
    rows = [
        [CLOSED_DAY, "F", "Rattrapage", ine, code, "3", ""]
        for ine in [*closed, *open_]
        for code in demo.criteria[:2]
    ]
    old_row = [as_date(old_day).strftime("%d/%m/%Y"), old_nature, old_title, old_ine, free]
    rows.append([*old_row, "4", ""])
    data = csv_data(rows)
    before = counts(demo_database)

    checked = service(demo_database).check(read_results(data, "rattrapage.csv"))
    assert checked.ok
    assert checked.covered_results == 2 * len(closed) + 1
    assert len(checked.covered) == len(set(closed) | {old_ine})
    assert checked.closed_period_note().startswith(
        f"Période close : {2 * len(closed) + 1} résultats à ajouter"
    )
    assert "L'import devra être confirmé" in checked.summary()

    with pytest.raises(CoveredByFinalBilan) as refused:
        apply(demo_database, data)
    assert refused.value.covered == checked.covered
    assert "période close" in refused.value.message
    assert "Rien n'a été enregistré." in refused.value.message
    assert counts(demo_database) == before

    report = apply(demo_database, data, confirm_covered=True)
    assert report.applied and report.results_created == len(rows)
    assert "(tracé dans le journal)" in report.summary()
    after = counts(demo_database)
    assert after["result"] == before["result"] + len(rows)
    assert after["audit_event"] == before["audit_event"] + 3
    new_id = scalar(demo_database, "SELECT id FROM evaluation WHERE title = 'Rattrapage'")
    events = rows_of(
        demo_database,
        "SELECT action, entity_id, details FROM audit_event ORDER BY id DESC LIMIT 3",
    )[::-1]
    assert [action for action, _, _ in events] == [
        IMPORT_ACTION,
        ADDED_AFTER_FINAL_ACTION,
        ADDED_AFTER_FINAL_ACTION,
    ]
    details = {entity_id: text_ for _, entity_id, text_ in events[1:]}
    assert set(details) == {new_id, old_id}
    assert details[new_id].startswith("F « Rattrapage » du 05/03/2026 (import)")
    assert details[new_id].count("2 résultat(s) ajouté(s)") == len(closed)
    assert details[old_id].count("1 résultat(s) ajouté(s)") == 1


def test_an_open_period_import_asks_nothing(demo_database: Database, demo: Demo) -> None:
    finals = final_dates(demo_database)
    open_ = [ine for ine in demo.ines if finals.get(ine, dt.date.min) < dt.date(2026, 6, 15)]
    rows = [[DAY, "F", "Ouvert", ine, demo.criteria[0], "3", ""] for ine in open_[:5]]
    checked = service(demo_database).check(read_results(csv_data(rows), "ouvert.csv"))
    assert (checked.covered, checked.covered_results, checked.closed_period_note()) == ((), 0, "")
    assert apply(demo_database, csv_data(rows)).applied


def test_a_big_file_goes_in_whole(demo_database: Database, demo: Demo) -> None:
    """Above the bulk threshold (COPY on PostgreSQL): every row stored, with its text."""
    before = counts(demo_database)
    learners = demo.ines[:30]
    criteria = demo.criteria[:50]
    rows = [
        [DAY, "E", "Bilan PFMP de masse", ine, code, "-+"[(i + j) % 2] * (1 + (i % 2)), f"n°{i}"]
        for i, ine in enumerate(learners)
        for j, code in enumerate(criteria)
    ]
    rows[7][6] = '"=SOMME(A1:A2); ""tab""\tfin"'
    assert len(rows) > COPY_THRESHOLD
    # Some of these learners (a later cohort) have a final bilan after DAY: confirmed.
    report = apply(demo_database, csv_data(rows), confirm_covered=True)
    assert report.ok and report.applied
    assert report.results_created == len(rows) == 1_500
    after = counts(demo_database)
    assert after["result"] == before["result"] + 1_500
    stored_rows = stored(demo_database, "Bilan PFMP de masse")
    assert len(stored_rows) == 1_500
    assert stored_rows[(learners[0], criteria[1])] == ("3", "n°0")
    assert stored_rows[(learners[1], criteria[0])] == ("4", "n°1")
    assert stored_rows[(learners[0], criteria[7])][1] == '=SOMME(A1:A2); "tab"\tfin'


def test_the_check_reports_its_progress_and_stops_when_asked(
    demo_database: Database, demo: Demo
) -> None:
    rows = [
        [DAY, "F", title, ine, code, "3", ""]
        for title in ("Suivi 1", "Suivi 2", "Suivi 3")
        for ine in demo.ines[:30]
        for code in demo.criteria
    ]
    assert len(rows) > 2 * PROGRESS_EVERY
    results_file = read_results(csv_data(rows), "suivi.csv")
    seen: list[tuple[int, int]] = []
    report = service(demo_database).check(
        results_file, lambda done, total: seen.append((done, total))
    )
    assert report.ok
    total = len(results_file.rows)
    assert seen[0] == (0, total) and seen[-1] == (total, total)
    assert [done for done, _ in seen] == sorted(done for done, _ in seen)
    assert len(seen) >= 3  # several reports for a long file, not just start and end

    class Stop(Exception):
        pass

    def stop_midway(done: int, _total: int) -> None:
        if done > 0:
            raise Stop

    before = counts(demo_database)
    with pytest.raises(Stop):
        service(demo_database).check(results_file, stop_midway)
    assert counts(demo_database) == before
