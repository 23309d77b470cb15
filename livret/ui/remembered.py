"""What the desktop remembers between runs: each file dialog's folder, each dialog's size.

Both live in QSettings: the store of the window a dialog belongs to (the main window is
built with one, tests give it an ini file), else the application's default store.

- A file dialog starts in the folder last used **for the same purpose** (importing
  SIECLE, exporting marks…), else in the call site's default, else in the home folder;
  a remembered folder that no longer exists (an unplugged USB key) is skipped.
- A dialog opens at the size it had when last closed, never larger than its screen.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from PySide6.QtCore import QEvent, QObject, QSettings, QSize
from PySide6.QtWidgets import QFileDialog, QWidget

FOLDERS_GROUP = "folders"
SIZES_GROUP = "dialogs"


class Purpose(StrEnum):
    """Why a file dialog is shown: each purpose remembers its own folder."""

    SIECLE_IMPORT = "import-siecle"
    RESULTS_IMPORT = "import-results"
    PDF_EXPORT = "pdf-export"
    """A bilan's PDF, a class's PDFs: the same folder."""
    MARKS_EXPORT = "export-marks"
    LSL_EXPORT = "export-lsl"
    """The LSL Pro synthesis (XML, XLSX, CSV): a folder of its own, often the secretariat's."""
    REFERENTIEL_IMPORT = "referentiel-import"
    REFERENTIEL_EXPORT = "referentiel-export"
    BACKUP = "backups"
    DATABASE_FILE = "database-file"
    LOGO = "logo"
    LEARNER_DATA = "learner-data"
    PASSWORDS = "passwords"
    CERTIFICATE = "certificate"


def settings_for(widget: QWidget | None) -> QSettings:
    """The store of the first window up the parents that has one, else the default store."""
    current = widget
    while current is not None:
        store = getattr(current, "settings", None)
        if isinstance(store, QSettings):
            return store
        current = current.parentWidget()
    return QSettings()


# --- folders ---------------------------------------------------------------------


def start_folder(widget: QWidget | None, purpose: Purpose, default: Path | None = None) -> Path:
    """Where a dialog for `purpose` starts: the folder last used, the default, or home."""
    value = settings_for(widget).value(f"{FOLDERS_GROUP}/{purpose.value}")
    candidates = [Path(value)] if isinstance(value, str) and value else []
    if default is not None:
        candidates.append(default)
    return next((folder for folder in candidates if folder.is_dir()), Path.home())


def remember_folder(widget: QWidget | None, purpose: Purpose, chosen: Path) -> None:
    """Remember the folder of a chosen file (or the chosen folder itself)."""
    folder = chosen if chosen.is_dir() else chosen.parent
    store = settings_for(widget)
    store.setValue(f"{FOLDERS_GROUP}/{purpose.value}", str(folder))
    store.sync()


def open_file(
    parent: QWidget | None,
    purpose: Purpose,
    title: str,
    file_filter: str,
    *,
    default: Path | None = None,
) -> Path | None:
    """QFileDialog.getOpenFileName started in the purpose's folder, which it then remembers."""
    path, _ = QFileDialog.getOpenFileName(
        parent, title, str(start_folder(parent, purpose, default)), file_filter
    )
    if not path:
        return None
    remember_folder(parent, purpose, Path(path))
    return Path(path)


def save_file(
    parent: QWidget | None,
    purpose: Purpose,
    title: str,
    suggested: str,
    file_filter: str,
    *,
    default: Path | None = None,
) -> tuple[Path, str] | None:
    """QFileDialog.getSaveFileName proposing `suggested` (a file name) in the purpose's folder.

    Returns the chosen path and the chosen filter, or None when cancelled.
    """
    proposed = Path(suggested)
    if not proposed.is_absolute():
        proposed = start_folder(parent, purpose, default) / proposed
    path, chosen_filter = QFileDialog.getSaveFileName(parent, title, str(proposed), file_filter)
    if not path:
        return None
    remember_folder(parent, purpose, Path(path))
    return Path(path), chosen_filter


def existing_folder(
    parent: QWidget | None, purpose: Purpose, title: str, *, default: Path | None = None
) -> Path | None:
    """QFileDialog.getExistingDirectory started in the purpose's folder, then remembered."""
    path = QFileDialog.getExistingDirectory(
        parent, title, str(start_folder(parent, purpose, default))
    )
    if not path:
        return None
    remember_folder(parent, purpose, Path(path))
    return Path(path)


# --- dialog sizes ----------------------------------------------------------------


def size_key(dialog: QWidget) -> str:
    """The settings key of a dialog's size: its class, whatever it shows."""
    return f"{SIZES_GROUP}/{type(dialog).__name__}/size"


def remembered_size(
    dialog: QWidget, key: str | None = None, *, settings: QSettings | None = None
) -> QSize | None:
    """The size stored for this dialog, shrunk to fit its screen; None if none is stored."""
    store = settings if settings is not None else settings_for(dialog)
    value = store.value(key or size_key(dialog))
    if not isinstance(value, QSize) or not value.isValid() or value.isEmpty():
        return None
    screen = dialog.screen()
    if screen is None:
        return value
    available = screen.availableGeometry().size()
    return value.boundedTo(available).expandedTo(dialog.minimumSizeHint().boundedTo(available))


def remember_size(
    dialog: QWidget, key: str | None = None, *, settings: QSettings | None = None
) -> None:
    """Open the dialog at its remembered size, and remember its size whenever it is hidden.

    The store is `settings`, else that of the dialog's window (settings_for).
    """
    if dialog.findChild(_SizeKeeper) is not None:
        return  # already kept
    keeper = _SizeKeeper(dialog, key or size_key(dialog), settings)
    size = remembered_size(dialog, keeper.key, settings=settings)
    if size is not None:
        dialog.resize(size)
    dialog.installEventFilter(keeper)


class _SizeKeeper(QObject):
    """Stores its dialog's size in QSettings each time the dialog is hidden or closed."""

    def __init__(self, dialog: QWidget, key: str, settings: QSettings | None) -> None:
        super().__init__(dialog)
        self.setObjectName("sizeKeeper")
        self._dialog = dialog
        self._settings = settings
        self.key = key

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        """Override QObject::eventFilter: save the size when the dialog goes away."""
        if watched is self._dialog and event.type() in (QEvent.Type.Hide, QEvent.Type.Close):
            store = self._settings if self._settings is not None else settings_for(self._dialog)
            store.setValue(self.key, self._dialog.size())
            store.sync()
        return False
