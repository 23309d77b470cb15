"""Importer des résultats (CSV/XLSX): every problem "Ligne N : …", then all or nothing.

Results dated inside a learner's closed period (on or before their latest final
bilan) are announced by the check; Importer then asks first (closed_period), and the
import is written only when the user confirms.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QStringListModel
from PySide6.QtWidgets import QAbstractItemView, QLabel, QListView, QWidget

from livret.services.evaluations import CoveredByFinalBilan
from livret.services.results_import import (
    ResultsFile,
    ResultsImportRefused,
    ResultsImportReport,
    ResultsImportService,
)
from livret.ui import closed_period
from livret.ui.imports.base import ImportDialog, Step, Task, error_style, no_style
from livret.ui.imports.worker import Progress, read_file
from livret.ui.theme import themed_style_sheet


class ResultsImportDialog(ImportDialog):
    """Check a results file against the database, list its problems, import it if none.

    Signals: see ImportDialog; `checked` and `imported` carry a ResultsImportReport.
    """

    def __init__(self, service: ResultsImportService, parent: QWidget | None = None) -> None:
        super().__init__(
            self.tr("Importer des résultats (CSV/XLSX)"),
            self.tr(
                "Une ligne par résultat : date;nature;titre;INE;critere;niveau;commentaire. "
                "Les lignes de même date, nature et titre forment une évaluation. Tout ou "
                "rien : au moindre problème, rien n'est enregistré."
            ),
            self.tr("Résultats (*.csv *.xlsx);;Tous les fichiers (*)"),
            parent,
        )
        self._service = service
        self._file: ResultsFile | None = None
        self._confirm_covered = False
        self.report: ResultsImportReport | None = None

        self.problems_label = QLabel()
        self.problems_label.setWordWrap(True)
        self.problems_model = QStringListModel(self)
        self.problems_view = QListView()
        self.problems_view.setModel(self.problems_model)
        self.problems_view.setUniformItemSizes(True)  # a refused file may list 100 000 lines
        self.problems_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.problems_view.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.problems_view.setAccessibleName(self.tr("Problèmes du fichier"))
        self.report_layout.addWidget(self.problems_label)
        self.report_layout.addWidget(self.problems_view, 1)
        self.report_layout.addStretch()  # takes the room when there is no problem to list
        self.clear_report()
        self._set_step(Step.EMPTY)

    def problem_lines(self) -> list[str]:
        """The problems shown, one "Ligne N : …" each."""
        return list(self.problems_model.stringList())

    # -- ImportDialog ------------------------------------------------------------------

    def check_task(self, path: Path) -> Task:
        service = self._service
        reading = self.tr("Lecture du fichier…")
        parsing = self.tr("Analyse des lignes du fichier…")
        checking = self.tr("Vérification dans la base (apprenants, critères, évaluations)…")

        def task(progress: Progress) -> tuple[ResultsFile, ResultsImportReport]:
            data = read_file(
                path,
                progress,
                stage=reading,
                check_size=lambda size: service.check_size(size, path.name),
            )
            progress.stage(parsing)
            results_file = service.read(data, path.name)
            progress.stage(checking, max(len(results_file.rows), 1))
            # Each report is also a cancel point: Annuler stops a long check at once.
            report = service.check(results_file, lambda done, _total: progress.advance(done))
            return results_file, report

        return task

    def show_check(self, result: Any) -> bool:
        results_file, report = result
        self._file = results_file
        self._show(report)
        return report.ok

    def start_import(self) -> None:
        """Override ImportDialog.start_import: ask first when results fall in closed periods."""
        if not self.can_import or self.report is None:
            return
        self._confirm_covered = False
        if self.report.covered:
            if not closed_period.confirm_adding_in_closed_period(
                self, self.report.covered, importing=True
            ):
                self.status.setText(self.tr("Import annulé : rien n'a été enregistré."))
                return
            self._confirm_covered = True
        super().start_import()

    def apply_task(self) -> Task:
        service, results_file = self._service, self._file
        assert results_file is not None  # Importer is enabled after a check only
        confirm = self._confirm_covered
        writing = self.tr("Enregistrement des résultats dans la base…")

        def task(progress: Progress) -> ResultsImportReport:
            progress.stage(writing)
            try:
                return service.apply(results_file, confirm_covered=confirm)
            except ResultsImportRefused as refused:  # the data changed since the check
                return refused.report
            except CoveredByFinalBilan:
                # A bilan was finalized since the check: show the new closed periods, so
                # that Importer asks about them.
                return service.check(results_file)

        return task

    def show_applied(self, result: Any) -> bool:
        self._show(result)
        return bool(result.applied)

    def can_import_again(self, result: Any) -> bool:
        """Override ImportDialog.can_import_again: yes when only a confirmation is missing."""
        return isinstance(result, ResultsImportReport) and result.ok and bool(result.covered)

    def report_text(self) -> str:
        return self.report.text() if self.report is not None else ""

    def clear_report(self) -> None:
        self.report = None
        self.problems_model.setStringList([])
        self.problems_label.clear()
        self.problems_label.hide()
        self.problems_view.hide()

    # -- showing -----------------------------------------------------------------------

    def _show(self, report: ResultsImportReport) -> None:
        self.report = report
        self.summary.setText(report.summary())
        self.problems_model.setStringList(list(report.problems))
        self.problems_label.show()
        if report.problems:
            self.problems_label.setText(
                self.tr("Problèmes à corriger dans le fichier (%1), ligne par ligne :").replace(
                    "%1", str(len(report.problems))
                )
            )
            themed_style_sheet(self.problems_label, error_style)
            self.problems_view.show()
            self.problems_view.scrollToTop()
        else:
            if report.applied:
                self.problems_label.setText(self.tr("Toutes les lignes ont été enregistrées."))
            elif report.covered:
                self.problems_label.setText(
                    self.tr(
                        "Aucun problème dans le fichier, mais des résultats sont datés d'une "
                        "période close par un bilan définitif : Importer demandera confirmation."
                    )
                )
            else:
                self.problems_label.setText(
                    self.tr("Aucun problème : le fichier peut être importé.")
                )
            themed_style_sheet(self.problems_label, no_style)
            self.problems_view.hide()
