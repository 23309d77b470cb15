"""The audit journal, read back: who did what, when, on which learner (DDFPT, Administrateur).

One set-based query: the events with their account, the learner they concern (a bilan's
learner, a learner account's learner) and the person logged in at the computer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import aliased

from livret.domain.permissions import Action, require
from livret.domain.roles import Actor
from livret.services import (
    accounts,
    authentication,
    bilans,
    establishment,
    evaluation_changes,
    marks,
    privacy_records,
    referentiel,
    results_import,
    siecle_import,
)
from livret.services.database import Database
from livret.services.dto import display_name, sort_key
from livret.storage import models

DEFAULT_LIMIT = 2000

ACTION_LABELS: dict[str, str] = {
    authentication.LOGIN_ACTION: "Connexion",
    authentication.LOGIN_FAILED_ACTION: "Connexion refusée",
    authentication.LOGIN_LOCKED_ACTION: "Connexion en attente (trop d'échecs)",
    authentication.COUNTERSIGN_FAILED_ACTION: "Contre-signature refusée",
    accounts.USER_ADDED_ACTION: "Compte créé",
    accounts.PASSWORD_SET_ACTION: "Mot de passe changé",
    accounts.USER_DISABLED_ACTION: "Compte désactivé",
    accounts.USER_ENABLED_ACTION: "Compte réactivé",
    accounts.USER_RENAMED_ACTION: "Compte renommé",
    accounts.CLASS_ACCOUNTS_ACTION: "Comptes d'une classe créés",
    bilans.DRAFT_CREATED_ACTION: "Bilan : brouillon créé",
    bilans.SAVED_ACTION: "Bilan enregistré",
    bilans.FINALIZE_ACTION: "Bilan enregistré définitivement",
    bilans.UNLOCK_ACTION: "Bilan déverrouillé",
    establishment.UPDATED_ACTION: "Établissement modifié",
    evaluation_changes.CREATED_ACTION: "Évaluation créée",
    evaluation_changes.UPDATED_ACTION: "Évaluation modifiée",
    evaluation_changes.DELETED_ACTION: "Évaluation supprimée",
    evaluation_changes.CHANGED_AFTER_FINAL_ACTION: "Évaluation modifiée après un bilan définitif",
    evaluation_changes.DELETED_AFTER_FINAL_ACTION: "Évaluation supprimée après un bilan définitif",
    evaluation_changes.ADDED_AFTER_FINAL_ACTION: "Résultats ajoutés dans une période close",
    marks.SAVED_ACTION: "Notes enregistrées",
    marks.SETTINGS_ACTION: "Réglages des notes changés",
    referentiel.UPDATED_ACTION: "Référentiel modifié",
    results_import.IMPORT_ACTION: "Import de résultats",
    siecle_import.IMPORT_ACTION: "Import des élèves (SIECLE)",
    **privacy_records.ACTION_LABELS,
}


def action_label(action: str) -> str:
    """The French name of an action; an unknown one is shown as stored."""
    return ACTION_LABELS.get(action, action)


@dataclass(frozen=True, slots=True)
class AuditLine:
    """One event of the journal, as the Journal dialog shows it."""

    id: int
    at: dt.datetime
    actor: str
    """The name recorded at the time (a failed login records the login tried)."""
    login: str | None
    """The account's login, None for an event without account."""
    action: str
    label: str
    entity: str
    entity_id: int | None
    learner_id: int | None
    learner_name: str | None
    """'NOM Prénom' when the event concerns a learner (their bilan, their account)."""
    details: str
    session_user: str | None
    """Who was logged in at the computer when someone else authorised the action."""


_event, _user, _session_user = models.AuditEvent, aliased(models.User), aliased(models.User)
_target, _bilan, _learner = aliased(models.User), models.Bilan, models.Learner
_LEARNER_ID = func.coalesce(
    _bilan.learner_id,
    _target.learner_id,
    case((_event.entity == "learner", _event.entity_id), else_=None),
)
_QUERY = (
    select(
        _event.id,
        _event.at,
        _event.actor,
        _user.login,
        _event.action,
        _event.entity,
        _event.entity_id,
        _learner.id,
        _learner.family_name,
        _learner.first_name,
        _event.details,
        _session_user.display_name,
    )
    .outerjoin(_user, _user.id == _event.user_id)
    .outerjoin(_session_user, _session_user.id == _event.session_user_id)
    .outerjoin(_bilan, and_(_event.entity == "bilan", _bilan.id == _event.entity_id))
    .outerjoin(_target, and_(_event.entity == "app_user", _target.id == _event.entity_id))
    .outerjoin(_learner, _learner.id == _LEARNER_ID)
)


