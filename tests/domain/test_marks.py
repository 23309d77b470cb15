"""Mark out of 20 from a bilan's positionings."""

from __future__ import annotations

from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livret.domain.errors import ValidationError
from livret.domain.levels import Absence, Level
from livret.domain.marks import (
    ROUNDING_STEPS,
    MarkResult,
    MarkSettings,
    compute_mark,
    round_half_up,
)

L1, L2, L3, L4, NE = Level.L1, Level.L2, Level.L3, Level.L4, Level.NE
CCS = [f"CC{i}" for i in range(1, 14)]

positionings_strategy = st.dictionaries(
    st.sampled_from(CCS), st.sampled_from([NE, L1, L2, L3, L4]), max_size=13
)
weights_strategy = st.dictionaries(
    st.sampled_from(CCS), st.integers(min_value=0, max_value=10), max_size=13
)
steps = st.sampled_from(ROUNDING_STEPS)


# Hand-computed cases --------------------------------------------------------------------


def test_one_of_each_level() -> None:
    # 20 × (1 + 2/3 + 1/3 + 0) / 4 = 20 × 2 / 4 = 10
    result = compute_mark({"CC1.1": L4, "CC2.1": L3, "CC2.2": L2, "CC2.3": L1}, MarkSettings())
    assert result == MarkResult(Decimal("10.0"), Fraction(10), 0, 4)


def test_weights() -> None:
    positionings = {"CC1.1": L4, "CC2.1": L3, "CC2.2": L2, "CC2.3": L1, "CC3.1": NE}
    # CC1.1 weighs 2: 20 × (2 × 1 + 2/3 + 1/3 + 0) / (2 + 1 + 1 + 1) = 20 × 3 / 5 = 12
    result = compute_mark(positionings, MarkSettings(weights={"CC1.1": 2, "CC3.1": 5}))
    assert result == MarkResult(Decimal("12.0"), Fraction(12), 1, 4)
    # CC2.3 weighs 0 (left out), CC2.1 weighs 1.5:
    # 20 × (1 + 1.5 × 2/3 + 1/3) / (1 + 1.5 + 1) = 20 × (7/3) / (7/2) = 40/3 = 13.33…
    settings = MarkSettings(weights={"CC2.3": 0, "CC2.1": Decimal("1.5")})
    result = compute_mark(positionings, settings)
    assert result.exact == Fraction(40, 3)
    assert result.value == Decimal("13.3")
    assert (result.ne_count, result.counted) == (1, 4)


def test_two_thirds() -> None:
    # 20 × (2/3 + 2/3 + 2/3) / 3 = 40/3 = 13.333…
    positionings = {"A": L3, "B": L3, "C": L3}
    assert compute_mark(positionings, MarkSettings(Decimal("0.1"))).value == Decimal("13.3")
    assert compute_mark(positionings, MarkSettings(Decimal("0.5"))).value == Decimal("13.5")
    assert compute_mark(positionings, MarkSettings(Decimal("1"))).value == Decimal("13")


def test_five_sixths() -> None:
    # 20 × (1 + 2/3) / 2 = 50/3 = 16.666…
    positionings = {"A": L4, "B": L3}
    assert compute_mark(positionings, MarkSettings(Decimal("0.1"))).value == Decimal("16.7")
    assert compute_mark(positionings, MarkSettings(Decimal("0.5"))).value == Decimal("16.5")
    assert compute_mark(positionings, MarkSettings(Decimal("1"))).value == Decimal("17")


def test_halves_round_up() -> None:
    # 20 × (1 + 0 + 0 + 0 + 0 + 0 + 0 + 0) / 8 = 2.5 → 3 at step 1
    positionings = {"A": L4} | {f"Z{i}": L1 for i in range(7)}
    assert compute_mark(positionings, MarkSettings(Decimal("1"))).value == Decimal("3")
    # 20 × 1/16 = 1.25 → 1.3 at 0.1, 1.5 at 0.5 (1.25 is exactly between 1.0 and 1.5)
    positionings = {"A": L4} | {f"Z{i}": L1 for i in range(15)}
    assert compute_mark(positionings, MarkSettings(Decimal("0.1"))).value == Decimal("1.3")
    assert compute_mark(positionings, MarkSettings(Decimal("0.5"))).value == Decimal("1.5")


def test_round_half_up_exact() -> None:
    assert round_half_up(Fraction(2675, 100), Decimal("0.1")) == Decimal("26.8")
    assert round_half_up(Fraction(2665, 100), Decimal("0.1")) == Decimal("26.7")
    assert round_half_up(Fraction(1325, 100), Decimal("0.5")) == Decimal("13.5")
    assert round_half_up(Fraction(1324, 100), Decimal("0.5")) == Decimal("13.0")
    assert round_half_up(Fraction(20), Decimal("0.1")) == Decimal("20.0")
    assert round_half_up(Fraction(0), Decimal("1")) == Decimal("0")


def test_ne_only_or_nothing_has_no_mark() -> None:
    assert compute_mark({}, MarkSettings()) == MarkResult(None, None, 0, 0)
    assert compute_mark({"A": NE, "B": NE}, MarkSettings()) == MarkResult(None, None, 2, 0)


def test_zero_total_weight_has_no_mark() -> None:
    settings = MarkSettings(weights={"A": 0, "B": 0})
    assert compute_mark({"A": L4, "B": L1, "C": NE}, settings) == MarkResult(None, None, 1, 2)


