"""The GUI's garbage-collector policy: start-up heap frozen, young collections rarer."""

from __future__ import annotations

import gc
import subprocess
import sys


def test_the_start_up_heap_is_frozen_and_young_collections_are_rarer() -> None:
    # A separate interpreter: freezing this test process's heap would outlive the test.
    script = (
        "import gc\n"
        "from livret.gc_policy import YOUNG_THRESHOLD, freeze_start_up_heap\n"
        "before = gc.get_freeze_count()\n"
        "freeze_start_up_heap()\n"
        "print(before, gc.get_freeze_count(), gc.get_threshold()[0] == YOUNG_THRESHOLD)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    ).stdout.split()
    before, after, threshold = int(out[0]), int(out[1]), out[2]
    assert before == 0
    assert after > 1000  # the modules, classes and objects alive at start-up
    assert threshold == "True"
    assert gc.isenabled()
