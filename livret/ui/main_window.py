"""The main window: selectors on the left, the chosen learner's livret in the centre."""

from __future__ import annotations

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence
from PySide6.QtWidgets import (
    QDockWidget,
    QLabel,
    QMainWindow,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)

from livret import __version__
from livret.domain.errors import LivretError
from livret.services.catalog import CatalogService
from livret.services.dashboard import DashboardService
from livret.services.dto import LearnerDashboard
from livret.ui.selectors import LearnerSelector
from livret.ui.text import count

SETTINGS_CLASS = "selection/class_id"
SETTINGS_LEARNER = "selection/learner_id"
SETTINGS_GEOMETRY = "window/geometry"
SETTINGS_STATE = "window/state"


class LearnerOverview(QWidget):
    """Who is selected and what their livret holds (the full dashboard replaces it)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.title = QLabel()
        self.title.setObjectName("learnerTitle")
        self.title.setStyleSheet("font-size: 18pt; font-weight: bold;")
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.details)
        layout.addStretch(1)
        self.show_nothing()

    def show_nothing(self) -> None:
        self.title.setText(self.tr("Aucun apprenant choisi"))
        self.details.setText(self.tr("Choisissez une classe puis un apprenant dans la liste."))

    def show_dashboard(self, dashboard: LearnerDashboard) -> None:
        learner = dashboard.learner
        self.title.setText(learner.display_name)
        lines = [
            self.tr("INE : %1").replace("%1", learner.ine),
            self.tr("Classe : %1 (%2)")
            .replace("%1", learner.class_label or "—")
            .replace("%2", learner.school_year_label or "—"),
            self.tr("Spécialité : %1").replace("%1", learner.specialty_code or "non choisie"),
            count(len(dashboard.evaluations), self.tr("évaluation"))
            + ", "
            + count(dashboard.result_count, self.tr("résultat")),
            count(
                len(dashboard.final_bilans),
                self.tr("bilan définitif"),
                self.tr("bilans définitifs"),
            )
            + (self.tr(", un brouillon en cours") if dashboard.draft else ""),
        ]
        if learner.left_on:
            lines.append(self.tr("Sorti le %1").replace("%1", learner.left_on.strftime("%d/%m/%Y")))
        self.details.setText("\n".join(lines))


class MainWindow(QMainWindow):
    """Livret's main window; remembers its layout and the last class and learner."""

    def __init__(
        self,
        catalog: CatalogService,
        dashboards: DashboardService,
        *,
        database_name: str,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__()
        self._dashboards = dashboards
        self._settings = settings or QSettings()
        self.setWindowTitle(self.tr("Livret — %1").replace("%1", database_name))
        self.resize(1200, 800)

        self.selector = LearnerSelector(catalog)
        dock = QDockWidget(self.tr("Classe et apprenant"), self)
        dock.setObjectName("selectorDock")
        dock.setWidget(self.selector)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.overview = LearnerOverview()
        self.setCentralWidget(self.overview)
        self._build_menus()

        self.selector.class_changed.connect(self._on_class_changed)
        self.selector.learner_changed.connect(self._on_learner_changed)
        self.selector.reload()
        self._restore()

    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu(self.tr("&Fichier"))
        quit_action = QAction(self.tr("&Quitter"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        help_menu = self.menuBar().addMenu(self.tr("&Aide"))
        about = QAction(self.tr("À &propos de Livret"), self)
        about.triggered.connect(self._on_about)
        help_menu.addAction(about)

    def _restore(self) -> None:
        geometry = self._settings.value(SETTINGS_GEOMETRY)
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = self._settings.value(SETTINGS_STATE)
        if isinstance(state, QByteArray):
            self.restoreState(state)
        class_id = _as_int(self._settings.value(SETTINGS_CLASS))
        learner_id = _as_int(self._settings.value(SETTINGS_LEARNER))
        if class_id is None or not self.selector.select_class(class_id):
            if self.selector.class_combo.count():
                self.selector.class_combo.setCurrentIndex(0)
            return
        if learner_id is not None:
            self.selector.select_learner(learner_id)

    def _on_class_changed(self, class_id: int) -> None:
        self._settings.setValue(SETTINGS_CLASS, class_id)

    def _on_learner_changed(self, learner_id: int) -> None:
        if learner_id < 0:
            self.overview.show_nothing()
            return
        self._settings.setValue(SETTINGS_LEARNER, learner_id)
        try:
            dashboard = self._dashboards.learner_dashboard(learner_id)
        except LivretError as exc:
            QMessageBox.warning(self, self.tr("Livret"), exc.message)
            return
        self.overview.show_dashboard(dashboard)

    def _on_about(self) -> None:
        QMessageBox.about(
            self,
            self.tr("À propos de Livret"),
            self.tr("Livret %1 — livret de compétences des lycées professionnels.").replace(
                "%1", __version__
            ),
        )

    def closeEvent(self, event: QCloseEvent) -> None:
        """Override QWidget::closeEvent: remember the layout."""
        self._settings.setValue(SETTINGS_GEOMETRY, self.saveGeometry())
        self._settings.setValue(SETTINGS_STATE, self.saveState())
        self._settings.sync()
        super().closeEvent(event)


def _as_int(value: object) -> int | None:
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None
