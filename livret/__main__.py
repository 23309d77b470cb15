"""python -m livret → the command line (GUI by default)."""

from livret.cli import main

raise SystemExit(main())
