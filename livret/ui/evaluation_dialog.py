"""The "Nouvelle évaluation" dialog (and "Modifier l'évaluation"): header, criteria, learners, grid.

The grid (learners × chosen criteria) is driven from the keyboard alone: 1–4 set the
level (also & é " ' on an AZERTY keyboard without Shift), N = NE, A = ABS,
Delete/Backspace clear, arrows/Tab move, Enter moves down, F2 goes to the comment of
the current cell (Enter there comes back to the grid). Typed values are kept by
(learner, criterion) while the chosen criteria or learners change; empty cells are
not sent. "Enregistrer" sends everything to EvaluationService.create (one transaction).

Built with `for_edit`, the same dialog shows a stored evaluation (its criteria ticked,
its learners checked, the grid filled) and "Enregistrer" calls EvaluationService.update.
When the change reaches results a final bilan was built on, the user is asked first;
refusing writes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QDate, QModelIndex, QPersistentModelIndex, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QKeyEvent, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCheckBox,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from livret.domain.errors import LivretError
from livret.domain.levels import style_of
from livret.services.dto import LearnerSummary, sort_key
from livret.services.evaluations import (
    CoveredByFinalBilan,
    CoveredLearner,
    CriterionItem,
    EvaluationChange,
    EvaluationDetails,
    EvaluationDraft,
    EvaluationService,
    GridResult,
    covered_summary,
)
from livret.ui import messages

LEVEL_KEYS: dict[int, str] = {
    Qt.Key.Key_1: "1",
    Qt.Key.Key_2: "2",
    Qt.Key.Key_3: "3",
    Qt.Key.Key_4: "4",
    # AZERTY digits row without Shift.
    Qt.Key.Key_Ampersand: "1",
    Qt.Key.Key_Eacute: "2",
    Qt.Key.Key_QuoteDbl: "3",
    Qt.Key.Key_Apostrophe: "4",
    Qt.Key.Key_N: "NE",
    Qt.Key.Key_A: "ABS",
}
CLEAR_KEYS = (Qt.Key.Key_Delete, Qt.Key.Key_Backspace)
ENTER_KEYS = (Qt.Key.Key_Return, Qt.Key.Key_Enter)
CRITERION_ROLE = Qt.ItemDataRole.UserRole
LEARNER_ROLE = Qt.ItemDataRole.UserRole


@dataclass(slots=True)
class _Cell:
    level: str
    comment: str = ""


class _CellDelegate(QStyledItemDelegate):
    """Keeps the level colour of the selected cell visible: a thick frame instead of a fill."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        selected = bool(option.state & QStyle.StateFlag.State_Selected)
        plain = QStyleOptionViewItem(option)
        plain.state &= ~QStyle.StateFlag.State_Selected
        super().paint(painter, plain, index)
        if selected:
            painter.save()
            painter.setPen(QPen(QColor("#0d47a1"), 3))
            painter.drawRect(option.rect.adjusted(1, 1, -2, -2))
            painter.restore()


class LevelGrid(QTableWidget):
    """The entry grid: keys set or clear a level instead of opening an editor.

    Signals:
        level_typed(int, int, str): row, column and level code ("" clears the cell).
        comment_requested(): F2 pressed, the comment of the current cell should be edited.
    """

    level_typed = Signal(int, int, str)
    comment_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setTabKeyNavigation(True)
        self.setItemDelegate(_CellDelegate(self))
        self.setAccessibleName(self.tr("Grille de saisie des niveaux"))

    def keyPressEvent(self, event: QKeyEvent) -> None:
        key = event.key()
        # Shift may be needed for digits (AZERTY) and the keypad is fine; Ctrl/Alt are not ours.
        ignored = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier
        plain = not event.modifiers() & ~ignored
        row, column = self.currentRow(), self.currentColumn()
        has_cell = row >= 0 and column >= 0
        if plain and has_cell and key in LEVEL_KEYS:
            self.level_typed.emit(row, column, LEVEL_KEYS[key])
        elif plain and has_cell and key in CLEAR_KEYS:
            self.level_typed.emit(row, column, "")
        elif plain and key in ENTER_KEYS:
            if has_cell and row + 1 < self.rowCount():
                self.setCurrentCell(row + 1, column)
        elif plain and has_cell and key == Qt.Key.Key_F2:
            self.comment_requested.emit()
        else:
            super().keyPressEvent(event)
            return
        event.accept()


