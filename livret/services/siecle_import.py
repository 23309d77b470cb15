"""Import SIECLE: learners and classes of a school year from the establishment's export.

`preview` tells what an import would do and writes nothing; `apply` does it in one
transaction and returns the same report, marked as applied. Both compute the plan
the same way (`apply` computes it again inside its transaction), so what the preview
announces is what is written, unless someone else changed the data in between.

Rules:
- The school year is the file's (ANNEE_SCOLAIRE 2025 → "2025-2026") unless one is
  given; it is created when a class or an enrolment needs it, from 1 September to
  4 July of the following year. An existing year keeps its dates.
- Classes are the divisions (TYPE_STRUCTURE D) of the learners: a missing one is
  created with the code as label and a grade guessed from the code's first
  character ('2' → 2nde, '1' → 1re, 'T' → Tle). Existing classes are never changed.
- Learners are matched by INE. A new INE creates a learner; a known one gets the
  file's family name, first name and birth date (a date missing from the file
  erases nothing). Each learner with a division gets an enrolment in that year's
  class; one enrolled in another class of that year is moved. A learner without a
  division keeps any enrolment they have.
- DATE_SORTIE marks the learner as left on that day: they are kept, never deleted.
  A learner listed without DATE_SORTIE in a file whose school year ends on or after
  their recorded leaving date is back: the leaving date is cleared (an older file
  imported afterwards does not bring back a learner who left since).
- Learners of that year absent from the file are listed in the report, untouched.
- Idempotent: importing the same file again changes no data; `apply` still writes
  its audit event ('siecle_import', with the counts), so the log tells who imported
  what and when, even when nothing changed.

Set-based: a fixed number of queries whatever the size of the file (learners are
looked up by INE in chunks of 500), bulk inserts and bulk updates; never one query
per learner.

Permissions (livret.domain.permissions, IMPORT_SIECLE): the Administrateur manages
imports (PRODUCT.md); the DDFPT and the teachers may import too, because the local
profile of a single-user installation is a teacher. Learners may not
(PermissionDenied), not even preview: the report names other learners.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from livret.domain.errors import ConflictError, ValidationError
from livret.domain.permissions import Action, require_all
from livret.domain.roles import Actor
from livret.exchange import siecle as siecle_file
from livret.exchange.siecle import SKIPPED_SUFFIX, SiecleFile, SiecleLearner, SiecleSkipped
from livret.services.change_log import note_change
from livret.services.database import Database
from livret.services.dto import display_name, sort_key
from livret.storage import models

IMPORT_ACTION = "siecle_import"
CHUNK = 500
"""INEs per IN (...) lookup: far below SQLite's and PostgreSQL's parameter limits."""
YEAR_START = (9, 1)
"""A created school year starts on 1 September…"""
YEAR_END = (7, 4)
"""…and ends on 4 July of the following year."""
GRADES = {"2": "2nde", "1": "1re", "T": "Tle"}

_YEAR_LABEL = re.compile(r"(\d{4})-(\d{4})")
_Executor = Session | Connection


@dataclass(frozen=True, slots=True)
class SiecleLine:
    """One learner of the report, with the values they have (or will have) after import."""

    ine: str
    family_name: str
    first_name: str
    division: str | None
    """The learner's class in the file (None: no division given)."""
    left_on: dt.date | None
    """Leaving date after the import (None: still present)."""
    changes: tuple[str, ...] = ()
    """What the import changes, in French ("classe : 2PLP1 → 1PLP1"); empty when unchanged."""
    eleve_id: str = ""

    @property
    def display_name(self) -> str:
        return display_name(self.family_name, self.first_name)


