"""The erasure of one learner (RGPD), inside the caller's transaction.

A final bilan is changed by no path but the DDFPT's unlock (storage.guards): each final
bilan of the learner is first unlocked the way BilanService.unlock does it — a
`bilan_unlocked` event in the DDFPT's name (reason « effacement RGPD »), then the status
back to draft — and only then deleted, with everything else of the learner. The audit
events are kept, with their personal part blanked: no name, INE or login stays in the
journal, only the `learner_erased` event with counts.
"""

from __future__ import annotations

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from livret.domain.errors import ValidationError
from livret.domain.roles import Actor
from livret.services import audit
from livret.services.change_log import note_change
from livret.services.database import Database
from livret.services.privacy_records import (
    ERASE_REASON,
    ERASED_ACTION,
    ERASED_DETAILS,
    ERASED_NAME,
    LSL_MODELS,
    ErasureReport,
    Identity,
    counts,
    events_about,
    mention_pattern,
    own_events,
    read_identity,
)
from livret.storage import guards, models

COUNTERSIGN_NEEDED = (
    "Cet apprenant a des bilans définitifs : leur effacement passe par le déverrouillage, "
    "que seul un DDFPT autorise. Saisissez l'identifiant et le mot de passe d'un DDFPT."
)


def erase(
    session: Session,
    database: Database,
    actor: Actor,
    learner_id: int,
    ddfpt: Actor | None,
) -> ErasureReport:
    """Delete every row of the learner; `ddfpt` countersigned (needed with final bilans)."""
    identity = read_identity(session, learner_id, lock=True)
    if identity.final_bilan_ids and ddfpt is None:
        # A bilan was finalized since the confirmation was asked: ask again.
        raise ValidationError(COUNTERSIGN_NEEDED)
    found = counts(session, identity)
    class_ids = tuple(
        sorted(
            set(
                session.scalars(
                    select(models.Enrolment.class_id).where(
                        models.Enrolment.learner_id == learner_id
                    )
                )
            )
        )
    )
    scrubbed = events_about(session, identity)
    _delete_bilans(session, actor, identity, ddfpt)
    session.execute(delete(models.Result).where(models.Result.learner_id == learner_id))
    # Also cascaded by their foreign keys; deleted by name so that nothing depends on it.
    for model in (models.ConseilRemark, *LSL_MODELS):
        session.execute(delete(model).where(model.learner_id == learner_id))
    session.execute(delete(models.Enrolment).where(models.Enrolment.learner_id == learner_id))
    # Read again: the unlock events just written lose their bilan's id too.
    _scrub_events(session, identity, events_about(session, identity))
    if identity.account_id is not None:
        session.execute(delete(models.User).where(models.User.id == identity.account_id))
    session.execute(delete(models.Learner).where(models.Learner.id == learner_id))
    report = ErasureReport(
        enrolments=found["enrolments"],
        results=found["results"],
        bilans=found["bilans"],
        final_bilans=found["final_bilans"],
        positionings=found["positionings"],
        marks=found["marks"],
        conseil_remarks=found["conseil_remarks"],
        lsl_entries=found["lsl_entries"],
        account_deleted=identity.account_id is not None,
        audit_events_scrubbed=len(scrubbed),
        class_ids=class_ids,
    )
    # No entity id: SQLite may give a deleted learner's id to the next one imported.
    audit.record(
        session,
        actor,
        ERASED_ACTION,
        "learner",
        None,
        report.details(ddfpt.display_name if ddfpt is not None else None),
    )
    note_change(
        session, database, actor, ERASED_ACTION, learner_ids=[learner_id], class_ids=class_ids
    )
    return report


def _delete_bilans(session: Session, actor: Actor, identity: Identity, ddfpt: Actor | None) -> None:
    """The draft first (one draft a learner: the unlocked bilans become drafts), then each
    final bilan: unlocked as the DDFPT unlocks it, then deleted with its mark and levels."""
    bilan = models.Bilan
    finals = set(identity.final_bilan_ids)
    drafts = [bilan_id for bilan_id in identity.bilan_ids if bilan_id not in finals]
    # Newest final first, as unlock only ever reopens the latest one.
    for bilan_id in [*drafts, *reversed(identity.final_bilan_ids)]:
        if bilan_id in finals:
            assert ddfpt is not None  # checked by erase()
            label = ddfpt.display_name
            if ddfpt.user_id != actor.user_id:
                label += f", au poste de {actor.display_name}"
            # The guards let the status go back to draft only once this event exists.
            audit.record(
                session,
                ddfpt,
                guards.UNLOCK_ACTION,
                "bilan",
                bilan_id,
                ERASE_REASON,
                actor_label=label[:200],
                session_user_id=actor.user_id,
            )
            session.execute(
                update(bilan)
                .where(bilan.id == bilan_id, bilan.status == "final")
                .values(status="draft", version=bilan.version + 1)
            )
        session.execute(delete(models.Mark).where(models.Mark.bilan_id == bilan_id))
        session.execute(delete(models.Positioning).where(models.Positioning.bilan_id == bilan_id))
        session.execute(delete(bilan).where(bilan.id == bilan_id))


def _scrub_events(session: Session, identity: Identity, event_ids: list[int]) -> None:
    """Keep each event (when, who among the staff, what) and blank what tells the learner.

    On the learner's own records (bilans, account, the learner): details blanked, entity id
    and account links cleared, the account's name or login as actor replaced. Elsewhere
    (an evaluation changed after a final bilan lists the learners): each mention of the
    name, INE or login replaced by « [apprenant effacé] ». The `bilan_unlocked` events of
    this erasure keep their reason: it names no one.
    """
    if not event_ids:
        return
    event = models.AuditEvent
    pattern = mention_pattern(identity.forms())
    own_names = {
        name.casefold()
        for name in (identity.account_login, identity.account_name, identity.name)
        if name
    }
    rows = session.execute(
        select(
            event.id,
            event.actor,
            event.action,
            event.details,
            event.user_id,
            event.session_user_id,
            own_events(identity).label("own"),
        ).where(event.id.in_(event_ids))
    ).all()
    for row in rows:
        values: dict[str, object] = {}
        if row.own:
            values["entity_id"] = None
            erasure_unlock = row.action == guards.UNLOCK_ACTION and row.details == ERASE_REASON
            values["details"] = row.details if erasure_unlock or not row.details else ERASED_DETAILS
        else:
            values["details"] = pattern.sub(ERASED_NAME, row.details or "")
        is_account = identity.account_id is not None and row.user_id == identity.account_id
        if is_account or (row.actor or "").casefold() in own_names:
            values["actor"] = ERASED_NAME
        if is_account:
            values["user_id"] = None
        if identity.account_id is not None and row.session_user_id == identity.account_id:
            values["session_user_id"] = None
        session.execute(update(event).where(event.id == row.id).values(**values))
