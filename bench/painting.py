"""What the UI benchmarks share to prove a paint happened in the event loop."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject


class PaintCounter(QObject):
    """Counts the paint events of the widgets it is installed on."""

    def __init__(self) -> None:
        super().__init__()
        self.paints = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Override QObject::eventFilter."""
        if event.type() == QEvent.Type.Paint:
            self.paints += 1
        return False
