"""PDF exports from the Bilans module: one bilan, then a whole class with its progress bar."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QSettings, Qt
from pytestqt.qtbot import QtBot

from livret.services.authentication import local_profile
from livret.services.container import build_services
from livret.services.database import Database
from livret.ui import messages, pdf_export
from livret.ui.main_window import MainWindow


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
    main.tabs.setCurrentWidget(main.bilans_module)
    yield main


def test_pdf_of_the_selected_bilan(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    module = window.bilans_module
    module.status_filter.setCurrentIndex(module.status_filter.findText("Définitif"))
    module.table.setCurrentIndex(module.proxy.index(0, 0))
    item = module.selected_item()
    assert item is not None
    target = tmp_path / "bilan.pdf"
    monkeypatch.setattr(pdf_export, "choose_pdf_file", lambda _parent, _name: target)
    qtbot.mouseClick(window.pdf_button, Qt.MouseButton.LeftButton)
    text = "\n".join(page.extract_text() for page in PdfReader(target).pages)
    assert f"Bilan de {item.learner_name}" in text
    assert "BROUILLON" not in text


def test_pdf_of_a_class_with_progress(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    selector = window.selector
    index = next(
        i
        for i in range(selector.class_combo.count())
        if "2025-2026" in selector.class_combo.itemText(i)
    )
    selector.class_combo.setCurrentIndex(index)
    folder = tmp_path / "conseil"
    folder.mkdir()
    reports: list[str] = []
    monkeypatch.setattr(pdf_export, "choose_folder", lambda _parent: folder)
    monkeypatch.setattr(messages, "show_info", lambda _p, _t, text: reports.append(text))
    qtbot.mouseClick(window.class_pdf_button, Qt.MouseButton.LeftButton)
    files = sorted(folder.glob("*.pdf"))
    combined = [f for f in files if "conseil_de_classe" in f.name]
    assert len(combined) == 1
    learners = [f for f in files if f not in combined]
    assert learners
    assert len(PdfReader(combined[0]).pages) == sum(len(PdfReader(f).pages) for f in learners)
    assert reports and reports[0].startswith(f"{len(learners)} PDF écrits")
