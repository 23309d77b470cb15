"""Which period each evaluation falls in, given the dates of a learner's final bilans."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Sequence
from datetime import date, datetime

from livret.domain.errors import ValidationError

# Period k holds the evaluations dated after the k-th boundary (1-based) and on or
# before the (k+1)-th: a final bilan closes its period at the end of its day, so an
# evaluation entered the same day still counts for it.
#
# Two final bilans on the same day close one period, not two: periods are
# counted over the distinct dates (`boundaries`), so no period is empty by
# construction and the bars on the dashboard match the periods.


def _as_day(value: date, what: str) -> date:
    # A datetime is a date subclass but does not compare with a plain date;
    # periods are counted in days, so keep the day only.
    if isinstance(value, datetime):
        return value.date()
    if not isinstance(value, date):
        raise ValidationError(f"{what} invalide : « {value!r} » n'est pas une date.")
    return value


def boundaries(final_dates: Iterable[date]) -> tuple[date, ...]:
    """The distinct dates of the final bilans, oldest first: the ends of the closed periods."""
    return tuple(sorted({_as_day(d, "Date de bilan") for d in final_dates}))


def current_period(final_dates: Iterable[date]) -> int:
    """The index of the open period (after the last final bilan)."""
    return len(boundaries(final_dates))


def period_of(evaluation_date: date, final_dates: Sequence[date]) -> int:
    """The period index of one evaluation: how many final bilan dates are strictly before it."""
    return bisect_left(boundaries(final_dates), _as_day(evaluation_date, "Date d'évaluation"))


def periods_of(evaluation_dates: Sequence[date], final_dates: Sequence[date]) -> list[int]:
    """The period index of each evaluation, in the given order."""
    ends = boundaries(final_dates)
    return [bisect_left(ends, _as_day(d, "Date d'évaluation")) for d in evaluation_dates]


def in_current_period(evaluation_date: date, final_dates: Sequence[date]) -> bool:
    """True when the evaluation is dated after the last final bilan."""
    ends = boundaries(final_dates)
    return bisect_left(ends, _as_day(evaluation_date, "Date d'évaluation")) == len(ends)
