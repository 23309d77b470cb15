"""Application-wide Qt set-up: names for QSettings, the bundled fonts."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QFont, QFontDatabase, QIcon
from PySide6.QtWidgets import QApplication

from livret.resources import resource_path
from livret.ui.qt_french import install_qt_french
from livret.ui.theme import apply_palette_from_environment

BUNDLED_FONTS = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf")
ICON_SIZES = (16, 24, 32, 48, 64, 128, 256)  # resources/icons/livret-N.png


def application_icon() -> QIcon:
    """Livret's icon: one PNG per size, drawn from livret.svg by scripts/build_icons.py."""
    icon = QIcon()
    for size in ICON_SIZES:
        icon.addFile(str(resource_path("icons", f"livret-{size}.png")), QSize(size, size))
    return icon


def configure_application(app: QApplication) -> None:
    """Name the application (QSettings' location) and make sure a font with accents exists.

    DejaVu Sans ships with Livret, so French text (é, œ, « ») renders even on a
    machine without system fonts; it becomes the default only when the system
    offers none.
    """
    app.setOrganizationName("Livret")
    app.setApplicationName("Livret")
    # No setApplicationDisplayName(): Qt would append it to every window title that does
    # not end with it (QPlatformWindow::formatWindowTitle), so the main window read
    # « Livret — base — nom — Livret ». Each window's title says « Livret » itself if it
    # wants to; an empty title still shows the application's name.
    app.setWindowIcon(application_icon())
    app.setDesktopFileName("livret")  # packaging/linux/livret.desktop: the same icon on Wayland
    had_fonts = bool(QFontDatabase.families())
    for name in BUNDLED_FONTS:
        QFontDatabase.addApplicationFont(str(resource_path("fonts", name)))
    if not had_fonts:
        app.setFont(QFont("DejaVu Sans", 10))
    install_qt_french(app)  # Qt's own buttons, file dialogs, menus in French
    apply_palette_from_environment(app)  # LIVRET_PALETTE=dark|light forces a palette
