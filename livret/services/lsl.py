"""LSL Pro synthesis of a 1re or Terminale class: read, choose degrees, fill PFMP, export.

For each learner of the class and the class's school year (livret.domain.lsl holds
the rules): the competencies of the class's specialty with the degree proposed from
the year's final bilans and results beside the degree the teacher chose, the mean
mark of each trimester or semester (the class's periodicity, set by the
Administrateur), the PFMP from the company evaluations (company, tutor, dates; the
teacher fills what they left empty), the appréciation, and the missing fields.

A bilan's mark is the one saved with it (« Noter le dernier bilan »), else the mark
its positionings give with the establishment's current settings (rounding, weights).

A class's syntheses are read in a dozen queries whatever its size, in one snapshot;
each write is one audited transaction that returns the learner's new synthesis.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Table, and_, delete, insert, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from livret.domain.errors import ConflictError, DatabaseError, NotFound, ValidationError
from livret.domain.levels import Level
from livret.domain.lsl import (
    DEFAULT_PERIODICITY,
    DEGREE_LABELS,
    BilanLevels,
    CompetencyChoice,
    Degree,
    DegreeProposal,
    Periodicity,
    PeriodMean,
    Pfmp,
    PfmpFill,
    PfmpSource,
    group_pfmps,
    is_lsl_grade,
    latest_positionings,
    missing_fields,
    parse_degree,
    parse_periodicity,
    period_means,
    pfmp_label,
    propose_degree,
    school_periods,
)
from livret.domain.marks import compute_mark
from livret.domain.permissions import Access, Action, access, require_all
from livret.domain.roles import Actor
from livret.exchange import lsl_xml
from livret.exchange.lsl_table import write_lsl_table
from livret.services.audit import record
from livret.services.change_log import note_change
from livret.services.database import DEFAULT_ESTABLISHMENT, Database
from livret.services.database_errors import reads_database
from livret.services.dto import LearnerSummary, sort_key
from livret.services.marks import read_mark_settings
from livret.storage import models

APPRECIATION_MAX = 1000
COMPANY_MAX = 300
TUTOR_MAX = 200
EXPORT_SUFFIXES = (".xml", ".csv", ".xlsx")
CHANGE_KIND = "lsl"

DEGREE_ACTION = "lsl_degree_chosen"
PROPOSALS_ACTION = "lsl_proposals_accepted"
APPRECIATION_ACTION = "lsl_appreciation_saved"
PFMP_ACTION = "lsl_pfmp_filled"
PERIODICITY_ACTION = "lsl_periodicity_set"


@dataclass(frozen=True, slots=True)
class LslClass:
    """A 1re or Terminale class, as the LSL Pro screen lists it."""

    id: int
    code: str
    label: str
    grade: str
    school_year_id: int
    school_year_label: str
    school_year_start: dt.date
    school_year_end: dt.date
    specialty_code: str | None
    specialty_title: str | None
    periodicity: Periodicity
    periodicity_set: bool
    """False until the Administrateur chooses (the default, trimesters, applies)."""


@dataclass(frozen=True, slots=True)
class LslCompetency:
    """One competency of the specialty: Livret's proposal and the teacher's choice."""

    competency_id: int
    code: str
    title: str
    proposal: DegreeProposal
    chosen: Degree | None


@dataclass(frozen=True, slots=True)
class LslSynthesis:
    """One learner's LSL Pro synthesis for the class's school year."""

    learner: LearnerSummary
    birth_date: dt.date | None
    klass: LslClass
    competencies: tuple[LslCompetency, ...]
    means: tuple[PeriodMean, ...]
    pfmps: tuple[Pfmp, ...]
    appreciation: str
    missing: tuple[str, ...]

    @property
    def complete(self) -> bool:
        return not self.missing


@dataclass(frozen=True, slots=True)
class LslClassSynthesis:
    """Every learner of the class, in the selectors' order."""

    klass: LslClass
    establishment_name: str
    uai: str | None
    learners: tuple[LslSynthesis, ...]

    def of(self, learner_id: int) -> LslSynthesis:
        for synthesis in self.learners:
            if synthesis.learner.id == learner_id:
                return synthesis
        raise NotFound(f"Apprenant introuvable dans la classe (n° {learner_id}).")


