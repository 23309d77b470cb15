"""Periods: evaluations before, between and after a learner's final bilans."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livret.domain.errors import ValidationError
from livret.domain.periods import (
    boundaries,
    current_period,
    in_current_period,
    period_of,
    periods_of,
)

SEPT = date(2025, 9, 1)
DEC = date(2025, 12, 12)
MAR = date(2026, 3, 20)

days = st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31))
final_lists = st.lists(days, max_size=8)


def test_no_final_bilan_everything_is_current() -> None:
    assert current_period([]) == 0
    assert boundaries([]) == ()
    assert period_of(SEPT, []) == 0
    assert in_current_period(SEPT, [])


def test_two_final_bilans() -> None:
    finals = [MAR, DEC]  # unsorted on purpose
    assert boundaries(finals) == (DEC, MAR)
    assert current_period(finals) == 2
    assert period_of(SEPT, finals) == 0
    assert period_of(DEC - timedelta(days=1), finals) == 0
    assert period_of(DEC, finals) == 0  # on the bilan's day: that bilan's period
    assert period_of(DEC + timedelta(days=1), finals) == 1
    assert period_of(MAR, finals) == 1
    assert period_of(MAR + timedelta(days=1), finals) == 2
    assert not in_current_period(MAR, finals)
    assert in_current_period(MAR + timedelta(days=1), finals)
    assert periods_of([MAR + timedelta(days=3), SEPT, DEC, MAR], finals) == [2, 0, 0, 1]


def test_same_day_final_bilans_close_one_period() -> None:
    finals = [DEC, DEC, MAR]
    assert boundaries(finals) == (DEC, MAR)
    assert current_period(finals) == 2
    assert period_of(DEC + timedelta(days=1), finals) == 1


def test_datetimes_count_by_day() -> None:
    finals = [datetime(2025, 12, 12, 17, 30)]
    assert boundaries(finals) == (DEC,)
    assert period_of(datetime(2025, 12, 12, 23, 59), finals) == 0
    assert period_of(date(2025, 12, 13), finals) == 1


def test_non_dates_are_refused() -> None:
    with pytest.raises(ValidationError, match="Date de bilan invalide"):
        boundaries(["2025-12-12"])  # type: ignore[list-item]
    with pytest.raises(ValidationError, match="Date d'évaluation invalide"):
        periods_of([None], [DEC])  # type: ignore[list-item]


@given(st.lists(days, max_size=30), final_lists)
def test_periods_of_agrees_with_period_of(evaluations: list[date], finals: list[date]) -> None:
    assert periods_of(evaluations, finals) == [period_of(d, finals) for d in evaluations]


@given(days, days, final_lists)
def test_period_is_monotonic_in_the_date(a: date, b: date, finals: list[date]) -> None:
    early, late = sorted((a, b))
    assert period_of(early, finals) <= period_of(late, finals)


@given(days, final_lists)
def test_period_counts_bilans_strictly_before(day: date, finals: list[date]) -> None:
    period = period_of(day, finals)
    assert period == len({f for f in finals if f < day})
    assert 0 <= period <= current_period(finals)


@given(final_lists, st.integers(min_value=1, max_value=1000))
def test_after_the_last_bilan_is_the_current_period(finals: list[date], offset: int) -> None:
    last = max(finals, default=date(2020, 1, 1))
    day = last + timedelta(days=offset)
    assert period_of(day, finals) == current_period(finals)
    assert in_current_period(day, finals)


@given(st.lists(days, min_size=1, max_size=8, unique=True))
def test_on_a_bilan_date_is_that_bilans_period(finals: list[date]) -> None:
    ordered = sorted(finals)
    for index, day in enumerate(ordered):
        assert period_of(day, finals) == index
        # The next day already belongs to the following period.
        assert period_of(day + timedelta(days=1), finals) == index + 1


@given(final_lists)
def test_boundaries_are_sorted_and_distinct(finals: list[date]) -> None:
    ends = boundaries(finals)
    assert list(ends) == sorted(set(finals))
    assert current_period(finals) == len(ends)
