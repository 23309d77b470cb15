"""The role × action table: what the product table says, and how OWN access is checked."""

from __future__ import annotations

from pathlib import Path

import pytest

from livret.domain.errors import PermissionDenied
from livret.domain.permissions import (
    PERMISSIONS,
    Access,
    Action,
    allowed,
    markdown_table,
    require,
    require_bilan,
    require_learner,
)
from livret.domain.roles import Actor, Role

README = Path(__file__).resolve().parents[2] / "README.md"


def actor(role: Role, learner_id: int | None = None, *, local: bool = False) -> Actor:
    return Actor(user_id=1, display_name="X", role=role, learner_id=learner_id, local=local)


def test_every_action_has_a_row() -> None:
    assert set(PERMISSIONS) == set(Action)


def test_the_readme_shows_the_table_as_it_is() -> None:
    assert markdown_table() in README.read_text(encoding="utf-8")


def test_only_the_ddfpt_unlocks() -> None:
    assert [role for role in Role if allowed(actor(role), Action.UNLOCK_BILAN)] == [Role.DDFPT]


def test_a_learner_reads_only_their_own_final_bilans() -> None:
    learner = actor(Role.LEARNER, learner_id=7)
    require_bilan(learner, Action.VIEW_BILAN, 7, "final")
    with pytest.raises(PermissionDenied, match="propres bilans"):
        require_bilan(learner, Action.VIEW_BILAN, 7, "draft")
    with pytest.raises(PermissionDenied):
        require_bilan(learner, Action.VIEW_BILAN, 8, "final")
    with pytest.raises(PermissionDenied):
        require_learner(learner, Action.VIEW_DASHBOARD, 8)
    # A teacher reads drafts and every learner.
    require_bilan(actor(Role.TEACHER), Action.VIEW_BILAN, 8, "draft")


def test_a_learner_without_a_learner_sees_nobody() -> None:
    with pytest.raises(PermissionDenied):
        require_learner(actor(Role.LEARNER), Action.VIEW_DASHBOARD, 1)


def test_refusals_name_the_role_and_the_action_in_french() -> None:
    with pytest.raises(PermissionDenied, match=r"Votre rôle \(Apprenant\) ne permet pas de"):
        require(actor(Role.LEARNER), Action.VIEW_CLASS_OVERVIEW)


def test_the_login_free_local_profile_may_create_accounts() -> None:
    assert not allowed(actor(Role.TEACHER), Action.MANAGE_USERS)
    assert require(actor(Role.TEACHER, local=True), Action.MANAGE_USERS) is Access.ALL
    assert not allowed(actor(Role.TEACHER, local=True), Action.UNLOCK_BILAN)
