"""The main window: selectors on the left, the chosen learner's livret in the centre."""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from PySide6.QtCore import QByteArray, QSettings, Qt
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QKeySequence, QWindow
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDockWidget,
    QLabel,
    QMainWindow,
    QPushButton,
    QTabWidget,
    QWidget,
)

from livret.domain.changes import Change
from livret.domain.errors import LivretError
from livret.domain.permissions import Action, allowed
from livret.domain.roles import ROLE_LABELS, Role
from livret.services.change_log import ChangeFeed
from livret.services.container import Services, build_services
from livret.ui.bilans_module import BilansModule
from livret.ui.class_overview import ClassOverviewView
from livret.ui.conseil_date import ConseilDate
from livret.ui.conseil_view import ConseilClasseView
from livret.ui.dashboard.model import suggestions_by_cc
from livret.ui.dashboard.view import DashboardView
from livret.ui.live_refresh import LiveRefresh
from livret.ui.lsl_view import LslView
from livret.ui.messages import show_error
from livret.ui.remembered import remember_size
from livret.ui.selectors import LearnerSelector

if TYPE_CHECKING:
    # Each dialog's module is imported when it is first opened: the first window is
    # painted sooner, without pyqtgraph (the bilan editor's radar), reportlab, openpyxl.
    from livret.ui.bilan.editor import BilanEditor
    from livret.ui.evaluation_dialog import EvaluationDialog
    from livret.ui.evaluation_list import EvaluationListDialog
    from livret.ui.help_window import HelpWindow
    from livret.ui.imports import ImportDialog
    from livret.ui.marks_dialog import MarksDialog
    from livret.ui.pdf_export import ClassPdfDialog
    from livret.ui.profile_dialog import DisplayNameDialog
    from livret.ui.referentiel_editor import ReferentielEditor
    from livret.ui.referentiel_exchange import ReferentielPreviewDialog

SETTINGS_CLASS = "selection/class_id"
SETTINGS_LEARNER = "selection/learner_id"
SETTINGS_GEOMETRY = "window/geometry"
SETTINGS_STATE = "window/state"
NOTHING_TO_PRINT = (
    "Rien à exporter : choisissez un apprenant qui a un bilan définitif, "
    "ou ouvrez son bilan intermédiaire."
)
ADMIN_TEXT = (
    "Compte administrateur : gestion des comptes, du journal, des imports SIECLE et du référentiel."
)


