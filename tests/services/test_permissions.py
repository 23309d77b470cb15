"""Every cell of the role × action table, enforced by the services themselves (reads too).

Driven by `PERMISSIONS`: for each role (one demo database each, on every back-end),
every action is performed for real through the services, with a real account of that
role. Where the table allows it, the call succeeds; where it refuses, every method of
the action raises PermissionDenied and writes nothing. An Apprenant (Access.OWN) may
act on their own learner and their own final bilans only: their own draft and another
learner are refused.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from livret.domain.errors import PermissionDenied
from livret.domain.marks import MarkSettings
from livret.domain.permissions import PERMISSIONS, Access, Action
from livret.domain.referentiel import Referentiel
from livret.domain.roles import Actor, Role
from livret.exchange.results_file import ResultsFile, read_results
from livret.exchange.siecle import SiecleFile, read_siecle
from livret.services.accounts import AccountService
from livret.services.audit_log import AuditLogService
from livret.services.authentication import LoginRefused
from livret.services.bilan_list import BilanListService
from livret.services.bilans import CONFIRMATION_WORD, UNLOCK_ACTION, BilanService
from livret.services.catalog import CatalogService
from livret.services.conseil import ConseilService
from livret.services.dashboard import DashboardService
from livret.services.database import Database
from livret.services.establishment import EstablishmentService
from livret.services.evaluations import EvaluationService
from livret.services.exports import ExportService
from livret.services.lsl import LslService
from livret.services.marks import MarkService
from livret.services.overview import OverviewService
from livret.services.privacy import ERASE_WORD, PrivacyService
from livret.services.referentiel import ReferentielService
from livret.services.results_import import ResultsImportService
from livret.services.siecle_import import SiecleImportService
from tests.accounts import PASSWORD, make_account
from tests.demo_queries import learner_with
from tests.logos import logo
from tests.services.test_evaluations import draft_for
from tests.services.test_results_import import DAY, csv_data
from tests.services.test_siecle_import import MAIN

CONSEIL_DAY = dt.date(2026, 12, 10)

# Counted before and after each refused call: a refusal writes nothing at all.
WATCHED = (
    "app_user",
    "audit_event",
    "bilan",
    "positioning",
    "mark",
    "setting",
    "evaluation",
    "result",
    "learner",
    "enrolment",
    "school_class",
    "conseil_remark",
    "lsl_degree",
    "lsl_appreciation",
    "lsl_class_setting",
)


@dataclass(frozen=True, slots=True)
class Target:
    """A learner and one of their bilans."""

    learner_id: int
    bilan_id: int
    ine: str


@dataclass(frozen=True, slots=True)
class World:
    database: Database
    out: Path
    accounts: dict[Role, Actor]
    own_final: Target
    """The learner account's learner, and their latest final bilan."""
    own_draft: Target
    """The same learner, and their draft."""
    other: Target
    """Another learner, and a final bilan of theirs."""
    writing_learner: int
    """A third learner with a draft: the bilan writes go there."""
    unlock_bilan: int
    """A fourth learner's latest final bilan (no draft): the one to unlock."""
    class_id: int
    class_code: str
    year_label: str
    evaluation_id: int
    cc_id: int
    referentiel: Referentiel
    siecle: SiecleFile
    results: ResultsFile


def _rows(database: Database, sql: str, **params: Any) -> list[Any]:
    with database.engine.connect() as connection:
        return list(connection.execute(text(sql), params).all())


def _target(database: Database, learner_id: int, status: str) -> Target:
    bilan_id, ine = _rows(
        database,
        "SELECT bilan.id, learner.ine FROM bilan JOIN learner ON learner.id = bilan.learner_id "
        "WHERE learner.id = :l AND bilan.status = :s ORDER BY bilan.bilan_date DESC, bilan.id DESC",
        l=learner_id,
        s=status,
    )[0]
    return Target(learner_id, bilan_id, ine)


