"""Final bilan guards: triggers refuse any change to a final bilan or its positionings

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28
"""

from __future__ import annotations

from alembic import op

from livret.storage import guards

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

# The bilan table's columns at this revision (SQLite triggers must name them).
BILAN_COLUMNS = (
    "id",
    "learner_id",
    "class_id",
    "status",
    "bilan_date",
    "constats",
    "conseils",
    "author_id",
    "created_at",
    "updated_at",
    "finalized_at",
    "finalized_by_id",
    "version",
)


def upgrade() -> None:
    guards.install(op.get_bind(), BILAN_COLUMNS)


def downgrade() -> None:
    guards.drop(op.get_bind())
