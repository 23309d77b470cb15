"""The one rule: which bilan stands for a learner on the day of a conseil de classe."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livret.domain.bilan_choice import (
    DRAFT,
    FINAL,
    BilanChoice,
    BilanHead,
    choose_bilan,
    parse_day,
)
from livret.domain.errors import ValidationError

DEC_12 = dt.date(2025, 12, 12)
MAR_20 = dt.date(2026, 3, 20)
NOV_27 = dt.date(2026, 11, 27)


def final(bilan_id: int, day: dt.date) -> BilanHead:
    return BilanHead(bilan_id, day, FINAL)


def draft(bilan_id: int, day: dt.date) -> BilanHead:
    return BilanHead(bilan_id, day, DRAFT)


# A learner of the demo's 1PLP1 (2026-2027): finals in December and March, a draft in November.
HISTORY = [final(1, DEC_12), final(2, MAR_20), draft(3, NOV_27)]


@pytest.mark.parametrize(
    ("on", "expected"),
    [
        (
            dt.date(2026, 12, 10),
            BilanChoice(2, MAR_20, False, ""),
        ),  # the March bilan, not the draft
        (MAR_20, BilanChoice(2, MAR_20, False, "")),  # a bilan of the day counts
        (dt.date(2026, 3, 19), BilanChoice(1, DEC_12, False, "")),  # the day before: December's
        (DEC_12, BilanChoice(1, DEC_12, False, "")),
    ],
)
def test_latest_final_on_or_before_the_day(on: dt.date, expected: BilanChoice) -> None:
    assert choose_bilan(HISTORY, on) == expected
    assert choose_bilan(reversed(HISTORY), on) == expected  # order of the input does not matter


def test_before_the_first_bilan_says_when_it_is() -> None:
    choice = choose_bilan(HISTORY, dt.date(2025, 11, 30))
    assert not choice.chosen and choice.bilan_date is None
    assert choice.reason == "aucun bilan définitif au 30/11/2025 (le premier est du 12/12/2025)"


def test_two_finals_on_one_day_the_one_written_last_wins() -> None:
    assert choose_bilan([final(8, MAR_20), final(5, MAR_20)], MAR_20).bilan_id == 8


def test_a_draft_only_when_asked() -> None:
    on = dt.date(2026, 12, 10)
    assert choose_bilan(HISTORY, on, include_drafts=True) == BilanChoice(3, NOV_27, True, "")
    # A draft dated after the day is not shown, even when drafts are asked for.
    assert choose_bilan(HISTORY, dt.date(2026, 11, 26), include_drafts=True).bilan_id == 2
    # A draft older than the final bilan (possible after an unlock and a new final) is not shown.
    older = [draft(4, DEC_12), final(5, MAR_20)]
    assert choose_bilan(older, NOV_27, include_drafts=True) == BilanChoice(5, MAR_20, False, "")
    # A draft of the same day as the final bilan is newer work: shown when asked.
    same_day = [final(6, MAR_20), draft(7, MAR_20)]
    assert choose_bilan(same_day, MAR_20, include_drafts=True).bilan_id == 7


def test_reasons_when_nothing_can_be_shown() -> None:
    on = dt.date(2026, 12, 10)
    assert choose_bilan([], on).reason == "aucun bilan"
    only_draft = choose_bilan([draft(1, NOV_27)], on)
    assert only_draft == BilanChoice(
        None,
        None,
        False,
        "seulement un brouillon (du 27/11/2026), pas encore enregistré définitivement",
    )
    later_draft = choose_bilan([draft(1, NOV_27)], dt.date(2026, 9, 1), include_drafts=True)
    assert later_draft.reason == "aucun bilan au 01/09/2026 (seulement un brouillon du 27/11/2026)"
    assert choose_bilan([draft(1, NOV_27)], on, include_drafts=True).chosen


@pytest.mark.parametrize(
    ("text", "day"),
    [("12/12/2025", DEC_12), (" 2026-03-20 ", MAR_20), ("1/9/2026", dt.date(2026, 9, 1))],
)
def test_parse_day(text: str, day: dt.date) -> None:
    assert parse_day(text) == day


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("31/02/2026", "impossible"),
        ("2026/03/20", "illisible"),
        ("demain", "illisible"),
        ("", "illisible"),
    ],
)
def test_parse_day_refuses_in_french(text: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        parse_day(text)


# Property --------------------------------------------------------------------------------

DAYS = st.dates(min_value=dt.date(2024, 9, 1), max_value=dt.date(2027, 7, 1))
HEADS = st.lists(st.tuples(DAYS, st.sampled_from([FINAL, DRAFT])), max_size=8).map(
    lambda pairs: [BilanHead(n, day, status) for n, (day, status) in enumerate(pairs, 1)]
)


@given(heads=HEADS, on=DAYS, include_drafts=st.booleans())
def test_the_choice_is_the_latest_allowed_bilan(
    heads: list[BilanHead], on: dt.date, include_drafts: bool
) -> None:
    choice = choose_bilan(heads, on, include_drafts=include_drafts)
    by_id = {head.bilan_id: head for head in heads}
    finals = [h for h in heads if h.status == FINAL and h.bilan_date <= on]
    if not choice.chosen:
        assert choice.reason  # always a reason to print
        assert not finals
        assert not include_drafts or not any(
            h.status == DRAFT and h.bilan_date <= on for h in heads
        )
        return
    assert choice.reason == ""
    assert choice.bilan_id is not None
    chosen = by_id[choice.bilan_id]
    assert choice.bilan_date == chosen.bilan_date <= on
    assert choice.is_draft == (chosen.status == DRAFT)
    if choice.is_draft:
        assert include_drafts
        # Not older than any final bilan the day allows.
        assert all(h.bilan_date <= chosen.bilan_date for h in finals)
    else:
        assert chosen.status == FINAL
        # No other final bilan on or before the day is later.
        assert all(
            (h.bilan_date, h.bilan_id) <= (chosen.bilan_date, chosen.bilan_id) for h in finals
        )
    if not include_drafts:
        # Without drafts asked for, a final bilan is chosen whenever one exists.
        assert not choice.is_draft
        assert (choice.bilan_id is None) == (not finals)
    else:
        # With drafts asked for, a draft not older than the final bilans is never passed over.
        newest_final = max((h.bilan_date for h in finals), default=dt.date.min)
        drafts = [h for h in heads if h.status == DRAFT and newest_final <= h.bilan_date <= on]
        assert choice.is_draft == bool(drafts)
