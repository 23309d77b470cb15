"""Every colour the screens draw, by role, resolved for the application's palette (light or dark).

The level colours come from the domain's table (livret.domain.levels, which the
PDFs print on white paper as they are); the screen variants keep each level's
hue and saturation and only move its lightness until the text on the tile reads
at WCAG's 4.5:1. The tiles carry their own text colour, so they are the same on
a light and a dark window; what changes with the palette is everything around
them (header rows, the blue bilans row, bars, frames, messages, the radar).

`current_theme()` is resolved once per palette and cached: painting code asks
for it once per paint pass and reads plain attributes. The cache is dropped when
Qt announces a new application palette (QEvent.ApplicationPaletteChange, also
sent when the system switches between light and dark); widgets that put colours
into style sheets use `themed_style_sheet`, which sets the sheet again then.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Literal

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory, QWidget

from livret.domain.levels import RESULT_CODES, style_of

log = logging.getLogger(__name__)

PALETTE_VARIABLE = "LIVRET_PALETTE"
"""Forces the palette: « dark », « light » or « system » (the default)."""

PaletteChoice = Literal["dark", "light", "system"]
PALETTE_CHOICES: tuple[PaletteChoice, ...] = ("dark", "light", "system")

TEXT_CONTRAST = 4.5
"""WCAG 2 AA for text (SC 1.4.3): every text colour on the background it is drawn on."""

GRAPHIC_CONTRAST = 3.0
"""WCAG 2 AA for the marks that carry meaning (SC 1.4.11): bars, frames, underline, lines."""

LEVEL_EDGE_CONTRAST = 1.5
"""A level tile against the window and the table's base: its edge must show."""

_TARGET = TEXT_CONTRAST + 0.1
"""What the derivation aims at, so that rounding to 8-bit channels never falls under."""


# --- contrast (WCAG 2.1 relative luminance) ---------------------------------------------


def _linear(channel: int) -> float:
    value = channel / 255
    return value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: QColor) -> float:
    """WCAG 2.1's relative luminance of an sRGB colour (0 black … 1 white)."""
    return (
        0.2126 * _linear(colour.red())
        + 0.7152 * _linear(colour.green())
        + 0.0722 * _linear(colour.blue())
    )


def contrast_ratio(first: QColor, second: QColor) -> float:
    """WCAG 2.1's contrast ratio of two colours, 1 … 21, whichever is lighter."""
    a, b = relative_luminance(first), relative_luminance(second)
    return (max(a, b) + 0.05) / (min(a, b) + 0.05)


def _with_lightness(colour: QColor, lightness: float) -> QColor:
    hue = max(colour.hslHueF(), 0.0)  # -1 for greys
    return QColor.fromHslF(hue, colour.hslSaturationF(), min(max(lightness, 0.0), 1.0))


def readable_on(colour: QColor, *backgrounds: QColor, target: float = _TARGET) -> QColor:
    """`colour`, its lightness moved away from `backgrounds` until it reaches `target` on
    each (hue and saturation kept); unchanged when it already does."""
    dark_behind = sum(relative_luminance(b) for b in backgrounds) / len(backgrounds) < 0.18
    step = 0.01 if dark_behind else -0.01
    lightness = colour.lightnessF()
    result = QColor(colour)
    while min(contrast_ratio(result, b) for b in backgrounds) < target:
        lightness += step
        if not 0.0 <= lightness <= 1.0:
            break
        result = _with_lightness(colour, lightness)
    return result


def tile_fill(fill: QColor, text: QColor, target: float = _TARGET) -> QColor:
    """A tile colour under `text`: its lightness moved away from the text's until the text
    reads at `target` (hue and saturation kept, so the level keeps its colour)."""
    return readable_on(fill, text, target=target)


# --- the roles ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LevelColours:
    """A level's tile: its fill and the text drawn on it."""

    fill: QColor
    text: QColor


