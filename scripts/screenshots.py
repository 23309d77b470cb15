"""Regenerate the README's pictures from a demo database: python scripts/screenshots.py."""

from __future__ import annotations

import argparse
import datetime as dt
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# The sibling scripts (run as a script, this folder is first on sys.path).
import screenshots_expanded
import screenshots_marks
import screenshots_referentiel
from PySide6.QtCore import QEventLoop, QSettings
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import text

from livret.services.container import Services, build_services
from livret.services.database import Database, open_database
from livret.services.demo import create_demo
from livret.services.users import command_line_actor
from livret.ui import messages
from livret.ui.application import configure_application
from livret.ui.dashboard.model import (
    BAR_LEFT_ROLE,
    CELL_KIND_ROLE,
    EVALUATION_INDEX_ROLE,
    LEVEL_ROLE,
    CellKind,
)
from livret.ui.imports import ImportDialog, Step, open_results_import, open_siecle_import
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


def print_error(parent: QWidget, message: str) -> None:
    print(message, file=sys.stderr)


def wait_for_check(dialog: ImportDialog) -> None:
    """Run the event loop until the dialog's background check has ended."""
    while dialog.step is Step.CHECKING:  # the thread's signals wake the loop up
        QApplication.processEvents(QEventLoop.ProcessEventsFlag.WaitForMoreEvents)
    if dialog.step is not Step.PREVIEW:
        raise RuntimeError(f"vérification non terminée : {dialog.status.text()}")


def siecle_export(database: Database, path: Path) -> Path:
    """A SIECLE export of the demo's 2026-2027 learners, with what a real one brings.

    New learners (one in a class that does not exist yet), a corrected name, a class
    change, a learner who left, one without a division, one missing from the file, and
    two records SIECLE exports without a usable INE.
    """
    with database.engine.connect() as connection:
        enrolled = connection.execute(
            text(
                "SELECT l.ine, l.family_name, l.first_name, l.birth_date, c.code "
                "FROM enrolment e JOIN learner l ON l.id = e.learner_id "
                "JOIN school_class c ON c.id = e.class_id "
                "JOIN school_year y ON y.id = e.school_year_id AND y.label = '2026-2027' "
                "ORDER BY c.code, l.family_name, l.first_name"
            )
        ).all()
    records: list[dict[str, str]] = []
    for number, (ine, family, first, birth, code) in enumerate(enrolled):
        record = {
            "ine": ine,
            "family": family,
            "first": first,
            "birth": dt.date.fromisoformat(str(birth)).strftime("%d/%m/%Y"),
            "division": code,
        }
        if number == 3:
            continue  # missing from the export: listed, left untouched
        if number == 5:
            record["family"] += "-Leroy"
        elif number == 12:
            record["division"] = "TPLP1" if code != "TPLP1" else "1PLP1"
        elif number == 20:
            record["left"] = "15/01/2027"
        elif number == 31:
            record["division"] = ""
        records.append(record)
    newcomers = [
        ("4012345678K", "Haddad", "Yanis", "12/05/2011", "2PMIA1"),
        ("4023456789L", "Le Gall", "Maëlys", "30/01/2011", "2PMIA1"),
        ("4034567890M", "Nguyen", "Thomas", "07/09/2010", "2PMIA2"),
        ("4045678901N", "Fontaine", "Léna", "19/11/2010", "2PMIA2"),
    ]
    records += [
        {"ine": ine, "family": family, "first": first, "birth": birth, "division": code}
        for ine, family, first, birth, code in newcomers
    ]
    records.append({"ine": "", "family": "Morel", "first": "Hugo", "birth": "02/02/2011"})
    records.append(
        {"ine": "40567", "family": "Roux", "first": "Inès", "birth": "14/06/2011", "division": ""}
    )

    def tag(name: str, value: str) -> str:
        return f"<{name}>{escape(value)}</{name}>"

    eleves, structures = [], []
    for number, record in enumerate(records, start=1):
        eleve_id = str(3300000 + number)
        fields = [
            tag("ID_NATIONAL", record["ine"]) if record["ine"] else "",
            tag("NOM_DE_FAMILLE", record["family"]),
            tag("PRENOM", record["first"]),
            tag("DATE_NAISS", record["birth"]),
            tag("DATE_SORTIE", record["left"]) if "left" in record else "",
        ]
        eleves.append(f'<ELEVE ELEVE_ID="{eleve_id}">{"".join(fields)}</ELEVE>')
        if record.get("division"):
            structures.append(
                f'<STRUCTURES_ELEVE ELEVE_ID="{eleve_id}"><STRUCTURE>'
                f"{tag('CODE_STRUCTURE', record['division'])}{tag('TYPE_STRUCTURE', 'D')}"
                "</STRUCTURE></STRUCTURES_ELEVE>"
            )
    xml = (
        '<?xml version="1.0" encoding="ISO-8859-15"?>\n<BEE_ELEVES VERSION="3.5">'
        "<PARAMETRES><UAJ>0331234X</UAJ><ANNEE_SCOLAIRE>2026</ANNEE_SCOLAIRE></PARAMETRES>"
        f"<DONNEES><ELEVES>{''.join(eleves)}</ELEVES>"
        f"<STRUCTURES>{''.join(structures)}</STRUCTURES></DONNEES></BEE_ELEVES>"
    )
    path.write_bytes(xml.encode("iso-8859-15", errors="xmlcharrefreplace"))
    return path


