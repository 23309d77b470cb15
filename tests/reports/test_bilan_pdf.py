"""The bilan PDF, rendered from DTOs and read back with pypdf."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import replace
from decimal import Decimal
from typing import Any

import pytest
from pypdf import PdfReader
from reportlab.graphics.shapes import Circle, Group, Polygon, Rect, String

from livret.reports.bilan_pdf import (
    BilanDocument,
    BilanDocumentRow,
    format_mark,
    render_bilan_pdf,
    render_bilans_pdf,
)
from livret.reports.radar import NE_NOTE, RadarSeries, radar_drawing

CC = [
    ("CC1.1", "Décoder l'organisation de l'installation (structurelle, fonctionnelle, temporelle)"),
    ("CC2.1", "Approvisionner et préparer les installations, les matériels et les produits"),
    ("CC2.2", "Préparer les documents nécessaires à la maintenance de l'installation"),
    ("CC2.3", "Identifier les risques pour les biens et les personnes"),
    ("CC2.4", "Mettre en œuvre et vérifier les mesures de prévention associées aux risques"),
    ("CC3.1", "Placer une installation, des modules de l'installation, en mode normal"),
    ("CC3.2", "Placer une installation ou une partie en phase transitoire"),
    ("CC3.3", "Assurer le suivi de la production"),
    ("CC4.1", "Réaliser des interventions de maintenance de niveau 1"),
    ("CC4.2", "Réaliser des interventions de maintenance de niveau 2"),
    ("CC5.1", "Adapter une démarche éco-responsable"),
    ("CC6.1", "Communiquer à l'écrit ainsi qu'à l'oral dans son environnement professionnel"),
    ("CC6.2", "Utiliser les outils numériques et informatiques"),
]
PREVIOUS = ["3", "2", "NE", "4", "3", "2", "1", "3", "3", "2", "4", "3", "2"]
CURRENT = ["4", "3", "2", "4", "NE", "3", "2", "3", "4", "3", "4", "3", "3"]
CONSTATS = (
    "Élève sérieuse, à l'écoute.\n"
    "Progrès nets en maintenance « préventive » — bravo ! Cœur à l'ouvrage.\n"
    "Balises <b>non interprétées</b> & esperluette."
)
CONSEILS = "Soigner les comptes rendus d'intervention.\n\nRelire les fiches sécurité (œillets)."


def document(**changes: Any) -> BilanDocument:
    base = BilanDocument(
        establishment="Lycée professionnel Jean-Jaurès — Saint-Étienne",
        learner_name="LEFÈVRE Chloé",
        ine="1234567890A",
        class_label="1re PLP 1",
        school_year_label="2025-2026",
        bilan_date=dt.date(2026, 3, 20),
        status="final",
        author="Mme Cœurdacier",
        finalized_at=dt.datetime(2026, 3, 20, 17, 5),
        finalized_by="Mme Cœurdacier",
        previous_date=dt.date(2025, 12, 12),
        rows=tuple(
            BilanDocumentRow(code, title, previous, current)
            for (code, title), previous, current in zip(CC, PREVIOUS, CURRENT, strict=True)
        ),
        constats=CONSTATS,
        conseils=CONSEILS,
        mark=Decimal("13.5"),
        mark_ne_count=1,
        generated_at=dt.datetime(2026, 3, 21, 9, 30),
    )
    return replace(base, **changes)


def read(data: bytes) -> PdfReader:
    assert data.startswith(b"%PDF-")
    return PdfReader(io.BytesIO(data))


def page_texts(data: bytes) -> list[str]:
    return [page.extract_text() for page in read(data).pages]


def flat(text: str) -> str:
    """Extracted text with line breaks as spaces: phrases may wrap in the PDF."""
    return " ".join(text.split())


def test_pdf_holds_the_whole_bilan() -> None:
    pages = page_texts(render_bilan_pdf(document()))
    text = "\n".join(pages)
    joined = flat(text)

    assert len(pages) == 2
    assert "Bilan de LEFÈVRE Chloé" in text
    for expected in (
        "Lycée professionnel Jean-Jaurès — Saint-Étienne",
        "INE : 1234567890A",
        "Classe : 1re PLP 1",
        "Année scolaire : 2025-2026",
        "Date du bilan : 20/03/2026",
        "Rédigé par : Mme Cœurdacier",
        "Définitif, enregistré le 20/03/2026 à 17:05 par Mme Cœurdacier",
        "Note : 13,5 / 20",
        "1 compétence NE non comptée",
        "Précédent",
        "12/12/2025",
        "Actuel",
    ):
        assert expected in joined, expected
    for code, title in CC:
        assert code in text
        assert flat(title) in joined, title
    for line in CONSTATS.splitlines() + [line for line in CONSEILS.splitlines() if line]:
        assert line in text, line  # line breaks kept, markup characters printed as typed
    assert "Bien maîtrisé" in text and "Insuffisamment maîtrisé" in text
    assert "Page 1 / 2" in pages[0] and "Page 2 / 2" in pages[1]
    assert "Édité le 21/03/2026 à 09:30" in pages[0]
    assert "BROUILLON" not in text


def test_fonts_are_dejavu_and_embedded() -> None:
    reader = read(render_bilan_pdf(document()))
    seen: set[str] = set()
    for page in reader.pages:
        fonts = page["/Resources"]["/Font"].get_object()
        for ref in fonts.values():
            font = ref.get_object()
            base = str(font["/BaseFont"])
            seen.add(base.split("+")[-1])
            assert font["/Subtype"] == "/TrueType", base
            assert "/FontFile2" in font["/FontDescriptor"].get_object(), base
    assert seen == {"DejaVuSans", "DejaVuSans-Bold"}


def test_radar_is_vector_graphics() -> None:
    reader = read(render_bilan_pdf(document()))
    for page in reader.pages:
        resources = page["/Resources"].get_object()
        xobjects = resources.get("/XObject")
        images = [
            name
            for name, ref in (xobjects.get_object().items() if xobjects else [])
            if ref.get_object().get("/Subtype") == "/Image"
        ]
        assert images == []
    radar_page = reader.pages[1]
    text = radar_page.extract_text()
    assert "Radar des positionnements" in text
    assert "Précédent — 12/12/2025 (NE : CC2.2)" in text
    assert "Actuel — 20/03/2026 (NE : CC2.4)" in text
    assert NE_NOTE in text
    content = radar_page.get_contents().get_data()
    assert content.count(b" l") > 13 * 4  # spokes, rings and series are paths


def test_metadata() -> None:
    metadata = read(render_bilan_pdf(document())).metadata
    assert metadata is not None
    assert metadata.title == "Bilan de LEFÈVRE Chloé — 20/03/2026"
    assert metadata.author == "Lycée professionnel Jean-Jaurès — Saint-Étienne — Mme Cœurdacier"
    assert metadata.subject == "Bilan intermédiaire de compétences — 1re PLP 1 — 2025-2026"
    assert metadata.creator == "Livret"


def test_a_draft_is_watermarked_on_every_page() -> None:
    data = render_bilan_pdf(document(status="draft", finalized_at=None, finalized_by=None))
    pages = page_texts(data)
    assert len(pages) >= 2
    assert all("BROUILLON" in page for page in pages)
    assert "Statut : Brouillon (non définitif)" in flat(pages[0])


def test_without_previous_bilan_nor_mark_nor_texts() -> None:
    rows = tuple(replace(row, previous=None) for row in document().rows)
    data = render_bilan_pdf(
        document(previous_date=None, rows=rows, mark=None, constats="", conseils="  \n")
    )
    text = "\n".join(page_texts(data))
    assert "Note :" not in text
    assert "Aucun constat rédigé." in text and "Aucun conseil rédigé." in text
    assert "Précédent —" not in text  # no previous series in the radar legend
    assert "Actuel — 20/03/2026 (NE : CC2.4)" in text


def test_long_texts_continue_on_the_next_pages() -> None:
    long_text = "\n".join(f"Paragraphe {n} : « œuvre » — détails & suites." for n in range(150))
    pages = page_texts(render_bilan_pdf(document(constats=long_text, conseils=long_text)))
    assert len(pages) >= 4
    for number, page in enumerate(pages, start=1):
        assert f"Page {number} / {len(pages)}" in page
    assert "Paragraphe 149 : « œuvre » — détails & suites." in "\n".join(pages)


def test_a_long_referentiel_splits_the_table_and_repeats_its_header() -> None:
    rows = tuple(
        BilanDocumentRow(f"CC{n}.1", "Une compétence commune au titre assez long " * 3, "2", "3")
        for n in range(1, 41)
    )
    pages = page_texts(render_bilan_pdf(document(rows=rows)))
    assert len(pages) >= 3
    assert sum("Compétence commune" in page for page in pages) >= 2
    joined = "\n".join(pages)
    assert all(f"CC{n}.1" in joined for n in range(1, 41))


def test_combined_pdf_numbers_each_bilan_and_watermarks_drafts_only() -> None:
    first = document()
    draft = document(learner_name="N'DIAYE Aïssatou", status="draft", finalized_at=None)
    long_one = document(learner_name="ÉTIENNE Noé", constats="Très long.\n" * 120)
    singles = [render_bilan_pdf(d) for d in (first, draft, long_one)]
    combined = render_bilans_pdf(
        [first, draft, long_one], title="Conseil de classe — 1re PLP 1 (2025-2026)"
    )

    reader = read(combined)
    counts = [len(read(single).pages) for single in singles]
    assert len(reader.pages) == sum(counts)
    assert reader.metadata is not None
    assert reader.metadata.title == "Conseil de classe — 1re PLP 1 (2025-2026)"
    pages = [page.extract_text() for page in reader.pages]
    start = 0
    for doc, count in zip((first, draft, long_one), counts, strict=True):
        own = pages[start : start + count]
        assert f"Bilan de {doc.learner_name}" in own[0]
        for number, page in enumerate(own, start=1):
            assert f"Page {number} / {count}" in page
            assert ("BROUILLON" in page) == doc.is_draft
        start += count


def test_nothing_to_combine() -> None:
    with pytest.raises(ValueError):
        render_bilans_pdf([])


@pytest.mark.parametrize(
    ("value", "text"),
    [("13.5", "13,5"), ("14.0", "14"), ("0.0", "0"), ("20", "20"), ("9.1", "9,1")],
)
def test_mark_in_french(value: str, text: str) -> None:
    assert format_mark(Decimal(value)) == text


# -- radar geometry -------------------------------------------------------------------------


def shapes(node: Any) -> Iterator[Any]:
    for item in node.contents:
        if isinstance(item, Group):
            yield from shapes(item)
        else:
            yield item


def rings(drawing: Any) -> list[list[float]]:
    return [s.points for s in shapes(drawing) if isinstance(s, Polygon) and s.fillColor is None]


def series(drawing: Any) -> list[list[float]]:
    return [s.points for s in shapes(drawing) if isinstance(s, Polygon) and s.fillColor]


CODES = [code for code, _ in CC]


def test_radar_scale_is_fixed_and_first_axis_at_the_top_then_clockwise() -> None:
    def draw(levels: list[str]) -> Any:
        return radar_drawing(
            CODES, None, RadarSeries("Actuel", tuple(levels)), width=400, height=460
        )

    low, high = draw(["1"] * 13), draw(["4"] * 13)
    assert rings(low) == rings(high)  # the rings never follow the data
    assert len(rings(low)) == 4
    outer = rings(high)[-1]
    (current,) = series(high)
    assert current == pytest.approx(outer)  # level 4 on the outer ring
    (one,) = series(low)
    assert one == pytest.approx(rings(low)[0])  # level 1 on the first ring

    x0, y0, x1, y1 = outer[:4]
    labels = {s.text: s for s in shapes(high) if isinstance(s, String)}
    centre_x = 200
    assert x0 == pytest.approx(centre_x) and y0 > y1  # CC1.1 at the top
    assert x1 > centre_x  # CC2.1 to its right: clockwise
    assert labels["CC1.1"].y > y0
    assert {"--", "-", "+", "++"} <= set(labels)  # ring symbols


def test_radar_puts_ne_at_the_centre_with_a_hollow_marker() -> None:
    levels = ["4"] * 12 + ["NE"]
    drawing = radar_drawing(
        CODES,
        RadarSeries("Précédent — 12/12/2025", tuple(["3"] * 13)),
        RadarSeries("Actuel — 20/03/2026", tuple(levels)),
        width=400,
        height=480,
    )
    previous, current = series(drawing)  # the previous bilan is drawn first, under
    assert previous == pytest.approx(rings(drawing)[2])  # all "3": on the third ring
    centre = rings(drawing)[0]
    cx = sum(centre[0::2]) / 13
    cy = sum(centre[1::2]) / 13
    assert current[-2:] == pytest.approx([cx, cy])
    hollow = [
        s
        for s in shapes(drawing)
        if isinstance(s, (Circle, Rect))
        and s.fillColor is not None
        and s.fillColor.hexval() == "0xffffff"
        and s.strokeColor is not None
        and s.strokeColor.hexval() == "0x1565c0"
    ]
    assert len(hollow) == 1
    texts = [s.text for s in shapes(drawing) if isinstance(s, String)]
    assert "Actuel — 20/03/2026 (NE : CC6.2)" in texts
    assert "Précédent — 12/12/2025" in texts
    assert NE_NOTE in texts


def test_radar_refuses_levels_that_do_not_fit() -> None:
    with pytest.raises(ValueError):
        radar_drawing(CODES, None, RadarSeries("Actuel", ("4",) * 12), width=300, height=300)
    with pytest.raises(ValueError):
        radar_drawing(CODES[:2], None, RadarSeries("Actuel", ("4",) * 2), width=300, height=300)
