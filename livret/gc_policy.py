"""The garbage collector's policy of the GUI: the start-up heap is frozen, collections rarer.

A learner switch allocates some twenty thousand short-lived objects (rows, DTOs,
layout); at CPython's default threshold (700) that triggers several collections,
and the older generations hold the whole start-up heap (SQLAlchemy, Qt wrappers,
modules), traversed again at each full collection: about a sixth of a switch's CPU
time went there. Once the window is painted, `freeze_start_up_heap` moves everything
alive to the permanent generation (gc.freeze: never traversed again, never freed,
which suits objects that live as long as the app) and raises the first threshold,
so a switch triggers about one young collection. Reference counting still frees
almost everything at once; only cycles wait a little longer.
"""

from __future__ import annotations

import gc

YOUNG_THRESHOLD = 20_000
"""Allocations (minus deallocations) between two young collections (CPython: 700)."""


def freeze_start_up_heap() -> None:
    """Freeze what is alive, and collect young objects less often.

    No collection first: on a large heap it would take tens of milliseconds just as
    the window appears; the few start-up cycles frozen with the rest stay allocated.
    """
    gc.freeze()
    _, middle, old = gc.get_threshold()
    gc.set_threshold(YOUNG_THRESHOLD, middle, old)
