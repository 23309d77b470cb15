"""Suggested level for the current period of one CC."""

from __future__ import annotations

from fractions import Fraction
from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livret.domain.errors import ValidationError
from livret.domain.levels import Absence, Level, value_of
from livret.domain.suggestion import (
    METHOD_LABELS,
    NO_RESULT,
    Suggestion,
    SuggestionMethod,
    SuggestionSettings,
    round_to_level,
    suggest_level,
)

L1, L2, L3, L4, NE, ABS = Level.L1, Level.L2, Level.L3, Level.L4, Level.NE, Absence.ABS

counted_levels = st.sampled_from([L1, L2, L3, L4])
any_result = st.sampled_from([NE, L1, L2, L3, L4, ABS])
methods = st.sampled_from(list(SuggestionMethod))
settings_strategy = st.builds(
    SuggestionSettings,
    method=methods,
    n=st.integers(min_value=1, max_value=6),
    weight=st.floats(min_value=0.01, max_value=1.0),
)


def suggest(method: SuggestionMethod, *results: Level | Absence, **kwargs: float) -> Suggestion:
    return suggest_level(list(results), SuggestionSettings(method, **kwargs))  # type: ignore[arg-type]


# Hand-computed cases ------------------------------------------------------------------

# Results of the period, oldest first: 2, NE, 3, ABS, 1, 4, 3 → counted 2, 3, 1, 4, 3.
PERIOD: list[Level | Absence] = [L2, NE, L3, ABS, L1, L4, L3]


def test_latest() -> None:
    s = suggest(SuggestionMethod.LATEST, *PERIOD)
    assert (s.level, s.value, s.counted) == (L3, 3.0, 5)
    assert s.explanation == "Dernier résultat : 3 → + (Maîtrisé)"


def test_mean() -> None:
    # (2 + 3 + 1 + 4 + 3) / 5 = 13/5 = 2.6 → 3
    s = suggest(SuggestionMethod.MEAN, *PERIOD)
    assert (s.level, s.value) == (L3, 2.6)
    assert s.explanation == "Moyenne des 5 résultats : 2,60 → + (Maîtrisé)"


def test_mean_last_n() -> None:
    # last 3: 1, 4, 3 → 8/3 = 2.666… → 3
    s = suggest(SuggestionMethod.MEAN_LAST_N, *PERIOD)
    assert s.level is L3
    assert s.value == pytest.approx(8 / 3)
    assert s.explanation == "Moyenne des 3 derniers résultats : 2,67 → + (Maîtrisé)"
    # last 2: 4, 3 → 3.5 → 4 (halves go up)
    s = suggest(SuggestionMethod.MEAN_LAST_N, *PERIOD, n=2)
    assert (s.level, s.value) == (L4, 3.5)
    assert s.explanation == "Moyenne des 2 derniers résultats : 3,50 → ++ (Bien maîtrisé)"


def test_best_n() -> None:
    # best 3 of 2, 3, 1, 4, 3: 4, 3, 3 → 10/3 = 3.33 → 3
    s = suggest(SuggestionMethod.BEST_N, *PERIOD)
    assert s.level is L3
    assert s.value == pytest.approx(10 / 3)
    assert s.explanation == "Moyenne des 3 meilleurs résultats : 3,33 → + (Maîtrisé)"
    s = suggest(SuggestionMethod.BEST_N, *PERIOD, n=1)
    assert s.explanation == "Meilleur résultat : 4 → ++ (Bien maîtrisé)"


def test_fewer_results_than_n_takes_them_all() -> None:
    # 1 and 2 → 1.5 → 2
    s = suggest(SuggestionMethod.MEAN_LAST_N, L1, ABS, L2, n=4)
    assert (s.level, s.value, s.counted) == (L2, 1.5, 2)
    assert s.explanation == (
        "Moyenne des 2 résultats de la période : 1,50 → - (Insuffisamment maîtrisé)"
    )


