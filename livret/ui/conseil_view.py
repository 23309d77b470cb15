"""Conseil de classe: a class on the day of its conseil, one row per learner, remarks in place.

Each row shows the learner's bilan (the shared rule's choice), its status, the mark out
of 20 (⚠ when it stands on too few CCs), the number of NE, one small arrow per CC for
the change since the previous final bilan, and the teacher's one-line remark, edited in
the table itself and saved at once (Entrée). « PDF… » and « CSV/XLSX… » export the table.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from livret.domain.conseil import REMARK_MAX_LENGTH, TREND_LABELS, TREND_LEGEND, Trend
from livret.domain.errors import LivretError
from livret.domain.levels import style_of
from livret.services.conseil import (
    FLAG_NOTE,
    STATUS_DRAFT,
    STATUS_NONE,
    ConseilLine,
    ConseilService,
    ConseilView,
    french_mark,
)
from livret.services.dto import ClassInfo
from livret.ui import messages
from livret.ui.load_failure import FailableArea, failure_reason
from livret.ui.text import count
from livret.ui.theme import css, current_theme, themed_style_sheet

ModelIndex = QModelIndex | QPersistentModelIndex
LEARNER_ID_ROLE = Qt.ItemDataRole.UserRole + 1
FLAG_MARK = "⚠"
FIXED_COLUMNS = ("Apprenant", "Bilan", "Statut", "Note /20", "NE")
NAME, DATE, STATUS, MARK, NE = range(len(FIXED_COLUMNS))
TREND_ROLES = {Trend.UP: "trend_up", Trend.DOWN: "trend_down", Trend.SAME: "trend_same"}
"""The theme role (livret.ui.theme.Theme) of each arrow's colour."""
TREND_WIDTH = 40


