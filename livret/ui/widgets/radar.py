"""The radar chart of a learner's two last bilans: one axis per common competency, levels 0–4."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import pyqtgraph as pg
from pyqtgraph.graphicsItems.LegendItem import ItemSample
from pyqtgraph.graphicsItems.ScatterPlotItem import drawSymbol
from PySide6.QtCore import QPointF, QRectF, QSize, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QFontMetricsF, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QFrame,
    QGraphicsItem,
    QSizePolicy,
    QStyleOptionGraphicsItem,
    QVBoxLayout,
    QWidget,
)

from livret.domain.levels import LEVEL_CODES, style_of, value_of
from livret.ui.theme import Theme, current_theme, follow_theme

SCALE_MAX = 4
"""The outer ring: level 4 (++). NE is drawn at the centre (0)."""

LABEL_GAP = 4.0
"""Pixels between the outer ring and an axis label."""

MIN_SIDE = 420
LEGEND_ROWS_HEIGHT = 70
"""About the height of the legend and the NE note under the radar, in pixels."""

# Colours: the chart_* roles of livret.ui.theme, read when the items paint.

NE_LEGEND_MAX_CODES = 3
"""Beyond this many NE competencies in a series, its legend entry gives their number instead."""

NE_NOTE = "Marqueur creux au centre : compétence non évaluée (NE)"

GRID_Z = 1.0
LABEL_Z = 50.0
"""Stacking: the grid under the series (10 and 11, their NE markers 20 and 21), texts on top."""

PREVIOUS = "previous"
CURRENT = "current"


@dataclass(frozen=True, slots=True)
class _SeriesStyle:
    """How one bilan is drawn; the two differ in colour, line style and marker shape."""

    role: str
    """The theme role of its colour (chart_previous, chart_current)."""
    fill_alpha: int
    line_style: Qt.PenStyle
    line_width: float
    symbol: str
    symbol_size: int
    ne_symbol_size: int
    """The hollow NE marker: the previous one is larger, so both show when they coincide."""
    z: float
    word: str
    """How the accessible summary names the series."""


_STYLES: dict[str, _SeriesStyle] = {
    PREVIOUS: _SeriesStyle(
        "chart_previous", 55, Qt.PenStyle.DashLine, 2.0, "s", 7, 17, 10.0, "précédent"
    ),
    CURRENT: _SeriesStyle(
        "chart_current", 70, Qt.PenStyle.SolidLine, 2.5, "o", 8, 12, 11.0, "actuel"
    ),
}


def _level_value(code: str) -> float:
    """The radius of a level code: 1–4 for counted levels, 0 (the centre) for NE."""
    if code not in LEVEL_CODES:
        raise ValueError(f"Niveau de bilan inconnu : « {code} » (attendu : NE, 1, 2, 3 ou 4).")
    value = value_of(code)
    return 0.0 if value is None else float(value)


def _direction(index: int, count: int) -> tuple[float, float]:
    """The unit vector of axis `index`: the first at the top, then clockwise."""
    angle = 2 * math.pi * index / count
    return math.sin(angle), math.cos(angle)


def _bold_font(points: float) -> QFont:
    font = QFont()
    font.setPointSizeF(points)
    font.setBold(True)
    return font


class RadarText(QGraphicsItem):
    """A bold text at a point of the chart, upright and of a fixed size in pixels.

    Drawn as pg.TextItem draws it (the same box, with QGraphicsTextItem's 4-pixel margin
    round the text, placed by `anchor`), but as one light item: a TextItem is a
    QGraphicsTextItem with its document, re-placed in Python at every paint.
    """

    MARGIN = 4.0
    """QGraphicsTextItem's document margin: the box, and so the anchoring, include it."""

    def __init__(
        self,
        text: str,
        *,
        role: str,
        points: float,
        anchor: tuple[float, float] = (0.0, 0.0),
        fill: str | None = None,
    ) -> None:
        """`role` and `fill` name the theme's colours of the text and of its box."""
        super().__init__()
        # The view's scale and its upward y-axis do not apply: pixels, the right way up.
        self.setFlag(QGraphicsItem.GraphicsItemFlag.ItemIgnoresTransformations)
        self._text = text
        self._role = role
        self._fill = fill
        self._font = _bold_font(points)
        metrics = QFontMetricsF(self._font)
        # QTextDocument's box: the advance plus margins, the line height rounded up.
        width = metrics.horizontalAdvance(text) + 2 * self.MARGIN
        height = math.ceil(metrics.height()) + 2 * self.MARGIN
        self._box = QRectF(-anchor[0] * width, -anchor[1] * height, width, height)
        self._origin = QPointF(
            self._box.left() + self.MARGIN, self._box.top() + self.MARGIN + metrics.ascent()
        )

    def text(self) -> str:
        return self._text

    def boundingRect(self) -> QRectF:
        """Override QGraphicsItem::boundingRect."""
        return self._box

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        """Override QGraphicsItem::paint."""
        theme = current_theme()
        if self._fill is not None:
            painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(QBrush(getattr(theme, self._fill)))
            painter.drawRect(self._box)
        painter.setFont(self._font)
        painter.setPen(QPen(getattr(theme, self._role)))
        painter.drawText(self._origin, self._text)


