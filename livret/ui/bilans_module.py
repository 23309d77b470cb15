"""The Bilans de compétences module: every bilan, filterable, opened with a double-click."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import (
    QDate,
    QModelIndex,
    QObject,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from livret.services.bilan_list import BilanListItem, BilanListService
from livret.services.dto import sort_key
from livret.ui.load_failure import FailableArea, failure_reason
from livret.ui.rows_model import ModelIndex, RowsModel
from livret.ui.text import count
from livret.ui.theme import current_theme

COLUMNS = ("Apprenant", "Classe", "Année scolaire", "Date", "Statut", "Auteur", "Note /20")
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
BILAN_ID_ROLE = Qt.ItemDataRole.UserRole + 2
ALL = ""


class BilanListModel(RowsModel[BilanListItem]):
    """One row per bilan; the sort role gives dates and marks their natural order."""

    COLUMNS = COLUMNS

    def set_items(self, items: tuple[BilanListItem, ...]) -> None:
        self.set_rows(items)

    def item(self, row: int) -> BilanListItem:
        return self.row_at(row)

    def items(self) -> tuple[BilanListItem, ...]:
        return self.rows()

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Override QAbstractItemModel::data."""
        item = self._row_of(index)
        if item is None:
            return None
        column = index.column()
        if role == BILAN_ID_ROLE:
            return item.bilan_id
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(item, column)
        if role == SORT_ROLE:
            if column == 3:
                return item.bilan_date.toordinal()
            if column == 6:
                return float(item.mark) if item.mark is not None else -1.0
            return sort_key(str(_display(item, column)))
        if role == Qt.ItemDataRole.ForegroundRole and column == 4 and item.status == "draft":
            return QBrush(current_theme().attention_text)
        if role == Qt.ItemDataRole.TextAlignmentRole and column in (3, 6):
            return int(Qt.AlignmentFlag.AlignCenter)
        if role == Qt.ItemDataRole.ToolTipRole:
            return f"{item.learner_name} — INE {item.ine} — double-clic pour ouvrir"
        return None


def _display(item: BilanListItem, column: int) -> str:
    if column == 0:
        return item.learner_name
    if column == 1:
        return item.class_code or "—"
    if column == 2:
        return item.school_year_label or "—"
    if column == 3:
        return item.bilan_date.strftime("%d/%m/%Y")
    if column == 4:
        return item.status_label
    if column == 5:
        return item.author or "—"
    if column == 6:
        return f"{item.mark}".replace(".", ",") if item.mark is not None else ""
    return ""


