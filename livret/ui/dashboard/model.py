"""The dashboard's table model: one title row, criterion rows and a blue bilans row per CC.

An adapter over the immutable LearnerDashboard DTO: building it runs no query,
and painting reads only what set_dashboard prepared.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any, NamedTuple

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
)
from PySide6.QtGui import QBrush

from livret.domain.levels import Level, parse_result_level, style_of
from livret.domain.suggestion import Suggestion, SuggestionSettings, suggest_level
from livret.services.dto import (
    DashboardSection,
    EvaluationInfo,
    LearnerDashboard,
    PositioningInfo,
    ResultInfo,
)
from livret.ui.dashboard.scope import EVERYTHING, ColumnScope, ScopeFilter, scope_filter
from livret.ui.theme import current_theme

ModelIndex = QModelIndex | QPersistentModelIndex

ROW_KIND_ROLE = Qt.ItemDataRole.UserRole + 1
LEVEL_ROLE = Qt.ItemDataRole.UserRole + 2
EVALUATION_INDEX_ROLE = Qt.ItemDataRole.UserRole + 3
UNDERLINE_ROLE = Qt.ItemDataRole.UserRole + 4
BAR_LEFT_ROLE = Qt.ItemDataRole.UserRole + 5
BAR_RIGHT_ROLE = Qt.ItemDataRole.UserRole + 6
CELL_KIND_ROLE = Qt.ItemDataRole.UserRole + 7
SECTION_ROLE = Qt.ItemDataRole.UserRole + 8

NATURE_LABELS = {"F": "Formative", "E": "Entreprise"}


class RowKind(IntEnum):
    TITLE = 0
    CRITERION = 1
    BILANS = 2


class CellKind(IntEnum):
    EMPTY = 0
    MARK = 1
    PREVIOUS = 2
    CURRENT = 3


@dataclass(frozen=True, slots=True)
class ViewOptions:
    """What the teacher chose to see."""

    condensed: bool = False
    specialties: frozenset[str] | None = None  # None: every specialty
    natures: frozenset[str] = frozenset({"F", "E"})
    scope: ColumnScope = EVERYTHING  # the columns' period, school year, or everything


@dataclass(frozen=True, slots=True)
class _Row:
    kind: RowKind
    section: int
    label: str
    tooltip: str
    marks: tuple[ResultInfo, ...] = ()
    by_column: dict[int, ResultInfo] = field(default_factory=dict)  # filled with the columns


class CellPaint(NamedTuple):
    """What the delegate needs to paint one cell, in one call (painting is the hot path)."""

    kind: CellKind
    text: str
    level: str | None
    row: RowKind
    """Paints an empty cell in its row's colour; a tile takes its level's (livret.ui.theme)."""
    underline: bool
    bar_left: bool
    bar_right: bool


_CELL_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_HEADER_ROLES = frozenset(
    {Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole, ROW_KIND_ROLE, SECTION_ROLE}
)
_EMPTY = CellPaint(CellKind.EMPTY, "", None, RowKind.CRITERION, False, False, False)
_EMPTY_BILANS = _EMPTY._replace(row=RowKind.BILANS)
_EMPTY_TITLE = _EMPTY._replace(row=RowKind.TITLE)


@dataclass(slots=True)
class _Layout:
    """Everything data() needs, computed once per learner or option change."""

    rows: list[_Row] = field(default_factory=list)
    columns: int = 0
    evaluation_columns: list[int] = field(default_factory=list)  # column → evaluation index
    column_of: dict[int, int] = field(default_factory=dict)  # evaluation index → column
    bar_left: set[int] = field(default_factory=set)
    bar_right: set[int] = field(default_factory=set)
    title_rows: list[int] = field(default_factory=list)
    # Expanded view: each final bilan's positioning sits at the end of its period,
    # and the current positioning in an extra last column ("Actuel").
    bilan_column: dict[int, int] = field(default_factory=dict)  # bilan id → column
    current_column: int | None = None  # None: condensed, packed after the previous ones
    # The scope resolved for this learner, and the first column of the current period.
    scope: ScopeFilter = field(default_factory=lambda: ScopeFilter(EVERYTHING, None, None))
    first_current_column: int | None = None
    # The line of codes, expanded view: each evaluation's code over its day (« F12\n03/11 »).
    column_labels: list[str] = field(default_factory=list)


def _date(value: Any) -> str:
    return value.strftime("%d/%m/%Y")


def evaluation_detail(evaluation: EvaluationInfo) -> str:
    """The hover text of an evaluation (line of codes, marks, detail window)."""
    lines = [
        f"{evaluation.short_code} — {evaluation.title}",
        f"{_date(evaluation.date)} — {NATURE_LABELS.get(evaluation.nature, evaluation.nature)}",
    ]
    if evaluation.author:
        lines.append(f"Évaluateur : {evaluation.author}")
    if evaluation.nature == "E":
        if evaluation.company:
            lines.append(f"Entreprise : {evaluation.company}")
        if evaluation.tutor:
            lines.append(f"Tuteur : {evaluation.tutor}")
        if evaluation.pfmp_start and evaluation.pfmp_end:
            lines.append(f"PFMP du {_date(evaluation.pfmp_start)} au {_date(evaluation.pfmp_end)}")
    if evaluation.context:
        lines.append(evaluation.context)
    return "\n".join(lines)


def section_suggestion(
    dashboard: LearnerDashboard, section: int, settings: SuggestionSettings
) -> Suggestion:
    """The suggested level of one CC from its results of the current period."""
    current = dashboard.current_period
    evaluations = dashboard.evaluations
    results = sorted(
        (
            result
            for row in dashboard.sections[section].rows
            for result in row.results
            if evaluations[result.evaluation_index].period == current
        ),
        key=lambda result: result.evaluation_index,
    )
    return suggest_level([parse_result_level(result.level) for result in results], settings)


def suggestions_by_cc(
    dashboard: LearnerDashboard, settings: SuggestionSettings
) -> dict[int, Suggestion]:
    """Every CC's suggestion, keyed by common competency id (for the bilan editor)."""
    return {
        section.common_competency.id: section_suggestion(dashboard, number, settings)
        for number, section in enumerate(dashboard.sections)
    }


