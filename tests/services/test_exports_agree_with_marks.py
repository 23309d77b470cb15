"""The class PDF and « Noter le dernier bilan » agree on every learner, whatever the day.

The issue this settles: in December, « PDF de la classe… » of 1PLP1 wrote one learner's
PDF while the marks used 28 learners' March bilans. Both now ask the one rule; on the
real demo, at several conseil dates, the learners with a PDF are exactly those with a
bilan to mark, the bilans are the same, and the learners left out get the same reason.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pypdf import PdfReader

from livret.domain.bilan_choice import french_date
from livret.services.catalog import CatalogService
from livret.services.database import Database
from livret.services.exports import ExportService
from livret.services.marks import MarkService
from livret.services.users import command_line_actor

CLASSES = [("1PLP1", "2026-2027"), ("1PLP1", "2025-2026"), ("2PMIA1", "2026-2027")]
CONSEILS = [
    dt.date(2025, 9, 15),  # start of the first year: no bilan yet
    dt.date(2025, 12, 12),  # the day of the first bilans
    dt.date(2026, 3, 19),  # the day before the second ones
    dt.date(2026, 9, 3),  # start of the second year
    dt.date(2026, 12, 10),  # December: March's bilans, the drafts of 27/11 left out
    dt.date(2027, 3, 18),  # March
]


@pytest.mark.parametrize(("code", "year"), CLASSES)
def test_pdfs_and_marks_agree_at_every_conseil(
    demo_database: Database, tmp_path: Path, code: str, year: str
) -> None:
    actor = command_line_actor(demo_database)
    exports, marks = ExportService(demo_database, actor), MarkService(demo_database, actor)
    klass = next(
        c
        for c in CatalogService(demo_database, actor).list_classes()
        if (c.code, c.school_year_label) == (code, year)
    )
    some_pdf = some_skipped = 0
    for on in CONSEILS:
        folder = tmp_path / on.isoformat()
        export = exports.export_class_pdfs(code, folder, school_year=year, on=on)
        preview = marks.preview(klass.id, on=on)

        marked = {line.learner.id: line.bilan_id for line in preview.lines if line.bilan_id}
        pdf_bilans = set(export.bilan_ids)
        assert pdf_bilans == set(marked.values()), on
        assert len(export.files) == len(export.bilan_ids) == len(marked)
        # The learners without a PDF are those without a mark-bearing bilan, for the same reason.
        assert {s.learner_id: s.reason for s in export.skipped} == {
            line.learner.id: line.status for line in preview.lines if line.bilan_id is None
        }
        assert len(export.skipped) + len(export.files) == len(preview.lines)
        assert export.on == preview.on == on
        some_pdf += len(export.files)
        some_skipped += len(export.skipped)
    assert some_pdf and some_skipped  # the dates exercise both


def test_the_pdfs_show_the_bilan_the_mark_comes_from(
    demo_database: Database, tmp_path: Path
) -> None:
    """Read back: each learner's PDF is their bilan of the day the mark was computed from."""
    actor = command_line_actor(demo_database)
    exports, marks = ExportService(demo_database, actor), MarkService(demo_database, actor)
    december = dt.date(2026, 12, 10)
    export = exports.export_class_pdfs("1PLP1", tmp_path, school_year="2026-2027", on=december)
    klass = next(
        c
        for c in CatalogService(demo_database, actor).list_classes()
        if (c.code, c.school_year_label) == ("1PLP1", "2026-2027")
    )
    lines = {line.bilan_id: line for line in marks.preview(klass.id, on=december).lines}
    assert len(export.files) > len(export.skipped)  # most of the class, not one learner
    for bilan_id, path in zip(export.bilan_ids, export.files, strict=True):
        line = lines[bilan_id]
        assert line.bilan_date is not None
        text = " ".join(" ".join(page.extract_text() for page in PdfReader(path).pages).split())
        assert f"Bilan de {line.learner.display_name}" in text
        assert french_date(line.bilan_date) in text
        assert "BROUILLON" not in text
        assert path.name.endswith(f"_{line.bilan_date.isoformat()}.pdf")
