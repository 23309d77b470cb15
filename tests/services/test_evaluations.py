"""EvaluationService: the criteria tree, a new evaluation saved with its grid, changes, deletes."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import text

from livret.domain.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from livret.domain.roles import Actor, Role
from livret.services.bilans import CONFIRMATION_WORD, BilanService
from livret.services.database import Database
from livret.services.evaluations import (
    ADDED_AFTER_FINAL_ACTION,
    CHANGED_AFTER_FINAL_ACTION,
    CREATED_ACTION,
    DELETED_ACTION,
    DELETED_AFTER_FINAL_ACTION,
    UPDATED_ACTION,
    CoveredByFinalBilan,
    EvaluationDraft,
    EvaluationService,
    GridResult,
)
from livret.services.users import command_line_actor
from tests.demo_queries import learner_with


def as_date(value: object) -> dt.date:
    """A date from a raw SQL row (SQLite gives text, PostgreSQL a date)."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def counts(database: Database) -> tuple[int, int, int]:
    with database.engine.connect() as connection:
        return tuple(
            connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in ("evaluation", "result", "audit_event")
        )


def ids(database: Database) -> tuple[list[int], dict[str, int], int]:
    """Two learners of one class, the criteria ids by code, and that class."""
    with database.engine.connect() as connection:
        (class_id,) = connection.execute(
            text("SELECT class_id FROM enrolment ORDER BY class_id LIMIT 1")
        ).one()
        learners = list(
            connection.execute(
                text("SELECT learner_id FROM enrolment WHERE class_id = :c ORDER BY learner_id"),
                {"c": class_id},
            ).scalars()
        )[:2]
        criteria = {
            code: id_ for code, id_ in connection.execute(text("SELECT code, id FROM criterion"))
        }
    return learners, criteria, class_id


@pytest.fixture
def service(demo_database: Database) -> EvaluationService:
    return EvaluationService(demo_database, command_line_actor(demo_database))


def test_criteria_tree_lists_every_criterion_with_its_cc(
    service: EvaluationService, demo_database: Database
) -> None:
    tree = service.criteria_tree()
    assert tree[0].code == "PLP"
    items = {
        item.code: item
        for specialty in tree
        for competency in specialty.competencies
        for item in competency.criteria
    }
    with demo_database.engine.connect() as connection:
        total = connection.execute(text("SELECT count(*) FROM criterion")).scalar_one()
    assert len(items) == total
    item = items["PLP-CP03-04"]
    assert item.cc_code.startswith("CC")
    assert item.text
    competency = next(c for c in tree[0].competencies if c.code == "CP03")
    assert "PLP-CP03-04" in [c.code for c in competency.criteria]


def draft_for(database: Database, **changes: Any) -> EvaluationDraft:
    learners, criteria, class_id = ids(database)
    a, b = criteria["PLP-CP03-04"], criteria["PLP-CP03-01"]
    draft = EvaluationDraft(
        nature="E",
        eval_date=dt.date.today() - dt.timedelta(days=1),
        title="  Remplacement d'un roulement — « atelier »  ",
        context="Sur banc",
        class_id=class_id,
        company="Méca Œuvre SARL",
        tutor="M. Dupré",
        pfmp_start=dt.date(2026, 1, 5),
        pfmp_end=dt.date(2026, 1, 30),
        results=(
            GridResult(learners[0], a, "3", "Très soigné ; « œil » sûr"),
            GridResult(learners[0], b, "++"),
            GridResult(learners[1], a, "ABS", "  "),
            GridResult(learners[1], b, "NE"),
        ),
    )
    return dataclasses.replace(draft, **changes)


