"""Référentiel details kept for its export: the JSON fields the app does not model

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-28

`referentiel.extra`, `referentiel.group_extra`, `specialty.extra` and
`criterion.extra` hold, as JSON, the fields of the référentiel file the app only
keeps (sources, notes, levels; a group's status; a specialty's reference and
status; a criterion's edit and mapping notes), so an export gives back what was
imported.
`referentiel.updated_at` dates the last import or edit (the CASE export's
lastChangeDateTime). The bundled PMIA référentiel gets its details back from the
file shipped with the app.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("referentiel", sa.Column("extra", sa.Text(), server_default="{}", nullable=False))
    op.add_column(
        "referentiel", sa.Column("group_extra", sa.Text(), server_default="{}", nullable=False)
    )
    op.add_column("referentiel", sa.Column("updated_at", sa.DateTime(), nullable=True))
    op.add_column("specialty", sa.Column("extra", sa.Text(), server_default="{}", nullable=False))
    op.add_column("criterion", sa.Column("extra", sa.Text(), server_default="{}", nullable=False))
    _restore_bundled_details()


def _restore_bundled_details() -> None:
    from livret.domain.referentiel import bundled_referentiel_path, load_referentiel_file

    bundled = load_referentiel_file(bundled_referentiel_path("pmia"))
    connection = op.get_bind()
    referentiel = sa.table(
        "referentiel",
        sa.column("id", sa.Integer),
        sa.column("code", sa.String),
        sa.column("extra", sa.Text),
        sa.column("group_extra", sa.Text),
        sa.column("updated_at", sa.DateTime),
    )
    specialty = sa.table(
        "specialty",
        sa.column("referentiel_id", sa.Integer),
        sa.column("code", sa.String),
        sa.column("extra", sa.Text),
    )
    ref_id = connection.scalar(sa.select(referentiel.c.id).where(referentiel.c.code == bundled.id))
    connection.execute(sa.update(referentiel).values(updated_at=dt.datetime.now()))
    if ref_id is None:
        return
    connection.execute(
        sa.update(referentiel)
        .where(referentiel.c.id == ref_id)
        .values(
            extra=_json(bundled.extra),
            group_extra=json.dumps(
                {code: dict(extra) for code, extra in bundled.group_extra.items()},
                ensure_ascii=False,
            ),
        )
    )
    for item in bundled.specialties:
        connection.execute(
            sa.update(specialty)
            .where(specialty.c.referentiel_id == ref_id, specialty.c.code == item.code)
            .values(extra=_json(item.extra))
        )
    criterion = sa.table("criterion", sa.column("code", sa.String), sa.column("extra", sa.Text))
    for bundled_criterion in bundled.criteria():
        if bundled_criterion.extra:
            connection.execute(
                sa.update(criterion)
                .where(criterion.c.code == bundled_criterion.id)
                .values(extra=_json(bundled_criterion.extra))
            )


def _json(extra: Mapping[str, Any]) -> str:
    return json.dumps(dict(extra), ensure_ascii=False)


def downgrade() -> None:
    with op.batch_alter_table("criterion") as batch:
        batch.drop_column("extra")
    with op.batch_alter_table("specialty") as batch:
        batch.drop_column("extra")
    with op.batch_alter_table("referentiel") as batch:
        batch.drop_column("updated_at")
        batch.drop_column("group_extra")
        batch.drop_column("extra")