def fingerprint(database: Database) -> dict[str, Any]:
    """Row counts of the watched tables, and the bilans' versions."""
    found: dict[str, Any] = {
        table: _rows(database, f"SELECT COUNT(*) FROM {table}")[0][0] for table in WATCHED
    }
    found["bilan versions"] = _rows(database, "SELECT SUM(version) FROM bilan")[0][0]
    return found


def make_world(database: Database, out: Path) -> World:
    own = learner_with(database, 2, True)
    other = learner_with(database, 1, False)
    writing = learner_with(database, 1, True)
    unlocked = learner_with(database, 2, False)
    assert len({own, other, writing, unlocked}) == 4
    own_final = _target(database, own, "final")
    accounts = {
        role: make_account(
            database, role, learner_ine=own_final.ine if role is Role.LEARNER else None
        )
        for role in Role
    }
    assert accounts[Role.LEARNER].learner_id == own
    # The smallest class of the demo (its class PDFs are the quickest to write).
    class_id, class_code, year_label = _rows(
        database,
        "SELECT school_class.id, school_class.code, school_year.label FROM school_class "
        "JOIN school_year ON school_year.id = school_class.school_year_id "
        "JOIN enrolment ON enrolment.class_id = school_class.id "
        "GROUP BY school_class.id, school_class.code, school_year.label "
        "ORDER BY COUNT(*), school_class.id LIMIT 1",
    )[0]
    ine, criterion = _rows(
        database,
        "SELECT learner.ine, criterion.code FROM learner, criterion "
        "ORDER BY learner.id, criterion.id LIMIT 1",
    )[0]
    teacher = accounts[Role.TEACHER]
    return World(
        database=database,
        out=out,
        accounts=accounts,
        own_final=own_final,
        own_draft=_target(database, own, "draft"),
        other=_target(database, other, "final"),
        writing_learner=writing,
        unlock_bilan=_target(database, unlocked, "final").bilan_id,
        class_id=class_id,
        class_code=class_code,
        year_label=year_label,
        evaluation_id=_rows(database, "SELECT MIN(id) FROM evaluation")[0][0],
        cc_id=_rows(database, "SELECT MIN(id) FROM common_competency")[0][0],
        referentiel=ReferentielService(database, teacher).current(),
        siecle=read_siecle(MAIN),
        results=read_results(
            csv_data([[DAY, "F", "Droits", ine, criterion, "3", ""]]), "droits.csv"
        ),
    )


# -- one small callable per method, performing it for real ---------------------------------

Step = Callable[[World, Actor], object]
TargetStep = Callable[[World, Actor, Target], object]


def _draft(world: World) -> tuple[int, int]:
    """(id, version) of the writing learner's draft, read now."""
    bilan_id, version = _rows(
        world.database,
        "SELECT id, version FROM bilan WHERE learner_id = :l AND status = 'draft'",
        l=world.writing_learner,
    )[0]
    return int(bilan_id), int(version)


def _save_draft(w: World, a: Actor) -> object:
    bilan_id, version = _draft(w)
    return BilanService(w.database, a).save_draft(
        bilan_id, version=version, constats="Vu", conseils="", positionings={w.cc_id: "2"}
    )


def _finalize(w: World, a: Actor) -> object:
    bilan_id, version = _draft(w)
    return BilanService(w.database, a).finalize(
        bilan_id, version=version, confirmation=CONFIRMATION_WORD
    )


def _unlock_countersigned_by(w: World, a: Actor) -> object:
    """At a teacher's computer, the account of role `a` countersigns the unlock."""
    login = f"test-{a.role.value}"
    return BilanService(w.database, w.accounts[Role.TEACHER]).unlock(
        w.unlock_bilan, reason="Erreur de saisie", ddfpt_login=login, ddfpt_password=PASSWORD
    )


