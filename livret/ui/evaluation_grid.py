"""The entry grid of an evaluation: learners × chosen criteria, typed from the keyboard alone.

1–4 set the level (also & é " ' on an AZERTY keyboard without Shift), N = NE, A = ABS,
Delete/Backspace clear, arrows/Tab move, Enter moves down, F2 asks for the comment of
the current cell. Typed values are kept by (learner, criterion) while the chosen
criteria or learners change; empty cells are not sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QBrush, QKeyEvent, QPainter, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QStyleOptionViewItem,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from livret.domain.levels import style_of
from livret.services.dto import LearnerSummary
from livret.services.evaluations import CoveredLearner, CriterionItem, GridResult
from livret.ui.theme import current_theme
from livret.ui.widgets.colour_cells import SelectionOutlineDelegate

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


@dataclass(slots=True)
class _Cell:
    level: str
    comment: str = ""


class _CellDelegate(SelectionOutlineDelegate):
    """Keeps the level colour of the selected cell visible: a thick frame instead of a fill."""

    def paint_selection(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        """Override SelectionOutlineDelegate.paint_selection."""
        painter.setPen(QPen(current_theme().current_frame, 3))
        painter.drawRect(option.rect.adjusted(1, 1, -2, -2))


class LevelGrid(QTableWidget):
    """The entry grid: keys set or clear a level instead of opening an editor.

    It keeps every typed cell by (learner, criterion), shown or not (show_entries).

    Signals:
        entry_changed(): another cell became current, or the current cell's level was
            set or cleared: current_comment() may have changed.
        comment_requested(): F2 pressed, the comment of the current cell should be edited.
    """

    entry_changed = Signal()
    comment_requested = Signal()

    def __init__(self, results: Iterable[GridResult] = (), parent: QWidget | None = None) -> None:
        """Start from `results` (a stored evaluation's), shown by show_entries."""
        super().__init__(parent)
        self._cells: dict[tuple[int, int], _Cell] = {
            (result.learner_id, result.criterion_id): _Cell(result.level, result.comment or "")
            for result in results
        }
        self._rows: list[int] = []
        """Learner id of each row."""
        self._columns: list[int] = []
        """Criterion id of each column."""
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setTabKeyNavigation(True)
        self.setItemDelegate(_CellDelegate(self))
        self.setAccessibleName(self.tr("Grille de saisie des niveaux"))
        self.currentCellChanged.connect(self._on_current_cell_changed)

    def show_entries(
        self,
        learners: Sequence[LearnerSummary],
        criteria: Sequence[CriterionItem],
        covered: Sequence[CoveredLearner] = (),
    ) -> None:
        """Show these learners × criteria, keeping the current cell when it is still shown.

        A `covered` learner's row header says which final bilan took the evaluation in.
        """
        current = self._current_key()
        self._rows = [learner.id for learner in learners]
        self._columns = [criterion.id for criterion in criteria]
        with QSignalBlocker(self):
            self.clear()
            self.setRowCount(len(learners))
            self.setColumnCount(len(criteria))
            self.setVerticalHeaderLabels([learner.display_name for learner in learners])
            bilans = {c.learner_id: c for c in covered}
            for row, learner in enumerate(learners):
                header_item = self.verticalHeaderItem(row)
                if learner.id in bilans and header_item is not None:
                    header_item.setToolTip(
                        self.tr("Déjà pris en compte par son bilan définitif du %1").replace(
                            "%1", bilans[learner.id].bilan_date.strftime("%d/%m/%Y")
                        )
                    )
            for column, criterion in enumerate(criteria):
                header = QTableWidgetItem(criterion.code)
                header.setToolTip(f"{criterion.code} ({criterion.cc_code})\n{criterion.text}")
                self.setHorizontalHeaderItem(column, header)
            for row in range(len(learners)):
                for column in range(len(criteria)):
                    self.setItem(row, column, QTableWidgetItem())
                    self._paint(row, column)
            self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
            if self._rows and self._columns:
                row, column = 0, 0
                if current is not None and current[0] in self._rows and current[1] in self._columns:
                    row, column = self._rows.index(current[0]), self._columns.index(current[1])
                self.setCurrentCell(row, column)
        self.entry_changed.emit()

    def level_at(self, row: int, column: int) -> str | None:
        """The level code typed in a cell, None when empty."""
        cell = self._cell_at(row, column)
        return cell.level if cell is not None else None

    def current_comment(self) -> str | None:
        """The comment of the current cell; None when it has no level to comment."""
        cell = self._cell_at(self.currentRow(), self.currentColumn())
        return cell.comment if cell is not None else None

    def set_current_comment(self, text: str) -> None:
        """Set the comment of the current cell, if it has a level."""
        cell = self._cell_at(self.currentRow(), self.currentColumn())
        if cell is None:
            return
        cell.comment = text
        self._paint(self.currentRow(), self.currentColumn())

    def results(self) -> tuple[GridResult, ...]:
        """The filled cells shown, row by row; a blank comment is None."""
        return tuple(
            GridResult(learner_id, criterion_id, cell.level, cell.comment.strip() or None)
            for learner_id in self._rows
            for criterion_id in self._columns
            if (cell := self._cells.get((learner_id, criterion_id))) is not None
        )

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Override QAbstractItemView::keyPressEvent: level keys, Enter and F2 are ours."""
        key = event.key()
        # Shift may be needed for digits (AZERTY) and the keypad is fine; Ctrl/Alt are not ours.
        ignored = Qt.KeyboardModifier.ShiftModifier | Qt.KeyboardModifier.KeypadModifier
        plain = not event.modifiers() & ~ignored
        row, column = self.currentRow(), self.currentColumn()
        has_cell = row >= 0 and column >= 0
        if plain and has_cell and key in LEVEL_KEYS:
            self._set_level(row, column, LEVEL_KEYS[key])
        elif plain and has_cell and key in CLEAR_KEYS:
            self._set_level(row, column, "")
        elif plain and key in ENTER_KEYS:
            if has_cell and row + 1 < self.rowCount():
                self.setCurrentCell(row + 1, column)
        elif plain and has_cell and key == Qt.Key.Key_F2:
            self.comment_requested.emit()
        else:
            super().keyPressEvent(event)
            return
        event.accept()

    def _on_current_cell_changed(self, *_cells: int) -> None:
        self.entry_changed.emit()

    def _key(self, row: int, column: int) -> tuple[int, int] | None:
        if 0 <= row < len(self._rows) and 0 <= column < len(self._columns):
            return self._rows[row], self._columns[column]
        return None

    def _current_key(self) -> tuple[int, int] | None:
        return self._key(self.currentRow(), self.currentColumn())

    def _cell_at(self, row: int, column: int) -> _Cell | None:
        key = self._key(row, column)
        return self._cells.get(key) if key is not None else None

    def _paint(self, row: int, column: int) -> None:
        item = self.item(row, column)
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
        # The screen's tile (livret.ui.theme): the same on both palettes, text at 4.5:1.
        tile = current_theme().level(cell.level)
        item.setBackground(tile.fill)
        item.setForeground(tile.text)
        tooltip = style.label + (f"\n{cell.comment}" if cell.comment else "")
        item.setToolTip(tooltip)

    def _set_level(self, row: int, column: int, level: str) -> None:
        """Set the level of a cell (its comment stays), or empty the cell with ""."""
        key = self._key(row, column)
        if key is None:
            return
        if level:
            previous = self._cells.get(key)
            self._cells[key] = _Cell(level, previous.comment if previous else "")
        else:
            self._cells.pop(key, None)
        self._paint(row, column)
        self.entry_changed.emit()
