"""The class overview, as a teacher sees and uses it: colours, texts, double-click, Enter."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import QColor
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from livret.domain.levels import style_of
from livret.services.authentication import local_profile
from livret.services.catalog import CatalogService
from livret.services.database import Database
from livret.services.overview import ClassOverview, OverviewService
from livret.ui.class_overview import LEARNER_ID_ROLE, ClassOverviewModel, ClassOverviewView
from livret.ui.theme import current_theme


def _busiest_class(database: Database) -> int:
    """A class where drafts, final bilans and learners without any all show."""
    actor = local_profile(database)
    service = OverviewService(database, actor)
    for info in CatalogService(database, actor).list_classes():
        overview = service.class_overview(info.id)
        sources = {cell.source for row in overview.learners for cell in row.cells}
        if sources == {"draft", "final", "none"}:
            return info.id
    raise AssertionError("the demo has no class with every kind of cell")


@pytest.fixture
def view(qtbot: QtBot, demo_database: Database) -> Iterator[ClassOverviewView]:
    widget = ClassOverviewView(OverviewService(demo_database, local_profile(demo_database)))
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show_class(_busiest_class(demo_database))
    with qtbot.waitExposed(widget):
        widget.show()
    yield widget


def _overview(view: ClassOverviewView) -> ClassOverview:
    assert view.model.overview is not None
    return view.model.overview


def _find(overview: ClassOverview, source: str, *, with_results: bool) -> tuple[int, int]:
    for row, learner in enumerate(overview.learners):
        for column, cell in enumerate(learner.cells):
            if cell.source == source and (cell.current_results > 0) == with_results:
                return row, column
    raise AssertionError(f"no {source} cell")


def test_model_passes_the_model_tester(qtmodeltester: ModelTester, view: ClassOverviewView) -> None:
    qtmodeltester.check(view.model)
    empty = ClassOverviewModel()
    qtmodeltester.check(empty)
    empty.set_overview(_overview(view))
    assert empty.rowCount() == len(_overview(view).learners)


def test_cells_show_the_level_and_the_current_results(view: ClassOverviewView) -> None:
    overview = _overview(view)
    model = view.model
    assert view.title.text().startswith(f"Vue d'ensemble de la classe {overview.class_code} (")
    assert view.details.text().startswith(f"{len(overview.learners)} apprenants")
    assert model.rowCount() == len(overview.learners)
    assert model.columnCount() == 13
    assert model.headerData(1, Qt.Orientation.Horizontal) == "CC2.1"
    tooltip = model.headerData(1, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole)
    assert tooltip.startswith("Approvisionner et préparer les installations")
    first = overview.learners[0].learner
    assert model.headerData(0, Qt.Orientation.Vertical).startswith(first.display_name)

    # The style tints the cell that has the keyboard focus; check untinted cells.
    view.table.selectionModel().clearCurrentIndex()
    image = view.table.viewport().grab().toImage()
    checked: set[str] = set()
    for source in ("draft", "final", "none"):
        for with_results in (True, False):
            try:
                row, column = _find(overview, source, with_results=with_results)
            except AssertionError:
                continue  # not every combination exists in every demo class
            checked.add(source)
            cell = overview.learners[row].cells[column]
            style = style_of(cell.level)
            index = model.index(row, column)
            shown = index.data()
            assert shown == (
                f"{style.symbol} ({cell.current_results})" if with_results else style.symbol
            )
            # The level's screen tile: its hue, its text at 4.5:1 (livret.ui.theme).
            tile = current_theme().level(cell.level)
            assert index.data(Qt.ItemDataRole.BackgroundRole) == tile.fill
            assert index.data(Qt.ItemDataRole.ForegroundRole) == tile.text
            assert tile.fill.hslHue() == QColor(style.color).hslHue()
            assert index.data(LEARNER_ID_ROLE) == overview.learners[row].learner.id
            # What is painted, not only what the model says.
            corner = view.table.visualRect(index).topLeft()
            painted = image.pixelColor(corner.x() + 3, corner.y() + 3)
            assert painted.name() == tile.fill.name(), (source, row, column)

            tip = index.data(Qt.ItemDataRole.ToolTipRole)
            code = overview.common_competencies[column].code
            assert tip.startswith(f"{code} — {style.label} (")
            if source == "final":
                assert cell.bilan_date is not None
                assert f"(bilan définitif du {cell.bilan_date:%d/%m/%Y})" in tip
            elif source == "draft":
                assert cell.bilan_date is not None
                assert f"(brouillon du {cell.bilan_date:%d/%m/%Y})" in tip
            else:
                assert "(pas encore positionné)" in tip
            if cell.current_results > 1:
                assert f" — {cell.current_results} résultats depuis " in tip
            elif cell.current_results == 0:
                assert " — aucun résultat depuis " in tip

    assert checked == {"draft", "final", "none"}, checked


def test_tooltip_reads_like_a_sentence(view: ClassOverviewView) -> None:
    overview = _overview(view)
    for row, learner in enumerate(overview.learners):
        for column, cell in enumerate(learner.cells):
            if cell.source == "final" and cell.current_results > 1:
                code = overview.common_competencies[column].code
                assert cell.bilan_date is not None
                assert view.model.index(row, column).data(Qt.ItemDataRole.ToolTipRole) == (
                    f"{code} — {style_of(cell.level).label} "
                    f"(bilan définitif du {cell.bilan_date:%d/%m/%Y}) — "
                    f"{cell.current_results} résultats depuis le dernier bilan"
                )
                return
    raise AssertionError("no final cell with results")


def test_double_click_on_a_row_asks_for_that_learner(qtbot: QtBot, view: ClassOverviewView) -> None:
    overview = _overview(view)
    emitted: list[int] = []
    view.learner_activated.connect(emitted.append)
    for row, column in ((3, 5), (0, 0), (len(overview.learners) - 1, 12)):
        index = view.model.index(row, column)
        rect = view.table.visualRect(index)
        assert view.table.viewport().rect().contains(rect.center())
        with qtbot.waitSignal(view.learner_activated) as activated:
            # What a real double-click sends: a click, then the double-click.
            qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
            qtbot.mouseDClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
        assert activated.args == [overview.learners[row].learner.id]
    assert emitted == [overview.learners[row].learner.id for row in (3, 0, -1)]
    # The whole row is selected, not an editor opened.
    assert view.table.state() != view.table.State.EditingState
    selected = view.table.selectionModel().selectedIndexes()
    assert {index.row() for index in selected} == {len(overview.learners) - 1}
    assert len(selected) == 13


def test_enter_opens_the_current_learner(qtbot: QtBot, view: ClassOverviewView) -> None:
    overview = _overview(view)
    view.table.setFocus()
    view.table.setCurrentIndex(view.model.index(4, 2))
    with qtbot.waitSignal(view.learner_activated) as activated:
        qtbot.keyClick(view.table, Qt.Key.Key_Return)
    assert activated.args == [overview.learners[4].learner.id]
    qtbot.keyClick(view.table, Qt.Key.Key_Down)
    with qtbot.waitSignal(view.learner_activated) as activated:
        qtbot.keyClick(view.table, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    assert activated.args == [overview.learners[5].learner.id]


def test_a_single_click_only_selects(qtbot: QtBot, view: ClassOverviewView) -> None:
    rect = view.table.visualRect(view.model.index(2, 4))
    with qtbot.assertNotEmitted(view.learner_activated):
        qtbot.mouseClick(view.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert view.table.currentIndex().row() == 2


def test_unknown_class_clears_and_says_so(view: ClassOverviewView) -> None:
    assert not view.show_class(999_999, label="XYZ")
    assert view.model.overview is None  # the class shown before is gone
    assert view.model.rowCount() == 0
    assert view.title.text() == "Vue d'ensemble non chargée"
    assert view.load_failed
    assert view.failure.message.text() == (
        "La vue d'ensemble de la classe XYZ n'a pas pu être chargée : "
        "classe introuvable (n° 999999)."
    )


def test_table_is_accessible(view: ClassOverviewView) -> None:
    assert view.table.accessibleName()
    index: QModelIndex = view.model.index(0, 0)
    spoken = index.data(Qt.ItemDataRole.AccessibleTextRole)
    assert spoken.startswith("CC1.1 : ")
    assert "résultat" in spoken


def test_double_click_on_a_name_asks_for_that_learner(
    qtbot: QtBot, view: ClassOverviewView
) -> None:
    overview = _overview(view)
    header = view.table.verticalHeader()
    row = 6
    point = QPoint(header.width() // 2, header.sectionViewportPosition(row) + 5)
    with qtbot.waitSignal(view.learner_activated) as activated:
        qtbot.mouseDClick(header.viewport(), Qt.MouseButton.LeftButton, pos=point)
    assert activated.args == [overview.learners[row].learner.id]


def test_a_selected_row_keeps_its_colours_and_is_outlined(view: ClassOverviewView) -> None:
    view.table.selectRow(2)
    view.table.selectionModel().clearCurrentIndex()  # no focus tint on the cells checked
    index = view.model.index(2, 1)
    rect = view.table.visualRect(index)
    image = view.table.viewport().grab().toImage()
    tile = current_theme().level(_overview(view).learners[2].cells[1].level)
    # The level's fill stays inside the cell (no selection highlight)…
    assert image.pixelColor(rect.left() + 6, rect.center().y() - 6).name() == tile.fill.name()
    # …and the row is outlined top and bottom in the text colour.
    outline = view.table.palette().color(view.table.palette().ColorRole.WindowText)
    assert image.pixelColor(rect.center().x(), rect.top() + 1).name() == outline.name()
    assert image.pixelColor(rect.center().x(), rect.bottom() - 1).name() == outline.name()
    # An unselected row has no outline.
    other = view.table.visualRect(view.model.index(5, 1))
    assert image.pixelColor(other.center().x(), other.top() + 1).name() != outline.name()


def _band_marks(view: ClassOverviewView, row: int, column: int) -> int:
    """Pixels of the cell's inner border band (2 px in) not of its level's fill."""
    rect = view.table.visualRect(view.model.index(row, column))
    image = view.table.viewport().grab().toImage()
    fill = current_theme().level(_overview(view).learners[row].cells[column].level).fill.name()
    band = [(x, rect.top() + 2) for x in range(rect.left() + 2, rect.right() - 1)]
    band += [(x, rect.bottom() - 2) for x in range(rect.left() + 2, rect.right() - 1)]
    band += [(rect.left() + 2, y) for y in range(rect.top() + 2, rect.bottom() - 1)]
    band += [(rect.right() - 2, y) for y in range(rect.top() + 2, rect.bottom() - 1)]
    return sum(image.pixelColor(x, y).name() != fill for x, y in band)


def test_the_current_cell_shows_its_focus_frame(qtbot: QtBot, view: ClassOverviewView) -> None:
    with qtbot.waitActive(view):
        view.activateWindow()
    view.table.setFocus()
    qtbot.waitUntil(view.table.hasFocus)
    view.table.selectionModel().clearCurrentIndex()
    view.table.clearSelection()
    plain = _band_marks(view, 3, 2)
    view.table.selectionModel().setCurrentIndex(
        view.model.index(3, 2), view.table.selectionModel().SelectionFlag.NoUpdate
    )
    framed = _band_marks(view, 3, 2)
    assert plain == 0
    assert framed > 20  # the arrow keys show which column is current