def _erase_a_learner(w: World, a: Actor) -> object:
    """A learner with final bilans whom no other step reads, the DDFPT countersigning."""
    learner_id = _rows(
        w.database,
        "SELECT learner_id FROM bilan WHERE status = 'final' AND learner_id NOT IN "
        "(:own, :other, :writing, (SELECT learner_id FROM bilan WHERE id = :unlock)) "
        "AND learner_id <> (SELECT MIN(id) FROM learner) ORDER BY learner_id DESC LIMIT 1",
        own=w.own_final.learner_id,
        other=w.other.learner_id,
        writing=w.writing_learner,
        unlock=w.unlock_bilan,
    )[0][0]
    return PrivacyService(w.database, a).erase_learner(
        learner_id, confirmation=ERASE_WORD, ddfpt_login="test-ddfpt", ddfpt_password=PASSWORD
    )


def _lsl_class(w: World) -> int:
    """The demo's first 1re or Terminale class (the LSL Pro concerns those only)."""
    return LslService(w.database, w.accounts[Role.TEACHER]).classes()[0].id


def _write_lsl(w: World, a: Actor) -> object:
    service, class_id = LslService(w.database, a), _lsl_class(w)
    one = LslService(w.database, w.accounts[Role.TEACHER]).class_synthesis(class_id).learners[0]
    service.choose_degree(class_id, one.learner.id, one.competencies[0].competency_id, "3")
    return service.save_appreciation(
        class_id, one.learner.id, f"Appréciation de {a.role.value}", based_on=one.appreciation
    )


def _write_evaluation(w: World, a: Actor) -> object:
    service = EvaluationService(w.database, a)
    draft = draft_for(w.database)
    evaluation_id = service.create(draft)
    service.update(evaluation_id, dataclasses.replace(draft, title="Corrigée"))
    return service.delete(evaluation_id)


def _class_member(w: World) -> int:
    return int(
        _rows(
            w.database, "SELECT MIN(learner_id) FROM enrolment WHERE class_id = :c", c=w.class_id
        )[0][0]
    )


def _refused_evaluation_writes(w: World, a: Actor) -> list[Callable[[], object]]:
    service, draft = EvaluationService(w.database, a), draft_for(w.database)
    return [
        lambda: service.create(draft),
        lambda: service.update(w.evaluation_id, draft),
        lambda: service.delete(w.evaluation_id),
    ]


