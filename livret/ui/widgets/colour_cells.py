"""A delegate for level-coloured cells: selection is drawn as an outline, not a fill."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex
from PySide6.QtGui import QPainter
from PySide6.QtWidgets import QStyle, QStyledItemDelegate, QStyleOptionViewItem


class SelectionOutlineDelegate(QStyledItemDelegate):
    """Paints every cell unselected (the highlight would hide the level colours, which
    are the point of these views), then lets a subclass outline the selected ones."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        """Override QStyledItemDelegate::paint."""
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        plain = QStyleOptionViewItem(option)
        plain.state &= ~QStyle.StateFlag.State_Selected
        super().paint(painter, plain, index)
        if selected:
            painter.save()
            self.paint_selection(painter, option, index)
            painter.restore()

    def paint_selection(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        """Draw the mark of a selected cell (the painter is saved and restored around it)."""
        raise NotImplementedError
