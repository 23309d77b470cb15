"""Accounts: login throttling, one account per learner, the countersigning DDFPT in the audit log

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03

`app_user.failed_logins` counts the failed logins in a row and `locked_until` is
when the next attempt is allowed once they reach the limit; `last_login_at` dates
the last success. An Apprenant account belongs to one learner, so `learner_id` is
unique. `audit_event.session_user_id` names the user logged in on the computer when
another person authorised the action (the DDFPT who countersigns an unlock).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "app_user", sa.Column("failed_logins", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column("app_user", sa.Column("locked_until", sa.DateTime(), nullable=True))
    op.add_column("app_user", sa.Column("last_login_at", sa.DateTime(), nullable=True))
    op.create_index("uq_app_user_learner_id", "app_user", ["learner_id"], unique=True)
    op.add_column("audit_event", sa.Column("session_user_id", sa.Integer(), nullable=True))
    op.create_index("ix_audit_event_at", "audit_event", ["at"])


def downgrade() -> None:
    op.drop_index("ix_audit_event_at", table_name="audit_event")
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_column("session_user_id")
    op.drop_index("uq_app_user_learner_id", table_name="app_user")
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("last_login_at")
        batch.drop_column("locked_until")
        batch.drop_column("failed_logins")