@dataclass(frozen=True, slots=True)
class Theme:
    """The colours of every role, for one palette. Read attributes; never change them."""

    dark: bool
    window: QColor
    base: QColor
    text: QColor
    levels: Mapping[str, LevelColours]
    """NE, 1–4 and ABS: the tiles of the dashboard, editors, pickers, overviews."""
    # Dashboard
    title_row: QColor
    title_row_text: QColor
    bilans_row: QColor
    bilans_label: QColor
    bilans_text: QColor
    grid_line: QColor
    period_bar: QColor
    underline: QColor
    current_frame: QColor
    absent_frame: QColor
    focus_frame: QColor
    # Messages on the window or on a list's base
    error_text: QColor
    warning_text: QColor
    success_text: QColor
    info_text: QColor
    muted_text: QColor
    # Banners and highlighted cells
    warning_banner: QColor
    warning_banner_text: QColor
    warning_banner_border: QColor
    error_banner: QColor
    error_banner_text: QColor
    error_banner_border: QColor
    # Tables and lists of the other screens (conseil, marks, bilans, PDF, accounts, référentiel)
    trend_up: QColor
    trend_down: QColor
    trend_same: QColor
    """The conseil's arrows, on a table's base."""
    flag_background: QColor
    """A cell to look at (a mark on too few CCs), under the table's text."""
    draft_background: QColor
    """A draft row or a value that differs from the stored one, under the table's text."""
    attention_text: QColor
    """The orange of drafts, remarks, covered evaluations and the bilan editor's warning."""
    alert_text: QColor
    """A red word in a table (an account waiting for approval) or a dialog's refusal line."""
    inactive_text: QColor
    """A row or status that no longer counts (a disabled account, no bilan yet)."""
    hint_text: QColor
    """The grey explanation under a form or a list."""
    added_text: QColor
    changed_text: QColor
    empty_text: QColor
    """The référentiel tree: an added row, a changed row, a text still to write."""
    tile_border: QColor
    """The frame of a level button that is not the current one (the level picker)."""
    # The radar chart
    chart_background: QColor
    chart_text: QColor
    chart_label: QColor
    chart_ring: QColor
    chart_outer_ring: QColor
    chart_spoke: QColor
    chart_previous: QColor
    chart_current: QColor
    chart_label_fill: QColor

    def level(self, code: str) -> LevelColours:
        """The tile colours of a level code (NE, 1–4, ABS)."""
        return self.levels[code]

    def text_pairs(self) -> Iterator[tuple[str, QColor, QColor]]:
        """(role, text colour, background) of every text this theme draws: ≥ 4.5:1 each."""
        for code, colours in self.levels.items():
            yield f"niveau {code}", colours.text, colours.fill
        yield "ligne de titre", self.title_row_text, self.title_row
        yield "libellé des bilans", self.bilans_text, self.bilans_label
        yield "ligne des bilans", self.bilans_text, self.bilans_row
        for name in ("error_text", "warning_text", "success_text", "info_text", "muted_text"):
            colour = getattr(self, name)
            yield f"{name} sur la fenêtre", colour, self.window
            yield f"{name} sur le fond des listes", colour, self.base
        yield "bandeau d'avertissement", self.warning_banner_text, self.warning_banner
        yield "avertissement sur son bandeau", self.warning_text, self.warning_banner
        yield "bandeau d'erreur", self.error_banner_text, self.error_banner
        yield "erreur sur son bandeau", self.error_text, self.error_banner
        for name in ("trend_up", "trend_down", "trend_same"):
            yield f"{name} sur le fond des listes", getattr(self, name), self.base
        for name in (
            "attention_text",
            "alert_text",
            "inactive_text",
            "hint_text",
            "added_text",
            "changed_text",
            "empty_text",
        ):
            colour = getattr(self, name)
            yield f"{name} sur la fenêtre", colour, self.window
            yield f"{name} sur le fond des listes", colour, self.base
        yield "cellule signalée", self.text, self.flag_background
        yield "ligne de brouillon", self.text, self.draft_background
        yield (
            "attention_text sur une ligne de brouillon",
            self.attention_text,
            self.draft_background,
        )
        yield "texte du radar", self.chart_text, self.chart_background
        yield "symboles du radar", self.chart_label, self.chart_label_fill
        yield "note du radar", self.chart_label, self.chart_background

    def graphic_pairs(self) -> Iterator[tuple[str, QColor, QColor]]:
        """(role, mark, background) of the lines and frames that carry meaning: ≥ 3:1 each."""
        yield "barre de période", self.period_bar, self.base
        yield "souligné", self.underline, self.base
        yield "cadre du positionnement actuel", self.current_frame, self.base
        yield "cadre de sélection", self.focus_frame, self.base
        yield "barre de période sur la ligne de titre", self.period_bar, self.title_row
        yield "série actuelle du radar", self.chart_current, self.chart_background
        yield "série précédente du radar", self.chart_previous, self.chart_background
        yield "cercle extérieur du radar", self.chart_outer_ring, self.chart_background
        yield "cadre d'un bouton de niveau", self.tile_border, self.window