@dataclass(frozen=True, slots=True)
class SieclePreview:
    """What an import does (applied=False: would do); the lines sorted by name."""

    school_year_label: str
    school_year_is_new: bool
    """The school year does not exist and the import creates it."""
    uaj: str | None
    classes_to_create: tuple[str, ...]
    created: tuple[SiecleLine, ...]
    updated: tuple[SiecleLine, ...]
    unchanged: tuple[SiecleLine, ...]
    skipped: tuple[SiecleSkipped, ...]
    """Learners of the file left out, with the reason."""
    absent: tuple[SiecleLine, ...]
    """Learners enrolled that year, not marked as left, missing from the file: untouched."""
    problems: tuple[str, ...]
    """Remarks on the file and on the import, in French."""
    applied: bool = False

    @property
    def lines(self) -> tuple[SiecleLine, ...]:
        """Every imported learner: created, updated and unchanged."""
        return self.created + self.updated + self.unchanged

    @property
    def left(self) -> tuple[SiecleLine, ...]:
        """Imported learners marked as left (DATE_SORTIE)."""
        return tuple(line for line in self.lines if line.left_on is not None)

    @property
    def without_division(self) -> tuple[SiecleLine, ...]:
        return tuple(line for line in self.lines if line.division is None)

    @property
    def remarks(self) -> tuple[str, ...]:
        """The problems, without those that only tell a learner was skipped (see `skipped`)."""
        return tuple(p for p in self.problems if not p.endswith(SKIPPED_SUFFIX))

    @property
    def has_changes(self) -> bool:
        """Whether the import writes anything besides its audit event."""
        return bool(
            self.school_year_is_new or self.classes_to_create or self.created or self.updated
        )

    def summary(self) -> str:
        """One French sentence with the counts."""
        will = not self.applied
        parts = [
            _count(len(self.created), "apprenant " + ("à créer" if will else "créé"),
                   "apprenants " + ("à créer" if will else "créés")),
            _count(len(self.updated), "à modifier" if will else "modifié",
                   "à modifier" if will else "modifiés"),
            _count(len(self.unchanged), "inchangé", "inchangés"),
            _count(len(self.skipped), "ignoré", "ignorés"),
        ]  # fmt: skip
        text = ", ".join(parts)
        if self.left:
            text += f" ; {_count(len(self.left), 'sorti', 'sortis')} (date de sortie)"
        if self.classes_to_create:
            verb = "à créer" if will else "créée" if len(self.classes_to_create) < 2 else "créées"
            text += f" ; {_count(len(self.classes_to_create), 'classe', 'classes')} {verb}"
        return text + "."

    def report_lines(self, limit: int | None = None) -> list[str]:
        """The report in French, one line each; `limit` caps the lists of learners."""
        will = not self.applied
        heading = f"Import SIECLE, année scolaire {self.school_year_label}"
        if self.uaj:
            heading += f" (établissement {self.uaj})"
        lines = [heading + " :", "  " + self.summary()]
        if self.school_year_is_new:
            lines.append(
                f"Année scolaire {self.school_year_label} {'à créer' if will else 'créée'}."
            )
        if self.classes_to_create:
            lines.append(
                f"Classes {'à créer' if will else 'créées'} : "
                + ", ".join(self.classes_to_create)
                + "."
            )
        lines += _section(
            "Apprenants à créer :" if will else "Apprenants créés :",
            [_line_text(line) for line in self.created],
            limit,
        )
        lines += _section(
            "Apprenants à modifier :" if will else "Apprenants modifiés :",
            [f"{_line_text(line)} : {' ; '.join(line.changes)}" for line in self.updated],
            limit,
        )
        lines += _section(
            "Apprenants ignorés :",
            [
                f"élève {skip.eleve_id or '?'} ({skip.display_name}) : {skip.reason}"
                for skip in self.skipped
            ],
            None,
        )
        if self.absent:
            lines += _section(
                f"Inscrits en {self.school_year_label} absents du fichier (non modifiés) :",
                [_line_text(line) for line in self.absent],
                limit,
            )
        lines += _section("Remarques :", list(self.remarks), None)
        return lines


class SiecleImportService:
    """Preview and apply a SIECLE import; each public method is one snapshot or transaction."""

    def __init__(self, database: Database, actor: Actor) -> None:
        self._database = database
        self._actor = actor

    @staticmethod
    def check_size(size: int, name: str) -> None:
        """Refuse an export (named `name`) of `size` bytes when over the limit (French error).

        For a reader that knows the size before reading, or watches it grow.
        """
        siecle_file.check_size(size, name)

    @staticmethod
    def read(data: bytes, name: str) -> SiecleFile:
        """Parse an export's bytes, XML or the .zip holding it; refusals in French.

        Nothing is written and no permission is needed: it is the file, not the base.
        """
        return siecle_file.parse_siecle_bytes(data, name)

    def preview(self, siecle: SiecleFile, year_label: str | None = None) -> SieclePreview:
        """What importing the file would do; nothing is written."""
        require_all(self._actor, Action.IMPORT_SIECLE)
        with self._database.snapshot() as connection:
            return _plan(connection, siecle, year_label).preview

    def apply(
        self,
        siecle: SiecleFile,
        year_label: str | None = None,
        *,
        source_name: str | None = None,
    ) -> SieclePreview:
        """Import the file in one transaction, audited; returns the report (applied=True).

        `source_name` (the file's name) goes into the audit event. A file without any
        importable learner is refused (ValidationError) and nothing is written.
        """
        require_all(self._actor, Action.IMPORT_SIECLE)
        if not siecle.learners:
            raise ValidationError(
                "Aucun élève importable dans ce fichier SIECLE : rien n'a été importé."
            )
        try:
            with self._database.transaction() as session:
                plan = _plan(session, siecle, year_label)
                _write(session, plan)
                _audit(session, self._actor, plan, source_name)
                # Classes and enrolments change: every open app reloads its lists.
                note_change(session, self._database, self._actor, "siecle_import")
        except (IntegrityError, OperationalError) as exc:
            conflict = _conflict(exc)
            if conflict is None:
                raise
            raise conflict from None
        return replace(plan.preview, applied=True)


