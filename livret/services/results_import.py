"""Import evaluation results from a CSV or XLSX file: check, then apply, all or nothing.

The file is parsed by livret.exchange.results_file; here it is checked against the
database: every INE must name a learner and every critère a criterion (two
set-based queries, whatever the number of lines). Lines sharing date + nature +
titre form one evaluation: a new one, or the existing evaluation with exactly that
date, nature and title, which is then completed: a result already there for the
same learner and criterion is updated (its comment too when the file has the
commentaire column; an empty cell clears it), never duplicated. Several existing
evaluations with that date, nature and title are ambiguous: the lines are refused.

A new evaluation gets the class its learners share in the school year of its date,
when they all share one; its author is the importing user.

apply() checks again inside its transaction and writes nothing when there is any
problem: the refusal (ResultsImportRefused, a ValidationError) carries the report,
which lists every problem with its line number, in French. Writing is bulk (Core
executemany), with one audit event.

Results added inside a learner's closed period (dated on or before their latest
final bilan: the evidence it was built on) are not a problem of the file, but they
need the same confirmation as the evaluation editor asks: apply() raises
CoveredByFinalBilan, naming those learners, unless confirm_covered=True, and then
leaves one more audit event per evaluation concerned (ADDED_AFTER_FINAL_ACTION).
Changing a result a final bilan covers stays refused outright.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from sqlalchemy import Connection, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError, SQLAlchemyError
from sqlalchemy.orm import InstrumentedAttribute, Session

from livret.domain.errors import ConflictError, ValidationError
from livret.domain.permissions import Action, require_all
from livret.domain.roles import Actor
from livret.exchange import results_file as results_format
from livret.exchange.results_file import Problem, ResultRow, ResultsFile
from livret.services.change_log import note_change
from livret.services.database import Database
from livret.services.evaluation_changes import audit_added_after_final
from livret.services.evaluation_dto import CoveredByFinalBilan, CoveredLearner, covered_summary
from livret.services.evaluation_queries import read_covered
from livret.storage import models
from livret.storage.bulk import bulk_insert

_log = logging.getLogger(__name__)

IMPORT_ACTION = "results_import"
IN_CHUNK = 5_000
"""Values per IN (…) list: well under SQLite's and PostgreSQL's bound-parameter limits."""
WRITE_CHUNK = 20_000
"""Rows per executemany call (bounds the memory of one call)."""
PROGRESS_EVERY = 5_000
"""Lines checked between two progress reports."""
ANALYZE_THRESHOLD = 10_000
"""PostgreSQL: results written from this many on, VACUUM ANALYZE refreshes the planner's
statistics and the visibility map."""

CLOSED_PERIOD_ASK = "Confirmez pour importer quand même : l'ajout sera tracé dans le journal."
"""The request ending the closed-period refusal (the CLI names its flag instead)."""

ProgressCallback = Callable[[int, int], None]
"""progress(done, total): lines checked so far, out of the file's lines."""

