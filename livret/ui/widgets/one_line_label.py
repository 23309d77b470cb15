"""A one-line label whose new text never lays the window out again.

A QLabel asks for a new layout at each setText (its size hint follows its text),
and that repaints the whole window. The dashboard changes its title and summary at
every learner switch, so they are one-line labels: one line high whatever the
text, a text too long for the width ends in « … » with the full text in the
tooltip, and a new text repaints the label alone.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QPainter, QPaintEvent, QResizeEvent
from PySide6.QtWidgets import QSizePolicy, QWidget


class OneLineLabel(QWidget):
    """One line of text, elided on the right; its size does not depend on its text."""

    def __init__(self, text: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)
        self._text = ""
        self.setText(text)

    def text(self) -> str:
        return self._text

    def setText(self, text: str) -> None:
        """Show `text`: a repaint of this label only."""
        if text == self._text:
            return
        self._text = text
        self.setAccessibleName(text)
        self._update_tooltip()
        self.update()

    def sizeHint(self) -> QSize:
        """Override QWidget::sizeHint: one line of the font, whatever the text."""
        metrics = self.fontMetrics()
        margins = self.contentsMargins()
        return QSize(
            metrics.horizontalAdvance(self._text) + margins.left() + margins.right(),
            metrics.height() + margins.top() + margins.bottom(),
        )

    def minimumSizeHint(self) -> QSize:
        """Override QWidget::minimumSizeHint."""
        return QSize(0, self.sizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Override QWidget::resizeEvent."""
        super().resizeEvent(event)
        self._update_tooltip()

    def paintEvent(self, event: QPaintEvent) -> None:
        """Override QWidget::paintEvent: the text, elided to the width."""
        painter = QPainter(self)
        rect = self.contentsRect()
        shown = self.fontMetrics().elidedText(self._text, Qt.TextElideMode.ElideRight, rect.width())
        painter.setPen(self.palette().windowText().color())
        painter.drawText(
            rect, int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter), shown
        )

    def _update_tooltip(self) -> None:
        fits = self.fontMetrics().horizontalAdvance(self._text) <= self.contentsRect().width()
        self.setToolTip("" if fits else self._text)
