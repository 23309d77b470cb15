"""Settings round trip: folders and dialog sizes survive a restart (a real ini file)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, QSize
from PySide6.QtWidgets import QApplication, QFileDialog
from pytestqt.qtbot import QtBot

from livret.services.authentication import local_profile
from livret.services.container import build_services
from livret.services.database import Database
from livret.ui.about_dialog import AboutDialog
from livret.ui.main_window import MainWindow
from tests.demo_queries import learner_with

WindowFactory = Callable[[], MainWindow]


@pytest.fixture
def start_app(qtbot: QtBot, demo_database: Database, tmp_path: Path) -> WindowFactory:
    """Build the window as a new run of the app would: a new QSettings over the same file."""
    ini = tmp_path / "config" / "Livret.ini"

    def start() -> MainWindow:
        settings = QSettings(str(ini), QSettings.Format.IniFormat)
        window = MainWindow(
            build_services(demo_database, local_profile(demo_database)),
            database_name="démo",
            settings=settings,
        )
        qtbot.addWidget(window)
        window.show()
        return window

    return start


class SaveDialog:
    """QFileDialog.getSaveFileName as the user answers it: records where it opened."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.proposed: list[Path] = []
        self.answer = ""
        monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(self._ask))

    def _ask(self, _parent: object, _title: str, proposed: str, _filter: str) -> tuple[str, str]:
        self.proposed.append(Path(proposed))
        return self.answer, "PDF (*.pdf)"


def export_pdf(window: MainWindow, learner: int) -> None:
    window.dashboard.show_learner(learner)
    window.print_current_bilan()  # Ctrl+P
    window.close()


def test_a_file_dialog_starts_where_the_last_one_of_its_kind_ended(
    start_app: WindowFactory,
    demo_database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    learner = learner_with(demo_database, finals=2, draft=False)
    dialog = SaveDialog(monkeypatch)
    folder = tmp_path / "clé USB" / "bilans"
    folder.mkdir(parents=True)
    dialog.answer = str(folder / "bilan.pdf")
    export_pdf(start_app(), learner)
    assert (folder / "bilan.pdf").is_file()
    assert dialog.proposed[0].parent == Path.home()  # nothing remembered yet

    export_pdf(start_app(), learner)  # the next run of the app
    assert dialog.proposed[1].parent == folder
    assert dialog.proposed[1].name == dialog.proposed[0].name  # still the suggested name

    # Other purposes keep their own folder: the marks export has none yet.
    from livret.ui import remembered

    window = start_app()
    assert remembered.start_folder(window, remembered.Purpose.MARKS_EXPORT) == Path.home()
    window.close()

    (folder / "bilan.pdf").unlink()
    folder.rmdir()  # the USB key is gone
    dialog.answer = ""
    export_pdf(start_app(), learner)
    assert dialog.proposed[2].parent == Path.home()


def test_a_dialog_opens_at_the_size_it_was_closed_at(
    qtbot: QtBot, start_app: WindowFactory
) -> None:
    window = start_app()
    about = window.open_about()
    qtbot.waitExposed(about)
    first = about.size()
    wanted = QSize(first.width() - 60, first.height() - 40)
    about.resize(wanted)
    about.close()
    window.close()

    window = start_app()
    again = window.open_about()
    assert isinstance(again, AboutDialog) and again is not about
    assert again.size() == wanted
    again.close()
    window.close()


def test_a_size_larger_than_the_screen_is_shrunk_to_it(
    qtbot: QtBot, start_app: WindowFactory
) -> None:
    window = start_app()
    about = window.open_about()
    qtbot.waitExposed(about)
    about.resize(QSize(9000, 7000))  # saved from a larger screen
    about.close()
    window.close()

    window = start_app()
    again = window.open_about()
    screen = QApplication.primaryScreen().availableGeometry().size()
    assert again.width() <= screen.width() and again.height() <= screen.height()
    again.close()