_Executor = Session | Connection
_Key = tuple[dt.date, str, str]
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class ResultsImportReport:
    """What the import will do (check) or did (apply), or why it cannot."""

    file_name: str
    format_label: str
    lines: int
    """Result lines read in the file."""
    evaluations_created: int
    evaluations_completed: int
    """Existing evaluations that receive results."""
    results_created: int
    results_updated: int
    """Results already present for that learner and criterion (including unchanged ones)."""
    results_unchanged: int
    """Among the updated: those whose level (and comment) were already the file's."""
    problems: tuple[str, ...]
    """Every problem, "Ligne N : …", in line order; empty when the file can be imported."""
    notes: tuple[str, ...]
    applied: bool
    """True once written to the database."""
    covered: tuple[CoveredLearner, ...] = ()
    """Learners who get results inside their closed period (needs confirm_covered)."""
    covered_results: int = 0
    """How many of the results to create fall in those closed periods."""

    @property
    def ok(self) -> bool:
        return not self.problems

    def summary(self) -> str:
        """A few French lines: the file, then what is (to be) written, or the refusal."""
        lines = [
            f"Fichier « {self.file_name} » ({self.format_label}) : "
            f"{_count(self.lines, 'ligne de résultat', 'lignes de résultats')}."
        ]
        if self.problems:
            lines.append(
                f"Import refusé : {_count(len(self.problems), 'problème', 'problèmes')}, "
                "rien n'a été enregistré."
            )
        else:
            if self.applied:
                created = _count(self.evaluations_created, "créée", "créées")
                completed = _count(
                    self.evaluations_completed, "existante complétée", "existantes complétées"
                )
                results = _count(self.results_created, "créé", "créés")
                updated = f"{self.results_updated} mis à jour"
            else:
                created = f"{self.evaluations_created} à créer"
                completed = _count(
                    self.evaluations_completed, "existante à compléter", "existantes à compléter"
                )
                results = f"{self.results_created} à créer"
                updated = f"{self.results_updated} à mettre à jour"
            if self.results_unchanged:
                updated += f" (dont {self.results_unchanged} sans changement)"
            lines.append(f"Évaluations : {created}, {completed}.")
            lines.append(f"Résultats : {results}, {updated}.")
            if self.covered:
                lines.append(self.closed_period_note())
        lines.extend(self.notes)
        return "\n".join(lines)

    def closed_period_note(self) -> str:
        """The line on results added inside closed periods ('' when there are none)."""
        if not self.covered:
            return ""
        results = _count(self.covered_results, "résultat", "résultats")
        if self.applied:
            return (
                f"Période close : {results} ajouté(s) avant le bilan définitif de "
                f"{covered_summary(self.covered)} (tracé dans le journal)."
            )
        return (
            f"Période close : {results} à ajouter avant le bilan définitif de "
            f"{covered_summary(self.covered)}. L'import devra être confirmé et sera tracé "
            "dans le journal."
        )

    def text(self) -> str:
        """The summary followed by every problem, one per line."""
        return "\n".join([self.summary(), *self.problems])


class ResultsImportRefused(ValidationError):
    """The file has problems: nothing was written. `report` lists them all."""

    def __init__(self, report: ResultsImportReport) -> None:
        super().__init__(report.text())
        self.report = report


@dataclass
class _Plan:
    """What the file means against the database; the rows to write when it has no problem."""

    problems: list[Problem]
    new_evaluations: list[dict[str, Any]] = field(default_factory=list)
    completed: set[int] = field(default_factory=set)
    # (existing evaluation id, or -1 - index in new_evaluations), learner, criterion, level, comment
    inserts: list[tuple[int, int, int, str, str | None]] = field(default_factory=list)
    updates: list[dict[str, Any]] = field(default_factory=list)
    """Results already present whose level or comment changes."""
    unchanged: int = 0
    """Results already present exactly as in the file: counted as updated, not written."""
    updated_learners: set[int] = field(default_factory=set)
    """Learners whose results `updates` changes (the other open apps refresh them)."""
    covered_added: dict[int, dict[int, int]] = field(default_factory=dict)
    """Evaluation (as in `inserts`) → learner → results inserted in that learner's closed period."""
    covered_keys: dict[int, _Key] = field(default_factory=dict)
    """The date, nature and title of each evaluation of covered_added."""
    covered: tuple[CoveredLearner, ...] = ()
    """The learners of covered_added, by name (with their latest final bilan's date)."""


