"""The level scale: parsing codes and symbols, styles, numeric values."""

from __future__ import annotations

from fractions import Fraction

import pytest

from livret.domain.errors import LivretError, ValidationError
from livret.domain.levels import (
    COUNTED_LEVELS,
    LEVEL_CODES,
    RESULT_CODES,
    Absence,
    Level,
    level_of_value,
    parse_level,
    parse_result_level,
    style_of,
    value_of,
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("NE", Level.NE),
        ("ne", Level.NE),
        ("1", Level.L1),
        ("2", Level.L2),
        ("3", Level.L3),
        ("4", Level.L4),
        (" 3 ", Level.L3),
        ("--", Level.L1),
        ("-", Level.L2),
        ("+", Level.L3),
        ("++", Level.L4),
    ],
)
def test_parse_level_accepts_codes_and_symbols(text: str, expected: Level) -> None:
    assert parse_level(text) is expected


@pytest.mark.parametrize("text", ["ABS", "abs", " Abs "])
def test_abs_is_a_result_not_a_positioning(text: str) -> None:
    assert parse_result_level(text) is Absence.ABS
    with pytest.raises(ValidationError, match="ABS n'est pas un positionnement possible"):
        parse_level(text)


@pytest.mark.parametrize("text", ["0", "5", "+++", "", "A", "N.E."])
def test_unknown_level_is_refused_in_french(text: str) -> None:
    with pytest.raises(ValidationError) as info:
        parse_result_level(text)
    assert info.value.message.startswith("Niveau inconnu")
    assert "attendu : NE, 1, 2, 3, 4, ABS" in info.value.message
    assert isinstance(info.value, LivretError)


def test_codes_in_scale_order() -> None:
    assert LEVEL_CODES == ("NE", "1", "2", "3", "4")
    assert RESULT_CODES == ("NE", "1", "2", "3", "4", "ABS")
    assert COUNTED_LEVELS == (Level.L1, Level.L2, Level.L3, Level.L4)


def test_styles_follow_the_spec() -> None:
    assert style_of(Level.NE).color == "#2196f3"
    assert style_of(Level.NE).text_color == "#ffffff"
    assert [style_of(level).symbol for level in Level] == ["NE", "--", "-", "+", "++"]
    assert [style_of(level).share for level in Level] == [
        None,
        Fraction(0),
        Fraction(1, 3),
        Fraction(2, 3),
        Fraction(1),
    ]
    assert style_of(Level.L3).label == "Maîtrisé"
    assert style_of(Absence.ABS).share is None
    assert style_of("4").label == "Bien maîtrisé"
    with pytest.raises(ValidationError, match="Niveau inconnu"):
        style_of("7")


def test_values() -> None:
    assert [value_of(level) for level in Level] == [None, 1, 2, 3, 4]
    assert value_of(Absence.ABS) is None
    assert [level_of_value(v) for v in (1, 2, 3, 4)] == list(COUNTED_LEVELS)
    for bad in (0, 5, -1):
        with pytest.raises(ValidationError, match="hors échelle"):
            level_of_value(bad)