def is_dark(palette: QPalette) -> bool:
    """Whether a palette is dark: its window is darker than the text on it."""
    window = palette.color(QPalette.ColorRole.Window)
    text = palette.color(QPalette.ColorRole.WindowText)
    return window.lightnessF() < text.lightnessF()


def _level_colours() -> dict[str, LevelColours]:
    levels = {}
    for code in RESULT_CODES:
        style = style_of(code)
        text = QColor(style.text_color)
        levels[code] = LevelColours(tile_fill(QColor(style.color), text), text)
    return levels


def resolve_theme(palette: QPalette) -> Theme:
    """Every role for `palette`: the fixed light or dark set, its texts made readable on
    the palette's own window and base (a system palette may differ from ours)."""
    dark = is_dark(palette)
    window = palette.color(QPalette.ColorRole.Window)
    base = palette.color(QPalette.ColorRole.Base)
    text = palette.color(QPalette.ColorRole.Text)
    c = QColor

    def on_page(colour: str) -> QColor:
        return readable_on(c(colour), window, base)

    if dark:
        title_row, title_row_text = c("#37474f"), c("#ffffff")
        bilans_row, bilans_label, bilans_text = c("#0f2f4d"), c("#1d4f7c"), c("#e3f2fd")
        grid_line, period_bar, underline = c("#4f5b62"), c("#eceff1"), c("#eceff1")
        current_frame, absent_frame = c("#90caf9"), c("#bdbdbd")
        messages = ("#ef9a9a", "#ffb74d", "#a5d6a7", "#90caf9", "#b0bec5")
        warning_banner, warning_banner_text, warning_banner_border = (
            c("#3e2a14"),
            c("#ffe0b2"),
            c("#ef6c00"),
        )
        error_banner, error_banner_text, error_banner_border = (
            c("#3b1e1e"),
            c("#ffcdd2"),
            c("#e57373"),
        )
        chart = ("#1e1e1e", "#eceff1", "#b0bec5", "#546e7a", "#90a4ae", "#37474f")
        chart_previous, chart_current = c("#b0bec5"), c("#64b5f6")
        chart_label_fill = c(30, 30, 30, 210)
        trends = ("#81c784", "#ef9a9a", "#b0bec5")
        flag_background, draft_background = c("#5c3d10"), c("#3e2a14")
        others = ("#ffb74d", "#ef9a9a", "#a8a8a8", "#bdbdbd", "#a5d6a7", "#90caf9", "#8f8f8f")
        tile_border = c("#90a4ae")
    else:
        title_row, title_row_text = c("#eceff1"), c("#000000")
        bilans_row, bilans_label, bilans_text = c("#e3f2fd"), c("#bbdefb"), c("#000000")
        grid_line, period_bar, underline = c("#cfd8dc"), c("#212121"), c("#000000")
        current_frame, absent_frame = c("#0d47a1"), c("#757575")
        messages = ("#b71c1c", "#b84100", "#1b5e20", "#0d47a1", "#546e7a")
        warning_banner, warning_banner_text, warning_banner_border = (
            c("#fff3e0"),
            c("#4e2600"),
            c("#ef6c00"),
        )
        error_banner, error_banner_text, error_banner_border = (
            c("#fdecea"),
            c("#7f1010"),
            c("#e57373"),
        )
        chart = ("#ffffff", "#263238", "#455a64", "#b0bec5", "#78909c", "#cfd8dc")
        chart_previous, chart_current = c("#78909c"), c("#1565c0")
        chart_label_fill = c(255, 255, 255, 210)
        trends = ("#2e7d32", "#c62828", "#546e7a")
        flag_background, draft_background = c("#ffe0b2"), c("#fff3e0")
        others = ("#e65100", "#c62828", "#757575", "#555555", "#1b5e20", "#0d47a1", "#9e9e9e")
        tile_border = c("#607d8b")
    # Each hue kept, its lightness moved until it reads at 4.5:1 on either palette (the
    # light orange, greys and placeholder grey the screens first had did not).
    trend_up, trend_down, trend_same = (on_page(t) for t in trends)
    attention, alert, inactive, hint, added, changed, empty = (on_page(o) for o in others)
    if dark:
        flag_background = tile_fill(flag_background, text)
        draft_background = tile_fill(draft_background, text)
    attention = readable_on(attention, window, base, draft_background)
    error, warning, success, info, muted = (on_page(m) for m in messages)
    chart_background = c(chart[0])
    return Theme(
        dark=dark,
        window=window,
        base=base,
        text=text,
        levels=MappingProxyType(_level_colours()),
        title_row=title_row,
        title_row_text=title_row_text,
        bilans_row=bilans_row,
        bilans_label=bilans_label,
        bilans_text=bilans_text,
        grid_line=grid_line,
        period_bar=readable_on(period_bar, base, title_row, target=GRAPHIC_CONTRAST + 0.1),
        underline=readable_on(underline, base, target=GRAPHIC_CONTRAST + 0.1),
        current_frame=readable_on(current_frame, base, target=GRAPHIC_CONTRAST + 0.1),
        absent_frame=absent_frame,
        focus_frame=readable_on(text, base, target=GRAPHIC_CONTRAST + 0.1),
        error_text=error,
        warning_text=readable_on(warning, window, base, warning_banner),
        success_text=success,
        info_text=info,
        muted_text=muted,
        warning_banner=warning_banner,
        warning_banner_text=warning_banner_text,
        warning_banner_border=warning_banner_border,
        error_banner=error_banner,
        error_banner_text=error_banner_text,
        error_banner_border=error_banner_border,
        trend_up=trend_up,
        trend_down=trend_down,
        trend_same=trend_same,
        flag_background=flag_background,
        draft_background=draft_background,
        attention_text=attention,
        alert_text=alert,
        inactive_text=inactive,
        hint_text=hint,
        added_text=added,
        changed_text=changed,
        empty_text=empty,
        tile_border=readable_on(tile_border, window, target=GRAPHIC_CONTRAST + 0.1)
        if dark
        else tile_border,
        chart_background=chart_background,
        chart_text=c(chart[1]),
        chart_label=c(chart[2]),
        chart_ring=c(chart[3]),
        chart_outer_ring=c(chart[4]),
        chart_spoke=c(chart[5]),
        chart_previous=chart_previous,
        chart_current=chart_current,
        chart_label_fill=chart_label_fill,
    )


