"""What changes between two versions of a référentiel: the preview of an import or an edit.

Items are matched by their stable codes: common competencies and specialties by
code, competencies by specialty + code, criteria by their global id. A criterion
may move to another competency or common competency (a changed mapping); its id
stays. The file is the whole référentiel: an item it no longer lists is removed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from livret.domain.referentiel import (
    CommonCompetency,
    Competency,
    Criterion,
    Referentiel,
    Specialty,
)

_K = TypeVar("_K")
_V = TypeVar("_V")


@dataclass(frozen=True, slots=True)
class Remapping:
    """A criterion now counted for another common competency."""

    criterion_id: str
    old_cc: str
    new_cc: str


@dataclass(frozen=True, slots=True)
class ReferentielChanges:
    """Every difference, by kind; each entry is a short French description."""

    header: tuple[str, ...] = ()
    """Title or version changes."""
    added_ccs: tuple[CommonCompetency, ...] = ()
    removed_ccs: tuple[CommonCompetency, ...] = ()
    changed_ccs: tuple[str, ...] = ()
    added_specialties: tuple[Specialty, ...] = ()
    removed_specialties: tuple[Specialty, ...] = ()
    changed_specialties: tuple[str, ...] = ()
    added_competencies: tuple[Competency, ...] = ()
    removed_competencies: tuple[Competency, ...] = ()
    changed_competencies: tuple[str, ...] = ()
    added_criteria: tuple[Criterion, ...] = ()
    removed_criteria: tuple[Criterion, ...] = ()
    changed_criteria: tuple[str, ...] = ()
    """Text, confidence, competency or order changes (not the CC mapping)."""
    remapped: tuple[Remapping, ...] = ()
    order_changed: bool = False
    """Only the order of some items changed (the rest is equal)."""

    @property
    def empty(self) -> bool:
        return not (self.lines() or self.order_changed)

    def lines(self) -> list[str]:
        """Every change, one French line each, grouped by kind."""
        lines = list(self.header)
        lines += [f"Compétence commune ajoutée : {c.code} {c.title}" for c in self.added_ccs]
        lines += [f"Compétence commune retirée : {c.code} {c.title}" for c in self.removed_ccs]
        lines += self.changed_ccs
        lines += [f"Spécialité ajoutée : {s.code} {s.title}" for s in self.added_specialties]
        lines += [f"Spécialité retirée : {s.code} {s.title}" for s in self.removed_specialties]
        lines += self.changed_specialties
        lines += [
            f"Compétence ajoutée : [{c.specialty_code}] {c.code} {c.title}"
            for c in self.added_competencies
        ]
        lines += [
            f"Compétence retirée : [{c.specialty_code}] {c.code} {c.title}"
            for c in self.removed_competencies
        ]
        lines += self.changed_competencies
        lines += [f"Critère ajouté : {c.id} → {c.cc_code}" for c in self.added_criteria]
        lines += [f"Critère retiré : {c.id}" for c in self.removed_criteria]
        lines += [
            f"Correspondance modifiée : {r.criterion_id} {r.old_cc} → {r.new_cc}"
            for r in self.remapped
        ]
        lines += self.changed_criteria
        return lines


@dataclass(slots=True)
class _Collector:
    header: list[str] = field(default_factory=list)
    changed_ccs: list[str] = field(default_factory=list)
    changed_specialties: list[str] = field(default_factory=list)
    changed_competencies: list[str] = field(default_factory=list)
    changed_criteria: list[str] = field(default_factory=list)
    remapped: list[Remapping] = field(default_factory=list)
    order_changed: bool = False


def compare_referentiels(old: Referentiel, new: Referentiel) -> ReferentielChanges:
    """The changes that turn `old` into `new` (both already validated)."""
    out = _Collector()
    if old.id != new.id:
        out.header.append(f"Référentiel remplacé : « {old.id} » → « {new.id} »")
    if old.title != new.title:
        out.header.append(f"Titre : « {old.title} » → « {new.title} »")
    if old.version != new.version:
        out.header.append(f"Version : {old.version} → {new.version}")
    if dict(old.extra) != dict(new.extra):
        out.header.append("Informations du référentiel (sources, notes…) modifiées")
    if _plain(old.group_extra) != _plain(new.group_extra):
        out.header.append("Informations des groupes de compétences communes modifiées")

    old_ccs = {cc.code: cc for cc in old.common_competencies}
    new_ccs = {cc.code: cc for cc in new.common_competencies}
    for code, cc in new_ccs.items():
        before = old_ccs.get(code)
        if before is None:
            continue
        if before.title != cc.title:
            out.changed_ccs.append(f"Compétence commune {code} : intitulé modifié")
        if (before.group_code, before.group_label) != (cc.group_code, cc.group_label):
            out.changed_ccs.append(
                f"Compétence commune {code} : groupe {before.group_code} → {cc.group_code}"
                if before.group_code != cc.group_code
                else f"Compétence commune {code} : libellé du groupe modifié"
            )
        out.order_changed |= before.position != cc.position

    old_specialties = {s.code: s for s in old.specialties}
    new_specialties = {s.code: s for s in new.specialties}
    for code, specialty in new_specialties.items():
        before_specialty = old_specialties.get(code)
        if before_specialty is None:
            continue
        if before_specialty.title != specialty.title:
            out.changed_specialties.append(f"Spécialité {code} : intitulé modifié")
        if dict(before_specialty.extra) != dict(specialty.extra):
            out.changed_specialties.append(f"Spécialité {code} : informations modifiées")
        out.order_changed |= before_specialty.position != specialty.position

    old_competencies = _competencies(old)
    new_competencies = _competencies(new)
    for key, competency in new_competencies.items():
        before_competency = old_competencies.get(key)
        if before_competency is None:
            continue
        if before_competency.title != competency.title:
            out.changed_competencies.append(f"Compétence [{key[0]}] {key[1]} : intitulé modifié")
        out.order_changed |= before_competency.position != competency.position

    old_criteria = {c.id: c for c in old.criteria()}
    new_criteria = {c.id: c for c in new.criteria()}
    for criterion_id, criterion in new_criteria.items():
        before_criterion = old_criteria.get(criterion_id)
        if before_criterion is not None:
            _compare_criterion(before_criterion, criterion, out)

    return ReferentielChanges(
        header=tuple(out.header),
        added_ccs=_missing(new_ccs, old_ccs),
        removed_ccs=_missing(old_ccs, new_ccs),
        changed_ccs=tuple(out.changed_ccs),
        added_specialties=_missing(new_specialties, old_specialties),
        removed_specialties=_missing(old_specialties, new_specialties),
        changed_specialties=tuple(out.changed_specialties),
        added_competencies=_missing(new_competencies, old_competencies),
        removed_competencies=_missing(old_competencies, new_competencies),
        changed_competencies=tuple(out.changed_competencies),
        added_criteria=_missing(new_criteria, old_criteria),
        removed_criteria=_missing(old_criteria, new_criteria),
        changed_criteria=tuple(out.changed_criteria),
        remapped=tuple(out.remapped),
        order_changed=out.order_changed,
    )


def _compare_criterion(before: Criterion, after: Criterion, out: _Collector) -> None:
    if before.cc_code != after.cc_code:
        out.remapped.append(Remapping(after.id, before.cc_code, after.cc_code))
    if before.text != after.text:
        out.changed_criteria.append(f"Critère {after.id} : texte modifié")
    if (before.specialty_code, before.competency_code) != (
        after.specialty_code,
        after.competency_code,
    ):
        out.changed_criteria.append(
            f"Critère {after.id} : déplacé de [{before.specialty_code}] "
            f"{before.competency_code} vers [{after.specialty_code}] {after.competency_code}"
        )
    if before.confidence != after.confidence:
        out.changed_criteria.append(
            f"Critère {after.id} : confiance {before.confidence or '—'} → {after.confidence or '—'}"
        )
    if dict(before.extra) != dict(after.extra):
        out.changed_criteria.append(f"Critère {after.id} : notes modifiées")
    out.order_changed |= before.position != after.position


def _plain(groups: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    return {code: dict(extra) for code, extra in groups.items() if extra}


def _competencies(ref: Referentiel) -> dict[tuple[str, str], Competency]:
    return {
        (specialty.code, competency.code): competency
        for specialty in ref.specialties
        for competency in specialty.competencies
    }


def _missing(present: dict[_K, _V], other: dict[_K, _V]) -> tuple[_V, ...]:
    return tuple(value for key, value in present.items() if key not in other)
