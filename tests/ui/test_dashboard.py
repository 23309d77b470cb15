"""The learner dashboard driven as a teacher would, on a real demo database."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QPoint, QSettings, Qt
from PySide6.QtGui import QHelpEvent
from PySide6.QtWidgets import QApplication, QToolTip
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from livret.domain.levels import style_of
from livret.services.authentication import local_profile
from livret.services.container import build_services
from livret.services.database import Database
from livret.services.dto import LearnerDashboard
from livret.ui.dashboard.model import (
    BAR_LEFT_ROLE,
    BAR_RIGHT_ROLE,
    CELL_KIND_ROLE,
    EVALUATION_INDEX_ROLE,
    LEVEL_ROLE,
    UNDERLINE_ROLE,
    CellKind,
    DashboardModel,
    RowKind,
)
from livret.ui.dashboard.view import DashboardView
from tests.demo_queries import learner_with


@pytest.fixture
def view(qtbot: QtBot, demo_database: Database, tmp_path: Path) -> Iterator[DashboardView]:
    services = build_services(demo_database, local_profile(demo_database))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    widget = DashboardView(
        services.dashboards, services.bilans, services.catalog.list_specialties(), settings
    )
    qtbot.addWidget(widget)
    widget.resize(1400, 900)
    widget.show()
    yield widget
    if widget.detail_window is not None:
        widget.detail_window.close()


def shown(view: DashboardView) -> LearnerDashboard:
    assert view.model.dashboard is not None
    return view.model.dashboard


def first_mark(model: DashboardModel) -> tuple[int, int]:
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            if model.index(row, column).data(CELL_KIND_ROLE) == CellKind.MARK:
                return row, column
    raise AssertionError("no mark shown")


def test_model_passes_qtmodeltester(
    view: DashboardView, demo_database: Database, qtmodeltester: ModelTester
) -> None:
    view.show_learner(learner_with(demo_database, 2, True))
    qtmodeltester.check(view.model)
    view.set_condensed(True)
    qtmodeltester.check(view.model)


def test_sections_titles_and_rows(view: DashboardView, demo_database: Database) -> None:
    view.show_learner(learner_with(demo_database, 2, True))
    model = view.model
    titles = [model.headerData(r, Qt.Orientation.Vertical) for r in model.title_rows()]
    assert len(titles) == 13
    assert titles[1].startswith("CC2.1 - Approvisionner et préparer")
    dashboard = shown(view)
    criterion_rows = [r for r in range(model.rowCount()) if model.row_kind(r) is RowKind.CRITERION]
    assert len(criterion_rows) == sum(len(s.rows) for s in dashboard.sections)
    label = model.headerData(criterion_rows[0], Qt.Orientation.Vertical)
    assert label.startswith("[PLP] CP")
    tooltip = model.headerData(
        criterion_rows[0], Qt.Orientation.Vertical, Qt.ItemDataRole.ToolTipRole
    )
    assert tooltip.startswith(label)
    bilans_label = model.headerData(model.title_rows()[1] - 1, Qt.Orientation.Vertical)
    assert bilans_label == "Bilans intermédiaires de la compétence :"


def test_clicking_a_mark_opens_the_evaluation_detail(
    view: DashboardView, demo_database: Database, qtbot: QtBot
) -> None:
    view.show_learner(learner_with(demo_database, 1, False))
    row, column = first_mark(view.model)
    index = view.model.index(row, column)
    view.table.scrollTo(index)
    qtbot.mouseClick(
        view.table.viewport(), Qt.MouseButton.LeftButton, pos=view.table.visualRect(index).center()
    )
    window = view.detail_window
    assert window is not None and window.isVisible()
    assert not window.isModal()
    evaluation = shown(view).evaluations[int(index.data(EVALUATION_INDEX_ROLE))]
    assert evaluation.title in window.header.text()
    assert evaluation.date.strftime("%d/%m/%Y") in window.header.text()
    expected = [
        (section.common_competency.heading, row.criterion.label, result.level, result.comment or "")
        for section in shown(view).sections
        for row in section.rows
        for result in row.results
        if shown(view).evaluations[result.evaluation_index].id == evaluation.id
    ]
    lines = window.result_lines()
    assert [(h, c, com) for h, c, _lvl, com in lines] == [(h, c, com) for h, c, _l, com in expected]
    assert [lvl for *_, lvl, _ in lines] == [
        f"{style_of(level).symbol}  {style_of(level).label}" for *_, level, _ in expected
    ]
    screen_top = window.screen().availableGeometry().top()
    assert window.geometry().top() - screen_top < 60  # at the top of the screen
    assert view.isEnabled()  # the main window is not blocked


def test_hovering_the_line_of_codes_shows_the_evaluation(
    view: DashboardView, demo_database: Database, qtbot: QtBot
) -> None:
    view.show_learner(learner_with(demo_database, 1, False))
    header = view.table.horizontalHeader()
    evaluation = shown(view).evaluations[view.model._layout.evaluation_columns[0]]
    position = QPoint(header.sectionViewportPosition(0) + 5, header.height() // 2)
    event = QHelpEvent(QEvent.Type.ToolTip, position, header.viewport().mapToGlobal(position))
    QApplication.sendEvent(header.viewport(), event)
    qtbot.waitUntil(QToolTip.isVisible)
    tip = QToolTip.text()
    assert tip.startswith(f"{evaluation.short_code} — {evaluation.title}")
    assert evaluation.date.strftime("%d/%m/%Y") in tip
    assert ("Formative" if evaluation.nature == "F" else "Entreprise") in tip
    assert evaluation.author and f"Évaluateur : {evaluation.author}" in tip
    company = next(e for e in shown(view).evaluations if e.nature == "E")
    column = view.model._layout.column_of[shown(view).evaluations.index(company)]
    company_tip = view.model.headerData(
        column, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole
    )
    assert f"Entreprise : {company.company}" in company_tip
    assert f"Tuteur : {company.tutor}" in company_tip


def test_hovering_a_mark_shows_level_and_comment(
    view: DashboardView, demo_database: Database
) -> None:
    view.show_learner(learner_with(demo_database, 2, True))
    model = view.model
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            index = model.index(row, column)
            if index.data(CELL_KIND_ROLE) != CellKind.MARK:
                continue
            tip = index.data(Qt.ItemDataRole.ToolTipRole)
            assert tip.startswith(style_of(index.data(LEVEL_ROLE)).label)
            result = next(
                r
                for r in model._layout.rows[row].marks
                if r.evaluation_index == index.data(EVALUATION_INDEX_ROLE)
            )
            if result.comment:
                assert f"Commentaire : {result.comment}" in tip
                return
    raise AssertionError("no commented mark in the demo learner")


def test_expanded_bars_and_condensed_underline_follow_the_final_bilans(
    view: DashboardView, demo_database: Database
) -> None:
    view.show_learner(learner_with(demo_database, 2, True))
    dashboard = shown(view)
    first, second = dashboard.period_boundaries
    model = view.model
    columns = model._layout.evaluation_columns
    row, _ = first_mark(model)
    bars = [c for c in range(model.columnCount()) if model.index(row, c).data(BAR_LEFT_ROLE)]
    dates = [dashboard.evaluations[e].date for e in columns]
    expected = [
        c
        for boundary in (first, second)
        for c in range(1, len(columns))
        if dates[c - 1] <= boundary < dates[c]
    ]
    assert bars == expected and len(bars) == 2
    # Each final bilan's positioning sits just before its bar; the current one is last.
    actual = model.columnCount() - 1
    assert model.headerData(actual, Qt.Orientation.Horizontal) == "Actuel"
    for section in range(13):
        current = model.current_cell(section)
        assert current.column() == actual
        bilans_row = current.row()
        previous = [
            c
            for c in range(model.columnCount())
            if model.index(bilans_row, c).data(CELL_KIND_ROLE) == CellKind.PREVIOUS
        ]
        assert previous == [b - 1 for b in bars][: len(model.section(section).previous)]
    assert not any(model.index(row, c).data(UNDERLINE_ROLE) for c in range(model.columnCount()))

    view.condensed_button.click()
    assert model.options.condensed
    for row in range(model.rowCount()):
        marks = model._layout.rows[row].marks
        for column in range(model.columnCount()):
            index = model.index(row, column)
            assert not index.data(BAR_LEFT_ROLE) and not index.data(BAR_RIGHT_ROLE)
            if column < len(marks):
                evaluation = dashboard.evaluations[marks[column].evaluation_index]
                assert index.data(UNDERLINE_ROLE) == (evaluation.date > second)
            elif model.row_kind(row) is RowKind.CRITERION:
                assert index.data(CELL_KIND_ROLE) == CellKind.EMPTY  # packed left, no gaps


def test_filters_by_specialty_and_nature(view: DashboardView, demo_database: Database) -> None:
    view.show_learner(learner_with(demo_database, 1, False))
    model = view.model
    dashboard = shown(view)
    natures = {dashboard.evaluations[e].nature for e in model._layout.evaluation_columns}
    assert natures == {"F", "E"}
    view.nature_actions["E"].setChecked(False)
    assert {dashboard.evaluations[e].nature for e in model._layout.evaluation_columns} == {"F"}
    assert all(
        model.headerData(c, Qt.Orientation.Horizontal).startswith("F")
        for c in range(len(model._layout.evaluation_columns))
    )
    view.nature_actions["E"].setChecked(True)
    view.specialty_actions["PLP"].setChecked(False)
    kinds = [model.row_kind(r) for r in range(model.rowCount())]
    assert RowKind.CRITERION not in kinds  # the demo only has PLP criteria
    assert kinds.count(RowKind.TITLE) == 13 and kinds.count(RowKind.BILANS) == 13
    view.specialty_actions["PLP"].setChecked(True)
    view.specialty_actions["MSPC"].setChecked(False)
    assert sum(
        1 for k in (model.row_kind(r) for r in range(model.rowCount())) if k is RowKind.CRITERION
    ) == sum(len(s.rows) for s in dashboard.sections)


def test_picking_a_level_saves_it_in_the_draft(
    view: DashboardView, demo_database: Database, qtbot: QtBot
) -> None:
    learner_id = learner_with(demo_database, 1, False)
    view.show_learner(learner_id)
    model = view.model
    section = 1  # CC2.1
    index = model.current_cell(section)
    assert index.data() == "NE"
    assert index.data(CELL_KIND_ROLE) == CellKind.CURRENT
    assert "Suggestion" in index.data(Qt.ItemDataRole.ToolTipRole)
    view.table.scrollTo(index)
    qtbot.mouseClick(
        view.table.viewport(), Qt.MouseButton.LeftButton, pos=view.table.visualRect(index).center()
    )
    picker = view.picker
    assert picker is not None and picker.isVisible()
    assert picker.suggestion_label.text().startswith(("Suggestion", "Pas de suggestion"))
    with qtbot.waitSignal(view.positioning_saved) as saved:
        qtbot.mouseClick(picker.buttons["3"], Qt.MouseButton.LeftButton)
    assert saved.args[2] == "3"
    assert model.current_cell(section).data() == "+"
    with demo_database.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT b.status, cc.code, p.level FROM positioning p "
                "JOIN bilan b ON b.id = p.bilan_id "
                "JOIN common_competency cc ON cc.id = p.common_competency_id "
                "WHERE b.learner_id = :l AND b.status = 'draft'"
            ),
            {"l": learner_id},
        ).all()
    assert [tuple(r) for r in rows] == [("draft", "CC2.1", "3")]
    # Keyboard: the picker takes 4 for "Bien maîtrisé"; the same draft is reused.
    picker = view.open_picker(section)
    qtbot.keyClick(picker, Qt.Key.Key_4)
    assert model.current_cell(section).data() == "++"
    view.show_learner(learner_id)
    assert view.model.current_cell(section).data() == "++"
    with demo_database.engine.connect() as connection:
        drafts = connection.execute(
            text("SELECT COUNT(*) FROM bilan WHERE learner_id = :l AND status = 'draft'"),
            {"l": learner_id},
        ).scalar_one()
    assert drafts == 1


def test_jump_list_scrolls_to_a_section(view: DashboardView, demo_database: Database) -> None:
    view.show_learner(learner_with(demo_database, 2, True))
    actions = view.jump_menu.actions()
    assert [a.text().split(" - ")[0] for a in actions][:3] == ["CC1.1", "CC2.1", "CC2.2"]
    actions[10].trigger()
    row = view.model.title_rows()[10]
    assert view.table.rowAt(0) == row
    assert view.jump_button.text() == "CC5.1 ▾"


def test_options_are_remembered(qtbot: QtBot, demo_database: Database, tmp_path: Path) -> None:
    services = build_services(demo_database, local_profile(demo_database))
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)

    def make() -> DashboardView:
        widget = DashboardView(
            services.dashboards, services.bilans, services.catalog.list_specialties(), settings
        )
        qtbot.addWidget(widget)
        return widget

    first = make()
    first.set_condensed(True)
    first.nature_actions["E"].setChecked(False)
    second = make()
    assert second.view_options().condensed
    assert second.view_options().natures == frozenset({"F"})


def test_the_expanded_view_opens_on_the_whole_current_column_until_scrolled(
    qtbot: QtBot, view: DashboardView, demo_database: Database
) -> None:
    view.resize(900, 600)  # narrow: the latest evaluations are off to the right
    view.show_learner(learner_with(demo_database, finals=2, draft=True))
    qtbot.waitExposed(view)
    QApplication.processEvents()
    table, actual = view.table, view.model.current_column_index()
    assert actual is not None
    rect = table.visualRect(view.model.index(0, actual))
    assert rect.right() <= table.viewport().width()  # « Actuel » whole, not cut
    bar = table.horizontalScrollBar()
    assert bar.value() == bar.maximum() > 0
    bar.triggerAction(bar.SliderAction.SliderPageStepSub)  # the teacher scrolls left
    where = bar.value()
    view.resize(950, 600)  # the range changes: the view stays where the teacher put it
    QApplication.processEvents()
    assert bar.value() == where < bar.maximum()
