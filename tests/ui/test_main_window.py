"""The main window's selectors, driven like a teacher would: click, type, keyboard."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from pathlib import Path

from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from livret.services.authentication import local_profile
from livret.services.container import build_services
from livret.services.database import Database
from livret.services.evaluations import EvaluationDraft, GridResult
from livret.ui.imports.worker import ImportJob
from livret.ui.main_window import MainWindow
from tests.ui.test_evaluation_list import BoxAnswer


def make_window(qtbot: QtBot, database: Database, settings_file: Path) -> MainWindow:
    services = build_services(database, local_profile(database))
    settings = QSettings(str(settings_file), QSettings.Format.IniFormat)
    window = MainWindow(
        services,
        database_name="démo",
        settings=settings,
    )
    qtbot.addWidget(window)
    with qtbot.waitActive(window):
        window.show()
        window.activateWindow()
    return window


def show_first_learner(window: MainWindow) -> None:
    """Choose the newest class, then its first learner, as a click would."""
    window.selector.class_combo.setCurrentIndex(0)
    window.selector.learner_list.setCurrentIndex(window.selector.learner_list.model().index(0, 0))


def test_choose_class_then_learner(qtbot: QtBot, demo_database: Database, tmp_path: Path) -> None:
    window = make_window(qtbot, demo_database, tmp_path / "settings.ini")
    selector = window.selector
    assert selector.class_combo.count() >= 5
    assert "2026-2027" in selector.class_combo.itemText(0)

    selector.class_combo.setCurrentIndex(1)
    names = selector.visible_learner_names()
    assert len(names) == int(selector.class_combo.currentText().rsplit("(", 1)[1].rstrip(")"))
    assert window.dashboard.title.text() == "Aucun apprenant choisi"
    assert selector.count_label.text() == f"{len(names)} apprenants"

    with qtbot.waitSignal(selector.learner_changed) as changed:
        selector.learner_list.setCurrentIndex(selector.learner_list.model().index(0, 0))
    assert changed.args[0] > 0
    assert window.dashboard.title.text() == names[0].removesuffix(" (sorti)")
    assert "évaluations" in window.dashboard.summary.text()
    assert not selector.previous_button.isEnabled()

    qtbot.mouseClick(selector.next_button, Qt.MouseButton.LeftButton)
    assert window.dashboard.title.text() == names[1].removesuffix(" (sorti)")
    selector.learner_list.setFocus()
    qtbot.keyClick(selector.learner_list, Qt.Key.Key_PageDown, Qt.KeyboardModifier.ControlModifier)
    assert window.dashboard.title.text() == names[2].removesuffix(" (sorti)")
    selector.search.setFocus()  # the shortcut works wherever the focus is in the window
    qtbot.keyClick(selector.search, Qt.Key.Key_PageUp, Qt.KeyboardModifier.ControlModifier)
    assert window.dashboard.title.text() == names[1].removesuffix(" (sorti)")
    selector.learner_list.setFocus()
    qtbot.keyClick(selector.learner_list, Qt.Key.Key_Down)
    assert window.dashboard.title.text() == names[2].removesuffix(" (sorti)")


def test_search_ignores_accents_and_case(
    qtbot: QtBot, demo_database: Database, tmp_path: Path
) -> None:
    window = make_window(qtbot, demo_database, tmp_path / "settings.ini")
    selector = window.selector
    selector.class_combo.setCurrentIndex(0)
    everyone = selector.visible_learner_names()
    target = everyone[len(everyone) // 2]
    family = target.split(" ")[0]
    plain = family.lower().translate(str.maketrans("éèêëàâäîïôöûüç", "eeeeaaaiioouuc"))
    qtbot.keyClicks(selector.search, plain)
    shown = selector.visible_learner_names()
    assert target in shown
    assert 0 < len(shown) < len(everyone)
    assert "sur" in selector.count_label.text()
    selector.search.clear()
    assert selector.visible_learner_names() == everyone


def test_last_class_and_learner_are_remembered(
    qtbot: QtBot, demo_database: Database, tmp_path: Path
) -> None:
    settings_file = tmp_path / "settings.ini"
    window = make_window(qtbot, demo_database, settings_file)
    window.selector.class_combo.setCurrentIndex(2)
    chosen_class = window.selector.class_combo.currentText()
    window.selector.learner_list.setCurrentIndex(window.selector.learner_list.model().index(3, 0))
    chosen_learner = window.dashboard.title.text()
    window.close()

    again = make_window(qtbot, demo_database, settings_file)
    assert again.selector.class_combo.currentText() == chosen_class
    assert again.dashboard.title.text() == chosen_learner


def test_class_overview_opens_a_learner_dashboard(
    qtbot: QtBot, demo_database: Database, tmp_path: Path
) -> None:
    window = make_window(qtbot, demo_database, tmp_path / "settings.ini")
    window.selector.class_combo.setCurrentIndex(1)
    overview = window.class_overview
    window.tabs.setCurrentWidget(overview)
    model = overview.model
    assert model.rowCount() == len(window.selector.visible_learner_names())
    index = model.index(3, 2)
    name = model.headerData(3, Qt.Orientation.Vertical)
    rect = overview.table.visualRect(index)
    qtbot.mouseDClick(overview.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert window.tabs.currentWidget() is window.dashboard
    assert window.dashboard.title.text() == str(name).removesuffix(" (sorti)")


def test_the_class_overview_is_read_when_its_tab_is_shown(
    qtbot: QtBot, demo_database: Database, tmp_path: Path
) -> None:
    window = make_window(qtbot, demo_database, tmp_path / "settings.ini")
    show_first_learner(window)
    overview = window.class_overview
    # Start-up and a class chosen on the dashboard's tab read no overview…
    assert window.tabs.currentWidget() is window.dashboard
    assert overview.pending and overview.model.rowCount() == 0
    # …the marks dialog, which needs its competencies, reads it then…
    marks = window.open_marks()
    assert marks is not None and marks.model.rowCount() > 0
    marks.close()
    assert not overview.pending
    # …and the tab shows the class chosen.
    window.selector.class_combo.setCurrentIndex(1)
    assert overview.pending
    window.tabs.setCurrentWidget(overview)
    assert not overview.pending
    assert overview.model.rowCount() == len(window.selector.visible_learner_names())


def test_a_saved_positioning_shows_in_the_class_overview(
    qtbot: QtBot, demo_database: Database, tmp_path: Path
) -> None:
    window = make_window(qtbot, demo_database, tmp_path / "settings.ini")
    show_first_learner(window)
    picker = window.dashboard.open_picker(0)
    qtbot.keyClick(picker, Qt.Key.Key_1)
    window.tabs.setCurrentWidget(window.class_overview)
    cell = window.class_overview.model.index(0, 0)
    assert str(cell.data()).startswith("--")


def test_new_evaluation_from_the_menu_reaches_the_dashboard(
    qtbot: QtBot, demo_database: Database, tmp_path: Path
) -> None:
    window = make_window(qtbot, demo_database, tmp_path / "settings.ini")
    show_first_learner(window)
    before = len(window.dashboard.model.dashboard.evaluations)  # type: ignore[union-attr]
    window.new_evaluation_action.trigger()
    dialog = window.evaluation_dialog
    assert dialog is not None and dialog.isVisible()
    dialog.title_edit.setText("Contrôle surprise")
    dialog.check_criteria(["PLP-CP03-04"])
    dialog.grid.setFocus()
    dialog.grid.setCurrentCell(0, 0)
    qtbot.keyClick(dialog.grid, Qt.Key.Key_3)
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    shown = window.dashboard.model.dashboard
    assert shown is not None and len(shown.evaluations) == before + 1
    assert shown.evaluations[-1].title == "Contrôle surprise"


def test_evaluation_deleted_from_the_class_list_leaves_the_dashboard(
    qtbot: QtBot, demo_database: Database, tmp_path: Path
) -> None:
    window = make_window(qtbot, demo_database, tmp_path / "settings.ini")
    show_first_learner(window)
    learner_id = window.selector.current_learner_id()
    class_id = window.selector.current_class_id()
    assert learner_id is not None and class_id is not None
    criterion = window._services.evaluations.criteria_tree()[0].competencies[0].criteria[0]
    evaluation_id = window._services.evaluations.create(
        EvaluationDraft(
            nature="F",
            eval_date=dt.date.today(),
            title="À supprimer",
            class_id=class_id,
            results=(GridResult(learner_id, criterion.id, "2"),),
        )
    )
    window.dashboard.show_learner(learner_id)
    before = len(window.dashboard.model.dashboard.evaluations)  # type: ignore[union-attr]

    window.evaluation_list_action.trigger()
    dialog = window.evaluation_list
    assert dialog is not None and dialog.isVisible()
    code = window.selector.classes()[0].code
    assert dialog.windowTitle().startswith(f"Évaluations de la classe {code}")
    assert dialog.rows() == window._services.evaluations.list_for_class(class_id)
    assert dialog.select_evaluation(evaluation_id)
    BoxAnswer("Supprimer").arm()
    qtbot.mouseClick(dialog.delete_button, Qt.MouseButton.LeftButton)

    shown = window.dashboard.model.dashboard
    assert shown is not None and len(shown.evaluations) == before - 1
    assert "À supprimer" not in [e.title for e in shown.evaluations]


def test_results_imported_from_the_file_menu_reach_the_dashboard(
    qtbot: QtBot, demo_database: Database, tmp_path: Path
) -> None:
    window = make_window(qtbot, demo_database, tmp_path / "settings.ini")
    show_first_learner(window)
    shown = window.dashboard.model.dashboard
    assert shown is not None
    before = len(shown.evaluations)
    criterion = window._services.evaluations.criteria_tree()[0].competencies[0].criteria[0]
    csv_file = tmp_path / "résultats.csv"
    csv_file.write_text(
        "date;nature;titre;INE;critere;niveau;commentaire\n"
        f"{dt.date.today():%d/%m/%Y};F;Oral de mi-parcours;{shown.learner.ine};"
        f"{criterion.code};++;Très clair\n",
        encoding="utf-8",
    )
    assert "Ctrl+I" in window.import_results_action.shortcut().toString()
    dialog = window.import_results(csv_file)
    assert dialog is not None
    qtbot.waitUntil(dialog.import_button.isEnabled, timeout=10_000)
    with qtbot.waitSignal(dialog.imported, timeout=10_000):
        qtbot.mouseClick(dialog.import_button, Qt.MouseButton.LeftButton)

    shown = window.dashboard.model.dashboard
    assert shown is not None and len(shown.evaluations) == before + 1
    assert shown.evaluations[-1].title == "Oral de mi-parcours"
    assert window.selector.current_learner_id() == shown.learner.id


def test_a_referentiel_imported_from_the_menu_regroups_the_dashboard(
    qtbot: QtBot, demo_database: Database, tmp_path: Path
) -> None:
    window = make_window(qtbot, demo_database, tmp_path / "settings.ini")
    show_first_learner(window)
    shown = window.dashboard.model.dashboard
    assert shown is not None
    section, row = next((s, r) for s in shown.sections for r in s.rows if r.results)
    criterion = row.criterion.code
    new_cc = "CC6.2" if section.common_competency.code != "CC6.2" else "CC6.1"

    exported = window.export_referentiel(tmp_path / "referentiel.json")
    assert exported is not None
    data = json.loads(exported.read_text("utf-8"))
    for specialty in data["specialties"]:
        for competency in specialty["competencies"]:
            for item in competency["criteria"]:
                if item["id"] == criterion:
                    item["cc"] = new_cc
    data["version"] = "0.3"
    exported.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    editor = window.open_referentiel_editor()  # open, without edits, during the import
    assert editor is not None and editor.version_edit.text() == "0.1"
    dialog = window.import_referentiel(exported)
    assert dialog is not None and dialog.isVisible()
    with qtbot.waitSignal(dialog.applied):
        qtbot.mouseClick(dialog.apply_button, Qt.MouseButton.LeftButton)

    shown = window.dashboard.model.dashboard
    assert shown is not None
    moved_to = {
        s.common_competency.code
        for s in shown.sections
        for r in s.rows
        if r.criterion.code == criterion
    }
    assert moved_to == {new_cc}

    assert editor.version_edit.text() == "0.3"  # the open editor shows the imported version
    assert window.open_referentiel_editor() is editor  # one editor, raised again


def test_closing_the_window_lets_a_running_import_finish(
    qtbot: QtBot, demo_database: Database, tmp_path: Path
) -> None:
    window = make_window(qtbot, demo_database, tmp_path / "settings.ini")
    started, written = threading.Event(), threading.Event()

    def task(_progress: object) -> None:
        started.set()
        time.sleep(0.2)  # a transaction being written
        written.set()

    job = ImportJob(task)
    job.start_job()
    assert started.wait(5)
    window.close()
    assert written.is_set()  # close() returned only once the import had ended
    assert not job.isRunning()


def test_an_evaluation_is_changed_from_the_detail_window(
    qtbot: QtBot, demo_database: Database, tmp_path: Path
) -> None:
    window = make_window(qtbot, demo_database, tmp_path / "settings.ini")
    show_first_learner(window)
    learner_id = window.selector.current_learner_id()
    class_id = window.selector.current_class_id()
    assert learner_id is not None and class_id is not None
    services = window._services
    criterion = services.evaluations.criteria_tree()[0].competencies[0].criteria[0]
    day = dt.date.today()
    evaluation_id = services.evaluations.create(
        EvaluationDraft(
            nature="F",
            eval_date=day,
            title="Oral à corriger",
            class_id=class_id,
            results=(GridResult(learner_id, criterion.id, "2"),),
        )
    )
    window.dashboard.show_learner(learner_id)
    shown = window.dashboard.model.dashboard
    assert shown is not None
    index = next(i for i, e in enumerate(shown.evaluations) if e.id == evaluation_id)
    detail = window.dashboard.open_detail(index)
    covered = services.evaluations.load(evaluation_id).covered
    answer = BoxAnswer("Modifier quand même") if covered else None

    qtbot.mouseClick(detail.edit_button, Qt.MouseButton.LeftButton)
    dialog = window.evaluation_dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.windowTitle().startswith("Modifier l'évaluation")
    assert dialog.title_edit.text() == "Oral à corriger"
    row = next(r for r, name in enumerate(dialog.chosen_learners()) if name.id == learner_id)
    dialog.grid.setFocus()
    dialog.grid.setCurrentCell(row, 0)
    qtbot.keyClick(dialog.grid, Qt.Key.Key_4)
    if answer is not None:
        answer.arm()
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)

    assert not dialog.isVisible()
    shown = window.dashboard.model.dashboard
    assert shown is not None
    levels = [
        result.level
        for section in shown.sections
        for r in section.rows
        for result in r.results
        if r.criterion.code == criterion.code
        and shown.evaluations[result.evaluation_index].id == evaluation_id
    ]
    assert levels == ["4"]
