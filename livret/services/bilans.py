"""Bilans intermédiaires: the draft (dashboard positionings, editor), finalization, unlock.

Each public method is one transaction and checks the actor's permissions itself. A
final bilan is also protected by database triggers (storage.guards): the service
refuses first with a clear message, the triggers stop whatever slips through.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Connection, and_, delete, func, insert, or_, select, update
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.exc import StaleDataError

from livret.domain.errors import (
    ConflictError,
    FinalBilanError,
    NotFound,
    ValidationError,
)
from livret.domain.levels import Level, parse_level
from livret.domain.permissions import Access, Action, require, require_all, require_bilan
from livret.domain.roles import Actor
from livret.services import audit
from livret.services.authentication import countersign
from livret.services.change_log import note_change
from livret.services.database import Database
from livret.services.dto import display_name
from livret.storage import audit_chain, guards, models

NOT_EVALUATED = Level.NE.value
CONFIRMATION_WORD = "CONFIRMATION"
DRAFT_CREATED_ACTION = "bilan_draft_created"
SAVED_ACTION = "bilan_saved"
FINALIZE_ACTION = guards.FINALIZE_ACTION
UNLOCK_ACTION = guards.UNLOCK_ACTION

ACTION_LABELS: dict[str, str] = {
    DRAFT_CREATED_ACTION: "Brouillon créé",
    SAVED_ACTION: "Enregistré",
    FINALIZE_ACTION: "Enregistré définitivement",
    UNLOCK_ACTION: "Déverrouillé",
}

FINAL_MESSAGE = "Ce bilan est définitif : il ne peut plus être modifié."
CONFIRMATION_MESSAGE = "Tapez CONFIRMATION en lettres capitales pour enregistrer définitivement."

_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class PositioningSaved:
    """What set_positioning changed: the draft (maybe just created) and the stored level."""

    bilan_id: int
    bilan_version: int
    common_competency_id: int
    level: str
    created_draft: bool


@dataclass(frozen=True, slots=True)
class BilanRow:
    """One common competency of a bilan, in référentiel order."""

    common_competency_id: int
    code: str
    title: str
    previous: str | None
    """Level in the previous final bilan ('NE' if it has none on this CC); None without one."""
    current: str
    """This bilan's level, 'NE' when missing."""


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One line of a bilan's history."""

    at: dt.datetime
    actor: str
    action: str
    label: str
    """French name of the action ("Brouillon créé", "Enregistré définitivement" …)."""
    details: str


@dataclass(frozen=True, slots=True)
class BilanSheet:
    """Everything the bilan editor shows."""

    bilan_id: int
    learner_id: int
    learner_name: str
    """'NOM Prénom'."""
    class_label: str | None
    school_year_label: str | None
    status: str
    bilan_date: dt.date
    constats: str
    conseils: str
    version: int
    author: str | None
    finalized_at: dt.datetime | None
    finalized_by: str | None
    previous_date: dt.date | None
    """Date of the previous final bilan: for a draft, the learner's latest final bilan;
    for a final bilan, the final one before it by (date, id)."""
    rows: tuple[BilanRow, ...]
    history: tuple[AuditEntry, ...]
    """This bilan's audit events, chronological."""

    @property
    def missing(self) -> tuple[str, ...]:
        """Codes of the CCs whose current level is NE."""
        return tuple(row.code for row in self.rows if row.current == NOT_EVALUATED)

    @property
    def is_final(self) -> bool:
        return self.status == "final"