# --- the current theme and its changes ---------------------------------------------------


class _PaletteWatcher(QWidget):
    """A hidden widget that hears of a new application palette (Qt sends every widget
    QEvent.ApplicationPaletteChange) and drops the cached theme.

    Signals:
        theme_changed: the palette changed; `current_theme()` is the new theme.
    """

    theme_changed = Signal()

    def __init__(self) -> None:
        super().__init__(None, Qt.WindowType.Tool)
        self.setObjectName("livretPaletteWatcher")
        self.setAttribute(Qt.WidgetAttribute.WA_DontShowOnScreen)

    def event(self, event: QEvent) -> bool:
        """Override QWidget::event."""
        if event.type() == QEvent.Type.ApplicationPaletteChange:
            _forget_theme()
            self.theme_changed.emit()
        return super().event(event)


_theme: Theme | None = None
_watcher: _PaletteWatcher | None = None
_watched_app: QApplication | None = None


def _forget_theme() -> None:
    global _theme
    _theme = None


def _ensure_watcher() -> _PaletteWatcher:
    global _watcher, _watched_app
    app = QApplication.instance()
    if not isinstance(app, QApplication):
        raise RuntimeError("Le thème demande une QApplication.")
    if _watcher is None or _watched_app is not app:
        _watcher = _PaletteWatcher()
        _watched_app = app
        _forget_theme()
    return _watcher


def current_theme() -> Theme:
    """The theme of the application's palette now (resolved once per palette)."""
    global _theme
    theme = _theme
    if theme is None or _watcher is None:
        _ensure_watcher()
        theme = _theme = resolve_theme(QGuiApplication.palette())
    return theme


def theme_changed() -> Signal:
    """The signal emitted after the application's palette changed (a bound SignalInstance)."""
    return _ensure_watcher().theme_changed  # type: ignore[return-value]


