"""Noter le dernier bilan: a class's marks out of 20, previewed, saved, exported.

The bilans are those of the day of the conseil (« Conseil du », shared with the class
PDF dialog through a ConseilDate): each learner's latest final bilan on or before it.
A mark computed on fewer than the chosen share of the CCs is flagged (⚠, colour,
tooltip « Calculée sur 2 CC sur 13 »). Numbers are written the French way (« 1,0 »).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QBrush
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QSpinBox,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from livret.domain.bilan_choice import french_date
from livret.domain.errors import LivretError
from livret.domain.marks import MarkSettings, percent_text
from livret.services.dto import CommonCompetencyInfo
from livret.services.marks import MarkLine, MarkPreview, MarkService
from livret.ui import remembered
from livret.ui.conseil_date import FRENCH, ConseilDate, ConseilDateEdit
from livret.ui.messages import show_error
from livret.ui.rows_model import ModelIndex, RowsModel
from livret.ui.theme import current_theme

COLUMNS = ("Apprenant", "Date du bilan", "Note /20", "NE", "Enregistrée", "Remarque")
ROUNDINGS = (Decimal("0.1"), Decimal("0.5"), Decimal("1"))
FLAG = "⚠"


def french(value: Decimal | None) -> str:
    """« 16,7 » for 16.7: the decimals the value carries, a decimal comma."""
    return "" if value is None else format(value, "f").replace(".", ",")


def sentence(text: str) -> str:
    """The rule's reasons start in lower case (they follow a name): capitalise them here."""
    return text[:1].upper() + text[1:]


def choose_export_file(parent: QWidget, suggested: str) -> Path | None:
    """Where to write the export (a seam tests can patch); the last marks folder first."""
    chosen = remembered.save_file(
        parent,
        remembered.Purpose.MARKS_EXPORT,
        parent.tr("Exporter les notes"),
        suggested,
        parent.tr("Tableur Excel (*.xlsx);;CSV pour Excel (*.csv)"),
    )
    return chosen[0] if chosen else None


