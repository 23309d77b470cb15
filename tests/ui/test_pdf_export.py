"""PDF exports from the Bilans module: one bilan, then a whole class with its progress bar."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QSettings, Qt
from pytestqt.modeltest import ModelTester
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
    dialog = window.class_pdf_dialog
    assert dialog is not None and dialog.isVisible()
    assert list(folder.iterdir()) == []  # nothing written before « Exporter »
    qtbot.mouseClick(dialog.export_button, Qt.MouseButton.LeftButton)
    files = sorted(folder.glob("*.pdf"))
    combined = [f for f in files if "conseil_de_classe" in f.name]
    assert len(combined) == 1
    assert combined[0].name.endswith(f"_{dt.date.today().isoformat()}.pdf")
    learners = [f for f in files if f not in combined]
    assert learners
    assert len(PdfReader(combined[0]).pages) == sum(len(PdfReader(f).pages) for f in learners)
    assert reports and reports[0].startswith(f"{len(learners)} PDF écrits")


def _select(window: MainWindow, code: str, year: str) -> None:
    info = next(
        c for c in window.selector.classes() if (c.code, c.school_year_label) == (code, year)
    )
    assert window.selector.select_class(info.id)


def test_class_pdf_dialog_lists_who_gets_nothing_and_includes_drafts_on_request(
    qtbot: QtBot,
    window: MainWindow,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    qtmodeltester: ModelTester,
) -> None:
    """1PLP1 in December: March's bilans for most, the drafts of 27/11 only when asked,
    watermarked; the learners without a bilan are listed with the reason."""
    _select(window, "1PLP1", "2026-2027")
    dialog = window.export_class_pdfs()
    assert dialog is not None
    qtmodeltester.check(dialog.model)
    dialog.conseil_date.set_day(dt.date(2026, 12, 10))
    plan = dialog.plan
    assert plan is not None and plan.on == dt.date(2026, 12, 10) and plan.drafts == 0
    model = dialog.model
    rows = {
        model.index(r, 0).data(): [model.index(r, c).data() for c in range(4)]
        for r in range(model.rowCount())
    }
    assert len(rows) == len(plan.choices)
    for skipped in plan.skipped:
        assert rows[skipped.name][1:3] == ["—", ""]
        assert rows[skipped.name][3] == skipped.reason[:1].upper() + skipped.reason[1:]
    chosen = plan.chosen
    assert chosen
    for item in chosen:
        assert item.choice.bilan_date is not None
        shown = rows[item.learner.display_name]
        assert shown[1:3] == [item.choice.bilan_date.strftime("%d/%m/%Y"), "Définitif"]
    assert f"{len(chosen)} PDF" in dialog.summary.text()
    assert f"{len(plan.skipped)} sans bilan au 10/12/2026" in dialog.summary.text()

    dialog.include_drafts.setChecked(True)
    with_drafts = dialog.plan
    assert with_drafts is not None and with_drafts.drafts > 0
    drafted = [c for c in with_drafts.choices if c.choice.is_draft]
    for item in drafted:
        assert rows_of(model, item.learner.display_name)[1:3] == ["27/11/2026", "Brouillon"]
    assert f"dont {with_drafts.drafts} brouillon(s)" in dialog.summary.text()

    folder = tmp_path / "conseil"
    folder.mkdir()
    reports: list[str] = []
    monkeypatch.setattr(pdf_export, "choose_folder", lambda _parent: folder)
    monkeypatch.setattr(messages, "show_info", lambda _p, _t, text: reports.append(text))
    result = dialog.export()
    assert result is not None and result.drafts == with_drafts.drafts
    drafts = sorted(folder.glob("*_brouillon.pdf"))
    assert len(drafts) == len(drafted)
    assert all(
        "BROUILLON" in page.extract_text() for path in drafts for page in PdfReader(path).pages
    )
    assert (folder / "1PLP1_conseil_de_classe_2026-12-10.pdf").exists()
    report = reports[0]
    assert f"Dont {len(drafted)} brouillon(s), marqué(s) « BROUILLON »." in report
    for skipped in result.skipped:
        assert f"  • {skipped.name} : {skipped.reason}" in report


def rows_of(model: object, name: str) -> list[object]:
    from livret.ui.pdf_export import ClassPlanModel

    assert isinstance(model, ClassPlanModel)
    row = next(r for r in range(model.rowCount()) if model.index(r, 0).data() == name)
    return [model.index(row, c).data() for c in range(4)]


def test_one_conseil_day_for_the_class_pdf_the_marks_and_the_conseil_tab(
    window: MainWindow,
) -> None:
    """The day chosen in « PDF de la classe » is the marks' and the conseil tab's, and
    back: the three screens prepare the same conseil."""
    _select(window, "1PLP1", "2026-2027")
    pdf = window.export_class_pdfs()
    assert pdf is not None
    pdf.conseil_date.set_day(dt.date(2026, 12, 10))
    marks = window.open_marks()
    assert marks is not None
    assert marks.day == dt.date(2026, 12, 10)
    assert marks.preview is not None and marks.preview.on == dt.date(2026, 12, 10)
    assert window.conseil_view.conseil_date() == dt.date(2026, 12, 10)

    window.conseil_view.set_date(dt.date(2027, 1, 15))
    assert marks.day == dt.date(2027, 1, 15) and pdf.day == dt.date(2027, 1, 15)
    assert pdf.plan is not None and pdf.plan.on == dt.date(2027, 1, 15)
