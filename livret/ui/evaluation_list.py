"""The "Évaluations de la classe" dialog: a class's evaluations, to change or delete one."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QBrush, QFont, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMessageBox,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from livret.domain.errors import LivretError
from livret.services.dto import LearnerSummary
from livret.services.evaluations import (
    NATURES,
    CoveredByFinalBilan,
    CoveredLearner,
    EvaluationRow,
    EvaluationService,
    covered_summary,
)
from livret.ui import messages
from livret.ui.evaluation_dialog import EvaluationDialog
from livret.ui.rows_model import ModelIndex, RowsModel
from livret.ui.text import count
from livret.ui.theme import current_theme

COLUMNS = ("Date", "Nature", "Titre", "Auteur", "Résultats", "Bilan définitif")
EVALUATION_ID_ROLE = Qt.ItemDataRole.UserRole + 1
COVERED_TEXT = "pris en compte"


class EvaluationListModel(RowsModel[EvaluationRow]):
    """One row per evaluation, latest first; covered ones are marked in the last column."""

    COLUMNS = COLUMNS

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Override QAbstractItemModel::data."""
        row = self._row_of(index)
        if row is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(row, column)
        if role == EVALUATION_ID_ROLE:
            return row.id
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (0, 1, 4, 5):
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ForegroundRole and column == 5 and row.covered:
            return QBrush(current_theme().attention_text)
        if role == Qt.ItemDataRole.FontRole and column == 5 and row.covered:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = f"{row.title} — double-clic pour modifier"
            if row.covered:
                tip += (
                    "\nDéjà prise en compte par un bilan définitif : la modifier ou la "
                    "supprimer demande une confirmation et sera tracé dans le journal."
                )
            return tip
        return None


def _display(row: EvaluationRow, column: int) -> str:
    if column == 0:
        return row.eval_date.strftime("%d/%m/%Y")
    if column == 1:
        return NATURES.get(row.nature, row.nature)
    if column == 2:
        return row.title
    if column == 3:
        return row.author or "—"
    if column == 4:
        return str(row.result_count)
    if column == 5:
        return COVERED_TEXT if row.covered else ""
    return ""


def confirm_delete(parent: QWidget, row: EvaluationRow, covered: Sequence[CoveredLearner]) -> bool:
    """Ask before deleting; the stronger question names the learners of a final bilan."""
    box = QMessageBox(parent)
    what = (
        parent.tr("« %1 » du %2 et ses %3")
        .replace("%1", row.title)
        .replace("%2", row.eval_date.strftime("%d/%m/%Y"))
        .replace("%3", count(row.result_count, "résultat"))
    )
    if covered:
        box.setIcon(QMessageBox.Icon.Warning)
        box.setWindowTitle(parent.tr("Évaluation prise en compte par un bilan définitif"))
        box.setText(
            parent.tr(
                "Cette évaluation est déjà prise en compte par un bilan définitif pour %1."
            ).replace("%1", covered_summary(covered))
        )
        box.setInformativeText(
            parent.tr("Supprimer quand même %1 ? La suppression sera tracée.").replace("%1", what)
        )
        label = parent.tr("Supprimer quand même")
    else:
        box.setIcon(QMessageBox.Icon.Question)
        box.setWindowTitle(parent.tr("Supprimer l'évaluation"))
        box.setText(parent.tr("Supprimer l'évaluation %1 ?").replace("%1", what))
        box.setInformativeText(parent.tr("La suppression est définitive."))
        label = parent.tr("Supprimer")
    confirm = box.addButton(label, QMessageBox.ButtonRole.DestructiveRole)
    cancel = box.addButton(QMessageBox.StandardButton.Cancel)
    box.setDefaultButton(cancel)
    box.exec()
    return box.clickedButton() is confirm