def results_csv(database: Database, path: Path, *, with_problems: bool) -> Path:
    """Results typed in a spreadsheet for the demo's 2026-2027 learners; some lines wrong."""
    with database.engine.connect() as connection:
        ines = (
            connection.execute(
                text(
                    "SELECT l.ine FROM enrolment e JOIN learner l ON l.id = e.learner_id "
                    "JOIN school_class c ON c.id = e.class_id AND c.code = '1PLP1' "
                    "JOIN school_year y ON y.id = e.school_year_id AND y.label = '2026-2027' "
                    "ORDER BY l.family_name LIMIT 6"
                )
            )
            .scalars()
            .all()
        )
    criteria = ["PLP-CP03-01", "PLP-CP03-02", "PLP-CP03-03"]
    levels = ["3", "4", "2", "++", "ABS", "3", "1", "+", "4", "3", "NE", "2"]
    title = "Démontage du réducteur"
    rows = [
        ["12/03/2027", "F", title, ine, criterion, levels[(number * 3 + position) % len(levels)]]
        for number, ine in enumerate(ines)
        for position, criterion in enumerate(criteria)
    ]
    if with_problems:  # row i is line i + 2 of the file
        rows[2][4] = "PLP-CP30-01"
        rows[5][5] = "5"
        rows[7][0] = "31/02/2027"
        rows[10][3] = "1234567890A"
        rows[13][1] = "X"
        rows[15] = rows[15][:5]
    lines = ["date;nature;titre;INE;critere;niveau", *(";".join(row) for row in rows)]
    path.write_text("\r\n".join(lines) + "\r\n", encoding="utf-8")
    return path


def import_screenshots(window: QWidget, services: Services, folder: Path, out: Path) -> None:
    """The import previews: SIECLE, then results refused and results ready."""
    database = services.database
    # A refusal would open a modal box nobody can close here: print it instead.
    messages.show_error = print_error
    siecle = open_siecle_import(
        window, services, siecle_export(database, folder / "ElevesSansAdresses.xml")
    )
    assert siecle is not None
    siecle.resize(1000, 680)
    wait_for_check(siecle)
    save(siecle, out / "import-siecle-apercu.png")
    siecle.close()

    refused = open_results_import(
        window, services, results_csv(database, folder / "resultats-mars.csv", with_problems=True)
    )
    assert refused is not None
    refused.resize(900, 480)
    wait_for_check(refused)
    save(refused, out / "import-resultats-apercu.png")
    refused.close()

    ready = open_results_import(
        window, services, results_csv(database, folder / "resultats-mars.csv", with_problems=False)
    )
    assert ready is not None
    ready.resize(900, 360)
    wait_for_check(ready)
    save(ready, out / "import-resultats-pret.png")
    ready.close()


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
        services = build_services(database, command_line_actor(database))
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
        screenshots_marks.capture(args.out)  # its own demo: a mark on 2 CCs of 13, flagged

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

        import_screenshots(window, services, Path(folder), args.out)

        listing = window.open_evaluation_list()
        if listing is not None:
            listing.resize(1000, 560)
            save(listing, args.out / "evaluations-classe.png")
            listing.reject()

        screenshots_referentiel.capture(args.out, services)
        window.close()
        database.dispose()
        screenshots_expanded.capture(args.out, Path(folder))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