class ResultsImportService:
    """Check or apply a results file; each public method is one snapshot or one transaction."""

    def __init__(self, database: Database, actor: Actor) -> None:
        self._database = database
        self._actor = actor

    @staticmethod
    def check_size(size: int, name: str) -> None:
        """Refuse a file (named `name`) of `size` bytes when over the limit (French error).

        For a reader that knows the size before reading, or watches it grow.
        """
        results_format.check_size(size, name)

    @staticmethod
    def read(data: bytes, name: str) -> ResultsFile:
        """Parse a CSV or XLSX file's bytes (chosen by content, else name); French refusals.

        Nothing is written and no permission is needed: it is the file, not the base.
        """
        return results_format.read_results(data, name)

    def check(
        self, results_file: ResultsFile, progress: ProgressCallback | None = None
    ) -> ResultsImportReport:
        """What apply would do, and every problem; nothing is written.

        `progress(done, total)` is called every few thousand lines checked; an exception
        it raises (the user cancelled) stops the check, which wrote nothing anyway.
        """
        require_all(self._actor, Action.IMPORT_RESULTS)
        with self._database.snapshot() as connection:
            plan = _plan(connection, results_file, self._actor, progress)
        return _report(results_file, plan, applied=False)

    def apply(
        self, results_file: ResultsFile, *, confirm_covered: bool = False
    ) -> ResultsImportReport:
        """Write the whole file in one transaction, or nothing (ResultsImportRefused).

        Results added inside a learner's closed period raise CoveredByFinalBilan (its
        `covered` names the learners) unless confirm_covered; nothing is written then.
        """
        require_all(self._actor, Action.IMPORT_RESULTS)
        try:
            with self._database.transaction() as session:
                plan = _plan(session, results_file, self._actor)
                report = _report(results_file, plan, applied=True)
                if plan.problems:
                    raise ResultsImportRefused(_report(results_file, plan, applied=False))
                if plan.covered and not confirm_covered:
                    raise CoveredByFinalBilan(_closed_period_message(plan), plan.covered)
                evaluation_ids = _write(session, plan)
                _audit(session, self._actor, report)
                _audit_closed_periods(session, self._actor, plan, evaluation_ids)
                touched = plan.updated_learners | {row[1] for row in plan.inserts}
                note_change(session, self._database, self._actor, "import", learner_ids=touched)
        except (IntegrityError, OperationalError) as exc:
            conflict = _conflict(exc)
            if conflict is None:
                raise
            raise conflict from None
        if len(plan.inserts) + len(plan.updates) >= ANALYZE_THRESHOLD:
            _analyze(self._database)
        return report


# -- checking --------------------------------------------------------------------------


