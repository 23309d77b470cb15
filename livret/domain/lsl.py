"""The LSL Pro synthesis rules: degrees of mastery, their proposal, periods, PFMP, gaps.

The Livret Scolaire du Lycée professionnel (LSL Pro) records, for each learner of a
1re or Terminale Bac Pro class and each school year, the degree of mastery of every
competency of the specialty, the mean mark of each trimester or semester, the PFMP
(periods in a company) and an appréciation. This module holds the rules; the service
(livret.services.lsl) reads the evidence and stores the teacher's choices.

**Degrees.** The LSL's four degrees are the four counted levels of the référentiel's
scale (pmia.json calls them « the four degrees of the LSL Pro »), one to one:

=====  ==========================  ========================
level  shown                       LSL degree
=====  ==========================  ========================
NE     NE                          none (nothing to record)
1      ``--``                      Non maîtrisé
2      ``-``                       Insuffisamment maîtrisé
3      ``+``                       Maîtrisé
4      ``++``                      Bien maîtrisé
=====  ==========================  ========================

**Proposal** (`propose_degree`), for one competency of the specialty (e.g. [PLP] CP03)
over one school year:

* *P*, from the final bilans: each criterion of the competency maps to one common
  competency (CC). For each such CC, take the learner's latest positioning 1–4 among
  the final bilans of the year (`latest_positionings`); P is their mean weighted by the
  number of the competency's criteria mapped to that CC. A CC positioned NE, or never,
  is left out.
* *R*, from the year's results: the mean of the learner's results 1–4 on the
  competency's criteria in evaluations dated in the year (NE and ABS left out).
* The proposal is (2·P + R) / 3 when both exist — the teacher's positioning weighs twice
  the raw results —, P or R alone when only one exists, rounded to the nearest degree
  (halves up: 2.5 → 3). Without either there is no proposal.

The proposal is never applied by itself: the teacher chooses the degree, the proposal
stays shown beside it.

**Periods** (`school_periods`): a class's year is cut into three trimesters (to
30 November, to the last day of February, to the end of the year) or two semesters
(to 31 January, to the end of the year). When a school year's dates do not straddle
those calendar limits, its span is cut into equal parts instead. **Mean mark** of a
period (`period_means`): the mean of the marks (out of 20) of the learner's final
bilans dated in the period, rounded to 0.1 (halves up). A period without a marked final
bilan has no mean (shown « — »), and it is listed among the missing fields.

**Missing fields** (`missing_fields`): the establishment's UAI, a competency without a
chosen degree, no appréciation, no PFMP in the year, a PFMP without company, tutor or
dates, a period without a mean mark.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from livret.domain.errors import ValidationError
from livret.domain.levels import Level, ResultLevel, value_of
from livret.domain.marks import round_half_up

# -- degrees -------------------------------------------------------------------------


class Degree(StrEnum):
    """A degree of mastery of the LSL Pro, stored by the code of its level (1–4)."""

    NON_MAITRISE = "1"
    INSUFFISAMMENT_MAITRISE = "2"
    MAITRISE = "3"
    BIEN_MAITRISE = "4"


DEGREE_LABELS: Mapping[Degree, str] = {
    Degree.NON_MAITRISE: "Non maîtrisé",
    Degree.INSUFFISAMMENT_MAITRISE: "Insuffisamment maîtrisé",
    Degree.MAITRISE: "Maîtrisé",
    Degree.BIEN_MAITRISE: "Bien maîtrisé",
}
DEGREES: tuple[Degree, ...] = tuple(Degree)


def degree_of_level(level: Level | str) -> Degree | None:
    """The LSL degree of a level of the scale: 1–4 one to one, NE none."""
    code = str(level)
    if code == Level.NE.value:
        return None
    try:
        return Degree(code)
    except ValueError:
        raise ValidationError(f"Niveau inconnu : « {level} ».") from None


def parse_degree(text: str) -> Degree:
    """A degree from its code (1–4) or its label, any case (« Maîtrisé »)."""
    cleaned = str(text).strip()
    for degree in DEGREES:
        if cleaned == degree.value or cleaned.casefold() == DEGREE_LABELS[degree].casefold():
            return degree
    raise ValidationError(
        f"Degré de maîtrise inconnu : « {text} » (attendu : 1 Non maîtrisé, "
        "2 Insuffisamment maîtrisé, 3 Maîtrisé ou 4 Bien maîtrisé)."
    )


# -- grades --------------------------------------------------------------------------

_LSL_GRADES = frozenset({"1re", "1ère", "premiere", "première", "tle", "terminale"})


def is_lsl_grade(grade: str | None) -> bool:
    """True for a 1re or Terminale class: the years the LSL Pro records."""
    return grade is not None and grade.strip().casefold() in _LSL_GRADES


# -- proposal ------------------------------------------------------------------------

POSITIONING_WEIGHT = Fraction(2, 3)
"""Share of the bilans' positionings (P) in a proposal that also has results (R)."""


