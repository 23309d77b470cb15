"""Évaluations de la classe: the list, Modifier… through the grid, Supprimer… with confirmation."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from livret.services.authentication import local_profile
from livret.services.container import Services, build_services
from livret.services.database import Database
from livret.services.evaluations import EvaluationDraft, GridResult
from livret.ui import evaluation_list as list_module
from livret.ui.evaluation_dialog import EvaluationDialog
from livret.ui.evaluation_list import COVERED_TEXT, EvaluationListDialog
from tests.ui.test_bilan_editor import type_text


class BoxAnswer:
    """Clicks a button of the next message box once it is shown (exec() runs its own loop)."""

    def __init__(self, button: str) -> None:
        self.button = button
        self.texts: list[str] = []
        self._tries = 0

    def arm(self) -> BoxAnswer:
        self._tries = 0
        QTimer.singleShot(0, self._answer)
        return self

    def _answer(self) -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            self._tries += 1
            if self._tries < 200:
                QTimer.singleShot(10, self._answer)
            return
        self.texts.append(f"{box.text()}\n{box.informativeText()}")
        button = next(b for b in box.buttons() if b.text() == self.button)
        button.click()


def covered_class(database: Database) -> int:
    """A class with evaluations covered by a final bilan and others not."""
    with database.engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT e.class_id FROM evaluation e WHERE EXISTS ("
                    "  SELECT 1 FROM result r JOIN bilan b ON b.learner_id = r.learner_id"
                    "  WHERE r.evaluation_id = e.id AND b.status = 'final'"
                    "  AND b.bilan_date >= e.eval_date) "
                    "GROUP BY e.class_id ORDER BY e.class_id LIMIT 1"
                )
            ).scalar_one()
        )


def results_of(database: Database, evaluation_id: int) -> dict[tuple[int, str], str]:
    with database.engine.connect() as connection:
        return {
            (learner, code): level
            for learner, code, level in connection.execute(
                text(
                    "SELECT r.learner_id, c.code, r.level FROM result r "
                    "JOIN criterion c ON c.id = r.criterion_id WHERE r.evaluation_id = :id"
                ),
                {"id": evaluation_id},
            )
        }


def actions_of(database: Database, evaluation_id: int) -> list[str]:
    with database.engine.connect() as connection:
        return list(
            connection.execute(
                text(
                    "SELECT action FROM audit_event WHERE entity = 'evaluation' "
                    "AND entity_id = :id ORDER BY id"
                ),
                {"id": evaluation_id},
            ).scalars()
        )


@pytest.fixture
def services(demo_database: Database) -> Services:
    return build_services(demo_database, local_profile(demo_database))


@pytest.fixture
def class_id(demo_database: Database) -> int:
    return covered_class(demo_database)


@pytest.fixture
def fresh_evaluation(services: Services, demo_database: Database, class_id: int) -> int:
    """An evaluation of today (after every final bilan) for the class's first two learners."""
    learners = services.catalog.list_learners(class_id)[:2]
    with demo_database.engine.connect() as connection:
        criteria = {
            code: id_ for code, id_ in connection.execute(text("SELECT code, id FROM criterion"))
        }
    return services.evaluations.create(
        EvaluationDraft(
            nature="F",
            eval_date=dt.date.today(),
            title="Contrôle des niveaux",
            class_id=class_id,
            results=tuple(
                GridResult(learner.id, criteria[code], "2")
                for learner in learners
                for code in ("PLP-CP03-01", "PLP-CP03-04")
            ),
        )
    )


@pytest.fixture
def dialog(
    qtbot: QtBot, services: Services, class_id: int, fresh_evaluation: int
) -> Iterator[EvaluationListDialog]:
    widget = EvaluationListDialog(
        services.evaluations,
        class_id,
        services.catalog.list_learners(class_id),
        class_label=next(c.code for c in services.catalog.list_classes() if c.id == class_id),
    )
    qtbot.addWidget(widget)
    with qtbot.waitExposed(widget):
        widget.show()
    yield widget
    if widget.edit_dialog is not None:
        widget.edit_dialog.close()


def row_number(dialog: EvaluationListDialog, evaluation_id: int) -> int:
    return next(i for i, row in enumerate(dialog.rows()) if row.id == evaluation_id)


