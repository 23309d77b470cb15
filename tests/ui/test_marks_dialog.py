"""Noter le dernier bilan: preview a class's marks, change the rounding, save, export."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from livret.services.authentication import local_profile
from livret.services.container import build_services
from livret.services.database import Database
from livret.ui import marks_dialog
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
    main.selector.class_combo.setCurrentIndex(0)
    main.tabs.setCurrentWidget(main.bilans_module)
    yield main


def test_preview_save_and_export(
    qtbot: QtBot,
    window: MainWindow,
    demo_database: Database,
    qtmodeltester: ModelTester,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    qtbot.mouseClick(window.marks_button, Qt.MouseButton.LeftButton)
    dialog = window.marks_dialog
    assert dialog is not None and dialog.isVisible()
    qtmodeltester.check(dialog.model)
    preview = dialog.preview
    assert preview is not None
    assert len(preview.lines) == len(window.selector.visible_learner_names())
    without = [line for line in preview.lines if line.bilan_id is None]
    for line in without:
        row = preview.lines.index(line)
        assert dialog.model.index(row, 2).data() == ""  # never a 0
        assert dialog.model.index(row, 5).data() == "Pas de bilan définitif"

    dialog.rounding.setCurrentIndex(dialog.rounding.findData("1"))
    assert all(
        line.value is None or line.value == line.value.to_integral_value()
        for line in dialog.preview.lines  # type: ignore[union-attr]
    )
    marked = [line for line in dialog.preview.lines if line.value is not None]  # type: ignore[union-attr]
    assert marked

    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    with demo_database.engine.connect() as connection:
        stored = dict(
            connection.execute(text("SELECT bilan_id, value FROM mark WHERE rounding = 1")).all()
        )
    assert {line.bilan_id: line.value for line in marked} == {
        key: Decimal(str(value)) for key, value in stored.items()
    }
    assert all(line.bilan_id not in stored for line in without)

    target = tmp_path / "notes.csv"
    monkeypatch.setattr(marks_dialog, "choose_export_file", lambda _parent, _name: target)
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    with target.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle, delimiter=";"))
    assert rows[0] == ["INE", "nom", "prénom", "classe", "note", "date du bilan", "nombre de NE"]
    assert len(rows) == len(preview.lines) + 1
    first = next(line for line in marked)
    exported = next(row for row in rows if row[0] == first.learner.ine)
    assert exported[4] == str(first.value).replace(".", ",")
    assert "Fichier écrit" in dialog.summary.text()
    # The Bilans module shows the stored marks.
    dialog.close()
    shown = {item.bilan_id: item.mark for item in window.bilans_module.visible_items()}
    assert shown[first.bilan_id] == first.value


def test_export_refused_while_saved_marks_differ_from_the_preview(
    qtbot: QtBot, window: MainWindow, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dialog = window.open_marks()
    assert dialog is not None
    dialog.rounding.setCurrentIndex(dialog.rounding.findData("0.1"))
    assert dialog.save()
    dialog.rounding.setCurrentIndex(dialog.rounding.findData("1"))
    assert dialog.preview is not None and dialog.preview.stored_differing
    errors: list[str] = []
    monkeypatch.setattr(marks_dialog, "show_error", lambda _parent, text: errors.append(text))
    target = tmp_path / "notes.xlsx"
    monkeypatch.setattr(marks_dialog, "choose_export_file", lambda _parent, _name: target)
    assert dialog.export() is None
    assert errors and "enregistrez d'abord" in errors[0]
    assert not target.exists()