@dataclass(frozen=True, slots=True)
class BilanLevels:
    """The positionings of one final bilan, by CC code."""

    bilan_id: int
    bilan_date: dt.date
    levels: Mapping[str, Level]


def latest_positionings(bilans: Iterable[BilanLevels]) -> dict[str, Level]:
    """Per CC, the level 1–4 of the latest final bilan (by date, then id) that gives one."""
    latest: dict[str, tuple[dt.date, int, Level]] = {}
    for bilan in bilans:
        for code, raw in bilan.levels.items():
            level = Level(str(raw))
            if level is Level.NE:
                continue
            key = (bilan.bilan_date, bilan.bilan_id)
            held = latest.get(code)
            if held is None or key > held[:2]:
                latest[code] = (*key, level)
    return {code: held[2] for code, held in latest.items()}


@dataclass(frozen=True, slots=True)
class DegreeProposal:
    """The degree proposed for one competency, and what it was computed from."""

    degree: Degree | None
    """None when neither a positioning nor a result counts."""
    value: Fraction | None
    """The exact combined value (1 … 4) before rounding."""
    from_positionings: Fraction | None
    """P: the weighted mean of the latest positionings on the linked CCs."""
    from_results: Fraction | None
    """R: the mean of the year's results 1–4 on the competency's criteria."""
    positioned_ccs: int
    result_count: int

    @property
    def explanation(self) -> str:
        """French, for the tooltip: « Bilans 3,00 (2 CC) ; résultats 2,50 (8) → 3 Maîtrisé »."""
        if self.degree is None:
            return "Aucune proposition : ni positionnement ni résultat dans l'année."
        parts = []
        if self.from_positionings is not None:
            parts.append(f"bilans {_french(self.from_positionings)} ({self.positioned_ccs} CC)")
        if self.from_results is not None:
            parts.append(f"résultats {_french(self.from_results)} ({self.result_count})")
        text = " ; ".join(parts)
        return f"{text[0].upper()}{text[1:]} → {self.degree.value} {DEGREE_LABELS[self.degree]}"


def propose_degree(
    cc_weights: Mapping[str, int],
    positionings: Mapping[str, Level],
    results: Iterable[ResultLevel | str],
) -> DegreeProposal:
    """The degree proposed for one competency (see the module docstring).

    `cc_weights`: per CC code, how many of the competency's criteria map to it;
    `positionings`: the latest positioning per CC (`latest_positionings`), CCs not in
    `cc_weights` ignored; `results`: the year's results on the competency's criteria.
    """
    weighted = Fraction(0)
    total_weight = 0
    positioned = 0
    for code, weight in cc_weights.items():
        if isinstance(weight, bool) or not isinstance(weight, int) or weight < 0:
            raise ValidationError(f"Poids invalide pour {code} : « {weight!r} ».")
        level = positionings.get(code)
        points = value_of(level) if level is not None else None
        if points is None or weight == 0:
            continue
        weighted += weight * points
        total_weight += weight
        positioned += 1
    p = weighted / total_weight if total_weight else None

    counted = [v for v in (value_of(str(r)) for r in results) if v is not None]
    r = Fraction(sum(counted), len(counted)) if counted else None

    value: Fraction | None
    if p is not None and r is not None:
        value = POSITIONING_WEIGHT * p + (1 - POSITIONING_WEIGHT) * r
    else:
        value = p if p is not None else r
    degree = None
    if value is not None:
        degree = Degree(str(min(4, max(1, math.floor(value + Fraction(1, 2))))))
    return DegreeProposal(degree, value, p, r, positioned, len(counted))


# -- periods and their mean marks ----------------------------------------------------


class Periodicity(StrEnum):
    """How a class's school year is cut for the periodic mean marks."""

    TRIMESTRE = "trimestre"
    SEMESTRE = "semestre"


PERIODICITY_LABELS: Mapping[Periodicity, str] = {
    Periodicity.TRIMESTRE: "Trimestres",
    Periodicity.SEMESTRE: "Semestres",
}
DEFAULT_PERIODICITY = Periodicity.TRIMESTRE
"""Until the Administrateur chooses for the class."""

MEAN_STEP = Decimal("0.1")


