"""Pictures of the accounts: the login dialog with a refusal, the DDFPT's countersignature.

    python scripts/screenshots_accounts.py [--out docs/screenshots]

Builds its own demo database in a temporary folder, adds a teacher and a DDFPT account
(with passwords) and grabs the two dialogs; nothing is written anywhere else.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import text

from livret.domain.roles import Actor, Role
from livret.services.accounts import AccountService
from livret.services.authentication import authenticate
from livret.services.container import build_services
from livret.services.database import Database, open_database
from livret.services.demo import create_demo
from livret.ui.application import configure_application
from livret.ui.bilan.dialogs import UnlockDialog
from livret.ui.login_dialog import LoginDialog

ROOT = Path(__file__).resolve().parents[1]
LOGIN_FILE = "connexion.png"
UNLOCK_FILE = "deverrouillage-ddfpt.png"
PASSWORD = "Demo-Livret-2026"
SETUP = Actor(user_id=None, display_name="mise en place des captures", role=Role.ADMIN)


def save(widget: QWidget, path: Path) -> None:
    QApplication.processEvents()
    widget.grab().save(str(path))
    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def last_final_bilan(database: Database) -> int:
    """A learner's newest final bilan (the one that may be unlocked)."""
    with database.engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT b.id FROM bilan b WHERE b.status = 'final' "
                "AND NOT EXISTS (SELECT 1 FROM bilan n "
                "WHERE n.learner_id = b.learner_id AND n.status = 'final' "
                "AND (n.bilan_date > b.bilan_date OR (n.bilan_date = b.bilan_date "
                "AND n.id > b.id))) ORDER BY b.id LIMIT 1"
            )
        ).one()
    return int(row[0])


def capture(out: Path, database: Database) -> None:
    accounts = AccountService(database, SETUP)
    accounts.add("mdupont", Role.DDFPT, name="Mme Dupont", password=PASSWORD)
    accounts.add("mmartin", Role.TEACHER, name="M. Martin", password=PASSWORD)

    login = LoginDialog(database, database_name="lycee-jean-moulin.sqlite")
    login.show()
    login.login.setText("mmartin")
    login.password.setText("pas-le-bon")
    login.try_login()
    login.password.setText("mot-de-passe")  # dots being typed again after the refusal
    save(login, out / LOGIN_FILE)
    login.close()

    teacher = authenticate(database, "mmartin", PASSWORD)
    services = build_services(database, teacher)
    bilan_id = last_final_bilan(database)
    learner_name = services.bilans.sheet(bilan_id).learner_name
    dialog = UnlockDialog(services.bilans, bilan_id, learner_name, ddfpt_exists=True)
    dialog.show()
    dialog.reason.setPlainText(
        "Erreur de positionnement sur CC3.1 : le niveau de l'évaluation du 12/11 "
        "n'avait pas été reporté."
    )
    dialog.ddfpt_login.setText("mdupont")
    dialog.ddfpt_password.setText(PASSWORD)
    dialog.adjustSize()
    save(dialog, out / UNLOCK_FILE)
    dialog.reject()


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
            capture(args.out, database)
        finally:
            database.dispose()
    del app
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
