"""Importer des élèves (SIECLE): preview who is created, changed, left out, then import."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from PySide6.QtWidgets import QComboBox, QHeaderView, QLabel, QTreeWidget, QTreeWidgetItem, QWidget

from livret.services.siecle_import import (
    SiecleFile,
    SiecleImportService,
    SiecleLine,
    SieclePreview,
    SiecleSkipped,
)
from livret.ui.imports.base import ImportDialog, Step, Task
from livret.ui.imports.worker import Progress, read_file

COLUMNS = ("Apprenant", "INE", "Classe", "Détail")


def year_choices(known: Sequence[str], today: dt.date | None = None) -> list[str]:
    """The school years offered: the next one to come, then the known ones, latest first."""
    starts = {int(label[:4]) for label in known}
    if not starts:
        today = today or dt.date.today()
        starts = {today.year if today.month >= 8 else today.year - 1}
    starts.add(max(starts) + 1)
    return [f"{start}-{start + 1}" for start in sorted(starts, reverse=True)]


def _date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value is not None else ""


class SiecleImportDialog(ImportDialog):
    """Preview a SIECLE export (ElevesSansAdresses.xml or its .zip) and import it.

    The school year is the file's unless another one is chosen; a file that gives
    none needs a choice before anything can be previewed.

    Signals: see ImportDialog; `checked` carries a SieclePreview (None while the year
    is missing), `imported` the applied SieclePreview.
    """

    def __init__(
        self,
        service: SiecleImportService,
        school_years: Sequence[str] = (),
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(
            self.tr("Importer des élèves (SIECLE)"),
            self.tr(
                "L'export des élèves de SIECLE (ElevesSansAdresses.xml, ou l'archive .zip qui "
                "le contient) crée ou met à jour les apprenants (par INE) et les classes de "
                "l'année. Rien n'est enregistré avant de cliquer sur Importer."
            ),
            self.tr("Export SIECLE (*.xml *.zip);;Tous les fichiers (*)"),
            parent,
        )
        self._service = service
        self._siecle: SiecleFile | None = None
        self.preview: SieclePreview | None = None

        self.year_combo = QComboBox()
        self.year_combo.setAccessibleName(self.tr("Année scolaire"))
        self.year_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.year_combo.addItem(self.tr("celle indiquée dans le fichier"), None)
        for label in year_choices(school_years):
            self.year_combo.addItem(label, label)
        self.year_combo.currentIndexChanged.connect(self._on_year_changed)
        self.options_layout.addWidget(QLabel(self.tr("Année scolaire :")))
        self.options_layout.addWidget(self.year_combo)
        self.options_layout.addStretch(1)

        self.tree = QTreeWidget()
        self.tree.setColumnCount(len(COLUMNS))
        self.tree.setHeaderLabels([self.tr(name) for name in COLUMNS])
        self.tree.setUniformRowHeights(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setAccessibleName(self.tr("Détail de l'import"))
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.report_layout.addWidget(self.tree, 1)
        self._set_step(Step.EMPTY)

    def set_year(self, label: str | None) -> None:
        """Choose the school year (None: the file's), as the combo box does."""
        index = self.year_combo.findData(label)
        if index < 0 and label is not None:
            self.year_combo.addItem(label, label)
            index = self.year_combo.count() - 1
        self.year_combo.setCurrentIndex(max(index, 0))

    def chosen_year(self) -> str | None:
        data = self.year_combo.currentData()
        return str(data) if data is not None else None

    def sections(self) -> dict[str, list[list[str]]]:
        """What the tree shows: {section title: rows of column texts}."""
        found: dict[str, list[list[str]]] = {}
        root = self.tree.invisibleRootItem()
        for group in _children(root):
            found[group.text(0)] = [
                [item.text(column) for column in range(len(COLUMNS))] for item in _children(group)
            ]
        return found

    # -- ImportDialog ------------------------------------------------------------------

    def check_task(self, path: Path) -> Task:
        service, year = self._service, self.chosen_year()
        reading = self.tr("Lecture du fichier…")
        parsing = self.tr("Analyse de l'export SIECLE…")
        checking = self.tr("Vérification dans la base (apprenants, classes)…")

        def task(progress: Progress) -> tuple[SiecleFile, SieclePreview | None]:
            data = read_file(
                path,
                progress,
                stage=reading,
                check_size=lambda size: service.check_size(size, path.name),
            )
            progress.stage(parsing)
            siecle = service.read(data, path.name)  # the XML, or the .zip holding it
            if year is None and siecle.school_year_label is None:
                return siecle, None
            progress.stage(checking)
            return siecle, service.preview(siecle, year)

        return task

    def show_check(self, result: Any) -> bool:
        siecle, preview = result
        self._siecle = siecle
        file_year = siecle.school_year_label
        self.year_combo.setItemText(
            0,
            self.tr("%1 (indiquée dans le fichier)").replace("%1", file_year)
            if file_year
            else self.tr("à choisir (le fichier ne l'indique pas)"),
        )
        if preview is None:
            self.summary.setText(
                self.tr(
                    "Le fichier n'indique pas son année scolaire : choisissez-la ci-dessus "
                    "pour voir ce que l'import ferait."
                )
            )
            self.year_combo.setFocus()
            return False
        self._show(preview)
        return preview.has_changes

    def apply_task(self) -> Task:
        service, siecle, year = self._service, self._siecle, self.chosen_year()
        assert siecle is not None  # Importer is enabled after a preview only
        name = self.path.name if self.path is not None else None
        writing = self.tr("Enregistrement des apprenants et des classes…")

        def task(progress: Progress) -> SieclePreview:
            progress.stage(writing)
            return service.apply(siecle, year, source_name=name)

        return task

    def show_applied(self, result: Any) -> bool:
        self._show(result)
        return True

    def report_text(self) -> str:
        return "\n".join(self.preview.report_lines()) if self.preview is not None else ""

    def clear_report(self) -> None:
        self.preview = None
        self.tree.clear()

    def set_options_enabled(self, enabled: bool) -> None:
        self.year_combo.setEnabled(enabled)

    # -- showing -----------------------------------------------------------------------

    def _on_year_changed(self) -> None:
        """Preview again for that year (the file is already read)."""
        siecle = self._siecle
        if siecle is None or self.step not in (Step.PREVIEW, Step.DONE):
            return
        service, year = self._service, self.chosen_year()
        checking = self.tr("Vérification dans la base (apprenants, classes)…")

        def task(progress: Progress) -> tuple[SiecleFile, SieclePreview | None]:
            if year is None and siecle.school_year_label is None:
                return siecle, None
            progress.stage(checking)
            return siecle, service.preview(siecle, year)

        self.run_check(task)

    def _show(self, preview: SieclePreview) -> None:
        self.preview = preview
        will = not preview.applied
        heading = self.tr("Année scolaire %1").replace("%1", preview.school_year_label)
        if preview.uaj:
            heading += self.tr(" (établissement %1)").replace("%1", preview.uaj)
        lines = [f"{heading} : {preview.summary()}"]
        if preview.school_year_is_new:
            lines.append(
                self.tr("Année scolaire %1 à créer.").replace("%1", preview.school_year_label)
                if will
                else self.tr("Année scolaire %1 créée.").replace("%1", preview.school_year_label)
            )
        if preview.classes_to_create:
            codes = ", ".join(preview.classes_to_create)
            lines.append(
                (
                    self.tr("Classes à créer : %1.") if will else self.tr("Classes créées : %1.")
                ).replace("%1", codes)
            )
        if will and not preview.has_changes:
            lines.append(self.tr("La base est déjà à jour : il n'y a rien à importer."))
        self.summary.setText("\n".join(lines))

        self.tree.clear()
        self._group(
            self.tr("À créer") if will else self.tr("Créés"),
            [self._line_row(line, "") for line in preview.created],
        )
        self._group(
            self.tr("À modifier") if will else self.tr("Modifiés"),
            [self._line_row(line, " ; ".join(line.changes)) for line in preview.updated],
        )
        self._group(self.tr("Ignorés"), [self._skipped_row(skip) for skip in preview.skipped])
        self._group(
            self.tr("Inchangés"),
            [self._line_row(line, "") for line in preview.unchanged],
            expanded=False,
        )
        self._group(
            self.tr("Inscrits en %1 absents du fichier (non modifiés)").replace(
                "%1", preview.school_year_label
            ),
            [self._line_row(line, "") for line in preview.absent],
            expanded=False,
        )
        self._group(self.tr("Remarques"), [[remark] for remark in preview.remarks], spanned=True)
        for column in (0, 1, 2):
            self.tree.resizeColumnToContents(column)
        self.tree.setColumnWidth(0, min(self.tree.columnWidth(0), 260))

    def _group(
        self, title: str, rows: list[list[str]], *, expanded: bool = True, spanned: bool = False
    ) -> None:
        """A bold section "title (n)" holding the rows; none when there is no row."""
        if not rows:
            return
        group = QTreeWidgetItem(self.tree, [f"{title} ({len(rows)})"])
        font = group.font(0)
        font.setBold(True)
        group.setFont(0, font)
        group.setFirstColumnSpanned(True)
        for texts in rows:
            item = QTreeWidgetItem(group, texts)
            item.setFirstColumnSpanned(spanned)
            for column, text in enumerate(texts):
                item.setToolTip(column, text)
        group.setExpanded(expanded)

    def _line_row(self, line: SiecleLine, detail: str) -> list[str]:
        notes = [detail] if detail else []
        if line.left_on is not None and "sorti" not in detail:
            notes.append(self.tr("sorti le %1").replace("%1", _date(line.left_on)))
        division = line.division or self.tr("sans division")
        return [line.display_name, line.ine, division, " ; ".join(notes)]

    def _skipped_row(self, skip: SiecleSkipped) -> list[str]:
        return [skip.display_name, skip.ine, "", skip.reason]


def _children(item: QTreeWidgetItem) -> list[QTreeWidgetItem]:
    children = (item.child(row) for row in range(item.childCount()))
    return [child for child in children if child is not None]
