"""docs/etablissement.md holds true: its SQL makes an app role that cannot defeat the guards.

The guide's ```sql blocks are run with psql, as written, on a new database of the
test server (the role and database names get a per-test suffix); the schema is
created as the owner role, then the app role writes normally and every way around
the final-bilan triggers is refused.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from livret.domain.roles import Role
from livret.services.container import build_services
from livret.services.database import check_database, open_database
from livret.services.demo import create_demo
from livret.storage.guards import is_audit_refusal, is_final_bilan_refusal
from tests.accounts import make_account
from tests.databases import PG_URL

GUIDE = Path(__file__).parents[2] / "docs" / "etablissement.md"

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(not PG_URL, reason="LIVRET_TEST_DATABASE_URL n'est pas défini"),
]


def guide_sql_blocks() -> list[str]:
    return re.findall(r"^```sql\n(.*?)^```", GUIDE.read_text(encoding="utf-8"), re.S | re.M)


def test_the_guide_has_its_two_sql_blocks() -> None:
    first, second = guide_sql_blocks()
    assert "ALTER DEFAULT PRIVILEGES" in first and "SUPERUSER" in first
    assert "REVOKE INSERT, UPDATE, DELETE ON livret_schema_version" in second


class Names:
    """The guide's names made unique to this test (roles are cluster-wide)."""

    def __init__(self) -> None:
        suffix = uuid.uuid4().hex[:10]
        self.database = f"livret_guide_{suffix}"
        self.owner = f"livret_owner_{suffix}"
        self.app = f"livret_app_{suffix}"

    def apply(self, sql: str) -> str:
        sql = re.sub(r"\blivret_owner\b", self.owner, sql)
        sql = re.sub(r"\blivret_app\b", self.app, sql)
        return re.sub(r"\blivret\b(?!_)", self.database, sql)

    def url(self, role: str) -> str:
        return (
            make_url(PG_URL)
            .set(drivername="postgresql+psycopg", username=role, password=None)
            .set(database=self.database)
            .render_as_string(hide_password=False)
        )


def psql(sql: str) -> None:
    """Run a script as the guide says: psql as a superuser, stopping at the first error."""
    executable = shutil.which("psql")
    assert executable, "psql est nécessaire pour vérifier le guide"
    server = make_url(PG_URL)
    command = [executable, "-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", "postgres"]
    if server.host:
        command += ["-h", server.host]
    if server.port:
        command += ["-p", str(server.port)]
    if server.username:
        command += ["-U", server.username]
    completed = subprocess.run(command, input=sql, capture_output=True, text=True, check=False)
    assert completed.returncode == 0, completed.stderr


@pytest.fixture
def names() -> Iterator[Names]:
    names = Names()
    yield names
    psql(
        f"DROP DATABASE IF EXISTS {names.database} WITH (FORCE);\n"
        f"DROP ROLE IF EXISTS {names.app};\nDROP ROLE IF EXISTS {names.owner};\n"
    )


def test_following_the_guide_the_app_role_cannot_touch_a_final_bilan(names: Names) -> None:
    before_init, after_init = guide_sql_blocks()
    psql(names.apply(before_init))
    owner, report = open_database(names.url(names.owner), create=True)  # livret db init
    try:
        assert report.created
        assert create_demo(owner, learners=4, evaluations=6, seed=3).final_bilans > 0
    finally:
        owner.dispose()
    psql(names.apply(after_init))

    # The app role does a teacher's day through the services: account, positioning, final bilan.
    app, _ = open_database(names.url(names.app), upgrade=False)
    try:
        services = build_services(app, make_account(app, Role.TEACHER, "mmartin"))
        first_class = services.catalog.list_classes()[0]
        learner = services.catalog.list_learners(first_class.id)[0]
        cc = services.dashboards.learner_dashboard(learner.id).sections[0]
        saved = services.bilans.set_positioning(learner.id, cc.common_competency.id, "3")
        sheet = services.bilans.finalize(
            saved.bilan_id, version=saved.bilan_version, confirmation="CONFIRMATION"
        )
        assert sheet.is_final
        # The app role reads the guards' definitions and the chain it wrote.
        assert check_database(app).problems == ()
    finally:
        app.dispose()

    engine = create_engine(names.url(names.app))
    try:
        with engine.connect() as connection:
            owner = connection.scalar(
                text("SELECT tableowner FROM pg_tables WHERE tablename = 'bilan'")
            )
            assert owner == names.owner
            assert not connection.scalar(
                text("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
            )
        refusals = {
            "UPDATE bilan SET constats = 'changé' WHERE status = 'final'": "Bilan définitif",
            "DELETE FROM bilan WHERE status = 'final'": "Bilan définitif",
            "ALTER TABLE bilan DISABLE TRIGGER ALL": "42501",
            "ALTER TABLE bilan DISABLE TRIGGER trg_bilan_final_guard": "42501",
            "DROP TRIGGER trg_bilan_final_guard ON bilan": "42501",
            "DROP FUNCTION livret_bilan_final_guard() CASCADE": "42501",
            "CREATE OR REPLACE FUNCTION livret_bilan_final_guard() RETURNS trigger "
            "AS $$ BEGIN RETURN NEW; END $$ LANGUAGE plpgsql": "42501",
            "ALTER TABLE bilan ADD COLUMN x integer": "42501",
            "TRUNCATE bilan CASCADE": "42501",
            "TRUNCATE positioning": "42501",
            "SET session_replication_role = replica": "42501",
            "CREATE TABLE intrus (id integer)": "42501",
            "UPDATE livret_schema_version SET version_num = 'zzzz'": "42501",
            "UPDATE audit_event SET details = 'changé'": "Journal d'audit",
            "DELETE FROM audit_event": "Journal d'audit",
            "TRUNCATE audit_event": "42501",
            "ALTER TABLE audit_event DISABLE TRIGGER trg_audit_event_guard": "42501",
            "DROP FUNCTION livret_audit_event_guard() CASCADE": "42501",
        }
        for statement, expected in refusals.items():
            with pytest.raises(DBAPIError) as refused, engine.begin() as connection:
                connection.execute(text(statement))
            if expected == "Bilan définitif":
                assert is_final_bilan_refusal(refused.value), statement
            elif expected == "Journal d'audit":
                assert is_audit_refusal(refused.value), statement
            else:
                # insufficient_privilege: "must be owner of …" / "permission denied for …"
                assert getattr(refused.value.orig, "sqlstate", None) == expected, statement
        with engine.begin() as connection:  # a draft is still written as usual
            changed = connection.execute(
                text("UPDATE bilan SET constats = 'brouillon revu' WHERE status = 'draft'")
            )
            assert changed.rowcount > 0
    finally:
        engine.dispose()
