"""What every import dialog shares: the file, a progress bar with Annuler, the report, Importer."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum, auto
from pathlib import Path
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from livret.ui import messages, remembered
from livret.ui.imports.worker import ImportJob, Progress
from livret.ui.remembered import Purpose
from livret.ui.theme import Theme, css, themed_style_sheet

Task = Callable[[Progress], Any]

StyleOf = Callable[[Theme], str]
"""A style sheet made from the theme (livret.ui.theme.themed_style_sheet)."""


def error_style(theme: Theme) -> str:
    """A refusal line's style sheet."""
    return f"color: {css(theme.error_text)};"


def done_style(theme: Theme) -> str:
    """A success line's style sheet."""
    return f"color: {css(theme.success_text)};"


def no_style(_theme: Theme) -> str:
    """An ordinary line: no style sheet."""
    return ""


def choose_import_file(parent: QWidget, title: str, file_filter: str) -> Path | None:
    """The file to import, or None (a seam tests patch).

    It starts in the folder of the last file imported of the same kind (the SIECLE
    export is the only XML one).
    """
    purpose = Purpose.SIECLE_IMPORT if "*.xml" in file_filter else Purpose.RESULTS_IMPORT
    return remembered.open_file(parent, purpose, title, file_filter)


class Step(Enum):
    EMPTY = auto()
    """No file checked (none chosen yet, refused, or the check was cancelled)."""
    CHECKING = auto()
    PREVIEW = auto()
    """Checked: the report tells what importing would write; nothing is written yet."""
    IMPORTING = auto()
    DONE = auto()


