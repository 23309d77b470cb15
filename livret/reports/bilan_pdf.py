"""The PDF of a bilan intermédiaire (A4, reportlab Platypus), one learner or a whole class.

Renders a BilanDocument (livret.reports.document, re-exported here), a frozen DTO built
by livret.services.exports: no database, no Qt here. Every text is set in DejaVu Sans,
embedded, so accents, œ, « » and — print the same everywhere. The radar is drawn as
vector graphics (livret.reports.radar).

Page numbers ("Page 1 / 2") count the pages of each learner's bilan: in the combined
PDF of a class, each bilan starts a new page and numbers its own pages, so any bilan
printed from it reads as a complete document of its own. A draft's pages carry a
translucent diagonal BROUILLON drawn over the content (the coloured table cells would
hide it underneath).

The header names the establishment: its logo on the left (LOGO_HEIGHT high at most),
its UAI and city under its name; without them, the name alone.

Layout: page 1 holds the header, the positioning table, Constats and Conseils; the
radar follows, shrinking (down to RADAR_MIN_SIZE) to stay on the page when it can,
otherwise at full size on the next one, then the signature boxes.
"""

from __future__ import annotations

import copy
import functools
import io
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from PIL import Image, ImageOps
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.lib.utils import ImageReader
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Flowable,
    Frame,
    KeepTogether,
    NextPageTemplate,
    PageBreak,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from livret.domain.levels import style_of
from livret.reports.document import BilanDocument, BilanDocumentRow, day, format_mark
from livret.reports.fonts import BOLD, OBLIQUE, REGULAR, register_fonts, text_width
from livret.reports.radar import RadarFlowable, RadarSeries

__all__ = [
    "BilanDocument",
    "BilanDocumentRow",
    "format_mark",
    "render_bilan_pdf",
    "render_bilans_pdf",
    "render_class_pdfs",
]

WATERMARK = "BROUILLON"

PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN_X = 16 * mm
MARGIN_TOP = 14 * mm
MARGIN_BOTTOM = 18 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X

INK = colors.HexColor("#263238")
MUTED = colors.HexColor("#607d8b")
ACCENT = colors.HexColor("#1565c0")
RULE = colors.HexColor("#b0bec5")
GRID = colors.HexColor("#cfd8dc")
PANEL = colors.HexColor("#f3f6f8")
DRAFT_COLOR = colors.HexColor("#e65100")
WATERMARK_COLOR = colors.HexColor("#9e9e9e")

RADAR_SIZE = 145 * mm
"""The radar's rings and labels; it shrinks down to RADAR_MIN_SIZE to stay on a page."""
RADAR_MIN_SIZE = 85 * mm

LOGO_HEIGHT = 14 * mm
"""The establishment's logo, left of its name: this high, or narrower than LOGO_MAX_WIDTH."""
LOGO_MAX_WIDTH = 40 * mm
LOGO_GAP = 3 * mm
LOGO_PIXELS = 600
"""Longest side of the logo as embedded (300 dpi at 50 mm): a big photo stays a small PDF."""

CELL_SIZE = 8.3
"""Font size in the positioning table."""
CELL_LEADING = 10.2
CELL_PAD_X = 5.0
CELL_PAD_TOP = 3.0
CELL_PAD_BOTTOM = 3.5


def render_bilan_pdf(document: BilanDocument) -> bytes:
    """The PDF of one bilan."""
    return _render(
        [document], title=document.title, author=_author(document), subject=_subject(document)
    )


def render_bilans_pdf(
    documents: Sequence[BilanDocument],
    *,
    title: str | None = None,
    subject: str | None = None,
) -> bytes:
    """Several bilans in one PDF (the conseil de classe), each starting on a new page.

    Each bilan numbers its own pages ("Page 1 / 2"); a draft's pages, and only
    those, carry the BROUILLON watermark.
    """
    if not documents:
        raise ValueError("Aucun bilan à mettre dans le PDF.")
    if len(documents) == 1 and title is None:
        return render_bilan_pdf(documents[0])
    establishments = sorted({document.establishment for document in documents})
    return _render(
        documents,
        title=title or f"Bilans de compétences ({len(documents)} apprenants)",
        author=" ; ".join(establishments),
        subject=subject or "Bilans intermédiaires de compétences",
    )


