"""The référentiel of the livret: read it, preview and apply a new version, export it.

A livret database holds one référentiel (the PMIA one at first: every dashboard,
bilan and mark reads its common competencies). A new version comes from a JSON
file (`livret import referentiel`) or from the editor; both go through the same
preview() then apply(). The new version is the whole référentiel: items are
matched by code, the ones it no longer lists are removed. Another référentiel
(another id, e.g. another trade family) replaces the current one only while
nothing uses it yet (a new database). What is refused, with every reason listed
in French and nothing written:
- another référentiel once results, positionings, or classes or learners
  following a specialty exist;
- removing a criterion that has results, a common competency positioned in a
  bilan, or a specialty that classes or learners follow;
- codes or titles longer than the database keeps.
Changing a criterion's common competency (its mapping) is allowed: the preview
warns how many results will count for the new CC on the dashboards. Final bilans
keep their positionings: they are per CC and never recomputed.

Permissions (livret.domain.permissions): every role reads and exports it; teachers,
the DDFPT and the administrator edit it (a teaching team fills in its specialty,
PRODUCT.md). Every applied change writes a 'referentiel_updated'
audit event.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, replace

from sqlalchemy import Connection, insert
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from livret.domain.errors import ConflictError, ValidationError
from livret.domain.permissions import Access, Action, access, require_all
from livret.domain.referentiel import Referentiel
from livret.domain.referentiel_changes import ReferentielChanges, compare_referentiels
from livret.domain.referentiel_json import dumps_referentiel
from livret.domain.roles import Actor
from livret.exchange.case_package import case_package
from livret.services.change_log import note_change
from livret.services.database import Database
from livret.storage import models
from livret.storage.referentiel_read import StoredReferentiel, read_referentiel
from livret.storage.referentiel_sync import (
    length_problems,
    sync_referentiel,
    total_usage,
    usage_counts,
)

UPDATED_ACTION = "referentiel_updated"


@dataclass(frozen=True, slots=True)
class ReferentielPreview:
    """What applying a new version does (or did), or why it cannot."""

    referentiel_id: str
    title: str
    version: str
    changes: ReferentielChanges
    problems: tuple[str, ...]
    """Reasons for refusing; empty when the version can be applied."""
    warnings: tuple[str, ...]
    """Consequences to know before applying (changed mappings of evaluated criteria)."""
    criteria: int
    """Criteria in the new version."""
    base_changed_at: dt.datetime | None = None
    """When the stored version this preview compares with was last changed."""
    applied: bool = False

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def has_changes(self) -> bool:
        return not self.changes.empty

    def summary(self) -> str:
        """A few French lines: what the version is, then what changes or why it is refused."""
        lines = [f"Référentiel « {self.title} » ({self.referentiel_id}), version {self.version}."]
        if self.problems:
            count = len(self.problems)
            lines.append(
                f"Refusé : {count} problème{'s' if count > 1 else ''} à régler, "
                "rien ne peut être enregistré."
            )
            return "\n".join(lines)
        if not self.has_changes:
            lines.append("Aucun changement par rapport au référentiel de la base.")
            return "\n".join(lines)
        count = len(self.changes.lines())
        if count:
            done = ("appliqué" + ("s" if count > 1 else "")) if self.applied else "à appliquer"
            lines.append(f"{count} changement{'s' if count > 1 else ''} {done}.")
        if self.changes.order_changed:
            lines.append("L'ordre de certains éléments change.")
        return "\n".join(lines)

    def text(self) -> str:
        """The summary, then every problem, warning and change, one per line."""
        return "\n".join(
            [
                self.summary(),
                *(f"- {p}" for p in self.problems),
                *(f"Attention : {w}" for w in self.warnings),
                *(f"- {line}" for line in self.changes.lines()),
            ]
        )


class ReferentielRefused(ValidationError):
    """The new version cannot be applied; `preview` lists why. Nothing was written."""

    def __init__(self, preview: ReferentielPreview) -> None:
        lines = [preview.summary(), *(f"- {p}" for p in preview.problems)]
        super().__init__("\n".join([*lines, "Rien n'a été enregistré."]))
        self.preview = preview


class ReferentielService:
    """Use cases on the référentiel; each public method is one snapshot or transaction."""

    def __init__(self, database: Database, actor: Actor) -> None:
        self._database = database
        self._actor = actor

    @property
    def may_edit(self) -> bool:
        return access(self._actor, Action.EDIT_REFERENTIEL) is Access.ALL

    def current(self) -> Referentiel:
        """The référentiel held by the database."""
        require_all(self._actor, Action.VIEW_REFERENTIEL)
        with self._database.snapshot() as connection:
            return read_referentiel(connection).referentiel

    def preview(self, new: Referentiel) -> ReferentielPreview:
        """What applying `new` would change; nothing is written."""
        require_all(self._actor, Action.EDIT_REFERENTIEL)
        with self._database.snapshot() as connection:
            return _preview(connection, read_referentiel(connection), new)

    def apply(
        self,
        new: Referentiel,
        *,
        source_name: str | None = None,
        previewed: ReferentielPreview | None = None,
    ) -> ReferentielPreview:
        """Apply `new` in one audited transaction, checked again inside it.

        Raises ReferentielRefused (nothing written) when the preview has problems.
        With `previewed` (the preview the user accepted), raises ConflictError when the
        stored référentiel changed since, so nobody's edits are overwritten unseen.
        A version equal to the stored one writes nothing and returns its preview.
        """
        require_all(self._actor, Action.EDIT_REFERENTIEL)
        try:
            with self._database.transaction() as session:
                stored = read_referentiel(session, for_update=True)
                if previewed is not None and previewed.base_changed_at != stored.updated_at:
                    raise ConflictError(
                        "Le référentiel a été modifié ailleurs depuis l'aperçu : rien n'a été "
                        "enregistré. Rouvrez-le pour voir ces changements, puis recommencez."
                    )
                preview = _preview(session, stored, new)
                if preview.problems:
                    raise ReferentielRefused(preview)
                if not preview.has_changes:
                    return preview
                sync_referentiel(session, stored.db_id, new)
                _audit(session, self._actor, preview, source_name)
                note_change(session, self._database, self._actor, "referentiel")
        except (IntegrityError, OperationalError) as exc:
            if isinstance(exc, OperationalError) and "locked" not in str(exc.orig):
                raise
            raise ConflictError(
                "Le référentiel a été modifié en même temps ailleurs : rien n'a été "
                "enregistré, recommencez."
            ) from None
        return replace(preview, applied=True)

    def export_json(self) -> bytes:
        """The référentiel as JSON, in the shape it is imported from."""
        require_all(self._actor, Action.VIEW_REFERENTIEL)
        return dumps_referentiel(self.current())

    def export_case(self) -> bytes:
        """The référentiel as a 1EdTech CASE 1.0 package (CFPackage JSON)."""
        require_all(self._actor, Action.VIEW_REFERENTIEL)
        with self._database.snapshot() as connection:
            stored = read_referentiel(connection)
        changed_at = stored.updated_at or dt.datetime(2000, 1, 1)
        package = case_package(stored.referentiel, changed_at=changed_at)
        return (json.dumps(package, ensure_ascii=False, indent=1) + "\n").encode()


def _preview(
    executor: Session | Connection, stored: StoredReferentiel, new: Referentiel
) -> ReferentielPreview:
    old = stored.referentiel
    changes = compare_referentiels(old, new)
    problems: list[str] = []
    if new.id != old.id:
        in_use = {name: count for name, count in total_usage(executor).items() if count}
        if in_use:
            problems.append(
                f"Ce fichier décrit le référentiel « {new.id} » alors que la base utilise "
                f"« {old.id} » ({_in_use_text(in_use)}) : une base ne tient qu'un référentiel. "
                "Pour mettre celui-ci à jour, gardez son identifiant ; pour une autre famille "
                "de métiers, créez une autre base (livret db init --db …)."
            )
    problems.extend(length_problems(new))
    usage = usage_counts(
        executor,
        stored.db_id,
        criteria={c.id for c in changes.removed_criteria}
        | {r.criterion_id for r in changes.remapped},
        ccs={c.code for c in changes.removed_ccs},
        specialties={s.code for s in changes.removed_specialties},
    )
    for criterion in changes.removed_criteria:
        if count := usage.results_by_criterion.get(criterion.id, 0):
            problems.append(
                f"Le critère {criterion.id} ne peut pas être retiré : {_results(count)} "
                "l'utilisent."
            )
    for cc in changes.removed_ccs:
        if count := usage.positionings_by_cc.get(cc.code, 0):
            problems.append(
                f"La compétence commune {cc.code} ne peut pas être retirée : elle est "
                f"positionnée dans {count} bilan{'s' if count > 1 else ''}."
            )
    for specialty in changes.removed_specialties:
        classes = usage.classes_by_specialty.get(specialty.code, 0)
        learners = usage.learners_by_specialty.get(specialty.code, 0)
        if classes or learners:
            problems.append(
                f"La spécialité {specialty.code} ne peut pas être retirée : "
                f"{classes} classe(s) et {learners} apprenant(s) la suivent."
            )
    warnings = [
        f"les {_results(count)} du critère {r.criterion_id} compteront pour {r.new_cc} "
        f"au lieu de {r.old_cc} dans les tableaux de bord (les bilans définitifs ne "
        "changent pas)."
        for r in changes.remapped
        if (count := usage.results_by_criterion.get(r.criterion_id, 0))
    ]
    return ReferentielPreview(
        referentiel_id=new.id,
        title=new.title,
        version=new.version,
        changes=changes,
        problems=tuple(problems),
        warnings=tuple(warnings),
        criteria=len(new.criteria()),
        base_changed_at=stored.updated_at,
    )


_USAGE_WORDS = {
    "results": "résultat(s)",
    "positionings": "positionnement(s)",
    "classes": "classe(s) rattachée(s) à une spécialité",
    "learners": "apprenant(s) rattaché(s) à une spécialité",
}


def _in_use_text(in_use: dict[str, int]) -> str:
    return ", ".join(f"{count} {_USAGE_WORDS[name]}" for name, count in in_use.items())


def _results(count: int) -> str:
    return f"{count} résultat{'s' if count > 1 else ''}"


def _audit(
    session: Session, actor: Actor, preview: ReferentielPreview, source_name: str | None
) -> None:
    lines = preview.changes.lines()
    source = f"fichier « {source_name} »" if source_name else "éditeur"
    details = [f"Version {preview.version} ({source}) : {len(lines)} changement(s)", *lines[:200]]
    if len(lines) > 200:
        details.append(f"… et {len(lines) - 200} autre(s)")
    session.execute(
        insert(models.AuditEvent).values(
            at=dt.datetime.now(),
            user_id=actor.user_id,
            actor=actor.display_name,
            action=UPDATED_ACTION,
            entity="referentiel",
            entity_id=None,
            details="\n".join(details),
        )
    )
