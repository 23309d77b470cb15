"""Every hostile or broken file is refused in French, in bounded time and memory.

Each case (tests/exchange/hostile_files.py) is read in a fresh process under a 2 Go
address-space limit; `python -m tests.exchange.hostile_files` prints the figures.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from tests.exchange.hostile_files import CASES, Case, measure

SECONDS = 20.0
"""Far above every case (the slowest, a million short CSV lines, takes some 7 s)."""
PEAK_MB = 400.0
"""Peak resident memory of the reading process, Python and the file's bytes included."""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="memory read from /proc")
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_file_is_refused_in_bounded_time_and_memory(case: Case, tmp_path: Path) -> None:
    figures = measure(case, tmp_path)

    kind, _, message = figures.outcome.partition(": ")
    assert kind in ("refused", "problems"), figures.outcome
    assert case.expect in message
    assert figures.seconds < SECONDS
    assert figures.peak_mb < PEAK_MB
