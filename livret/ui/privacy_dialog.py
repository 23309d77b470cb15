"""« Données personnelles (RGPD) »: the learners who left long ago, and for one learner the
export of everything about them (a zip) or their erasure (typed EFFACER, a DDFPT's
countersignature when they have final bilans)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from livret.domain.errors import LivretError
from livret.services.authentication import NO_DDFPT_MESSAGE, has_active_ddfpt
from livret.services.container import Services
from livret.services.exports import safe_file_name
from livret.services.privacy import (
    DEFAULT_RETENTION_YEARS,
    ERASE_WORD,
    ErasurePreview,
    ErasureReport,
    PrivacyService,
    RetentionRow,
)
from livret.ui import messages, remembered
from livret.ui.countersign import add_countersign_rows, countersign_fields
from livret.ui.messages import error_label
from livret.ui.rows_model import ModelIndex, RowsModel
from livret.ui.text import count

MAX_YEARS = 30


class LearnersModel(RowsModel[RetentionRow]):
    COLUMNS = ("Apprenant", "INE", "Dernière classe", "Sorti le", "Bilans")

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Override QAbstractItemModel::data."""
        row = self._row_of(index)
        if row is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(row, column)
        if role == Qt.ItemDataRole.ToolTipRole and column == 2 and row.school_year_label:
            return f"Année scolaire {row.school_year_label}"
        if role == Qt.ItemDataRole.ToolTipRole and column == 4 and row.bilans:
            return f"{count(row.bilans, 'bilan')}, dont {row.final_bilans} définitif(s)"
        if role == Qt.ItemDataRole.TextAlignmentRole and column == 4:
            return int(Qt.AlignmentFlag.AlignCenter)
        return None


def _display(row: RetentionRow, column: int) -> str:
    if column == 0:
        return row.name
    if column == 1:
        return row.ine
    if column == 2:
        return row.class_code or "—"
    if column == 3:
        return row.left_on.strftime("%d/%m/%Y") if row.left_on else "—"
    if column == 4:
        if not row.bilans:
            return "0"
        return f"{row.bilans} (dont {row.final_bilans} déf.)"
    return ""


