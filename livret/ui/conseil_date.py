"""The day of the conseil de classe, chosen once per session and shared by the screens
that prepare it (the class PDF, the marks, the conseil de classe view)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QDate, QLocale, QObject, Signal
from PySide6.QtWidgets import QDateEdit, QWidget

FRENCH = QLocale(QLocale.Language.French, QLocale.Country.France)


class ConseilDate(QObject):
    """The last « Conseil du » date chosen in this session (default: today).

    The main window makes one and hands it to every dialog that asks for the date, so
    that the class PDF and the marks are prepared for the same day without a global.

    Signals: `changed(date)` when another day is chosen.
    """

    changed = Signal(object)

    def __init__(self, day: dt.date | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._day = day if day is not None else dt.date.today()

    @property
    def value(self) -> dt.date:
        return self._day

    def set_value(self, day: dt.date) -> None:
        if day != self._day:
            self._day = day
            self.changed.emit(day)


class ConseilDateEdit(QDateEdit):
    """« Conseil du » JJ/MM/AAAA with a calendar, bound both ways to a ConseilDate.

    Signals: `day_changed(date)` when the user (or another dialog) changes the day.
    """

    day_changed = Signal(object)

    def __init__(self, shared: ConseilDate, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._shared = shared
        self.setLocale(FRENCH)
        self.setDisplayFormat("dd/MM/yyyy")
        self.setCalendarPopup(True)
        self.calendarWidget().setLocale(FRENCH)
        self.setAccessibleName(self.tr("Date du conseil de classe"))
        self.setToolTip(
            self.tr(
                "Le dernier bilan définitif à cette date compte pour chaque apprenant ; "
                "la date est la même pour le PDF de la classe et les notes."
            )
        )
        self.setDate(_qdate(shared.value))
        self.dateChanged.connect(self._on_date_changed)
        shared.changed.connect(self._on_shared_changed)

    @property
    def day(self) -> dt.date:
        return _day(self.date())

    def set_day(self, day: dt.date) -> None:
        self.setDate(_qdate(day))

    def _on_date_changed(self, value: QDate) -> None:
        day = _day(value)
        self._shared.set_value(day)
        self.day_changed.emit(day)

    def _on_shared_changed(self, day: dt.date) -> None:
        if day != self.day:
            self.setDate(_qdate(day))


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _day(value: QDate) -> dt.date:
    return dt.date(value.year(), value.month(), value.day())