def test_create_writes_evaluation_results_and_audit(
    service: EvaluationService, demo_database: Database
) -> None:
    before = counts(demo_database)
    draft = draft_for(demo_database)
    evaluation_id = service.create(draft)
    assert counts(demo_database) == (before[0] + 1, before[1] + 4, before[2] + 1)
    with demo_database.engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT nature, eval_date, title, context, class_id, company, tutor, "
                "pfmp_start, pfmp_end, author_id FROM evaluation WHERE id = :id"
            ),
            {"id": evaluation_id},
        ).one()
        results = {
            (learner, criterion): (level, comment)
            for learner, criterion, level, comment in connection.execute(
                text(
                    "SELECT learner_id, criterion_id, level, comment FROM result "
                    "WHERE evaluation_id = :id"
                ),
                {"id": evaluation_id},
            )
        }
        audit = connection.execute(
            text("SELECT action, entity, details FROM audit_event ORDER BY id DESC LIMIT 1")
        ).one()
    assert row.nature == "E"
    assert as_date(row.eval_date) == draft.eval_date
    assert row.title == "Remplacement d'un roulement — « atelier »"
    assert (row.context, row.class_id, row.company, row.tutor) == (
        "Sur banc",
        draft.class_id,
        "Méca Œuvre SARL",
        "M. Dupré",
    )
    assert (as_date(row.pfmp_start), as_date(row.pfmp_end)) == (draft.pfmp_start, draft.pfmp_end)
    assert row.author_id == service.actor.user_id
    r = draft.results
    assert results == {
        (r[0].learner_id, r[0].criterion_id): ("3", "Très soigné ; « œil » sûr"),
        (r[1].learner_id, r[1].criterion_id): ("4", None),
        (r[2].learner_id, r[2].criterion_id): ("ABS", None),
        (r[3].learner_id, r[3].criterion_id): ("NE", None),
    }
    assert (audit.action, audit.entity) == (CREATED_ACTION, "evaluation")
    assert "4 résultat" in audit.details


def test_formation_drops_company_fields(
    service: EvaluationService, demo_database: Database
) -> None:
    evaluation_id = service.create(draft_for(demo_database, nature="f", class_id=None))
    with demo_database.engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT nature, company, tutor, pfmp_start, class_id FROM evaluation WHERE id = :i"
            ),
            {"i": evaluation_id},
        ).one()
    assert tuple(row) == ("F", None, None, None, None)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"nature": "X"}, "Nature inconnue"),
        ({"title": "   "}, "titre"),
        ({"eval_date": dt.date.today() + dt.timedelta(days=1)}, "dans le futur"),
        ({"company": " "}, "entreprise"),
        ({"pfmp_end": dt.date(2026, 1, 1)}, "PFMP"),
        ({"results": ()}, "au moins un résultat"),
        ({"class_id": 999_999}, "Classe introuvable"),
    ],
)
def test_invalid_drafts_write_nothing(
    service: EvaluationService, demo_database: Database, changes: dict[str, Any], message: str
) -> None:
    before = counts(demo_database)
    with pytest.raises(ValidationError, match=message) as refused:
        service.create(draft_for(demo_database, **changes))
    assert "Rien n'a été enregistré" in refused.value.message or "rien n'a" in refused.value.message
    assert counts(demo_database) == before


def test_bad_level_unknown_learner_or_criterion_or_duplicate_write_nothing(
    service: EvaluationService, demo_database: Database
) -> None:
    before = counts(demo_database)
    good = draft_for(demo_database)
    first = good.results[0]
    for results, message in [
        ((*good.results, GridResult(first.learner_id, 999_999, "2")), "Critère introuvable"),
        ((*good.results, GridResult(999_999, first.criterion_id, "2")), "Apprenant introuvable"),
        ((dataclasses.replace(first, level="5"), *good.results[1:]), "Niveau inconnu"),
        ((*good.results, first), "en double"),
    ]:
        with pytest.raises(ValidationError, match=message):
            service.create(dataclasses.replace(good, results=results))
    assert counts(demo_database) == before


def test_a_learner_may_not_create_an_evaluation(demo_database: Database) -> None:
    before = counts(demo_database)
    learner = Actor(user_id=None, display_name="x", role=Role.LEARNER)
    with pytest.raises(PermissionDenied):
        EvaluationService(demo_database, learner).create(draft_for(demo_database))
    assert counts(demo_database) == before


