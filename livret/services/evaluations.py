"""Evaluations: the criteria tree to choose from, the grid saved at once, and later changes.

EvaluationService is the door the UI and the CLI use: it checks who may write, runs
each call in one transaction (nothing is written on any error) and hands back frozen
dataclasses. The work is shared out: evaluation_dto (what goes in and out),
evaluation_rules (what a draft must satisfy), evaluation_queries (the reads) and
evaluation_changes (the writes and their audit). Their public names are importable
from here.

Any teacher (and the DDFPT) may change or delete any evaluation of the
establishment, not only their own: a team shares its classes' evaluations, and a
colleague often completes or corrects a grid. Every change is audited under the
name of whoever made it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from livret.domain.errors import ConflictError
from livret.domain.permissions import Action, require_all
from livret.domain.roles import Actor
from livret.services.change_log import note_change
from livret.services.database import Database
from livret.services.evaluation_changes import (
    ADDED_AFTER_FINAL_ACTION,
    CHANGED_AFTER_FINAL_ACTION,
    CREATED_ACTION,
    DELETED_ACTION,
    DELETED_AFTER_FINAL_ACTION,
    UPDATED_ACTION,
    create_evaluation,
    delete_evaluation,
    update_evaluation,
)
from livret.services.evaluation_dto import (
    COVERED_NAMES_SHOWN,
    CompetencyNode,
    CoveredByFinalBilan,
    CoveredLearner,
    CriterionItem,
    EvaluationChange,
    EvaluationDetails,
    EvaluationDraft,
    EvaluationRow,
    GridResult,
    SpecialtyNode,
    covered_summary,
)
from livret.services.evaluation_queries import (
    IN_CHUNK,
    read_class_evaluations,
    read_criteria_tree,
    read_details,
)
from livret.services.evaluation_rules import (
    COMPANY_MAX,
    NATURES,
    TITLE_MAX,
    TUTOR_MAX,
    checked_draft,
)
from livret.storage import models

__all__ = [
    "ADDED_AFTER_FINAL_ACTION",
    "CHANGED_AFTER_FINAL_ACTION",
    "COMPANY_MAX",
    "COVERED_NAMES_SHOWN",
    "CREATED_ACTION",
    "DELETED_ACTION",
    "DELETED_AFTER_FINAL_ACTION",
    "IN_CHUNK",
    "NATURES",
    "TITLE_MAX",
    "TUTOR_MAX",
    "UPDATED_ACTION",
    "CompetencyNode",
    "CoveredByFinalBilan",
    "CoveredLearner",
    "CriterionItem",
    "EvaluationChange",
    "EvaluationDetails",
    "EvaluationDraft",
    "EvaluationRow",
    "EvaluationService",
    "GridResult",
    "SpecialtyNode",
    "covered_summary",
]

_T = TypeVar("_T")


class EvaluationService:
    """Use cases on evaluations; each call is one transaction."""

    def __init__(self, database: Database, actor: Actor) -> None:
        self._database = database
        self._actor = actor

    @property
    def actor(self) -> Actor:
        return self._actor

    def criteria_tree(self) -> tuple[SpecialtyNode, ...]:
        """Specialty → competency → criterion, référentiel order (one query)."""
        require_all(self._actor, Action.VIEW_EVALUATIONS)
        with self._database.sessions() as session:
            return read_criteria_tree(session)

    def list_for_class(self, class_id: int) -> tuple[EvaluationRow, ...]:
        """The class's evaluations, latest first, in one query.

        An evaluation of no class (imported for learners who shared none) is listed
        with every class one of its learners belongs to.
        """
        require_all(self._actor, Action.VIEW_EVALUATIONS)
        with self._database.snapshot() as connection:
            return read_class_evaluations(connection, class_id)

    def load(self, evaluation_id: int) -> EvaluationDetails:
        """The evaluation, its results and who it is covered for (one consistent read)."""
        require_all(self._actor, Action.VIEW_EVALUATIONS)
        with self._database.snapshot() as connection:
            return read_details(connection, evaluation_id)

    def create(self, draft: EvaluationDraft, *, confirm_covered: bool = False) -> int:
        """Write the evaluation and its results in one transaction; returns its id.

        The whole draft is checked first (see evaluation_rules), every problem at once.
        An evaluation dated inside a closed period of a learner it has results for (on
        or before their latest final bilan) raises CoveredByFinalBilan, naming them,
        unless confirm_covered; it is then audited as added after a final bilan.
        """
        require_all(self._actor, Action.WRITE_EVALUATIONS)
        values, rows = checked_draft(draft)
        return self._write(
            lambda session: create_evaluation(session, self._actor, values, rows, confirm_covered),
            evaluation_id=None,
        )

    def update(
        self,
        evaluation_id: int,
        draft: EvaluationDraft,
        *,
        confirm_covered: bool = False,
        expected: EvaluationDraft | None = None,
    ) -> EvaluationChange:
        """Replace the evaluation's fields and results by the draft's, in one transaction.

        Results are inserted, updated and deleted set-based; nothing is written when
        nothing changed. A change touching a learner whose final bilan covers the
        evaluation (before or after the change of date) raises CoveredByFinalBilan
        unless confirm_covered, and is then audited as changed after a final bilan.
        With `expected` (the draft load() gave when the dialog opened), a stored
        evaluation that differs from it, changed on another computer since, raises
        ConflictError and nothing is written: a colleague's results are never
        overwritten unseen.
        """
        require_all(self._actor, Action.WRITE_EVALUATIONS)
        values, rows = checked_draft(draft)
        seen = checked_draft(expected) if expected is not None else None
        return self._write(
            lambda session: update_evaluation(
                session, self._actor, evaluation_id, values, rows, confirm_covered, seen
            ),
            evaluation_id=evaluation_id,
        )

    def delete(self, evaluation_id: int, *, confirm_covered: bool = False) -> EvaluationChange:
        """Delete the evaluation and its results; covered ones need confirm_covered."""
        require_all(self._actor, Action.WRITE_EVALUATIONS)
        return self._write(
            lambda session: delete_evaluation(session, self._actor, evaluation_id, confirm_covered),
            evaluation_id=evaluation_id,
        )

    def _write(self, work: Callable[[Session], _T], *, evaluation_id: int | None) -> _T:
        """Run one transaction, turning database refusals into French errors.

        The learners whose results it touched (before or after) are noted in the change
        log, so that the other open apps refresh their dashboards.
        """
        try:
            with self._database.transaction() as session:
                before = _learners_of(session, evaluation_id)
                done = work(session)
                written = evaluation_id if evaluation_id is not None else done
                after = _learners_of(session, written) if isinstance(written, int) else set()
                if before or after:
                    note_change(
                        session,
                        self._database,
                        self._actor,
                        "evaluation",
                        learner_ids=before | after,
                    )
                return done
        except IntegrityError:
            raise ConflictError(
                "L'évaluation n'a pas pu être enregistrée (données modifiées ailleurs) : "
                "rien n'a été enregistré."
            ) from None
        except OperationalError as exc:
            if "locked" in str(exc.orig):
                raise ConflictError(
                    "La base est occupée : rien n'a été enregistré, recommencez."
                ) from None
            raise


def _learners_of(session: Session, evaluation_id: int | None) -> set[int]:
    """The learners with a result in the evaluation (one indexed query)."""
    if evaluation_id is None:
        return set()
    return set(
        session.scalars(
            select(models.Result.learner_id)
            .where(models.Result.evaluation_id == evaluation_id)
            .distinct()
        )
    )
