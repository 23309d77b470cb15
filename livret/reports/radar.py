"""The radar chart of a bilan as PDF vector graphics (reportlab.graphics).

Same geometry as the on-screen widget (livret.ui.widgets.radar): one axis per common
competency, the first at the top and then clockwise; fixed rings at levels 1–4 labelled
with the level symbols (--, -, +, ++), never scaled to the data; NE sits at the centre
with a hollow marker. The previous bilan is dashed grey-blue with square markers, the
current one solid blue with round markers.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from reportlab.graphics.shapes import Circle, Drawing, Group, Path, Polygon, Rect, String
from reportlab.lib import colors
from reportlab.platypus import Flowable

from livret.domain.levels import LEVEL_CODES, style_of, value_of
from livret.reports.fonts import BOLD, REGULAR, register_fonts, text_width

SCALE_MAX = 4
"""The outer ring: level 4 (++). NE is drawn at the centre (0)."""

TEXT_COLOR = colors.HexColor("#263238")
RING_COLOR = colors.HexColor("#b0bec5")
OUTER_RING_COLOR = colors.HexColor("#78909c")
SPOKE_COLOR = colors.HexColor("#cfd8dc")
RING_LABEL_COLOR = colors.HexColor("#455a64")

LABEL_SIZE = 8.5
LABEL_GAP = 6.0
RING_SYMBOL_SIZE = 8.0
LEGEND_SIZE = 8.5
LEGEND_LINE = 14.0
NOTE_SIZE = 7.5
NOTE_LINE = NOTE_SIZE + 5

NE_LEGEND_MAX_CODES = 3
"""Beyond this many NE competencies in a series, its legend entry gives their number instead."""

NE_NOTE = "Marqueur creux au centre : compétence non évaluée (NE)"


def ring_key() -> str:
    """What the ring symbols mean, printed under the legend (the screen has tooltips)."""
    return "Anneaux : " + "   ".join(
        f"{style_of(code).symbol} {style_of(code).label}" for code in ("1", "2", "3", "4")
    )


@dataclass(frozen=True, slots=True)
class RadarSeries:
    """One bilan on the radar: its legend label and one level code per axis."""

    label: str
    levels: tuple[str, ...]


_Point = Callable[[int, float], tuple[float, float]]
"""Where a level (in level units) falls on an axis, in drawing coordinates."""


@dataclass(frozen=True, slots=True)
class _Style:
    color: colors.Color
    fill_opacity: float
    dash: tuple[float, ...] | None
    line_width: float
    square: bool
    marker: float
    """Side (square) or diameter (round) of a vertex marker, in points."""
    ne_marker: float
    """The hollow NE marker at the centre: the previous one is larger, so both show."""


_PREVIOUS = _Style(colors.HexColor("#78909c"), 55 / 255, (4.0, 2.5), 1.4, True, 4.6, 10.0)
_CURRENT = _Style(colors.HexColor("#1565c0"), 70 / 255, None, 1.8, False, 5.0, 7.0)


def level_radius(code: str) -> float:
    """The radius of a level code in level units: 1–4 for counted levels, 0 for NE."""
    if code not in LEVEL_CODES:
        raise ValueError(f"Niveau de bilan inconnu : « {code} » (attendu : NE, 1, 2, 3 ou 4).")
    value = value_of(code)
    return 0.0 if value is None else float(value)


def direction(index: int, count: int) -> tuple[float, float]:
    """The unit vector of axis `index` (y up): the first at the top, then clockwise."""
    angle = 2 * math.pi * index / count
    return math.sin(angle), math.cos(angle)


def legend_text(codes: Sequence[str], series: RadarSeries) -> str:
    """The series' label, followed by the competencies it leaves NE (drawn at the centre)."""
    ne = [code for code, level in zip(codes, series.levels, strict=True) if level == "NE"]
    if not ne:
        return series.label
    names = ", ".join(ne) if len(ne) <= NE_LEGEND_MAX_CODES else f"{len(ne)} compétences"
    return f"{series.label} (NE : {names})"


def legend_height(previous: RadarSeries | None, current: RadarSeries) -> float:
    """Height of the legend and NE note drawn under the rings."""
    entries = 1 if previous is None else 2
    has_ne = "NE" in current.levels or (previous is not None and "NE" in previous.levels)
    return entries * LEGEND_LINE + (NOTE_LINE if has_ne else 0) + NOTE_LINE + 6


