"""LSL Pro rules: the four degrees, the proposed degree, the periods and their means, PFMP."""

from __future__ import annotations

import datetime as dt
import itertools
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from livret.domain.errors import ValidationError
from livret.domain.levels import Absence, Level
from livret.domain.lsl import (
    DEGREE_LABELS,
    BilanLevels,
    CompetencyChoice,
    Degree,
    Periodicity,
    PeriodMean,
    PfmpFill,
    PfmpSource,
    degree_of_level,
    group_pfmps,
    is_lsl_grade,
    latest_positionings,
    missing_fields,
    parse_degree,
    period_means,
    propose_degree,
    school_periods,
)

L1, L2, L3, L4, NE, ABS = Level.L1, Level.L2, Level.L3, Level.L4, Level.NE, Absence.ABS
D = dt.date

# -- degrees ---------------------------------------------------------------------------


def test_the_four_degrees_are_the_four_counted_levels() -> None:
    degrees = [degree_of_level(level) for level in (L1, L2, L3, L4)]
    assert degrees == list(Degree)
    assert [DEGREE_LABELS[degree] for degree in Degree] == [
        "Non maîtrisé",
        "Insuffisamment maîtrisé",
        "Maîtrisé",
        "Bien maîtrisé",
    ]
    assert degree_of_level(NE) is None


def test_parse_degree_by_code_or_label_and_refuses_the_rest() -> None:
    assert parse_degree("3") is Degree.MAITRISE
    assert parse_degree(" bien maîtrisé ") is Degree.BIEN_MAITRISE
    for bad in ("0", "5", "NE", "++", ""):
        with pytest.raises(ValidationError, match="Degré de maîtrise inconnu"):
            parse_degree(bad)


def test_lsl_grades_are_1re_and_terminale() -> None:
    assert [is_lsl_grade(g) for g in ("1re", "Tle", "Terminale", "2nde", None, "")] == [
        True, True, True, False, False, False,
    ]  # fmt: skip


# -- proposal: hand-computed -----------------------------------------------------------


def test_proposal_weighs_the_positionings_twice_the_results() -> None:
    # CP03: 6 criteria on CC2.1, 2 on CC2.4. P = (6×3 + 2×1) / 8 = 2.5;
    # R = (2 + 2 + 4) / 3 = 8/3 (NE and ABS left out); (2 × 2.5 + 8/3) / 3 = 23/9 ≈ 2.56 → 3.
    proposal = propose_degree(
        {"CC2.1": 6, "CC2.4": 2}, {"CC2.1": L3, "CC2.4": L1, "CC5.1": L4}, [L2, L2, L4, NE, ABS]
    )
    assert proposal.from_positionings == Fraction(5, 2)
    assert proposal.from_results == Fraction(8, 3)
    assert proposal.value == Fraction(23, 9)
    assert proposal.degree is Degree.MAITRISE
    assert (proposal.positioned_ccs, proposal.result_count) == (2, 3)
    assert proposal.explanation == "Bilans 2,50 (2 CC) ; résultats 2,67 (3) → 3 Maîtrisé"


def test_proposal_from_results_alone_rounds_halves_up() -> None:
    proposal = propose_degree({"CC2.1": 3}, {}, [L1, L2])
    assert (proposal.from_positionings, proposal.value, proposal.degree) == (
        None,
        Fraction(3, 2),
        Degree.INSUFFISAMMENT_MAITRISE,
    )


def test_proposal_from_positionings_alone_ignores_ne() -> None:
    proposal = propose_degree({"CC2.1": 1, "CC3.1": 1}, {"CC2.1": NE, "CC3.1": L4}, [ABS, NE])
    assert (proposal.value, proposal.degree, proposal.result_count) == (4, Degree.BIEN_MAITRISE, 0)


def test_no_evidence_no_proposal() -> None:
    proposal = propose_degree({"CC2.1": 2}, {"CC2.1": NE}, [ABS])
    assert proposal.degree is None and proposal.value is None
    assert proposal.explanation.startswith("Aucune proposition")


def test_latest_positioning_per_cc_skips_ne() -> None:
    bilans = [
        BilanLevels(2, D(2026, 3, 20), {"CC2.1": L4, "CC3.1": NE}),
        BilanLevels(1, D(2025, 12, 12), {"CC2.1": L2, "CC3.1": L3}),
        BilanLevels(3, D(2026, 3, 20), {"CC2.1": L1}),  # same day, written later
    ]
    assert latest_positionings(bilans) == {"CC2.1": L1, "CC3.1": L3}


