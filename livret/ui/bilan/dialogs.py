"""The small dialogs of a bilan: type CONFIRMATION to finalize, give a reason to unlock."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

CONFIRMATION_WORD = "CONFIRMATION"


class ConfirmationDialog(QDialog):
    """Finalizing is irreversible for a teacher: the word CONFIRMATION, exactly, enables OK."""

    def __init__(self, learner_name: str, missing: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Enregistrer définitivement"))
        text = self.tr(
            "<p>Le bilan de <b>%1</b> va être enregistré définitivement.</p>"
            "<p>Il ne pourra plus être modifié (seul le DDFPT peut le déverrouiller) et sa "
            "date ouvre une nouvelle période d'évaluations.</p>"
        ).replace("%1", learner_name)
        if missing:
            text += self.tr(
                "<p><b>Attention :</b> %1 compétence(s) restent non évaluées (NE).</p>"
            ).replace("%1", str(missing))
        text += self.tr(
            "<p>Pour confirmer, tapez le mot <b>CONFIRMATION</b> en lettres capitales.</p>"
        )
        explanation = QLabel(text)
        explanation.setWordWrap(True)
        self.word = QLineEdit()
        self.word.setAccessibleName(self.tr("Mot de confirmation"))
        self.word.setPlaceholderText(CONFIRMATION_WORD)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("Enregistrer définitivement"))
        self.ok_button.setEnabled(False)
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setText(self.tr("Annuler"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.word.textChanged.connect(self._on_text_changed)
        layout = QVBoxLayout(self)
        layout.addWidget(explanation)
        layout.addWidget(self.word)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)

    def typed(self) -> str:
        return self.word.text()

    def _on_text_changed(self, text: str) -> None:
        # Exactly the word: no trimming, no case folding (the service checks it too).
        self.ok_button.setEnabled(text == CONFIRMATION_WORD)


class UnlockDialog(QDialog):
    """The DDFPT gives the reason of an unlock; it goes to the audit log and the history."""

    def __init__(self, learner_name: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Déverrouiller le bilan"))
        explanation = QLabel(
            self.tr(
                "Le bilan définitif de <b>%1</b> redeviendra un brouillon modifiable. "
                "Indiquez la raison du déverrouillage : elle est enregistrée dans "
                "l'historique du bilan."
            ).replace("%1", learner_name)
        )
        explanation.setWordWrap(True)
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName(self.tr("Raison du déverrouillage"))
        self.reason.setPlaceholderText(self.tr("Ex. : erreur de positionnement sur CC3.1"))
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("Déverrouiller"))
        self.ok_button.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(self.tr("Annuler"))
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        self.reason.textChanged.connect(
            lambda: self.ok_button.setEnabled(bool(self.reason.toPlainText().strip()))
        )
        layout = QVBoxLayout(self)
        layout.addWidget(explanation)
        layout.addWidget(self.reason)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(460)
