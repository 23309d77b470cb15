"""Qt's own texts in French: standard buttons, file dialogs, text fields' context menus.

Two catalogues are installed, each by a QTranslator:

- ``qtbase_fr.qm``, Qt's own translation of QtWidgets (QDialogButtonBox, QMessageBox,
  QFileDialog, QLineEdit's menu…). It is looked up in one place only:
  ``QLibraryInfo.path(TranslationsPath)``, i.e. ``PySide6/Qt/translations`` in a
  virtual environment, and the same folder inside a PyInstaller bundle (PyInstaller's
  ``qt.conf`` points QLibraryInfo there; livret.spec must keep ``qtbase_fr.qm`` among
  the collected translations).
- ``qtbase_complement_fr.qm``, Livret's own (resources/locale/fr/qt, shipped with the
  other resources): the few texts Qt 6 changed in its sources and qtbase_fr still
  lacks (« Look in », « Files of type », the « Folder » of the file list).
"""

from __future__ import annotations

import logging
from pathlib import Path

from PySide6.QtCore import QLibraryInfo, QLocale, QTranslator
from PySide6.QtWidgets import QApplication

from livret.domain.errors import LivretError
from livret.resources import resource_path

QT_CATALOGUE = "qtbase_fr"
COMPLEMENT = ("locale", "fr", "qt", "qtbase_complement_fr.qm")

_log = logging.getLogger(__name__)


def qt_translations_folder() -> str:
    """Where Qt keeps its own ``.qm`` files (venv or bundle alike)."""
    return QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)


def install_qt_french(app: QApplication) -> bool:
    """Make French the default locale, install Qt's French catalogues; True if Qt's is in.

    Idempotent: a second call on the same application installs nothing more. A
    missing catalogue is logged and leaves those texts in English (the app still works).
    """
    if QLocale().language() != QLocale.Language.French:
        QLocale.setDefault(QLocale(QLocale.Language.French, QLocale.Country.France))
    installed = _install(app, QT_CATALOGUE, qt_translations_folder())
    try:
        complement = resource_path(*COMPLEMENT)
    except LivretError:
        _log.warning("Complément des traductions de Qt introuvable : %s", "/".join(COMPLEMENT))
    else:
        _install(app, complement.stem, str(complement.parent))
    return installed


def _install(app: QApplication, name: str, folder: str) -> bool:
    """Load ``folder/name.qm`` into a translator owned by the app, once per app."""
    object_name = f"livret-translator-{name}"
    if app.findChild(QTranslator, object_name) is not None:
        return True
    translator = QTranslator()
    if not translator.load(name, folder) or not app.installTranslator(translator):
        _log.warning("Traductions de Qt introuvables : %s", Path(folder) / f"{name}.qm")
        return False  # the unparented translator goes with this frame
    translator.setObjectName(object_name)
    translator.setParent(app)  # kept alive as long as the application
    return True
