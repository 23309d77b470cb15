"""Updating the référentiel (file or editor): preview, apply, refusals, export; both back-ends."""

from __future__ import annotations

import argparse
import copy
import json
import threading
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from livret import cli_referentiel
from livret.domain.errors import ConflictError, PermissionDenied
from livret.domain.referentiel import Referentiel, bundled_referentiel_path, parse_referentiel
from livret.domain.referentiel_json import referentiel_to_json
from livret.domain.roles import Actor, Role
from livret.services.dashboard import DashboardService
from livret.services.database import Database
from livret.services.evaluations import EvaluationService
from livret.services.referentiel import (
    UPDATED_ACTION,
    ReferentielRefused,
    ReferentielService,
)
from livret.services.users import command_line_actor
from livret.storage.referentiel_read import read_referentiel
from livret.storage.referentiel_sync import sync_referentiel
from tests.accounts import make_account

MSPC_COMPETENCY = {
    "code": "C1.1",
    "title": "Analyser l'organisation fonctionnelle d'un système",
    "criteria": [
        {"id": "MSPC-C1.1-01", "text": "Le système est décrit", "cc": "CC1.1"},
        {"id": "MSPC-C1.1-02", "text": "La chaîne d'énergie est repérée", "cc": "CC2.1"},
    ],
}


def service(database: Database, role: Role = Role.TEACHER) -> ReferentielService:
    if role is Role.TEACHER:
        return ReferentielService(database, command_line_actor(database))
    if role is Role.LEARNER:  # refusals only: no learner account needed
        return ReferentielService(database, Actor(None, "Élève", Role.LEARNER))
    return ReferentielService(database, make_account(database, role))


def as_json(ref: Referentiel) -> dict[str, Any]:
    return copy.deepcopy(referentiel_to_json(ref))


def audit_details(database: Database) -> list[str]:
    with database.engine.connect() as connection:
        return list(
            connection.execute(
                text("SELECT details FROM audit_event WHERE action = :a ORDER BY id"),
                {"a": UPDATED_ACTION},
            ).scalars()
        )


def results_by_criterion(database: Database) -> dict[str, int]:
    with database.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.code, COUNT(*) FROM result r JOIN criterion c ON c.id = r.criterion_id "
                "GROUP BY c.code"
            )
        )
        return {code: int(count) for code, count in rows}


def test_a_teaching_team_fills_the_empty_mspc_specialty(database: Database) -> None:
    referentiels = service(database)
    before = referentiels.current()
    assert [s.code for s in before.specialties] == ["PLP", "MSPC"]
    assert before.specialties[1].competencies == ()

    data = as_json(before)
    data["version"] = "0.2"
    data["specialties"][1]["competencies"] = [MSPC_COMPETENCY]
    new = parse_referentiel(data)
    preview = referentiels.preview(new)
    assert preview.ok and preview.has_changes and not preview.applied
    assert preview.changes.lines() == [
        "Version : 0.1 → 0.2",
        "Compétence ajoutée : [MSPC] C1.1 Analyser l'organisation fonctionnelle d'un système",
        "Critère ajouté : MSPC-C1.1-01 → CC1.1",
        "Critère ajouté : MSPC-C1.1-02 → CC2.1",
    ]
    assert referentiels.current() == before  # a preview writes nothing

    applied = referentiels.apply(new, source_name="pmia-0.2.json")
    assert applied.applied
    after = referentiels.current()
    assert after == new
    assert after.specialties[1].extra["status"] == "missing"  # details kept
    # Teachers can now evaluate the new criteria.
    tree = EvaluationService(database, command_line_actor(database)).criteria_tree()
    mspc = next(node for node in tree if node.code == "MSPC")
    assert [(c.code, c.cc_code) for c in mspc.competencies[0].criteria] == [
        ("MSPC-C1.1-01", "CC1.1"),
        ("MSPC-C1.1-02", "CC2.1"),
    ]
    [details] = audit_details(database)
    assert details.startswith("Version 0.2 (fichier « pmia-0.2.json ») : 4 changement(s)")
    assert "Critère ajouté : MSPC-C1.1-02 → CC2.1" in details

    # The same version again changes nothing and writes no audit event.
    again = referentiels.apply(parse_referentiel(data))
    assert not again.has_changes and not again.applied
    assert "Aucun changement" in again.summary()
    assert len(audit_details(database)) == 1


