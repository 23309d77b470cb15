"""What the database holds about one learner: their rows, their account, the audit events
about them (shared by the RGPD export and the erasure, so both see the same records)."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, and_, case, func, or_, select
from sqlalchemy.orm import Session

from livret.domain.errors import NotFound
from livret.services.dto import display_name
from livret.storage import models

ERASE_WORD = "EFFACER"
ERASED_ACTION = "learner_erased"
EXPORTED_ACTION = "learner_data_exported"
ERASE_REASON = "effacement RGPD"
ERASED_NAME = "[apprenant effacé]"
"""Put in place of the learner's name, INE or login inside the audit events that kept them."""
ERASED_DETAILS = "[détails effacés (RGPD)]"
"""The details of the events on the learner's own bilans and account, once erased."""

ACTION_LABELS: dict[str, str] = {
    ERASED_ACTION: "Apprenant effacé (RGPD)",
    EXPORTED_ACTION: "Données d'un apprenant exportées (RGPD)",
}
"""French names of the actions these services record (for the journal)."""

Executor = Session | Connection


@dataclass(frozen=True, slots=True)
class RetentionRow:
    """A learner as the RGPD screen lists them."""

    learner_id: int
    name: str
    """'NOM Prénom'."""
    ine: str
    class_code: str | None
    """Class of the last enrolment (latest school year), None without any."""
    school_year_label: str | None
    left_on: dt.date | None
    bilans: int
    final_bilans: int


@dataclass(frozen=True, slots=True)
class ErasurePreview:
    """What erasing the learner deletes (the confirmation dialog shows these counts)."""

    learner_id: int
    name: str
    ine: str
    left_on: dt.date | None
    enrolments: int
    results: int
    bilans: int
    final_bilans: int
    positionings: int
    marks: int
    conseil_remarks: int
    """The teacher's remarks of the conseils de classe."""
    lsl_entries: int
    """LSL Pro: appréciations, chosen degrees and PFMP fills."""
    account_login: str | None
    audit_events: int
    """Events about the learner: kept, with their personal part blanked."""

    @property
    def needs_countersign(self) -> bool:
        """Final bilans go only through the DDFPT's unlock: their password is asked."""
        return self.final_bilans > 0


@dataclass(frozen=True, slots=True)
class ErasureReport:
    """What erase_learner did (no personal data: counts only)."""

    enrolments: int
    results: int
    bilans: int
    final_bilans: int
    positionings: int
    marks: int
    conseil_remarks: int
    lsl_entries: int
    account_deleted: bool
    audit_events_scrubbed: int
    class_ids: tuple[int, ...]

    def details(self, countersigned_by: str | None) -> str:
        """The `learner_erased` event's details: counts, and the DDFPT who countersigned."""
        text = (
            f"{self.enrolments} inscription(s), {self.results} résultat(s), "
            f"{self.bilans} bilan(s) dont {self.final_bilans} définitif(s), "
            f"{self.positionings} positionnement(s), {self.marks} note(s), "
            f"{self.conseil_remarks} remarque(s) de conseil de classe, "
            f"{self.lsl_entries} saisie(s) LSL Pro, "
            f"compte apprenant {'supprimé' if self.account_deleted else 'absent'}, "
            f"{self.audit_events_scrubbed} événement(s) du journal anonymisé(s)"
        )
        if countersigned_by:
            text += f" ; contre-signé par {countersigned_by} (DDFPT)"
        return text


