"""Fill a new database with plausible, deterministic demonstration data.

Two school years (2025-2026 and 2026-2027), three cohorts of learners, PLP
evaluations (school F and company E) up to the demo's "today" (2026-11-27),
final bilans and a few drafts. Everything is drawn from one `random.Random(seed)`
and anchored on fixed dates, so one seed always gives the same rows (ids included,
on a new database). Rows are written in one transaction with bulk Core inserts
(COPY for the big batches on PostgreSQL), ids assigned here.
"""

from __future__ import annotations

import datetime as dt
import math
import time
import unicodedata
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from random import Random
from typing import Any

from sqlalchemy import Table, bindparam, func, select, text, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from livret.domain.errors import ValidationError
from livret.services import demo_names as names
from livret.services.database import Database
from livret.storage import audit_chain, models
from livret.storage.bulk import bulk_insert

MAX_LEARNERS = 20_000
MAX_EVALUATIONS = 200_000
CLASS_SIZE = 30
CHUNK = 50_000
SQLITE_CACHE_KIB = 262_144  # a larger page cache while inserting: the result indexes fit

TODAY = dt.date(2026, 11, 27)  # the demo's "today": no evaluation after it
YEAR_1 = 0
YEAR_2 = 1
SCHOOL_YEARS = (
    ("2025-2026", dt.date(2025, 9, 1), dt.date(2026, 7, 4)),
    ("2026-2027", dt.date(2026, 9, 1), dt.date(2027, 7, 3)),
)
# Zone B (académie de Rennes) holidays, roughly: (first day off, first day back).
HOLIDAYS = (
    (dt.date(2025, 10, 18), dt.date(2025, 11, 3)),
    (dt.date(2025, 12, 20), dt.date(2026, 1, 5)),
    (dt.date(2026, 2, 14), dt.date(2026, 3, 2)),
    (dt.date(2026, 4, 11), dt.date(2026, 4, 27)),
    (dt.date(2026, 7, 4), dt.date(2026, 9, 1)),
    (dt.date(2026, 10, 17), dt.date(2026, 11, 2)),
    (dt.date(2026, 12, 19), dt.date(2027, 1, 4)),
    (dt.date(2027, 2, 20), dt.date(2027, 3, 8)),
    (dt.date(2027, 4, 17), dt.date(2027, 5, 3)),
)
PUBLIC_HOLIDAYS = frozenset(
    {
        dt.date(2025, 11, 11),
        dt.date(2026, 5, 1),
        dt.date(2026, 5, 8),
        dt.date(2026, 5, 14),
        dt.date(2026, 5, 15),  # pont de l'Ascension
        dt.date(2026, 5, 25),
        dt.date(2026, 11, 11),
        dt.date(2027, 3, 29),
        dt.date(2027, 5, 6),
        dt.date(2027, 5, 7),
        dt.date(2027, 5, 17),
    }
)

COHORT_A = 0  # 2nde PMIA in 2025-2026, then 1re PLP
COHORT_B = 1  # 1re PLP in 2025-2026, then Tle PLP
COHORT_C = 2  # 2nde PMIA in 2026-2027 only
# Grade of each cohort per school year (None: not in the establishment that year).
COHORT_GRADES: tuple[tuple[str | None, str | None], ...] = (
    ("2nde", "1re"),
    ("1re", "Tle"),
    (None, "2nde"),
)
# The learner's first school day in the demo: the clock of their progress.
COHORT_START = (dt.date(2025, 9, 1), dt.date(2025, 9, 1), dt.date(2026, 9, 1))
# Birth year of a learner who never repeated a year.
COHORT_BIRTH_YEAR = (2010, 2009, 2011)
GRADE_CODES = {
    "2nde": ("2PMIA", "2nde PMIA"),
    "1re": ("1PLP", "1re PLP"),
    "Tle": ("TPLP", "Tle PLP"),
}

