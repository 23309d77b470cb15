"""Fichier → Restaurer une sauvegarde… : choose one of the copies beside the database, confirm.

The dialog only chooses; livret.app.GuiSession closes the database, restores (after a
copy of the current state) and reopens it.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from livret.services.database import BackupFile
from livret.ui import remembered

PATH_ROLE = Qt.ItemDataRole.UserRole


def reason_text(reason: str) -> str:
    """The reason in a file name, as a teacher reads it."""
    if reason == "quotidienne":
        return "première ouverture du jour"
    if reason == "avant-restauration":
        return "avant une restauration"
    if reason.startswith("avant-"):
        return f"avant la mise à jour du schéma {reason.removeprefix('avant-')}"
    return reason or "copie"


def describe(backup: BackupFile) -> str:
    when = backup.made_at.strftime("%d/%m/%Y à %H:%M") if backup.made_at else backup.path.name
    return f"{when} — {reason_text(backup.reason)} ({max(1, backup.size // 1024)} Ko)"


class RestoreDialog(QDialog):
    """Lists the backups, newest first; `chosen` is set when the user confirmed one.

    Tests drive it through the seams `confirm` and `choose_other_file`.
    """

    def __init__(
        self, backups: list[BackupFile], database: Path, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Restaurer une sauvegarde"))
        self.chosen: Path | None = None
        self._database = database
        explanation = QLabel(
            self.tr(
                "Choisissez la sauvegarde à remettre en place. La base actuelle est "
                "d'abord copiée dans le dossier des sauvegardes : rien n'est perdu."
            )
        )
        explanation.setWordWrap(True)
        self.list = QListWidget()
        self.list.setAccessibleName(self.tr("Sauvegardes"))
        for backup in backups:
            item = QListWidgetItem(describe(backup))
            item.setData(PATH_ROLE, str(backup.path))
            item.setToolTip(str(backup.path))
            self.list.addItem(item)
        self.empty_label = QLabel(self.tr("Aucune sauvegarde dans le dossier de cette base."))
        self.empty_label.setVisible(not backups)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.restore_button = QPushButton(self.tr("&Restaurer…"))
        self.restore_button.setEnabled(False)
        self.other_button = QPushButton(self.tr("&Autre fichier…"))
        buttons.addButton(self.restore_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(self.other_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        self.restore_button.clicked.connect(self._on_restore)
        self.other_button.clicked.connect(self._on_other_file)
        self.list.currentRowChanged.connect(self._on_current_changed)
        self.list.itemActivated.connect(lambda _item: self._on_restore())
        layout = QVBoxLayout(self)
        layout.addWidget(explanation)
        layout.addWidget(self.list)
        layout.addWidget(self.empty_label)
        layout.addWidget(buttons)
        if backups:
            self.list.setCurrentRow(0)
        self.resize(520, 360)

    def selected_path(self) -> Path | None:
        item = self.list.currentItem()
        return Path(str(item.data(PATH_ROLE))) if item is not None else None

    def _on_current_changed(self, row: int) -> None:
        self.restore_button.setEnabled(row >= 0)

    def _on_restore(self) -> None:
        path = self.selected_path()
        if path is not None:
            self._confirm_and_accept(path, self.list.currentItem().text())

    def _on_other_file(self) -> None:
        path = self.choose_other_file()
        if path is not None:
            self._confirm_and_accept(path, str(path))

    def _confirm_and_accept(self, path: Path, label: str) -> None:
        question = (
            self.tr(
                "Remplacer le contenu de la base « %1 » par la sauvegarde du %2 ?\n\n"
                "Ce qui a été saisi depuis disparaît de la base (une copie de l'état "
                "actuel est gardée dans le dossier des sauvegardes). Les autres "
                "applications Livret ouvertes sur ce fichier doivent être fermées."
            )
            .replace("%1", str(self._database))
            .replace("%2", label)
        )
        if self.confirm(question):
            self.chosen = path
            self.accept()

    # --- seams ------------------------------------------------------------------

    def confirm(self, question: str) -> bool:
        answer = QMessageBox.question(
            self,
            self.tr("Restaurer une sauvegarde"),
            question,
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.Cancel,
            QMessageBox.StandardButton.Cancel,
        )
        return answer == QMessageBox.StandardButton.Yes

    def choose_other_file(self) -> Path | None:
        return remembered.open_file(
            self,
            remembered.Purpose.BACKUP,
            self.tr("Choisir une sauvegarde"),
            self.tr("Bases Livret (*.sqlite *.db);;Tous les fichiers (*)"),
            default=self._database.parent,
        )
