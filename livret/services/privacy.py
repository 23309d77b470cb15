"""Données personnelles (RGPD): export everything about one learner, erase one learner, and
list the learners who left long ago (the retention screen).

Each public method checks the actor's permissions first (EXPORT_LEARNER_DATA: DDFPT and
Administrateur; ERASE_LEARNER: Administrateur, countersigned by a DDFPT when the learner
has final bilans) and is one transaction or one snapshot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection, select
from sqlalchemy.exc import DBAPIError, IntegrityError, OperationalError

from livret.domain.errors import ConflictError, PermissionDenied, ValidationError
from livret.domain.permissions import Action, allowed, denied_message, require_all
from livret.domain.roles import Actor
from livret.services import audit
from livret.services.authentication import countersign
from livret.services.database import Database
from livret.services.dto import sort_key
from livret.services.exports import ExportService, bilan_file_name
from livret.services.privacy_erase import COUNTERSIGN_NEEDED, erase
from livret.services.privacy_export import (
    JSON_NAME,
    README_NAME,
    json_bytes,
    learner_record,
    readme_bytes,
    write_zip,
    zip_target,
)
from livret.services.privacy_records import (
    ACTION_LABELS,
    ERASE_WORD,
    ERASED_ACTION,
    EXPORTED_ACTION,
    ErasurePreview,
    ErasureReport,
    RetentionRow,
    counts,
    events_about,
    find_by_ine,
    learner_rows,
    read_identity,
)
from livret.storage import guards, models

__all__ = [
    "ACTION_LABELS",
    "DEFAULT_RETENTION_YEARS",
    "ERASED_ACTION",
    "ERASE_WORD",
    "EXPORTED_ACTION",
    "ErasurePreview",
    "ErasureReport",
    "PrivacyService",
    "RetentionRow",
    "years_before",
]

DEFAULT_RETENTION_YEARS = 1
"""Years after leaving past which a learner is listed for erasure (configurable).