# -- changing and deleting an evaluation -----------------------------------------------


def stored(database: Database, evaluation_id: int) -> tuple[Any, dict[tuple[int, int], Any]]:
    """The evaluation's row and its results by (learner, criterion)."""
    with database.engine.connect() as connection:
        row = connection.execute(
            text(
                "SELECT nature, eval_date, title, context, class_id, company, tutor, "
                "pfmp_start, pfmp_end, author_id FROM evaluation WHERE id = :id"
            ),
            {"id": evaluation_id},
        ).one_or_none()
        results = {
            (learner, criterion): (level, comment)
            for learner, criterion, level, comment in connection.execute(
                text(
                    "SELECT learner_id, criterion_id, level, comment FROM result "
                    "WHERE evaluation_id = :id"
                ),
                {"id": evaluation_id},
            )
        }
    return row, results


def audit_of(database: Database, evaluation_id: int) -> list[tuple[str, str]]:
    """(action, details) of the evaluation's audit events, oldest first."""
    with database.engine.connect() as connection:
        return [
            (action, details)
            for action, details in connection.execute(
                text(
                    "SELECT action, details FROM audit_event "
                    "WHERE entity = 'evaluation' AND entity_id = :id ORDER BY id"
                ),
                {"id": evaluation_id},
            )
        ]


def final_bilan_learners(database: Database) -> tuple[int, dt.date, int, int]:
    """A learner with one final bilan (and its date), one with none, and the class of the first."""
    with database.engine.connect() as connection:
        closed, day = connection.execute(
            text(
                "SELECT learner_id, max(bilan_date) FROM bilan WHERE status = 'final' "
                "GROUP BY learner_id HAVING count(*) = 1 ORDER BY learner_id LIMIT 1"
            )
        ).one()
        open_ = connection.execute(
            text(
                "SELECT id FROM learner WHERE id NOT IN "
                "(SELECT learner_id FROM bilan WHERE status = 'final') ORDER BY id LIMIT 1"
            )
        ).scalar_one()
        class_id = connection.execute(
            text("SELECT class_id FROM enrolment WHERE learner_id = :l ORDER BY class_id LIMIT 1"),
            {"l": closed},
        ).scalar_one()
    return closed, as_date(day), open_, class_id


@pytest.fixture
def covered_evaluation(
    service: EvaluationService, demo_database: Database
) -> tuple[int, int, int, dt.date]:
    """An evaluation dated on the day of a learner's final bilan, with a learner who has none.

    Returns the evaluation id, the covered learner, the other one, and the bilan date.
    """
    closed, day, open_, class_id = final_bilan_learners(demo_database)
    _, criteria, _ = ids(demo_database)
    a, b = criteria["PLP-CP03-04"], criteria["PLP-CP03-01"]
    evaluation_id = service.create(
        EvaluationDraft(
            nature="F",
            eval_date=day,
            title="Lignage d'un moteur",
            class_id=class_id,
            results=(
                GridResult(closed, a, "3"),
                GridResult(closed, b, "2"),
                GridResult(open_, a, "1"),
            ),
        ),
        confirm_covered=True,  # dated inside the closed period: confirmed, as in the dialog
    )
    return evaluation_id, closed, open_, day


