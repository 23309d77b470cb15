"""The exports' set-based reads and the class export's single render: they print exactly
what the bilan-by-bilan path printed."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from sqlalchemy import text

from livret.reports.bilan_pdf import render_bilan_pdf
from livret.reports.document import BilanDocument, BilanDocumentRow
from livret.services.bilans import BilanService, BilanSheet, read_sheet
from livret.services.database import Database
from livret.services.establishment import EstablishmentInfo, read_establishment
from livret.services.exports import ExportService, _Facts, _facts
from livret.services.users import command_line_actor

NOW = dt.datetime(2026, 3, 21, 10, 30)


def service(database: Database) -> ExportService:
    return ExportService(database, command_line_actor(database), clock=lambda: NOW)


def _document(
    sheet: BilanSheet, facts: _Facts, establishment: EstablishmentInfo, now: dt.datetime
) -> BilanDocument:
    """The document as the bilan-by-bilan path built it, from the editor's own sheet."""
    return BilanDocument(
        establishment=establishment.name,
        establishment_uai=establishment.uai,
        establishment_city=establishment.city,
        establishment_logo=establishment.logo,
        learner_name=sheet.learner_name,
        ine=facts.ine,
        class_label=sheet.class_label,
        school_year_label=sheet.school_year_label,
        bilan_date=sheet.bilan_date,
        status=sheet.status,
        author=sheet.author,
        finalized_at=sheet.finalized_at,
        finalized_by=sheet.finalized_by,
        previous_date=sheet.previous_date,
        rows=tuple(
            BilanDocumentRow(row.code, row.title, row.previous, row.current) for row in sheet.rows
        ),
        constats=sheet.constats,
        conseils=sheet.conseils,
        mark=facts.mark,
        mark_ne_count=facts.ne_count,
        generated_at=now,
    )


def all_bilans(database: Database) -> list[int]:
    with database.engine.connect() as connection:
        return [row[0] for row in connection.execute(text("SELECT id FROM bilan ORDER BY id"))]


def test_set_based_documents_match_each_bilan_read_alone(demo_database: Database) -> None:
    """Drafts and finals, with and without a previous bilan, all read in one go."""
    ids = all_bilans(demo_database)
    read = service(demo_database)._documents(ids)
    with demo_database.snapshot() as connection:
        establishment = read_establishment(connection)
        facts = _facts(connection, ids)
        alone = {
            bilan_id: _document(
                read_sheet(connection, bilan_id), facts[bilan_id], establishment, NOW
            )
            for bilan_id in ids
        }
    statuses = {document.status for document, _ in read.values()}
    assert statuses == {"draft", "final"}
    assert any(document.previous_date is not None for document, _ in read.values())
    assert {bilan_id: read[bilan_id][0] for bilan_id in ids} == alone


def test_a_draft_after_the_last_final_lists_it_as_previous(demo_database: Database) -> None:
    """A draft's previous bilan is the learner's latest final one, whatever its date."""
    with demo_database.engine.connect() as connection:
        learner_id = connection.execute(
            text(
                "SELECT l.id FROM learner l WHERE EXISTS (SELECT 1 FROM bilan b WHERE "
                "b.learner_id = l.id AND b.status = 'final') AND NOT EXISTS (SELECT 1 FROM "
                "bilan b WHERE b.learner_id = l.id AND b.status = 'draft') ORDER BY l.id LIMIT 1"
            )
        ).scalar_one()
    draft = BilanService(demo_database, command_line_actor(demo_database)).open_draft(learner_id)
    (document, _) = service(demo_database)._documents([draft.bilan_id])[draft.bilan_id]
    assert document.previous_date == draft.previous_date is not None
    assert [row.previous for row in document.rows] == [row.previous for row in draft.rows]


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_each_class_pdf_shows_the_pages_of_its_bilan_rendered_alone(
    demo_database: Database, tmp_path: Path
) -> None:
    exports = service(demo_database)
    result = exports.export_class_pdfs("1PLP1", tmp_path, school_year="2025-2026")
    assert result.combined is not None and len(result.files) >= 2
    combined: list[str] = []
    with demo_database.engine.connect() as connection:
        by_name = {path.name: path for path in result.files}
        assert len(by_name) == len(result.files)
        ids = [
            row[0]
            for row in connection.execute(
                text(
                    "SELECT b.id FROM bilan b JOIN school_class c ON c.id = b.class_id "
                    "WHERE c.code = '1PLP1' AND b.status = 'final'"
                )
            )
        ]
    documents = exports._documents(ids)
    for path in result.files:
        written = path.read_bytes()
        matching = [
            render_bilan_pdf(document)
            for document, _ in documents.values()
            if path.name.endswith(f"_{document.bilan_date.isoformat()}.pdf")
            and page_texts(render_bilan_pdf(document))[0] == page_texts(written)[0]
        ]
        assert len(matching) == 1, path.name
        alone = PdfReader(io.BytesIO(matching[0]))
        mine = PdfReader(path)
        assert page_texts(written) == page_texts(matching[0])
        assert mine.metadata is not None and alone.metadata is not None
        for key in ("/Title", "/Author", "/Subject", "/Creator", "/Producer"):
            assert mine.metadata[key] == alone.metadata[key], key
        root: Any = mine.trailer["/Root"]
        assert root["/Lang"] == "fr-FR"
        resources: list[Any] = [page["/Resources"] for page in mine.pages]
        fonts = {
            str(font["/BaseFont"]).split("+")[-1]
            for resource in resources
            for font in resource["/Font"].values()
        }
        assert fonts <= {"DejaVuSans", "DejaVuSans-Bold", "DejaVuSans-Oblique"}
        combined.extend(page_texts(written))
    assert page_texts(result.combined.read_bytes()) == combined