Not a verified legal figure. The archived school record (dossier scolaire) is kept at
least 10 years (instruction DAF DPACI/RES/2005/003 of 22 February 2005, as quoted by the
rectorat de Bordeaux), but that archive is not this tool: the rectorat and the CNIL's
former school-management exemption (dispense n° 17, 2012) want the data of management
and teaching software deleted at the end of the learner's schooling. One year after
leaving leaves time for a late request (a diploma, an appeal, a copy of a bilan).
"""

CONFIRMATION_MESSAGE = (
    f"Tapez {ERASE_WORD} en lettres capitales pour confirmer l'effacement : rien n'a été effacé."
)


def years_before(today: dt.date, years: int) -> dt.date:
    """The same day `years` years earlier (29 February → 28 February)."""
    try:
        return today.replace(year=today.year - years)
    except ValueError:
        return today.replace(year=today.year - years, day=28)


class PrivacyService:
    """The RGPD use cases of one session."""

    def __init__(
        self,
        database: Database,
        actor: Actor,
        *,
        clock: Callable[[], dt.datetime] = dt.datetime.now,
    ) -> None:
        self._database = database
        self._actor = actor
        self._clock = clock

    @property
    def actor(self) -> Actor:
        return self._actor

    @property
    def may_erase(self) -> bool:
        return allowed(self._actor, Action.ERASE_LEARNER)

    # -- the lists ---------------------------------------------------------------------

    def retention(
        self, years: int = DEFAULT_RETENTION_YEARS, today: dt.date | None = None
    ) -> tuple[RetentionRow, ...]:
        """Learners who left more than `years` years before `today`, the oldest leavers first."""
        self.require_screen()
        if years < 0:
            raise ValidationError("Le nombre d'années ne peut pas être négatif.")
        limit = years_before(today or self._clock().date(), years)
        with self._database.snapshot() as connection:
            rows = learner_rows(
                connection,
                models.Learner.left_on.is_not(None) & (models.Learner.left_on < limit),
            )
        return tuple(sorted(rows, key=lambda r: (r.left_on or dt.date.min, sort_key(r.name))))

    def find_learners(self, text: str, *, limit: int = 200) -> tuple[RetentionRow, ...]:
        """Learners (present or gone) whose name or INE contains `text`, by name."""
        self.require_screen()
        wanted = sort_key(text)
        if not wanted:
            return ()
        learner = models.Learner
        with self._database.snapshot() as connection:
            people = connection.execute(
                select(learner.id, learner.family_name, learner.first_name, learner.ine)
            ).all()
            ids = [
                row.id
                for row in people
                if wanted in sort_key(f"{row.family_name} {row.first_name}")
                or wanted in sort_key(f"{row.first_name} {row.family_name}")
                or wanted in sort_key(row.ine)
            ]
            rows = learner_rows(connection, learner.id.in_(ids)) if ids else []
        ordered = sorted(rows, key=lambda r: (sort_key(r.name), r.learner_id))
        return tuple(ordered[:limit])

    def learner_id(self, ine: str) -> int:
        """The id of the learner with that INE."""
        self.require_screen()
        with self._database.snapshot() as connection:
            return find_by_ine(connection, ine)

    # -- export ------------------------------------------------------------------------

    def export_learner(self, learner_id: int, destination_zip: Path) -> Path:
        """Write everything about the learner to a new zip: données.json, the PDF of each
        bilan (drafts included: the right of access covers them), a LISEZMOI.txt.

        Owner-only (0600) and atomic; an existing file is never replaced. Returns the
        file written (.zip added to a name without it). Audited (counts, no name).
        """
        require_all(self._actor, Action.EXPORT_LEARNER_DATA)
        target = zip_target(destination_zip)
        now = self._clock()
        with self._database.snapshot() as connection:
            identity = read_identity(connection, learner_id)
            facts = self._bilan_facts(connection, identity.bilan_ids)
            establishment = (
                connection.scalar(
                    select(models.Establishment.name).order_by(models.Establishment.id).limit(1)
                )
                or ""
            )
        pdfs = self._pdfs(learner_id, identity.family_name, identity.first_name, facts)
        pdf_names = {bilan_id: name for bilan_id, name, _ in pdfs}
        with self._database.snapshot() as connection:
            record = learner_record(
                connection,
                identity,
                establishment=establishment,
                exported_at=now,
                exported_by=self._actor.display_name,
                pdf_names=pdf_names,
            )
        files = [
            (README_NAME, readme_bytes()),
            (JSON_NAME, json_bytes(record)),
            *((name, data) for _, name, data in pdfs),
        ]
        written = write_zip(target, files)
        with self._database.transaction() as session:
            audit.record(
                session,
                self._actor,
                EXPORTED_ACTION,
                "learner",
                learner_id,
                f"{len(record['results'])} résultat(s), {len(record['bilans'])} bilan(s), "
                f"{len(pdfs)} PDF",
            )
        return written

    def _bilan_facts(
        self, connection: Connection, bilan_ids: tuple[int, ...]
    ) -> list[tuple[int, str | None, dt.date, str]]:
        """(id, class code, date, status) of each bilan, in date order."""
        bilan, klass = models.Bilan, models.SchoolClass
        rows = connection.execute(
            select(bilan.id, klass.code, bilan.bilan_date, bilan.status)
            .select_from(bilan)
            .outerjoin(klass, klass.id == bilan.class_id)
            .where(bilan.id.in_(list(bilan_ids)))
            .order_by(bilan.bilan_date, bilan.id)
        ).all()
        return [(row[0], row[1], row[2], row[3]) for row in rows]

    def _pdfs(
        self,
        learner_id: int,
        family_name: str,
        first_name: str,
        facts: list[tuple[int, str | None, dt.date, str]],
    ) -> list[tuple[int, str, bytes]]:
        """(bilan id, name in the zip, PDF) of each bilan, rendered as ExportService prints it.

        Read through ExportService.learner_documents, under the right of access.
        """
        from livret.reports.bilan_pdf import render_bilan_pdf  # reportlab: on first use

        documents = ExportService(self._database, self._actor, clock=self._clock).learner_documents(
            learner_id
        )
        found: list[tuple[int, str, bytes]] = []
        used: set[str] = set()
        for bilan_id, class_code, bilan_date, status in facts:
            name = bilan_file_name(class_code, family_name, first_name, bilan_date)
            if status != "final":
                name = name[: -len(".pdf")] + "_brouillon.pdf"
            stem, number = name[: -len(".pdf")], 1
            while name.casefold() in used:
                number += 1
                name = f"{stem}_{number}.pdf"
            used.add(name.casefold())
            found.append((bilan_id, f"bilans/{name}", render_bilan_pdf(documents[bilan_id])))
        return found

    # -- erasure -----------------------------------------------------------------------

    def erasure_preview(self, learner_id: int) -> ErasurePreview:
        """What erasing the learner would delete (for the confirmation)."""
        require_all(self._actor, Action.ERASE_LEARNER)
        with self._database.snapshot() as connection:
            identity = read_identity(connection, learner_id)
            found = counts(connection, identity)
            events = len(events_about(connection, identity))
        return ErasurePreview(
            learner_id=identity.learner_id,
            name=identity.name,
            ine=identity.ine,
            left_on=identity.left_on,
            enrolments=found["enrolments"],
            results=found["results"],
            bilans=found["bilans"],
            final_bilans=found["final_bilans"],
            positionings=found["positionings"],
            marks=found["marks"],
            conseil_remarks=found["conseil_remarks"],
            lsl_entries=found["lsl_entries"],
            account_login=identity.account_login,
            audit_events=events,
        )

    def erase_learner(
        self,
        learner_id: int,
        *,
        confirmation: str,
        ddfpt_login: str | None,
        ddfpt_password: str | None,
    ) -> ErasureReport:
        """Erase the learner and everything of theirs, in one transaction.

        `confirmation` must be exactly EFFACER. With final bilans, a DDFPT countersigns
        with their login and password (as for an unlock); a refusal erases nothing.
        """
        require_all(self._actor, Action.ERASE_LEARNER)
        if confirmation != ERASE_WORD:
            raise ValidationError(CONFIRMATION_MESSAGE)
        with self._database.snapshot() as connection:
            identity = read_identity(connection, learner_id)
        ddfpt: Actor | None = None
        if identity.final_bilan_ids:
            if not (ddfpt_login or "").strip() or not ddfpt_password:
                raise ValidationError(COUNTERSIGN_NEEDED)
            # Before the write transaction: checking a password (argon2) takes a while.
            ddfpt = countersign(self._database, ddfpt_login or "", ddfpt_password, self._actor)
        try:
            with self._database.transaction() as session:
                return erase(session, self._database, self._actor, learner_id, ddfpt)
        except DBAPIError as exc:
            if guards.is_final_bilan_refusal(exc) or isinstance(exc, IntegrityError):
                raise ConflictError(
                    "Les données de cet apprenant viennent d'être modifiées sur un autre poste "
                    "(un bilan, un résultat) : rien n'a été effacé, recommencez."
                ) from None
            if isinstance(exc, OperationalError) and "locked" in str(exc.orig):
                raise ConflictError(
                    "La base est occupée par un autre poste : rien n'a été effacé, recommencez."
                ) from None
            raise

    # -- helpers -----------------------------------------------------------------------

    def require_screen(self) -> None:
        """The RGPD screen's lists: whoever may export or erase a learner's data."""
        if not (
            allowed(self._actor, Action.EXPORT_LEARNER_DATA)
            or allowed(self._actor, Action.ERASE_LEARNER)
        ):
            raise PermissionDenied(denied_message(self._actor, Action.EXPORT_LEARNER_DATA))