class _Filter(QSortFilterProxyModel):
    """Keeps the bilans that match every chosen filter."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.year = ALL
        self.class_code = ALL
        self.status = ALL
        self.author = ALL
        self.learner = ""
        self.since: dt.date | None = None
        self.marked = ALL  # "yes", "no" or ALL
        self.setSortRole(SORT_ROLE)

    def refresh(self) -> None:
        self.beginFilterChange()
        self.endFilterChange()

    def filterAcceptsRow(self, source_row: int, source_parent: ModelIndex) -> bool:
        """Override QSortFilterProxyModel::filterAcceptsRow."""
        model = self.sourceModel()
        assert isinstance(model, BilanListModel)
        item = model.item(source_row)
        return (
            (not self.year or item.school_year_label == self.year)
            and (not self.class_code or item.class_code == self.class_code)
            and (not self.status or item.status == self.status)
            and (not self.author or item.author == self.author)
            and (not self.learner or self.learner in sort_key(f"{item.learner_name} {item.ine}"))
            and (self.since is None or item.bilan_date >= self.since)
            and (not self.marked or (item.mark is not None) == (self.marked == "yes"))
        )


class BilansModule(QWidget):
    """All bilans with filters on school year, class, learner, status and author.

    When reading the list fails, it is emptied (no stale bilan to open) and the module
    says what failed, with « Réessayer ».

    Signals:
        bilan_opened(int, int): the bilan id and its author id (0 when none) to open.
    """

    bilan_opened = Signal(int, int)

    def __init__(self, bilan_list: BilanListService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = bilan_list
        self.model = BilanListModel(self)
        self.proxy = _Filter(self)
        self.proxy.setSourceModel(self.model)
        self.table = QTableView()
        self.table.setModel(self.proxy)
        self.table.setAccessibleName(self.tr("Liste des bilans"))
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(3, Qt.SortOrder.DescendingOrder)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(self._on_activated)
        self.table.installEventFilter(self)

        self.year_filter = self._combo(self.tr("Année scolaire"))
        self.class_filter = self._combo(self.tr("Classe"))
        self.status_filter = self._combo(self.tr("Statut"))
        self.author_filter = self._combo(self.tr("Auteur"))
        self.learner_filter = QLineEdit()
        self.learner_filter.setPlaceholderText(self.tr("Apprenant (nom, prénom, INE)"))
        self.learner_filter.setAccessibleName(self.tr("Filtrer par apprenant"))
        self.learner_filter.setClearButtonEnabled(True)
        self.learner_filter.textChanged.connect(self._on_filters_changed)
        self.since_filter = QDateEdit()
        self.since_filter.setAccessibleName(self.tr("Bilans depuis le"))
        self.since_filter.setDisplayFormat("dd/MM/yyyy")
        self.since_filter.setCalendarPopup(True)
        self.since_filter.setSpecialValueText(self.tr("toutes dates"))
        self.since_filter.setMinimumDate(QDate(2000, 1, 1))
        self.since_filter.setDate(self.since_filter.minimumDate())
        self.since_filter.dateChanged.connect(self._on_filters_changed)
        self.mark_filter = self._combo(self.tr("Note"))
        self.mark_filter.blockSignals(True)
        for label, value in (
            (self.tr("Toutes"), ALL),
            (self.tr("Notés"), "yes"),
            (self.tr("Sans note"), "no"),
        ):
            self.mark_filter.addItem(label, value)
        self.mark_filter.blockSignals(False)
        self.count_label = QLabel()

        filters = QHBoxLayout()
        for label, widget in (
            (self.tr("Année :"), self.year_filter),
            (self.tr("Classe :"), self.class_filter),
            (self.tr("Statut :"), self.status_filter),
            (self.tr("Auteur :"), self.author_filter),
            (self.tr("Depuis le :"), self.since_filter),
            (self.tr("Note :"), self.mark_filter),
        ):
            caption = QLabel(label)
            caption.setBuddy(widget)
            filters.addWidget(caption)
            filters.addWidget(widget)
        filters.addWidget(self.learner_filter, 1)
        self.actions_bar = QHBoxLayout()
        self.actions_bar.addWidget(self.count_label)
        self.actions_bar.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        self.area = FailableArea(self.table)
        self.failure = self.area.failure
        self.failure.retry_requested.connect(self.reload)
        layout.addWidget(self.area, 1)
        layout.addLayout(self.actions_bar)

    def _combo(self, name: str) -> QComboBox:
        combo = QComboBox()
        combo.setAccessibleName(name)
        combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        combo.currentIndexChanged.connect(self._on_filters_changed)
        return combo

    def reload(self) -> bool:
        """Read the list again (after a save, a finalization, a mark); False if that failed."""
        try:
            items = self._service.list_bilans()
        except Exception as exc:  # never a stale list to open bilans from
            reason = failure_reason(exc, "liste des bilans")
            self.model.set_items(())
            self.area.show_failure(
                self.tr("La liste des bilans n'a pas pu être chargée : %1").replace("%1", reason)
            )
            self._on_filters_changed()
            return False
        self.area.show_content()
        self.model.set_items(items)
        self._fill(self.year_filter, self.tr("Toutes"), [i.school_year_label for i in items])
        self._fill(self.class_filter, self.tr("Toutes"), [i.class_code for i in items])
        self._fill(self.author_filter, self.tr("Tous"), [i.author for i in items])
        if self.status_filter.count() == 0:
            self.status_filter.blockSignals(True)
            self.status_filter.addItem(self.tr("Tous"), ALL)
            self.status_filter.addItem(self.tr("Brouillon"), "draft")
            self.status_filter.addItem(self.tr("Définitif"), "final")
            self.status_filter.blockSignals(False)
        self._on_filters_changed()
        return True

    def _fill(self, combo: QComboBox, everything: str, values: list[str | None]) -> None:
        chosen = combo.currentData()
        combo.blockSignals(True)
        combo.clear()
        combo.addItem(everything, ALL)
        for value in sorted({v for v in values if v}, key=sort_key):
            combo.addItem(value, value)
        index = combo.findData(chosen) if chosen else 0
        combo.setCurrentIndex(max(index, 0))
        combo.blockSignals(False)

    @property
    def load_failed(self) -> bool:
        return self.area.failed

    def visible_items(self) -> list[BilanListItem]:
        return [
            self.model.item(self.proxy.mapToSource(self.proxy.index(row, 0)).row())
            for row in range(self.proxy.rowCount())
        ]

    def selected_item(self) -> BilanListItem | None:
        index = self.table.currentIndex()
        if not index.isValid():
            return None
        return self.model.item(self.proxy.mapToSource(index).row())

    def _on_filters_changed(self) -> None:
        self.proxy.year = str(self.year_filter.currentData() or ALL)
        self.proxy.class_code = str(self.class_filter.currentData() or ALL)
        self.proxy.status = str(self.status_filter.currentData() or ALL)
        self.proxy.author = str(self.author_filter.currentData() or ALL)
        self.proxy.learner = sort_key(self.learner_filter.text())
        since = self.since_filter.date()
        self.proxy.since = (
            None
            if since == self.since_filter.minimumDate()
            else dt.date(since.year(), since.month(), since.day())
        )
        self.proxy.marked = str(self.mark_filter.currentData() or ALL)
        self.proxy.refresh()
        shown, total = self.proxy.rowCount(), self.model.rowCount()
        self.count_label.setText(
            count(total, self.tr("bilan"))
            if shown == total
            else self.tr("%1 bilans sur %2").replace("%1", str(shown)).replace("%2", str(total))
        )

    def _on_activated(self, index: QModelIndex) -> None:
        item = self.model.item(self.proxy.mapToSource(index).row())
        self.bilan_opened.emit(item.bilan_id, item.author_id or 0)

    def eventFilter(self, watched: QObject, event: Any) -> bool:
        """Override QObject::eventFilter: Enter opens the selected bilan too."""
        if (
            watched is self.table
            and isinstance(event, QKeyEvent)
            and event.type() == QKeyEvent.Type.KeyPress
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
            and self.table.currentIndex().isValid()
        ):
            self._on_activated(self.table.currentIndex())
            return True
        return super().eventFilter(watched, event)