def test_list_shows_the_class_evaluations_and_marks_the_covered_ones(
    dialog: EvaluationListDialog,
    services: Services,
    class_id: int,
    fresh_evaluation: int,
    qtmodeltester: ModelTester,
) -> None:
    qtmodeltester.check(dialog.model)
    expected = services.evaluations.list_for_class(class_id)
    assert dialog.rows() == expected
    assert dialog.rows()[0].id == fresh_evaluation  # latest first
    model = dialog.model
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(6)]
    assert headers == ["Date", "Nature", "Titre", "Auteur", "Résultats", "Bilan définitif"]
    first = [model.index(0, c).data() for c in range(6)]
    assert first == [
        dt.date.today().strftime("%d/%m/%Y"),
        "Formation",
        "Contrôle des niveaux",
        services.actor.display_name,
        "4",
        "",
    ]
    covered = [i for i, row in enumerate(expected) if row.covered]
    assert covered and len(covered) < len(expected)
    assert model.index(covered[0], 5).data() == COVERED_TEXT
    tooltip = model.index(covered[0], 2).data(Qt.ItemDataRole.ToolTipRole)
    assert "bilan définitif" in tooltip
    assert dialog.count_label.text() == (
        f"{len(expected)} évaluations, dont {len(covered)} déjà prise(s) en compte "
        "par un bilan définitif"
    )
    assert dialog.selected_row() == expected[0]
    assert dialog.edit_button.isEnabled() and dialog.delete_button.isEnabled()
    dialog.grab().save("/tmp/eval_list.png")


def test_edit_from_the_list_through_the_keyboard(
    qtbot: QtBot,
    dialog: EvaluationListDialog,
    demo_database: Database,
    fresh_evaluation: int,
) -> None:
    table = dialog.table
    rect = table.visualRect(dialog.model.index(row_number(dialog, fresh_evaluation), 2))
    # The item view wants the press that starts a real double-click before the event itself.
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    edit = dialog.edit_dialog
    assert edit is not None and edit.isVisible()
    assert edit.windowTitle() == "Modifier l'évaluation"
    assert edit.title_edit.text() == "Contrôle des niveaux"
    assert [c.code for c in edit.chosen_criteria()] == ["PLP-CP03-01", "PLP-CP03-04"]
    learners = [learner.id for learner in edit.chosen_learners()]
    assert len(learners) == 2 and edit.learner_list.count() > 2  # the others can be added
    assert (edit.grid.rowCount(), edit.grid.columnCount()) == (2, 2)
    assert edit.grid.item(0, 0).text() == "-"  # type: ignore[union-attr]
    assert not edit.covered_label.isVisible()

    edit.grid.setFocus()
    edit.grid.setCurrentCell(1, 1)
    qtbot.keyClick(edit.grid, "4")
    qtbot.keyClick(edit.grid, Qt.Key.Key_Up)
    qtbot.keyClick(edit.grid, Qt.Key.Key_Delete)
    edit.title_edit.selectAll()
    type_text(edit.title_edit, "Contrôle des niveaux — corrigé")
    with qtbot.waitSignal(dialog.evaluations_changed):
        qtbot.mouseClick(edit.save_button, Qt.MouseButton.LeftButton)

    assert edit.result() == EvaluationDialog.DialogCode.Accepted
    assert edit.change is not None
    assert (edit.change.updated, edit.change.deleted, edit.change.fields) == (1, 1, ("titre",))
    assert results_of(demo_database, fresh_evaluation) == {
        (learners[0], "PLP-CP03-01"): "2",
        (learners[1], "PLP-CP03-01"): "2",
        (learners[1], "PLP-CP03-04"): "4",
    }
    # The list follows, the evaluation still chosen.
    assert dialog.selected_row() is not None
    assert dialog.selected_row().title == "Contrôle des niveaux — corrigé"  # type: ignore[union-attr]
    assert dialog.selected_row().result_count == 3  # type: ignore[union-attr]


def first_covered(dialog: EvaluationListDialog) -> int:
    row = next(row for row in dialog.rows() if row.covered)
    dialog.select_evaluation(row.id)
    return row.id


