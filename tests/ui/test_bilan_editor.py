"""The bilan editor driven from the dashboard, as a teacher and as the DDFPT would."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, QSettings, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QLineEdit, QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from livret.domain.errors import FinalBilanError, PermissionDenied
from livret.domain.roles import Role
from livret.services.authentication import NO_DDFPT_MESSAGE, local_profile
from livret.services.container import build_services
from livret.services.database import Database
from livret.ui.bilan import editor as editor_module
from livret.ui.bilan.editor import CURRENT, PREVIOUS, BilanEditor
from livret.ui.dashboard.model import CELL_KIND_ROLE, CellKind
from livret.ui.dashboard.view import DashboardView
from livret.ui.main_window import MainWindow
from livret.ui.messages import UnsavedChoice
from tests.accounts import PASSWORD, make_account
from tests.demo_queries import learner_with


@pytest.fixture
def window(qtbot: QtBot, demo_database: Database, tmp_path: Path) -> Iterator[MainWindow]:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    main = MainWindow(
        build_services(demo_database, local_profile(demo_database)),
        database_name="démo",
        settings=settings,
    )
    qtbot.addWidget(main)
    main.show()
    yield main
    if main.dashboard.editor is not None:
        main.dashboard.editor._dirty = False
        main.dashboard.editor.close()


def type_text(widget: QWidget, text: str) -> None:
    """Type like a French keyboard: QTest.keyClicks aborts on characters such as é or œ."""
    for char in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier, char))


def show(window: MainWindow, learner_id: int) -> DashboardView:
    window.dashboard.show_learner(learner_id)
    return window.dashboard


def open_editor(qtbot: QtBot, dashboard: DashboardView) -> BilanEditor:
    assert dashboard.bilan_button.isEnabled()
    qtbot.mouseClick(dashboard.bilan_button, Qt.MouseButton.LeftButton)
    assert dashboard.editor is not None and dashboard.editor.isVisible()
    return dashboard.editor


def test_write_save_and_reopen_a_draft(
    qtbot: QtBot, window: MainWindow, demo_database: Database, qtmodeltester: ModelTester
) -> None:
    learner_id = learner_with(demo_database, 2, False)
    dashboard = show(window, learner_id)
    editor = open_editor(qtbot, dashboard)
    qtmodeltester.check(editor.rows)
    name = dashboard.model.dashboard.learner.display_name  # type: ignore[union-attr]
    assert editor.title.text() == f"Bilan de {name}"
    assert editor.rows.headerData(PREVIOUS, Qt.Orientation.Horizontal).startswith("Précédent\n")
    assert "20/03/2026" in editor.rows.headerData(PREVIOUS, Qt.Orientation.Horizontal)
    assert editor.warning.isVisible()  # a new draft: every CC is still NE
    assert editor.radar.series_values()["current"] == [0.0] * 13

    type_text(editor.constats, "Progrès nets en sécurité ; « œuvre » soignée.")
    type_text(editor.conseils, "Continuer — et relire les consignes.")
    editor.table.scrollTo(editor.rows.index(1, CURRENT))
    rect = editor.table.visualRect(editor.rows.index(1, CURRENT))
    qtbot.mouseClick(editor.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert editor.picker is not None
    qtbot.mouseClick(editor.picker.buttons["4"], Qt.MouseButton.LeftButton)
    editor.open_picker(0)
    qtbot.keyClick(editor.picker, Qt.Key.Key_2)
    values = editor.radar.series_values()
    assert values["current"][:3] == [2.0, 4.0, 0.0]  # live, before any save
    previous_levels = [row.previous for row in editor.sheet.rows]
    assert values["previous"] == [0.0 if p in (None, "NE") else float(p) for p in previous_levels]
    assert editor.is_dirty()

    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)
    assert not editor.is_dirty()
    editor.close()
    again = open_editor(qtbot, dashboard)
    assert again.constats.toPlainText() == "Progrès nets en sécurité ; « œuvre » soignée."
    assert again.conseils.toPlainText() == "Continuer — et relire les consignes."
    assert again.rows.index(0, CURRENT).data().startswith("-  Insuffisamment")
    assert again.rows.index(1, CURRENT).data().startswith("++  Bien maîtrisé")
    assert "CC2.1" not in again.warning.text() and "CC2.2" in again.warning.text()
    # The dashboard's current cells show the saved draft.
    assert dashboard.model.current_cell(1).data() == "++"


def test_closing_with_unsaved_changes_asks(
    qtbot: QtBot, window: MainWindow, demo_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    editor = open_editor(qtbot, show(window, learner_with(demo_database, 1, False)))
    type_text(editor.constats, "Brouillon à garder")
    asked: list[bool] = []

    def answer(choice: UnsavedChoice):  # type: ignore[no-untyped-def]
        def ask(_parent: object) -> UnsavedChoice:
            asked.append(True)
            return choice

        return ask

    monkeypatch.setattr(editor_module, "ask_unsaved", answer(UnsavedChoice.CANCEL))
    editor.close()
    assert editor.isVisible() and asked == [True]
    monkeypatch.setattr(editor_module, "ask_unsaved", answer(UnsavedChoice.SAVE))
    editor.close()
    assert not editor.isVisible()
    assert open_editor(qtbot, window.dashboard).constats.toPlainText() == "Brouillon à garder"


@pytest.mark.parametrize("typed", ["confirmation", "CONFIRMATIO", " CONFIRMATION", "CONFIRMATION "])
def test_anything_but_confirmation_keeps_ok_disabled(
    qtbot: QtBot, window: MainWindow, demo_database: Database, typed: str
) -> None:
    editor = open_editor(qtbot, show(window, learner_with(demo_database, 1, True)))
    dialog = editor.ask_finalize()
    qtbot.keyClicks(dialog.word, typed)
    assert not dialog.ok_button.isEnabled()
    dialog.reject()
    assert not editor.sheet.is_final


def test_confirmation_finalizes_and_starts_a_new_period(
    qtbot: QtBot, window: MainWindow, demo_database: Database
) -> None:
    learner_id = learner_with(demo_database, 1, True)
    dashboard = show(window, learner_id)
    editor = open_editor(qtbot, dashboard)
    bilan_id = editor.sheet.bilan_id
    qtbot.mouseClick(editor.finalize_button, Qt.MouseButton.LeftButton)
    dialog = editor.confirmation_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.word, "CONFIRMATION")
    assert dialog.ok_button.isEnabled()
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)

    assert editor.sheet.is_final
    assert editor.constats.isReadOnly() and not editor.save_button.isVisible()
    assert not editor.finalize_button.isVisible()
    assert editor.unlock_button.isVisible()  # offered: the DDFPT countersigns it
    assert "Bilan définitif" in editor.status.text()
    assert any(
        "Enregistré définitivement" in editor.history.item(i).text()
        for i in range(editor.history.count())
    )

    # The dashboard shows the new period: the bilan's date is the last boundary.
    shown = dashboard.model.dashboard
    assert shown is not None and shown.period_boundaries[-1] == editor.sheet.bilan_date
    assert shown.draft is None
    dashboard.set_condensed(True)
    model = dashboard.model
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            cell = model.cell_paint(row, column)
            if cell.kind is CellKind.MARK:
                assert not cell.underline  # nothing evaluated since today's bilan

    # Every other path is refused: the service and raw SQL.
    services = build_services(demo_database, local_profile(demo_database))
    with pytest.raises(FinalBilanError):
        services.bilans.save_draft(
            bilan_id, version=editor.sheet.version, constats="x", conseils="", positionings={}
        )
    with pytest.raises(DBAPIError), demo_database.engine.begin() as connection:
        connection.execute(text("UPDATE bilan SET conseils = 'x' WHERE id = :b"), {"b": bilan_id})
    with pytest.raises(PermissionDenied):
        services.bilans.unlock(
            bilan_id, reason="je veux corriger", ddfpt_login="ddfpt", ddfpt_password="x"
        )


def open_final_bilan(qtbot: QtBot, dashboard: DashboardView) -> BilanEditor:
    """Click the learner's last final bilan in the dashboard's « previous » column."""
    model = dashboard.model
    row = model.current_cell(0).row()
    column = next(
        c
        for c in range(model.columnCount())
        if model.index(row, c).data(CELL_KIND_ROLE) == CellKind.PREVIOUS
    )
    index = model.index(row, column)
    dashboard.table.scrollTo(index)
    qtbot.mouseClick(
        dashboard.table.viewport(),
        Qt.MouseButton.LeftButton,
        pos=dashboard.table.visualRect(index).center(),
    )
    editor = dashboard.editor
    assert editor is not None and editor.sheet.is_final
    return editor


def teacher_window(qtbot: QtBot, database: Database, tmp_path: Path) -> MainWindow:
    """A teacher's session (a real account), with a DDFPT account in the same base."""
    make_account(database, Role.DDFPT, "mdupont", name="Mme Dupont")
    teacher = make_account(database, Role.TEACHER, "mmartin", name="M. Martin")
    settings = QSettings(str(tmp_path / "teacher.ini"), QSettings.Format.IniFormat)
    main = MainWindow(build_services(database, teacher), database_name="démo", settings=settings)
    qtbot.addWidget(main)
    main.show()
    return main


