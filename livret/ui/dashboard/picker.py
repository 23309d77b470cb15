"""The level picker of a CC's current positioning, with the suggested level."""

from __future__ import annotations

from functools import partial

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QDialog, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from livret.domain.levels import LEVEL_CODES, style_of
from livret.domain.suggestion import Suggestion
from livret.ui.theme import Theme, css, themed_style_sheet

KEYS = {
    Qt.Key.Key_N: "NE",
    Qt.Key.Key_0: "NE",
    Qt.Key.Key_1: "1",
    Qt.Key.Key_2: "2",
    Qt.Key.Key_3: "3",
    Qt.Key.Key_4: "4",
}


def _tile_style(theme: Theme, code: str, current: bool) -> str:
    """A level button: the level's tile, framed thick and blue when it is the current one."""
    tile = theme.level(code)
    border = (
        f"3px solid {css(theme.current_frame)}"
        if current
        else f"1px solid {css(theme.tile_border)}"
    )
    return (
        f"QPushButton {{ background: {css(tile.fill)}; color: {css(tile.text)}; "
        f"border: {border}; border-radius: 4px; font-weight: bold; padding: 4px; }}"
    )


class LevelPicker(QDialog):
    """Choose NE or a level 1–4; the suggestion is shown, never applied by itself.

    Signals:
        level_chosen(str): the chosen level code ("NE", "1" … "4").
    """

    level_chosen = Signal(str)

    def __init__(
        self,
        heading: str,
        current: str,
        suggestion: Suggestion | None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setAccessibleName(self.tr("Choix du positionnement"))
        title = QLabel(f"<b>{_escape(heading)}</b>")
        title.setWordWrap(True)
        title.setMaximumWidth(560)
        self.suggestion_label = QLabel(_suggestion_text(suggestion))
        self.suggestion_label.setWordWrap(True)
        self.suggestion_label.setObjectName("suggestion")
        suggested = suggestion.level.value if suggestion and suggestion.value is not None else None
        buttons = QHBoxLayout()
        self.buttons: dict[str, QPushButton] = {}
        for code in LEVEL_CODES:
            style = style_of(code)
            star = " ★" if code == suggested else ""
            button = QPushButton(f"{style.symbol}{star}\n{style.label}")
            button.setObjectName(f"level_{code}")
            button.setAccessibleName(f"{style.label}{' (suggéré)' if star else ''}")
            button.setCheckable(True)
            button.setChecked(code == current)
            width = button.fontMetrics().horizontalAdvance(style.label) + 28
            button.setMinimumSize(max(96, width), 52)
            themed_style_sheet(button, partial(_tile_style, code=code, current=code == current))
            button.clicked.connect(lambda _checked=False, c=code: self._choose(c))
            buttons.addWidget(button)
            self.buttons[code] = button
        hint = QLabel(self.tr("Clavier : N = non évalué, 1 à 4 = niveau, Échap = annuler."))
        themed_style_sheet(hint, lambda theme: f"color: {css(theme.muted_text)};")
        layout = QVBoxLayout(self)
        layout.addWidget(title)
        layout.addWidget(self.suggestion_label)
        layout.addLayout(buttons)
        layout.addWidget(hint)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        """Override QDialog::keyPressEvent: N and 1–4 choose from the keyboard."""
        code = KEYS.get(Qt.Key(event.key()))
        if code is not None:
            self._choose(code)
            return
        super().keyPressEvent(event)

    def _choose(self, code: str) -> None:
        self.level_chosen.emit(code)
        self.accept()


def _suggestion_text(suggestion: Suggestion | None) -> str:
    if suggestion is None:
        return "Pas de suggestion."
    if suggestion.value is None:
        return f"Pas de suggestion : {suggestion.explanation}"
    style = style_of(suggestion.level)
    return f"Suggestion : {style.symbol} ({style.label}) — {suggestion.explanation}"


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
