"""Evaluations: the criteria tree to choose from, the grid saved at once, and later changes.

create() checks the whole draft before writing (nature, title, date, company for an
E, every level, every learner and criterion) and writes the evaluation, its results
(one bulk insert) and an audit event in one transaction: nothing is written on any
error. Cells left empty in the grid are simply not sent, so they get no result row.

update() and delete() work the same way on an existing evaluation. A result is
*covered* by a final bilan when the evaluation's date is on or before the learner's
latest final bilan (the rule of the results import): changing what such a learner's
final bilan was built on needs `confirm_covered=True`, checked again inside the
writing transaction, and leaves an extra audit event saying what changed for whom.

Any teacher (and the DDFPT) may change or delete any evaluation of the
establishment, not only their own: a team shares its classes' evaluations, and a
colleague often completes or corrects a grid. Every change is audited under the
name of whoever made it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Connection, and_, delete, exists, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from livret.domain.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from livret.domain.levels import parse_result_level
from livret.domain.roles import Actor
from livret.services.database import Database
from livret.services.dto import LearnerSummary, display_name, sort_key
from livret.storage import models

CREATED_ACTION = "evaluation_created"
UPDATED_ACTION = "evaluation_updated"
DELETED_ACTION = "evaluation_deleted"
CHANGED_AFTER_FINAL_ACTION = "evaluation_changed_after_final"
DELETED_AFTER_FINAL_ACTION = "evaluation_deleted_after_final"
DENIED_MESSAGE = "Seuls les enseignants et le DDFPT saisissent et modifient des évaluations."
COVERED_NAMES_SHOWN = 8
"""Learners named in a message before "et N autres"."""
NATURES: dict[str, str] = {"F": "Formation", "E": "Entreprise"}
TITLE_MAX = 300
COMPANY_MAX = 300
TUTOR_MAX = 200
IN_CHUNK = 5_000
"""Values per IN (…) list: well under SQLite's and PostgreSQL's bound-parameter limits."""

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class CriterionItem:
    """A criterion that can be evaluated, with the code of the CC it maps to."""

    id: int
    code: str
    text: str
    cc_code: str


@dataclass(frozen=True, slots=True)
class CompetencyNode:
    code: str
    title: str
    criteria: tuple[CriterionItem, ...]


@dataclass(frozen=True, slots=True)
class SpecialtyNode:
    code: str
    title: str
    competencies: tuple[CompetencyNode, ...]


@dataclass(frozen=True, slots=True)
class GridResult:
    """One filled cell of the grid: a level code or symbol (NE, 1–4, ABS, --, -, +, ++)."""

    learner_id: int
    criterion_id: int
    level: str
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class EvaluationDraft:
    """A new evaluation and its results, as entered in the dialog."""

    nature: str
    """'F' (formation) or 'E' (entreprise)."""
    eval_date: dt.date
    title: str
    context: str = ""
    class_id: int | None = None
    company: str | None = None
    tutor: str | None = None
    pfmp_start: dt.date | None = None
    pfmp_end: dt.date | None = None
    results: tuple[GridResult, ...] = ()


@dataclass(frozen=True, slots=True)
class CoveredLearner:
    """A learner whose latest final bilan already took an evaluation into account."""

    learner_id: int
    name: str
    bilan_date: dt.date

    @property
    def label(self) -> str:
        return f"{self.name} (bilan du {_day(self.bilan_date)})"


def covered_summary(covered: Sequence[CoveredLearner], limit: int = COVERED_NAMES_SHOWN) -> str:
    """'BRUN Léa, ROUX Paul (bilan du 20/03/2026) et 3 autres', for messages.

    Names sharing a bilan date (a class's council) are grouped under it.
    """
    shown = covered[:limit]
    by_date: dict[dt.date, list[str]] = {}
    for learner in shown:
        by_date.setdefault(learner.bilan_date, []).append(learner.name)
    text = " ; ".join(
        f"{', '.join(names)} (bilan du {_day(day)})" for day, names in by_date.items()
    )
    rest = len(covered) - len(shown)
    if rest > 0:
        text += f" et {rest} autre{'s' if rest > 1 else ''}"
    return text


class CoveredByFinalBilan(ConflictError):
    """The change touches results a final bilan was built on: it needs confirm_covered=True."""

    def __init__(self, message: str, covered: tuple[CoveredLearner, ...]) -> None:
        super().__init__(message)
        self.covered = covered


@dataclass(frozen=True, slots=True)
class EvaluationDetails:
    """A stored evaluation as the dialog edits it: sending `draft` back changes nothing."""

    id: int
    draft: EvaluationDraft
    """The evaluation's fields and its results (learners alphabetical, criteria in order)."""
    author: str | None
    learners: tuple[LearnerSummary, ...]
    """The learners with a result, in French alphabetical order."""
    criteria: tuple[CriterionItem, ...]
    """The criteria with a result, in référentiel order."""
    covered: tuple[CoveredLearner, ...]
    """Learners with a result whose latest final bilan is on or after the evaluation's date."""


@dataclass(frozen=True, slots=True)
class EvaluationRow:
    """One line of the list of a class's evaluations."""

    id: int
    eval_date: dt.date
    nature: str
    title: str
    author: str | None
    result_count: int
    covered: bool
    """Some result is already taken into account by a final bilan."""


@dataclass(frozen=True, slots=True)
class EvaluationChange:
    """What update() or delete() did; nothing at all when the draft equalled the stored one."""

    evaluation_id: int
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    """Results removed (all of them when the evaluation was deleted)."""
    fields: tuple[str, ...] = ()
    """French names of the header fields that changed ("titre", "date"…)."""
    covered: tuple[CoveredLearner, ...] = ()
    """Learners with a final bilan whose evidence changed (the user confirmed it)."""

    @property
    def changed(self) -> bool:
        return bool(self.inserted or self.updated or self.deleted or self.fields)


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
        specialty, competency = models.Specialty, models.Competency
        criterion, cc = models.Criterion, models.CommonCompetency
        query = (
            select(
                specialty.code,
                specialty.title,
                competency.code,
                competency.title,
                criterion.id,
                criterion.code,
                criterion.text,
                cc.code,
            )
            .join(competency, competency.specialty_id == specialty.id)
            .join(criterion, criterion.competency_id == competency.id)
            .join(cc, cc.id == criterion.common_competency_id)
            .order_by(
                specialty.referentiel_id,
                specialty.position,
                specialty.id,
                competency.position,
                competency.id,
                criterion.position,
                criterion.id,
            )
        )
        with self._database.sessions() as session:
            rows = session.execute(query).all()
        # Group consecutive rows (already ordered) into the tree.
        specialties: list[tuple[str, str, list[tuple[str, str, list[CriterionItem]]]]] = []
        for sp_code, sp_title, co_code, co_title, cr_id, cr_code, cr_text, cc_code in rows:
            if not specialties or specialties[-1][0] != sp_code:
                specialties.append((sp_code, sp_title, []))
            competencies = specialties[-1][2]
            if not competencies or competencies[-1][0] != co_code:
                competencies.append((co_code, co_title, []))
            competencies[-1][2].append(CriterionItem(cr_id, cr_code, cr_text, cc_code))
        return tuple(
            SpecialtyNode(
                sp_code,
                sp_title,
                tuple(
                    CompetencyNode(co_code, co_title, tuple(items))
                    for co_code, co_title, items in competencies
                ),
            )
            for sp_code, sp_title, competencies in specialties
        )

    def list_for_class(self, class_id: int) -> tuple[EvaluationRow, ...]:
        """The class's evaluations, latest first, in one query.

        An evaluation of no class (imported for learners who shared none) is listed
        with every class one of its learners belongs to.
        """
        evaluation, user = models.Evaluation, models.User
        counted, result, member = (aliased(models.Result) for _ in range(3))
        bilan, enrolment = models.Bilan, models.Enrolment
        result_count = (
            select(func.count(counted.id))
            .where(counted.evaluation_id == evaluation.id)
            .scalar_subquery()
        )
        covered = exists().where(
            result.evaluation_id == evaluation.id,
            bilan.learner_id == result.learner_id,
            bilan.status == "final",
            bilan.bilan_date >= evaluation.eval_date,
        )
        has_class_learner = exists().where(
            member.evaluation_id == evaluation.id,
            enrolment.learner_id == member.learner_id,
            enrolment.class_id == class_id,
        )
        query = (
            select(
                evaluation.id,
                evaluation.eval_date,
                evaluation.nature,
                evaluation.title,
                user.display_name,
                result_count,
                covered,
            )
            .outerjoin(user, user.id == evaluation.author_id)
            .where(
                or_(
                    evaluation.class_id == class_id,
                    and_(evaluation.class_id.is_(None), has_class_learner),
                )
            )
            .order_by(evaluation.eval_date.desc(), evaluation.id.desc())
        )
        with self._database.snapshot() as connection:
            if connection.scalar(select(models.SchoolClass.id).filter_by(id=class_id)) is None:
                raise NotFound(f"Classe introuvable (n° {class_id}).")
            rows = connection.execute(query).all()
        return tuple(
            EvaluationRow(id_, day, nature, title, author, int(count or 0), bool(is_covered))
            for id_, day, nature, title, author, count, is_covered in rows
        )

    def load(self, evaluation_id: int) -> EvaluationDetails:
        """The evaluation, its results and who it is covered for (one consistent read)."""
        with self._database.snapshot() as connection:
            return _read_details(connection, evaluation_id)

    def create(self, draft: EvaluationDraft) -> int:
        """Write the evaluation and its results in one transaction; returns its id."""
        self._require_may_write()
        values, rows = _checked(draft)
        return self._write(lambda session: self._create(session, values, rows))

    def update(
        self, evaluation_id: int, draft: EvaluationDraft, *, confirm_covered: bool = False
    ) -> EvaluationChange:
        """Replace the evaluation's fields and results by the draft's, in one transaction.

        Results are inserted, updated and deleted set-based; nothing is written when
        nothing changed. A change touching a learner whose final bilan covers the
        evaluation (before or after the change of date) raises CoveredByFinalBilan
        unless confirm_covered, and is then audited as changed after a final bilan.
        """
        self._require_may_write()
        values, rows = _checked(draft)
        return self._write(
            lambda session: self._update(session, evaluation_id, values, rows, confirm_covered)
        )

    def delete(self, evaluation_id: int, *, confirm_covered: bool = False) -> EvaluationChange:
        """Delete the evaluation and its results; covered ones need confirm_covered."""
        self._require_may_write()
        return self._write(lambda session: self._delete(session, evaluation_id, confirm_covered))

    def _require_may_write(self) -> None:
        if not self._actor.may_position:
            raise PermissionDenied(DENIED_MESSAGE)

    def _create(
        self,
        session: Session,
        values: dict[str, object],
        rows: list[dict[str, Any]],
    ) -> int:
        _require_references(session, values, rows)
        evaluation_id = session.scalar(
            insert(models.Evaluation)
            .values(author_id=self._actor.user_id, created_at=dt.datetime.now(), **values)
            .returning(models.Evaluation.id)
        )
        assert evaluation_id is not None
        session.execute(
            insert(models.Result), [{**row, "evaluation_id": evaluation_id} for row in rows]
        )
        self._audit(
            session,
            CREATED_ACTION,
            evaluation_id,
            f"{values['nature']} « {values['title']} » : {len(rows)} résultat(s)",
        )
        return evaluation_id

    def _update(
        self,
        session: Session,
        evaluation_id: int,
        values: dict[str, Any],
        rows: list[dict[str, Any]],
        confirm_covered: bool,
    ) -> EvaluationChange:
        # The row lock makes two saves of the same evaluation (PostgreSQL) wait in turn;
        # SQLite writers are serialized anyway.
        evaluation = session.get(models.Evaluation, evaluation_id, with_for_update=True)
        if evaluation is None:
            raise NotFound(_gone(evaluation_id))
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
            for learner in _covered(session, dates)
            if fields or learner.learner_id in touched
        )
        if covered and not confirm_covered:
            raise CoveredByFinalBilan(_covered_message(covered, deleting=False), covered)

        if fields:
            session.execute(
                update(models.Evaluation)
                .where(models.Evaluation.id == evaluation_id)
                .values(**values)
            )
        for chunk in _chunks([old[key][0] for key in removed]):
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
        self._audit(session, UPDATED_ACTION, evaluation_id, summary)
        if covered:
            codes = _criterion_codes(session, {key[1] for key in (*removed, *added, *changed)})
            lines = [f"{values['nature']} « {values['title']} » du {_day(values['eval_date'])}"]
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
            self._audit(session, CHANGED_AFTER_FINAL_ACTION, evaluation_id, "\n".join(lines))
        return EvaluationChange(
            evaluation_id,
            inserted=len(added),
            updated=len(changed),
            deleted=len(removed),
            fields=tuple(label for label, _ in fields),
            covered=covered,
        )

    def _delete(
        self, session: Session, evaluation_id: int, confirm_covered: bool
    ) -> EvaluationChange:
        evaluation = session.get(models.Evaluation, evaluation_id, with_for_update=True)
        if evaluation is None:
            raise NotFound(_gone(evaluation_id))
        result = models.Result
        per_learner: dict[int, int] = {
            learner_id: int(count)
            for learner_id, count in session.execute(
                select(result.learner_id, func.count(result.id))
                .where(result.evaluation_id == evaluation_id)
                .group_by(result.learner_id)
            )
        }
        covered = _covered(session, dict.fromkeys(per_learner, evaluation.eval_date))
        if covered and not confirm_covered:
            raise CoveredByFinalBilan(_covered_message(covered, deleting=True), covered)
        total = sum(per_learner.values())
        summary = (
            f"{evaluation.nature} « {evaluation.title} » du {_day(evaluation.eval_date)} : "
            f"{total} résultat(s) supprimé(s)"
        )
        # The results go with it (ON DELETE CASCADE).
        session.execute(delete(models.Evaluation).where(models.Evaluation.id == evaluation_id))
        self._audit(session, DELETED_ACTION, evaluation_id, summary)
        if covered:
            lines = [summary, "déjà pris en compte par le bilan définitif de :"]
            lines.extend(
                f"{learner.label} : {per_learner[learner.learner_id]} résultat(s)"
                for learner in covered
            )
            self._audit(session, DELETED_AFTER_FINAL_ACTION, evaluation_id, "\n".join(lines))
        return EvaluationChange(evaluation_id, deleted=total, covered=covered)

    def _audit(self, session: Session, action: str, evaluation_id: int, details: str) -> None:
        # Local time from Python, like the other services' audit events.
        session.execute(
            insert(models.AuditEvent).values(
                at=dt.datetime.now(),
                user_id=self._actor.user_id,
                actor=self._actor.display_name,
                action=action,
                entity="evaluation",
                entity_id=evaluation_id,
                details=details,
            )
        )

    def _write(self, work: Callable[[Session], _T]) -> _T:
        """Run one transaction, turning database refusals into French errors."""
        try:
            with self._database.transaction() as session:
                return work(session)
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


