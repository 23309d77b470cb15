"""The guide and the README point at pictures and pages that exist (the Aide window and
GitHub show a broken image otherwise)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
# ![alt](target) and [text](target), the target up to a space or the closing parenthesis.
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)")


def local_targets(document: Path) -> list[str]:
    targets = LINK.findall(document.read_text(encoding="utf-8"))
    return [t.split("#")[0] for t in targets if not re.match(r"[a-z]+:", t) and t[0] != "#"]


@pytest.mark.parametrize("document", DOCUMENTS, ids=lambda path: path.name)
def test_every_local_link_and_picture_exists(document: Path) -> None:
    missing = [t for t in local_targets(document) if not (document.parent / t).exists()]
    assert missing == []


def test_the_guide_shows_pictures() -> None:
    pictures = [t for t in local_targets(ROOT / "docs" / "guide.md") if t.endswith(".png")]
    assert len(pictures) >= 20  # the pattern finds them: a test that could not fail otherwise
