"""Roles and who acts (PRODUCT.md "Who uses it"); what each role may do is in permissions."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Role(StrEnum):
    TEACHER = "enseignant"
    DDFPT = "ddfpt"
    LEARNER = "apprenant"
    ADMIN = "administrateur"


ROLE_LABELS: dict[Role, str] = {
    Role.TEACHER: "Enseignant",
    Role.DDFPT: "DDFPT",
    Role.LEARNER: "Apprenant",
    Role.ADMIN: "Administrateur",
}


def parse_role(text: str) -> Role:
    """A role from its stored value or its French label, any case ("DDFPT", "enseignant")."""
    cleaned = text.strip().casefold()
    for role in Role:
        if cleaned in (role.value, ROLE_LABELS[role].casefold()):
            return role
    choices = ", ".join(role.value for role in Role)
    raise ValueError(f"Rôle inconnu « {text} » (au choix : {choices}).")


@dataclass(frozen=True, slots=True)
class Actor:
    """Who performs an action: a logged-in account, or the login-free local profile.

    `learner_id` is the learner an Apprenant account belongs to. `local` marks the
    local profile of a file that has no account with a password: whoever opens such a
    file owns it, so that profile may also manage accounts (to create the first ones).
    """

    user_id: int | None
    display_name: str
    role: Role
    learner_id: int | None = None
    local: bool = False

    @property
    def may_position(self) -> bool:
        """Teachers and the DDFPT position learners and write bilans."""
        return self.role in (Role.TEACHER, Role.DDFPT)