def test_removing_evaluated_items_is_refused_and_writes_nothing(
    demo_database: Database,
) -> None:
    referentiels = service(demo_database)
    before = referentiels.current()
    used = results_by_criterion(demo_database)
    data = as_json(before)
    criteria = data["specialties"][0]["competencies"][0]["criteria"]
    removed = criteria.pop(0)
    assert used[removed["id"]] > 0
    data["specialties"] = [data["specialties"][0]]  # MSPC: no class in the demo follows it
    data["common_competencies"] = data["common_competencies"][:-1]
    last_cc = before.common_competencies[-1].code
    for specialty in data["specialties"]:
        for competency in specialty["competencies"]:
            for criterion in competency["criteria"]:
                if criterion["cc"] == last_cc:
                    criterion["cc"] = before.common_competencies[0].code
    new = parse_referentiel(data)

    preview = referentiels.preview(new)
    assert not preview.ok
    assert preview.problems[0] == (
        f"Le critère {removed['id']} ne peut pas être retiré : "
        f"{used[removed['id']]} résultats l'utilisent."
    )
    assert any(
        p.startswith(
            f"La compétence commune {last_cc} ne peut pas être retirée : elle est positionnée dans "
        )
        for p in preview.problems
    )
    with pytest.raises(ReferentielRefused) as refused:
        referentiels.apply(new)
    assert refused.value.message.endswith("Rien n'a été enregistré.")
    assert referentiels.current() == before
    assert audit_details(demo_database) == []


def test_a_removed_specialty_followed_by_classes_is_refused(demo_database: Database) -> None:
    referentiels = service(demo_database)
    data = as_json(referentiels.current())
    plp = data["specialties"][0]
    data["specialties"] = [
        data["specialties"][1] | {"competencies": plp["competencies"]},
    ]
    preview = referentiels.preview(parse_referentiel(data))
    assert any(
        p.startswith("La spécialité PLP ne peut pas être retirée : ") and "classe(s)" in p
        for p in preview.problems
    )


def test_a_changed_mapping_warns_then_moves_the_results_on_the_dashboard(
    demo_database: Database,
) -> None:
    referentiels = service(demo_database)
    before = referentiels.current()
    used = results_by_criterion(demo_database)
    target = next(c for c in before.criteria() if used.get(c.id) and c.cc_code != "CC5.1")
    data = as_json(before)
    for competency in data["specialties"][0]["competencies"]:
        for criterion in competency["criteria"]:
            if criterion["id"] == target.id:
                criterion["cc"] = "CC5.1"
    preview = referentiels.preview(parse_referentiel(data))
    assert preview.ok
    assert preview.warnings == (
        f"les {used[target.id]} résultats du critère {target.id} compteront pour CC5.1 au lieu "
        f"de {target.cc_code} dans les tableaux de bord (les bilans définitifs ne changent pas).",
    )
    with demo_database.engine.connect() as connection:
        learner_id = connection.execute(
            text(
                "SELECT r.learner_id FROM result r JOIN criterion c ON c.id = r.criterion_id "
                "WHERE c.code = :code ORDER BY r.learner_id LIMIT 1"
            ),
            {"code": target.id},
        ).scalar_one()
        finals_before = connection.execute(
            text(
                "SELECT COUNT(*) FROM positioning p JOIN bilan b ON b.id = p.bilan_id "
                "WHERE b.status = 'final'"
            )
        ).scalar_one()

    def section_of(criterion_id: str) -> str:
        dashboard = DashboardService(
            demo_database, command_line_actor(demo_database)
        ).learner_dashboard(learner_id)
        return next(
            section.common_competency.code
            for section in dashboard.sections
            for row in section.rows
            if row.criterion.code == criterion_id and row.results
        )

    assert section_of(target.id) == target.cc_code
    referentiels.apply(parse_referentiel(data))
    assert section_of(target.id) == "CC5.1"
    assert results_by_criterion(demo_database) == used  # no result lost or moved
    with demo_database.engine.connect() as connection:
        assert (
            connection.execute(
                text(
                    "SELECT COUNT(*) FROM positioning p JOIN bilan b ON b.id = p.bilan_id "
                    "WHERE b.status = 'final'"
                )
            ).scalar_one()
            == finals_before
        )