def radar_drawing(
    codes: Sequence[str],
    previous: RadarSeries | None,
    current: RadarSeries,
    *,
    width: float,
    height: float,
) -> Drawing:
    """The radar with its legend under it, fitted into width × height points."""
    register_fonts()
    count = len(codes)
    if count < 3:
        raise ValueError("Un radar demande au moins trois compétences.")
    for series in (previous, current):
        if series is not None and len(series.levels) != count:
            raise ValueError(f"{len(series.levels)} niveaux pour {count} compétences sur le radar.")

    # The renderer sets an initial font: DejaVu, or Helvetica (unembedded) would enter the PDF.
    drawing = Drawing(width, height, initialFontName=REGULAR, initialFontSize=LABEL_SIZE)
    legend = legend_height(previous, current)
    chart_height = height - legend
    cx, cy = width / 2, legend + chart_height / 2
    directions = [direction(index, count) for index in range(count)]
    radius = _fit_radius(codes, directions, width / 2, chart_height / 2)
    unit = radius / SCALE_MAX

    def point(index: int, level: float) -> tuple[float, float]:
        dx, dy = directions[index]
        return cx + dx * level * unit, cy + dy * level * unit

    # Grid: spokes, then the rings 1–4 (the outer one darker).
    # One path for all the spokes, one for each series' markers: a class export draws
    # thousands of radars, and each shape costs a state change in the renderer.
    spokes = Path(strokeColor=SPOKE_COLOR, strokeWidth=0.6, fillColor=None)
    for index in range(count):
        spokes.moveTo(cx, cy)
        spokes.lineTo(*point(index, SCALE_MAX))
    drawing.add(spokes)
    for level in range(1, SCALE_MAX + 1):
        outer = level == SCALE_MAX
        drawing.add(
            Polygon(
                _flat(point(index, level) for index in range(count)),
                fillColor=None,
                strokeColor=OUTER_RING_COLOR if outer else RING_COLOR,
                strokeWidth=1.0 if outer else 0.6,
            )
        )

    # The series: previous under current, NE markers above both.
    drawn = [(style, series) for style, series in ((_PREVIOUS, previous), (_CURRENT, current))]
    for style, series in drawn:
        if series is not None:
            drawing.add(_series_group(style, [level_radius(c) for c in series.levels], point))
    for style, series in drawn:
        if series is not None and "NE" in series.levels:
            drawing.add(_marker(style, cx, cy, style.ne_marker, hollow=True))

    # Ring symbols on the middle of the rings' first edge (never on a spoke), then labels.
    for level in range(1, SCALE_MAX + 1):
        (x0, y0), (x1, y1) = point(0, level), point(1, level)
        drawing.add(_ring_symbol(style_of(str(level)).symbol, (x0 + x1) / 2, (y0 + y1) / 2))
    for (dx, dy), code in zip(directions, codes, strict=True):
        x, y = cx + dx * (radius + LABEL_GAP), cy + dy * (radius + LABEL_GAP)
        label_width = text_width(code, BOLD, LABEL_SIZE)
        box_height = LABEL_SIZE * 1.15
        # Anchored on the side facing the centre, as on screen.
        left = x - label_width * (1 - dx) / 2
        bottom = y - box_height * (1 - dy) / 2
        drawing.add(
            String(
                left,
                bottom + LABEL_SIZE * 0.25,
                code,
                fontName=BOLD,
                fontSize=LABEL_SIZE,
                fillColor=TEXT_COLOR,
            )
        )

    _draw_legend(drawing, codes, previous, current, width, legend)
    return drawing


def _fit_radius(
    codes: Sequence[str],
    directions: Sequence[tuple[float, float]],
    half_w: float,
    half_h: float,
) -> float:
    """The largest level-4 radius whose axis labels stay inside the chart area."""
    radius = min(half_w, half_h) - LABEL_GAP
    box_height = LABEL_SIZE * 1.15
    for (dx, dy), code in zip(directions, codes, strict=True):
        label_width = text_width(code, BOLD, LABEL_SIZE)
        for along, half, size in ((abs(dx), half_w, label_width), (abs(dy), half_h, box_height)):
            if along > 1e-6:
                radius = min(radius, (half - size * (1 + along) / 2) / along - LABEL_GAP)
    return max(radius, 10.0)


def _flat(points: Iterable[tuple[float, float]]) -> list[float]:
    flat: list[float] = []
    for x, y in points:
        flat.extend((x, y))
    return flat


def _series_group(style: _Style, values: Sequence[float], point: _Point) -> Group:
    group = Group()
    vertices = [point(index, value) for index, value in enumerate(values)]
    group.add(
        Polygon(
            _flat(vertices),
            fillColor=style.color,
            fillOpacity=style.fill_opacity,
            strokeColor=style.color,
            strokeWidth=style.line_width,
            strokeDashArray=list(style.dash) if style.dash else None,
            strokeLineJoin=1,
        )
    )
    markers = Path(fillColor=style.color, strokeColor=style.color, strokeWidth=0.6)
    half = style.marker / 2
    for (x, y), value in zip(vertices, values, strict=True):
        if value <= 0:
            continue  # NE: the hollow marker at the centre tells it
        if style.square:
            markers.moveTo(x - half, y - half)
            markers.lineTo(x + half, y - half)
            markers.lineTo(x + half, y + half)
            markers.lineTo(x - half, y + half)
            markers.closePath()
        else:
            _circle_path(markers, x, y, half)
    group.add(markers)
    return group


_KAPPA = 0.5522847498
"""Bézier control distance for a quarter circle of radius 1."""


