"""Locate the teacher's guide (docs/guide.md and its pictures) in a checkout or a bundle.

A source checkout keeps it at `docs/guide.md`, beside the package. A PyInstaller
bundle (and a wheel that ships it) carries it inside the package, as the resources
are: `livret/docs/guide.md`, its pictures at the same relative paths
(`livret/docs/screenshots/…`), so that the help window resolves them from the
guide's own folder in both cases. Until the guide exists, the README stands in.
No Qt here: the CLI could point to it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import livret

GUIDE_NAME = "guide.md"
README_NAME = "README.md"


@dataclass(frozen=True, slots=True)
class GuideFile:
    """The Markdown file the help window shows."""

    path: Path
    is_readme: bool
    """True when the guide is missing and the README stands in for it."""


def documentation_roots() -> tuple[Path, ...]:
    """The folders searched for the guide, first match wins."""
    package_dir = Path(livret.__file__).resolve().parent
    return (
        package_dir / "docs",  # a bundle or a wheel: inside the package
        package_dir.parent / "docs",  # a source checkout: beside the package
    )


def find_guide() -> GuideFile | None:
    """The teacher's guide, else the README; None when neither is installed."""
    roots = documentation_roots()
    for root in roots:
        guide = root / GUIDE_NAME
        if guide.is_file():
            return GuideFile(guide, is_readme=False)
    for readme in (roots[0] / README_NAME, roots[1].parent / README_NAME):
        if readme.is_file():
            return GuideFile(readme, is_readme=True)
    return None