# -- proposal: properties --------------------------------------------------------------

cc_codes = st.sampled_from(["CC1.1", "CC2.1", "CC2.4", "CC3.1", "CC6.1"])
weights = st.dictionaries(cc_codes, st.integers(min_value=0, max_value=8), max_size=5)
positioning_maps = st.dictionaries(cc_codes, st.sampled_from([NE, L1, L2, L3, L4]), max_size=5)
result_lists = st.lists(st.sampled_from([NE, ABS, L1, L2, L3, L4]), max_size=30)


@given(weights, positioning_maps, result_lists)
def test_a_proposal_is_a_degree_exactly_when_something_counts(
    cc_weights: dict[str, int], positionings: dict[str, Level], results: list[Level | Absence]
) -> None:
    proposal = propose_degree(cc_weights, positionings, results)
    counts = any(r not in (NE, ABS) for r in results) or any(
        w > 0 and positionings.get(code, NE) is not NE for code, w in cc_weights.items()
    )
    assert (proposal.degree is not None) == counts
    if proposal.value is not None:
        assert 1 <= proposal.value <= 4
        assert abs(proposal.value - int(proposal.degree)) <= Fraction(1, 2)  # type: ignore[arg-type]


@given(st.sampled_from([L1, L2, L3, L4]), weights, st.integers(min_value=0, max_value=10))
def test_unanimous_evidence_gives_its_own_degree(
    level: Level, cc_weights: dict[str, int], result_count: int
) -> None:
    proposal = propose_degree(cc_weights, dict.fromkeys(cc_weights, level), [level] * result_count)
    if proposal.degree is not None:
        assert proposal.degree.value == level.value


@given(weights, positioning_maps, result_lists, st.data())
def test_a_better_result_never_lowers_the_proposal(
    cc_weights: dict[str, int],
    positionings: dict[str, Level],
    results: list[Level | Absence],
    data: st.DataObject,
) -> None:
    counted = [i for i, r in enumerate(results) if r in (L1, L2, L3)]
    if not counted:
        return
    index = data.draw(st.sampled_from(counted))
    better = list(results)
    better[index] = Level(str(int(results[index]) + 1))
    before = propose_degree(cc_weights, positionings, results)
    after = propose_degree(cc_weights, positionings, better)
    assert after.value is not None and before.value is not None
    assert after.value >= before.value
    assert int(after.degree) >= int(before.degree)  # type: ignore[arg-type]


@given(weights, positioning_maps, result_lists, st.randoms())
def test_the_order_of_the_results_does_not_matter(
    cc_weights: dict[str, int],
    positionings: dict[str, Level],
    results: list[Level | Absence],
    random: st.SearchStrategy[object],
) -> None:
    shuffled = list(results)
    random.shuffle(shuffled)  # type: ignore[attr-defined]
    assert propose_degree(cc_weights, positionings, shuffled) == propose_degree(
        cc_weights, positionings, results
    )


def test_negative_weight_refused() -> None:
    with pytest.raises(ValidationError, match="Poids invalide"):
        propose_degree({"CC2.1": -1}, {}, [])


# -- periods ---------------------------------------------------------------------------


def test_trimesters_of_a_school_year() -> None:
    periods = school_periods(D(2026, 9, 1), D(2027, 7, 3), Periodicity.TRIMESTRE)
    assert [(p.label, p.start, p.end) for p in periods] == [
        ("1er trimestre", D(2026, 9, 1), D(2026, 11, 30)),
        ("2e trimestre", D(2026, 12, 1), D(2027, 2, 28)),
        ("3e trimestre", D(2027, 3, 1), D(2027, 7, 3)),
    ]
    leap = school_periods(D(2027, 9, 1), D(2028, 7, 1), Periodicity.TRIMESTRE)
    assert leap[1].end == D(2028, 2, 29)


def test_semesters_of_a_school_year() -> None:
    periods = school_periods(D(2025, 9, 1), D(2026, 7, 4), Periodicity.SEMESTRE)
    assert [(p.label, p.start, p.end) for p in periods] == [
        ("1er semestre", D(2025, 9, 1), D(2026, 1, 31)),
        ("2e semestre", D(2026, 2, 1), D(2026, 7, 4)),
    ]