class BilanService:
    """Use cases on bilans; each call is one transaction."""

    def __init__(self, database: Database, actor: Actor) -> None:
        self._database = database
        self._actor = actor

    @property
    def actor(self) -> Actor:
        """Who acts through this service (the session's account)."""
        return self._actor

    # -- dashboard -------------------------------------------------------------------

    def set_positioning(
        self, learner_id: int, common_competency_id: int, level: Level | str
    ) -> PositioningSaved:
        """Store the learner's current positioning on one CC in their draft bilan.

        The draft is created when the learner has none (at most one per learner).
        Choosing NE removes the positioning: it is "not set" again.
        """
        require_all(self._actor, Action.WRITE_BILAN)
        chosen = parse_level(str(level))
        return self._write(
            lambda session: self._set_positioning(
                session, learner_id, common_competency_id, chosen
            ),
            kind="positioning",
            integrity_message=(
                "Le bilan de cet apprenant vient d'être modifié ailleurs : "
                "rechargez le tableau de bord puis recommencez."
            ),
        )

    def _set_positioning(
        self, session: Session, learner_id: int, cc_id: int, level: Level
    ) -> PositioningSaved:
        if session.get(models.Learner, learner_id) is None:
            raise NotFound(f"Apprenant introuvable (n° {learner_id}).")
        if session.get(models.CommonCompetency, cc_id) is None:
            raise NotFound(f"Compétence commune introuvable (n° {cc_id}).")
        draft = _draft_of(session, learner_id)
        created = draft is None
        if draft is None:
            draft = models.Bilan(
                learner_id=learner_id,
                class_id=_current_class_id(session, learner_id),
                status="draft",
                bilan_date=dt.date.today(),
                author_id=self._actor.user_id,
            )
            session.add(draft)
            session.flush()
            _audit(
                session,
                self._actor,
                DRAFT_CREATED_ACTION,
                draft.id,
                "depuis le tableau de bord",
            )
        where = (models.Positioning.bilan_id == draft.id) & (
            models.Positioning.common_competency_id == cc_id
        )
        if level is Level.NE:
            session.execute(delete(models.Positioning).where(where))
        elif session.scalar(select(models.Positioning.id).where(where)) is None:
            session.execute(
                insert(models.Positioning).values(
                    bilan_id=draft.id, common_competency_id=cc_id, level=level.value
                )
            )
        else:
            session.execute(update(models.Positioning).where(where).values(level=level.value))
        # Touching the draft bumps its version: an editor open elsewhere sees the change.
        draft.updated_at = dt.datetime.now()
        session.flush()
        return PositioningSaved(draft.id, draft.version, cc_id, level.value, created)

    # -- editor ----------------------------------------------------------------------

    def open_draft(self, learner_id: int) -> BilanSheet:
        """The learner's draft bilan, created (dated today, in their current class) if none."""
        require_all(self._actor, Action.WRITE_BILAN)
        return self._write(
            lambda session: self._open_draft(session, learner_id),
            integrity_message=(
                "Un brouillon de bilan vient d'être créé pour cet apprenant sur un autre poste : "
                "rouvrez le bilan."
            ),
        )

    def _open_draft(self, session: Session, learner_id: int) -> BilanSheet:
        if session.get(models.Learner, learner_id) is None:
            raise NotFound(f"Apprenant introuvable (n° {learner_id}).")
        draft = _draft_of(session, learner_id)
        if draft is None:
            now = dt.datetime.now()
            draft = models.Bilan(
                learner_id=learner_id,
                class_id=_current_class_id(session, learner_id),
                status="draft",
                bilan_date=now.date(),
                author_id=self._actor.user_id,
                created_at=now,
                updated_at=now,
            )
            session.add(draft)
            session.flush()
            _audit(session, self._actor, DRAFT_CREATED_ACTION, draft.id, "depuis l'éditeur", at=now)
            self._note(session, "bilan_created", draft.id, learner_id)
        return _read_sheet(session, draft.id)

    def sheet(self, bilan_id: int) -> BilanSheet:
        """Any bilan, draft or final, as the editor shows it; an Apprenant's own final ones."""
        if require(self._actor, Action.VIEW_BILAN) is Access.ALL:
            with self._database.snapshot() as connection:
                return _read_sheet(connection, bilan_id)
        with self._database.snapshot() as connection:
            owner = connection.execute(
                select(models.Bilan.learner_id, models.Bilan.status).where(
                    models.Bilan.id == bilan_id
                )
            ).first()
            if owner is None:
                raise NotFound(f"Bilan introuvable (n° {bilan_id}).")
            require_bilan(self._actor, Action.VIEW_BILAN, owner.learner_id, owner.status)
            return _read_sheet(connection, bilan_id)

    def save_draft(
        self,
        bilan_id: int,
        *,
        version: int,
        constats: str,
        conseils: str,
        positionings: Mapping[int, str],
        bilan_date: dt.date | None = None,
    ) -> BilanSheet:
        """Enregistrer: texts, date and positionings of a draft in one transaction.

        `positionings` maps CC ids to level codes (or symbols); NE removes the
        positioning, CCs absent from the mapping keep theirs. `version` is the one
        the editor read: if the bilan changed since, nothing is written.
        """
        require_all(self._actor, Action.WRITE_BILAN)
        levels = {cc_id: parse_level(str(level)) for cc_id, level in positionings.items()}
        return self._write(
            lambda session: self._save_draft(
                session, bilan_id, version, constats, conseils, levels, bilan_date
            ),
            kind="bilan_saved",
        )

    def _save_draft(
        self,
        session: Session,
        bilan_id: int,
        version: int,
        constats: str,
        conseils: str,
        levels: dict[int, Level],
        bilan_date: dt.date | None,
    ) -> BilanSheet:
        bilan = self._editable(session, bilan_id, version)
        codes = _cc_codes(session)
        unknown = sorted(cc_id for cc_id in levels if cc_id not in codes)
        if unknown:
            raise ValidationError(
                "Compétence commune inconnue (n° "
                + ", ".join(str(cc_id) for cc_id in unknown)
                + ") : rien n'a été enregistré."
            )
        stored = _levels_of(session, bilan_id)
        now = dt.datetime.now()
        changes: list[str] = []
        if bilan_date is not None and bilan_date != bilan.bilan_date:
            _check_date(session, bilan, bilan_date)
            changes.append(f"date : {_day(bilan.bilan_date)} → {_day(bilan_date)}")
            bilan.bilan_date = bilan_date
        if constats != bilan.constats:
            changes.append("Constats modifiés")
            bilan.constats = constats
        if conseils != bilan.conseils:
            changes.append("Conseils modifiés")
            bilan.conseils = conseils
        # Always touched, so the version bumps even when only positionings change; the
        # bilan row is written first, which also serializes concurrent saves.
        bilan.updated_at = now
        session.flush()
        table = models.Positioning
        for cc_id in sorted(levels, key=lambda cc_id: codes[cc_id][1]):
            level, before = levels[cc_id], stored.get(cc_id, NOT_EVALUATED)
            if level.value == before:
                continue
            where = (table.bilan_id == bilan_id) & (table.common_competency_id == cc_id)
            if level is Level.NE:
                session.execute(delete(table).where(where))
            elif before == NOT_EVALUATED:
                session.execute(
                    insert(table).values(
                        bilan_id=bilan_id, common_competency_id=cc_id, level=level.value
                    )
                )
            else:
                session.execute(update(table).where(where).values(level=level.value))
            changes.append(f"{codes[cc_id][0]} : {before} → {level.value}")
        _audit(
            session,
            self._actor,
            SAVED_ACTION,
            bilan_id,
            " ; ".join(changes) or "aucune modification",
            at=now,
        )
        return _read_sheet(session, bilan_id)

    def finalize(self, bilan_id: int, *, version: int, confirmation: str) -> BilanSheet:
        """Enregistrer définitivement: the bilan becomes final and starts a new period.

        `confirmation` must be exactly CONFIRMATION (typed by the user).
        """
        require_all(self._actor, Action.WRITE_BILAN)
        if confirmation != CONFIRMATION_WORD:
            raise ValidationError(CONFIRMATION_MESSAGE)
        return self._write(
            lambda session: self._finalize(session, bilan_id, version), kind="bilan_final"
        )

    def _finalize(self, session: Session, bilan_id: int, version: int) -> BilanSheet:
        bilan = self._editable(session, bilan_id, version)
        # The date starts the new period: it must lie between the last one and today.
        _check_date(session, bilan, bilan.bilan_date)
        now = dt.datetime.now()
        # The titles it is written with, and the fingerprint `livret db check` verifies.
        (fingerprint,) = audit_chain.fingerprint_values(session, [bilan_id])
        bilan.status = "final"
        bilan.finalized_at = now
        bilan.finalized_by_id = self._actor.user_id
        bilan.updated_at = now
        bilan.cc_snapshot = fingerprint["cc_snapshot"]
        bilan.content_hash = fingerprint["content_hash"]
        session.flush()
        codes = _cc_codes(session)
        stored = _levels_of(session, bilan_id)
        missing = [code for cc_id, (code, _) in codes.items() if cc_id not in stored]
        _audit(session, self._actor, FINALIZE_ACTION, bilan_id, _missing_details(missing), at=now)
        return _read_sheet(session, bilan_id)

    def unlock(
        self, bilan_id: int, *, reason: str, ddfpt_login: str, ddfpt_password: str
    ) -> BilanSheet:
        """A final bilan goes back to draft, countersigned by a DDFPT's own password.

        The session's account must be one that writes bilans; the DDFPT authorises the
        unlock in person (at that computer) with their login and password. The audit
        event names the DDFPT, the session's user and the reason.
        """
        require_all(self._actor, Action.WRITE_BILAN)
        cleaned = reason.strip()
        if not cleaned:
            raise ValidationError("Indiquez le motif du déverrouillage.")
        # Before the write transaction: checking a password (argon2) takes a while.
        ddfpt = countersign(self._database, ddfpt_login, ddfpt_password, self._actor)
        return self._write(
            lambda session: self._unlock(session, bilan_id, cleaned, ddfpt),
            kind="bilan_unlocked",
            integrity_message=(
                "Un brouillon de bilan vient d'être créé pour cet apprenant : "
                "le bilan définitif reste verrouillé."
            ),
        )

    def _unlock(self, session: Session, bilan_id: int, reason: str, ddfpt: Actor) -> BilanSheet:
        bilan = session.get(models.Bilan, bilan_id)
        if bilan is None:
            raise NotFound(f"Bilan introuvable (n° {bilan_id}).")
        if bilan.status != "final":
            raise ValidationError("Ce bilan n'est pas définitif : il n'y a rien à déverrouiller.")
        latest = session.scalar(
            select(models.Bilan.id)
            .where(models.Bilan.learner_id == bilan.learner_id, models.Bilan.status == "final")
            .order_by(models.Bilan.bilan_date.desc(), models.Bilan.id.desc())
            .limit(1)
        )
        if latest != bilan_id:
            # Reopening an older bilan would rewrite the periods that followed it.
            raise ValidationError(
                "Seul le dernier bilan définitif de l'apprenant peut être déverrouillé."
            )
        other = _draft_of(session, bilan.learner_id)
        if other is not None:
            raise ValidationError(
                f"Cet apprenant a déjà un brouillon de bilan (du {_day(other.bilan_date)}) : "
                "un seul brouillon est possible à la fois. Enregistrez-le définitivement "
                "avant de déverrouiller celui-ci."
            )
        # The guards let the status go back to draft only once this event exists.
        label = ddfpt.display_name
        if ddfpt.user_id != self._actor.user_id:
            label += f", au poste de {self._actor.display_name}"
        audit.record(
            session,
            ddfpt,
            UNLOCK_ACTION,
            "bilan",
            bilan_id,
            reason,
            actor_label=label[:200],  # audit_event.actor is String(200)
            session_user_id=self._actor.user_id,
        )
        # Only status and version may change (the version bumps through the mapper).
        bilan.status = "draft"
        # A mark is stored with a final bilan: the draft may change, so its mark goes.
        session.execute(delete(models.Mark).where(models.Mark.bilan_id == bilan_id))
        session.flush()
        return _read_sheet(session, bilan_id)

    # -- helpers ---------------------------------------------------------------------

    def _editable(self, session: Session, bilan_id: int, version: int) -> models.Bilan:
        """The draft to change, after the final and version checks."""
        bilan = session.get(models.Bilan, bilan_id)
        if bilan is None:
            raise NotFound(f"Bilan introuvable (n° {bilan_id}).")
        if bilan.status == "final":
            raise FinalBilanError(FINAL_MESSAGE)
        if bilan.version != version:
            raise ConflictError(_conflict_message(session, bilan))
        return bilan

    def _note(self, session: Session, kind: str, bilan_id: int, learner_id: int) -> None:
        note_change(
            session,
            self._database,
            self._actor,
            kind,
            learner_ids=[learner_id],
            bilan_id=bilan_id,
        )

    def _write(
        self,
        work: Callable[[Session], _T],
        *,
        kind: str | None = None,
        integrity_message: str = "Ce bilan vient d'être modifié ailleurs : rechargez-le.",
    ) -> _T:
        """Run one transaction, turning database refusals into French errors.

        With `kind`, the bilan the work returns (a sheet, or a saved positioning) is
        noted in the change log for the other open apps.
        """
        try:
            with self._database.transaction() as session:
                done = work(session)
                if kind is None:
                    pass
                elif isinstance(done, BilanSheet):
                    self._note(session, kind, done.bilan_id, done.learner_id)
                elif isinstance(done, PositioningSaved):
                    bilan = session.get(models.Bilan, done.bilan_id)
                    assert bilan is not None
                    self._note(session, kind, done.bilan_id, bilan.learner_id)
                return done
        except StaleDataError:
            # Another transaction bumped the version between our read and our write.
            raise ConflictError(
                "Ce bilan a été modifié entre-temps sur un autre poste : rechargez-le."
            ) from None
        except DBAPIError as exc:
            if guards.is_final_bilan_refusal(exc):
                raise FinalBilanError(FINAL_MESSAGE) from None
            if isinstance(exc, IntegrityError):
                raise ConflictError(integrity_message) from None
            if isinstance(exc, OperationalError) and "locked" in str(exc.orig):
                # SQLite: another connection wrote since this transaction read (or holds
                # the write lock longer than the busy timeout).
                raise ConflictError(
                    "Ce bilan vient d'être modifié ailleurs, ou la base est occupée : "
                    "rechargez-le puis recommencez."
                ) from None
            raise