class AuditLogService:
    """Reads the audit journal; every method needs the right to view it."""

    def __init__(self, database: Database, actor: Actor) -> None:
        self._database = database
        self._actor = actor

    def search(
        self,
        *,
        since: dt.date | None = None,
        until: dt.date | None = None,
        user_id: int | None = None,
        action: str | None = None,
        learner_id: int | None = None,
        learner_ids: Collection[int] | None = None,
        limit: int = DEFAULT_LIMIT,
    ) -> tuple[AuditLine, ...]:
        """The events matching every given filter, newest first, `limit` at most.

        `since` and `until` are whole days, both included. `learner_ids` keeps the events
        of any of those learners (the dialog's name search); empty, it keeps none.
        """
        require(self._actor, Action.VIEW_AUDIT)
        query = _QUERY
        if since is not None:
            query = query.where(_event.at >= dt.datetime.combine(since, dt.time()))
        if until is not None:
            next_day = dt.datetime.combine(until + dt.timedelta(days=1), dt.time())
            query = query.where(_event.at < next_day)
        if user_id is not None:
            query = query.where(_event.user_id == user_id)
        if action is not None:
            query = query.where(_event.action == action)
        if learner_id is not None:
            query = query.where(_learner.id == learner_id)
        if learner_ids is not None:
            query = query.where(_learner.id.in_(sorted(set(learner_ids))))
        query = query.order_by(_event.at.desc(), _event.id.desc()).limit(max(0, limit))
        with self._database.snapshot() as connection:
            rows = connection.execute(query).all()
        return tuple(
            AuditLine(
                id=row[0],
                at=row[1],
                actor=row[2],
                login=row[3],
                action=row[4],
                label=action_label(row[4]),
                entity=row[5],
                entity_id=row[6],
                learner_id=row[7],
                learner_name=display_name(row[8], row[9]) if row[7] is not None else None,
                details=row[10] or "",
                session_user=row[11],
            )
            for row in rows
        )

    def kinds(self) -> tuple[tuple[str, str], ...]:
        """(action, French label) of every known action and of any other stored, by label."""
        require(self._actor, Action.VIEW_AUDIT)
        with self._database.snapshot() as connection:
            stored = set(connection.scalars(select(_event.action).distinct()))
        found = set(ACTION_LABELS) | stored
        return tuple(sorted(((a, action_label(a)) for a in found), key=lambda k: sort_key(k[1])))

    def users(self) -> tuple[tuple[int, str], ...]:
        """(id, name shown) of every account, by name."""
        require(self._actor, Action.VIEW_AUDIT)
        user = models.User
        with self._database.snapshot() as connection:
            rows = connection.execute(select(user.id, user.display_name, user.login)).all()
        found = [(row[0], f"{row[1]} ({row[2]})") for row in rows]
        return tuple(sorted(found, key=lambda u: (sort_key(u[1]), u[0])))

    def learners(self) -> tuple[tuple[int, str], ...]:
        """(id, 'NOM Prénom') of every learner, for the search by name."""
        require(self._actor, Action.VIEW_AUDIT)
        learner = models.Learner
        with self._database.snapshot() as connection:
            rows = connection.execute(
                select(learner.id, learner.family_name, learner.first_name)
            ).all()
        found = [(row[0], display_name(row[1], row[2])) for row in rows]
        return tuple(sorted(found, key=lambda n: (sort_key(n[1]), n[0])))


def matching_learners(learners: Collection[tuple[int, str]], text: str) -> frozenset[int] | None:
    """Ids of the learners whose name contains `text` (accents, case ignored); None if blank."""
    wanted = sort_key(text)
    if not wanted:
        return None
    return frozenset(i for i, name in learners if wanted in sort_key(name))