class _Grid(QGraphicsItem):
    """The spokes and the rings at levels 1–4, in level units, as one item.

    Drawn as the PlotCurveItems it replaces drew them: one-pixel spokes without
    antialiasing, antialiased rings (the outer one darker and thicker).
    """

    def __init__(self, directions: Sequence[tuple[float, float]]) -> None:
        super().__init__()
        self._spokes = [QPointF(dx * SCALE_MAX, dy * SCALE_MAX) for dx, dy in directions]
        self._rings: list[QPainterPath] = []
        for level in range(1, SCALE_MAX + 1):
            path = QPainterPath(QPointF(directions[0][0] * level, directions[0][1] * level))
            for dx, dy in (*directions[1:], directions[0]):
                path.lineTo(dx * level, dy * level)
            self._rings.append(path)
        self._pens: tuple[Theme, QPen, QPen, QPen] | None = None
        pad = 0.25
        self._bounds = QRectF(
            -SCALE_MAX - pad, -SCALE_MAX - pad, 2 * (SCALE_MAX + pad), 2 * (SCALE_MAX + pad)
        )

    def boundingRect(self) -> QRectF:
        """Override QGraphicsItem::boundingRect."""
        return self._bounds

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        """Override QGraphicsItem::paint."""
        theme = current_theme()
        if self._pens is None or self._pens[0] is not theme:
            self._pens = (
                theme,
                pg.mkPen(theme.chart_spoke, width=1),
                pg.mkPen(theme.chart_ring, width=1),
                pg.mkPen(theme.chart_outer_ring, width=1.5),
            )
        _, spoke, ring, outer = self._pens
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, False)
        painter.setPen(spoke)
        centre = QPointF(0.0, 0.0)
        for end in self._spokes:
            painter.drawLine(centre, end)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        for level, path in enumerate(self._rings, start=1):
            painter.setPen(outer if level == SCALE_MAX else ring)
            painter.drawPath(path)


class _LegendSample(ItemSample):
    """A legend swatch: the series' fill and outline as a small box, its marker in the middle."""

    WIDTH = 30

    def __init__(self, item: Any) -> None:
        super().__init__(item)
        self.setFixedWidth(self.WIDTH)

    def boundingRect(self) -> QRectF:
        """Override QGraphicsItem::boundingRect."""
        return QRectF(0, 0, self.WIDTH, 20)

    def paint(self, painter: QPainter, *args: Any) -> None:
        """Override QGraphicsItem::paint."""
        opts = self.item.opts
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(pg.mkPen(opts["pen"]))
        painter.setBrush(pg.mkBrush(opts["fillBrush"]))
        painter.drawRect(QRectF(2, 4, self.WIDTH - 4, 12))
        painter.translate(self.WIDTH / 2, 10)
        drawSymbol(
            painter,
            opts["symbol"],
            opts["symbolSize"],
            pg.mkPen(opts["symbolPen"]),
            pg.mkBrush(opts["symbolBrush"]),
        )

    def mouseClickEvent(self, event: Any) -> None:
        """Override ItemSample::mouseClickEvent: a click must not hide a bilan from the chart."""
        event.ignore()