def school_year_label(text: str) -> str:
    """ "2025-2026" checked (two following years); a French ValidationError otherwise."""
    cleaned = text.strip()
    match = _YEAR_LABEL.fullmatch(cleaned)
    if match is None or int(match.group(2)) != int(match.group(1)) + 1:
        raise ValidationError(
            f"Année scolaire invalide : « {text} » (attendu : AAAA-AAAA, par exemple 2025-2026)."
        )
    return cleaned


def guess_grade(code: str) -> str | None:
    """2nde, 1re or Tle from the class code's first character ("1PLP1" → "1re")."""
    return GRADES.get(code[:1].upper())


# -- planning --------------------------------------------------------------------------


@dataclass
class _LearnerPlan:
    source: SiecleLearner
    learner_id: int | None
    """The existing learner; None: to create."""
    values: dict[str, Any]
    """family_name, first_name, birth_date, left_on after the import."""
    learner_changed: bool
    enrolment_id: int | None
    """The learner's enrolment for the year, when they have one."""
    enrol: bool
    """Create (enrolment_id None) or move (enrolment_id set) the enrolment to the division."""
    line: SiecleLine


@dataclass
class _Plan:
    year_label: str
    year_id: int | None
    year_start: dt.date
    year_end: dt.date
    create_year: bool
    class_ids: dict[str, int]
    new_classes: list[str]
    learners: list[_LearnerPlan] = field(default_factory=list)
    preview: SieclePreview = field(init=False)


def _plan(executor: _Executor, siecle: SiecleFile, year_label: str | None) -> _Plan:
    """Three queries, plus one per 500 INEs of the file (whatever the size of the database)."""
    problems = list(siecle.problems)
    label = _resolve_year(siecle, year_label, problems)
    year = models.SchoolYear
    year_row = executor.execute(
        select(year.id, year.start_date, year.end_date).where(year.label == label)
    ).first()
    if year_row is not None:
        year_id: int | None = year_row.id
        start, end = year_row.start_date, year_row.end_date
    else:
        first = int(label[:4])
        year_id = None
        start, end = dt.date(first, *YEAR_START), dt.date(first + 1, *YEAR_END)

    cls = models.SchoolClass
    class_ids: dict[str, int] = {}
    enrolled: dict[int, tuple[int, str]] = {}
    """learner id → (enrolment id, class code) for that year."""
    year_members: list[Any] = []
    if year_id is not None:
        class_ids = {
            code: class_id
            for class_id, code in executor.execute(
                select(cls.id, cls.code).where(cls.school_year_id == year_id)
            )
        }
        enrolment, learner = models.Enrolment, models.Learner
        year_members = list(
            executor.execute(
                select(
                    enrolment.id,
                    enrolment.learner_id,
                    cls.code,
                    learner.ine,
                    learner.family_name,
                    learner.first_name,
                    learner.left_on,
                )
                .join(cls, cls.id == enrolment.class_id)
                .join(learner, learner.id == enrolment.learner_id)
                .where(enrolment.school_year_id == year_id)
            )
        )
        enrolled = {row.learner_id: (row.id, row.code) for row in year_members}

    existing = _existing_learners(executor, [lr.ine for lr in siecle.learners])
    divisions = siecle.divisions
    new_classes = [code for code in divisions if code not in class_ids]
    plan = _Plan(
        year_label=label,
        year_id=year_id,
        year_start=start,
        year_end=end,
        create_year=year_id is None and bool(divisions),
        class_ids=class_ids,
        new_classes=new_classes,
    )
    for source in siecle.learners:
        plan.learners.append(_plan_learner(source, existing.get(source.ine), enrolled, end))

    file_ines = {lr.ine for lr in siecle.learners} | {skip.ine for skip in siecle.skipped}
    absent = [
        SiecleLine(row.ine, row.family_name, row.first_name, row.code, None)
        for row in year_members
        if row.left_on is None and row.ine not in file_ines
    ]
    plan.preview = SieclePreview(
        school_year_label=label,
        school_year_is_new=plan.create_year,
        uaj=siecle.uaj,
        classes_to_create=tuple(new_classes),
        created=_sorted(p.line for p in plan.learners if p.learner_id is None),
        updated=_sorted(
            p.line for p in plan.learners if p.learner_id is not None and p.line.changes
        ),
        unchanged=_sorted(
            p.line for p in plan.learners if p.learner_id is not None and not p.line.changes
        ),
        skipped=siecle.skipped,
        absent=_sorted(absent),
        problems=tuple(problems),
    )
    return plan


