"""Painting of the dashboard: marks on their level colour, underline, period bars, row labels."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt
from PySide6.QtGui import QBrush, QColor, QFont, QPainter, QPen
from PySide6.QtWidgets import (
    QHeaderView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from livret.ui.dashboard.model import (
    BAR_LEFT_ROLE,
    BAR_RIGHT_ROLE,
    CELL_KIND_ROLE,
    LEVEL_ROLE,
    ROW_KIND_ROLE,
    TITLE_ROW_BACKGROUND,
    UNDERLINE_ROLE,
    CellKind,
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
    cell has a dark blue frame, as it can be clicked.
    """

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        """Override QStyledItemDelegate::paint."""
        rect: QRect = option.rect
        kind = CellKind(index.data(CELL_KIND_ROLE) or 0)
        painter.save()
        background = index.data(Qt.ItemDataRole.BackgroundRole)
        if kind is CellKind.EMPTY:
            if isinstance(background, QBrush):
                painter.fillRect(rect, background)
        else:
            self._paint_tile(painter, option, index, rect, kind)
        if index.data(BAR_LEFT_ROLE):
            painter.fillRect(QRect(rect.left(), rect.top(), BAR_WIDTH, rect.height()), BAR_COLOR)
        if index.data(BAR_RIGHT_ROLE):
            painter.fillRect(
                QRect(rect.right() - BAR_WIDTH + 1, rect.top(), BAR_WIDTH, rect.height()), BAR_COLOR
            )
        painter.restore()

    def _paint_tile(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
        rect: QRect,
        kind: CellKind,
    ) -> None:
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        tile = rect.adjusted(2, 2, -2, -2 - (UNDERLINE_WIDTH + 1))
        if kind is not CellKind.MARK:
            tile = rect.adjusted(2, 2, -2, -2)
        brush = index.data(Qt.ItemDataRole.BackgroundRole)
        absent = index.data(LEVEL_ROLE) == "ABS"
        pen = QPen(Qt.PenStyle.NoPen)
        if kind is CellKind.CURRENT:
            pen = QPen(CURRENT_BORDER, 2)
        elif absent:
            pen = QPen(ABSENT_BORDER, 1, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(brush if isinstance(brush, QBrush) else QBrush())
        painter.drawRoundedRect(tile, 3, 3)
        state = option.state
        if state & QStyle.StateFlag.State_HasFocus or state & QStyle.StateFlag.State_Selected:
            painter.setPen(QPen(QColor("#000000"), 1, Qt.PenStyle.DotLine))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(tile.adjusted(-1, -1, 1, 1), 3, 3)
        foreground = index.data(Qt.ItemDataRole.ForegroundRole)
        painter.setPen(foreground.color() if isinstance(foreground, QBrush) else QColor("black"))
        font = QFont(option.font)
        font.setBold(True)
        font.setStrikeOut(absent)
        painter.setFont(font)
        painter.drawText(tile, Qt.AlignmentFlag.AlignCenter, str(index.data() or ""))
        if kind is CellKind.MARK and index.data(UNDERLINE_ROLE):
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
