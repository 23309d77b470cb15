"""How many examples a fuzz test runs: a few in `make test`, more with LIVRET_FUZZ_EXAMPLES.

`fuzz(ci)` gives the settings of one fuzz test: `ci` examples by default, or the number
in the environment variable LIVRET_FUZZ_EXAMPLES (e.g. 20000 for a night's run).
tests/conftest.py registers the same as hypothesis profiles ("ci", and "fuzz" loaded
when the variable is set) for the tests that name no count of their own.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

ENVIRONMENT = "LIVRET_FUZZ_EXAMPLES"
SLOW_CHECKS = (HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example)


def examples(ci: int) -> int:
    """`ci`, unless LIVRET_FUZZ_EXAMPLES asks for another count."""
    value = os.environ.get(ENVIRONMENT, "").strip()
    return int(value) if value.isdigit() and int(value) > 0 else ci


def fuzz(ci: int, *, fixtures: bool = False) -> settings:
    """Settings of a fuzz test: no deadline (files are slow to parse), `ci` examples."""
    checks = [*SLOW_CHECKS, *([HealthCheck.function_scoped_fixture] if fixtures else [])]
    return settings(max_examples=examples(ci), deadline=None, suppress_health_check=checks)
