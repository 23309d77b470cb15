"""The level suggested for one CC from the results of the current period."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from livret.domain.errors import ValidationError
from livret.domain.levels import Absence, Level, level_of_value, style_of, value_of


class SuggestionMethod(StrEnum):
    """How the period's results are summed up into one level (stored by its value)."""

    LATEST = "latest"
    MEAN = "mean"
    MEAN_LAST_N = "mean_last_n"
    BEST_N = "best_n"
    DECAYING = "decaying"


METHOD_LABELS: dict[SuggestionMethod, str] = {
    SuggestionMethod.LATEST: "Dernier résultat",
    SuggestionMethod.MEAN: "Moyenne",
    SuggestionMethod.MEAN_LAST_N: "Moyenne des N derniers",
    SuggestionMethod.BEST_N: "N meilleurs résultats",
    SuggestionMethod.DECAYING: "Moyenne pondérée (décroissante)",
}


@dataclass(frozen=True, slots=True)
class SuggestionSettings:
    """The teacher's choice of method; n is used by the *_n methods, weight by decaying."""

    method: SuggestionMethod
    n: int = 3
    weight: float = 0.65
    """Weight of the latest result in the decaying average (0 < w ≤ 1)."""

    def __post_init__(self) -> None:
        try:
            # Settings are stored as text: accept the enum's value too.
            object.__setattr__(self, "method", SuggestionMethod(self.method))
        except ValueError:
            raise ValidationError(f"Méthode de suggestion inconnue : « {self.method} ».") from None
        if isinstance(self.n, bool) or not isinstance(self.n, int) or self.n < 1:
            raise ValidationError(
                f"Le nombre de résultats retenus doit être un entier au moins égal à 1 "
                f"(reçu : {self.n!r})."
            )
        weight = self.weight
        if (
            isinstance(weight, bool)
            or not isinstance(weight, int | float)
            or not math.isfinite(weight)
            or not 0 < weight <= 1
        ):
            raise ValidationError(
                "Le poids du dernier résultat doit être compris entre 0 (exclu) et 1 "
                f"(reçu : {weight!r})."
            )
        object.__setattr__(self, "weight", float(weight))


@dataclass(frozen=True, slots=True)
class Suggestion:
    """A suggested level and how it was obtained; never applied by itself."""

    level: Level
    value: float | None
    """The computed value on the 1–4 scale before rounding; None without results."""
    counted: int
    """How many results of the period count (levels 1–4; NE and ABS are left out)."""
    method: SuggestionMethod
    explanation: str
    """One short French sentence for the tooltip and the level picker."""


NO_RESULT = "Aucun résultat sur la période."


def round_to_level(value: Fraction | float) -> Level:
    """The level nearest to a value on the 1–4 scale.

    Halves round up (2.5 → 3: a learner halfway between two levels gets the
    benefit of the doubt), and the result is clamped to 1–4. This is the only
    place where a computed value becomes a level.
    """
    rounded = math.floor(Fraction(value) + Fraction(1, 2))
    return level_of_value(min(4, max(1, rounded)))


def suggest_level(results: Sequence[Level | Absence], settings: SuggestionSettings) -> Suggestion:
    """Suggest a level from the period's results, oldest first."""
    values = [v for v in (value_of(r) for r in results) if v is not None]
    method = settings.method
    if not values:
        return Suggestion(Level.NE, None, 0, method, NO_RESULT)

    # Exact arithmetic: a float sum could land just under a half and round down.
    exact: Fraction
    if method is SuggestionMethod.LATEST:
        exact = Fraction(values[-1])
        summary = f"Dernier résultat : {values[-1]}"
    elif len(values) == 1:
        exact = Fraction(values[0])
        summary = f"Un seul résultat sur la période : {values[0]}"
    elif method is SuggestionMethod.MEAN:
        exact = _mean(values)
        summary = f"Moyenne des {len(values)} résultats : {_french(exact)}"
    elif method in (SuggestionMethod.MEAN_LAST_N, SuggestionMethod.BEST_N):
        if len(values) <= settings.n:
            exact = _mean(values)
            summary = f"Moyenne des {len(values)} résultats de la période : {_french(exact)}"
        elif method is SuggestionMethod.MEAN_LAST_N:
            exact = _mean(values[-settings.n :])
            summary = _n_summary("derniers", settings.n, exact)
        else:
            exact = _mean(sorted(values, reverse=True)[: settings.n])
            summary = _n_summary("meilleurs", settings.n, exact)
    else:
        # The weight is what the teacher typed (0.65), not its binary approximation.
        weight = Fraction(repr(settings.weight))
        exact = values[-1] * weight + _mean(values[:-1]) * (1 - weight)
        summary = (
            f"Moyenne pondérée (dernier × {_french_weight(weight)}, "
            f"précédents × {_french_weight(1 - weight)}) : {_french(exact)}"
        )

    level = round_to_level(exact)
    style = style_of(level)
    explanation = f"{summary} → {style.symbol} ({style.label})"
    return Suggestion(level, float(exact), len(values), method, explanation)


def _mean(values: Sequence[int]) -> Fraction:
    return Fraction(sum(values), len(values))


def _n_summary(kind: str, n: int, exact: Fraction) -> str:
    if n == 1:
        # "des 1 derniers résultats" reads badly.
        return f"{'Dernier' if kind == 'derniers' else 'Meilleur'} résultat : {exact}"
    return f"Moyenne des {n} {kind} résultats : {_french(exact)}"


def _french(value: Fraction) -> str:
    """A value with two decimals, halves up, and a French decimal comma: 2,67."""
    hundredths = math.floor(value * 100 + Fraction(1, 2))
    return f"{hundredths // 100},{hundredths % 100:02d}"


def _french_weight(value: Fraction) -> str:
    """A weight as typed, without trailing zeros: 0,65 or 1."""
    text = format(Decimal(value.numerator) / Decimal(value.denominator), "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text.replace(".", ",")