class MainWindow(QMainWindow):
    """Livret's main window; remembers its layout and the last class and learner.

    It shows what the session's role may do: an Administrateur gets the account,
    journal, SIECLE and référentiel menus around an explanation, no learner views.
    """

    def __init__(
        self,
        services: Services,
        *,
        database_name: str,
        settings: QSettings | None = None,
    ) -> None:
        super().__init__()
        self._settings = settings or QSettings()
        self._services = services
        self._database_name = database_name
        self.accounts_dialog: QDialog | None = None
        self.audit_dialog: QDialog | None = None
        self.establishment_dialog: QDialog | None = None
        self.privacy_dialog: QDialog | None = None
        self.referentiel_editor: ReferentielEditor | None = None
        self.help_window: HelpWindow | None = None
        self.about_dialog: QDialog | None = None
        self._watching_focus = False
        self._update_title()
        self.resize(1200, 800)
        if services.actor.role is Role.ADMIN:
            self._build_admin()
            return

        self.selector = LearnerSelector(services.catalog)
        dock = QDockWidget(self.tr("Classe et apprenant"), self)
        dock.setObjectName("selectorDock")
        dock.setWidget(self.selector)
        dock.setFeatures(QDockWidget.DockWidgetFeature.DockWidgetMovable)
        self.addDockWidget(Qt.DockWidgetArea.LeftDockWidgetArea, dock)
        self.dashboard = DashboardView(
            services.dashboards,
            services.bilans,
            services.catalog.list_specialties(),
            self._settings,
            database=services.database,
        )
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.class_overview = ClassOverviewView(services.overviews)
        self.tabs.addTab(self.dashboard, self.tr("Tableau de bord"))
        self.tabs.addTab(self.class_overview, self.tr("Vue de la classe"))
        # Reads its service (built on first use) only once its tab is shown.
        self.conseil_view = ConseilClasseView(lambda: self._services.conseil)
        if self._may(Action.VIEW_CONSEIL):
            self.tabs.addTab(self.conseil_view, self.tr("Conseil de classe"))
        self.lsl_view = LslView(lambda: self._services.lsl, services.actor)
        if self._may(Action.VIEW_LSL):
            self.tabs.addTab(self.lsl_view, self.tr("LSL Pro"))
        self.bilans_module = BilansModule(services.bilan_list)
        self.tabs.addTab(self.bilans_module, self.tr("Bilans de compétences"))
        self.bilans_module.bilan_opened.connect(self.open_bilan)
        self.marks_button = QPushButton(self.tr("&Noter le dernier bilan…"))
        self.marks_button.setToolTip(
            self.tr(
                "Note sur 20 de chaque apprenant de la classe choisie, d'après son dernier bilan"
            )
        )
        self.marks_button.clicked.connect(self.open_marks)
        self.pdf_button = QPushButton(self.tr("&PDF du bilan…"))
        self.pdf_button.setToolTip(self.tr("Exporter en PDF le bilan choisi dans la liste"))
        self.pdf_button.clicked.connect(self.export_selected_pdf)
        self.class_pdf_button = QPushButton(self.tr("PDF de la &classe…"))
        self.class_pdf_button.setToolTip(
            self.tr(
                "Un PDF par apprenant de la classe choisie (dernier bilan définitif) "
                "et un PDF d'ensemble pour le conseil de classe"
            )
        )
        self.class_pdf_button.clicked.connect(self.export_class_pdfs)
        for button in (self.pdf_button, self.class_pdf_button, self.marks_button):
            self.bilans_module.actions_bar.addWidget(button)
        self.marks_dialog: MarksDialog | None = None
        self.class_pdf_dialog: ClassPdfDialog | None = None
        # « Conseil du »: one day for the class PDF and the marks, remembered this session.
        self.conseil_date = ConseilDate(parent=self)
        self.conseil_view.share_date(self.conseil_date)  # the same day on its tab
        self.evaluation_dialog: EvaluationDialog | None = None
        self.evaluation_list: EvaluationListDialog | None = None
        self.tabs.currentChanged.connect(self._on_tab_changed)
        self.dashboard.bilan_changed.connect(lambda _learner: self._refresh_lists())
        self.bilan_editor: BilanEditor | None = None
        self.class_overview.learner_activated.connect(self._on_overview_learner)
        self.dashboard.positioning_saved.connect(self._on_positioning_saved)
        self.dashboard.draft_positioning_saved.connect(self._on_draft_positioning_saved)
        self.dashboard.evaluation_edit_requested.connect(self.open_evaluation_editor)
        self.setCentralWidget(self.tabs)
        self._build_menus()
        self.dashboard.learner_shown.connect(lambda _learner: self._update_print_action())
        self.dashboard.bilan_changed.connect(lambda _learner: self._update_print_action())

        self.selector.class_changed.connect(self._on_class_changed)
        self.selector.learner_changed.connect(self._on_learner_changed)
        # After the selector's own slot, even when reading the class's learners failed there.
        self.selector.class_combo.currentIndexChanged.connect(self._on_class_choice_settled)
        self.selector.reload()
        self._restore()
        # Colleagues' changes (another computer, or another app on this file) show live.
        self.live_refresh = LiveRefresh(ChangeFeed(services.database), self)
        self.live_refresh.changes_arrived.connect(self._on_remote_changes)

    @property
    def services(self) -> Services:
        return self._services

    @property
    def settings(self) -> QSettings:
        """This window's store: its dialogs remember their folders and sizes there."""
        return self._settings

    def is_admin_view(self) -> bool:
        return self._services.actor.role is Role.ADMIN

    def _build_admin(self) -> None:
        """An Administrateur: no learner views, the menus of what the role may do."""
        label = QLabel(self.tr(ADMIN_TEXT))
        label.setObjectName("adminLabel")
        label.setWordWrap(True)
        label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        label.setMargin(40)
        self.setCentralWidget(label)
        self._build_menus()

    def _may(self, action: Action) -> bool:
        return allowed(self._services.actor, action)

    def _update_title(self) -> None:
        # The whole title, « Livret » first: the application sets no display name, which
        # Qt would append to every title (livret.ui.application).
        self.setWindowTitle(
            self.tr("Livret — %1 — %2")
            .replace("%1", self._database_name)
            .replace("%2", self._services.actor.display_name)
        )

    def _profile_text(self) -> str:
        actor = self._services.actor
        local = self.tr(" (profil local)") if actor.local else ""
        return f"{actor.display_name} — {ROLE_LABELS[actor.role]}{local}"

    def _build_menus(self) -> None:
        """The menu bar; each common action has its standard shortcut (none twice)."""
        admin = self.is_admin_view()
        file_menu = self.menuBar().addMenu(self.tr("&Fichier"))
        # livret.app.GuiSession connects and enables these two: it owns the switch.
        self.connect_server_action = QAction(self.tr("Se &connecter à un serveur…"), self)
        self.connect_server_action.setEnabled(False)
        file_menu.addAction(self.connect_server_action)
        self.open_file_action = QAction(self.tr("&Ouvrir un fichier…"), self)
        self.open_file_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_file_action.setEnabled(False)
        file_menu.addAction(self.open_file_action)
        self.restore_backup_action = QAction(self.tr("Restaurer une sau&vegarde…"), self)
        self.restore_backup_action.setEnabled(False)  # GuiSession too: it reopens the file
        file_menu.addAction(self.restore_backup_action)
        file_menu.addSeparator()
        self.import_siecle_action = QAction(self.tr("Importer les élèves (&SIECLE)…"), self)
        self.import_siecle_action.setShortcut(QKeySequence("Ctrl+Shift+I"))
        self.import_siecle_action.triggered.connect(lambda: self.import_siecle())
        self.import_siecle_action.setVisible(self._may(Action.IMPORT_SIECLE))
        file_menu.addAction(self.import_siecle_action)
        self.import_results_action = QAction(self.tr("Importer des &résultats (CSV, XLSX)…"), self)
        self.import_results_action.setShortcut(QKeySequence("Ctrl+I"))
        self.import_results_action.triggered.connect(lambda: self.import_results())
        self.import_results_action.setVisible(self._may(Action.IMPORT_RESULTS) and not admin)
        file_menu.addAction(self.import_results_action)
        if not admin:
            file_menu.addSeparator()
            self.print_action = QAction(self.tr("Exporter le &bilan en PDF…"), self)
            self.print_action.setShortcut(QKeySequence.StandardKey.Print)
            self.print_action.triggered.connect(lambda: self.print_current_bilan())
            file_menu.addAction(self.print_action)
            self.class_pdf_action = QAction(self.tr("PDF de la c&lasse…"), self)
            self.class_pdf_action.setShortcut(QKeySequence("Ctrl+Shift+P"))
            self.class_pdf_action.setToolTip(self.class_pdf_button.toolTip())
            self.class_pdf_action.triggered.connect(lambda: self.export_class_pdfs())
            file_menu.addAction(self.class_pdf_action)
            file_menu.setToolTipsVisible(True)  # says why « Exporter le bilan » is disabled
        file_menu.addSeparator()
        quit_action = QAction(self.tr("&Quitter"), self)
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.triggered.connect(self.close)
        file_menu.addAction(quit_action)
        if not admin:
            self._build_view_menu()
            evaluation_menu = self.menuBar().addMenu(self.tr("É&valuations"))
            self.new_evaluation_action = QAction(self.tr("&Nouvelle évaluation…"), self)
            self.new_evaluation_action.setShortcut(QKeySequence.StandardKey.New)
            self.new_evaluation_action.triggered.connect(self.open_new_evaluation)
            evaluation_menu.addAction(self.new_evaluation_action)
            self.evaluation_list_action = QAction(self.tr("Évaluations de la &classe…"), self)
            self.evaluation_list_action.setShortcut(QKeySequence("Ctrl+E"))
            self.evaluation_list_action.triggered.connect(self.open_evaluation_list)
            evaluation_menu.addAction(self.evaluation_list_action)
            evaluation_menu.menuAction().setVisible(self._may(Action.VIEW_EVALUATIONS))
            bilan_menu = self.menuBar().addMenu(self.tr("&Bilans"))
            self.bilan_action = QAction(self.tr("&Bilan intermédiaire de l'apprenant…"), self)
            self.bilan_action.setShortcut(QKeySequence("Ctrl+B"))
            self.bilan_action.triggered.connect(lambda: self.dashboard.open_bilan_editor())
            bilan_menu.addAction(self.bilan_action)
            self.marks_action = QAction(self.tr("&Noter le dernier bilan…"), self)
            self.marks_action.setShortcut(QKeySequence("Ctrl+M"))
            self.marks_action.triggered.connect(lambda: self.open_marks())
            bilan_menu.addAction(self.marks_action)
            bilan_menu.addSeparator()
            bilan_menu.addAction(self.print_action)
            bilan_menu.addAction(self.class_pdf_action)
            bilan_menu.setToolTipsVisible(True)
        referentiel_menu = self.menuBar().addMenu(self.tr("&Référentiel"))
        self.referentiel_editor_action = QAction(self.tr("&Modifier le référentiel…"), self)
        self.referentiel_editor_action.triggered.connect(self.open_referentiel_editor)
        referentiel_menu.addAction(self.referentiel_editor_action)
        self.import_referentiel_action = QAction(self.tr("&Importer un référentiel…"), self)
        self.import_referentiel_action.triggered.connect(lambda: self.import_referentiel())
        self.import_referentiel_action.setVisible(self._may(Action.EDIT_REFERENTIEL))
        referentiel_menu.addAction(self.import_referentiel_action)
        self.export_referentiel_action = QAction(self.tr("&Exporter le référentiel…"), self)
        self.export_referentiel_action.triggered.connect(lambda: self.export_referentiel())
        referentiel_menu.addAction(self.export_referentiel_action)
        self.accounts_action = QAction(self.tr("&Comptes…"), self)
        self.accounts_action.triggered.connect(lambda: self.open_accounts())
        self.accounts_action.setVisible(self._may(Action.MANAGE_USERS))
        self.audit_action = QAction(self.tr("&Journal…"), self)
        self.audit_action.triggered.connect(lambda: self.open_audit())
        self.audit_action.setVisible(self._may(Action.VIEW_AUDIT))
        self.establishment_action = QAction(self.tr("É&tablissement…"), self)
        self.establishment_action.triggered.connect(lambda: self.open_establishment())
        self.establishment_action.setVisible(self._may(Action.MANAGE_ESTABLISHMENT))
        self.privacy_action = QAction(self.tr("Données &personnelles (RGPD)…"), self)
        self.privacy_action.triggered.connect(lambda: self.open_privacy())
        self.privacy_action.setVisible(self._may(Action.EXPORT_LEARNER_DATA))
        # The teachers' windows choose it in the LSL Pro tab; the Administrateur's has none.
        self.lsl_periodicity_action = QAction(self.tr("Périodicité des moyennes (&LSL Pro)…"), self)
        self.lsl_periodicity_action.triggered.connect(lambda: self.open_lsl_periodicity())
        self.lsl_periodicity_action.setVisible(admin and self._may(Action.SET_LSL_PERIODICITY))
        # Alt+M: Alt+A is the Affichage menu's.
        self.admin_menu = self.menuBar().addMenu(self.tr("Ad&ministration"))
        admin_actions = (
            self.accounts_action,
            self.audit_action,
            self.establishment_action,
            self.privacy_action,
            self.lsl_periodicity_action,
        )
        for action in admin_actions:
            self.admin_menu.addAction(action)
        self.admin_menu.menuAction().setVisible(any(a.isVisible() for a in admin_actions))
        self.profile_menu = self.menuBar().addMenu(self.tr("&Profil"))
        self.profile_action = QAction(self._profile_text(), self)
        self.profile_action.setEnabled(False)
        self.profile_menu.addAction(self.profile_action)
        self.profile_menu.addSeparator()
        self.rename_action = QAction(self.tr("Mon &nom affiché…"), self)
        self.rename_action.triggered.connect(lambda: self.open_display_name())
        self.rename_action.setVisible(self._services.actor.user_id is not None)
        self.profile_menu.addAction(self.rename_action)
        self.help_menu = self.menuBar().addMenu(self.tr("Aid&e"))
        self.help_action = QAction(self.tr("&Guide de l'enseignant"), self)
        self.help_action.setShortcut(QKeySequence.StandardKey.HelpContents)
        self.help_action.triggered.connect(lambda: self.open_help())
        self.help_menu.addAction(self.help_action)
        self.about_action = QAction(self.tr("À &propos de Livret"), self)
        self.about_action.triggered.connect(lambda: self.open_about())
        self.help_menu.addAction(self.about_action)
        # F1 (and Ctrl+P in a bilan editor) work from the dialogs too (_on_focus_window).
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.focusWindowChanged.connect(self._on_focus_window)
            self._watching_focus = True
        if not admin:
            self._update_print_action()

    def _build_view_menu(self) -> None:
        view_menu = self.menuBar().addMenu(self.tr("&Affichage"))
        self.tab_actions: list[QAction] = []
        for number, (text, page) in enumerate(
            (
                (self.tr("&Tableau de bord"), self.dashboard),
                (self.tr("&Vue de la classe"), self.class_overview),
                (self.tr("&Bilans de compétences"), self.bilans_module),
            ),
            start=1,
        ):
            action = QAction(text, self)
            action.setShortcut(QKeySequence(f"Ctrl+{number}"))
            action.triggered.connect(lambda _checked=False, p=page: self.tabs.setCurrentWidget(p))
            view_menu.addAction(action)
            self.tab_actions.append(action)
        view_menu.addSeparator()
        self.refresh_action = QAction(self.tr("&Actualiser"), self)
        self.refresh_action.setShortcut(QKeySequence.StandardKey.Refresh)
        self.refresh_action.triggered.connect(self.reload_all)
        view_menu.addAction(self.refresh_action)

    # --- Aide ------------------------------------------------------------------------

    def open_help(self) -> HelpWindow:
        """Aide → Guide de l'enseignant (F1): one window, raised when already open."""
        from livret.ui.help_window import show_help

        first = self.help_window is None
        self.help_window = show_help(self.help_window)
        if first:
            remember_size(self.help_window, settings=self._settings)
        return self.help_window

    def open_about(self) -> QDialog:
        """Aide → À propos de Livret: versions, folders, database, licences."""
        from livret.ui.about_dialog import AboutDialog

        dialog = AboutDialog(self._services.database, self)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self._keep_size(dialog)
        self.about_dialog = dialog
        dialog.open()
        return dialog

    def _keep_size(self, dialog: QWidget) -> None:
        """The dialog opens at the size it had when last closed (clamped to the screen)."""
        remember_size(dialog, settings=self._settings)

    def _on_focus_window(self, window: QWindow | None) -> None:
        """Another window came to the front: give it F1 (and Ctrl+P); an editor opened or
        closed changes what Ctrl+P exports."""
        widget = next(
            (w for w in QApplication.topLevelWidgets() if w.windowHandle() is window), None
        )
        admin = self.is_admin_view()
        if widget is not None and widget is not self and self._owns(widget):
            if widget is not self.help_window and not isinstance(widget, MainWindow):
                _give_shortcut(widget, self.help_action)
            if (
                not admin
                and self._is_bilan_editor(widget)
                and isinstance(widget, QDialog)
                and self.print_action not in widget.actions()
            ):
                widget.addAction(self.print_action)
                widget.finished.connect(lambda _result: self._update_print_action())
        if not admin:
            self._update_print_action()

    def _owns(self, widget: QWidget) -> bool:
        """False for a dialog of another main window (still open, or not yet deleted):
        that window gives it its own F1 and Ctrl+P."""
        parent = widget.parentWidget()
        while parent is not None:
            if parent is self:
                return True
            if isinstance(parent, MainWindow):
                return False
            parent = parent.parentWidget()
        return True

    # --- Ctrl+P: the current bilan ---------------------------------------------------

    def _is_bilan_editor(self, widget: QWidget) -> bool:
        return widget is self.dashboard.editor or widget is self.bilan_editor

    def current_bilan(self) -> tuple[int, str] | None:
        """The bilan Ctrl+P exports, with the PDF's suggested name, or None.

        The learner shown on the dashboard: their bilan open in an editor, else their
        latest final bilan.
        """
        learner_id = self.dashboard.shown_learner_id()
        if learner_id is None:
            return None
        for editor in (self.dashboard.editor, self.bilan_editor):
            if editor is not None and editor.isVisible() and editor.sheet.learner_id == learner_id:
                sheet = editor.sheet
                return sheet.bilan_id, _pdf_name(
                    sheet.class_label, sheet.learner_name, sheet.bilan_date.isoformat()
                )
        dashboard = self.dashboard.model.dashboard
        if dashboard is None or dashboard.learner.id != learner_id or not dashboard.final_bilans:
            return None
        last = dashboard.final_bilans[-1]
        learner = dashboard.learner
        return last.id, _pdf_name(
            learner.class_label, learner.display_name, last.bilan_date.isoformat()
        )

    def _update_print_action(self) -> None:
        exportable = self.current_bilan() is not None
        self.print_action.setEnabled(exportable)
        self.print_action.setToolTip(
            self.tr("Exporter en PDF le bilan de l'apprenant affiché")
            if exportable
            else self.tr(NOTHING_TO_PRINT)
        )

    def print_current_bilan(self) -> Path | None:
        """Fichier → Exporter le bilan en PDF (Ctrl+P): the current bilan, as PDF."""
        from livret.ui.pdf_export import export_bilan

        current = self.current_bilan()
        if current is None:
            show_error(self, self.tr(NOTHING_TO_PRINT))
            return None
        bilan_id, name = current
        written = export_bilan(self, self._services.exports, bilan_id, name)
        if written is not None:
            self.statusBar().showMessage(
                self.tr("PDF enregistré : %1").replace("%1", str(written)), 8000
            )
        return written

    def open_accounts(self) -> QDialog | None:
        """Administration → Comptes…: create, reset, disable accounts."""
        from livret.ui.accounts_dialog import AccountsDialog

        try:
            dialog = AccountsDialog(self._services, self)
        except LivretError as exc:
            show_error(self, exc.message)
            return None
        self.accounts_dialog = dialog
        self._keep_size(dialog)
        dialog.open()
        return dialog

    def open_audit(self) -> QDialog | None:
        """Administration → Journal…: who did what, when."""
        from livret.ui.audit_dialog import AuditDialog

        try:
            dialog = AuditDialog(self._services, self)
        except LivretError as exc:
            show_error(self, exc.message)
            return None
        self.audit_dialog = dialog
        self._keep_size(dialog)
        dialog.open()
        return dialog

    def open_establishment(self) -> QDialog | None:
        """Administration → Établissement…: name, UAI, city and logo printed on the PDFs."""
        from livret.ui.establishment_dialog import open_establishment_dialog

        dialog = open_establishment_dialog(self, self._services)
        if dialog is not None:
            self._keep_size(dialog)
        self.establishment_dialog = dialog
        return dialog

    def open_lsl_periodicity(self) -> QDialog:
        """Administration → Périodicité des moyennes (LSL Pro)…: per 1re or Terminale class."""
        from livret.ui.lsl_periodicity_dialog import LslPeriodicityDialog

        dialog = LslPeriodicityDialog(self._services, self)
        self._keep_size(dialog)
        self.lsl_periodicity_dialog = dialog
        dialog.open()
        return dialog

    def open_privacy(self) -> QDialog | None:
        """Administration → Données personnelles (RGPD)…: export, erasure, retention."""
        from livret.ui.privacy_dialog import open_privacy_dialog

        dialog = open_privacy_dialog(self, self._services)
        if dialog is not None:
            dialog.learner_erased.connect(lambda _learner: self.reload_all())
            self._keep_size(dialog)
        self.privacy_dialog = dialog
        return dialog

    def open_display_name(self) -> DisplayNameDialog:
        """Profil → Mon nom affiché…: the name that signs bilans; the title follows."""
        from livret.ui.profile_dialog import DisplayNameDialog

        dialog = DisplayNameDialog(self._services.database, self._services.actor, self)
        dialog.accepted.connect(lambda: self._on_renamed(dialog.new_name))
        self.display_name_dialog: DisplayNameDialog | None = dialog
        dialog.open()
        return dialog

    def _on_renamed(self, name: str | None) -> None:
        if not name:
            return
        actor = replace(self._services.actor, display_name=name)
        self._services = build_services(self._services.database, actor)
        if not self.is_admin_view():
            self.dashboard.set_bilan_service(self._services.bilans)
        if self.referentiel_editor is not None and self.referentiel_editor.isVisible():
            # It signs with the name it was opened with: the next one signs with the new.
            self.referentiel_editor.close()
        self._update_title()
        self.profile_action.setText(self._profile_text())
        self.statusBar().showMessage(self.tr("Nom affiché : %1").replace("%1", name), 5000)

    def open_bilan(self, bilan_id: int, author_id: int) -> BilanEditor | None:
        """From the Bilans module: read-only, or the editor when it is the user's own draft."""
        from livret.ui.bilan.editor import BilanEditor

        bilans = self._services.bilans
        try:
            sheet = bilans.sheet(bilan_id)
        except LivretError as exc:
            show_error(self, exc.message)
            return None
        own_draft = not sheet.is_final and author_id == (bilans.actor.user_id or -1)
        suggestions = {}
        if own_draft:
            try:
                learner = self._services.dashboards.learner_dashboard(sheet.learner_id)
            except LivretError as exc:
                show_error(self, exc.message)
                return None
            suggestions = suggestions_by_cc(learner, self.dashboard.suggestion_settings())
        if self.bilan_editor is not None:
            self.bilan_editor.close()
        editor = BilanEditor(
            bilans,
            sheet,
            suggestions,
            can_unlock=bilans.actor.may_position,
            read_only=not sheet.is_final and not own_draft,
            database=self._services.database,
            parent=self,
        )
        editor.bilan_changed.connect(self._on_bilan_changed)
        self.bilan_editor = editor
        self._keep_size(editor)
        editor.show()
        return editor

    def export_selected_pdf(self) -> Path | None:
        from livret.ui.pdf_export import export_bilan

        item = self.bilans_module.selected_item()
        if item is None:
            show_error(self, self.tr("Choisissez d'abord un bilan dans la liste."))
            return None
        name = _pdf_name(item.class_code, item.learner_name, str(item.bilan_date))
        return export_bilan(self, self._services.exports, item.bilan_id, name)

    def export_class_pdfs(self) -> ClassPdfDialog | None:
        """PDF de la classe, for the class chosen on the left: the day, drafts, who gets what."""
        from livret.ui.pdf_export import ClassPdfDialog

        class_id = self.selector.current_class_id()
        info = next((c for c in self.selector.classes() if c.id == class_id), None)
        if info is None:
            show_error(self, self.tr("Choisissez d'abord une classe."))
            return None
        try:
            dialog = ClassPdfDialog(
                self._services.exports,
                info.code,
                info.school_year_label,
                self,
                conseil_date=self.conseil_date,
            )
        except LivretError as exc:
            show_error(self, exc.message)
            return None
        self.class_pdf_dialog = dialog
        self._keep_size(dialog)
        dialog.show()
        return dialog

    def open_new_evaluation(self) -> EvaluationDialog | None:
        """Nouvelle évaluation for the class chosen on the left: the grid of results."""
        from livret.ui.evaluation_dialog import EvaluationDialog

        class_id = self.selector.current_class_id()
        if class_id is None:
            show_error(self, self.tr("Choisissez d'abord une classe."))
            return None
        try:
            learners = self._services.catalog.list_learners(class_id)
            dialog = EvaluationDialog(self._services.evaluations, learners, class_id, self)
        except LivretError as exc:
            show_error(self, exc.message)
            return None
        dialog.accepted.connect(self._on_evaluation_created)
        self.evaluation_dialog = dialog
        self._keep_size(dialog)
        dialog.open()
        return dialog

    def open_evaluation_list(self) -> EvaluationListDialog | None:
        """Évaluations de la classe chosen on the left: change or delete an evaluation."""
        from livret.ui.evaluation_list import EvaluationListDialog

        class_id = self.selector.current_class_id()
        info = next((c for c in self.selector.classes() if c.id == class_id), None)
        if class_id is None or info is None:
            show_error(self, self.tr("Choisissez d'abord une classe."))
            return None
        try:
            learners = self._services.catalog.list_learners(class_id)
            dialog = EvaluationListDialog(
                self._services.evaluations,
                class_id,
                learners,
                class_label=f"{info.code} ({info.school_year_label})",
                parent=self,
            )
        except LivretError as exc:
            show_error(self, exc.message)
            return None
        dialog.evaluations_changed.connect(self._on_evaluation_created)
        self.evaluation_list = dialog
        self._keep_size(dialog)
        dialog.open()
        return dialog

    def open_evaluation_editor(self, evaluation_id: int) -> EvaluationDialog | None:
        """Modifier l'évaluation, asked from the dashboard's detail window."""
        from livret.ui.evaluation_dialog import EvaluationDialog

        class_id = self.selector.current_class_id()
        try:
            learners = self._services.catalog.list_learners(class_id) if class_id else ()
            dialog = EvaluationDialog.for_edit(
                self._services.evaluations, evaluation_id, learners, self
            )
        except LivretError as exc:
            show_error(self, exc.message)
            return None
        dialog.accepted.connect(self._on_evaluation_created)
        self.evaluation_dialog = dialog
        self._keep_size(dialog)
        dialog.open()
        return dialog

    def _on_evaluation_created(self) -> None:
        learner_id = self.selector.current_learner_id()
        if learner_id is not None:
            self.dashboard.show_learner(learner_id)
        self._refresh_lists()

    def open_marks(self) -> MarksDialog | None:
        """Noter le dernier bilan, for the class chosen on the left."""
        from livret.ui.marks_dialog import MarksDialog

        class_id = self.selector.current_class_id()
        self.class_overview.read_pending()  # its common competencies name the columns
        overview = self.class_overview.model.overview
        if class_id is None or overview is None:
            show_error(self, self.tr("Choisissez d'abord une classe."))
            return None
        try:
            dialog = MarksDialog(
                self._services.marks,
                class_id,
                overview.common_competencies,
                self,
                conseil_date=self.conseil_date,
            )
        except LivretError as exc:
            show_error(self, exc.message)
            return None
        dialog.finished.connect(lambda _result: self.bilans_module.reload())
        self.marks_dialog = dialog
        self._keep_size(dialog)
        dialog.show()
        return dialog

    def import_siecle(self, path: Path | None = None) -> ImportDialog | None:
        """Fichier → Importer les élèves (SIECLE): preview, then import; the lists follow."""
        from livret.ui.imports import open_siecle_import

        dialog = open_siecle_import(self, self._services, path)
        if dialog is not None:
            dialog.imported.connect(lambda _report: self.reload_all())
            self._keep_size(dialog)
        return dialog

    def import_results(self, path: Path | None = None) -> ImportDialog | None:
        """Fichier → Importer des résultats: check, then import; the dashboard follows."""
        from livret.ui.imports import open_results_import

        dialog = open_results_import(self, self._services, path)
        if dialog is not None:
            dialog.imported.connect(lambda _report: self.reload_all())
            self._keep_size(dialog)
        return dialog

    def open_referentiel_editor(self) -> ReferentielEditor | None:
        """Référentiel → Modifier: one editor at a time, raised when already open."""
        from livret.ui.referentiel_editor import open_referentiel_editor

        editor = self.referentiel_editor
        if editor is not None and editor.isVisible():
            editor.raise_()
            editor.activateWindow()
            return editor
        editor = open_referentiel_editor(self, self._services)
        if editor is not None:
            editor.referentiel_changed.connect(lambda _preview: self.reload_all())
            self._keep_size(editor)
        self.referentiel_editor = editor
        return editor

    def import_referentiel(self, path: Path | None = None) -> ReferentielPreviewDialog | None:
        """Référentiel → Importer: the file's changes in a preview, applied on demand."""
        from livret.ui.referentiel_exchange import import_referentiel

        dialog = import_referentiel(self, self._services, path)
        if dialog is not None:
            dialog.applied.connect(lambda _preview: self._on_referentiel_imported())
            self._keep_size(dialog)
        return dialog

    def _on_referentiel_imported(self) -> None:
        editor = self.referentiel_editor
        if editor is not None and editor.isVisible() and not editor.is_dirty():
            editor.reload()  # an open editor without edits shows the imported version
        self.reload_all()

    def export_referentiel(
        self, path: Path | None = None, fmt: Literal["json", "case"] = "json"
    ) -> Path | None:
        """Référentiel → Exporter: JSON (re-importable) or a 1EdTech CASE package."""
        from livret.ui.referentiel_exchange import export_referentiel

        written = export_referentiel(self, self._services, path, fmt)
        if written is not None:
            self.statusBar().showMessage(
                self.tr("Référentiel exporté : %1").replace("%1", str(written)), 5000
            )
        return written

    def reload_all(self) -> None:
        """Read classes, learners and the current dashboard again (after an import)."""
        if self.is_admin_view():
            self.statusBar().showMessage(self.tr("Import terminé."), 5000)
            return
        class_id = self.selector.current_class_id()
        learner_id = self.selector.current_learner_id()
        try:
            self.selector.reload()
        except LivretError as exc:
            show_error(self, exc.message)
            return
        if class_id is not None and self.selector.select_class(class_id) and learner_id is not None:
            self.selector.select_learner(learner_id)
        learner_id = self.selector.current_learner_id()
        if learner_id is not None:
            self.dashboard.show_learner(learner_id)
        self._refresh_lists()

    def _on_remote_changes(self, changes: list[Change]) -> None:
        """Changes committed elsewhere: refresh only the views they touch.

        Open bilan editors keep their unsaved edits: one showing a changed draft says
        who changed it and offers to reload.
        """
        self._notify_editors(changes)
        classes = set().union(*(change.class_ids for change in changes))
        if any(change.everything for change in changes) or (
            self.selector.current_class_id() in classes
        ):
            self.reload_all()
        else:
            learners = set().union(*(change.learner_ids for change in changes))
            shown = self.dashboard.shown_learner_id()
            if shown is not None and shown in learners:
                self.dashboard.refresh()
            if learners & self.selector.learner_ids() or any(c.bilan_id for c in changes):
                self._refresh_lists()
        names = ", ".join(sorted({change.actor for change in changes}))
        self.statusBar().showMessage(
            self.tr("Mis à jour : modifications de %1").replace("%1", names), 8000
        )

    def _notify_editors(self, changes: list[Change]) -> None:
        for editor in (self.bilan_editor, self.dashboard.editor):
            if editor is None or not editor.isVisible():
                continue
            touching = [c for c in changes if c.bilan_id == editor.sheet.bilan_id]
            if not touching:
                continue
            if editor.is_editable():
                editor.show_remote_change(touching[-1].actor)
            else:
                editor.reload_from_database()  # nothing typed there to lose

    def _on_bilan_changed(self, learner_id: int) -> None:
        """A bilan opened from the module changed: every view showing it follows."""
        self._refresh_lists()
        if self.selector.current_learner_id() == learner_id:
            self.dashboard.show_learner(learner_id)

    def _refresh_lists(self) -> None:
        try:
            self.bilans_module.reload()
        except LivretError as exc:
            show_error(self, exc.message)
        class_id = self.selector.current_class_id()
        if class_id is not None:
            self._show_overview(class_id)

    def _on_draft_positioning_saved(self, bilan_id: int, version: int, cc: int, level: str) -> None:
        editor = self.bilan_editor
        if editor is not None and editor.isVisible() and editor.sheet.bilan_id == bilan_id:
            editor.sync_positioning(cc, level, version)

    def _on_tab_changed(self, index: int) -> None:
        if self.tabs.widget(index) is self.bilans_module:
            self._refresh_lists()

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
        self._show_overview(class_id)
        self.conseil_view.set_classes(self.selector.classes(), current=class_id)
        self.lsl_view.show_class(class_id)

    def _show_overview(self, class_id: int) -> None:
        # The view says in place when reading fails: no message box on every refresh.
        info = next((c for c in self.selector.classes() if c.id == class_id), None)
        # Read when its tab is shown: start-up and a switch elsewhere do not wait for it.
        self.class_overview.show_class_when_visible(class_id, label=info.code if info else None)

    def _on_class_choice_settled(self, _index: int) -> None:
        """Whatever the selector managed to read, the views follow what it now shows."""
        if self.selector.current_learner_id() is None and self.dashboard.shown_learner_id():
            self.dashboard.show_learner(None)
        class_id = self.selector.current_class_id()
        if class_id is not None and self.class_overview.shown_class_id() != class_id:
            self._show_overview(class_id)

    def _on_overview_learner(self, learner_id: int) -> None:
        """A double-click in the class overview opens that learner's dashboard."""
        if self.selector.select_learner(learner_id):
            self.tabs.setCurrentWidget(self.dashboard)

    def _on_positioning_saved(self, _learner: int, _cc: int, _level: str) -> None:
        class_id = self.selector.current_class_id()
        if class_id is not None:
            self._show_overview(class_id)

    def _on_learner_changed(self, learner_id: int) -> None:
        if learner_id < 0:
            self.dashboard.show_learner(None)
            return
        self._settings.setValue(SETTINGS_LEARNER, learner_id)
        name = self.selector.learner_list.currentIndex().data()
        self.dashboard.show_learner(learner_id, name=str(name) if name else None)

    def settle_unsaved(self) -> bool:
        """Save or drop what this window holds unsaved (a typed LSL Pro appréciation);
        False when the teacher chose « Annuler ». livret.app asks it before opening
        another base or restoring a backup, so that « Annuler » still changes nothing."""
        lsl = getattr(self, "lsl_view", None)  # an Administrateur's window has none
        return lsl is None or lsl.keep_or_drop_appreciation()

    def closeEvent(self, event: QCloseEvent) -> None:
        """Override QWidget::closeEvent: remember the layout, let a running import end.

        A typed LSL Pro appréciation is saved or dropped first; « Annuler » keeps the
        window open.
        """
        if not self.settle_unsaved():
            event.ignore()
            return
        # An import being written is all or nothing: wait for its transaction rather
        # than destroy its thread; a check still running is waited for too.
        worker = sys.modules.get("livret.ui.imports.worker")
        if worker is not None:  # no import can be running before its module was loaded
            worker.ImportJob.wait_all()
        live = getattr(self, "live_refresh", None)  # an Administrateur's window has none
        if live is not None:
            live.stop()
        app = QGuiApplication.instance()
        if self._watching_focus and isinstance(app, QGuiApplication):
            app.focusWindowChanged.disconnect(self._on_focus_window)
            self._watching_focus = False
        if self.help_window is not None:
            self.help_window.close()
        self._settings.setValue(SETTINGS_GEOMETRY, self.saveGeometry())
        self._settings.setValue(SETTINGS_STATE, self.saveState())
        self._settings.sync()
        super().closeEvent(event)


def _as_int(value: object) -> int | None:
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


def _pdf_name(class_code: str | None, learner_name: str, bilan_date: str) -> str:
    """The PDF's suggested file name: « 1PLP1_BARBIER_Enzo_2026-03-20.pdf »."""
    return f"{class_code or 'bilan'}_{learner_name}_{bilan_date}.pdf".replace(" ", "_")


def _give_shortcut(widget: QWidget, action: QAction) -> None:
    """Add the action to another window unless it already answers the same keys
    (another main window's own F1 would make the shortcut ambiguous: Qt then runs none)."""
    keys = action.shortcut()
    if all(other is not action and other.shortcut() != keys for other in widget.actions()):
        widget.addAction(action)