def test_load_gives_back_the_evaluation_as_a_draft(
    service: EvaluationService, demo_database: Database
) -> None:
    draft = draft_for(demo_database, eval_date=dt.date.today())
    evaluation_id = service.create(draft)
    details = service.load(evaluation_id)
    assert details.id == evaluation_id
    assert details.author == service.actor.display_name
    loaded = details.draft
    assert loaded.title == "Remplacement d'un roulement — « atelier »"
    assert (loaded.nature, loaded.eval_date, loaded.context, loaded.class_id) == (
        "E",
        draft.eval_date,
        "Sur banc",
        draft.class_id,
    )
    assert (loaded.company, loaded.tutor, loaded.pfmp_start, loaded.pfmp_end) == (
        "Méca Œuvre SARL",
        "M. Dupré",
        draft.pfmp_start,
        draft.pfmp_end,
    )
    r = draft.results
    assert {(g.learner_id, g.criterion_id): (g.level, g.comment) for g in loaded.results} == {
        (r[0].learner_id, r[0].criterion_id): ("3", "Très soigné ; « œil » sûr"),
        (r[1].learner_id, r[1].criterion_id): ("4", None),
        (r[2].learner_id, r[2].criterion_id): ("ABS", None),
        (r[3].learner_id, r[3].criterion_id): ("NE", None),
    }
    assert {learner.id for learner in details.learners} == {r[0].learner_id, r[2].learner_id}
    # Référentiel order, as in the tree: CP03-01 before CP03-04.
    assert [c.code for c in details.criteria] == ["PLP-CP03-01", "PLP-CP03-04"]
    assert details.covered == ()
    # Sent back unchanged, it changes nothing and writes nothing.
    before = counts(demo_database)
    change = service.update(evaluation_id, loaded)
    assert not change.changed
    assert counts(demo_database) == before


def test_update_replaces_fields_and_results(
    service: EvaluationService, demo_database: Database
) -> None:
    draft = draft_for(demo_database, eval_date=dt.date.today())
    evaluation_id = service.create(draft)
    first, second, _removed, fourth = draft.results
    learners, criteria, _ = ids(demo_database)
    extra = criteria["PLP-CP04-02"]
    before = counts(demo_database)

    change = service.update(
        evaluation_id,
        dataclasses.replace(
            draft,
            nature="F",
            title="Roulement (corrigé)",
            context="",
            results=(
                dataclasses.replace(first, level="4", comment="Revu"),  # changed
                second,  # unchanged
                # third removed
                dataclasses.replace(fourth, level="-"),  # changed
                GridResult(learners[1], extra, "2"),  # added
            ),
        ),
    )

    assert (change.inserted, change.updated, change.deleted) == (1, 2, 1)
    assert set(change.fields) >= {"nature", "titre", "contexte", "entreprise"}
    assert change.covered == ()
    row, results = stored(demo_database, evaluation_id)
    assert (row.nature, row.title, row.context, row.company, row.tutor, row.pfmp_start) == (
        "F",
        "Roulement (corrigé)",
        "",
        None,
        None,
        None,
    )
    assert row.author_id == service.actor.user_id
    assert results == {
        (first.learner_id, first.criterion_id): ("4", "Revu"),
        (second.learner_id, second.criterion_id): ("4", None),
        (fourth.learner_id, fourth.criterion_id): ("2", None),
        (learners[1], extra): ("2", None),
    }
    assert counts(demo_database) == (before[0], before[1], before[2] + 1)
    events = audit_of(demo_database, evaluation_id)
    assert [action for action, _ in events] == [CREATED_ACTION, UPDATED_ACTION]
    details = events[-1][1]
    assert "1 résultat(s) ajouté(s), 2 modifié(s), 1 supprimé(s)" in details
    assert "titre" in details


