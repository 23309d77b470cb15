"""« Établissement »: type the details, choose or remove a logo, OK saves; refusals inline."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QApplication, QDialog, QLineEdit, QWidget
from pytestqt.qtbot import QtBot

from livret.domain.roles import Role
from livret.services.container import build_services
from livret.services.database import DEFAULT_ESTABLISHMENT, Database
from livret.services.establishment import EstablishmentInfo, EstablishmentService
from livret.ui import establishment_dialog
from livret.ui.establishment_dialog import EstablishmentDialog, open_establishment_dialog
from tests.accounts import ADMIN_SETUP, make_account
from tests.logos import logo


def stored(database: Database) -> EstablishmentInfo:
    return EstablishmentService(database, ADMIN_SETUP).info()


@pytest.fixture
def dialog(qtbot: QtBot, database: Database) -> EstablishmentDialog:
    admin = make_account(database, Role.ADMIN, "admin", name="Mme Admin")
    dialog = EstablishmentDialog(build_services(database, admin))
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def _type(qtbot: QtBot, field: QLineEdit, text: str) -> None:
    """Clear the field and type `text` as key events (QTest.keyClicks is ASCII only: « é »)."""
    field.setFocus()
    field.selectAll()
    qtbot.keyClick(field, Qt.Key.Key_Delete)
    for char in text:
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            event = QKeyEvent(kind, Qt.Key.Key_unknown, Qt.KeyboardModifier.NoModifier, char)
            QApplication.sendEvent(field, event)
    assert field.text() == text


def _choose(dialog: EstablishmentDialog, monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    monkeypatch.setattr(dialog, "choose_logo_file", lambda: path)
    dialog.choose_button.click()


def test_type_choose_a_logo_and_save(
    qtbot: QtBot,
    dialog: EstablishmentDialog,
    database: Database,
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    assert dialog.name.text() == DEFAULT_ESTABLISHMENT
    assert dialog.preview.text() == "Aucun logo"
    assert not dialog.remove_button.isEnabled()
    picture = tmp_path / "logo.png"
    picture.write_bytes(logo(300, 120))

    _type(qtbot, dialog.name, "Lycée professionnel Jean Moulin")
    _type(qtbot, dialog.uai, "0750654d")
    _type(qtbot, dialog.city, "Paris")
    _choose(dialog, monkeypatch, picture)
    assert dialog.preview.pixmap() is not None and not dialog.preview.pixmap().isNull()
    assert dialog.remove_button.isEnabled()
    assert stored(database).logo is None  # chosen, not stored until OK

    dialog.ok_button.click()

    assert dialog.result() == QDialog.DialogCode.Accepted
    expected = EstablishmentInfo(
        "Lycée professionnel Jean Moulin", "0750654D", "Paris", picture.read_bytes()
    )
    assert stored(database) == expected
    assert dialog.saved == expected


def test_a_refusal_is_shown_in_the_dialog_which_stays_open(
    qtbot: QtBot, dialog: EstablishmentDialog, database: Database
) -> None:
    _type(qtbot, dialog.name, "Lycée A")
    _type(qtbot, dialog.uai, "0750654E")
    dialog.ok_button.click()
    assert dialog.isVisible() and dialog.result() != QDialog.DialogCode.Accepted
    assert not dialog.error.isHidden()
    assert "sa lettre clé ne correspond pas à ses chiffres (attendu : 0750654D)" in (
        dialog.error.text()
    )
    assert stored(database).name == DEFAULT_ESTABLISHMENT

    _type(qtbot, dialog.uai, "0750654D")
    _type(qtbot, dialog.name, "")
    dialog.ok_button.click()
    assert dialog.error.text() == "Indiquez le nom de l'établissement."
    assert stored(database).uai is None


def test_a_file_that_is_not_an_image_keeps_the_logo(
    dialog: EstablishmentDialog, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    good, bad = tmp_path / "logo.jpg", tmp_path / "logo.png"
    good.write_bytes(logo(kind="JPEG"))
    bad.write_bytes(logo()[:100])
    _choose(dialog, monkeypatch, good)
    _choose(dialog, monkeypatch, bad)
    assert "l'image est illisible ou incomplète" in dialog.error.text()
    assert not dialog.error.isHidden()
    assert dialog.logo == good.read_bytes()
    _choose(dialog, monkeypatch, tmp_path / "absent.png")
    assert "Impossible de lire « absent.png »" in dialog.error.text()
    assert dialog.logo == good.read_bytes()


def test_remove_the_logo(qtbot: QtBot, database: Database) -> None:
    admin = make_account(database, Role.ADMIN, "admin")
    EstablishmentService(database, admin).update("Lycée A", None, "Lyon", logo=logo())
    dialog = EstablishmentDialog(build_services(database, admin))
    qtbot.addWidget(dialog)
    assert not dialog.preview.pixmap().isNull()
    dialog.remove_button.click()
    assert dialog.preview.text() == "Aucun logo"
    assert stored(database).logo is not None  # removed by OK only
    dialog.ok_button.click()
    assert stored(database) == EstablishmentInfo("Lycée A", None, "Lyon", None)


def test_cancel_saves_nothing(
    qtbot: QtBot, dialog: EstablishmentDialog, database: Database
) -> None:
    _type(qtbot, dialog.name, "Autre nom")
    dialog.buttons.button(dialog.buttons.StandardButton.Cancel).click()
    assert dialog.result() == QDialog.DialogCode.Rejected
    assert stored(database).name == DEFAULT_ESTABLISHMENT


def test_open_establishment_dialog(
    qtbot: QtBot, database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    errors: list[str] = []
    monkeypatch.setattr(establishment_dialog, "show_error", lambda _p, m: errors.append(m))
    parent = QWidget()
    qtbot.addWidget(parent)
    teacher = make_account(database, Role.TEACHER)
    assert open_establishment_dialog(parent, build_services(database, teacher)) is None
    assert errors == [
        "Votre rôle (Enseignant) ne permet pas de modifier les informations de l'établissement."
    ]
    admin = make_account(database, Role.ADMIN)
    opened = open_establishment_dialog(parent, build_services(database, admin))
    assert opened is not None and opened.isVisible() and opened.parent() is parent
    opened.reject()
