"""Tamper evidence: the audit log chained and guarded, final bilans fingerprinted

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03

`audit_event.personal_hash`, `prev_hash` and `hash` chain the journal (see
storage.audit_chain); the events already written are chained here, once, in id order.
`bilan.cc_snapshot` keeps the common competencies (code and title) a final bilan was
written with, and `content_hash` its fingerprint: both are filled here for the bilans
already final, with the référentiel as it stands. The guards are dropped and installed
again: the SQLite bilan triggers name the table's columns, the positioning ones now hold
without recursive_triggers, and the audit log gets its own.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from livret.storage import audit_chain, guards

revision = "0006"
down_revision = "0005"
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
    "cc_snapshot",
    "content_hash",
)
PREVIOUS_BILAN_COLUMNS = BILAN_COLUMNS[:-2]


def upgrade() -> None:
    connection = op.get_bind()
    guards.drop(connection)
    op.add_column("audit_event", sa.Column("personal_hash", sa.String(64), nullable=True))
    op.add_column("audit_event", sa.Column("prev_hash", sa.String(64), nullable=True))
    op.add_column("audit_event", sa.Column("hash", sa.String(64), nullable=True))
    op.add_column("bilan", sa.Column("cc_snapshot", sa.Text(), nullable=True))
    op.add_column("bilan", sa.Column("content_hash", sa.String(64), nullable=True))
    op.create_index(
        "ix_audit_event_unsealed",
        "audit_event",
        ["id"],
        sqlite_where=sa.text("hash IS NULL"),
        postgresql_where=sa.text("hash IS NULL"),
    )
    audit_chain.lock(connection)
    audit_chain.seal(connection)
    final_ids = list(connection.scalars(sa.text("SELECT id FROM bilan WHERE status = 'final'")))
    values = audit_chain.fingerprint_values(connection, final_ids)
    if values:
        connection.execute(
            sa.text(
                "UPDATE bilan SET cc_snapshot = :cc_snapshot, content_hash = :content_hash "
                "WHERE id = :row_id"
            ),
            values,
        )
    guards.install(connection, BILAN_COLUMNS)
    guards.install_audit(connection)


def downgrade() -> None:
    connection = op.get_bind()
    guards.drop(connection)
    op.drop_index("ix_audit_event_unsealed", table_name="audit_event")
    with op.batch_alter_table("bilan") as batch:
        batch.drop_column("content_hash")
        batch.drop_column("cc_snapshot")
    with op.batch_alter_table("audit_event") as batch:
        batch.drop_column("hash")
        batch.drop_column("prev_hash")
        batch.drop_column("personal_hash")
    guards.install(connection, PREVIOUS_BILAN_COLUMNS)