@dataclass(frozen=True, slots=True)
class Identity:
    """The learner's identifying facts and the ids of the rows that are theirs."""

    learner_id: int
    ine: str
    family_name: str
    first_name: str
    birth_date: dt.date | None
    left_on: dt.date | None
    specialty_id: int | None
    account_id: int | None
    account_login: str | None
    account_name: str | None
    bilan_ids: tuple[int, ...]
    final_bilan_ids: tuple[int, ...]

    @property
    def name(self) -> str:
        return display_name(self.family_name, self.first_name)

    def forms(self) -> tuple[str, ...]:
        """The texts that name the learner in free text (events' details): full names in
        both orders (as the services print them), the INE, the account's login and name.

        The family name alone is not one: it may also be a teacher's ("Mme Martin").
        """
        family, first = self.family_name.strip(), self.first_name.strip()
        found = [
            self.ine,
            self.name,
            f"{family} {first}",
            f"{first} {family}",
            f"{first} {family.upper()}",
            self.account_login or "",
            self.account_name or "",
        ]
        unique: dict[str, str] = {}
        for form in found:
            cleaned = form.strip()
            if len(cleaned) >= 3:  # never a lone initial
                unique.setdefault(cleaned.casefold(), cleaned)
        # The longest first, so that a name is replaced whole before a part of it.
        return tuple(sorted(unique.values(), key=len, reverse=True))


def read_identity(executor: Executor, learner_id: int, *, lock: bool = False) -> Identity:
    """The learner's facts; NotFound when no learner has that id.

    `lock` (in a write transaction) locks the learner's bilans on PostgreSQL, so that no
    one finalizes or unlocks one of them until the transaction ends.
    """
    learner, user, bilan = models.Learner, models.User, models.Bilan
    row = executor.execute(
        select(
            learner.id,
            learner.ine,
            learner.family_name,
            learner.first_name,
            learner.birth_date,
            learner.left_on,
            learner.specialty_id,
        ).where(learner.id == learner_id)
    ).first()
    if row is None:
        raise NotFound(f"Apprenant introuvable (n° {learner_id}).")
    account = executor.execute(
        select(user.id, user.login, user.display_name).where(user.learner_id == learner_id)
    ).first()
    query = (
        select(bilan.id, bilan.status)
        .where(bilan.learner_id == learner_id)
        .order_by(bilan.bilan_date, bilan.id)
    )
    if lock:
        query = query.with_for_update()
    bilans = executor.execute(query).all()
    return Identity(
        learner_id=row.id,
        ine=row.ine,
        family_name=row.family_name,
        first_name=row.first_name,
        birth_date=row.birth_date,
        left_on=row.left_on,
        specialty_id=row.specialty_id,
        account_id=account.id if account is not None else None,
        account_login=account.login if account is not None else None,
        account_name=account.display_name if account is not None else None,
        bilan_ids=tuple(b.id for b in bilans),
        final_bilan_ids=tuple(b.id for b in bilans if b.status == "final"),
    )


def find_by_ine(executor: Executor, ine: str) -> int:
    """The id of the learner with that INE (any case); NotFound in French otherwise."""
    wanted = ine.strip().upper()
    if not wanted:
        raise NotFound("Indiquez l'INE de l'apprenant.")
    found = executor.scalar(
        select(models.Learner.id).where(func.upper(models.Learner.ine) == wanted)
    )
    if found is None:
        raise NotFound(f"Aucun apprenant n'a l'INE « {ine.strip()} ».")
    return int(found)


def own_events(identity: Identity) -> ColumnElement[bool]:
    """Events whose record is the learner's: their bilans, their account, the learner."""
    event = models.AuditEvent
    clauses: list[ColumnElement[bool]] = [
        and_(event.entity == "learner", event.entity_id == identity.learner_id)
    ]
    if identity.bilan_ids:
        clauses.append(and_(event.entity == "bilan", event.entity_id.in_(identity.bilan_ids)))
    if identity.account_id is not None:
        clauses.append(and_(event.entity == "app_user", event.entity_id == identity.account_id))
        clauses.append(event.user_id == identity.account_id)
        clauses.append(event.session_user_id == identity.account_id)
    return or_(*clauses)


