"""« Comptes »: the accounts of the file, created, reset, disabled; a class's learner accounts."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from livret.domain.errors import LivretError
from livret.domain.roles import ROLE_LABELS, Role
from livret.services.accounts import AccountInfo, AccountService, ClassAccounts
from livret.services.container import Services
from livret.ui import messages, remembered
from livret.ui.rows_model import ModelIndex, RowsModel
from livret.ui.text import count
from livret.ui.theme import current_theme

MISMATCH_MESSAGE = "Les deux mots de passe ne sont pas identiques."


class AccountsModel(RowsModel[AccountInfo]):
    COLUMNS = (
        "Identifiant",
        "Nom affiché",
        "Rôle",
        "Apprenant",
        "Actif",
        "Mot de passe",
        "En attente",
    )

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Override QAbstractItemModel::data."""
        info = self._row_of(index)
        if info is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(info, column)
        if role == Qt.ItemDataRole.ForegroundRole and not info.active:
            return QBrush(current_theme().inactive_text)
        if role == Qt.ItemDataRole.ForegroundRole and column == 6 and info.waiting:
            return QBrush(current_theme().alert_text)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (4, 5, 6):
            return int(Qt.AlignmentFlag.AlignCenter)
        return None


def _display(info: AccountInfo, column: int) -> str:
    if column == 0:
        return info.login
    if column == 1:
        return info.display_name
    if column == 2:
        return info.role_label
    if column == 3:
        return f"{info.learner_name} ({info.learner_ine})" if info.learner_name else ""
    if column == 4:
        return "oui" if info.active else "non"
    if column == 5:
        return "défini" if info.has_password else "aucun"
    if column == 6:
        return "oui" if info.waiting else ""
    return ""


def _password_field() -> QLineEdit:
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


class NewAccountDialog(QDialog):
    """The form of « Nouveau compte… »; OK creates the account or says why not."""

    def __init__(self, service: AccountService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self.created: AccountInfo | None = None
        self.setWindowTitle(self.tr("Nouveau compte"))
        self.login = QLineEdit()
        self.login.setPlaceholderText(self.tr("m.martin"))
        self.name = QLineEdit()
        self.name.setPlaceholderText(self.tr("Mme Martin (l'identifiant si vide)"))
        self.role = QComboBox()
        for role in Role:
            self.role.addItem(ROLE_LABELS[role], role.value)
        self.ine = QLineEdit()
        self.ine.setPlaceholderText(self.tr("INE de l'apprenant"))
        self.password = _password_field()
        self.confirmation = _password_field()
        form = QFormLayout()
        form.addRow(self.tr("&Identifiant :"), self.login)
        form.addRow(self.tr("&Nom affiché :"), self.name)
        form.addRow(self.tr("&Rôle :"), self.role)
        self.ine_label = QLabel(self.tr("I&NE :"))
        self.ine_label.setBuddy(self.ine)
        form.addRow(self.ine_label, self.ine)
        form.addRow(self.tr("&Mot de passe :"), self.password)
        form.addRow(self.tr("&Confirmation :"), self.confirmation)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("Créer le compte"))
        self.buttons.accepted.connect(self._on_ok)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.role.currentIndexChanged.connect(self._on_role_changed)
        self._on_role_changed()
        self.setMinimumWidth(440)

    def chosen_role(self) -> Role:
        return Role(str(self.role.currentData()))

    def set_role(self, role: Role) -> None:
        self.role.setCurrentIndex(self.role.findData(role.value))

    def _on_role_changed(self) -> None:
        learner = self.chosen_role() is Role.LEARNER
        self.ine.setEnabled(learner)
        self.ine_label.setEnabled(learner)

    def _on_ok(self) -> None:
        if self.password.text() != self.confirmation.text():
            self.show_error(self.tr(MISMATCH_MESSAGE))
            return
        if not self.password.text():
            self.show_error(self.tr("Indiquez un mot de passe pour ce compte."))
            return
        role = self.chosen_role()
        try:
            self.created = self._service.add(
                self.login.text(),
                role,
                name=self.name.text().strip() or None,
                password=self.password.text(),
                learner_ine=self.ine.text().strip() or None if role is Role.LEARNER else None,
            )
        except LivretError as exc:
            self.show_error(exc.message)
            return
        self.accept()

    def show_error(self, message: str) -> None:
        """Why the account was not created (a seam tests patch)."""
        messages.show_error(self, message)