@dataclass(frozen=True, slots=True)
class LslExport:
    path: Path
    learners: int
    incomplete: int
    """Learners written with missing fields (listed in the file)."""


class LslService:
    """The LSL Pro synthesis; each public method is one snapshot or one transaction."""

    def __init__(self, database: Database, actor: Actor) -> None:
        self._database = database
        self._actor = actor

    # -- reading ---------------------------------------------------------------------

    @reads_database
    def classes(self) -> tuple[LslClass, ...]:
        """The 1re and Terminale classes, the most recent school year first, then by code.

        Also listed for whoever may only choose their periodicity (the Administrateur):
        codes, years and settings, no learner.
        """
        if access(self._actor, Action.SET_LSL_PERIODICITY) is not Access.ALL:
            require_all(self._actor, Action.VIEW_LSL)
        with self._database.snapshot() as connection:
            rows = connection.execute(_class_query()).all()
        classes = [_class_of(row) for row in rows if is_lsl_grade(row.grade)]
        classes.sort(key=lambda k: (-k.school_year_start.toordinal(), k.code))
        return tuple(classes)

    @reads_database
    def class_synthesis(self, class_id: int) -> LslClassSynthesis:
        """Every learner's synthesis (about twelve queries, whatever the size of the class)."""
        require_all(self._actor, Action.VIEW_LSL)
        with self._database.snapshot() as connection:
            return _read(connection, class_id, None)

    @reads_database
    def synthesis(self, class_id: int, learner_id: int) -> LslSynthesis:
        require_all(self._actor, Action.VIEW_LSL)
        with self._database.snapshot() as connection:
            return _read(connection, class_id, learner_id).of(learner_id)

    def document(self, class_id: int, learner_id: int | None = None) -> lsl_xml.LslDocument:
        """What the export files hold: the class, or one of its learners."""
        require_all(self._actor, Action.VIEW_LSL)
        synthesis = self.class_synthesis(class_id)
        return document_of(synthesis, learner_id, created_at=dt.datetime.now())

    def export(self, class_id: int, path: Path, learner_id: int | None = None) -> LslExport:
        """Write the class's (or one learner's) synthesis as XML, CSV or XLSX (by suffix)."""
        require_all(self._actor, Action.VIEW_LSL)
        target = Path(path)
        suffix = target.suffix.casefold()
        if suffix not in EXPORT_SUFFIXES:
            raise ValidationError(
                f"Format de fichier non pris en charge : « {target.name} » "
                "(choisir un fichier .xml, .csv ou .xlsx)."
            )
        document = self.document(class_id, learner_id)
        if suffix == ".xml":
            lsl_xml.write_lsl_xml(target, document)
        else:
            write_lsl_table(target, document)
        incomplete = sum(1 for learner in document.learners if learner.missing)
        return LslExport(target, len(document.learners), incomplete)

    # -- writing ---------------------------------------------------------------------

    def choose_degree(
        self, class_id: int, learner_id: int, competency_id: int, degree: Degree | str | None
    ) -> LslSynthesis:
        """Record the teacher's degree for one competency (None: back to « not chosen »)."""
        require_all(self._actor, Action.WRITE_LSL)
        chosen = None if degree is None or degree == "" else _degree(degree)
        with self._writing("Le degré de maîtrise") as session:
            target = _target(session, class_id, learner_id)
            code = target.competency_codes.get(competency_id)
            if code is None:
                raise ValidationError(
                    f"Cette compétence n'appartient pas à la spécialité de la classe "
                    f"{target.class_code}."
                )
            degree_table = models.LslDegree
            keys = and_(
                degree_table.learner_id == learner_id,
                degree_table.school_year_id == target.school_year_id,
                degree_table.competency_id == competency_id,
            )
            before = session.scalar(select(degree_table.degree).where(keys))
            if chosen is None:
                session.execute(delete(degree_table).where(keys))
            else:
                _upsert(
                    session,
                    _table("lsl_degree"),
                    [
                        {
                            "learner_id": learner_id,
                            "school_year_id": target.school_year_id,
                            "competency_id": competency_id,
                            "degree": chosen.value,
                            "author_id": self._actor.user_id,
                            "updated_at": dt.datetime.now(),
                        }
                    ],
                    ("learner_id", "school_year_id", "competency_id"),
                )
            if before != (chosen.value if chosen else None):
                self._audit(
                    session,
                    DEGREE_ACTION,
                    target,
                    f"{code} : {_degree_text(before)} → {_degree_text(chosen)}",
                )
        return self.synthesis(class_id, learner_id)

    def accept_proposals(self, class_id: int, learner_id: int) -> LslSynthesis:
        """Take Livret's proposal for every competency still without a chosen degree."""
        require_all(self._actor, Action.WRITE_LSL)
        current = self.synthesis(class_id, learner_id)
        proposed = {
            c.competency_id: c.proposal.degree
            for c in current.competencies
            if c.chosen is None and c.proposal.degree is not None
        }
        if not proposed:
            return current
        with self._writing("Les degrés de maîtrise") as session:
            target = _target(session, class_id, learner_id)
            degree_table = models.LslDegree
            taken = set(
                session.scalars(
                    select(degree_table.competency_id).where(
                        degree_table.learner_id == learner_id,
                        degree_table.school_year_id == target.school_year_id,
                    )
                )
            )
            kept = {key: value for key, value in proposed.items() if key not in taken}
            if kept:
                now = dt.datetime.now()
                session.execute(
                    insert(degree_table),
                    [
                        {
                            "learner_id": learner_id,
                            "school_year_id": target.school_year_id,
                            "competency_id": competency_id,
                            "degree": degree.value,
                            "author_id": self._actor.user_id,
                            "updated_at": now,
                        }
                        for competency_id, degree in kept.items()
                    ],
                )
                codes = ", ".join(
                    f"{target.competency_codes[competency_id]} {degree.value}"
                    for competency_id, degree in kept.items()
                )
                self._audit(session, PROPOSALS_ACTION, target, f"propositions reprises : {codes}")
        return self.synthesis(class_id, learner_id)

    def save_appreciation(
        self, class_id: int, learner_id: int, text: str, *, based_on: str
    ) -> LslSynthesis:
        """Store the appréciation; `based_on` is the text the editor started from.

        If someone else saved another text meanwhile, nothing is written and a
        ConflictError says so (nothing is silently overwritten).
        """
        require_all(self._actor, Action.WRITE_LSL)
        cleaned = _appreciation(text)
        with self._writing("L'appréciation") as session:
            target = _target(session, class_id, learner_id)
            table = models.LslAppreciation
            keys = and_(
                table.learner_id == learner_id, table.school_year_id == target.school_year_id
            )
            before = session.scalar(select(table.text).where(keys)) or ""
            if before.strip() != (based_on or "").strip():
                raise ConflictError(
                    "L'appréciation vient d'être modifiée sur un autre poste : "
                    "rechargez-la avant de l'enregistrer."
                )
            if before != cleaned:
                _upsert(
                    session,
                    _table("lsl_appreciation"),
                    [
                        {
                            "learner_id": learner_id,
                            "school_year_id": target.school_year_id,
                            "text": cleaned,
                            "author_id": self._actor.user_id,
                            "updated_at": dt.datetime.now(),
                        }
                    ],
                    ("learner_id", "school_year_id"),
                )
                self._audit(
                    session,
                    APPRECIATION_ACTION,
                    target,
                    f"{len(before)} → {len(cleaned)} caractères",
                )
        return self.synthesis(class_id, learner_id)

    def fill_pfmp(
        self, class_id: int, learner_id: int, evaluation_id: int, fill: PfmpFill
    ) -> LslSynthesis:
        """Fill the fields a PFMP's company evaluations left empty (replaces the earlier fill).

        A field the evaluations already give is refused: it is corrected in the
        evaluation itself, so that the livret and the LSL agree.
        """
        require_all(self._actor, Action.WRITE_LSL)
        company = _line(fill.company, "Le nom de l'entreprise", COMPANY_MAX)
        tutor = _line(fill.tutor, "Le nom du tuteur", TUTOR_MAX)
        current = self.synthesis(class_id, learner_id)
        pfmp = next((p for p in current.pfmps if p.evaluation_id == evaluation_id), None)
        if pfmp is None:
            raise NotFound("Cette PFMP n'est pas dans l'année de l'apprenant.")
        given = {"company": company, "tutor": tutor, "start": fill.start, "end": fill.end}
        for name, value in given.items():
            if value is not None and name not in pfmp.filled and getattr(pfmp, name) is not None:
                raise ValidationError(
                    f"La PFMP ({pfmp_label(pfmp)}) indique déjà ce champ d'après son "
                    "évaluation E : corrigez-le dans l'évaluation."
                )
        # The dates the PFMP will have: the evaluations', else the new fill's.
        start = pfmp.start if "start" not in pfmp.filled and pfmp.start else fill.start
        end = pfmp.end if "end" not in pfmp.filled and pfmp.end else fill.end
        if start is not None and end is not None and end < start:
            raise ValidationError("La date de fin de la PFMP précède sa date de début.")
        with self._writing("La PFMP") as session:
            target = _target(session, class_id, learner_id)
            _upsert(
                session,
                _table("lsl_pfmp_fill"),
                [
                    {
                        "learner_id": learner_id,
                        "evaluation_id": evaluation_id,
                        "company": company,
                        "tutor": tutor,
                        "pfmp_start": fill.start,
                        "pfmp_end": fill.end,
                        "author_id": self._actor.user_id,
                        "updated_at": dt.datetime.now(),
                    }
                ],
                ("learner_id", "evaluation_id"),
            )
            shown = ", ".join(
                f"{name} {value}" for name, value in given.items() if value is not None
            )
            self._audit(
                session, PFMP_ACTION, target, f"PFMP {pfmp_label(pfmp)} : {shown or 'vidée'}"
            )
        return self.synthesis(class_id, learner_id)

    def set_periodicity(self, class_id: int, periodicity: Periodicity | str) -> LslClass:
        """The class's periodicity (trimestre or semestre): the Administrateur's setting."""
        require_all(self._actor, Action.SET_LSL_PERIODICITY)
        chosen = Periodicity(_periodicity(periodicity))
        with self._writing("La périodicité de la classe") as session:
            row = session.execute(_class_query().where(models.SchoolClass.id == class_id)).first()
            if row is None:
                raise NotFound(f"Classe introuvable (n° {class_id}).")
            klass = _class_of(row)
            if not is_lsl_grade(klass.grade):
                raise ValidationError(_not_lsl_message(klass.code, klass.grade))
            if klass.periodicity_set and klass.periodicity is chosen:
                return klass
            _upsert(
                session,
                _table("lsl_class_setting"),
                [
                    {
                        "class_id": class_id,
                        "periodicity": chosen.value,
                        "author_id": self._actor.user_id,
                        "updated_at": dt.datetime.now(),
                    }
                ],
                ("class_id",),
            )
            before = klass.periodicity.value if klass.periodicity_set else "non choisie"
            record(
                session,
                self._actor,
                PERIODICITY_ACTION,
                "school_class",
                class_id,
                f"classe {klass.code} ({klass.school_year_label}) : {before} → {chosen.value}",
            )
            learners = session.scalars(
                select(models.Enrolment.learner_id).where(models.Enrolment.class_id == class_id)
            ).all()
            note_change(
                session,
                self._database,
                self._actor,
                CHANGE_KIND,
                learner_ids=learners,
                class_ids=[class_id],
            )
            updated = session.execute(_class_query().where(models.SchoolClass.id == class_id)).one()
            return _class_of(updated)

    # -- helpers ---------------------------------------------------------------------

    def _writing(self, what: str) -> AbstractContextManager[Session]:
        return _writing(self._database, what)

    def _audit(self, session: Session, action: str, target: _Target, details: str) -> None:
        record(
            session,
            self._actor,
            action,
            "learner",
            target.learner_id,
            f"{target.school_year_label}, classe {target.class_code} — {details}",
        )
        note_change(
            session,
            self._database,
            self._actor,
            CHANGE_KIND,
            learner_ids=[target.learner_id],
            class_ids=[target.class_id],
        )


