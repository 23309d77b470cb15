"""Who may list the LSL Pro classes: those who read the syntheses, and the Administrateur.

The Administrateur chooses each class's periodicity (LSL Pro screen), so they list the
1re and Terminale classes with their settings; their learners' syntheses stay refused.
"""

from __future__ import annotations

import pytest

from livret.domain.errors import PermissionDenied
from livret.domain.roles import Actor, Role
from livret.services.database import Database
from livret.services.lsl import LslService

TEACHER = Actor(user_id=None, display_name="M. Martin", role=Role.TEACHER)
ADMIN = Actor(user_id=None, display_name="Mme Admin", role=Role.ADMIN)
LEARNER = Actor(user_id=None, display_name="Élève", role=Role.LEARNER, learner_id=1)


def test_the_administrateur_lists_the_classes_but_reads_no_synthesis(
    demo_database: Database,
) -> None:
    listed = LslService(demo_database, TEACHER).classes()
    assert listed
    admin = LslService(demo_database, ADMIN)
    assert admin.classes() == listed
    with pytest.raises(PermissionDenied):
        admin.class_synthesis(listed[0].id)
    with pytest.raises(PermissionDenied):
        LslService(demo_database, LEARNER).classes()
