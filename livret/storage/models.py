"""ORM models (SQLAlchemy 2, typed): the whole livret schema."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    Index,
    LargeBinary,
    MetaData,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
    true,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Stable constraint names, so that Alembic batch migrations on SQLite can find them.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

RESULT_LEVELS_SQL = "('NE','1','2','3','4','ABS')"
POSITION_LEVELS_SQL = "('NE','1','2','3','4')"
ROLES_SQL = "('enseignant','ddfpt','apprenant','administrateur')"


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Establishment(Base):
    """The school; one row per database."""

    __tablename__ = "establishment"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    uai: Mapped[str | None] = mapped_column(String(8))
    city: Mapped[str | None] = mapped_column(String(100))
    logo: Mapped[bytes | None] = mapped_column(LargeBinary)  # PNG or JPEG, shown on PDFs


class SchoolYear(Base):
    __tablename__ = "school_year"

    id: Mapped[int] = mapped_column(primary_key=True)
    label: Mapped[str] = mapped_column(String(9), unique=True)  # "2025-2026"
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)


class Referentiel(Base):
    __tablename__ = "referentiel"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # "pmia"
    title: Mapped[str] = mapped_column(String(300))
    version: Mapped[str] = mapped_column(String(40))
    extra: Mapped[str] = mapped_column(Text, server_default="{}")  # JSON: sources, notes…
    group_extra: Mapped[str] = mapped_column(Text, server_default="{}")  # JSON: code → fields
    updated_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class CommonCompetency(Base):
    __tablename__ = "common_competency"
    __table_args__ = (UniqueConstraint("referentiel_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referentiel_id: Mapped[int] = mapped_column(ForeignKey("referentiel.id"))
    code: Mapped[str] = mapped_column(String(20))  # "CC2.1"
    title: Mapped[str] = mapped_column(Text)
    group_code: Mapped[str] = mapped_column(String(20))
    group_label: Mapped[str] = mapped_column(String(200))
    position: Mapped[int]


class Specialty(Base):
    __tablename__ = "specialty"
    __table_args__ = (UniqueConstraint("referentiel_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    referentiel_id: Mapped[int] = mapped_column(ForeignKey("referentiel.id"))
    code: Mapped[str] = mapped_column(String(20))  # "PLP", "MSPC"
    title: Mapped[str] = mapped_column(String(300))
    position: Mapped[int]
    extra: Mapped[str] = mapped_column(Text, server_default="{}")  # JSON: reference, status…


class Competency(Base):
    """A detailed competency of a specialty, e.g. [PLP] CP03."""

    __tablename__ = "competency"
    __table_args__ = (UniqueConstraint("specialty_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    specialty_id: Mapped[int] = mapped_column(ForeignKey("specialty.id"))
    code: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(Text)
    position: Mapped[int]


class Criterion(Base):
    """An indicateur de performance; maps to exactly one common competency."""

    __tablename__ = "criterion"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)  # stable id "PLP-CP03-04"
    competency_id: Mapped[int] = mapped_column(ForeignKey("competency.id"), index=True)
    common_competency_id: Mapped[int] = mapped_column(
        ForeignKey("common_competency.id"), index=True
    )
    text: Mapped[str] = mapped_column(Text)
    confidence: Mapped[str | None] = mapped_column(String(10))
    position: Mapped[int]
    extra: Mapped[str] = mapped_column(Text, server_default="{}")  # JSON: edit_note…


class SchoolClass(Base):
    __tablename__ = "school_class"
    __table_args__ = (UniqueConstraint("school_year_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id"))
    code: Mapped[str] = mapped_column(String(40))  # "1PLP1"
    label: Mapped[str] = mapped_column(String(200))
    grade: Mapped[str | None] = mapped_column(String(10))  # "2nde", "1re", "Tle"
    specialty_id: Mapped[int | None] = mapped_column(ForeignKey("specialty.id"))


class Learner(Base):
    __tablename__ = "learner"

    id: Mapped[int] = mapped_column(primary_key=True)
    ine: Mapped[str] = mapped_column(String(11), unique=True)
    family_name: Mapped[str] = mapped_column(String(100))
    first_name: Mapped[str] = mapped_column(String(100))
    birth_date: Mapped[dt.date | None] = mapped_column(Date)
    specialty_id: Mapped[int | None] = mapped_column(ForeignKey("specialty.id"))
    left_on: Mapped[dt.date | None] = mapped_column(Date)


class Enrolment(Base):
    """A learner's class for one school year."""

    __tablename__ = "enrolment"
    __table_args__ = (UniqueConstraint("learner_id", "school_year_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id", ondelete="CASCADE"))
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id"))
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"), index=True)


