"""The class and learner selectors: a class combo, a searchable learner list, previous/next."""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QSortFilterProxyModel, Qt, Signal
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut, QStandardItem, QStandardItemModel
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from livret.services.catalog import CatalogService
from livret.services.dto import ClassInfo, LearnerSummary, sort_key
from livret.ui.text import count

LEARNER_ID_ROLE = Qt.ItemDataRole.UserRole + 1
SEARCH_KEY_ROLE = Qt.ItemDataRole.UserRole + 2


class _AccentInsensitiveFilter(QSortFilterProxyModel):
    """Keeps the learners whose name or INE contains the search text, accents ignored."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._needle = ""

    def set_needle(self, text: str) -> None:
        self.beginFilterChange()
        self._needle = sort_key(text).strip()
        self.endFilterChange()

    def filterAcceptsRow(
        self, source_row: int, source_parent: QModelIndex | QPersistentModelIndex
    ) -> bool:
        """Override QSortFilterProxyModel::filterAcceptsRow."""
        if not self._needle:
            return True
        index = self.sourceModel().index(source_row, 0, source_parent)
        return self._needle in str(index.data(SEARCH_KEY_ROLE))


class _LearnerList(QListView):
    """A list view where Ctrl+PgUp/PgDn mean previous/next learner, as everywhere else.

    Signals:
        step_requested(int): -1 for the previous learner, +1 for the next.
    """

    step_requested = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Override QAbstractItemView::keyPressEvent (it would page through the list)."""
        if event.modifiers() == Qt.KeyboardModifier.ControlModifier and event.key() in (
            Qt.Key.Key_PageUp,
            Qt.Key.Key_PageDown,
        ):
            self.step_requested.emit(-1 if event.key() == Qt.Key.Key_PageUp else 1)
            event.accept()
            return
        super().keyPressEvent(event)