def _resolve_year(siecle: SiecleFile, year_label: str | None, problems: list[str]) -> str:
    file_label = siecle.school_year_label
    if year_label is None:
        if file_label is None:
            raise ValidationError(
                "Le fichier SIECLE n'indique pas son année scolaire : "
                "précisez-la (par exemple 2025-2026)."
            )
        return file_label
    label = school_year_label(year_label)
    if file_label is not None and file_label != label:
        problems.append(
            f"Le fichier est celui de l'année {file_label}, "
            f"mais l'import est fait pour l'année {label} demandée."
        )
    return label


def _existing_learners(executor: _Executor, ines: Sequence[str]) -> dict[str, Any]:
    learner = models.Learner
    found: dict[str, Any] = {}
    for chunk in _chunks(sorted(set(ines)), CHUNK):
        for row in executor.execute(
            select(
                learner.id,
                learner.ine,
                learner.family_name,
                learner.first_name,
                learner.birth_date,
                learner.left_on,
            ).where(learner.ine.in_(chunk))
        ):
            found[row.ine] = row
    return found


def _plan_learner(
    source: SiecleLearner,
    row: Any,
    enrolled: dict[int, tuple[int, str]],
    year_end: dt.date,
) -> _LearnerPlan:
    values: dict[str, Any] = {
        "family_name": source.family_name,
        "first_name": source.first_name,
        "birth_date": source.birth_date,
        "left_on": source.left_on,
    }
    if row is None:
        line = SiecleLine(
            source.ine,
            source.family_name,
            source.first_name,
            source.division,
            source.left_on,
            (),
            source.eleve_id,
        )
        return _LearnerPlan(source, None, values, True, None, source.division is not None, line)

    changes: list[str] = []
    if row.family_name != source.family_name:
        changes.append(f"nom : {row.family_name} → {source.family_name}")
    if row.first_name != source.first_name:
        changes.append(f"prénom : {row.first_name or '(aucun)'} → {source.first_name or '(aucun)'}")
    if source.birth_date is None:
        values["birth_date"] = row.birth_date  # a date missing from the file erases nothing
    elif row.birth_date != source.birth_date:
        changes.append(f"date de naissance : {_date(row.birth_date)} → {_date(source.birth_date)}")
    if source.left_on is not None:
        if row.left_on is None:
            changes.append(f"sorti le {_date(source.left_on)}")
        elif row.left_on != source.left_on:
            changes.append(f"date de sortie : {_date(row.left_on)} → {_date(source.left_on)}")
    elif row.left_on is not None:
        if row.left_on <= year_end:
            changes.append(f"de retour (sortie du {_date(row.left_on)} annulée)")
        else:
            values["left_on"] = row.left_on  # an older file: they left since
    learner_changed = bool(changes)

    enrolment_id: int | None = None
    enrol = False
    current = enrolled.get(row.id)
    if current is not None:
        enrolment_id = current[0]
    if source.division is not None:
        if current is None:
            changes.append(f"inscription en {source.division}")
            enrol = True
        elif current[1] != source.division:
            changes.append(f"classe : {current[1]} → {source.division}")
            enrol = True
    line = SiecleLine(
        source.ine,
        source.family_name,
        source.first_name,
        source.division,
        values["left_on"],
        tuple(changes),
        source.eleve_id,
    )
    return _LearnerPlan(source, row.id, values, learner_changed, enrolment_id, enrol, line)


# -- writing ---------------------------------------------------------------------------