def test_an_unused_criterion_can_be_removed_and_order_changes_apply(database: Database) -> None:
    referentiels = service(database)
    data = as_json(referentiels.current())
    competencies = data["specialties"][0]["competencies"]
    gone = competencies[0]["criteria"].pop()
    competencies.reverse()
    applied = referentiels.apply(parse_referentiel(data))
    assert [c.id for c in applied.changes.removed_criteria] == [gone["id"]]
    after = referentiels.current()
    assert [c.code for c in after.specialties[0].competencies] == [c["code"] for c in competencies]
    assert gone["id"] not in {c.id for c in after.criteria()}


def test_another_referentiel_is_refused_once_the_base_is_used(demo_database: Database) -> None:
    referentiels = service(demo_database)
    data = as_json(referentiels.current())
    data["id"] = "autre-famille"
    preview = referentiels.preview(parse_referentiel(data))
    assert preview.problems[0].startswith(
        "Ce fichier décrit le référentiel « autre-famille » alors que la base utilise « pmia » ("
    )
    assert "résultat(s)" in preview.problems[0]
    assert "créez une autre base" in preview.problems[0]
    assert "Refusé : 1 problème à régler, rien ne peut être enregistré." in preview.summary()


def test_a_new_base_can_take_another_referentiel(database: Database) -> None:
    referentiels = service(database)
    other = parse_referentiel(
        {
            "id": "melec",
            "title": "Métiers de l'électricité et de ses environnements connectés",
            "version": "1.0",
            "common_competencies": [
                {"code": "C1", "group": "G1", "title": "Analyser les conditions de l'opération"},
                {"code": "C2", "group": "G1", "title": "Organiser l'opération"},
            ],
            "specialties": [
                {
                    "code": "MELEC",
                    "title": "Bac pro MELEC",
                    "competencies": [
                        {
                            "code": "CP1",
                            "title": "Réaliser une installation",
                            "criteria": [
                                {
                                    "id": "MELEC-CP1-01",
                                    "text": "Le câblage est conforme",
                                    "cc": "C2",
                                }
                            ],
                        }
                    ],
                }
            ],
        }
    )
    preview = referentiels.preview(other)
    assert preview.ok
    assert preview.changes.lines()[0] == "Référentiel remplacé : « pmia » → « melec »"
    referentiels.apply(other, source_name="melec.json")
    assert referentiels.current() == other
    tree = EvaluationService(database, command_line_actor(database)).criteria_tree()
    assert [
        (node.code, [c.code for comp in node.competencies for c in comp.criteria]) for node in tree
    ] == [("MELEC", ["MELEC-CP1-01"])]


def test_oversized_codes_are_refused(database: Database) -> None:
    referentiels = service(database)
    data = as_json(referentiels.current())
    data["specialties"][0]["competencies"][0]["criteria"][0]["id"] = "PLP-" + "X" * 60
    data["specialties"][0]["competencies"][0]["code"] = "CP" + "0" * 30
    preview = referentiels.preview(parse_referentiel(data))
    assert len(preview.problems) == 2
    assert preview.problems[0].startswith("Compétence [PLP] CP000")
    assert "dépasse 20 caractères" in preview.problems[0]
    assert "dépasse 40 caractères" in preview.problems[1]


def test_learners_cannot_change_the_referentiel(database: Database) -> None:
    learner = service(database, Role.LEARNER)
    assert not learner.may_edit
    with pytest.raises(PermissionDenied):
        learner.preview(learner.current())
    with pytest.raises(PermissionDenied):
        learner.apply(learner.current())


def test_exports_round_trip_and_case_ids_are_stable(database: Database) -> None:
    referentiels = service(database)
    # A new base gives back the bundled file exactly, notes and sources included.
    bundled = json.loads(bundled_referentiel_path("pmia").read_text("utf-8"))
    assert json.loads(referentiels.export_json()) == bundled
    first = json.loads(referentiels.export_case())
    assert json.loads(referentiels.export_case()) == first  # nothing changed: same bytes

    data = as_json(referentiels.current())
    data["specialties"][1]["competencies"] = [MSPC_COMPETENCY]
    referentiels.apply(parse_referentiel(data))
    second = json.loads(referentiels.export_case())
    assert second["CFDocument"]["identifier"] == first["CFDocument"]["identifier"]
    assert {i["identifier"] for i in first["CFItems"]} < {
        i["identifier"] for i in second["CFItems"]
    }
    assert second["CFDocument"]["lastChangeDateTime"] >= first["CFDocument"]["lastChangeDateTime"]