def unlock_events(database: Database, bilan_id: int) -> list[tuple[str, str]]:
    with database.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT actor, details FROM audit_event WHERE action = 'bilan_unlocked' "
                "AND entity_id = :b"
            ),
            {"b": bilan_id},
        ).all()
    return [(row.actor, row.details) for row in rows]


def test_unlock_is_countersigned_by_the_ddfpt_password(
    qtbot: QtBot, demo_database: Database, tmp_path: Path
) -> None:
    window = teacher_window(qtbot, demo_database, tmp_path)
    learner_id = learner_with(demo_database, 1, False)
    dashboard = show(window, learner_id)
    editor = open_final_bilan(qtbot, dashboard)
    bilan_id = editor.sheet.bilan_id
    assert editor.unlock_button.isVisible()  # offered to the teacher: the DDFPT countersigns
    dialog = editor.ask_unlock()
    assert not dialog.ok_button.isEnabled()
    assert dialog.ddfpt_password.echoMode() is QLineEdit.EchoMode.Password
    qtbot.keyClicks(dialog.reason, "Erreur de positionnement sur CC3.1")
    qtbot.keyClicks(dialog.ddfpt_login, "mdupont")
    qtbot.keyClicks(dialog.ddfpt_password, "pas-le-bon")
    assert dialog.ok_button.isEnabled()

    # A wrong DDFPT password: refused in the dialog, the bilan stays final.
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert dialog.isVisible() and dialog.sheet is None
    assert dialog.error.isVisible() and "incorrect" in dialog.error.text()
    assert dialog.ddfpt_password.text() == ""
    assert dialog.reason.toPlainText() == "Erreur de positionnement sur CC3.1"
    assert editor.sheet.is_final
    assert window.services.bilans.sheet(bilan_id).is_final
    assert unlock_events(demo_database, bilan_id) == []

    # The DDFPT types their own password: unlocked, the history names the DDFPT.
    qtbot.keyClicks(dialog.ddfpt_password, PASSWORD)
    qtbot.mouseClick(dialog.ok_button, Qt.MouseButton.LeftButton)
    assert not dialog.isVisible()
    assert not editor.sheet.is_final
    assert not editor.constats.isReadOnly() and editor.save_button.isVisible()
    history = [editor.history.item(i).text() for i in range(editor.history.count())]
    assert "Déverrouillé" in history[-1] and "Erreur de positionnement sur CC3.1" in history[-1]
    assert "Mme Dupont" in history[-1]
    events = unlock_events(demo_database, bilan_id)
    assert len(events) == 1 and "Mme Dupont" in events[0][0]
    assert "Erreur de positionnement sur CC3.1" in events[0][1]
    # Back to a draft: the dashboard's period is the one before that bilan again.
    assert dashboard.model.dashboard is not None
    assert dashboard.model.dashboard.final_bilans == ()
    assert dashboard.model.dashboard.draft is not None
    editor._dirty = False
    editor.close()


