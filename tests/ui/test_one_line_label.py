"""The dashboard's one-line labels: a new text never lays the window out again."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject
from PySide6.QtWidgets import QApplication, QVBoxLayout, QWidget
from pytestqt.qtbot import QtBot

from livret.ui.widgets.one_line_label import OneLineLabel


class _Layouts(QObject):
    def __init__(self) -> None:
        super().__init__()
        self.requests = 0

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.LayoutRequest:
            self.requests += 1
        return False


def _deliver_posted_events() -> None:
    for _ in range(3):
        QApplication.sendPostedEvents()
        QApplication.processEvents()


def test_a_long_text_is_elided_with_the_whole_text_in_the_tooltip(qtbot: QtBot) -> None:
    window = QWidget()
    label = OneLineLabel("court")
    QVBoxLayout(window).addWidget(label)
    qtbot.addWidget(window)
    window.resize(200, 60)
    window.show()
    qtbot.waitExposed(window)
    assert label.text() == "court"
    assert label.toolTip() == ""
    long_text = "1re PLP 1 (2026-2027) · INE 1979346392Y · 182 évaluations · 2 bilans"
    label.setText(long_text)
    assert label.text() == long_text
    assert label.toolTip() == long_text
    assert label.accessibleName() == long_text
    window.resize(1200, 60)
    qtbot.waitUntil(lambda: label.width() > 1000)
    assert label.toolTip() == ""  # it fits now


def test_a_new_text_asks_for_no_new_layout(qtbot: QtBot) -> None:
    window = QWidget()
    label = OneLineLabel("ANDRÉ Kylian")
    QVBoxLayout(window).addWidget(label)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    _deliver_posted_events()  # the first layout is done
    height = label.height()
    layouts = _Layouts()
    window.installEventFilter(layouts)
    label.setText("GAILLARD Pierre-Louis, un nom bien plus long que le premier")
    _deliver_posted_events()  # a layout request would be delivered now
    assert layouts.requests == 0
    assert label.height() == height
