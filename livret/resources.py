"""Locate the files shipped with the app (référentiels, fonts, icons) in a wheel or a checkout."""

from __future__ import annotations

from pathlib import Path

import livret
from livret.domain.errors import LivretError


def resource_roots() -> tuple[Path, ...]:
    """The folders searched for resources, first match wins."""
    package_dir = Path(livret.__file__).resolve().parent
    return (
        # An installed wheel (and a PyInstaller bundle) carries them inside the
        # package: pyproject force-includes "resources" as "livret/resources".
        package_dir / "resources",
        # A source checkout keeps them next to the package.
        package_dir.parent / "resources",
    )


def resource_path(*parts: str) -> Path:
    """The path of a shipped resource, e.g. resource_path("referentiels", "pmia.json")."""
    if not parts or any(
        not part or part in (".", "..") or "/" in part or "\\" in part for part in parts
    ):
        # Parts come from code, but a name taken from a setting must not escape the folder.
        raise LivretError(f"Nom de ressource invalide : « {'/'.join(parts)} ».")
    for root in resource_roots():
        candidate = root.joinpath(*parts)
        if candidate.exists():
            return candidate
    raise LivretError(
        f"Ressource introuvable : « {'/'.join(parts)} ». L'installation de Livret est incomplète."
    )
