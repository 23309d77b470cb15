"""Qt's own widgets speak French once the application is configured as Livret does it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtCore import QLocale, QModelIndex, Qt, QTimer, QTranslator
from PySide6.QtWidgets import (
    QApplication,
    QDialogButtonBox,
    QFileDialog,
    QFileSystemModel,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPushButton,
)
from pytestqt.qtbot import QtBot

from livret.resources import resource_path
from livret.ui.application import configure_application
from livret.ui.bilan.dialogs import ConfirmationDialog
from livret.ui.restore_dialog import RestoreDialog

Button = QDialogButtonBox.StandardButton


def _plain(text: str) -> str:
    """A widget text as read on screen: no mnemonic '&', no shortcut after a tab."""
    return text.split("\t")[0].replace("&", "")


def test_standard_buttons_are_french(qtbot: QtBot) -> None:
    box = QDialogButtonBox(Button.Cancel | Button.Ok | Button.Close | Button.Yes | Button.No)
    qtbot.addWidget(box)
    labels = {b: _plain(box.button(b).text()) for b in Button if box.button(b) is not None}
    assert labels == {
        Button.Cancel: "Annuler",
        Button.Ok: "OK",
        Button.Close: "Fermer",
        Button.Yes: "Oui",
        Button.No: "Non",
    }


def test_livret_dialog_keeps_its_own_label_and_gets_qt_cancel(qtbot: QtBot) -> None:
    dialog = ConfirmationDialog("Léa Martin", missing=0)
    qtbot.addWidget(dialog)
    assert dialog.ok_button.text() == "Enregistrer définitivement"
    assert dialog.buttons.button(Button.Cancel).text() == "Annuler"


def test_message_box_standard_buttons_are_french(qtbot: QtBot) -> None:
    box = QMessageBox(
        QMessageBox.Icon.Question,
        "Restaurer",
        "Remplacer la base ?",
        QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
    )
    box.setDetailedText("détail")
    qtbot.addWidget(box)
    texts = sorted(_plain(button.text()) for button in box.buttons())
    # The details button (« Montrer les détails… ») is Qt's too.
    assert texts == ["Annuler", "Montrer les détails…", "Oui"]


def test_a_livret_question_box_answers_oui_or_annuler(qtbot: QtBot, tmp_path: Path) -> None:
    """The restore confirmation (QMessageBox.question, Yes | Cancel) as a user sees it."""
    dialog = RestoreDialog([], tmp_path / "livret.sqlite")
    qtbot.addWidget(dialog)
    seen: list[str] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        if not isinstance(box, QMessageBox):
            QTimer.singleShot(10, answer)
            return
        seen.extend(sorted(_plain(button.text()) for button in box.buttons()))
        oui = next((b for b in box.buttons() if _plain(b.text()) == "Oui"), None)
        if oui is None:
            box.reject()  # no « Oui »: close it, the assertions below say why
        else:
            oui.click()

    QTimer.singleShot(0, answer)
    assert dialog.confirm("Remplacer la base ?") is True
    assert seen == ["Annuler", "Oui"]


def test_file_dialog_is_french(qtbot: QtBot, tmp_path: Path) -> None:
    (tmp_path / "bilans").mkdir()
    dialog = QFileDialog(None, "Choisir", str(tmp_path))
    dialog.setOption(QFileDialog.Option.DontUseNativeDialog)
    dialog.setFileMode(QFileDialog.FileMode.ExistingFile)
    qtbot.addWidget(dialog)
    dialog.show()

    labels = {_plain(label.text()) for label in dialog.findChildren(QLabel)}
    assert {"Voir dans\xa0:", "Nom de fichier\xa0:", "Fichiers de type\xa0:"} <= labels
    buttons = {_plain(button.text()) for button in dialog.findChildren(QPushButton)}
    assert {"Ouvrir", "Annuler"} <= buttons

    model = dialog.findChild(QFileSystemModel)
    assert model is not None
    header = [
        model.headerData(column, Qt.Orientation.Horizontal)
        for column in range(model.columnCount(QModelIndex()))
    ]
    assert header == ["Nom", "Taille", "Type", "Dernière modification"]
    folder = model.index(str(tmp_path / "bilans"), 2)
    qtbot.waitUntil(lambda: bool(model.data(folder)))
    assert model.data(folder) == "Dossier"


def test_line_edit_context_menu_is_french(qtbot: QtBot) -> None:
    field = QLineEdit("Constats")
    qtbot.addWidget(field)
    menu = field.createStandardContextMenu()
    actions = {_plain(action.text()) for action in menu.actions() if action.text()}
    assert {"Copier", "Coller", "Couper", "Tout sélectionner"} <= actions
    menu.deleteLater()


def test_french_is_the_default_locale() -> None:
    assert QLocale().language() == QLocale.Language.French
    assert QLocale().toString(1234.5, "f", 1) == "1\u202f234,5"


def test_configuring_twice_installs_each_catalogue_once(qapp: QApplication) -> None:
    before = len(qapp.findChildren(QTranslator))
    configure_application(qapp)
    assert len(qapp.findChildren(QTranslator)) == before == 2


def test_committed_complement_matches_its_source(tmp_path: Path) -> None:
    """The .qm shipped is what pyside6-lrelease makes of the .ts (edit the .ts, rerun it)."""
    compiled = resource_path("locale", "fr", "qt", "qtbase_complement_fr.qm")
    source = compiled.with_suffix(".ts")
    lrelease = shutil.which("pyside6-lrelease", path=str(Path(sys.executable).parent))
    if lrelease is None:
        pytest.fail("pyside6-lrelease (PySide6) est introuvable à côté de l'interpréteur")
    fresh = tmp_path / compiled.name
    subprocess.run([lrelease, str(source), "-qm", str(fresh)], check=True, capture_output=True)
    assert fresh.read_bytes() == compiled.read_bytes(), (
        f"{compiled.name} est périmé : pyside6-lrelease {source.name} -qm {compiled.name}"
    )
