"""The benchmark operations by name: "module:function", imported only when run.

Each function takes a bench.core.BenchContext and returns a list of
bench.core.Measurement (one operation may give several figures, e.g. one PDF and a
class of PDFs). The driver runs each in several separate processes.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from bench.core import BenchContext, Measurement

OPERATIONS: dict[str, str] = {
    "switch_learner": "bench.op_dashboard:measure",
    "class_overview": "bench.op_overview:measure",
    "editor_open": "bench.op_editor:measure",
    "pdf": "bench.op_pdf:measure",
    "import_results": "bench.op_import:measure",
    "startup": "bench.op_startup:measure",
}


def load(name: str) -> Callable[[BenchContext], list[Measurement]]:
    module_name, function = OPERATIONS[name].split(":")
    measure: Callable[[BenchContext], list[Measurement]] = getattr(
        importlib.import_module(module_name), function
    )
    return measure