# PFMP (periods in a company) per (school year, grade): company evaluations fall in them.
PFMP_PERIODS: dict[tuple[int, str], tuple[tuple[dt.date, dt.date], ...]] = {
    (YEAR_1, "2nde"): (
        (dt.date(2026, 1, 19), dt.date(2026, 2, 6)),
        (dt.date(2026, 5, 26), dt.date(2026, 6, 12)),
    ),
    (YEAR_1, "1re"): (
        (dt.date(2025, 11, 17), dt.date(2025, 12, 5)),
        (dt.date(2026, 5, 4), dt.date(2026, 5, 29)),
    ),
    (YEAR_2, "2nde"): (
        (dt.date(2026, 11, 9), dt.date(2026, 11, 27)),
        (dt.date(2027, 5, 18), dt.date(2027, 6, 4)),
    ),
    (YEAR_2, "1re"): (
        (dt.date(2026, 11, 16), dt.date(2026, 12, 4)),
        (dt.date(2027, 3, 15), dt.date(2027, 4, 2)),
    ),
    (YEAR_2, "Tle"): (
        (dt.date(2026, 9, 28), dt.date(2026, 10, 16)),
        (dt.date(2027, 1, 11), dt.date(2027, 2, 5)),
    ),
}

FIRST_BILAN = dt.date(2025, 12, 12)  # cohorts A and B
SECOND_BILAN = dt.date(2026, 3, 20)  # cohorts A and B
COHORT_C_BILAN = dt.date(2026, 11, 13)
DRAFT_BILAN = TODAY

LEAVER_SHARE = 0.02
OLDER_SHARE = 0.15  # learners one year older than their grade (a repeated year)
E_SHARE = 0.15
ABSENT_SHARE = 0.03  # per learner and evaluation: all its criteria are ABS
NE_SHARE = 0.01
COMMENT_SHARE = 0.10
# Criteria per evaluation, 6 to 12, weighted so that an establishment (classes of ~27)
# gets about 250 results per evaluation.
CRITERIA_PER_EVALUATION = (6, 7, 8, 9, 9, 10, 10, 11, 11, 12, 12)
DRIFT = 1.6  # latent gain over two school years
NOISE = 0.8
THRESHOLDS = (-1.8, -0.3, 1.4)  # latent → 1 | 2 | 3 | 4
POSITIONING_JITTER = 0.2


@dataclass(frozen=True, slots=True)
class DemoReport:
    learners: int
    classes: int
    evaluations: int
    results: int
    final_bilans: int
    draft_bilans: int
    seconds: float


@dataclass(slots=True)
class _Class:
    id: int
    year: int
    code: str
    label: str
    grade: str
    specialty_id: int | None
    teacher_id: int
    members: list[_Learner] = field(default_factory=list)


