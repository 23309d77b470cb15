"""The référentiel editor: a specialty's competencies and criteria, each mapped to a CC.

The editor works on a draft: the référentiel's JSON shape (referentiel_to_json),
edited in place by the form. "Enregistrer…" validates the draft with
parse_referentiel, then shows the service's preview (ReferentielPreviewDialog)
and applies it on "Appliquer". Ids and codes already in the database are read-only:
results and bilans name them. Removing an item the service would refuse (a
criterion with results, a specialty followed by classes) is refused at once,
with the service's own reasons.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Any

from PySide6.QtCore import QRegularExpression, QSignalBlocker, Qt, Signal
from PySide6.QtGui import (
    QBrush,
    QColor,
    QFont,
    QKeySequence,
    QRegularExpressionValidator,
    QShortcut,
)
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QListWidget,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from livret.domain.errors import LivretError
from livret.domain.referentiel import (
    CommonCompetency,
    InvalidReferentiel,
    Referentiel,
    parse_referentiel,
)
from livret.domain.referentiel_json import referentiel_to_json
from livret.services.container import Services
from livret.services.dto import sort_key
from livret.services.referentiel import ReferentielPreview, ReferentielService
from livret.ui import messages
from livret.ui.messages import UnsavedChoice
from livret.ui.referentiel_exchange import (
    ExportFormat,
    ReferentielPreviewDialog,
    export_referentiel,
    import_referentiel,
    open_preview,
    referentiel_service,
)
from livret.ui.text import count

NODE_ROLE = Qt.ItemDataRole.UserRole
CODE_COLUMN, TEXT_COLUMN, CC_COLUMN = 0, 1, 2
ADDED_COLOUR = QColor("#1b5e20")
CHANGED_COLOUR = QColor("#0d47a1")
EMPTY_COLOUR = QColor("#9e9e9e")
# What parse_referentiel accepts, minus the length rule it reports itself.
CODE_VALIDATION = QRegularExpression(r"[A-Za-z0-9._-]{0,100}")
CONFIDENCES = (
    (None, "— non précisée"),
    ("high", "élevée (high)"),
    ("medium", "moyenne (medium)"),
    ("low", "faible (low)"),
)


class Kind(Enum):
    SPECIALTY = "specialty"
    COMPETENCY = "competency"
    CRITERION = "criterion"


OWN_FIELDS = {
    Kind.SPECIALTY: ("code", "title"),
    Kind.COMPETENCY: ("code", "title"),
    Kind.CRITERION: ("id", "text", "cc", "confidence"),
}
CHILDREN = {Kind.SPECIALTY: "competencies", Kind.COMPETENCY: "criteria"}


@dataclass(eq=False, slots=True)
class _Node:
    """One tree row and the draft's JSON object it edits (in place)."""

    kind: Kind
    data: dict[str, Any]
    item: QTreeWidgetItem
    parent: _Node | None
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


