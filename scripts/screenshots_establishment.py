"""Pictures of the establishment settings: a bilan PDF's header, the « Établissement » dialog.

    python scripts/screenshots_establishment.py [--out docs/screenshots]

Builds its own demo database in a temporary folder, sets the establishment (name, UAI,
city and a logo drawn here) as an Administrateur, exports one learner's bilan PDF and
renders its first page with poppler's pdftoppm (Debian package poppler-utils); nothing
is written anywhere else.
"""

from __future__ import annotations

import argparse
import io
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PIL import Image, ImageDraw, ImageFont
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import text

from livret.domain.roles import Actor, Role
from livret.services.container import build_services
from livret.services.database import Database, open_database
from livret.services.demo import create_demo
from livret.services.establishment import EstablishmentService
from livret.services.exports import ExportService
from livret.services.users import command_line_actor
from livret.ui.application import configure_application
from livret.ui.establishment_dialog import EstablishmentDialog

ROOT = Path(__file__).resolve().parents[1]
PDF_FILE = "pdf-etablissement.png"
DIALOG_FILE = "etablissement-dialog.png"
ADMIN = Actor(user_id=None, display_name="Administrateur (captures)", role=Role.ADMIN)
NAME = "Lycée professionnel Jean Moulin"
UAI = "0750001U"  # 0750001 with its key letter (0750001A would be refused)
CITY = "Paris"


def school_logo() -> bytes:
    """A small made-up logo: a blue shield with « JM », a red and white band."""
    size = (240, 240)
    image = Image.new("RGBA", size, (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((10, 10, 230, 230), radius=36, fill=(21, 101, 192))
    draw.rectangle((10, 150, 230, 176), fill=(255, 255, 255))
    draw.rectangle((10, 176, 230, 196), fill=(198, 40, 40))
    font = ImageFont.load_default(size=96)
    draw.text((120, 84), "JM", fill=(255, 255, 255), font=font, anchor="mm")
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def save(widget: QWidget, path: Path) -> None:
    QApplication.processEvents()
    widget.grab().save(str(path))
    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def learner_with_final_bilan(database: Database) -> str:
    with database.engine.connect() as connection:
        return str(
            connection.execute(
                text(
                    "SELECT l.ine FROM learner l JOIN bilan b ON b.learner_id = l.id "
                    "WHERE b.status = 'final' ORDER BY l.family_name, l.id LIMIT 1"
                )
            ).scalar_one()
        )


def capture(out: Path, database: Database, folder: Path) -> None:
    EstablishmentService(database, ADMIN).update(NAME, UAI, CITY, logo=school_logo())

    pdf = ExportService(database, command_line_actor(database)).export_learner_pdf(
        learner_with_final_bilan(database), folder
    )
    if shutil.which("pdftoppm") is None:
        print("pdftoppm introuvable : installez poppler-utils pour la page du PDF.")
    else:
        target = out / PDF_FILE
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "1", "-singlefile",
             str(pdf), str(target.with_suffix(""))],
            check=True,
        )  # fmt: skip
        print(target.relative_to(ROOT) if target.is_relative_to(ROOT) else target)

    dialog = EstablishmentDialog(build_services(database, ADMIN))
    dialog.show()
    dialog.adjustSize()
    save(dialog, out / DIALOG_FILE)
    dialog.reject()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    configure_application(app)
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        database, _ = open_database(str(folder / "demo.sqlite"), create=True)
        try:
            create_demo(database, learners=36, evaluations=90, seed=7)
            capture(args.out, database, folder)
        finally:
            database.dispose()
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
