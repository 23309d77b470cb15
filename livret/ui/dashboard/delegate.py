"""Painting of the dashboard: marks on their level colour, underline, period bars, row labels."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QColor, QFont, QPainter, QPen
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
        """Override QStyledItemDelegate::paint."""
        cell = self._model.cell_paint(index.row(), index.column())
        rect: QRect = option.rect
        if cell.kind is CellKind.EMPTY:
            if cell.background is not None:
                painter.fillRect(rect, cell.background)
        else:
            painter.save()
            self._paint_tile(painter, option, rect, cell)
            painter.restore()
        if cell.bar_left:
            painter.fillRect(QRect(rect.left(), rect.top(), BAR_WIDTH, rect.height()), BAR_COLOR)
        if cell.bar_right:
            painter.fillRect(
                QRect(rect.right() - BAR_WIDTH + 1, rect.top(), BAR_WIDTH, rect.height()), BAR_COLOR
            )

    def _paint_tile(
        self, painter: QPainter, option: QStyleOptionViewItem, rect: QRect, cell: CellPaint
    ) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        if cell.kind is CellKind.MARK:
            tile = rect.adjusted(2, 2, -2, -2 - (UNDERLINE_WIDTH + 1))
        else:
            tile = rect.adjusted(2, 2, -2, -2)
        absent = cell.level == "ABS"
        if cell.kind is CellKind.CURRENT:
            painter.setPen(QPen(CURRENT_BORDER, 2))
        elif absent:
            painter.setPen(QPen(ABSENT_BORDER, 1, Qt.PenStyle.DashLine))
        else:
            painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(cell.background or QColor("white"))
        painter.drawRoundedRect(tile, 3, 3)
        state = option.state
        if state & QStyle.StateFlag.State_HasFocus or state & QStyle.StateFlag.State_Selected:
            painter.setPen(QPen(QColor("#000000"), 1, Qt.PenStyle.DotLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(tile.adjusted(-1, -1, 1, 1), 3, 3)
        painter.setPen(cell.foreground or QColor("black"))
        font = QFont(option.font)
        font.setBold(True)
        font.setStrikeOut(absent)
        painter.setFont(font)
        painter.drawText(tile, Qt.AlignmentFlag.AlignCenter, cell.text)
        if cell.underline:
            painter.fillRect(
                QRect(
                    rect.left() + 1,
                    rect.bottom() - UNDERLINE_WIDTH - 1,
                    rect.width() - 2,
                    UNDERLINE_WIDTH,
                ),
                QColor("#000000"),
            )


class RowHeader(QHeaderView):
    """The row labels: CC titles in bold (wrapped), criteria elided, the blue bilans label."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(Qt.Orientation.Vertical, parent)
        self.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)

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
            elided = painter.fontMetrics().elidedText(
                text, Qt.TextElideMode.ElideRight, text_rect.width()
            )
            painter.drawText(
                text_rect, Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter, elided
            )
        painter.setPen(QColor("#cfd8dc"))
        painter.drawLine(rect.bottomLeft(), rect.bottomRight())
        painter.drawLine(rect.topRight(), rect.bottomRight())
        painter.restore()
