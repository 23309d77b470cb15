"""What the About box tells about this installation: versions, folders, database, licences.

The components and their licences are read from the installed packages' metadata
(importlib.metadata), following Livret's own runtime requirements; a bundle built
without that metadata falls back to the list below, so the box is never empty.
"""

from __future__ import annotations

import platform
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from livret import __version__
from livret.logs import log_directory, log_file_path
from livret.services.database import Database
from livret.storage.backup import backups_dir
from livret.storage.engine import DatabaseLocation, default_data_dir

if TYPE_CHECKING:
    # importlib.metadata costs start-up time: read when the About box opens, not before.
    from importlib.metadata import Distribution, PackageMetadata

DISTRIBUTION = "livret"

# Livret's runtime requirements and the licences they declare, for a bundle whose
# package metadata was not collected. The metadata, when present, wins.
FALLBACK_LICENCES: dict[str, str] = {
    "PySide6-Essentials": "LGPL-3.0-only OR GPL-2.0-only OR GPL-3.0-only",
    "shiboken6": "LGPL-3.0-only OR GPL-2.0-only OR GPL-3.0-only",
    "SQLAlchemy": "MIT",
    "alembic": "MIT",
    "Mako": "MIT",
    "MarkupSafe": "BSD-3-Clause",
    "pyqtgraph": "MIT",
    "numpy": "BSD-3-Clause AND 0BSD AND MIT AND Zlib AND CC0-1.0",
    "reportlab": "BSD",
    "rl-accel": "BSD",
    "pypdf": "BSD-3-Clause",
    "psycopg": "LGPL-3.0-only",
    "psycopg-binary": "LGPL-3.0-only",
    "platformdirs": "MIT",
    "openpyxl": "MIT",
    "et-xmlfile": "MIT",
    "defusedxml": "PSF-2.0",
    "argon2-cffi": "MIT",
    "argon2-cffi-bindings": "MIT",
    "cffi": "MIT-0",
    "pycparser": "BSD-3-Clause",
    "pillow": "MIT-CMU",
    "psutil": "BSD-3-Clause",
    "typing_extensions": "PSF-2.0",
}

_CLASSIFIER_LICENCES = {
    "MIT License": "MIT",
    "BSD License": "BSD",
    "Apache Software License": "Apache-2.0",
    "Python Software Foundation License": "PSF-2.0",
    "GNU Lesser General Public License v3 (LGPLv3)": "LGPL-3.0",
    "MIT No Attribution License (MIT-0)": "MIT-0",
}
_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")
_EXTRAS = re.compile(r"\[([^\]]*)\]")
_EXTRA = re.compile(r"extra\s*==\s*['\"]([^'\"]+)['\"]")


@dataclass(frozen=True, slots=True)
class Component:
    """One bundled component: its name, version and licence, as its metadata says."""

    name: str
    version: str
    licence: str


@dataclass(frozen=True, slots=True)
class InstallationFacts:
    """Everything the About box shows (and copies for a support request)."""

    version: str
    python: str
    system: str
    data_folder: Path
    log_folder: Path
    log_file: Path | None
    database: str
    """The database in use, without its password."""
    backups_folder: Path | None
    """Where the automatic copies of a SQLite file go; None for a server."""


def installation_facts(database: Database | None) -> InstallationFacts:
    location = database.location if database is not None else None
    return InstallationFacts(
        version=__version__,
        python=platform.python_version(),
        system=platform.platform(),
        data_folder=default_data_dir(),
        log_folder=log_directory(),
        log_file=log_file_path(),
        database=location.display() if location is not None else "—",
        backups_folder=(
            backups_dir(location.path) if location is not None and location.path else None
        ),
    )


def database_short_name(database: Database) -> str:
    """The database as a window title names it: the file's name, or « serveur/base »."""
    return location_short_name(database.location)


def location_short_name(location: DatabaseLocation) -> str:
    """A file's name (no folder), or a server's « serveur/base » (no user, no password)."""
    if location.path is not None:
        return location.path.name
    url = location.url
    host = url.host or str(url.query.get("service") or "") or "localhost"
    return f"{host}/{url.database or ''}".rstrip("/")


def bundled_components() -> tuple[Component, ...]:
    """Livret's runtime dependencies (and theirs), sorted by name, each with its licence."""
    from importlib import metadata

    seen: dict[str, Component] = {}
    pending = _runtime_requirements()
    while pending:
        name, extras = pending.pop(0)
        key = _normalise(name)
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            if name in FALLBACK_LICENCES and key not in seen:
                seen[key] = Component(name, "?", FALLBACK_LICENCES[name])
            continue
        if key not in seen:
            meta = distribution.metadata
            seen[key] = Component(
                str(meta["Name"] or name), str(meta["Version"] or "?"), licence_of(distribution)
            )
            pending.extend(_requirements(distribution, ()))
        if extras:
            pending.extend(_requirements(distribution, extras, only_extras=True))
    return tuple(sorted(seen.values(), key=lambda c: c.name.lower()))


def _field(meta: PackageMetadata, name: str) -> str | None:
    """A metadata field's first value, or None (the protocol has no `get` before 3.12)."""
    values = meta.get_all(name)
    return str(values[0]) if values else None


def licence_of(distribution: Distribution) -> str:
    """The licence a package declares: its SPDX expression, a short License field, or
    its licence classifiers."""
    meta = distribution.metadata
    expression = _field(meta, "License-Expression")
    if expression:
        return str(expression).strip()
    field = str(_field(meta, "License") or "").strip()
    if field and "\n" not in field and len(field) <= 60:
        return field
    classifiers = [
        c.split("::")[-1].strip()
        for c in (meta.get_all("Classifier") or [])
        if c.startswith("License ::")
    ]
    named = [_CLASSIFIER_LICENCES.get(c, c) for c in classifiers if c != "OSI Approved"]
    if named:
        return " OR ".join(named)
    name = str(meta["Name"] or "")
    return FALLBACK_LICENCES.get(name, field.split("(")[0].strip() or "non indiquée")


def _runtime_requirements() -> list[tuple[str, tuple[str, ...]]]:
    from importlib import metadata

    try:
        return _requirements(metadata.distribution(DISTRIBUTION), ())
    except metadata.PackageNotFoundError:
        return [(name, ()) for name in FALLBACK_LICENCES]


def _requirements(
    distribution: Distribution, extras: tuple[str, ...], *, only_extras: bool = False
) -> list[tuple[str, tuple[str, ...]]]:
    """What a distribution requires here: its name and the extras asked of it.

    A requirement for an extra counts only when that extra was asked for (psycopg[binary]);
    one for another platform (`sys_platform == "win32"`) does not count.
    """
    wanted = []
    for requirement in distribution.requires or ():
        text, _, marker = requirement.partition(";")
        extra = _EXTRA.search(marker)
        if extra is not None:
            if extra.group(1) not in extras:
                continue
        elif only_extras or not _marker_holds(marker):
            continue
        match = _NAME.match(text)
        if match:
            asked = _EXTRAS.search(text)
            names = tuple(e.strip() for e in asked.group(1).split(",")) if asked else ()
            wanted.append((match.group(1), names))
    return wanted


def _marker_holds(marker: str) -> bool:
    """Whether an environment marker holds on this machine (packaging, when installed)."""
    if not marker.strip():
        return True
    try:
        from packaging.markers import Marker  # not a runtime dependency of Livret
    except ImportError:
        return True  # an uninstalled package is skipped anyway
    try:
        return bool(Marker(marker).evaluate())
    except Exception:
        return True


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