@given(
    st.dates(min_value=D(2000, 1, 1), max_value=D(2090, 1, 1)),
    st.integers(min_value=0, max_value=800),
    st.sampled_from(list(Periodicity)),
)
def test_periods_cover_the_year_without_gap_or_overlap(
    start: dt.date, length: int, periodicity: Periodicity
) -> None:
    end = start + dt.timedelta(days=length)
    periods = school_periods(start, end, periodicity)
    assert len(periods) == (3 if periodicity is Periodicity.TRIMESTRE else 2)
    assert periods[0].start == start and periods[-1].end == end
    for before, after in itertools.pairwise(periods):
        assert after.start == before.end + dt.timedelta(days=1)
    if length >= 3:
        assert all(p.start <= p.end for p in periods)


def test_period_means_and_a_period_without_a_mark() -> None:
    periods = school_periods(D(2025, 9, 1), D(2026, 7, 4), Periodicity.TRIMESTRE)
    means = period_means(
        [
            (D(2025, 12, 12), Decimal("12.0")),  # 2e trimestre
            (D(2026, 2, 27), Decimal("13.5")),  # 2e trimestre: (12 + 13.5) / 2 = 12.75 → 12.8
            (D(2026, 3, 20), Decimal("14.3")),  # 3e trimestre
            (D(2026, 8, 1), Decimal("20")),  # after the year: left out
        ],
        periods,
    )
    assert [(m.period.number, m.mean, m.mark_count) for m in means] == [
        (1, None, 0),
        (2, Decimal("12.8"), 2),
        (3, Decimal("14.3"), 1),
    ]


# -- PFMP and missing fields -----------------------------------------------------------


def test_company_evaluations_of_one_period_make_one_pfmp_and_fills_only_fill_gaps() -> None:
    start, end = D(2026, 9, 28), D(2026, 10, 16)
    sources = [
        PfmpSource(12, D(2026, 10, 15), "Société A", "M. Roux", start, end),
        PfmpSource(10, D(2026, 10, 2), "Ancien nom ", "Mme Brun", start, end),
        PfmpSource(11, D(2026, 10, 9), " ", None, start, end),
        PfmpSource(20, D(2027, 1, 20), "Société B", None, None, None),
    ]
    fills = {
        10: PfmpFill(company="Autre", tutor="Mme Lenoir"),  # both known already: ignored
        20: PfmpFill(tutor=" Mme Fabre ", start=D(2027, 1, 11)),
    }
    first, second = group_pfmps(sources, fills)
    assert (first.evaluation_id, first.evaluation_ids, first.company, first.tutor) == (
        10,
        (10, 11, 12),
        "Société A",
        "M. Roux",
    )
    assert first.filled == frozenset()
    assert (second.tutor, second.start, second.end, second.filled) == (
        "Mme Fabre",
        D(2027, 1, 11),
        None,
        frozenset({"tutor", "start"}),
    )
    assert second.missing == ("end",)


def test_missing_fields_are_listed_in_french() -> None:
    periods = school_periods(D(2026, 9, 1), D(2027, 7, 3), Periodicity.SEMESTRE)
    pfmps = group_pfmps([PfmpSource(5, D(2026, 10, 1), "Société A", None, None, None)], {})
    missing = missing_fields(
        specialty_code="PLP",
        competencies=[CompetencyChoice("CP01", Degree.MAITRISE), CompetencyChoice("CP02", None)],
        appreciation="  ",
        pfmps=pfmps,
        means=[PeriodMean(periods[0], Decimal("12.0"), 1), PeriodMean(periods[1], None, 0)],
    )
    assert missing == (
        "CP02 : degré de maîtrise non choisi",
        "Moyenne du 2e semestre : aucun bilan définitif noté dans la période",
        "PFMP 1 (Société A) : tuteur manquant",
        "PFMP 1 (Société A) : date de début manquante",
        "PFMP 1 (Société A) : date de fin manquante",
        "Appréciation non rédigée",
    )
    assert missing_fields(
        specialty_code="MSPC", competencies=[], appreciation="Bien", pfmps=[], means=[]
    ) == (
        "Aucune compétence de la spécialité MSPC dans le référentiel",
        "Aucune PFMP dans l'année (aucune évaluation E)",
    )