@contextmanager
def _writing(database: Database, what: str) -> Iterator[Session]:
    """One transaction; a concurrent write or a busy SQLite file becomes a French conflict."""
    try:
        with database.transaction() as session:
            yield session
    except (IntegrityError, OperationalError) as exc:
        if isinstance(exc, IntegrityError):
            raise ConflictError(
                f"{what} vient d'être modifié sur un autre poste : recommencez."
            ) from None
        if "locked" in str(exc.orig):
            raise ConflictError(
                f"{what} n'a pas pu être enregistré : la base est occupée, recommencez."
            ) from None
        raise


# -- the export document ---------------------------------------------------------------


def document_of(
    synthesis: LslClassSynthesis, learner_id: int | None, *, created_at: dt.datetime
) -> lsl_xml.LslDocument:
    """The file's content: the class's syntheses (or one learner's), as plain records."""
    chosen = synthesis.learners if learner_id is None else (synthesis.of(learner_id),)
    klass = synthesis.klass
    return lsl_xml.LslDocument(
        establishment_name=synthesis.establishment_name,
        uai=synthesis.uai,
        school_year=klass.school_year_label,
        created_at=created_at.replace(microsecond=0),
        learners=tuple(_record(one) for one in chosen),
    )


def _record(synthesis: LslSynthesis) -> lsl_xml.LearnerRecord:
    klass = synthesis.klass
    return lsl_xml.LearnerRecord(
        ine=synthesis.learner.ine,
        family_name=synthesis.learner.family_name,
        first_name=synthesis.learner.first_name,
        birth_date=synthesis.birth_date,
        class_code=klass.code,
        class_label=klass.label,
        grade=klass.grade,
        specialty_code=klass.specialty_code,
        specialty_title=klass.specialty_title,
        competencies=tuple(
            lsl_xml.CompetencyRecord(
                code=c.code,
                title=c.title,
                degree=c.chosen.value if c.chosen is not None else None,
                proposed=c.proposal.degree.value if c.proposal.degree is not None else None,
            )
            for c in synthesis.competencies
        ),
        periodicity=klass.periodicity.value,
        periods=tuple(
            lsl_xml.PeriodRecord(
                m.period.number, m.period.start, m.period.end, m.mean, m.mark_count
            )
            for m in synthesis.means
        ),
        pfmps=tuple(
            lsl_xml.PfmpRecord(p.company, p.tutor, p.start, p.end) for p in synthesis.pfmps
        ),
        appreciation=synthesis.appreciation,
        missing=synthesis.missing,
    )


