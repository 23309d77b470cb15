"""The start-up floor: a Python process that imports PySide6 and paints an empty window.

Same size as Livret's main window (1200 × 800), painted through the event loop (the
first Paint event of the window, then one turn of the loop), then one JSON line as the
app's LIVRET_BENCH_STARTUP hook prints it: {"painted_s": …, "rss_mb": …}.
"""

import time

STARTED = time.perf_counter()

import json  # noqa: E402
import sys  # noqa: E402

from PySide6.QtCore import QEvent, QObject, QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QMainWindow  # noqa: E402


class _PaintProbe(QObject):
    def __init__(self, window: QMainWindow, app: QApplication) -> None:
        super().__init__(window)
        self._window = window
        self._app = app

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Override QObject::eventFilter: the window's first paint ends the run."""
        if watched is self._window and event.type() == QEvent.Type.Paint:
            self._window.removeEventFilter(self)
            QTimer.singleShot(0, self._report)
        return False

    def _report(self) -> None:
        painted_s = time.perf_counter() - STARTED
        import psutil

        rss_mb = psutil.Process().memory_info().rss / 2**20
        print(
            json.dumps({"painted_s": round(painted_s, 4), "rss_mb": round(rss_mb, 1)}), flush=True
        )
        self._app.quit()


def main() -> int:
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle("Livret")
    window.resize(1200, 800)
    window.installEventFilter(_PaintProbe(window, app))
    window.show()
    return app.exec()


if __name__ == "__main__":
    raise SystemExit(main())
