"""The evaluation dialog: criteria searched and checked, the grid typed by keyboard, edit mode."""

from __future__ import annotations

import datetime as dt

import pytest
from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from livret.services.authentication import local_profile
from livret.services.container import build_services
from livret.services.database import Database
from livret.services.evaluations import (
    ADDED_AFTER_FINAL_ACTION,
    CREATED_ACTION,
    CoveredLearner,
    EvaluationDraft,
    EvaluationService,
    GridResult,
)
from livret.ui import closed_period
from livret.ui import evaluation_dialog as dialog_module
from livret.ui.evaluation_dialog import EvaluationDialog
from tests.ui.test_bilan_editor import type_text

CRITERION = "PLP-CP03-04"


def as_date(value: object) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


@pytest.fixture
def dialog(qtbot: QtBot, demo_database: Database) -> EvaluationDialog:
    services = build_services(demo_database, local_profile(demo_database))
    school_class = services.catalog.list_classes()[0]
    learners = services.catalog.list_learners(school_class.id)
    assert len(learners) >= 3
    evaluations = EvaluationService(demo_database, services.actor)
    widget = EvaluationDialog(evaluations, learners, school_class.id)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def counts(database: Database) -> tuple[int, int]:
    with database.engine.connect() as connection:
        return (
            connection.execute(text("SELECT count(*) FROM evaluation")).scalar_one(),
            connection.execute(text("SELECT count(*) FROM result")).scalar_one(),
        )


def visible_criteria(dialog: EvaluationDialog) -> list[str]:
    return [
        leaf.text(0).split(" — ")[0]
        for leaf in dialog._leaves()
        if not leaf.isHidden() and not leaf.parent().isHidden()  # type: ignore[union-attr]
    ]


def test_search_filters_the_tree_and_shows_the_cc(dialog: EvaluationDialog) -> None:
    everything = len(list(dialog._leaves()))
    type_text(dialog.search, "cp03-04")
    assert visible_criteria(dialog) == [CRITERION]
    leaf = next(leaf for leaf in dialog._leaves() if not leaf.isHidden())
    assert leaf.text(1).startswith("CC")
    dialog.search.clear()
    assert len(visible_criteria(dialog)) == everything


