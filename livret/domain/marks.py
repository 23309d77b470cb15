"""The mark out of 20 computed from the positionings of a bilan."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from types import MappingProxyType

from livret.domain.errors import ValidationError
from livret.domain.levels import Level, parse_level, style_of

ROUNDING_STEPS: tuple[Decimal, ...] = (Decimal("0.1"), Decimal("0.5"), Decimal("1"))
"""The rounding steps a teacher may choose for the mark."""

MAX_MARK = 20

DEFAULT_MIN_SHARE = Decimal("0.5")
"""A mark computed on fewer than this share of the CCs is flagged (shown, never hidden)."""

Weight = Decimal | int | float


@dataclass(frozen=True, slots=True)
class MarkSettings:
    """Rounding step, per-CC weights (a CC missing from `weights` weighs 1), and the share
    of the CCs under which a mark is flagged (0.5: fewer than half of them positioned)."""

    rounding: Decimal = Decimal("0.1")
    weights: Mapping[str, Weight] = field(default_factory=dict, hash=False)
    min_share: Decimal = DEFAULT_MIN_SHARE

    def __post_init__(self) -> None:
        object.__setattr__(self, "rounding", _checked_step(self.rounding))
        object.__setattr__(self, "min_share", _checked_share(self.min_share))
        for code, weight in self.weights.items():
            if not isinstance(code, str):
                raise ValidationError(f"Code de compétence commune invalide : « {code!r} ».")
            _weight_fraction(code, weight)
        # A read-only copy: the weights were checked once, they must not change afterwards.
        object.__setattr__(self, "weights", MappingProxyType(dict(self.weights)))

    def weight_of(self, cc_code: str) -> Fraction:
        """The exact weight of one CC."""
        if cc_code not in self.weights:
            return Fraction(1)
        return _weight_fraction(cc_code, self.weights[cc_code])


@dataclass(frozen=True, slots=True)
class MarkResult:
    """A computed mark and what it was computed from."""

    value: Decimal | None
    """The mark rounded to the chosen step; None when no CC counts."""
    exact: Fraction | None
    """The mark before rounding."""
    ne_count: int
    """How many CCs are NE (left out of the mark)."""
    counted: int
    """How many CCs have a level 1–4 (including any of weight 0)."""


def compute_mark(positionings: Mapping[str, Level], settings: MarkSettings) -> MarkResult:
    """20 × Σ(weight × share) / Σ weight over the CCs that are not NE."""
    ne_count = 0
    counted = 0
    weighted = Fraction(0)
    total_weight = Fraction(0)
    for cc_code, raw_level in positionings.items():
        # parse_level refuses ABS and unknown codes with a French message.
        level = parse_level(str(raw_level))
        share = style_of(level).share
        if share is None:
            ne_count += 1
            continue
        counted += 1
        weight = settings.weight_of(cc_code)
        weighted += weight * share
        total_weight += weight
    if total_weight == 0:
        # Nothing positioned is not a zero: the learner simply has no mark yet.
        return MarkResult(None, None, ne_count, counted)
    exact = MAX_MARK * weighted / total_weight
    return MarkResult(round_half_up(exact, settings.rounding), exact, ne_count, counted)


def is_flagged(counted: int, total: int, min_share: Decimal) -> bool:
    """A mark computed on fewer than `min_share` of the `total` CCs (2 of 13 under half)."""
    return total > 0 and Fraction(counted) < Fraction(min_share) * total


def coverage_text(counted: int, total: int) -> str:
    """« Calculée sur 2 CC sur 13 »: what a flagged mark's tooltip and export say."""
    return f"Calculée sur {counted} CC sur {total}"


def percent_text(share: Decimal) -> str:
    """« 50 % » for 0.5, « 33,5 % » for 0.335 (French decimals, no trailing zeros)."""
    percent = (share * 100).normalize()
    shown = format(
        percent.quantize(Decimal(1)) if percent == percent.to_integral() else percent, "f"
    )
    return shown.replace(".", ",") + "\u00a0%"


def round_half_up(value: Fraction, step: Decimal) -> Decimal:
    """Round an exact value to a multiple of step, halves up (13.25 → 13.3 at 0.1).

    Computed on fractions so that 20 × 2/3 gives 13.3, not a float's 13.299999….
    """
    step_fraction = Fraction(step)
    multiples = math.floor(value / step_fraction + Fraction(1, 2))
    return Decimal(multiples) * step


def _checked_step(rounding: object) -> Decimal:
    try:
        if isinstance(rounding, bool) or not isinstance(rounding, Decimal | int | float | str):
            raise InvalidOperation
        step = Decimal(str(rounding))
    except InvalidOperation:
        step = None
    for allowed in ROUNDING_STEPS:
        if step is not None and step.is_finite() and step == allowed:
            return allowed
    raise ValidationError(f"Arrondi de la note invalide : « {rounding} » (choisir 0,1, 0,5 ou 1).")


def _checked_share(share: object) -> Decimal:
    try:
        if isinstance(share, bool) or not isinstance(share, Decimal | int | float | str):
            raise InvalidOperation
        value = Decimal(str(share))
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite() or not 0 <= value <= 1:
        raise ValidationError(
            f"Seuil d'alerte des notes invalide : « {share} » (entre 0 et 100 % des CC)."
        )
    return value


def _weight_fraction(cc_code: str, weight: object) -> Fraction:
    if isinstance(weight, bool) or not isinstance(weight, Decimal | int | float):
        raise ValidationError(f"Coefficient de {cc_code} invalide : « {weight!r} ».")
    if isinstance(weight, float):
        if not math.isfinite(weight):
            raise ValidationError(f"Coefficient de {cc_code} invalide : « {weight} ».")
        # The coefficient as typed (0.1), not its binary approximation.
        exact = Fraction(repr(weight))
    elif isinstance(weight, Decimal):
        if not weight.is_finite():
            raise ValidationError(f"Coefficient de {cc_code} invalide : « {weight} ».")
        exact = Fraction(weight)
    else:
        exact = Fraction(weight)
    if exact < 0:
        raise ValidationError(
            f"Coefficient de {cc_code} négatif : « {weight} » (il doit être positif ou nul)."
        )
    return exact