def _check_date(session: Session, bilan: models.Bilan, date: dt.date) -> None:
    """A bilan is dated no later than today and no earlier than the learner's last final one."""
    if date > dt.date.today():
        raise ValidationError(
            f"La date du bilan ({_day(date)}) est dans le futur : rien n'a été enregistré."
        )
    last_final = session.scalar(
        select(func.max(models.Bilan.bilan_date)).where(
            models.Bilan.learner_id == bilan.learner_id,
            models.Bilan.status == "final",
            models.Bilan.id != bilan.id,
        )
    )
    if last_final is not None and date < last_final:
        raise ValidationError(
            f"La date du bilan ({_day(date)}) précède le dernier bilan définitif "
            f"({_day(last_final)}) : rien n'a été enregistré."
        )


def _draft_of(session: Session, learner_id: int) -> models.Bilan | None:
    return session.scalars(
        select(models.Bilan).where(
            models.Bilan.learner_id == learner_id, models.Bilan.status == "draft"
        )
    ).one_or_none()


def _current_class_id(session: Session, learner_id: int) -> int | None:
    return session.scalar(
        select(models.Enrolment.class_id)
        .join(models.SchoolYear, models.SchoolYear.id == models.Enrolment.school_year_id)
        .where(models.Enrolment.learner_id == learner_id)
        .order_by(models.SchoolYear.start_date.desc())
        .limit(1)
    )