STEPS: dict[Action, tuple[Step, ...]] = {
    Action.LIST_CLASSES: (
        lambda w, a: CatalogService(w.database, a).list_school_years(),
        lambda w, a: CatalogService(w.database, a).list_classes(),
        lambda w, a: CatalogService(w.database, a).list_learners(w.class_id),
    ),
    Action.VIEW_CLASS_OVERVIEW: (
        lambda w, a: OverviewService(w.database, a).class_overview(w.class_id),
    ),
    Action.LIST_BILANS: (lambda w, a: BilanListService(w.database, a).list_bilans(),),
    Action.WRITE_BILAN: (
        lambda w, a: BilanService(w.database, a).set_positioning(w.writing_learner, w.cc_id, "3"),
        lambda w, a: BilanService(w.database, a).open_draft(w.writing_learner),
        _save_draft,
        _finalize,
    ),
    Action.UNLOCK_BILAN: (_unlock_countersigned_by,),
    Action.EXPORT_CLASS_PDFS: (
        lambda w, a: ExportService(w.database, a).export_class_pdfs(
            w.class_code, w.out / "classe", school_year=w.year_label
        ),
    ),
    Action.VIEW_MARKS: (
        lambda w, a: MarkService(w.database, a).settings(),
        lambda w, a: MarkService(w.database, a).class_id(w.class_code, w.year_label),
        lambda w, a: MarkService(w.database, a).preview(w.class_id),
    ),
    Action.SAVE_MARKS: (
        lambda w, a: MarkService(w.database, a).save_settings(MarkSettings()),
        lambda w, a: MarkService(w.database, a).save(w.class_id),
    ),
    Action.EXPORT_MARKS: (
        lambda w, a: MarkService(w.database, a).export(w.class_id, w.out / "notes.csv"),
    ),
    Action.VIEW_CONSEIL: (
        lambda w, a: ConseilService(w.database, a).view(w.class_id, CONSEIL_DAY),
        lambda w, a: ConseilService(w.database, a).export_table(
            w.class_id, CONSEIL_DAY, w.out / "conseil.csv"
        ),
        lambda w, a: ConseilService(w.database, a).export_pdf(
            w.class_id, CONSEIL_DAY, w.out / "conseil.pdf"
        ),
    ),
    Action.WRITE_CONSEIL_REMARK: (
        lambda w, a: ConseilService(w.database, a).save_remark(
            w.class_id, _class_member(w), CONSEIL_DAY, f"Remarque de {a.role.value}"
        ),
    ),
    Action.VIEW_LSL: (
        lambda w, a: LslService(w.database, a).class_synthesis(_lsl_class(w)),
        lambda w, a: LslService(w.database, a).export(_lsl_class(w), w.out / "lsl.xml"),
    ),
    Action.WRITE_LSL: (_write_lsl,),
    Action.SET_LSL_PERIODICITY: (
        lambda w, a: LslService(w.database, a).set_periodicity(_lsl_class(w), "semestre"),
    ),
    Action.VIEW_EVALUATIONS: (
        lambda w, a: EvaluationService(w.database, a).criteria_tree(),
        lambda w, a: EvaluationService(w.database, a).list_for_class(w.class_id),
        lambda w, a: EvaluationService(w.database, a).load(w.evaluation_id),
    ),
    Action.WRITE_EVALUATIONS: (_write_evaluation,),
    Action.IMPORT_SIECLE: (
        lambda w, a: SiecleImportService(w.database, a).preview(w.siecle),
        lambda w, a: SiecleImportService(w.database, a).apply(w.siecle),
    ),
    Action.IMPORT_RESULTS: (
        lambda w, a: ResultsImportService(w.database, a).check(w.results),
        lambda w, a: ResultsImportService(w.database, a).apply(w.results),
    ),
    Action.VIEW_REFERENTIEL: (
        lambda w, a: ReferentielService(w.database, a).current(),
        lambda w, a: ReferentielService(w.database, a).export_json(),
        lambda w, a: ReferentielService(w.database, a).export_case(),
    ),
    Action.EDIT_REFERENTIEL: (
        lambda w, a: ReferentielService(w.database, a).preview(w.referentiel),
        lambda w, a: ReferentielService(w.database, a).apply(w.referentiel),
    ),
    Action.MANAGE_USERS: (
        lambda w, a: AccountService(w.database, a).list_accounts(),
        lambda w, a: AccountService(w.database, a).add("nouveau", Role.TEACHER, name="Nouveau"),
    ),
    Action.VIEW_AUDIT: (lambda w, a: AuditLogService(w.database, a).search(limit=20),),
    Action.EXPORT_LEARNER_DATA: (
        lambda w, a: PrivacyService(w.database, a).retention(0),
        lambda w, a: PrivacyService(w.database, a).export_learner(
            w.other.learner_id, w.out / "rgpd.zip"
        ),
        lambda w, a: ExportService(w.database, a).learner_documents(w.other.learner_id),
    ),
    Action.ERASE_LEARNER: (_erase_a_learner,),
    Action.MANAGE_ESTABLISHMENT: (
        lambda w, a: EstablishmentService(w.database, a).update(
            "Lycée professionnel Jean Moulin", "0750654D", "Paris", logo=logo()
        ),
    ),
}

