"""The conseil de classe's PDF: one landscape A4 table of the class, for the meeting.

Renders a ConseilDocument (plain, already formatted text built by
livret.services.conseil): no database, no Qt. A header names the establishment, the
class and the day of the conseil; the table has one row per learner and repeats its
header on every page; a mark computed on too few CCs carries FLAG_MARK on an orange
cell; the legend of ↑ ↓ = and of the flag closes the table; every page is numbered
« Page n / total ». DejaVu Sans, embedded (the arrows and accents print everywhere).
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from typing import Any
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, landscape
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    BaseDocTemplate,
    Frame,
    PageTemplate,
    Paragraph,
    Spacer,
    Table,
    TableStyle,
)

from livret.reports.fonts import BOLD, REGULAR, register_fonts

PAGE_WIDTH, PAGE_HEIGHT = landscape(A4)
MARGIN_X = 12 * mm
MARGIN_TOP = 12 * mm
MARGIN_BOTTOM = 15 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN_X

FLAG_MARK = "⚠"
"""Printed after a mark that stands on too few positioned CCs."""

INK = colors.HexColor("#263238")
MUTED = colors.HexColor("#607d8b")
RULE = colors.HexColor("#b0bec5")
GRID = colors.HexColor("#cfd8dc")
HEADER_FILL = colors.HexColor("#e3eaf0")
FLAG_FILL = colors.HexColor("#ffe0b2")
DRAFT_INK = colors.HexColor("#e65100")
NONE_INK = colors.HexColor("#9e9e9e")
TREND_INK = {
    "↑": colors.HexColor("#2e7d32"),
    "↓": colors.HexColor("#c62828"),
    "=": colors.HexColor("#546e7a"),
}

NAME_WIDTH = 42 * mm
DATE_WIDTH = 17 * mm
STATUS_WIDTH = 32 * mm
MARK_WIDTH = 15 * mm
NE_WIDTH = 8 * mm
TREND_WIDTH = 8.6 * mm
MIN_REMARK_WIDTH = 40 * mm


@dataclass(frozen=True, slots=True)
class ConseilDocumentRow:
    """One learner, as printed."""

    name: str
    bilan_date: str
    """« 20/03/2026 », or empty without a bilan."""
    status: str
    """« définitif », « brouillon », or « aucun : <why> »."""
    mark: str
    """« 13,5 », or empty."""
    flagged: bool
    ne_count: str
    trends: tuple[str, ...]
    """« ↑ », « ↓ », « = » or empty, one per CC code of the document."""
    remark: str
    draft: bool = False
    without_bilan: bool = False


@dataclass(frozen=True, slots=True)
class ConseilDocument:
    """The whole meeting table."""

    establishment: str
    title: str
    """« Conseil de classe du 10/12/2026 »."""
    class_line: str
    """« 1PLP1 — 1re Bac pro PLP (2026-2027) · 12 apprenants »."""
    codes: tuple[str, ...]
    rows: tuple[ConseilDocumentRow, ...]
    legend: str
    flag_note: str
    """What FLAG_MARK means (« note calculée sur moins de la moitié des CC »)."""
    generated: dt.datetime
    footer: str = ""
    """Left of every page's footer (« Conseil de classe du 10/12/2026 — 1PLP1 »)."""


def render_conseil_pdf(document: ConseilDocument) -> bytes:
    """The PDF's bytes."""
    register_fonts()
    buffer = io.BytesIO()
    template = BaseDocTemplate(
        buffer,
        pagesize=(PAGE_WIDTH, PAGE_HEIGHT),
        leftMargin=MARGIN_X,
        rightMargin=MARGIN_X,
        topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM,
        title=f"{document.title} — {document.class_line}",
        author=document.establishment or "Livret",
        subject="Conseil de classe",
        creator="Livret",
    )
    frame = Frame(
        MARGIN_X,
        MARGIN_BOTTOM,
        CONTENT_WIDTH,
        PAGE_HEIGHT - MARGIN_TOP - MARGIN_BOTTOM,
        id="content",
        leftPadding=0,
        rightPadding=0,
        topPadding=0,
        bottomPadding=0,
    )
    template.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    footer = document.footer or document.title
    generated = "Édité le " + document.generated.strftime("%d/%m/%Y à %H:%M")

    def canvas_maker(*args: Any, **kwargs: Any) -> Canvas:
        return _NumberedCanvas(footer, generated, *args, **kwargs)

    template.build(_story(document), canvasmaker=canvas_maker)
    return buffer.getvalue()


def _styles() -> dict[str, ParagraphStyle]:
    base = ParagraphStyle("base", fontName=REGULAR, fontSize=8, leading=10, textColor=INK)
    return {
        "school": ParagraphStyle("school", parent=base, fontSize=9, textColor=MUTED),
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=15, leading=19),
        "class": ParagraphStyle("class", parent=base, fontSize=10.5, leading=14),
        "cell": base,
        "muted": ParagraphStyle("muted", parent=base, textColor=NONE_INK),
        "head": ParagraphStyle("head", parent=base, fontName=BOLD, fontSize=7.5, leading=9),
        "legend": ParagraphStyle("legend", parent=base, fontSize=7.5, leading=10, textColor=MUTED),
    }


