"""`livret self-test`: the whole app once, offscreen, on a throwaway database.

An IT admin (or CI, on the bundle) runs it to see that this installation works:
the shipped libraries load, the migrations and the référentiel are found, Qt
starts with its French catalogue, the main window and a learner's dashboard are
painted, the bilan editor opens and a bilan PDF is written and read back. Each
step prints one French line with its duration; the first failure stops the run
with one line saying which step failed and why (exit status 1).

Nothing is written outside a temporary folder (removed at the end), not even the
window's settings; QT_QPA_PLATFORM is forced to "offscreen", so no window appears.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from livret.domain.errors import LivretError

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication, QWidget

    from livret.services.container import Services
    from livret.services.database import Database
    from livret.ui.main_window import MainWindow

PAINT_TIMEOUT_S = 20.0
"""How long the event loop may take to paint a window before the step fails."""


class StepFailed(Exception):
    """A check inside a step did not hold; the message is the French reason."""


@dataclass
class _Run:
    """What the steps hand on to each other."""

    parent: Path | None
    folder: Path | None = None
    database: Database | None = None
    services: Services | None = None
    app: QApplication | None = None
    window: MainWindow | None = None
    learner_name: str = ""
    bilan_id: int | None = None
    cleanups: list[Callable[[], None]] = field(default_factory=list)


def _seconds(value: float) -> str:
    """1.234 → "1,2 s" (French decimal comma)."""
    return f"{value:.1f}".replace(".", ",") + " s"


def _reason(exc: BaseException) -> str:
    if isinstance(exc, LivretError):
        return exc.message
    if isinstance(exc, StepFailed):
        return str(exc)
    if isinstance(exc, ImportError) and isinstance(exc.__cause__, ImportError):
        # numpy wraps the loader's error in a page of advice: the loader's says what broke.
        exc = exc.__cause__
    first_line = next((line for line in str(exc).splitlines() if line.strip()), "")
    if isinstance(exc, ImportError) and exc.name and exc.name not in first_line:
        # A bundle that left a module out: say which one.
        first_line = f"{first_line} (module « {exc.name} »)".strip()
    return f"{exc.__class__.__name__} : {first_line}" if first_line else exc.__class__.__name__


def _process_age() -> float | None:
    """Seconds since this process was created (interpreter, bundle loader and imports)."""
    try:
        import psutil

        return max(0.0, time.time() - psutil.Process().create_time())
    except Exception:  # an estimate for the summary line only
        return None


# --- the steps: each returns the text of its ✓ line ----------------------------------


def _libraries(_run: _Run) -> str:
    """The compiled dependencies a bundle might have left out."""
    import importlib
    import types

    import PIL
    import psutil
    import pypdf
    import reportlab
    from reportlab.lib.rl_accel import fp_str

    # reportlab falls back on Python quietly: a PDF then takes a fifth longer.
    if not isinstance(fp_str, types.BuiltinFunctionType):
        raise StepFailed("reportlab n'utilise pas ses accélérateurs C (_rl_accel absent).")
    accelerators = importlib.import_module("_rl_accel")
    return (
        f"Bibliothèques chargées : psutil {psutil.__version__}, Pillow {PIL.__version__}, "
        f"pypdf {pypdf.__version__}, reportlab {reportlab.Version} "
        f"avec _rl_accel {accelerators.version}"
    )


def _folder(run: _Run) -> str:
    if run.parent is not None and not run.parent.is_dir():
        raise StepFailed(f"« {run.parent} » n'est pas un dossier existant.")
    try:
        temporary = tempfile.TemporaryDirectory(prefix="livret-auto-test-", dir=run.parent)
    except OSError as exc:
        where = run.parent or Path(tempfile.gettempdir())
        raise StepFailed(
            f"impossible de créer un dossier dans « {where} » ({exc.strerror or exc})."
        ) from exc
    run.cleanups.append(temporary.cleanup)
    run.folder = Path(temporary.name)
    return f"Dossier temporaire créé : {run.folder}"


def _database(run: _Run) -> str:
    from livret.services.database import check_database, open_database

    assert run.folder is not None
    database, report = open_database(str(run.folder / "auto-test.sqlite"), create=True)
    run.database = database
    run.cleanups.append(database.dispose)
    if not report.created:
        raise StepFailed("la base temporaire existait déjà.")
    check = check_database(database, quick=True)
    if not check.ok:
        raise StepFailed("vérification de la base : " + " ; ".join(check.problems))
    return f"Base SQLite créée, schéma migré jusqu'à la révision {check.revision}"


def _demo(run: _Run) -> str:
    from livret.services.container import build_services
    from livret.services.demo import create_demo
    from livret.services.users import command_line_actor

    assert run.database is not None
    report = create_demo(run.database)
    run.services = build_services(run.database, command_line_actor(run.database))
    return (
        f"Base de démonstration créée : {report.learners} apprenants, "
        f"{report.evaluations} évaluations, {report.final_bilans} bilans définitifs"
    )


def _qt(run: _Run) -> str:
    from PySide6 import __version__ as pyside_version
    from PySide6.QtCore import QSettings
    from PySide6.QtWidgets import QApplication

    from livret.ui.application import configure_application

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    run.app = app
    assert run.folder is not None
    # Whatever asks QSettings() for the user's settings gets a file in the temporary folder.
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(
        QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(run.folder / "reglages")
    )
    configure_application(app)
    return f"Qt démarré : PySide6 {pyside_version}, plateforme {app.platformName()}"


def _qt_french(run: _Run) -> str:
    from PySide6.QtCore import QCoreApplication

    from livret.ui.qt_french import install_qt_french, qt_translations_folder

    assert run.app is not None
    catalogue = Path(qt_translations_folder()) / "qtbase_fr.qm"
    if not catalogue.is_file():
        raise StepFailed(f"« {catalogue} » introuvable.")
    if not install_qt_french(run.app):  # already done by configure_application: no-op
        raise StepFailed(f"« {catalogue} » n'a pas pu être chargé.")
    # The catalogue loaded is the one Qt's own dialogs read: ask it a known word.
    cancel = QCoreApplication.translate("QPlatformTheme", "Cancel")
    if cancel == "Cancel":
        raise StepFailed(f"« {catalogue.name} » est chargé mais ne traduit pas « Cancel ».")
    return f"Traduction française de Qt chargée (« Cancel » → « {cancel} »)"


def _main_window(run: _Run) -> str:
    from PySide6.QtCore import QSettings

    from livret.ui.main_window import MainWindow

    assert run.services is not None and run.folder is not None
    # The user's own settings are neither read nor changed.
    settings = QSettings(str(run.folder / "reglages.ini"), QSettings.Format.IniFormat)
    window = MainWindow(run.services, database_name="auto-test.sqlite", settings=settings)
    run.window = window
    run.cleanups.append(lambda: _close(window))
    window.show()
    _wait_painted(window)
    if window.windowIcon().isNull():
        raise StepFailed("l'icône de Livret (resources/icons) n'a pas été trouvée.")
    return f"Fenêtre principale affichée avec son icône, {window.width()} × {window.height()}"


def _dashboard(run: _Run) -> str:
    window = run.window
    assert window is not None
    selector, dashboard = window.selector, window.dashboard
    for class_info in selector.classes():
        selector.select_class(class_info.id)
        for learner_id in sorted(selector.learner_ids()):
            selector.select_learner(learner_id)
            shown = dashboard.model.dashboard
            if dashboard.load_failed:
                raise StepFailed(f"tableau de bord de l'apprenant n° {learner_id} non chargé.")
            if shown is not None and shown.learner.id == learner_id and shown.final_bilans:
                run.learner_name = shown.learner.display_name
                run.bilan_id = shown.final_bilans[-1].id
                _wait_painted(dashboard.table.viewport())
                if dashboard.model.rowCount() == 0:
                    raise StepFailed(f"le tableau de bord de {run.learner_name} est vide.")
                return (
                    f"Tableau de bord de {run.learner_name} peint : "
                    f"{dashboard.model.rowCount()} lignes, {len(shown.evaluations)} évaluations"
                )
    raise StepFailed("aucun apprenant de la démonstration n'a de bilan définitif.")


def _bilan_editor(run: _Run) -> str:
    window = run.window
    assert window is not None
    editor = window.dashboard.open_bilan_editor()
    if editor is None:
        raise StepFailed("l'éditeur de bilan ne s'est pas ouvert.")
    run.cleanups.append(lambda: _close(editor))
    _wait_painted(editor)
    rows = len(editor.sheet.rows)
    if editor.sheet.learner_name != run.learner_name:
        raise StepFailed(f"l'éditeur montre « {editor.sheet.learner_name} ».")
    editor.close()
    return f"Éditeur de bilan ouvert : brouillon de {run.learner_name}, {rows} compétences"


def _pdf(run: _Run) -> str:
    from pypdf import PdfReader

    assert run.services is not None and run.folder is not None and run.bilan_id is not None
    path = run.services.exports.export_bilan_pdf(run.bilan_id, run.folder / "bilan.pdf")
    reader = PdfReader(path)
    pages = len(reader.pages)
    text = " ".join(page.extract_text() or "" for page in reader.pages)
    if pages == 0:
        raise StepFailed(f"le PDF « {path.name} » n'a aucune page.")
    if run.learner_name not in " ".join(text.split()):
        raise StepFailed(f"le nom « {run.learner_name} » est absent du PDF.")
    size = path.stat().st_size / 1024
    return f"PDF du bilan écrit et relu : {pages} pages, {size:.0f} Ko, nom de l'apprenant présent"


STEPS: tuple[tuple[str, Callable[[_Run], str]], ...] = (
    ("bibliothèques", _libraries),
    ("dossier temporaire", _folder),
    ("base SQLite et migrations", _database),
    ("données de démonstration", _demo),
    ("démarrage de Qt", _qt),
    ("traduction française de Qt", _qt_french),
    ("fenêtre principale", _main_window),
    ("tableau de bord", _dashboard),
    ("éditeur de bilan", _bilan_editor),
    ("PDF du bilan", _pdf),
)
"""(name used when the step fails, the step) in the order they run."""


# --- Qt helpers -----------------------------------------------------------------------


def _wait_painted(widget: QWidget) -> None:
    """Run the event loop until `widget` is painted (a real paint event, as on screen)."""
    from PySide6.QtCore import QEvent, QEventLoop, QObject, QTimer

    loop = QEventLoop()
    painted: list[bool] = []

    class PaintProbe(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:
            """Override QObject::eventFilter: note the widget's paint, let it through."""
            if watched is widget and event.type() == QEvent.Type.Paint and not painted:
                painted.append(True)
                QTimer.singleShot(0, loop.quit)  # after the children's paint, same pass
            return False

    probe = PaintProbe()
    widget.installEventFilter(probe)
    deadline = QTimer()
    deadline.setSingleShot(True)
    deadline.timeout.connect(loop.quit)
    try:
        widget.update()  # painted already? then once more
        deadline.start(int(PAINT_TIMEOUT_S * 1000))
        loop.exec()
    finally:
        deadline.stop()
        widget.removeEventFilter(probe)
    if not painted:
        name = widget.accessibleName() or widget.windowTitle() or widget.__class__.__name__
        raise StepFailed(f"« {name} » n'a pas été peint en {PAINT_TIMEOUT_S:.0f} s.")