def events_about(executor: Executor, identity: Identity) -> list[int]:
    """Ids of every audit event about the learner: on their records, or naming them."""
    event = models.AuditEvent
    mentions = [
        clause
        for form in identity.forms()
        for clause in (
            event.details.icontains(form, autoescape=True),
            event.actor.icontains(form, autoescape=True),
        )
    ]
    candidates = executor.execute(
        select(event.id, event.actor, event.details, own_events(identity).label("own"))
        .where(or_(own_events(identity), *mentions))
        .order_by(event.id)
    ).all()
    # SQLite's lower() folds ASCII letters only: the mention is checked again here.
    pattern = mention_pattern(identity.forms())
    return [
        row.id
        for row in candidates
        if row.own or pattern.search(row.details or "") or pattern.search(row.actor or "")
    ]


def mention_pattern(forms: Sequence[str]) -> re.Pattern[str]:
    """Any of the forms as whole words, case-insensitively (longest first): a short login
    ("leo") must not match inside another learner's name ("LEONI Marc")."""
    alternatives = "|".join(re.escape(form) for form in forms)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def counts(executor: Executor, identity: Identity) -> dict[str, int]:
    """Rows the learner owns, table by table."""
    learner_id, bilan_ids = identity.learner_id, list(identity.bilan_ids)

    def number(model: type[models.Base], where: ColumnElement[bool]) -> int:
        return int(executor.scalar(select(func.count()).select_from(model).where(where)) or 0)

    return {
        "enrolments": number(models.Enrolment, models.Enrolment.learner_id == learner_id),
        "results": number(models.Result, models.Result.learner_id == learner_id),
        "bilans": len(bilan_ids),
        "final_bilans": len(identity.final_bilan_ids),
        "positionings": number(models.Positioning, models.Positioning.bilan_id.in_(bilan_ids)),
        "marks": number(models.Mark, models.Mark.bilan_id.in_(bilan_ids)),
        "conseil_remarks": number(
            models.ConseilRemark, models.ConseilRemark.learner_id == learner_id
        ),
        "lsl_entries": sum(number(model, model.learner_id == learner_id) for model in LSL_MODELS),
    }


LSL_MODELS: tuple[type[models.LslAppreciation | models.LslDegree | models.LslPfmpFill], ...] = (
    models.LslAppreciation,
    models.LslDegree,
    models.LslPfmpFill,
)
"""The learner's LSL Pro rows (what a teacher wrote or chose for the synthesis)."""


def learner_rows(executor: Executor, where: ColumnElement[bool] | None) -> list[RetentionRow]:
    """Learners (all, or those matching `where`) with their last class and bilan counts."""
    learner, enrolment, year = models.Learner, models.Enrolment, models.SchoolYear
    klass, bilan = models.SchoolClass, models.Bilan
    query = select(
        learner.id, learner.family_name, learner.first_name, learner.ine, learner.left_on
    )
    if where is not None:
        query = query.where(where)
    people = executor.execute(query).all()
    ids = [row.id for row in people]
    if not ids:
        return []
    last_class: dict[int, tuple[str, str]] = {}
    for learner_id, code, label in executor.execute(
        select(enrolment.learner_id, klass.code, year.label)
        .select_from(enrolment)
        .join(klass, klass.id == enrolment.class_id)
        .join(year, year.id == enrolment.school_year_id)
        .where(enrolment.learner_id.in_(ids))
        .order_by(year.start_date)
    ):
        last_class[learner_id] = (code, label)  # ascending order: the latest year wins
    bilans: dict[int, tuple[int, int]] = {
        learner_id: (int(total), int(finals or 0))
        for learner_id, total, finals in executor.execute(
            select(
                bilan.learner_id,
                func.count(bilan.id),
                func.sum(case((bilan.status == "final", 1), else_=0)),
            )
            .where(bilan.learner_id.in_(ids))
            .group_by(bilan.learner_id)
        )
    }
    return [
        RetentionRow(
            learner_id=row.id,
            name=display_name(row.family_name, row.first_name),
            ine=row.ine,
            class_code=last_class.get(row.id, (None, None))[0],
            school_year_label=last_class.get(row.id, (None, None))[1],
            left_on=row.left_on,
            bilans=bilans.get(row.id, (0, 0))[0],
            final_bilans=bilans.get(row.id, (0, 0))[1],
        )
        for row in people
    ]