def _draw_marker(
    painter: QPainter, at: QPointF, symbol: str, size: float, pen: QPen, brush: QBrush
) -> None:
    """A marker of `size` pixels on `at` (item coordinates), where pyqtgraph's scatter puts it.

    A ScatterPlotItem blits each marker from a square image of ceil(size + pen width)
    pixels, its top-left corner on the nearest whole pixel: the same snapping keeps
    the markers as crisp as they were.
    """
    side = math.ceil(size + max(math.ceil(pen.widthF()), 1))
    centre = painter.transform().map(at)
    painter.save()
    painter.resetTransform()
    painter.translate(
        math.floor(centre.x() - side / 2 + 0.5) + side / 2,
        math.floor(centre.y() - side / 2 + 0.5) + side / 2,
    )
    drawSymbol(painter, symbol, size, pen, brush)
    painter.restore()


class _Polygon(QGraphicsItem):
    """One bilan: the filled polygon through its vertices, a marker on each vertex.

    Draws what a PlotDataItem (fillLevel "enclosed", antialiased, with symbols) drew,
    as one light item. `opts` holds the same keys, for the legend's sample.
    """

    def __init__(self, style: _SeriesStyle) -> None:
        super().__init__()
        self._style = style
        self._opts: tuple[Theme, dict[str, Any]] | None = None
        self._points: list[QPointF] = []
        self._path = QPainterPath()
        pad = 0.5  # the markers and the pen's width, well within half a level
        self._bounds = QRectF(
            -SCALE_MAX - pad, -SCALE_MAX - pad, 2 * (SCALE_MAX + pad), 2 * (SCALE_MAX + pad)
        )

    @property
    def opts(self) -> dict[str, Any]:
        """PlotDataItem's drawing options in the theme's colours (made once per theme)."""
        theme = current_theme()
        if self._opts is None or self._opts[0] is not theme:
            style = self._style
            color = QColor(getattr(theme, style.role))
            fill = QColor(color)
            fill.setAlpha(style.fill_alpha)
            self._opts = (
                theme,
                {
                    "pen": pg.mkPen(color, width=style.line_width, style=style.line_style),
                    "fillBrush": pg.mkBrush(fill),
                    "symbol": style.symbol,
                    "symbolSize": style.symbol_size,
                    "symbolPen": pg.mkPen(color, width=1),
                    "symbolBrush": pg.mkBrush(color),
                },
            )
        return self._opts[1]

    def set_points(self, points: list[QPointF]) -> None:
        self._points = points
        self._path = QPainterPath()
        if points:
            self._path.moveTo(points[0])
            for point in points[1:]:
                self._path.lineTo(point)
        self.update()

    def boundingRect(self) -> QRectF:
        """Override QGraphicsItem::boundingRect."""
        return self._bounds

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        """Override QGraphicsItem::paint."""
        if not self._points:
            return
        opts = self.opts
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.fillPath(self._path, opts["fillBrush"])
        painter.strokePath(self._path, opts["pen"])
        for point in self._points:
            _draw_marker(
                painter,
                point,
                opts["symbol"],
                opts["symbolSize"],
                opts["symbolPen"],
                opts["symbolBrush"],
            )


class _NeMarker(QGraphicsItem):
    """The larger hollow marker at the centre, over the series, when some vertex is NE."""

    def __init__(self, style: _SeriesStyle) -> None:
        super().__init__()
        self._symbol = style.symbol
        self._size = style.ne_symbol_size
        self._role = style.role
        self._bounds = QRectF(-0.5, -0.5, 1.0, 1.0)

    def boundingRect(self) -> QRectF:
        """Override QGraphicsItem::boundingRect."""
        return self._bounds

    def paint(
        self, painter: QPainter, option: QStyleOptionGraphicsItem, widget: QWidget | None = None
    ) -> None:
        """Override QGraphicsItem::paint."""
        theme = current_theme()
        pen = pg.mkPen(QColor(getattr(theme, self._role)), width=2)
        brush = pg.mkBrush(theme.chart_background)  # hollow: the chart's own background
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        _draw_marker(painter, QPointF(0.0, 0.0), self._symbol, self._size, pen, brush)


class _Series:
    """The items drawing one bilan: a filled polygon with vertex markers, and the NE marker."""

    def __init__(self, style: _SeriesStyle) -> None:
        self.style = style
        self.curve = _Polygon(style)
        self.curve.setZValue(style.z)
        # NE vertices sit at the centre like the others, but get a larger hollow marker on top,
        # so that "not assessed" never reads as a very low level.
        self.ne_markers = _NeMarker(style)
        self.ne_markers.setZValue(style.z + 10)

    def items(self) -> tuple[QGraphicsItem, ...]:
        return (self.curve, self.ne_markers)

    def show(self, values: Sequence[float]) -> None:
        """Draw `values` (one per axis, 0–4) as a closed polygon; NE (0) gets a hollow marker."""
        count = len(values)
        points = []
        for index, value in enumerate(values):
            dx, dy = _direction(index, count)
            points.append(QPointF(dx * value, dy * value))
        # The closing point repeats the first vertex; its marker lands on the same spot.
        self.curve.set_points([*points, points[0]])
        self.curve.setVisible(True)
        self.ne_markers.setVisible(0.0 in values)

    def hide(self) -> None:
        self.curve.set_points([])
        for item in self.items():
            item.setVisible(False)