def ask_unsaved(parent: QWidget) -> UnsavedChoice:
    """Closing the editor with unsaved changes: save them, drop them, or stay (a seam)."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle(parent.tr("Modifications non enregistrées"))
    box.setText(parent.tr("Le référentiel a des modifications non enregistrées."))
    save = box.addButton(parent.tr("Enregistrer…"), QMessageBox.ButtonRole.AcceptRole)
    discard = box.addButton(parent.tr("Ne pas enregistrer"), QMessageBox.ButtonRole.DestructiveRole)
    box.addButton(parent.tr("Annuler"), QMessageBox.ButtonRole.RejectRole)
    box.exec()
    if box.clickedButton() is save:
        return UnsavedChoice.SAVE
    if box.clickedButton() is discard:
        return UnsavedChoice.DISCARD
    return UnsavedChoice.CANCEL


class ReferentielEditor(QDialog):
    """Edit the specialties' competencies and criteria, then save through the preview.

    Signals:
        referentiel_changed(object): a new version was applied (its ReferentielPreview);
            dashboards, criteria lists and overviews should reload.
    """

    referentiel_changed = Signal(object)

    def __init__(self, service: ReferentielService, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._service = service
        self._base: Referentiel | None = None
        self._base_json: dict[str, Any] = {}
        self._draft: dict[str, Any] = {}
        self._original: dict[int, tuple[dict[str, Any], dict[str, Any]]] = {}
        """Draft object id → (draft object, the same item in the stored version)."""
        self._cc_titles: dict[str, CommonCompetency] = {}
        self._nodes: dict[int, _Node] = {}
        self._current: _Node | None = None
        self._filling = False
        self._close_after_apply = False
        self.preview_dialog: ReferentielPreviewDialog | None = None
        self.setWindowTitle(self.tr("Référentiel"))
        self.resize(1240, 760)

        layout = QVBoxLayout(self)
        layout.addLayout(self._build_header())
        self.read_only_note = QLabel(
            self.tr(
                "Lecture seule : seuls les enseignants, le DDFPT et l'administrateur "
                "modifient le référentiel."
            )
        )
        self.read_only_note.setStyleSheet(
            "background: #fff3e0; color: #e65100; padding: 4px; font-weight: bold;"
        )
        self.read_only_note.setVisible(not service.may_edit)
        layout.addWidget(self.read_only_note)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._build_tree_panel())
        splitter.addWidget(self._build_form_panel())
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([720, 500])
        layout.addWidget(splitter, 1)
        layout.addLayout(self._build_problems())
        layout.addLayout(self._build_buttons())
        QShortcut(QKeySequence.StandardKey.Save, self, self.save)
        QShortcut(QKeySequence.StandardKey.Find, self, self.search.setFocus)
        self._apply_permissions()
        self.reload()
        self.tree.setFocus()

    # -- building ------------------------------------------------------------------

    def _build_header(self) -> QHBoxLayout:
        self.title_label = QLabel()
        self.title_label.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.title_label.setWordWrap(True)
        self.version_edit = QLineEdit()
        self.version_edit.setMaximumWidth(110)
        self.version_edit.setToolTip(self.tr("Numéro de la version enregistrée (ex. 0.2)"))
        self.version_edit.textChanged.connect(self._on_version_changed)
        version_label = QLabel(self.tr("&Version :"))
        version_label.setBuddy(self.version_edit)
        header = QHBoxLayout()
        header.addWidget(self.title_label, 1)
        header.addWidget(version_label)
        header.addWidget(self.version_edit)
        return header

    def _build_tree_panel(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        self.search = QLineEdit()
        self.search.setPlaceholderText(self.tr("Rechercher (code, texte ou CC)…"))
        self.search.setClearButtonEnabled(True)
        self.search.textChanged.connect(self._filter_tree)
        layout.addWidget(self.search)
        self.tree = QTreeWidget()
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels([self.tr("Code"), self.tr("Intitulé / critère"), self.tr("CC")])
        self.tree.setUniformRowHeights(True)
        header = self.tree.header()
        header.setStretchLastSection(False)
        header.setSectionResizeMode(CODE_COLUMN, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(TEXT_COLUMN, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(CC_COLUMN, QHeaderView.ResizeMode.ResizeToContents)
        self.tree.setColumnWidth(CODE_COLUMN, 190)
        self.tree.setAccessibleName(self.tr("Spécialités, compétences et critères"))
        self.tree.currentItemChanged.connect(self._on_current_item_changed)
        layout.addWidget(self.tree, 1)
        buttons = QHBoxLayout()
        self.add_specialty_button = QPushButton(self.tr("Ajouter une spécialité"))
        self.add_competency_button = QPushButton(self.tr("Ajouter une compétence"))
        self.add_criterion_button = QPushButton(self.tr("Ajouter un critère"))
        self.remove_button = QPushButton(self.tr("Supprimer"))
        self.add_specialty_button.clicked.connect(self.add_specialty)
        self.add_competency_button.clicked.connect(self.add_competency)
        self.add_criterion_button.clicked.connect(self.add_criterion)
        self.remove_button.clicked.connect(self.remove_current)
        for button in (
            self.add_specialty_button,
            self.add_competency_button,
            self.add_criterion_button,
        ):
            buttons.addWidget(button)
        buttons.addStretch(1)
        buttons.addWidget(self.remove_button)
        layout.addLayout(buttons)
        return panel

    def _build_form_panel(self) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        self.pages = QStackedWidget()
        empty = QLabel(self.tr("Choisissez une spécialité, une compétence ou un critère."))
        empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty.setWordWrap(True)
        self.pages.addWidget(empty)
        self.pages.addWidget(self._build_specialty_page())
        self.pages.addWidget(self._build_competency_page())
        self.pages.addWidget(self._build_criterion_page())
        layout.addWidget(self.pages, 1)
        legend = QLabel(
            self.tr(
                "Dans l'arbre, <span style='color:%1'><i>en vert italique</i></span> : ajouté ; "
                "<span style='color:%2'><b>en bleu gras</b></span> : modifié. Rien n'est "
                "enregistré avant « Enregistrer… » puis « Appliquer »."
            )
            .replace("%1", ADDED_COLOUR.name())
            .replace("%2", CHANGED_COLOUR.name())
        )
        legend.setWordWrap(True)
        legend.setStyleSheet("color: #555;")
        layout.addWidget(legend)
        return panel

    def _form(self, heading: str) -> tuple[QWidget, QFormLayout]:
        page = QWidget()
        column = QVBoxLayout(page)
        title = QLabel(heading)
        title.setStyleSheet("font-size: 12pt; font-weight: bold;")
        column.addWidget(title)
        form = QFormLayout()
        form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.DontWrapRows)
        column.addLayout(form)
        # The fields stay together at the top; the rest of the height is empty.
        column.addStretch(1)
        return page, form

    def _code_edit(self) -> QLineEdit:
        edit = QLineEdit()
        edit.setValidator(QRegularExpressionValidator(CODE_VALIDATION, edit))
        return edit

    def _build_specialty_page(self) -> QWidget:
        page, form = self._form(self.tr("Spécialité"))
        self.specialty_code = self._code_edit()
        self.specialty_code.textChanged.connect(lambda text: self._set_field("code", text))
        self.specialty_title = QLineEdit()
        self.specialty_title.textChanged.connect(lambda text: self._set_field("title", text))
        self.specialty_info = QLabel()
        self.specialty_info.setWordWrap(True)
        self.specialty_info.setStyleSheet("color: #555;")
        form.addRow(self.tr("Co&de :"), self.specialty_code)
        form.addRow(self.tr("&Intitulé :"), self.specialty_title)
        form.addRow(self.specialty_info)
        return page

    def _build_competency_page(self) -> QWidget:
        page, form = self._form(self.tr("Compétence"))
        self.competency_specialty = QLabel()
        self.competency_code = self._code_edit()
        self.competency_code.setPlaceholderText(self.tr("ex. C1.1"))
        self.competency_code.textChanged.connect(lambda text: self._set_field("code", text))
        self.competency_title = QPlainTextEdit()
        self.competency_title.setTabChangesFocus(True)
        self.competency_title.setFixedHeight(70)
        self.competency_title.textChanged.connect(
            lambda: self._set_field("title", self.competency_title.toPlainText())
        )
        self.competency_info = QLabel()
        self.competency_info.setWordWrap(True)
        self.competency_info.setStyleSheet("color: #555;")
        form.addRow(self.tr("Spécialité :"), self.competency_specialty)
        form.addRow(self.tr("Co&de :"), self.competency_code)
        form.addRow(self.tr("&Intitulé :"), self.competency_title)
        form.addRow(self.competency_info)
        return page

    def _build_criterion_page(self) -> QWidget:
        page, form = self._form(self.tr("Critère (indicateur de performance)"))
        self.criterion_competency = QLabel()
        self.criterion_competency.setWordWrap(True)
        self.criterion_id = self._code_edit()
        self.criterion_id.textChanged.connect(lambda text: self._set_field("id", text))
        self.criterion_text = QPlainTextEdit()
        self.criterion_text.setTabChangesFocus(True)
        self.criterion_text.setFixedHeight(96)
        self.criterion_text.textChanged.connect(
            lambda: self._set_field("text", self.criterion_text.toPlainText())
        )
        self.criterion_cc = QComboBox()
        self.criterion_cc.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.criterion_cc.setMinimumContentsLength(24)
        self.criterion_cc.setAccessibleName(self.tr("Compétence commune du critère"))
        self.criterion_cc.currentIndexChanged.connect(
            lambda _i: self._set_field("cc", self.criterion_cc.currentData() or "")
        )
        self.cc_title = QLabel()
        self.cc_title.setWordWrap(True)
        self.cc_title.setStyleSheet("color: #555;")
        self.criterion_confidence = QComboBox()
        for value, label in CONFIDENCES:
            self.criterion_confidence.addItem(self.tr(label), value)
        self.criterion_confidence.setToolTip(
            self.tr("À quel point la correspondance avec la CC est sûre (facultatif)")
        )
        self.criterion_confidence.currentIndexChanged.connect(
            lambda _i: self._set_field("confidence", self.criterion_confidence.currentData())
        )
        self.criterion_hint = QLabel()
        self.criterion_hint.setWordWrap(True)
        self.criterion_hint.setStyleSheet("color: #555;")
        form.addRow(self.tr("Compétence :"), self.criterion_competency)
        form.addRow(self.tr("Identi&fiant :"), self.criterion_id)
        form.addRow(self.tr("&Texte :"), self.criterion_text)
        form.addRow(self.tr("&CC :"), self.criterion_cc)
        form.addRow("", self.cc_title)
        form.addRow(self.tr("C&onfiance :"), self.criterion_confidence)
        form.addRow(self.criterion_hint)
        return page

    def _build_problems(self) -> QVBoxLayout:
        box = QVBoxLayout()
        self.problems_label = QLabel(
            self.tr("Le référentiel n'est pas valide, rien n'a été enregistré :")
        )
        self.problems_label.setStyleSheet("color: #b71c1c; font-weight: bold;")
        self.problem_list = QListWidget()
        self.problem_list.setMaximumHeight(110)
        self.problem_list.setStyleSheet("color: #b71c1c;")
        self.problem_list.setAccessibleName(self.tr("Problèmes à corriger"))
        self.problem_list.itemActivated.connect(lambda item: self._select_problem(item.text()))
        self.problem_list.itemClicked.connect(lambda item: self._select_problem(item.text()))
        box.addWidget(self.problems_label)
        box.addWidget(self.problem_list)
        self._show_problems(())
        return box

    def _build_buttons(self) -> QHBoxLayout:
        row = QHBoxLayout()
        self.import_button = QPushButton(self.tr("Importer…"))
        self.import_button.setToolTip(self.tr("Importer un référentiel (fichier JSON)"))
        self.export_button = QPushButton(self.tr("Exporter…"))
        self.export_button.setToolTip(
            self.tr("Exporter la version enregistrée (JSON ou paquet 1EdTech CASE)")
        )
        self.status = QLabel()
        self.status.setStyleSheet("color: #1b5e20;")
        self.revert_button = QPushButton(self.tr("Annuler les modifications"))
        self.save_button = QPushButton(self.tr("Enregistrer…"))
        close = QPushButton(self.tr("Fermer"))
        # clicked(bool) would land in the path parameter.
        self.import_button.clicked.connect(lambda: self.import_file())
        self.export_button.clicked.connect(lambda: self.export_file())
        self.revert_button.clicked.connect(self.revert)
        self.save_button.clicked.connect(self.save)
        close.clicked.connect(self.reject)
        for button in (self.import_button, self.export_button):
            row.addWidget(button)
        row.addWidget(self.status, 1)
        for button in (self.revert_button, self.save_button, close):
            row.addWidget(button)
        for button in self.findChildren(QPushButton):
            # Enter finishes a field; it must never save or close by surprise.
            button.setAutoDefault(False)
            button.setDefault(False)
        return row

    def _apply_permissions(self) -> None:
        editable = self._service.may_edit
        for edit in (
            self.version_edit,
            self.specialty_code,
            self.specialty_title,
            self.competency_code,
            self.criterion_id,
        ):
            edit.setReadOnly(not editable)
        self.competency_title.setReadOnly(not editable)
        self.criterion_text.setReadOnly(not editable)
        self.criterion_cc.setEnabled(editable)
        self.criterion_confidence.setEnabled(editable)
        self.import_button.setEnabled(editable)

    # -- loading -------------------------------------------------------------------

    def reload(self, select: tuple[str, ...] | None = None) -> None:
        """Read the stored référentiel again; the draft's edits are dropped."""
        self._base = self._service.current()
        self._base_json = referentiel_to_json(self._base)
        self._draft = copy.deepcopy(self._base_json)
        self._original = {}
        pairs = zip(self._base_json["specialties"], self._draft["specialties"], strict=True)
        for stored_specialty, specialty in pairs:
            self._remember(stored_specialty, specialty)
            competencies = zip(
                stored_specialty["competencies"], specialty["competencies"], strict=True
            )
            for stored_competency, competency in competencies:
                self._remember(stored_competency, competency)
                criteria = zip(stored_competency["criteria"], competency["criteria"], strict=True)
                for stored_criterion, criterion in criteria:
                    self._remember(stored_criterion, criterion)
        self._fill_cc_combo(self._base)
        self.title_label.setText(self._base.title)
        with QSignalBlocker(self.version_edit):
            self.version_edit.setText(self._base.version)
        self._show_problems(())
        self._rebuild_tree(select)

    def _remember(self, stored: dict[str, Any], draft: dict[str, Any]) -> None:
        # Identity, not code, tells a stored item (a new one may reuse a code by
        # mistake); holding the draft object keeps its id() from being reused.
        self._original[id(draft)] = (draft, stored)

    def _fill_cc_combo(self, ref: Referentiel) -> None:
        self._cc_titles = {cc.code: cc for cc in ref.common_competencies}
        with QSignalBlocker(self.criterion_cc):
            self.criterion_cc.clear()
            self.criterion_cc.addItem(self.tr("— à choisir —"), "")
            for cc in ref.common_competencies:
                self.criterion_cc.addItem(f"{cc.code} — {cc.title}", cc.code)
                self.criterion_cc.setItemData(
                    self.criterion_cc.count() - 1, cc.title, Qt.ItemDataRole.ToolTipRole
                )
        # Long CC titles: let the popup be wider than the combo.
        self.criterion_cc.view().setMinimumWidth(620)

    def _rebuild_tree(self, select: tuple[str, ...] | None = None) -> None:
        if select is None and self._current is not None:
            select = self._current.key()
        expanded = {node.key() for node in self._nodes.values() if node.item.isExpanded()} or None
        self._current = None
        self._nodes = {}
        with QSignalBlocker(self.tree):
            self.tree.clear()
            for specialty in self._draft["specialties"]:
                top = self._add_node(Kind.SPECIALTY, specialty, None)
                for competency in specialty["competencies"]:
                    middle = self._add_node(Kind.COMPETENCY, competency, top)
                    for criterion in competency["criteria"]:
                        self._add_node(Kind.CRITERION, criterion, middle)
            for node in self._nodes.values():
                if expanded is None:
                    node.item.setExpanded(node.kind is Kind.SPECIALTY)
                else:
                    node.item.setExpanded(node.key() in expanded)
        target = self._find(select) if select else None
        if target is not None:
            self.tree.setCurrentItem(target.item)
            self.tree.scrollToItem(target.item)
        else:
            self._on_current_item_changed(None, None)
        self._filter_tree(self.search.text())
        self._update_state()

    def _add_node(self, kind: Kind, data: dict[str, Any], parent: _Node | None) -> _Node:
        item = QTreeWidgetItem()
        original = self._original.get(id(data))
        stored = original[1] if original and original[0] is data else None
        node = _Node(kind, data, item, parent, stored)
        serial = len(self._nodes)
        item.setData(CODE_COLUMN, NODE_ROLE, serial)
        self._nodes[serial] = node
        if parent is None:
            self.tree.addTopLevelItem(item)
        else:
            parent.item.addChild(item)
        self._paint(node)
        return node

    def _find(self, key: tuple[str, ...] | None) -> _Node | None:
        return next((node for node in self._nodes.values() if node.key() == key), None)

    def _node_of(self, item: QTreeWidgetItem | None) -> _Node | None:
        if item is None:
            return None
        return self._nodes.get(item.data(CODE_COLUMN, NODE_ROLE))

    def _paint(self, node: _Node) -> None:
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
        if node.stored is None:
            state, brush = self.tr("Ajouté, pas encore enregistré."), QBrush(ADDED_COLOUR)
            font.setItalic(True)
        elif node.changed:
            state, brush = self.tr("Modifié, pas encore enregistré."), QBrush(CHANGED_COLOUR)
            font.setBold(True)
        for column in (CODE_COLUMN, TEXT_COLUMN, CC_COLUMN):
            item.setFont(column, font)
            item.setForeground(column, brush)
        if not text:
            item.setForeground(TEXT_COLUMN, QBrush(EMPTY_COLOUR))
        tip = f"{node.code}\n{text}"
        if node.kind is Kind.CRITERION and (cc := self._cc_titles.get(str(data.get("cc")))):
            tip += f"\n→ {cc.code} — {cc.title}"
        item.setToolTip(CODE_COLUMN, "\n".join(filter(None, (tip, state))))
        item.setToolTip(TEXT_COLUMN, item.toolTip(CODE_COLUMN))

    # -- selection and form --------------------------------------------------------

    @property
    def current_node(self) -> _Node | None:
        return self._current

    def _on_current_item_changed(
        self, current: QTreeWidgetItem | None, _previous: QTreeWidgetItem | None
    ) -> None:
        self._current = self._node_of(current)
        self._fill_form()
        self._update_state()

    def _fill_form(self) -> None:
        node = self._current
        self._filling = True
        try:
            if node is None:
                self.pages.setCurrentIndex(0)
            elif node.kind is Kind.SPECIALTY:
                self._fill_specialty(node)
            elif node.kind is Kind.COMPETENCY:
                self._fill_competency(node)
            else:
                self._fill_criterion(node)
        finally:
            self._filling = False

    def _fill_specialty(self, node: _Node) -> None:
        self.pages.setCurrentIndex(1)
        self.specialty_code.setText(node.code)
        self.specialty_code.setReadOnly(node.stored is not None or not self._service.may_edit)
        self.specialty_title.setText(str(node.data.get("title", "")))
        info = []
        if reference := node.data.get("reference"):
            info.append(self.tr("Texte de référence : %1").replace("%1", str(reference)))
        competencies = node.data.get("competencies", [])
        info.append(count(len(competencies), "compétence"))
        if not competencies:
            info.append(
                self.tr(
                    "Aucune compétence pour l'instant : ajoutez celles du référentiel officiel "
                    "de la spécialité avec « Ajouter une compétence », puis leurs critères avec "
                    "« Ajouter un critère »."
                )
            )
        self.specialty_info.setText("\n".join(info))

    def _fill_competency(self, node: _Node) -> None:
        self.pages.setCurrentIndex(2)
        specialty = node.parent.data if node.parent else {}
        self.competency_specialty.setText(
            f"{specialty.get('code', '')} — {specialty.get('title', '')}"
        )
        self.competency_code.setText(node.code)
        self.competency_code.setReadOnly(node.stored is not None or not self._service.may_edit)
        self.competency_code.setToolTip(
            self.tr("Le code d'une compétence enregistrée ne change plus.")
            if node.stored is not None
            else ""
        )
        self.competency_title.setPlainText(str(node.data.get("title", "")))
        self.competency_info.setText(count(len(node.data.get("criteria", [])), "critère"))

    def _fill_criterion(self, node: _Node) -> None:
        self.pages.setCurrentIndex(3)
        competency = node.parent
        specialty = competency.parent if competency else None
        if competency is not None and specialty is not None:
            self.criterion_competency.setText(
                f"[{specialty.code}] {competency.code} — {competency.data.get('title', '')}"
            )
        self.criterion_id.setText(node.code)
        stored = node.stored is not None
        self.criterion_id.setReadOnly(stored or not self._service.may_edit)
        self.criterion_id.setToolTip(
            self.tr(
                "L'identifiant d'un critère enregistré ne change plus : les résultats le citent."
            )
            if stored
            else self.tr("Modifiable jusqu'au premier enregistrement.")
        )
        self.criterion_text.setPlainText(str(node.data.get("text", "")))
        _select_data(self.criterion_cc, str(node.data.get("cc", "")))
        _select_data(self.criterion_confidence, node.data.get("confidence"))
        self._show_cc_title()
        self.criterion_hint.setText(
            self.tr("L'identifiant ne change plus une fois enregistré.")
            if stored
            else self.tr(
                "Nouveau critère : son identifiant reste modifiable jusqu'au premier "
                "enregistrement."
            )
        )

    def _show_cc_title(self) -> None:
        cc = self._cc_titles.get(self.criterion_cc.currentData() or "")
        if cc is None:
            self.cc_title.setText(self.tr("Choisissez la compétence commune évaluée."))
        else:
            group = f" ({cc.group_code} {cc.group_label})" if cc.group_label else ""
            self.cc_title.setText(f"{cc.title}{group}")

    def _set_field(self, name: str, value: Any) -> None:
        node = self._current
        if self._filling or node is None or not self._service.may_edit:
            return
        if isinstance(value, str):
            # One statement per criterion: line breaks and double spaces are typing noise.
            value = " ".join(value.split())
        if name == "confidence" and not value:
            node.data.pop("confidence", None)
        else:
            node.data[name] = value
        if name == "cc":
            self._show_cc_title()
        self._paint(node)
        if node.parent is not None:
            self._paint(node.parent)
        self._update_state()

    def _on_version_changed(self, text: str) -> None:
        if self._service.may_edit and self._draft:
            self._draft["version"] = text.strip()
            self._update_state()

    # -- adding and removing -------------------------------------------------------

    def _ancestor(self, kind: Kind) -> _Node | None:
        node = self._current
        while node is not None and node.kind is not kind:
            node = node.parent
        return node

    def add_specialty(self) -> _Node | None:
        """A new, empty specialty at the end; its code is typed first."""
        if not self._service.may_edit:
            return None
        data: dict[str, Any] = {"code": "", "title": "", "competencies": []}
        self._draft["specialties"].append(data)
        return self._after_add(data, self.specialty_code)

    def add_competency(self) -> _Node | None:
        """A new competency at the end of the selected specialty, with a proposed code."""
        specialty = self._ancestor(Kind.SPECIALTY)
        if specialty is None or not self._service.may_edit:
            return None
        siblings = specialty.data.setdefault("competencies", [])
        taken = {str(c.get("code", "")) for c in siblings}
        number = len(siblings) + 1
        while f"C{number}" in taken:
            number += 1
        data: dict[str, Any] = {"code": f"C{number}", "title": "", "criteria": []}
        siblings.append(data)
        return self._after_add(data, self.competency_title)

    def add_criterion(self) -> _Node | None:
        """A new criterion at the end of the selected competency, id like MSPC-C1-01."""
        competency = self._ancestor(Kind.COMPETENCY)
        if competency is None or competency.parent is None or not self._service.may_edit:
            return None
        siblings = competency.data.setdefault("criteria", [])
        data: dict[str, Any] = {
            "id": self.propose_criterion_id(competency),
            "text": "",
            # Criteria of one competency often serve the same CC: start from the last one's.
            "cc": str(siblings[-1].get("cc", "")) if siblings else "",
        }
        siblings.append(data)
        return self._after_add(data, self.criterion_text)

    def propose_criterion_id(self, competency: _Node) -> str:
        """specialty-competency-next number, e.g. MSPC-C1-03, not used anywhere yet."""
        specialty = competency.parent.code if competency.parent else ""
        prefix = f"{specialty}-{competency.code}-"
        taken = {node.code for node in self._nodes.values() if node.kind is Kind.CRITERION}
        numbers = [
            int(match.group(1))
            for criterion in competency.data.get("criteria", [])
            if (match := re.fullmatch(re.escape(prefix) + r"(\d+)", str(criterion.get("id"))))
        ]
        number = max(numbers, default=0) + 1
        while f"{prefix}{number:02d}" in taken:
            number += 1
        return f"{prefix}{number:02d}"

    def _after_add(self, data: dict[str, Any], focus: QWidget) -> _Node | None:
        self._rebuild_tree(select=None)
        node = next((n for n in self._nodes.values() if n.data is data), None)
        if node is not None:
            self.tree.setCurrentItem(node.item)
            self.tree.scrollToItem(node.item)
            focus.setFocus()
        self.status.clear()
        return node

    def remove_current(self) -> bool:
        """Remove the selected item (and what it holds) from the draft.

        An item already in the database is first checked with the service: if it is
        in use, the service's reasons are shown and the draft does not change.
        """
        node = self._current
        if node is None or not self._service.may_edit:
            return False
        if node.stored is not None:
            problems = self._removal_problems(node)
            if problems is None:
                return False
            if problems:
                messages.show_error(
                    self,
                    "\n".join(
                        [
                            self.tr("« %1 » ne peut pas être supprimé :").replace("%1", node.code),
                            *(f"- {p}" for p in problems),
                        ]
                    ),
                )
                return False
        owner = node.parent.data[CHILDREN[node.parent.kind]] if node.parent else None
        siblings: list[dict[str, Any]] = owner if owner is not None else self._draft["specialties"]
        index = next(i for i, d in enumerate(siblings) if d is node.data)
        del siblings[index]
        # Select the next sibling, else the previous one, else the parent.
        neighbour = siblings[min(index, len(siblings) - 1)] if siblings else None
        self._current = None
        self._rebuild_tree(select=None)
        target = next(
            (n for n in self._nodes.values() if neighbour is not None and n.data is neighbour),
            None,
        ) or (self._find(node.parent.key()) if node.parent else None)
        if target is not None:
            self.tree.setCurrentItem(target.item)
        return True

    def _removal_problems(self, node: _Node) -> tuple[str, ...] | None:
        """Why the stored version could not lose this item (None: the check failed)."""
        candidate = copy.deepcopy(self._base_json)
        key = node.key()
        for specialty in list(candidate["specialties"]):
            if key == ("specialty", specialty["code"]):
                candidate["specialties"].remove(specialty)
                continue
            for competency in list(specialty["competencies"]):
                if key == ("competency", specialty["code"], competency["code"]):
                    specialty["competencies"].remove(competency)
                    continue
                competency["criteria"] = [
                    c for c in competency["criteria"] if key != ("criterion", c["id"])
                ]
        try:
            return self._service.preview(parse_referentiel(candidate)).problems
        except LivretError as exc:
            messages.show_error(self, exc.message)
            return None

    # -- state, filter, problems ---------------------------------------------------

    def is_dirty(self) -> bool:
        """The draft differs from the stored version."""
        return bool(self._draft) and self._draft != self._base_json

    def _update_state(self) -> None:
        editable = self._service.may_edit
        dirty = self.is_dirty()
        self.save_button.setEnabled(editable and dirty)
        self.revert_button.setEnabled(editable and dirty)
        self.add_specialty_button.setEnabled(editable)
        self.add_competency_button.setEnabled(
            editable and self._ancestor(Kind.SPECIALTY) is not None
        )
        self.add_criterion_button.setEnabled(
            editable and self._ancestor(Kind.COMPETENCY) is not None
        )
        self.remove_button.setEnabled(editable and self._current is not None)
        title = self.tr("Référentiel")
        self.setWindowTitle(f"{title} *" if dirty else title)

    def _filter_tree(self, text: str) -> None:
        needle = sort_key(text)
        keep = set()
        node = self._current
        while node is not None:
            # The selected item (a new one, say) stays visible whatever the search.
            keep.add(id(node))
            node = node.parent
        for top in _children(self.tree.invisibleRootItem()):
            self._filter_item(top, needle, False, keep)

    def _filter_item(
        self, item: QTreeWidgetItem, needle: str, ancestor_matches: bool, keep: set[int]
    ) -> bool:
        node = self._node_of(item)
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

    def _show_problems(self, problems: tuple[str, ...] | list[str]) -> None:
        self.problem_list.clear()
        self.problem_list.addItems(list(problems))
        self.problems_label.setVisible(bool(problems))
        self.problem_list.setVisible(bool(problems))

    def problems(self) -> list[str]:
        """The validation problems shown under the tree."""
        return [
            item.text()
            for row in range(self.problem_list.count())
            if (item := self.problem_list.item(row)) is not None
        ]

    def _select_problem(self, text: str) -> None:
        """Go to the item a validation problem names (« Critère X : … »)."""
        where = text.split(" : ", 1)[0]
        target: _Node | None = None
        best = -1
        for node in self._nodes.values():
            name = _problem_name(node)
            if (where == name or where.startswith(f"{name},")) and len(name) > best:
                target, best = node, len(name)
        rank = re.search(r"(?:Spécialité|compétence|critère) n° (\d+)$", where)
        if rank is not None:
            siblings = [n for n in self._nodes.values() if n.parent is target]
            position = int(rank.group(1)) - 1
            target = siblings[position] if 0 <= position < len(siblings) else target
        if target is not None:
            self.tree.setCurrentItem(target.item)
            self.tree.scrollToItem(target.item)

    # -- saving --------------------------------------------------------------------

    def build_new_version(self) -> Referentiel | None:
        """The draft as a checked référentiel, or None (its problems are then listed)."""
        try:
            new = parse_referentiel(self._draft)
        except InvalidReferentiel as exc:
            self._show_problems(exc.problems)
            return None
        self._show_problems(())
        return new

    def save(self) -> ReferentielPreviewDialog | None:
        """Enregistrer…: validate, then show the preview; "Appliquer" writes the new version."""
        if not self._service.may_edit or not self.is_dirty():
            return None
        new = self.build_new_version()
        if new is None:
            self.status.clear()
            return None
        notes: list[str] = []
        try:
            if self._service.current() != self._base:
                notes.append(
                    self.tr(
                        "le référentiel a été modifié ailleurs depuis l'ouverture de l'éditeur : "
                        "les changements ci-dessous peuvent défaire ceux-là. Annulez et "
                        "rouvrez l'éditeur en cas de doute."
                    )
                )
        except LivretError as exc:
            messages.show_error(self, exc.message)
            return None
        dialog = open_preview(self, self._service, new, notes=notes)
        self.preview_dialog = dialog
        if dialog is not None:
            dialog.applied.connect(self._on_applied)
            dialog.rejected.connect(self._on_preview_rejected)
        return dialog

    def _on_preview_rejected(self) -> None:
        self._close_after_apply = False

    def _on_applied(self, preview: ReferentielPreview) -> None:
        select = self._current.key() if self._current is not None else None
        self._current = None
        self._reload_or_report(select)
        self.status.setText(
            self.tr("Référentiel enregistré : %1.").replace(
                "%1", count(len(preview.changes.lines()), "changement")
            )
        )
        self.referentiel_changed.emit(preview)
        if self._close_after_apply:
            self._close_after_apply = False
            super().reject()

    def _reload_or_report(self, select: tuple[str, ...] | None = None) -> None:
        try:
            self.reload(select)
        except LivretError as exc:
            messages.show_error(self, exc.message)

    def revert(self) -> None:
        """Annuler les modifications: back to the stored version."""
        select = self._current.key() if self._current is not None else None
        self._current = None
        self._reload_or_report(select)
        self.status.clear()

    # -- exchange ------------------------------------------------------------------

    def import_file(self, path: Path | None = None) -> ReferentielPreviewDialog | None:
        """Importer…: a JSON file replaces the référentiel after its preview."""
        if self.is_dirty():
            messages.show_error(
                self,
                self.tr(
                    "Enregistrez ou annulez d'abord vos modifications : l'import remplace "
                    "tout le référentiel."
                ),
            )
            return None
        dialog = import_referentiel(self, self._service, path)
        self.preview_dialog = dialog
        if dialog is not None:
            dialog.applied.connect(self._on_applied)
        return dialog

    def export_file(self, path: Path | None = None, fmt: ExportFormat = "json") -> Path | None:
        """Exporter…: the stored version (not the unsaved edits) as JSON or CASE."""
        written = export_referentiel(self, self._service, path, fmt)
        if written is not None:
            self.status.setText(self.tr("Exporté dans « %1 ».").replace("%1", str(written)))
        return written

    def reject(self) -> None:
        """Override QDialog::reject (Escape, Fermer, the window's close): no silent loss.

        QDialog::closeEvent goes through reject(); not calling the base keeps it open.
        """
        if self.is_dirty() and self._service.may_edit:
            choice = ask_unsaved(self)
            if choice is UnsavedChoice.CANCEL:
                return
            if choice is UnsavedChoice.SAVE:
                # The preview decides: the editor closes once the version is applied.
                self._close_after_apply = self.save() is not None
                return
        super().reject()


def open_referentiel_editor(
    parent: QWidget | None, services: Services | ReferentielService
) -> ReferentielEditor | None:
    """Show the référentiel editor (not modal); None if the référentiel cannot be read.

    Connect `referentiel_changed` to reload what shows criteria or CCs.
    """
    try:
        editor = ReferentielEditor(referentiel_service(services), parent)
    except LivretError as exc:
        if parent is not None:
            messages.show_error(parent, exc.message)
        return None
    editor.show()
    return editor


def _problem_name(node: _Node) -> str:
    """How parse_referentiel names this item in its problems."""
    if node.kind is Kind.CRITERION:
        return f"Critère {node.code}"
    if node.kind is Kind.COMPETENCY:
        return f"Compétence [{node.parent.code if node.parent else ''}] {node.code}"
    return f"Spécialité {node.code}"


def _select_data(combo: QComboBox, value: Any) -> None:
    index = combo.findData(value)
    if index < 0 and value:
        combo.addItem(str(value), value)
        index = combo.count() - 1
    combo.setCurrentIndex(max(index, 0))


def _children(item: QTreeWidgetItem) -> list[QTreeWidgetItem]:
    return [child for i in range(item.childCount()) if (child := item.child(i)) is not None]
