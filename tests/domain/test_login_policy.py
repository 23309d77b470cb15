"""The login wait: free attempts, then a wait that grows and stays bounded."""

from __future__ import annotations

import datetime as dt

from hypothesis import given
from hypothesis import strategies as st

from livret.domain.login_policy import (
    FREE_ATTEMPTS,
    LONGEST_WAIT,
    french_duration,
    password_problem,
    wait_after,
)


def test_no_wait_before_the_fifth_failure() -> None:
    assert [wait_after(n) for n in range(FREE_ATTEMPTS)] == [None] * FREE_ATTEMPTS
    assert wait_after(FREE_ATTEMPTS) == dt.timedelta(seconds=30)
    assert wait_after(FREE_ATTEMPTS + 1) == dt.timedelta(minutes=1)


@given(st.integers(min_value=FREE_ATTEMPTS, max_value=10_000))
def test_the_wait_grows_and_is_bounded(failures: int) -> None:
    wait, after = wait_after(failures), wait_after(failures + 1)
    assert wait is not None and after is not None
    assert wait <= after <= LONGEST_WAIT


def test_durations_read_as_a_countdown() -> None:
    assert french_duration(dt.timedelta(seconds=29.2)) == "30 s"
    assert french_duration(dt.timedelta(seconds=61)) == "2 min"
    assert french_duration(dt.timedelta(hours=1)) == "1 h"
    assert french_duration(dt.timedelta(minutes=61)) == "2 h"


def test_password_rules_are_explained_in_french() -> None:
    assert password_problem("court") == "Le mot de passe doit compter au moins 8 caractères."
    assert password_problem(" espace avant") is not None
    assert password_problem("x" * 257) is not None
    assert password_problem("correct horse") is None
