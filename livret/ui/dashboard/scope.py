"""What the expanded view's columns cover: one period, one school year, or everything.

The teacher's choice is kept as they made it (« Période en cours » stays the current
period of whichever learner comes next) and resolved against each learner's
dashboard: a period or a year the learner does not have falls back to everything.
Everything here reads the DTO only (evaluation dates, period boundaries): no query.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import Enum

from livret.domain.school_years import (
    parse_school_year_label,
    school_year_label,
    school_year_of,
)
from livret.services.dto import LearnerDashboard


class ScopeKind(Enum):
    ALL = "all"
    PERIOD = "period"
    YEAR = "year"


@dataclass(frozen=True, slots=True)
class ColumnScope:
    """A period (its index; None: the current one), a school year (its first calendar
    year, 2025 for 2025-2026) or everything."""

    kind: ScopeKind = ScopeKind.ALL
    value: int | None = None


EVERYTHING = ColumnScope()
CURRENT_PERIOD = ColumnScope(ScopeKind.PERIOD)


@dataclass(frozen=True, slots=True)
class ScopeChoice:
    """One entry of the toolbar's choice: the scope as remembered, and its label."""

    scope: ColumnScope
    label: str
    tooltip: str


@dataclass(frozen=True, slots=True)
class ScopeFilter:
    """A resolved scope: which evaluations and which final bilans it shows."""

    scope: ColumnScope
    evaluations: tuple[bool, ...] | None  # per evaluation index; None: all of them
    bilan_ids: frozenset[int] | None  # None: all of them


def _day(value: dt.date) -> str:
    return value.strftime("%d/%m/%Y")


def _years(dashboard: LearnerDashboard) -> list[int]:
    years = {school_year_of(evaluation.date) for evaluation in dashboard.evaluations}
    years.update(school_year_of(bilan.bilan_date) for bilan in dashboard.final_bilans)
    enrolled = parse_school_year_label(dashboard.learner.school_year_label)
    if enrolled is not None:
        years.add(enrolled)
    return sorted(years, reverse=True)


def scope_choices(dashboard: LearnerDashboard) -> tuple[ScopeChoice, ...]:
    """The current period, the closed ones (newest first), the school years, everything."""
    ends = dashboard.period_boundaries
    current = dashboard.current_period
    choices = [
        ScopeChoice(
            CURRENT_PERIOD,
            "Période en cours",
            f"Les évaluations depuis le dernier bilan définitif (le {_day(ends[-1])})"
            if ends
            else "Les évaluations depuis le début (aucun bilan définitif encore)",
        )
    ]
    first_dates: dict[int, dt.date] = {}
    for evaluation in dashboard.evaluations:  # chronological: the first one of each period
        first_dates.setdefault(evaluation.period, evaluation.date)
    for period in range(current - 1, -1, -1):
        if period > 0:
            span = f"du {_day(ends[period - 1])} au {_day(ends[period])}"
        elif 0 in first_dates:
            span = f"du {_day(first_dates[0])} au {_day(ends[0])}"
        else:
            span = f"jusqu'au {_day(ends[0])}"
        choices.append(
            ScopeChoice(
                ColumnScope(ScopeKind.PERIOD, period),
                f"Période {period + 1} ({span})",
                f"Les évaluations de la période close par le bilan du {_day(ends[period])}",
            )
        )
    for year in _years(dashboard):
        label = school_year_label(year)
        choices.append(
            ScopeChoice(
                ColumnScope(ScopeKind.YEAR, year),
                f"Année {label}",
                f"Les évaluations et les bilans de l'année scolaire {label}",
            )
        )
    choices.append(ScopeChoice(EVERYTHING, "Tout", "Toutes les évaluations de l'apprenant"))
    return tuple(choices)


def resolve(dashboard: LearnerDashboard, scope: ColumnScope) -> ColumnScope:
    """The scope for this learner: the current period made explicit; a period or a
    year the learner does not have: everything."""
    if scope.kind is ScopeKind.PERIOD:
        if scope.value is None:
            return ColumnScope(ScopeKind.PERIOD, dashboard.current_period)
        return scope if 0 <= scope.value <= dashboard.current_period else EVERYTHING
    if scope.kind is ScopeKind.YEAR:
        return scope if scope.value in _years(dashboard) else EVERYTHING
    return EVERYTHING


def scope_filter(dashboard: LearnerDashboard, scope: ColumnScope) -> ScopeFilter:
    """What a scope shows of this learner (one pass over the evaluations and bilans)."""
    resolved = resolve(dashboard, scope)
    value = resolved.value
    if resolved.kind is ScopeKind.PERIOD:
        ends = dashboard.period_boundaries
        closing = ends[value] if value is not None and value < len(ends) else None
        return ScopeFilter(
            resolved,
            tuple(evaluation.period == value for evaluation in dashboard.evaluations),
            frozenset(b.id for b in dashboard.final_bilans if b.bilan_date == closing),
        )
    if resolved.kind is ScopeKind.YEAR:
        return ScopeFilter(
            resolved,
            tuple(school_year_of(e.date) == value for e in dashboard.evaluations),
            frozenset(
                b.id for b in dashboard.final_bilans if school_year_of(b.bilan_date) == value
            ),
        )
    return ScopeFilter(EVERYTHING, None, None)
