"""Pictures of the palettes: the main screens light and dark, and at scale 2.

    python scripts/screenshots_theme.py [--out docs/screenshots]

Writes docs/screenshots/theme-<clair|sombre>-<screen>.png for the dashboard, the bilan
editor (with its radar), the conseil de classe tab and the class overview, and
theme-clair-<tableau-de-bord|editeur-bilan>-x2.png at QT_SCALE_FACTOR=2.

QT_SCALE_FACTOR must be set before the QApplication exists, and a palette is best
chosen before any window is built: each variant runs in a process of its own
(this script again, with --variant), on its own demo database in a temporary
folder; nothing is written anywhere else.

Nothing may wait for a click: a dialog that opens as a modal (exec(), an « unsaved
changes » question) is reported and closed by a watchdog, and each variant has a time
limit, after which the stacks of its threads are printed.
"""

from __future__ import annotations

import argparse
import faulthandler
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings, QTimer
from PySide6.QtWidgets import QApplication, QWidget

# The sibling script (run as a script, this folder is first on sys.path).
from screenshots import learner_with_history

from livret.services.container import build_services
from livret.services.database import open_database
from livret.services.demo import create_demo
from livret.services.users import command_line_actor
from livret.ui.application import configure_application
from livret.ui.main_window import MainWindow
from livret.ui.theme import PALETTE_VARIABLE, apply_palette

ROOT = Path(__file__).resolve().parents[1]
VARIANT_SECONDS = 240
"""A variant that takes longer is stuck: its stacks are printed and it is stopped."""


ALL_SCREENS = ("tableau-de-bord", "editeur-bilan", "conseil-de-classe", "vue-classe")


@dataclass(frozen=True)
class Variant:
    """One process: a palette, a scale, and the screens pictured in it."""

    palette: str
    scale: str
    prefix: str
    suffix: str = ""
    screens: tuple[str, ...] = (
        "tableau-de-bord",
        "editeur-bilan",
        "conseil-de-classe",
        "vue-classe",
    )
    window_size: tuple[int, int] = (1500, 900)
    editor_size: tuple[int, int] = (1250, 980)


VARIANTS = {
    "clair": Variant("light", "1", "theme-clair"),
    "sombre": Variant("dark", "1", "theme-sombre"),
    "x2": Variant("light", "2", "theme-clair", "-x2", screens=("tableau-de-bord", "editeur-bilan")),
}


def save(widget: QWidget, path: Path) -> None:
    for _ in range(3):  # layouts, the style sheets set again, the radar's fit
        QApplication.processEvents()
    widget.grab().save(str(path))
    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path, flush=True)


def close_modal_dialogs() -> None:
    """The watchdog: a modal dialog would wait for a click that never comes."""
    modal = QApplication.activeModalWidget()
    if modal is not None:
        print(f"Fenêtre modale fermée : « {modal.windowTitle()} »", file=sys.stderr, flush=True)
        modal.close()


def capture(variant: Variant, out: Path) -> None:
    faulthandler.dump_traceback_later(VARIANT_SECONDS - 20, exit=True)
    app = QApplication(sys.argv[:1])
    configure_application(app)
    apply_palette(app, variant.palette)
    watchdog = QTimer()
    watchdog.timeout.connect(close_modal_dialogs)
    watchdog.start(250)

    def name(screen: str) -> Path:
        return out / f"{variant.prefix}-{screen}{variant.suffix}.png"

    with tempfile.TemporaryDirectory() as folder:
        database, _ = open_database(str(Path(folder) / "demo.sqlite"), create=True)
        try:
            create_demo(database)
            services = build_services(database, command_line_actor(database))
            settings = QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat)
            window = MainWindow(services, database_name="demo.sqlite", settings=settings)
            window.resize(*variant.window_size)
            window.show()
            class_id, learner_id = learner_with_history(database)
            window.selector.select_class(class_id)
            window.selector.select_learner(learner_id)
            window.dashboard.jump_to(1)
            if "tableau-de-bord" in variant.screens:
                save(window, name("tableau-de-bord"))
            if "vue-classe" in variant.screens:
                window.tabs.setCurrentWidget(window.class_overview)
                save(window, name("vue-classe"))
            if "conseil-de-classe" in variant.screens:
                window.tabs.setCurrentWidget(window.conseil_view)
                save(window, name("conseil-de-classe"))
            window.tabs.setCurrentWidget(window.dashboard)
            if "editeur-bilan" in variant.screens:
                editor = window.dashboard.open_bilan_editor()
                assert editor is not None, "pas d'éditeur de bilan"
                editor.resize(*variant.editor_size)
                save(editor, name("editeur-bilan"))
                editor._dirty = False  # nothing typed: closing must not ask to save
                editor.close()
            window.close()
        finally:
            database.dispose()
    watchdog.stop()
    faulthandler.cancel_dump_traceback_later()
    del app


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--variant", choices=sorted(VARIANTS), help="une seule variante, ici")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.variant:
        capture(VARIANTS[args.variant], args.out)
        return 0
    for variant_name, variant in VARIANTS.items():
        environment = dict(os.environ, QT_SCALE_FACTOR=variant.scale)
        environment[PALETTE_VARIABLE] = variant.palette
        command = [sys.executable, __file__, "--out", str(args.out), "--variant", variant_name]
        try:
            subprocess.run(command, env=environment, check=True, timeout=VARIANT_SECONDS)
        except subprocess.TimeoutExpired:
            print(
                f"Variante « {variant_name} » arrêtée après {VARIANT_SECONDS} s.", file=sys.stderr
            )
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