class User(Base):
    """An account (or the login-free local profile: an Enseignant without a password)."""

    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint(f"role IN {ROLES_SQL}", name="role"),
        Index("uq_app_user_learner_id", "learner_id", unique=True),  # one account a learner
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    login: Mapped[str] = mapped_column(String(100), unique=True)
    display_name: Mapped[str] = mapped_column(String(200))
    role: Mapped[str] = mapped_column(String(20))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    learner_id: Mapped[int | None] = mapped_column(ForeignKey("learner.id"))
    active: Mapped[bool] = mapped_column(server_default=true())
    failed_logins: Mapped[int] = mapped_column(server_default=text("0"))
    """Failed logins in a row; from the limit on, each waits longer (locked_until)."""
    locked_until: Mapped[dt.datetime | None] = mapped_column(DateTime)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(DateTime)


class Evaluation(Base):
    __tablename__ = "evaluation"
    __table_args__ = (
        CheckConstraint("nature IN ('F','E')", name="nature"),
        Index("ix_evaluation_date", "eval_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    nature: Mapped[str] = mapped_column(String(1))
    eval_date: Mapped[dt.date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(300))
    context: Mapped[str] = mapped_column(Text, server_default="")
    class_id: Mapped[int | None] = mapped_column(ForeignKey("school_class.id"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    company: Mapped[str | None] = mapped_column(String(300))
    tutor: Mapped[str | None] = mapped_column(String(200))
    pfmp_start: Mapped[dt.date | None] = mapped_column(Date)
    pfmp_end: Mapped[dt.date | None] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())


class Result(Base):
    """One level (or ABS) for one learner on one criterion in one evaluation."""

    __tablename__ = "result"
    __table_args__ = (
        # Leads with learner_id: the dashboard reads all of one learner's results.
        UniqueConstraint("learner_id", "evaluation_id", "criterion_id"),
        # The same keys and the level: the class overview's counts and the dashboard's
        # evaluation ids read the index only, not one heap page per evaluation (0007).
        Index("ix_result_learner_levels", "learner_id", "evaluation_id", "criterion_id", "level"),
        CheckConstraint(f"level IN {RESULT_LEVELS_SQL}", name="level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(
        ForeignKey("evaluation.id", ondelete="CASCADE"), index=True
    )
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id", ondelete="CASCADE"))
    criterion_id: Mapped[int] = mapped_column(ForeignKey("criterion.id"))
    level: Mapped[str] = mapped_column(String(3))
    comment: Mapped[str | None] = mapped_column(Text)


class Bilan(Base):
    """A bilan intermédiaire: draft, then final (guarded by database triggers)."""

    __tablename__ = "bilan"
    __table_args__ = (
        CheckConstraint("status IN ('draft','final')", name="status"),
        # At most one draft per learner.
        Index(
            "uq_bilan_one_draft",
            "learner_id",
            unique=True,
            sqlite_where=text("status = 'draft'"),
            postgresql_where=text("status = 'draft'"),
        ),
        Index("ix_bilan_learner_date", "learner_id", "bilan_date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id"))
    class_id: Mapped[int | None] = mapped_column(ForeignKey("school_class.id"))
    status: Mapped[str] = mapped_column(String(5), server_default="draft")
    bilan_date: Mapped[dt.date] = mapped_column(Date)
    constats: Mapped[str] = mapped_column(Text, server_default="")
    conseils: Mapped[str] = mapped_column(Text, server_default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    finalized_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    finalized_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    version: Mapped[int] = mapped_column(server_default=text("1"))
    cc_snapshot: Mapped[str | None] = mapped_column(Text)
    """JSON [[cc id, code, title], …]: the common competencies as they were when the bilan
    was finalized (its sheet and PDF show these titles, not the current référentiel's)."""
    content_hash: Mapped[str | None] = mapped_column(String(64))
    """sha256 of what the final bilan says (storage.audit_chain.content_hash)."""

    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012 - SQLAlchemy's convention


class Positioning(Base):
    """The level given to a learner on one common competency in one bilan."""

    __tablename__ = "positioning"
    __table_args__ = (
        UniqueConstraint("bilan_id", "common_competency_id"),
        CheckConstraint(f"level IN {POSITION_LEVELS_SQL}", name="level"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bilan_id: Mapped[int] = mapped_column(ForeignKey("bilan.id", ondelete="CASCADE"))
    common_competency_id: Mapped[int] = mapped_column(ForeignKey("common_competency.id"))
    level: Mapped[str] = mapped_column(String(2))


class Mark(Base):
    """A mark out of 20 computed from a final bilan, with the parameters used."""

    __tablename__ = "mark"

    id: Mapped[int] = mapped_column(primary_key=True)
    bilan_id: Mapped[int] = mapped_column(ForeignKey("bilan.id"), unique=True)
    value: Mapped[Decimal] = mapped_column(Numeric(4, 1))
    rounding: Mapped[Decimal] = mapped_column(Numeric(3, 1))
    weights: Mapped[str] = mapped_column(Text, server_default="{}")  # JSON cc code → weight
    ne_count: Mapped[int]
    computed_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class AuditEvent(Base):
    __tablename__ = "audit_event"
    __table_args__ = (
        Index("ix_audit_event_entity", "entity", "entity_id"),
        Index("ix_audit_event_at", "at"),
        # The events still to chain at commit (storage.audit_chain.seal): a handful at most.
        Index(
            "ix_audit_event_unsealed",
            "id",
            sqlite_where=text("hash IS NULL"),
            postgresql_where=text("hash IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    user_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(60))
    entity: Mapped[str] = mapped_column(String(60))
    entity_id: Mapped[int | None]
    details: Mapped[str] = mapped_column(Text, server_default="")
    session_user_id: Mapped[int | None]
    """The user logged in on the computer, when another person authorised the action
    (the DDFPT countersigning an unlock at a teacher's computer)."""
    # The tamper-evident chain (storage.audit_chain): written once, at commit.
    personal_hash: Mapped[str | None] = mapped_column(String(64))
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    hash: Mapped[str | None] = mapped_column(String(64))


class Setting(Base):
    """Establishment-wide settings (suggestion method, mark rounding, CC weights…), JSON values."""

    __tablename__ = "setting"

    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


class ChangeEvent(Base):
    """A committed change that other open apps must show (see livret.storage.changes).

    `learner_ids` and `class_ids` are comma-separated ids; empty means none. `origin`
    identifies the app instance that made the change, so it can ignore its own.
    """

    __tablename__ = "change_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
    origin: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40))
    learner_ids: Mapped[str] = mapped_column(Text, server_default="")
    class_ids: Mapped[str] = mapped_column(Text, server_default="")
    bilan_id: Mapped[int | None]


class ConseilRemark(Base):
    """The teacher's one-line remark on a learner for one conseil de classe (may be empty)."""

    __tablename__ = "conseil_remark"
    # Leads with the class and the date: the conseil view reads one class's remarks.
    __table_args__ = (UniqueConstraint("class_id", "conseil_date", "learner_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    class_id: Mapped[int] = mapped_column(ForeignKey("school_class.id"))
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id", ondelete="CASCADE"))
    conseil_date: Mapped[dt.date] = mapped_column(Date)
    text: Mapped[str] = mapped_column(Text, server_default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())


class LslClassSetting(Base):
    """LSL Pro: the periodicity of a class's mean marks, set by the Administrateur."""

    __tablename__ = "lsl_class_setting"
    __table_args__ = (
        CheckConstraint("periodicity IN ('trimestre','semestre')", name="periodicity"),
    )

    class_id: Mapped[int] = mapped_column(
        ForeignKey("school_class.id", ondelete="CASCADE"), primary_key=True
    )
    periodicity: Mapped[str] = mapped_column(String(10))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())


class LslAppreciation(Base):
    """LSL Pro: the appréciation of one learner for one school year."""

    __tablename__ = "lsl_appreciation"
    __table_args__ = (UniqueConstraint("learner_id", "school_year_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id", ondelete="CASCADE"))
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id"))
    text: Mapped[str] = mapped_column(Text, server_default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())


class LslDegree(Base):
    """LSL Pro: the degree of mastery (1–4) a teacher chose for a competency of the specialty."""

    __tablename__ = "lsl_degree"
    __table_args__ = (
        UniqueConstraint("learner_id", "school_year_id", "competency_id"),
        CheckConstraint("degree IN ('1','2','3','4')", name="degree"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id", ondelete="CASCADE"))
    school_year_id: Mapped[int] = mapped_column(ForeignKey("school_year.id"))
    competency_id: Mapped[int] = mapped_column(ForeignKey("competency.id", ondelete="CASCADE"))
    degree: Mapped[str] = mapped_column(String(1))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())


class LslPfmpFill(Base):
    """LSL Pro: what a teacher filled in where a PFMP's company evaluations left it empty.

    Keyed by the PFMP's first company evaluation (livret.domain.lsl.group_pfmps).
    """

    __tablename__ = "lsl_pfmp_fill"
    __table_args__ = (UniqueConstraint("learner_id", "evaluation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    learner_id: Mapped[int] = mapped_column(ForeignKey("learner.id", ondelete="CASCADE"))
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluation.id", ondelete="CASCADE"))
    company: Mapped[str | None] = mapped_column(String(300))
    tutor: Mapped[str | None] = mapped_column(String(200))
    pfmp_start: Mapped[dt.date | None] = mapped_column(Date)
    pfmp_end: Mapped[dt.date | None] = mapped_column(Date)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime, server_default=func.now())
