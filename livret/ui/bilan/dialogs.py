"""The small dialogs of a bilan: type CONFIRMATION to finalize; a reason and the DDFPT's
countersignature to unlock."""

from __future__ import annotations

from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from livret.domain.errors import LivretError
from livret.services.authentication import NO_DDFPT_MESSAGE
from livret.services.bilans import BilanService, BilanSheet
from livret.ui.countersign import add_countersign_rows, countersign_fields
from livret.ui.messages import error_label

CONFIRMATION_WORD = "CONFIRMATION"


class ConfirmationDialog(QDialog):
    """Finalizing is irreversible for a teacher: the word CONFIRMATION, exactly, enables OK."""

    def __init__(self, learner_name: str, missing: int, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Enregistrer définitivement"))
        text = self.tr(
            "<p>Le bilan de <b>%1</b> va être enregistré définitivement.</p>"
            "<p>Il ne pourra plus être modifié (seul le DDFPT peut autoriser son "
            "déverrouillage) et sa date ouvre une nouvelle période d'évaluations.</p>"
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
    """The reason of an unlock, countersigned by the DDFPT's own login and password.

    Whoever is logged in asks; the DDFPT types their identifiant and password on this
    computer. OK calls `bilans.unlock` itself: a refusal is shown here (the password
    cleared, nothing written); accepted, `sheet` is the bilan, a draft again. Without
    any DDFPT account the dialog says so and nothing can be typed.
    """

    def __init__(
        self,
        bilans: BilanService,
        bilan_id: int,
        learner_name: str,
        *,
        ddfpt_exists: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._bilans = bilans
        self._bilan_id = bilan_id
        self._ddfpt_exists = ddfpt_exists
        self.sheet: BilanSheet | None = None
        self.setWindowTitle(self.tr("Déverrouiller le bilan"))
        explanation = QLabel(
            self.tr(
                "Le bilan définitif de <b>%1</b> redeviendra un brouillon modifiable. "
                "Indiquez le motif du déverrouillage : il est enregistré dans "
                "l'historique du bilan et dans le journal."
            ).replace("%1", learner_name)
        )
        explanation.setWordWrap(True)
        self.reason = QPlainTextEdit()
        self.reason.setAccessibleName(self.tr("Motif du déverrouillage"))
        self.reason.setPlaceholderText(self.tr("Ex. : erreur de positionnement sur CC3.1"))
        self.reason.setMaximumHeight(90)
        countersign = QLabel(
            self.tr("Le DDFPT saisit lui-même son identifiant et son mot de passe sur ce poste.")
        )
        countersign.setWordWrap(True)
        self.ddfpt_login, self.ddfpt_password = countersign_fields(self)
        self.error = error_label()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("Déverrouiller"))
        self.ok_button.setEnabled(False)
        self.buttons.accepted.connect(self.unlock)
        self.buttons.rejected.connect(self.reject)
        for field in (self.ddfpt_login, self.ddfpt_password):
            field.textChanged.connect(self._update_ok)
        self.reason.textChanged.connect(self._update_ok)
        form = QFormLayout()
        form.addRow(self.tr("&Motif :"), self.reason)
        form.addRow(countersign)
        add_countersign_rows(form, self, self.ddfpt_login, self.ddfpt_password)
        layout = QVBoxLayout(self)
        layout.addWidget(explanation)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        if not ddfpt_exists:
            for widget in (self.reason, self.ddfpt_login, self.ddfpt_password):
                widget.setEnabled(False)
            self.error.setText(NO_DDFPT_MESSAGE)
            self.error.show()

    def _update_ok(self) -> None:
        self.ok_button.setEnabled(
            self._ddfpt_exists
            and bool(self.reason.toPlainText().strip())
            and bool(self.ddfpt_login.text().strip())
            and bool(self.ddfpt_password.text())
        )

    def unlock(self) -> BilanSheet | None:
        """« Déverrouiller »: the bilan unlocked (and the dialog accepted), or the refusal."""
        if not self._ddfpt_exists:
            return None
        try:
            sheet = self._bilans.unlock(
                self._bilan_id,
                reason=self.reason.toPlainText(),
                ddfpt_login=self.ddfpt_login.text(),
                ddfpt_password=self.ddfpt_password.text(),
            )
        except LivretError as exc:
            self.error.setText(exc.message)
            self.error.show()
            self.ddfpt_password.clear()
            self.ddfpt_password.setFocus()
            return None
        self.sheet = sheet
        self.accept()
        return sheet
