"""An Apprenant's window: their own final bilans only, their dashboard, read-only, a real PDF."""

from __future__ import annotations

from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtCore import QSettings
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from livret.domain.roles import Role
from livret.services.bilans import CONFIRMATION_WORD, BilanService
from livret.services.container import Services, build_services
from livret.services.database import Database, open_database
from livret.ui import messages
from livret.ui.dashboard.model import CELL_KIND_ROLE, CellKind
from livret.ui.learner_window import LearnerWindow
from tests.accounts import make_account


def _learner_with_final_and_draft(database: Database) -> tuple[int, str, str, str]:
    """(learner id, INE, family name, first name) of a learner with a final bilan and a draft."""
    with database.engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT l.id, l.ine, l.family_name, l.first_name FROM bilan b "
                "JOIN learner l ON l.id = b.learner_id "
                "GROUP BY l.id, l.ine, l.family_name, l.first_name "
                "HAVING SUM(CASE WHEN b.status = 'final' THEN 1 ELSE 0 END) >= 1 "
                "AND SUM(CASE WHEN b.status = 'draft' THEN 1 ELSE 0 END) = 1 "
                "ORDER BY l.id LIMIT 1"
            )
        ).one()
    return int(row[0]), str(row[1]), str(row[2]), str(row[3])


def _bilans_by_status(database: Database, learner_id: int) -> dict[str, set[int]]:
    with database.engine.connect() as connection:
        rows = connection.execute(
            text("SELECT id, status FROM bilan WHERE learner_id = :id"), {"id": learner_id}
        ).all()
    found: dict[str, set[int]] = {"final": set(), "draft": set()}
    for bilan_id, status in rows:
        found[str(status)].add(int(bilan_id))
    return found


@pytest.fixture
def learner_services(demo_database: Database) -> tuple[Services, int, str, str]:
    learner_id, ine, family, first = _learner_with_final_and_draft(demo_database)
    actor = make_account(demo_database, Role.LEARNER, "eleve", learner_ine=ine)
    assert actor.learner_id == learner_id
    return build_services(demo_database, actor), learner_id, family, first


@pytest.fixture
def window(
    qtbot: QtBot,
    tmp_path: Path,
    learner_services: tuple[Services, int, str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> LearnerWindow:
    errors: list[str] = []
    monkeypatch.setattr(messages, "show_error", lambda _parent, message: errors.append(message))
    monkeypatch.setattr(messages, "show_info", lambda *_args: None)
    services = learner_services[0]
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = LearnerWindow(services, "demo.sqlite", settings=settings)
    qtbot.addWidget(window)
    assert errors == []
    return window


def test_only_their_own_final_bilans(
    window: LearnerWindow,
    demo_database: Database,
    learner_services: tuple[Services, int, str, str],
) -> None:
    _, learner_id, _, _ = learner_services
    expected = _bilans_by_status(demo_database, learner_id)
    shown = {item.bilan_id for item in window.bilans.items()}
    assert shown == expected["final"]
    assert not shown & expected["draft"]
    assert {item.learner_id for item in window.bilans.items()} == {learner_id}
    assert {item.status for item in window.bilans.items()} == {"final"}
    sheet = window.bilans.sheet
    assert sheet is not None and sheet.is_final and sheet.learner_id == learner_id
    assert window.bilans.constats.toPlainText() == sheet.constats
    assert window.bilans.constats.isReadOnly() and window.bilans.conseils.isReadOnly()
    assert len(window.bilans.level_lines()) == len(sheet.rows)


def test_title_and_dashboard_show_their_name(
    window: LearnerWindow, learner_services: tuple[Services, int, str, str]
) -> None:
    services, learner_id, family, first = learner_services
    assert window.windowTitle() == f"Livret — {services.actor.display_name}"
    assert first in window.windowTitle()
    assert window.tabs.tabText(0) == "Mon tableau de bord"
    assert window.tabs.tabText(1) == "Mes bilans"
    assert window.dashboard.title.text() == f"{family.upper()} {first}"
    dashboard = window.dashboard.model.dashboard
    assert dashboard is not None and dashboard.learner.id == learner_id
    assert dashboard.draft is None  # the draft in progress is not shown
    assert "brouillon" not in window.dashboard.summary.text()
    assert not window.dashboard.bilan_button.isVisibleTo(window)
    assert window.dashboard.open_bilan_editor() is None


def test_clicking_the_current_positioning_writes_nothing(
    window: LearnerWindow, demo_database: Database, learner_services: tuple[Services, int, str, str]
) -> None:
    _, learner_id, _, _ = learner_services
    before = _bilans_by_status(demo_database, learner_id)
    model = window.dashboard.model
    current = [
        model.index(row, column)
        for row in range(model.rowCount())
        for column in range(model.columnCount())
        if model.index(row, column).data(CELL_KIND_ROLE) == CellKind.CURRENT
    ]
    assert current
    window.dashboard._on_cell_activated(current[0])
    assert window.dashboard.picker is None
    assert _bilans_by_status(demo_database, learner_id) == before


def test_pdf_of_a_final_bilan(
    window: LearnerWindow,
    tmp_path: Path,
    learner_services: tuple[Services, int, str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _, _, family, first = learner_services
    target = tmp_path / "mon-bilan"
    monkeypatch.setattr(window.bilans, "choose_pdf_file", lambda _suggested: target)
    assert window.bilans.pdf_button.isEnabled()
    window.bilans.pdf_button.click()
    written = target.with_suffix(".pdf")
    assert written.read_bytes().startswith(b"%PDF")
    content = " ".join(page.extract_text() for page in PdfReader(written).pages)
    assert family.upper() in content.upper() and first in content
    assert "BROUILLON" not in content


def test_a_previous_bilan_opens_read_only_without_unlock(window: LearnerWindow) -> None:
    model = window.dashboard.model
    previous = next(
        model.index(row, column)
        for row in range(model.rowCount())
        for column in range(model.columnCount())
        if model.index(row, column).data(CELL_KIND_ROLE) == CellKind.PREVIOUS
        and model.previous_bilan_id(row, column) is not None
    )
    window.dashboard._on_cell_activated(previous)
    editor = window.dashboard.editor
    assert editor is not None and editor.sheet.is_final
    assert not editor.unlock_button.isVisibleTo(editor)
    editor.close()


def test_a_bilan_finalized_by_a_teacher_elsewhere_appears_without_reload(
    qtbot: QtBot,
    window: LearnerWindow,
    demo_database: Database,
    learner_services: tuple[Services, int, str, str],
) -> None:
    """The teacher's app is another Database on the same file (another computer)."""
    _, learner_id, _, _ = learner_services
    before = len(window.bilans.items())
    teacher_app, _ = open_database(demo_database.location.url.render_as_string(False))
    try:
        teacher = BilanService(teacher_app, make_account(teacher_app, Role.TEACHER, "prof"))
        (draft_id,) = _bilans_by_status(demo_database, learner_id)["draft"]
        draft = teacher.sheet(draft_id)
        teacher.finalize(draft_id, version=draft.version, confirmation=CONFIRMATION_WORD)
    finally:
        teacher_app.dispose()
    qtbot.waitUntil(lambda: len(window.bilans.items()) == before + 1, timeout=5000)
    assert draft_id in {item.bilan_id for item in window.bilans.items()}