def test_decaying() -> None:
    # latest 3 × 0.65 + mean(2, 3, 1, 4) = 2.5 × 0.35 = 1.95 + 0.875 = 2.825 → 3
    s = suggest(SuggestionMethod.DECAYING, *PERIOD)
    assert s.level is L3
    assert s.value == pytest.approx(2.825)
    assert s.explanation == (
        "Moyenne pondérée (dernier × 0,65, précédents × 0,35) : 2,83 → + (Maîtrisé)"
    )
    # latest 1 × 0.65 + mean(4, 4) × 0.35 = 0.65 + 1.4 = 2.05 → 2
    s = suggest(SuggestionMethod.DECAYING, L4, L4, L1)
    assert (s.level, s.value) == (L2, pytest.approx(2.05))


def test_decaying_exact_half_rounds_up() -> None:
    # latest 3 × 0.5 + mean(2) × 0.5 = 2.5 → 3
    assert suggest(SuggestionMethod.DECAYING, L2, L3, weight=0.5).level is L3
    # latest 3 × 0.7 + mean(1, 1, 2) = 4/3 × 0.3 = 2.1 + 0.4 = 2.5 → 3.
    # In floats this is 2.4999999999999996 and would round down to 2.
    s = suggest(SuggestionMethod.DECAYING, L1, L1, L2, L3, weight=0.7)
    assert s.level is L3
    assert s.explanation == (
        "Moyenne pondérée (dernier × 0,7, précédents × 0,3) : 2,50 → + (Maîtrisé)"
    )
    # latest 4 × 0.1 + mean(2) × 0.9 = 0.4 + 1.8 = 2.2 → 2
    assert suggest(SuggestionMethod.DECAYING, L2, L4, weight=0.1).level is L2


def test_single_result() -> None:
    for method in SuggestionMethod:
        s = suggest(method, NE, L2, ABS)
        assert (s.level, s.value, s.counted, s.method) == (L2, 2.0, 1, method)
    s = suggest(SuggestionMethod.DECAYING, L2)
    assert s.explanation == "Un seul résultat sur la période : 2 → - (Insuffisamment maîtrisé)"


@pytest.mark.parametrize("method", list(SuggestionMethod))
def test_no_counted_result(method: SuggestionMethod) -> None:
    empty_periods: list[list[Level | Absence]] = [[], [NE], [ABS, NE, ABS]]
    for results in empty_periods:
        s = suggest_level(results, SuggestionSettings(method))
        assert s == Suggestion(NE, None, 0, method, "Aucun résultat sur la période.")
    assert NO_RESULT == "Aucun résultat sur la période."


def test_round_to_level() -> None:
    assert [round_to_level(v) for v in (1, 1.49, 1.5, 2.5, 3.4999, 3.5, 4)] == [
        L1,
        L1,
        L2,
        L3,
        L3,
        L4,
        L4,
    ]
    assert round_to_level(Fraction(5, 2)) is L3
    assert round_to_level(0.2) is L1  # clamped
    assert round_to_level(7) is L4


# Settings ---------------------------------------------------------------------------


