"""python -m livret → the command line (GUI by default)."""

import time

# Read before anything else of Livret's: the start-up bench hook (LIVRET_BENCH_STARTUP,
# see livret.app.bench_startup_hook) counts its seconds from here.
STARTED = time.perf_counter()

from livret.cli import main  # noqa: E402

raise SystemExit(main())