# -- reading ---------------------------------------------------------------------------


def _class_query() -> Any:
    cls, year, specialty = models.SchoolClass, models.SchoolYear, models.Specialty
    setting = models.LslClassSetting
    return (
        select(
            cls.id,
            cls.code,
            cls.label,
            cls.grade,
            year.id.label("school_year_id"),
            year.label.label("school_year_label"),
            year.start_date,
            year.end_date,
            specialty.id.label("specialty_id"),
            specialty.code.label("specialty_code"),
            specialty.title.label("specialty_title"),
            setting.periodicity,
        )
        .join(year, year.id == cls.school_year_id)
        .outerjoin(specialty, specialty.id == cls.specialty_id)
        .outerjoin(setting, setting.class_id == cls.id)
    )


def _class_of(row: Any) -> LslClass:
    return LslClass(
        id=row.id,
        code=row.code,
        label=row.label,
        grade=row.grade or "",
        school_year_id=row.school_year_id,
        school_year_label=row.school_year_label,
        school_year_start=row.start_date,
        school_year_end=row.end_date,
        specialty_code=row.specialty_code,
        specialty_title=row.specialty_title,
        periodicity=Periodicity(row.periodicity) if row.periodicity else DEFAULT_PERIODICITY,
        periodicity_set=row.periodicity is not None,
    )


