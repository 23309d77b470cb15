"""Writing evaluations in the caller's transaction: create, update and delete, with their audit.

create writes the evaluation, its results (one bulk insert) and an audit event; cells
left empty in the grid are simply not sent, so they get no result row. update and
delete lock the evaluation's row, then insert, update and delete results set-based.

Changing what a learner's final bilan was built on (a result covered by it, see
evaluation_queries), or adding results dated inside their closed period (a new
evaluation backdated on or before their latest final bilan), needs
`confirm_covered=True`, checked here inside the writing transaction so a bilan
finalized since the dialog opened counts, and leaves an extra audit event saying
what changed for whom.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from livret.domain.errors import ConflictError, NotFound, ValidationError
from livret.domain.roles import Actor
from livret.services import audit
from livret.services.evaluation_dto import (
    CoveredByFinalBilan,
    CoveredLearner,
    EvaluationChange,
    covered_summary,
    french_day,
)
from livret.services.evaluation_queries import gone_message, in_chunks, read_covered
from livret.storage import models

CREATED_ACTION = "evaluation_created"
UPDATED_ACTION = "evaluation_updated"
DELETED_ACTION = "evaluation_deleted"
CHANGED_AFTER_FINAL_ACTION = "evaluation_changed_after_final"
DELETED_AFTER_FINAL_ACTION = "evaluation_deleted_after_final"
ADDED_AFTER_FINAL_ACTION = "results_added_after_final"
"""Results added (a new evaluation, an import) inside a learner's closed period."""

_FIELD_LABELS: dict[str, str] = {
    "nature": "nature",
    "eval_date": "date",
    "title": "titre",
    "context": "contexte",
    "class_id": "classe",
    "company": "entreprise",
    "tutor": "tuteur",
    "pfmp_start": "début de PFMP",
    "pfmp_end": "fin de PFMP",
}


def create_evaluation(
    session: Session,
    actor: Actor,
    values: dict[str, object],
    rows: list[dict[str, Any]],
    confirm_covered: bool = False,
) -> int:
    """Insert the evaluation (checked values) and its result rows; returns its id.

    Results dated inside a learner's closed period (on or before their latest final
    bilan) need confirm_covered, checked here in the writing transaction, and leave an
    extra audit event naming those learners.
    """
    _require_references(session, values, rows)
    eval_date = values["eval_date"]
    assert isinstance(eval_date, dt.date)
    per_learner: dict[int, int] = {}
    for row in rows:
        per_learner[row["learner_id"]] = per_learner.get(row["learner_id"], 0) + 1
    covered = read_covered(session, dict.fromkeys(per_learner, eval_date))
    if covered and not confirm_covered:
        raise CoveredByFinalBilan(_closed_period_message(covered, eval_date), covered)
    evaluation_id = session.scalar(
        insert(models.Evaluation)
        .values(author_id=actor.user_id, created_at=dt.datetime.now(), **values)
        .returning(models.Evaluation.id)
    )
    assert evaluation_id is not None
    session.execute(
        insert(models.Result), [{**row, "evaluation_id": evaluation_id} for row in rows]
    )
    _audit(
        session,
        actor,
        CREATED_ACTION,
        evaluation_id,
        f"{values['nature']} « {values['title']} » : {len(rows)} résultat(s)",
    )
    if covered:
        audit_added_after_final(
            session,
            actor,
            evaluation_id,
            f"{values['nature']} « {values['title']} » du {french_day(eval_date)}",
            covered,
            per_learner,
        )
    return evaluation_id


def audit_added_after_final(
    session: Session,
    actor: Actor,
    evaluation_id: int,
    heading: str,
    covered: Sequence[CoveredLearner],
    added: Mapping[int, int],
) -> None:
    """One event: the results added to `evaluation_id` for each covered learner."""
    lines = [heading, "ajouté dans une période close, après le bilan définitif de :"]
    lines.extend(
        f"{learner.label} : {added.get(learner.learner_id, 0)} résultat(s) ajouté(s)"
        for learner in covered
    )
    _audit(session, actor, ADDED_AFTER_FINAL_ACTION, evaluation_id, "\n".join(lines))


