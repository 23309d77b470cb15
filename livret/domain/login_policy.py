"""When a login may be tried again: free for the first failures, then a growing wait."""

from __future__ import annotations

import datetime as dt

FREE_ATTEMPTS = 5
"""Failed logins in a row before the account has to wait."""
FIRST_WAIT = dt.timedelta(seconds=30)
LONGEST_WAIT = dt.timedelta(hours=1)
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 256


def wait_after(failures: int) -> dt.timedelta | None:
    """The wait before the next attempt after `failures` failed logins in a row.

    None below FREE_ATTEMPTS; then 30 s, doubling with each further failure, at most 1 h.
    """
    if failures < FREE_ATTEMPTS:
        return None
    doubled = FIRST_WAIT * (2 ** min(failures - FREE_ATTEMPTS, 16))
    return min(doubled, LONGEST_WAIT)


def french_duration(delta: dt.timedelta) -> str:
    """« 30 s », « 2 min », « 1 h » — rounded up, as a person reads a countdown."""
    seconds = max(1, int(-(-delta.total_seconds() // 1)))
    if seconds < 60:
        return f"{seconds} s"
    minutes = -(-seconds // 60)
    if minutes < 60:
        return f"{minutes} min"
    return f"{-(-minutes // 60)} h"


def password_problem(password: str) -> str | None:
    """Why a new password is refused (French), or None when it is acceptable."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return f"Le mot de passe doit compter au moins {MIN_PASSWORD_LENGTH} caractères."
    if len(password) > MAX_PASSWORD_LENGTH:
        return f"Le mot de passe doit compter au plus {MAX_PASSWORD_LENGTH} caractères."
    if password.strip() != password:
        return "Le mot de passe ne doit ni commencer ni finir par une espace."
    return None