def parse_cli(*argv: str) -> argparse.Namespace:
    common = argparse.ArgumentParser(add_help=False)
    parser = argparse.ArgumentParser(prog="livret")
    commands = parser.add_subparsers(dest="command")
    imports = commands.add_parser("import").add_subparsers(dest="import_command")
    exports = commands.add_parser("export").add_subparsers(dest="export_command")
    cli_referentiel.register(imports, exports, common)
    return parser.parse_args(argv)


def test_cli_export_then_import_an_update(
    database: Database, db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    exported = tmp_path / "referentiel.json"
    args = parse_cli("export", "referentiel", "--out", str(exported))
    assert cli_referentiel.handle_export(args, db_url) == 0
    case = tmp_path / "referentiel-case.json"
    args = parse_cli("export", "referentiel", "--format", "case", "--out", str(case))
    assert cli_referentiel.handle_export(args, db_url) == 0
    assert "Référentiel exporté (paquet CASE)" in capsys.readouterr().out.splitlines()[-1]
    assert {"CFDocument", "CFItems", "CFAssociations"} <= json.loads(case.read_text()).keys()

    data = json.loads(exported.read_text("utf-8"))
    data["specialties"][1]["competencies"] = [MSPC_COMPETENCY]
    update = tmp_path / "maj.json"
    update.write_text(json.dumps(data, ensure_ascii=False), "utf-8")
    before = service(database).current()

    assert (
        cli_referentiel.handle_import(
            parse_cli("import", "referentiel", str(update), "--dry-run"), db_url
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "3 changements à appliquer." in out
    assert "Simulation (--dry-run) : rien n'a été enregistré." in out
    assert service(database).current() == before

    assert (
        cli_referentiel.handle_import(parse_cli("import", "referentiel", str(update)), db_url) == 0
    )
    assert "Référentiel mis à jour." in capsys.readouterr().out
    assert len(service(database).current().specialties[1].competencies) == 1
    assert audit_details(database)[0].startswith("Version 0.1 (fichier « maj.json »)")


def test_a_preview_made_stale_by_another_change_is_not_applied(database: Database) -> None:
    first, second = service(database), service(database, Role.DDFPT)
    data = as_json(first.current())
    data["specialties"][1]["competencies"] = [MSPC_COMPETENCY]
    mine = parse_referentiel(data)
    seen = first.preview(mine)

    other = as_json(second.current())
    other["version"] = "0.1.1"
    second.apply(parse_referentiel(other))

    with pytest.raises(ConflictError, match="modifié ailleurs depuis l'aperçu"):
        first.apply(mine, previewed=seen)
    assert second.current().specialties[1].competencies == ()
    first.apply(mine, previewed=first.preview(mine))
    assert second.current().version == "0.1"  # the whole version applies, seen in its preview


def test_two_applies_at_the_same_moment_do_not_undo_each_other(database: Database) -> None:
    """While one update holds the référentiel, a second one made from the same
    preview waits, then refuses instead of removing what the first one added."""
    mine, theirs = service(database), service(database, Role.DDFPT)
    base = as_json(mine.current())
    with_mspc = copy.deepcopy(base)
    with_mspc["specialties"][1]["competencies"] = [MSPC_COMPETENCY]
    renamed = copy.deepcopy(base)
    renamed["version"] = "0.1.1"
    their_version, my_version = parse_referentiel(with_mspc), parse_referentiel(renamed)
    their_preview, my_preview = theirs.preview(their_version), mine.preview(my_version)

    outcome: list[BaseException | None] = []
    with database.transaction() as session:
        stored = read_referentiel(session, for_update=True)  # their apply, in progress
        assert stored.updated_at == my_preview.base_changed_at
        sync_referentiel(session, stored.db_id, their_version)  # written, not yet committed

        def apply_mine() -> None:
            try:
                mine.apply(my_version, previewed=my_preview)
                outcome.append(None)
            except BaseException as exc:  # handed to the test thread
                outcome.append(exc)

        worker = threading.Thread(target=apply_mine)
        worker.start()
        worker.join(0.5)  # let it reach the lock (or not: the outcome is the same)
    worker.join(30)
    assert not worker.is_alive()
    assert len(outcome) == 1 and isinstance(outcome[0], ConflictError)
    after = mine.current()
    assert after.version == "0.1"
    assert [c.code for c in after.specialties[1].competencies] == ["C1.1"]
    assert their_preview.ok
