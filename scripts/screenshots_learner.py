"""Pictures of the accounts screens: python scripts/screenshots_learner.py.

fenetre-apprenant.png (an Apprenant's own window), comptes.png (« Comptes »),
journal.png (« Journal »), from a demo database with a few real accounts and events.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QSettings
from PySide6.QtWidgets import QApplication, QWidget
from sqlalchemy import text

from livret.domain.roles import Actor, Role
from livret.services.accounts import AccountService
from livret.services.authentication import LoginRefused, authenticate
from livret.services.bilans import BilanService
from livret.services.container import build_services
from livret.services.database import Database, open_database
from livret.services.demo import create_demo
from livret.ui.accounts_dialog import AccountsDialog
from livret.ui.application import configure_application
from livret.ui.audit_dialog import AuditDialog
from livret.ui.learner_window import LearnerWindow

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "demo-mot-de-passe"
SETUP = Actor(user_id=None, display_name="Mise en place", role=Role.ADMIN, local=True)


def save(widget: QWidget, path: Path) -> None:
    QApplication.processEvents()
    widget.grab().save(str(path))
    print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)


def learner_with_history(database: Database) -> tuple[int, str, int]:
    """(learner id, INE, class id) of a learner with two final bilans and a draft, this year."""
    with database.engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT b.learner_id, l.ine, e.class_id FROM bilan b "
                "JOIN learner l ON l.id = b.learner_id "
                "JOIN enrolment e ON e.learner_id = b.learner_id "
                "JOIN school_year y ON y.id = e.school_year_id AND y.label = '2026-2027' "
                "GROUP BY b.learner_id, l.ine, e.class_id "
                "HAVING SUM(CASE WHEN b.status = 'final' THEN 1 ELSE 0 END) = 2 "
                "AND SUM(CASE WHEN b.status = 'draft' THEN 1 ELSE 0 END) = 1 "
                "ORDER BY b.learner_id LIMIT 1"
            )
        ).one()
    return int(row[0]), str(row[1]), int(row[2])


def learners_without_draft(database: Database, class_id: int, limit: int) -> list[int]:
    with database.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT e.learner_id FROM enrolment e WHERE e.class_id = :class_id "
                "AND NOT EXISTS (SELECT 1 FROM bilan b WHERE b.learner_id = e.learner_id "
                "AND b.status = 'draft') ORDER BY e.learner_id LIMIT :limit"
            ),
            {"class_id": class_id, "limit": limit},
        ).all()
    return [int(row[0]) for row in rows]


def make_history(database: Database, folder: Path) -> tuple[Actor, Actor, Actor]:
    """Accounts with passwords, logins, a failed one, drafts, a class's learner accounts."""
    learner_id, ine, class_id = learner_with_history(database)
    accounts = AccountService(database, SETUP)
    accounts.add("admin", Role.ADMIN, name="M. Bernard", password=PASSWORD)
    for login in ("p.lambert", "a.diallo", "y.legoff"):
        accounts.set_password(login, PASSWORD)
    admin = authenticate(database, "admin", PASSWORD)
    AccountService(database, admin).add("m.roussel", Role.TEACHER, name="Mme Roussel")
    teacher = authenticate(database, "p.lambert", PASSWORD)
    with contextlib.suppress(LoginRefused):  # a failed login, for the journal
        authenticate(database, "a.diallo", "pas-le-bon")
    bilans = BilanService(database, teacher)
    for other in learners_without_draft(database, class_id, 3):
        bilans.open_draft(other)
    AccountService(database, admin).create_class_accounts(class_id, folder / "comptes.csv")
    AccountService(database, admin).set_active("m.roussel", False)
    ddfpt = authenticate(database, "y.legoff", PASSWORD)
    with database.engine.connect() as connection:
        login = connection.execute(
            text("SELECT login FROM app_user WHERE learner_id = :id"), {"id": learner_id}
        ).scalar_one()
    AccountService(database, admin).set_password(login, PASSWORD)
    learner = authenticate(database, login, PASSWORD)
    assert learner.learner_id == learner_id and ine
    return admin, ddfpt, learner


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
        create_demo(database)
        admin, ddfpt, learner = make_history(database, folder)
        settings = QSettings(str(folder / "settings.ini"), QSettings.Format.IniFormat)

        window = LearnerWindow(build_services(database, learner), "demo.sqlite", settings=settings)
        window.resize(1500, 900)
        window.show()
        save(window, args.out / "fenetre-apprenant.png")
        window.close()

        accounts = AccountsDialog(build_services(database, admin))
        accounts.resize(1100, 560)
        accounts.show()
        accounts.select_login("p.lambert")
        save(accounts, args.out / "comptes.png")
        accounts.close()

        journal = AuditDialog(build_services(database, ddfpt))
        journal.resize(1250, 640)
        journal.show()
        save(journal, args.out / "journal.png")
        journal.close()
        database.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
