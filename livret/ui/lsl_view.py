"""LSL Pro: a 1re or Terminale class's synthesis, learner by learner, and its exports.

The tab lists the learners of the chosen class with what their synthesis still lacks
(⚠ and the missing fields in the tooltip). For the selected learner it shows the
specialty's competencies with Livret's proposed degree beside the degree the teacher
chose (a combo per row, saved at once; « Reprendre les propositions » takes every
proposal still unchosen), the periodic mean marks, the PFMP (the fields the company
evaluations left empty are completed here) and the appréciation (« Enregistrer »).
The class's periodicity is the Administrateur's choice; « Exporter… » writes the
class, or the learner, as XML, CSV or XLSX (docs/lsl-pro.md).

Without WRITE_LSL nothing is editable; a role that may only choose the periodicity
sees the classes and that choice, no learner.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeAlias

from PySide6.QtCore import (
    QAbstractItemModel,
    QAbstractTableModel,
    QDate,
    QItemSelection,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSplitter,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from livret.domain.errors import LivretError
from livret.domain.lsl import (
    DEGREE_LABELS,
    DEGREES,
    PERIODICITY_LABELS,
    Degree,
    Periodicity,
    PeriodMean,
    Pfmp,
    PfmpFill,
)
from livret.domain.permissions import Action, allowed
from livret.domain.roles import Actor
from livret.ui import messages, remembered
from livret.ui.load_failure import FailableArea, failure_reason
from livret.ui.remembered import Purpose
from livret.ui.rows_model import RowsModel
from livret.ui.text import count
from livret.ui.theme import css, current_theme, themed_style_sheet

if TYPE_CHECKING:
    # The service module brings the XML writer (defusedxml): imported when the tab first
    # reads (the container builds the service), not with the first window.
    from livret.services.lsl import (
        LslClass,
        LslClassSynthesis,
        LslCompetency,
        LslService,
        LslSynthesis,
    )

ModelIndex = QModelIndex | QPersistentModelIndex
LEARNER_ID_ROLE = Qt.ItemDataRole.UserRole + 1
FLAG = "⚠"
DONE = "✓"
NOT_CHOSEN = "— à choisir —"
NO_VALUE = "—"
EMPTY_DATE = QDate(2000, 1, 1)
"""A date edit at this minimum shows « — »: no date given."""
EXPORT_FILTERS = "XML LSL Pro (*.xml);;Tableur Excel (*.xlsx);;CSV pour Excel (*.csv)"
_FILTER_SUFFIXES = (".xml", ".xlsx", ".csv")


def degree_text(degree: Degree | None) -> str:
    """« 3 Maîtrisé », or « — »."""
    return NO_VALUE if degree is None else f"{degree.value} {DEGREE_LABELS[degree]}"


def french_number(value: Decimal | None) -> str:
    return NO_VALUE if value is None else format(value, "f").replace(".", ",")


def _day(day: dt.date | None) -> str:
    return NO_VALUE if day is None else day.strftime("%d/%m/%Y")


def missing_summary(synthesis: LslSynthesis) -> str:
    """« ✓ complète » or « ⚠ 14 champs manquants »."""
    if synthesis.complete:
        return f"{DONE} complète"
    return f"{FLAG} " + count(len(synthesis.missing), "manquant")


# -- models ----------------------------------------------------------------------------


class LearnersModel(RowsModel["LslSynthesis"]):
    """One row per learner of the class: the name, and whether the synthesis is complete."""

    COLUMNS = ("Apprenant", "Synthèse")

    def replace(self, synthesis: LslSynthesis) -> None:
        """One learner's new synthesis (after a save): that row changes."""
        rows = list(self.rows())
        for row, old in enumerate(rows):
            if old.learner.id == synthesis.learner.id:
                rows[row] = synthesis
                self._rows = tuple(rows)
                self.dataChanged.emit(self.index(row, 0), self.index(row, self.columnCount() - 1))
                return

    def row_of(self, learner_id: int) -> int:
        return next((r for r, s in enumerate(self.rows()) if s.learner.id == learner_id), -1)

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Override QAbstractItemModel::data."""
        synthesis = self._row_of(index)
        if synthesis is None:
            return None
        if role == LEARNER_ID_ROLE:
            return synthesis.learner.id
        learner = synthesis.learner
        if role == Qt.ItemDataRole.DisplayRole:
            if index.column() == 0:
                name = learner.display_name
                return name + " (sorti)" if learner.left_on is not None else name
            return missing_summary(synthesis)
        if role == Qt.ItemDataRole.ToolTipRole:
            if index.column() == 0:
                return f"INE {learner.ine}"
            if synthesis.complete:
                return "Tous les champs obligatoires sont renseignés."
            return "Champs manquants :\n" + "\n".join(f"• {m}" for m in synthesis.missing)
        if role == Qt.ItemDataRole.ForegroundRole and index.column() == 1:
            theme = current_theme()
            return QBrush(theme.success_text if synthesis.complete else theme.warning_text)
        return None


CODE, TITLE, PROPOSED, CHOSEN = range(4)
DegreeSaver: TypeAlias = "Callable[[LslCompetency, Degree | None], LslSynthesis | None]"
"""Saves a degree; returns the learner's synthesis as now stored, or None (said)."""