def _not_lsl_message(code: str, grade: str | None) -> str:
    shown = f" ({grade})" if grade else ""
    return (
        f"La classe {code}{shown} n'est ni une classe de 1re ni une classe de Terminale : "
        "le LSL Pro ne la concerne pas."
    )


@dataclass(frozen=True, slots=True)
class _CompetencyRow:
    id: int
    code: str
    title: str
    cc_weights: Mapping[str, int]
    criterion_ids: frozenset[int]


def _read(connection: Connection, class_id: int, learner_id: int | None) -> LslClassSynthesis:
    head = connection.execute(_class_query().where(models.SchoolClass.id == class_id)).first()
    if head is None:
        raise NotFound(f"Classe introuvable (n° {class_id}).")
    klass = _class_of(head)
    if not is_lsl_grade(klass.grade):
        raise ValidationError(_not_lsl_message(klass.code, klass.grade))
    start, end = klass.school_year_start, klass.school_year_end

    establishment = connection.execute(
        select(models.Establishment.name, models.Establishment.uai).order_by(
            models.Establishment.id
        )
    ).first()
    establishment_name = establishment.name if establishment else DEFAULT_ESTABLISHMENT
    uai = establishment.uai if establishment else None

    learner, enrolment = models.Learner, models.Enrolment
    members = select(enrolment.learner_id).where(enrolment.class_id == class_id)
    if learner_id is not None:
        members = members.where(enrolment.learner_id == learner_id)
    learner_rows = connection.execute(
        select(
            learner.id,
            learner.ine,
            learner.family_name,
            learner.first_name,
            learner.left_on,
            learner.birth_date,
        ).where(learner.id.in_(members))
    ).all()
    if learner_id is not None and not learner_rows:
        raise NotFound(f"Cet apprenant n'est pas inscrit en {klass.code}.")

    competencies = _competencies(connection, head.specialty_id)
    criterion_to_competency = {
        criterion: c.id for c in competencies for criterion in c.criterion_ids
    }

    # Final bilans of the year: dates, saved marks, positionings.
    bilan, mark, positioning = models.Bilan, models.Mark, models.Positioning
    in_year = and_(
        bilan.status == "final",
        bilan.learner_id.in_(members),
        bilan.bilan_date >= start,
        bilan.bilan_date <= end,
    )
    bilan_rows = connection.execute(
        select(bilan.learner_id, bilan.id, bilan.bilan_date, mark.value)
        .outerjoin(mark, mark.bilan_id == bilan.id)
        .where(in_year)
    ).all()
    levels: dict[int, dict[str, Level]] = defaultdict(dict)
    for bilan_id, code, level in connection.execute(
        select(positioning.bilan_id, models.CommonCompetency.code, positioning.level)
        .join(bilan, bilan.id == positioning.bilan_id)
        .join(
            models.CommonCompetency,
            models.CommonCompetency.id == positioning.common_competency_id,
        )
        .where(in_year)
    ):
        levels[bilan_id][code] = Level(level)
    settings = (
        read_mark_settings(connection) if any(row.value is None for row in bilan_rows) else None
    )
    bilans_of: dict[int, list[BilanLevels]] = defaultdict(list)
    marks_of: dict[int, list[tuple[dt.date, Decimal]]] = defaultdict(list)
    for owner, bilan_id, bilan_date, saved in bilan_rows:
        bilans_of[owner].append(BilanLevels(bilan_id, bilan_date, levels.get(bilan_id, {})))
        value = Decimal(saved) if saved is not None else None
        if value is None and settings is not None:
            value = compute_mark(levels.get(bilan_id, {}), settings).value
        if value is not None:
            marks_of[owner].append((bilan_date, value))

    # The year's results 1–4 on the specialty's criteria.
    result, evaluation = models.Result, models.Evaluation
    results_of: dict[tuple[int, int], list[str]] = defaultdict(list)
    if criterion_to_competency:
        specialty_criteria = (
            select(models.Criterion.id)
            .join(models.Competency, models.Competency.id == models.Criterion.competency_id)
            .where(models.Competency.specialty_id == head.specialty_id)
        )
        for owner, criterion_id, level in connection.execute(
            select(result.learner_id, result.criterion_id, result.level)
            .join(evaluation, evaluation.id == result.evaluation_id)
            .where(
                result.learner_id.in_(members),
                result.criterion_id.in_(specialty_criteria),
                result.level.in_(("1", "2", "3", "4")),
                evaluation.eval_date >= start,
                evaluation.eval_date <= end,
            )
        ):
            results_of[(owner, criterion_to_competency[criterion_id])].append(level)

    # Company evaluations of the year in which the learner has a result.
    sources_of: dict[int, list[PfmpSource]] = defaultdict(list)
    for owner, evaluation_id, day, company, tutor, pfmp_start, pfmp_end in connection.execute(
        select(
            result.learner_id,
            evaluation.id,
            evaluation.eval_date,
            evaluation.company,
            evaluation.tutor,
            evaluation.pfmp_start,
            evaluation.pfmp_end,
        )
        .join(result, result.evaluation_id == evaluation.id)
        .where(
            evaluation.nature == "E",
            result.learner_id.in_(members),
            evaluation.eval_date >= start,
            evaluation.eval_date <= end,
        )
        .distinct()
    ):
        sources_of[owner].append(
            PfmpSource(evaluation_id, day, company, tutor, pfmp_start, pfmp_end)
        )

    year_id = klass.school_year_id
    degree = models.LslDegree
    chosen_of: dict[tuple[int, int], Degree] = {
        (owner, competency_id): Degree(value)
        for owner, competency_id, value in connection.execute(
            select(degree.learner_id, degree.competency_id, degree.degree).where(
                degree.learner_id.in_(members), degree.school_year_id == year_id
            )
        )
    }
    appreciation = models.LslAppreciation
    appreciation_of: dict[int, str] = {
        owner: text
        for owner, text in connection.execute(
            select(appreciation.learner_id, appreciation.text).where(
                appreciation.learner_id.in_(members), appreciation.school_year_id == year_id
            )
        )
    }
    fill = models.LslPfmpFill
    fills_of: dict[int, dict[int, PfmpFill]] = defaultdict(dict)
    for owner, evaluation_id, company, tutor, pfmp_start, pfmp_end in connection.execute(
        select(
            fill.learner_id,
            fill.evaluation_id,
            fill.company,
            fill.tutor,
            fill.pfmp_start,
            fill.pfmp_end,
        ).where(fill.learner_id.in_(members))
    ):
        fills_of[owner][evaluation_id] = PfmpFill(company, tutor, pfmp_start, pfmp_end)

    periods = school_periods(start, end, klass.periodicity)
    syntheses = []
    for row in learner_rows:
        owner = row.id
        latest = latest_positionings(bilans_of.get(owner, ()))
        items = tuple(
            LslCompetency(
                c.id,
                c.code,
                c.title,
                propose_degree(c.cc_weights, latest, results_of.get((owner, c.id), ())),
                chosen_of.get((owner, c.id)),
            )
            for c in competencies
        )
        means = period_means(marks_of.get(owner, ()), periods)
        pfmps = group_pfmps(sources_of.get(owner, ()), fills_of.get(owner, {}))
        text = appreciation_of.get(owner, "")
        missing = missing_fields(
            uai_known=bool(uai),
            specialty_code=klass.specialty_code,
            competencies=[CompetencyChoice(c.code, c.chosen) for c in items],
            appreciation=text,
            pfmps=pfmps,
            means=means,
        )
        syntheses.append(
            LslSynthesis(
                LearnerSummary(row.id, row.ine, row.family_name, row.first_name, row.left_on),
                row.birth_date,
                klass,
                items,
                means,
                pfmps,
                text,
                missing,
            )
        )
    # The selectors' order; not in SQL, where SQLite and PostgreSQL collate accents differently.
    syntheses.sort(
        key=lambda s: (
            sort_key(s.learner.family_name),
            sort_key(s.learner.first_name),
            s.learner.id,
        )
    )
    return LslClassSynthesis(klass, establishment_name, uai, tuple(syntheses))