def _checked(draft: EvaluationDraft) -> tuple[dict[str, object], list[dict[str, Any]]]:
    """The evaluation's column values and its result rows, or a French ValidationError."""
    problems: list[str] = []
    nature = draft.nature.strip().upper()
    if nature not in NATURES:
        problems.append(f"Nature inconnue : « {draft.nature} » (attendu : F ou E).")
    title = draft.title.strip()
    if not title:
        problems.append("Indiquez le titre de l'évaluation.")
    elif len(title) > TITLE_MAX:
        problems.append(f"Le titre dépasse {TITLE_MAX} caractères.")
    if draft.eval_date > dt.date.today():
        problems.append(f"La date de l'évaluation ({draft.eval_date:%d/%m/%Y}) est dans le futur.")
    company = (draft.company or "").strip() or None
    tutor = (draft.tutor or "").strip() or None
    pfmp_start, pfmp_end = draft.pfmp_start, draft.pfmp_end
    if nature == "E":
        if company is None:
            problems.append("Une évaluation en entreprise (E) doit indiquer l'entreprise.")
        elif len(company) > COMPANY_MAX:
            problems.append(f"Le nom de l'entreprise dépasse {COMPANY_MAX} caractères.")
        if tutor is not None and len(tutor) > TUTOR_MAX:
            problems.append(f"Le nom du tuteur dépasse {TUTOR_MAX} caractères.")
        if pfmp_start and pfmp_end and pfmp_end < pfmp_start:
            problems.append("La fin de la PFMP précède son début.")
    else:
        # Company, tutor and PFMP dates only mean something for an evaluation in a company.
        company = tutor = pfmp_start = pfmp_end = None
    rows: list[dict[str, Any]] = []
    seen: set[tuple[int, int]] = set()
    for result in draft.results:
        key = (result.learner_id, result.criterion_id)
        if key in seen:
            problems.append(f"Résultat en double (apprenant n° {key[0]}, critère n° {key[1]}).")
            continue
        seen.add(key)
        try:
            level = str(parse_result_level(result.level))
        except ValidationError as exc:
            problems.append(exc.message)
            continue
        comment = (result.comment or "").strip() or None
        rows.append(
            {
                "learner_id": result.learner_id,
                "criterion_id": result.criterion_id,
                "level": level,
                "comment": comment,
            }
        )
    if not draft.results:
        problems.append("Saisissez au moins un résultat.")
    if problems:
        raise ValidationError("\n".join([*problems, "Rien n'a été enregistré."]))
    values: dict[str, object] = {
        "nature": nature,
        "eval_date": draft.eval_date,
        "title": title,
        "context": draft.context.strip(),
        "class_id": draft.class_id,
        "company": company,
        "tutor": tutor,
        "pfmp_start": pfmp_start,
        "pfmp_end": pfmp_end,
    }
    return values, rows


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
    for start in range(0, len(wanted), IN_CHUNK):
        chunk = wanted[start : start + IN_CHUNK]
        known.update(session.scalars(select(column).where(column.in_(chunk))))
    unknown = [i for i in wanted if i not in known]
    if unknown:
        raise ValidationError(
            f"{label} introuvable (n° {', '.join(map(str, unknown))}) : rien n'a été enregistré."
        )


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
        return _day(value)
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


