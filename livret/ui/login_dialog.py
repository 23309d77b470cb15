"""The login dialog shown at start-up when the database has accounts with passwords."""

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
from livret.services.authentication import authenticate
from livret.services.database import Database
from livret.ui.messages import error_label


class LoginDialog(QDialog):
    """Identifiant and Mot de passe; « Se connecter » checks them (authenticate) itself.

    A refusal is shown in the dialog, in red, with the service's message (which never
    says whether the login or the password was wrong); the password is cleared and gets
    the focus back. Accepted, `actor` is the logged-in account.
    """

    def __init__(
        self, database: Database, *, database_name: str = "", parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._database = database
        self.actor: Actor | None = None
        self.setWindowTitle(self.tr("Livret — connexion"))
        intro = QLabel(
            self.tr("Connectez-vous avec votre compte Livret.")
            if not database_name
            else self.tr("Connectez-vous avec votre compte Livret.<br>Base : <b>%1</b>").replace(
                "%1", database_name
            )
        )
        intro.setWordWrap(True)
        self.login = QLineEdit()
        self.login.setAccessibleName(self.tr("Identifiant"))
        self.password = QLineEdit()
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName(self.tr("Mot de passe"))
        self.error = error_label()
        self.error.setAccessibleName(self.tr("Erreur de connexion"))
        self.buttons = QDialogButtonBox()
        self.login_button: QPushButton = self.buttons.addButton(
            self.tr("Se connecter"), QDialogButtonBox.ButtonRole.AcceptRole
        )
        self.login_button.setDefault(True)
        self.quit_button: QPushButton = self.buttons.addButton(
            self.tr("Quitter"), QDialogButtonBox.ButtonRole.RejectRole
        )
        self.buttons.accepted.connect(self.try_login)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(self.tr("&Identifiant :"), self.login)
        form.addRow(self.tr("&Mot de passe :"), self.password)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)
        self.login.setFocus()

    def try_login(self) -> Actor | None:
        """« Se connecter »: the actor (and the dialog accepted), or the refusal shown."""
        try:
            actor = authenticate(self._database, self.login.text(), self.password.text())
        except LivretError as exc:
            self.show_error(exc.message)
            return None
        self.actor = actor
        self.accept()
        return actor

    def show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()
        self.password.clear()
        self.password.setFocus()
        self.adjustSize()