def _write(session: Session, plan: _Plan) -> None:
    """Bulk statements only: the year, the classes, the learners, the enrolments."""
    year_id = plan.year_id
    if plan.create_year:
        year_id = session.execute(
            insert(models.SchoolYear)
            .values(label=plan.year_label, start_date=plan.year_start, end_date=plan.year_end)
            .returning(models.SchoolYear.id)
        ).scalar_one()
        plan.year_id = year_id
    class_ids = dict(plan.class_ids)
    if plan.new_classes:
        cls = models.SchoolClass
        rows = [
            {
                "school_year_id": year_id,
                "code": code,
                "label": code,
                "grade": guess_grade(code),
                "specialty_id": None,
            }
            for code in plan.new_classes
        ]
        for class_id, code in session.execute(insert(cls).returning(cls.id, cls.code), rows):
            class_ids[code] = class_id

    learner = models.Learner
    changed = [
        {"id": p.learner_id, **p.values}
        for p in plan.learners
        if p.learner_id is not None and p.learner_changed
    ]
    new = [p for p in plan.learners if p.learner_id is None]
    if new:
        rows = [{"ine": p.source.ine, "specialty_id": None, **p.values} for p in new]
        ids = {
            ine: learner_id
            for learner_id, ine in session.execute(
                insert(learner).returning(learner.id, learner.ine), rows
            )
        }
        for p in new:
            p.learner_id = ids[p.source.ine]
    if changed:
        session.execute(update(learner), changed)

    enrolment = models.Enrolment
    to_insert = [
        {
            "learner_id": p.learner_id,
            "school_year_id": year_id,
            "class_id": class_ids[p.source.division],
        }
        for p in plan.learners
        if p.enrol and p.enrolment_id is None and p.source.division is not None
    ]
    if to_insert:
        session.execute(insert(enrolment), to_insert)
    moves = [
        {"id": p.enrolment_id, "class_id": class_ids[p.source.division]}
        for p in plan.learners
        if p.enrol and p.enrolment_id is not None and p.source.division is not None
    ]
    if moves:
        session.execute(update(enrolment), moves)


def _audit(session: Session, actor: Actor, plan: _Plan, source_name: str | None) -> None:
    preview = plan.preview
    details = f"année {plan.year_label}"
    if source_name:
        details += f", fichier {source_name}"
    if preview.uaj:
        details += f", UAJ {preview.uaj}"
    details += (
        f" : {len(preview.created)} créé(s), {len(preview.updated)} modifié(s), "
        f"{len(preview.unchanged)} inchangé(s), {len(preview.skipped)} ignoré(s), "
        f"{len(preview.left)} sorti(s), {len(preview.classes_to_create)} classe(s) créée(s)"
    )
    if preview.school_year_is_new:
        details += ", année scolaire créée"
    # Local time from Python, like the other audit events (SQLite's CURRENT_TIMESTAMP is UTC).
    session.execute(
        insert(models.AuditEvent).values(
            at=dt.datetime.now(),
            user_id=actor.user_id,
            actor=actor.display_name,
            action=IMPORT_ACTION,
            entity="school_year",
            entity_id=plan.year_id,
            details=details,
        )
    )


def _conflict(exc: IntegrityError | OperationalError) -> ConflictError | None:
    """A French conflict for a concurrent write; None for any other database failure."""
    if isinstance(exc, IntegrityError):
        return ConflictError(
            "Les apprenants ou les classes viennent d'être modifiés sur un autre poste "
            "(import simultané ?) : rien n'a été importé, recommencez."
        )
    if "locked" in str(exc.orig):
        return ConflictError(
            "L'import n'a pas pu être enregistré : la base est occupée, recommencez."
        )
    return None


# -- helpers ---------------------------------------------------------------------------


def _chunks(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for index in range(0, len(items), size):
        yield items[index : index + size]


def _sorted(lines: Iterable[SiecleLine]) -> tuple[SiecleLine, ...]:
    # Sorted here, not in SQL: SQLite and PostgreSQL collate accents differently.
    return tuple(
        sorted(
            lines,
            key=lambda line: (sort_key(line.family_name), sort_key(line.first_name), line.ine),
        )
    )


def _date(value: dt.date | None) -> str:
    return value.strftime("%d/%m/%Y") if value is not None else "(aucune)"


def _line_text(line: SiecleLine) -> str:
    text = f"{line.display_name} (INE {line.ine}"
    text += f", {line.division})" if line.division else ", sans division)"
    if line.left_on is not None:
        text += f", sorti le {_date(line.left_on)}"
    return text


def _section(title: str, items: list[str], limit: int | None) -> list[str]:
    if not items:
        return []
    shown = items if limit is None else items[:limit]
    lines = [title, *(f"  - {item}" for item in shown)]
    if len(shown) < len(items):
        lines.append(f"  … et {len(items) - len(shown)} autre(s)")
    return lines


def _count(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count < 2 else plural}"
