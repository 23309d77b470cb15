"""Regenerate the README's pictures from a demo database: python scripts/screenshots.py."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import text

from livret.services.container import build_services
from livret.services.database import Database, open_database
from livret.services.demo import create_demo
from livret.ui.application import configure_application
from livret.ui.dashboard.model import (
    BAR_LEFT_ROLE,
    CELL_KIND_ROLE,
    EVALUATION_INDEX_ROLE,
    LEVEL_ROLE,
    CellKind,
)
from livret.ui.main_window import MainWindow

ROOT = Path(__file__).resolve().parents[1]


def learner_with_history(database: Database) -> tuple[int, int]:
    """(class id, learner id) of a learner with two final bilans and a draft, this year."""
    with database.engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT e.class_id, b.learner_id FROM bilan b "
                "JOIN enrolment e ON e.learner_id = b.learner_id "
                "JOIN school_year y ON y.id = e.school_year_id AND y.label = '2026-2027' "
                "GROUP BY e.class_id, b.learner_id "
                "HAVING SUM(CASE WHEN b.status = 'final' THEN 1 ELSE 0 END) = 2 "
                "AND SUM(CASE WHEN b.status = 'draft' THEN 1 ELSE 0 END) = 1 "
                "ORDER BY b.learner_id LIMIT 1"
            )
        ).one()
    return int(row[0]), int(row[1])


def save(widget: QWidget, path: Path) -> None:
    QApplication.processEvents()
    widget.grab().save(str(path))
    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def render_pdf(pdf: Path, stem: Path) -> None:
    """PDF pages to PNG with poppler's pdftoppm (Debian package poppler-utils)."""
    if shutil.which("pdftoppm") is None:
        print("pdftoppm introuvable : installez poppler-utils pour les pages du PDF.")
        return
    subprocess.run(["pdftoppm", "-png", "-r", "70", str(pdf), str(stem)], check=True)
    for page in sorted(stem.parent.glob(f"{stem.name}-*.png")):
        print(page.relative_to(ROOT) if page.is_relative_to(ROOT) else page)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    configure_application(app)
    with tempfile.TemporaryDirectory() as folder:
        database, _ = open_database(str(Path(folder) / "demo.sqlite"), create=True)
        create_demo(database)
        services = build_services(database)
        settings = QSettings(str(Path(folder) / "settings.ini"), QSettings.Format.IniFormat)
        window = MainWindow(services, database_name="demo.sqlite", settings=settings)
        window.resize(1500, 900)
        window.show()
        class_id, learner_id = learner_with_history(database)
        window.selector.select_class(class_id)
        window.selector.select_learner(learner_id)
        dashboard = window.dashboard
        model = dashboard.model

        # Expanded: scroll to the first period bar so that it is in the picture.
        dashboard.jump_to(1)
        bar_column = next(
            (
                column
                for row in range(model.rowCount())
                for column in range(model.columnCount())
                if model.index(row, column).data(BAR_LEFT_ROLE)
            ),
            0,
        )
        header = dashboard.table.horizontalHeader()
        dashboard.table.horizontalScrollBar().setValue(
            max(0, header.sectionPosition(bar_column) - 6 * header.defaultSectionSize())
        )
        save(window, args.out / "tableau-de-bord-etendu.png")

        dashboard.set_condensed(True)
        dashboard.jump_to(1)
        save(window, args.out / "tableau-de-bord-condense.png")

        marks = [
            model.index(row, column)
            for row in range(model.rowCount())
            for column in range(model.columnCount())
            if model.index(row, column).data(CELL_KIND_ROLE) == CellKind.MARK
            and model.index(row, column).data(LEVEL_ROLE) not in ("ABS", "NE")
        ]
        # A company review (E) shows the company and the tutor too.
        mark = next((m for m in marks if m.data() == "E"), marks[0])
        detail = dashboard.open_detail(int(mark.data(EVALUATION_INDEX_ROLE)))
        save(detail, args.out / "detail-evaluation.png")
        detail.close()

        picker = dashboard.open_picker(1)
        save(picker, args.out / "choix-positionnement.png")
        picker.close()

        # The bilan editor on the learner's draft, with a previous final bilan.
        editor = dashboard.open_bilan_editor()
        assert editor is not None
        editor.constats.setPlainText(
            "Bonne progression depuis mars : la préparation du poste et la sécurité sont "
            "maîtrisées. Les documents de suivi restent incomplets."
        )
        editor.conseils.setPlainText(
            "Renseigner la GMAO à chaque intervention ; demander l'avis du tuteur sur la "
            "conduite de ligne pendant la prochaine PFMP."
        )
        for row, level in enumerate(("3", "4", "3", "3", "4", "3", "2", "3", "2", "3", "4", "3")):
            editor.set_level(row, level)
        editor.resize(1250, 980)
        save(editor, args.out / "bilan-editeur.png")
        dialog = editor.ask_finalize()
        dialog.word.setText("CONFIRMATION")
        save(dialog, args.out / "bilan-confirmation.png")
        dialog.accept()
        save(editor, args.out / "bilan-definitif.png")
        final_id = editor.sheet.bilan_id
        editor.close()

        # The PDF of that final bilan, rendered page by page.
        pdf = services.exports.export_bilan_pdf(final_id, Path(folder) / "bilan.pdf")
        render_pdf(pdf, args.out / "bilan-pdf")

        window.tabs.setCurrentWidget(window.bilans_module)
        save(window, args.out / "module-bilans.png")
        marks = window.open_marks()
        assert marks is not None
        marks.rounding.setCurrentIndex(marks.rounding.findData("0.5"))
        save(marks, args.out / "noter-le-dernier-bilan.png")
        marks.close()

        window.tabs.setCurrentWidget(window.class_overview)
        save(window, args.out / "vue-classe.png")

        # Nouvelle évaluation: the grid filled from the keyboard.
        evaluation = window.open_new_evaluation()
        assert evaluation is not None
        evaluation.title_edit.setText("Démontage du réducteur")
        evaluation.context.setText("Atelier, binôme")
        evaluation.search.setText("CP03")
        evaluation.check_criteria([f"PLP-CP03-0{n}" for n in range(1, 5)])
        evaluation.grid.setFocus()
        evaluation.grid.setCurrentCell(0, 0)
        keys = "34A2N341234431A344322313"
        for number, key in enumerate(keys):
            row, column = divmod(number, 4)
            evaluation.grid.setCurrentCell(row, column)
            QTest.keyClick(evaluation.grid, key)
        evaluation.resize(1280, 780)
        save(evaluation, args.out / "nouvelle-evaluation.png")
        evaluation.reject()
        window.close()
        database.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