def _close(widget: QWidget) -> None:
    widget.close()
    widget.deleteLater()


# --- the run --------------------------------------------------------------------------


def _write(stream: TextIO, line: str) -> None:
    try:
        print(line, file=stream, flush=True)
    except UnicodeEncodeError:  # a Windows console in cp1252 has no ✓
        encoding = getattr(stream, "encoding", None) or "ascii"
        print(line.encode(encoding, "replace").decode(encoding), file=stream, flush=True)


@contextmanager
def _offscreen() -> Iterator[None]:
    """QT_QPA_PLATFORM=offscreen for this run, whatever the caller's environment says."""
    before = os.environ.get("QT_QPA_PLATFORM")
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    try:
        yield
    finally:
        if before is None:
            os.environ.pop("QT_QPA_PLATFORM", None)
        else:
            os.environ["QT_QPA_PLATFORM"] = before


def run_self_test(
    folder: Path | None = None, *, out: TextIO | None = None, err: TextIO | None = None
) -> int:
    """Run every step; 0 when all passed, else 1 after the failing step's French line.

    `folder` is where the temporary folder goes (the system's temporary folder by
    default): a teacher's USB stick or the disk that will hold the data can be tried.
    """
    out = out or sys.stdout
    err = err or sys.stderr
    started_age = _process_age()
    started = time.perf_counter()
    run = _Run(parent=folder)
    failed = False
    with _offscreen():
        try:
            for name, step in STEPS:
                step_started = time.perf_counter()
                try:
                    text = step(run)
                except Exception as exc:
                    took = _seconds(time.perf_counter() - step_started)
                    _write(out, f"✗ Échec : {name} ({took})")
                    _write(err, f"livret self-test : échec de l'étape « {name} » : {_reason(exc)}")
                    failed = True
                    break
                _write(out, f"✓ {text} ({_seconds(time.perf_counter() - step_started)})")
        finally:
            for cleanup in reversed(run.cleanups):
                try:
                    cleanup()
                except Exception as exc:  # what could not be removed is said, not hidden
                    _write(err, f"livret self-test : nettoyage incomplet : {_reason(exc)}")
    total = _seconds(time.perf_counter() - started)
    start_up = f", démarrage du processus : {_seconds(started_age)}" if started_age else ""
    if failed:
        _write(out, f"Auto-test échoué ({total}{start_up}).")
        return 1
    _write(out, f"Auto-test réussi : {len(STEPS)} étapes en {total}{start_up}.")
    return 0