class EvaluationListDialog(QDialog):
    """The evaluations of one class, with Modifier… (or double-click, Entrée) and Supprimer….

    Signals:
        evaluations_changed(): an evaluation was changed or deleted; views showing results
            should refresh.
    """

    evaluations_changed = Signal()

    def __init__(
        self,
        evaluations: EvaluationService,
        class_id: int,
        learners: Sequence[LearnerSummary],
        *,
        class_label: str = "",
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._evaluations = evaluations
        self._class_id = class_id
        self._learners = tuple(learners)
        self.edit_dialog: EvaluationDialog | None = None
        title = self.tr("Évaluations de la classe")
        self.setWindowTitle(f"{title} {class_label}".strip())
        self.resize(980, 560)

        self.model = EvaluationListModel(self)
        self.table = QTableView()
        self.table.setModel(self.model)
        self.table.setAccessibleName(self.tr("Évaluations de la classe"))
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(lambda _index: self.edit_selected())
        self.table.installEventFilter(self)

        self.count_label = QLabel()
        self.edit_button = QPushButton(self.tr("&Modifier…"))
        self.edit_button.setToolTip(self.tr("Modifier l'évaluation choisie et sa grille"))
        self.edit_button.clicked.connect(self.edit_selected)
        self.delete_button = QPushButton(self.tr("&Supprimer…"))
        self.delete_button.setToolTip(self.tr("Supprimer l'évaluation choisie et ses résultats"))
        self.delete_button.clicked.connect(self.delete_selected)
        close_button = QPushButton(self.tr("Fermer"))
        close_button.clicked.connect(self.reject)
        for button in (self.edit_button, self.delete_button, close_button):
            # Entrée belongs to the table (Modifier), never a button by surprise.
            button.setAutoDefault(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.count_label)
        buttons.addStretch(1)
        buttons.addWidget(self.edit_button)
        buttons.addWidget(self.delete_button)
        buttons.addWidget(close_button)

        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.table.selectionModel().selectionChanged.connect(lambda *_: self._update_buttons())
        self.reload()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Override QObject::eventFilter: Entrée modifies, Suppr deletes the chosen evaluation."""
        if (
            watched is self.table
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier
        ):
            if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self.edit_selected()
                return True
            if event.key() == Qt.Key.Key_Delete:
                self.delete_selected()
                return True
        return super().eventFilter(watched, event)

    def reload(self) -> None:
        """Read the list again, keeping the chosen evaluation when it is still there."""
        chosen = self.selected_row()
        rows = self._evaluations.list_for_class(self._class_id)
        self.model.set_rows(rows)
        covered = sum(1 for row in rows if row.covered)
        text = count(len(rows), "évaluation")
        if covered:
            text += self.tr(", dont %1 déjà prise(s) en compte par un bilan définitif").replace(
                "%1", str(covered)
            )
        self.count_label.setText(text)
        if not (chosen is not None and self.select_evaluation(chosen.id)) and rows:
            self.table.selectRow(0)
        self._update_buttons()

    def rows(self) -> tuple[EvaluationRow, ...]:
        return self.model.rows()

    def selected_row(self) -> EvaluationRow | None:
        index = self.table.currentIndex()
        if not index.isValid() or not self.table.selectionModel().isRowSelected(index.row()):
            return None
        return self.model.row_at(index.row())

    def select_evaluation(self, evaluation_id: int) -> bool:
        for number, row in enumerate(self.model.rows()):
            if row.id == evaluation_id:
                self.table.selectRow(number)
                return True
        return False

    def edit_selected(self) -> EvaluationDialog | None:
        """Modifier…: the evaluation dialog on the chosen evaluation (window-modal)."""
        row = self.selected_row()
        if row is None:
            return None
        try:
            dialog = EvaluationDialog.for_edit(self._evaluations, row.id, self._learners, self)
        except LivretError as exc:
            messages.show_error(self, exc.message)
            self._reload_quietly()
            return None
        dialog.accepted.connect(self._on_edited)
        self.edit_dialog = dialog
        dialog.open()
        return dialog

    def delete_selected(self) -> bool:
        """Supprimer…: after a confirmation (naming the learners of a final bilan if any)."""
        row = self.selected_row()
        if row is None:
            return False
        try:
            covered = self._evaluations.load(row.id).covered if row.covered else ()
            if not confirm_delete(self, row, covered):
                return False
            try:
                self._evaluations.delete(row.id, confirm_covered=bool(covered))
            except CoveredByFinalBilan as exc:
                # A final bilan has covered it since the list was read: ask the stronger way.
                if not confirm_delete(self, row, exc.covered):
                    return False
                self._evaluations.delete(row.id, confirm_covered=True)
        except LivretError as exc:
            messages.show_error(self, exc.message)
            self._reload_quietly()
            return False
        self._reload_quietly()
        self.evaluations_changed.emit()
        return True

    def _on_edited(self) -> None:
        dialog = self.edit_dialog
        self._reload_quietly()
        if dialog is not None and dialog.evaluation_id is not None:
            self.select_evaluation(dialog.evaluation_id)
        if dialog is None or dialog.change is None or dialog.change.changed:
            self.evaluations_changed.emit()

    def _reload_quietly(self) -> None:
        try:
            self.reload()
        except LivretError as exc:
            messages.show_error(self, exc.message)

    def _update_buttons(self) -> None:
        chosen = self.selected_row() is not None
        self.edit_button.setEnabled(chosen)
        self.delete_button.setEnabled(chosen)