def test_grid_typed_from_the_keyboard_is_saved_in_one_go(
    qtbot: QtBot,
    dialog: EvaluationDialog,
    demo_database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    errors: list[str] = []
    monkeypatch.setattr(dialog_module.messages, "show_error", lambda _p, m: errors.append(m))
    before = counts(demo_database)

    type_text(dialog.title_edit, "Démontage — « réducteur »")
    type_text(dialog.context, "Atelier, binôme")
    yesterday = QDate.currentDate().addDays(-1)
    dialog.date.setDate(yesterday)

    # Choose criteria by searching and checking.
    type_text(dialog.search, "CP03-04")
    dialog.check_criteria([CRITERION])
    dialog.search.clear()
    type_text(dialog.search, "CP03-01")
    dialog.check_criteria(["PLP-CP03-01"])
    grid = dialog.grid
    assert grid.columnCount() == 2
    assert grid.rowCount() == len(dialog.chosen_learners())
    codes = [grid.horizontalHeaderItem(c).text() for c in range(2)]  # type: ignore[union-attr]
    assert codes == ["PLP-CP03-01", CRITERION]
    assert "PLP-CP03-01" in grid.horizontalHeaderItem(0).toolTip()  # type: ignore[union-attr]

    # The keyboard alone.
    grid.setFocus()
    grid.setCurrentCell(0, 0)
    qtbot.keyClick(grid, "3")
    qtbot.keyClick(grid, Qt.Key.Key_Right)
    qtbot.keyClick(grid, "4")
    qtbot.keyClick(grid, Qt.Key.Key_Down)
    qtbot.keyClick(grid, "a")
    qtbot.keyClick(grid, Qt.Key.Key_Left)
    qtbot.keyClick(grid, "N")
    qtbot.keyClick(grid, Qt.Key.Key_Return)  # Enter moves down: row 2, column 0
    assert (grid.currentRow(), grid.currentColumn()) == (2, 0)
    qtbot.keyClick(grid, "2")
    qtbot.keyClick(grid, Qt.Key.Key_Tab)
    assert (grid.currentRow(), grid.currentColumn()) == (2, 1)
    qtbot.keyClick(grid, "1")
    qtbot.keyClick(grid, Qt.Key.Key_Delete)  # clears (2, 1): no result row for it
    assert dialog.level_at(2, 1) is None

    assert [grid.item(0, c).text() for c in range(2)] == ["+", "++"]  # type: ignore[union-attr]
    assert [grid.item(1, c).text() for c in range(2)] == ["NE", "ABS"]  # type: ignore[union-attr]
    assert grid.item(2, 0).text() == "-"  # type: ignore[union-attr]
    assert grid.item(0, 1).background().color().name() == "#2e7d32"  # type: ignore[union-attr]
    assert grid.item(1, 1).background().color().name() == "#bdbdbd"  # type: ignore[union-attr]

    # A comment on (0, 1), reached with the arrows, typed after F2.
    qtbot.keyClick(grid, Qt.Key.Key_Up)
    qtbot.keyClick(grid, Qt.Key.Key_Up)
    assert (grid.currentRow(), grid.currentColumn()) == (0, 1)
    qtbot.keyClick(grid, Qt.Key.Key_F2)
    assert dialog.comment.isEnabled()
    type_text(dialog.comment, "Très sûr ; « œil » exercé")
    assert "« œil »" in grid.item(0, 1).toolTip()  # type: ignore[union-attr]

    # Unchecking a criterion then checking it again keeps what was typed.
    dialog.check_criteria([CRITERION], checked=False)
    assert grid.columnCount() == 1
    dialog.check_criteria([CRITERION])
    assert dialog.level_at(0, 1) == "4"

    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert errors == []
    assert dialog.result() == EvaluationDialog.DialogCode.Accepted
    assert dialog.evaluation_id is not None
    assert counts(demo_database) == (before[0] + 1, before[1] + 5)

    learners = [learner.id for learner in dialog.chosen_learners()]
    with demo_database.engine.connect() as connection:
        evaluation = connection.execute(
            text(
                "SELECT nature, eval_date, title, context, class_id, company FROM evaluation "
                "WHERE id = :id"
            ),
            {"id": dialog.evaluation_id},
        ).one()
        stored = {
            (learner, code): (level, comment)
            for learner, code, level, comment in connection.execute(
                text(
                    "SELECT r.learner_id, c.code, r.level, r.comment FROM result r "
                    "JOIN criterion c ON c.id = r.criterion_id WHERE r.evaluation_id = :id"
                ),
                {"id": dialog.evaluation_id},
            )
        }
    assert evaluation.nature == "F"
    assert as_date(evaluation.eval_date) == dt.date.today() - dt.timedelta(days=1)
    assert evaluation.title == "Démontage — « réducteur »"
    assert evaluation.context == "Atelier, binôme"
    assert evaluation.class_id == dialog._class_id
    assert evaluation.company is None
    assert stored == {
        (learners[0], "PLP-CP03-01"): ("3", None),
        (learners[0], CRITERION): ("4", "Très sûr ; « œil » exercé"),
        (learners[1], "PLP-CP03-01"): ("NE", None),
        (learners[1], CRITERION): ("ABS", None),
        (learners[2], "PLP-CP03-01"): ("2", None),
    }


def test_refused_save_keeps_the_dialog_open_and_writes_nothing(
    qtbot: QtBot,
    dialog: EvaluationDialog,
    demo_database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    errors: list[str] = []
    monkeypatch.setattr(dialog_module.messages, "show_error", lambda _p, m: errors.append(m))
    before = counts(demo_database)
    dialog.nature.setCurrentIndex(dialog.nature.findData("E"))
    assert dialog.company.isEnabled()
    dialog.check_criteria([CRITERION])
    dialog.grid.setCurrentCell(0, 0)
    qtbot.keyClick(dialog.grid, "4")
    # No title and no company: refused, in French.
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert len(errors) == 1
    assert "titre" in errors[0] and "entreprise" in errors[0]
    assert dialog.isVisible() and dialog.evaluation_id is None
    assert counts(demo_database) == before


def test_company_fields_only_for_e(dialog: EvaluationDialog) -> None:
    assert not dialog.company.isEnabled()
    dialog.nature.setCurrentIndex(dialog.nature.findData("E"))
    assert dialog.company.isEnabled() and dialog.tutor.isEnabled()
    assert not dialog.pfmp_start.isEnabled()
    dialog.pfmp_dates.setChecked(True)
    assert dialog.pfmp_start.isEnabled() and dialog.pfmp_end.isEnabled()


def test_edit_mode_shows_the_stored_evaluation_and_saves_changes(
    qtbot: QtBot, demo_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    errors: list[str] = []
    monkeypatch.setattr(dialog_module.messages, "show_error", lambda _p, m: errors.append(m))
    services = build_services(demo_database, local_profile(demo_database))
    school_class = services.catalog.list_classes()[0]
    learners = services.catalog.list_learners(school_class.id)
    tree = services.evaluations.criteria_tree()
    criteria = {c.code: c.id for s in tree for comp in s.competencies for c in comp.criteria}
    yesterday = dt.date.today() - dt.timedelta(days=1)
    evaluation_id = services.evaluations.create(
        EvaluationDraft(
            nature="E",
            eval_date=yesterday,
            title="Bilan PFMP — « Méca »",
            context="Atelier",
            class_id=school_class.id,
            company="Méca Œuvre",
            tutor="M. Dupré",
            pfmp_start=dt.date(2026, 10, 5),
            pfmp_end=dt.date(2026, 10, 30),
            results=(
                GridResult(learners[1].id, criteria[CRITERION], "3", "Soigné"),
                GridResult(learners[2].id, criteria["PLP-CP03-01"], "ABS"),
            ),
        )
    )
    dialog = EvaluationDialog.for_edit(services.evaluations, evaluation_id, learners)
    qtbot.addWidget(dialog)
    dialog.show()

    assert dialog.windowTitle() == "Modifier l'évaluation"
    assert dialog.nature.currentData() == "E" and dialog.company.isEnabled()
    assert dialog.date.date() == QDate(yesterday.year, yesterday.month, yesterday.day)
    assert (dialog.title_edit.text(), dialog.context.text()) == ("Bilan PFMP — « Méca »", "Atelier")
    assert (dialog.company.text(), dialog.tutor.text()) == ("Méca Œuvre", "M. Dupré")
    assert dialog.pfmp_dates.isChecked()
    assert (dialog.pfmp_start.date(), dialog.pfmp_end.date()) == (
        QDate(2026, 10, 5),
        QDate(2026, 10, 30),
    )
    assert [c.code for c in dialog.chosen_criteria()] == ["PLP-CP03-01", CRITERION]
    assert [s.id for s in dialog.chosen_learners()] == [learners[1].id, learners[2].id]
    assert dialog.learner_list.count() == len(learners)
    assert [[dialog.level_at(r, c) for c in range(2)] for r in range(2)] == [
        [None, "3"],
        ["ABS", None],
    ]
    grid = dialog.grid
    assert "Soigné" in grid.item(0, 1).toolTip()  # type: ignore[union-attr]
    assert not dialog.covered_label.isVisible()

    # The keyboard: learner 1 gets CP03-01 too, learner 2's absence becomes a 2.
    grid.setFocus()
    grid.setCurrentCell(0, 0)
    qtbot.keyClick(grid, "1")
    qtbot.keyClick(grid, Qt.Key.Key_Return)
    qtbot.keyClick(grid, "2")
    qtbot.keyClick(dialog.grid, Qt.Key.Key_F2)
    type_text(dialog.comment, "Présent cette fois")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert errors == []
    assert dialog.result() == EvaluationDialog.DialogCode.Accepted
    assert dialog.change is not None
    assert (dialog.change.inserted, dialog.change.updated, dialog.change.deleted) == (1, 1, 0)

    with demo_database.engine.connect() as connection:
        stored = {
            (learner, code): (level, comment)
            for learner, code, level, comment in connection.execute(
                text(
                    "SELECT r.learner_id, c.code, r.level, r.comment FROM result r "
                    "JOIN criterion c ON c.id = r.criterion_id WHERE r.evaluation_id = :id"
                ),
                {"id": evaluation_id},
            )
        }
        company = connection.execute(
            text("SELECT company FROM evaluation WHERE id = :id"), {"id": evaluation_id}
        ).scalar_one()
    assert stored == {
        (learners[1].id, CRITERION): ("3", "Soigné"),
        (learners[1].id, "PLP-CP03-01"): ("1", None),
        (learners[2].id, "PLP-CP03-01"): ("2", "Présent cette fois"),
    }
    assert company == "Méca Œuvre"


def test_edit_mode_without_change_writes_nothing(qtbot: QtBot, demo_database: Database) -> None:
    services = build_services(demo_database, local_profile(demo_database))
    school_class = services.catalog.list_classes()[0]
    evaluation_id = services.evaluations.list_for_class(school_class.id)[0].id
    dialog = EvaluationDialog.for_edit(
        services.evaluations, evaluation_id, services.catalog.list_learners(school_class.id)
    )
    qtbot.addWidget(dialog)
    dialog.show()
    before = counts(demo_database)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == EvaluationDialog.DialogCode.Accepted
    assert dialog.change is not None and not dialog.change.changed
    assert counts(demo_database) == before


def test_a_new_evaluation_in_a_closed_period_asks_first(
    qtbot: QtBot,
    dialog: EvaluationDialog,
    demo_database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Dated on a learner's final bilan day, the grid adds to what that bilan was built on."""
    learners = [learner.id for learner in dialog.chosen_learners()]
    with demo_database.engine.connect() as connection:
        learner_id, day = connection.execute(
            text(
                "SELECT learner_id, MAX(bilan_date) FROM bilan WHERE status = 'final' "
                f"AND learner_id IN ({', '.join(map(str, learners))}) "
                "GROUP BY learner_id ORDER BY 2 DESC, 1 LIMIT 1"
            )
        ).one()
    closed_on = as_date(day)
    asked: list[tuple[tuple[int, ...], bool]] = []
    answers = [False, True]

    def ask(_parent: object, covered: tuple[CoveredLearner, ...], *, importing: bool) -> bool:
        asked.append((tuple(learner.learner_id for learner in covered), importing))
        return answers.pop(0)

    monkeypatch.setattr(closed_period, "confirm_adding_in_closed_period", ask)
    errors: list[str] = []
    monkeypatch.setattr(dialog_module.messages, "show_error", lambda _p, m: errors.append(m))
    before = counts(demo_database)

    type_text(dialog.title_edit, "Rattrapage")
    dialog.date.setDate(QDate(closed_on.year, closed_on.month, closed_on.day))
    dialog.check_criteria([CRITERION])
    grid = dialog.grid
    row = learners.index(learner_id)
    grid.setFocus()
    grid.setCurrentCell(row, 0)
    qtbot.keyClick(grid, "3")

    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert asked == [((learner_id,), False)]
    assert dialog.isVisible() and dialog.evaluation_id is None  # declined: still open
    assert counts(demo_database) == before

    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert len(asked) == 2 and errors == []
    assert dialog.result() == EvaluationDialog.DialogCode.Accepted
    assert counts(demo_database) == (before[0] + 1, before[1] + 1)
    with demo_database.engine.connect() as connection:
        actions = list(
            connection.execute(
                text(
                    "SELECT action FROM audit_event WHERE entity = 'evaluation' "
                    "AND entity_id = :id ORDER BY id"
                ),
                {"id": dialog.evaluation_id},
            ).scalars()
        )
    assert actions == [CREATED_ACTION, ADDED_AFTER_FINAL_ACTION]


def test_a_new_evaluation_in_an_open_period_asks_nothing(
    qtbot: QtBot,
    dialog: EvaluationDialog,
    demo_database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def ask(*_args: object, **_kwargs: object) -> bool:
        raise AssertionError("nothing to ask")

    monkeypatch.setattr(closed_period, "confirm_adding_in_closed_period", ask)
    before = counts(demo_database)
    type_text(dialog.title_edit, "Aujourd'hui")
    dialog.check_criteria([CRITERION])
    dialog.grid.setFocus()
    dialog.grid.setCurrentCell(0, 0)
    qtbot.keyClick(dialog.grid, "2")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert dialog.result() == EvaluationDialog.DialogCode.Accepted
    assert counts(demo_database) == (before[0] + 1, before[1] + 1)


@pytest.mark.parametrize(("importing", "button"), [(True, "Importer"), (False, "Enregistrer")])
def test_the_closed_period_question_names_the_learners(
    qtbot: QtBot, importing: bool, button: str
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    covered = (CoveredLearner(1, "BRUN Léa", dt.date(2026, 3, 20)),)
    shown: list[str] = []

    def answer(choice: str) -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        shown.append(box.text())
        chosen = next(b for b in box.buttons() if b.text().startswith(choice))
        chosen.click()

    for choice, expected in ((f"{button} quand même", True), ("Annuler", False)):
        QTimer.singleShot(0, lambda choice=choice: answer(choice))
        assert (
            closed_period.confirm_adding_in_closed_period(parent, covered, importing=importing)
            is expected
        )
    assert len(shown) == 2
    assert (
        "période déjà close par un bilan définitif pour BRUN Léa (bilan du 20/03/2026)"
        in (shown[0])
    )
