"""The learner dashboard widget: toolbar (⇒⇐, CC ▾, ☰, BILAN INTERMÉDIAIRE) over the table."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QActionGroup, QFont, QFontMetrics, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QMenu,
    QPushButton,
    QStyle,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from livret.domain.errors import LivretError
from livret.domain.suggestion import METHOD_LABELS, SuggestionMethod, SuggestionSettings
from livret.services.bilans import BilanService, BilanSheet
from livret.services.dashboard import DashboardService
from livret.services.database import Database
from livret.services.dto import LearnerDashboard
from livret.ui.dashboard.delegate import MarkDelegate, RowHeader
from livret.ui.dashboard.detail import EvaluationDetailWindow
from livret.ui.dashboard.model import (
    CELL_KIND_ROLE,
    EVALUATION_INDEX_ROLE,
    SECTION_ROLE,
    CellKind,
    DashboardModel,
    RowKind,
    ViewOptions,
    suggestions_by_cc,
)
from livret.ui.dashboard.picker import LevelPicker
from livret.ui.dashboard.scope import EVERYTHING, ColumnScope, ScopeChoice, resolve, scope_choices
from livret.ui.dashboard.table import DashboardTable
from livret.ui.error_dialog import doing
from livret.ui.load_failure import FailableArea, failure_reason
from livret.ui.messages import show_error
from livret.ui.remembered import remember_size
from livret.ui.text import count
from livret.ui.widgets.one_line_label import OneLineLabel

if TYPE_CHECKING:
    from livret.ui.bilan.editor import BilanEditor  # imported when opened (pyqtgraph)

SETTINGS_CONDENSED = "dashboard/condensed"
SETTINGS_NATURES = "dashboard/natures"
SETTINGS_SPECIALTIES = "dashboard/hidden_specialties"
SETTINGS_METHOD = "dashboard/suggestion_method"

ROW_HEIGHTS = {RowKind.TITLE: 44, RowKind.CRITERION: 24, RowKind.BILANS: 28}
LABEL_WIDTH = 470
"""The criterion labels' width in a wide window."""
MIN_LABEL_WIDTH = 300
LABEL_SHARE = 0.4
"""In a narrower window the labels take this share of the table, down to MIN_LABEL_WIDTH:
at the default 1200×800 the columns get more than half of it."""
MIN_COLUMN_WIDTH = 28
# The default: everything, opened on the current period. A teacher never wonders where
# marks went, and the current period may straddle two school years (a year would hide
# marks its suggestion counts); the choice is kept for the session.
DEFAULT_SCOPE = EVERYTHING


