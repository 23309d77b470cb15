"""ExportService: bilan PDFs from the real demo database, read back with pypdf."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import stat
import string
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from livret import cli_export
from livret.domain.errors import NotFound, PermissionDenied, ValidationError
from livret.domain.roles import Actor, Role
from livret.services.bilans import CONFIRMATION_WORD, BilanService
from livret.services.database import Database
from livret.services.exports import (
    MAX_FILE_NAME,
    ExportError,
    ExportService,
    bilan_file_name,
    safe_file_name,
)
from livret.services.users import command_line_actor
from tests.accounts import make_account

CC_CODES = [
    "CC1.1", "CC2.1", "CC2.2", "CC2.3", "CC2.4", "CC3.1", "CC3.2",
    "CC3.3", "CC4.1", "CC4.2", "CC5.1", "CC6.1", "CC6.2",
]  # fmt: skip
CONSTATS = (
    "Élève sérieuse, à l'écoute.\n"
    "Progrès nets en maintenance « préventive » — bravo ! Cœur à l'ouvrage.\n"
    "Balises <i>non interprétées</i> & esperluette."
)
CONSEILS = "Soigner les comptes rendus d'intervention.\n\nRelire les fiches sécurité (œillets)."
WINDOWS_FORBIDDEN = set('<>:"/\\|?*') | {chr(c) for c in range(32)}


def rows(database: Database, sql: str, **params: Any) -> list[Any]:
    with database.engine.connect() as connection:
        return list(connection.execute(text(sql), params).all())


def as_date(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def pdf_text(path: Path) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(path).pages)


def page_count(path: Path) -> int:
    return len(PdfReader(path).pages)


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """The export folder (the SQLite test database lives in tmp_path itself)."""
    folder = tmp_path / "export"
    folder.mkdir()
    return folder


def teacher(database: Database) -> ExportService:
    return ExportService(database, command_line_actor(database))


def class_id(database: Database, code: str, year: str) -> int:
    (row,) = rows(
        database,
        "SELECT c.id FROM school_class c JOIN school_year y ON y.id = c.school_year_id "
        "WHERE c.code = :c AND y.label = :y",
        c=code,
        y=year,
    )
    return int(row[0])


def finalized_with_texts(database: Database) -> tuple[int, dt.date]:
    """A learner with a final bilan, renamed Lefèvre Chloé-Œlie, gets a new one with texts,
    every positioning but CC6.2, and a mark of 13,5 stored with it."""
    (learner_id,) = rows(
        database,
        "SELECT l.id FROM learner l WHERE EXISTS (SELECT 1 FROM bilan b WHERE "
        "b.learner_id = l.id AND b.status = 'final') AND NOT EXISTS (SELECT 1 FROM bilan b "
        "WHERE b.learner_id = l.id AND b.status = 'draft') ORDER BY l.id LIMIT 1",
    )[0]
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "UPDATE learner SET family_name = 'Lefèvre', first_name = 'Chloé-Œlie' "
                "WHERE id = :l"
            ),
            {"l": learner_id},
        )
    service = BilanService(database, command_line_actor(database))
    draft = service.open_draft(learner_id)
    ids = {row.code: row.common_competency_id for row in draft.rows}
    levels = dict(zip(CC_CODES[:-1], "4321432143214", strict=False))
    saved = service.save_draft(
        draft.bilan_id,
        version=draft.version,
        constats=CONSTATS,
        conseils=CONSEILS,
        positionings={ids[code]: level for code, level in levels.items()},
    )
    final = service.finalize(saved.bilan_id, version=saved.version, confirmation=CONFIRMATION_WORD)
    with database.engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO mark (bilan_id, value, rounding, weights, ne_count, computed_at) "
                "VALUES (:b, 13.5, 0.5, '{}', 1, :at)"
            ),
            {"b": final.bilan_id, "at": dt.datetime(2026, 3, 21, 10, 0)},
        )
    return final.bilan_id, final.bilan_date


# -- one bilan ----------------------------------------------------------------------------


def test_bilan_pdf_holds_everything(demo_database: Database, out: Path) -> None:
    bilan_id, bilan_date = finalized_with_texts(demo_database)
    service = teacher(demo_database)

    written = service.export_bilan_pdf(bilan_id, out)

    document = service.bilan_document(bilan_id)
    assert written.parent == out
    assert re.fullmatch(rf"\w+_LEFÈVRE_Chloé-Œlie_{bilan_date.isoformat()}\.pdf", written.name), (
        written.name
    )
    content = pdf_text(written)
    flat = " ".join(content.split())
    assert "Bilan de LEFÈVRE Chloé-Œlie" in content
    assert f"INE : {document.ine}" in flat
    for code in CC_CODES:
        assert code in content
    for line in [*CONSTATS.splitlines(), *filter(None, CONSEILS.splitlines())]:
        assert line in content, line
    assert "Note : 13,5 / 20" in flat
    assert "BROUILLON" not in content
    assert (
        document.previous_date is not None
        and document.previous_date.strftime("%d/%m/%Y") in content
    )
    assert f"Rédigé par : {command_line_actor(demo_database).display_name}" in flat

    reader = PdfReader(written)
    assert reader.metadata is not None
    assert reader.metadata.title == f"Bilan de LEFÈVRE Chloé-Œlie — {bilan_date:%d/%m/%Y}"
    for page in reader.pages:
        resources = page["/Resources"].get_object()
        for ref in resources["/Font"].get_object().values():
            assert "/FontFile2" in ref.get_object()["/FontDescriptor"].get_object()
        xobjects = resources.get("/XObject")
        assert not xobjects or all(
            x.get_object().get("/Subtype") != "/Image" for x in xobjects.get_object().values()
        )


def test_bilan_document_of_a_draft(demo_database: Database, out: Path) -> None:
    (bilan_id,) = rows(demo_database, "SELECT id FROM bilan WHERE status = 'draft' LIMIT 1")[0]
    service = teacher(demo_database)

    document = service.bilan_document(bilan_id)
    assert document.status == "draft" and document.is_draft
    assert document.establishment == rows(demo_database, "SELECT name FROM establishment")[0][0]
    assert [row.code for row in document.rows] == CC_CODES
    assert document.mark is None

    assert service.export_bilan_pdf(bilan_id, out / "sous-dossier").parent == out / "sous-dossier"
    target = out / "brouillon.pdf"
    assert service.export_bilan_pdf(bilan_id, target) == target
    pages = [page.extract_text() for page in PdfReader(target).pages]
    assert all("BROUILLON" in page for page in pages)


def test_unknown_bilan(demo_database: Database, out: Path) -> None:
    with pytest.raises(NotFound, match="Bilan introuvable"):
        teacher(demo_database).export_bilan_pdf(999_999, out)


def test_export_again_replaces_the_file_and_leaves_no_temporary(
    demo_database: Database, out: Path
) -> None:
    (bilan_id,) = rows(demo_database, "SELECT id FROM bilan WHERE status = 'final' LIMIT 1")[0]
    service = teacher(demo_database)
    first = service.export_bilan_pdf(bilan_id, out)
    first.write_bytes(b"old")
    second = service.export_bilan_pdf(bilan_id, out)
    assert second == first
    assert second.read_bytes().startswith(b"%PDF-")
    assert [p.name for p in out.iterdir()] == [first.name]


@pytest.mark.skipif(os.name != "posix", reason="POSIX file modes")
def test_every_pdf_is_readable_by_its_owner_only(demo_database: Database, out: Path) -> None:
    (bilan_id,) = rows(demo_database, "SELECT id FROM bilan WHERE status = 'final' LIMIT 1")[0]
    service = teacher(demo_database)
    previous = os.umask(0o022)  # the usual umask, which gave 0644 before
    try:
        one = service.export_bilan_pdf(bilan_id, out / "un")
        again = service.export_bilan_pdf(bilan_id, out / "un")  # over the existing file
        learner = service.export_learner_pdf(
            rows(
                demo_database,
                "SELECT l.ine FROM learner l JOIN bilan b ON b.learner_id = l.id "
                "WHERE b.status = 'final' LIMIT 1",
            )[0][0],
            out / "apprenant",
        )
        klass = service.export_class_pdfs("1PLP1", out / "classe", school_year="2025-2026")
    finally:
        os.umask(previous)
    written = [one, again, learner, *klass.files, klass.combined]
    assert len(written) > 4
    assert {stat.S_IMODE(path.stat().st_mode) for path in written if path} == {0o600}


# -- a learner ----------------------------------------------------------------------------


def test_learner_pdf_is_the_latest_final_bilan(demo_database: Database, out: Path) -> None:
    ine, learner_id = rows(
        demo_database,
        "SELECT l.ine, l.id FROM learner l WHERE (SELECT COUNT(*) FROM bilan b "
        "WHERE b.learner_id = l.id AND b.status = 'final') = 2 ORDER BY l.id LIMIT 1",
    )[0]
    latest = max(
        as_date(row[0])
        for row in rows(
            demo_database,
            "SELECT bilan_date FROM bilan WHERE learner_id = :l AND status = 'final'",
            l=learner_id,
        )
    )
    folder = out / "nouveau" / "dossier"  # created on the way

    written = teacher(demo_database).export_learner_pdf(ine.lower(), folder)

    assert written.parent == folder and written.name.endswith(f"_{latest.isoformat()}.pdf")
    assert f"INE : {ine}" in " ".join(pdf_text(written).split())


def test_learner_without_final_bilan(demo_database: Database, out: Path) -> None:
    ine, family_name = rows(
        demo_database,
        "SELECT l.ine, l.family_name FROM learner l WHERE NOT EXISTS (SELECT 1 FROM bilan b "
        "WHERE b.learner_id = l.id AND b.status = 'final') ORDER BY l.id LIMIT 1",
    )[0]
    service = teacher(demo_database)
    with pytest.raises(ValidationError, match="aucun bilan définitif") as caught:
        service.export_learner_pdf(ine, out)
    assert family_name.upper() in caught.value.message
    with pytest.raises(NotFound, match="Aucun apprenant n'a l'INE « 00000000000 »"):
        service.export_learner_pdf("00000000000", out)
    assert list(out.iterdir()) == []


# -- a class ------------------------------------------------------------------------------


def test_class_export_one_pdf_per_learner_with_a_final_bilan_and_the_combined_one(
    demo_database: Database, out: Path
) -> None:
    klass = class_id(demo_database, "1PLP1", "2025-2026")
    latest: dict[str, dt.date] = {}
    for family, first, bilan_date in rows(
        demo_database,
        "SELECT l.family_name, l.first_name, b.bilan_date FROM bilan b "
        "JOIN learner l ON l.id = b.learner_id WHERE b.class_id = :c AND b.status = 'final'",
        c=klass,
    ):
        name = f"{family.upper()} {first}"
        latest[name] = max(latest.get(name, dt.date.min), as_date(bilan_date))
    enrolled = {
        f"{family.upper()} {first}"
        for family, first in rows(
            demo_database,
            "SELECT l.family_name, l.first_name FROM enrolment e "
            "JOIN learner l ON l.id = e.learner_id WHERE e.class_id = :c",
            c=klass,
        )
    }
    calls: list[tuple[int, int]] = []
    today = dt.date.today().isoformat()

    result = teacher(demo_database).export_class_pdfs(
        "1PLP1", out, school_year="2025-2026", progress=lambda d, t: calls.append((d, t))
    )

    assert (result.class_code, result.school_year_label) == ("1PLP1", "2025-2026")
    assert len(result.files) == len(latest) > 0
    assert {s.name for s in result.skipped} == enrolled - set(latest)
    assert all(s.reason for s in result.skipped)
    for path in result.files:
        assert path.parent == out
        assert re.fullmatch(r"1PLP1_.+_\d{4}-\d{2}-\d{2}\.pdf", path.name), path.name
        assert not WINDOWS_FORBIDDEN & set(path.name)
        content = pdf_text(path)
        (name,) = [n for n in latest if f"Bilan de {n}" in content]
        assert path.name.endswith(f"_{latest[name].isoformat()}.pdf")
    assert result.combined == out / f"1PLP1_conseil_de_classe_{today}.pdf"  # the conseil's day
    assert page_count(result.combined) == sum(page_count(p) for p in result.files)
    combined = pdf_text(result.combined)
    assert all(f"Bilan de {name}" in combined for name in latest)
    reader = PdfReader(result.combined)
    assert reader.metadata is not None
    assert reader.metadata.title.startswith(f"Conseil de classe du {dt.date.today():%d/%m/%Y}")
    total = len(result.files) + 1
    assert calls == [(n, total) for n in range(total + 1)]
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [p.name for p in result.files] + [result.combined.name]
    )


def test_class_code_of_several_years_means_the_most_recent(
    demo_database: Database, out: Path
) -> None:
    # Before the first bilans of 12/12/2025, nobody of this year's 1PLP1 has one.
    early = teacher(demo_database).export_class_pdfs("1plp1", out, on=dt.date(2025, 11, 1))

    assert (early.class_code, early.school_year_label) == ("1PLP1", "2026-2027")
    assert early.files == () and early.combined is None and early.on == dt.date(2025, 11, 1)
    assert len(early.skipped) == 12
    reasons = {s.reason for s in early.skipped}
    assert "aucun bilan définitif au 01/11/2025 (le premier est du 12/12/2025)" in reasons
    assert list(out.iterdir()) == []

    # Today: their bilans of last year (written in 2nde) stand for them; drafts do not.
    today = teacher(demo_database).export_class_pdfs("1plp1", out)
    assert today.files and today.drafts == 0
    assert len(today.files) + len(today.skipped) == 12
    assert any(
        r.startswith("seulement un brouillon (du ") for r in {s.reason for s in today.skipped}
    )


def test_december_conseil_with_drafts_watermarks_them(demo_database: Database, out: Path) -> None:
    """1PLP1 in December: the March bilans, and with drafts asked for, the drafts of 27/11
    instead, each page of their PDF marked BROUILLON and their file named so."""
    service = teacher(demo_database)
    december = dt.date(2026, 12, 10)
    plain = service.class_plan("1PLP1", on=december)
    plan = service.class_plan("1PLP1", on=december, include_drafts=True)
    assert plan.drafts > 0 and plain.drafts == 0
    assert [c.learner for c in plan.choices] == [c.learner for c in plain.choices]

    result = service.export_class_pdfs("1PLP1", out, on=december, include_drafts=True)

    assert result.on == december and result.drafts == plan.drafts
    assert list(result.bilan_ids) == [c.choice.bilan_id for c in plan.chosen]
    drafts = {c.choice.bilan_id for c in plan.chosen if c.choice.is_draft}
    for bilan_id, path in zip(result.bilan_ids, result.files, strict=True):
        pages = [page.extract_text() for page in PdfReader(path).pages]
        if bilan_id in drafts:
            assert path.name.endswith("_2026-11-27_brouillon.pdf"), path.name
            assert all("BROUILLON" in page for page in pages)
        else:
            assert not path.name.endswith("_brouillon.pdf")
            assert not any("BROUILLON" in page for page in pages)
    assert result.combined == out / "1PLP1_conseil_de_classe_2026-12-10.pdf"
    combined = [page.extract_text() for page in PdfReader(result.combined).pages]
    assert sum("BROUILLON" in page for page in combined) >= len(drafts)
    assert {s.learner_id for s in result.skipped} == {
        c.learner.id for c in plan.choices if not c.choice.chosen
    }


def test_unknown_class_or_year(demo_database: Database, out: Path) -> None:
    service = teacher(demo_database)
    with pytest.raises(NotFound, match="Aucune classe « 3XYZ »"):
        service.export_class_pdfs("3XYZ", out)
    with pytest.raises(NotFound, match="Année scolaire inconnue : « 1999-2000 »"):
        service.export_class_pdfs("1PLP1", out, school_year="1999-2000")
    with pytest.raises(NotFound, match="Aucune classe « TPLP1 » en 2025-2026"):
        service.export_class_pdfs("TPLP1", out, school_year="2025-2026")


def test_output_folder_that_is_a_file(demo_database: Database, out: Path) -> None:
    a_file = out / "fichier"
    a_file.write_text("x")
    with pytest.raises(ExportError, match="est un fichier, pas un dossier"):
        teacher(demo_database).export_class_pdfs("2PMIA1", a_file, school_year="2025-2026")


# -- permissions --------------------------------------------------------------------------


def test_who_may_export(demo_database: Database, out: Path) -> None:
    own_final, own_learner = rows(
        demo_database, "SELECT id, learner_id FROM bilan WHERE status = 'final' ORDER BY id LIMIT 1"
    )[0]
    (other_final,) = rows(
        demo_database,
        "SELECT id FROM bilan WHERE status = 'final' AND learner_id <> :l LIMIT 1",
        l=own_learner,
    )[0]
    with demo_database.engine.begin() as connection:
        user_id = connection.execute(
            text(
                "INSERT INTO app_user (login, display_name, role, learner_id, active) "
                "VALUES ('eleve', 'Élève', 'apprenant', :l, :a) RETURNING id"
            ),
            {"l": own_learner, "a": True},
        ).scalar_one()
    learner = ExportService(
        demo_database, Actor(user_id, "Élève", Role.LEARNER, learner_id=own_learner)
    )
    admin = ExportService(demo_database, Actor(None, "Admin", Role.ADMIN))

    assert learner.export_bilan_pdf(own_final, out).exists()
    with pytest.raises(PermissionDenied, match="ses propres bilans définitifs"):
        learner.export_bilan_pdf(other_final, out)
    with pytest.raises(PermissionDenied):
        learner.export_class_pdfs("1PLP1", out)
    (other_ine,) = rows(
        demo_database, "SELECT ine FROM learner WHERE id <> :l LIMIT 1", l=own_learner
    )[0]
    with pytest.raises(PermissionDenied, match="ses propres bilans définitifs"):
        learner.export_learner_pdf(other_ine, out)
    with pytest.raises(PermissionDenied, match="Administrateur"):
        admin.bilan_document(own_final)
    with pytest.raises(PermissionDenied):
        admin.export_class_pdfs("1PLP1", out)
    ddfpt = ExportService(demo_database, make_account(demo_database, Role.DDFPT))
    assert ddfpt.bilan_document(other_final).status == "final"


# -- file names ---------------------------------------------------------------------------


DAY = dt.date(2026, 3, 20)


@pytest.mark.parametrize(
    ("family", "first", "expected"),
    [
        ("Benard", "Manon", "1PLP1_BENARD_Manon_2026-03-20.pdf"),
        ("N'Diaye", "Aïssatou", "1PLP1_N'DIAYE_Aïssatou_2026-03-20.pdf"),
        ("Lefèvre/Test:*?", "Chloé", "1PLP1_LEFÈVRE_TEST_Chloé_2026-03-20.pdf"),
        ("de la  Fontaine", "Jean\tMarie", "1PLP1_DE_LA_FONTAINE_Jean_Marie_2026-03-20.pdf"),
        ('<Ben>|"Salah"', "Rom\x00ane\n", "1PLP1_BEN_SALAH_Rom_ane_2026-03-20.pdf"),
        ("Le\u0301ger", "E\u0301lise", "1PLP1_LÉGER_Élise_2026-03-20.pdf"),  # NFC
        ("...", "", "1PLP1_sans_nom_2026-03-20.pdf"),
    ],
)
def test_bilan_file_names_are_safe_on_windows(family: str, first: str, expected: str) -> None:
    assert bilan_file_name("1PLP1", family, first, DAY) == expected


def test_long_names_are_shortened_keeping_class_and_date() -> None:
    name = bilan_file_name("1PLP1", "Très-long-nom " * 30, "Prénom " * 20, DAY)
    assert len(name) <= MAX_FILE_NAME
    assert name.startswith("1PLP1_TRÈS-LONG-NOM_") and name.endswith("_2026-03-20.pdf")
    assert "__" not in name and not WINDOWS_FORBIDDEN & set(name)
    assert bilan_file_name(None, "Benard", "Manon", DAY) == "BENARD_Manon_2026-03-20.pdf"
    assert bilan_file_name("2/PMIA:1", "Benard", "Manon", DAY).startswith("2_PMIA_1_BENARD")


def test_safe_file_name() -> None:
    assert safe_file_name("CON") == "_CON.pdf"
    assert safe_file_name("nul.backup", ".txt") == "_nul.backup.txt"
    assert safe_file_name(" . ") == "sans_nom.pdf"
    assert safe_file_name("fin. ") == "fin.pdf"
    assert len(safe_file_name("x" * 500)) == MAX_FILE_NAME
    every_ascii = "".join(chr(c) for c in range(128))
    cleaned = safe_file_name(every_ascii)
    assert not WINDOWS_FORBIDDEN & set(cleaned)
    assert set(string.ascii_letters) <= set(cleaned)


# -- command line -------------------------------------------------------------------------


def parse(argv: list[str]) -> argparse.Namespace:
    """`livret export pdf …` as cli.py wires it: cli_export.register(export_commands, common)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db")
    parser = argparse.ArgumentParser(prog="livret")
    commands = parser.add_subparsers(dest="command")
    export = commands.add_parser("export")
    cli_export.register(export.add_subparsers(dest="export_command", required=True), common)
    return parser.parse_args(argv)


