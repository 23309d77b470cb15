"""Pictures of « Données personnelles (RGPD) »: the retention list, the erasure dialog.

    python scripts/screenshots_privacy.py [--out docs/screenshots]

Builds its own demo database in a temporary folder, marks a few learners as having left
years ago, adds an administrator and a DDFPT account and grabs the two dialogs; nothing
is written anywhere else.
"""

from __future__ import annotations

import argparse
import datetime as dt
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
from livret.ui.privacy_dialog import PrivacyDialog

ROOT = Path(__file__).resolve().parents[1]
LIST_FILE = "rgpd-dialog.png"
ERASE_FILE = "rgpd-effacement.png"
PASSWORD = "Demo-Livret-2026"
SETUP = Actor(user_id=None, display_name="mise en place des captures", role=Role.ADMIN)


def save(widget: QWidget, path: Path) -> None:
    QApplication.processEvents()
    widget.grab().save(str(path))
    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def mark_leavers(database: Database) -> None:
    """Six learners with bilans left two to four years ago (the demo's own leavers are recent)."""
    today = dt.date.today()
    with database.engine.begin() as connection:
        ids = [
            row[0]
            for row in connection.execute(
                text("SELECT learner_id FROM bilan GROUP BY learner_id ORDER BY learner_id LIMIT 6")
            )
        ]
        for number, learner_id in enumerate(ids):
            left = dt.date(today.year - 2 - number % 3, 7, 4)
            connection.execute(
                text("UPDATE learner SET left_on = :d WHERE id = :l"),
                {"d": left, "l": learner_id},
            )


def capture(out: Path, database: Database) -> None:
    accounts = AccountService(database, SETUP)
    accounts.add("admin", Role.ADMIN, name="M. Leroy", password=PASSWORD)
    accounts.add("mdupont", Role.DDFPT, name="Mme Dupont", password=PASSWORD)
    mark_leavers(database)
    admin = authenticate(database, "admin", PASSWORD)
    dialog = PrivacyDialog(build_services(database, admin))
    dialog.show()
    save(dialog, out / LIST_FILE)

    confirm = dialog.erase_selected()
    assert confirm is not None
    confirm.word.setText("EFFACER")
    confirm.ddfpt_login.setText("mdupont")
    confirm.ddfpt_password.setText(PASSWORD)
    confirm.adjustSize()
    save(confirm, out / ERASE_FILE)
    confirm.reject()
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
