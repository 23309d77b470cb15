"""Small French text helpers for the UI."""

from __future__ import annotations


def count(n: int, singular: str, plural: str | None = None) -> str:
    """'1 apprenant', '0 apprenant', '30 apprenants' (French: 0 and 1 are singular)."""
    word = singular if abs(n) < 2 else (plural or f"{singular}s")
    return f"{n} {word}"
