"""The expanded view with 200 evaluations, in the main window at its default size."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from PySide6.QtGui import QFont, QFontMetrics
from PySide6.QtWidgets import QApplication, QStyle
from pytestqt.qtbot import QtBot

from livret.domain.school_years import school_year_label, school_year_of
from livret.services.authentication import local_profile
from livret.services.container import build_services
from livret.services.database import Database
from livret.ui.dashboard.model import BAR_LEFT_ROLE, CELL_KIND_ROLE, CellKind, RowKind
from livret.ui.dashboard.view import DashboardView
from livret.ui.main_window import MainWindow
from tests.ui.long_history import History, build_long_history


@pytest.fixture
def history(database: Database) -> History:
    return build_long_history(database, build_services(database, local_profile(database)))


@pytest.fixture
def window(
    qtbot: QtBot, database: Database, history: History, tmp_path: Path
) -> Iterator[MainWindow]:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    main = MainWindow(
        build_services(database, local_profile(database)), database_name="t", settings=settings
    )
    qtbot.addWidget(main)
    main.show()  # at the size the app opens at
    qtbot.waitExposed(main)
    yield main
    main.close()


def show(window: MainWindow, learner_id: int, class_id: int) -> DashboardView:
    assert window.selector.select_class(class_id)
    assert window.selector.select_learner(learner_id)
    QApplication.processEvents()
    view = window.dashboard
    assert view.shown_learner_id() == learner_id
    return view


def visible_columns(view: DashboardView) -> list[int]:
    """The columns wholly inside the table's viewport."""
    table, width = view.table, view.table.viewport().width()
    return [
        column
        for column in range(view.model.columnCount())
        if table.columnViewportPosition(column) >= 0
        and table.columnViewportPosition(column) + table.columnWidth(column) <= width
    ]


def choose(qtbot: QtBot, view: DashboardView, label: str) -> None:
    """Pick an entry of the columns' choice with the keyboard, as a teacher would."""
    combo = view.scope_combo
    labels = [combo.itemText(i) for i in range(combo.count())]
    assert label in labels, labels
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(labels.index(label)):
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentText() == label
    QApplication.processEvents()


def shown_evaluation_dates(view: DashboardView) -> list[dt.date]:
    dashboard = view.model.dashboard
    assert dashboard is not None
    columns = view.model.current_column_index()
    assert columns is not None
    evaluation_at = view.model._column_evaluation
    found = [evaluation_at(c) for c in range(columns)]
    return [e.date for e in found if e is not None]


def test_two_hundred_evaluations_open_on_the_current_period_with_actuel_readable(
    window: MainWindow, history: History
) -> None:
    assert (window.width(), window.height()) == (1200, 800)  # MainWindow's default
    view = show(window, history.learner_id, history.class_id)
    model = view.model
    assert view.scope_combo.currentText() == "Tout"  # the default: nothing hidden
    assert model.columnCount() == 201  # 200 evaluations and « Actuel »
    first, actual = model.first_current_period_column(), model.current_column_index()
    assert (first, actual) == (195, 200)  # five evaluations since the last final bilan
    shown = visible_columns(view)
    assert set(range(first, actual + 1)) <= set(shown)  # the whole current period, « Actuel »
    # …and the end of the period before it, the thick bar between them.
    assert min(shown) < first
    rows = [r for r in range(model.rowCount()) if model.row_kind(r) is RowKind.CRITERION]
    assert all(model.index(r, first).data(BAR_LEFT_ROLE) for r in rows)
    # « Actuel » readable: its header is as wide as its text in bold (the current
    # column's header is bold), with the style's margins, inside the header.
    header = view.table.horizontalHeader()
    bold = QFont(header.font())
    bold.setBold(True)
    margins = 2 * header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
    assert header.sectionSize(actual) >= QFontMetrics(bold).horizontalAdvance("Actuel") + margins
    assert header.sectionViewportPosition(actual) + header.sectionSize(actual) <= header.width()
    for column in sorted(set(shown) - {actual}):  # and every code of the line, over its day
        code, day = str(model.headerData(column, Qt.Orientation.Horizontal)).split("\n")
        evaluation = model._column_evaluation(column)
        assert evaluation is not None
        assert (code, day) == (evaluation.short_code, evaluation.date.strftime("%d/%m"))
        for line in (code, day):
            advance = QFontMetrics(bold).horizontalAdvance(line)
            assert header.sectionSize(column) >= advance + margins
    # The labels leave the columns more than half of the table at this size.
    assert view.table.viewport().width() > view.row_header.width()


