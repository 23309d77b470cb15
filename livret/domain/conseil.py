"""The conseil de classe's own rules: a CC's change between two bilans, the one-line remark."""

from __future__ import annotations

from enum import StrEnum

from livret.domain.errors import ValidationError
from livret.domain.levels import Level

REMARK_MAX_LENGTH = 300
"""A remark is one line of the meeting's table: longer text belongs in the bilan."""


class Trend(StrEnum):
    """How a learner's positioning on one CC moved since their previous final bilan."""

    UP = "↑"
    DOWN = "↓"
    SAME = "="
    NONE = ""
    """Nothing to compare: no previous final bilan, or NE on either side."""


TREND_LABELS: dict[Trend, str] = {
    Trend.UP: "en progrès",
    Trend.DOWN: "en recul",
    Trend.SAME: "stable",
    Trend.NONE: "pas de comparaison (pas de bilan définitif précédent, ou NE)",
}

TREND_LEGEND = (
    "↑ en progrès, ↓ en recul, = stable depuis le bilan définitif précédent ; "
    "case vide : pas de comparaison (pas de bilan précédent, ou NE)"
)


def trend(previous: Level | None, current: Level) -> Trend:
    """The change on one CC; NE is no level, so it compares with nothing."""
    if previous is None or previous is Level.NE or current is Level.NE:
        return Trend.NONE
    if current.value > previous.value:  # "1" … "4": the codes order the levels
        return Trend.UP
    if current.value < previous.value:
        return Trend.DOWN
    return Trend.SAME


def clean_remark(text: object) -> str:
    """The remark as stored: one line, spaces collapsed; an empty remark is allowed.

    A pasted line break becomes a space (the remark is one line of a table); a remark
    longer than REMARK_MAX_LENGTH characters is refused in French.
    """
    if not isinstance(text, str):
        raise ValidationError("La remarque doit être un texte.")
    if "\x00" in text:
        raise ValidationError("La remarque contient un caractère invalide.")
    line = " ".join(text.split())
    if len(line) > REMARK_MAX_LENGTH:
        raise ValidationError(
            f"La remarque est trop longue ({len(line)} caractères, "
            f"{REMARK_MAX_LENGTH} au plus) : une ligne suffit pour le conseil."
        )
    return line
