"""Frozen data handed to the UI and the CLI: never ORM objects."""

from __future__ import annotations

import datetime as dt
import unicodedata
from dataclasses import dataclass
from typing import NamedTuple


def display_name(family_name: str, first_name: str) -> str:
    """'NOM Prénom', as teachers write it."""
    return f"{family_name.upper()} {first_name}".strip()


def sort_key(text: str) -> str:
    """French alphabetical order: accents, case, spaces and hyphens do not change the order."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum())


@dataclass(frozen=True, slots=True)
class SchoolYearInfo:
    id: int
    label: str
    start_date: dt.date
    end_date: dt.date


@dataclass(frozen=True, slots=True)
class ClassInfo:
    id: int
    code: str
    label: str
    grade: str | None
    specialty_code: str | None
    school_year_id: int
    school_year_label: str
    learner_count: int


@dataclass(frozen=True, slots=True)
class LearnerSummary:
    id: int
    ine: str
    family_name: str
    first_name: str
    left_on: dt.date | None

    @property
    def display_name(self) -> str:
        return display_name(self.family_name, self.first_name)


@dataclass(frozen=True, slots=True)
class LearnerInfo:
    id: int
    ine: str
    family_name: str
    first_name: str
    birth_date: dt.date | None
    left_on: dt.date | None
    specialty_code: str | None
    class_id: int | None
    class_code: str | None
    class_label: str | None
    school_year_label: str | None

    @property
    def display_name(self) -> str:
        return display_name(self.family_name, self.first_name)


@dataclass(frozen=True, slots=True)
class CommonCompetencyInfo:
    id: int
    code: str
    title: str
    group_code: str
    group_label: str

    @property
    def heading(self) -> str:
        return f"{self.code} - {self.title}"


@dataclass(frozen=True, slots=True)
class CriterionInfo:
    id: int
    code: str
    text: str
    specialty_code: str
    competency_code: str
    competency_title: str
    common_competency_id: int

    @property
    def label(self) -> str:
        """'[PLP] CP03 <text>', as on the dashboard."""
        return f"[{self.specialty_code}] {self.competency_code} {self.text}"


@dataclass(frozen=True, slots=True)
class EvaluationInfo:
    id: int
    short_code: str
    nature: str
    date: dt.date
    title: str
    context: str
    author: str | None
    company: str | None
    tutor: str | None
    pfmp_start: dt.date | None
    pfmp_end: dt.date | None
    period: int
    """Index of the learner's period this evaluation falls in (0 = before the first final bilan)."""


class ResultInfo(NamedTuple):
    """One mark of a dashboard row (a NamedTuple: thousands are built per learner switch)."""

    evaluation_index: int
    """Index into LearnerDashboard.evaluations (chronological order)."""
    level: str
    comment: str | None


@dataclass(frozen=True, slots=True)
class CriterionRow:
    criterion: CriterionInfo
    results: tuple[ResultInfo, ...]
    """Chronological."""


@dataclass(frozen=True, slots=True)
class PositioningInfo:
    bilan_id: int
    bilan_date: dt.date
    level: str


@dataclass(frozen=True, slots=True)
class DashboardSection:
    common_competency: CommonCompetencyInfo
    rows: tuple[CriterionRow, ...]
    previous: tuple[PositioningInfo, ...]
    """Positionings of the earlier final bilans on this CC, chronological."""
    current: str
    """The draft's positioning on this CC, 'NE' until set."""


@dataclass(frozen=True, slots=True)
class BilanRef:
    id: int
    status: str
    bilan_date: dt.date
    author: str | None
    version: int


@dataclass(frozen=True, slots=True)
class LearnerDashboard:
    """Everything the learner dashboard shows, read in a constant number of queries."""

    learner: LearnerInfo
    evaluations: tuple[EvaluationInfo, ...]
    sections: tuple[DashboardSection, ...]
    final_bilans: tuple[BilanRef, ...]
    draft: BilanRef | None
    period_boundaries: tuple[dt.date, ...]
    """Dates of the final bilans: an evaluation on or before one belongs to its period."""

    @property
    def current_period(self) -> int:
        return len(self.period_boundaries)

    @property
    def result_count(self) -> int:
        return sum(len(row.results) for section in self.sections for row in section.rows)
