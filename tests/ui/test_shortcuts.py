"""The main window's menus and shortcuts, pressed as a teacher would: F1, Ctrl+P, the title."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QSettings
from PySide6.QtGui import QAction, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import QApplication, QWidget
from pytestqt.qtbot import QtBot

from livret.services.authentication import local_profile
from livret.services.container import build_services
from livret.services.database import Database
from livret.services.installation import database_short_name
from livret.ui import pdf_export
from livret.ui.help_window import HelpWindow
from livret.ui.main_window import NOTHING_TO_PRINT, MainWindow
from tests.demo_queries import learner_with


@pytest.fixture
def window(qtbot: QtBot, demo_database: Database, tmp_path: Path) -> Iterator[MainWindow]:
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    main = MainWindow(
        build_services(demo_database, local_profile(demo_database)),
        database_name=database_short_name(demo_database),
        settings=settings,
    )
    qtbot.addWidget(main)
    with qtbot.waitActive(main):
        main.show()
        main.activateWindow()
    yield main
    for editor in (main.dashboard.editor, main.bilan_editor):
        if editor is not None:
            editor._dirty = False
            editor.close()
    if main.help_window is not None:
        main.help_window.close()


def press(qtbot: QtBot, widget: QWidget, key: str) -> None:
    """Press a shortcut in the widget's window, which must be the active one."""
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget.window())
    sequence = QKeySequence(key)[0]
    qtbot.keyClick(widget, sequence.key(), sequence.keyboardModifiers())


def shown_title(widget: QWidget) -> str:
    """The title as the window system shows it: Qt's QPlatformWindow::formatWindowTitle
    appends the application's display name, when one was set, to a title not ending with it.
    """
    app = QGuiApplication.instance()
    assert isinstance(app, QGuiApplication)
    name = app.applicationName()
    app.setApplicationName(name + "-sonde")  # a display name left unset follows the name
    display_set = app.applicationDisplayName() != name + "-sonde"
    app.setApplicationName(name)
    title, display = widget.windowTitle(), app.applicationDisplayName()
    if display_set and not title.endswith(display):
        return f"{title} — {display}"
    return title


def test_the_title_names_livret_once_then_the_base(
    window: MainWindow, demo_database: Database
) -> None:
    assert demo_database.location.path is not None
    file_name = demo_database.location.path.name
    actor = window.services.actor.display_name
    assert shown_title(window) == f"Livret — {file_name} — {actor}"
    assert shown_title(window).count("Livret") == 1
    assert str(demo_database.location.path.parent) not in window.windowTitle()


def test_no_two_commands_share_a_shortcut(window: MainWindow) -> None:
    keys = [
        action.shortcut().toString()
        for action in set(window.findChildren(QAction))
        if not action.shortcut().isEmpty()
    ]
    keys += [s.key().toString() for s in window.findChildren(QShortcut) if not s.key().isEmpty()]
    assert {"F1", "Ctrl+P", "Ctrl+N", "Ctrl+O", "Ctrl+I"} <= set(keys)
    assert [key for key, n in Counter(keys).items() if n > 1] == []


def test_f1_opens_the_teachers_guide(qtbot: QtBot, window: MainWindow) -> None:
    press(qtbot, window.tabs, "F1")
    guide = window.help_window
    assert isinstance(guide, HelpWindow) and guide.isVisible()
    assert guide.title() == "Guide de l'enseignant"
    press(qtbot, window.tabs, "F1")  # again: the same window, raised
    assert window.help_window is guide


def test_f1_works_from_a_dialog(qtbot: QtBot, window: MainWindow) -> None:
    about = window.open_about()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is about)
    press(qtbot, about, "F1")
    assert window.help_window is not None and window.help_window.isVisible()


def test_ctrl_p_exports_the_latest_final_bilan(
    qtbot: QtBot,
    window: MainWindow,
    demo_database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    learner = learner_with(demo_database, finals=2, draft=False)
    window.dashboard.show_learner(learner)
    shown = window.dashboard.model.dashboard
    assert shown is not None and window.print_action.isEnabled()
    suggested: list[str] = []
    target = tmp_path / "bilan.pdf"

    def choose(_parent: QWidget, name: str) -> Path:
        suggested.append(name)
        return target

    monkeypatch.setattr(pdf_export, "choose_pdf_file", choose)
    press(qtbot, window.tabs, "Ctrl+P")
    text = "\n".join(page.extract_text() for page in PdfReader(target).pages)
    assert f"Bilan de {shown.learner.display_name}" in text
    assert "BROUILLON" not in text
    latest = shown.final_bilans[-1].bilan_date.isoformat()
    assert suggested == [
        f"{shown.learner.class_label}_{shown.learner.display_name}_{latest}.pdf".replace(" ", "_")
    ]


def test_ctrl_p_in_the_open_editor_exports_that_draft(
    qtbot: QtBot,
    window: MainWindow,
    demo_database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    learner = learner_with(demo_database, finals=1, draft=True)
    window.dashboard.show_learner(learner)
    editor = window.dashboard.open_bilan_editor()
    assert editor is not None
    qtbot.waitUntil(lambda: QApplication.activeWindow() is editor)
    target = tmp_path / "brouillon.pdf"
    monkeypatch.setattr(pdf_export, "choose_pdf_file", lambda _parent, _name: target)
    press(qtbot, editor, "Ctrl+P")
    text = "\n".join(page.extract_text() for page in PdfReader(target).pages)
    assert f"Bilan de {editor.sheet.learner_name}" in text
    assert "BROUILLON" in text  # the draft open in the editor, not the final one before it


def test_ctrl_p_is_disabled_with_nothing_to_export(
    qtbot: QtBot,
    window: MainWindow,
    demo_database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    window.dashboard.show_learner(None)
    assert not window.print_action.isEnabled()
    # A draft only, its editor closed: no final bilan to export either.
    window.dashboard.show_learner(learner_with(demo_database, finals=0, draft=True))
    assert not window.print_action.isEnabled()
    assert window.print_action.toolTip() == NOTHING_TO_PRINT
    asked: list[str] = []
    monkeypatch.setattr(pdf_export, "choose_pdf_file", lambda _p, name: asked.append(name))
    press(qtbot, window.tabs, "Ctrl+P")
    assert asked == [] and list(tmp_path.glob("*.pdf")) == []
    # Its editor opened: now there is something to export.
    editor = window.dashboard.open_bilan_editor()
    assert editor is not None
    qtbot.waitUntil(window.print_action.isEnabled)
    editor.close()
    qtbot.waitUntil(lambda: not window.print_action.isEnabled())


def test_f1_in_a_dialog_opens_its_own_windows_guide(
    qtbot: QtBot, demo_database: Database, tmp_path: Path
) -> None:
    # An earlier main window (another base opened, or one not deleted yet) hears the same
    # focus changes, and first: it must not give its F1 to this window's dialog.
    def main_window(name: str) -> MainWindow:
        settings = QSettings(str(tmp_path / f"{name}.ini"), QSettings.Format.IniFormat)
        made = MainWindow(
            build_services(demo_database, local_profile(demo_database)),
            database_name=name,
            settings=settings,
        )
        qtbot.addWidget(made)
        with qtbot.waitActive(made):
            made.show()
            made.activateWindow()
        return made

    earlier = main_window("avant")
    window = main_window("démo")
    about = window.open_about()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is about)
    assert earlier.help_action not in about.actions()
    press(qtbot, about, "F1")
    assert window.help_window is not None and window.help_window.isVisible()
    assert earlier.help_window is None
    window.help_window.close()