class LearnerSelector(QWidget):
    """Choose a class, then a learner.

    Signals:
        class_changed(int): the chosen class id.
        learner_changed(int): the chosen learner id (-1 when none).
    """

    class_changed = Signal(int)
    learner_changed = Signal(int)

    def __init__(self, catalog: CatalogService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._catalog = catalog
        self._classes: tuple[ClassInfo, ...] = ()

        self.class_combo = QComboBox()
        self.class_combo.setAccessibleName(self.tr("Classe"))
        self.class_combo.setMinimumContentsLength(18)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Rechercher un apprenant (nom, prénom, INE)"))
        self.search.setAccessibleName(self.tr("Rechercher un apprenant"))
        self.search.setClearButtonEnabled(True)

        self._model = QStandardItemModel(self)
        self._filter = _AccentInsensitiveFilter(self)
        self._filter.setSourceModel(self._model)
        self.learner_list = _LearnerList()
        self.learner_list.setModel(self._filter)
        self.learner_list.setAccessibleName(self.tr("Apprenants de la classe"))
        self.learner_list.setEditTriggers(QListView.EditTrigger.NoEditTriggers)
        self.learner_list.setUniformItemSizes(True)

        self.previous_button = QPushButton(self.tr("◀ Précédent"))
        self.previous_button.setToolTip(self.tr("Apprenant précédent (Ctrl+Page préc.)"))
        self.next_button = QPushButton(self.tr("Suivant ▶"))
        self.next_button.setToolTip(self.tr("Apprenant suivant (Ctrl+Page suiv.)"))
        self.count_label = QLabel()

        class_label = QLabel(self.tr("&Classe"))
        class_label.setBuddy(self.class_combo)
        buttons = QHBoxLayout()
        buttons.addWidget(self.previous_button)
        buttons.addWidget(self.next_button)
        layout = QVBoxLayout(self)
        layout.addWidget(class_label)
        layout.addWidget(self.class_combo)
        layout.addWidget(self.search)
        layout.addWidget(self.learner_list, 1)
        layout.addWidget(self.count_label)
        layout.addLayout(buttons)

        self.class_combo.currentIndexChanged.connect(self._on_class_index_changed)
        self.search.textChanged.connect(self._on_search_changed)
        self.learner_list.selectionModel().currentChanged.connect(self._on_current_changed)
        self.previous_button.clicked.connect(self.select_previous)
        self.next_button.clicked.connect(self.select_next)
        self.learner_list.step_requested.connect(self._step)
        QShortcut(QKeySequence("Ctrl+PgUp"), self, self.select_previous)
        QShortcut(QKeySequence("Ctrl+PgDown"), self, self.select_next)

    def reload(self) -> None:
        """Read the classes again and show them, grouped by school year."""
        self._classes = self._catalog.list_classes()
        self.class_combo.blockSignals(True)
        self.class_combo.clear()
        for info in self._classes:
            text = f"{info.code} — {info.school_year_label} ({info.learner_count})"
            self.class_combo.addItem(text, info.id)
        self.class_combo.setCurrentIndex(-1)
        self.class_combo.blockSignals(False)

    def classes(self) -> tuple[ClassInfo, ...]:
        return self._classes

    def select_class(self, class_id: int) -> bool:
        index = self.class_combo.findData(class_id)
        if index < 0:
            return False
        if index == self.class_combo.currentIndex():
            self._on_class_index_changed(index)
        else:
            self.class_combo.setCurrentIndex(index)
        return True

    def select_learner(self, learner_id: int) -> bool:
        for row in range(self._filter.rowCount()):
            index = self._filter.index(row, 0)
            if index.data(LEARNER_ID_ROLE) == learner_id:
                self.learner_list.setCurrentIndex(index)
                return True
        return False

    def current_class_id(self) -> int | None:
        data = self.class_combo.currentData()
        return int(data) if data is not None else None

    def learner_ids(self) -> set[int]:
        """The learners of the class shown (the search filter aside)."""
        return {
            int(self._model.item(row).data(LEARNER_ID_ROLE))
            for row in range(self._model.rowCount())
        }

    def current_learner_id(self) -> int | None:
        data = self.learner_list.currentIndex().data(LEARNER_ID_ROLE)
        return int(data) if data is not None else None

    def visible_learner_names(self) -> list[str]:
        return [str(self._filter.index(r, 0).data()) for r in range(self._filter.rowCount())]

    def select_previous(self) -> None:
        self._step(-1)

    def select_next(self) -> None:
        self._step(+1)

    def _step(self, delta: int) -> None:
        rows = self._filter.rowCount()
        if rows == 0:
            return
        current = self.learner_list.currentIndex()
        row = current.row() + delta if current.isValid() else 0
        if 0 <= row < rows:
            self.learner_list.setCurrentIndex(self._filter.index(row, 0))

    def _on_class_index_changed(self, index: int) -> None:
        self._model.clear()
        class_id = self.class_combo.itemData(index)
        if class_id is None:
            self._update_count()
            return
        learners = self._catalog.list_learners(int(class_id))
        for learner in learners:
            self._model.appendRow(_learner_item(learner))
        self._update_count()
        self.class_changed.emit(int(class_id))
        self.learner_changed.emit(-1)

    def _on_search_changed(self, text: str) -> None:
        self._filter.set_needle(text)
        self._update_count()

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        learner_id = current.data(LEARNER_ID_ROLE)
        self.learner_changed.emit(int(learner_id) if learner_id is not None else -1)
        self._update_buttons()

    def _update_count(self) -> None:
        shown, total = self._filter.rowCount(), self._model.rowCount()
        if shown == total:
            self.count_label.setText(count(total, self.tr("apprenant")))
        else:
            self.count_label.setText(
                self.tr("%1 sur %2 apprenants").replace("%1", str(shown)).replace("%2", str(total))
            )
        self._update_buttons()

    def _update_buttons(self) -> None:
        row = self.learner_list.currentIndex().row()
        rows = self._filter.rowCount()
        self.previous_button.setEnabled(row > 0)
        self.next_button.setEnabled(rows > 0 and row < rows - 1)


def _learner_item(learner: LearnerSummary) -> QStandardItem:
    text = learner.display_name
    if learner.left_on is not None:
        text += " (sorti)"
    item = QStandardItem(text)
    item.setData(learner.id, LEARNER_ID_ROLE)
    item.setData(
        sort_key(f"{learner.family_name} {learner.first_name} {learner.ine}"), SEARCH_KEY_ROLE
    )
    item.setToolTip(f"INE {learner.ine}")
    return item