# Actions on one learner ("learner" steps) or one of their bilans ("bilan" steps).
LEARNER_STEPS: dict[Action, tuple[TargetStep, ...]] = {
    Action.VIEW_DASHBOARD: (
        lambda w, a, t: DashboardService(w.database, a).learner_dashboard(t.learner_id),
    ),
    Action.EXPORT_BILAN_PDF: (
        lambda w, a, t: ExportService(w.database, a).export_learner_pdf(t.ine, w.out / "un"),
    ),
}
BILAN_STEPS: dict[Action, tuple[TargetStep, ...]] = {
    Action.VIEW_BILAN: (lambda w, a, t: BilanService(w.database, a).sheet(t.bilan_id),),
    Action.EXPORT_BILAN_PDF: (
        lambda w, a, t: ExportService(w.database, a).bilan_document(t.bilan_id),
        lambda w, a, t: ExportService(w.database, a).export_bilan_pdf(
            t.bilan_id, w.out / f"bilan-{t.bilan_id}.pdf"
        ),
    ),
}
# Refused writes are checked method by method, with existing records.
REFUSED_STEPS: dict[Action, Callable[[World, Actor], list[Callable[[], object]]]] = {
    Action.WRITE_EVALUATIONS: _refused_evaluation_writes,
}


def test_every_action_has_its_steps() -> None:
    covered = set(STEPS) | set(LEARNER_STEPS) | set(BILAN_STEPS)
    assert covered == set(Action) == set(PERMISSIONS)


def assert_refused(world: World, call: Callable[[], object]) -> None:
    before = fingerprint(world.database)
    with pytest.raises(PermissionDenied):
        call()
    assert fingerprint(world.database) == before


def check_action(world: World, actor: Actor, action: Action) -> None:
    """Perform `action` as `actor` every way the table tells apart, and check the outcome."""
    access = PERMISSIONS[action].get(actor.role)
    if action in STEPS:
        if access is None:
            refused = REFUSED_STEPS.get(action)
            calls = (
                refused(world, actor)
                if refused is not None
                else [lambda step=step: step(world, actor) for step in STEPS[action]]
            )
            for call in calls:
                assert_refused(world, call)
        else:
            assert access is Access.ALL or action is Action.LIST_BILANS
            for step in STEPS[action]:
                step(world, actor)
        return
    own, draft, other = world.own_final, world.own_draft, world.other
    if access is Access.ALL:
        allowed, refused_targets = [own, draft, other], []
    elif access is Access.OWN:
        allowed, refused_targets = [own], [other]
    else:
        allowed, refused_targets = [], [own, draft, other]
    for target in allowed:
        for step in LEARNER_STEPS.get(action, ()) + BILAN_STEPS.get(action, ()):
            step(world, actor, target)
    for target in refused_targets:
        for step in LEARNER_STEPS.get(action, ()) + BILAN_STEPS.get(action, ()):
            assert_refused(world, lambda step=step, target=target: step(world, actor, target))
    if access is Access.OWN:
        # Their own learner, yes (the dashboard, their latest final bilan's PDF)…
        for step in LEARNER_STEPS.get(action, ()):
            step(world, actor, draft)
        # … but not their own draft.
        for step in BILAN_STEPS.get(action, ()):
            assert_refused(world, lambda step=step: step(world, actor, draft))


@pytest.mark.parametrize("role", list(Role), ids=[role.value for role in Role])
def test_every_cell_of_the_table(demo_database: Database, tmp_path: Path, role: Role) -> None:
    """One role, every action (one demo database for the whole row of the table)."""
    world = make_world(demo_database, tmp_path)
    actor = world.accounts[role]
    # SIECLE last: its import changes enrolments the other actions read.
    for action in sorted(Action, key=lambda action: action is Action.IMPORT_SIECLE):
        check_action(world, actor, action)
    # The référentiel's list of specialties stays open to every role.
    assert CatalogService(demo_database, actor).list_specialties()


def test_a_learner_lists_only_their_own_final_bilans(demo_database: Database) -> None:
    world = make_world(demo_database, Path())
    learner = world.accounts[Role.LEARNER]
    listed = BilanListService(demo_database, learner).list_bilans()
    expected = _rows(
        demo_database,
        "SELECT id FROM bilan WHERE learner_id = :l AND status = 'final'",
        l=learner.learner_id,
    )
    assert len(expected) == 2
    assert sorted(item.bilan_id for item in listed) == sorted(row[0] for row in expected)
    assert all(item.learner_id == learner.learner_id for item in listed)
    everything = BilanListService(demo_database, world.accounts[Role.TEACHER]).list_bilans()
    assert len(everything) > len(listed)
    assert any(
        item.status == "draft" and item.learner_id == learner.learner_id for item in everything
    )
    # A learner account without its learner sees none.
    orphan = dataclasses.replace(learner, learner_id=None)
    assert BilanListService(demo_database, orphan).list_bilans() == ()