def test_settings_defaults_and_text_method() -> None:
    s = SuggestionSettings("decaying")  # type: ignore[arg-type]
    assert (s.method, s.n, s.weight) == (SuggestionMethod.DECAYING, 3, 0.65)
    assert SuggestionSettings(SuggestionMethod.MEAN, weight=1).weight == 1.0


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"method": "median"}, "Méthode de suggestion inconnue : « median »"),
        ({"n": 0}, "au moins égal à 1"),
        ({"n": 2.5}, "au moins égal à 1"),
        ({"n": True}, "au moins égal à 1"),
        ({"weight": 0}, "entre 0 \\(exclu\\) et 1"),
        ({"weight": 1.01}, "entre 0 \\(exclu\\) et 1"),
        ({"weight": -0.5}, "entre 0 \\(exclu\\) et 1"),
        ({"weight": float("nan")}, "entre 0 \\(exclu\\) et 1"),
        ({"weight": "0.5"}, "entre 0 \\(exclu\\) et 1"),
    ],
)
def test_bad_settings(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {"method": SuggestionMethod.MEAN, **kwargs}
    with pytest.raises(ValidationError, match=message):
        SuggestionSettings(**arguments)  # type: ignore[arg-type]


def test_method_labels() -> None:
    assert set(METHOD_LABELS) == set(SuggestionMethod)
    assert METHOD_LABELS[SuggestionMethod.LATEST] == "Dernier résultat"
    assert METHOD_LABELS[SuggestionMethod.DECAYING] == "Moyenne pondérée (décroissante)"
    assert [m.value for m in SuggestionMethod] == [
        "latest",
        "mean",
        "mean_last_n",
        "best_n",
        "decaying",
    ]


# Properties -------------------------------------------------------------------------


@given(st.lists(any_result, max_size=20), settings_strategy)
def test_level_is_between_the_counted_extremes(
    results: list[Level | Absence], settings: SuggestionSettings
) -> None:
    suggestion = suggest_level(results, settings)
    values = [v for v in map(value_of, results) if v is not None]
    assert suggestion.counted == len(values)
    if values:
        assert min(values) <= int(suggestion.level) <= max(values)
        assert suggestion.value is not None
        assert min(values) <= suggestion.value <= max(values)
        assert suggestion.explanation.endswith(")")
    else:
        assert suggestion.level is NE


@given(counted_levels, st.integers(min_value=1, max_value=10), settings_strategy)
def test_constant_input_gives_that_level(
    level: Level, count: int, settings: SuggestionSettings
) -> None:
    assert suggest_level([level] * count, settings).level is level


@given(st.lists(counted_levels, min_size=1, max_size=20), st.randoms(use_true_random=False))
def test_mean_is_order_independent(results: list[Level], random: Random) -> None:
    shuffled = list(results)
    random.shuffle(shuffled)
    settings = SuggestionSettings(SuggestionMethod.MEAN)
    assert suggest_level(shuffled, settings).value == suggest_level(results, settings).value
    assert suggest_level(shuffled, settings).level == suggest_level(results, settings).level


@given(st.lists(any_result, max_size=20))
def test_latest_is_the_last_counted_result(results: list[Level | Absence]) -> None:
    suggestion = suggest_level(results, SuggestionSettings(SuggestionMethod.LATEST))
    counted = [r for r in results if r not in (NE, ABS)]
    assert suggestion.level == (counted[-1] if counted else NE)


@given(
    st.lists(counted_levels, max_size=12),
    st.lists(st.sampled_from([NE, ABS]), max_size=12),
    st.randoms(use_true_random=False),
    settings_strategy,
)
def test_ne_and_abs_never_change_the_result(
    results: list[Level], noise: list[Level | Absence], random: Random, settings: SuggestionSettings
) -> None:
    mixed: list[Level | Absence] = list(results)
    for item in noise:
        mixed.insert(random.randint(0, len(mixed)), item)
    assert suggest_level(mixed, settings) == suggest_level(results, settings)


@given(st.lists(any_result, max_size=20))
def test_decaying_with_full_weight_is_latest(results: list[Level | Absence]) -> None:
    decaying = suggest_level(results, SuggestionSettings(SuggestionMethod.DECAYING, weight=1))
    latest = suggest_level(results, SuggestionSettings(SuggestionMethod.LATEST))
    assert (decaying.level, decaying.value) == (latest.level, latest.value)


@given(st.lists(counted_levels, min_size=1, max_size=20), st.integers(min_value=20, max_value=30))
def test_large_n_is_the_mean(results: list[Level], n: int) -> None:
    mean = suggest_level(results, SuggestionSettings(SuggestionMethod.MEAN))
    for method in (SuggestionMethod.MEAN_LAST_N, SuggestionMethod.BEST_N):
        other = suggest_level(results, SuggestionSettings(method, n=n))
        assert (other.level, other.value) == (mean.level, mean.value)


@given(st.lists(counted_levels, min_size=1, max_size=20), st.integers(min_value=1, max_value=6))
def test_best_n_is_at_least_last_n(results: list[Level], n: int) -> None:
    best = suggest_level(results, SuggestionSettings(SuggestionMethod.BEST_N, n=n))
    last = suggest_level(results, SuggestionSettings(SuggestionMethod.MEAN_LAST_N, n=n))
    assert best.value is not None and last.value is not None
    assert best.value >= last.value