class DashboardModel(QAbstractTableModel):
    """Rows: per CC, a title, the criteria with results, the blue bilans row.

    Columns, expanded view: one per evaluation shown, chronological, aligned across
    rows. Condensed view: each row's marks packed left.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._dashboard: LearnerDashboard | None = None
        self._options = ViewOptions()
        self._suggestion_settings: SuggestionSettings | None = None
        self._current: dict[int, str] = {}  # section → level, updated after a save
        self._suggestions: dict[int, Suggestion] = {}
        self._layout = _Layout()

    # -- state -------------------------------------------------------------------------

    @property
    def dashboard(self) -> LearnerDashboard | None:
        return self._dashboard

    @property
    def options(self) -> ViewOptions:
        return self._options

    def set_dashboard(
        self,
        dashboard: LearnerDashboard | None,
        options: ViewOptions | None = None,
        suggestion_settings: SuggestionSettings | None = None,
    ) -> None:
        """Show a learner (or nobody), with the given options."""
        self.beginResetModel()
        self._dashboard = dashboard
        if options is not None:
            self._options = options
        if suggestion_settings is not None:
            self._suggestion_settings = suggestion_settings
        self._current = (
            {i: s.current for i, s in enumerate(dashboard.sections)} if dashboard else {}
        )
        self._suggestions = {}
        self._layout = self._build_layout()
        self.endResetModel()

    def set_options(self, options: ViewOptions) -> None:
        self.set_dashboard(self._dashboard, options)

    def set_suggestion_settings(self, settings: SuggestionSettings) -> None:
        self._suggestion_settings = settings
        self._suggestions = {}
        row = self._bilans_rows()
        if row:
            column = self.columnCount() - 1
            self.dataChanged.emit(self.index(row[0], 0), self.index(row[-1], column))

    def set_current_level(self, section: int, level: str) -> None:
        """The saved positioning of a CC: repaint its current cell only."""
        self._current[section] = level
        index = self.current_cell(section)
        self.dataChanged.emit(index, index)

    def current_level(self, section: int) -> str:
        return self._current.get(section, Level.NE.value)

    def section(self, number: int) -> DashboardSection:
        assert self._dashboard is not None
        return self._dashboard.sections[number]

    def title_row(self, section: int) -> int:
        return self._layout.title_rows[section]

    def title_rows(self) -> list[int]:
        return list(self._layout.title_rows)

    def row_kind(self, row: int) -> RowKind:
        return self._layout.rows[row].kind

    def current_cell(self, section: int) -> QModelIndex:
        """The index of a CC's current positioning cell."""
        assert self._dashboard is not None
        row = self._layout.title_rows[section] + 1
        while self._layout.rows[row].kind is not RowKind.BILANS:
            row += 1
        return self.index(row, self._current_column(section))

    def previous_bilan_id(self, row_number: int, column: int) -> int | None:
        """The final bilan whose positioning a blue-row cell shows."""
        row = self._layout.rows[row_number]
        if row.kind is not RowKind.BILANS:
            return None
        positioning = self._previous_at(row.section, column)
        return positioning.bilan_id if positioning is not None else None

    def current_column_index(self) -> int | None:
        """The expanded view's "Actuel" column (None in the condensed view)."""
        return self._layout.current_column

    def first_current_period_column(self) -> int | None:
        """The expanded view's first column of the current period (None: none shown)."""
        return None if self._options.condensed else self._layout.first_current_column

    def shown_scope(self) -> ColumnScope:
        """The scope the columns cover for this learner (the teacher's, or everything)."""
        return self._layout.scope.scope

    def _current_column(self, section: int) -> int:
        if self._layout.current_column is not None:
            return self._layout.current_column
        assert self._dashboard is not None
        return len(self._dashboard.sections[section].previous)

    def _previous_at(self, section: int, column: int) -> PositioningInfo | None:
        previous = self.section(section).previous
        if self._layout.current_column is None:
            return previous[column] if column < len(previous) else None
        for positioning in previous:
            if self._layout.bilan_column.get(positioning.bilan_id) == column:
                return positioning
        return None

    def evaluation_at(self, index: ModelIndex) -> EvaluationInfo | None:
        value = self.data(index, EVALUATION_INDEX_ROLE)
        if value is None or self._dashboard is None:
            return None
        return self._dashboard.evaluations[int(value)]

    def suggestion(self, section: int) -> Suggestion | None:
        """The suggested level for a CC's current period (cached until settings change)."""
        if self._dashboard is None or self._suggestion_settings is None:
            return None
        if section not in self._suggestions:
            self._suggestions[section] = section_suggestion(
                self._dashboard, section, self._suggestion_settings
            )
        return self._suggestions[section]

    def _bilans_rows(self) -> list[int]:
        return [i for i, row in enumerate(self._layout.rows) if row.kind is RowKind.BILANS]

    # -- layout ------------------------------------------------------------------------

    def _build_layout(self) -> _Layout:
        layout = _Layout()
        dashboard = self._dashboard
        if dashboard is None:
            return layout
        options = self._options
        evaluations = dashboard.evaluations
        natures = options.natures
        layout.scope = scope_filter(dashboard, options.scope)
        in_scope = layout.scope.evaluations
        # One flag per evaluation (nature and scope), so each row filters its marks by index.
        visible = [
            evaluation.nature in natures and (in_scope is None or in_scope[index])
            for index, evaluation in enumerate(evaluations)
        ]
        every_nature = all(visible)
        specialties = options.specialties
        shown_evaluations: set[int] = set()
        widest = 0
        for number, section in enumerate(dashboard.sections):
            layout.title_rows.append(len(layout.rows))
            cc = section.common_competency
            layout.rows.append(
                _Row(RowKind.TITLE, number, cc.heading, f"{cc.heading}\n({cc.group_label})")
            )
            for row in section.rows:
                criterion = row.criterion
                if specialties is not None and criterion.specialty_code not in specialties:
                    continue
                marks = (
                    row.results
                    if every_nature
                    else tuple(result for result in row.results if visible[result.evaluation_index])
                )
                if not marks:
                    continue
                shown_evaluations.update([result.evaluation_index for result in marks])
                widest = max(widest, len(marks))
                tooltip = (
                    f"{criterion.label}\n{criterion.code} — {criterion.competency_code} : "
                    f"{criterion.competency_title}"
                )
                layout.rows.append(_Row(RowKind.CRITERION, number, criterion.label, tooltip, marks))
            layout.rows.append(
                _Row(
                    RowKind.BILANS,
                    number,
                    "Bilans intermédiaires de la compétence :",
                    f"Positionnements de {cc.code} aux bilans précédents, puis le positionnement "
                    "actuel (cliquer pour le choisir).",
                )
            )
            widest = max(widest, len(section.previous) + 1)
        layout.evaluation_columns = sorted(shown_evaluations)
        layout.column_of = {e: c for c, e in enumerate(layout.evaluation_columns)}
        current = dashboard.current_period
        shown = layout.evaluation_columns
        layout.first_current_column = next(
            (c for c, e in enumerate(shown) if evaluations[e].period >= current), None
        )
        if not options.condensed:
            # Day and month by hand: strftime imports `time` at each call, which PySide6's
            # import hook makes a Python call (a third of the labels' cost at 200 columns).
            layout.column_labels = [
                f"{ev.short_code}\n{ev.date.day:02d}/{ev.date.month:02d}"
                for ev in (evaluations[e] for e in shown)
            ]
        for shown_row in layout.rows:
            marks = shown_row.marks
            if options.condensed:
                shown_row.by_column.update(enumerate(marks))
            else:
                column_of = layout.column_of
                shown_row.by_column.update([(column_of[m.evaluation_index], m) for m in marks])
        if options.condensed:
            layout.columns = widest
        else:
            self._place_period_bars(layout)
            self._place_bilans(layout)
        return layout

    def _place_bilans(self, layout: _Layout) -> None:
        """Expanded view: a final bilan's positioning under the last evaluation of its period."""
        assert self._dashboard is not None
        evaluations = self._dashboard.evaluations
        periods = [evaluations[e].period for e in layout.evaluation_columns]
        shown_bilans = layout.scope.bilan_ids
        column = -1
        number = -1
        for bilan in self._dashboard.final_bilans:
            if shown_bilans is not None and bilan.id not in shown_bilans:
                continue
            number += 1
            # Period `number` ends with this bilan (bilans on one day share a period).
            period = self._dashboard.period_boundaries.index(bilan.bilan_date)
            last = max((c for c, p in enumerate(periods) if p <= period), default=-1)
            column = max(last, column + 1, number)
            layout.bilan_column[bilan.id] = column
        layout.current_column = max(len(layout.evaluation_columns), column + 1)
        layout.columns = layout.current_column + 1

    def _place_period_bars(self, layout: _Layout) -> None:
        """Thick bars where a final bilan separates two shown evaluations (expanded view)."""
        assert self._dashboard is not None
        evaluations = self._dashboard.evaluations
        columns = layout.evaluation_columns
        # A bar between two shown periods: none before the first column shown.
        previous_period = evaluations[columns[0]].period if columns else 0
        for column, evaluation_index in enumerate(columns):
            period = evaluations[evaluation_index].period
            if period > previous_period:
                layout.bar_left.add(column)
            previous_period = period
        if layout.evaluation_columns and self._dashboard.current_period > previous_period:
            layout.bar_right.add(len(layout.evaluation_columns) - 1)

    # -- Qt model API ------------------------------------------------------------------

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        """Override QAbstractItemModel::rowCount."""
        return 0 if parent.isValid() else len(self._layout.rows)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        """Override QAbstractItemModel::columnCount."""
        return 0 if parent.isValid() else self._layout.columns

    def flags(self, index: ModelIndex) -> Qt.ItemFlag:
        """Override QAbstractItemModel::flags.

        The same for every cell: the view asks for each painted cell, so this must be
        trivial; clicking an empty cell simply does nothing.
        """
        return _CELL_FLAGS if index.isValid() else Qt.ItemFlag.NoItemFlags

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> Any:
        """Override QAbstractItemModel::headerData: the line of codes, and row labels.

        Qt asks every section for a dozen roles at each new learner: the roles not
        served return at once.
        """
        if role not in _HEADER_ROLES:
            return None
        if orientation == Qt.Orientation.Horizontal:
            if not 0 <= section < self._layout.columns:
                return None
            evaluation = self._column_evaluation(section)
            if section == self._layout.current_column:
                if role == Qt.ItemDataRole.DisplayRole:
                    return "Actuel"
                if role == Qt.ItemDataRole.ToolTipRole:
                    return "Positionnement actuel, enregistré dans le brouillon du bilan en cours"
                return None
            if role == Qt.ItemDataRole.DisplayRole:
                if evaluation is None:
                    return str(section + 1) if self._options.condensed else ""
                return self._layout.column_labels[section]
            if role == Qt.ItemDataRole.ToolTipRole and evaluation is not None:
                return evaluation_detail(evaluation)
            return None
        if not 0 <= section < len(self._layout.rows):
            return None
        row = self._layout.rows[section]
        if role == Qt.ItemDataRole.DisplayRole:
            return row.label
        if role == Qt.ItemDataRole.ToolTipRole:
            return row.tooltip
        if role == ROW_KIND_ROLE:
            return int(row.kind)
        if role == SECTION_ROLE:
            return row.section
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Override QAbstractItemModel::data."""
        if not index.isValid() or self._dashboard is None:
            return None
        row_number, column = index.row(), index.column()
        if not (0 <= row_number < len(self._layout.rows) and 0 <= column < self._layout.columns):
            return None
        row = self._layout.rows[row_number]
        if role == ROW_KIND_ROLE:
            return int(row.kind)
        if role == SECTION_ROLE:
            return row.section
        if row.kind is RowKind.CRITERION:
            return self._mark_data(row, column, role)
        if row.kind is RowKind.BILANS:
            return self._bilans_data(row, column, role)
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(current_theme().title_row)
        if role == CELL_KIND_ROLE:
            return int(CellKind.EMPTY)
        return None

    # -- cells -------------------------------------------------------------------------

    def _column_evaluation(self, column: int) -> EvaluationInfo | None:
        if self._options.condensed or column >= len(self._layout.evaluation_columns):
            return None
        assert self._dashboard is not None
        return self._dashboard.evaluations[self._layout.evaluation_columns[column]]

    def _mark_at(self, row: _Row, column: int) -> ResultInfo | None:
        return row.by_column.get(column)

    def columns_to_paint(self, row_number: int) -> frozenset[int] | None:
        """A criterion row's columns that are not blank (a mark or a period bar); None:
        any column may be (title and bilans rows: ask cell_paint for each one shown)."""
        row = self._layout.rows[row_number]
        if row.kind is not RowKind.CRITERION:
            return None
        layout = self._layout
        return frozenset(row.by_column).union(layout.bar_left, layout.bar_right)

    def cell_paint(self, row_number: int, column: int) -> CellPaint:
        """Everything to paint a cell, without going through QVariant roles."""
        row = self._layout.rows[row_number]
        layout = self._layout
        if row.kind is RowKind.CRITERION:
            bar_left, bar_right = column in layout.bar_left, column in layout.bar_right
            mark = row.by_column.get(column)
            if mark is None:
                if bar_left or bar_right:
                    return _EMPTY._replace(bar_left=bar_left, bar_right=bar_right)
                return _EMPTY
            assert self._dashboard is not None
            evaluation = self._dashboard.evaluations[mark.evaluation_index]
            underline = self._options.condensed and (
                evaluation.period == self._dashboard.current_period
            )
            level = mark.level
            return CellPaint(
                CellKind.MARK,
                evaluation.nature,
                level,
                RowKind.CRITERION,
                underline,
                bar_left,
                bar_right,
            )
        if row.kind is RowKind.BILANS:
            kind = self._cell_kind(row_number, column)
            if kind is CellKind.EMPTY:
                return _EMPTY_BILANS
            positioning = self._previous_at(row.section, column)
            level = positioning.level if positioning else self.current_level(row.section)
            return CellPaint(
                kind,
                style_of(level).symbol,
                level,
                RowKind.BILANS,
                False,
                False,
                False,
            )
        return _EMPTY_TITLE

    def _cell_kind(self, row_number: int, column: int) -> CellKind:
        row = self._layout.rows[row_number]
        if row.kind is RowKind.CRITERION:
            return CellKind.MARK if self._mark_at(row, column) is not None else CellKind.EMPTY
        if row.kind is RowKind.BILANS:
            if column == self._current_column(row.section):
                return CellKind.CURRENT
            if self._previous_at(row.section, column) is not None:
                return CellKind.PREVIOUS
        return CellKind.EMPTY

    def _mark_data(self, row: _Row, column: int, role: int) -> Any:
        assert self._dashboard is not None
        if role == BAR_LEFT_ROLE:
            return column in self._layout.bar_left
        if role == BAR_RIGHT_ROLE:
            return column in self._layout.bar_right
        mark = self._mark_at(row, column)
        if mark is None:
            return int(CellKind.EMPTY) if role == CELL_KIND_ROLE else None
        evaluation = self._dashboard.evaluations[mark.evaluation_index]
        if role == Qt.ItemDataRole.DisplayRole:
            return evaluation.nature
        if role == CELL_KIND_ROLE:
            return int(CellKind.MARK)
        if role == LEVEL_ROLE:
            return mark.level
        if role == EVALUATION_INDEX_ROLE:
            return mark.evaluation_index
        if role == UNDERLINE_ROLE:
            return self._options.condensed and evaluation.period == self._dashboard.current_period
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(current_theme().level(mark.level).fill)
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(current_theme().level(mark.level).text)
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            style = style_of(mark.level)
            text = f"{style.label} ({style.symbol})\n{evaluation_detail(evaluation)}"
            if mark.comment:
                text += f"\nCommentaire : {mark.comment}"
            return text
        return None

    def _bilans_data(self, row: _Row, column: int, role: int) -> Any:
        positioning = self._previous_at(row.section, column)
        if positioning is not None:
            level, kind = positioning.level, CellKind.PREVIOUS
            tooltip = f"Bilan du {_date(positioning.bilan_date)} : {style_of(level).label}"
        elif column == self._current_column(row.section):
            level, kind = self.current_level(row.section), CellKind.CURRENT
            tooltip = self._current_tooltip(row.section, level)
        else:
            if role == Qt.ItemDataRole.BackgroundRole:
                return QBrush(current_theme().bilans_row)
            return int(CellKind.EMPTY) if role == CELL_KIND_ROLE else None
        if role == Qt.ItemDataRole.DisplayRole:
            return style_of(level).symbol
        if role == CELL_KIND_ROLE:
            return int(kind)
        if role == LEVEL_ROLE:
            return level
        if role == Qt.ItemDataRole.BackgroundRole:
            return QBrush(current_theme().level(level).fill)
        if role == Qt.ItemDataRole.ForegroundRole:
            return QBrush(current_theme().level(level).text)
        if role in (Qt.ItemDataRole.ToolTipRole, Qt.ItemDataRole.AccessibleTextRole):
            return tooltip
        return None

    def _current_tooltip(self, section: int, level: str) -> str:
        text = f"Positionnement actuel : {style_of(level).label} — cliquer pour le choisir"
        suggestion = self.suggestion(section)
        if suggestion is not None:
            text += f"\nSuggestion : {suggestion.explanation}"
        return text
