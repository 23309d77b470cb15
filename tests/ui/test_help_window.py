"""The help window: the teacher's guide with its pictures, found in a checkout or a bundle."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QUrl
from PySide6.QtGui import QImage, QTextDocument
from pytestqt.qtbot import QtBot

import livret
from livret import documentation
from livret.documentation import GuideFile, find_guide
from livret.ui.help_window import HelpWindow

PNG_WIDTH = 1600


def write_guide(folder: Path, title: str = "Guide de l'enseignant") -> Path:
    """A guide with a picture wider than any page, at the relative path the real one uses."""
    (folder / "screenshots").mkdir(parents=True)
    image = QImage(PNG_WIDTH, 400, QImage.Format.Format_RGB32)
    image.fill(0x2196F3)
    assert image.save(str(folder / "screenshots" / "tableau.png"))
    guide = folder / "guide.md"
    guide.write_text(
        f"# {title}\n\nBienvenue.\n\n## 1. Premier démarrage\n\n"
        "![Tableau de bord](screenshots/tableau.png)\n\n## 2. Importer\n\n"
        + "Un paragraphe.\n\n"
        * 60,
        encoding="utf-8",
    )
    return guide


def make_window(qtbot: QtBot, guide: GuideFile | None) -> HelpWindow:
    window = HelpWindow(guide)
    qtbot.addWidget(window)
    window.show()
    return window


def test_the_guide_of_the_checkout_is_found_and_shown(qtbot: QtBot) -> None:
    guide = find_guide()
    assert guide is not None and not guide.is_readme
    assert guide.path == Path(livret.__file__).resolve().parent.parent / "docs" / "guide.md"
    window = make_window(qtbot, guide)
    assert window.title() == "Guide de l'enseignant"
    assert window.contents.count() >= 5  # the sections, to jump to


def test_pictures_come_from_the_guides_folder_and_fit_the_page(
    qtbot: QtBot, tmp_path: Path
) -> None:
    path = write_guide(tmp_path / "ailleurs")
    window = make_window(qtbot, GuideFile(path, is_readme=False))
    qtbot.waitExposed(window)
    image = window.browser.document().resource(
        QTextDocument.ResourceType.ImageResource, QUrl("screenshots/tableau.png")
    )
    assert isinstance(image, QImage) and image.width() == PNG_WIDTH
    shown_width = image.width() / image.devicePixelRatio()
    assert shown_width <= window.browser.viewport().width()  # no sideways scrolling


def test_a_resized_window_refits_the_pictures_and_keeps_one_copy_of_the_page(
    qtbot: QtBot, tmp_path: Path
) -> None:
    window = make_window(qtbot, GuideFile(write_guide(tmp_path), is_readme=False))
    qtbot.waitExposed(window)
    sections = [window.contents.item(i).text() for i in range(window.contents.count())]
    text = window.browser.toPlainText()
    for width in (1400, 600):
        window.resize(width, 700)
        qtbot.waitUntil(lambda: abs(window.width() - width) < 5)  # noqa: B023
        image = window.browser.document().resource(
            QTextDocument.ResourceType.ImageResource, QUrl("screenshots/tableau.png")
        )
        assert isinstance(image, QImage)
        shown = image.width() / image.devicePixelRatio()
        assert window.browser.viewport().width() - 60 <= shown <= window.browser.viewport().width()
        assert window.browser.toPlainText() == text  # the page once, not appended again
        assert [window.contents.item(i).text() for i in range(window.contents.count())] == sections


def test_choosing_a_section_scrolls_to_it(qtbot: QtBot, tmp_path: Path) -> None:
    window = make_window(qtbot, GuideFile(write_guide(tmp_path), is_readme=False))
    qtbot.waitExposed(window)
    window.resize(600, 300)
    items = [window.contents.item(i) for i in range(window.contents.count())]
    assert [i.text().strip() for i in items] == [
        "Guide de l'enseignant",
        "1. Premier démarrage",
        "2. Importer",
    ]
    window.contents.itemClicked.emit(items[2])
    assert window.browser.verticalScrollBar().value() > 0
    top = window.browser.cursorForPosition(window.browser.viewport().rect().topLeft())
    assert top.block().text() == "2. Importer"


def test_a_bundle_carries_the_guide_inside_the_package(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    package = tmp_path / "_internal" / "livret"
    package.mkdir(parents=True)
    write_guide(package / "docs")
    monkeypatch.setattr(livret, "__file__", str(package / "__init__.pyc"))
    found = documentation.find_guide()
    assert found == GuideFile(package / "docs" / "guide.md", is_readme=False)


def test_without_a_guide_the_readme_stands_in_then_a_french_note(
    qtbot: QtBot, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    checkout = tmp_path / "checkout"
    (checkout / "livret").mkdir(parents=True)
    (checkout / "README.md").write_text("# Livret\n\nLe README.\n", encoding="utf-8")
    monkeypatch.setattr(livret, "__file__", str(checkout / "livret" / "__init__.py"))
    found = documentation.find_guide()
    assert found == GuideFile(checkout / "README.md", is_readme=True)
    assert make_window(qtbot, found).title() == "Livret"

    (checkout / "README.md").unlink()
    assert documentation.find_guide() is None
    assert make_window(qtbot, None).title() == "Guide introuvable"
