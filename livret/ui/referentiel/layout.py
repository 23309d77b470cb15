"""The référentiel editor's widgets and their layout, like a Qt Designer form: no behaviour."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from livret.ui.referentiel.forms import ReferentielForms
from livret.ui.referentiel.tree import ReferentielTree
from livret.ui.theme import Theme, css, follow_theme, themed_style_sheet


class EditorLayout:
    """Builds the editor's widgets as attributes of the dialog.

    ReferentielEditor inherits it (Qt's "multiple inheritance" way of using a form) and
    connects the widgets' signals itself.
    """

    def setup_layout(self, dialog: QDialog, editable: bool) -> None:
        """Build every widget in `dialog` (which is self); read-only unless `editable`."""
        layout = QVBoxLayout(dialog)
        layout.addLayout(self._build_header(dialog))
        self.read_only_note = QLabel(
            dialog.tr(
                "Lecture seule : seuls les enseignants, le DDFPT et l'administrateur "
                "modifient le référentiel."
            )
        )
        themed_style_sheet(
            self.read_only_note,
            lambda theme: (
                f"background: {css(theme.warning_banner)}; color: {css(theme.warning_text)};"
                " padding: 4px; font-weight: bold;"
            ),
        )
        self.read_only_note.setVisible(not editable)
        layout.addWidget(self.read_only_note)
        splitter = QSplitter(Qt.Orientation.Horizontal)
        splitter.addWidget(self._build_tree_panel(dialog))
        splitter.addWidget(self._build_form_panel(dialog, editable))
        splitter.setStretchFactor(0, 3)
        splitter.setStretchFactor(1, 2)
        splitter.setSizes([720, 500])
        layout.addWidget(splitter, 1)
        layout.addLayout(self._build_problems(dialog))
        layout.addLayout(self._build_buttons(dialog))
        self.version_edit.setReadOnly(not editable)
        self.import_button.setEnabled(editable)
        for button in dialog.findChildren(QPushButton):
            # Once every button is in the dialog: Enter finishes a field, it must never
            # import, save or close by surprise.
            button.setAutoDefault(False)
            button.setDefault(False)

    def _build_header(self, dialog: QDialog) -> QHBoxLayout:
        self.title_label = QLabel()
        self.title_label.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.title_label.setWordWrap(True)
        self.version_edit = QLineEdit()
        self.version_edit.setMaximumWidth(110)
        self.version_edit.setToolTip(dialog.tr("Numéro de la version enregistrée (ex. 0.2)"))
        version_label = QLabel(dialog.tr("&Version :"))
        version_label.setBuddy(self.version_edit)
        header = QHBoxLayout()
        header.addWidget(self.title_label, 1)
        header.addWidget(version_label)
        header.addWidget(self.version_edit)
        return header

    def _build_tree_panel(self, dialog: QDialog) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        self.search = QLineEdit()
        self.search.setPlaceholderText(dialog.tr("Rechercher (code, texte ou CC)…"))
        self.search.setAccessibleName(dialog.tr("Rechercher dans le référentiel"))
        self.search.setClearButtonEnabled(True)
        layout.addWidget(self.search)
        self.tree = ReferentielTree()
        layout.addWidget(self.tree, 1)
        buttons = QHBoxLayout()
        self.add_specialty_button = QPushButton(dialog.tr("Ajouter une spécialité"))
        self.add_competency_button = QPushButton(dialog.tr("Ajouter une compétence"))
        self.add_criterion_button = QPushButton(dialog.tr("Ajouter un critère"))
        self.remove_button = QPushButton(dialog.tr("Supprimer"))
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

    def _build_form_panel(self, dialog: QDialog, editable: bool) -> QWidget:
        panel = QWidget()
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        self.forms = ReferentielForms(editable)
        layout.addWidget(self.forms, 1)
        legend = QLabel()
        text = dialog.tr(
            "Dans l'arbre, <span style='color:%1'><i>en vert italique</i></span> : ajouté ; "
            "<span style='color:%2'><b>en bleu gras</b></span> : modifié. Rien n'est "
            "enregistré avant « Enregistrer… » puis « Appliquer »."
        )

        def show_legend(theme: Theme) -> None:
            legend.setText(
                text.replace("%1", theme.added_text.name()).replace("%2", theme.changed_text.name())
            )

        follow_theme(legend, show_legend)
        legend.setWordWrap(True)
        themed_style_sheet(legend, lambda theme: f"color: {css(theme.hint_text)};")
        layout.addWidget(legend)
        # The fields keep their names on the dialog: tests and the screenshots drive them.
        forms = self.forms
        self.specialty_code, self.specialty_title = forms.specialty_code, forms.specialty_title
        self.competency_code, self.competency_title = forms.competency_code, forms.competency_title
        self.criterion_id, self.criterion_text = forms.criterion_id, forms.criterion_text
        self.criterion_cc = forms.criterion_cc
        self.criterion_confidence = forms.criterion_confidence
        self.specialty_info, self.cc_title = forms.specialty_info, forms.cc_title
        return panel

    def _build_problems(self, dialog: QDialog) -> QVBoxLayout:
        box = QVBoxLayout()
        self.problems_label = QLabel(
            dialog.tr("Le référentiel n'est pas valide, rien n'a été enregistré :")
        )
        themed_style_sheet(
            self.problems_label,
            lambda theme: f"color: {css(theme.error_text)}; font-weight: bold;",
        )
        self.problem_list = QListWidget()
        self.problem_list.setMaximumHeight(110)
        themed_style_sheet(self.problem_list, lambda theme: f"color: {css(theme.error_text)};")
        self.problem_list.setAccessibleName(dialog.tr("Problèmes à corriger"))
        box.addWidget(self.problems_label)
        box.addWidget(self.problem_list)
        return box

    def _build_buttons(self, dialog: QDialog) -> QHBoxLayout:
        row = QHBoxLayout()
        self.import_button = QPushButton(dialog.tr("Importer…"))
        self.import_button.setToolTip(dialog.tr("Importer un référentiel (fichier JSON)"))
        self.export_button = QPushButton(dialog.tr("Exporter…"))
        self.export_button.setToolTip(
            dialog.tr("Exporter la version enregistrée (JSON ou paquet 1EdTech CASE)")
        )
        self.status = QLabel()
        themed_style_sheet(self.status, lambda theme: f"color: {css(theme.success_text)};")
        self.revert_button = QPushButton(dialog.tr("Annuler les modifications"))
        self.save_button = QPushButton(dialog.tr("Enregistrer…"))
        self.close_button = QPushButton(dialog.tr("Fermer"))
        for button in (self.import_button, self.export_button):
            row.addWidget(button)
        row.addWidget(self.status, 1)
        for button in (self.revert_button, self.save_button, self.close_button):
            row.addWidget(button)
        return row
