"""The result index the learner's and the class's reads can answer from alone

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03

`ix_result_learner_levels` (learner_id, evaluation_id, criterion_id, level): the class
overview counts a class's levels, and the dashboard lists a learner's evaluations and
criteria, from the index only. With the unique key alone, PostgreSQL reads one heap
page per evaluation of each learner (a learner's results are written evaluation by
evaluation, so they are scattered) and prefers a scan of the whole result table.
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("result") as batch:
        batch.create_index(
            "ix_result_learner_levels", ["learner_id", "evaluation_id", "criterion_id", "level"]
        )


def downgrade() -> None:
    with op.batch_alter_table("result") as batch:
        batch.drop_index("ix_result_learner_levels")
