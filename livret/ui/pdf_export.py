"""PDF exports from the GUI: one bilan to a file, a whole class to a folder with progress.

« PDF de la classe… » opens ClassPdfDialog: the day of the conseil (« Conseil du »,
shared with the marks dialog), « Inclure les brouillons », and the list of learners
with the bilan each gets, or why they get none, before anything is written.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressDialog,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from livret.domain.bilan_choice import french_date
from livret.domain.errors import LivretError
from livret.services.bilan_choice import LearnerChoice
from livret.services.exports import ClassExport, ClassPlan, ExportService
from livret.ui import messages, remembered
from livret.ui.conseil_date import ConseilDate, ConseilDateEdit
from livret.ui.messages import show_error
from livret.ui.remembered import Purpose
from livret.ui.rows_model import ModelIndex, RowsModel
from livret.ui.theme import current_theme


class ExportCancelled(LivretError):
    """The user stopped a class export; the files already written stay."""


def choose_pdf_file(parent: QWidget, suggested: str) -> Path | None:
    """Where to save one bilan's PDF (a seam tests can patch); the last PDF folder first."""
    chosen = remembered.save_file(
        parent,
        Purpose.PDF_EXPORT,
        parent.tr("Exporter le bilan en PDF"),
        suggested,
        parent.tr("PDF (*.pdf)"),
    )
    return chosen[0] if chosen else None


def choose_folder(parent: QWidget) -> Path | None:
    """The folder receiving a class's PDFs (a seam tests can patch); the last PDF folder first."""
    return remembered.existing_folder(
        parent, Purpose.PDF_EXPORT, parent.tr("Dossier des PDF de la classe")
    )


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
    parent: QWidget,
    exports: ExportService,
    class_code: str,
    school_year: str | None,
    *,
    on: dt.date | None = None,
    include_drafts: bool = False,
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
            class_code,
            folder,
            school_year=school_year,
            progress=advance,
            on=on,
            include_drafts=include_drafts,
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
    if result.drafts:
        lines.append(
            parent.tr("Dont %1 brouillon(s), marqué(s) « BROUILLON ».").replace(
                "%1", str(result.drafts)
            )
        )
    if result.combined is not None:
        lines.append(parent.tr("Conseil de classe : %1").replace("%1", result.combined.name))
    if result.skipped:
        lines.append(parent.tr("Sans PDF :"))
        lines.extend(f"  • {skip.name} : {skip.reason}" for skip in result.skipped)
    messages.show_info(parent, parent.tr("PDF de la classe"), "\n".join(lines))
    return result