def _cc_codes(session: Session) -> dict[int, tuple[str, int]]:
    """Every common competency: id → (code, rank in référentiel order)."""
    rows = session.execute(
        select(models.CommonCompetency.id, models.CommonCompetency.code).order_by(
            models.CommonCompetency.referentiel_id, models.CommonCompetency.position
        )
    ).all()
    return {cc_id: (code, rank) for rank, (cc_id, code) in enumerate(rows)}


def _levels_of(session: Session, bilan_id: int) -> dict[int, str]:
    table = models.Positioning
    return {
        cc_id: level
        for cc_id, level in session.execute(
            select(table.common_competency_id, table.level).where(table.bilan_id == bilan_id)
        )
    }


def _missing_details(missing: list[str]) -> str:
    if not missing:
        return "aucun positionnement NE"
    plural = "s" if len(missing) > 1 else ""
    return f"{len(missing)} positionnement{plural} NE : {', '.join(missing)}"


def _conflict_message(session: Session, bilan: models.Bilan) -> str:
    """Name who changed the bilan when the audit log tells (dashboard clicks are not audited)."""
    event = models.AuditEvent
    last = session.execute(
        select(event.actor, event.at)
        .where(event.entity == "bilan", event.entity_id == bilan.id)
        .order_by(event.id.desc())
        .limit(1)
    ).first()
    if last is not None and last.at >= bilan.updated_at:
        return f"Ce bilan a été modifié entre-temps par {last.actor} : rechargez-le."
    return (
        "Ce bilan a été modifié entre-temps (depuis le tableau de bord ou un autre poste) : "
        "rechargez-le."
    )