class MarkPreviewModel(RowsModel[MarkLine]):
    """One row per learner of the class; a learner without a final bilan gets no mark, not 0."""

    COLUMNS = COLUMNS

    _share = "50\u00a0%"

    def set_preview(self, preview: MarkPreview) -> None:
        self._share = percent_text(preview.settings.min_share)
        self.set_rows(preview.lines)

    def line(self, row: int) -> MarkLine:
        return self.row_at(row)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Override QAbstractItemModel::data."""
        line = self._row_of(index)
        if line is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if column == 0:
                return line.learner.display_name
            if column == 1:
                return line.bilan_date.strftime("%d/%m/%Y") if line.bilan_date else "—"
            if column == 2:
                return f"{french(line.value)} {FLAG}" if line.flagged else french(line.value)
            if column == 3:
                return str(line.ne_count) if line.bilan_id is not None else ""
            if column == 4:
                return french(line.stored.value) if line.stored else ""
            if column == 5:
                return sentence(line.status or line.alert)
        if role == Qt.ItemDataRole.ToolTipRole:
            if line.flagged and column in (2, 5):
                return (
                    self.tr("%1 (moins de %2 des CC)")
                    .replace("%1", line.alert)
                    .replace("%2", self._share)
                )
            if column == 2 and line.value is not None:
                return line.coverage
            if column == 5 and line.status:
                return sentence(line.status)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (1, 2, 3, 4):
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column == 5 and (line.status or line.flagged):
            return QBrush(current_theme().attention_text)
        if role == Qt.ItemDataRole.BackgroundRole:
            if column == 2 and line.flagged:
                return QBrush(current_theme().flag_background)
            if column == 4 and line.stored_differs:
                return QBrush(current_theme().draft_background)
        return None


class MarksDialog(QDialog):
    """Preview a class's marks from their bilans of the conseil's day, then save and export.

    `conseil_date` is the session's shared « Conseil du » (a new one, today, if None).
    """

    def __init__(
        self,
        marks: MarkService,
        class_id: int,
        common_competencies: tuple[CommonCompetencyInfo, ...],
        parent: QWidget | None = None,
        *,
        conseil_date: ConseilDate | None = None,
    ) -> None:
        super().__init__(parent)
        self._marks = marks
        self._class_id = class_id
        self._codes = [cc.code for cc in common_competencies]
        self.preview: MarkPreview | None = None
        settings = marks.settings()
        self.conseil_date = ConseilDateEdit(conseil_date or ConseilDate(parent=self))
        self.conseil_date.day_changed.connect(lambda _day: self.refresh())

        self.title = QLabel()
        self.title.setStyleSheet("font-size: 15pt; font-weight: bold;")
        self.rounding = QComboBox()
        self.rounding.setAccessibleName(self.tr("Arrondi de la note"))
        for step in ROUNDINGS:
            self.rounding.addItem(self.tr("au %1 près").replace("%1", french(step)), str(step))
        self.rounding.setCurrentIndex(max(0, self.rounding.findData(str(settings.rounding))))
        self.rounding.currentIndexChanged.connect(self.refresh)

        weights_box = QGroupBox(self.tr("Coefficients des compétences communes"))
        grid = QGridLayout(weights_box)
        self.weights: dict[str, QDoubleSpinBox] = {}
        for number, cc in enumerate(common_competencies):
            spin = QDoubleSpinBox()
            spin.setLocale(FRENCH)  # « 1,0 », like the marks
            spin.setRange(0, 10)
            spin.setDecimals(1)
            spin.setSingleStep(0.5)
            spin.setValue(float(settings.weight_of(cc.code)))
            spin.setAccessibleName(f"{cc.code} — coefficient")
            spin.setToolTip(cc.title)
            spin.valueChanged.connect(self.refresh)
            label = QLabel(cc.code)
            label.setToolTip(cc.title)
            grid.addWidget(label, number // 7 * 2, number % 7)
            grid.addWidget(spin, number // 7 * 2 + 1, number % 7)
            self.weights[cc.code] = spin

        self.min_share = QSpinBox()
        self.min_share.setLocale(FRENCH)
        self.min_share.setRange(0, 100)
        self.min_share.setSingleStep(5)
        self.min_share.setSuffix("\u00a0%")
        self.min_share.setValue(int(settings.min_share * 100))
        self.min_share.setAccessibleName(self.tr("Seuil d'alerte des notes, en pourcentage des CC"))
        self.min_share.setToolTip(
            self.tr(
                "Une note calculée sur trop peu de compétences communes positionnées est "
                "signalée (⚠) dans l'aperçu et dans l'export. 0 % : jamais."
            )
        )
        self.min_share.valueChanged.connect(self.refresh)

        self.model = MarkPreviewModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName(self.tr("Aperçu des notes"))
        self.table.verticalHeader().hide()
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.horizontalHeader().setSectionResizeMode(5, QHeaderView.ResizeMode.Stretch)
        self.summary = QLabel()
        self.summary.setWordWrap(True)

        self.save_button = QPushButton(self.tr("&Enregistrer les notes"))
        self.export_button = QPushButton(self.tr("E&xporter (CSV / XLSX)…"))
        close = QPushButton(self.tr("Fermer"))
        self.save_button.clicked.connect(self.save)
        self.export_button.clicked.connect(self.export)
        close.clicked.connect(self.close)

        options = QHBoxLayout()
        conseil_label = QLabel(self.tr("Conseil du"))
        conseil_label.setBuddy(self.conseil_date)
        options.addWidget(conseil_label)
        options.addWidget(self.conseil_date)
        options.addSpacing(24)
        options.addWidget(QLabel(self.tr("Arrondi :")))
        options.addWidget(self.rounding)
        options.addSpacing(24)
        options.addWidget(QLabel(self.tr("Signaler une note calculée sur moins de")))
        options.addWidget(self.min_share)
        options.addWidget(QLabel(self.tr("des CC")))
        options.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addWidget(self.summary, 1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.export_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(
            QLabel(
                self.tr(
                    "Note = 20 × Σ(coefficient × part des points) / Σ coefficients, sur les "
                    "compétences positionnées (NE exclus et comptés) du dernier bilan définitif "
                    "à la date du conseil (jamais un brouillon)."
                )
            )
        )
        layout.addLayout(options)
        layout.addWidget(weights_box)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.setWindowTitle(self.tr("Noter le dernier bilan"))
        self.resize(980, 720)
        self.refresh()

    @property
    def day(self) -> dt.date:
        """The day of the conseil the marks are computed for."""
        return self.conseil_date.day

    def mark_settings(self) -> MarkSettings:
        weights = {code: Decimal(str(spin.value())) for code, spin in self.weights.items()}
        return MarkSettings(
            rounding=Decimal(str(self.rounding.currentData())),
            weights=weights,
            min_share=Decimal(self.min_share.value()) / 100,
        )

    def refresh(self) -> None:
        """Recompute the preview with the chosen day and settings (nothing is written)."""
        try:
            preview = self._marks.preview(self._class_id, self.mark_settings(), on=self.day)
        except LivretError as exc:
            show_error(self, exc.message)
            return
        self._show(preview)

    def _show(self, preview: MarkPreview) -> None:
        self.preview = preview
        self.model.set_preview(preview)
        self.title.setText(
            self.tr("Noter le dernier bilan — %1 (%2)")
            .replace("%1", preview.class_code)
            .replace("%2", preview.school_year_label)
        )
        parts = [
            self.tr("%1 noté(s)").replace("%1", str(preview.marked)),
            self.tr("%1 sans bilan définitif au %2")
            .replace("%1", str(preview.without_final_bilan))
            .replace("%2", french_date(preview.on)),
        ]
        if preview.without_mark:
            parts.append(self.tr("%1 sans note (tout NE)").replace("%1", str(preview.without_mark)))
        if preview.flagged:
            parts.append(
                self.tr("%1 note(s) signalée(s) %2")
                .replace("%1", str(preview.flagged))
                .replace("%2", FLAG)
            )
        if preview.stored_differing:
            parts.append(
                self.tr("%1 note(s) enregistrée(s) diffèrent de l'aperçu").replace(
                    "%1", str(preview.stored_differing)
                )
            )
        self.summary.setText(" · ".join(parts))

    def save(self) -> bool:
        """Store the settings and every learner's mark with its bilan (one transaction each)."""
        try:
            self._marks.save_settings(self.mark_settings())
            preview = self._marks.save(self._class_id, self.mark_settings(), on=self.day)
        except LivretError as exc:
            show_error(self, exc.message)
            return False
        self._show(preview)
        return True

    def export(self) -> Path | None:
        """Write the file; it holds the saved marks, so they must match what is shown."""
        if self.preview is not None and self.preview.stored_differing:
            show_error(
                self,
                self.tr(
                    "Des notes enregistrées diffèrent de l'aperçu (arrondi ou coefficients "
                    "changés) : enregistrez d'abord les notes pour que le fichier reprenne "
                    "celles affichées."
                ),
            )
            return None
        suggested = f"notes_{self.preview.class_code if self.preview else 'classe'}.xlsx"
        path = choose_export_file(self, suggested)
        if path is None:
            return None
        if path.suffix.lower() not in (".csv", ".xlsx"):
            path = path.with_suffix(".xlsx")
        try:
            result = self._marks.export(self._class_id, path, self.mark_settings(), on=self.day)
        except LivretError as exc:
            show_error(self, exc.message)
            return None
        self.summary.setText(
            self.tr("Fichier écrit : %1 (%2 lignes)")
            .replace("%1", str(result.path))
            .replace("%2", str(result.rows))
        )
        return result.path
