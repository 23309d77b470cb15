"""Where the main window finds the référentiel's import, export and preview dialog.

They live in livret.ui.referentiel.exchange: patch the file-dialog seams
(choose_referentiel_file, choose_export_file) there, where they are called.
"""

from livret.ui.referentiel.exchange import (
    ExportFormat,
    ReferentielPreviewDialog,
    choose_export_file,
    choose_referentiel_file,
    export_referentiel,
    import_referentiel,
    open_preview,
    referentiel_service,
)

__all__ = [
    "ExportFormat",
    "ReferentielPreviewDialog",
    "choose_export_file",
    "choose_referentiel_file",
    "export_referentiel",
    "import_referentiel",
    "open_preview",
    "referentiel_service",
]
