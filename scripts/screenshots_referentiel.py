"""Pictures of the référentiel editor: MSPC being filled in, and the preview before applying.

Called by scripts/screenshots.py (same folder, so a plain import works):

    import screenshots_referentiel
    ...
    screenshots_referentiel.capture(args.out, services)

with the QApplication already built and configured (configure_application) and
`services` built on the demo database. Nothing is written to the database: the
preview is shown, never applied, and the edits are dropped before closing.

Alone, it makes its own demo database: python scripts/screenshots_referentiel.py
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QWidget

from livret.services.container import Services, build_services
from livret.services.database import open_database
from livret.services.demo import create_demo
from livret.services.users import command_line_actor
from livret.ui.application import configure_application
from livret.ui.referentiel_editor import ReferentielEditor
from livret.ui.referentiel_exchange import referentiel_service

ROOT = Path(__file__).resolve().parents[1]
EDITOR_FILE = "referentiel-editeur.png"
PREVIEW_FILE = "referentiel-apercu.png"

# The first MSPC competency and two of its indicators, as a teaching team would type them.
COMPETENCY = (
    "C1.1",
    "Analyser l'organisation fonctionnelle, structurelle et temporelle d'un système",
)
CRITERIA = (
    ("Les fonctions du système et de ses sous-ensembles sont identifiées", "CC1.1"),
    ("La chronologie des phases de fonctionnement est décrite", "CC1.1"),
    ("Les risques liés à l'intervention sur le système sont repérés", "CC2.3"),
)


def _save(widget: QWidget, path: Path) -> Path:
    QApplication.processEvents()
    widget.grab().save(str(path))
    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    return path


def capture(out_dir: Path, services: Services) -> list[Path]:
    """Save referentiel-editeur.png and referentiel-apercu.png in out_dir; return their paths."""
    editor = ReferentielEditor(referentiel_service(services))
    editor.resize(1240, 760)
    editor.show()
    mspc = editor._find(("specialty", "MSPC"))
    if mspc is None:
        raise RuntimeError("La spécialité MSPC manque dans le référentiel de démonstration.")
    editor.version_edit.setText("0.2")
    editor.tree.setCurrentItem(mspc.item)
    editor.add_competency()
    editor.competency_code.setText(COMPETENCY[0])
    editor.competency_title.setPlainText(COMPETENCY[1])
    for text, cc in CRITERIA:
        editor.add_criterion()
        editor.criterion_text.setPlainText(text)
        editor.criterion_cc.setCurrentIndex(editor.criterion_cc.findData(cc))
    # The last criterion is the one shown; its CC differs from its siblings'.
    editor.criterion_confidence.setCurrentIndex(editor.criterion_confidence.findData("medium"))
    paths = [_save(editor, out_dir / EDITOR_FILE)]

    preview = editor.save()
    if preview is None:
        raise RuntimeError("L'aperçu ne s'est pas ouvert : " + "; ".join(editor.problems()))
    paths.append(_save(preview, out_dir / PREVIEW_FILE))
    preview.reject()
    editor.revert()
    editor.close()
    return paths


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    configure_application(app)
    with tempfile.TemporaryDirectory() as folder:
        database, _ = open_database(str(Path(folder) / "demo.sqlite"), create=True)
        try:
            create_demo(database)
            capture(args.out, build_services(database, command_line_actor(database)))
        finally:
            database.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main())
