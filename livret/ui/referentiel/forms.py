"""The form beside the référentiel tree: one page per kind of item, with the CC combo."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QRegularExpression, QSignalBlocker, Qt, Signal
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from livret.domain.referentiel import CommonCompetency
from livret.ui.referentiel.draft import Kind
from livret.ui.referentiel.tree import Node
from livret.ui.text import count
from livret.ui.theme import css, themed_style_sheet

# What parse_referentiel accepts, minus the length rule it reports itself.
CODE_VALIDATION = QRegularExpression(r"[A-Za-z0-9._-]{0,100}")
CONFIDENCES = (
    (None, "— non précisée"),
    ("high", "élevée (high)"),
    ("medium", "moyenne (medium)"),
    ("low", "faible (low)"),
)
EMPTY_PAGE, SPECIALTY_PAGE, COMPETENCY_PAGE, CRITERION_PAGE = range(4)


class ReferentielForms(QStackedWidget):
    """The fields of the selected specialty, competency or criterion.

    Ids and codes of stored items are read-only: results and bilans name them. Read-only
    altogether when the user may not edit the référentiel.

    Signals:
        edited(str, object): the user changed a field of the shown item (JSON name, value);
            never emitted while show_node() fills the fields.
    """

    edited = Signal(str, object)

    def __init__(self, editable: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._editable = editable
        self._filling = False
        self.cc_titles: dict[str, CommonCompetency] = {}
        """CC code → CC, as filled by fill_cc_combo()."""
        empty = QLabel(self.tr("Choisissez une spécialité, une compétence ou un critère."))
        empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        empty.setWordWrap(True)
        self.addWidget(empty)
        self.addWidget(self._build_specialty_page())
        self.addWidget(self._build_competency_page())
        self.addWidget(self._build_criterion_page())
        for edit in (self.specialty_code, self.specialty_title, self.competency_code):
            edit.setReadOnly(not editable)
        self.criterion_id.setReadOnly(not editable)
        self.competency_title.setReadOnly(not editable)
        self.criterion_text.setReadOnly(not editable)
        self.criterion_cc.setEnabled(editable)
        self.criterion_confidence.setEnabled(editable)

    # -- building ------------------------------------------------------------------

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

    def _info_label(self) -> QLabel:
        label = QLabel()
        label.setWordWrap(True)
        themed_style_sheet(label, lambda theme: f"color: {css(theme.hint_text)};")
        return label

    def _build_specialty_page(self) -> QWidget:
        page, form = self._form(self.tr("Spécialité"))
        self.specialty_code = self._code_edit()
        self.specialty_code.textChanged.connect(lambda text: self._edited("code", text))
        self.specialty_title = QLineEdit()
        self.specialty_title.textChanged.connect(lambda text: self._edited("title", text))
        self.specialty_info = self._info_label()
        form.addRow(self.tr("Co&de :"), self.specialty_code)
        form.addRow(self.tr("&Intitulé :"), self.specialty_title)
        form.addRow(self.specialty_info)
        return page

    def _build_competency_page(self) -> QWidget:
        page, form = self._form(self.tr("Compétence"))
        self.competency_specialty = QLabel()
        self.competency_code = self._code_edit()
        self.competency_code.setPlaceholderText(self.tr("ex. C1.1"))
        self.competency_code.textChanged.connect(lambda text: self._edited("code", text))
        self.competency_title = QPlainTextEdit()
        self.competency_title.setTabChangesFocus(True)
        self.competency_title.setFixedHeight(70)
        self.competency_title.textChanged.connect(
            lambda: self._edited("title", self.competency_title.toPlainText())
        )
        self.competency_info = self._info_label()
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
        self.criterion_id.textChanged.connect(lambda text: self._edited("id", text))
        self.criterion_text = QPlainTextEdit()
        self.criterion_text.setTabChangesFocus(True)
        self.criterion_text.setFixedHeight(96)
        self.criterion_text.textChanged.connect(
            lambda: self._edited("text", self.criterion_text.toPlainText())
        )
        self.criterion_cc = QComboBox()
        self.criterion_cc.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.criterion_cc.setMinimumContentsLength(24)
        self.criterion_cc.setAccessibleName(self.tr("Compétence commune du critère"))
        self.criterion_cc.currentIndexChanged.connect(
            lambda _i: self._edited("cc", self.criterion_cc.currentData() or "")
        )
        self.cc_title = self._info_label()
        self.criterion_confidence = QComboBox()
        for value, label in CONFIDENCES:
            self.criterion_confidence.addItem(self.tr(label), value)
        self.criterion_confidence.setToolTip(
            self.tr("À quel point la correspondance avec la CC est sûre (facultatif)")
        )
        self.criterion_confidence.currentIndexChanged.connect(
            lambda _i: self._edited("confidence", self.criterion_confidence.currentData())
        )
        self.criterion_hint = self._info_label()
        form.addRow(self.tr("Compétence :"), self.criterion_competency)
        form.addRow(self.tr("Identi&fiant :"), self.criterion_id)
        form.addRow(self.tr("&Texte :"), self.criterion_text)
        form.addRow(self.tr("&CC :"), self.criterion_cc)
        form.addRow("", self.cc_title)
        form.addRow(self.tr("C&onfiance :"), self.criterion_confidence)
        form.addRow(self.criterion_hint)
        return page

    def _edited(self, name: str, value: Any) -> None:
        if not self._filling:
            self.edited.emit(name, value)

    def fill_cc_combo(self, common_competencies: Sequence[CommonCompetency]) -> None:
        """The common competencies a criterion may serve, in this order."""
        self.cc_titles = {cc.code: cc for cc in common_competencies}
        with QSignalBlocker(self.criterion_cc):
            self.criterion_cc.clear()
            self.criterion_cc.addItem(self.tr("— à choisir —"), "")
            for cc in common_competencies:
                self.criterion_cc.addItem(f"{cc.code} — {cc.title}", cc.code)
                self.criterion_cc.setItemData(
                    self.criterion_cc.count() - 1, cc.title, Qt.ItemDataRole.ToolTipRole
                )
        # Long CC titles: let the popup be wider than the combo.
        self.criterion_cc.view().setMinimumWidth(620)

    # -- showing an item -----------------------------------------------------------

    def show_node(self, node: Node | None) -> None:
        """Show this item's page and fields (the empty page for None)."""
        self._filling = True
        try:
            if node is None:
                self.setCurrentIndex(EMPTY_PAGE)
            elif node.kind is Kind.SPECIALTY:
                self._fill_specialty(node)
            elif node.kind is Kind.COMPETENCY:
                self._fill_competency(node)
            else:
                self._fill_criterion(node)
        finally:
            self._filling = False

    def _fill_specialty(self, node: Node) -> None:
        self.setCurrentIndex(SPECIALTY_PAGE)
        self.specialty_code.setText(node.code)
        self.specialty_code.setReadOnly(node.stored is not None or not self._editable)
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

    def _fill_competency(self, node: Node) -> None:
        self.setCurrentIndex(COMPETENCY_PAGE)
        specialty = node.parent.data if node.parent else {}
        self.competency_specialty.setText(
            f"{specialty.get('code', '')} — {specialty.get('title', '')}"
        )
        self.competency_code.setText(node.code)
        self.competency_code.setReadOnly(node.stored is not None or not self._editable)
        self.competency_code.setToolTip(
            self.tr("Le code d'une compétence enregistrée ne change plus.")
            if node.stored is not None
            else ""
        )
        self.competency_title.setPlainText(str(node.data.get("title", "")))
        self.competency_info.setText(count(len(node.data.get("criteria", [])), "critère"))

    def _fill_criterion(self, node: Node) -> None:
        self.setCurrentIndex(CRITERION_PAGE)
        competency = node.parent
        specialty = competency.parent if competency else None
        if competency is not None and specialty is not None:
            self.criterion_competency.setText(
                f"[{specialty.code}] {competency.code} — {competency.data.get('title', '')}"
            )
        self.criterion_id.setText(node.code)
        stored = node.stored is not None
        self.criterion_id.setReadOnly(stored or not self._editable)
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
        self.show_cc_title()
        self.criterion_hint.setText(
            self.tr("L'identifiant ne change plus une fois enregistré.")
            if stored
            else self.tr(
                "Nouveau critère : son identifiant reste modifiable jusqu'au premier "
                "enregistrement."
            )
        )

    def show_cc_title(self) -> None:
        """Under the combo: the chosen CC's full title and group."""
        cc = self.cc_titles.get(self.criterion_cc.currentData() or "")
        if cc is None:
            self.cc_title.setText(self.tr("Choisissez la compétence commune évaluée."))
        else:
            group = f" ({cc.group_code} {cc.group_label})" if cc.group_label else ""
            self.cc_title.setText(f"{cc.title}{group}")


def _select_data(combo: QComboBox, value: Any) -> None:
    index = combo.findData(value)
    if index < 0 and value:
        combo.addItem(str(value), value)
        index = combo.count() - 1
    combo.setCurrentIndex(max(index, 0))
