"""Painting of the dashboard: marks on their level colour, underline, period bars, row labels.

Colours come from livret.ui.theme, read once per paint pass.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPen, QStaticText, QTransform
from PySide6.QtWidgets import (
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from livret.ui.dashboard.model import (
    ROW_KIND_ROLE,
    CellKind,
    CellPaint,
    DashboardModel,
    RowKind,
)
from livret.ui.theme import Theme, current_theme

BAR_WIDTH = 4
UNDERLINE_WIDTH = 3
LABEL_CACHE_SIZE = 2_000
"""Row labels laid out and kept (a few référentiels' criteria)."""


class MarkDelegate(QStyledItemDelegate):
    """Paints a mark as its letter on a rounded tile of the level's colour.

    Marks since the last final bilan get a thick black underline (condensed view);
    a thick vertical bar separates periods (expanded view); the current positioning
    cell has a dark blue frame, as it can be clicked. Reads each cell with one call
    to DashboardModel.cell_paint: painting must not go through a dozen QVariant roles.
    """

    def __init__(self, model: DashboardModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        """Override QStyledItemDelegate::paint (DashboardTable paints its cells itself)."""
        state = option.state
        focused = bool(
            state & QStyle.StateFlag.State_HasFocus or state & QStyle.StateFlag.State_Selected
        )
        paint_cell(
            painter,
            option.rect,
            self._model.cell_paint(index.row(), index.column()),
            TileFonts(option.font),
            TilePens.of(current_theme()),
            focused=focused,
        )


class TileFonts:
    """The two fonts of the tiles (bold; bold struck out for ABS), made once per paint."""

    def __init__(self, font: QFont) -> None:
        self.bold = QFont(font)
        self.bold.setBold(True)
        self.absent = QFont(self.bold)
        self.absent.setStrikeOut(True)


class TilePens:
    """The theme's colours as the pens and fills of the cells, made once per theme."""

    _made: tuple[Theme, TilePens] | None = None

    def __init__(self, theme: Theme) -> None:
        self.theme = theme
        self.current = QPen(theme.current_frame, 2)
        self.absent = QPen(theme.absent_frame, 1, Qt.PenStyle.DashLine)
        self.focus = QPen(theme.focus_frame, 1, Qt.PenStyle.DotLine)
        self.bar = theme.period_bar
        self.underline = theme.underline
        self.fills = {code: colours.fill for code, colours in theme.levels.items()}
        self.texts = {code: colours.text for code, colours in theme.levels.items()}
        self.row_fills = {RowKind.TITLE: theme.title_row, RowKind.BILANS: theme.bilans_row}

    @classmethod
    def of(cls, theme: Theme) -> TilePens:
        """The pens of `theme`, kept until the theme changes (a palette change)."""
        made = cls._made
        if made is None or made[0] is not theme:
            made = cls._made = (theme, cls(theme))
        return made[1]


def paint_cell(
    painter: QPainter,
    rect: QRect,
    cell: CellPaint,
    fonts: TileFonts,
    pens: TilePens,
    *,
    focused: bool,
) -> None:
    """One cell: its row's background, or a mark's tile; then its period bars.

    Leaves the painter's pen, brush and font changed (the caller paints many cells).
    """
    if cell.kind is CellKind.EMPTY:
        fill = pens.row_fills.get(cell.row)
        if fill is not None:
            painter.fillRect(rect, fill)
    else:
        _paint_tile(painter, rect, cell, fonts, pens, focused)
    if cell.bar_left:
        painter.fillRect(QRect(rect.left(), rect.top(), BAR_WIDTH, rect.height()), pens.bar)
    if cell.bar_right:
        painter.fillRect(
            QRect(rect.right() - BAR_WIDTH + 1, rect.top(), BAR_WIDTH, rect.height()), pens.bar
        )


def _paint_tile(
    painter: QPainter,
    rect: QRect,
    cell: CellPaint,
    fonts: TileFonts,
    pens: TilePens,
    focused: bool,
) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if cell.kind is CellKind.MARK:
        tile = rect.adjusted(2, 2, -2, -2 - (UNDERLINE_WIDTH + 1))
    else:
        tile = rect.adjusted(2, 2, -2, -2)
    absent = cell.level == "ABS"
    level = cell.level or "NE"
    if cell.kind is CellKind.CURRENT:
        painter.setPen(pens.current)
    elif absent:
        painter.setPen(pens.absent)
    else:
        painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(pens.fills[level])
    painter.drawRoundedRect(tile, 3, 3)
    if focused:
        painter.setPen(pens.focus)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(tile.adjusted(-1, -1, 1, 1), 3, 3)
    painter.setPen(pens.texts[level])
    painter.setFont(fonts.absent if absent else fonts.bold)
    painter.drawText(tile, Qt.AlignmentFlag.AlignCenter, cell.text)
    if cell.underline:
        painter.fillRect(
            QRect(
                rect.left() + 1,
                rect.bottom() - UNDERLINE_WIDTH - 1,
                rect.width() - 2,
                UNDERLINE_WIDTH,
            ),
            pens.underline,
        )


class RowHeader(QHeaderView):
    """The row labels: CC titles in bold (wrapped), criteria elided, the blue bilans label."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
        self._labels: dict[tuple[str, str, int], tuple[QStaticText, int]] = {}

    def _label(self, text: str, font: QFont, width: int) -> tuple[QStaticText, int]:
        """A criterion or bilans label, elided to `width`, laid out once (Qt's text layout
        is most of a row's paint): the same labels come back at every learner switch."""
        key = (text, font.key(), width)
        label = self._labels.get(key)
        if label is None:
            metrics = QFontMetrics(font)
            static = QStaticText(metrics.elidedText(text, Qt.TextElideMode.ElideRight, width))
            static.setTextFormat(Qt.TextFormat.PlainText)
            static.prepare(QTransform(), font)
            if len(self._labels) >= LABEL_CACHE_SIZE:
                self._labels.clear()
            label = self._labels[key] = (static, metrics.height())
        return label

    def paintSection(self, painter: QPainter, rect: QRect, logicalIndex: int) -> None:
        """Override QHeaderView::paintSection."""
        model = self.model()
        if model is None or not rect.isValid():
            return
        kind = model.headerData(logicalIndex, Qt.Orientation.Vertical, ROW_KIND_ROLE)
        text = str(model.headerData(logicalIndex, Qt.Orientation.Vertical) or "")
        painter.save()
        font = QFont(self.font())
        text_rect = rect.adjusted(6, 1, -6, -1)
        theme = current_theme()
        if kind == RowKind.TITLE:
            painter.fillRect(rect, theme.title_row)
            font.setBold(True)
            painter.setFont(font)
            painter.setPen(theme.title_row_text)
            flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
            painter.drawText(text_rect, int(flags) | int(Qt.TextFlag.TextWordWrap), text)
        else:
            bilans = kind == RowKind.BILANS
            painter.fillRect(rect, theme.bilans_label if bilans else self.palette().base().color())
            font.setBold(bilans)
            painter.setFont(font)
            painter.setPen(theme.bilans_text if bilans else self.palette().text().color())
            static, height = self._label(text, font, text_rect.width())
            top = text_rect.top() + (text_rect.height() - height) // 2
            painter.drawStaticText(text_rect.left(), top, static)
        painter.setPen(theme.grid_line)
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        painter.drawLine(rect.topRight(), rect.bottomRight())
        painter.restore()
