"""The bilan intermédiaire editor: Constats, Conseils, positionings, radar, save or finalize."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateEdit,
    QDialog,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPlainTextEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from livret.domain.errors import ConflictError, LivretError
from livret.domain.levels import style_of
from livret.domain.suggestion import Suggestion
from livret.services.authentication import has_active_ddfpt
from livret.services.bilans import BilanService, BilanSheet
from livret.services.database import Database
from livret.ui.bilan.dialogs import ConfirmationDialog, UnlockDialog
from livret.ui.dashboard.picker import LevelPicker
from livret.ui.messages import UnsavedChoice, ask_unsaved, show_error
from livret.ui.theme import Theme, css, current_theme, themed_style_sheet
from livret.ui.widgets.radar import RadarChart

ModelIndex = QModelIndex | QPersistentModelIndex
COMPETENCY, PREVIOUS, CURRENT = range(3)
LEVEL_ROLE = Qt.ItemDataRole.UserRole + 1


def _day(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


Cell = dict[int, Any]
"""What a cell answers, by role (int); a role not in it answers None."""

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_LEVEL = int(LEVEL_ROLE)
_LEVEL_CELLS: dict[tuple[str, bool], Cell] = {}
_NO_LEVEL: Cell = {_DISPLAY: "—"}


def _level_cell(level: str | None, current: bool) -> Cell:
    """A Précédent or Actuel cell; the same few are shared by every table (read-only)."""
    if level is None:
        return _NO_LEVEL
    cell = _LEVEL_CELLS.get((level, current))
    if cell is None:
        style = style_of(level)
        text = f"{style.symbol}  {style.label}"
        cell = {
            _DISPLAY: text,
            _ACCESSIBLE: text,
            _LEVEL: level,
        }
        if current:
            cell[_TOOLTIP] = "Cliquer (ou Entrée) pour choisir le niveau"
        _LEVEL_CELLS[(level, current)] = cell
    return cell


_TILE_BRUSHES: tuple[Theme, dict[str, tuple[QBrush, QBrush]]] | None = None


def _tile_brushes(theme: Theme, level: str) -> tuple[QBrush, QBrush]:
    """(fill, text) brushes of a level's tile, made once per theme."""
    global _TILE_BRUSHES
    if _TILE_BRUSHES is None or _TILE_BRUSHES[0] is not theme:
        _TILE_BRUSHES = (theme, {})
    brushes = _TILE_BRUSHES[1].get(level)
    if brushes is None:
        tile = theme.level(level)
        brushes = _TILE_BRUSHES[1][level] = (QBrush(tile.fill), QBrush(tile.text))
    return brushes


class BilanRowsModel(QAbstractTableModel):
    """Bilan des compétences: one row per CC; Précédent (read-only) and Actuel (editable).

    Each cell's answers are made once per sheet (and per change of level), not at every
    call of data(): the table asks for every role of every cell at each layout and paint.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._sheet: BilanSheet | None = None
        self._current: dict[int, str] = {}
        self._cells: list[list[Cell]] = []

    def set_sheet(self, sheet: BilanSheet) -> None:
        self.beginResetModel()
        self._sheet = sheet
        self._current = {row.common_competency_id: row.current for row in sheet.rows}
        self._cells = [
            [
                {_DISPLAY: f"{row.code} {row.title}", _TOOLTIP: f"{row.code} — {row.title}"},
                _level_cell(row.previous, False),
                _level_cell(row.current, True),
            ]
            for row in sheet.rows
        ]
        self.endResetModel()

    def current_levels(self) -> dict[int, str]:
        return dict(self._current)

    def set_current(self, row: int, level: str) -> None:
        assert self._sheet is not None
        self._current[self._sheet.rows[row].common_competency_id] = level
        self._cells[row][CURRENT] = _level_cell(level, True)
        index = self.index(row, CURRENT)
        self.dataChanged.emit(index, index)

    def rowCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        """Override QAbstractItemModel::rowCount."""
        return 0 if parent.isValid() else len(self._cells)

    def columnCount(self, parent: ModelIndex = QModelIndex()) -> int:  # noqa: B008
        """Override QAbstractItemModel::columnCount."""
        return 0 if parent.isValid() else 3

    def headerData(
        self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole
    ) -> Any:
        """Override QAbstractItemModel::headerData: Précédent is headed with its date."""
        if orientation != Qt.Orientation.Horizontal or role != Qt.ItemDataRole.DisplayRole:
            return None
        if section == COMPETENCY:
            return "Compétence commune"
        if section == PREVIOUS:
            previous = self._sheet.previous_date if self._sheet else None
            return f"Précédent\n{_day(previous)}" if previous else "Précédent\n—"
        if section == CURRENT:
            return "Actuel"
        return None

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Override QAbstractItemModel::data."""
        row, column = index.row(), index.column()
        if not (0 <= row < len(self._cells) and 0 <= column < 3) or not index.isValid():
            return None
        cell = self._cells[row][column]
        if role in (_BACKGROUND, _FOREGROUND) and (level := cell.get(_LEVEL)) is not None:
            return _tile_brushes(current_theme(), level)[role == _FOREGROUND]
        return cell.get(int(role))