def _competencies(connection: Connection, specialty_id: int | None) -> list[_CompetencyRow]:
    """The specialty's competencies in référentiel order, with their criteria's CCs."""
    if specialty_id is None:
        return []
    competency, criterion, cc = models.Competency, models.Criterion, models.CommonCompetency
    rows = connection.execute(
        select(competency.id, competency.code, competency.title, criterion.id, cc.code)
        .outerjoin(criterion, criterion.competency_id == competency.id)
        .outerjoin(cc, cc.id == criterion.common_competency_id)
        .where(competency.specialty_id == specialty_id)
        .order_by(competency.position, competency.id)
    ).all()
    heads: dict[int, tuple[str, str]] = {}
    weights: dict[int, Counter[str]] = defaultdict(Counter)
    criteria: dict[int, set[int]] = defaultdict(set)
    for competency_id, code, title, criterion_id, cc_code in rows:
        heads.setdefault(competency_id, (code, title))
        if criterion_id is not None:
            criteria[competency_id].add(criterion_id)
            if cc_code is not None:
                weights[competency_id][cc_code] += 1
    return [
        _CompetencyRow(
            competency_id,
            code,
            title,
            dict(weights[competency_id]),
            frozenset(criteria[competency_id]),
        )
        for competency_id, (code, title) in heads.items()
    ]


