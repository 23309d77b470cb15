"""Read the school years, classes and learners that the selectors offer."""

from __future__ import annotations

from sqlalchemy import func, select

from livret.domain.errors import NotFound
from livret.domain.permissions import Action, require_all
from livret.domain.roles import Actor
from livret.services.database import Database
from livret.services.database_errors import reads_database
from livret.services.dto import ClassInfo, LearnerSummary, SchoolYearInfo, sort_key
from livret.storage import models


class CatalogService:
    """Lists for the class and learner selectors (one query each)."""

    def __init__(self, database: Database, actor: Actor) -> None:
        self._database = database
        self._actor = actor

    @reads_database
    def list_school_years(self) -> tuple[SchoolYearInfo, ...]:
        require_all(self._actor, Action.LIST_CLASSES)
        year = models.SchoolYear
        with self._database.sessions() as session:
            rows = session.execute(
                select(year.id, year.label, year.start_date, year.end_date).order_by(
                    year.start_date.desc()
                )
            )
            return tuple(SchoolYearInfo(*row) for row in rows)

    @reads_database
    def list_specialties(self) -> tuple[tuple[str, str], ...]:
        """(code, title) of every specialty, référentiel order: the dashboard's filter.

        Open to every role: it is the référentiel's, not about any learner.
        """
        specialty = models.Specialty
        with self._database.sessions() as session:
            rows = session.execute(
                select(specialty.code, specialty.title).order_by(
                    specialty.referentiel_id, specialty.position
                )
            )
            return tuple((code, title) for code, title in rows)

    @reads_database
    def list_classes(self) -> tuple[ClassInfo, ...]:
        """Every class, the most recent school year first, then by code."""
        require_all(self._actor, Action.LIST_CLASSES)
        cls, year, enrolment = models.SchoolClass, models.SchoolYear, models.Enrolment
        counts = (
            select(enrolment.class_id, func.count().label("n"))
            .group_by(enrolment.class_id)
            .subquery()
        )
        query = (
            select(
                cls.id,
                cls.code,
                cls.label,
                cls.grade,
                models.Specialty.code,
                year.id,
                year.label,
                func.coalesce(counts.c.n, 0),
            )
            .join(year, year.id == cls.school_year_id)
            .outerjoin(models.Specialty, models.Specialty.id == cls.specialty_id)
            .outerjoin(counts, counts.c.class_id == cls.id)
            .order_by(year.start_date.desc(), cls.code)
        )
        with self._database.sessions() as session:
            return tuple(ClassInfo(*row) for row in session.execute(query))

    @reads_database
    def list_learners(self, class_id: int) -> tuple[LearnerSummary, ...]:
        """The learners enrolled in a class, by family name then first name."""
        require_all(self._actor, Action.LIST_CLASSES)
        learner, enrolment = models.Learner, models.Enrolment
        with self._database.sessions() as session:
            if session.get(models.SchoolClass, class_id) is None:
                raise NotFound(f"Classe introuvable (n° {class_id}).")
            rows = session.execute(
                select(
                    learner.id,
                    learner.ine,
                    learner.family_name,
                    learner.first_name,
                    learner.left_on,
                )
                .join(enrolment, enrolment.learner_id == learner.id)
                .where(enrolment.class_id == class_id)
            )
            learners = [LearnerSummary(*row) for row in rows]
        # Sorted here, not in SQL: SQLite and PostgreSQL collate accents differently.
        learners.sort(key=lambda s: (sort_key(s.family_name), sort_key(s.first_name), s.id))
        return tuple(learners)
