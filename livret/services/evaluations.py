"""New evaluations: the criteria tree to choose from, and the grid of results saved at once.

create() checks the whole draft before writing (nature, title, date, company for an
E, every level, every learner and criterion) and writes the evaluation, its results
(one bulk insert) and an audit event in one transaction: nothing is written on any
error. Cells left empty in the grid are simply not sent, so they get no result row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import InstrumentedAttribute, Session

from livret.domain.errors import ConflictError, PermissionDenied, ValidationError
from livret.domain.levels import parse_result_level
from livret.domain.roles import Actor
from livret.services.database import Database
from livret.storage import models

CREATED_ACTION = "evaluation_created"
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

    def create(self, draft: EvaluationDraft) -> int:
        """Write the evaluation and its results in one transaction; returns its id."""
        if not self._actor.may_position:
            raise PermissionDenied("Seuls les enseignants et le DDFPT saisissent des évaluations.")
        values, rows = _checked(draft)
        return self._write(lambda session: self._create(session, values, rows))

    def _create(
        self,
        session: Session,
        values: dict[str, object],
        rows: list[dict[str, Any]],
    ) -> int:
        class_id = values["class_id"]
        if class_id is not None and session.get(models.SchoolClass, class_id) is None:
            raise ValidationError(f"Classe introuvable (n° {class_id}) : rien n'a été enregistré.")
        _require_known(session, models.Learner.id, {r["learner_id"] for r in rows}, "Apprenant")
        _require_known(session, models.Criterion.id, {r["criterion_id"] for r in rows}, "Critère")
        evaluation_id = session.scalar(
            insert(models.Evaluation)
            .values(author_id=self._actor.user_id, created_at=dt.datetime.now(), **values)
            .returning(models.Evaluation.id)
        )
        assert evaluation_id is not None
        session.execute(
            insert(models.Result), [{**row, "evaluation_id": evaluation_id} for row in rows]
        )
        session.execute(
            insert(models.AuditEvent).values(
                at=dt.datetime.now(),
                user_id=self._actor.user_id,
                actor=self._actor.display_name,
                action=CREATED_ACTION,
                entity="evaluation",
                entity_id=evaluation_id,
                details=f"{values['nature']} « {values['title']} » : {len(rows)} résultat(s)",
            )
        )
        return evaluation_id

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
