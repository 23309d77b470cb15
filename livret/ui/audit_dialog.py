"""« Journal »: the audit events, filtered by dates, account, kind and learner; read-only."""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QDate, Qt, QTimer
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDateEdit,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from livret.domain.errors import LivretError
from livret.services.audit_log import DEFAULT_LIMIT, AuditLine, AuditLogService, matching_learners
from livret.services.container import Services
from livret.ui import messages
from livret.ui.rows_model import ModelIndex, RowsModel
from livret.ui.text import count

ALL_DATES = "toutes dates"
FIRST_DAY = QDate(2000, 1, 1)  # the minimum of the date fields: shown as « toutes dates »


class AuditModel(RowsModel[AuditLine]):
    COLUMNS = ("Date", "Qui", "Action", "Apprenant", "Détails")

    def data(self, index: ModelIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        """Override QAbstractItemModel::data."""
        line = self._row_of(index)
        if line is None:
            return None
        column = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return _display(line, column)
        if role == Qt.ItemDataRole.ToolTipRole:
            if column == 1:
                return _who_tooltip(line)
            if column == 4 and line.details:
                return line.details
        return None


def _display(line: AuditLine, column: int) -> str:
    if column == 0:
        return line.at.strftime("%d/%m/%Y %H:%M")
    if column == 1:
        return line.actor or (line.login or "—")
    if column == 2:
        return line.label
    if column == 3:
        return line.learner_name or ""
    if column == 4:
        return " ".join(line.details.split())
    return ""


def _who_tooltip(line: AuditLine) -> str:
    parts = [line.actor]
    if line.login:
        parts.append(f"identifiant {line.login}")
    if line.session_user:
        parts.append(f"à l'ordinateur de {line.session_user}")
    return " — ".join(p for p in parts if p)


def _date_field() -> QDateEdit:
    field = QDateEdit()
    field.setCalendarPopup(True)
    field.setDisplayFormat("dd/MM/yyyy")
    field.setMinimumDate(FIRST_DAY)
    field.setSpecialValueText(ALL_DATES)
    field.setDate(FIRST_DAY)
    return field


class AuditDialog(QDialog):
    """The journal of the file, newest first (the DDFPT and the Administrateur read it)."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.service = AuditLogService(services.database, services.actor)
        self.setWindowTitle(self.tr("Journal"))
        self.since = _date_field()
        self.since.setAccessibleName(self.tr("Depuis le"))
        self.until = _date_field()
        self.until.setAccessibleName(self.tr("Jusqu'au"))
        self.all_dates_button = QPushButton(self.tr("Toutes dates"))
        self.all_dates_button.setToolTip(self.tr("Effacer les deux dates"))
        self.all_dates_button.clicked.connect(self.clear_dates)
        self.user = QComboBox()
        self.user.setAccessibleName(self.tr("Utilisateur"))
        self.kind = QComboBox()
        self.kind.setAccessibleName(self.tr("Type d'événement"))
        for combo in (self.user, self.kind):
            combo.setSizeAdjustPolicy(
                QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon
            )
            combo.setMinimumContentsLength(18)
        self.learner = QLineEdit()
        self.learner.setMinimumWidth(180)
        self.learner.setPlaceholderText(self.tr("Nom de l'apprenant"))
        self.learner.setAccessibleName(self.tr("Apprenant"))
        self.learner.setClearButtonEnabled(True)
        self.model = AuditModel(self)
        self.table = QTableView()
        self.table.setAccessibleName(self.tr("Événements du journal"))
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.count_label = QLabel()
        close = QPushButton(self.tr("Fermer"))
        close.clicked.connect(self.accept)

        filters = QHBoxLayout()
        dates: tuple[tuple[str, QWidget], ...] = (
            (self.tr("&Du"), self.since),
            (self.tr("&Au"), self.until),
        )
        for label, widget in dates:
            caption = QLabel(label)
            caption.setBuddy(widget)
            filters.addWidget(caption)
            filters.addWidget(widget)
        filters.addWidget(self.all_dates_button)
        filters.addSpacing(12)
        others: tuple[tuple[str, QWidget], ...] = (
            (self.tr("&Utilisateur"), self.user),
            (self.tr("&Type"), self.kind),
            (self.tr("Ap&prenant"), self.learner),
        )
        for label, widget in others:
            caption = QLabel(label)
            caption.setBuddy(widget)
            filters.addWidget(caption)
            filters.addWidget(widget, 1 if widget is self.learner else 0)
        bottom = QHBoxLayout()
        bottom.addWidget(self.count_label, 1)
        bottom.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(bottom)
        self.resize(1180, 640)

        self._learners: tuple[tuple[int, str], ...] = ()
        self._search_timer = QTimer(self)
        self._search_timer.setSingleShot(True)
        self._search_timer.setInterval(250)
        self._search_timer.timeout.connect(self.refresh)
        self._fill_filters()
        self.since.dateChanged.connect(lambda _d: self.refresh())
        self.until.dateChanged.connect(lambda _d: self.refresh())
        self.user.currentIndexChanged.connect(lambda _i: self.refresh())
        self.kind.currentIndexChanged.connect(lambda _i: self.refresh())
        self.learner.textChanged.connect(lambda _t: self._search_timer.start())
        self.refresh()
        self.table.setFocus()

    def _fill_filters(self) -> None:
        self.user.addItem(self.tr("Tous"), None)
        self.kind.addItem(self.tr("Tous"), None)
        try:
            users = self.service.users()
            kinds = self.service.kinds()
            self._learners = self.service.learners()
        except LivretError as exc:
            self.show_error(exc.message)
            return
        for user_id, name in users:
            self.user.addItem(name, user_id)
        for action, label in kinds:
            self.kind.addItem(label, action)

    # -- public ------------------------------------------------------------------------

    def clear_dates(self) -> None:
        for field in (self.since, self.until):
            field.blockSignals(True)
            field.setDate(FIRST_DAY)
            field.blockSignals(False)
        self.refresh()

    def set_kind(self, action: str | None) -> None:
        self.kind.setCurrentIndex(max(0, self.kind.findData(action)))

    def set_user(self, user_id: int | None) -> None:
        self.user.setCurrentIndex(max(0, self.user.findData(user_id)))

    def lines(self) -> tuple[AuditLine, ...]:
        return self.model.rows()

    def refresh(self) -> None:
        """Search again with the filters as they are now."""
        self._search_timer.stop()
        user = self.user.currentData()
        action = self.kind.currentData()
        try:
            lines = self.service.search(
                since=_day(self.since),
                until=_day(self.until),
                user_id=int(user) if user is not None else None,
                action=str(action) if action is not None else None,
                learner_ids=matching_learners(self._learners, self.learner.text()),
                limit=DEFAULT_LIMIT,
            )
        except LivretError as exc:
            self.show_error(exc.message)
            lines = ()
        self.model.set_rows(lines)
        self._size_columns()
        text = count(len(lines), self.tr("événement"))
        if len(lines) >= DEFAULT_LIMIT:
            text += self.tr(" (les %1 plus récents : précisez les filtres)").replace(
                "%1", str(DEFAULT_LIMIT)
            )
        self.count_label.setText(text)

    def show_error(self, message: str) -> None:
        """A seam tests patch."""
        messages.show_error(self, message)

    def _size_columns(self) -> None:
        header = self.table.horizontalHeader()
        metrics = self.table.fontMetrics()
        widths = (
            metrics.horizontalAdvance("00/00/0000 00:00") + 16,
            metrics.horizontalAdvance("x" * 30),
            metrics.horizontalAdvance("x" * 36),
            metrics.horizontalAdvance("x" * 26),
        )
        for column, width in enumerate(widths):
            header.resizeSection(column, width)


def _day(field: QDateEdit) -> dt.date | None:
    date = field.date()
    if date == field.minimumDate():
        return None
    return dt.date(date.year(), date.month(), date.day())