def _plan(
    executor: _Executor,
    results_file: ResultsFile,
    actor: Actor,
    progress: ProgressCallback | None = None,
) -> _Plan:
    rows = results_file.rows
    total = len(rows)
    learners = _ids_by_code(executor, models.Learner.ine, models.Learner.id, _present(rows, "ine"))
    criteria = _ids_by_code(
        executor, models.Criterion.code, models.Criterion.id, _present(rows, "criterion")
    )
    plan = _Plan(problems=list(results_file.problems))
    db_problems: list[Problem] = []
    groups: dict[_Key, list[tuple[ResultRow, int, int, str]]] = defaultdict(list)
    for index, row in enumerate(rows):
        if progress is not None and index % PROGRESS_EVERY == 0:
            progress(index, total)
        learner_id = criterion_id = None
        if row.ine is not None:
            learner_id = learners.get(row.ine)
            if learner_id is None:
                db_problems.append(Problem(row.line, f"INE « {row.ine} » inconnu."))
        if row.criterion is not None:
            criterion_id = criteria.get(row.criterion)
            if criterion_id is None:
                db_problems.append(Problem(row.line, f"critère « {row.criterion} » inconnu."))
        key = row.evaluation_key
        if key is not None and learner_id is not None and criterion_id is not None and row.level:
            groups[key].append((row, learner_id, criterion_id, row.level))

    existing = _existing_evaluations(executor, {key[0] for key in groups})
    matched: dict[_Key, int] = {}
    for key, items in groups.items():
        candidates = existing.get(key, [])
        if len(candidates) == 1:
            matched[key] = candidates[0]
        elif len(candidates) > 1:
            day, nature, title = key
            db_problems.append(
                Problem(
                    items[0][0].line,
                    f"{len(candidates)} évaluations « {title} » ({nature}) du "
                    f"{day.strftime('%d/%m/%Y')} existent déjà : impossible de savoir laquelle "
                    "compléter (donnez un autre titre dans le fichier).",
                )
            )
    plan.problems.extend(db_problems)
    plan.problems.sort(key=lambda problem: problem.line)  # stable: file problems first
    stored = _existing_results(executor, matched.values())
    classes = _classes_by_learner(
        executor, {item[1] for key, items in groups.items() if key not in matched for item in items}
    )
    keep_comment = not results_file.has_comment_column
    # Every learner of the file: adding results in a closed period needs a confirmation.
    closed_until = _last_final_dates(
        executor, {item[1] for items in groups.values() for item in items}
    )
    covered_since: dict[int, dt.date] = {}
    for key, items in groups.items():
        evaluation_id = matched.get(key)
        if evaluation_id is None and key in existing:
            continue  # ambiguous: reported above
        if evaluation_id is None:
            evaluation_id = -1 - len(plan.new_evaluations)
            day, nature, title = key
            plan.new_evaluations.append(
                {
                    "nature": nature,
                    "eval_date": day,
                    "title": title,
                    "context": "",
                    "class_id": _shared_class(classes, {item[1] for item in items}, day),
                    "author_id": actor.user_id,
                }
            )
        else:
            plan.completed.add(evaluation_id)
        for row, learner_id, criterion_id, level in items:
            present = stored.get((evaluation_id, learner_id, criterion_id))
            if present is None:
                plan.inserts.append((evaluation_id, learner_id, criterion_id, level, row.comment))
                if (last := closed_until.get(learner_id)) is not None and key[0] <= last:
                    added = plan.covered_added.setdefault(evaluation_id, {})
                    plan.covered_keys[evaluation_id] = key
                    added[learner_id] = added.get(learner_id, 0) + 1
                    covered_since[learner_id] = min(key[0], covered_since.get(learner_id, key[0]))
                continue
            result_id, old_level, old_comment = present
            comment = old_comment if keep_comment else row.comment
            if old_level == level and old_comment == comment:
                plan.unchanged += 1
            elif (last := closed_until.get(learner_id)) is not None and key[0] <= last:
                # Evidence of a final bilan: changed only through the evaluation itself,
                # with its confirmation and audit, never silently by an import.
                plan.problems.append(
                    Problem(
                        row.line,
                        f"résultat déjà pris en compte par un bilan définitif "
                        f"(du {last.strftime('%d/%m/%Y')}) : un import ne le modifie pas.",
                    )
                )
            else:
                plan.updates.append(
                    {"result_id": result_id, "new_level": level, "new_comment": comment}
                )
                plan.updated_learners.add(learner_id)
    plan.problems.sort(key=lambda problem: problem.line)
    if covered_since and not plan.problems:
        plan.covered = read_covered(executor, covered_since)
    if progress is not None:
        progress(total, total)
    return plan


def _present(rows: Sequence[ResultRow], attribute: str) -> set[str]:
    return {value for row in rows if (value := getattr(row, attribute)) is not None}


def _chunks(values: Iterable[_T], size: int = IN_CHUNK) -> Iterator[list[_T]]:
    chunk: list[_T] = []
    for value in values:
        chunk.append(value)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _ids_by_code(
    executor: _Executor,
    code: InstrumentedAttribute[str],
    identifier: InstrumentedAttribute[int],
    wanted: set[str],
) -> dict[str, int]:
    """{code in capitals: id} for the wanted codes (already in capitals) that exist."""
    found: dict[str, int] = {}
    for chunk in _chunks(sorted(wanted)):
        capitals = func.upper(code)
        for value, row_id in executor.execute(
            select(capitals, identifier).where(capitals.in_(chunk))
        ):
            found.setdefault(value, row_id)
    return found


def _existing_evaluations(executor: _Executor, days: set[dt.date]) -> dict[_Key, list[int]]:
    evaluation = models.Evaluation
    existing: dict[_Key, list[int]] = defaultdict(list)
    for chunk in _chunks(sorted(days)):
        for row_id, day, nature, title in executor.execute(
            select(evaluation.id, evaluation.eval_date, evaluation.nature, evaluation.title)
            .where(evaluation.eval_date.in_(chunk))
            .order_by(evaluation.id)
        ):
            existing[(day, nature, title)].append(row_id)
    return existing