class DashboardView(QWidget):
    """The chosen learner's livret, one section per common competency.

    When reading a learner's dashboard fails, nothing of the learner shown before stays:
    the view clears, says in place what failed, and offers « Réessayer ».

    Signals:
        learner_shown(int): a learner's dashboard is on screen (-1: nobody, or it failed).
        positioning_saved(int, int, str): learner id, CC id and level just stored.
        draft_positioning_saved(int, int, int, str): bilan id, its new version, CC id, level.
        bilan_changed(int): a bilan of that learner was saved, finalized or unlocked.
        evaluation_edit_requested(int): the detail window asks to change that evaluation.
    """

    learner_shown = Signal(int)
    positioning_saved = Signal(int, int, str)
    draft_positioning_saved = Signal(int, int, int, str)
    bilan_changed = Signal(int)
    evaluation_edit_requested = Signal(int)

    def __init__(
        self,
        dashboards: DashboardService,
        bilans: BilanService,
        specialties: Sequence[tuple[str, str]],
        settings: QSettings,
        parent: QWidget | None = None,
        *,
        database: Database | None = None,
    ) -> None:
        """`database` lets the unlock dialog tell whether a DDFPT account exists."""
        super().__init__(parent)
        self._dashboards = dashboards
        self._bilans = bilans
        self._database = database
        self.editor: BilanEditor | None = None
        self._settings = settings
        self._specialties = [code for code, _ in specialties]
        self._learner_id: int | None = None
        self._learner_name: str | None = None
        self.detail_window: EvaluationDetailWindow | None = None
        self._code_advances: dict[str, int] = {}  # column code → its width in the header font
        self._jump_headings: tuple[str, ...] = ()  # the CCs the jump menu lists
        self._pinned_right = False  # the expanded view shows its latest columns
        self._scope: ColumnScope = DEFAULT_SCOPE  # the teacher's choice, for the session
        self._scope_choices: tuple[ScopeChoice, ...] = ()
        self.picker: LevelPicker | None = None

        self.model = DashboardModel(self)
        self.table = DashboardTable(self.model)
        self.table.setAccessibleName(self.tr("Tableau de bord de l'apprenant"))
        self.table.setItemDelegate(MarkDelegate(self.model, self.table))
        self.row_header = RowHeader(self.table)
        self.table.setVerticalHeader(self.row_header)
        self.row_header.setFixedWidth(LABEL_WIDTH)  # then fitted to the window's width
        # Criterion rows, most of them, keep the default height: only the others are sized.
        self.row_header.setMinimumSectionSize(min(ROW_HEIGHTS.values()))
        self.row_header.setDefaultSectionSize(ROW_HEIGHTS[RowKind.CRITERION])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        self.table.horizontalHeader().setDefaultAlignment(Qt.AlignmentFlag.AlignCenter)
        self.table.setShowGrid(False)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.table.clicked.connect(self._on_cell_activated)
        horizontal = self.table.horizontalScrollBar()
        horizontal.rangeChanged.connect(self._on_horizontal_range_changed)
        horizontal.actionTriggered.connect(self._on_horizontal_scrolled)
        horizontal.valueChanged.connect(self._on_horizontal_value_changed)
        self.table.activated.connect(self._on_cell_activated)

        # One-line labels: a new learner's texts repaint them, not the whole window.
        self.title = OneLineLabel(self.tr("Aucun apprenant choisi"))
        self.title.setObjectName("learnerTitle")
        title_font = QFont(self.title.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.5)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.summary = OneLineLabel()

        self._build_toolbar()
        top = QHBoxLayout()
        top.addWidget(self.condensed_button)
        top.addWidget(self.jump_button)
        top.addWidget(self.menu_button)
        top.addWidget(self.scope_combo)
        top.addStretch(1)
        top.addWidget(self.bilan_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.summary)
        layout.addLayout(top)
        self.area = FailableArea(self.table)
        self.failure = self.area.failure
        self.failure.retry_requested.connect(self.retry)
        layout.addWidget(self.area, 1)
        self._restore_options()

    # -- toolbar -----------------------------------------------------------------------

    def _build_toolbar(self) -> None:
        self.condensed_action = QAction("⇒⇐", self)
        self.condensed_action.setCheckable(True)
        self.condensed_action.setShortcut(QKeySequence("Ctrl+D"))
        self.condensed_action.setToolTip(
            self.tr("Vue condensée / vue étendue (Ctrl+D) : marques tassées à gauche, ou alignées")
        )
        self.condensed_action.toggled.connect(self._on_options_changed)
        self.condensed_button = QToolButton()
        self.condensed_button.setDefaultAction(self.condensed_action)
        self.condensed_button.setAccessibleName(self.tr("Vue condensée"))

        self.jump_menu = QMenu(self)
        self.jump_button = QToolButton()
        self.jump_button.setText("CC1.1 ▾")
        self.jump_button.setToolTip(self.tr("Aller à une compétence commune"))
        self.jump_button.setAccessibleName(self.tr("Aller à une compétence commune"))
        self.jump_button.setMenu(self.jump_menu)
        self.jump_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)

        self.options_menu = QMenu(self)
        self.options_menu.addAction(self.condensed_action)
        self.condensed_action.setText(self.tr("Vue condensée ⇒⇐"))
        self.options_menu.addSection(self.tr("Spécialités"))
        self.specialty_actions: dict[str, QAction] = {}
        for code in self._specialties:
            action = self._check_action(code, self._on_options_changed)
            self.options_menu.addAction(action)
            self.specialty_actions[code] = action
        self.options_menu.addSection(self.tr("Nature des évaluations"))
        self.nature_actions = {
            "F": self._check_action(self.tr("F — Formative"), self._on_options_changed),
            "E": self._check_action(self.tr("E — Entreprise"), self._on_options_changed),
        }
        for action in self.nature_actions.values():
            self.options_menu.addAction(action)
        self.options_menu.addSection(self.tr("Suggestion du positionnement"))
        self.method_group = QActionGroup(self)
        self.method_actions: dict[SuggestionMethod, QAction] = {}
        for method, label in METHOD_LABELS.items():
            action = QAction(label.replace("N ", "3 "), self.method_group)
            action.setCheckable(True)
            action.triggered.connect(self._on_method_changed)
            self.options_menu.addAction(action)
            self.method_actions[method] = action
        self.menu_button = QToolButton()
        self.menu_button.setText("☰")
        self.menu_button.setToolTip(self.tr("Options d'affichage"))
        self.menu_button.setAccessibleName(self.tr("Options d'affichage"))
        self.menu_button.setMenu(self.options_menu)
        self.menu_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)

        self.scope_combo = QComboBox()
        # As wide as « Année 2025-2026 »; the list opens as wide as its longest entry.
        self.scope_combo.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
        )
        self.scope_combo.setMinimumContentsLength(16)
        self.scope_combo.setToolTip(
            self.tr("Évaluations montrées : la période en cours, une période, une année, ou tout")
        )
        self.scope_combo.setAccessibleName(self.tr("Évaluations montrées"))
        self.scope_combo.setEnabled(False)
        self.scope_combo.activated.connect(self._on_scope_chosen)

        self.bilan_button = QPushButton(self.tr("BILAN INTERMÉDIAIRE"))
        self.bilan_button.setEnabled(False)
        self.bilan_button.setToolTip(
            self.tr("Ouvrir le bilan intermédiaire en cours (brouillon) de l'apprenant")
        )
        self.bilan_button.setStyleSheet("QPushButton { font-weight: bold; padding: 4px 12px; }")
        self.bilan_button.clicked.connect(self.open_bilan_editor)

    def _check_action(self, text: str, slot: Callable[[], None]) -> QAction:
        action = QAction(text, self)
        action.setCheckable(True)
        action.setChecked(True)
        action.toggled.connect(slot)
        return action

    def _restore_options(self) -> None:
        widgets = [self.condensed_action, *self.specialty_actions.values()]
        widgets += list(self.nature_actions.values())
        for action in widgets:
            action.blockSignals(True)
        self.condensed_action.setChecked(_as_bool(self._settings.value(SETTINGS_CONDENSED)))
        natures = str(self._settings.value(SETTINGS_NATURES, "FE") or "FE")
        for code, action in self.nature_actions.items():
            action.setChecked(code in natures)
        hidden = str(self._settings.value(SETTINGS_SPECIALTIES, "") or "").split(",")
        for code, action in self.specialty_actions.items():
            action.setChecked(code not in hidden)
        for action in widgets:
            action.blockSignals(False)
        method = str(self._settings.value(SETTINGS_METHOD, SuggestionMethod.DECAYING.value))
        chosen = next(
            (m for m in self.method_actions if m.value == method), SuggestionMethod.DECAYING
        )
        self.method_actions[chosen].setChecked(True)
        self.model.set_dashboard(None, self.view_options(), self.suggestion_settings())

    # -- public ------------------------------------------------------------------------

    def view_options(self) -> ViewOptions:
        specialties = frozenset(c for c, a in self.specialty_actions.items() if a.isChecked())
        natures = frozenset(c for c, a in self.nature_actions.items() if a.isChecked())
        return ViewOptions(
            condensed=self.condensed_action.isChecked(),
            specialties=None if len(specialties) == len(self.specialty_actions) else specialties,
            natures=natures,
            scope=self._scope,
        )

    def suggestion_settings(self) -> SuggestionSettings:
        method = next(
            (m for m, a in self.method_actions.items() if a.isChecked()), SuggestionMethod.DECAYING
        )
        return SuggestionSettings(method)

    def show_learner(self, learner_id: int | None, *, name: str | None = None) -> bool:
        """Read the learner's dashboard (one service call) and show it; False if it failed.

        `name` (as the selector shows it) is for the failure message; on a failure the
        view is cleared and says what failed, with « Réessayer ».
        """
        if name is not None or learner_id != self._learner_id:
            self._learner_name = name
        self._learner_id = learner_id
        if learner_id is None:
            self._show(None)
            self.learner_shown.emit(-1)
            return True
        try:
            dashboard = self._dashboards.learner_dashboard(learner_id)
        except Exception as exc:  # a LivretError, or a bug: never the previous learner shown
            reason = failure_reason(exc, f"tableau de bord, apprenant n° {learner_id}")
            self._show_failure(learner_id, reason)
            return False
        self._learner_name = dashboard.learner.display_name
        self._show(dashboard)
        self.learner_shown.emit(learner_id)
        return True

    def retry(self) -> bool:
        """Réessayer: read the learner asked for again."""
        return self.show_learner(self._learner_id)

    @property
    def load_failed(self) -> bool:
        return self.area.failed

    def _show_failure(self, learner_id: int, reason: str) -> None:
        self._show(None)
        for window in (self.detail_window, self.picker):
            if window is not None:
                window.close()  # they show the learner shown before
        who = self._learner_name or self.tr("l'apprenant n° %1").replace("%1", str(learner_id))
        self.title.setText(self.tr("Tableau de bord non chargé"))
        self.summary.setText("")
        self.area.show_failure(
            self.tr("Le tableau de bord de %1 n'a pas pu être chargé : %2")
            .replace("%1", who)
            .replace("%2", reason)
        )
        self.learner_shown.emit(-1)

    def refresh(self) -> None:
        """Read the learner shown again (a colleague changed it), keeping the scroll position."""
        if self._learner_id is None:
            return
        vertical = self.table.verticalScrollBar().value()
        horizontal = self.table.horizontalScrollBar().value()
        self.show_learner(self._learner_id)
        self.table.verticalScrollBar().setValue(vertical)
        self.table.horizontalScrollBar().setValue(horizontal)

    def shown_learner_id(self) -> int | None:
        return self._learner_id

    def set_condensed(self, condensed: bool) -> None:
        self.condensed_action.setChecked(condensed)

    def jump_to(self, section: int) -> None:
        """Scroll so that a CC's title is at the top."""
        # Pixel scrolling: the header knows each row's position as soon as it is sized.
        row = self.model.title_row(section)
        bar = self.table.verticalScrollBar()
        # The range follows the rows' heights only at the next layout: set it now.
        bar.setRange(0, max(0, self.row_header.length() - self.table.viewport().height()))
        bar.setValue(self.row_header.sectionPosition(row))
        self.jump_button.setText(f"{self.model.section(section).common_competency.code} ▾")

    def open_detail(self, evaluation_index: int) -> EvaluationDetailWindow:
        dashboard = self.model.dashboard
        assert dashboard is not None
        if self.detail_window is None:
            self.detail_window = EvaluationDetailWindow(self)
            self.detail_window.edit_requested.connect(self.evaluation_edit_requested)
        self.detail_window.show_evaluation(dashboard, evaluation_index)
        return self.detail_window

    def open_picker(self, section: int) -> LevelPicker:
        cc = self.model.section(section).common_competency
        picker = LevelPicker(
            cc.heading, self.model.current_level(section), self.model.suggestion(section), self
        )
        picker.level_chosen.connect(lambda level: self._save_positioning(section, level))
        index = self.model.current_cell(section)
        rect = self.table.visualRect(index)
        picker.move(self.table.viewport().mapToGlobal(rect.bottomLeft()))
        self.picker = picker
        picker.show()
        return picker

    # -- slots -------------------------------------------------------------------------

    def set_bilan_service(self, bilans: BilanService) -> None:
        """The session's actor changed (its display name): bilans are written as that actor."""
        self._bilans = bilans

    def open_bilan_editor(self) -> BilanEditor | None:
        """BILAN INTERMÉDIAIRE: the learner's draft (created if none) in the editor."""
        dashboard = self.model.dashboard
        if dashboard is None:
            return None
        try:
            with doing(self.tr("ouvrir le bilan intermédiaire")):
                sheet = self._bilans.open_draft(dashboard.learner.id)
        except LivretError as exc:
            show_error(self, exc.message)
            return None
        return self._open_editor(sheet)

    def open_final_bilan(self, bilan_id: int) -> BilanEditor | None:
        """A final bilan, read-only (unlocked from there with the DDFPT's countersignature)."""
        try:
            with doing(self.tr("ouvrir un bilan définitif")):
                sheet = self._bilans.sheet(bilan_id)
        except LivretError as exc:
            show_error(self, exc.message)
            return None
        return self._open_editor(sheet)

    def _open_editor(self, sheet: BilanSheet) -> BilanEditor:
        from livret.ui.bilan.editor import BilanEditor

        dashboard = self.model.dashboard
        suggestions = suggestions_by_cc(dashboard, self.suggestion_settings()) if dashboard else {}
        if self.editor is not None and self.editor.close():
            self.editor.deleteLater()  # closed editors would pile up over a session
        editor = BilanEditor(
            self._bilans,
            sheet,
            suggestions,
            can_unlock=self._bilans.actor.may_position,
            database=self._database,
            parent=self,
        )
        editor.bilan_changed.connect(self._on_bilan_changed)
        self.editor = editor
        remember_size(editor, settings=self._settings)  # the size it had when last closed
        editor.show()
        return editor

    def _on_bilan_changed(self, learner_id: int) -> None:
        """A saved, finalized or unlocked bilan: new positionings, maybe a new period."""
        if learner_id == self._learner_id:
            self.show_learner(learner_id)
        self.bilan_changed.emit(learner_id)

    def _show(self, dashboard: LearnerDashboard | None) -> None:
        self.area.show_content()
        self.bilan_button.setEnabled(dashboard is not None)
        self.model.set_dashboard(dashboard, self.view_options(), self.suggestion_settings())
        self._apply_sizes()
        self._fill_jump_menu(dashboard)
        self._fill_scope_combo(dashboard)
        if dashboard is None:
            self.title.setText(self.tr("Aucun apprenant choisi"))
            self.summary.setText(self.tr("Choisissez une classe puis un apprenant."))
            return
        learner = dashboard.learner
        self.title.setText(learner.display_name)
        parts = [
            f"{learner.class_label or '—'} ({learner.school_year_label or '—'})",
            f"INE {learner.ine}",
            count(len(dashboard.evaluations), self.tr("évaluation")),
            count(len(dashboard.final_bilans), self.tr("bilan définitif"), "bilans définitifs"),
        ]
        if dashboard.final_bilans:
            last = dashboard.final_bilans[-1].bilan_date.strftime("%d/%m/%Y")
            parts.append(self.tr("période en cours depuis le %1").replace("%1", last))
        if dashboard.draft is not None:
            parts.append(self.tr("brouillon de bilan en cours"))
        if learner.left_on is not None:
            parts.append(self.tr("sorti le %1").replace("%1", learner.left_on.strftime("%d/%m/%Y")))
        self.summary.setText(" · ".join(parts))

    def _apply_sizes(self) -> None:
        """Row heights by kind, spans over title rows, column widths from the codes."""
        self.table.clearSpans()
        columns = self.model.columnCount()
        for row in range(self.model.rowCount()):
            kind = self.model.row_kind(row)
            if kind is not RowKind.CRITERION:
                self.row_header.resizeSection(row, ROW_HEIGHTS[kind])
            if kind is RowKind.TITLE and columns > 1:
                self.table.setSpan(row, 0, 1, columns)
        header = self.table.horizontalHeader()
        # Measured in bold: the header shows the current cell's column in bold.
        bold = QFont(header.font())
        bold.setBold(True)
        metrics = QFontMetrics(bold)
        margin = 2 * header.style().pixelMetric(QStyle.PixelMetric.PM_HeaderMargin, None, header)
        actual_column = self.model.current_column_index()
        # Each line of the labels: the codes (F1 … E40) and days (03/11) come back at
        # each learner, so each is measured once.
        codes = {
            line
            for c in range(columns)
            if c != actual_column
            for line in str(self.model.headerData(c, Qt.Orientation.Horizontal)).split("\n")
        }
        advances = self._code_advances
        for code in codes - advances.keys():
            advances[code] = metrics.horizontalAdvance(code)
        widest = max((advances[code] for code in codes), default=0)
        header.setDefaultSectionSize(max(MIN_COLUMN_WIDTH, widest + margin + 4))
        actual = self.model.current_column_index()
        if actual is not None:
            text = str(self.model.headerData(actual, Qt.Orientation.Horizontal))
            header.resizeSection(actual, metrics.horizontalAdvance(text) + margin + 12)
        # Expanded, the view opens on the current period: its evaluations and « Actuel »
        # (the last column, the one the teacher clicks) are at the right end, so start
        # there. When the current period fits, its first evaluation is then near the left
        # edge with the end of the period before; when it does not, the latest of it show.
        # Condensed rows start at the left with the bilans packed first.
        bar = self.table.horizontalScrollBar()
        bar.setRange(0, max(0, header.length() - self.table.viewport().width()))
        # Until the teacher scrolls, the expanded view stays at its right end when the
        # range changes as the table is laid out (a vertical scroll bar appearing).
        self._pinned_right = actual is not None
        bar.setValue(bar.maximum() if actual is not None else 0)

    def _fit_labels(self) -> None:
        """The criterion labels' width: LABEL_WIDTH, or a share of a narrower window."""
        width = max(MIN_LABEL_WIDTH, min(LABEL_WIDTH, int(self.width() * LABEL_SHARE)))
        if width != self.row_header.width():
            self.row_header.setFixedWidth(width)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Override QWidget::resizeEvent: the labels follow the window's width."""
        super().resizeEvent(event)
        self._fit_labels()

    def set_scope(self, scope: ColumnScope) -> None:
        """Show one period, one school year or everything (kept for the next learners)."""
        self._scope = scope
        self.model.set_options(self.view_options())
        self._apply_sizes()
        self._fill_scope_combo(self.model.dashboard)

    def scope(self) -> ColumnScope:
        """The teacher's choice (this learner may show everything if it has no such period)."""
        return self._scope

    def _on_scope_chosen(self, index: int) -> None:
        if 0 <= index < len(self._scope_choices):
            self.set_scope(self._scope_choices[index].scope)

    def _fill_scope_combo(self, dashboard: LearnerDashboard | None) -> None:
        """This learner's periods and years; the entry of what the columns show."""
        combo = self.scope_combo
        combo.setEnabled(dashboard is not None)
        if dashboard is None:
            return
        choices = scope_choices(dashboard)
        if choices != self._scope_choices:  # a class's learners share their bilans' dates
            combo.blockSignals(True)
            combo.clear()
            for number, choice in enumerate(choices):
                combo.addItem(choice.label)
                combo.setItemData(number, choice.tooltip, Qt.ItemDataRole.ToolTipRole)
            combo.blockSignals(False)
            self._scope_choices = choices
            popup = combo.view()
            popup.setMinimumWidth(popup.sizeHintForColumn(0) + popup.frameWidth() * 2 + 8)
        shown = self.model.shown_scope()
        scopes = [choice.scope for choice in choices]
        if shown == EVERYTHING:
            index = scopes.index(EVERYTHING)
        elif self._scope in scopes:
            index = scopes.index(self._scope)
        else:  # a period index that is this learner's current period
            index = next(i for i, s in enumerate(scopes) if resolve(dashboard, s) == shown)
        combo.setCurrentIndex(index)

    def _on_horizontal_range_changed(self, _minimum: int, maximum: int) -> None:
        if self._pinned_right:
            self.table.horizontalScrollBar().setValue(maximum)

    def _on_horizontal_scrolled(self, _action: int) -> None:
        self._pinned_right = False  # the teacher scrolled: leave the view where they put it

    def _on_horizontal_value_changed(self, value: int) -> None:
        # Moved elsewhere than the right end (keyboard, a click scrolling a cell into
        # view, refresh): stay there. A range change comes first and keeps the pin.
        if value != self.table.horizontalScrollBar().maximum():
            self._pinned_right = False

    def _fill_jump_menu(self, dashboard: LearnerDashboard | None) -> None:
        self.jump_button.setText("CC1.1 ▾")
        self.jump_button.setEnabled(dashboard is not None)
        if dashboard is None:
            return
        headings = tuple(section.common_competency.heading for section in dashboard.sections)
        if headings != self._jump_headings:  # every learner has the same CCs: built once
            self.jump_menu.clear()
            for number, heading in enumerate(headings):
                action = self.jump_menu.addAction(heading)
                action.triggered.connect(lambda _=False, n=number: self.jump_to(n))
            self._jump_headings = headings
        self.jump_button.setText(f"{dashboard.sections[0].common_competency.code} ▾")

    def _on_options_changed(self) -> None:
        options = self.view_options()
        self._settings.setValue(SETTINGS_CONDENSED, options.condensed)
        self._settings.setValue(SETTINGS_NATURES, "".join(sorted(options.natures)))
        hidden = [c for c, a in self.specialty_actions.items() if not a.isChecked()]
        self._settings.setValue(SETTINGS_SPECIALTIES, ",".join(hidden))
        self.model.set_options(options)
        self._apply_sizes()

    def _on_method_changed(self) -> None:
        settings = self.suggestion_settings()
        self._settings.setValue(SETTINGS_METHOD, settings.method.value)
        self.model.set_suggestion_settings(settings)

    def _on_cell_activated(self, index: QModelIndex) -> None:
        kind = index.data(CELL_KIND_ROLE)
        if kind == CellKind.MARK:
            self.open_detail(int(index.data(EVALUATION_INDEX_ROLE)))
        elif kind == CellKind.CURRENT:
            self.open_picker(int(index.data(SECTION_ROLE)))
        elif kind == CellKind.PREVIOUS:
            bilan_id = self.model.previous_bilan_id(index.row(), index.column())
            if bilan_id is not None:
                self.open_final_bilan(bilan_id)

    def _save_positioning(self, section: int, level: str) -> None:
        dashboard = self.model.dashboard
        if dashboard is None:
            return
        cc = self.model.section(section).common_competency
        try:
            with doing(self.tr("enregistrer un positionnement")):
                saved = self._bilans.set_positioning(dashboard.learner.id, cc.id, level)
        except LivretError as exc:
            show_error(self, exc.message)
            return
        self.model.set_current_level(section, saved.level)
        if self.editor is not None and self.editor.sheet.bilan_id == saved.bilan_id:
            self.editor.sync_positioning(cc.id, saved.level, saved.bilan_version)
        self.positioning_saved.emit(dashboard.learner.id, cc.id, saved.level)
        self.draft_positioning_saved.emit(saved.bilan_id, saved.bilan_version, cc.id, saved.level)


def _as_bool(value: object) -> bool:
    return str(value).lower() in ("true", "1")
