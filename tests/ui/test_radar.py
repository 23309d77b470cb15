"""The radar of the two last bilans: axes, values as drawn, live updates, fixed scale, pixels."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QColor, QImage, QWheelEvent
from PySide6.QtWidgets import QApplication, QGraphicsView
from pytestqt.qtbot import QtBot

from livret.ui.theme import current_theme
from livret.ui.widgets.radar import NE_NOTE, RadarChart, RadarText

CODES = [
    "CC1.1",
    "CC2.1",
    "CC2.2",
    "CC2.3",
    "CC2.4",
    "CC3.1",
    "CC3.2",
    "CC3.3",
    "CC4.1",
    "CC4.2",
    "CC5.1",
    "CC6.1",
    "CC6.2",
]
TITLES = [f"Intitulé de {code}" for code in CODES]
PREVIOUS = ["2", "2", "1", "3", "2", "NE", "2", "1", "2", "3", "2", "2", "1"]
CURRENT = ["3", "4", "2", "3", "NE", "2", "3", "2", "3", "4", "3", "2", "2"]
GRID_ITEMS = 1 + 4 + 13  # spokes and rings, ring symbols, axis labels
SERIES_ITEMS = 2 * 2  # per bilan: the polygon with its markers, the NE markers


@pytest.fixture
def radar(qtbot: QtBot) -> RadarChart:
    chart = RadarChart()
    qtbot.addWidget(chart)
    chart.set_axes(CODES, TITLES)
    chart.resize(480, 520)
    chart.show()
    qtbot.waitExposed(chart)
    return chart


def _axis_labels(chart: RadarChart) -> dict[str, QPointF]:
    """The axis labels' texts and anchor points, in level units."""
    labels = {}
    for item in chart.plot_items():
        if isinstance(item, RadarText) and item.text() in CODES:
            labels[item.text()] = item.pos()
    return labels


def test_one_axis_per_competency_from_the_top_clockwise(radar: RadarChart) -> None:
    assert radar.axis_codes() == CODES
    labels = _axis_labels(radar)
    assert sorted(labels) == sorted(CODES)
    first, second, last = labels["CC1.1"], labels["CC2.1"], labels["CC6.2"]
    assert abs(first.x()) < 1e-9 and first.y() > 4  # straight up, beyond the ++ ring
    assert second.x() > 0 and second.y() > 0  # the next one clockwise, to the right
    assert last.x() < 0 and last.y() > 0  # the last one just left of the top
    assert radar.accessibleName() == "Radar des deux derniers bilans"


def test_titles_are_the_labels_tooltips(radar: RadarChart) -> None:
    tooltips = {
        item.text(): item.toolTip() for item in radar.plot_items() if isinstance(item, RadarText)
    }
    assert tooltips["CC2.2"] == "CC2.2 — Intitulé de CC2.2"


def test_values_as_drawn_with_ne_at_the_centre(radar: RadarChart) -> None:
    radar.set_series(PREVIOUS, "Précédent — 20/03/2026", CURRENT, "Actuel — 27/11/2026")

    values = radar.series_values()
    assert values["previous"] == [2, 2, 1, 3, 2, 0, 2, 1, 2, 3, 2, 2, 1]
    assert values["current"] == [3, 4, 2, 3, 0, 2, 3, 2, 3, 4, 3, 2, 2]
    assert radar.legend_labels() == [
        "Précédent — 20/03/2026 (NE : CC3.1)",
        "Actuel — 27/11/2026 (NE : CC2.4)",
    ]
    assert radar.note_text() == NE_NOTE


def test_accessible_summary_in_french(radar: RadarChart) -> None:
    radar.set_series(PREVIOUS, "Précédent", CURRENT, "Actuel")

    summary = radar.accessible_summary()
    assert summary.startswith("CC1.1 : précédent -, actuel + ; CC2.1 : précédent -, actuel ++ ;")
    assert "CC2.4 : précédent -, actuel NE" in summary
    assert radar.accessibleDescription() == summary


def test_updates_replace_the_data_without_adding_items(radar: RadarChart) -> None:
    assert len(radar.plot_items()) == GRID_ITEMS + SERIES_ITEMS

    radar.set_series(PREVIOUS, "Précédent", CURRENT, "Actuel")
    radar.set_series(CURRENT, "Précédent", ["4"] * 13, "Actuel")
    radar.set_series(None, None, ["1"] * 13, "Actuel")
    radar.set_series(PREVIOUS, "Précédent", ["3"] * 13, "Actuel")

    assert len(radar.plot_items()) == GRID_ITEMS + SERIES_ITEMS
    assert len(radar.legend_labels()) == 2
    assert radar.series_values()["current"] == [3] * 13
    assert radar.note_text() == NE_NOTE  # the previous bilan still has an NE


