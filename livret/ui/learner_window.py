"""The window of an Apprenant: their own dashboard and final bilans, read-only."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

from PySide6.QtCore import QModelIndex, QSettings, Qt
from PySide6.QtGui import QAction, QBrush, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMainWindow,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from livret.domain.changes import Change
from livret.domain.errors import LivretError
from livret.domain.levels import style_of
from livret.services.bilan_list import BilanListItem
from livret.services.bilans import BilanSheet
from livret.services.change_log import ChangeFeed
from livret.services.container import Services
from livret.services.dashboard import DashboardService
from livret.services.dto import LearnerDashboard
from livret.ui import messages, remembered
from livret.ui.bilan.editor import BilanEditor
from livret.ui.dashboard.detail import EvaluationDetailWindow
from livret.ui.dashboard.model import CELL_KIND_ROLE, CellKind
from livret.ui.dashboard.picker import LevelPicker
from livret.ui.dashboard.view import DashboardView
from livret.ui.live_refresh import LiveRefresh
from livret.ui.rows_model import ModelIndex, RowsModel
from livret.ui.text import count
from livret.ui.theme import current_theme

NOT_EVALUATED = "NE"


class _FinalOnlyDashboards(DashboardService):
    """The learner's dashboard without the draft: an Apprenant never sees work in progress."""

    def __init__(self, inner: DashboardService) -> None:
        self._inner = inner

    def learner_dashboard(self, learner_id: int) -> LearnerDashboard:
        dashboard = self._inner.learner_dashboard(learner_id)
        sections = tuple(
            dataclasses.replace(section, current=NOT_EVALUATED) for section in dashboard.sections
        )
        return dataclasses.replace(dashboard, draft=None, sections=sections)


class ReadOnlyDashboardView(DashboardView):
    """The teacher's dashboard, where nothing writes: no picker, no BILAN button, no edit."""

    def __init__(self, services: Services, settings: QSettings) -> None:
        try:
            specialties = services.catalog.list_specialties()
        except LivretError:
            specialties = ()
        super().__init__(
            _FinalOnlyDashboards(services.dashboards), services.bilans, specialties, settings
        )
        self.bilan_button.hide()
        self.bilan_button.setEnabled(False)

    def open_picker(self, section: int) -> LevelPicker:
        raise LivretError("Le tableau de bord d'un apprenant est en lecture seule.")

    def open_bilan_editor(self) -> BilanEditor | None:
        return None

    def open_detail(self, evaluation_index: int) -> EvaluationDetailWindow:
        window = super().open_detail(evaluation_index)
        window.edit_button.hide()
        return window

    def _show(self, dashboard: LearnerDashboard | None) -> None:
        super()._show(dashboard)
        self.bilan_button.setEnabled(False)
        if dashboard is None:
            self.summary.setText(self.tr("Tableau de bord indisponible."))

    def _on_cell_activated(self, index: QModelIndex) -> None:
        if index.data(CELL_KIND_ROLE) == CellKind.CURRENT:
            return  # positioning is the teachers'
        super()._on_cell_activated(index)