@dataclass(slots=True)
class _Learner:
    cohort: int
    family_name: str
    first_name: str
    ine: str
    birth_date: dt.date
    ability: float
    left_on: dt.date | None
    id: int = 0
    classes: dict[int, _Class] = field(default_factory=dict)  # school year → class
    finals: list[dt.date] = field(default_factory=list)
    draft: bool = False
    # Per period (one per final bilan, then the open one): per CC sum and count of levels.
    sums: list[list[int]] = field(default_factory=list)
    counts: list[list[int]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Competency:
    code: str
    title: str
    criteria: tuple[int, ...]  # indexes into _Referentiel.criteria


@dataclass(frozen=True, slots=True)
class _Referentiel:
    specialty_id: int
    cc_ids: tuple[int, ...]  # référentiel order
    criteria: tuple[int, ...]  # criterion ids
    criterion_cc: tuple[int, ...]  # index into cc_ids, per criterion
    competencies: tuple[_Competency, ...]


@dataclass(slots=True)
class _Evaluation:
    klass: _Class
    date: dt.date
    nature: str
    pfmp: tuple[dt.date, dt.date] | None
    order: int
    id: int = 0


def create_demo(
    database: Database, *, learners: int = 90, evaluations: int = 450, seed: int = 1
) -> DemoReport:
    """Create the demonstration data in an empty livret (no learner yet); one transaction."""
    if isinstance(learners, bool) or not isinstance(learners, int) or learners < 1:
        raise ValidationError("Le nombre d'apprenants de la démonstration doit être au moins 1.")
    if learners > MAX_LEARNERS:
        raise ValidationError(
            f"Au plus {MAX_LEARNERS} apprenants pour la démonstration (demandé : {learners})."
        )
    if isinstance(evaluations, bool) or not isinstance(evaluations, int) or evaluations < 1:
        raise ValidationError("Le nombre d'évaluations de la démonstration doit être au moins 1.")
    if evaluations > MAX_EVALUATIONS:
        raise ValidationError(
            f"Au plus {MAX_EVALUATIONS} évaluations pour la démonstration "
            f"(demandé : {evaluations})."
        )
    started = time.perf_counter()
    with database.transaction() as session:
        if session.scalar(select(func.count()).select_from(models.Learner)):
            raise ValidationError(
                "La base contient déjà des apprenants : les données de démonstration "
                "ne peuvent être créées que dans une base neuve."
            )
        builder = _Builder(session, Random(seed), _load_referentiel(session))
        with _large_sqlite_cache(session):
            report = builder.run(learners, evaluations)
    analyze(database)
    return DemoReport(**report, seconds=time.perf_counter() - started)


def analyze(database: Database) -> None:
    """PostgreSQL: refresh the planner's statistics and the visibility map after a bulk
    load (VACUUM ANALYZE, outside a transaction).

    Autovacuum would get there eventually (never, on a server where it is off); until
    then the planner believes the new tables are empty and picks plans (sequential
    scans, nested loops over all rows) that make the dashboard grow with the database,
    and index-only scans (the class overview's counts) visit the table's page of every
    row they read.
    """
    if database.engine.dialect.name != "postgresql":
        return
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE")


@contextmanager
def _large_sqlite_cache(session: Session) -> Iterator[None]:
    """Raise SQLite's page cache of this connection for the bulk inserts, then restore it."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    previous = int(connection.exec_driver_sql("PRAGMA cache_size").scalar_one())
    connection.exec_driver_sql(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
    try:
        yield
    finally:
        with suppress(SQLAlchemyError):
            connection.exec_driver_sql(f"PRAGMA cache_size={previous}")


def _table(name: str) -> Table:
    return models.Base.metadata.tables[name]


def _load_referentiel(session: Session) -> _Referentiel:
    specialty_id = session.scalar(
        select(models.Specialty.id)
        .where(models.Specialty.code == "PLP")
        .order_by(models.Specialty.id)
    )
    if specialty_id is None:
        raise ValidationError(
            "La démonstration a besoin du référentiel PMIA (spécialité PLP), absent de la base."
        )
    referentiel_id = session.scalar(
        select(models.Specialty.referentiel_id).where(models.Specialty.id == specialty_id)
    )
    cc_ids = tuple(
        session.scalars(
            select(models.CommonCompetency.id)
            .where(models.CommonCompetency.referentiel_id == referentiel_id)
            .order_by(models.CommonCompetency.position, models.CommonCompetency.id)
        )
    )
    rows = session.execute(
        select(
            models.Criterion.id,
            models.Criterion.common_competency_id,
            models.Competency.code,
            models.Competency.title,
        )
        .join(models.Competency, models.Criterion.competency_id == models.Competency.id)
        .where(models.Competency.specialty_id == specialty_id)
        .order_by(models.Competency.position, models.Criterion.position, models.Criterion.id)
    ).all()
    if not rows or not cc_ids:
        raise ValidationError("La spécialité PLP du référentiel ne contient aucun critère.")
    cc_index = {cc_id: index for index, cc_id in enumerate(cc_ids)}
    grouped: dict[str, tuple[str, list[int]]] = {}
    for index, row in enumerate(rows):
        grouped.setdefault(row.code, (row.title, []))[1].append(index)
    return _Referentiel(
        specialty_id=specialty_id,
        cc_ids=cc_ids,
        criteria=tuple(row.id for row in rows),
        criterion_cc=tuple(cc_index[row.common_competency_id] for row in rows),
        competencies=tuple(
            _Competency(code, title, tuple(indexes)) for code, (title, indexes) in grouped.items()
        ),
    )


def _school_days(start: dt.date, end: dt.date) -> list[dt.date]:
    """Weekdays from start to end inclusive, outside school and public holidays."""
    days = []
    day = start
    while day <= end:
        if (
            day.weekday() < 5
            and day not in PUBLIC_HOLIDAYS
            and not any(first <= day < back for first, back in HOLIDAYS)
        ):
            days.append(day)
        day += dt.timedelta(days=1)
    return days


def _sort_key(value: str) -> str:
    decomposed = unicodedata.normalize("NFKD", value.replace("Œ", "OE").replace("œ", "oe"))
    return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()


def _split(total: int, parts: int) -> list[int]:
    return [total // parts + (1 if index < total % parts else 0) for index in range(parts)]


def _apportion(total: int, weights: Sequence[int]) -> list[int]:
    """Largest-remainder split of total proportionally to weights (ties: first wins)."""
    weight_sum = sum(weights)
    if weight_sum == 0:
        return [0] * len(weights)
    exact = [total * weight / weight_sum for weight in weights]
    shares = [math.floor(value) for value in exact]
    order = sorted(range(len(weights)), key=lambda i: (-(exact[i] - shares[i]), i))
    for index in order[: total - sum(shares)]:
        shares[index] += 1
    return shares


class _Builder:
    def __init__(self, session: Session, rng: Random, referentiel: _Referentiel) -> None:
        self.session = session
        self.rng = rng
        self.ref = referentiel
        self.days = [_school_days(start, end) for _label, start, end in SCHOOL_YEARS]
        self.days_to_today = [[day for day in days if day <= TODAY] for days in self.days]
        self.by_code = {competency.code: competency for competency in referentiel.competencies}

    # ---- helpers -------------------------------------------------------------------------

    def _next_id(self, name: str) -> int:
        table = _table(name)
        return int(self.session.scalar(select(func.max(table.c.id))) or 0) + 1

    def _insert(self, name: str, rows: list[dict[str, Any]]) -> None:
        bulk_insert(self.session, _table(name), rows, chunk=CHUNK)

    # ---- the whole demo -----------------------------------------------------------------

    def run(self, learner_count: int, evaluation_count: int) -> dict[str, int]:
        staff = self._users()
        teachers = staff[:3]
        year_ids = self._school_years()
        learners = self._learners(learner_count)
        classes = self._classes(learners, year_ids, teachers)
        self._plan_bilans(learners)
        evaluations = self._plan_evaluations(classes, evaluation_count)
        results = self._evaluations_and_results(evaluations, teachers)
        finals, drafts = self._bilans(learners)
        self._sync_sequences()
        return {
            "learners": len(learners),
            "classes": len(classes),
            "evaluations": len(evaluations),
            "results": results,
            "final_bilans": finals,
            "draft_bilans": drafts,
        }

    def _users(self) -> list[int]:
        user = _table("app_user")
        taken = set(self.session.scalars(select(user.c.login)))
        next_id = self._next_id("app_user")
        rows: list[dict[str, Any]] = []
        for login, display_name, role in names.STAFF:
            unique, suffix = login, 2
            while unique in taken:
                unique, suffix = f"{login}{suffix}", suffix + 1
            taken.add(unique)
            rows.append(
                {
                    "id": next_id + len(rows),
                    "login": unique,
                    "display_name": display_name,
                    "role": role,
                    "active": True,
                }
            )
        self._insert("app_user", rows)
        return [next_id + offset for offset in range(len(rows))]

    def _school_years(self) -> list[int]:
        table = _table("school_year")
        existing: dict[str, int] = {
            label: year_id
            for label, year_id in self.session.execute(select(table.c.label, table.c.id))
        }
        next_id = self._next_id("school_year")
        ids: list[int] = []
        rows: list[dict[str, Any]] = []
        for label, start, end in SCHOOL_YEARS:
            if label in existing:
                ids.append(existing[label])
                continue
            ids.append(next_id + len(rows))
            rows.append({"id": ids[-1], "label": label, "start_date": start, "end_date": end})
        self._insert("school_year", rows)
        return ids

    def _learners(self, count: int) -> list[_Learner]:
        rng = self.rng
        sizes = _split(count, 3)
        used_names: set[tuple[str, str]] = set()
        used_ines: set[str] = set()
        learners: list[_Learner] = []
        for cohort, size in enumerate(sizes):
            first_day = SCHOOL_YEARS[YEAR_2 if cohort == COHORT_C else YEAR_1][1]
            leave_days = [
                day
                for days in self.days_to_today
                for day in days
                if first_day + dt.timedelta(days=21) <= day < TODAY
            ]
            for _ in range(size):
                for _attempt in range(20):
                    pair = (rng.choice(names.FAMILY_NAMES), rng.choice(names.FIRST_NAMES))
                    if pair not in used_names:
                        break
                used_names.add(pair)
                ine = self._ine(used_ines)
                birth_year = COHORT_BIRTH_YEAR[cohort] - (1 if rng.random() < OLDER_SHARE else 0)
                birth = dt.date(birth_year, 1, 1) + dt.timedelta(days=rng.randrange(365))
                ability = rng.gauss(0.0, 1.0)
                left_on = rng.choice(leave_days) if rng.random() < LEAVER_SHARE else None
                learners.append(_Learner(cohort, pair[0], pair[1], ine, birth, ability, left_on))
        return learners

    def _ine(self, used: set[str]) -> str:
        while True:
            ine = f"{self.rng.randrange(10**10):010d}{chr(65 + self.rng.randrange(26))}"
            if ine not in used:
                used.add(ine)
                return ine

    def _classes(
        self, learners: list[_Learner], year_ids: list[int], teachers: list[int]
    ) -> list[_Class]:
        """Cut each cohort into classes of at most 30, kept together from one year to the next."""
        class_table = _table("school_class")
        existing: set[tuple[int, str]] = {
            (year_id, code)
            for year_id, code in self.session.execute(
                select(class_table.c.school_year_id, class_table.c.code).where(
                    class_table.c.school_year_id.in_(year_ids)
                )
            )
        }
        next_class_id = self._next_id("school_class")
        by_cohort: list[list[_Learner]] = [[], [], []]
        for learner in learners:
            by_cohort[learner.cohort].append(learner)
        groups: list[tuple[int, list[_Learner]]] = []  # (cohort, learners of one division)
        for cohort, members in enumerate(by_cohort):
            if not members:
                continue
            division_count = math.ceil(len(members) / CLASS_SIZE)
            position = 0
            for size in _split(len(members), division_count):
                group = members[position : position + size]
                position += size
                group.sort(key=lambda lr: (_sort_key(lr.family_name), _sort_key(lr.first_name)))
                groups.append((cohort, group))
        # Learner ids: by cohort, then division, then alphabetical order.
        ordered = [learner for _cohort, group in groups for learner in group]
        learners[:] = ordered
        next_learner_id = self._next_id("learner")
        for offset, learner in enumerate(learners):
            learner.id = next_learner_id + offset
        classes: list[_Class] = []
        for year in (YEAR_1, YEAR_2):
            numbers: dict[str, int] = {}
            for cohort, group in groups:
                grade = COHORT_GRADES[cohort][year]
                if grade is None:
                    continue
                year_start = SCHOOL_YEARS[year][1]
                members = [lr for lr in group if lr.left_on is None or lr.left_on >= year_start]
                if not members:
                    continue
                numbers[grade] = numbers.get(grade, 0) + 1
                code_prefix, label_prefix = GRADE_CODES[grade]
                code = f"{code_prefix}{numbers[grade]}"
                if (year_ids[year], code) in existing:
                    raise ValidationError(
                        f"La classe « {code} » existe déjà en {SCHOOL_YEARS[year][0]}."
                    )
                klass = _Class(
                    id=next_class_id + len(classes),
                    year=year,
                    code=code,
                    label=f"{label_prefix} {numbers[grade]}",
                    grade=grade,
                    specialty_id=None if grade == "2nde" else self.ref.specialty_id,
                    teacher_id=teachers[len(classes) % len(teachers)],
                    members=members,
                )
                classes.append(klass)
                for learner in members:
                    learner.classes[year] = klass
        self._insert(
            "school_class",
            [
                {
                    "id": klass.id,
                    "school_year_id": year_ids[klass.year],
                    "code": klass.code,
                    "label": klass.label,
                    "grade": klass.grade,
                    "specialty_id": klass.specialty_id,
                }
                for klass in classes
            ],
        )
        self._insert(
            "learner",
            [
                {
                    "id": learner.id,
                    "ine": learner.ine,
                    "family_name": learner.family_name,
                    "first_name": learner.first_name,
                    "birth_date": learner.birth_date,
                    "specialty_id": None if learner.cohort == COHORT_C else self.ref.specialty_id,
                    "left_on": learner.left_on,
                }
                for learner in learners
            ],
        )
        next_enrolment_id = self._next_id("enrolment")
        enrolments = [
            {"learner_id": learner.id, "school_year_id": year_ids[year], "class_id": klass.id}
            for learner in learners
            for year, klass in sorted(learner.classes.items())
        ]
        for offset, row in enumerate(enrolments):
            row["id"] = next_enrolment_id + offset
        self._insert("enrolment", enrolments)
        return classes

    def _plan_bilans(self, learners: list[_Learner]) -> None:
        """Which final bilans and drafts each learner gets (needed to split results by period)."""
        rng = self.rng
        second_given_first = 0.60 / 0.85
        for learner in learners:
            present_until = learner.left_on or dt.date.max
            if learner.cohort == COHORT_C:
                if rng.random() < 0.50 and present_until >= COHORT_C_BILAN:
                    learner.finals.append(COHORT_C_BILAN)
            elif rng.random() < 0.85 and present_until >= FIRST_BILAN:
                learner.finals.append(FIRST_BILAN)
                if rng.random() < second_given_first and present_until >= SECOND_BILAN:
                    learner.finals.append(SECOND_BILAN)
            learner.draft = rng.random() < 0.30 and learner.left_on is None
            periods = len(learner.finals) + 1
            cc_count = len(self.ref.cc_ids)
            learner.sums = [[0] * cc_count for _ in range(periods)]
            learner.counts = [[0] * cc_count for _ in range(periods)]

    def _plan_evaluations(self, classes: list[_Class], total: int) -> list[_Evaluation]:
        """Share the evaluations over the classes (learners × school days) and date them."""
        rng = self.rng
        weights = [len(k.members) * len(self.days_to_today[k.year]) for k in classes]
        planned: list[_Evaluation] = []
        for order, (klass, count) in enumerate(
            zip(classes, _apportion(total, weights), strict=True)
        ):
            periods = [
                (start, end)
                for start, end in PFMP_PERIODS.get((klass.year, klass.grade), ())
                if start <= TODAY
            ]
            pfmp_days = [
                (day, period)
                for period in periods
                for day in self.days_to_today[klass.year]
                if period[0] <= day <= period[1]
            ]
            in_pfmp = {day for day, _period in pfmp_days}
            school_days = [day for day in self.days_to_today[klass.year] if day not in in_pfmp]
            for _ in range(count):
                if pfmp_days and (rng.random() < E_SHARE or not school_days):
                    day, period = rng.choice(pfmp_days)
                    planned.append(_Evaluation(klass, day, "E", period, order))
                else:
                    planned.append(_Evaluation(klass, rng.choice(school_days), "F", None, order))
        planned.sort(key=lambda ev: (ev.date, ev.order))
        next_id = self._next_id("evaluation")
        for offset, evaluation in enumerate(planned):
            evaluation.id = next_id + offset
        return planned

    def _criteria_for(self, evaluation: _Evaluation) -> tuple[str, str, str | None, list[int]]:
        """Title, context, company and the criteria (indexes) one evaluation assesses."""
        rng = self.rng
        competencies = self.ref.competencies
        size = rng.choice(CRITERIA_PER_EVALUATION)
        if evaluation.nature == "E":
            pool = range(len(self.ref.criteria))
            chosen = rng.sample(pool, min(size, len(pool)))
            assert evaluation.pfmp is not None
            start, end = evaluation.pfmp
            company = rng.choice(names.COMPANIES)
            title = f"Bilan PFMP — {company.split(' (')[0]}"
            context = (
                f"Période de formation en milieu professionnel du {start:%d/%m/%Y} "
                f"au {end:%d/%m/%Y} : évaluation avec le tuteur."
            )
            return title, context, company, sorted(chosen)
        if rng.random() < 0.5:
            title, code = rng.choice(names.ACTIVITIES)
            main = self.by_code.get(code) or rng.choice(competencies)
        else:
            main = rng.choice(competencies)
            short = names.COMPETENCY_SHORT.get(main.code, main.title.lower())
            title = f"Contrôle {main.code} — {short}"
        chosen = rng.sample(main.criteria, min(size, len(main.criteria)))
        if len(chosen) < size:
            other = rng.choice([c for c in competencies if c is not main] or [main])
            extra = [index for index in other.criteria if index not in chosen]
            chosen += rng.sample(extra, min(size - len(chosen), len(extra)))
        context = f"{rng.choice(names.F_CONTEXTS)} — {main.code} : {main.title}"
        return title, context, None, sorted(chosen)

    def _evaluations_and_results(self, evaluations: list[_Evaluation], teachers: list[int]) -> int:
        rng = self.rng
        ref = self.ref
        criterion_ids = ref.criteria
        criterion_cc = ref.criterion_cc
        difficulty = [rng.gauss(0.0, 0.5) for _ in criterion_ids]
        low, middle, high = THRESHOLDS
        evaluation_rows: list[dict[str, Any]] = []
        results: list[dict[str, Any]] = []
        result_id = self._next_id("result")
        first_result_id = result_id
        for evaluation in evaluations:
            klass = evaluation.klass
            title, context, company, chosen = self._criteria_for(evaluation)
            author = klass.teacher_id if rng.random() < 0.7 else rng.choice(teachers)
            tutor = None
            pfmp_start = pfmp_end = None
            if evaluation.pfmp is not None:
                tutor = rng.choice(names.TUTORS)
                pfmp_start, pfmp_end = evaluation.pfmp
            evaluation_rows.append(
                {
                    "id": evaluation.id,
                    "nature": evaluation.nature,
                    "eval_date": evaluation.date,
                    "title": title,
                    "context": context,
                    "class_id": klass.id,
                    "author_id": author,
                    "company": company,
                    "tutor": tutor,
                    "pfmp_start": pfmp_start,
                    "pfmp_end": pfmp_end,
                    "created_at": dt.datetime.combine(evaluation.date, dt.time(17, 30)),
                }
            )
            day = evaluation.date
            for learner in klass.members:
                if learner.left_on is not None and learner.left_on < day:
                    continue
                period = bisect_left(learner.finals, day)
                sums = learner.sums[period]
                counts = learner.counts[period]
                if rng.random() < ABSENT_SHARE:
                    for index in chosen:
                        results.append(
                            {
                                "id": result_id,
                                "evaluation_id": evaluation.id,
                                "learner_id": learner.id,
                                "criterion_id": criterion_ids[index],
                                "level": "ABS",
                                "comment": None,
                            }
                        )
                        result_id += 1
                    continue
                base = learner.ability + DRIFT * (day - COHORT_START[learner.cohort]).days / 730
                for index in chosen:
                    draw = rng.random()
                    comment = None
                    if draw < NE_SHARE:
                        level = "NE"
                    else:
                        latent = base - difficulty[index] + rng.gauss(0.0, NOISE)
                        if latent < low:
                            value = 1
                        elif latent < middle:
                            value = 2
                        elif latent < high:
                            value = 3
                        else:
                            value = 4
                        level = str(value)
                        if draw < NE_SHARE + COMMENT_SHARE:
                            comment = rng.choice(
                                names.COMMENTS_GOOD if value >= 3 else names.COMMENTS_WEAK
                            )
                        cc = criterion_cc[index]
                        sums[cc] += value
                        counts[cc] += 1
                    results.append(
                        {
                            "id": result_id,
                            "evaluation_id": evaluation.id,
                            "learner_id": learner.id,
                            "criterion_id": criterion_ids[index],
                            "level": level,
                            "comment": comment,
                        }
                    )
                    result_id += 1
            if len(results) >= CHUNK:
                self._flush_results(evaluation_rows, results)
        self._flush_results(evaluation_rows, results)
        return result_id - first_result_id

    def _flush_results(
        self, evaluation_rows: list[dict[str, Any]], results: list[dict[str, Any]]
    ) -> None:
        # Evaluations first: results reference them.
        self._insert("evaluation", evaluation_rows)
        self._insert("result", results)
        evaluation_rows.clear()
        results.clear()

    def _positioning(self, total: int, count: int) -> str:
        """Rounded mean of the period's levels, sometimes one level off; NE without results."""
        if count == 0:
            return "NE"
        level = math.floor(total / count + 0.5)
        draw = self.rng.random()
        if draw < POSITIONING_JITTER / 2:
            level -= 1
        elif draw < POSITIONING_JITTER:
            level += 1
        return str(min(4, max(1, level)))

    def _texts(self, levels: Iterable[str]) -> tuple[str, str]:
        counted = [int(level) for level in levels if level != "NE"]
        mean = sum(counted) / len(counted) if counted else 2.5
        band = 0 if mean < 2.5 else 1 if mean < 3.3 else 2
        return self.rng.choice(names.CONSTATS[band]), self.rng.choice(names.CONSEILS[band])

    def _bilans(self, learners: list[_Learner]) -> tuple[int, int]:
        """Insert the bilans round by round (oldest first) so that ids follow the dates.

        The guards refuse positionings in a final bilan, and a learner may hold one draft
        only: each round is inserted as drafts with its positionings, then finalized.
        """
        rng = self.rng
        cc_ids = self.ref.cc_ids
        bilan_id = self._next_id("bilan")
        positioning_id = self._next_id("positioning")
        finals = drafts = 0
        rounds = (FIRST_BILAN, SECOND_BILAN, COHORT_C_BILAN, DRAFT_BILAN)
        bilan_table = _table("bilan")
        for day in rounds:
            is_final = day != DRAFT_BILAN
            year = YEAR_1 if day <= SCHOOL_YEARS[YEAR_1][2] else YEAR_2
            bilan_rows: list[dict[str, Any]] = []
            positioning_rows: list[dict[str, Any]] = []
            for learner in learners:
                if is_final:
                    if day not in learner.finals:
                        continue
                    period = learner.finals.index(day)
                    levels = {
                        cc_id: self._positioning(learner.sums[period][i], learner.counts[period][i])
                        for i, cc_id in enumerate(cc_ids)
                    }
                    constats, conseils = self._texts(levels.values())
                else:
                    if not learner.draft:
                        continue
                    period = len(learner.finals)
                    levels = {
                        cc_id: self._positioning(learner.sums[period][i], learner.counts[period][i])
                        for i, cc_id in enumerate(cc_ids)
                        if learner.counts[period][i] and rng.random() < 0.5
                    }
                    if rng.random() < 0.4:
                        constats, conseils = self._texts(levels.values())
                    else:
                        constats = conseils = ""
                klass = learner.classes.get(year)
                author = klass.teacher_id if klass is not None else None
                finalized_at = dt.datetime.combine(day, dt.time(17, 0))
                created_at = dt.datetime.combine(day, dt.time(16, 0))
                bilan_rows.append(
                    {
                        "id": bilan_id,
                        "learner_id": learner.id,
                        "class_id": klass.id if klass is not None else None,
                        "status": "draft",
                        "bilan_date": day,
                        "constats": constats,
                        "conseils": conseils,
                        "author_id": author,
                        "created_at": created_at,
                        "updated_at": finalized_at if is_final else created_at,
                        "finalized_at": finalized_at if is_final else None,
                        "finalized_by_id": author if is_final else None,
                        "version": 1,
                    }
                )
                for cc_id, level in levels.items():
                    positioning_rows.append(
                        {
                            "id": positioning_id,
                            "bilan_id": bilan_id,
                            "common_competency_id": cc_id,
                            "level": level,
                        }
                    )
                    positioning_id += 1
                bilan_id += 1
            if not bilan_rows:
                continue
            self._insert("bilan", bilan_rows)
            self._insert("positioning", positioning_rows)
            if is_final:
                # With the titles and the fingerprint a finalization records (audit_chain).
                fingerprints = audit_chain.fingerprint_values(
                    self.session, [row["id"] for row in bilan_rows]
                )
                self.session.execute(
                    update(bilan_table)
                    .where(bilan_table.c.id == bindparam("row_id"))
                    .values(
                        status="final",
                        cc_snapshot=bindparam("snapshot"),
                        content_hash=bindparam("fingerprint"),
                    ),
                    [
                        {
                            "row_id": values["row_id"],
                            "snapshot": values["cc_snapshot"],
                            "fingerprint": values["content_hash"],
                        }
                        for values in fingerprints
                    ],
                )
                finals += len(bilan_rows)
            else:
                drafts += len(bilan_rows)
        return finals, drafts

    def _sync_sequences(self) -> None:
        """PostgreSQL: explicit ids do not move the serial sequences; catch them up."""
        if self.session.get_bind().dialect.name != "postgresql":
            return
        for name in (
            "app_user",
            "school_year",
            "school_class",
            "learner",
            "enrolment",
            "evaluation",
            "result",
            "bilan",
            "positioning",
        ):
            self.session.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                    f"(SELECT max(id) FROM {name}))"
                )
            )
