"""Poll the change feed on a timer and hand the other apps' changes to the window."""

from __future__ import annotations

from PySide6.QtCore import QObject, QTimer, Signal

from livret.services.change_log import ChangeFeed

POLL_INTERVAL_MS = 300  # a colleague's change shows within a second


class LiveRefresh(QObject):
    """Reads the change feed every POLL_INTERVAL_MS on the UI thread (never blocks).

    Signals:
        changes_arrived(list[Change]): changes committed by other apps since the last poll.
    """

    changes_arrived = Signal(object)

    def __init__(self, feed: ChangeFeed, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._feed = feed
        self._timer = QTimer(self)
        self._timer.setInterval(POLL_INTERVAL_MS)
        self._timer.timeout.connect(self.poll_now)
        self._timer.start()

    def poll_now(self) -> None:
        changes = self._feed.poll()
        if changes:
            self.changes_arrived.emit(changes)

    def stop(self) -> None:
        self._timer.stop()
        self._feed.close()