class FinalBilanModel(RowsModel[BilanListItem]):
    COLUMNS = ("Date", "Classe", "Année scolaire", "Auteur", "Note /20")

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Override QAbstractItemModel::data."""
        item = self._row_of(index)
        if item is None or role != Qt.ItemDataRole.DisplayRole:
            return None
        column = index.column()
        if column == 0:
            return item.bilan_date.strftime("%d/%m/%Y")
        if column == 1:
            return item.class_code or "—"
        if column == 2:
            return item.school_year_label or "—"
        if column == 3:
            return item.author or "—"
        if column == 4:
            return f"{item.mark}".replace(".", ",") if item.mark is not None else ""
        return None


class MyBilansView(QWidget):
    """« Mes bilans »: the learner's final bilans; one chosen shows its text and levels."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._services = services
        self.sheet: BilanSheet | None = None
        self.model = FinalBilanModel(self)
        self.table = QTableView()
        self.table.setAccessibleName(self.tr("Mes bilans définitifs"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_changed)
        self.count_label = QLabel()

        self.heading = QLabel()
        self.heading.setWordWrap(True)
        heading_font = self.heading.font()
        heading_font.setBold(True)
        self.heading.setFont(heading_font)
        self.constats = QPlainTextEdit()
        self.constats.setReadOnly(True)
        self.constats.setAccessibleName(self.tr("Constats"))
        self.conseils = QPlainTextEdit()
        self.conseils.setReadOnly(True)
        self.conseils.setAccessibleName(self.tr("Conseils"))
        self.levels = QTableWidget(0, 3)
        self.levels.setHorizontalHeaderLabels(
            [self.tr("Compétence commune"), self.tr("Bilan précédent"), self.tr("Ce bilan")]
        )
        self.levels.setAccessibleName(self.tr("Positionnements du bilan"))
        self.levels.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.levels.verticalHeader().hide()
        header = self.levels.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        self.pdf_button = QPushButton(self.tr("&PDF du bilan…"))
        self.pdf_button.setToolTip(self.tr("Enregistrer ce bilan en PDF"))
        self.pdf_button.setEnabled(False)
        self.pdf_button.clicked.connect(self.export_pdf)

        left = QWidget()
        left_layout = QVBoxLayout(left)
        left_layout.setContentsMargins(0, 0, 0, 0)
        left_layout.addWidget(QLabel(self.tr("Mes bilans définitifs")))
        left_layout.addWidget(self.table, 1)
        left_layout.addWidget(self.count_label)
        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        top = QHBoxLayout()
        top.addWidget(self.heading, 1)
        top.addWidget(self.pdf_button)
        right_layout.addLayout(top)
        right_layout.addWidget(QLabel(self.tr("Constats")))
        right_layout.addWidget(self.constats, 1)
        right_layout.addWidget(QLabel(self.tr("Conseils")))
        right_layout.addWidget(self.conseils, 1)
        right_layout.addWidget(QLabel(self.tr("Positionnements")))
        right_layout.addWidget(self.levels, 2)
        splitter = QSplitter()
        splitter.addWidget(left)
        splitter.addWidget(right)
        splitter.setStretchFactor(0, 2)
        splitter.setStretchFactor(1, 3)
        splitter.setSizes([440, 760])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter)
        self.reload()

    def reload(self) -> None:
        """The learner's final bilans, newest first (checked again here, for safety)."""
        own = self._services.actor.learner_id
        try:
            items = self._services.bilan_list.list_bilans()
        except LivretError as exc:
            messages.show_error(self, exc.message)
            items = ()
        kept = tuple(
            i for i in items if i.status == "final" and own is not None and i.learner_id == own
        )
        self.model.set_rows(kept)
        self.table.resizeColumnsToContents()
        self.table.horizontalHeader().setStretchLastSection(True)
        self.count_label.setText(
            count(len(kept), self.tr("bilan définitif"), self.tr("bilans définitifs"))
        )
        self._show_sheet(None)
        if kept:
            self.table.selectRow(0)

    def items(self) -> tuple[BilanListItem, ...]:
        return self.model.rows()

    def select_bilan(self, bilan_id: int) -> None:
        for row, item in enumerate(self.model.rows()):
            if item.bilan_id == bilan_id:
                self.table.selectRow(row)
                return

    def export_pdf(self) -> Path | None:
        sheet = self.sheet
        if sheet is None:
            return None
        suggested = f"bilan-{sheet.bilan_date.isoformat()}.pdf"
        target = self.choose_pdf_file(suggested)
        if target is None:
            return None
        if target.suffix.lower() != ".pdf":
            target = target.with_suffix(".pdf")
        try:
            written = self._services.exports.export_bilan_pdf(sheet.bilan_id, target)
        except LivretError as exc:
            messages.show_error(self, exc.message)
            return None
        messages.show_info(
            self,
            self.tr("PDF du bilan"),
            self.tr("PDF enregistré : %1").replace("%1", str(written)),
        )
        return written

    def choose_pdf_file(self, suggested: str) -> Path | None:
        """Where to save the PDF (a seam tests patch); the last PDF folder first."""
        chosen = remembered.save_file(
            self,
            remembered.Purpose.PDF_EXPORT,
            self.tr("Enregistrer le bilan en PDF"),
            suggested,
            self.tr("PDF (*.pdf)"),
        )
        return chosen[0] if chosen else None

    def _on_current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            self._show_sheet(None)
            return
        item = self.model.row_at(current.row())
        try:
            sheet = self._services.bilans.sheet(item.bilan_id)
        except LivretError as exc:
            messages.show_error(self, exc.message)
            self._show_sheet(None)
            return
        own = self._services.actor.learner_id
        self._show_sheet(sheet if sheet.is_final and sheet.learner_id == own else None)

    def _show_sheet(self, sheet: BilanSheet | None) -> None:
        self.sheet = sheet
        self.pdf_button.setEnabled(sheet is not None)
        self.levels.setRowCount(0)
        if sheet is None:
            self.heading.setText(self.tr("Choisissez un bilan dans la liste."))
            self.constats.setPlainText("")
            self.conseils.setPlainText("")
            return
        parts = [self.tr("Bilan du %1").replace("%1", sheet.bilan_date.strftime("%d/%m/%Y"))]
        if sheet.class_label:
            parts.append(f"{sheet.class_label} ({sheet.school_year_label or '—'})")
        if sheet.author:
            parts.append(self.tr("rédigé par %1").replace("%1", sheet.author))
        self.heading.setText(" · ".join(parts))
        self.constats.setPlainText(sheet.constats)
        self.conseils.setPlainText(sheet.conseils)
        self.levels.setRowCount(len(sheet.rows))
        for row, line in enumerate(sheet.rows):
            self.levels.setItem(row, 0, QTableWidgetItem(f"{line.code} — {line.title}"))
            previous = line.previous
            self.levels.setItem(
                row, 1, _level_item(previous) if previous else QTableWidgetItem("—")
            )
            self.levels.setItem(row, 2, _level_item(line.current))

    def level_lines(self) -> list[tuple[str, str, str]]:
        """The positionings as shown: for tests and accessibility."""
        lines = []
        for row in range(self.levels.rowCount()):
            texts = [cell.text() if (cell := self.levels.item(row, c)) else "" for c in range(3)]
            lines.append((texts[0], texts[1], texts[2]))
        return lines