def _circle_path(path: Path, x: float, y: float, r: float) -> None:
    k = _KAPPA * r
    path.moveTo(x + r, y)
    path.curveTo(x + r, y + k, x + k, y + r, x, y + r)
    path.curveTo(x - k, y + r, x - r, y + k, x - r, y)
    path.curveTo(x - r, y - k, x - k, y - r, x, y - r)
    path.curveTo(x + k, y - r, x + r, y - k, x + r, y)
    path.closePath()


def _marker(style: _Style, x: float, y: float, size: float, *, hollow: bool) -> Rect | Circle:
    fill = colors.white if hollow else style.color
    width = 1.4 if hollow else 0.6
    if style.square:
        return Rect(
            x - size / 2,
            y - size / 2,
            size,
            size,
            fillColor=fill,
            strokeColor=style.color,
            strokeWidth=width,
        )
    return Circle(x, y, size / 2, fillColor=fill, strokeColor=style.color, strokeWidth=width)


def _ring_symbol(symbol: str, x: float, y: float) -> Group:
    width = text_width(symbol, BOLD, RING_SYMBOL_SIZE) + 4
    height = RING_SYMBOL_SIZE + 3
    group = Group()
    group.add(
        Rect(
            x - width / 2,
            y - height / 2,
            width,
            height,
            rx=1.5,
            ry=1.5,
            fillColor=colors.white,
            fillOpacity=0.82,
            strokeColor=None,
        )
    )
    group.add(
        String(
            x,
            y - RING_SYMBOL_SIZE * 0.36,
            symbol,
            fontName=BOLD,
            fontSize=RING_SYMBOL_SIZE,
            fillColor=RING_LABEL_COLOR,
            textAnchor="middle",
        )
    )
    return group


def _draw_legend(
    drawing: Drawing,
    codes: Sequence[str],
    previous: RadarSeries | None,
    current: RadarSeries,
    width: float,
    legend: float,
) -> None:
    entries = [(s, series) for s, series in ((_PREVIOUS, previous), (_CURRENT, current)) if series]
    texts = [legend_text(codes, series) for _, series in entries]
    swatch = 22.0
    block = swatch + 6 + max(text_width(text, REGULAR, LEGEND_SIZE) for text in texts)
    left = max(0.0, (width - block) / 2)
    has_ne = any("NE" in series.levels for _, series in entries)
    top = legend - 4
    for row, ((style, _), text) in enumerate(zip(entries, texts, strict=True)):
        middle = top - LEGEND_LINE * row - LEGEND_LINE / 2
        drawing.add(
            Rect(
                left,
                middle - 4.5,
                swatch,
                9,
                fillColor=style.color,
                fillOpacity=style.fill_opacity,
                strokeColor=style.color,
                strokeWidth=style.line_width * 0.8,
                strokeDashArray=[3.0, 1.5] if style.dash else None,
            )
        )
        drawing.add(_marker(style, left + swatch / 2, middle, style.marker, hollow=False))
        drawing.add(
            String(
                left + swatch + 6,
                middle - LEGEND_SIZE * 0.35,
                text,
                fontName=REGULAR,
                fontSize=LEGEND_SIZE,
                fillColor=TEXT_COLOR,
            )
        )
    notes = [NE_NOTE, ring_key()] if has_ne else [ring_key()]
    for row, note in enumerate(notes):
        drawing.add(
            String(
                width / 2,
                top - LEGEND_LINE * len(entries) - NOTE_LINE * row - NOTE_SIZE - 2,
                note,
                fontName=REGULAR,
                fontSize=NOTE_SIZE,
                fillColor=RING_LABEL_COLOR,
                textAnchor="middle",
            )
        )


class RadarFlowable(Flowable):
    """The radar as a Platypus flowable, as large as the room left on the page allows.

    It takes `preferred` points of width (and the matching height), shrinks down to
    `minimum` to stay on the current page, and moves to the next page below that.
    """

    def __init__(
        self,
        codes: Sequence[str],
        previous: RadarSeries | None,
        current: RadarSeries,
        *,
        preferred: float,
        minimum: float,
    ) -> None:
        super().__init__()
        self._codes = tuple(codes)
        self._previous = previous
        self._current = current
        self._preferred = preferred
        self._minimum = minimum
        self._legend = legend_height(previous, current)
        self._side = preferred

    def wrap(self, avail_width: float, avail_height: float) -> tuple[float, float]:
        """Override Flowable.wrap: the chart's side follows the room on the page."""
        side = min(self._preferred, avail_width)
        if avail_height < side + self._legend:
            side = max(self._minimum, avail_height - self._legend)
        self._side = side
        self.width = avail_width
        self.height = side + self._legend
        return self.width, self.height

    def split(self, avail_width: float, avail_height: float) -> list[Flowable]:
        """Override Flowable.split: never cut a chart in two (it moves to the next page)."""
        return []

    def draw(self) -> None:
        """Override Flowable.draw."""
        from reportlab.graphics import renderPDF

        drawing = radar_drawing(
            self._codes,
            self._previous,
            self._current,
            width=self.width,
            height=self._side + self._legend,
        )
        renderPDF.draw(drawing, self.canv, 0, 0)