# -- writing ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Target:
    class_id: int
    class_code: str
    school_year_id: int
    school_year_label: str
    learner_id: int
    competency_codes: Mapping[int, str]


def _target(session: Session, class_id: int, learner_id: int) -> _Target:
    """Check the class (1re or Terminale) and the learner's enrolment in it."""
    head = session.execute(_class_query().where(models.SchoolClass.id == class_id)).first()
    if head is None:
        raise NotFound(f"Classe introuvable (n° {class_id}).")
    klass = _class_of(head)
    if not is_lsl_grade(klass.grade):
        raise ValidationError(_not_lsl_message(klass.code, klass.grade))
    enrolled = session.scalar(
        select(models.Enrolment.id).where(
            models.Enrolment.class_id == class_id, models.Enrolment.learner_id == learner_id
        )
    )
    if enrolled is None:
        raise NotFound(f"Cet apprenant n'est pas inscrit en {klass.code}.")
    codes: dict[int, str] = {}
    if head.specialty_id is not None:
        codes = {
            competency_id: code
            for competency_id, code in session.execute(
                select(models.Competency.id, models.Competency.code).where(
                    models.Competency.specialty_id == head.specialty_id
                )
            )
        }
    return _Target(
        class_id, klass.code, klass.school_year_id, klass.school_year_label, learner_id, codes
    )