def _existing_results(
    executor: _Executor, evaluation_ids: Iterable[int]
) -> dict[tuple[int, int, int], tuple[int, str, str | None]]:
    result = models.Result
    stored: dict[tuple[int, int, int], tuple[int, str, str | None]] = {}
    for chunk in _chunks(sorted(set(evaluation_ids))):
        for row_id, evaluation_id, learner_id, criterion_id, level, comment in executor.execute(
            select(
                result.id,
                result.evaluation_id,
                result.learner_id,
                result.criterion_id,
                result.level,
                result.comment,
            ).where(result.evaluation_id.in_(chunk))
        ):
            stored[(evaluation_id, learner_id, criterion_id)] = (row_id, level, comment)
    return stored


_Enrolments = dict[int, list[tuple[dt.date, dt.date, int]]]


def _last_final_dates(executor: _Executor, learner_ids: set[int]) -> dict[int, dt.date]:
    """Each learner's latest final bilan date: results up to it belong to a closed period."""
    bilan = models.Bilan
    dates: dict[int, dt.date] = {}
    for chunk in _chunks(sorted(learner_ids)):
        for learner_id, day in executor.execute(
            select(bilan.learner_id, func.max(bilan.bilan_date))
            .where(bilan.status == "final", bilan.learner_id.in_(chunk))
            .group_by(bilan.learner_id)
        ):
            dates[learner_id] = day
    return dates


def _classes_by_learner(executor: _Executor, learner_ids: set[int]) -> _Enrolments:
    """Each learner's classes, with the dates of their school years."""
    enrolment, school_year = models.Enrolment, models.SchoolYear
    classes: _Enrolments = defaultdict(list)
    for chunk in _chunks(sorted(learner_ids)):
        for learner_id, start, end, class_id in executor.execute(
            select(
                enrolment.learner_id,
                school_year.start_date,
                school_year.end_date,
                enrolment.class_id,
            )
            .join(school_year, school_year.id == enrolment.school_year_id)
            .where(enrolment.learner_id.in_(chunk))
        ):
            classes[learner_id].append((start, end, class_id))
    return classes


def _shared_class(classes: _Enrolments, learner_ids: set[int], day: dt.date) -> int | None:
    """The class all these learners were in on that day, if there is exactly one."""
    found: set[int | None] = set()
    for learner_id in learner_ids:
        found.add(
            next(
                (
                    class_id
                    for start, end, class_id in classes.get(learner_id, ())
                    if start <= day <= end
                ),
                None,
            )
        )
        if len(found) > 1:
            return None
    return found.pop() if found else None


def _report(results_file: ResultsFile, plan: _Plan, *, applied: bool) -> ResultsImportReport:
    return ResultsImportReport(
        file_name=results_file.file_name,
        format_label=results_file.format_label,
        lines=results_file.line_count,
        evaluations_created=len(plan.new_evaluations),
        evaluations_completed=len(plan.completed),
        results_created=len(plan.inserts),
        results_updated=len(plan.updates) + plan.unchanged,
        results_unchanged=plan.unchanged,
        problems=tuple(str(problem) for problem in plan.problems),
        notes=results_file.notes,
        applied=applied and not plan.problems,
        covered=plan.covered,
        covered_results=sum(sum(added.values()) for added in plan.covered_added.values()),
    )


def _closed_period_message(plan: _Plan) -> str:
    count = sum(sum(added.values()) for added in plan.covered_added.values())
    return (
        f"L'import ajoute {_count(count, 'résultat', 'résultats')} dans une période close, "
        f"déjà couverte par un bilan définitif pour {covered_summary(plan.covered)}. "
        f"{CLOSED_PERIOD_ASK} Rien n'a été enregistré."
    )


# -- writing ---------------------------------------------------------------------------