class PrivacyDialog(QDialog):
    """The RGPD screen (DDFPT: export only; Administrateur: export and erasure).

    Signals:
        learner_erased(int): a learner was erased (their id): the views showing them reload.
    """

    learner_erased = Signal(int)

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self.service: PrivacyService = services.privacy
        self.service.require_screen()  # a role without it gets no dialog
        self.setWindowTitle(self.tr("Données personnelles (RGPD)"))
        intro = QLabel(
            self.tr(
                "Les données du livret concernent des mineurs. À la demande d'un apprenant "
                "(ou de ses responsables légaux), exportez tout ce que Livret contient sur "
                "lui. Une fois l'apprenant parti, ses données n'ont plus à être conservées "
                "dans Livret : effacez-les."
            )
        )
        intro.setWordWrap(True)
        self.years = QSpinBox()
        self.years.setRange(0, MAX_YEARS)
        self.years.setValue(DEFAULT_RETENTION_YEARS)
        self.years.setSuffix(self.tr(" an(s)"))
        self.years.setAccessibleName(self.tr("Sortis depuis plus de"))
        self.years.setToolTip(
            self.tr(
                "Durée après la sortie de l'établissement. Par défaut %1 an : à adapter à la "
                "politique de conservation de l'établissement (valeur non vérifiée "
                "juridiquement ; le dossier scolaire archivé, lui, se garde hors de Livret)."
            ).replace("%1", str(DEFAULT_RETENTION_YEARS))
        )
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Nom ou INE, parmi tous les apprenants"))
        self.search.setAccessibleName(self.tr("Rechercher un apprenant"))
        self.search.setClearButtonEnabled(True)
        self.list_label = QLabel()
        self.list_label.setStyleSheet("font-weight: bold;")
        self.model = LearnersModel(self)
        self.table = QTableView()
        self.table.setAccessibleName(self.tr("Apprenants"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)  # the names
        self.export_button = QPushButton(self.tr("E&xporter les données…"))
        self.export_button.setToolTip(
            self.tr("Un fichier zip : les données en JSON et le PDF de chaque bilan")
        )
        self.erase_button = QPushButton(self.tr("&Effacer l'apprenant…"))
        self.erase_button.setVisible(self.service.may_erase)
        close = QPushButton(self.tr("Fermer"))
        close.clicked.connect(self.accept)

        filters = QHBoxLayout()
        years_caption = QLabel(self.tr("Apprenants sortis depuis &plus de"))
        years_caption.setBuddy(self.years)
        filters.addWidget(years_caption)
        filters.addWidget(self.years)
        filters.addSpacing(24)
        search_caption = QLabel(self.tr("ou &rechercher :"))
        search_caption.setBuddy(self.search)
        filters.addWidget(search_caption)
        filters.addWidget(self.search, 1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.erase_button)
        buttons.addStretch(1)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(filters)
        layout.addWidget(self.list_label)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.resize(860, 520)

        self.erasure_dialog: ErasureDialog | None = None
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(self.refresh)
        self.years.valueChanged.connect(lambda _v: self.refresh())
        self.search.textChanged.connect(lambda _t: self._search_timer.start())
        self.export_button.clicked.connect(lambda: self.export_selected())
        self.erase_button.clicked.connect(lambda: self.erase_selected())
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.refresh()
        self._size_columns()

    # -- public ------------------------------------------------------------------------

    def rows(self) -> tuple[RetentionRow, ...]:
        return self.model.rows()

    def refresh(self) -> None:
        """The retention list, or the search results while the search field has text."""
        self._search_timer.stop()
        text = self.search.text().strip()
        years = self.years.value()
        try:
            if text:
                rows = self.service.find_learners(text)
                caption = count(
                    len(rows), self.tr("apprenant trouvé"), self.tr("apprenants trouvés")
                )
            else:
                rows = self.service.retention(years)
                caption = (
                    self.tr("%1 depuis plus de %2 an(s)")
                    .replace(
                        "%1",
                        count(len(rows), self.tr("apprenant sorti"), self.tr("apprenants sortis")),
                    )
                    .replace("%2", str(years))
                )
        except LivretError as exc:
            self.show_error(exc.message)
            rows, caption = (), ""
        self.model.set_rows(rows)
        self.list_label.setText(caption)
        if rows:
            self.table.selectRow(0)
        self._update_buttons()

    def select_learner(self, learner_id: int) -> bool:
        """Select the learner's row; False when the list does not show them."""
        for number, row in enumerate(self.model.rows()):
            if row.learner_id == learner_id:
                self.table.selectRow(number)
                return True
        return False

    def selected(self) -> RetentionRow | None:
        indexes = self.table.selectionModel().selectedRows()
        if not indexes:
            return None
        return self.model.row_at(indexes[0].row())

    def export_selected(self) -> Path | None:
        """« Exporter les données… »: a zip chosen in a file dialog; the path written."""
        row = self.selected()
        if row is None:
            return None
        suggested = safe_file_name(f"RGPD_{row.name}_{dt.date.today().isoformat()}", suffix=".zip")
        chosen = self.choose_export_path(suggested)
        if chosen is None:
            return None
        try:
            written = self.service.export_learner(row.learner_id, chosen)
        except LivretError as exc:
            self.show_error(exc.message)
            return None
        self.show_info(
            self.tr("Export écrit"),
            self.tr(
                "Les données de %1 sont dans :\n%2\n\nCe fichier n'est lisible que par vous : "
                "remettez-le à l'intéressé, puis détruisez-le."
            )
            .replace("%1", row.name)
            .replace("%2", str(written)),
        )
        return written

    def erase_selected(self) -> ErasureDialog | None:
        """« Effacer l'apprenant… »: the confirmation dialog (opened, not executed)."""
        row = self.selected()
        if row is None or not self.service.may_erase:
            return None
        try:
            preview = self.service.erasure_preview(row.learner_id)
            ddfpt_exists = not preview.needs_countersign or has_active_ddfpt(
                self._services.database
            )
        except LivretError as exc:
            self.show_error(exc.message)
            return None
        dialog = ErasureDialog(self.service, preview, ddfpt_exists=ddfpt_exists, parent=self)
        dialog.accepted.connect(lambda: self._on_erased(dialog))
        self.erasure_dialog = dialog
        dialog.open()
        return dialog

    # -- seams tests patch -------------------------------------------------------------

    def choose_export_path(self, suggested: str) -> Path | None:
        chosen = remembered.save_file(
            self,
            remembered.Purpose.LEARNER_DATA,
            self.tr("Exporter les données de l'apprenant"),
            suggested,
            self.tr("Archive zip (*.zip)"),
        )
        return chosen[0] if chosen else None

    def show_error(self, message: str) -> None:
        messages.show_error(self, message)

    def show_info(self, title: str, message: str) -> None:
        messages.show_info(self, title, message)

    # -- helpers -----------------------------------------------------------------------

    def _on_erased(self, dialog: ErasureDialog) -> None:
        report = dialog.report
        if report is None:
            return
        learner_id = dialog.preview.learner_id
        self.refresh()
        self.learner_erased.emit(learner_id)
        self.show_info(
            self.tr("Apprenant effacé"),
            self.tr(
                "%1 a été effacé : %2 résultat(s), %3 bilan(s), %4 inscription(s).\n"
                "Le journal garde %5 événement(s), sans son nom ni son INE.\n\n"
                "Les sauvegardes déjà faites contiennent encore ses données jusqu'à leur "
                "remplacement."
            )
            .replace("%1", dialog.preview.name)
            .replace("%2", str(report.results))
            .replace("%3", str(report.bilans))
            .replace("%4", str(report.enrolments))
            .replace("%5", str(report.audit_events_scrubbed)),
        )

    def _update_buttons(self) -> None:
        chosen = self.selected() is not None
        self.export_button.setEnabled(chosen)
        self.erase_button.setEnabled(chosen)

    def _size_columns(self) -> None:
        header = self.table.horizontalHeader()
        metrics = self.table.fontMetrics()
        widths = (
            0,  # stretched
            metrics.horizontalAdvance("00000000000X") + 16,
            max(metrics.horizontalAdvance("Dernière classe"), metrics.horizontalAdvance("x" * 12))
            + 24,
            metrics.horizontalAdvance("00/00/0000") + 24,
            metrics.horizontalAdvance("00 (dont 00 déf.)") + 24,
        )
        for column, width in enumerate(widths):
            if column:
                header.resizeSection(column, width)


class ErasureDialog(QDialog):
    """What erasing the learner deletes, the word EFFACER, and the DDFPT's countersignature
    when the learner has final bilans. OK calls the erasure itself: a refusal is shown here
    (the password cleared, nothing erased); accepted, `report` tells what was erased."""

    def __init__(
        self,
        service: PrivacyService,
        preview: ErasurePreview,
        *,
        ddfpt_exists: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._service = service
        self.preview = preview
        self.report: ErasureReport | None = None
        self._ddfpt_exists = ddfpt_exists
        self.setWindowTitle(self.tr("Effacer l'apprenant"))
        explanation = QLabel(_summary(preview))
        explanation.setWordWrap(True)
        explanation.setTextFormat(Qt.TextFormat.RichText)
        self.word = QLineEdit()
        self.word.setAccessibleName(self.tr("Mot de confirmation"))
        self.word.setPlaceholderText(ERASE_WORD)
        self.ddfpt_login, self.ddfpt_password = countersign_fields(self)
        self.error = error_label()
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button: QPushButton = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(self.tr("Effacer définitivement"))
        self.ok_button.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setDefault(True)
        self.buttons.accepted.connect(self.erase)
        self.buttons.rejected.connect(self.reject)
        for field in (self.word, self.ddfpt_login, self.ddfpt_password):
            field.textChanged.connect(self._update_ok)

        form = QFormLayout()
        form.addRow(self.tr("Tapez %1 en lettres capitales :").replace("%1", ERASE_WORD), self.word)
        if preview.needs_countersign:
            countersign = QLabel(
                self.tr(
                    "Cet apprenant a %1 : un bilan définitif ne s'efface qu'après son "
                    "déverrouillage, que seul un DDFPT autorise. Le DDFPT saisit lui-même "
                    "son identifiant et son mot de passe sur ce poste."
                ).replace("%1", count(preview.final_bilans, "bilan définitif", "bilans définitifs"))
            )
            countersign.setWordWrap(True)
            form.addRow(countersign)
            add_countersign_rows(form, self, self.ddfpt_login, self.ddfpt_password)
        else:
            self.ddfpt_login.hide()
            self.ddfpt_password.hide()
        layout = QVBoxLayout(self)
        layout.addWidget(explanation)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(560)
        if not ddfpt_exists:
            for widget in (self.word, self.ddfpt_login, self.ddfpt_password):
                widget.setEnabled(False)
            self.error.setText(NO_DDFPT_MESSAGE)
            self.error.show()

    def _update_ok(self) -> None:
        ready = self._ddfpt_exists and self.word.text() == ERASE_WORD
        if self.preview.needs_countersign:
            ready = (
                ready and bool(self.ddfpt_login.text().strip()) and bool(self.ddfpt_password.text())
            )
        self.ok_button.setEnabled(ready)

    def erase(self) -> ErasureReport | None:
        """« Effacer définitivement »: the learner erased (and the dialog accepted), or the
        refusal shown."""
        if not self.ok_button.isEnabled():
            return None
        countersigned = self.preview.needs_countersign
        try:
            report = self._service.erase_learner(
                self.preview.learner_id,
                confirmation=self.word.text(),
                ddfpt_login=self.ddfpt_login.text() if countersigned else None,
                ddfpt_password=self.ddfpt_password.text() if countersigned else None,
            )
        except LivretError as exc:
            self.error.setText(exc.message)
            self.error.show()
            self.ddfpt_password.clear()
            (self.ddfpt_password if countersigned else self.word).setFocus()
            return None
        self.report = report
        self.accept()
        return report


def _summary(preview: ErasurePreview) -> str:
    items = [
        count(preview.enrolments, "inscription dans une classe", "inscriptions dans une classe"),
        count(preview.results, "résultat d'évaluation", "résultats d'évaluation"),
        count(preview.bilans, "bilan intermédiaire", "bilans intermédiaires")
        + f" (dont {preview.final_bilans} définitif(s)), "
        + count(preview.positionings, "positionnement", "positionnements"),
        count(preview.marks, "note sur 20", "notes sur 20"),
    ]
    if preview.conseil_remarks:
        items.append(
            count(
                preview.conseil_remarks,
                "remarque de conseil de classe",
                "remarques de conseil de classe",
            )
        )
    if preview.lsl_entries:
        items.append(count(preview.lsl_entries, "saisie LSL Pro", "saisies LSL Pro"))
    if preview.account_login:
        items.append(f"le compte apprenant « {_html(preview.account_login)} »")
    journal = (
        "Le journal garde "
        + count(preview.audit_events, "événement", "événements")
        + " le concernant, sans son nom, son INE ni son identifiant. "
        if preview.audit_events
        else ""
    )
    left = f", sorti le {preview.left_on.strftime('%d/%m/%Y')}" if preview.left_on else ""
    return (
        f"<p><b>{_html(preview.name)}</b> (INE {_html(preview.ine)}{left}) va être effacé "
        "de Livret, avec :</p><ul>"
        + "".join(f"<li>{item}</li>" for item in items)
        + "</ul><p>C'est <b>irréversible</b>. "
        + journal
        + "Les sauvegardes déjà faites gardent ses données jusqu'à leur remplacement.</p>"
        "<p>Pensez à exporter ses données d'abord s'il les a demandées.</p>"
    )


def _html(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def open_privacy_dialog(parent: QWidget, services: Services) -> PrivacyDialog | None:
    """Administration → Données personnelles (RGPD)…: the dialog, opened (not executed);
    None when the role may not use it (the reason shown)."""
    try:
        dialog = PrivacyDialog(services, parent)
    except LivretError as exc:
        messages.show_error(parent, exc.message)
        return None
    dialog.open()
    return dialog