class CompetencyModel(QAbstractTableModel):
    """The specialty's competencies of one learner; only the chosen degree is editable.

    setData hands the degree to the saver the view sets and shows it once stored.

    Signals:
        synthesis_changed(object): the saver returned the learner's new LslSynthesis.
    """

    COLUMNS = ("Code", "Compétence", "Proposé", "Degré choisi")
    synthesis_changed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._items: tuple[LslCompetency, ...] = ()
        self._saver: DegreeSaver | None = None
        self._bold = QFont()
        self._bold.setBold(True)

    def set_competencies(self, items: tuple[LslCompetency, ...]) -> None:
        self.beginResetModel()
        self._items = items
        self.endResetModel()

    def update(self, items: tuple[LslCompetency, ...]) -> None:
        """The same learner's competencies again (after a save): no reset, editors stay."""
        if [c.competency_id for c in items] != [c.competency_id for c in self._items]:
            self.set_competencies(items)
            return
        self._items = items
        if items:
            self.dataChanged.emit(self.index(0, 0), self.index(len(items) - 1, CHOSEN))

    def set_saver(self, saver: DegreeSaver | None) -> None:
        self.beginResetModel()
        self._saver = saver
        self.endResetModel()

    @property
    def editable(self) -> bool:
        return self._saver is not None

    def competency(self, row: int) -> LslCompetency:
        return self._items[row]

    def competencies(self) -> tuple[LslCompetency, ...]:
        return self._items

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's default argument
        """Override QAbstractItemModel::rowCount."""
        return 0 if parent.isValid() else len(self._items)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's default argument
        """Override QAbstractItemModel::columnCount."""
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Override QAbstractItemModel::headerData: the titles, the proposal explained."""
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole and section == PROPOSED:
            return (
                "Proposé par Livret : (2 × bilans + résultats) / 3, arrondi ; "
                "jamais appliqué de lui-même"
            )
        if role == Qt.ItemDataRole.ToolTipRole and section == CHOSEN:
            return "Le degré que l'enseignant retient pour le LSL Pro"
        return None

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        """Override QAbstractItemModel::flags: the chosen degree is editable, nothing else."""
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if index.column() == CHOSEN and self._saver is not None:
            return base | Qt.ItemFlag.ItemIsEditable
        return base

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Override QAbstractItemModel::data."""
        if not index.isValid() or not 0 <= index.row() < len(self._items):
            return None
        item = self._items[index.row()]
        column = index.column()
        if role == Qt.ItemDataRole.EditRole and column == CHOSEN:
            return item.chosen.value if item.chosen is not None else ""
        if role == Qt.ItemDataRole.DisplayRole:
            if column == CODE:
                return item.code
            if column == TITLE:
                return item.title
            if column == PROPOSED:
                return degree_text(item.proposal.degree)
            if column == CHOSEN:
                return NOT_CHOSEN if item.chosen is None else degree_text(item.chosen)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column in (CODE, TITLE):
                return f"{item.code} — {item.title}"
            if column == PROPOSED:
                return item.proposal.explanation
            if column == CHOSEN:
                if item.chosen is None:
                    return "Degré non choisi : champ obligatoire du LSL Pro"
                return f"Choisi : {degree_text(item.chosen)}"
        if role == Qt.ItemDataRole.ForegroundRole:
            theme = current_theme()
            if column == PROPOSED:
                return QBrush(theme.muted_text)
            if column == CHOSEN and item.chosen is None:
                return QBrush(theme.warning_text)
        if role == Qt.ItemDataRole.FontRole and column in (CODE, CHOSEN) and item.chosen:
            return self._bold
        if role == Qt.ItemDataRole.AccessibleTextRole and column == CHOSEN:
            shown = "non choisi" if item.chosen is None else degree_text(item.chosen)
            return f"{item.code}, degré choisi : {shown}"
        return None

    def setData(self, index: ModelIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:
        """Override QAbstractItemModel::setData: save the degree, show it once stored."""
        if (
            role != Qt.ItemDataRole.EditRole
            or not index.isValid()
            or index.column() != CHOSEN
            or self._saver is None
            or not 0 <= index.row() < len(self._items)
        ):
            return False
        item = self._items[index.row()]
        degree = Degree(str(value)) if value not in (None, "") else None
        if degree == item.chosen:
            return True
        saved = self._saver(item, degree)
        if saved is None:
            self.dataChanged.emit(index, index)  # the combo goes back to what is stored
            return False
        self.update(saved.competencies)
        self.synthesis_changed.emit(saved)
        return True


class DegreeDelegate(QStyledItemDelegate):
    """The chosen degree's combo: « — à choisir — » then the four degrees; saved on choice."""

    def createEditor(
        self, parent: QWidget, option: QStyleOptionViewItem, index: ModelIndex
    ) -> QWidget:
        """Override QStyledItemDelegate::createEditor."""
        combo = QComboBox(parent)
        combo.addItem(NOT_CHOSEN, "")
        for degree in DEGREES:
            combo.addItem(degree_text(degree), degree.value)
        code = index.model().index(index.row(), CODE).data()
        combo.setAccessibleName(f"Degré de maîtrise choisi pour {code}")
        combo.setToolTip(f"Degré de maîtrise choisi pour {code}")
        combo.activated.connect(lambda _i, c=combo: self.commitData.emit(c))
        return combo

    def setEditorData(self, editor: QWidget, index: ModelIndex) -> None:
        """Override QStyledItemDelegate::setEditorData: show the stored degree."""
        if isinstance(editor, QComboBox):
            found = editor.findData(index.data(Qt.ItemDataRole.EditRole) or "")
            editor.blockSignals(True)
            editor.setCurrentIndex(max(found, 0))
            editor.blockSignals(False)

    def setModelData(self, editor: QWidget, model: QAbstractItemModel, index: ModelIndex) -> None:
        """Override QStyledItemDelegate::setModelData: hand the chosen degree to the model."""
        if isinstance(editor, QComboBox):
            model.setData(index, editor.currentData(), Qt.ItemDataRole.EditRole)


class MeansModel(RowsModel[PeriodMean]):
    """The periodic mean marks of one learner."""

    COLUMNS = ("Période", "Dates", "Moyenne /20", "Bilans")

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Override QAbstractItemModel::data."""
        mean = self._row_of(index)
        if mean is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return (
                mean.period.label,
                f"{mean.period.start:%d/%m} – {_day(mean.period.end)}",
                french_number(mean.mean),
                str(mean.mark_count),
            )[column]
        if role == Qt.ItemDataRole.TextAlignmentRole and column >= 1:
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            if mean.mean is None:
                return "Aucun bilan définitif noté dans la période : moyenne manquante"
            marks = count(mean.mark_count, "bilan définitif noté", "bilans définitifs notés")
            return f"Moyenne de {marks}"
        if role == Qt.ItemDataRole.ForegroundRole and mean.mean is None and column == 2:
            return QBrush(current_theme().warning_text)
        return None


PFMP_COLUMNS = ("company", "tutor", "start", "end")


class PfmpModel(RowsModel[Pfmp]):
    """The learner's PFMP: company, tutor, dates; what is missing is flagged."""

    COLUMNS = ("Entreprise", "Tuteur", "Début", "Fin")

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Override QAbstractItemModel::data."""
        pfmp = self._row_of(index)
        if pfmp is None:
            return None
        name = PFMP_COLUMNS[index.column()]
        value = getattr(pfmp, name)
        if role == Qt.ItemDataRole.DisplayRole:
            if value is None:
                return f"{FLAG} à compléter"
            return _day(value) if isinstance(value, dt.date) else str(value)
        if role == Qt.ItemDataRole.ForegroundRole and value is None:
            return QBrush(current_theme().warning_text)
        if role == Qt.ItemDataRole.ToolTipRole:
            if value is None:
                return "Manquant : à compléter ci-dessous"
            if name in pfmp.filled:
                return "Complété dans Livret (l'évaluation E ne le disait pas)"
            return "D'après l'évaluation E : se corrige dans l'évaluation"
        return None


# -- file choice (a seam tests patch) --------------------------------------------------


def choose_export_path(parent: QWidget, suggested: str) -> Path | None:
    """Where to write the synthesis; the suffix (.xml, .xlsx, .csv) follows the filter."""
    chosen = remembered.save_file(
        parent,
        Purpose.LSL_EXPORT,
        parent.tr("Exporter la synthèse LSL Pro"),
        suggested,
        parent.tr(EXPORT_FILTERS),
    )
    if chosen is None:
        return None
    path, chosen_filter = chosen
    if path.suffix.casefold() not in (".xml", ".xlsx", ".csv"):
        suffix = next((s for s in _FILTER_SUFFIXES if f"(*{s})" in chosen_filter), ".xml")
        path = path.with_name(path.name + suffix)
    return path


# -- the tab ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Limits:
    appreciation: int
    company: int
    tutor: int


def _limits() -> _Limits:
    """The service's lengths, read once the tab reads (the service module is loaded then)."""
    from livret.services import lsl

    return _Limits(lsl.APPRECIATION_MAX, lsl.COMPANY_MAX, lsl.TUTOR_MAX)


def _qdate(day: dt.date | None) -> QDate:
    return EMPTY_DATE if day is None else QDate(day.year, day.month, day.day)


def _pydate(edit: QDateEdit) -> dt.date | None:
    value = edit.date()
    if value <= EMPTY_DATE:
        return None
    return dt.date(value.year(), value.month(), value.day())


class LslView(QWidget):
    """The « LSL Pro » tab: class, learners and their completeness, one learner's synthesis.

    `lsl` is called when the tab first needs it (the service is built lazily); `actor`
    says what may be edited. When reading fails, the view clears and says why in place.

    Signals:
        synthesis_saved(int): something of that learner's synthesis was stored.
    """

    synthesis_saved = Signal(int)

    def __init__(
        self, lsl: Callable[[], LslService], actor: Actor, parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._lsl = lsl
        self.may_view = allowed(actor, Action.VIEW_LSL)
        self.may_write = allowed(actor, Action.WRITE_LSL)
        self.may_set_periodicity = allowed(actor, Action.SET_LSL_PERIODICITY)
        self._classes: tuple[LslClass, ...] = ()
        self._class_id: int | None = None
        self._wanted_class: int | None = None
        self._synthesis: LslClassSynthesis | None = None
        self._learner_id: int | None = None
        self._appreciation_base = ""
        self._loaded_for: int | None = None
        self._classes_loaded = False
        self._count_over: bool | None = None
        self._reverting = False
        self._shown_complete: bool | None = None

        # Choosers and exports.
        self.class_combo = QComboBox()
        self.class_combo.setAccessibleName(self.tr("Classe du LSL Pro"))
        self.class_combo.setToolTip(self.tr("Les classes de 1re et de Terminale"))
        self.class_combo.setMinimumContentsLength(18)
        self.periodicity_combo = QComboBox()
        self.periodicity_combo.setAccessibleName(self.tr("Périodicité des moyennes de la classe"))
        for periodicity in Periodicity:
            self.periodicity_combo.addItem(self.tr(PERIODICITY_LABELS[periodicity]), periodicity)
        self.periodicity_combo.setToolTip(
            self.tr("Choisie une fois par classe par l'Administrateur")
            if self.may_set_periodicity
            else self.tr("Seul l'Administrateur choisit la périodicité de la classe")
        )
        self.periodicity_combo.setEnabled(False)
        self.export_class_button = QPushButton(self.tr("Exporter la c&lasse…"))
        self.export_class_button.setToolTip(
            self.tr("La synthèse de toute la classe en XML, XLSX ou CSV")
        )
        self.export_learner_button = QPushButton(self.tr("Exporter l'appre&nant…"))
        self.export_learner_button.setToolTip(
            self.tr("La synthèse de l'apprenant choisi en XML, XLSX ou CSV")
        )

        self.title = QLabel(self.tr("LSL Pro"))
        self.title.setObjectName("lslTitle")
        self.title.setStyleSheet("font-size: 16pt; font-weight: bold;")
        self.title.setWordWrap(True)  # a long specialty title wraps in a narrow window
        self.details = QLabel()
        self.details.setWordWrap(True)

        # The learners.
        self.learners_model = LearnersModel(self)
        self.learners_table = QTableView()
        self.learners_table.setModel(self.learners_model)
        self.learners_table.setAccessibleName(self.tr("Apprenants de la classe"))
        self.learners_table.setAccessibleDescription(
            self.tr("Un apprenant par ligne : synthèse complète, ou nombre de champs manquants")
        )
        self.learners_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.learners_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.learners_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.learners_table.verticalHeader().hide()
        self.learners_table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        self.learners_table.setWordWrap(False)
        header = self.learners_table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setHighlightSections(False)
        self.learners_table.selectionModel().selectionChanged.connect(self._on_learner_selection)

        # One learner's synthesis.
        self.learner_title = QLabel()
        self.learner_title.setObjectName("lslLearner")
        self.learner_title.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.missing_label = QLabel()
        self.missing_label.setWordWrap(True)
        self.missing_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.competency_model = CompetencyModel(self)
        self.competency_model.synthesis_changed.connect(self._on_saved)
        self.competency_table = QTableView()
        self.competency_table.setModel(self.competency_model)
        self.competency_table.setItemDelegateForColumn(
            CHOSEN, DegreeDelegate(self.competency_table)
        )
        self.competency_table.setAccessibleName(self.tr("Compétences attendues de la spécialité"))
        self.competency_table.setAccessibleDescription(
            self.tr("Code, intitulé, degré proposé par Livret, degré choisi (liste déroulante)")
        )
        self.competency_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.competency_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.competency_table.setWordWrap(False)
        self.competency_table.verticalHeader().hide()
        self.competency_table.verticalHeader().setDefaultSectionSize(
            self.fontMetrics().height() + 10
        )
        header = self.competency_table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(TITLE, QHeaderView.ResizeMode.Stretch)
        self.competency_table.setTextElideMode(Qt.TextElideMode.ElideRight)
        self.accept_button = QPushButton(self.tr("Reprendre les pr&opositions"))
        self.accept_button.setToolTip(
            self.tr(
                "Choisir le degré proposé pour chaque compétence encore sans degré "
                "(les choix déjà faits restent). Une proposition n'est jamais appliquée "
                "d'elle-même ; son calcul est dans l'infobulle du degré proposé."
            )
        )

        self.means_model = MeansModel(self)
        self.means_table = self._small_table(self.means_model, self.tr("Moyennes périodiques"))
        self.pfmp_model = PfmpModel(self)
        self.pfmp_table = self._small_table(self.pfmp_model, self.tr("PFMP de l'année"))
        self.pfmp_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.pfmp_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.pfmp_table.selectionModel().currentRowChanged.connect(
            lambda _now, _before: self._show_pfmp_form()
        )
        self.company_edit = QLineEdit()
        self.company_edit.setAccessibleName(self.tr("Entreprise de la PFMP"))
        self.tutor_edit = QLineEdit()
        self.tutor_edit.setAccessibleName(self.tr("Tuteur de la PFMP"))
        self.start_edit = self._date_edit(self.tr("Date de début de la PFMP"))
        self.end_edit = self._date_edit(self.tr("Date de fin de la PFMP"))
        self.pfmp_button = QPushButton(self.tr("Complé&ter la PFMP"))
        self.pfmp_button.setToolTip(
            self.tr(
                "Enregistrer ce que les évaluations E laissaient vide ; ce qu'elles disent "
                "se corrige dans l'évaluation"
            )
        )
        self.pfmp_note = QLabel()
        self.pfmp_note.setWordWrap(True)
        themed_style_sheet(self.pfmp_note, lambda t: f"color: {css(t.muted_text)};")

        self.appreciation_edit = QPlainTextEdit()
        self.appreciation_edit.setAccessibleName(self.tr("Appréciation LSL Pro"))
        self.appreciation_edit.setTabChangesFocus(True)
        self.appreciation_edit.setPlaceholderText(
            self.tr("Appréciation de l'année (1 000 caractères au plus)")
        )
        self.appreciation_count = QLabel()
        self.save_button = QPushButton(self.tr("Enre&gistrer"))
        self.save_button.setToolTip(self.tr("Enregistrer l'appréciation"))

        self.detail = self._build_detail()
        self.detail_area = QScrollArea()
        self.detail_area.setWidgetResizable(True)
        self.detail_area.setWidget(self.detail)
        self.detail_area.setFrameShape(QScrollArea.Shape.NoFrame)
        self.detail_area.setFocusPolicy(Qt.FocusPolicy.NoFocus)

        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self.learners_table)
        splitter.addWidget(self.detail_area)
        splitter.setStretchFactor(0, 0)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([250, 1000])
        splitter.setChildrenCollapsible(False)
        self.learners_table.setMinimumWidth(230)

        choosers = QHBoxLayout()
        class_label = QLabel(self.tr("Cla&sse :"))
        class_label.setBuddy(self.class_combo)
        periodicity_label = QLabel(self.tr("Pério&dicité :"))
        periodicity_label.setBuddy(self.periodicity_combo)
        choosers.addWidget(class_label)
        choosers.addWidget(self.class_combo)
        choosers.addSpacing(12)
        choosers.addWidget(periodicity_label)
        choosers.addWidget(self.periodicity_combo)
        choosers.addStretch(1)
        choosers.addWidget(self.export_class_button)
        choosers.addWidget(self.export_learner_button)
        # A role that may only choose the periodicity exports nothing.
        self.export_class_button.setVisible(self.may_view)
        self.export_learner_button.setVisible(self.may_view)

        self.area = FailableArea(splitter)
        self.area.failure.retry_requested.connect(self.reload)
        layout = QVBoxLayout(self)
        layout.addLayout(choosers)
        layout.addWidget(self.title)
        layout.addWidget(self.details)
        layout.addWidget(self.area, 1)
        layout.addStretch(0)  # takes the room when the area is hidden (no learner to show)

        self.class_combo.currentIndexChanged.connect(self._on_class_chosen)
        self.periodicity_combo.activated.connect(self._on_periodicity_chosen)
        self.accept_button.clicked.connect(lambda: self.accept_proposals())
        self.pfmp_button.clicked.connect(lambda: self.fill_pfmp())
        self.save_button.clicked.connect(lambda: self.save_appreciation())
        self.appreciation_edit.textChanged.connect(self._on_appreciation_typed)
        self.export_class_button.clicked.connect(lambda: self.export())
        self.export_learner_button.clicked.connect(lambda: self.export(learner=True))
        if self.may_write:
            self.competency_model.set_saver(self._save_degree)
        for table in (self.learners_table, self.means_table, self.pfmp_table):
            table.setTabKeyNavigation(False)  # Tab leaves; the arrows move inside
        self.competency_table.setTabKeyNavigation(False)
        order = [
            self.class_combo,
            self.periodicity_combo,
            self.export_class_button,
            self.export_learner_button,
            self.learners_table,
            self.accept_button,
            self.competency_table,
            self.means_table,
            self.pfmp_table,
            self.company_edit,
            self.tutor_edit,
            self.start_edit,
            self.end_edit,
            self.pfmp_button,
            self.appreciation_edit,
            self.save_button,
        ]
        for first, second in pairwise(order):
            QWidget.setTabOrder(first, second)
        self._show_learner(None)

    def _small_table(self, model: QAbstractTableModel, name: str) -> QTableView:
        table = QTableView()
        table.setModel(model)
        table.setAccessibleName(name)
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.verticalHeader().hide()
        table.setWordWrap(False)
        header = table.horizontalHeader()
        header.setHighlightSections(False)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        table.verticalHeader().setDefaultSectionSize(self.fontMetrics().height() + 8)
        table.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        table.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        return table

    def _date_edit(self, name: str) -> QDateEdit:
        edit = QDateEdit()
        edit.setCalendarPopup(True)
        edit.setDisplayFormat("dd/MM/yyyy")
        edit.setMinimumDate(EMPTY_DATE)
        edit.setSpecialValueText(NO_VALUE)
        edit.setDate(EMPTY_DATE)
        edit.setAccessibleName(name)
        edit.setToolTip(self.tr("« — » : pas de date"))
        return edit

    def _build_detail(self) -> QWidget:
        detail = QWidget()
        competencies = QGroupBox(self.tr("Degrés de maîtrise des compétences attendues"))
        box = QVBoxLayout(competencies)
        box.addWidget(self.competency_table)

        means = QGroupBox(self.tr("Moyennes périodiques"))
        QVBoxLayout(means).addWidget(self.means_table)

        pfmps = QGroupBox(self.tr("PFMP"))
        pfmp_box = QVBoxLayout(pfmps)
        pfmp_box.addWidget(self.pfmp_table)
        form = QGridLayout()
        company_label = QLabel(self.tr("Entreprise :"))
        company_label.setBuddy(self.company_edit)
        tutor_label = QLabel(self.tr("Tuteur :"))
        tutor_label.setBuddy(self.tutor_edit)
        start_label = QLabel(self.tr("Du :"))
        start_label.setBuddy(self.start_edit)
        end_label = QLabel(self.tr("au"))
        end_label.setBuddy(self.end_edit)
        form.addWidget(company_label, 0, 0)
        form.addWidget(self.company_edit, 0, 1)
        form.addWidget(tutor_label, 0, 2)
        form.addWidget(self.tutor_edit, 0, 3)
        dates = QHBoxLayout()
        dates.addWidget(self.start_edit)
        dates.addWidget(end_label)
        dates.addWidget(self.end_edit)
        dates.addStretch(1)
        form.addWidget(start_label, 1, 0)
        form.addLayout(dates, 1, 1, 1, 3)
        form.setColumnStretch(1, 3)
        form.setColumnStretch(3, 2)
        pfmp_box.addLayout(form)
        row = QHBoxLayout()
        row.addWidget(self.pfmp_note, 1)
        row.addWidget(self.pfmp_button, 0, Qt.AlignmentFlag.AlignTop)
        pfmp_box.addLayout(row)
        pfmp_box.addStretch(1)

        appreciation = QGroupBox(self.tr("Appréciation"))
        text_box = QVBoxLayout(appreciation)
        text_box.addWidget(self.appreciation_edit, 1)
        row = QHBoxLayout()
        row.addWidget(self.appreciation_count, 1)
        row.addWidget(self.save_button)
        text_box.addLayout(row)

        lower = QHBoxLayout()
        lower.addWidget(means, 0, Qt.AlignmentFlag.AlignTop)
        lower.addWidget(pfmps, 1)

        layout = QVBoxLayout(detail)
        layout.setContentsMargins(8, 0, 0, 0)
        heading = QHBoxLayout()
        heading.addWidget(self.learner_title, 1)
        heading.addWidget(self.accept_button)
        layout.addLayout(heading)
        layout.addWidget(self.missing_label)
        layout.addWidget(competencies)
        layout.addLayout(lower)
        layout.addWidget(appreciation, 1)
        self.appreciation_edit.setMinimumHeight(self.fontMetrics().height() * 4 + 12)
        # Its own size hint (a dozen lines) would make the tab scroll at 900 pixels high:
        # it takes the height left, at least four lines.
        policy = self.appreciation_edit.sizePolicy()
        policy.setVerticalPolicy(QSizePolicy.Policy.Ignored)
        self.appreciation_edit.setSizePolicy(policy)
        self._fit(self.competency_table, 6)
        self._fit(self.means_table, 3)
        self._fit(self.pfmp_table, 1)
        return detail

    def _fit(self, table: QTableView, rows: int, *, width: bool = False) -> None:
        """Make the table exactly as tall as `rows` rows; `width`: as wide as its columns."""
        shown = max(rows, 1)
        header = table.horizontalHeader().sizeHint().height()
        frame = 2 * table.frameWidth()
        height = header + shown * table.verticalHeader().defaultSectionSize() + frame + 2
        table.setFixedHeight(height)
        model = table.model()
        if width and model is not None and model.rowCount():
            header_view = table.horizontalHeader()
            columns = sum(
                max(table.sizeHintForColumn(c), header_view.sectionSizeHint(c))
                for c in range(model.columnCount())
            )
            table.setMinimumWidth(columns + 8 * model.columnCount() + frame + 2)

    # -- choices -----------------------------------------------------------------------

    def load_classes(self) -> bool:
        """Read the 1re and Terminale classes (False when that failed, said in place)."""
        try:
            classes = self._lsl().classes()
        except Exception as exc:
            self._classes = ()
            self._show_failure(
                self.tr("Les classes du LSL Pro n'ont pas pu être lues : %1").replace(
                    "%1", failure_reason(exc, "classes du LSL Pro")
                )
            )
            return False
        self._classes_loaded = True
        self.set_classes(classes)
        return True

    def set_classes(self, classes: tuple[LslClass, ...], current: int | None = None) -> None:
        """The classes to choose from; `current` (or the one chosen before) is selected."""
        self._classes = tuple(classes)
        self._classes_loaded = True
        wanted = current or self._class_id or self._wanted_class
        self.class_combo.blockSignals(True)
        self.class_combo.clear()
        for klass in self._classes:
            self.class_combo.addItem(f"{klass.code} ({klass.school_year_label})", klass.id)
        index = self.class_combo.findData(wanted) if wanted is not None else -1
        self.class_combo.setCurrentIndex(index if index >= 0 else min(0, len(classes) - 1))
        self.class_combo.blockSignals(False)
        self._on_class_chosen(self.class_combo.currentIndex())

    def show_class(self, class_id: int) -> None:
        """Follow the class chosen elsewhere (the main window's selector), if it has a LSL.

        The same class again (the window read its data again) is read again too: the
        learner shown and a typed appréciation stay.
        """
        self._wanted_class = class_id
        index = self.class_combo.findData(class_id)
        if index >= 0 and index != self.class_combo.currentIndex():
            self.class_combo.setCurrentIndex(index)
        elif index >= 0:
            self.reload()

    def current_class_id(self) -> int | None:
        return self._class_id

    def current_learner_id(self) -> int | None:
        return self._learner_id

    def current_synthesis(self) -> LslSynthesis | None:
        if self._synthesis is None or self._learner_id is None:
            return None
        row = self.learners_model.row_of(self._learner_id)
        return self.learners_model.row_at(row) if row >= 0 else None

    def _klass(self) -> LslClass | None:
        return next((k for k in self._classes if k.id == self._class_id), None)

    def _on_class_chosen(self, index: int) -> None:
        data = self.class_combo.itemData(index) if index >= 0 else None
        chosen = int(data) if data is not None else None
        if chosen != self._class_id and not self.keep_or_drop_appreciation():
            self.class_combo.blockSignals(True)
            self.class_combo.setCurrentIndex(self.class_combo.findData(self._class_id))
            self.class_combo.blockSignals(False)
            return
        self._class_id = chosen
        self._show_periodicity()
        self.reload()

    def _show_periodicity(self) -> None:
        klass = self._klass()
        self.periodicity_combo.blockSignals(True)
        if klass is not None:
            self.periodicity_combo.setCurrentIndex(
                self.periodicity_combo.findData(klass.periodicity)
            )
        self.periodicity_combo.blockSignals(False)
        self.periodicity_combo.setEnabled(klass is not None and self.may_set_periodicity)

    def select_learner(self, learner_id: int) -> bool:
        row = self.learners_model.row_of(learner_id)
        if row < 0:
            return False
        self.learners_table.selectRow(row)
        self.learners_table.setCurrentIndex(self.learners_model.index(row, 0))
        return True

    # -- reading -----------------------------------------------------------------------

    def reload(self, *, force: bool = True) -> bool:
        """Read the chosen class's syntheses; False when that failed (said in place).

        Nothing is read while the tab is hidden: it reads when shown (showEvent).
        """
        if not self.isVisible():
            self._loaded_for = None  # read when shown
            return True
        if not self._classes_loaded:
            return self.load_classes() and not self.area.failed
        if self._class_id is None:
            self._set_synthesis(None)
            self.title.setText(self.tr("LSL Pro"))
            self.details.setText(
                self.tr("Aucune classe de 1re ou de Terminale.")
                if not self._classes
                else self.tr("Choisissez une classe.")
            )
            return False
        if not force and self._loaded_for == self._class_id:
            return True
        klass = self._klass()
        if not self.may_view:
            self._loaded_for = self._class_id
            self._set_synthesis(None)
            self.title.setText(self._title_of(klass) if klass else self.tr("LSL Pro"))
            self.details.setText(self._periodicity_text(klass))
            self.area.show_content()
            self.area.hide()  # no learner's synthesis for this role
            return True
        try:
            synthesis = self._lsl().class_synthesis(self._class_id)
        except Exception as exc:  # never another class's learners left on screen
            self._show_failure(
                self.tr("La synthèse LSL Pro n'a pas pu être chargée : %1").replace(
                    "%1", failure_reason(exc, f"LSL Pro de la classe n° {self._class_id}")
                )
            )
            return False
        self._loaded_for = self._class_id
        self.area.show_content()
        self._set_synthesis(synthesis)
        return True

    def _show_failure(self, text: str) -> None:
        self._loaded_for = None
        self._set_synthesis(None)
        self.title.setText(self.tr("LSL Pro non chargé"))
        self.details.setText("")
        self.area.show()
        self.area.show_failure(text)

    def showEvent(self, event: Any) -> None:
        """Override QWidget::showEvent: read what was chosen while the tab was hidden."""
        super().showEvent(event)
        self.reload(force=False)

    def _title_of(self, klass: LslClass) -> str:
        specialty = (
            f" · {klass.specialty_code} {klass.specialty_title or ''}".rstrip()
            if klass.specialty_code
            else ""
        )
        return f"LSL Pro — {klass.code} ({klass.label}), {klass.school_year_label}{specialty}"

    def _set_synthesis(self, synthesis: LslClassSynthesis | None) -> None:
        keep = self._learner_id
        self._synthesis = synthesis
        self.learners_model.set_rows(synthesis.learners if synthesis else ())
        self.export_class_button.setEnabled(synthesis is not None)
        if synthesis is None:
            self._show_learner(None)
            return
        limits = _limits()
        self.company_edit.setMaxLength(limits.company)
        self.tutor_edit.setMaxLength(limits.tutor)
        klass = synthesis.klass
        self._classes = tuple(klass if k.id == klass.id else k for k in self._classes)
        self._show_periodicity()
        self.title.setText(self._title_of(klass))
        self._show_details()
        if not synthesis.learners:
            self._show_learner(None)
            return
        if keep is None or not self.select_learner(keep):
            self.select_learner(synthesis.learners[0].learner.id)

    def _show_details(self) -> None:
        synthesis = self._synthesis
        if synthesis is None:
            return
        learners = self.learners_model.rows()
        incomplete = sum(1 for s in learners if not s.complete)
        klass = synthesis.klass
        periodicity = self.tr(PERIODICITY_LABELS[klass.periodicity]).lower()
        if not klass.periodicity_set:
            periodicity += self.tr(" (par défaut : l'Administrateur ne l'a pas encore choisie)")
        parts = [
            count(len(learners), self.tr("apprenant")),
            self.tr("%1 complète(s)").replace("%1", str(len(learners) - incomplete)),
            f"{FLAG} " + self.tr("%1 incomplète(s)").replace("%1", str(incomplete)),
            self.tr("moyennes par %1").replace("%1", periodicity),
        ]
        if synthesis.uai is None:
            parts.append(f"{FLAG} " + self.tr("UAI de l'établissement non renseigné"))
        self.details.setText(" · ".join(parts))

    def _on_learner_selection(self, selected: QItemSelection, _deselected: QItemSelection) -> None:
        rows = {index.row() for index in selected.indexes()}
        if not rows or self._reverting:
            return
        synthesis = self.learners_model.row_at(min(rows))
        before = self._learner_id
        if synthesis.learner.id != before and not self.keep_or_drop_appreciation():
            self._reverting = True
            try:
                if before is not None:
                    self.select_learner(before)
            finally:
                self._reverting = False
            return
        self._show_learner(synthesis)

    def keep_or_drop_appreciation(self) -> bool:
        """Before another learner or class shows: save or drop a typed appréciation.

        True to go on (nothing typed, saved, or dropped), False to stay (« Annuler », or
        saving was refused: the text stays to be corrected).
        """
        synthesis = self.current_synthesis()
        if synthesis is None or not self.may_write or not self.appreciation_modified():
            return True
        choice = messages.ask_unsaved(
            self,
            self.tr("L'appréciation de %1 n'est pas enregistrée.").replace(
                "%1", synthesis.learner.display_name
            ),
        )
        if choice is messages.UnsavedChoice.SAVE:
            return self.save_appreciation() is not None
        if choice is messages.UnsavedChoice.DISCARD:
            self._set_appreciation(self._appreciation_base)
            return True
        return False

    def _show_learner(self, synthesis: LslSynthesis | None) -> None:
        """Fill the right-hand side with one learner's synthesis (None: empty, disabled)."""
        same = synthesis is not None and synthesis.learner.id == self._learner_id
        self._learner_id = synthesis.learner.id if synthesis else None
        editable = synthesis is not None and self.may_write
        self.export_learner_button.setEnabled(synthesis is not None)
        if synthesis is None:
            self.learner_title.setText(
                self.tr("Choisissez un apprenant dans la liste.") if self.may_view else ""
            )
            self.missing_label.setText("")
            self.competency_model.set_competencies(())
            self.means_model.set_rows(())
            self.pfmp_model.set_rows(())
            self._set_appreciation("")
        else:
            name = synthesis.learner.display_name
            self.learner_title.setText(f"{name} — INE {synthesis.learner.ine}")
            self._show_missing(synthesis)
            if same:
                self.competency_model.update(synthesis.competencies)
            else:
                self.competency_model.set_competencies(synthesis.competencies)
            self.means_model.set_rows(synthesis.means)
            current_pfmp = self.pfmp_table.currentIndex().row()
            self.pfmp_model.set_rows(synthesis.pfmps)
            self._fit(self.competency_table, len(synthesis.competencies))
            self._fit(self.means_table, len(synthesis.means), width=True)
            self._fit(self.pfmp_table, len(synthesis.pfmps))
            if synthesis.pfmps:
                row = current_pfmp if same and 0 <= current_pfmp < len(synthesis.pfmps) else 0
                self.pfmp_table.setCurrentIndex(self.pfmp_model.index(row, 0))
            if not same:
                self._set_appreciation(synthesis.appreciation)
        self._open_degree_editors()
        self.accept_button.setEnabled(
            editable
            and synthesis is not None
            and any(c.chosen is None and c.proposal.degree for c in synthesis.competencies)
        )
        self.appreciation_edit.setReadOnly(not editable)
        self.appreciation_edit.setEnabled(synthesis is not None)
        self._on_appreciation_typed()
        self._show_pfmp_form()

    def _show_missing(self, synthesis: LslSynthesis) -> None:
        complete = synthesis.complete
        if complete != self._shown_complete:
            self._shown_complete = complete
            themed_style_sheet(
                self.missing_label,
                lambda t: f"color: {css(t.success_text if complete else t.warning_text)};",
            )
        if complete:
            self.missing_label.setText(
                f"{DONE} " + self.tr("Synthèse complète : tous les champs obligatoires.")
            )
            return
        # The unchosen degrees on one line (the learners' tooltip lists each field).
        unchosen = [c.code for c in synthesis.competencies if c.chosen is None]
        per_degree = {f"{code} : degré de maîtrise non choisi" for code in unchosen}
        others = [m for m in synthesis.missing if m not in per_degree]
        shown = (
            [self.tr("degré de maîtrise non choisi pour %1").replace("%1", ", ".join(unchosen))]
            if len(per_degree & set(synthesis.missing)) == len(unchosen) and unchosen
            else []
        )
        if not shown:
            others = list(synthesis.missing)
        self.missing_label.setText(
            f"{FLAG} "
            + self.tr("Champs manquants (%1) : ").replace("%1", str(len(synthesis.missing)))
            + " · ".join([*shown, *others])
        )
        self.missing_label.setToolTip("\n".join(synthesis.missing))

    def _open_degree_editors(self) -> None:
        if not self.competency_model.editable:
            return
        for row in range(self.competency_model.rowCount()):
            index = self.competency_model.index(row, CHOSEN)
            if not self.competency_table.isPersistentEditorOpen(index):
                self.competency_table.openPersistentEditor(index)
        # Tab goes down the combos in the table's order (Qt would chain them last first).
        combos = [self.degree_combo(row) for row in range(self.competency_model.rowCount())]
        chain = [self.competency_table, *(c for c in combos if c is not None), self.means_table]
        for first, second in pairwise(chain):
            QWidget.setTabOrder(first, second)

    def degree_combo(self, row: int) -> QComboBox | None:
        """The chosen-degree combo of a competency row (None when read-only)."""
        widget = self.competency_table.indexWidget(self.competency_model.index(row, CHOSEN))
        return widget if isinstance(widget, QComboBox) else None

    def _set_appreciation(self, text: str) -> None:
        self._appreciation_base = text
        self.appreciation_edit.blockSignals(True)
        self.appreciation_edit.setPlainText(text)
        self.appreciation_edit.blockSignals(False)

    def appreciation_modified(self) -> bool:
        return self.appreciation_edit.toPlainText().strip() != self._appreciation_base.strip()

    def _on_appreciation_typed(self) -> None:
        self.save_button.setEnabled(
            self.may_write and self._learner_id is not None and self.appreciation_modified()
        )
        if self._learner_id is None:
            self.appreciation_count.setText("")
            return
        limit = _limits().appreciation
        length = len(self.appreciation_edit.toPlainText().strip())
        text = self.tr("%1 / %2 caractères").replace("%1", str(length))
        text = text.replace("%2", str(limit))
        if self.appreciation_modified():
            text += self.tr(" · non enregistrée")
        self.appreciation_count.setText(text)
        over = length > limit
        if over != self._count_over:
            self._count_over = over
            themed_style_sheet(
                self.appreciation_count,
                lambda t: f"color: {css(t.error_text if over else t.muted_text)};",
            )

    def _pfmp(self) -> Pfmp | None:
        row = self.pfmp_table.currentIndex().row()
        rows = self.pfmp_model.rows()
        return rows[row] if 0 <= row < len(rows) else None

    def _show_pfmp_form(self) -> None:
        """The form shows the chosen PFMP; only what its evaluations left empty is editable."""
        pfmp = self._pfmp()
        free: dict[str, bool] = {}
        for name, edit in self._pfmp_edits().items():
            value = getattr(pfmp, name) if pfmp is not None else None
            free[name] = (
                pfmp is not None and self.may_write and (value is None or name in pfmp.filled)
            )
            if isinstance(edit, QLineEdit):
                edit.setText(str(value) if value is not None else "")
            else:
                edit.setDate(_qdate(value))
            edit.setEnabled(free[name])
        self.pfmp_button.setEnabled(any(free.values()))
        if pfmp is None:
            synthesis = self.current_synthesis()
            self.pfmp_note.setText(
                self.tr("Aucune PFMP : elles viennent des évaluations E de l'année.")
                if synthesis is not None
                else ""
            )
        elif not any(free.values()):
            self.pfmp_note.setText(
                self.tr("Tout vient des évaluations E : une correction se fait dans l'évaluation.")
                if self.may_write
                else ""
            )
        else:
            self.pfmp_note.setText(
                self.tr("Seuls les champs que les évaluations E laissent vides se complètent ici.")
            )

    def _pfmp_edits(self) -> dict[str, QLineEdit | QDateEdit]:
        return {
            "company": self.company_edit,
            "tutor": self.tutor_edit,
            "start": self.start_edit,
            "end": self.end_edit,
        }

    # -- writing -----------------------------------------------------------------------

    def _on_saved(self, synthesis: LslSynthesis) -> None:
        """A learner's synthesis as now stored: their row, the detail, the counts follow."""
        self.learners_model.replace(synthesis)
        self._show_details()
        if synthesis.learner.id == self._learner_id:
            self._show_learner(synthesis)
        self.synthesis_saved.emit(synthesis.learner.id)

    def _save_degree(self, item: LslCompetency, degree: Degree | None) -> LslSynthesis | None:
        if self._class_id is None or self._learner_id is None:
            return None
        try:
            return self._lsl().choose_degree(
                self._class_id, self._learner_id, item.competency_id, degree
            )
        except LivretError as exc:
            messages.show_error(self, exc.message)
            return None

    def choose_degree(self, row: int, degree: Degree | None) -> bool:
        """Choose a degree in a row's combo as the user would (True when stored)."""
        combo = self.degree_combo(row)
        if combo is None:
            return False
        combo.setCurrentIndex(combo.findData(degree.value if degree else ""))
        combo.activated.emit(combo.currentIndex())
        item = self.competency_model.competency(row)
        return item.chosen == degree

    def accept_proposals(self) -> LslSynthesis | None:
        """« Reprendre les propositions »: every unchosen degree takes its proposal."""
        if self._class_id is None or self._learner_id is None:
            return None
        try:
            saved = self._lsl().accept_proposals(self._class_id, self._learner_id)
        except LivretError as exc:
            messages.show_error(self, exc.message)
            return None
        self._on_saved(saved)
        return saved

    def save_appreciation(self) -> LslSynthesis | None:
        """« Enregistrer »: store the appréciation; refused, the typed text stays to fix."""
        if self._class_id is None or self._learner_id is None:
            return None
        try:
            saved = self._lsl().save_appreciation(
                self._class_id,
                self._learner_id,
                self.appreciation_edit.toPlainText(),
                based_on=self._appreciation_base,
            )
        except LivretError as exc:
            messages.show_error(
                self,
                self.tr("L'appréciation n'est pas enregistrée. %1").replace("%1", exc.message),
            )
            return None
        self._set_appreciation(saved.appreciation)
        self._on_saved(saved)
        return saved

    def fill_pfmp(self) -> LslSynthesis | None:
        """« Compléter la PFMP »: store what the form gives for the fields left empty."""
        pfmp = self._pfmp()
        if pfmp is None or self._class_id is None or self._learner_id is None:
            return None

        def given(name: str, value: str | dt.date | None) -> Any:
            return value if self._pfmp_edits()[name].isEnabled() else None

        fill = PfmpFill(
            company=given("company", self.company_edit.text()),
            tutor=given("tutor", self.tutor_edit.text()),
            start=given("start", _pydate(self.start_edit)),
            end=given("end", _pydate(self.end_edit)),
        )
        try:
            saved = self._lsl().fill_pfmp(
                self._class_id, self._learner_id, pfmp.evaluation_id, fill
            )
        except LivretError as exc:
            messages.show_error(self, exc.message)
            return None
        self._on_saved(saved)
        return saved

    def _on_periodicity_chosen(self, index: int) -> None:
        klass = self._klass()
        chosen = self.periodicity_combo.itemData(index)
        if klass is None or chosen is None:
            return
        if klass.periodicity_set and klass.periodicity == chosen:
            return
        self.set_periodicity(Periodicity(chosen))

    def set_periodicity(self, periodicity: Periodicity) -> LslClass | None:
        """The Administrateur's choice for the class; the means are read again."""
        if self._class_id is None:
            return None
        try:
            klass = self._lsl().set_periodicity(self._class_id, periodicity)
        except LivretError as exc:
            messages.show_error(self, exc.message)
            self._show_periodicity()
            return None
        self._classes = tuple(klass if k.id == klass.id else k for k in self._classes)
        self._show_periodicity()
        if self.may_view:
            typed = self.appreciation_edit.toPlainText() if self.appreciation_modified() else None
            self.reload()
            if typed is not None:  # the unsaved appréciation survives the new means
                self.appreciation_edit.setPlainText(typed)
        else:
            self.details.setText(self._periodicity_text(klass))
        return klass

    def _periodicity_text(self, klass: LslClass | None) -> str:
        """For a role that only chooses the periodicity: what it is, and what it is for."""
        text = ""
        if klass is not None:
            shown = self.tr(PERIODICITY_LABELS[klass.periodicity]).lower()
            if not klass.periodicity_set:
                shown += self.tr(" (par défaut : pas encore choisie)")
            text = (
                self.tr("Moyennes périodiques de %1 : %2. ")
                .replace("%1", klass.code)
                .replace("%2", shown)
            )
        return text + self.tr(
            "Votre rôle choisit la périodicité de chaque classe ; les synthèses des "
            "apprenants sont renseignées par les enseignants."
        )

    def _suggested(self, learner: bool) -> str:
        klass = self._klass()
        code = klass.code if klass else "classe"
        year = klass.school_year_label if klass else ""
        name = f"lsl_{code}_{year}"
        synthesis = self.current_synthesis()
        if learner and synthesis is not None:
            name += f"_{synthesis.learner.family_name}_{synthesis.learner.first_name}"
        return name.replace(" ", "_") + ".xml"

    def export(self, *, learner: bool = False) -> Path | None:
        """« Exporter… »: the class's (or the selected learner's) synthesis to a file."""
        if self._class_id is None or (learner and self._learner_id is None):
            messages.show_error(
                self,
                self.tr("Choisissez d'abord un apprenant.")
                if learner
                else self.tr("Choisissez d'abord une classe."),
            )
            return None
        target = choose_export_path(self, self._suggested(learner))
        if target is None:
            return None
        try:
            written = self._lsl().export(
                self._class_id, target, self._learner_id if learner else None
            )
        except LivretError as exc:
            messages.show_error(self, exc.message)
            return None
        text = self.tr("Synthèse écrite : %1 (%2").replace("%1", str(written.path))
        text = text.replace("%2", count(written.learners, self.tr("apprenant")))
        if written.incomplete:
            text += self.tr(", dont %1 incomplète(s), champs manquants listés").replace(
                "%1", str(written.incomplete)
            )
        self.details.setText(text + ").")
        return written.path
