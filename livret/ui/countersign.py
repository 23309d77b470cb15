"""The DDFPT's countersignature fields, shared by the unlock and the erasure dialogs."""

from __future__ import annotations

from PySide6.QtWidgets import QFormLayout, QLineEdit, QWidget


def countersign_fields(owner: QWidget) -> tuple[QLineEdit, QLineEdit]:
    """(login, password) fields the DDFPT fills in person; the password is never shown."""
    login = QLineEdit()
    login.setAccessibleName(owner.tr("Identifiant du DDFPT"))
    password = QLineEdit()
    password.setEchoMode(QLineEdit.EchoMode.Password)
    password.setAccessibleName(owner.tr("Mot de passe du DDFPT"))
    return login, password


def add_countersign_rows(
    form: QFormLayout, owner: QWidget, login: QLineEdit, password: QLineEdit
) -> None:
    form.addRow(owner.tr("&Identifiant du DDFPT :"), login)
    form.addRow(owner.tr("Mot de &passe du DDFPT :"), password)