class PasswordDialog(QDialog):
    """« Mot de passe… »: a new password for one account, typed twice."""

    def __init__(self, service: AccountService, login: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._login = login
        self.setWindowTitle(self.tr("Mot de passe de %1").replace("%1", login))
        self.password = _password_field()
        self.confirmation = _password_field()
        form = QFormLayout()
        form.addRow(self.tr("&Nouveau mot de passe :"), self.password)
        form.addRow(self.tr("&Confirmation :"), self.confirmation)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.buttons.accepted.connect(self._on_ok)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(self.tr("L'attente après des échecs de connexion est levée aussi."))
        )
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(420)

    def _on_ok(self) -> None:
        if self.password.text() != self.confirmation.text():
            self.show_error(self.tr(MISMATCH_MESSAGE))
            return
        try:
            self._service.set_password(self._login, self.password.text())
        except LivretError as exc:
            self.show_error(exc.message)
            return
        self.accept()

    def show_error(self, message: str) -> None:
        messages.show_error(self, message)


class ClassChoiceDialog(QDialog):
    """The class whose learners get an account."""

    def __init__(self, classes: list[tuple[int, str]], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Comptes des apprenants d'une classe"))
        self.classes = QComboBox()
        for class_id, label in classes:
            self.classes.addItem(label, class_id)
        buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(self.tr("&Classe :"), self.classes)
        layout = QVBoxLayout(self)
        layout.addWidget(
            QLabel(
                self.tr(
                    "Un compte Apprenant pour chaque apprenant de la classe qui n'en a pas,\n"
                    "avec un mot de passe initial écrit dans un fichier CSV."
                )
            )
        )
        layout.addLayout(form)
        layout.addWidget(buttons)


class AccountsDialog(QDialog):
    """« Comptes »: every account of the file and what an administrator does to them."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self.service = AccountService(services.database, services.actor)
        self.setWindowTitle(self.tr("Comptes"))
        self.model = AccountsModel(self)
        self.table = QTableView()
        self.table.setAccessibleName(self.tr("Comptes"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(lambda *_: self._update_buttons())
        self.count_label = QLabel()

        self.new_button = QPushButton(self.tr("&Nouveau compte…"))
        self.new_button.clicked.connect(self.new_account)
        self.password_button = QPushButton(self.tr("&Mot de passe…"))
        self.password_button.clicked.connect(self.change_password)
        self.active_button = QPushButton(self.tr("&Désactiver"))
        self.active_button.clicked.connect(self.toggle_active)
        self.class_button = QPushButton(self.tr("Comptes des apprenants d'une &classe…"))
        self.class_button.clicked.connect(self.create_class_accounts)
        close = QPushButton(self.tr("Fermer"))
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        for button in (self.new_button, self.password_button, self.active_button):
            buttons.addWidget(button)
        buttons.addWidget(self.class_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addWidget(self.count_label)
        layout.addLayout(buttons)
        self.resize(1000, 520)
        self.reload()

    # -- list --------------------------------------------------------------------------

    def reload(self, select_login: str | None = None) -> None:
        current = select_login or (info.login if (info := self.selected()) else None)
        try:
            accounts = self.service.list_accounts()
        except LivretError as exc:
            self.show_error(exc.message)
            accounts = ()
        self.model.set_rows(accounts)
        self.table.resizeColumnsToContents()
        active = sum(1 for a in accounts if a.active)
        self.count_label.setText(
            count(len(accounts), self.tr("compte"))
            + self.tr(" dont %1 actif(s)").replace("%1", str(active))
        )
        for row, info in enumerate(accounts):
            if info.login == current:
                self.table.selectRow(row)
                break
        self._update_buttons()

    def accounts(self) -> tuple[AccountInfo, ...]:
        return self.model.rows()

    def selected(self) -> AccountInfo | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.row_at(index.row())

    def select_login(self, login: str) -> None:
        for row, info in enumerate(self.model.rows()):
            if info.login == login:
                self.table.selectRow(row)
                return

    def _update_buttons(self) -> None:
        info = self.selected()
        self.password_button.setEnabled(info is not None)
        self.active_button.setEnabled(info is not None)
        reactivate = info is not None and not info.active
        self.active_button.setText(self.tr("&Réactiver") if reactivate else self.tr("&Désactiver"))

    # -- actions -----------------------------------------------------------------------

    def new_account(self) -> AccountInfo | None:
        form = NewAccountDialog(self.service, self)
        self.run_form(form)
        if form.created is not None:
            self.reload(form.created.login)
        return form.created

    def change_password(self) -> bool:
        info = self.selected()
        if info is None:
            return False
        dialog = PasswordDialog(self.service, info.login, self)
        done = self.run_form(dialog)
        if done:
            self.reload(info.login)
            self.show_info(
                self.tr("Mot de passe"),
                self.tr("Nouveau mot de passe enregistré pour « %1 ».").replace("%1", info.login),
            )
        return done

    def toggle_active(self) -> None:
        info = self.selected()
        if info is None:
            return
        try:
            self.service.set_active(info.login, not info.active)
        except LivretError as exc:
            self.show_error(exc.message)
            return
        self.reload(info.login)

    def create_class_accounts(self) -> ClassAccounts | None:
        try:
            found = self._services.catalog.list_classes()
        except LivretError as exc:
            self.show_error(exc.message)
            return None
        codes = {c.id: c.code for c in found}
        classes = [(c.id, f"{c.code} ({c.school_year_label})") for c in found]
        if not classes:
            self.show_error(self.tr("Aucune classe : importez d'abord les élèves (SIECLE)."))
            return None
        chosen = self.choose_class(classes)
        if chosen is None:
            return None
        class_id = chosen
        label = dict(classes)[class_id]
        path = self.choose_csv_path(f"comptes-{codes[class_id]}.csv")
        if path is None:
            return None
        if path.suffix.lower() != ".csv":
            path = path.with_suffix(".csv")
        try:
            result = self.service.create_class_accounts(class_id, path)
        except LivretError as exc:
            self.show_error(exc.message)
            return None
        self.reload()
        lines = [
            self.tr("%1 : %2.")
            .replace("%1", label)
            .replace(
                "%2", count(len(result.created), self.tr("compte créé"), self.tr("comptes créés"))
            )
        ]
        if result.already:
            lines.append(
                count(
                    len(result.already), self.tr("apprenant avait"), self.tr("apprenants avaient")
                )
                + self.tr(" déjà un compte.")
            )
        if result.csv_path is not None:
            lines.append(
                self.tr(
                    "Identifiants et mots de passe initiaux : %1\n"
                    "Ce fichier n'est lisible que par vous : remettez à chacun le sien, "
                    "puis supprimez-le."
                ).replace("%1", str(result.csv_path))
            )
        else:
            lines.append(self.tr("Aucun fichier écrit : aucun compte n'était à créer."))
        self.show_info(self.tr("Comptes des apprenants"), "\n".join(lines))
        return result

    # -- seams tests patch ---------------------------------------------------------------

    def run_form(self, form: QDialog) -> bool:
        """Show a form modally; True when it was accepted."""
        return form.exec() == QDialog.DialogCode.Accepted

    def choose_class(self, classes: list[tuple[int, str]]) -> int | None:
        """The class id chosen among (id, label), or None."""
        dialog = ClassChoiceDialog(classes, self)
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return None
        return int(dialog.classes.currentData())

    def choose_csv_path(self, suggested: str) -> Path | None:
        chosen = remembered.save_file(
            self,
            remembered.Purpose.PASSWORDS,
            self.tr("Fichier des mots de passe initiaux"),
            suggested,
            self.tr("CSV (*.csv)"),
        )
        return chosen[0] if chosen else None

    def show_error(self, message: str) -> None:
        messages.show_error(self, message)

    def show_info(self, title: str, message: str) -> None:
        messages.show_info(self, title, message)
