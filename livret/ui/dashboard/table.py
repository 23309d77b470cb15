"""The dashboard's table view: paints the cells it shows in one pass.

QTableView paints cell by cell through the delegate, a C++ → Python call per cell
shown even when the cell is blank (most are, in the expanded view). This view
paints its visible rows itself: a title row is one fill, a criterion row only its
marks and period bars, a bilans row its background and positionings. Selection,
keyboard, clicks, spans and scrolling stay QTableView's own.
"""

from __future__ import annotations

from PySide6.QtCore import QRect
from PySide6.QtGui import QPainter, QPaintEvent
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem, QTableView, QWidget

from livret.ui.dashboard.delegate import TileFonts, TilePens, paint_cell
from livret.ui.dashboard.model import CellKind, DashboardModel, RowKind
from livret.ui.theme import current_theme


class DashboardTable(QTableView):
    """A QTableView over a DashboardModel that paints its visible cells in one pass."""

    def __init__(self, model: DashboardModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._model = model
        self.setModel(model)

    def paintEvent(self, event: QPaintEvent) -> None:
        """Override QTableView::paintEvent."""
        model = self._model
        rows, columns = model.rowCount(), model.columnCount()
        viewport = self.viewport()
        painter = QPainter(viewport)
        area = event.rect()
        base = self.palette().base()
        painter.fillRect(area, base)
        if not rows or not columns:
            return
        vertical, horizontal = self.verticalHeader(), self.horizontalHeader()
        first_row = max(0, vertical.visualIndexAt(area.top()))
        last_row = vertical.visualIndexAt(area.bottom())
        last_row = rows - 1 if last_row < 0 else last_row
        first_column = max(0, horizontal.visualIndexAt(area.left()))
        last_column = horizontal.visualIndexAt(area.right())
        last_column = columns - 1 if last_column < 0 else last_column
        shown = [
            (column, horizontal.sectionViewportPosition(column), horizontal.sectionSize(column))
            for column in range(first_column, last_column + 1)
        ]
        left = shown[0][1]
        width = shown[-1][1] + shown[-1][2] - left
        fonts = TileFonts(self.font())
        pens = TilePens.of(current_theme())  # one theme for the whole pass
        selected, focused_cells = self._marked_cells()
        for row in range(first_row, last_row + 1):
            top, height = vertical.sectionViewportPosition(row), vertical.sectionSize(row)
            kind = model.row_kind(row)
            if kind is RowKind.TITLE:  # one cell spanning the row
                painter.fillRect(QRect(left, top, width, height), pens.theme.title_row)
                continue
            if kind is RowKind.BILANS:
                painter.fillRect(QRect(left, top, width, height), pens.theme.bilans_row)
            to_paint = model.columns_to_paint(row)
            for column, x, column_width in shown:
                if to_paint is not None and column not in to_paint:
                    if (row, column) in selected:
                        self._paint_selection(painter, QRect(x, top, column_width, height))
                    continue
                cell = model.cell_paint(row, column)
                rect = QRect(x, top, column_width, height)
                if kind is RowKind.BILANS:
                    if cell.kind is CellKind.EMPTY:
                        continue  # the row's fill covers it (and its selection, as before)
                    painter.fillRect(rect, base)  # a positioning's tile sits on white
                if (row, column) in selected:
                    self._paint_selection(painter, rect)
                focused = (row, column) in focused_cells
                paint_cell(painter, rect, cell, fonts, pens, focused=focused)

    def _marked_cells(self) -> tuple[set[tuple[int, int]], set[tuple[int, int]]]:
        """The selected cells; and those with a focus frame (also the current one when the
        view has the focus), as the delegate's State_Selected and State_HasFocus."""
        selected: set[tuple[int, int]] = set()
        selection = self.selectionModel()
        if selection is not None:
            selected = {(index.row(), index.column()) for index in selection.selectedIndexes()}
        focused = set(selected)
        current = self.currentIndex()
        if current.isValid() and self.hasFocus():
            focused.add((current.row(), current.column()))
        return selected, focused

    def _paint_selection(self, painter: QPainter, rect: QRect) -> None:
        """The style's selected-item panel, as QTableView draws it under a selected cell."""
        option = QStyleOptionViewItem()
        self.initViewItemOption(option)
        option.rect = rect
        option.state |= QStyle.StateFlag.State_Selected
        self.style().drawPrimitive(
            QStyle.PrimitiveElement.PE_PanelItemViewRow, option, painter, self
        )
