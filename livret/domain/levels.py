"""The level scale: NE, 1–4 for positionings and results, plus ABS for results only."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction

from livret.domain.errors import ValidationError


class Level(StrEnum):
    """A level of mastery, stored by its code."""

    NE = "NE"
    L1 = "1"
    L2 = "2"
    L3 = "3"
    L4 = "4"


class Absence(StrEnum):
    """A result that records the learner's absence: shown, never counted."""

    ABS = "ABS"


ResultLevel = Level | Absence
"""What an evaluation result holds: a level or ABS."""


@dataclass(frozen=True, slots=True)
class LevelStyle:
    """How a level is named and shown."""

    code: str
    label: str
    symbol: str
    color: str
    text_color: str
    share: Fraction | None
    """Share of the points (0 … 1); None when the level is not counted."""


_STYLES: dict[str, LevelStyle] = {
    "NE": LevelStyle("NE", "Non évalué", "NE", "#2196f3", "#ffffff", None),
    "1": LevelStyle("1", "Non maîtrisé", "--", "#e53935", "#ffffff", Fraction(0)),
    "2": LevelStyle("2", "Insuffisamment maîtrisé", "-", "#fb8c00", "#000000", Fraction(1, 3)),
    "3": LevelStyle("3", "Maîtrisé", "+", "#9ccc65", "#000000", Fraction(2, 3)),
    "4": LevelStyle("4", "Bien maîtrisé", "++", "#2e7d32", "#ffffff", Fraction(1)),
    "ABS": LevelStyle("ABS", "Absent", "ABS", "#bdbdbd", "#000000", None),
}

LEVEL_CODES: tuple[str, ...] = tuple(level.value for level in Level)
RESULT_CODES: tuple[str, ...] = (*LEVEL_CODES, Absence.ABS.value)
COUNTED_LEVELS: tuple[Level, ...] = (Level.L1, Level.L2, Level.L3, Level.L4)

_SYMBOLS: dict[str, str] = {
    style.symbol: code for code, style in _STYLES.items() if style.symbol != code
}


def style_of(level: ResultLevel | str) -> LevelStyle:
    """The label, symbol, colours and share of a level code."""
    try:
        return _STYLES[str(level)]
    except KeyError:
        raise ValidationError(f"Niveau inconnu : « {level} ».") from None


def parse_level(text: str) -> Level:
    """A positioning level from its code or symbol (NE, 1–4, --, -, +, ++)."""
    result = parse_result_level(text)
    if isinstance(result, Absence):
        raise ValidationError("ABS n'est pas un positionnement possible.")
    return result


def parse_result_level(text: str) -> ResultLevel:
    """An evaluation result from its code or symbol (NE, 1–4, ABS, --, -, +, ++)."""
    cleaned = text.strip().upper()
    code = _SYMBOLS.get(cleaned, cleaned)
    if code == Absence.ABS.value:
        return Absence.ABS
    try:
        return Level(code)
    except ValueError:
        raise ValidationError(
            f"Niveau inconnu : « {text} » (attendu : NE, 1, 2, 3, 4, ABS, --, -, + ou ++)."
        ) from None


def value_of(level: ResultLevel | str) -> int | None:
    """The numeric value 1–4 of a counted level; None for NE and ABS."""
    code = str(level)
    return int(code) if code in ("1", "2", "3", "4") else None


def level_of_value(value: int) -> Level:
    """The level for a value 1–4."""
    if not 1 <= value <= 4:
        raise ValidationError(f"Valeur de niveau hors échelle : {value}.")
    return Level(str(value))
