"""What a view shows in place of its data when reading them failed: why, and « Réessayer »."""

from __future__ import annotations

import logging

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from livret.domain.errors import DatabaseError, LivretError
from livret.logs import log_exception, log_file_path
from livret.ui.theme import css, themed_style_sheet

LOGGER = logging.getLogger("livret.ui")


def failure_reason(exc: Exception, what: str) -> str:
    """The French reason to show, after logging what deserves it.

    `what` names the view for the log, with ids only (« tableau de bord, apprenant n° 12 »).
    A DatabaseError is logged with its cause (the raw database error, filtered by
    livret.logs); any other unexpected exception with its traceback.
    """
    if isinstance(exc, DatabaseError):
        log_exception(LOGGER, f"Lecture impossible : {what}", exc)
        return _after_colon(exc.message)
    if isinstance(exc, LivretError):
        LOGGER.info("Lecture refusée : %s (%s)", what, type(exc).__name__)
        return _after_colon(exc.message)
    log_exception(LOGGER, f"Erreur inattendue en lisant : {what}", exc)
    path = log_file_path()
    where = f" ; le détail est dans le journal : {path}" if path else ""
    return f"erreur inattendue ({type(exc).__name__}){where}."


def _after_colon(message: str) -> str:
    """« Impossible d'ouvrir… » reads « … : impossible d'ouvrir… » inside a sentence."""
    if len(message) > 1 and message[0].isupper() and message[1].islower():
        return message[0].lower() + message[1:]
    return message


class LoadFailurePanel(QFrame):
    """A framed message and a « Réessayer » button, hidden until a load fails.

    Signals:
        retry_requested(): « Réessayer » was clicked.
    """

    retry_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("loadFailure")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        themed_style_sheet(
            self,
            lambda theme: (
                f"#loadFailure {{ background: {css(theme.error_banner)};"
                f" border: 1px solid {css(theme.error_banner_border)}; border-radius: 4px; }}"
            ),
        )
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        themed_style_sheet(
            self.message, lambda theme: f"color: {css(theme.error_text)}; font-weight: bold;"
        )
        self.message.setAccessibleName(self.tr("Échec du chargement"))
        self.retry_button = QPushButton(self.tr("&Réessayer"))
        self.retry_button.setToolTip(self.tr("Lire de nouveau les données depuis la base"))
        self.retry_button.clicked.connect(self.retry_requested)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.retry_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 16)
        layout.addWidget(self.message)
        layout.addLayout(buttons)
        self.hide()

    def show_failure(self, text: str) -> None:
        self.message.setText(text)
        self.show()


class FailableArea(QStackedWidget):
    """A view's content, or in its place (at the top) the failure panel."""

    def __init__(self, content: QWidget, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.failure = LoadFailurePanel()
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 8, 0, 0)
        layout.addWidget(self.failure)
        layout.addStretch(1)
        self.addWidget(content)
        self.addWidget(page)

    @property
    def failed(self) -> bool:
        return self.currentIndex() == 1

    def show_content(self) -> None:
        self.failure.hide()
        self.setCurrentIndex(0)

    def show_failure(self, text: str) -> None:
        self.failure.show_failure(text)
        self.setCurrentIndex(1)
