"""Unexpected errors: logged with their traceback, shown once in a French dialog, app kept up.

`ErrorReporter.install()` takes over `sys.excepthook` (an exception escaping a Qt slot
lands there), `threading.excepthook` (handed to the GUI thread by a queued signal) and
Qt's message handler (warnings and criticals go to the log, not the terminal). A storm
of the same error gives one dialog; errors arriving while it is open are counted on it.

Tests patch `show_unexpected_error`, the one place that builds and shows the dialog.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

from PySide6.QtCore import (
    QMessageLogContext,
    QObject,
    Qt,
    QtMsgType,
    Signal,
    qInstallMessageHandler,
)
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStyle,
    QVBoxLayout,
    QWidget,
)

from livret.domain.errors import LivretError
from livret.logs import error_details, log_exception, log_file_path

LOGGER = logging.getLogger("livret.errors")
QT_LOGGER = logging.getLogger("livret.qt")
STORM_SECONDS = 2.0  # the same error again within this delay: no new dialog
DOING_ATTRIBUTE = "livret_doing"

_QT_LEVELS = {
    QtMsgType.QtDebugMsg: logging.DEBUG,
    QtMsgType.QtInfoMsg: logging.INFO,
    QtMsgType.QtWarningMsg: logging.WARNING,
    QtMsgType.QtCriticalMsg: logging.ERROR,
    QtMsgType.QtFatalMsg: logging.CRITICAL,
}


@contextmanager
def doing(action: str) -> Iterator[None]:
    """Name what the user was doing, for the dialog of an exception raised inside.

    `action` is a generic French phrase (« enregistrer le bilan »), never a name: it is
    logged too. The innermost one wins.
    """
    try:
        yield
    except Exception as exc:
        if not hasattr(exc, DOING_ATTRIBUTE):
            setattr(exc, DOING_ATTRIBUTE, action)
        raise


@dataclass(frozen=True, slots=True)
class ErrorReport:
    """What the dialog says about one unexpected error."""

    message: str  # the LivretError's French text, or the exception's type
    doing: str | None
    details: str  # what « Copier les détails » copies (no personal data: see livret.logs)
    log_path: Path | None


def report_for(exc: BaseException) -> ErrorReport:
    action = getattr(exc, DOING_ATTRIBUTE, None)
    doing_text = action if isinstance(action, str) else None
    if isinstance(exc, LivretError):
        message = exc.message
    else:
        message = f"Erreur technique : {type(exc).__name__}."
    return ErrorReport(message, doing_text, error_details(exc, doing_text), log_file_path())


class UnexpectedErrorDialog(QDialog):
    """« Une erreur inattendue s'est produite »: what, during what, where the log is."""

    def __init__(self, report: ErrorReport, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.report = report
        self.repeats = 0
        self.setWindowTitle(self.tr("Livret — erreur inattendue"))
        self.setMinimumWidth(520)

        icon = QLabel()
        size = self.style().pixelMetric(QStyle.PixelMetric.PM_MessageBoxIconSize)
        icon.setPixmap(
            self.style().standardIcon(QStyle.StandardPixmap.SP_MessageBoxCritical).pixmap(size)
        )
        icon.setAlignment(Qt.AlignmentFlag.AlignTop)
        self.heading = QLabel(self.tr("Une erreur inattendue s'est produite"))
        self.heading.setStyleSheet("font-size: 13pt; font-weight: bold;")
        self.doing_label = QLabel()
        self.doing_label.setWordWrap(True)
        if report.doing:
            self.doing_label.setText(self.tr("Pendant : %1.").replace("%1", report.doing))
        else:
            self.doing_label.hide()
        self.message_label = QLabel(report.message)
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.advice = QLabel(
            self.tr(
                "Livret continue de fonctionner, mais l'action en cours n'a peut-être pas "
                "abouti : vérifiez son résultat avant de continuer."
            )
        )
        self.advice.setWordWrap(True)
        if report.log_path is not None:
            where = self.tr("Le détail a été enregistré dans le journal :\n%1").replace(
                "%1", str(report.log_path)
            )
        else:
            where = self.tr("Le journal n'a pas pu être écrit : copiez les détails ci-dessous.")
        self.log_label = QLabel(where)
        self.log_label.setWordWrap(True)
        self.log_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.repeat_label = QLabel()
        self.repeat_label.setWordWrap(True)
        self.repeat_label.hide()

        self.buttons = QDialogButtonBox()
        self.copy_button = QPushButton(self.tr("Copier les &détails"))
        self.copy_button.setToolTip(
            self.tr("Copie la version de Livret et le détail technique, pour le support")
        )
        self.buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.close_button = self.buttons.addButton(QDialogButtonBox.StandardButton.Close)
        self.close_button.setDefault(True)
        self.copy_button.clicked.connect(self.copy_details)
        self.buttons.rejected.connect(self.reject)

        text = QVBoxLayout()
        for widget in (
            self.heading,
            self.doing_label,
            self.message_label,
            self.advice,
            self.log_label,
            self.repeat_label,
        ):
            text.addWidget(widget)
        top = QHBoxLayout()
        top.addWidget(icon)
        top.addLayout(text, 1)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(self.buttons)

    def copy_details(self) -> None:
        QGuiApplication.clipboard().setText(self.report.details)
        self.copy_button.setText(self.tr("Détails copiés"))

    def note_another(self) -> None:
        """Another unexpected error arrived while this dialog is open."""
        self.repeats += 1
        self.repeat_label.setText(
            self.tr("%1 autre(s) erreur(s) depuis : voir le journal.").replace(
                "%1", str(self.repeats)
            )
        )
        self.repeat_label.show()


def show_unexpected_error(report: ErrorReport, parent: QWidget | None) -> QDialog | None:
    """Show the dialog without blocking (the seam tests patch; they may return None)."""
    dialog = UnexpectedErrorDialog(report, parent)
    dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    dialog.setWindowModality(Qt.WindowModality.ApplicationModal)
    dialog.show()
    dialog.raise_()
    return dialog


class ErrorReporter(QObject):
    """The one path of unexpected errors: log, then one dialog at a time.

    Signals:
        thread_failed(object): an exception raised in another thread, for the GUI thread.
    """

    thread_failed = Signal(object)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.dialog: QDialog | None = None
        self._last_signature: tuple[object, ...] | None = None
        self._last_time = -STORM_SECONDS
        self._previous_excepthook: Any = None
        self._previous_thread_hook: Any = None
        self._previous_qt_handler: Any = None
        self._installed = False
        self.thread_failed.connect(self._report_from_thread)

    def install(self) -> None:
        if self._installed:
            return
        self._previous_excepthook = sys.excepthook
        self._previous_thread_hook = threading.excepthook
        sys.excepthook = self._excepthook
        threading.excepthook = self._thread_excepthook
        self._previous_qt_handler = qInstallMessageHandler(_qt_message)
        self._installed = True

    def uninstall(self) -> None:
        if not self._installed:
            return
        sys.excepthook = self._previous_excepthook
        threading.excepthook = self._previous_thread_hook
        qInstallMessageHandler(self._previous_qt_handler)  # None: Qt's own
        self._installed = False

    # -- entry points ------------------------------------------------------------

    def _excepthook(
        self,
        kind: type[BaseException],
        exc: BaseException,
        tb: TracebackType | None,
    ) -> None:
        if not isinstance(exc, Exception):  # KeyboardInterrupt, SystemExit: as before
            self._previous_excepthook(kind, exc, tb)
            return
        if exc.__traceback__ is None:
            exc = exc.with_traceback(tb)
        self.report(exc)

    def _thread_excepthook(self, args: threading.ExceptHookArgs) -> None:
        exc = args.exc_value
        if exc is None or not isinstance(exc, Exception):
            self._previous_thread_hook(args)
            return
        self.thread_failed.emit(exc)

    def _report_from_thread(self, exc: object) -> None:
        if isinstance(exc, BaseException):
            self.report(exc)

    # -- the report --------------------------------------------------------------

    def report(self, exc: BaseException) -> None:
        """Log the exception, then show it unless it repeats what was just shown."""
        now = time.monotonic()
        signature = _signature(exc)
        repeated = signature == self._last_signature and now - self._last_time < STORM_SECONDS
        self._last_signature, self._last_time = signature, now
        if repeated:
            LOGGER.error("Erreur inattendue répétée : %s", type(exc).__name__)
        else:
            action = getattr(exc, DOING_ATTRIBUTE, None)
            what = f"Erreur inattendue pendant : {action}" if action else "Erreur inattendue"
            log_exception(LOGGER, what, exc)
        print(
            f"livret : erreur inattendue ({type(exc).__name__}), détail dans le journal : "
            f"{log_file_path() or '(pas de journal)'}",
            file=sys.stderr,
        )
        if self.dialog is not None and self.dialog.isVisible():
            if isinstance(self.dialog, UnexpectedErrorDialog):
                self.dialog.note_another()
            return
        if repeated:
            return
        parent = QApplication.activeWindow()
        self.dialog = show_unexpected_error(report_for(exc), parent)
        if self.dialog is not None:
            self.dialog.destroyed.connect(self._on_dialog_destroyed)

    def _on_dialog_destroyed(self) -> None:
        self.dialog = None


def _signature(exc: BaseException) -> tuple[object, ...]:
    """Same type raised at the same place: the same error."""
    frames = traceback.extract_tb(exc.__traceback__)[-3:] if exc.__traceback__ else []
    return (type(exc), tuple((frame.filename, frame.lineno) for frame in frames))


def _qt_message(mode: QtMsgType, context: QMessageLogContext, message: str) -> None:
    level = _QT_LEVELS.get(mode, logging.WARNING)
    where = f" ({context.category})" if context.category not in (None, "", "default") else ""
    QT_LOGGER.log(level, "Qt%s : %s", where, message)


def install_error_reporter(app: QApplication) -> ErrorReporter:
    """At GUI start-up, after `livret.logs.configure_logging`."""
    reporter = ErrorReporter(app)
    reporter.install()
    return reporter