def test_changing_a_covered_evaluation_asks_first(
    qtbot: QtBot, dialog: EvaluationListDialog, services: Services, demo_database: Database
) -> None:
    evaluation_id = first_covered(dialog)
    details = services.evaluations.load(evaluation_id)
    covered = details.covered[0]
    qtbot.mouseClick(dialog.edit_button, Qt.MouseButton.LeftButton)
    edit = dialog.edit_dialog
    assert edit is not None and edit.isVisible()
    assert edit.covered_label.isVisible()
    assert covered.name in edit.covered_label.text()

    row = [learner.id for learner in edit.chosen_learners()].index(covered.learner_id)
    edit.grid.setFocus()
    edit.grid.setCurrentCell(row, 0)
    new_level = "1" if edit.level_at(row, 0) != "1" else "3"
    qtbot.keyClick(edit.grid, new_level)
    before = results_of(demo_database, evaluation_id), actions_of(demo_database, evaluation_id)

    refuse = BoxAnswer("Annuler").arm()
    qtbot.mouseClick(edit.save_button, Qt.MouseButton.LeftButton)
    assert len(refuse.texts) == 1
    assert f"{covered.name} (bilan du {covered.bilan_date:%d/%m/%Y})" in refuse.texts[0]
    assert "Modifier quand même ? La modification sera tracée." in refuse.texts[0]
    assert edit.isVisible() and edit.change is None
    assert (results_of(demo_database, evaluation_id), actions_of(demo_database, evaluation_id)) == (
        before
    )

    accept = BoxAnswer("Modifier quand même").arm()
    with qtbot.waitSignal(dialog.evaluations_changed):
        qtbot.mouseClick(edit.save_button, Qt.MouseButton.LeftButton)
    assert len(accept.texts) == 1
    assert edit.result() == EvaluationDialog.DialogCode.Accepted
    code = edit.chosen_criteria()[0].code
    assert results_of(demo_database, evaluation_id)[(covered.learner_id, code)] == new_level
    assert actions_of(demo_database, evaluation_id)[-2:] == [
        "evaluation_updated",
        "evaluation_changed_after_final",
    ]


def test_delete_after_a_confirmation(
    qtbot: QtBot, dialog: EvaluationListDialog, demo_database: Database, fresh_evaluation: int
) -> None:
    dialog.select_evaluation(fresh_evaluation)
    count = len(dialog.rows())
    refuse = BoxAnswer("Annuler").arm()
    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    assert "Supprimer l'évaluation « Contrôle des niveaux »" in refuse.texts[0]
    assert "4 résultats" in refuse.texts[0]
    assert len(results_of(demo_database, fresh_evaluation)) == 4

    accept = BoxAnswer("Supprimer").arm()
    with qtbot.waitSignal(dialog.evaluations_changed):
        qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)
    assert len(accept.texts) == 1
    assert results_of(demo_database, fresh_evaluation) == {}
    assert fresh_evaluation not in [row.id for row in dialog.rows()]
    assert len(dialog.rows()) == count - 1
    assert actions_of(demo_database, fresh_evaluation)[-1] == "evaluation_deleted"


def test_deleting_a_covered_evaluation_names_the_learners(
    qtbot: QtBot, dialog: EvaluationListDialog, services: Services, demo_database: Database
) -> None:
    evaluation_id = first_covered(dialog)
    covered = services.evaluations.load(evaluation_id).covered
    accept = BoxAnswer("Supprimer quand même").arm()
    with qtbot.waitSignal(dialog.evaluations_changed):
        qtbot.keyClick(dialog.table, Qt.Key.Key_Delete)
    assert covered[0].name in accept.texts[0]
    assert f"(bilan du {covered[0].bilan_date:%d/%m/%Y})" in accept.texts[0]
    assert "La suppression sera tracée" in accept.texts[0]
    assert results_of(demo_database, evaluation_id) == {}
    assert actions_of(demo_database, evaluation_id)[-2:] == [
        "evaluation_deleted",
        "evaluation_deleted_after_final",
    ]


def test_an_evaluation_deleted_elsewhere_is_reported(
    qtbot: QtBot,
    dialog: EvaluationListDialog,
    services: Services,
    fresh_evaluation: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    errors: list[str] = []
    monkeypatch.setattr(list_module.messages, "show_error", lambda _p, m: errors.append(m))
    dialog.select_evaluation(fresh_evaluation)
    services.evaluations.delete(fresh_evaluation)  # on another computer
    qtbot.mouseClick(dialog.edit_button, Qt.MouseButton.LeftButton)
    assert dialog.edit_dialog is None
    assert len(errors) == 1 and "n'existe plus" in errors[0]
    assert fresh_evaluation not in [row.id for row in dialog.rows()]