def test_cli_class_export(
    demo_database: Database, db_url: str, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse(["export", "pdf", "--class", "1PLP1", "--year", "2025-2026", "--out", str(out)])
    assert (args.export_command, args.class_code, args.ine) == ("pdf", "1PLP1", None)

    assert cli_export.handle_export_pdf(args, db_url) == 0

    captured = capsys.readouterr()
    pdfs = sorted(out.glob("1PLP1_*.pdf"))
    written = [p for p in pdfs if "conseil_de_classe" not in p.name]
    today = dt.date.today().strftime("%d/%m/%Y")
    assert captured.out.startswith(
        f"Classe 1PLP1 (1re PLP 1, 2025-2026), conseil du {today} : "
        f"{len(written)} PDF écrits dans {out}\n"
    )
    assert all(f"  {p.name}\n" in captured.out for p in written)
    assert "PDF du conseil de classe : " in captured.out
    assert "sans PDF :" in captured.out
    assert captured.err.count("  PDF ") == len(written) + 1


def test_cli_learner_and_empty_class(
    demo_database: Database, db_url: str, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (ine,) = rows(
        demo_database,
        "SELECT l.ine FROM learner l JOIN bilan b ON b.learner_id = l.id "
        "WHERE b.status = 'final' ORDER BY l.id LIMIT 1",
    )[0]
    assert (
        cli_export.handle_export_pdf(
            parse(["export", "pdf", "--learner", ine, "--out", str(out)]), db_url
        )
        == 0
    )
    assert capsys.readouterr().out.startswith(f"PDF écrit : {out}")

    empty = parse(
        ["export", "pdf", "--class", "1PLP1", "--out", str(out / "vide"), "--date", "01/11/2025"]
    )
    assert cli_export.handle_export_pdf(empty, db_url) == 1
    assert "aucun bilan définitif à exporter, aucun PDF écrit." in capsys.readouterr().out

    for option in (["--date", "10/12/2026"], ["--drafts"]):
        with pytest.raises(ValidationError, match=f"{option[0]} ne s'emploie qu'avec --class"):
            cli_export.handle_export_pdf(
                parse(["export", "pdf", "--learner", ine, "--out", str(out), *option]), db_url
            )
    with pytest.raises(ValidationError, match="--year ne s'emploie qu'avec --class"):
        cli_export.handle_export_pdf(
            parse(["export", "pdf", "--learner", ine, "--year", "2025-2026", "--out", str(out)]),
            db_url,
        )


@pytest.mark.parametrize(
    "argv",
    [
        ["--class", "1PLP1", "--learner", "X", "--out", "d"],
        ["--out", "d"],
        ["--class", "1PLP1"],
        ["--class", "1PLP1", "--out", "d", "--year", "2025-2027"],
        ["--class", "1PLP1", "--out", "d", "--date", "32/12/2026"],
    ],
)
def test_cli_refuses_bad_arguments(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        parse(["export", "pdf", *argv])
    assert caught.value.code == 2


def test_cli_class_export_for_a_conseil_with_drafts(
    demo_database: Database, db_url: str, out: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    args = parse(
        [
            "export",
            "pdf",
            "--class",
            "1PLP1",
            "--out",
            str(out),
            "--date",
            "2026-12-10",
            "--brouillons",
        ]
    )
    assert cli_export.handle_export_pdf(args, db_url) == 0
    printed = capsys.readouterr().out
    drafts = sorted(out.glob("*_brouillon.pdf"))
    assert drafts
    assert printed.startswith("Classe 1PLP1 (1re PLP 1, 2026-2027), conseil du 10/12/2026 : ")
    assert f"dont {len(drafts)} brouillons dans {out}" in printed.splitlines()[0]
    assert (out / "1PLP1_conseil_de_classe_2026-12-10.pdf").exists()