def test_a_colleagues_change_since_opening_is_not_overwritten(
    service: EvaluationService, demo_database: Database
) -> None:
    draft = draft_for(demo_database, eval_date=dt.date.today())
    evaluation_id = service.create(draft)
    learners, criteria, _ = ids(demo_database)
    mine = service.load(evaluation_id).draft  # both teachers open the evaluation
    theirs = service.load(evaluation_id).draft
    added = GridResult(learners[1], criteria["PLP-CP04-02"], "3")
    service.update(
        evaluation_id,
        dataclasses.replace(theirs, results=(*theirs.results, added)),
        expected=theirs,
    )
    after_colleague = stored(demo_database, evaluation_id)

    with pytest.raises(ConflictError, match="modifiée sur un autre poste"):
        service.update(
            evaluation_id, dataclasses.replace(mine, title="Roulement (titre)"), expected=mine
        )
    assert stored(demo_database, evaluation_id) == after_colleague  # nothing lost
    reopened = service.load(evaluation_id).draft
    service.update(
        evaluation_id, dataclasses.replace(reopened, title="Roulement (titre)"), expected=reopened
    )
    row, results = stored(demo_database, evaluation_id)
    assert (added.learner_id, added.criterion_id) in results
    assert "Roulement (titre)" in row


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": "  "}, "titre"),
        ({"level": "5"}, "Niveau inconnu"),
        ({"criterion": 999_999}, "Critère introuvable"),
        ({"class_id": 999_999}, "Classe introuvable"),
    ],
)
def test_invalid_update_writes_nothing(
    service: EvaluationService, demo_database: Database, change: dict[str, Any], message: str
) -> None:
    draft = draft_for(demo_database, eval_date=dt.date.today())
    evaluation_id = service.create(draft)
    before = counts(demo_database), stored(demo_database, evaluation_id)
    first = draft.results[0]
    bad = dataclasses.replace(
        first,
        level=change.get("level", "1"),
        criterion_id=change.get("criterion", first.criterion_id),
    )
    new_draft = dataclasses.replace(
        draft,
        title=change.get("title", "Autre titre"),
        class_id=change.get("class_id", draft.class_id),
        results=(bad, *draft.results[1:]),
    )
    with pytest.raises(ValidationError, match=message):
        service.update(evaluation_id, new_draft)
    assert (counts(demo_database), stored(demo_database, evaluation_id)) == before


def test_covered_change_is_refused_without_confirmation(
    service: EvaluationService,
    demo_database: Database,
    covered_evaluation: tuple[int, int, int, dt.date],
) -> None:
    evaluation_id, closed, open_, day = covered_evaluation
    details = service.load(evaluation_id)
    assert [(c.learner_id, c.bilan_date) for c in details.covered] == [(closed, day)]
    draft = details.draft
    before = counts(demo_database), stored(demo_database, evaluation_id)

    raised_level = tuple(
        dataclasses.replace(r, level="4") if r.learner_id == closed else r for r in draft.results
    )
    for refused in (
        dataclasses.replace(draft, results=raised_level),  # a covered learner's result
        dataclasses.replace(draft, title="Autre titre"),  # the evidence itself
        dataclasses.replace(draft, results=draft.results[1:]),  # a covered result removed
    ):
        with pytest.raises(CoveredByFinalBilan) as error:
            service.update(evaluation_id, refused)
        assert [c.learner_id for c in error.value.covered] == [closed]
        name = details.covered[0].name
        assert f"{name} (bilan du {day:%d/%m/%Y})" in error.value.message
        assert "Rien n'a été enregistré" in error.value.message
        assert (counts(demo_database), stored(demo_database, evaluation_id)) == before

    # The learner without a final bilan is free to change: no confirmation, no extra audit.
    only_open = tuple(
        dataclasses.replace(r, level="2") if r.learner_id == open_ else r for r in draft.results
    )
    change = service.update(evaluation_id, dataclasses.replace(draft, results=only_open))
    assert change.updated == 1 and change.covered == ()
    assert [a for a, _ in audit_of(demo_database, evaluation_id)] == [
        CREATED_ACTION,
        ADDED_AFTER_FINAL_ACTION,  # the fixture's evaluation, dated in a closed period
        UPDATED_ACTION,
    ]