def _story(document: ConseilDocument) -> list[Any]:
    styles = _styles()
    story: list[Any] = []
    if document.establishment:
        story.append(Paragraph(escape(document.establishment), styles["school"]))
    story.append(Paragraph(escape(document.title), styles["title"]))
    story.append(Paragraph(escape(document.class_line), styles["class"]))
    story.append(Spacer(1, 4 * mm))
    story.append(_table(document, styles))
    story.append(Spacer(1, 3 * mm))
    story.append(Paragraph(escape(document.legend), styles["legend"]))
    story.append(Paragraph(escape(f"{FLAG_MARK} {document.flag_note}"), styles["legend"]))
    return story


def _table(document: ConseilDocument, styles: dict[str, ParagraphStyle]) -> Table:
    codes = document.codes
    fixed = NAME_WIDTH + DATE_WIDTH + STATUS_WIDTH + MARK_WIDTH + NE_WIDTH
    trend_width = TREND_WIDTH
    if fixed + trend_width * len(codes) + MIN_REMARK_WIDTH > CONTENT_WIDTH and codes:
        trend_width = (CONTENT_WIDTH - fixed - MIN_REMARK_WIDTH) / len(codes)
    remark_width = CONTENT_WIDTH - fixed - trend_width * len(codes)
    widths = [NAME_WIDTH, DATE_WIDTH, STATUS_WIDTH, MARK_WIDTH, NE_WIDTH]
    widths += [trend_width] * len(codes) + [remark_width]

    head = ["Apprenant", "Bilan", "Statut", "Note /20", "NE", *codes, "Remarque"]
    data: list[list[Any]] = [head]
    first_trend = 5
    commands: list[tuple[Any, ...]] = [
        ("FONT", (0, 0), (-1, 0), BOLD, 7),
        ("FONT", (0, 1), (-1, -1), REGULAR, 8),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("ALIGN", (1, 0), (-2, -1), "CENTER"),
        ("ALIGN", (2, 1), (2, -1), "LEFT"),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5),
        ("FONT", (first_trend, 1), (first_trend + len(codes) - 1, -1), BOLD, 9),
    ]
    for number, row in enumerate(document.rows, start=1):
        status_style = styles["muted"] if row.without_bilan else styles["cell"]
        status = Paragraph(escape(row.status), status_style)
        mark = f"{row.mark} {FLAG_MARK}" if row.flagged and row.mark else row.mark
        data.append(
            [
                Paragraph(escape(row.name), styles["cell"]),
                row.bilan_date,
                status,
                mark,
                row.ne_count,
                *row.trends,
                *([""] * (len(codes) - len(row.trends))),
                Paragraph(escape(row.remark), styles["cell"]),
            ]
        )
        if row.flagged:
            commands.append(("BACKGROUND", (3, number), (3, number), FLAG_FILL))
            commands.append(("FONT", (3, number), (3, number), BOLD, 8))
        if row.draft:
            commands.append(("TEXTCOLOR", (1, number), (1, number), DRAFT_INK))
        for offset, change in enumerate(row.trends):
            ink = TREND_INK.get(change)
            if ink is not None:
                column = first_trend + offset
                commands.append(("TEXTCOLOR", (column, number), (column, number), ink))
    table = Table(data, colWidths=widths, repeatRows=1)
    table.setStyle(TableStyle(commands))
    return table


class _NumberedCanvas(Canvas):
    """Holds the pages back until the end, to number them « Page n / total »."""

    def __init__(self, footer: str, generated: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._footer_text = footer
        self._generated = generated
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:
        """Override Canvas.showPage: keep the page, start the next one."""
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        """Override Canvas.save: draw every footer now that the total is known."""
        total = len(self._pages)
        for number, page in enumerate(self._pages, start=1):
            self.__dict__.update(page)
            self._footer(number, total)
            super().showPage()
        super().save()

    def _footer(self, number: int, total: int) -> None:
        y = MARGIN_BOTTOM - 8 * mm
        self.saveState()
        self.setStrokeColor(RULE)
        self.setLineWidth(0.5)
        self.line(MARGIN_X, y + 9, PAGE_WIDTH - MARGIN_X, y + 9)
        self.setFillColor(MUTED)
        self.setFont(REGULAR, 7.5)
        self.drawString(MARGIN_X, y, self._footer_text)
        self.drawCentredString(PAGE_WIDTH / 2, y, self._generated)
        self.setFont(BOLD, 7.5)
        self.drawRightString(PAGE_WIDTH - MARGIN_X, y, f"Page {number} / {total}")
        self.restoreState()