def render_class_pdfs(
    documents: Sequence[BilanDocument], *, title: str, subject: str
) -> tuple[bytes, list[bytes]]:
    """The combined PDF of a class and each bilan's own PDF, rendered once.

    The combined PDF is laid out and drawn once; each bilan's PDF is made of that
    bilan's pages copied out of it (pypdf), with the metadata render_bilan_pdf gives it.
    Each bilan starts a new page and numbers its own pages, so its pages are those it
    has when rendered alone.
    """
    if not documents:
        raise ValueError("Aucun bilan à mettre dans le PDF.")
    from pypdf import PdfReader, PdfWriter
    from pypdf.generic import NameObject, TextStringObject

    establishments = sorted({document.establishment for document in documents})
    page_sections: list[int] = []
    combined = _render(
        documents,
        title=title,
        author=" ; ".join(establishments),
        subject=subject,
        page_sections=page_sections,
    )
    reader = PdfReader(io.BytesIO(combined))
    info = dict(reader.metadata or {})
    pages: dict[int, list[int]] = {}
    for number, section in enumerate(page_sections):
        pages.setdefault(section, []).append(number)
    singles: list[bytes] = []
    for index, document in enumerate(documents):
        writer = PdfWriter()
        for number in pages[index]:
            writer.add_page(reader.pages[number])
        writer.add_metadata(
            {
                **info,
                "/Title": document.title,
                "/Author": _author(document),
                "/Subject": _subject(document),
            }
        )
        writer._root_object[NameObject("/Lang")] = TextStringObject("fr-FR")
        buffer = io.BytesIO()
        writer.write(buffer)
        singles.append(buffer.getvalue())
    return combined, singles


def _author(document: BilanDocument) -> str:
    author = f"{document.establishment} — {document.author}" if document.author else None
    return author or document.establishment


# -- document assembly ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Section:
    """What the page decorations need to know about one bilan of the PDF."""

    footer: str
    generated: str
    draft: bool


def _render(
    documents: Sequence[BilanDocument],
    *,
    title: str,
    author: str,
    subject: str,
    page_sections: list[int] | None = None,
) -> bytes:
    """The PDF; `page_sections`, when given, receives the index of each page's bilan."""
    register_fonts()
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=title,
        author=author,
        subject=subject,
        creator="Livret",
        producer="Livret (reportlab)",
        lang="fr-FR",
        initialFontName=REGULAR,
        initialFontSize=10,
    )
    sections = [
        _Section(
            footer=document.title,
            generated=f"Édité le {document.generated_at.strftime('%d/%m/%Y à %H:%M')}",
            draft=document.is_draft,
        )
        for document in documents
    ]
    doc.addPageTemplates(
        [
            PageTemplate(
                id=f"bilan-{index}",
                frames=[
                    Frame(
                        MARGIN_X,
                        MARGIN_BOTTOM,
                        CONTENT_WIDTH,
                        PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM,
                        leftPadding=0,
                        rightPadding=0,
                        topPadding=0,
                        bottomPadding=0,
                        id=f"body-{index}",
                    )
                ],
                onPage=functools.partial(_begin_page, index),
            )
            for index in range(len(sections))
        ]
    )
    story: list[Flowable] = []
    for index, document in enumerate(documents):
        if index:
            story.extend([NextPageTemplate(f"bilan-{index}"), PageBreak()])
        story.extend(_bilan_story(document))
    doc.build(story, canvasmaker=functools.partial(_NumberedCanvas, sections, page_sections))
    return buffer.getvalue()


def _subject(document: BilanDocument) -> str:
    parts = ["Bilan intermédiaire de compétences"]
    parts.extend(p for p in (document.class_label, document.school_year_label) if p)
    return " — ".join(parts)


def _begin_page(index: int, canvas: Canvas, _doc: Any) -> None:
    """Called before a page's content: remember which bilan the page belongs to."""
    canvas.livret_section = index


