"""The question asked before results are added inside a closed period (a seam tests patch).

A learner's period closes with their final bilan: an evaluation dated on or before it
adds to the evidence the bilan was built on. The new-evaluation dialog and the
results import ask with the same words; the services refuse without the answer.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtWidgets import QMessageBox, QWidget

from livret.services.evaluations import CoveredLearner, covered_summary


def confirm_adding_in_closed_period(
    parent: QWidget, covered: Sequence[CoveredLearner], *, importing: bool
) -> bool:
    """Ask before adding results a final bilan already closed the period of (audited)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(parent.tr("Période close par un bilan définitif"))
    if importing:
        text = parent.tr(
            "Ce fichier ajoute des résultats datés d'une période déjà close par un bilan "
            "définitif pour %1."
        )
    else:
        text = parent.tr(
            "Cette évaluation est datée d'une période déjà close par un bilan définitif pour %1."
        )
    box.setText(text.replace("%1", covered_summary(covered)))
    box.setInformativeText(
        parent.tr("Les ajouter quand même ? L'ajout sera tracé dans le journal.")
    )
    label = parent.tr("Importer quand même") if importing else parent.tr("Enregistrer quand même")
    confirm = box.addButton(label, QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.exec()
    return box.clickedButton() is confirm