def test_without_previous_bilan_only_the_current_one_shows(radar: RadarChart) -> None:
    radar.set_series(PREVIOUS, "Précédent", CURRENT, "Actuel")
    radar.set_series(None, None, ["2"] * 13, "Actuel — 27/11/2026")

    assert radar.legend_labels() == ["Actuel — 27/11/2026"]
    assert radar.series_values() == {"previous": [], "current": [2] * 13}
    assert radar.note_text() == ""
    assert radar.accessible_summary().startswith("CC1.1 : actuel - ; CC2.1 : actuel -")


def test_scale_is_fixed_whatever_the_data(radar: RadarChart, qtbot: QtBot) -> None:
    before = radar.view_range()
    (x0, x1), (y0, y1) = before
    assert x0 < -4 and x1 > 4 and y0 < -4 and y1 > 4  # the ++ ring always fits
    assert x1 - x0 < 14 and y1 - y0 < 14  # with room for labels only

    radar.set_series(None, None, ["1"] * 13, "Actuel")
    qtbot.wait(10)
    assert radar.view_range() == before

    view = radar.findChild(QGraphicsView)
    assert view is not None and not view.isInteractive()
    centre = QPointF(view.width() / 2, view.height() / 2)
    wheel = QWheelEvent(
        centre,
        view.mapToGlobal(centre),
        QPoint(0, 0),
        QPoint(0, 480),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(view.viewport(), wheel)
    qtbot.mouseClick(view.viewport(), Qt.MouseButton.RightButton, pos=centre.toPoint())
    assert radar.view_range() == before


def test_rejects_levels_that_do_not_fit(radar: RadarChart) -> None:
    with pytest.raises(ValueError, match="12 niveaux pour 13"):
        radar.set_series(None, None, ["1"] * 12, "Actuel")
    with pytest.raises(ValueError, match="ABS"):
        radar.set_series(None, None, ["ABS"] * 13, "Actuel")


def _has_colour(image: QImage, colour: QColor, tolerance: int = 10) -> bool:
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    width, height, stride = rgb.width(), rgb.height(), rgb.bytesPerLine()
    rows = np.frombuffer(rgb.constBits(), dtype=np.uint8).reshape(height, stride)
    pixels = rows[:, : width * 3].reshape(height, width, 3).astype(int)
    target = np.array([colour.red(), colour.green(), colour.blue()])
    return bool((np.abs(pixels - target).max(axis=2) <= tolerance).any())


def test_grabs_to_an_image_in_the_current_colour(radar: RadarChart) -> None:
    current_colour = current_theme().chart_current
    image = radar.grab().toImage()
    assert not image.isNull() and image.width() >= 420 and image.height() >= 420
    assert not _has_colour(image, current_colour)  # no series yet

    radar.set_series(PREVIOUS, "Précédent", CURRENT, "Actuel")
    image = radar.grab().toImage()

    assert _has_colour(image, current_colour)
    assert image.pixelColor(2, 2) == current_theme().chart_background


def test_every_radar_is_laid_out_alike(radar: RadarChart, qtbot: QtBot) -> None:
    """The legend row's height is measured once: a second radar draws at the same scale."""
    radar.set_series(PREVIOUS, "Précédent — 20/03/2026", CURRENT, "Actuel — 27/11/2026")
    other = RadarChart()
    qtbot.addWidget(other)
    other.set_axes(CODES, TITLES)
    other.set_series(PREVIOUS, "Précédent — 20/03/2026", CURRENT, "Actuel — 27/11/2026")
    other.resize(radar.size())
    other.show()
    qtbot.waitExposed(other)
    qtbot.wait(10)  # the layout's posted requests

    assert other.view_range() == radar.view_range()
    assert _axis_labels(other) == _axis_labels(radar)


def test_legend_follows_the_series_in_place(radar: RadarChart) -> None:
    radar.set_series(PREVIOUS, "Précédent — 20/03/2026", CURRENT, "Actuel — 27/11/2026")
    radar.set_series(PREVIOUS, "Précédent — 20/03/2026", ["3"] * 13, "Actuel — 28/11/2026")

    assert radar.legend_labels() == [
        "Précédent — 20/03/2026 (NE : CC3.1)",
        "Actuel — 28/11/2026",
    ]


def test_the_same_axes_again_keep_the_grid_and_clear_the_series(radar: RadarChart) -> None:
    radar.set_series(PREVIOUS, "Précédent", CURRENT, "Actuel")
    grid = [item for item in radar.plot_items() if isinstance(item, RadarText)]

    radar.set_axes(CODES, TITLES)

    assert [item for item in radar.plot_items() if isinstance(item, RadarText)] == grid
    assert radar.series_values() == {"previous": [], "current": []}
    assert radar.legend_labels() == []

    radar.set_axes(CODES[:5], TITLES[:5])
    assert radar.axis_codes() == CODES[:5]
    assert len(radar.plot_items()) == 1 + 4 + 5 + SERIES_ITEMS
