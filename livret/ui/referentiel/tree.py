"""The référentiel tree: a row per specialty, competency and criterion of the draft; search."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSignalBlocker, Qt
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import QHeaderView, QTreeWidget, QTreeWidgetItem, QWidget

from livret.domain.referentiel import CommonCompetency
from livret.services.dto import sort_key
from livret.ui.referentiel.draft import OWN_FIELDS, Kind, ReferentielDraft
from livret.ui.theme import Theme, current_theme, follow_theme

NODE_ROLE = Qt.ItemDataRole.UserRole
CODE_COLUMN, TEXT_COLUMN, CC_COLUMN = 0, 1, 2


@dataclass(eq=False, slots=True)
class Node:
    """One tree row and the draft's JSON object it edits (in place)."""

    kind: Kind
    data: dict[str, Any]
    item: QTreeWidgetItem
    parent: Node | None
    stored: dict[str, Any] | None
    """The same item in the database's version; None when added in this editor."""

    def key(self) -> tuple[str, ...]:
        if self.kind is Kind.CRITERION:
            return ("criterion", str(self.data.get("id", "")))
        if self.kind is Kind.COMPETENCY and self.parent is not None:
            return ("competency", str(self.parent.data.get("code", "")), self.code)
        return (self.kind.value, self.code)

    @property
    def code(self) -> str:
        return str(self.data.get("id" if self.kind is Kind.CRITERION else "code", ""))

    @property
    def changed(self) -> bool:
        return self.stored is not None and any(
            self.data.get(name) != self.stored.get(name) for name in OWN_FIELDS[self.kind]
        )

    def ancestor(self, kind: Kind) -> Node | None:
        """This node or the first parent of that kind."""
        node: Node | None = self
        while node is not None and node.kind is not kind:
            node = node.parent
        return node