def _write(session: Session, plan: _Plan) -> list[int]:
    """Insert and update everything; returns the ids of the new evaluations, in order."""
    evaluation = models.Base.metadata.tables["evaluation"]
    result = models.Base.metadata.tables["result"]
    new_ids: list[int] = []
    if plan.new_evaluations:
        # One batched INSERT … RETURNING, ids in the order of the rows (SQLite and PostgreSQL).
        new_ids = list(
            session.scalars(
                insert(evaluation).returning(evaluation.c.id, sort_by_parameter_order=True),
                plan.new_evaluations,
            )
        )
    # COPY on PostgreSQL, executemany on SQLite; same transaction either way.
    bulk_insert(
        session,
        result,
        [
            {
                "evaluation_id": new_ids[-1 - evaluation_id]
                if evaluation_id < 0
                else evaluation_id,
                "learner_id": learner_id,
                "criterion_id": criterion_id,
                "level": level,
                "comment": comment,
            }
            for evaluation_id, learner_id, criterion_id, level, comment in plan.inserts
        ],
        chunk=WRITE_CHUNK,
        plain_values=True,  # ids, level codes and comments
    )
    statement = (
        update(result)
        .where(result.c.id == bindparam("result_id"))
        .values(level=bindparam("new_level"), comment=bindparam("new_comment"))
    )
    for changes in _chunks(plan.updates, WRITE_CHUNK):
        session.execute(statement, changes)
    return new_ids


def _audit_closed_periods(
    session: Session, actor: Actor, plan: _Plan, new_ids: Sequence[int]
) -> None:
    """One event per evaluation that got results inside closed periods (confirmed)."""
    for reference, added in plan.covered_added.items():
        day, nature, title = plan.covered_keys[reference]
        audit_added_after_final(
            session,
            actor,
            new_ids[-1 - reference] if reference < 0 else reference,
            f"{nature} « {title} » du {day.strftime('%d/%m/%Y')} (import)",
            [learner for learner in plan.covered if learner.learner_id in added],
            added,
        )


def _audit(session: Session, actor: Actor, report: ResultsImportReport) -> None:
    details = (
        f"fichier « {report.file_name} » : {_count(report.lines, 'ligne', 'lignes')}, "
        f"{_count(report.evaluations_created, 'évaluation créée', 'évaluations créées')}, "
        f"{_count(report.evaluations_completed, 'complétée', 'complétées')}, "
        f"{_count(report.results_created, 'résultat créé', 'résultats créés')}, "
        f"{report.results_updated} mis à jour"
    )
    session.execute(
        insert(models.AuditEvent).values(
            at=dt.datetime.now(),
            user_id=actor.user_id,
            actor=actor.display_name,
            action=IMPORT_ACTION,
            entity="evaluation",
            entity_id=None,
            details=details,
        )
    )


def _analyze(database: Database) -> None:
    """After a big import on PostgreSQL: fresh statistics and visibility, so that plans stay right.

    Autovacuum would get there some time later (never, on a server where it is off);
    until then a learner's dashboard could be planned on the table's size before the
    import, and the class overview's counts, read from `ix_result_learner_levels`, would
    visit the table's page of every new row: VACUUM marks the new pages all-visible, so
    the index alone answers (42 ms against 8 ms for the biggest class of an
    establishment, bench/README.md). VACUUM runs outside a transaction, after the commit
    (the import is kept whatever happens here); SQLite needs neither.
    """
    if database.engine.dialect.name != "postgresql":
        return
    try:
        with database.engine.connect().execution_options(
            isolation_level="AUTOCOMMIT"
        ) as connection:
            # A user who does not own the tables gets a warning from the server, not an error.
            connection.exec_driver_sql("VACUUM (ANALYZE) evaluation, result")
    except SQLAlchemyError:
        _log.warning("VACUUM ANALYZE after the results import failed", exc_info=True)


def _conflict(exc: IntegrityError | OperationalError) -> ConflictError | None:
    """A French conflict for a concurrent write; None for any other database failure."""
    if isinstance(exc, IntegrityError):
        return ConflictError(
            "Des résultats viennent d'être saisis sur un autre poste pendant l'import : "
            "rien n'a été enregistré, recommencez."
        )
    if "locked" in str(exc.orig):
        return ConflictError(
            "La base est occupée par un autre poste : rien n'a été enregistré, recommencez."
        )
    return None


def _count(count: int, singular: str, plural: str) -> str:
    return f"{count} {singular if count < 2 else plural}"