def test_one_period_one_year_or_everything_kept_for_the_next_learner(
    qtbot: QtBot, window: MainWindow, history: History
) -> None:
    view = show(window, history.learner_id, history.class_id)
    model = view.model
    first_bilan, last_bilan = (d.strftime("%d/%m/%Y") for d in history.bilan_dates)
    first_day = history.evaluation_dates[0].strftime("%d/%m/%Y")
    labels = [view.scope_combo.itemText(i) for i in range(view.scope_combo.count())]
    years = sorted({school_year_of(d) for d in history.evaluation_dates}, reverse=True)
    assert labels == [
        "Période en cours",
        f"Période 2 (du {first_bilan} au {last_bilan})",
        f"Période 1 (du {first_day} au {first_bilan})",
        *(f"Année {school_year_label(year)}" for year in years),
        "Tout",
    ]

    choose(qtbot, view, "Période en cours")
    assert model.columnCount() == 5 + 1
    assert shown_evaluation_dates(view) == [
        d for d in history.evaluation_dates if d > last_bilan_day(history)
    ]
    assert visible_columns(view) == list(range(6))  # it fits: nothing scrolled away
    # No bar at the left edge: a bar separates two periods shown.
    assert not any(model.index(r, 0).data(BAR_LEFT_ROLE) for r in rows_of(view))

    choose(qtbot, view, f"Période 1 (du {first_day} au {first_bilan})")
    period_1 = [d for d in history.evaluation_dates if d <= history.bilan_dates[0]]
    assert shown_evaluation_dates(view) == period_1
    assert model.columnCount() == len(period_1) + 1
    # Its bilan's positioning sits under its last evaluation; no other bilan shows.
    bilans = [r for r in range(model.rowCount()) if model.row_kind(r) is RowKind.BILANS]
    previous = [
        c
        for c in range(model.columnCount())
        if model.index(bilans[0], c).data(CELL_KIND_ROLE) == CellKind.PREVIOUS
    ]
    assert previous == [len(period_1) - 1]

    year = school_year_label(years[0])
    choose(qtbot, view, f"Année {year}")
    this_year = [d for d in history.evaluation_dates if school_year_of(d) == years[0]]
    assert shown_evaluation_dates(view) == this_year

    choose(qtbot, view, "Période en cours")
    # Another learner: still the current period (theirs: they have no final bilan).
    show(window, history.other_learner_id, history.class_id)
    assert view.scope_combo.currentText() == "Période en cours"
    assert model.columnCount() == 8 + 1
    assert visible_columns(view) == list(range(9))  # few evaluations: all of them in view
    show(window, history.learner_id, history.class_id)
    assert view.scope_combo.currentText() == "Période en cours"
    assert model.columnCount() == 6

    choose(qtbot, view, "Tout")
    assert model.columnCount() == 201
    view.set_condensed(True)  # ⇒⇐ still packs every mark to the left
    assert model.current_column_index() is None
    assert view.table.horizontalScrollBar().value() == 0
    assert model.index(rows_of(view)[0], 0).data(CELL_KIND_ROLE) == CellKind.MARK


def last_bilan_day(history: History) -> dt.date:
    return history.bilan_dates[1]


def rows_of(view: DashboardView) -> list[int]:
    model = view.model
    return [r for r in range(model.rowCount()) if model.row_kind(r) is RowKind.CRITERION]


def test_the_criterion_column_and_the_codes_line_stay_while_scrolling(
    window: MainWindow, history: History
) -> None:
    view = show(window, history.learner_id, history.class_id)
    table, labels, codes = view.table, view.row_header, view.table.horizontalHeader()
    frame = table.frameWidth()
    horizontal, vertical = table.horizontalScrollBar(), table.verticalScrollBar()
    assert horizontal.maximum() > 0 and vertical.maximum() > 0
    for x, y in (
        (0, 0),
        (horizontal.maximum() // 2, vertical.maximum() // 2),
        (0, vertical.maximum()),
    ):
        horizontal.setValue(x)
        vertical.setValue(y)
        QApplication.processEvents()
        # The labels stay at the table's left edge, the codes at its top, the cells beside.
        assert labels.isVisible() and labels.geometry().x() == frame
        assert codes.isVisible() and codes.geometry().y() == frame
        assert table.viewport().geometry().x() == frame + labels.width()
        assert table.viewport().geometry().y() == frame + codes.height()
        # …and they scroll with the cells: the label beside a row is that row's, the code
        # above a column that column's.
        assert labels.logicalIndexAt(1) == table.rowAt(1)
        assert codes.logicalIndexAt(1) == table.columnAt(1)
        assert labels.sectionViewportPosition(table.rowAt(1)) == table.rowViewportPosition(
            table.rowAt(1)
        )