def _watermark(canvas: Canvas) -> None:
    angle = math.degrees(math.atan2(PAGE_HEIGHT, PAGE_WIDTH))
    diagonal = math.hypot(PAGE_WIDTH, PAGE_HEIGHT)
    size = 0.7 * diagonal / (text_width(WATERMARK, BOLD, 100) / 100)
    canvas.saveState()
    canvas.setFillColor(WATERMARK_COLOR)
    canvas.setFillAlpha(0.14)
    canvas.setFont(BOLD, size)
    canvas.translate(PAGE_WIDTH / 2, PAGE_HEIGHT / 2)
    canvas.rotate(angle)
    canvas.drawCentredString(0, -size * 0.35, WATERMARK)
    canvas.restoreState()


class _NumberedCanvas(Canvas):
    """Holds the pages back until the end, to number them "Page n / total" per bilan.

    The draft watermark is drawn in the same pass, over the content (translucent), so
    that the coloured cells of the table do not hide it.
    """

    def __init__(
        self,
        sections: Sequence[_Section],
        page_sections: list[int] | None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.livret_section = 0
        self._sections = sections
        self._page_sections = page_sections
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        """Override Canvas.showPage: keep the page, start the next one."""
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        """Override Canvas.save: draw every footer now that the totals are known."""
        totals: dict[int, int] = {}
        for page in self._pages:
            totals[page["livret_section"]] = totals.get(page["livret_section"], 0) + 1
        if self._page_sections is not None:
            self._page_sections[:] = [page["livret_section"] for page in self._pages]
        seen: dict[int, int] = {}
        for page in self._pages:
            self.__dict__.update(page)
            index = page["livret_section"]
            seen[index] = seen.get(index, 0) + 1
            section = self._sections[index]
            if section.draft:
                _watermark(self)
            self._footer(section, seen[index], totals[index])
            super().showPage()
        super().save()

    def _footer(self, section: _Section, number: int, total: int) -> None:
        y = MARGIN_BOTTOM - 9 * mm
        self.saveState()
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(MARGIN_X, y + 10, PAGE_WIDTH - MARGIN_X, y + 10)
        self.setFillColor(MUTED)
        self.setFont(REGULAR, 7.5)
        self.drawString(MARGIN_X, y, section.footer)
        self.drawCentredString(PAGE_WIDTH / 2, y, section.generated)
        self.setFont(BOLD, 7.5)
        self.drawRightString(PAGE_WIDTH - MARGIN_X, y, f"Page {number} / {total}")
        self.restoreState()


# -- one bilan --------------------------------------------------------------------------


@functools.cache
def _styles() -> dict[str, ParagraphStyle]:
    register_fonts()
    base = ParagraphStyle("base", fontName=REGULAR, fontSize=9.5, leading=13, textColor=INK)
    return {
        "base": base,
        "establishment": ParagraphStyle(
            "establishment", base, fontName=BOLD, fontSize=10, leading=13, textColor=INK
        ),
        "establishment_details": ParagraphStyle(
            "establishment_details", base, fontSize=8, leading=10.5, textColor=MUTED
        ),
        "kind": ParagraphStyle(
            "kind", base, fontSize=8.5, leading=11, textColor=MUTED, alignment=TA_RIGHT
        ),
        "title": ParagraphStyle(
            "title", base, fontName=BOLD, fontSize=19, leading=24, spaceBefore=8, spaceAfter=6
        ),
        "info": ParagraphStyle("info", base, fontSize=9, leading=12.5),
        "heading": ParagraphStyle(
            "heading",
            base,
            fontName=BOLD,
            fontSize=11,
            leading=14,
            textColor=ACCENT,
            spaceBefore=10,
            spaceAfter=4,
            keepWithNext=1,
        ),
        "cell": ParagraphStyle("cell", base, fontSize=CELL_SIZE, leading=CELL_LEADING),
        "text": ParagraphStyle("text", base, fontSize=9.5, leading=13.5),
        "empty": ParagraphStyle("empty", base, fontName=OBLIQUE, textColor=MUTED),
    }


@functools.lru_cache(maxsize=1024)
def _parsed(markup: str, style: str) -> Paragraph:
    return Paragraph(markup, _styles()[style])


def _paragraph(markup: str, style: str) -> Paragraph:
    """A Paragraph of short, often repeated markup (headings, labels, names, dates): its
    markup is parsed once per process, each use gets its own copy to lay out."""
    return copy.copy(_parsed(markup, style))


def _bilan_story(document: BilanDocument) -> list[Flowable]:
    story: list[Flowable] = [
        *_header(document),  # first on its page: it always fits
        Spacer(1, 4),
        _paragraph("Positionnement sur les compétences communes", "heading"),
        _positioning_table(document),
    ]
    for label, text, empty in (
        ("Constats", document.constats, "Aucun constat rédigé."),
        ("Conseils", document.conseils, "Aucun conseil rédigé."),
    ):
        story.append(_paragraph(label, "heading"))
        if text.strip():
            story.append(Paragraph(_markup(text), _styles()["text"]))  # user text: not cached
        else:
            story.append(_paragraph(empty, "empty"))
    if len(document.rows) >= 3:
        heading = _paragraph("Radar des positionnements", "heading")
        codes = [row.code for row in document.rows]
        previous = None
        if document.previous_date is not None and all(r.previous for r in document.rows):
            previous = RadarSeries(
                f"Précédent — {day(document.previous_date)}",
                tuple(row.previous or "NE" for row in document.rows),
            )
        current = RadarSeries(
            f"Actuel — {day(document.bilan_date)}", tuple(row.current for row in document.rows)
        )
        story.append(
            _Titled(
                heading,
                RadarFlowable(
                    codes, previous, current, preferred=RADAR_SIZE, minimum=RADAR_MIN_SIZE
                ),
            )
        )
    story.append(_signatures())
    return story


def _signatures() -> Flowable:
    """Boxes for the signatures a bilan handed out usually collects."""
    labels = ("L'enseignant(e)", "L'apprenant(e)", "Le ou les responsables légaux")
    table = Table(
        [[_paragraph(label, "cell") for label in labels], ["", "", ""]],
        colWidths=[CONTENT_WIDTH / 3] * 3,
        rowHeights=[None, 20 * mm],
        style=_table_style(
            [
                ("BOX", (0, 0), (-1, -1), 0.6, GRID),
                ("INNERGRID", (0, 0), (-1, -1), 0.6, GRID),
                ("BACKGROUND", (0, 0), (-1, 0), PANEL),
                ("LEFTPADDING", (0, 0), (-1, -1), 5),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
            ]
        ),
    )
    return KeepTogether([_paragraph("Signatures", "heading"), table])


def _markup(text: str) -> str:
    """Paragraph markup for user text: <, > and & escaped, line breaks kept."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").strip("\n").split("\n")
    return "<br/>".join(escape(line).replace("\t", "    ") for line in lines)


def _establishment(document: BilanDocument, width: float) -> Flowable | list[Flowable]:
    """The establishment's name, its UAI and city under it, its logo on the left if any."""
    texts: list[Flowable] = [_paragraph(escape(document.establishment), "establishment")]
    if details := document.establishment_details:
        texts.append(_paragraph(escape(details), "establishment_details"))
    prepared = _prepared_logo(document.establishment_logo) if document.establishment_logo else None
    if prepared is None:
        return texts
    logo = _Logo(*prepared)
    return Table(
        [[logo, texts]],
        colWidths=[logo.width + LOGO_GAP, width - logo.width - LOGO_GAP],
        style=_table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("TOPPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 0),
            ]
        ),
    )


