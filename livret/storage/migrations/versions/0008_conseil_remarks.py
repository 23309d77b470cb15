"""Conseil de classe: the teacher's one-line remark on each learner

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03

`conseil_remark` holds one remark per class, learner and conseil date (the remark may
be empty). The learner's remarks go with the learner (ON DELETE CASCADE, like the
enrolment), so that erasing a learner leaves none behind.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "conseil_remark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("conseil_date", sa.Date(), nullable=False),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"], ["school_class.id"], name=op.f("fk_conseil_remark_class_id_school_class")
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learner.id"],
            name=op.f("fk_conseil_remark_learner_id_learner"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"], ["app_user.id"], name=op.f("fk_conseil_remark_author_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_conseil_remark")),
        sa.UniqueConstraint(
            "class_id",
            "conseil_date",
            "learner_id",
            name=op.f("uq_conseil_remark_class_id_conseil_date_learner_id"),
        ),
    )


def downgrade() -> None:
    op.drop_table("conseil_remark")