def confirm_change_after_final(parent: QWidget, covered: Sequence[CoveredLearner]) -> bool:
    """Ask before changing an evaluation a final bilan was built on (the change is audited)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Warning)
    box.setWindowTitle(parent.tr("Évaluation prise en compte par un bilan définitif"))
    box.setText(
        parent.tr(
            "Cette évaluation est déjà prise en compte par un bilan définitif pour %1."
        ).replace("%1", covered_summary(covered))
    )
    box.setInformativeText(parent.tr("Modifier quand même ? La modification sera tracée."))
    confirm = box.addButton(parent.tr("Modifier quand même"), QMessageBox.ButtonRole.AcceptRole)
    cancel = box.addButton(parent.tr("Annuler"), QMessageBox.ButtonRole.RejectRole)
    box.setDefaultButton(cancel)
    box.exec()
    return box.clickedButton() is confirm


class EvaluationDialog(QDialog):
    """Enter a new evaluation, or change a stored one (`for_edit`), with its results.

    Accepted once saved: see evaluation_id, and `change` (what update() did) when editing.
    """

    def __init__(
        self,
        evaluations: EvaluationService,
        learners: Sequence[LearnerSummary],
        class_id: int | None,
        parent: QWidget | None = None,
        *,
        details: EvaluationDetails | None = None,
    ) -> None:
        super().__init__(parent)
        self._evaluations = evaluations
        self._details = details
        self._learners = tuple(learners)
        if details is not None:
            # The class's learners, and any evaluated learner who has left it since.
            known = {learner.id for learner in learners}
            others = [learner for learner in details.learners if learner.id not in known]
            self._learners = tuple(
                sorted(
                    (*learners, *others),
                    key=lambda s: (sort_key(s.family_name), sort_key(s.first_name), s.id),
                )
            )
        self._class_id = class_id
        self._criteria: dict[int, CriterionItem] = {}
        self._cells: dict[tuple[int, int], _Cell] = {}
        self._rows: list[int] = []
        """Learner id of each grid row."""
        self._columns: list[int] = []
        """Criterion id of each grid column."""
        self.evaluation_id: int | None = None
        self.change: EvaluationChange | None = None
        """What "Enregistrer" changed, when editing."""
        if details is None:
            self.setWindowTitle(self.tr("Nouvelle évaluation"))
        else:
            self.setWindowTitle(self.tr("Modifier l'évaluation"))
        self.resize(1280, 780)

        layout = QVBoxLayout(self)
        self.covered_label = QLabel()
        self.covered_label.setWordWrap(True)
        self.covered_label.setStyleSheet(
            "QLabel { background: #fff3e0; color: #8a3b00; border: 1px solid #ffb74d;"
            " border-radius: 3px; padding: 4px; }"
        )
        self.covered_label.setVisible(bool(details and details.covered))
        if details is not None and details.covered:
            self.covered_label.setText(
                self.tr(
                    "Déjà prise en compte par un bilan définitif pour %1. Toute modification "
                    "devra être confirmée et sera tracée dans le journal."
                ).replace("%1", covered_summary(details.covered))
            )
        layout.addWidget(self.covered_label)
        layout.addLayout(self._build_header())
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._build_choices())
        splitter.addWidget(self._build_grid())
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([460, 820])
        layout.addWidget(splitter, 1)

        buttons = QDialogButtonBox()
        self.save_button = QPushButton(self.tr("Enregistrer"))
        cancel = QPushButton(self.tr("Annuler"))
        for button in (self.save_button, cancel):
            # Enter must move in the grid or finish a field, never save by surprise.
            button.setAutoDefault(False)
            button.setDefault(False)
        buttons.addButton(self.save_button, QDialogButtonBox.ButtonRole.AcceptRole)
        buttons.addButton(cancel, QDialogButtonBox.ButtonRole.RejectRole)
        self.save_button.clicked.connect(self.save)
        cancel.clicked.connect(self.reject)
        layout.addWidget(buttons)

        self._fill_tree()
        if details is not None:
            self._show_stored(details)
        self._nature_changed()
        self._rebuild_grid()

    @classmethod
    def for_edit(
        cls,
        evaluations: EvaluationService,
        evaluation_id: int,
        learners: Sequence[LearnerSummary] = (),
        parent: QWidget | None = None,
    ) -> EvaluationDialog:
        """Modifier l'évaluation: the stored evaluation, with `learners` (its class's) to add."""
        details = evaluations.load(evaluation_id)
        return cls(evaluations, learners, details.draft.class_id, parent, details=details)

    @property
    def details(self) -> EvaluationDetails | None:
        """The evaluation as stored when the dialog opened (None for a new one)."""
        return self._details

    def _show_stored(self, details: EvaluationDetails) -> None:
        """Fill the form, tick the criteria and fill the grid from the stored evaluation."""
        draft = details.draft
        self.nature.setCurrentIndex(max(self.nature.findData(draft.nature), 0))
        self.date.setDate(QDate(draft.eval_date.year, draft.eval_date.month, draft.eval_date.day))
        self.title_edit.setText(draft.title)
        self.context.setText(draft.context)
        self.company.setText(draft.company or "")
        self.tutor.setText(draft.tutor or "")
        if draft.pfmp_start is not None or draft.pfmp_end is not None:
            self.pfmp_dates.setChecked(True)
            for edit, day in ((self.pfmp_start, draft.pfmp_start), (self.pfmp_end, draft.pfmp_end)):
                if day is not None:
                    edit.setDate(QDate(day.year, day.month, day.day))
        for result in draft.results:
            self._cells[(result.learner_id, result.criterion_id)] = _Cell(
                result.level, result.comment or ""
            )
        wanted = {criterion.id for criterion in details.criteria}
        with QSignalBlocker(self.tree):
            for top in self._tops():
                for middle in _children(top):
                    ticked = False
                    for leaf in _children(middle):
                        if leaf.data(0, CRITERION_ROLE) in wanted:
                            leaf.setCheckState(0, Qt.CheckState.Checked)
                            ticked = True
                    middle.setExpanded(ticked)

    # -- building ------------------------------------------------------------------

    def _build_header(self) -> QHBoxLayout:
        self.nature = QComboBox()
        self.nature.addItem(self.tr("F — en formation"), "F")
        self.nature.addItem(self.tr("E — en entreprise"), "E")
        self.nature.currentIndexChanged.connect(self._nature_changed)
        self.date = QDateEdit(QDate.currentDate())
        self.date.setCalendarPopup(True)
        self.date.setDisplayFormat("dd/MM/yyyy")
        self.date.setMaximumDate(QDate.currentDate())
        self.title_edit = QLineEdit()
        self.title_edit.setMaxLength(300)
        self.title_edit.setPlaceholderText(self.tr("ex. Remplacement d'un roulement"))
        self.context = QLineEdit()
        self.context.setPlaceholderText(self.tr("Situation, support, conditions…"))
        general = QFormLayout()
        general.addRow(self.tr("&Nature :"), self.nature)
        general.addRow(self.tr("&Date :"), self.date)
        general.addRow(self.tr("&Titre :"), self.title_edit)
        general.addRow(self.tr("&Contexte :"), self.context)

        self.company_box = QGroupBox(self.tr("En entreprise"))
        self.company = QLineEdit()
        self.company.setMaxLength(300)
        self.tutor = QLineEdit()
        self.tutor.setMaxLength(200)
        self.pfmp_dates = QCheckBox(self.tr("Dates de la PFMP"))
        today = QDate.currentDate()
        self.pfmp_start = QDateEdit(today.addDays(-28))
        self.pfmp_end = QDateEdit(today)
        for edit in (self.pfmp_start, self.pfmp_end):
            edit.setCalendarPopup(True)
            edit.setDisplayFormat("dd/MM/yyyy")
            edit.setEnabled(False)
            self.pfmp_dates.toggled.connect(edit.setEnabled)
        period = QHBoxLayout()
        period.addWidget(self.pfmp_dates)
        period.addWidget(QLabel(self.tr("du")))
        period.addWidget(self.pfmp_start)
        period.addWidget(QLabel(self.tr("au")))
        period.addWidget(self.pfmp_end)
        period.addStretch(1)
        company_form = QFormLayout(self.company_box)
        company_form.addRow(self.tr("&Entreprise :"), self.company)
        company_form.addRow(self.tr("T&uteur :"), self.tutor)
        company_form.addRow(period)

        header = QHBoxLayout()
        header.addLayout(general, 3)
        header.addWidget(self.company_box, 2)
        return header

    def _build_choices(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(QLabel(self.tr("<b>Critères évalués</b>")))
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Rechercher un critère (code ou texte)…"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter_tree)
        layout.addWidget(self.search)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(2)
        self.tree.setHeaderLabels([self.tr("Critère"), self.tr("CC")])
        self.tree.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.tree.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.header().setStretchLastSection(False)
        self.tree.setAccessibleName(self.tr("Critères du référentiel"))
        self.tree.itemChanged.connect(self._tree_item_changed)
        layout.addWidget(self.tree, 3)
        layout.addWidget(QLabel(self.tr("<b>Apprenants</b>")))
        self.learner_list = QListWidget()
        self.learner_list.setAccessibleName(self.tr("Apprenants évalués"))
        # Editing: only the learners with a result are checked; others can be added.
        evaluated = {r.learner_id for r in self._details.draft.results} if self._details else set()
        for learner in self._learners:
            label = learner.display_name + (self.tr(" (parti)") if learner.left_on else "")
            item = QListWidgetItem(label)
            item.setData(LEARNER_ROLE, learner.id)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            chosen = self._details is None or learner.id in evaluated
            item.setCheckState(Qt.CheckState.Checked if chosen else Qt.CheckState.Unchecked)
            self.learner_list.addItem(item)
        self.learner_list.itemChanged.connect(lambda _item: self._rebuild_grid())
        layout.addWidget(self.learner_list, 2)
        return panel

    def _build_grid(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(
            QLabel(
                self.tr(
                    "<b>Saisie</b> — 1 à 4 : niveau, N : non évalué, A : absent, "
                    "Suppr : effacer, Entrée : ligne suivante, F2 : commentaire"
                )
            )
        )
        self.grid = LevelGrid()
        self.grid.level_typed.connect(self._set_level)
        self.grid.comment_requested.connect(self._edit_comment)
        self.grid.currentCellChanged.connect(self._current_changed)
        layout.addWidget(self.grid, 1)
        self.placeholder = QLabel(self.tr("Cochez des critères et des apprenants pour saisir."))
        layout.addWidget(self.placeholder)
        comment_row = QHBoxLayout()
        comment_label = QLabel(self.tr("C&ommentaire :"))
        self.comment = QLineEdit()
        self.comment.setAccessibleName(self.tr("Commentaire de la cellule"))
        comment_label.setBuddy(self.comment)
        self.comment.textEdited.connect(self._comment_edited)
        self.comment.returnPressed.connect(self.grid.setFocus)
        comment_row.addWidget(comment_label)
        comment_row.addWidget(self.comment, 1)
        layout.addLayout(comment_row)
        return panel

    def _fill_tree(self) -> None:
        with QSignalBlocker(self.tree):
            for specialty in self._evaluations.criteria_tree():
                top = QTreeWidgetItem([f"{specialty.code} — {specialty.title}"])
                self.tree.addTopLevelItem(top)
                for competency in specialty.competencies:
                    middle = QTreeWidgetItem([f"{competency.code} — {competency.title}"])
                    middle.setToolTip(0, competency.title)
                    top.addChild(middle)
                    for criterion in competency.criteria:
                        self._criteria[criterion.id] = criterion
                        leaf = QTreeWidgetItem([f"{criterion.code} — {criterion.text}", ""])
                        leaf.setText(1, criterion.cc_code)
                        leaf.setToolTip(0, f"{criterion.code}\n{criterion.text}")
                        leaf.setData(0, CRITERION_ROLE, criterion.id)
                        leaf.setFlags(leaf.flags() | Qt.ItemFlag.ItemIsUserCheckable)
                        leaf.setCheckState(0, Qt.CheckState.Unchecked)
                        middle.addChild(leaf)
                top.setExpanded(True)

    # -- criteria and learners ---------------------------------------------------------

    def _tops(self) -> list[QTreeWidgetItem]:
        root = self.tree.invisibleRootItem()
        return _children(root)

    def _leaves(self) -> Iterable[QTreeWidgetItem]:
        for top in self._tops():
            for middle in _children(top):
                yield from _children(middle)

    def check_criteria(self, codes: Iterable[str], checked: bool = True) -> None:
        """Check (or uncheck) the criteria with these codes, e.g. "PLP-CP03-04"."""
        wanted = set(codes)
        state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        for leaf in self._leaves():
            if self._criteria[leaf.data(0, CRITERION_ROLE)].code in wanted:
                leaf.setCheckState(0, state)

    def chosen_criteria(self) -> tuple[CriterionItem, ...]:
        """The checked criteria, in référentiel order."""
        return tuple(
            self._criteria[leaf.data(0, CRITERION_ROLE)]
            for leaf in self._leaves()
            if leaf.checkState(0) == Qt.CheckState.Checked
        )

    def chosen_learners(self) -> tuple[LearnerSummary, ...]:
        items = [self.learner_list.item(i) for i in range(self.learner_list.count())]
        checked = {
            item.data(LEARNER_ROLE)
            for item in items
            if item is not None and item.checkState() == Qt.CheckState.Checked
        }
        return tuple(learner for learner in self._learners if learner.id in checked)

    def _tree_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if column == 0 and item.data(0, CRITERION_ROLE) is not None:
            self._rebuild_grid()

    def _filter_tree(self, text: str) -> None:
        needle = text.strip().casefold()
        for top in self._tops():
            top_visible = False
            for middle in _children(top):
                middle_matches = bool(needle) and needle in middle.text(0).casefold()
                any_leaf = False
                for leaf in _children(middle):
                    haystack = f"{leaf.text(0)} {leaf.text(1)}".casefold()
                    visible = not needle or middle_matches or needle in haystack
                    leaf.setHidden(not visible)
                    any_leaf = any_leaf or visible
                middle.setHidden(not any_leaf)
                middle.setExpanded(bool(needle) and any_leaf)
                top_visible = top_visible or any_leaf
            top.setHidden(not top_visible)
            top.setExpanded(True)

    def _nature_changed(self) -> None:
        self.company_box.setEnabled(self.nature.currentData() == "E")

    # -- grid --------------------------------------------------------------------------

    def _rebuild_grid(self) -> None:
        current = self._current_key()
        learners = self.chosen_learners()
        criteria = self.chosen_criteria()
        self._rows = [learner.id for learner in learners]
        self._columns = [criterion.id for criterion in criteria]
        with QSignalBlocker(self.grid):
            self.grid.clear()
            self.grid.setRowCount(len(learners))
            self.grid.setColumnCount(len(criteria))
            self.grid.setVerticalHeaderLabels([learner.display_name for learner in learners])
            covered = {c.learner_id: c for c in self._details.covered} if self._details else {}
            for row, learner in enumerate(learners):
                header_item = self.grid.verticalHeaderItem(row)
                if learner.id in covered and header_item is not None:
                    header_item.setToolTip(
                        self.tr("Déjà pris en compte par son bilan définitif du %1").replace(
                            "%1", covered[learner.id].bilan_date.strftime("%d/%m/%Y")
                        )
                    )
            for column, criterion in enumerate(criteria):
                header = QTableWidgetItem(criterion.code)
                header.setToolTip(f"{criterion.code} ({criterion.cc_code})\n{criterion.text}")
                self.grid.setHorizontalHeaderItem(column, header)
            for row in range(len(learners)):
                for column in range(len(criteria)):
                    self.grid.setItem(row, column, QTableWidgetItem())
                    self._paint(row, column)
            self.grid.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            if self._rows and self._columns:
                row, column = 0, 0
                if current is not None and current[0] in self._rows and current[1] in self._columns:
                    row, column = self._rows.index(current[0]), self._columns.index(current[1])
                self.grid.setCurrentCell(row, column)
        self.placeholder.setVisible(not (self._rows and self._columns))
        self._current_changed(self.grid.currentRow(), self.grid.currentColumn())

    def _key(self, row: int, column: int) -> tuple[int, int] | None:
        if 0 <= row < len(self._rows) and 0 <= column < len(self._columns):
            return self._rows[row], self._columns[column]
        return None

    def _current_key(self) -> tuple[int, int] | None:
        return self._key(self.grid.currentRow(), self.grid.currentColumn())

    def _paint(self, row: int, column: int) -> None:
        item = self.grid.item(row, column)
        key = self._key(row, column)
        if item is None or key is None:
            return
        item.setTextAlignment(Qt.AlignmentFlag.AlignCenter)
        cell = self._cells.get(key)
        if cell is None:
            item.setText("")
            item.setBackground(QBrush())
            item.setForeground(QBrush())
            item.setToolTip(self.tr("Vide : aucun résultat"))
            return
        style = style_of(cell.level)
        item.setText(style.symbol)
        item.setBackground(QColor(style.color))
        item.setForeground(QColor(style.text_color))
        tooltip = style.label + (f"\n{cell.comment}" if cell.comment else "")
        item.setToolTip(tooltip)

    def _set_level(self, row: int, column: int, level: str) -> None:
        key = self._key(row, column)
        if key is None:
            return
        if level:
            previous = self._cells.get(key)
            self._cells[key] = _Cell(level, previous.comment if previous else "")
        else:
            self._cells.pop(key, None)
        self._paint(row, column)
        self._current_changed(self.grid.currentRow(), self.grid.currentColumn())

    def _current_changed(self, row: int, column: int, *_previous: int) -> None:
        key = self._key(row, column)
        cell = self._cells.get(key) if key is not None else None
        self.comment.setEnabled(cell is not None)
        self.comment.setText(cell.comment if cell is not None else "")
        self.comment.setPlaceholderText(
            "" if cell is not None else self.tr("Saisissez d'abord un niveau dans la cellule")
        )

    def _comment_edited(self, text: str) -> None:
        key = self._current_key()
        cell = self._cells.get(key) if key is not None else None
        if cell is None:
            return
        cell.comment = text
        self._paint(self.grid.currentRow(), self.grid.currentColumn())

    def _edit_comment(self) -> None:
        if self.comment.isEnabled():
            self.comment.setFocus()
            self.comment.selectAll()

    def level_at(self, row: int, column: int) -> str | None:
        """The level code typed in a grid cell, None when empty."""
        key = self._key(row, column)
        cell = self._cells.get(key) if key is not None else None
        return cell.level if cell is not None else None

    # -- saving ------------------------------------------------------------------------

    def draft(self) -> EvaluationDraft:
        """What "Enregistrer" sends: only the filled cells of the chosen learners × criteria."""
        results = tuple(
            GridResult(learner_id, criterion_id, cell.level, cell.comment.strip() or None)
            for learner_id in self._rows
            for criterion_id in self._columns
            if (cell := self._cells.get((learner_id, criterion_id))) is not None
        )
        is_company = self.nature.currentData() == "E"
        with_dates = is_company and self.pfmp_dates.isChecked()
        return EvaluationDraft(
            nature=str(self.nature.currentData()),
            eval_date=_date(self.date.date()),
            title=self.title_edit.text(),
            context=self.context.text(),
            class_id=self._class_id,
            company=self.company.text() if is_company else None,
            tutor=self.tutor.text() if is_company else None,
            pfmp_start=_date(self.pfmp_start.date()) if with_dates else None,
            pfmp_end=_date(self.pfmp_end.date()) if with_dates else None,
            results=results,
        )

    def save(self) -> None:
        """Save the evaluation and its grid at once; the dialog stays open on refusal."""
        try:
            if self._details is None:
                self.evaluation_id = self._evaluations.create(self.draft())
            else:
                change = self._save_changes(self._details.id, self.draft())
                if change is None:
                    return
                self.evaluation_id, self.change = self._details.id, change
        except LivretError as exc:
            messages.show_error(self, exc.message)
            return
        self.accept()

    def _save_changes(self, evaluation_id: int, draft: EvaluationDraft) -> EvaluationChange | None:
        """update(), asking first when a final bilan covers it; None when the user declines."""
        try:
            return self._evaluations.update(evaluation_id, draft)
        except CoveredByFinalBilan as exc:
            if not confirm_change_after_final(self, exc.covered):
                return None
        return self._evaluations.update(evaluation_id, draft, confirm_covered=True)


def _date(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())


def _children(item: QTreeWidgetItem) -> list[QTreeWidgetItem]:
    return [child for i in range(item.childCount()) if (child := item.child(i)) is not None]