def _day(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


class SharedDay(Protocol):
    """The session's « Conseil du » day (livret.ui.conseil_date.ConseilDate)."""

    @property
    def value(self) -> dt.date: ...

    def set_value(self, day: dt.date) -> None: ...

    @property
    def changed(self) -> Any: ...


RemarkSaver = Callable[[ConseilLine, str], ConseilLine | None]
"""Saves a remark; returns the line as now stored, or None when saving failed (said)."""


class ConseilModel(QAbstractTableModel):
    """Rows are the learners; columns the bilan, mark, NE, one per CC, then the remark.

    Only the remark is editable; setData hands it to the saver the view sets, and
    shows the new text only once it is stored.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._view: ConseilView | None = None
        self._lines: list[ConseilLine] = []
        self._saver: RemarkSaver | None = None
        self._bold = QFont()
        self._bold.setBold(True)

    @property
    def view(self) -> ConseilView | None:
        return self._view

    def set_view(self, view: ConseilView | None) -> None:
        self.beginResetModel()
        self._view = view
        self._lines = list(view.lines) if view is not None else []
        self.endResetModel()

    def set_saver(self, saver: RemarkSaver | None) -> None:
        self._saver = saver

    def line(self, row: int) -> ConseilLine:
        return self._lines[row]

    def lines(self) -> tuple[ConseilLine, ...]:
        return tuple(self._lines)

    @property
    def remark_column(self) -> int:
        return len(FIXED_COLUMNS) + self._cc_count()

    def _cc_count(self) -> int:
        return len(self._view.common_competencies) if self._view is not None else 0

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's default argument
        """Override QAbstractItemModel::rowCount."""
        return 0 if parent.isValid() else len(self._lines)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's default argument
        """Override QAbstractItemModel::columnCount."""
        if parent.isValid() or self._view is None:
            return 0
        return len(FIXED_COLUMNS) + self._cc_count() + 1

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Override QAbstractItemModel::headerData: the column titles, CC codes in the middle."""
        view = self._view
        if view is None or orientation != Qt.Orientation.Horizontal:
            return None
        if not 0 <= section < self.columnCount():
            return None
        ccs = view.common_competencies
        cc = section - len(FIXED_COLUMNS)
        if role == Qt.ItemDataRole.DisplayRole:
            if section < len(FIXED_COLUMNS):
                return self.tr(FIXED_COLUMNS[section])
            if cc < len(ccs):
                return ccs[cc].code
            return self.tr("Remarque")
        if role == Qt.ItemDataRole.ToolTipRole:
            if 0 <= cc < len(ccs):
                return ccs[cc].heading + "\n" + self.tr(TREND_LEGEND)
            if section == MARK:
                return (
                    self.tr("Note de « Noter le dernier bilan » ; %1 : %2")
                    .replace("%1", FLAG_MARK)
                    .replace("%2", self.tr(FLAG_NOTE))
                )
            if section == self.remark_column:
                return self.tr("Une ligne par apprenant : double-clic ou F2 pour l'écrire")
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        """Override QAbstractItemModel::flags: the remark is editable, nothing else."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == self.remark_column and self._saver is not None:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Override QAbstractItemModel::data."""
        view = self._view
        if view is None or not index.isValid() or not 0 <= index.row() < len(self._lines):
            return None
        line = self._lines[index.row()]
        column = index.column()
        if role == LEARNER_ID_ROLE:
            return line.learner.id
        cc = column - len(FIXED_COLUMNS)
        if 0 <= cc < len(view.common_competencies):
            return self._trend_data(view, line, cc, role)
        if column == self.remark_column:
            if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
                return line.remark
            if role == Qt.ItemDataRole.ToolTipRole and line.remark_author:
                when = line.remark_updated_at
                text = self.tr("Écrite par %1").replace("%1", line.remark_author)
                if when is not None:
                    text += self.tr(" le %1").replace("%1", when.strftime("%d/%m/%Y à %H:%M"))
                return f"{line.remark}\n{text}" if line.remark else text
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(line, column)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (DATE, MARK, NE):
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ForegroundRole:
            if column == STATUS and line.status == STATUS_NONE:
                return QBrush(current_theme().inactive_text)
            if column in (DATE, STATUS) and line.status == STATUS_DRAFT:
                return QBrush(current_theme().attention_text)
        if role == Qt.ItemDataRole.BackgroundRole and column == MARK and line.mark_flagged:
            return QBrush(current_theme().flag_background)
        if role == Qt.ItemDataRole.FontRole and column == MARK and line.mark_flagged:
            return self._bold
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(view, line, column)
        return None

    def _text(self, line: ConseilLine, column: int) -> str:
        if column == NAME:
            name = line.learner.display_name
            return name + self.tr(" (sorti)") if line.learner.left_on is not None else name
        if column == DATE:
            return _day(line.bilan_date) if line.bilan_date else "—"
        if column == STATUS:
            if line.status == STATUS_NONE:
                return line.reason
            return line.status_label
        if column == MARK:
            text = french_mark(line.mark)
            return f"{text} {FLAG_MARK}" if line.mark_flagged and text else text
        if column == NE:
            return "" if line.ne_count is None else str(line.ne_count)
        return ""

    def _tooltip(self, view: ConseilView, line: ConseilLine, column: int) -> str | None:
        if column == NAME:
            return self.tr("INE %1").replace("%1", line.learner.ine)
        if column == STATUS:
            return line.reason or (
                self.tr("Brouillon : la note n'est calculée que sur un bilan définitif")
                if line.status == STATUS_DRAFT
                else None
            )
        if column == MARK:
            if line.mark_note:
                return line.mark_note
            if line.mark is not None:
                text = (
                    self.tr("Calculée sur %1 compétence(s) positionnée(s) sur %2")
                    .replace("%1", str(line.counted))
                    .replace("%2", str(len(view.common_competencies)))
                )
                if line.mark_flagged:
                    text += " — " + self.tr(FLAG_NOTE)
                return text
        return None

    def _trend_data(self, view: ConseilView, line: ConseilLine, cc: int, role: int) -> Any:
        if not line.trends:
            return None
        change = line.trends[cc]
        if role == Qt.ItemDataRole.DisplayRole:
            return change.value
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ForegroundRole and change in TREND_ROLES:
            return QBrush(getattr(current_theme(), TREND_ROLES[change]))
        if role == Qt.ItemDataRole.FontRole:
            return self._bold
        code = view.common_competencies[cc].code
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{code} : {self.tr(TREND_LABELS[change])}"
        if role == Qt.ItemDataRole.ToolTipRole:
            now = style_of(line.levels[cc]).label
            before = line.previous_levels[cc] if line.previous_levels else None
            if before is None or line.previous_date is None:
                return (
                    self.tr("%1 : %2 (pas de bilan définitif précédent)")
                    .replace("%1", code)
                    .replace("%2", now)
                )
            return f"{code} : {style_of(before).label} ({_day(line.previous_date)}) → {now}" + (
                f" ({_day(line.bilan_date)})" if line.bilan_date else ""
            )
        return None

    def setData(self, index: ModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """Override QAbstractItemModel::setData: save the remark, show it once stored."""
        if (
            role != Qt.ItemDataRole.EditRole
            or not index.isValid()
            or index.column() != self.remark_column
            or self._saver is None
            or not 0 <= index.row() < len(self._lines)
        ):
            return False
        saved = self._saver(self._lines[index.row()], str(value))
        if saved is None:
            return False
        self._lines[index.row()] = saved
        self.dataChanged.emit(index, index)
        return True


class _RemarkDelegate(QStyledItemDelegate):
    """A one-line editor no longer than a remark may be."""

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: ModelIndex
    ) -> QWidget:
        """Override QStyledItemDelegate::createEditor."""
        editor = QLineEdit(parent)
        editor.setMaxLength(REMARK_MAX_LENGTH)
        editor.setAccessibleName(self.tr("Remarque du conseil"))
        return editor


def choose_pdf_path(parent: QWidget, suggested: str) -> Path | None:
    """Where to write the conseil's PDF (a seam tests can patch)."""
    path, _ = QFileDialog.getSaveFileName(
        parent, parent.tr("PDF du conseil de classe"), suggested, parent.tr("PDF (*.pdf)")
    )
    return Path(path) if path else None


def choose_table_path(parent: QWidget, suggested: str) -> Path | None:
    """Where to write the conseil's table (a seam tests can patch)."""
    path, _ = QFileDialog.getSaveFileName(
        parent,
        parent.tr("Tableau du conseil de classe"),
        suggested,
        parent.tr("Tableur Excel (*.xlsx);;CSV pour Excel (*.csv)"),
    )
    return Path(path) if path else None


class ConseilClasseView(QWidget):
    """The conseil de classe tab: class and date choosers, the table, the exports.

    `conseil` is called when the tab first needs it (the service is built lazily).
    When reading fails, the table clears and the view says why in place.

    Signals:
        remark_saved(int): a remark was stored for that learner.
    """

    remark_saved = Signal(int)

    def __init__(
        self,
        conseil: Callable[[], ConseilService],
        parent: QWidget | None = None,
        *,
        today: dt.date | None = None,
    ) -> None:
        super().__init__(parent)
        self._conseil = conseil
        self._class_id: int | None = None
        self._loaded_for: tuple[int, dt.date, bool] | None = None

        self.class_combo = QComboBox()
        self.class_combo.setAccessibleName(self.tr("Classe du conseil"))
        self.class_combo.setMinimumContentsLength(14)
        self.date_edit = QDateEdit()
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("dd/MM/yyyy")
        self.date_edit.setAccessibleName(self.tr("Date du conseil de classe"))
        self.date_edit.setDate(_qdate(today or dt.date.today()))
        self.drafts_box = QCheckBox(self.tr("Inclure les &brouillons"))
        self.drafts_box.setToolTip(
            self.tr(
                "Montrer le brouillon d'un apprenant plus récent que son dernier bilan "
                "définitif (sans note : la note vient d'un bilan définitif)"
            )
        )
        self.pdf_button = QPushButton(self.tr("&PDF…"))
        self.pdf_button.setToolTip(self.tr("Le tableau du conseil en PDF (A4 paysage)"))
        self.table_button = QPushButton(self.tr("CSV/&XLSX…"))
        self.table_button.setToolTip(self.tr("Le tableau du conseil pour un tableur"))

        self.title = QLabel(self.tr("Conseil de classe"))
        self.title.setObjectName("conseilTitle")
        self.title.setStyleSheet("font-size: 16pt; font-weight: bold;")
        self.details = QLabel()
        self.details.setWordWrap(True)

        self.model = ConseilModel(self)
        self.model.set_saver(self._save_remark)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setItemDelegate(_RemarkDelegate(self.table))
        self.table.setAccessibleName(self.tr("Conseil de classe : un apprenant par ligne"))
        self.table.setAccessibleDescription(
            self.tr(
                "Bilan retenu, statut, note sur 20, nombre de NE, évolution par compétence "
                "commune depuis le bilan définitif précédent, remarque modifiable."
            )
        )
        self.table.setEditTriggers(
            QAbstractItemView.EditTrigger.DoubleClicked
            | QAbstractItemView.EditTrigger.EditKeyPressed
            | QAbstractItemView.EditTrigger.AnyKeyPressed
        )
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        self.table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 10)
        self.table.horizontalHeader().setHighlightSections(False)
        self.table.horizontalHeader().setMinimumSectionSize(TREND_WIDTH)

        self.legend = QLabel(
            self.tr(TREND_LEGEND) + "\n" + f"{FLAG_MARK} " + self.tr(FLAG_NOTE) + "."
        )
        self.legend.setWordWrap(True)
        themed_style_sheet(self.legend, lambda theme: f"color: {css(theme.inactive_text)};")

        choosers = QHBoxLayout()
        class_label = QLabel(self.tr("&Classe :"))
        class_label.setBuddy(self.class_combo)
        date_label = QLabel(self.tr("Conseil du :"))
        date_label.setBuddy(self.date_edit)
        choosers.addWidget(class_label)
        choosers.addWidget(self.class_combo)
        choosers.addSpacing(12)
        choosers.addWidget(date_label)
        choosers.addWidget(self.date_edit)
        choosers.addSpacing(12)
        choosers.addWidget(self.drafts_box)
        choosers.addStretch(1)
        choosers.addWidget(self.pdf_button)
        choosers.addWidget(self.table_button)

        layout = QVBoxLayout(self)
        layout.addLayout(choosers)
        layout.addWidget(self.title)
        layout.addWidget(self.details)
        self.area = FailableArea(self.table)
        self.area.failure.retry_requested.connect(self.reload)
        layout.addWidget(self.area, 1)
        layout.addWidget(self.legend)

        self.class_combo.currentIndexChanged.connect(self._on_class_chosen)
        self.date_edit.dateChanged.connect(lambda _date: self.reload())
        self.drafts_box.toggled.connect(lambda _on: self.reload())
        self.pdf_button.clicked.connect(lambda: self.export_pdf())
        self.table_button.clicked.connect(lambda: self.export_table())

    # -- choices -----------------------------------------------------------------------

    def set_classes(self, classes: Sequence[ClassInfo], current: int | None = None) -> None:
        """The classes to choose from; `current` (or the one chosen before) is selected."""
        wanted = current if current is not None else self._class_id
        self.class_combo.blockSignals(True)
        self.class_combo.clear()
        for info in classes:
            self.class_combo.addItem(f"{info.code} ({info.school_year_label})", info.id)
        index = self.class_combo.findData(wanted) if wanted is not None else -1
        self.class_combo.setCurrentIndex(index if index >= 0 else min(0, len(classes) - 1))
        self.class_combo.blockSignals(False)
        self._on_class_chosen(self.class_combo.currentIndex())

    def show_class(self, class_id: int) -> None:
        """Follow the class chosen elsewhere (the main window's selector)."""
        index = self.class_combo.findData(class_id)
        if index >= 0 and index != self.class_combo.currentIndex():
            self.class_combo.setCurrentIndex(index)
        elif index >= 0:
            self._class_id = class_id

    def set_date(self, day: dt.date) -> None:
        self.date_edit.setDate(_qdate(day))

    def share_date(self, shared: SharedDay) -> None:
        """Follow the session's « Conseil du » day both ways (the class PDF, the marks)."""
        self.set_date(shared.value)
        self.date_edit.dateChanged.connect(lambda _date: shared.set_value(self.conseil_date()))
        shared.changed.connect(self._on_shared_day)

    def _on_shared_day(self, day: dt.date) -> None:
        if day != self.conseil_date():
            self.set_date(day)

    def conseil_date(self) -> dt.date:
        value = self.date_edit.date()
        return dt.date(value.year(), value.month(), value.day())

    def current_class_id(self) -> int | None:
        return self._class_id

    def _on_class_chosen(self, index: int) -> None:
        data = self.class_combo.itemData(index) if index >= 0 else None
        self._class_id = int(data) if data is not None else None
        self.reload()

    # -- reading -----------------------------------------------------------------------

    def reload(self, *, force: bool = True) -> bool:
        """Read the chosen class on the chosen day; False when that failed (said in place).

        Nothing is read while the tab is hidden: it reads when shown (showEvent).
        """
        if self._class_id is None:
            self.model.set_view(None)
            self.title.setText(self.tr("Conseil de classe"))
            self.details.setText(self.tr("Choisissez une classe."))
            return False
        wanted = (self._class_id, self.conseil_date(), self.drafts_box.isChecked())
        if not self.isVisible():
            self._loaded_for = None  # read when shown
            return True
        if not force and wanted == self._loaded_for:
            return True
        try:
            view = self._conseil().view(wanted[0], wanted[1], include_drafts=wanted[2])
        except Exception as exc:  # never another class's learners left on screen
            self._loaded_for = None
            self.model.set_view(None)
            self.title.setText(self.tr("Conseil de classe non chargé"))
            self.details.setText("")
            self.area.show_failure(
                self.tr("Le conseil de classe n'a pas pu être chargé : %1").replace(
                    "%1", failure_reason(exc, f"conseil de la classe n° {wanted[0]}")
                )
            )
            return False
        self._loaded_for = wanted
        self.area.show_content()
        self._show(view)
        return True

    def showEvent(self, event: Any) -> None:
        """Override QWidget::showEvent: read what was chosen while the tab was hidden."""
        super().showEvent(event)
        self.reload(force=False)

    def _show(self, view: ConseilView) -> None:
        self.model.set_view(view)
        self.title.setText(view.title)
        parts = [count(len(view.lines), self.tr("apprenant"))]
        if view.without_bilan:
            parts.append(self.tr("%1 sans bilan").replace("%1", str(view.without_bilan)))
        if view.drafts:
            parts.append(count(view.drafts, self.tr("brouillon")))
        if view.flagged:
            parts.append(
                self.tr("%1 note(s) à vérifier %2")
                .replace("%1", str(view.flagged))
                .replace("%2", FLAG_MARK)
            )
        parts.append(self.tr("remarque : double-clic ou F2, Entrée pour enregistrer"))
        self.details.setText(" · ".join(parts))
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        first_cc = len(FIXED_COLUMNS)
        for column in range(first_cc, first_cc + len(view.common_competencies)):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.Fixed)
            header.resizeSection(column, TREND_WIDTH)
        header.setSectionResizeMode(self.model.remark_column, QHeaderView.ResizeMode.Stretch)

    # -- writing -----------------------------------------------------------------------

    def _save_remark(self, line: ConseilLine, text: str) -> ConseilLine | None:
        view = self.model.view
        if view is None:
            return None
        try:
            saved = self._conseil().save_remark(
                view.class_id, line.learner.id, view.on, text, seen=line.remark
            )
        except LivretError as exc:
            messages.show_error(self, exc.message)
            return None
        if saved.written:
            self.remark_saved.emit(line.learner.id)
        return dataclasses.replace(
            line,
            remark=saved.text,
            remark_author=saved.author,
            remark_updated_at=saved.updated_at,
        )

    def edit_remark(self, row: int, text: str) -> bool:
        """Type a remark into a row as the editor would (Entrée), for the keyboard-less."""
        return self.model.setData(self.model.index(row, self.model.remark_column), text)

    def _suggested(self, suffix: str) -> str:
        view = self.model.view
        code = view.class_code if view is not None else "classe"
        return f"conseil_{code}_{self.conseil_date().isoformat()}{suffix}".replace(" ", "_")

    def export_pdf(self) -> Path | None:
        """« PDF… »: the meeting's table, landscape."""
        if self._class_id is None:
            messages.show_error(self, self.tr("Choisissez d'abord une classe."))
            return None
        target = choose_pdf_path(self, self._suggested(".pdf"))
        if target is None:
            return None
        if target.suffix.lower() != ".pdf":
            target = target.with_suffix(".pdf")
        try:
            written = self._conseil().export_pdf(
                self._class_id,
                self.conseil_date(),
                target,
                include_drafts=self.drafts_box.isChecked(),
            )
        except LivretError as exc:
            messages.show_error(self, exc.message)
            return None
        self.details.setText(self.tr("PDF écrit : %1").replace("%1", str(written)))
        return written

    def export_table(self) -> Path | None:
        """« CSV/XLSX… »: the same table for a spreadsheet (XLSX unless .csv is chosen)."""
        if self._class_id is None:
            messages.show_error(self, self.tr("Choisissez d'abord une classe."))
            return None
        target = choose_table_path(self, self._suggested(".xlsx"))
        if target is None:
            return None
        if target.suffix.lower() not in (".csv", ".xlsx"):
            target = target.with_suffix(".xlsx")
        try:
            written = self._conseil().export_table(
                self._class_id,
                self.conseil_date(),
                target,
                include_drafts=self.drafts_box.isChecked(),
            )
        except LivretError as exc:
            messages.show_error(self, exc.message)
            return None
        self.details.setText(self.tr("Tableau écrit : %1").replace("%1", str(written)))
        return written


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)