def update_evaluation(
    session: Session,
    actor: Actor,
    evaluation_id: int,
    values: dict[str, Any],
    rows: list[dict[str, Any]],
    confirm_covered: bool,
    seen: tuple[dict[str, Any], list[dict[str, Any]]] | None = None,
) -> EvaluationChange:
    """Make the stored evaluation equal to the checked values and rows, set-based.

    Nothing is written when nothing changed; covered learners need confirm_covered.
    `seen` (checked like the draft) is the evaluation as the user saw it: when the
    stored one differs, it was changed elsewhere since, and ConflictError is raised.
    """
    # The row lock makes two saves of the same evaluation (PostgreSQL) wait in turn,
    # and `seen` makes the second one fail instead of undoing the first; SQLite
    # writers are serialized anyway.
    evaluation = session.get(models.Evaluation, evaluation_id, with_for_update=True)
    if evaluation is None:
        raise NotFound(gone_message(evaluation_id))
    _require_references(session, values, rows)
    result = models.Result
    old: dict[tuple[int, int], tuple[int, str, str | None]] = {
        (learner_id, criterion_id): (result_id, level, comment)
        for result_id, learner_id, criterion_id, level, comment in session.execute(
            select(
                result.id, result.learner_id, result.criterion_id, result.level, result.comment
            ).where(result.evaluation_id == evaluation_id)
        )
    }
    if seen is not None:
        seen_values, seen_rows = seen
        seen_results = {
            (row["learner_id"], row["criterion_id"]): (row["level"], row["comment"])
            for row in seen_rows
        }
        if _field_changes(evaluation, seen_values) or seen_results != {
            key: stored[1:] for key, stored in old.items()
        }:
            raise ConflictError(
                "Cette évaluation a été modifiée sur un autre poste depuis que vous l'avez "
                "ouverte : rien n'a été enregistré. Fermez-la puis rouvrez-la pour voir ces "
                "changements."
            )
    new = {(row["learner_id"], row["criterion_id"]): row for row in rows}
    removed = sorted(old.keys() - new.keys())
    added = sorted(new.keys() - old.keys())
    changed = sorted(
        key
        for key in new.keys() & old.keys()
        if old[key][1:] != (new[key]["level"], new[key]["comment"])
    )
    fields = _field_changes(evaluation, values)
    if not (removed or added or changed or fields):
        return EvaluationChange(evaluation_id)

    # Covered before the change (old date) or after it (new date): read here, in the
    # writing transaction, so a bilan finalized since the dialog opened counts.
    dates: dict[int, dt.date] = {}
    for learner_id, _ in old:
        dates[learner_id] = evaluation.eval_date
    for learner_id, _ in new:
        dates[learner_id] = min(values["eval_date"], dates.get(learner_id, dt.date.max))
    touched = {learner_id for learner_id, _ in (*removed, *added, *changed)}
    covered = tuple(
        learner
        for learner in read_covered(session, dates)
        if fields or learner.learner_id in touched
    )
    if covered and not confirm_covered:
        raise CoveredByFinalBilan(_covered_message(covered, deleting=False), covered)

    if fields:
        session.execute(
            update(models.Evaluation).where(models.Evaluation.id == evaluation_id).values(**values)
        )
    for chunk in in_chunks([old[key][0] for key in removed]):
        session.execute(delete(result).where(result.id.in_(chunk)))
    if changed:
        session.execute(
            update(result),
            [
                {"id": old[key][0], "level": new[key]["level"], "comment": new[key]["comment"]}
                for key in changed
            ],
        )
    if added:
        session.execute(
            insert(result), [{**new[key], "evaluation_id": evaluation_id} for key in added]
        )
    summary = (
        f"{values['nature']} « {values['title']} » : {len(added)} résultat(s) ajouté(s), "
        f"{len(changed)} modifié(s), {len(removed)} supprimé(s)"
    )
    if fields:
        summary += " ; " + ", ".join(label for label, _ in fields) + " modifié(s)"
    _audit(session, actor, UPDATED_ACTION, evaluation_id, summary)
    if covered:
        codes = _criterion_codes(session, {key[1] for key in (*removed, *added, *changed)})
        lines = [f"{values['nature']} « {values['title']} » du {french_day(values['eval_date'])}"]
        lines.extend(f"évaluation : {change}" for _, change in fields)
        for learner in covered:
            what = [
                *(
                    f"{codes[c]} ajouté ({new[(lid, c)]['level']})"
                    for lid, c in added
                    if lid == learner.learner_id
                ),
                *(
                    _result_change(codes[c], old[(lid, c)], new[(lid, c)])
                    for lid, c in changed
                    if lid == learner.learner_id
                ),
                *(
                    f"{codes[c]} supprimé (était {old[(lid, c)][1]})"
                    for lid, c in removed
                    if lid == learner.learner_id
                ),
            ]
            lines.append(f"{learner.label} : {', '.join(what) or 'résultats inchangés'}")
        _audit(session, actor, CHANGED_AFTER_FINAL_ACTION, evaluation_id, "\n".join(lines))
    return EvaluationChange(
        evaluation_id,
        inserted=len(added),
        updated=len(changed),
        deleted=len(removed),
        fields=tuple(label for label, _ in fields),
        covered=covered,
    )


