"""Every hostile or broken file is refused in French, in bounded time and memory.

Each case (tests/exchange/hostile_files.py) is read in a fresh process under a 2 Go
address-space limit; `python -m tests.exchange.hostile_files` prints the figures.
"""

from __future__ import annotations

import os
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.exchange.hostile_files import CASES, Case, Figures, measure

SECONDS = 20.0
"""Far above every case (the slowest, a million short CSV lines, takes some 7 s)."""
PEAK_MB = 400.0
"""Peak resident memory of the reading process, Python and the file's bytes included."""


@pytest.fixture(scope="module")
def measured(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Figures]:
    """Every case measured once, a few processes at a time (each has its own memory)."""
    folder = tmp_path_factory.mktemp("hostile")
    with ThreadPoolExecutor(max_workers=min(4, os.cpu_count() or 1)) as pool:
        futures = {case.name: pool.submit(measure, case, folder) for case in CASES}
        return {name: future.result() for name, future in futures.items()}


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="memory read from /proc")
@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_hostile_file_is_refused_in_bounded_time_and_memory(
    case: Case, measured: dict[str, Figures]
) -> None:
    figures = measured[case.name]

    kind, _, message = figures.outcome.partition(": ")
    assert kind in ("refused", "problems"), figures.outcome
    assert case.expect in message
    assert figures.seconds < SECONDS
    assert figures.peak_mb < PEAK_MB