def _day(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def _gone(evaluation_id: int) -> str:
    return (
        f"Cette évaluation n'existe plus (n° {evaluation_id}) : elle a sans doute été "
        "supprimée sur un autre poste. Rien n'a été enregistré."
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


def _chunks(values: Sequence[_T]) -> Iterator[Sequence[_T]]:
    for start in range(0, len(values), IN_CHUNK):
        yield values[start : start + IN_CHUNK]


def _covered(
    executor: Session | Connection, dates: Mapping[int, dt.date]
) -> tuple[CoveredLearner, ...]:
    """The learners whose latest final bilan is on or after their date here, by name."""
    bilan, learner = models.Bilan, models.Learner
    covered: list[CoveredLearner] = []
    for chunk in _chunks(sorted(dates)):
        for learner_id, family_name, first_name, latest in executor.execute(
            select(
                bilan.learner_id,
                learner.family_name,
                learner.first_name,
                func.max(bilan.bilan_date),
            )
            .join(learner, learner.id == bilan.learner_id)
            .where(bilan.status == "final", bilan.learner_id.in_(chunk))
            .group_by(bilan.learner_id, learner.family_name, learner.first_name)
        ):
            if dates[learner_id] <= latest:
                covered.append(
                    CoveredLearner(learner_id, display_name(family_name, first_name), latest)
                )
    covered.sort(key=lambda c: (sort_key(c.name), c.learner_id))
    return tuple(covered)


def _criterion_codes(session: Session, criterion_ids: set[int]) -> dict[int, str]:
    codes: dict[int, str] = {}
    criterion = models.Criterion
    for chunk in _chunks(sorted(criterion_ids)):
        rows = session.execute(select(criterion.id, criterion.code).where(criterion.id.in_(chunk)))
        codes.update((criterion_id, code) for criterion_id, code in rows)
    return codes


def _read_details(connection: Connection, evaluation_id: int) -> EvaluationDetails:
    """An evaluation with its results, learners, criteria and coverage, in three queries."""
    evaluation, user = models.Evaluation, models.User
    head = connection.execute(
        select(
            evaluation.nature,
            evaluation.eval_date,
            evaluation.title,
            evaluation.context,
            evaluation.class_id,
            evaluation.company,
            evaluation.tutor,
            evaluation.pfmp_start,
            evaluation.pfmp_end,
            user.display_name,
        )
        .outerjoin(user, user.id == evaluation.author_id)
        .where(evaluation.id == evaluation_id)
    ).one_or_none()
    if head is None:
        raise NotFound(_gone(evaluation_id))
    result, learner, criterion = models.Result, models.Learner, models.Criterion
    competency, specialty, cc = models.Competency, models.Specialty, models.CommonCompetency
    rows = connection.execute(
        select(
            result.learner_id,
            result.criterion_id,
            result.level,
            result.comment,
            learner.ine,
            learner.family_name,
            learner.first_name,
            learner.left_on,
            criterion.code,
            criterion.text,
            cc.code,
            specialty.referentiel_id,
            specialty.position,
            competency.position,
            criterion.position,
        )
        .join(learner, learner.id == result.learner_id)
        .join(criterion, criterion.id == result.criterion_id)
        .join(competency, competency.id == criterion.competency_id)
        .join(specialty, specialty.id == competency.specialty_id)
        .join(cc, cc.id == criterion.common_competency_id)
        .where(result.evaluation_id == evaluation_id)
    ).all()
    learners: dict[int, LearnerSummary] = {}
    criteria: dict[int, tuple[tuple[int, ...], CriterionItem]] = {}
    for (
        learner_id,
        criterion_id,
        _level,
        _comment,
        ine,
        family_name,
        first_name,
        left_on,
        code,
        text,
        cc_code,
        *order,
    ) in rows:
        if learner_id not in learners:
            learners[learner_id] = LearnerSummary(learner_id, ine, family_name, first_name, left_on)
        if criterion_id not in criteria:
            item = CriterionItem(criterion_id, code, text, cc_code)
            criteria[criterion_id] = ((*order, criterion_id), item)
    ordered_learners = sorted(
        learners.values(),
        key=lambda s: (sort_key(s.family_name), sort_key(s.first_name), s.id),
    )
    ordered_criteria = [item for _, item in sorted(criteria.values(), key=lambda c: c[0])]
    learner_rank = {s.id: i for i, s in enumerate(ordered_learners)}
    criterion_rank = {c.id: i for i, c in enumerate(ordered_criteria)}
    results = sorted(
        (GridResult(row[0], row[1], row[2], row[3]) for row in rows),
        key=lambda r: (learner_rank[r.learner_id], criterion_rank[r.criterion_id]),
    )
    draft = EvaluationDraft(
        nature=head.nature,
        eval_date=head.eval_date,
        title=head.title,
        context=head.context,
        class_id=head.class_id,
        company=head.company,
        tutor=head.tutor,
        pfmp_start=head.pfmp_start,
        pfmp_end=head.pfmp_end,
        results=tuple(results),
    )
    return EvaluationDetails(
        id=evaluation_id,
        draft=draft,
        author=head.display_name,
        learners=tuple(ordered_learners),
        criteria=tuple(ordered_criteria),
        covered=_covered(connection, dict.fromkeys(learners, head.eval_date)),
    )
