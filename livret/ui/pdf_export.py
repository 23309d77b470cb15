"""PDF exports from the GUI: one bilan to a file, a whole class to a folder with progress."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QFileDialog, QProgressDialog, QWidget

from livret.domain.errors import LivretError
from livret.services.exports import ClassExport, ExportService
from livret.ui import messages
from livret.ui.messages import show_error


class ExportCancelled(LivretError):
    """The user stopped a class export; the files already written stay."""


def choose_pdf_file(parent: QWidget, suggested: str) -> Path | None:
    """Where to save one bilan's PDF (a seam tests can patch)."""
    path, _ = QFileDialog.getSaveFileName(
        parent, parent.tr("Exporter le bilan en PDF"), suggested, parent.tr("PDF (*.pdf)")
    )
    return Path(path) if path else None


def choose_folder(parent: QWidget) -> Path | None:
    """The folder receiving a class's PDFs (a seam tests can patch)."""
    path = QFileDialog.getExistingDirectory(parent, parent.tr("Dossier des PDF de la classe"))
    return Path(path) if path else None


def export_bilan(parent: QWidget, exports: ExportService, bilan_id: int, name: str) -> Path | None:
    """Ask where, then write the bilan's PDF (a draft is watermarked BROUILLON)."""
    target = choose_pdf_file(parent, name)
    if target is None:
        return None
    if target.suffix.lower() != ".pdf":
        target = target.with_suffix(".pdf")
    try:
        return exports.export_bilan_pdf(bilan_id, target)
    except LivretError as exc:
        show_error(parent, exc.message)
        return None


def export_class(
    parent: QWidget, exports: ExportService, class_code: str, school_year: str | None
) -> ClassExport | None:
    """One PDF per learner and the combined one for the conseil de classe, with a progress bar."""
    folder = choose_folder(parent)
    if folder is None:
        return None
    progress = QProgressDialog(
        parent.tr("Export des bilans de %1…").replace("%1", class_code),
        parent.tr("Arrêter"),
        0,
        1,
        parent,
    )
    progress.setWindowTitle(parent.tr("PDF de la classe"))
    progress.setWindowModality(Qt.WindowModality.WindowModal)
    progress.setMinimumDuration(0)

    def advance(done: int, total: int) -> None:
        progress.setMaximum(total)
        progress.setValue(done)
        QCoreApplication.processEvents()
        if progress.wasCanceled():
            raise ExportCancelled("Export arrêté : les PDF déjà écrits restent dans le dossier.")

    try:
        result = exports.export_class_pdfs(
            class_code, folder, school_year=school_year, progress=advance
        )
    except LivretError as exc:
        progress.close()
        show_error(parent, exc.message)
        return None
    progress.close()
    lines = [
        parent.tr("%1 PDF écrits dans %2.")
        .replace("%1", str(len(result.files)))
        .replace("%2", str(folder))
    ]
    if result.combined is not None:
        lines.append(parent.tr("Conseil de classe : %1").replace("%1", result.combined.name))
    if result.skipped:
        lines.append(parent.tr("Sans PDF :"))
        lines.extend(f"  • {skip.name} : {skip.reason}" for skip in result.skipped)
    messages.show_info(parent, parent.tr("PDF de la classe"), "\n".join(lines))
    return result
