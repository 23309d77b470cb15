"""Aide → Guide de l'enseignant (F1): the Markdown guide with its pictures, in a window.

The guide is read with QTextBrowser's own Markdown support; its pictures are resolved
from the guide's folder (the browser's source), so the same relative paths work in a
checkout and in a bundle (livret.documentation). Pictures wider than the page are shown
at the page's width. Links to the web open in the browser; links inside the guide
(« voir § 3 ») stay in the window.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, QUrl
from PySide6.QtGui import (
    QImage,
    QKeySequence,
    QResizeEvent,
    QTextCursor,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QListWidget,
    QListWidgetItem,
    QSplitter,
    QTextBrowser,
    QToolBar,
    QVBoxLayout,
    QWidget,
)

from livret.documentation import GuideFile, find_guide

MISSING_TEXT = (
    "# Guide introuvable\n\n"
    "Le guide de l'enseignant n'est pas installé avec cette copie de Livret. "
    "Demandez à la personne qui l'a installée de le réinstaller."
)
README_NOTE = "Le guide de l'enseignant n'est pas encore installé : voici le README de Livret."
PAGE_MARGIN = 40
DEFAULT_PAGE_WIDTH = 760
REFIT_STEP = 80


class GuideBrowser(QTextBrowser):
    """A QTextBrowser whose pictures never overflow the page.

    A picture wider than the page is given a device pixel ratio that lays it out at the
    page's width: it is drawn at its full resolution, smaller, and stays sharp.
    """

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._fitted_width = 0
        self._pictures: dict[str, QImage] = {}  # as read from disk, by the page's name

    def page_width(self) -> int:
        width = self.viewport().width()
        return (width if width >= 300 else DEFAULT_PAGE_WIDTH) - PAGE_MARGIN

    def _fitted(self, image: QImage) -> QImage:
        width = self.page_width()
        self._fitted_width = width
        fitted = QImage(image)
        fitted.setDevicePixelRatio(max(1.0, image.width() / width))
        return fitted

    def loadResource(self, type: int, name: QUrl | str) -> object:
        """Override QTextBrowser::loadResource: pictures from the guide's folder, fitted."""
        if type == QTextDocument.ResourceType.ImageResource.value:
            url = self.source().resolved(QUrl(name))
            if url.isLocalFile():
                image = QImage(url.toLocalFile())
                if not image.isNull():
                    self._pictures[QUrl(name).toString()] = image
                    return self._fitted(image)
        return super().loadResource(type, name)

    def doSetSource(
        self,
        name: QUrl | str,
        type: QTextDocument.ResourceType = QTextDocument.ResourceType.UnknownResource,
    ) -> None:
        """Override QTextBrowser::doSetSource: another page (a link, ◀, ▶), other pictures."""
        self._pictures.clear()
        super().doSetSource(name, type)

    def resizeEvent(self, event: QResizeEvent) -> None:
        """Override QWidget::resizeEvent: a page much wider or narrower refits the pictures.

        The document keeps its pictures: each is replaced by its refitted copy and the
        layout redone (reload() would parse the page again, and Qt 6.11 appends it).
        """
        super().resizeEvent(event)
        if self._fitted_width and abs(self.page_width() - self._fitted_width) > REFIT_STEP:
            bar = self.verticalScrollBar()
            fraction = bar.value() / bar.maximum() if bar.maximum() else 0.0
            document = self.document()
            for name, image in self._pictures.items():
                document.addResource(
                    QTextDocument.ResourceType.ImageResource.value, QUrl(name), self._fitted(image)
                )
            document.markContentsDirty(0, document.characterCount())
            bar.setValue(round(fraction * bar.maximum()))


