"""Profil → Mon nom affiché…: the name shown as author of bilans and in the journal."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from livret.domain.errors import LivretError
from livret.domain.roles import Actor
from livret.services.accounts import AccountService
from livret.services.database import Database
from livret.ui.messages import error_label


class DisplayNameDialog(QDialog):
    """One field, the user's own display name; OK renames the account (AccountService).

    A refusal is shown in the dialog, which stays open; accepted, `new_name` is the name
    as stored.
    """

    def __init__(self, database: Database, actor: Actor, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._accounts = AccountService(database, actor)
        self.new_name: str | None = None
        self.setWindowTitle(self.tr("Mon nom affiché"))
        explanation = QLabel(
            self.tr(
                "Ce nom est celui qui figure comme auteur des bilans (« Rédigé par ») "
                "et dans le journal."
            )
        )
        explanation.setWordWrap(True)
        self.name = QLineEdit(actor.display_name)
        self.name.setAccessibleName(self.tr("Nom affiché"))
        self.error = error_label()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("Enregistrer"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(self.tr("&Nom affiché :"), self.name)
        layout = QVBoxLayout(self)
        layout.addWidget(explanation)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)

    def save(self) -> str | None:
        try:
            info = self._accounts.rename(self._accounts.own_login(), self.name.text())
        except LivretError as exc:
            self.error.setText(exc.message)
            self.error.show()
            return None
        self.new_name = info.display_name
        self.accept()
        return self.new_name