class ImportDialog(QDialog):
    """Choose a file, check it in the background, show the report, import on request.

    Subclasses give the check and apply tasks (run in an ImportJob) and show their
    results. Nothing is written before Importer is clicked.

    Signals:
    - stage_changed(str): a step of the work began ("Lecture du fichier…");
    - checked(object): the check ended and its report is shown (subclass-specific);
    - imported(object): the file was written to the database; carries the final report.
    """

    stage_changed = Signal(str)
    checked = Signal(object)
    imported = Signal(object)

    def __init__(self, title: str, intro: str, file_filter: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self._file_filter = file_filter
        self._job: ImportJob | None = None
        self._can_import = False
        self.step = Step.EMPTY
        self.path: Path | None = None

        heading = QLabel(title)
        heading.setStyleSheet("font-size: 14pt; font-weight: bold;")
        explanation = QLabel(intro)
        explanation.setWordWrap(True)
        themed_style_sheet(explanation, lambda theme: f"color: {css(theme.hint_text)};")

        self.file_edit = QLineEdit()
        self.file_edit.setReadOnly(True)
        # Read-only, but reached by Tab: a screen reader reads the chosen file from it.
        self.file_edit.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.file_edit.setPlaceholderText(self.tr("Aucun fichier choisi"))
        self.file_edit.setAccessibleName(self.tr("Fichier à importer"))
        self.choose_button = QPushButton(self.tr("Choisir un fichier…"))
        self.choose_button.clicked.connect(self.choose_file)
        file_row = QHBoxLayout()
        file_row.addWidget(QLabel(self.tr("Fichier :")))
        file_row.addWidget(self.file_edit, 1)
        file_row.addWidget(self.choose_button)
        self.options_layout = QHBoxLayout()
        """Where subclasses put their choices (the school year of a SIECLE import)."""

        self.status = QLabel(self.tr("Choisissez le fichier à importer."))
        self.status.setWordWrap(True)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1)
        self.progress.setValue(0)
        self.progress.setFormat("%p %")
        self.progress.setAccessibleName(self.tr("Avancement"))
        self.cancel_button = QPushButton(self.tr("Annuler"))
        self.cancel_button.setToolTip(self.tr("Arrêter la vérification : rien n'est enregistré"))
        self.cancel_button.clicked.connect(self.cancel)
        progress_row = QHBoxLayout()
        progress_row.addWidget(self.progress, 1)
        progress_row.addWidget(self.cancel_button)

        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setTextFormat(Qt.TextFormat.PlainText)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        font = self.summary.font()
        font.setBold(True)
        self.summary.setFont(font)

        self.copy_button = QPushButton(self.tr("Copier le rapport"))
        self.copy_button.setToolTip(self.tr("Copier le rapport complet dans le presse-papiers"))
        self.copy_button.clicked.connect(self._copy_report)
        self.import_button = QPushButton(self.tr("Importer"))
        self.import_button.clicked.connect(self.start_import)
        self.close_button = QPushButton(self.tr("Fermer"))
        self.close_button.clicked.connect(self.reject)
        for button in (
            self.choose_button,
            self.cancel_button,
            self.copy_button,
            self.import_button,
            self.close_button,
        ):
            button.setAutoDefault(False)  # Enter never imports by surprise
        buttons = QHBoxLayout()
        buttons.addWidget(self.copy_button)
        buttons.addStretch(1)
        buttons.addWidget(self.import_button)
        buttons.addWidget(self.close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(explanation)
        layout.addLayout(file_row)
        layout.addLayout(self.options_layout)
        layout.addWidget(self.status)
        layout.addLayout(progress_row)
        layout.addWidget(self.summary)
        self.report_layout = QVBoxLayout()
        """Where subclasses put the list or table of the report's lines."""
        self.report_layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(self.report_layout, 1)
        layout.addLayout(buttons)
        self.resize(900, 620)
        # Subclasses end their __init__ with self._set_step(Step.EMPTY), their widgets built.

    # -- what subclasses provide -------------------------------------------------------

    def check_task(self, path: Path) -> Task:
        """Read, parse and check the file; the result goes to show_check."""
        raise NotImplementedError

    def show_check(self, result: Any) -> bool:
        """Show the check's report; True when the file can be imported."""
        raise NotImplementedError

    def apply_task(self) -> Task:
        """Write the checked file; the result goes to show_applied."""
        raise NotImplementedError

    def show_applied(self, result: Any) -> bool:
        """Show the final report; True when the file was written."""
        raise NotImplementedError

    def can_import_again(self, result: Any) -> bool:
        """After a refused import (show_applied gave False): may Importer be clicked again?"""
        return False

    def report_text(self) -> str:
        """The whole report as plain text, for the clipboard."""
        raise NotImplementedError

    def clear_report(self) -> None:
        raise NotImplementedError

    # -- the steps ---------------------------------------------------------------------

    def choose_file(self) -> None:
        path = choose_import_file(self, self.windowTitle(), self._file_filter)
        if path is not None:
            self.start(path)

    def start(self, path: Path) -> None:
        """Check this file (in the background); the report follows."""
        if self.step in (Step.CHECKING, Step.IMPORTING):
            return
        self.path = Path(path)
        self.file_edit.setText(str(self.path))
        self.file_edit.setToolTip(str(self.path))
        self.run_check(self.check_task(self.path))

    def run_check(self, task: Task) -> None:
        self.summary.clear()
        self.clear_report()
        self._can_import = False
        self._run(task, self._on_checked, Step.CHECKING)

    def start_import(self) -> None:
        if self.step is not Step.PREVIEW or not self._can_import:
            return
        self._run(self.apply_task(), self._on_applied, Step.IMPORTING)

    def cancel(self) -> None:
        """Stop the check; what was read is dropped, nothing is written."""
        if self.step is not Step.CHECKING or self._job is None:
            return
        self._job.cancel()
        self._job = None
        self.summary.clear()
        self.clear_report()
        self._finish_progress(done=False)
        self._set_status(self.tr("Vérification annulée : rien n'a été enregistré."))
        self._set_step(Step.EMPTY)

    @property
    def can_import(self) -> bool:
        return self.step is Step.PREVIEW and self._can_import

    # -- jobs --------------------------------------------------------------------------

    def _run(self, task: Task, on_success: Callable[[Any], None], step: Step) -> None:
        job = ImportJob(task)
        job.stage_started.connect(self._on_stage)
        job.advanced.connect(self._on_advanced)
        job.succeeded.connect(on_success)
        job.failed.connect(self._on_failed)
        job.cancelled.connect(self._on_cancelled)
        self._job = job
        self.progress.setRange(0, 0)  # busy until the first stage says more
        self._set_step(step)
        job.start_job()

    def _current(self) -> bool:
        """Whether the signal being handled comes from the job still wanted."""
        sender: QObject | None = self.sender()
        return sender is not None and sender is self._job

    def _on_stage(self, text: str, maximum: int) -> None:
        if self._current():
            self._set_status(text)
            self.progress.setRange(0, maximum)
            self.progress.setValue(0)
            self.stage_changed.emit(text)

    def _on_advanced(self, value: int) -> None:
        if self._current():
            self.progress.setValue(value)

    def _on_checked(self, result: Any) -> None:
        if not self._current():
            return
        self._job = None
        self._finish_progress(done=True)
        self._set_status(self.tr("Vérification terminée : rien n'a encore été enregistré."))
        self._can_import = self.show_check(result)
        self._set_step(Step.PREVIEW)
        self.checked.emit(result)

    def _on_applied(self, result: Any) -> None:
        if not self._current():
            return
        self._job = None
        self._finish_progress(done=True)
        if self.show_applied(result):
            self._set_status(self.tr("Import enregistré."), done_style)
            self._set_step(Step.DONE)
            self.imported.emit(result)
        else:
            self._set_status(self.tr("Import refusé : rien n'a été enregistré."), error_style)
            self._can_import = self.can_import_again(result)
            self._set_step(Step.PREVIEW)

    def _on_failed(self, message: str) -> None:
        if not self._current():
            return
        self._job = None
        self._finish_progress(done=False)
        if self.step is Step.IMPORTING:
            # The transaction rolled back: the checked file may be imported again.
            self._set_status(
                self.tr("Import non enregistré : %1").replace("%1", message), error_style
            )
            self._set_step(Step.PREVIEW)
        else:
            self.summary.clear()
            self.clear_report()
            self._set_status(self.tr("Fichier refusé : %1").replace("%1", message), error_style)
            self._set_step(Step.EMPTY)
        messages.show_error(self, message)

    def _on_cancelled(self) -> None:
        if self._current():  # the job stopped by itself (cancel() already forgot the wanted one)
            self._job = None
            self._set_step(Step.EMPTY)

    def _finish_progress(self, *, done: bool) -> None:
        self.progress.setRange(0, 1)
        self.progress.setValue(1 if done else 0)

    def _set_status(self, text: str, style: StyleOf = no_style) -> None:
        self.status.setText(text)
        themed_style_sheet(self.status, style)

    def _set_step(self, step: Step) -> None:
        self.step = step
        working = step in (Step.CHECKING, Step.IMPORTING)
        self.choose_button.setEnabled(not working)
        self.choose_button.setText(
            self.tr("Choisir un fichier…")
            if self.path is None
            else self.tr("Choisir un autre fichier…")
        )
        self.cancel_button.setEnabled(step is Step.CHECKING)
        self.import_button.setEnabled(self.can_import)
        self.close_button.setEnabled(step is not Step.IMPORTING)
        self.copy_button.setEnabled(step in (Step.PREVIEW, Step.DONE))
        self.set_options_enabled(not working)
        if step is Step.IMPORTING:
            self.cancel_button.setToolTip(
                self.tr("Un import en cours ne s'interrompt pas : il est enregistré en entier.")
            )
        else:
            self.cancel_button.setToolTip(
                self.tr("Arrêter la vérification : rien n'est enregistré")
            )

    def set_options_enabled(self, enabled: bool) -> None:
        """Subclasses enable or disable their choices with the rest."""

    def _copy_report(self) -> None:
        QGuiApplication.clipboard().setText(self.report_text())

    # -- closing -----------------------------------------------------------------------

    def reject(self) -> None:
        """Override QDialog::reject: an import being written finishes first."""
        if self.step is not Step.IMPORTING:
            super().reject()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Override QWidget::closeEvent: same as reject."""
        if self.step is Step.IMPORTING:
            event.ignore()
        else:
            super().closeEvent(event)

    def done(self, result: int) -> None:
        """Override QDialog::done: stop a check still running and wait for its thread."""
        job, self._job = self._job, None
        if job is not None:
            job.cancel()
            job.wait()
        super().done(result)
