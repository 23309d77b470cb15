"""Which school year a day falls in, from the calendar alone.

A French school year runs from the rentrée (early September) to early July; the
summer belongs to neither, so the year is cut on 1 August: a day from August to
December belongs to the year that starts that autumn, a day from January to July
to the year that started the autumn before.
"""

from __future__ import annotations

import datetime as dt

FIRST_MONTH = 8  # August: the summer's late days already count for the coming year


def school_year_of(day: dt.date) -> int:
    """The calendar year the school year holding `day` starts in (2025 for 2025-2026)."""
    return day.year if day.month >= FIRST_MONTH else day.year - 1


def school_year_label(first_year: int) -> str:
    """« 2025-2026 » for 2025, as the establishment writes its school years."""
    return f"{first_year}-{first_year + 1}"


def parse_school_year_label(label: str | None) -> int | None:
    """2025 for « 2025-2026 »; None for anything else (a label written differently)."""
    if label is None:
        return None
    first, separator, second = label.strip().partition("-")
    if not separator or not (first.isdigit() and second.isdigit()):
        return None
    if len(first) != 4 or int(second) != int(first) + 1:
        return None
    return int(first)
