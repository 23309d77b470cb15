"""The class overview: learners × common competencies, latest positioning and current evidence."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QPersistentModelIndex,
    QRect,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QKeyEvent, QMouseEvent, QPainter, QPen, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QStyle,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from livret.domain.levels import LEVEL_CODES, style_of
from livret.services.overview import ClassOverview, OverviewCell, OverviewLearner, OverviewService
from livret.ui.load_failure import FailableArea, failure_reason
from livret.ui.text import count
from livret.ui.theme import css, current_theme
from livret.ui.widgets.colour_cells import SelectionOutlineDelegate

LEARNER_ID_ROLE = Qt.ItemDataRole.UserRole + 1
COLUMN_WIDTH = 64
SELECTION_PEN_WIDTH = 3


def _french_date(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


def _looks_of(row: OverviewLearner) -> list[tuple[str, QColor, QColor]]:
    """What each cell of a row paints: read on every paint, so built once per reset."""
    looks = []
    for cell in row.cells:
        style = style_of(cell.level)
        text = f"{style.symbol} ({cell.current_results})" if cell.current_results else style.symbol
        tile = current_theme().level(cell.level)  # 4.5:1 for the symbol and count
        looks.append((text, tile.fill, tile.text))
    return looks


class ClassOverviewModel(QAbstractTableModel):
    """Rows are the learners, columns the CCs; a cell is a level colour, symbol and count."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._overview: ClassOverview | None = None
        self._looks: list[list[tuple[str, QColor, QColor]]] = []
        """Per row and column: the text, background and text colours, built once per reset."""

    @property
    def overview(self) -> ClassOverview | None:
        return self._overview

    def set_overview(self, overview: ClassOverview | None) -> None:
        self.beginResetModel()
        self._overview = overview
        self._looks = [] if overview is None else [_looks_of(row) for row in overview.learners]
        self.endResetModel()

    def looks(self, row: int, column: int) -> tuple[str, QColor, QColor] | None:
        """A cell's text, fill and text colour (what data() gives for its three roles)."""
        if not 0 <= row < len(self._looks) or not 0 <= column < len(self._looks[row]):
            return None
        return self._looks[row][column]

    def learner_at(self, row: int) -> OverviewLearner | None:
        if self._overview is None or not 0 <= row < len(self._overview.learners):
            return None
        return self._overview.learners[row]

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's default argument
        """Override QAbstractItemModel::rowCount."""
        if parent.isValid() or self._overview is None:
            return 0
        return len(self._overview.learners)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's default argument
        """Override QAbstractItemModel::columnCount."""
        if parent.isValid() or self._overview is None:
            return 0
        return len(self._overview.common_competencies)

    def data(
        self,
        index: QModelIndex | QPersistentModelIndex,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        """Override QAbstractItemModel::data."""
        overview = self._overview
        if overview is None or not index.isValid():
            return None
        row, column = index.row(), index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return self._looks[row][column][0]
        if role == Qt.ItemDataRole.BackgroundRole:
            return self._looks[row][column][1]
        if role == Qt.ItemDataRole.ForegroundRole:
            return self._looks[row][column][2]
        learner = overview.learners[row]
        cell = learner.cells[column]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            return Qt.AlignmentFlag.AlignCenter
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(overview.common_competencies[index.column()].code, learner, cell)
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return self._spoken(overview.common_competencies[index.column()].code, cell)
        if role == LEARNER_ID_ROLE:
            return learner.learner.id
        return None

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        """Override QAbstractItemModel::headerData."""
        overview = self._overview
        if overview is None:
            return None
        if orientation == Qt.Orientation.Horizontal:
            if not 0 <= section < len(overview.common_competencies):
                return None
            competency = overview.common_competencies[section]
            if role == Qt.ItemDataRole.DisplayRole:
                return competency.code
            if role == Qt.ItemDataRole.ToolTipRole:
                return competency.title
            return None
        if not 0 <= section < len(overview.learners):
            return None
        row = overview.learners[section]
        if role == Qt.ItemDataRole.DisplayRole:
            name = row.learner.display_name
            return name + self.tr(" (sorti)") if row.learner.left_on is not None else name
        if role == Qt.ItemDataRole.ToolTipRole:
            text = self.tr("INE %1").replace("%1", row.learner.ine)
            if row.last_final_date is not None:
                text += self.tr(" — dernier bilan définitif du %1").replace(
                    "%1", _french_date(row.last_final_date)
                )
            return text + "\n" + self.tr("Double-clic : ouvrir son tableau de bord")
        if role == LEARNER_ID_ROLE:
            return row.learner.id
        return None

    def _tooltip(self, code: str, learner: OverviewLearner, cell: OverviewCell) -> str:
        label = style_of(cell.level).label
        if cell.source == "draft" and cell.bilan_date is not None:
            origin = self.tr("brouillon du %1").replace("%1", _french_date(cell.bilan_date))
        elif cell.source == "final" and cell.bilan_date is not None:
            origin = self.tr("bilan définitif du %1").replace("%1", _french_date(cell.bilan_date))
        else:
            origin = self.tr("pas encore positionné")
        if cell.current_results == 0:
            results = self.tr("aucun résultat")
        else:
            results = count(cell.current_results, self.tr("résultat"))
        since = (
            self.tr("depuis le dernier bilan")
            if learner.last_final_date is not None
            else self.tr("depuis le début du livret")
        )
        return f"{code} — {label} ({origin}) — {results} {since}"

    def _spoken(self, code: str, cell: OverviewCell) -> str:
        """What a screen reader says instead of '+ (4)'."""
        label = style_of(cell.level).label
        return f"{code} : {label}, " + count(cell.current_results, self.tr("résultat"))


class _LevelDelegate(SelectionOutlineDelegate):
    """Keeps the level colour on a selected row and outlines the row instead.

    A cell is a fill and a centred text: painted straight from the model's looks, not
    through QStyledItemDelegate (whose style option asks the model for every role of
    every cell: half the overview's repaint).
    """

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        """Override SelectionOutlineDelegate.paint."""
        model = index.model()
        looks = (
            model.looks(index.row(), index.column())
            if isinstance(model, ClassOverviewModel)
            else None
        )
        # The current cell keeps the style's whole painting (its focus frame, which needs
        # the style's own option): one cell per repaint.
        if looks is None or option.state & QStyle.StateFlag.State_HasFocus:
            super().paint(painter, option, index)
            return
        text, fill, ink = looks
        rect: QRect = option.rect
        painter.save()
        painter.fillRect(rect, fill)
        painter.setPen(ink)
        painter.setFont(option.font)
        shown = option.fontMetrics.elidedText(text, Qt.TextElideMode.ElideRight, rect.width() - 4)
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, shown)
        painter.restore()
        if option.state & QStyle.StateFlag.State_Selected:
            painter.save()
            self.paint_selection(painter, option, index)
            painter.restore()

    def paint_selection(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        """Override SelectionOutlineDelegate.paint_selection."""
        rect: QRect = option.rect
        pen = QPen(option.palette.color(option.palette.ColorRole.WindowText))
        pen.setWidth(SELECTION_PEN_WIDTH)
        painter.setPen(pen)
        inset = SELECTION_PEN_WIDTH // 2
        top, bottom = rect.top() + inset, rect.bottom() - inset
        painter.drawLine(rect.left(), top, rect.right(), top)
        painter.drawLine(rect.left(), bottom, rect.right(), bottom)
        if index.column() == 0:
            painter.drawLine(rect.left() + inset, top, rect.left() + inset, bottom)
        if index.column() == index.model().columnCount() - 1:
            painter.drawLine(rect.right() - inset, top, rect.right() - inset, bottom)


class _OverviewTable(QTableView):
    """The overview grid; Enter on a row means the same as a double-click.

    Signals:
        row_activated(int): the row chosen by a double-click (cell or name) or Enter.
    """

    row_activated = Signal(int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.verticalHeader().sectionDoubleClicked.connect(self.row_activated)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        """Override QAbstractItemView::mouseDoubleClickEvent: open the learner of that row.

        Neither `activated` (a single click on some platforms) nor `doubleClicked` (only
        when the press landed on the same cell): any double-click on a row counts.
        """
        index = self.indexAt(event.position().toPoint())
        if event.button() != Qt.MouseButton.LeftButton or not index.isValid():
            super().mouseDoubleClickEvent(event)
            return
        self.setCurrentIndex(index)
        self.row_activated.emit(index.row())
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Override QAbstractItemView::keyPressEvent: Enter opens the current learner."""
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.row_activated.emit(self.currentIndex().row())
            event.accept()
            return
        super().keyPressEvent(event)


class ClassOverviewView(QWidget):
    """A class at a glance: each learner's latest positioning on every CC.

    When reading a class fails, the view clears (no other class's learners stay on
    screen), says in place what failed and offers « Réessayer ».

    Signals:
        learner_activated(int): the id of the learner whose dashboard should open
            (double-click on their row or name, or Enter).
    """

    learner_activated = Signal(int)

    def __init__(self, overviews: OverviewService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._overviews = overviews
        self._class_id: int | None = None
        self._pending = False  # a class asked for while hidden: read when shown
        self._class_label: str | None = None

        self.title = QLabel(self.tr("Vue d'ensemble de la classe"))
        self.title.setObjectName("classOverviewTitle")
        self.title.setStyleSheet("font-size: 16pt; font-weight: bold;")
        self.details = QLabel()
        self.details.setWordWrap(True)

        self.model = ClassOverviewModel(self)
        self.table = _OverviewTable()
        self.table.setModel(self.model)
        self.table.setItemDelegate(_LevelDelegate(self.table))
        self.table.setAccessibleName(self.tr("Positionnements de la classe par compétence commune"))
        self.table.setAccessibleDescription(
            self.tr(
                "Une ligne par apprenant, une colonne par compétence commune ; "
                "Entrée ou double-clic ouvre le tableau de bord de l'apprenant."
            )
        )
        self.table.setAlternatingRowColors(False)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setWordWrap(False)
        columns = self.table.horizontalHeader()
        columns.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        columns.setDefaultSectionSize(COLUMN_WIDTH)
        columns.setHighlightSections(False)
        rows = self.table.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(self.fontMetrics().height() + 10)
        rows.setDefaultAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)

        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.details)
        self.area = FailableArea(self.table)
        self.failure = self.area.failure
        self.failure.retry_requested.connect(self.retry)
        layout.addWidget(self.area, 1)
        layout.addLayout(self._legend())

        self.table.row_activated.connect(self._on_row_activated)

    def _legend(self) -> QHBoxLayout:
        legend = QHBoxLayout()
        legend.setSpacing(6)
        for code in LEVEL_CODES:
            style = style_of(code)
            tile = current_theme().level(code)
            chip = QLabel(style.symbol)
            chip.setAlignment(Qt.AlignmentFlag.AlignCenter)
            chip.setMinimumWidth(36)
            chip.setStyleSheet(
                f"background-color: {css(tile.fill)}; color: {css(tile.text)};"
                " padding: 2px 6px; border-radius: 3px; font-weight: bold;"
            )
            chip.setAccessibleName(style.label)
            legend.addWidget(chip)
            legend.addWidget(QLabel(style.label))
            legend.addSpacing(8)
        legend.addStretch(1)
        return legend

    def show_class(self, class_id: int, *, label: str | None = None) -> bool:
        """Read and show one class; False when that failed.

        On a failure (an unknown class, a database error, a bug) the view is cleared and
        says what failed, naming the class by `label` (its code) when given.
        """
        if label is not None or class_id != self._class_id:
            self._class_label = label
        self._class_id = class_id
        self._pending = False
        try:
            overview = self._overviews.class_overview(class_id)
        except Exception as exc:  # never another class's learners left on screen
            reason = failure_reason(exc, f"vue de la classe n° {class_id}")
            self._show_failure(class_id, reason)
            return False
        self._class_label = overview.class_code
        self.area.show_content()
        self.model.set_overview(overview)
        title = self.tr("Vue d'ensemble de la classe %1").replace("%1", overview.class_code)
        if overview.school_year_label:
            title += f" ({overview.school_year_label})"
        self.title.setText(title)
        self.details.setText(
            count(len(overview.learners), self.tr("apprenant"))
            + self.tr(
                " · (n) : résultats de la période en cours (depuis le dernier bilan définitif)"
                " · double-clic ou Entrée : tableau de bord de l'apprenant"
            )
        )
        return True

    def show_class_when_visible(self, class_id: int, *, label: str | None = None) -> None:
        """Show the class now if the view is on screen, else when it is next shown.

        The main window keeps its tabs up to date this way: a class (or a change) seen
        from another tab costs no query until the teacher opens « Vue de la classe ».
        """
        if self.isVisible():
            self.show_class(class_id, label=label)
            return
        if label is not None or class_id != self._class_id:
            self._class_label = label
        self._class_id = class_id
        self._pending = True

    @property
    def pending(self) -> bool:
        """True while a class asked for is not read yet (the view is hidden)."""
        return self._pending

    def read_pending(self) -> None:
        """Read now the class asked for while hidden (a dialog needs its overview)."""
        if self._pending and self._class_id is not None:
            self.show_class(self._class_id)

    def showEvent(self, event: QShowEvent) -> None:
        """Override QWidget::showEvent: read the class asked for while hidden."""
        super().showEvent(event)
        self.read_pending()

    def retry(self) -> bool:
        """Réessayer: read the class asked for again."""
        return self._class_id is not None and self.show_class(self._class_id)

    def shown_class_id(self) -> int | None:
        """The class asked for last (shown, or whose reading failed)."""
        return self._class_id

    @property
    def load_failed(self) -> bool:
        return self.area.failed

    def _show_failure(self, class_id: int, reason: str) -> None:
        self.model.set_overview(None)
        self.title.setText(self.tr("Vue d'ensemble non chargée"))
        self.details.setText("")
        which = self._class_label or self.tr("n° %1").replace("%1", str(class_id))
        self.area.show_failure(
            self.tr("La vue d'ensemble de la classe %1 n'a pas pu être chargée : %2")
            .replace("%1", which)
            .replace("%2", reason)
        )

    def _on_row_activated(self, row: int) -> None:
        learner = self.model.learner_at(row)
        if learner is not None:
            self.learner_activated.emit(learner.learner.id)