def test_confirmed_covered_change_is_written_and_audited(
    service: EvaluationService,
    demo_database: Database,
    covered_evaluation: tuple[int, int, int, dt.date],
) -> None:
    evaluation_id, closed, open_, day = covered_evaluation
    draft = service.load(evaluation_id).draft
    _, criteria, _ = ids(demo_database)
    results = tuple(
        dataclasses.replace(r, level="4") if r.learner_id == closed else r for r in draft.results
    )
    change = service.update(
        evaluation_id,
        dataclasses.replace(draft, title="Lignage (corrigé)", results=results),
        confirm_covered=True,
    )
    assert [c.learner_id for c in change.covered] == [closed]
    assert change.updated == 2 and change.fields == ("titre",)
    row, stored_results = stored(demo_database, evaluation_id)
    assert row.title == "Lignage (corrigé)"
    assert stored_results[(closed, criteria["PLP-CP03-04"])] == ("4", None)
    assert stored_results[(closed, criteria["PLP-CP03-01"])] == ("4", None)
    assert stored_results[(open_, criteria["PLP-CP03-04"])] == ("1", None)
    events = audit_of(demo_database, evaluation_id)
    assert [action for action, _ in events] == [
        CREATED_ACTION,
        ADDED_AFTER_FINAL_ACTION,  # the fixture's evaluation, dated in a closed period
        UPDATED_ACTION,
        CHANGED_AFTER_FINAL_ACTION,
    ]
    details = events[-1][1]
    assert f"(bilan du {day:%d/%m/%Y})" in details
    assert "PLP-CP03-04 : 3 → 4" in details and "PLP-CP03-01 : 2 → 4" in details
    assert "titre « Lignage d'un moteur » → « Lignage (corrigé) »" in details


def test_moving_the_date_into_a_closed_period_needs_confirmation(
    service: EvaluationService, demo_database: Database
) -> None:
    closed, day, _open, class_id = final_bilan_learners(demo_database)
    _, criteria, _ = ids(demo_database)
    draft = EvaluationDraft(
        nature="F",
        eval_date=dt.date.today(),
        title="Après le bilan",
        class_id=class_id,
        results=(GridResult(closed, criteria["PLP-CP03-04"], "2"),),
    )
    evaluation_id = service.create(draft)
    assert service.load(evaluation_id).covered == ()
    earlier = dataclasses.replace(draft, eval_date=day - dt.timedelta(days=1))
    with pytest.raises(CoveredByFinalBilan):
        service.update(evaluation_id, earlier)
    assert as_date(stored(demo_database, evaluation_id)[0].eval_date) == dt.date.today()
    service.update(evaluation_id, earlier, confirm_covered=True)
    assert as_date(stored(demo_database, evaluation_id)[0].eval_date) == earlier.eval_date


def test_coverage_is_read_again_when_saving(
    service: EvaluationService, demo_database: Database
) -> None:
    """A bilan finalized while the dialog was open counts: the check is in the transaction."""
    learner_id = learner_with(demo_database, 1, False)
    _, criteria, _ = ids(demo_database)
    draft = EvaluationDraft(
        nature="F",
        eval_date=dt.date.today(),
        title="Juste avant le bilan",
        results=(GridResult(learner_id, criteria["PLP-CP03-04"], "2"),),
    )
    evaluation_id = service.create(draft)
    loaded = service.load(evaluation_id)
    assert loaded.covered == ()
    bilans = BilanService(demo_database, service.actor)
    sheet = bilans.open_draft(learner_id)
    bilans.finalize(sheet.bilan_id, version=sheet.version, confirmation=CONFIRMATION_WORD)
    before = stored(demo_database, evaluation_id)
    with pytest.raises(CoveredByFinalBilan):
        service.update(evaluation_id, dataclasses.replace(loaded.draft, title="Changé"))
    with pytest.raises(CoveredByFinalBilan):
        service.delete(evaluation_id)
    assert stored(demo_database, evaluation_id) == before


