"""The conseil de classe's PDF, read back with pypdf: landscape, header, flags, legend, pages."""

from __future__ import annotations

import datetime as dt
import io

from pypdf import PdfReader

from livret.reports.conseil_pdf import (
    FLAG_MARK,
    ConseilDocument,
    ConseilDocumentRow,
    render_conseil_pdf,
)

CODES = ("CC1.1", "CC2.1", "CC2.2")
LEGEND = "↑ en progrès, ↓ en recul, = stable"


def document(learners: int) -> ConseilDocument:
    rows = [
        ConseilDocumentRow(
            name=f"ÉLÈVE{number:02d} Zoé",
            bilan_date="20/03/2026",
            status="définitif",
            mark="13,5",
            flagged=number == 3,
            ne_count="1",
            trends=("↑", "↓", "="),
            remark=f"Remarque n° {number}",
        )
        for number in range(1, learners + 1)
    ]
    rows.append(
        ConseilDocumentRow(
            name="SANSBILAN Léo",
            bilan_date="",
            status="aucun bilan",
            mark="",
            flagged=False,
            ne_count="",
            trends=(),
            remark="",
            without_bilan=True,
        )
    )
    return ConseilDocument(
        establishment="Lycée Jean Moulin",
        title="Conseil de classe du 10/12/2026",
        class_line="1PLP1 — 1re PLP (2026-2027)",
        codes=CODES,
        rows=tuple(rows),
        legend=LEGEND,
        flag_note="note calculée sur trop peu de CC",
        generated=dt.datetime(2026, 12, 10, 17, 30),
        footer="Conseil de classe du 10/12/2026 — 1PLP1",
    )


def pages_text(data: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(data)).pages]


def test_one_page_for_a_class() -> None:
    data = render_conseil_pdf(document(12))
    reader = PdfReader(io.BytesIO(data))
    assert len(reader.pages) == 1
    box = reader.pages[0].mediabox
    assert float(box.width) > float(box.height)  # landscape A4
    assert round(float(box.width)) == 842
    (text,) = pages_text(data)
    for expected in (
        "Lycée Jean Moulin",
        "Conseil de classe du 10/12/2026",
        "1PLP1 — 1re PLP (2026-2027)",
        "Note /20",
        "CC1.1",
        "CC2.2",
        "Remarque n° 12",
        "SANSBILAN Léo",
        "aucun bilan",
        LEGEND,
        f"{FLAG_MARK} note calculée sur trop peu de CC",
        "Page 1 / 1",
        "Édité le 10/12/2026 à 17:30",
    ):
        assert expected in text, expected
    # Only the third learner's mark carries the flag.
    assert text.count(f"13,5 {FLAG_MARK}") == 1
    assert text.count("13,5") == 12
    assert "↑" in text and "↓" in text


def test_a_long_class_repeats_the_header_and_numbers_its_pages() -> None:
    texts = pages_text(render_conseil_pdf(document(60)))
    assert len(texts) >= 2
    total = len(texts)
    for number, text in enumerate(texts, start=1):
        assert f"Page {number} / {total}" in text
        assert "Apprenant" in text and "CC2.1" in text  # the header on every page
    assert "ÉLÈVE60 Zoé" in texts[-1]
    assert LEGEND in texts[-1]