class HelpWindow(QWidget):
    """The teacher's guide: its headings on the left, the text and pictures on the right.

    A top-level window (not modal): it stays open beside the window it explains.
    """

    def __init__(self, guide: GuideFile | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Window)
        self.setObjectName("helpWindow")
        self.setWindowTitle(self.tr("Guide de l'enseignant — Livret"))
        self.guide = guide if guide is not None else find_guide()

        self.browser = GuideBrowser()
        self.browser.setObjectName("guideBrowser")
        self.browser.setAccessibleName(self.tr("Guide de l'enseignant"))
        self.browser.setOpenExternalLinks(True)
        self.contents = QListWidget()
        self.contents.setObjectName("guideContents")
        self.contents.setAccessibleName(self.tr("Sommaire du guide"))
        self.contents.setWordWrap(True)
        self.contents.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.contents.itemActivated.connect(self._on_heading_chosen)
        self.contents.itemClicked.connect(self._on_heading_chosen)

        toolbar = QToolBar()
        toolbar.setObjectName("helpToolbar")
        self.back_action = toolbar.addAction(self.tr("◀ Précédent"))
        self.back_action.setShortcut(QKeySequence.StandardKey.Back)
        self.back_action.triggered.connect(self.browser.backward)
        self.back_action.setEnabled(False)
        self.browser.backwardAvailable.connect(self.back_action.setEnabled)
        self.forward_action = toolbar.addAction(self.tr("Suivant ▶"))
        self.forward_action.setShortcut(QKeySequence.StandardKey.Forward)
        self.forward_action.triggered.connect(self.browser.forward)
        self.forward_action.setEnabled(False)
        self.browser.forwardAvailable.connect(self.forward_action.setEnabled)
        self.home_action = toolbar.addAction(self.tr("Début du guide"))
        self.home_action.triggered.connect(self.show_start)
        self.close_action = toolbar.addAction(self.tr("Fermer"))
        self.close_action.setShortcut(QKeySequence.StandardKey.Close)
        self.close_action.triggered.connect(self.close)
        for action in toolbar.actions():  # reachable with Tab, not only with the mouse
            button = toolbar.widgetForAction(action)
            button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
            button.setAccessibleName(action.text())

        splitter = QSplitter()
        splitter.addWidget(self.contents)
        splitter.addWidget(self.browser)
        splitter.setStretchFactor(1, 1)
        splitter.setSizes([240, 760])
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(toolbar)
        layout.addWidget(splitter, 1)
        self.resize(1000, 760)
        self.browser.sourceChanged.connect(lambda _url: self._on_page_loaded())
        self.show_start()

    def show_start(self) -> None:
        """The guide from its first line (or the README, or a note that it is missing)."""
        guide = self.guide
        if guide is None:
            self.browser.setMarkdown(self.tr(MISSING_TEXT))
            self._on_page_loaded()
            return
        self.browser.setSource(
            QUrl.fromLocalFile(str(guide.path)), QTextDocument.ResourceType.MarkdownResource
        )
        if self.browser.source().toLocalFile() == str(guide.path):
            self._on_page_loaded()  # the same page again: sourceChanged is not emitted
        if guide.is_readme:
            self.setToolTip(self.tr(README_NOTE))

    def title(self) -> str:
        """The page's first heading (what the reader sees at the top)."""
        headings = self.headings()
        return headings[0][1] if headings else ""

    def headings(self) -> list[tuple[int, str, int]]:
        """(level, text, position) of each heading of the page shown, in order."""
        found = []
        block = self.browser.document().begin()
        while block.isValid():
            level = block.blockFormat().headingLevel()
            if level:
                found.append((level, block.text(), block.position()))
            block = block.next()
        return found

    def _on_page_loaded(self) -> None:
        self.contents.clear()
        for level, text, position in self.headings():
            if level > 2:
                continue
            item = QListWidgetItem(("    " if level == 2 else "") + text)
            item.setData(Qt.ItemDataRole.UserRole, position)
            item.setToolTip(text)
            self.contents.addItem(item)
        self.browser.moveCursor(QTextCursor.MoveOperation.Start)

    def _on_heading_chosen(self, item: QListWidgetItem) -> None:
        """Scroll so that the chosen heading is at the top of the page."""
        document = self.browser.document()
        block = document.findBlock(int(item.data(Qt.ItemDataRole.UserRole)))
        document.size()  # the layout is lazy: without this, a far heading has no place yet
        top = document.documentLayout().blockBoundingRect(block).top()
        self.browser.setTextCursor(QTextCursor(block))
        self.browser.verticalScrollBar().setValue(int(top))


def show_help(window: HelpWindow | None) -> HelpWindow:
    """Show the guide: the window already made is shown again and raised, else one is made.

    It has no parent: a dialog open in front of the main window (window-modal) must not
    block it, the guide is read beside that dialog.
    """
    if window is None:
        window = HelpWindow()
    window.show()
    window.raise_()
    window.activateWindow()
    return window
