"""The establishment an Administrateur sets heads the bilan PDFs a teacher exports afterwards."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pypdf import PdfReader
from pypdf.generic import IndirectObject

from livret.domain.roles import Role
from livret.services.database import DEFAULT_ESTABLISHMENT, Database
from livret.services.establishment import EstablishmentService
from livret.services.exports import ExportService
from tests.accounts import make_account
from tests.logos import logo
from tests.services.test_exports import rows

NAME = "Lycée professionnel Jean Moulin"


def images(page: Any) -> list[IndirectObject]:
    """References of the image XObjects a page draws."""
    xobjects = page["/Resources"].get_object().get("/XObject")
    if not xobjects:
        return []
    return [
        ref
        for ref in xobjects.get_object().values()
        if ref.get_object().get("/Subtype") == "/Image"
    ]


def header_text(path: Path) -> str:
    return " ".join(PdfReader(path).pages[0].extract_text().split())


def _a_final_learner(database: Database) -> str:
    (ine,) = rows(
        database,
        "SELECT l.ine FROM learner l JOIN bilan b ON b.learner_id = l.id "
        "WHERE b.status = 'final' ORDER BY l.id LIMIT 1",
    )[0]
    return str(ine)


def test_the_pdf_prints_the_name_uai_city_and_logo(demo_database: Database, tmp_path: Path) -> None:
    ine = _a_final_learner(demo_database)
    teacher = make_account(demo_database, Role.TEACHER, "prof")
    exports = ExportService(demo_database, teacher)
    before = exports.export_learner_pdf(ine, tmp_path / "avant")
    assert DEFAULT_ESTABLISHMENT in header_text(before)
    assert "UAI" not in header_text(before)
    assert images(PdfReader(before).pages[0]) == []

    admin = make_account(demo_database, Role.ADMIN, "admin")
    EstablishmentService(demo_database, admin).update(
        NAME, "0750654D", "Paris", logo=logo(1200, 600, kind="JPEG")
    )
    after = exports.export_learner_pdf(ine, tmp_path / "après")

    text = header_text(after)
    assert NAME in text
    assert "UAI 0750654D — Paris" in text
    assert DEFAULT_ESTABLISHMENT not in text
    reader = PdfReader(after)
    (image,) = images(reader.pages[0])
    # Embedded small: the 1200 × 600 picture is scaled down to 600 pixels wide.
    assert (image.get_object()["/Width"], image.get_object()["/Height"]) == (600, 300)
    assert reader.metadata is not None and reader.metadata.author.startswith(NAME)


def test_a_class_pdf_heads_every_bilan_and_stores_the_logo_once(
    demo_database: Database, tmp_path: Path
) -> None:
    admin = make_account(demo_database, Role.ADMIN, "admin")
    EstablishmentService(demo_database, admin).update(NAME, None, "Paris", logo=logo())
    teacher = make_account(demo_database, Role.TEACHER, "prof")
    code, year = rows(
        demo_database,
        "SELECT c.code, y.label FROM school_class c JOIN school_year y "
        "ON y.id = c.school_year_id JOIN bilan b ON b.class_id = c.id "
        "WHERE b.status = 'final' GROUP BY c.code, y.label ORDER BY COUNT(*) LIMIT 1",
    )[0]

    result = ExportService(demo_database, teacher).export_class_pdfs(
        code, tmp_path, school_year=year
    )

    assert result.combined is not None and len(result.files) >= 2
    reader = PdfReader(result.combined)
    first_pages = [
        page for page in reader.pages if "Bilan intermédiaire de compétences" in page.extract_text()
    ]
    assert len(first_pages) == len(result.files)
    for page in first_pages:
        flat = " ".join(page.extract_text().split())
        assert NAME in flat and "Paris" in flat
        assert "UAI" not in flat
        assert len(images(page)) == 1
    assert len({images(page)[0].idnum for page in first_pages}) == 1
