"""EvaluationService: the criteria tree, and a new evaluation saved with its grid at once."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import text

from livret.domain.errors import PermissionDenied, ValidationError
from livret.domain.roles import Actor, Role
from livret.services.database import Database
from livret.services.evaluations import (
    CREATED_ACTION,
    EvaluationDraft,
    EvaluationService,
    GridResult,
)
from livret.services.users import local_actor


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
    return EvaluationService(demo_database, local_actor(demo_database))


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
