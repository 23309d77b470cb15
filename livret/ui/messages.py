"""Message boxes behind small functions: one place for the wording, a seam for tests."""

from __future__ import annotations

from enum import Enum

from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

from livret.ui.theme import Theme, css, themed_style_sheet


def error_style(theme: Theme) -> str:
    """The style sheet of a dialog's refusal line."""
    return f"color: {css(theme.alert_text)}; font-weight: bold;"


class UnsavedChoice(Enum):
    SAVE = "save"
    DISCARD = "discard"
    CANCEL = "cancel"


def show_error(parent: QWidget, message: str) -> None:
    """Tell the user why an action failed."""
    QMessageBox.warning(parent, parent.tr("Livret"), message)


def show_info(parent: QWidget, title: str, message: str) -> None:
    """Report what a long task did."""
    QMessageBox.information(parent, title, message)


def ask_unsaved(
    parent: QWidget, text: str | None = None, *, save_label: str | None = None
) -> UnsavedChoice:
    """Closing with unsaved changes: save them, drop them, or stay.

    `text` says what has unsaved changes (default: the bilan); `save_label` names the save
    button (default « Enregistrer »; « Enregistrer… » when saving opens another dialog).
    """
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(parent.tr("Modifications non enregistrées"))
    box.setText(text or parent.tr("Le bilan a des modifications non enregistrées."))
    save = box.addButton(save_label or parent.tr("Enregistrer"), QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton(parent.tr("Ne pas enregistrer"), QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(QMessageBox.StandardButton.Cancel)  # « Annuler » (Qt's French catalogue)
    box.exec()
    if box.clickedButton() is save:
        return UnsavedChoice.SAVE
    if box.clickedButton() is discard:
        return UnsavedChoice.DISCARD
    return UnsavedChoice.CANCEL


def error_label() -> QLabel:
    """The hidden red line where a dialog says why its input was refused."""
    label = QLabel()
    label.setWordWrap(True)
    themed_style_sheet(label, error_style)
    label.hide()
    return label