class ReferentielTree(QTreeWidget):
    """Code, text and CC of every item; added items in green italics, changed ones in blue bold."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.nodes: dict[int, Node] = {}
        """Row serial (stored in the item under NODE_ROLE) → node."""
        self.cc_titles: Mapping[str, CommonCompetency] = {}
        self.setColumnCount(3)
        self.setHeaderLabels([self.tr("Code"), self.tr("Intitulé / critère"), self.tr("CC")])
        self.setUniformRowHeights(True)
        header = self.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(CODE_COLUMN, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(TEXT_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(CC_COLUMN, QHeaderView.ResizeMode.ResizeToContents)
        self.setColumnWidth(CODE_COLUMN, 190)
        self.setAccessibleName(self.tr("Spécialités, compétences et critères"))
        follow_theme(self, self._on_theme_changed)

    def _on_theme_changed(self, _theme: Theme) -> None:
        """The items keep the brushes they were given: paint them again in the new colours."""
        with QSignalBlocker(self):
            for node in self.nodes.values():
                self.paint(node)

    def rebuild(self, draft: ReferentielDraft, select: tuple[str, ...] | None) -> Node | None:
        """Show the draft again (without signals), keeping expanded rows; return `select`'s node."""
        expanded = {node.key() for node in self.nodes.values() if node.item.isExpanded()} or None
        self.nodes = {}
        with QSignalBlocker(self):
            self.clear()
            for specialty in draft.data["specialties"]:
                top = self._add_node(draft, Kind.SPECIALTY, specialty, None)
                for competency in specialty["competencies"]:
                    middle = self._add_node(draft, Kind.COMPETENCY, competency, top)
                    for criterion in competency["criteria"]:
                        self._add_node(draft, Kind.CRITERION, criterion, middle)
            for node in self.nodes.values():
                if expanded is None:
                    node.item.setExpanded(node.kind is Kind.SPECIALTY)
                else:
                    node.item.setExpanded(node.key() in expanded)
        return self.node_with_key(select) if select else None

    def _add_node(
        self, draft: ReferentielDraft, kind: Kind, data: dict[str, Any], parent: Node | None
    ) -> Node:
        item = QTreeWidgetItem()
        node = Node(kind, data, item, parent, draft.stored(data))
        serial = len(self.nodes)
        item.setData(CODE_COLUMN, NODE_ROLE, serial)
        self.nodes[serial] = node
        if parent is None:
            self.addTopLevelItem(item)
        else:
            parent.item.addChild(item)
        self.paint(node)
        return node

    def node_with_key(self, key: tuple[str, ...] | None) -> Node | None:
        return next((node for node in self.nodes.values() if node.key() == key), None)

    def node_with_data(self, data: dict[str, Any] | None) -> Node | None:
        """The row of this very draft object."""
        return next((n for n in self.nodes.values() if data is not None and n.data is data), None)

    def node_of(self, item: QTreeWidgetItem | None) -> Node | None:
        if item is None:
            return None
        return self.nodes.get(item.data(CODE_COLUMN, NODE_ROLE))

    def paint(self, node: Node) -> None:
        """Show the node's texts, its state (added, changed) and its tooltip."""
        item, data = node.item, node.data
        if node.kind is Kind.CRITERION:
            text, placeholder = str(data.get("text", "")), self.tr("(texte à saisir)")
            item.setText(CC_COLUMN, str(data.get("cc", "")) or "?")
        else:
            text, placeholder = str(data.get("title", "")), self.tr("(intitulé à saisir)")
        item.setText(CODE_COLUMN, node.code or "?")
        item.setText(TEXT_COLUMN, text or placeholder)
        state = ""
        font = QFont()
        brush = QBrush()
        theme = current_theme()
        if node.stored is None:
            state, brush = self.tr("Ajouté, pas encore enregistré."), QBrush(theme.added_text)
            font.setItalic(True)
        elif node.changed:
            state, brush = self.tr("Modifié, pas encore enregistré."), QBrush(theme.changed_text)
            font.setBold(True)
        for column in (CODE_COLUMN, TEXT_COLUMN, CC_COLUMN):
            item.setFont(column, font)
            item.setForeground(column, brush)
        if not text:
            item.setForeground(TEXT_COLUMN, QBrush(theme.empty_text))
        tip = f"{node.code}\n{text}"
        if node.kind is Kind.CRITERION and (cc := self.cc_titles.get(str(data.get("cc")))):
            tip += f"\n→ {cc.code} — {cc.title}"
        item.setToolTip(CODE_COLUMN, "\n".join(filter(None, (tip, state))))
        item.setToolTip(TEXT_COLUMN, item.toolTip(CODE_COLUMN))

    # -- search ----------------------------------------------------------------------

    def apply_search(self, text: str, keep: Node | None) -> None:
        """Hide the rows that do not match `text` (accents and case ignored).

        `keep` (the selected item, a new one say) and its parents stay visible whatever
        the search.
        """
        needle = sort_key(text)
        kept = set()
        while keep is not None:
            kept.add(id(keep))
            keep = keep.parent
        for top in _children(self.invisibleRootItem()):
            self._filter_item(top, needle, False, kept)

    def _filter_item(
        self, item: QTreeWidgetItem, needle: str, ancestor_matches: bool, keep: set[int]
    ) -> bool:
        node = self.node_of(item)
        haystack = sort_key(" ".join(item.text(c) for c in range(3)))
        matches = ancestor_matches or not needle or needle in haystack
        any_child = False
        for child in _children(item):
            any_child |= self._filter_item(child, needle, matches, keep)
        visible = matches or any_child or (node is not None and id(node) in keep)
        item.setHidden(not visible)
        if needle and any_child:
            item.setExpanded(True)
        return visible

    # -- problems --------------------------------------------------------------------

    def find_problem(self, text: str) -> Node | None:
        """The item a validation problem names (« Critère X : … »), if any."""
        where = text.split(" : ", 1)[0]
        target: Node | None = None
        best = -1
        for node in self.nodes.values():
            name = _problem_name(node)
            if (where == name or where.startswith(f"{name},")) and len(name) > best:
                target, best = node, len(name)
        rank = re.search(r"(?:Spécialité|compétence|critère) n° (\d+)$", where)
        if rank is not None:
            siblings = [n for n in self.nodes.values() if n.parent is target]
            position = int(rank.group(1)) - 1
            target = siblings[position] if 0 <= position < len(siblings) else target
        return target


def _problem_name(node: Node) -> str:
    """How parse_referentiel names this item in its problems."""
    if node.kind is Kind.CRITERION:
        return f"Critère {node.code}"
    if node.kind is Kind.COMPETENCY:
        return f"Compétence [{node.parent.code if node.parent else ''}] {node.code}"
    return f"Spécialité {node.code}"


def _children(item: QTreeWidgetItem) -> list[QTreeWidgetItem]:
    return [child for i in range(item.childCount()) if (child := item.child(i)) is not None]