def test_delete_removes_the_evaluation_and_its_results(
    service: EvaluationService, demo_database: Database
) -> None:
    draft = draft_for(demo_database, eval_date=dt.date.today())
    evaluation_id = service.create(draft)
    before = counts(demo_database)
    change = service.delete(evaluation_id)
    assert (change.deleted, change.covered) == (4, ())
    assert stored(demo_database, evaluation_id) == (None, {})
    assert counts(demo_database) == (before[0] - 1, before[1] - 4, before[2] + 1)
    action, details = audit_of(demo_database, evaluation_id)[-1]
    assert action == DELETED_ACTION
    assert "Remplacement d'un roulement" in details
    assert f"{dt.date.today():%d/%m/%Y}" in details and "4 résultat(s)" in details
    with pytest.raises(NotFound, match="n'existe plus"):
        service.delete(evaluation_id)
    with pytest.raises(NotFound, match="n'existe plus"):
        service.update(evaluation_id, draft)
    with pytest.raises(NotFound, match="n'existe plus"):
        service.load(evaluation_id)


def test_deleting_a_covered_evaluation_needs_confirmation(
    service: EvaluationService,
    demo_database: Database,
    covered_evaluation: tuple[int, int, int, dt.date],
) -> None:
    evaluation_id, closed, _open, day = covered_evaluation
    before = counts(demo_database)
    with pytest.raises(CoveredByFinalBilan, match="supprimer quand même") as error:
        service.delete(evaluation_id)
    assert [c.learner_id for c in error.value.covered] == [closed]
    assert counts(demo_database) == before

    change = service.delete(evaluation_id, confirm_covered=True)
    assert change.deleted == 3
    assert stored(demo_database, evaluation_id) == (None, {})
    events = audit_of(demo_database, evaluation_id)
    assert [action for action, _ in events] == [
        CREATED_ACTION,
        ADDED_AFTER_FINAL_ACTION,  # the fixture's evaluation, dated in a closed period
        DELETED_ACTION,
        DELETED_AFTER_FINAL_ACTION,
    ]
    assert "Lignage d'un moteur" in events[-1][1]
    assert f"(bilan du {day:%d/%m/%Y}) : 2 résultat(s)" in events[-1][1]


def test_a_learner_may_not_change_or_delete_an_evaluation(
    service: EvaluationService, demo_database: Database
) -> None:
    draft = draft_for(demo_database, eval_date=dt.date.today())
    evaluation_id = service.create(draft)
    before = counts(demo_database), stored(demo_database, evaluation_id)
    learner = EvaluationService(
        demo_database, Actor(user_id=None, display_name="x", role=Role.LEARNER)
    )
    with pytest.raises(PermissionDenied):
        learner.update(evaluation_id, dataclasses.replace(draft, title="Autre"))
    with pytest.raises(PermissionDenied):
        learner.delete(evaluation_id)
    assert (counts(demo_database), stored(demo_database, evaluation_id)) == before


def test_list_for_class(
    service: EvaluationService,
    demo_database: Database,
    covered_evaluation: tuple[int, int, int, dt.date],
) -> None:
    evaluation_id, _closed, _open, _day = covered_evaluation
    with demo_database.engine.connect() as connection:
        class_id = connection.execute(
            text("SELECT class_id FROM evaluation WHERE id = :id"), {"id": evaluation_id}
        ).scalar_one()
        expected = {
            id_: (as_date(day), nature, title, int(n), bool(covered))
            for id_, day, nature, title, n, covered in connection.execute(
                text(
                    "SELECT e.id, e.eval_date, e.nature, e.title, "
                    "(SELECT count(*) FROM result r WHERE r.evaluation_id = e.id), "
                    "EXISTS (SELECT 1 FROM result r JOIN bilan b ON b.learner_id = r.learner_id "
                    "  WHERE r.evaluation_id = e.id AND b.status = 'final' "
                    "  AND b.bilan_date >= e.eval_date) "
                    "FROM evaluation e WHERE e.class_id = :c"
                ),
                {"c": class_id},
            )
        }
    rows = service.list_for_class(class_id)
    assert {r.id: (r.eval_date, r.nature, r.title, r.result_count, r.covered) for r in rows} == (
        expected
    )
    assert any(r.covered for r in rows) and not all(r.covered for r in rows)
    dates = [r.eval_date for r in rows]
    assert dates == sorted(dates, reverse=True)
    mine = next(r for r in rows if r.id == evaluation_id)
    assert (mine.result_count, mine.covered, mine.author) == (3, True, service.actor.display_name)
    with pytest.raises(NotFound):
        service.list_for_class(999_999)