class _ThemeFollower(QObject):
    """Calls `apply(theme)` now and again after every palette change.

    A child of its widget: it goes with it, and so does its connection.
    """

    def __init__(self, widget: QObject, apply: Callable[[Theme], None]) -> None:
        super().__init__(widget)
        self._apply = apply
        _ensure_watcher().theme_changed.connect(self.refresh)
        self.refresh()

    def refresh(self) -> None:
        self._apply(current_theme())


class _StyleSheetUpdater(_ThemeFollower):
    """Sets a widget's style sheet from the theme, again at every palette change."""

    def __init__(self, widget: QWidget, make: Callable[[Theme], str]) -> None:
        super().__init__(widget, lambda theme: widget.setStyleSheet(make(theme)))


def follow_theme(owner: QObject, apply: Callable[[Theme], None]) -> None:
    """Call `apply(current_theme())` now and after every palette change, while `owner` lives
    (colours that are set rather than read at paint time: tree items, pyqtgraph's)."""
    _ThemeFollower(owner, apply)


def themed_style_sheet(widget: QWidget, make: Callable[[Theme], str]) -> None:
    """Give `widget` the style sheet `make(theme)`, now and after every palette change."""
    for old in widget.findChildren(
        _StyleSheetUpdater, options=Qt.FindChildOption.FindDirectChildrenOnly
    ):
        old.setParent(None)
        old.deleteLater()
    _StyleSheetUpdater(widget, make)


def css(colour: QColor) -> str:
    """A colour for a style sheet (with its alpha when it has one)."""
    if colour.alpha() == 255:
        return colour.name()
    return f"rgba({colour.red()}, {colour.green()}, {colour.blue()}, {colour.alpha()})"


# --- forcing a palette (screenshots, tests, LIVRET_PALETTE) ------------------------------


def dark_palette() -> QPalette:
    """A Fusion dark palette, for systems that offer none (and for reproducible pictures)."""
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    colours = {
        role.Window: "#2b2b2e",
        role.WindowText: "#e8e8e8",
        role.Base: "#1e1e1e",
        role.AlternateBase: "#262629",
        role.ToolTipBase: "#3a3a3d",
        role.ToolTipText: "#e8e8e8",
        role.PlaceholderText: "#9a9a9a",
        role.Text: "#e8e8e8",
        role.Button: "#36363a",
        role.ButtonText: "#e8e8e8",
        role.BrightText: "#ff8a80",
        role.Light: "#4a4a4f",
        role.Midlight: "#3f3f44",
        role.Mid: "#2f2f33",
        role.Dark: "#18181a",
        role.Shadow: "#000000",
        role.Highlight: "#2f6db3",
        role.HighlightedText: "#ffffff",
        role.Link: "#7ab8ff",
        role.LinkVisited: "#c39bff",
    }
    palette = QPalette()
    for colour_role, value in colours.items():
        palette.setColor(colour_role, QColor(value))
    for colour_role in (role.WindowText, role.Text, role.ButtonText):
        palette.setColor(group.Disabled, colour_role, QColor("#7c7c7c"))
    palette.setColor(group.Disabled, role.Base, QColor("#262629"))
    palette.setColor(group.Disabled, role.Highlight, QColor("#4a4a4f"))
    return palette


def light_palette() -> QPalette:
    """Fusion's own light palette."""
    style = QStyleFactory.create("Fusion")
    return style.standardPalette()


def apply_palette(app: QApplication, choice: str) -> None:
    """Force the dark or light palette (with the Fusion style), or leave the system's.

    Open windows repaint in the new colours (Qt sends them the palette change).
    """
    if choice not in PALETTE_CHOICES:
        raise ValueError(
            f"Palette inconnue : « {choice} » (attendu : {', '.join(PALETTE_CHOICES)})."
        )
    if choice == "system":
        return
    app.setStyle("Fusion")
    app.setPalette(dark_palette() if choice == "dark" else light_palette())
    _forget_theme()  # Qt posts the palette event: paint passes before it get the new one


def apply_palette_from_environment(app: QApplication) -> None:
    """Apply LIVRET_PALETTE when it is set; a wrong value is logged and ignored."""
    choice = os.environ.get(PALETTE_VARIABLE, "").strip().lower()
    if not choice:
        return
    try:
        apply_palette(app, choice)
    except ValueError as error:
        log.warning("%s ignorée : %s", PALETTE_VARIABLE, error)