class _Logo(Flowable):
    """The establishment's logo, drawn at its size on the page (aspect ratio kept).

    Each bilan of a class PDF draws its own, but reportlab stores identical image data
    once per PDF (drawImage names an image by a digest of its pixels).
    """

    def __init__(self, png: bytes, pixel_width: int, pixel_height: int) -> None:
        super().__init__()
        self._png = png
        ratio = pixel_width / pixel_height
        self.height = LOGO_HEIGHT
        self.width = LOGO_HEIGHT * ratio
        if self.width > LOGO_MAX_WIDTH:
            self.width, self.height = LOGO_MAX_WIDTH, LOGO_MAX_WIDTH / ratio

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        """Override Flowable.wrap: a fixed size."""
        return self.width, self.height

    def draw(self) -> None:
        """Override Flowable.draw."""
        reader = ImageReader(io.BytesIO(self._png))
        self.canv.drawImage(reader, 0, 0, self.width, self.height, mask="auto")


@functools.lru_cache(maxsize=4)
def _prepared_logo(data: bytes) -> tuple[bytes, int, int] | None:
    """The logo as a PNG of at most LOGO_PIXELS a side, upright (JPEG's EXIF orientation
    applied), with its pixel size; None when it cannot be read (the header goes without).

    The service checked it when it was stored; this is for a row written otherwise.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=("PNG", "JPEG")) as opened:
                image = ImageOps.exif_transpose(opened)
                image.thumbnail((LOGO_PIXELS, LOGO_PIXELS))
                transparent = image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info
                image = image.convert("RGBA" if transparent else "RGB")
                buffer = io.BytesIO()
                image.save(buffer, "PNG", optimize=True)
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError, Warning):
        return None
    return buffer.getvalue(), image.width, image.height


def _header(document: BilanDocument) -> list[Flowable]:
    top = Table(
        [
            [
                _establishment(document, CONTENT_WIDTH * 0.6),
                _paragraph("Bilan intermédiaire de compétences", "kind"),
            ]
        ],
        colWidths=[CONTENT_WIDTH * 0.6, CONTENT_WIDTH * 0.4],
        style=_table_style(
            [
                ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
                ("LINEBELOW", (0, 0), (-1, 0), 1.2, ACCENT),
            ]
        ),
    )
    title = _paragraph(f"Bilan de {escape(document.learner_name)}", "title")

    def info(label: str, value: str) -> Paragraph:
        return _paragraph(f'<font color="#607d8b">{label} :</font> {value}', "info")

    dash = "—"
    left = [
        info("Apprenant", f"<b>{escape(document.learner_name)}</b>"),
        info("INE", escape(document.ine) or dash),
        info("Classe", escape(document.class_label or dash)),
        info("Année scolaire", escape(document.school_year_label or dash)),
    ]
    right = [
        info("Date du bilan", f"<b>{day(document.bilan_date)}</b>"),
        info("Rédigé par", escape(document.author or dash)),
        info("Statut", _status(document)),
    ]
    if document.mark is not None:
        note = f"<b>{format_mark(document.mark)} / 20</b>"
        if document.mark_ne_count:
            plural = "s" if document.mark_ne_count > 1 else ""
            note += (
                f' <font color="#607d8b" size="8">({document.mark_ne_count} compétence{plural}'
                f" NE non comptée{plural})</font>"
            )
        if document.mark_alert:
            note += f'<br/><font color="#b23c00"><b>⚠ {escape(document.mark_alert)}</b></font>'
        right.append(info("Note", note))
    while len(right) < len(left):
        right.append(_paragraph("", "info"))
    while len(left) < len(right):
        left.append(_paragraph("", "info"))
    grid = Table(
        [[a, b] for a, b in zip(left, right, strict=True)],
        colWidths=[CONTENT_WIDTH * 0.46, CONTENT_WIDTH * 0.54],
        style=_table_style(
            [
                ("BACKGROUND", (0, 0), (-1, -1), PANEL),
                ("BOX", (0, 0), (-1, -1), 0.6, GRID),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 7),
                ("RIGHTPADDING", (0, 0), (-1, -1), 7),
                ("TOPPADDING", (0, 0), (-1, -1), 1.5),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 1.5),
                ("TOPPADDING", (0, 0), (-1, 0), 6),
                ("BOTTOMPADDING", (0, -1), (-1, -1), 6),
            ]
        ),
    )
    return [top, title, grid]


def _status(document: BilanDocument) -> str:
    if document.is_draft:
        return f'<font color="#{DRAFT_COLOR.hexval()[2:]}"><b>Brouillon</b></font> (non définitif)'
    text = "<b>Définitif</b>"
    if document.finalized_at is not None:
        text += f", enregistré le {document.finalized_at.strftime('%d/%m/%Y à %H:%M')}"
    if document.finalized_by:
        text += f" par {escape(document.finalized_by)}"
    return text


def _positioning_table(document: BilanDocument) -> Flowable:
    previous = day(document.previous_date) if document.previous_date else "—"
    return _PositioningTable(
        (("Précédent", previous), ("Actuel", day(document.bilan_date))), document.rows
    )


@functools.cache
def _level_column_width() -> float:
    """Wide enough for the longest "symbol  label" on one line, with the cell padding."""
    widths = [
        text_width(f"{style_of(code).symbol}  ", BOLD, CELL_SIZE)
        + text_width(style_of(code).label, REGULAR, CELL_SIZE)
        for code in ("NE", "1", "2", "3", "4")
    ]
    return float(max(widths)) + 2 * CELL_PAD_X + 2


def _table_style(commands: list[tuple[Any, ...]]) -> TableStyle:
    """A table style whose cells are set in DejaVu (Table sets a font even round Paragraphs:
    left to its Helvetica default, an unembedded font would enter the PDF)."""
    return TableStyle([("FONT", (0, 0), (-1, -1), REGULAR, CELL_SIZE), *commands])


class _PositioningTable(Flowable):
    """The positioning table: one row per CC, its code and title, then the levels
    (symbol and label on the level's colour) in the previous and the current bilan.

    Drawn directly on the canvas rather than as a Platypus Table of Paragraphs, which
    cost most of a bilan's rendering time; a class export draws thousands of cells. It
    splits between rows, repeating its header, when a page cannot hold it all.
    """

    def __init__(
        self,
        head: tuple[tuple[str, str], tuple[str, str]],
        rows: Sequence[BilanDocumentRow],
    ) -> None:
        super().__init__()
        self._head = head
        self._rows = tuple(rows)
        self._heights: list[float] = []
        self._lines: list[tuple[str, ...]] = []
        self._head_height = 2 * CELL_LEADING + CELL_PAD_TOP + CELL_PAD_BOTTOM + 1

    def _measure(self, avail_width: float) -> None:
        self.width = avail_width
        title_width = round(avail_width - 2 * _level_column_width() - 2 * CELL_PAD_X, 2)
        self._lines = [_title_lines(row.code, row.title, title_width) for row in self._rows]
        self._heights = [
            CELL_LEADING * len(lines) + CELL_PAD_TOP + CELL_PAD_BOTTOM for lines in self._lines
        ]

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        """Override Flowable.wrap."""
        self._measure(avail_width)
        self.height = self._head_height + sum(self._heights)
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        """Override Flowable.split: whole rows, at least two on the first page."""
        self._measure(avail_width)
        used, fitting = self._head_height, 0
        for height in self._heights:
            if used + height > avail_height:
                break
            used += height
            fitting += 1
        if fitting < min(2, len(self._rows)) or fitting == len(self._rows):
            return []
        return [
            _PositioningTable(self._head, self._rows[:fitting]),
            _PositioningTable(self._head, self._rows[fitting:]),
        ]

    def draw(self) -> None:
        """Override Flowable.draw."""
        canvas = self.canv
        level_width = _level_column_width()
        title_width = self.width - 2 * level_width
        columns = (0.0, title_width, title_width + level_width)
        top = self.height

        # Header: light panel, "Compétence commune" left, the two bilans centred.
        canvas.setFillColor(PANEL)
        canvas.rect(0, top - self._head_height, self.width, self._head_height, stroke=0, fill=1)
        canvas.setFillColor(INK)
        canvas.setFont(BOLD, CELL_SIZE)
        middle = top - self._head_height / 2
        canvas.drawString(CELL_PAD_X, middle - CELL_SIZE * 0.35, "Compétence commune")
        for (label, date), x in zip(self._head, columns[1:], strict=True):
            centre = x + level_width / 2
            canvas.drawCentredString(centre, middle + CELL_LEADING / 2 - CELL_SIZE * 0.3, label)
            canvas.drawCentredString(centre, middle - CELL_LEADING / 2 - CELL_SIZE * 0.3, date)

        # Rows: backgrounds first, then texts.
        y = top - self._head_height
        separators = [y]
        for row, lines, height in zip(self._rows, self._lines, self._heights, strict=True):
            y -= height
            separators.append(y)
            for level, x in ((row.previous, columns[1]), (row.current, columns[2])):
                if level is not None:
                    canvas.setFillColor(_level_color(level))
                    canvas.rect(x, y, level_width, height, stroke=0, fill=1)
            baseline = y + height - CELL_PAD_TOP - CELL_SIZE
            canvas.setFillColor(INK)
            canvas.setFont(BOLD, CELL_SIZE)
            canvas.drawString(CELL_PAD_X, baseline, row.code)
            canvas.setFont(REGULAR, CELL_SIZE)
            for index, line in enumerate(lines):
                x = CELL_PAD_X + (_code_width(row.code) if index == 0 else 0.0)
                canvas.drawString(x, baseline - index * CELL_LEADING, line)
            level_baseline = y + height / 2 - CELL_SIZE * 0.35
            for level, x in ((row.previous, columns[1]), (row.current, columns[2])):
                _draw_level(canvas, level, x + CELL_PAD_X, level_baseline, level_width)

        # Grid: thin inner lines, a darker line under the header and round the table.
        canvas.setStrokeColor(GRID)
        canvas.setLineWidth(0.5)
        for separator in separators[1:-1]:
            canvas.line(0, separator, self.width, separator)
        for x in columns[1:]:
            canvas.line(x, 0, x, top)
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.9)
        canvas.line(0, separators[0], self.width, separators[0])
        canvas.setLineWidth(0.8)
        canvas.rect(0, 0, self.width, top, stroke=1, fill=0)


def _draw_level(
    canvas: Canvas, level: str | None, x: float, baseline: float, column_width: float
) -> None:
    """A level cell's text: the symbol in bold, then the label; a dash without a bilan."""
    if level is None:
        canvas.setFillColor(MUTED)
        canvas.setFont(REGULAR, CELL_SIZE)
        canvas.drawCentredString(x - CELL_PAD_X + column_width / 2, baseline, "—")
        return
    style = style_of(level)
    canvas.setFillColor(_level_text_color(level))
    canvas.setFont(BOLD, CELL_SIZE)
    canvas.drawString(x, baseline, style.symbol)
    canvas.setFont(REGULAR, CELL_SIZE)
    canvas.drawString(x + _symbol_width(level), baseline, style.label)


@functools.cache
def _level_color(code: str) -> colors.Color:
    return colors.HexColor(style_of(code).color)


@functools.cache
def _level_text_color(code: str) -> colors.Color:
    return colors.HexColor(style_of(code).text_color)


@functools.cache
def _symbol_width(code: str) -> float:
    return text_width(f"{style_of(code).symbol}  ", BOLD, CELL_SIZE)


@functools.cache
def _code_width(code: str) -> float:
    return text_width(code, BOLD, CELL_SIZE) + text_width("  ", REGULAR, CELL_SIZE)


@functools.lru_cache(maxsize=512)
def _title_lines(code: str, title: str, width: float) -> tuple[str, ...]:
    """Greedy word wrap of the title; the first line starts after the bold code."""
    lines: list[str] = []
    line = ""
    room = width - _code_width(code)
    for word in title.split():
        candidate = f"{line} {word}" if line else word
        if not line or text_width(candidate, REGULAR, CELL_SIZE) <= room:
            line = candidate
            continue
        lines.append(line)
        line, room = word, width
    lines.append(line)
    return tuple(lines)


class _Titled(Flowable):
    """A heading drawn with the flowable under it, so that they always share a page.

    (KeepTogether would measure the radar at its largest and push it to the next page
    even where a smaller radar fits.)
    """

    def __init__(self, heading: Paragraph, body: Flowable) -> None:
        super().__init__()
        self._heading = heading
        self._body = body
        self._heading_height = 0.0
        self._gap = 0.0

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        """Override Flowable.wrap."""
        _, heading_height = self._heading.wrap(avail_width, avail_height)
        style = self._heading.style
        self._heading_height = heading_height
        self._gap = style.spaceBefore + style.spaceAfter
        room = avail_height - heading_height - self._gap
        _, body_height = self._body.wrap(avail_width, room)
        self.width = avail_width
        self.height = heading_height + self._gap + body_height
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        """Override Flowable.split: the heading never stays alone at the bottom of a page."""
        return []

    def draw(self) -> None:
        """Override Flowable.draw."""
        style = self._heading.style
        body_height = self.height - self._heading_height - self._gap
        self._body.drawOn(self.canv, 0, 0)
        self._heading.drawOn(self.canv, 0, body_height + style.spaceAfter)