def test_unlock_without_any_ddfpt_account_says_how_to_create_one(
    qtbot: QtBot, window: MainWindow, demo_database: Database
) -> None:
    dashboard = show(window, learner_with(demo_database, 1, False))
    editor = open_final_bilan(qtbot, dashboard)
    assert editor.unlock_button.isVisible()
    dialog = editor.ask_unlock()
    assert dialog.error.isVisible() and dialog.error.text() == NO_DDFPT_MESSAGE
    assert not dialog.ddfpt_login.isEnabled() and not dialog.ddfpt_password.isEnabled()
    assert not dialog.reason.isEnabled() and not dialog.ok_button.isEnabled()
    assert dialog.unlock() is None
    assert editor.sheet.is_final
    dialog.reject()


def test_editor_date_is_today_for_a_new_draft(
    qtbot: QtBot, window: MainWindow, demo_database: Database
) -> None:
    dashboard = show(window, learner_with(demo_database, 2, False))
    editor = open_editor(qtbot, dashboard)
    assert editor.sheet.bilan_date == dt.date.today()
    learner = dashboard.model.dashboard.learner  # type: ignore[union-attr]
    assert editor.class_label.text() == f"{learner.class_label} ({learner.school_year_label})"


def test_editor_follows_positionings_set_on_the_dashboard(
    qtbot: QtBot, window: MainWindow, demo_database: Database
) -> None:
    dashboard = show(window, learner_with(demo_database, 1, False))
    editor = open_editor(qtbot, dashboard)
    type_text(editor.constats, "Texte en cours")
    picker = dashboard.open_picker(2)  # CC2.2, on the dashboard, while the editor is open
    qtbot.keyClick(picker, Qt.Key.Key_3)
    assert editor.rows.index(2, CURRENT).data().startswith("+  Maîtrisé")
    assert editor.radar.series_values()["current"][2] == 3.0
    qtbot.mouseClick(editor.save_button, Qt.MouseButton.LeftButton)  # not refused as stale
    assert not editor.is_dirty()
    saved = window.dashboard.model.dashboard
    assert saved is not None and saved.sections[2].current == "3"
    assert editor.sheet.constats == "Texte en cours"