def test_positionings_as_codes_and_abs_refused() -> None:
    assert compute_mark({"A": "4", "B": "++"}, MarkSettings()).value == Decimal("20.0")  # type: ignore[dict-item]
    with pytest.raises(ValidationError, match="ABS n'est pas un positionnement possible"):
        compute_mark({"A": Absence.ABS}, MarkSettings())  # type: ignore[dict-item]


# Settings -----------------------------------------------------------------------------


def test_rounding_steps() -> None:
    assert MarkSettings().rounding == Decimal("0.1")
    assert MarkSettings(Decimal("1.0")).rounding == Decimal("1")
    assert MarkSettings("0.5").rounding == Decimal("0.5")  # type: ignore[arg-type]
    assert MarkSettings(1).rounding == Decimal("1")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "step", [Decimal("0.2"), Decimal("0"), Decimal("NaN"), Decimal("sNaN"), "abc", 2, True, None]
)
def test_bad_rounding(step: object) -> None:
    with pytest.raises(
        ValidationError, match=r"^Arrondi de la note invalide : « .* » \(choisir 0,1, 0,5 ou 1\)\.$"
    ):
        MarkSettings(step)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("weight", "message"),
    [
        (-1, "Coefficient de CC1.1 négatif"),
        (Decimal("-0.5"), "Coefficient de CC1.1 négatif"),
        (float("inf"), "Coefficient de CC1.1 invalide"),
        (float("nan"), "Coefficient de CC1.1 invalide"),
        (Decimal("Infinity"), "Coefficient de CC1.1 invalide"),
        ("2", "Coefficient de CC1.1 invalide"),
        (True, "Coefficient de CC1.1 invalide"),
    ],
)
def test_bad_weights(weight: object, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        MarkSettings(weights={"CC1.1": weight})  # type: ignore[dict-item]


def test_settings_are_frozen_copies() -> None:
    weights = {"CC1.1": 2}
    settings = MarkSettings(weights=weights)
    weights["CC1.1"] = -5  # later changes to the caller's dict do not leak in
    assert settings.weight_of("CC1.1") == 2
    assert settings.weight_of("CC2.1") == 1
    assert settings == MarkSettings(weights={"CC1.1": 2})
    assert hash(settings) == hash(MarkSettings(weights={"CC1.1": 2}))
    assert MarkSettings(weights={"A": 0.1}).weight_of("A") == Fraction(1, 10)


# Properties ---------------------------------------------------------------------------


@given(positionings_strategy, weights_strategy, steps)
def test_mark_is_between_0_and_20(
    positionings: dict[str, Level], weights: dict[str, int], step: Decimal
) -> None:
    result = compute_mark(positionings, MarkSettings(step, weights))
    if result.value is not None:
        assert result.exact is not None
        assert 0 <= result.exact <= 20
        assert Decimal(0) <= result.value <= Decimal(20)
        assert abs(Fraction(result.value) - result.exact) <= Fraction(step) / 2


@given(st.integers(min_value=1, max_value=13), weights_strategy, steps)
def test_all_4_is_20_and_all_1_is_0(count: int, weights: dict[str, int], step: Decimal) -> None:
    weights = {**weights, CCS[0]: 1}  # at least one CC weighs something
    top = compute_mark(dict.fromkeys(CCS[:count], L4), MarkSettings(step, weights))
    bottom = compute_mark(dict.fromkeys(CCS[:count], L1), MarkSettings(step, weights))
    assert top.value == 20
    assert bottom.value == 0


@given(positionings_strategy, weights_strategy, st.sampled_from(CCS), steps)
def test_raising_one_level_never_lowers_the_mark(
    positionings: dict[str, Level], weights: dict[str, int], cc: str, step: Decimal
) -> None:
    before = positionings.get(cc, NE)
    if before in (NE, L4):
        return
    raised = {**positionings, cc: Level(str(int(before) + 1))}
    settings = MarkSettings(step, weights)
    old, new = compute_mark(positionings, settings), compute_mark(raised, settings)
    if old.exact is not None:
        assert new.exact is not None and new.value is not None and old.value is not None
        assert new.exact >= old.exact
        assert new.value >= old.value


@given(
    positionings_strategy,
    weights_strategy,
    st.decimals(min_value=Decimal("0.01"), max_value=Decimal("100"), places=2),
    steps,
)
def test_scaling_every_weight_changes_nothing(
    positionings: dict[str, Level], weights: dict[str, int], factor: Decimal, step: Decimal
) -> None:
    # Every CC gets an explicit weight so that the default 1 is scaled too.
    full = {cc: weights.get(cc, 1) for cc in CCS}
    scaled = {cc: Decimal(w) * factor for cc, w in full.items()}
    plain = compute_mark(positionings, MarkSettings(step, full))
    assert compute_mark(positionings, MarkSettings(step, scaled)) == plain


@given(positionings_strategy)
def test_counts(positionings: dict[str, Level]) -> None:
    result = compute_mark(positionings, MarkSettings())
    assert result.ne_count == sum(1 for level in positionings.values() if level is NE)
    assert result.counted + result.ne_count == len(positionings)
    assert (result.value is None) == (result.counted == 0)


@given(st.dictionaries(st.sampled_from(CCS), st.just(NE), max_size=13), weights_strategy, steps)
def test_all_ne_has_no_mark(
    positionings: dict[str, Level], weights: dict[str, int], step: Decimal
) -> None:
    assert compute_mark(positionings, MarkSettings(step, weights)) == MarkResult(
        None, None, len(positionings), 0
    )