class RadarChart(QWidget):
    """The learner's previous and current bilans on one radar, at the fixed scale NE, -- … ++.

    Call `set_axes` once with the common competencies, then `set_series` as often as the
    positionings change: the same items are updated in place. The scale never follows the
    data; only the widget's size decides how large the rings are drawn.
    """

    _legend_height: float | None = None
    """The legend row's height, the same for every radar (see _fix_row_heights)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Radar des deux derniers bilans")
        self.setMinimumSize(MIN_SIDE, MIN_SIDE)
        policy = QSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)
        policy.setHeightForWidth(True)
        self.setSizePolicy(policy)

        self._codes: tuple[str, ...] = ()
        self._titles: tuple[str, ...] = ()
        self._previous: tuple[str, ...] | None = None
        self._current: tuple[str, ...] = ()
        self._values: dict[str, list[float]] = {PREVIOUS: [], CURRENT: []}
        self._grid: list[Any] = []
        self._labels: list[RadarText] = []
        self._legend_keys: list[str] = []

        self._view = pg.GraphicsLayoutWidget()
        self._view.setAntialiasing(True)
        # A chart to read and print, not to explore: no pan, zoom, menu, legend drag or
        # click-to-hide. Wheel events go on to the parent (a scrolling dialog scrolls).
        self._view.setInteractive(False)
        self._view.setFrameShape(QFrame.Shape.NoFrame)
        self._view.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self._view.ci.setContentsMargins(4, 4, 4, 4)
        self._view.ci.setSpacing(0)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self._view)

        self._box = self._view.addViewBox(
            row=0, col=0, lockAspect=True, enableMouse=False, enableMenu=False
        )
        self._box.setMouseEnabled(False, False)
        self._box.setMenuEnabled(False)
        self._box.disableAutoRange()
        self._box.sigResized.connect(self._fit_view)

        # The legend gets a row of its own under the radar, where no axis label can reach it.
        self._legend_row = pg.GraphicsWidget()
        self._view.addItem(self._legend_row, row=1, col=0)
        self._legend = pg.LegendItem(
            frame=False,
            colCount=1,
            horSpacing=6,
            labelTextSize="10pt",
            sampleType=_LegendSample,
        )
        self._legend.setParentItem(self._legend_row)
        self._legend.anchor(itemPos=(0.5, 0.5), parentPos=(0.5, 0.5))

        # Always laid out, shown only when some competency is NE: the radar never jumps.
        self._note = pg.LabelItem(NE_NOTE, size="9pt", justify="center")
        self._note.setVisible(False)
        self._view.addItem(self._note, row=2, col=0)

        self._series = {key: _Series(style) for key, style in _STYLES.items()}
        for series in self._series.values():
            for item in series.items():
                self._box.addItem(item, ignoreBounds=True)
            series.hide()
        self._fix_row_heights()
        self._fit_view()
        follow_theme(self, self._on_theme_changed)

    # -- public API -------------------------------------------------------------------------

    def set_axes(self, codes: Sequence[str], titles: Sequence[str]) -> None:
        """One axis per competency, the first at the top and the others clockwise.

        The labels show the codes; the titles are their tooltips. The series are cleared.
        """
        if len(codes) != len(titles):
            raise ValueError("Il faut autant d'intitulés que de codes de compétence.")
        if len(codes) < 3:
            raise ValueError("Un radar demande au moins trois compétences.")
        if not self._grid or (tuple(codes), tuple(titles)) != (self._codes, self._titles):
            # The same axes again (a bilan saved or reloaded) keep the grid already drawn.
            self._codes = tuple(codes)
            self._titles = tuple(titles)
            for item in self._grid:
                self._box.removeItem(item)
            self._make_grid()
            for item in self._grid:
                self._box.addItem(item, ignoreBounds=True)
        self._previous = None
        self._current = ()
        self._values = {PREVIOUS: [], CURRENT: []}
        for series in self._series.values():
            series.hide()
        self._show_legend([])
        self._note.setVisible(False)
        self._fit_view()
        self._update_description()

    def set_series(
        self,
        previous: Sequence[str] | None,
        previous_label: str | None,
        current: Sequence[str],
        current_label: str,
    ) -> None:
        """Show the previous bilan (None when there is none) and the current one.

        Each is a level code per axis (NE, 1–4), in the order of `set_axes`.
        """
        current_values = self._values_of(current)
        previous_values = None if previous is None else self._values_of(previous)
        self._current = tuple(current)
        self._previous = None if previous is None else tuple(previous)
        self._values = {PREVIOUS: previous_values or [], CURRENT: current_values}

        entries: list[tuple[str, str]] = []
        if previous_values is None or self._previous is None:
            self._series[PREVIOUS].hide()
        else:
            self._series[PREVIOUS].show(previous_values)
            entries.append(
                (PREVIOUS, self._legend_text(previous_label or "Précédent", self._previous))
            )
        self._series[CURRENT].show(current_values)
        entries.append((CURRENT, self._legend_text(current_label, self._current)))
        self._show_legend(entries)
        self._note.setVisible("NE" in (*self._current, *(self._previous or ())))
        self._update_description()

    def axis_codes(self) -> list[str]:
        """The competency codes of the axes, in drawing order (clockwise from the top)."""
        return list(self._codes)

    def series_values(self) -> dict[str, list[float]]:
        """The values drawn per axis (0 for NE, 1–4); `previous` is empty when there is none."""
        return {key: list(values) for key, values in self._values.items()}

    def legend_labels(self) -> list[str]:
        """The legend's entries, the previous bilan first."""
        return [label.text for _, label in self._legend.items]

    def note_text(self) -> str:
        """The note under the legend: explains the NE markers when there are some."""
        return str(self._note.text) if self._note.isVisible() else ""

    def plot_items(self) -> list[Any]:
        """Every item in the radar's view: grid, labels and series."""
        return list(self._box.childGroup.childItems())

    def view_range(self) -> tuple[tuple[float, float], tuple[float, float]]:
        """The data range shown, ((x min, x max), (y min, y max)), in level units."""
        (x0, x1), (y0, y1) = self._box.viewRange()
        return (float(x0), float(x1)), (float(y0), float(y1))

    def accessible_summary(self) -> str:
        """The positionings in words, e.g. « CC1.1 : précédent +, actuel ++ ; … »."""
        parts = []
        for index, code in enumerate(self._codes):
            levels = []
            if self._previous is not None:
                levels.append(f"{_STYLES[PREVIOUS].word} {style_of(self._previous[index]).symbol}")
            if self._current:
                levels.append(f"{_STYLES[CURRENT].word} {style_of(self._current[index]).symbol}")
            parts.append(f"{code} : {', '.join(levels) or 'aucun bilan'}")
        return " ; ".join(parts)

    # -- QWidget ----------------------------------------------------------------------------

    def sizeHint(self) -> QSize:
        """Override QWidget::sizeHint: a square radar above its legend."""
        return QSize(520, 520 + LEGEND_ROWS_HEIGHT)

    def minimumSizeHint(self) -> QSize:
        """Override QWidget::minimumSizeHint."""
        return QSize(MIN_SIDE, MIN_SIDE)

    def hasHeightForWidth(self) -> bool:
        """Override QWidget::hasHeightForWidth: the radar stays about square."""
        return True

    def heightForWidth(self, width: int) -> int:
        """Override QWidget::heightForWidth."""
        return max(MIN_SIDE, width + LEGEND_ROWS_HEIGHT)

    # -- drawing ----------------------------------------------------------------------------

    def _values_of(self, codes: Sequence[str]) -> list[float]:
        if len(codes) != len(self._codes):
            raise ValueError(
                f"{len(codes)} niveaux pour {len(self._codes)} compétences sur le radar."
            )
        return [_level_value(str(code)) for code in codes]

    def _directions(self) -> list[tuple[float, float]]:
        count = len(self._codes)
        return [_direction(index, count) for index in range(count)]

    def _make_grid(self) -> None:
        """The spokes, the rings at levels 1–4 with their symbols, and the axis labels."""
        directions = self._directions()
        grid = _Grid(directions)
        grid.setZValue(GRID_Z)
        self._grid = [grid]
        for level in range(1, SCALE_MAX + 1):
            # The level's symbol sits on the middle of the ring's first edge, between the first
            # two axes: never on a spoke, where it would hide a vertex.
            symbol = RadarText(
                style_of(str(level)).symbol,
                role="chart_label",
                points=8.5,
                anchor=(0.5, 0.5),
                fill="chart_label_fill",
            )
            symbol.setPos(
                (directions[0][0] + directions[1][0]) * level / 2,
                (directions[0][1] + directions[1][1]) * level / 2,
            )
            symbol.setZValue(LABEL_Z)
            self._grid.append(symbol)
        self._labels = []
        for (dx, dy), code, title in zip(directions, self._codes, self._titles, strict=True):
            # Anchored on the side facing the centre: right of the point on the right half,
            # above it at the top, and so on round the circle.
            label = RadarText(
                code, role="chart_text", points=10, anchor=((1 - dx) / 2, (1 + dy) / 2)
            )
            label.setToolTip(f"{code} — {title}" if title else code)
            label.setZValue(LABEL_Z)
            self._labels.append(label)
        self._grid.extend(self._labels)

    def _on_theme_changed(self, theme: Theme) -> None:
        """The colours pyqtgraph keeps (background, legend and note texts): set them again.
        The grid, labels and series read the theme when they paint."""
        self._view.setBackground(theme.chart_background)
        self._legend.setLabelTextColor(theme.chart_text)
        self._note.setText(self._note.text, color=theme.chart_label)
        self._view.update()

    def _fit_view(self) -> None:
        """Draw the 0–4 rings as large as the labels around them allow, centred.

        Depends only on the view's size in pixels and the labels' sizes, never on the data.
        """
        rect = self._box.rect()
        half_w, half_h = rect.width() / 2, rect.height() / 2
        if half_w <= 1 or half_h <= 1:
            return
        scale = min(half_w, half_h) / (SCALE_MAX * 1.15)  # pixels per level, no labels yet
        for (dx, dy), label in zip(self._directions(), self._labels, strict=True):
            text = label.boundingRect()
            for along, half, size in (
                (abs(dx), half_w, text.width()),
                (abs(dy), half_h, text.height()),
            ):
                if along > 1e-6:
                    room = half - LABEL_GAP * along - size * (1 + along) / 2
                    scale = min(scale, room / (SCALE_MAX * along))
        scale = max(scale, 1.0)
        radius = SCALE_MAX + LABEL_GAP / scale
        for (dx, dy), label in zip(self._directions(), self._labels, strict=True):
            label.setPos(dx * radius, dy * radius)
        self._box.setRange(
            xRange=(-half_w / scale, half_w / scale),
            yRange=(-half_h / scale, half_h / scale),
            padding=0,
        )

    def _legend_text(self, label: str, levels: Sequence[str]) -> str:
        """The series' label, followed by the competencies it leaves NE (drawn at the centre)."""
        ne = [code for code, level in zip(self._codes, levels, strict=True) if level == "NE"]
        if not ne:
            return label
        names = ", ".join(ne) if len(ne) <= NE_LEGEND_MAX_CODES else f"{len(ne)} compétences"
        return f"{label} (NE : {names})"

    def _show_legend(self, entries: list[tuple[str, str]]) -> None:
        """One legend entry per (series, text); the same series only get their texts changed."""
        if [key for key, _ in entries] == self._legend_keys:
            for (_, text), (_, label) in zip(entries, self._legend.items, strict=True):
                if label.text != text:
                    label.setText(text)
            return
        self._legend.clear()
        for key, text in entries:
            self._legend.addItem(self._series[key].curve, text)
        self._legend_keys = [key for key, _ in entries]

    def _fix_row_heights(self) -> None:
        """Size the legend row for two entries, whatever it shows: the radar must not jump.

        The height depends only on the legend's font: measured once, by the first radar.
        """
        height = RadarChart._legend_height
        if height is None:
            for series in self._series.values():
                self._legend.addItem(series.curve, "Précédent — 00/00/0000")
            height = RadarChart._legend_height = self._legend.height() + 6
            self._legend.clear()
        self._legend_row.setMinimumHeight(height)
        self._legend_row.setMaximumHeight(height)

    def _update_description(self) -> None:
        self.setAccessibleDescription(self.accessible_summary())
