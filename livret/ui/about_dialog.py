"""Aide → À propos de Livret: versions, folders, database in use, the components' licences."""

from __future__ import annotations

import platform
from html import escape
from pathlib import Path

import PySide6
from PySide6.QtCore import Qt, QUrl, qVersion
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from livret.services.database import Database
from livret.services.installation import (
    Component,
    bundled_components,
    installation_facts,
)

QT_LICENCE = "LGPL-3.0-only"
PYTHON_LICENCE = "PSF-2.0"
FONTS = Component("Polices DejaVu", "2.37", "Bitstream Vera, domaine public (DejaVu)")
LGPL_NOTE = (
    "Qt et PySide6 sont utilisés sous la licence LGPL v3 : leurs bibliothèques sont des "
    "fichiers distincts dans le dossier de l'application et peuvent être remplacées. "
    "Leur code source : https://code.qt.io."
)


def components_with_runtime() -> tuple[Component, ...]:
    """The packages, then Python, Qt itself and the fonts shipped with Livret."""
    return (
        *bundled_components(),
        Component("Python", _python_version(), PYTHON_LICENCE),
        Component("Qt", qVersion(), QT_LICENCE),
        FONTS,
    )


def _python_version() -> str:
    return platform.python_version()


class AboutDialog(QDialog):
    """Who Livret is, where it keeps its files, and what it ships with (for a support request)."""

    def __init__(self, database: Database | None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("aboutDialog")
        self.setWindowTitle(self.tr("À propos de Livret"))
        self.facts = installation_facts(database)
        self.components = components_with_runtime()

        heading = QLabel(f"<h2>Livret {self.facts.version}</h2>")
        heading.setObjectName("aboutHeading")
        tagline = QLabel(
            self.tr(
                "Livret de compétences des lycées professionnels : tableau de bord de "
                "l'apprenant, bilans intermédiaires, notes."
            )
        )
        tagline.setWordWrap(True)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.fields: dict[str, QLabel] = {}
        for label, value, folder in self._rows():
            field = QLabel()
            field.setWordWrap(True)
            field.setTextInteractionFlags(
                Qt.TextInteractionFlag.TextSelectableByMouse
                | Qt.TextInteractionFlag.LinksAccessibleByMouse
            )
            if folder is not None:
                field.setTextFormat(Qt.TextFormat.RichText)
                field.setText(_folder_link(folder, value))
                field.setOpenExternalLinks(True)
                field.setToolTip(self.tr("Ouvrir le dossier"))
            else:
                field.setTextFormat(Qt.TextFormat.PlainText)
                field.setText(value)
            field.setAccessibleName(label)
            self.fields[label] = field
            form.addRow(label + " :", field)

        licences_label = QLabel(self.tr("Composants fournis avec Livret et leurs licences :"))
        self.licences = QTableWidget(len(self.components), 3)
        self.licences.setObjectName("licencesTable")
        self.licences.setAccessibleName(self.tr("Composants et licences"))
        self.licences.setHorizontalHeaderLabels(
            [self.tr("Composant"), self.tr("Version"), self.tr("Licence")]
        )
        self.licences.verticalHeader().hide()
        self.licences.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.licences.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.licences.setAlternatingRowColors(True)
        for row, component in enumerate(self.components):
            for column, text in enumerate((component.name, component.version, component.licence)):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                self.licences.setItem(row, column, item)
        header = self.licences.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        note = QLabel(self.tr(LGPL_NOTE))
        note.setWordWrap(True)
        note.setObjectName("lgplNote")

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("Fermer"))
        self.copy_button = QPushButton(self.tr("&Copier ces informations"))
        self.copy_button.setToolTip(
            self.tr("Copie les versions, les dossiers et les licences pour une demande d'aide")
        )
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.addWidget(heading)
        layout.addWidget(tagline)
        layout.addLayout(form)
        layout.addWidget(licences_label)
        layout.addWidget(self.licences, 1)
        layout.addWidget(note)
        layout.addWidget(buttons)
        self.resize(720, 640)

    def _rows(self) -> list[tuple[str, str, Path | None]]:
        facts = self.facts
        log = str(facts.log_file) if facts.log_file else str(facts.log_folder)
        rows: list[tuple[str, str, Path | None]] = [
            (self.tr("Version"), facts.version, None),
            (self.tr("Python"), facts.python, None),
            (self.tr("Qt / PySide6"), f"Qt {qVersion()} / PySide6 {PySide6.__version__}", None),
            (self.tr("Système"), facts.system, None),
            (self.tr("Base de données"), facts.database, None),
            (self.tr("Dossier des données"), str(facts.data_folder), facts.data_folder),
            (self.tr("Journal"), log, facts.log_folder),
        ]
        if facts.backups_folder is not None:
            rows.append((self.tr("Sauvegardes"), str(facts.backups_folder), facts.backups_folder))
        return rows

    def facts_text(self) -> str:
        """What « Copier ces informations » puts on the clipboard: plain text, one fact a line."""
        lines = [f"Livret {self.facts.version}"]
        lines.extend(f"{label} : {value}" for label, value, _folder in self._rows()[1:])
        lines.append("")
        lines.append(self.tr("Composants :"))
        lines.extend(f"  {c.name} {c.version} — {c.licence}" for c in self.components)
        return "\n".join(lines)

    def copy_to_clipboard(self) -> None:
        QGuiApplication.clipboard().setText(self.facts_text())
        self.copy_button.setText(self.tr("Informations copiées"))


def _folder_link(folder: Path, text: str) -> str:
    return f'<a href="{QUrl.fromLocalFile(str(folder)).toString()}">{escape(text)}</a>'
