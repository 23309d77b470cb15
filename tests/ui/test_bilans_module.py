"""The Bilans de compétences module: list, filters, opening a bilan read-only or to edit."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QDate, QSettings, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from livret.services.authentication import local_profile
from livret.services.container import build_services
from livret.services.database import Database
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
    if main.bilan_editor is not None:
        main.bilan_editor._dirty = False
        main.bilan_editor.close()


def choose(combo: object, text_value: str) -> None:
    index = combo.findText(text_value)  # type: ignore[attr-defined]
    assert index >= 0, text_value
    combo.setCurrentIndex(index)  # type: ignore[attr-defined]


def test_lists_every_bilan_with_filters(
    window: MainWindow, demo_database: Database, qtmodeltester: ModelTester
) -> None:
    module = window.bilans_module
    qtmodeltester.check(module.model)
    with demo_database.engine.connect() as connection:
        total = connection.execute(text("SELECT COUNT(*) FROM bilan")).scalar_one()
        drafts = connection.execute(
            text("SELECT COUNT(*) FROM bilan WHERE status = 'draft'")
        ).scalar_one()
    assert len(module.visible_items()) == total
    assert module.count_label.text() == f"{total} bilans"
    dates = [item.bilan_date for item in module.visible_items()]
    assert dates == sorted(dates, reverse=True)

    choose(module.status_filter, "Brouillon")
    assert len(module.visible_items()) == drafts
    assert {item.status for item in module.visible_items()} == {"draft"}
    choose(module.status_filter, "Tous")
    choose(module.year_filter, "2025-2026")
    assert {item.school_year_label for item in module.visible_items()} == {"2025-2026"}
    some_class = module.visible_items()[0].class_code
    choose(module.class_filter, str(some_class))
    assert {item.class_code for item in module.visible_items()} == {some_class}
    author = module.visible_items()[0].author
    choose(module.author_filter, str(author))
    assert {item.author for item in module.visible_items()} == {author}
    learner = module.visible_items()[0]
    module.learner_filter.setText(learner.learner_name.split(" ")[0].lower())
    assert learner in module.visible_items()
    assert all(
        learner.learner_name.split(" ")[0].lower() in i.learner_name.lower()
        for i in module.visible_items()
    )
    assert "sur" in module.count_label.text()

    module.learner_filter.clear()
    choose(module.author_filter, "Tous")
    choose(module.class_filter, "Toutes")
    choose(module.year_filter, "Toutes")
    module.since_filter.setDate(QDate(2026, 3, 1))
    assert module.visible_items()
    assert all(item.bilan_date >= dt.date(2026, 3, 1) for item in module.visible_items())
    assert len(module.visible_items()) < total
    choose(module.mark_filter, "Notés")
    assert module.visible_items() == []  # the demo stores no mark
    choose(module.mark_filter, "Sans note")
    assert module.visible_items()


def test_opening_a_final_bilan_is_read_only(qtbot: QtBot, window: MainWindow) -> None:
    module = window.bilans_module
    choose(module.status_filter, "Définitif")
    index = module.proxy.index(0, 0)
    rect = module.table.visualRect(index)
    # A real double-click: a click, then the double-click event.
    qtbot.mouseClick(module.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(module.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    editor = window.bilan_editor
    assert editor is not None and editor.isVisible()
    assert editor.sheet.is_final and editor.constats.isReadOnly()
    assert not editor.save_button.isVisible()


def test_own_draft_opens_editable_and_others_read_only(
    qtbot: QtBot, window: MainWindow, demo_database: Database
) -> None:
    module = window.bilans_module
    choose(module.status_filter, "Brouillon")
    others = module.visible_items()[0]  # the demo's drafts are the demo teachers'
    editor = window.open_bilan(others.bilan_id, others.author_id or 0)
    assert editor is not None and editor.constats.isReadOnly()
    assert "lecture seule" in editor.status.text()

    with demo_database.engine.connect() as connection:
        learner_id = connection.execute(
            text(
                "SELECT id FROM learner WHERE id NOT IN (SELECT learner_id FROM bilan "
                "WHERE status = 'draft') ORDER BY id LIMIT 1"
            )
        ).scalar_one()
    services = build_services(demo_database, local_profile(demo_database))
    own = services.bilans.open_draft(learner_id)
    module.reload()
    module.table.setFocus()
    row = next(
        r
        for r in range(module.proxy.rowCount())
        if module.proxy.index(r, 0).data(Qt.ItemDataRole.UserRole + 2) == own.bilan_id
    )
    module.table.setCurrentIndex(module.proxy.index(row, 0))
    qtbot.keyClick(module.table, Qt.Key.Key_Return)
    editor = window.bilan_editor
    assert editor is not None and editor.sheet.bilan_id == own.bilan_id
    assert not editor.constats.isReadOnly() and editor.save_button.isVisible()