def delete_evaluation(
    session: Session, actor: Actor, evaluation_id: int, confirm_covered: bool
) -> EvaluationChange:
    """Delete the evaluation and its results; covered ones need confirm_covered."""
    evaluation = session.get(models.Evaluation, evaluation_id, with_for_update=True)
    if evaluation is None:
        raise NotFound(gone_message(evaluation_id))
    result = models.Result
    per_learner: dict[int, int] = {
        learner_id: int(count)
        for learner_id, count in session.execute(
            select(result.learner_id, func.count(result.id))
            .where(result.evaluation_id == evaluation_id)
            .group_by(result.learner_id)
        )
    }
    covered = read_covered(session, dict.fromkeys(per_learner, evaluation.eval_date))
    if covered and not confirm_covered:
        raise CoveredByFinalBilan(_covered_message(covered, deleting=True), covered)
    total = sum(per_learner.values())
    summary = (
        f"{evaluation.nature} « {evaluation.title} » du {french_day(evaluation.eval_date)} : "
        f"{total} résultat(s) supprimé(s)"
    )
    # The results go with it (ON DELETE CASCADE).
    session.execute(delete(models.Evaluation).where(models.Evaluation.id == evaluation_id))
    _audit(session, actor, DELETED_ACTION, evaluation_id, summary)
    if covered:
        lines = [summary, "déjà pris en compte par le bilan définitif de :"]
        lines.extend(
            f"{learner.label} : {per_learner[learner.learner_id]} résultat(s)"
            for learner in covered
        )
        _audit(session, actor, DELETED_AFTER_FINAL_ACTION, evaluation_id, "\n".join(lines))
    return EvaluationChange(evaluation_id, deleted=total, covered=covered)


def _audit(session: Session, actor: Actor, action: str, evaluation_id: int, details: str) -> None:
    audit.record(session, actor, action, "evaluation", evaluation_id, details)


def _require_references(
    session: Session, values: Mapping[str, object], rows: list[dict[str, Any]]
) -> None:
    """Refuse a class, learner or criterion that does not exist (any more)."""
    class_id = values["class_id"]
    if class_id is not None and session.get(models.SchoolClass, class_id) is None:
        raise ValidationError(f"Classe introuvable (n° {class_id}) : rien n'a été enregistré.")
    _require_known(session, models.Learner.id, {r["learner_id"] for r in rows}, "Apprenant")
    _require_known(session, models.Criterion.id, {r["criterion_id"] for r in rows}, "Critère")


def _require_known(
    session: Session, column: InstrumentedAttribute[int], ids: set[int], label: str
) -> None:
    """Refuse ids that name no row (set-based, by chunks)."""
    wanted = sorted(ids)
    known: set[int] = set()
    for chunk in in_chunks(wanted):
        known.update(session.scalars(select(column).where(column.in_(chunk))))
    unknown = [i for i in wanted if i not in known]
    if unknown:
        raise ValidationError(
            f"{label} introuvable (n° {', '.join(map(str, unknown))}) : rien n'a été enregistré."
        )


def _criterion_codes(session: Session, criterion_ids: set[int]) -> dict[int, str]:
    codes: dict[int, str] = {}
    criterion = models.Criterion
    for chunk in in_chunks(sorted(criterion_ids)):
        rows = session.execute(select(criterion.id, criterion.code).where(criterion.id.in_(chunk)))
        codes.update((criterion_id, code) for criterion_id, code in rows)
    return codes


def _field_changes(
    evaluation: models.Evaluation, values: Mapping[str, object]
) -> list[tuple[str, str]]:
    """(label, "label before → after") of each header field the draft changes."""
    changes = []
    for name, label in _FIELD_LABELS.items():
        before, after = getattr(evaluation, name), values[name]
        if before != after:
            changes.append((label, f"{label} {_shown(before)} → {_shown(after)}"))
    return changes


def _shown(value: object) -> str:
    if value is None or value == "":
        return "(vide)"
    if isinstance(value, dt.date):
        return french_day(value)
    if isinstance(value, str):
        return f"« {value} »"
    return f"n° {value}"


def _result_change(code: str, before: tuple[int, str, str | None], after: Mapping[str, Any]) -> str:
    parts = []
    if before[1] != after["level"]:
        parts.append(f"{before[1]} → {after['level']}")
    if before[2] != after["comment"]:
        parts.append("commentaire modifié")
    return f"{code} : {', '.join(parts)}"


def _closed_period_message(covered: Sequence[CoveredLearner], eval_date: dt.date) -> str:
    return (
        f"Cette évaluation du {french_day(eval_date)} tombe dans une période close, déjà "
        f"couverte par un bilan définitif pour {covered_summary(covered)}. Confirmez pour "
        "l'enregistrer quand même : l'ajout sera tracé dans le journal. Rien n'a été enregistré."
    )


def _covered_message(covered: Sequence[CoveredLearner], *, deleting: bool) -> str:
    if deleting:
        ask = "Confirmez pour la supprimer quand même : la suppression sera tracée dans le journal."
    else:
        ask = "Confirmez pour la modifier quand même : la modification sera tracée dans le journal."
    return (
        f"Cette évaluation est déjà prise en compte par un bilan définitif pour "
        f"{covered_summary(covered)}. {ask} Rien n'a été enregistré."
    )
