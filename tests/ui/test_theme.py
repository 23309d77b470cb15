"""The theme's colours read on both palettes (WCAG 2.1 contrast), and follow a palette change."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from PySide6.QtCore import QAbstractItemModel, QSettings, Qt
from PySide6.QtGui import QBrush, QColor, QPalette
from PySide6.QtWidgets import QApplication, QTableView, QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import text

import livret.ui
from livret.domain.levels import RESULT_CODES, style_of
from livret.domain.roles import Role
from livret.services.authentication import local_profile
from livret.services.bilans import CONFIRMATION_WORD, BilanService
from livret.services.catalog import CatalogService
from livret.services.conseil import ConseilService
from livret.services.container import build_services
from livret.services.database import Database
from livret.services.users import command_line_actor
from livret.ui.conseil_view import ConseilClasseView
from livret.ui.main_window import MainWindow
from livret.ui.theme import (
    GRAPHIC_CONTRAST,
    LEVEL_EDGE_CONTRAST,
    TEXT_CONTRAST,
    Theme,
    apply_palette,
    contrast_ratio,
    current_theme,
    dark_palette,
    light_palette,
    resolve_theme,
)
from tests.accounts import make_account
from tests.demo_queries import learner_with

PALETTES = {"clair": light_palette, "sombre": dark_palette}
FOREGROUND = Qt.ItemDataRole.ForegroundRole


def test_contrast_ratio_is_wcags() -> None:
    assert contrast_ratio(QColor("#000000"), QColor("#ffffff")) == pytest.approx(21.0)
    assert contrast_ratio(QColor("#777777"), QColor("#ffffff")) == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("name", PALETTES)
def test_every_text_reads_at_4_5_to_1(name: str) -> None:
    theme = resolve_theme(PALETTES[name]())
    too_faint = [
        (role, text.name(), background.name(), round(contrast_ratio(text, background), 2))
        for role, text, background in theme.text_pairs()
        if contrast_ratio(text, background) < TEXT_CONTRAST
    ]
    assert not too_faint
    faint_marks = [
        role
        for role, mark, background in theme.graphic_pairs()
        if contrast_ratio(mark, background) < GRAPHIC_CONTRAST
    ]
    assert not faint_marks


@pytest.mark.parametrize("name", PALETTES)
def test_level_colours_keep_their_meaning(name: str) -> None:
    theme = resolve_theme(PALETTES[name]())
    for code in RESULT_CODES:
        printed, shown = QColor(style_of(code).color), theme.level(code)
        assert shown.fill.hslHue() == printed.hslHue(), code  # same hue as on the PDF
        assert contrast_ratio(shown.text, shown.fill) >= TEXT_CONTRAST, code
        for background in (theme.base, theme.window):
            assert contrast_ratio(shown.fill, background) >= LEVEL_EDGE_CONTRAST, code
    assert theme.dark == (name == "sombre")


def test_a_new_palette_gives_a_new_theme(qapp: QApplication) -> None:
    saved = QPalette(qapp.palette())
    try:
        apply_palette(qapp, "dark")
        assert current_theme().dark
        assert current_theme().title_row.lightness() < 128  # no more white on light grey
        qapp.setPalette(light_palette())  # as the system would: Qt's event drops the theme
        qapp.processEvents()
        assert not current_theme().dark
    finally:
        qapp.setPalette(saved)
    with pytest.raises(ValueError, match="Palette inconnue"):
        apply_palette(qapp, "violet")


# --- the screens follow the palette ------------------------------------------------------

CONSEIL = dt.date(2026, 4, 2)  # after the demo's bilans of 20/03/2026
COLOUR_LITERALS = (
    re.compile(r"(?<![\w&])#(?:[0-9a-fA-F]{8}|[0-9a-fA-F]{6}|[0-9a-fA-F]{3})\b"),
    re.compile(r"QColor\(\s*(?:[\"'\d]|Qt\.)"),
    re.compile(r"Qt\.GlobalColor\.\w+"),
    re.compile(r"\brgba?\(\s*\d"),
    re.compile(r"(?:mkPen|mkBrush|mkColor)\(\s*[\"'\d]|setBackground\(\s*[\"']"),
    # The domain's level colours as they are: NE and 1 read under 4.5:1 (theme.level()).
    re.compile(r"\bstyle\.(?:text_)?colou?r\b"),
)
UI = Path(livret.ui.__file__).parent


@pytest.fixture
def restore_palette(qapp: QApplication) -> Iterator[None]:
    """The test may force the dark palette: the next tests get the light one back."""
    style, palette = qapp.style().name(), QPalette(qapp.palette())
    yield
    qapp.setStyle(style)
    qapp.setPalette(palette)
    qapp.processEvents()
    assert not current_theme().dark


def _go_dark(qapp: QApplication) -> Theme:
    apply_palette(qapp, "dark")
    qapp.processEvents()  # Qt's ApplicationPaletteChange: style sheets are set again
    theme = current_theme()
    assert theme.dark
    return theme


def _ink(widget: QWidget, inset: int = 1) -> tuple[QColor, QColor]:
    """(background, text) as drawn: a pixel near the corner (inside any frame), and the
    pixel that stands out most from it."""
    image = widget.grab().toImage()
    background = image.pixelColor(inset, inset)
    ink = max(
        (image.pixelColor(x, y) for x in range(image.width()) for y in range(image.height())),
        key=lambda colour: contrast_ratio(colour, background),
    )
    return background, ink


def _brushes(model: QAbstractItemModel, role: Qt.ItemDataRole) -> dict[tuple[int, int], QColor]:
    """(row, column) → the colour of the brush the model gives for `role`."""
    found = {}
    for row in range(model.rowCount()):
        for column in range(model.columnCount()):
            brush = model.index(row, column).data(role)
            if isinstance(brush, QBrush):
                found[(row, column)] = brush.color()
    return found


def _table_colours_read(model: QAbstractItemModel, base: QColor, text: QColor) -> list[str]:
    """The cells of `model` whose colours do not read at 4.5:1, as « row,column: a sur b »."""
    faint = []
    backgrounds = _brushes(model, Qt.ItemDataRole.BackgroundRole)
    foregrounds = _brushes(model, FOREGROUND)
    for cell in {*backgrounds, *foregrounds}:
        ink, behind = foregrounds.get(cell, text), backgrounds.get(cell, base)
        if contrast_ratio(ink, behind) < TEXT_CONTRAST:
            faint.append(f"{cell}: {ink.name()} sur {behind.name()}")
    return faint


def test_the_conseil_table_reads_on_the_dark_palette(
    qtbot: QtBot, qapp: QApplication, demo_database: Database, restore_palette: None
) -> None:
    """Built on the light palette, then the system turns dark: the arrows, the drafts and
    the flagged marks take the dark colours (no green, red or pale orange left from light)."""
    service = ConseilService(demo_database, make_account(demo_database, Role.TEACHER))
    view = ConseilClasseView(lambda: service, today=CONSEIL)
    qtbot.addWidget(view)
    classes = CatalogService(demo_database, service.actor).list_classes()
    view.set_classes(classes, current=next(c.id for c in classes if c.code == "1PLP1"))
    view.show()
    light_arrows = {colour.name() for colour in _brushes(view.model, FOREGROUND).values()}

    theme = _go_dark(qapp)
    table = view.findChild(QTableView)
    assert table is not None
    base, text = table.palette().base().color(), table.palette().text().color()
    assert base.lightness() < 64
    arrows = {colour.name() for colour in _brushes(view.model, FOREGROUND).values()}
    assert theme.trend_up.name() in arrows and not arrows & light_arrows
    assert not _table_colours_read(view.model, base, text)
    legend_background, legend_ink = _ink(view.legend)
    assert contrast_ratio(legend_ink, legend_background) >= TEXT_CONTRAST


def _finalize_on_two_ccs(database: Database) -> tuple[int, int]:
    """(class, learner): a 1PLP1 learner of 2026-2027 given a final bilan on 2 CCs only,
    so that the marks dialog flags its mark."""
    with database.engine.connect() as connection:
        class_id, learner_id = connection.execute(
            text(
                "SELECT e.class_id, e.learner_id FROM enrolment e "
                "JOIN learner l ON l.id = e.learner_id "
                "JOIN school_class c ON c.id = e.class_id AND c.code = '1PLP1' "
                "JOIN school_year y ON y.id = e.school_year_id AND y.label = '2026-2027' "
                "WHERE l.left_on IS NULL AND NOT EXISTS (SELECT 1 FROM bilan b "
                "WHERE b.learner_id = e.learner_id AND b.status = 'draft') "
                "ORDER BY e.learner_id LIMIT 1"
            )
        ).one()
        ccs = {
            str(code): int(cc_id)
            for code, cc_id in connection.execute(text("SELECT code, id FROM common_competency"))
        }
    bilans = BilanService(database, command_line_actor(database))
    bilans.set_positioning(learner_id, ccs["CC1.1"], "4")
    saved = bilans.set_positioning(learner_id, ccs["CC2.1"], "3")
    version = bilans.sheet(saved.bilan_id).version
    bilans.finalize(saved.bilan_id, version=version, confirmation=CONFIRMATION_WORD)
    return int(class_id), int(learner_id)


def test_the_marks_and_the_bilan_editor_read_on_the_dark_palette(
    qtbot: QtBot,
    qapp: QApplication,
    demo_database: Database,
    tmp_path: Path,
    restore_palette: None,
) -> None:
    """The marks dialog's flagged mark and remarks, the bilan editor's warning, its banner
    and its radar, drawn on the dark palette: every text reads, nothing stays light."""
    class_id, flagged_id = _finalize_on_two_ccs(demo_database)
    settings = QSettings(str(tmp_path / "settings.ini"), QSettings.Format.IniFormat)
    window = MainWindow(
        build_services(demo_database, local_profile(demo_database)),
        database_name="démo",
        settings=settings,
    )
    qtbot.addWidget(window)
    window.show()
    assert window.selector.select_class(class_id)
    marks = window.open_marks()
    assert marks is not None and marks.preview is not None
    window.dashboard.show_learner(learner_with(demo_database, 1, True))
    editor = window.dashboard.open_bilan_editor()
    assert editor is not None
    editor.warning.setText("Positionnements manquants (restent NE) : CC1.1")
    editor.warning.show()
    editor._show_banner("Ce bilan vient d'être modifié par M. X sur un autre poste.")
    light_background = editor.radar.grab().toImage().pixelColor(2, 2)

    theme = _go_dark(qapp)
    table = marks.findChild(QTableView)
    assert table is not None
    base, text_colour = table.palette().base().color(), table.palette().text().color()
    row = next(i for i, line in enumerate(marks.preview.lines) if line.learner.id == flagged_id)
    flag = marks.model.index(row, 2).data(Qt.ItemDataRole.BackgroundRole).color()
    assert flag == theme.flag_background
    assert contrast_ratio(text_colour, flag) >= TEXT_CONTRAST
    assert not _table_colours_read(marks.model, base, text_colour)
    assert not _table_colours_read(editor.rows, base, text_colour)

    background, ink = _ink(editor.warning)
    assert background.lightness() < 64  # the window, dark
    assert contrast_ratio(ink, background) >= TEXT_CONTRAST
    banner, banner_ink = _ink(editor.remote_banner, inset=5)
    assert banner.lightness() < 96  # no pale orange band on the dark window
    assert contrast_ratio(banner_ink, banner) >= TEXT_CONTRAST
    label_text = editor.remote_label.palette().windowText().color()
    assert contrast_ratio(label_text, banner) >= TEXT_CONTRAST

    radar = editor.radar.grab().toImage()
    assert radar.pixelColor(2, 2) == theme.chart_background != light_background
    editor._dirty = False
    editor.close()


def test_no_colour_is_written_in_the_screens_code() -> None:
    """Every screen colour comes from livret/ui/theme.py: a hex literal, a QColor of a name
    or of numbers, a Qt.GlobalColor or a pyqtgraph colour string elsewhere is listed."""
    found = []
    for path in sorted(UI.rglob("*.py")):
        if path == UI / "theme.py":
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if any(pattern.search(line) for pattern in COLOUR_LITERALS):
                found.append(f"{path.relative_to(UI.parent.parent)}:{number}: {line.strip()}")
    assert not found, "Couleurs écrites en dur (à prendre dans livret.ui.theme) :\n" + "\n".join(
        found
    )
