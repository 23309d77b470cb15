"""Noter le dernier bilan: preview a class's marks, change the rounding, save, export."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QSettings, Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from livret.services.authentication import local_profile
from livret.services.container import build_services
from livret.services.database import Database
from livret.services.marks import EXPORT_HEADER
from livret.ui import marks_dialog
from livret.ui.main_window import MainWindow
from livret.ui.theme import current_theme


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
        # The rule's reason, capitalised: « Aucun bilan », « Seulement un brouillon (du …) … ».
        assert dialog.model.index(row, 5).data() == line.status[:1].upper() + line.status[1:]
        assert line.status.startswith(("aucun bilan", "seulement un brouillon"))

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
    assert rows[0] == list(EXPORT_HEADER)
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


def _select(window: MainWindow, code: str, year: str) -> int:
    info = next(
        c for c in window.selector.classes() if (c.code, c.school_year_label) == (code, year)
    )
    assert window.selector.select_class(info.id)
    return info.id


def test_the_conseil_date_is_shared_with_the_class_pdf_dialog(
    qtbot: QtBot, window: MainWindow
) -> None:
    """One « Conseil du » for the session: chosen in the marks, found in the class PDF, and
    back; both list the same learners without a bilan, for the same reason."""
    _select(window, "1PLP1", "2026-2027")
    marks = window.open_marks()
    assert marks is not None
    assert marks.conseil_date.day == dt.date.today()
    marks.conseil_date.set_day(dt.date(2025, 12, 1))
    assert marks.preview is not None and marks.preview.on == dt.date(2025, 12, 1)
    assert marks.preview.marked == 0  # before the first bilans of 12/12/2025
    assert "sans bilan définitif au 01/12/2025" in marks.summary.text()

    pdfs = window.export_class_pdfs()
    assert pdfs is not None and pdfs.isVisible()
    assert pdfs.conseil_date.day == dt.date(2025, 12, 1)
    assert not pdfs.export_button.isEnabled()  # nothing to print that day

    december = dt.date(2026, 12, 10)
    pdfs.conseil_date.set_day(december)
    assert marks.conseil_date.day == december  # the open marks dialog follows
    assert marks.preview.on == december
    marks.close()
    again = window.open_marks()
    assert again is not None and again.conseil_date.day == december
    assert again.preview is not None and pdfs.plan is not None

    def remarks(model: Any, rows: int) -> dict[str, str]:
        return {
            model.index(row, 0).data(): model.index(row, model.columnCount() - 1).data()
            for row in range(rows)
        }

    pdf_remarks = remarks(pdfs.model, pdfs.model.rowCount())
    mark_remarks = remarks(again.model, again.model.rowCount())
    skipped = {s.name for s in pdfs.plan.skipped}
    assert skipped == {
        line.learner.display_name for line in again.preview.lines if line.bilan_id is None
    }
    assert skipped  # the learners left out are listed, with the rule's reason, in both
    assert all(pdf_remarks[name] == mark_remarks[name] != "" for name in skipped)
    pdf_bilans = {c.choice.bilan_id for c in pdfs.plan.chosen}
    assert pdf_bilans == {line.bilan_id for line in again.preview.lines if line.bilan_id}


def _finalize_on_two_ccs(database: Database, class_id: int) -> int:
    """A learner of the class without a draft gets a final bilan on CC1.1 (4) and CC2.1 (3)."""
    from livret.services.bilans import CONFIRMATION_WORD, BilanService
    from livret.services.users import command_line_actor

    with database.engine.connect() as connection:
        learner_id = connection.execute(
            text(
                "SELECT e.learner_id FROM enrolment e JOIN learner l ON l.id = e.learner_id "
                "WHERE e.class_id = :c AND l.left_on IS NULL AND NOT EXISTS (SELECT 1 FROM "
                "bilan b WHERE b.learner_id = e.learner_id AND b.status = 'draft') "
                "ORDER BY e.learner_id LIMIT 1"
            ),
            {"c": class_id},
        ).scalar_one()
        ccs = dict(connection.execute(text("SELECT code, id FROM common_competency")).all())
    bilans = BilanService(database, command_line_actor(database))
    bilans.set_positioning(learner_id, ccs["CC1.1"], "4")
    saved = bilans.set_positioning(learner_id, ccs["CC2.1"], "3")
    version = bilans.sheet(saved.bilan_id).version
    bilans.finalize(saved.bilan_id, version=version, confirmation=CONFIRMATION_WORD)
    return int(learner_id)


def test_a_mark_on_2_ccs_of_13_is_flagged(
    qtbot: QtBot, window: MainWindow, demo_database: Database
) -> None:
    class_id = _select(window, "1PLP1", "2026-2027")
    learner_id = _finalize_on_two_ccs(demo_database, class_id)
    dialog = window.open_marks()
    assert dialog is not None and dialog.preview is not None
    row = next(i for i, line in enumerate(dialog.preview.lines) if line.learner.id == learner_id)
    mark = dialog.model.index(row, 2)
    assert mark.data() == "16,7 ⚠"
    assert mark.data(Qt.ItemDataRole.ToolTipRole) == (
        "Calculée sur 2 CC sur 13 (moins de 50\u00a0% des CC)"
    )
    flag = current_theme().flag_background
    assert mark.data(Qt.ItemDataRole.BackgroundRole).color() == flag
    assert dialog.model.index(row, 5).data() == "Calculée sur 2 CC sur 13"
    flagged = dialog.preview.flagged
    assert flagged >= 1 and f"{flagged} note(s) signalée(s) ⚠" in dialog.summary.text()
    unflagged = next(
        i
        for i, line in enumerate(dialog.preview.lines)
        if line.value is not None and not line.flagged
    )
    assert "⚠" not in dialog.model.index(unflagged, 2).data()
    assert (
        dialog.model.index(unflagged, 2)
        .data(Qt.ItemDataRole.ToolTipRole)
        .startswith("Calculée sur ")
    )

    # « Signaler une note calculée sur moins de 0 % des CC »: no flag; saved with the marks.
    dialog.min_share.setValue(0)
    assert dialog.model.index(row, 2).data() == "16,7"
    assert dialog.save()
    assert window.services.marks.settings().min_share == Decimal(0)


def test_numbers_are_written_the_french_way(qtbot: QtBot, window: MainWindow) -> None:
    _select(window, "1PLP1", "2025-2026")
    dialog = window.open_marks()
    assert dialog is not None and dialog.preview is not None
    spin = dialog.weights["CC1.1"]
    assert spin.text() == "1,0"  # not « 1.0 » beside marks written « 16,7 »
    spin.setValue(1.5)
    assert spin.text() == "1,5"
    assert [dialog.rounding.itemText(i) for i in range(3)] == [
        "au 0,1 près",
        "au 0,5 près",
        "au 1 près",
    ]
    assert dialog.min_share.text() == "50\u00a0%"
    shown = [dialog.model.index(row, 2).data() for row in range(dialog.model.rowCount())]
    assert any("," in text for text in shown)
    assert not any("." in text for text in shown)
