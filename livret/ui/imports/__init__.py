"""Import dialogs: SIECLE learners and evaluation results, previewed before anything is written.

Entry points for the menu: `open_siecle_import(parent, services)` and
`open_results_import(parent, services)`; connect the returned dialog's `imported`
signal to refresh the views.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from livret.domain.errors import LivretError
from livret.services.container import Services
from livret.ui import messages
from livret.ui.imports import base
from livret.ui.imports.base import ImportDialog, Step
from livret.ui.imports.results import ResultsImportDialog
from livret.ui.imports.siecle import SiecleImportDialog

__all__ = [
    "ImportDialog",
    "ResultsImportDialog",
    "SiecleImportDialog",
    "Step",
    "open_results_import",
    "open_siecle_import",
]


def open_siecle_import(
    parent: QWidget, services: Services, path: Path | None = None
) -> SiecleImportDialog | None:
    """Ask for the SIECLE export (unless given), open the dialog and preview the file.

    None when the user chose no file or the school years cannot be read.
    """
    if path is None:
        path = base.choose_import_file(
            parent,
            parent.tr("Importer des élèves (SIECLE)"),
            parent.tr("Export SIECLE (*.xml *.zip);;Tous les fichiers (*)"),
        )
        if path is None:
            return None
    try:
        years = [year.label for year in services.catalog.list_school_years()]
    except LivretError as exc:
        messages.show_error(parent, exc.message)
        return None
    dialog = SiecleImportDialog(services.siecle_import, years, parent)
    _show(dialog)
    dialog.start(path)
    return dialog


def open_results_import(
    parent: QWidget, services: Services, path: Path | None = None
) -> ResultsImportDialog | None:
    """Ask for the results file (unless given), open the dialog and check the file.

    None when the user chose no file.
    """
    if path is None:
        path = base.choose_import_file(
            parent,
            parent.tr("Importer des résultats (CSV/XLSX)"),
            parent.tr("Résultats (*.csv *.xlsx);;Tous les fichiers (*)"),
        )
        if path is None:
            return None
    dialog = ResultsImportDialog(services.results_import, parent)
    _show(dialog)
    dialog.start(path)
    return dialog


def _show(dialog: ImportDialog) -> None:
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setWindowModality(Qt.WindowModality.WindowModal)
    dialog.show()