def _level_item(level: str) -> QTableWidgetItem:
    style = style_of(level)
    item = QTableWidgetItem(f"{style.symbol}  {style.label}")
    tile = current_theme().level(level)
    item.setBackground(QBrush(tile.fill))
    item.setForeground(QBrush(tile.text))
    return item


class LearnerWindow(QMainWindow):
    """An Apprenant's Livret: « Mon tableau de bord » and « Mes bilans », nothing to write."""

    def __init__(
        self,
        services: Services,
        database_name: str,
        *,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__()
        self._services = services
        self._settings = settings or QSettings()
        actor = services.actor
        self.setWindowTitle(self.tr("Livret — %1").replace("%1", actor.display_name))
        self.resize(1200, 800)
        self.dashboard = ReadOnlyDashboardView(services, self._settings)
        self.bilans = MyBilansView(services)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.tabs.addTab(self.dashboard, self.tr("Mon tableau de bord"))
        self.tabs.addTab(self.bilans, self.tr("Mes bilans"))
        self.setCentralWidget(self.tabs)
        self.statusBar().showMessage(self.tr("%1 — lecture seule").replace("%1", database_name))
        file_menu = self.menuBar().addMenu(self.tr("&Fichier"))
        # livret.app.GuiSession connects and enables these two: it owns the switch.
        self.connect_server_action = QAction(self.tr("Se &connecter à un serveur…"), self)
        self.connect_server_action.setEnabled(False)
        file_menu.addAction(self.connect_server_action)
        self.open_file_action = QAction(self.tr("&Ouvrir un fichier…"), self)
        self.open_file_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_file_action.setEnabled(False)
        file_menu.addAction(self.open_file_action)
        file_menu.addSeparator()
        quit_action = QAction(self.tr("&Quitter"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        self.dashboard.show_learner(actor.learner_id)
        # A teacher's new evaluation or final bilan shows here without a reload.
        self.live_refresh = LiveRefresh(ChangeFeed(services.database), self)
        self.live_refresh.changes_arrived.connect(self._on_remote_changes)

    def _on_remote_changes(self, changes: list[Change]) -> None:
        own = self._services.actor.learner_id
        if any(change.everything or own in change.learner_ids for change in changes):
            self.dashboard.refresh()
            self.bilans.reload()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Override QWidget::closeEvent: stop listening for changes."""
        self.live_refresh.stop()
        super().closeEvent(event)
