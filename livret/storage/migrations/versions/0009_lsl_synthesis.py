"""LSL Pro synthesis: chosen degrees, appréciations, class periodicity, PFMP fills

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03

- `lsl_class_setting`: per class, the periodicity of its mean marks (trimestre or
  semestre), set by the Administrateur.
- `lsl_appreciation`: per learner and school year, the appréciation of the LSL Pro.
- `lsl_degree`: per learner, school year and competency of the specialty, the degree of
  mastery the teacher chose (1–4; no row: not chosen yet).
- `lsl_pfmp_fill`: per learner and PFMP (keyed by its first company evaluation), the
  company, tutor or dates the evaluations left empty.

A learner's rows go with the learner (ON DELETE CASCADE, like the enrolment), so that
erasing a learner leaves none behind; a degree goes with its competency (a référentiel
update that drops a competency drops its degrees), a fill with its evaluation.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def _stamp(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"], ["app_user.id"], name=op.f(f"fk_{table}_author_id_app_user")
        ),
    ]


def _learner_year(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("school_year_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learner.id"],
            name=op.f(f"fk_{table}_learner_id_learner"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["school_year_id"],
            ["school_year.id"],
            name=op.f(f"fk_{table}_school_year_id_school_year"),
        ),
    ]


def upgrade() -> None:
    op.create_table(
        "lsl_class_setting",
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.Column("periodicity", sa.String(length=10), nullable=False),
        *_stamp("lsl_class_setting"),
        sa.CheckConstraint(
            "periodicity IN ('trimestre','semestre')",
            name=op.f("ck_lsl_class_setting_periodicity"),
        ),
        sa.ForeignKeyConstraint(
            ["class_id"],
            ["school_class.id"],
            name=op.f("fk_lsl_class_setting_class_id_school_class"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("class_id", name=op.f("pk_lsl_class_setting")),
    )
    op.create_table(
        "lsl_appreciation",
        sa.Column("id", sa.Integer(), nullable=False),
        *_learner_year("lsl_appreciation"),
        sa.Column("text", sa.Text(), server_default="", nullable=False),
        *_stamp("lsl_appreciation"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lsl_appreciation")),
        sa.UniqueConstraint(
            "learner_id",
            "school_year_id",
            name=op.f("uq_lsl_appreciation_learner_id_school_year_id"),
        ),
    )
    op.create_table(
        "lsl_degree",
        sa.Column("id", sa.Integer(), nullable=False),
        *_learner_year("lsl_degree"),
        sa.Column("competency_id", sa.Integer(), nullable=False),
        sa.Column("degree", sa.String(length=1), nullable=False),
        *_stamp("lsl_degree"),
        sa.CheckConstraint("degree IN ('1','2','3','4')", name=op.f("ck_lsl_degree_degree")),
        sa.ForeignKeyConstraint(
            ["competency_id"],
            ["competency.id"],
            name=op.f("fk_lsl_degree_competency_id_competency"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lsl_degree")),
        sa.UniqueConstraint(
            "learner_id",
            "school_year_id",
            "competency_id",
            name=op.f("uq_lsl_degree_learner_id_school_year_id_competency_id"),
        ),
    )
    op.create_table(
        "lsl_pfmp_fill",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("company", sa.String(length=300), nullable=True),
        sa.Column("tutor", sa.String(length=200), nullable=True),
        sa.Column("pfmp_start", sa.Date(), nullable=True),
        sa.Column("pfmp_end", sa.Date(), nullable=True),
        *_stamp("lsl_pfmp_fill"),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learner.id"],
            name=op.f("fk_lsl_pfmp_fill_learner_id_learner"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluation.id"],
            name=op.f("fk_lsl_pfmp_fill_evaluation_id_evaluation"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_lsl_pfmp_fill")),
        sa.UniqueConstraint(
            "learner_id",
            "evaluation_id",
            name=op.f("uq_lsl_pfmp_fill_learner_id_evaluation_id"),
        ),
    )


def downgrade() -> None:
    op.drop_table("lsl_pfmp_fill")
    op.drop_table("lsl_degree")
    op.drop_table("lsl_appreciation")
    op.drop_table("lsl_class_setting")
