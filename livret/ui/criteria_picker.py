"""The référentiel's criteria to tick for an evaluation: a tree narrowed by a search field.

The search matches a criterion's code, text or CC, or its competency's code or title
(case-insensitive); while searching, competencies with a match open and the rest is
hidden.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence

from PySide6.QtCore import QSignalBlocker, Qt, Signal
from PySide6.QtWidgets import QHeaderView, QLineEdit, QTreeWidget, QTreeWidgetItem, QWidget

from livret.services.evaluations import CriterionItem, SpecialtyNode

CRITERION_ROLE = Qt.ItemDataRole.UserRole


class CriteriaPicker(QTreeWidget):
    """Specialty → competency → criterion (with its CC), each criterion with a check box.

    `search` is its search field, for the dialog to place next to the tree.

    Signals:
        criteria_changed(): a criterion was ticked or unticked.
    """

    criteria_changed = Signal()

    def __init__(self, specialties: Sequence[SpecialtyNode], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._criteria: dict[int, CriterionItem] = {}
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Rechercher un critère (code ou texte)…"))
        self.search.setAccessibleName(self.tr("Rechercher un critère"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter)
        self.setColumnCount(2)
        self.setHeaderLabels([self.tr("Critère"), self.tr("CC")])
        self.header().setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        self.header().setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        self.header().setStretchLastSection(False)
        self.setAccessibleName(self.tr("Critères du référentiel"))
        self._fill(specialties)
        self.itemChanged.connect(self._on_item_changed)

    def _fill(self, specialties: Sequence[SpecialtyNode]) -> None:
        for specialty in specialties:
            top = QTreeWidgetItem([f"{specialty.code} — {specialty.title}"])
            self.addTopLevelItem(top)
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

    def _tops(self) -> list[QTreeWidgetItem]:
        return _children(self.invisibleRootItem())

    def leaves(self) -> Iterable[QTreeWidgetItem]:
        """The criteria's items, in référentiel order."""
        for top in self._tops():
            for middle in _children(top):
                yield from _children(middle)

    def check_criteria(self, codes: Iterable[str], checked: bool = True) -> None:
        """Check (or uncheck) the criteria with these codes, e.g. "PLP-CP03-04"."""
        wanted = set(codes)
        state = Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked
        for leaf in self.leaves():
            if self._criteria[leaf.data(0, CRITERION_ROLE)].code in wanted:
                leaf.setCheckState(0, state)

    def show_chosen(self, criterion_ids: Collection[int]) -> None:
        """Tick these criteria (a stored evaluation's) and open only their competencies.

        Silent: criteria_changed is not emitted.
        """
        with QSignalBlocker(self):
            for top in self._tops():
                for middle in _children(top):
                    ticked = False
                    for leaf in _children(middle):
                        if leaf.data(0, CRITERION_ROLE) in criterion_ids:
                            leaf.setCheckState(0, Qt.CheckState.Checked)
                            ticked = True
                    middle.setExpanded(ticked)

    def chosen_criteria(self) -> tuple[CriterionItem, ...]:
        """The checked criteria, in référentiel order."""
        return tuple(
            self._criteria[leaf.data(0, CRITERION_ROLE)]
            for leaf in self.leaves()
            if leaf.checkState(0) == Qt.CheckState.Checked
        )

    def _on_item_changed(self, item: QTreeWidgetItem, column: int) -> None:
        if column == 0 and item.data(0, CRITERION_ROLE) is not None:
            self.criteria_changed.emit()

    def _filter(self, text: str) -> None:
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


def _children(item: QTreeWidgetItem) -> list[QTreeWidgetItem]:
    return [child for i in range(item.childCount()) if (child := item.child(i)) is not None]
