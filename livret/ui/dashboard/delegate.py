"""Painting of the dashboard: marks on their level colour, underline, period bars, row labels."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QFont, QFontMetrics, QPainter, QPen, QStaticText, QTransform
from PySide6.QtWidgets import (
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from livret.ui.dashboard.model import (
    ROW_KIND_ROLE,
    TITLE_ROW_BACKGROUND,
    CellKind,
    CellPaint,
    DashboardModel,
    RowKind,
)

BAR_COLOR = QColor("#212121")
BAR_WIDTH = 4
UNDERLINE_WIDTH = 3
CURRENT_BORDER = QColor("#0d47a1")
ABSENT_BORDER = QColor("#757575")
BILANS_LABEL_BACKGROUND = QColor("#bbdefb")
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
            focused=focused,
        )


class TileFonts:
    """The two fonts of the tiles (bold; bold struck out for ABS), made once per paint."""

    def __init__(self, font: QFont) -> None:
        self.bold = QFont(font)
        self.bold.setBold(True)
        self.absent = QFont(self.bold)
        self.absent.setStrikeOut(True)


_WHITE = QColor("white")
_BLACK = QColor("#000000")
_CURRENT_PEN = QPen(CURRENT_BORDER, 2)
_ABSENT_PEN = QPen(ABSENT_BORDER, 1, Qt.PenStyle.DashLine)
_FOCUS_PEN = QPen(_BLACK, 1, Qt.PenStyle.DotLine)


def paint_cell(
    painter: QPainter, rect: QRect, cell: CellPaint, fonts: TileFonts, *, focused: bool
) -> None:
    """One cell: its background, or a mark's tile; then its period bars.

    Leaves the painter's pen, brush and font changed (the caller paints many cells).
    """
    if cell.kind is CellKind.EMPTY:
        if cell.background is not None:
            painter.fillRect(rect, cell.background)
    else:
        _paint_tile(painter, rect, cell, fonts, focused)
    if cell.bar_left:
        painter.fillRect(QRect(rect.left(), rect.top(), BAR_WIDTH, rect.height()), BAR_COLOR)
    if cell.bar_right:
        painter.fillRect(
            QRect(rect.right() - BAR_WIDTH + 1, rect.top(), BAR_WIDTH, rect.height()), BAR_COLOR
        )


def _paint_tile(
    painter: QPainter, rect: QRect, cell: CellPaint, fonts: TileFonts, focused: bool
) -> None:
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    if cell.kind is CellKind.MARK:
        tile = rect.adjusted(2, 2, -2, -2 - (UNDERLINE_WIDTH + 1))
    else:
        tile = rect.adjusted(2, 2, -2, -2)
    absent = cell.level == "ABS"
    if cell.kind is CellKind.CURRENT:
        painter.setPen(_CURRENT_PEN)
    elif absent:
        painter.setPen(_ABSENT_PEN)
    else:
        painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(cell.background or _WHITE)
    painter.drawRoundedRect(tile, 3, 3)
    if focused:
        painter.setPen(_FOCUS_PEN)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(tile.adjusted(-1, -1, 1, 1), 3, 3)
    painter.setPen(cell.foreground or _BLACK)
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
            _BLACK,
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
        if kind == RowKind.TITLE:
            painter.fillRect(rect, TITLE_ROW_BACKGROUND)
            font.setBold(True)
            painter.setFont(font)
            painter.setPen(self.palette().windowText().color())
            flags = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
            painter.drawText(text_rect, int(flags) | int(Qt.TextFlag.TextWordWrap), text)
        else:
            background = BILANS_LABEL_BACKGROUND if kind == RowKind.BILANS else None
            painter.fillRect(rect, background or self.palette().base().color())
            font.setBold(kind == RowKind.BILANS)
            painter.setFont(font)
            painter.setPen(self.palette().text().color())
            static, height = self._label(text, font, text_rect.width())
            top = text_rect.top() + (text_rect.height() - height) // 2
            painter.drawStaticText(text_rect.left(), top, static)
        painter.setPen(QColor("#cfd8dc"))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        painter.drawLine(rect.topRight(), rect.bottomRight())
        painter.restore()