def _day(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def _audit(
    session: Session,
    actor: Actor,
    action: str,
    bilan_id: int,
    details: str,
    *,
    at: dt.datetime | None = None,
) -> None:
    audit.record(session, actor, action, "bilan", bilan_id, details, at=at)


_author, _finalizer = aliased(models.User), aliased(models.User)


def read_sheet(executor: Session | Connection, bilan_id: int) -> BilanSheet:
    """A bilan as the editor shows it, read with no permission check: callers check first."""
    return _read_sheet(executor, bilan_id)


def _read_sheet(executor: Session | Connection, bilan_id: int) -> BilanSheet:
    """Build the sheet in five queries, inside the caller's transaction or snapshot."""
    bilan, learner = models.Bilan, models.Learner
    klass, year = models.SchoolClass, models.SchoolYear
    head = executor.execute(
        select(
            bilan.learner_id,
            learner.family_name,
            learner.first_name,
            klass.label,
            year.label,
            bilan.status,
            bilan.bilan_date,
            bilan.constats,
            bilan.conseils,
            bilan.version,
            _author.display_name,
            bilan.finalized_at,
            _finalizer.display_name,
            bilan.cc_snapshot,
        )
        .join(learner, learner.id == bilan.learner_id)
        .outerjoin(klass, klass.id == bilan.class_id)
        .outerjoin(year, year.id == klass.school_year_id)
        .outerjoin(_author, _author.id == bilan.author_id)
        .outerjoin(_finalizer, _finalizer.id == bilan.finalized_by_id)
        .where(bilan.id == bilan_id)
    ).first()
    if head is None:
        raise NotFound(f"Bilan introuvable (n° {bilan_id}).")
    (
        learner_id,
        family_name,
        first_name,
        class_label,
        year_label,
        status,
        bilan_date,
        constats,
        conseils,
        version,
        author,
        finalized_at,
        finalized_by,
        cc_snapshot,
    ) = head

    previous_query = select(bilan.id, bilan.bilan_date).where(
        bilan.learner_id == learner_id, bilan.status == "final", bilan.id != bilan_id
    )
    if status == "final":
        previous_query = previous_query.where(
            or_(
                bilan.bilan_date < bilan_date,
                and_(bilan.bilan_date == bilan_date, bilan.id < bilan_id),
            )
        )
    previous = executor.execute(
        previous_query.order_by(bilan.bilan_date.desc(), bilan.id.desc()).limit(1)
    ).first()
    previous_id, previous_date = (previous.id, previous.bilan_date) if previous else (None, None)

    positioning = models.Positioning
    levels: dict[tuple[int, int], str] = {
        (owner, cc_id): level
        for owner, cc_id, level in executor.execute(
            select(positioning.bilan_id, positioning.common_competency_id, positioning.level).where(
                positioning.bilan_id.in_(
                    [bilan_id] if previous_id is None else [bilan_id, previous_id]
                )
            )
        )
    }
    # A final bilan shows the CCs as they were when it was finalized, a draft today's.
    snapshot = audit_chain.load_snapshot(cc_snapshot) if status == "final" else None
    if snapshot is None:
        snapshot = audit_chain.current_snapshot(executor)
    rows = tuple(
        BilanRow(
            common_competency_id=entry.common_competency_id,
            code=entry.code,
            title=entry.title,
            previous=(
                None
                if previous_id is None
                else levels.get((previous_id, entry.common_competency_id), NOT_EVALUATED)
            ),
            current=levels.get((bilan_id, entry.common_competency_id), NOT_EVALUATED),
        )
        for entry in snapshot
    )
    event = models.AuditEvent
    history = tuple(
        AuditEntry(at, actor, action, ACTION_LABELS.get(action, action), details)
        for at, actor, action, details in executor.execute(
            select(event.at, event.actor, event.action, event.details)
            .where(event.entity == "bilan", event.entity_id == bilan_id)
            .order_by(event.id)
        )
    )
    return BilanSheet(
        bilan_id=bilan_id,
        learner_id=learner_id,
        learner_name=display_name(family_name, first_name),
        class_label=class_label,
        school_year_label=year_label,
        status=status,
        bilan_date=bilan_date,
        constats=constats,
        conseils=conseils,
        version=version,
        author=author,
        finalized_at=finalized_at,
        finalized_by=finalized_by,
        previous_date=previous_date,
        rows=rows,
        history=history,
    )
