"""Application-wide Qt set-up: names for QSettings, the bundled fonts."""

from __future__ import annotations

from PySide6.QtGui import QFont, QFontDatabase
from PySide6.QtWidgets import QApplication

from livret.resources import resource_path

BUNDLED_FONTS = ("DejaVuSans.ttf", "DejaVuSans-Bold.ttf", "DejaVuSans-Oblique.ttf")


def configure_application(app: QApplication) -> None:
    """Name the application (QSettings' location) and make sure a font with accents exists.

    DejaVu Sans ships with Livret, so French text (é, œ, « ») renders even on a
    machine without system fonts; it becomes the default only when the system
    offers none.
    """
    app.setOrganizationName("Livret")
    app.setApplicationName("Livret")
    app.setApplicationDisplayName("Livret")
    had_fonts = bool(QFontDatabase.families())
    for name in BUNDLED_FONTS:
        QFontDatabase.addApplicationFont(str(resource_path("fonts", name)))
    if not had_fonts:
        app.setFont(QFont("DejaVu Sans", 10))
