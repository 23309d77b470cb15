"""Establishment mode: the school's city and logo for the PDFs, and the change log

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03

`establishment.city` and `establishment.logo` (PNG or JPEG bytes) appear on every
PDF. `change_event` records each committed change another open app must show
(which learners, classes or bilan, by whom, from which app instance): on SQLite a
second app polls it; on PostgreSQL the same change is also sent by NOTIFY and the
table lets a listener that lost its connection catch up.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("establishment", sa.Column("city", sa.String(100), nullable=True))
    op.add_column("establishment", sa.Column("logo", sa.LargeBinary(), nullable=True))
    op.create_table(
        "change_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.Column("origin", sa.String(40), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("learner_ids", sa.Text(), server_default="", nullable=False),
        sa.Column("class_ids", sa.Text(), server_default="", nullable=False),
        sa.Column("bilan_id", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_change_event")),
    )


def downgrade() -> None:
    op.drop_table("change_event")
    with op.batch_alter_table("establishment") as batch:
        batch.drop_column("logo")
        batch.drop_column("city")
