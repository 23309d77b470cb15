"""initial schema

Revision ID: 0001
Revises: (none)
Create Date: 2026-11-28
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op


revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "establishment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("uai", sa.String(length=8), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_establishment")),
    )
    op.create_table(
        "referentiel",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referentiel")),
        sa.UniqueConstraint("code", name=op.f("uq_referentiel_code")),
    )
    op.create_table(
        "school_year",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=9), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_year")),
        sa.UniqueConstraint("label", name=op.f("uq_school_year_label")),
    )
    op.create_table(
        "setting",
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("value", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("key", name=op.f("pk_setting")),
    )
    op.create_table(
        "common_competency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referentiel_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("group_code", sa.String(length=20), nullable=False),
        sa.Column("group_label", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["referentiel_id"],
            ["referentiel.id"],
            name=op.f("fk_common_competency_referentiel_id_referentiel"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_common_competency")),
        sa.UniqueConstraint(
            "referentiel_id", "code", name=op.f("uq_common_competency_referentiel_id_code")
        ),
    )
    op.create_table(
        "specialty",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("referentiel_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["referentiel_id"],
            ["referentiel.id"],
            name=op.f("fk_specialty_referentiel_id_referentiel"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_specialty")),
        sa.UniqueConstraint(
            "referentiel_id", "code", name=op.f("uq_specialty_referentiel_id_code")
        ),
    )
    op.create_table(
        "competency",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("specialty_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["specialty_id"], ["specialty.id"], name=op.f("fk_competency_specialty_id_specialty")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_competency")),
        sa.UniqueConstraint("specialty_id", "code", name=op.f("uq_competency_specialty_id_code")),
    )
    op.create_table(
        "learner",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ine", sa.String(length=11), nullable=False),
        sa.Column("family_name", sa.String(length=100), nullable=False),
        sa.Column("first_name", sa.String(length=100), nullable=False),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("specialty_id", sa.Integer(), nullable=True),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["specialty_id"], ["specialty.id"], name=op.f("fk_learner_specialty_id_specialty")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learner")),
        sa.UniqueConstraint("ine", name=op.f("uq_learner_ine")),
    )
    op.create_table(
        "school_class",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("school_year_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("grade", sa.String(length=10), nullable=True),
        sa.Column("specialty_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["school_year_id"],
            ["school_year.id"],
            name=op.f("fk_school_class_school_year_id_school_year"),
        ),
        sa.ForeignKeyConstraint(
            ["specialty_id"], ["specialty.id"], name=op.f("fk_school_class_specialty_id_specialty")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_school_class")),
        sa.UniqueConstraint(
            "school_year_id", "code", name=op.f("uq_school_class_school_year_id_code")
        ),
    )
    op.create_table(
        "app_user",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("login", sa.String(length=100), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("learner_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.CheckConstraint(
            "role IN ('enseignant','ddfpt','apprenant','administrateur')",
            name=op.f("ck_app_user_role"),
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learner.id"], name=op.f("fk_app_user_learner_id_learner")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_app_user")),
        sa.UniqueConstraint("login", name=op.f("uq_app_user_login")),
    )
    op.create_table(
        "criterion",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("competency_id", sa.Integer(), nullable=False),
        sa.Column("common_competency_id", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("confidence", sa.String(length=10), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["common_competency_id"],
            ["common_competency.id"],
            name=op.f("fk_criterion_common_competency_id_common_competency"),
        ),
        sa.ForeignKeyConstraint(
            ["competency_id"], ["competency.id"], name=op.f("fk_criterion_competency_id_competency")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_criterion")),
        sa.UniqueConstraint("code", name=op.f("uq_criterion_code")),
    )
    with op.batch_alter_table("criterion", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_criterion_common_competency_id"), ["common_competency_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_criterion_competency_id"), ["competency_id"], unique=False
        )

    op.create_table(
        "enrolment",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("school_year_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["class_id"], ["school_class.id"], name=op.f("fk_enrolment_class_id_school_class")
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learner.id"],
            name=op.f("fk_enrolment_learner_id_learner"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["school_year_id"],
            ["school_year.id"],
            name=op.f("fk_enrolment_school_year_id_school_year"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment")),
        sa.UniqueConstraint(
            "learner_id", "school_year_id", name=op.f("uq_enrolment_learner_id_school_year_id")
        ),
    )
    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_enrolment_class_id"), ["class_id"], unique=False)

    op.create_table(
        "audit_event",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column(
            "at", sa.DateTime(), server_default=sa.text("(CURRENT_TIMESTAMP)"), nullable=False
        ),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("entity", sa.String(length=60), nullable=False),
        sa.Column("entity_id", sa.Integer(), nullable=True),
        sa.Column("details", sa.Text(), server_default="", nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"], ["app_user.id"], name=op.f("fk_audit_event_user_id_app_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_event")),
    )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.create_index("ix_audit_event_entity", ["entity", "entity_id"], unique=False)

    op.create_table(
        "bilan",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=5), server_default="draft", nullable=False),
        sa.Column("bilan_date", sa.Date(), nullable=False),
        sa.Column("constats", sa.Text(), server_default="", nullable=False),
        sa.Column("conseils", sa.Text(), server_default="", nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("finalized_at", sa.DateTime(), nullable=True),
        sa.Column("finalized_by_id", sa.Integer(), nullable=True),
        sa.Column("version", sa.Integer(), server_default=sa.text("1"), nullable=False),
        sa.CheckConstraint("status IN ('draft','final')", name=op.f("ck_bilan_status")),
        sa.ForeignKeyConstraint(
            ["author_id"], ["app_user.id"], name=op.f("fk_bilan_author_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["class_id"], ["school_class.id"], name=op.f("fk_bilan_class_id_school_class")
        ),
        sa.ForeignKeyConstraint(
            ["finalized_by_id"], ["app_user.id"], name=op.f("fk_bilan_finalized_by_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"], ["learner.id"], name=op.f("fk_bilan_learner_id_learner")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bilan")),
    )
    with op.batch_alter_table("bilan", schema=None) as batch_op:
        batch_op.create_index("ix_bilan_learner_date", ["learner_id", "bilan_date"], unique=False)
        batch_op.create_index(
            "uq_bilan_one_draft",
            ["learner_id"],
            unique=True,
            sqlite_where=sa.text("status = 'draft'"),
            postgresql_where=sa.text("status = 'draft'"),
        )

    op.create_table(
        "evaluation",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nature", sa.String(length=1), nullable=False),
        sa.Column("eval_date", sa.Date(), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("context", sa.Text(), server_default="", nullable=False),
        sa.Column("class_id", sa.Integer(), nullable=True),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("company", sa.String(length=300), nullable=True),
        sa.Column("tutor", sa.String(length=200), nullable=True),
        sa.Column("pfmp_start", sa.Date(), nullable=True),
        sa.Column("pfmp_end", sa.Date(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.CheckConstraint("nature IN ('F','E')", name=op.f("ck_evaluation_nature")),
        sa.ForeignKeyConstraint(
            ["author_id"], ["app_user.id"], name=op.f("fk_evaluation_author_id_app_user")
        ),
        sa.ForeignKeyConstraint(
            ["class_id"], ["school_class.id"], name=op.f("fk_evaluation_class_id_school_class")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation")),
    )
    with op.batch_alter_table("evaluation", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_evaluation_class_id"), ["class_id"], unique=False)
        batch_op.create_index("ix_evaluation_date", ["eval_date"], unique=False)

    op.create_table(
        "mark",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bilan_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.Numeric(precision=4, scale=1), nullable=False),
        sa.Column("rounding", sa.Numeric(precision=3, scale=1), nullable=False),
        sa.Column("weights", sa.Text(), server_default="{}", nullable=False),
        sa.Column("ne_count", sa.Integer(), nullable=False),
        sa.Column(
            "computed_at",
            sa.DateTime(),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["author_id"], ["app_user.id"], name=op.f("fk_mark_author_id_app_user")
        ),
        sa.ForeignKeyConstraint(["bilan_id"], ["bilan.id"], name=op.f("fk_mark_bilan_id_bilan")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mark")),
        sa.UniqueConstraint("bilan_id", name=op.f("uq_mark_bilan_id")),
    )
    op.create_table(
        "positioning",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("bilan_id", sa.Integer(), nullable=False),
        sa.Column("common_competency_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=2), nullable=False),
        sa.CheckConstraint("level IN ('NE','1','2','3','4')", name=op.f("ck_positioning_level")),
        sa.ForeignKeyConstraint(
            ["bilan_id"],
            ["bilan.id"],
            name=op.f("fk_positioning_bilan_id_bilan"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["common_competency_id"],
            ["common_competency.id"],
            name=op.f("fk_positioning_common_competency_id_common_competency"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_positioning")),
        sa.UniqueConstraint(
            "bilan_id",
            "common_competency_id",
            name=op.f("uq_positioning_bilan_id_common_competency_id"),
        ),
    )
    op.create_table(
        "result",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("evaluation_id", sa.Integer(), nullable=False),
        sa.Column("learner_id", sa.Integer(), nullable=False),
        sa.Column("criterion_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=3), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.CheckConstraint("level IN ('NE','1','2','3','4','ABS')", name=op.f("ck_result_level")),
        sa.ForeignKeyConstraint(
            ["criterion_id"], ["criterion.id"], name=op.f("fk_result_criterion_id_criterion")
        ),
        sa.ForeignKeyConstraint(
            ["evaluation_id"],
            ["evaluation.id"],
            name=op.f("fk_result_evaluation_id_evaluation"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["learner_id"],
            ["learner.id"],
            name=op.f("fk_result_learner_id_learner"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_result")),
        sa.UniqueConstraint(
            "learner_id",
            "evaluation_id",
            "criterion_id",
            name=op.f("uq_result_learner_id_evaluation_id_criterion_id"),
        ),
    )
    with op.batch_alter_table("result", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_result_evaluation_id"), ["evaluation_id"], unique=False
        )



def downgrade() -> None:
    with op.batch_alter_table("result", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_result_evaluation_id"))

    op.drop_table("result")
    op.drop_table("positioning")
    op.drop_table("mark")
    with op.batch_alter_table("evaluation", schema=None) as batch_op:
        batch_op.drop_index("ix_evaluation_date")
        batch_op.drop_index(batch_op.f("ix_evaluation_class_id"))

    op.drop_table("evaluation")
    with op.batch_alter_table("bilan", schema=None) as batch_op:
        batch_op.drop_index(
            "uq_bilan_one_draft",
            sqlite_where=sa.text("status = 'draft'"),
            postgresql_where=sa.text("status = 'draft'"),
        )
        batch_op.drop_index("ix_bilan_learner_date")

    op.drop_table("bilan")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_event_entity")

    op.drop_table("audit_event")
    with op.batch_alter_table("enrolment", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_enrolment_class_id"))

    op.drop_table("enrolment")
    with op.batch_alter_table("criterion", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_criterion_competency_id"))
        batch_op.drop_index(batch_op.f("ix_criterion_common_competency_id"))

    op.drop_table("criterion")
    op.drop_table("app_user")
    op.drop_table("school_class")
    op.drop_table("learner")
    op.drop_table("competency")
    op.drop_table("specialty")
    op.drop_table("common_competency")
    op.drop_table("setting")
    op.drop_table("school_year")
    op.drop_table("referentiel")
    op.drop_table("establishment")