def test_evaluation_of_no_class_is_listed_with_its_learners_classes(
    service: EvaluationService, demo_database: Database
) -> None:
    learners, criteria, class_id = ids(demo_database)
    evaluation_id = service.create(
        EvaluationDraft(
            nature="F",
            eval_date=dt.date.today(),
            title="Importé sans classe",
            results=(GridResult(learners[0], criteria["PLP-CP03-04"], "2"),),
        )
    )
    assert evaluation_id in [r.id for r in service.list_for_class(class_id)]
    with demo_database.engine.connect() as connection:
        other = connection.execute(
            text(
                "SELECT id FROM school_class WHERE id NOT IN "
                "(SELECT class_id FROM enrolment WHERE learner_id = :l) LIMIT 1"
            ),
            {"l": learners[0]},
        ).scalar_one()
    assert evaluation_id not in [r.id for r in service.list_for_class(other)]


def test_a_new_evaluation_in_a_closed_period_needs_confirmation(
    service: EvaluationService, demo_database: Database
) -> None:
    """Dated on or before a learner's final bilan, it adds to what the bilan was built on."""
    closed, day, open_, class_id = final_bilan_learners(demo_database)
    _, criteria, _ = ids(demo_database)
    draft = EvaluationDraft(
        nature="F",
        eval_date=day,
        title="Rattrapage daté",
        class_id=class_id,
        results=(
            GridResult(closed, criteria["PLP-CP03-04"], "3"),
            GridResult(closed, criteria["PLP-CP03-01"], "2"),
            GridResult(open_, criteria["PLP-CP03-04"], "1"),
        ),
    )
    before = counts(demo_database)
    with pytest.raises(CoveredByFinalBilan) as refused:
        service.create(draft)
    assert [learner.learner_id for learner in refused.value.covered] == [closed]
    assert refused.value.covered[0].bilan_date == day
    message = refused.value.message
    assert f"Cette évaluation du {day.strftime('%d/%m/%Y')} tombe dans une période close" in (
        message
    )
    assert refused.value.covered[0].label in message
    assert message.endswith("Rien n'a été enregistré.")
    assert counts(demo_database) == before

    evaluation_id = service.create(draft, confirm_covered=True)
    assert counts(demo_database) == (before[0] + 1, before[1] + 3, before[2] + 2)
    events = audit_of(demo_database, evaluation_id)
    assert [action for action, _ in events] == [CREATED_ACTION, ADDED_AFTER_FINAL_ACTION]
    details = events[-1][1]
    assert details.startswith(f"F « Rattrapage daté » du {day.strftime('%d/%m/%Y')}")
    assert f"{refused.value.covered[0].label} : 2 résultat(s) ajouté(s)" in details
    assert service.load(evaluation_id).covered == refused.value.covered


def test_a_new_evaluation_after_the_final_bilan_asks_nothing(
    service: EvaluationService, demo_database: Database
) -> None:
    closed, day, open_, class_id = final_bilan_learners(demo_database)
    _, criteria, _ = ids(demo_database)
    results = (
        GridResult(closed, criteria["PLP-CP03-04"], "3"),
        GridResult(open_, criteria["PLP-CP03-04"], "1"),
    )
    later = service.create(
        EvaluationDraft(
            nature="F",
            eval_date=day + dt.timedelta(days=1),
            title="Après",
            class_id=class_id,
            results=results,
        )
    )
    # A learner without any final bilan has no closed period, whatever the date.
    early = service.create(
        EvaluationDraft(
            nature="F",
            eval_date=dt.date(2025, 9, 15),
            title="Sans bilan",
            class_id=class_id,
            results=results[1:],
        )
    )
    for evaluation_id in (later, early):
        assert [action for action, _ in audit_of(demo_database, evaluation_id)] == [CREATED_ACTION]
