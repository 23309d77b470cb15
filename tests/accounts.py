"""Real accounts for tests: one per role, created through AccountService on the test database."""

from __future__ import annotations

from livret.domain.roles import Actor, Role
from livret.services.accounts import AccountService
from livret.services.authentication import authenticate
from livret.services.database import Database

PASSWORD = "motdepasse-test"
ADMIN_SETUP = Actor(user_id=None, display_name="mise en place des tests", role=Role.ADMIN)


def make_account(
    database: Database,
    role: Role,
    login: str | None = None,
    *,
    name: str | None = None,
    learner_ine: str | None = None,
    password: str = PASSWORD,
) -> Actor:
    """Create an account with a password and log in with it: the actor a real session gets."""
    login = login or f"test-{role.value}"
    AccountService(database, ADMIN_SETUP).add(
        login, role, name=name, password=password, learner_ine=learner_ine
    )
    return authenticate(database, login, password)
