"""LSL Pro synthesis through the real stack, on the demo (SQLite, and PostgreSQL when asked).

The demo (36 learners, seed 7) has 1re PLP classes in 2025-2026 and 2026-2027 and a
Terminale PLP class in 2026-2027; the 1re of 2025-2026 has final bilans on 12/12/2025
(2e trimestre) and 20/03/2026 (3e trimestre), no saved mark.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import pytest
from sqlalchemy import event, text

from livret.domain.errors import ConflictError, NotFound, PermissionDenied, ValidationError
from livret.domain.levels import Level
from livret.domain.lsl import Degree, Periodicity, PfmpFill
from livret.domain.marks import MarkSettings, compute_mark
from livret.domain.roles import Actor, Role
from livret.services.container import build_services
from livret.services.database import Database
from livret.services.lsl import (
    APPRECIATION_ACTION,
    DEGREE_ACTION,
    PERIODICITY_ACTION,
    PFMP_ACTION,
    LslClass,
    LslService,
)

TEACHER = Actor(user_id=None, display_name="M. Martin", role=Role.TEACHER)
ADMIN = Actor(user_id=None, display_name="Mme Admin", role=Role.ADMIN)
LEARNER = Actor(user_id=None, display_name="Élève", role=Role.LEARNER, learner_id=1)
LSL_TABLES = ("lsl_degree", "lsl_appreciation", "lsl_class_setting", "lsl_pfmp_fill")


def rows(database: Database, sql: str, **params: Any) -> list[Any]:
    with database.engine.connect() as connection:
        return list(connection.execute(text(sql), params).all())


def execute(database: Database, sql: str, **params: Any) -> None:
    with database.engine.begin() as connection:
        connection.execute(text(sql), params)


def lsl_counts(database: Database) -> dict[str, int]:
    counts = {name: rows(database, f"SELECT COUNT(*) FROM {name}")[0][0] for name in LSL_TABLES}
    counts["audit_event"] = rows(database, "SELECT COUNT(*) FROM audit_event")[0][0]
    return counts


def lsl_class(service: LslService, code: str, year: str) -> LslClass:
    return next(k for k in service.classes() if k.code == code and k.school_year_label == year)


@pytest.fixture
def service(demo_database: Database) -> LslService:
    return LslService(demo_database, TEACHER)


def test_only_1re_and_terminale_classes_have_a_synthesis(
    demo_database: Database, service: LslService
) -> None:
    listed = [(k.code, k.grade, k.school_year_label) for k in service.classes()]
    assert listed == [
        ("1PLP1", "1re", "2026-2027"),
        ("TPLP1", "Tle", "2026-2027"),
        ("1PLP1", "1re", "2025-2026"),
    ]
    seconde = rows(demo_database, "SELECT id FROM school_class WHERE grade = '2nde'")[0][0]
    with pytest.raises(ValidationError, match="ni une classe de 1re ni une classe de Terminale"):
        service.class_synthesis(seconde)
    # Through the session's container too.
    assert build_services(demo_database, TEACHER).lsl.classes() == service.classes()


def test_every_learner_gets_the_specialty_competencies_and_proposals(
    demo_database: Database, service: LslService
) -> None:
    klass = lsl_class(service, "1PLP1", "2025-2026")
    synthesis = service.class_synthesis(klass.id)
    enrolled = rows(demo_database, "SELECT COUNT(*) FROM enrolment WHERE class_id = :c", c=klass.id)
    assert len(synthesis.learners) == enrolled[0][0] > 0
    for one in synthesis.learners:
        assert [c.code for c in one.competencies] == [f"CP{n:02d}" for n in range(1, 11)]
        assert all(c.chosen is None for c in one.competencies)
        assert "CP01 : degré de maîtrise non choisi" in one.missing
        assert "Appréciation non rédigée" in one.missing
    # A learner with final bilans that year: the proposals use their positionings.
    with_bilans = [
        one
        for one in synthesis.learners
        if any(c.proposal.from_positionings is not None for c in one.competencies)
    ]
    assert with_bilans
    assert all(c.proposal.degree is not None for c in with_bilans[0].competencies)


def test_proposal_from_the_years_results_alone_matches_the_raw_rows(
    demo_database: Database, service: LslService
) -> None:
    """Terminale 2026-2027: no final bilan in the year; CP01's proposal is its results' mean."""
    klass = lsl_class(service, "TPLP1", "2026-2027")
    one = service.class_synthesis(klass.id).learners[0]
    raw = rows(
        demo_database,
        "SELECT r.level FROM result r JOIN evaluation e ON e.id = r.evaluation_id "
        "JOIN criterion c ON c.id = r.criterion_id JOIN competency p ON p.id = c.competency_id "
        "WHERE r.learner_id = :l AND p.code = 'CP01' AND r.level IN ('1','2','3','4') "
        "AND e.eval_date BETWEEN :s AND :e",
        l=one.learner.id,
        s=klass.school_year_start,
        e=klass.school_year_end,
    )
    values = [int(level) for (level,) in raw]
    cp01 = one.competencies[0]
    assert cp01.proposal.result_count == len(values) > 0
    assert cp01.proposal.from_positionings is None
    mean = sum(values) / len(values)
    assert abs(float(cp01.proposal.value) - mean) < 1e-9  # type: ignore[arg-type]
    assert int(cp01.proposal.degree) == min(4, max(1, int(mean + 0.5)))  # type: ignore[arg-type]


def test_periodic_means_from_saved_or_computed_marks(
    demo_database: Database, service: LslService
) -> None:
    klass = lsl_class(service, "1PLP1", "2025-2026")
    learner_id, bilan_id = rows(
        demo_database,
        "SELECT b.learner_id, b.id FROM bilan b JOIN enrolment e ON e.learner_id = b.learner_id "
        "WHERE e.class_id = :c AND b.status = 'final' AND b.bilan_date = :d "
        "ORDER BY b.learner_id LIMIT 1",
        c=klass.id,
        d=dt.date(2025, 12, 12),
    )[0]
    positionings = {
        code: Level(level)
        for code, level in rows(
            demo_database,
            "SELECT cc.code, p.level FROM positioning p "
            "JOIN common_competency cc ON cc.id = p.common_competency_id WHERE p.bilan_id = :b",
            b=bilan_id,
        )
    }
    computed = compute_mark(positionings, MarkSettings()).value
    one = service.synthesis(klass.id, learner_id)
    first, second, _third = one.means
    assert (first.mean, first.mark_count) == (None, 0)
    assert "Moyenne du 1er trimestre : aucun bilan définitif noté dans la période" in one.missing
    assert (second.period.label, second.mean, second.mark_count) == ("2e trimestre", computed, 1)

    # A mark saved with the bilan (« Noter le dernier bilan ») wins over the computed one.
    execute(
        demo_database,
        "INSERT INTO mark (bilan_id, value, rounding, weights, ne_count) "
        "VALUES (:b, 17.5, 0.5, '{}', 0)",
        b=bilan_id,
    )
    assert service.synthesis(klass.id, learner_id).means[1].mean == Decimal("17.5")


def test_the_administrateur_sets_the_periodicity_once_per_class(
    demo_database: Database, service: LslService
) -> None:
    klass = lsl_class(service, "TPLP1", "2026-2027")
    assert (klass.periodicity, klass.periodicity_set) == (Periodicity.TRIMESTRE, False)
    before = lsl_counts(demo_database)
    with pytest.raises(PermissionDenied):
        service.set_periodicity(klass.id, Periodicity.SEMESTRE)
    assert lsl_counts(demo_database) == before

    admin = LslService(demo_database, ADMIN)
    with pytest.raises(ValidationError, match="Périodicité inconnue"):
        admin.set_periodicity(klass.id, "quadrimestre")
    assert lsl_counts(demo_database) == before
    changed = admin.set_periodicity(klass.id, "semestre")
    assert (changed.periodicity, changed.periodicity_set) == (Periodicity.SEMESTRE, True)
    one = service.class_synthesis(klass.id).learners[0]
    assert [m.period.label for m in one.means] == ["1er semestre", "2e semestre"]
    assert rows(
        demo_database, "SELECT details FROM audit_event WHERE action = :a", a=PERIODICITY_ACTION
    ) == [("classe TPLP1 (2026-2027) : non choisie → semestre",)]
    # The login-free local profile owns its file: it may choose too.
    local = Actor(user_id=None, display_name="Enseignant", role=Role.TEACHER, local=True)
    assert LslService(demo_database, local).set_periodicity(klass.id, "trimestre").periodicity == (
        Periodicity.TRIMESTRE
    )


def test_choosing_a_degree_keeps_the_proposal_beside_it(
    demo_database: Database, service: LslService
) -> None:
    klass = lsl_class(service, "TPLP1", "2026-2027")
    one = service.class_synthesis(klass.id).learners[0]
    cp03 = one.competencies[2]
    after = service.choose_degree(klass.id, one.learner.id, cp03.competency_id, Degree.MAITRISE)
    chosen = after.competencies[2]
    assert (chosen.code, chosen.chosen, chosen.proposal) == ("CP03", Degree.MAITRISE, cp03.proposal)
    assert "CP03 : degré de maîtrise non choisi" not in after.missing
    assert "CP04 : degré de maîtrise non choisi" in after.missing
    (details,) = rows(
        demo_database, "SELECT details FROM audit_event WHERE action = :a", a=DEGREE_ACTION
    )[0]
    assert details == "2026-2027, classe TPLP1 — CP03 : non choisi → 3 Maîtrisé"
    # Read back in a new service: it was saved.
    again = LslService(demo_database, TEACHER).synthesis(klass.id, one.learner.id)
    assert again.competencies[2].chosen is Degree.MAITRISE
    # Back to « not chosen ».
    cleared = service.choose_degree(klass.id, one.learner.id, cp03.competency_id, None)
    assert cleared.competencies[2].chosen is None
    assert "CP03 : degré de maîtrise non choisi" in cleared.missing


def test_bad_degrees_and_targets_write_nothing(
    demo_database: Database, service: LslService
) -> None:
    klass = lsl_class(service, "TPLP1", "2026-2027")
    one = service.class_synthesis(klass.id).learners[0]
    competency_id = one.competencies[0].competency_id
    other_class = lsl_class(service, "1PLP1", "2026-2027")
    stranger = service.class_synthesis(other_class.id).learners[0].learner.id
    before = lsl_counts(demo_database)
    with pytest.raises(ValidationError, match="Degré de maîtrise inconnu"):
        service.choose_degree(klass.id, one.learner.id, competency_id, "5")
    with pytest.raises(NotFound, match="n'est pas inscrit en TPLP1"):
        service.choose_degree(klass.id, stranger, competency_id, "3")
    with pytest.raises(ValidationError, match="n'appartient pas à la spécialité"):
        service.choose_degree(klass.id, one.learner.id, 999_999, "3")
    with pytest.raises(PermissionDenied):
        LslService(demo_database, LEARNER).choose_degree(
            klass.id, one.learner.id, competency_id, "3"
        )
    with pytest.raises(PermissionDenied):
        LslService(demo_database, LEARNER).class_synthesis(klass.id)
    assert lsl_counts(demo_database) == before


def test_accepting_the_proposals_fills_only_the_unchosen_degrees(
    demo_database: Database, service: LslService
) -> None:
    klass = lsl_class(service, "1PLP1", "2025-2026")
    one = service.class_synthesis(klass.id).learners[0]
    first = one.competencies[0]
    service.choose_degree(klass.id, one.learner.id, first.competency_id, "1")
    after = service.accept_proposals(klass.id, one.learner.id)
    assert after.competencies[0].chosen is Degree.NON_MAITRISE  # the teacher's choice stays
    for competency in after.competencies[1:]:
        assert competency.chosen == competency.proposal.degree
    assert not [m for m in after.missing if "degré de maîtrise" in m] or any(
        c.proposal.degree is None for c in after.competencies
    )


def test_the_appreciation_is_saved_and_a_concurrent_edit_is_refused(
    demo_database: Database, service: LslService
) -> None:
    klass = lsl_class(service, "TPLP1", "2026-2027")
    learner_id = service.class_synthesis(klass.id).learners[0].learner.id
    saved = service.save_appreciation(
        klass.id, learner_id, "  Élève sérieux,\r\nen progrès.  ", based_on=""
    )
    assert saved.appreciation == "Élève sérieux,\nen progrès."
    assert "Appréciation non rédigée" not in saved.missing
    assert rows(
        demo_database, "SELECT details FROM audit_event WHERE action = :a", a=APPRECIATION_ACTION
    ) == [("2026-2027, classe TPLP1 — 0 → 26 caractères",)]
    before = lsl_counts(demo_database)
    with pytest.raises(ConflictError, match="modifiée sur un autre poste"):
        service.save_appreciation(klass.id, learner_id, "Autre texte", based_on="")
    with pytest.raises(ValidationError, match="trop longue"):
        service.save_appreciation(klass.id, learner_id, "x" * 1001, based_on=saved.appreciation)
    with pytest.raises(ValidationError, match="caractères de contrôle"):
        service.save_appreciation(klass.id, learner_id, "a\x00b", based_on=saved.appreciation)
    assert lsl_counts(demo_database) == before
    assert service.synthesis(klass.id, learner_id).appreciation == "Élève sérieux,\nen progrès."


def test_pfmp_come_from_the_company_evaluations_and_gaps_are_filled(
    demo_database: Database, service: LslService
) -> None:
    klass = lsl_class(service, "TPLP1", "2026-2027")
    one = service.class_synthesis(klass.id).learners[0]
    assert one.pfmps, "the demo's Terminale has a PFMP in September-October"
    pfmp = one.pfmps[0]
    assert (pfmp.start, pfmp.end) == (dt.date(2026, 9, 28), dt.date(2026, 10, 16))
    assert pfmp.company and pfmp.tutor
    # The evaluations give the tutor: the LSL does not override it.
    before = lsl_counts(demo_database)
    with pytest.raises(ValidationError, match="corrigez-le dans l'évaluation"):
        service.fill_pfmp(klass.id, one.learner.id, pfmp.evaluation_id, PfmpFill(tutor="Autre"))
    assert lsl_counts(demo_database) == before

    # Without a tutor in its evaluations, the PFMP lists it missing until it is filled in.
    execute(
        demo_database,
        "UPDATE evaluation SET tutor = NULL WHERE id IN :ids".replace(
            ":ids", "(" + ",".join(str(i) for i in pfmp.evaluation_ids) + ")"
        ),
    )
    gap = service.synthesis(klass.id, one.learner.id)
    assert any(m.startswith("PFMP 1 (") and m.endswith("tuteur manquant") for m in gap.missing)
    with pytest.raises(ValidationError, match="trop long"):
        service.fill_pfmp(klass.id, one.learner.id, pfmp.evaluation_id, PfmpFill(tutor="x" * 201))
    filled = service.fill_pfmp(
        klass.id, one.learner.id, pfmp.evaluation_id, PfmpFill(tutor=" Mme Le Gall ")
    )
    assert (filled.pfmps[0].tutor, filled.pfmps[0].filled) == ("Mme Le Gall", frozenset({"tutor"}))
    assert not any(m.endswith("tuteur manquant") for m in filled.missing)
    assert (
        len(rows(demo_database, "SELECT id FROM audit_event WHERE action = :a", a=PFMP_ACTION)) == 1
    )
    with pytest.raises(NotFound):
        service.fill_pfmp(klass.id, one.learner.id, 999_999, PfmpFill(tutor="X"))


@contextmanager
def statements(database: Database) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(*args: Any) -> None:
        seen.append(args[2])

    event.listen(database.engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(database.engine, "before_cursor_execute", count)


def test_a_class_is_read_in_the_same_few_queries_as_one_learner(
    demo_database: Database, service: LslService
) -> None:
    klass = lsl_class(service, "1PLP1", "2025-2026")
    with statements(demo_database) as whole:
        synthesis = service.class_synthesis(klass.id)
    with statements(demo_database) as single:
        service.synthesis(klass.id, synthesis.learners[0].learner.id)
    assert len(synthesis.learners) > 5
    # No query per learner: the settings of the marks are read only when a bilan needs them.
    assert len(single) <= len(whole) <= 14