def parse_periodicity(text: str) -> Periodicity:
    cleaned = str(text).strip().casefold()
    for periodicity in Periodicity:
        if cleaned in (periodicity.value, PERIODICITY_LABELS[periodicity].casefold()):
            return periodicity
    raise ValidationError(
        f"Périodicité inconnue : « {text} » (choisir « trimestre » ou « semestre »)."
    )


@dataclass(frozen=True, slots=True)
class SchoolPeriod:
    """One trimester or semester of a school year (both ends included)."""

    number: int
    """1-based."""
    periodicity: Periodicity
    start: dt.date
    end: dt.date

    @property
    def label(self) -> str:
        """« 1er trimestre », « 2e semestre »."""
        rank = "1er" if self.number == 1 else f"{self.number}e"
        return f"{rank} {self.periodicity.value}"

    def holds(self, day: dt.date) -> bool:
        return self.start <= day <= self.end


def school_periods(
    year_start: dt.date, year_end: dt.date, periodicity: Periodicity
) -> tuple[SchoolPeriod, ...]:
    """The trimesters or semesters of a school year (see the module docstring)."""
    if year_end < year_start:
        raise ValidationError("Année scolaire invalide : elle finit avant de commencer.")
    periodicity = Periodicity(periodicity)
    first_year = year_start.year if year_start.month >= 8 else year_start.year - 1
    if periodicity is Periodicity.TRIMESTRE:
        march = dt.date(first_year + 1, 3, 1)
        limits = [dt.date(first_year, 11, 30), march - dt.timedelta(days=1)]
    else:
        limits = [dt.date(first_year + 1, 1, 31)]
    if not all(year_start <= limit < year_end for limit in limits):
        parts = len(limits) + 1
        span = (year_end - year_start).days + 1
        limits = [year_start + dt.timedelta(days=span * k // parts - 1) for k in range(1, parts)]
    starts = [year_start, *(limit + dt.timedelta(days=1) for limit in limits)]
    ends = [*limits, year_end]
    return tuple(
        SchoolPeriod(number, periodicity, start, end)
        for number, (start, end) in enumerate(zip(starts, ends, strict=True), start=1)
    )


@dataclass(frozen=True, slots=True)
class PeriodMean:
    """A period and the mean of the marks of the final bilans dated in it."""

    period: SchoolPeriod
    mean: Decimal | None
    """Out of 20, rounded to 0.1; None when no final bilan of the period has a mark."""
    mark_count: int


def period_means(
    marks: Iterable[tuple[dt.date, Decimal]], periods: Sequence[SchoolPeriod]
) -> tuple[PeriodMean, ...]:
    """Each period's mean of the (date of the bilan, mark) pairs dated in it."""
    held: list[list[Fraction]] = [[] for _ in periods]
    for day, mark in marks:
        for index, period in enumerate(periods):
            if period.holds(day):
                held[index].append(Fraction(mark))
                break
    return tuple(
        PeriodMean(
            period,
            round_half_up(sum(values, Fraction(0)) / len(values), MEAN_STEP) if values else None,
            len(values),
        )
        for period, values in zip(periods, held, strict=True)
    )


# -- PFMP ----------------------------------------------------------------------------

PFMP_FIELDS: tuple[str, ...] = ("company", "tutor", "start", "end")
PFMP_FIELD_LABELS: Mapping[str, str] = {
    "company": "entreprise",
    "tutor": "tuteur",
    "start": "date de début",
    "end": "date de fin",
}
_PFMP_MISSING: Mapping[str, str] = {
    "company": "entreprise manquante",
    "tutor": "tuteur manquant",
    "start": "date de début manquante",
    "end": "date de fin manquante",
}


@dataclass(frozen=True, slots=True)
class PfmpSource:
    """What one company evaluation (nature E) says of its PFMP."""

    evaluation_id: int
    eval_date: dt.date
    company: str | None
    tutor: str | None
    start: dt.date | None
    end: dt.date | None


@dataclass(frozen=True, slots=True)
class PfmpFill:
    """The teacher's values for the fields the company evaluations left empty."""

    company: str | None = None
    tutor: str | None = None
    start: dt.date | None = None
    end: dt.date | None = None


@dataclass(frozen=True, slots=True)
class Pfmp:
    """One PFMP of the learner's year, from one or more company evaluations."""

    evaluation_id: int
    """The PFMP's key: the first of its company evaluations."""
    evaluation_ids: tuple[int, ...]
    company: str | None
    tutor: str | None
    start: dt.date | None
    end: dt.date | None
    filled: frozenset[str] = field(default_factory=frozenset)
    """The fields (PFMP_FIELDS) that come from the teacher's fill, not an evaluation."""

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(name for name in PFMP_FIELDS if getattr(self, name) is None)


def _blank(text: str | None) -> str | None:
    return text.strip() or None if text is not None else None


def group_pfmps(sources: Iterable[PfmpSource], fills: Mapping[int, PfmpFill]) -> tuple[Pfmp, ...]:
    """The PFMP of a learner's year, oldest first.

    Company evaluations with the same PFMP dates are one PFMP (a learner is in one
    company at a time: a mid-period and an end-of-period review); an evaluation without
    both dates is a PFMP of its own. The company and the tutor are the latest
    evaluation's that names them. A field the evaluations leave empty takes the
    teacher's fill for that PFMP, keyed by its first evaluation's id.
    """
    groups: dict[object, list[PfmpSource]] = {}
    for source in sorted(sources, key=lambda s: (s.eval_date, s.evaluation_id)):
        if source.start is not None and source.end is not None:
            key: object = (source.start, source.end)
        else:
            key = source.evaluation_id
        groups.setdefault(key, []).append(source)
    pfmps = []
    for members in groups.values():
        first = members[0]
        derived = Pfmp(
            first.evaluation_id,
            tuple(m.evaluation_id for m in members),
            next((c for c in (_blank(m.company) for m in reversed(members)) if c), None),
            next((t for t in (_blank(m.tutor) for m in reversed(members)) if t), None),
            next((m.start for m in members if m.start is not None), None),
            next((m.end for m in members if m.end is not None), None),
        )
        fill = fills.get(first.evaluation_id)
        pfmps.append(derived if fill is None else _filled(derived, fill))
    pfmps.sort(key=lambda p: (p.start or dt.date.max, p.evaluation_id))
    return tuple(pfmps)


def _filled(pfmp: Pfmp, fill: PfmpFill) -> Pfmp:
    """The PFMP with the teacher's values in the fields its evaluations left empty."""
    company = pfmp.company or _blank(fill.company)
    tutor = pfmp.tutor or _blank(fill.tutor)
    start = pfmp.start or fill.start
    end = pfmp.end or fill.end
    filled = frozenset(
        name
        for name, before, after in (
            ("company", pfmp.company, company),
            ("tutor", pfmp.tutor, tutor),
            ("start", pfmp.start, start),
            ("end", pfmp.end, end),
        )
        if before is None and after is not None
    )
    return replace(pfmp, company=company, tutor=tutor, start=start, end=end, filled=filled)


# -- missing fields ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CompetencyChoice:
    code: str
    chosen: Degree | None


def missing_fields(
    *,
    uai_known: bool = True,
    specialty_code: str | None,
    competencies: Sequence[CompetencyChoice],
    appreciation: str,
    pfmps: Sequence[Pfmp],
    means: Sequence[PeriodMean],
) -> tuple[str, ...]:
    """The mandatory fields of one learner's synthesis still empty, in French, in order."""
    missing: list[str] = []
    if not uai_known:
        missing.append("UAI de l'établissement non renseigné (menu Établissement)")
    if specialty_code is None:
        missing.append("Spécialité de la classe non renseignée : aucune compétence attendue")
    elif not competencies:
        missing.append(f"Aucune compétence de la spécialité {specialty_code} dans le référentiel")
    missing.extend(
        f"{c.code} : degré de maîtrise non choisi" for c in competencies if c.chosen is None
    )
    missing.extend(
        f"Moyenne du {m.period.label} : aucun bilan définitif noté dans la période"
        for m in means
        if m.mean is None
    )
    if not pfmps:
        missing.append("Aucune PFMP dans l'année (aucune évaluation E)")
    for number, pfmp in enumerate(pfmps, start=1):
        missing.extend(
            f"PFMP {number} ({pfmp_label(pfmp)}) : {_PFMP_MISSING[name]}" for name in pfmp.missing
        )
        if pfmp.start is not None and pfmp.end is not None and pfmp.end < pfmp.start:
            missing.append(f"PFMP {number} ({pfmp_label(pfmp)}) : la fin précède le début")
    if not appreciation.strip():
        missing.append("Appréciation non rédigée")
    return tuple(missing)


def pfmp_label(pfmp: Pfmp) -> str:
    """« Société X, du 28/09/2026 au 16/10/2026 », with what is known."""
    parts = [pfmp.company or "entreprise inconnue"]
    if pfmp.start is not None and pfmp.end is not None:
        parts.append(f"du {pfmp.start:%d/%m/%Y} au {pfmp.end:%d/%m/%Y}")
    elif pfmp.start is not None:
        parts.append(f"à partir du {pfmp.start:%d/%m/%Y}")
    return ", ".join(parts)


def _french(value: Fraction) -> str:
    return f"{float(value):.2f}".replace(".", ",")
