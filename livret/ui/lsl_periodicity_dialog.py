"""Administration → « Périodicité des moyennes (LSL Pro)… »: the Administrateur's choice.

The Administrateur's window has no learner tabs; this dialog holds the LSL Pro view,
which for a role that may only choose the periodicity shows the 1re and Terminale
classes and that choice, no learner's synthesis.
"""

from __future__ import annotations

from PySide6.QtWidgets import QDialog, QDialogButtonBox, QVBoxLayout, QWidget

from livret.services.container import Services
from livret.ui.lsl_view import LslView


class LslPeriodicityDialog(QDialog):
    """The class chooser and its periodicity, saved as soon as it is chosen."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Périodicité des moyennes (LSL Pro)"))
        self.view = LslView(lambda: services.lsl, services.actor, self)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close = buttons.button(QDialogButtonBox.StandardButton.Close)
        close.setText(self.tr("Fermer"))
        close.setAccessibleName(self.tr("Fermer"))
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addWidget(buttons)
        self.resize(720, 300)