class BilanEditor(QDialog):
    """ "Bilan de NOM Prénom": write the draft, save it, finalize it; read a final one.

    Signals:
        bilan_changed(int): the learner id whose bilan was saved, finalized or unlocked.
    """

    bilan_changed = Signal(int)

    def __init__(
        self,
        bilans: BilanService,
        sheet: BilanSheet,
        suggestions: Mapping[int, Suggestion],
        *,
        can_unlock: bool,
        read_only: bool = False,
        database: Database | None = None,
        parent: QWidget | None = None,
    ) -> None:
        """`database` tells the unlock dialog whether a DDFPT account exists at all."""
        super().__init__(parent)
        self._bilans = bilans
        self._database = database
        self._read_only = read_only
        self._suggestions = dict(suggestions)
        self._can_unlock = can_unlock
        self._sheet = sheet
        self._dirty = False
        self._loading = False
        self.confirmation_dialog: ConfirmationDialog | None = None
        self.unlock_dialog: UnlockDialog | None = None
        self.picker: LevelPicker | None = None
        self.setWindowTitle(self.tr("Bilan intermédiaire"))
        self.setSizeGripEnabled(True)

        self.title = QLabel()
        title_font = QFont(self.title.font())
        title_font.setPointSizeF(title_font.pointSizeF() * 1.6)
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.status = QLabel()
        self.status.setWordWrap(True)
        # Shown when another computer changed this bilan: this editor's copy is stale.
        self.remote_banner = QFrame()
        self.remote_banner.setObjectName("remoteBanner")
        themed_style_sheet(
            self.remote_banner,
            lambda theme: (
                f"#remoteBanner {{ background: {css(theme.warning_banner)};"
                f" border: 1px solid {css(theme.warning_banner_border)}; border-radius: 4px; }}"
                f"#remoteBanner QLabel {{ color: {css(theme.warning_banner_text)}; }}"
            ),
        )
        self.remote_label = QLabel()
        self.remote_label.setWordWrap(True)
        self.reload_button = QPushButton(self.tr("&Recharger"))
        self.reload_button.setToolTip(self.tr("Afficher le bilan tel qu'il est enregistré"))
        self.reload_button.clicked.connect(self.reload_from_database)
        banner = QHBoxLayout(self.remote_banner)
        banner.addWidget(self.remote_label, 1)
        banner.addWidget(self.reload_button)
        self.remote_banner.hide()
        self.class_label = QLabel()
        self.date_edit = QDateEdit()
        self.date_edit.setCalendarPopup(True)
        self.date_edit.setDisplayFormat("dd/MM/yyyy")
        self.date_edit.setAccessibleName(self.tr("Date du bilan"))
        self.date_edit.setMaximumWidth(160)
        self.warning = QLabel()
        self.warning.setWordWrap(True)
        themed_style_sheet(
            self.warning, lambda theme: f"color: {css(theme.attention_text)}; font-weight: bold;"
        )
        self.constats = QPlainTextEdit()
        self.constats.setAccessibleName(self.tr("Constats"))
        self.conseils = QPlainTextEdit()
        self.conseils.setAccessibleName(self.tr("Conseils"))
        for editor in (self.constats, self.conseils):
            editor.setMinimumHeight(70)
            editor.setMaximumHeight(130)
            editor.textChanged.connect(self._on_edited)
        self.date_edit.dateChanged.connect(self._on_edited)

        self.rows = BilanRowsModel(self)
        self.table = QTableView()
        self.table.setModel(self.rows)
        self.table.setAccessibleName(self.tr("Bilan des compétences"))
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.setWordWrap(True)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(COMPETENCY, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(PREVIOUS, QHeaderView.ResizeMode.Fixed)
        header.setSectionResizeMode(CURRENT, QHeaderView.ResizeMode.Fixed)
        header.resizeSection(PREVIOUS, 190)
        header.resizeSection(CURRENT, 190)
        self.table.clicked.connect(self._on_row_activated)
        self.table.activated.connect(self._on_row_activated)

        self.radar = RadarChart()
        self.history = QListWidget()
        self.history.setAccessibleName(self.tr("Historique du bilan"))
        self.history.setMaximumHeight(90)

        self.save_button = QPushButton(self.tr("&Enregistrer"))
        self.finalize_button = QPushButton(self.tr("Enregistrer &définitivement…"))
        self.unlock_button = QPushButton(self.tr("&Déverrouiller…"))
        self.close_button = QPushButton(self.tr("Fermer"))
        self.save_button.clicked.connect(self.save)
        self.finalize_button.clicked.connect(self.ask_finalize)
        self.unlock_button.clicked.connect(self.ask_unlock)
        self.close_button.clicked.connect(self.close)

        form = QFormLayout()
        form.addRow(self.tr("Classe :"), self.class_label)
        form.addRow(self.tr("Date :"), self.date_edit)
        texts = QGridLayout()
        texts.addWidget(QLabel(self.tr("<b>Constats :</b>")), 0, 0)
        texts.addWidget(QLabel(self.tr("<b>Conseils :</b>")), 0, 1)
        texts.addWidget(self.constats, 1, 0)
        texts.addWidget(self.conseils, 1, 1)
        left = QVBoxLayout()
        left.addWidget(QLabel(self.tr("<b>Bilan des compétences</b>")))
        left.addWidget(self.table, 1)
        right = QVBoxLayout()
        right.addWidget(self.radar, 1)
        middle = QHBoxLayout()
        middle.addLayout(left, 3)
        middle.addLayout(right, 2)
        buttons = QHBoxLayout()
        buttons.addWidget(self.unlock_button)
        buttons.addStretch(1)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.finalize_button)
        buttons.addWidget(self.close_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title)
        layout.addWidget(self.remote_banner)
        layout.addWidget(self.status)
        layout.addLayout(form)
        layout.addWidget(self.warning)
        layout.addLayout(texts)
        layout.addLayout(middle, 1)
        layout.addWidget(QLabel(self.tr("<b>Historique</b>")))
        layout.addWidget(self.history)
        layout.addLayout(buttons)
        self.resize(1200, 900)
        self._load(sheet)

    # -- state -------------------------------------------------------------------------

    @property
    def sheet(self) -> BilanSheet:
        return self._sheet

    def is_dirty(self) -> bool:
        return self._dirty

    def is_editable(self) -> bool:
        """A draft this user may change (not final, not someone else's read-only draft)."""
        return not self._sheet.is_final and not self._read_only

    def _load(self, sheet: BilanSheet) -> None:
        self._loading = True
        self._sheet = sheet
        self.remote_banner.hide()
        self.title.setText(self.tr("Bilan de %1").replace("%1", sheet.learner_name))
        year = f" ({sheet.school_year_label})" if sheet.school_year_label else ""
        self.class_label.setText(f"{sheet.class_label or '—'}{year}")
        self.date_edit.setDate(
            QDate(sheet.bilan_date.year, sheet.bilan_date.month, sheet.bilan_date.day)
        )
        self.constats.setPlainText(sheet.constats)
        self.conseils.setPlainText(sheet.conseils)
        self.rows.set_sheet(sheet)
        self.table.resizeRowsToContents()
        self.radar.set_axes([row.code for row in sheet.rows], [row.title for row in sheet.rows])
        self.history.clear()
        for entry in sheet.history:
            when = entry.at.strftime("%d/%m/%Y %H:%M")
            details = f" — {entry.details}" if entry.details else ""
            self.history.addItem(f"{when} · {entry.label} · {entry.actor}{details}")
        final = sheet.is_final
        locked = final or self._read_only
        for widget in (self.constats, self.conseils):
            widget.setReadOnly(locked)
        self.date_edit.setEnabled(not locked)
        self.save_button.setVisible(not locked)
        self.finalize_button.setVisible(not locked)
        self.unlock_button.setVisible(final and self._can_unlock)
        if final:
            by = f" par {sheet.finalized_by}" if sheet.finalized_by else ""
            when = f" le {_day(sheet.finalized_at.date())}" if sheet.finalized_at else ""
            self.status.setText(
                self.tr("<b>Bilan définitif</b>%1%2 : il ne peut plus être modifié.")
                .replace("%1", when)
                .replace("%2", by)
            )
        elif self._read_only:
            self.status.setText(
                self.tr("Brouillon de %1, en lecture seule.").replace("%1", sheet.author or "—")
            )
        else:
            self.status.setText(self.tr("Brouillon — enregistrez-le pour y revenir plus tard."))
        self._loading = False
        self._dirty = False
        self._refresh_dependent()

    def _refresh_dependent(self) -> None:
        """The radar and the NE warning follow the Actuel column live."""
        sheet = self._sheet
        levels = self.rows.current_levels()
        current = [levels[row.common_competency_id] for row in sheet.rows]
        previous = (
            [row.previous or "NE" for row in sheet.rows]
            if sheet.previous_date is not None
            else None
        )
        self.radar.set_series(
            previous,
            f"Précédent — {_day(sheet.previous_date)}" if sheet.previous_date else None,
            current,
            f"Actuel — {_day(self._date())}",
        )
        missing = [row.code for row in sheet.rows if levels[row.common_competency_id] == "NE"]
        if missing and not sheet.is_final:
            self.warning.setText(
                self.tr("Positionnements manquants (restent NE) : %1").replace(
                    "%1", ", ".join(missing)
                )
            )
            self.warning.show()
        else:
            self.warning.hide()

    def _date(self) -> dt.date:
        value = self.date_edit.date()
        return dt.date(value.year(), value.month(), value.day())

    # -- slots -------------------------------------------------------------------------

    def _on_edited(self) -> None:
        if not self._loading:
            self._dirty = True
            if self.sender() is self.date_edit:
                self._refresh_dependent()

    def _on_row_activated(self, index: QModelIndex) -> None:
        if self._sheet.is_final or self._read_only or index.column() != CURRENT:
            return
        self.open_picker(index.row())

    def open_picker(self, row: int) -> LevelPicker:
        sheet_row = self._sheet.rows[row]
        picker = LevelPicker(
            f"{sheet_row.code} - {sheet_row.title}",
            self.rows.current_levels()[sheet_row.common_competency_id],
            self._suggestions.get(sheet_row.common_competency_id),
            self,
        )
        picker.level_chosen.connect(lambda level: self.set_level(row, level))
        cell = self.table.visualRect(self.rows.index(row, CURRENT))
        picker.move(self.table.viewport().mapToGlobal(cell.bottomLeft()))
        self.picker = picker
        picker.show()
        return picker

    def sync_positioning(self, cc_id: int, level: str, version: int) -> None:
        """The dashboard just saved a positioning of this draft: follow it, keep typed text.

        Without this the editor's version would be stale and its next save refused.
        """
        if self._sheet.is_final:
            return
        self._sheet = replace(self._sheet, version=version)
        for row, sheet_row in enumerate(self._sheet.rows):
            if sheet_row.common_competency_id == cc_id:
                self.rows.set_current(row, level)
        self._refresh_dependent()

    def show_remote_change(self, actor: str) -> None:
        """Another computer changed this bilan: say who, offer to reload, keep the edits."""
        text = self.tr("Ce bilan vient d'être modifié par %1 sur un autre poste.").replace(
            "%1", actor
        )
        if self._dirty:
            text += " " + self.tr(
                "Vos modifications ne sont pas enregistrées : recharger les remplace "
                "par la version enregistrée."
            )
        self._show_banner(text)

    def _show_banner(self, text: str) -> None:
        self.remote_label.setText(text)
        self.remote_banner.show()

    def reload_from_database(self) -> bool:
        """Recharger: show the bilan as stored now (unsaved edits are dropped)."""
        try:
            sheet = self._bilans.sheet(self._sheet.bilan_id)
        except LivretError as exc:
            show_error(self, exc.message)
            return False
        self._load(sheet)
        return True

    def set_level(self, row: int, level: str) -> None:
        """Change a positioning in the editor (saved with Enregistrer)."""
        self.rows.set_current(row, level)
        self._dirty = True
        self._refresh_dependent()

    def save(self) -> bool:
        """Enregistrer: texts, date and positionings in one transaction."""
        try:
            sheet = self._bilans.save_draft(
                self._sheet.bilan_id,
                version=self._sheet.version,
                constats=self.constats.toPlainText(),
                conseils=self.conseils.toPlainText(),
                positionings=self.rows.current_levels(),
                bilan_date=self._date(),
            )
        except ConflictError as exc:
            # Nothing was written: say so where the texts are, with the way out.
            self._show_banner(
                exc.message
                + " "
                + self.tr("Rien n'a été enregistré ; vos textes restent affichés.")
            )
            return False
        except LivretError as exc:
            show_error(self, exc.message)
            return False
        self._load(sheet)
        self.bilan_changed.emit(sheet.learner_id)
        return True

    def ask_finalize(self) -> ConfirmationDialog:
        dialog = ConfirmationDialog(self._sheet.learner_name, len(self._missing()), self)
        dialog.accepted.connect(lambda: self._finalize(dialog.typed()))
        self.confirmation_dialog = dialog
        dialog.open()
        return dialog

    def _missing(self) -> list[str]:
        levels = self.rows.current_levels()
        return [row.code for row in self._sheet.rows if levels[row.common_competency_id] == "NE"]

    def _finalize(self, typed: str) -> None:
        if self._dirty and not self.save():
            return
        try:
            sheet = self._bilans.finalize(
                self._sheet.bilan_id, version=self._sheet.version, confirmation=typed
            )
        except ConflictError as exc:
            self._show_banner(exc.message)
            return
        except LivretError as exc:
            show_error(self, exc.message)
            return
        self._load(sheet)
        self.bilan_changed.emit(sheet.learner_id)

    def ask_unlock(self) -> UnlockDialog:
        """Déverrouiller: the reason, countersigned by the DDFPT's login and password."""
        dialog = UnlockDialog(
            self._bilans,
            self._sheet.bilan_id,
            self._sheet.learner_name,
            ddfpt_exists=self._database is None or has_active_ddfpt(self._database),
            parent=self,
        )
        dialog.accepted.connect(lambda: self._on_unlocked(dialog))
        self.unlock_dialog = dialog
        dialog.open()
        return dialog

    def _on_unlocked(self, dialog: UnlockDialog) -> None:
        sheet = dialog.sheet
        if sheet is None:
            return
        self._load(sheet)
        self.bilan_changed.emit(sheet.learner_id)

    def reject(self) -> None:
        """Override QDialog::reject (Escape, Fermer, the window's close): no silent loss.

        QDialog::closeEvent goes through reject(); not calling the base keeps it open.
        """
        if self._dirty and not self._sheet.is_final:
            choice = ask_unsaved(self)
            if choice is UnsavedChoice.CANCEL:
                return
            if choice is UnsavedChoice.SAVE and not self.save():
                return
            self._dirty = False
        super().reject()
