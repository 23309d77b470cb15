"""What EvaluationService takes and hands back: frozen dataclasses, and the covered refusal.

A result is *covered* by a final bilan when the evaluation's date is on or before the
learner's latest final bilan (the rule of the results import). CoveredLearner names
such a learner, covered_summary() lists them for a message, and CoveredByFinalBilan
refuses a change that would touch them unless the caller confirms it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from livret.domain.errors import ConflictError
from livret.services.dto import LearnerSummary

COVERED_NAMES_SHOWN = 8
"""Learners named in a message before "et N autres"."""


def french_day(value: dt.date) -> str:
    """'20/03/2026'."""
    return value.strftime("%d/%m/%Y")


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
        return f"{self.name} (bilan du {french_day(self.bilan_date)})"


def covered_summary(covered: Sequence[CoveredLearner], limit: int = COVERED_NAMES_SHOWN) -> str:
    """'BRUN Léa, ROUX Paul (bilan du 20/03/2026) et 3 autres', for messages.

    Names sharing a bilan date (a class's council) are grouped under it.
    """
    shown = covered[:limit]
    by_date: dict[dt.date, list[str]] = {}
    for learner in shown:
        by_date.setdefault(learner.bilan_date, []).append(learner.name)
    text = " ; ".join(
        f"{', '.join(names)} (bilan du {french_day(day)})" for day, names in by_date.items()
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
