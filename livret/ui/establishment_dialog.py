"""Administration → Établissement…: the name, UAI, city and logo printed on every bilan PDF."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QPixmap
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from livret.domain.errors import LivretError
from livret.domain.permissions import Action, allowed, denied_message
from livret.services.container import Services
from livret.services.establishment import (
    KEEP,
    MAX_CITY,
    MAX_NAME,
    EstablishmentInfo,
    EstablishmentService,
    checked_logo,
)
from livret.ui import remembered
from livret.ui.messages import error_label, show_error
from livret.ui.theme import css, themed_style_sheet

PREVIEW_WIDTH = 220
PREVIEW_HEIGHT = 80


class EstablishmentDialog(QDialog):
    """The establishment's details, saved by OK through EstablishmentService.

    A refusal (a field, a logo that is not a PNG or JPEG image) is shown in the dialog,
    which stays open; accepted, `saved` is the establishment as stored. The logo is
    checked when it is chosen, and stored only by OK.
    """

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service: EstablishmentService = services.establishment
        current = self._service.info()
        self.saved: EstablishmentInfo | None = None
        self._logo: bytes | None = current.logo
        self._logo_changed = False
        self.setWindowTitle(self.tr("Établissement"))

        explanation = QLabel(self.tr("Ces informations figurent en tête de chaque bilan PDF."))
        explanation.setWordWrap(True)
        self.name = QLineEdit(current.name)
        self.name.setMaxLength(MAX_NAME)
        self.name.setAccessibleName(self.tr("Nom de l'établissement"))
        self.uai = QLineEdit(current.uai or "")
        self.uai.setMaxLength(8)
        self.uai.setPlaceholderText(self.tr("7 chiffres et une lettre, par exemple 0750654D"))
        self.uai.setAccessibleName(self.tr("UAI"))
        self.city = QLineEdit(current.city or "")
        self.city.setMaxLength(MAX_CITY)
        self.city.setAccessibleName(self.tr("Ville"))

        self.preview = QLabel()
        self.preview.setObjectName("logoPreview")
        self.preview.setFixedSize(PREVIEW_WIDTH, PREVIEW_HEIGHT)
        self.preview.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.preview.setFrameShape(QFrame.Shape.StyledPanel)
        self.preview.setAccessibleName(self.tr("Aperçu du logo"))
        self.choose_button = QPushButton(self.tr("Choisir un &logo…"))
        self.choose_button.clicked.connect(self.choose_logo)
        self.remove_button = QPushButton(self.tr("&Retirer le logo"))
        self.remove_button.clicked.connect(self.remove_logo)
        logo_buttons = QVBoxLayout()
        logo_buttons.addWidget(self.choose_button)
        logo_buttons.addWidget(self.remove_button)
        logo_buttons.addStretch(1)
        logo_row = QHBoxLayout()
        logo_row.addWidget(self.preview)
        logo_row.addLayout(logo_buttons)
        logo_row.addStretch(1)
        hint = QLabel(self.tr("PNG ou JPEG, 1 Mo au plus ; imprimé à 14 mm de haut."))
        themed_style_sheet(hint, lambda theme: f"color: {css(theme.muted_text)};")

        form = QFormLayout()
        form.addRow(self.tr("&Nom :"), self.name)
        form.addRow(self.tr("&UAI :"), self.uai)
        form.addRow(self.tr("&Ville :"), self.city)
        form.addRow(self.tr("Logo :"), logo_row)
        form.addRow("", hint)

        self.error = error_label()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("Enregistrer"))
        self.buttons.accepted.connect(self.save)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(explanation)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(520)
        self._show_logo()

    @property
    def logo(self) -> bytes | None:
        """The logo OK would store: the current one, a chosen one, or None (removed)."""
        return self._logo

    def choose_logo_file(self) -> Path | None:
        """Ask for an image file (a seam the tests replace)."""
        return remembered.open_file(
            self,
            remembered.Purpose.LOGO,
            self.tr("Choisir un logo"),
            self.tr("Images PNG ou JPEG (*.png *.jpg *.jpeg);;Tous les fichiers (*)"),
        )

    def choose_logo(self) -> bool:
        """Pick a file; it replaces the logo shown once it reads as a PNG or JPEG image."""
        path = self.choose_logo_file()
        if path is None:
            return False
        try:
            data = path.read_bytes()
        except OSError as exc:
            self._show_error(
                self.tr("Impossible de lire « %1 » (%2).")
                .replace("%1", path.name)
                .replace("%2", exc.strerror or str(exc))
            )
            return False
        try:
            self._logo = checked_logo(data)
        except LivretError as exc:
            self._show_error(exc.message)
            return False
        self._logo_changed = True
        self.error.hide()
        self._show_logo()
        return True

    def remove_logo(self) -> None:
        self._logo = None
        self._logo_changed = True
        self._show_logo()

    def save(self) -> EstablishmentInfo | None:
        try:
            info = self._service.update(
                self.name.text(),
                self.uai.text(),
                self.city.text(),
                logo=self._logo if self._logo_changed else KEEP,
            )
        except LivretError as exc:
            self._show_error(exc.message)
            return None
        self.saved = info
        self.accept()
        return info

    def _show_error(self, message: str) -> None:
        self.error.setText(message)
        self.error.show()

    def _show_logo(self) -> None:
        pixmap = QPixmap()
        if self._logo is not None and pixmap.loadFromData(QByteArray(self._logo)):
            self.preview.setPixmap(
                pixmap.scaled(
                    PREVIEW_WIDTH - 8,
                    PREVIEW_HEIGHT - 8,
                    Qt.AspectRatioMode.KeepAspectRatio,
                    Qt.TransformationMode.SmoothTransformation,
                )
            )
        else:
            self.preview.clear()
            self.preview.setText(self.tr("Aucun logo"))
        self.remove_button.setEnabled(self._logo is not None)


def open_establishment_dialog(parent: QWidget, services: Services) -> EstablishmentDialog | None:
    """Administration → Établissement…: open the dialog (window-modal), or say why not."""
    if not allowed(services.actor, Action.MANAGE_ESTABLISHMENT):
        show_error(parent, denied_message(services.actor, Action.MANAGE_ESTABLISHMENT))
        return None
    try:
        dialog = EstablishmentDialog(services, parent)
    except LivretError as exc:
        show_error(parent, exc.message)
        return None
    dialog.open()
    return dialog
