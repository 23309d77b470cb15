"""The conseil de classe tab, as a teacher uses it: choose, read, type a remark, export."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from openpyxl import load_workbook  # type: ignore[import-untyped, unused-ignore]
from pypdf import PdfReader
from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QLineEdit
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from livret.domain.conseil import Trend
from livret.domain.roles import Role
from livret.services.catalog import CatalogService
from livret.services.conseil import ConseilService
from livret.services.database import Database
from livret.ui import conseil_view, messages
from livret.ui.conseil_view import FIXED_COLUMNS, ConseilClasseView, ConseilModel
from tests.accounts import make_account

CONSEIL = dt.date(2026, 4, 2)  # after the demo's bilans of 20/03/2026


def rows(database: Database, sql: str, **params: object) -> list[tuple[object, ...]]:
    with database.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params).all()]


@pytest.fixture
def service(demo_database: Database) -> ConseilService:
    return ConseilService(demo_database, make_account(demo_database, Role.TEACHER, name="Mme R"))


@pytest.fixture
def view(
    qtbot: QtBot, demo_database: Database, service: ConseilService
) -> Iterator[ConseilClasseView]:
    widget = ConseilClasseView(lambda: service, today=CONSEIL)
    qtbot.addWidget(widget)
    widget.resize(1300, 700)
    classes = CatalogService(demo_database, service.actor).list_classes()
    # 1PLP1 of 2025-2026: two final bilans for most of its learners by 02/04/2026.
    widget.set_classes(classes, current=next(c.id for c in classes if c.code == "1PLP1"))
    with qtbot.waitExposed(widget):
        widget.show()
    yield widget


def test_the_model_passes_the_model_tester(
    qtmodeltester: ModelTester, view: ConseilClasseView
) -> None:
    qtmodeltester.check(view.model)
    qtmodeltester.check(ConseilModel())


def test_it_shows_every_learner_with_arrows(view: ConseilClasseView) -> None:
    model = view.model
    shown = model.view
    assert shown is not None
    assert view.title.text().startswith("Conseil du 02/04/2026 — 1PLP1")
    assert model.rowCount() == len(shown.lines) == 12
    codes = [cc.code for cc in shown.common_competencies]
    headers = [model.headerData(c, Qt.Orientation.Horizontal) for c in range(model.columnCount())]
    assert headers == [*FIXED_COLUMNS, *codes, "Remarque"]
    # One learner's arrows, cell by cell, as in the DTO.
    row = next(r for r, line in enumerate(model.lines()) if Trend.UP in line.trends)
    line = model.line(row)
    cells = [model.index(row, len(FIXED_COLUMNS) + c).data() for c in range(len(codes))]
    assert cells == [change.value for change in line.trends]
    first_up = line.trends.index(Trend.UP)
    tip = model.index(row, len(FIXED_COLUMNS) + first_up).data(Qt.ItemDataRole.ToolTipRole)
    assert tip.startswith(codes[first_up]) and "→" in tip
    # A learner without a bilan says why.
    none = [r for r, line in enumerate(model.lines()) if line.bilan_id is None]
    for r in none:
        assert model.index(r, 2).data() == model.line(r).reason != ""


def test_typing_a_remark_saves_it(
    qtbot: QtBot, view: ConseilClasseView, demo_database: Database, service: ConseilService
) -> None:
    model = view.model
    index = model.index(1, model.remark_column)
    view.table.setCurrentIndex(index)
    view.table.edit(index)
    editor = view.table.viewport().findChild(QLineEdit)
    assert editor is not None
    qtbot.keyClicks(editor, "Doit rattraper le stage")
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    QCoreApplication.processEvents()  # the delegate commits through a queued call

    learner_id = model.line(1).learner.id
    stored = rows(
        demo_database,
        "SELECT text, conseil_date FROM conseil_remark WHERE learner_id = :l",
        l=learner_id,
    )
    assert [r[0] for r in stored] == ["Doit rattraper le stage"]
    assert index.data() == "Doit rattraper le stage"
    assert "Mme R" in index.data(Qt.ItemDataRole.ToolTipRole)
    # Read again (another day, then back): the remark belongs to this conseil's date.
    view.set_date(CONSEIL + dt.timedelta(days=1))
    assert model.index(1, model.remark_column).data() == ""
    view.set_date(CONSEIL)
    assert model.index(1, model.remark_column).data() == "Doit rattraper le stage"


def test_a_refused_remark_keeps_the_old_text(
    view: ConseilClasseView, service: ConseilService, monkeypatch: pytest.MonkeyPatch
) -> None:
    errors: list[str] = []
    monkeypatch.setattr(messages, "show_error", lambda _parent, message: errors.append(message))
    model = view.model
    line = model.line(0)
    # Someone else wrote a remark since the view was read.
    service.save_remark(model.view.class_id, line.learner.id, CONSEIL, "Écrit ailleurs")  # type: ignore[union-attr]
    assert not view.edit_remark(0, "Le mien")
    assert errors and "autre poste" in errors[0]
    assert model.index(0, model.remark_column).data() == ""


def test_exports_write_files(
    view: ConseilClasseView, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert view.edit_remark(0, "Très bon trimestre")
    monkeypatch.setattr(conseil_view, "choose_pdf_path", lambda _p, _s: tmp_path / "conseil")
    pdf = view.export_pdf()
    assert pdf == tmp_path / "conseil.pdf"
    content = " ".join(page.extract_text() for page in PdfReader(pdf).pages)
    assert "Conseil de classe du 02/04/2026" in content
    assert "Très bon trimestre" in content

    monkeypatch.setattr(conseil_view, "choose_table_path", lambda _p, _s: tmp_path / "c.csv")
    written = view.export_table()
    assert written == tmp_path / "c.csv"
    with written.open(encoding="utf-8-sig", newline="") as stream:
        table = list(csv.reader(stream, delimiter=";"))
    assert len(table) == view.model.rowCount() + 1
    assert table[1][-1] == "Très bon trimestre"

    monkeypatch.setattr(conseil_view, "choose_table_path", lambda _p, _s: tmp_path / "c")
    xlsx = view.export_table()
    assert xlsx == tmp_path / "c.xlsx"
    sheet = load_workbook(xlsx).active
    assert sheet.max_row == view.model.rowCount() + 1