class ClassPlanModel(RowsModel[LearnerChoice]):
    """One row per learner of the class: the bilan their PDF shows, or why there is none."""

    COLUMNS = ("Apprenant", "Bilan du", "Statut", "Remarque")

    def choice(self, row: int) -> LearnerChoice:
        return self.row_at(row)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Override QAbstractItemModel::data."""
        item = self._row_of(index)
        if item is None:
            return None
        choice, column = item.choice, index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return item.learner.display_name
            if column == 1:
                return french_date(choice.bilan_date) if choice.bilan_date else "—"
            if column == 2:
                if not choice.chosen:
                    return ""
                return self.tr("Brouillon") if choice.is_draft else self.tr("Définitif")
            if column == 3:
                if choice.is_draft:
                    return self.tr("PDF marqué « BROUILLON »")
                return choice.reason[:1].upper() + choice.reason[1:]
        if role == Qt.ItemDataRole.ToolTipRole and column == 3 and choice.reason:
            return self.tr("Pas de PDF : %1").replace("%1", choice.reason)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (1, 2):
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column == 3 and not choice.chosen:
            return QBrush(current_theme().attention_text)
        if role == Qt.ItemDataRole.BackgroundRole and choice.is_draft:
            return QBrush(current_theme().draft_background)
        return None


class ClassPdfDialog(QDialog):
    """PDF de la classe: choose the conseil's day and whether drafts count, see who gets
    which bilan and who gets none (and why), then export to a folder.

    `conseil_date` is the session's shared « Conseil du » (a new one, today, if None).
    """

    def __init__(
        self,
        exports: ExportService,
        class_code: str,
        school_year: str | None,
        parent: QWidget | None = None,
        *,
        conseil_date: ConseilDate | None = None,
    ) -> None:
        super().__init__(parent)
        self._exports = exports
        self._class_code = class_code
        self._school_year = school_year
        self.plan: ClassPlan | None = None
        self.written: ClassExport | None = None

        self.title = QLabel()
        self.title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.conseil_date = ConseilDateEdit(conseil_date or ConseilDate(parent=self))
        self.conseil_date.day_changed.connect(lambda _day: self.refresh())
        self.include_drafts = QCheckBox(self.tr("Inclure les &brouillons"))
        self.include_drafts.setToolTip(
            self.tr(
                "Un brouillon plus récent que le dernier bilan définitif remplace celui-ci "
                "dans le PDF, marqué « BROUILLON » en travers de chaque page. Les notes "
                "restent calculées sur les bilans définitifs."
            )
        )
        self.include_drafts.toggled.connect(lambda _on: self.refresh())

        self.model = ClassPlanModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName(self.tr("Bilans du PDF de la classe"))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.summary = QLabel()
        self.summary.setWordWrap(True)

        self.export_button = QPushButton(self.tr("&Exporter les PDF…"))
        self.export_button.setDefault(True)
        self.export_button.clicked.connect(self.export)
        close = QPushButton(self.tr("Fermer"))
        close.clicked.connect(self.close)

        options = QHBoxLayout()
        conseil_label = QLabel(self.tr("Conseil du"))
        conseil_label.setBuddy(self.conseil_date)
        options.addWidget(conseil_label)
        options.addWidget(self.conseil_date)
        options.addSpacing(24)
        options.addWidget(self.include_drafts)
        options.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.export_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(
            QLabel(
                self.tr(
                    "Pour chaque apprenant, le dernier bilan définitif à la date du conseil "
                    "(celui dont la note est calculée) : un PDF chacun et un PDF d'ensemble."
                )
            )
        )
        layout.addLayout(options)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.setWindowTitle(self.tr("PDF de la classe"))
        self.resize(820, 640)
        self.refresh()

    @property
    def day(self) -> dt.date:
        return self.conseil_date.day

    def refresh(self) -> None:
        """List each learner's bilan for the chosen day (nothing is written)."""
        try:
            plan = self._exports.class_plan(
                self._class_code,
                school_year=self._school_year,
                on=self.day,
                include_drafts=self.include_drafts.isChecked(),
            )
        except LivretError as exc:
            show_error(self, exc.message)
            return
        self.plan = plan
        self.model.set_rows(plan.choices)
        self.title.setText(
            self.tr("PDF de la classe — %1 (%2)")
            .replace("%1", plan.class_code)
            .replace("%2", plan.school_year_label)
        )
        parts = [self.tr("%1 PDF").replace("%1", str(len(plan.chosen)))]
        if plan.drafts:
            parts.append(self.tr("dont %1 brouillon(s)").replace("%1", str(plan.drafts)))
        parts.append(
            self.tr("%1 sans bilan au %2")
            .replace("%1", str(len(plan.skipped)))
            .replace("%2", french_date(plan.on))
        )
        self.summary.setText(" · ".join(parts))
        self.export_button.setEnabled(bool(plan.chosen))

    def export(self) -> ClassExport | None:
        """Ask for the folder, then write the PDFs of the listed bilans."""
        result = export_class(
            self,
            self._exports,
            self._class_code,
            self._school_year,
            on=self.day,
            include_drafts=self.include_drafts.isChecked(),
        )
        if result is not None:
            self.written = result
            self.summary.setText(
                self.tr("%1 PDF écrits · conseil du %2")
                .replace("%1", str(len(result.files)))
                .replace("%2", french_date(result.on))
            )
        return result
