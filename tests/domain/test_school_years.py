"""The school year of a day: cut on 1 August."""

from __future__ import annotations

import datetime as dt

import pytest

from livret.domain.school_years import (
    parse_school_year_label,
    school_year_label,
    school_year_of,
)


@pytest.mark.parametrize(
    ("day", "year"),
    [
        (dt.date(2025, 9, 1), 2025),
        (dt.date(2025, 12, 31), 2025),
        (dt.date(2026, 1, 1), 2025),
        (dt.date(2026, 7, 31), 2025),
        (dt.date(2026, 8, 1), 2026),
    ],
)
def test_a_day_belongs_to_the_school_year_cut_on_the_first_of_august(
    day: dt.date, year: int
) -> None:
    assert school_year_of(day) == year


def test_labels_round_trip_and_odd_labels_are_refused() -> None:
    assert school_year_label(2025) == "2025-2026"
    assert parse_school_year_label("2025-2026") == 2025
    assert parse_school_year_label(" 2026-2027 ") == 2026
    for odd in (None, "", "2025", "2025-2027", "25-26", "année 2025-2026", "2025/2026"):
        assert parse_school_year_label(odd) is None