def _table(name: str) -> Table:
    return models.Base.metadata.tables[name]


def _upsert(
    session: Session, table: Table, rows: list[dict[str, Any]], keys: Sequence[str]
) -> None:
    """Insert the rows, or update those whose `keys` exist (one statement, both back-ends)."""
    columns = [name for name in rows[0] if name not in keys]
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        pg_statement = postgresql.insert(table)
        session.execute(
            pg_statement.on_conflict_do_update(
                index_elements=list(keys),
                set_={name: pg_statement.excluded[name] for name in columns},
            ),
            rows,
        )
    elif dialect == "sqlite":
        lite_statement = sqlite.insert(table)
        session.execute(
            lite_statement.on_conflict_do_update(
                index_elements=list(keys),
                set_={name: lite_statement.excluded[name] for name in columns},
            ),
            rows,
        )
    else:
        raise DatabaseError(f"Base de données non prise en charge : {dialect}.")


# -- checking input --------------------------------------------------------------------


def _degree(value: Degree | str) -> Degree:
    return value if isinstance(value, Degree) else parse_degree(value)


def _degree_text(value: Degree | str | None) -> str:
    if value is None:
        return "non choisi"
    return f"{value} {DEGREE_LABELS[Degree(str(value))]}"


def _periodicity(value: Periodicity | str) -> Periodicity:
    return value if isinstance(value, Periodicity) else parse_periodicity(value)


def _has_control(text: str, *, newlines: bool) -> bool:
    allowed = {"\n", "\t"} if newlines else set()
    return any((ord(c) < 32 or ord(c) == 127) and c not in allowed for c in text)


def _appreciation(text: str) -> str:
    if not isinstance(text, str):
        raise ValidationError("Appréciation invalide.")
    cleaned = text.replace("\r\n", "\n").strip()
    if _has_control(cleaned, newlines=True):
        raise ValidationError("L'appréciation contient des caractères de contrôle.")
    if len(cleaned) > APPRECIATION_MAX:
        raise ValidationError(
            f"L'appréciation est trop longue : {len(cleaned)} caractères "
            f"(au plus {APPRECIATION_MAX})."
        )
    return cleaned


def _line(text: str | None, what: str, limit: int) -> str | None:
    if text is None:
        return None
    cleaned = text.strip()
    if not cleaned:
        return None
    if _has_control(cleaned, newlines=False):
        raise ValidationError(f"{what} doit tenir sur une ligne, sans caractère de contrôle.")
    if len(cleaned) > limit:
        raise ValidationError(f"{what} est trop long ({len(cleaned)} caractères, au plus {limit}).")
    return cleaned