def _unlocked_events(database: Database) -> int:
    return int(
        _rows(database, "SELECT COUNT(*) FROM audit_event WHERE action = :a", a=UNLOCK_ACTION)[0][0]
    )


def _status(database: Database, bilan_id: int) -> tuple[str, int]:
    status, version = _rows(
        database, "SELECT status, version FROM bilan WHERE id = :b", b=bilan_id
    )[0]
    return str(status), int(version)


def test_unlock_countersignature_refusals(demo_database: Database) -> None:
    world = make_world(demo_database, Path())
    bilan_id = world.unlock_bilan
    before = _status(demo_database, bilan_id)
    teacher = BilanService(demo_database, world.accounts[Role.TEACHER])

    with pytest.raises(LoginRefused):  # the DDFPT's password, mistyped
        teacher.unlock(bilan_id, reason="Erreur", ddfpt_login="test-ddfpt", ddfpt_password="non")
    with pytest.raises(PermissionDenied):  # a teacher's account does not countersign
        teacher.unlock(
            bilan_id, reason="Erreur", ddfpt_login="test-enseignant", ddfpt_password=PASSWORD
        )
    # A session that does not write bilans cannot unlock, even with the DDFPT's password.
    for role in (Role.LEARNER, Role.ADMIN):
        session = BilanService(demo_database, world.accounts[role])
        with pytest.raises(PermissionDenied):
            session.unlock(
                bilan_id, reason="Erreur", ddfpt_login="test-ddfpt", ddfpt_password=PASSWORD
            )
    assert _status(demo_database, bilan_id) == before == ("final", before[1])
    assert _unlocked_events(demo_database) == 0

    # The right password unlocks; the event names the DDFPT at the teacher's computer.
    unlocked = teacher.unlock(
        bilan_id, reason="Erreur", ddfpt_login="test-ddfpt", ddfpt_password=PASSWORD
    )
    assert not unlocked.is_final
    ddfpt, session_user = world.accounts[Role.DDFPT], world.accounts[Role.TEACHER]
    event = _rows(
        demo_database,
        "SELECT user_id, session_user_id, actor, details FROM audit_event WHERE action = :a",
        a=UNLOCK_ACTION,
    )
    assert [tuple(row) for row in event] == [
        (
            ddfpt.user_id,
            session_user.user_id,
            f"{ddfpt.display_name}, au poste de {session_user.display_name}",
            "Erreur",
        )
    ]


def test_a_learner_dashboard_never_shows_their_draft(demo_database: Database) -> None:
    """The teacher sees the draft's positionings in « Actuel »; the learner sees NE only."""
    learner_id = _rows(
        demo_database,
        "SELECT b.learner_id FROM bilan b JOIN positioning p ON p.bilan_id = b.id "
        "WHERE b.status = 'draft' AND p.level <> 'NE' ORDER BY b.learner_id LIMIT 1",
    )[0][0]
    (ine,) = _rows(demo_database, "SELECT ine FROM learner WHERE id = :i", i=learner_id)[0]
    teacher = make_account(demo_database, Role.TEACHER, "mmartin")
    learner = make_account(demo_database, Role.LEARNER, "eleve", learner_ine=str(ine))
    seen = DashboardService(demo_database, teacher).learner_dashboard(learner_id)
    own = DashboardService(demo_database, learner).learner_dashboard(learner_id)
    assert seen.draft is not None and {s.current for s in seen.sections} != {"NE"}
    assert own.draft is None and {s.current for s in own.sections} == {"NE"}
    assert own.final_bilans == seen.final_bilans and own.evaluations == seen.evaluations
