"""Roles and what each may do (PRODUCT.md "Who uses it")."""

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


@dataclass(frozen=True, slots=True)
class Actor:
    """Who performs an action: the logged-in user, or the local profile."""

    user_id: int | None
    display_name: str
    role: Role

    @property
    def may_position(self) -> bool:
        """Teachers and the DDFPT position learners and write bilans."""
        return self.role in (Role.TEACHER, Role.DDFPT)
