"""The référentiel editor, import and export: fill MSPC, refusals, invalid edits, JSON and CASE."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from livret.domain.referentiel import parse_referentiel
from livret.domain.roles import Actor, Role
from livret.services.authentication import local_profile
from livret.services.container import Services, build_services
from livret.services.database import Database
from livret.services.referentiel import ReferentielService
from livret.ui import messages
from livret.ui.messages import UnsavedChoice
from livret.ui.referentiel import editor as editor_module
from livret.ui.referentiel import exchange as exchange_module
from livret.ui.referentiel_editor import Kind, ReferentielEditor, open_referentiel_editor
from livret.ui.referentiel_exchange import (
    ReferentielPreviewDialog,
    export_referentiel,
    import_referentiel,
)
from tests.ui.test_bilan_editor import type_text

USED_CRITERION = "PLP-CP03-04"
"""A PLP criterion with results in the demo data (seed 7)."""

LEARNER = Actor(user_id=None, display_name="Un apprenant", role=Role.LEARNER)


@pytest.fixture(autouse=True)
def _discard_on_close(monkeypatch: pytest.MonkeyPatch) -> None:
    """Closing an editor with edits at teardown must not wait on a real message box."""
    monkeypatch.setattr(editor_module, "ask_unsaved", lambda *_args, **_kw: UnsavedChoice.DISCARD)


@pytest.fixture
def services(demo_database: Database) -> Services:
    return build_services(demo_database, local_profile(demo_database))


@pytest.fixture
def errors(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(messages, "show_error", lambda _parent, message: shown.append(message))
    return shown


@pytest.fixture
def editor(qtbot: QtBot, services: Services) -> ReferentielEditor:
    widget = open_referentiel_editor(None, services)
    assert widget is not None
    qtbot.addWidget(widget)
    return widget


def click(qtbot: QtBot, button: QWidget) -> None:
    assert button.isEnabled(), button
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


def select(qtbot: QtBot, editor: ReferentielEditor, key: tuple[str, ...]) -> None:
    """Click the tree row of this item, as a user would."""
    node = editor._find(key)
    assert node is not None, key
    editor.tree.scrollToItem(node.item)
    rect = editor.tree.visualItemRect(node.item)
    qtbot.mouseClick(
        editor.tree.viewport(),
        Qt.MouseButton.LeftButton,
        pos=QPoint(rect.x() + 40, rect.center().y()),
    )
    assert editor.current_node is node


def choose_cc(editor: ReferentielEditor, code: str) -> None:
    index = editor.criterion_cc.findData(code)
    assert index > 0
    editor.criterion_cc.setCurrentIndex(index)


def audit_count(database: Database) -> int:
    with database.engine.connect() as connection:
        return int(
            connection.execute(
                text("SELECT count(*) FROM audit_event WHERE action = 'referentiel_updated'")
            ).scalar_one()
        )


def criteria_without_results(database: Database) -> list[str]:
    with database.engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT c.code FROM criterion c WHERE NOT EXISTS "
                "(SELECT 1 FROM result r WHERE r.criterion_id = c.id) ORDER BY c.code"
            )
        ).all()
    return [str(row[0]) for row in rows]


def test_a_teaching_team_fills_the_empty_mspc_specialty(
    qtbot: QtBot, editor: ReferentielEditor, services: Services, errors: list[str]
) -> None:
    assert not editor.save_button.isEnabled()
    select(qtbot, editor, ("specialty", "MSPC"))
    assert "Aucune compétence" in editor.specialty_info.text()
    assert not editor.add_criterion_button.isEnabled()

    click(qtbot, editor.add_competency_button)
    assert editor.current_node is not None and editor.current_node.kind is Kind.COMPETENCY
    assert editor.competency_code.text() == "C1"
    editor.competency_code.setText("C1.1")
    type_text(editor.competency_title, "Analyser l'organisation fonctionnelle d'un système")

    click(qtbot, editor.add_criterion_button)
    assert editor.criterion_id.text() == "MSPC-C1.1-01"
    assert not editor.criterion_id.isReadOnly()
    type_text(editor.criterion_text, "La chaîne d'énergie est identifiée")
    choose_cc(editor, "CC1.1")
    assert "Décoder l'organisation" in editor.cc_title.text()

    click(qtbot, editor.add_criterion_button)
    assert editor.criterion_id.text() == "MSPC-C1.1-02"
    # The proposal follows the previous criterion's CC; this one serves another.
    assert editor.criterion_cc.currentData() == "CC1.1"
    editor.criterion_text.setPlainText("Les risques pour les biens et les personnes sont repérés")
    choose_cc(editor, "CC2.3")
    editor.criterion_confidence.setCurrentIndex(editor.criterion_confidence.findData("medium"))

    assert editor.current_node is not None
    row = editor.current_node.item
    assert (row.text(0), row.text(2)) == ("MSPC-C1.1-02", "CC2.3")
    assert row.text(1).startswith("Les risques")
    assert editor.windowTitle().endswith("*")

    click(qtbot, editor.save_button)
    preview = editor.preview_dialog
    assert preview is not None and preview.isVisible()
    lines = preview.line_texts()
    assert "Critère ajouté : MSPC-C1.1-01 → CC1.1" in lines
    assert "Critère ajouté : MSPC-C1.1-02 → CC2.3" in lines
    assert any(line.startswith("Compétence ajoutée : [MSPC] C1.1") for line in lines)
    with qtbot.waitSignal(editor.referentiel_changed):
        click(qtbot, preview.apply_button)
    assert not preview.isVisible()
    assert errors == []

    ref = ReferentielService(services.database, services.actor).current()
    mspc = next(s for s in ref.specialties if s.code == "MSPC")
    assert [c.code for c in mspc.competencies] == ["C1.1"]
    criteria = mspc.competencies[0].criteria
    assert [(c.id, c.cc_code, c.confidence) for c in criteria] == [
        ("MSPC-C1.1-01", "CC1.1", None),
        ("MSPC-C1.1-02", "CC2.3", "medium"),
    ]
    assert criteria[0].text == "La chaîne d'énergie est identifiée"
    tree = {s.code: s for s in services.evaluations.criteria_tree()}
    assert [c.code for c in tree["MSPC"].competencies[0].criteria] == [
        "MSPC-C1.1-01",
        "MSPC-C1.1-02",
    ]
    assert audit_count(services.database) == 1

    # Reloaded from the database: saved ids are now fixed, nothing is pending.
    assert not editor.is_dirty() and not editor.save_button.isEnabled()
    assert editor.current_node is not None and editor.current_node.code == "MSPC-C1.1-02"
    assert editor.criterion_id.isReadOnly()
    assert "enregistré" in editor.status.text()


def test_removing_a_criterion_with_results_is_refused_with_the_reason(
    qtbot: QtBot, editor: ReferentielEditor, services: Services, errors: list[str]
) -> None:
    before = ReferentielService(services.database, services.actor).export_json()
    select(qtbot, editor, ("criterion", USED_CRITERION))
    click(qtbot, editor.remove_button)

    assert len(errors) == 1
    assert f"Le critère {USED_CRITERION} ne peut pas être retiré" in errors[0]
    assert "résultats l'utilisent" in errors[0]
    assert editor._find(("criterion", USED_CRITERION)) is not None
    assert not editor.is_dirty()
    assert ReferentielService(services.database, services.actor).export_json() == before
    assert audit_count(services.database) == 0


def test_an_unused_criterion_is_removed_through_the_preview(
    qtbot: QtBot, services: Services, errors: list[str]
) -> None:
    # Every PLP criterion has results in the demo: store an unused MSPC one first.
    service = ReferentielService(services.database, services.actor)
    data = json.loads(service.export_json())
    mspc = next(s for s in data["specialties"] if s["code"] == "MSPC")
    mspc["competencies"] = [
        {
            "code": "C1",
            "title": "Organiser son intervention",
            "criteria": [
                {"id": "MSPC-C1-01", "text": "Le poste est préparé", "cc": "CC2.1"},
                {"id": "MSPC-C1-02", "text": "Les risques sont repérés", "cc": "CC2.3"},
            ],
        }
    ]
    service.apply(parse_referentiel(data))
    assert "MSPC-C1-01" in criteria_without_results(services.database)
    editor = open_referentiel_editor(None, services)
    assert editor is not None
    qtbot.addWidget(editor)

    select(qtbot, editor, ("criterion", "MSPC-C1-01"))
    click(qtbot, editor.remove_button)
    assert errors == []
    assert editor._find(("criterion", "MSPC-C1-01")) is None
    # The next criterion is selected, so that several can be removed in a row.
    assert editor.current_node is not None and editor.current_node.code == "MSPC-C1-02"
    click(qtbot, editor.save_button)
    assert editor.preview_dialog is not None
    assert "Critère retiré : MSPC-C1-01" in editor.preview_dialog.line_texts()
    click(qtbot, editor.preview_dialog.apply_button)
    ids = {c.id for c in service.current().criteria()}
    assert "MSPC-C1-01" not in ids and {"MSPC-C1-02", USED_CRITERION} <= ids


def test_an_invalid_edit_lists_the_problems_and_writes_nothing(
    qtbot: QtBot, editor: ReferentielEditor, services: Services, errors: list[str]
) -> None:
    before = ReferentielService(services.database, services.actor).export_json()
    select(qtbot, editor, ("specialty", "MSPC"))
    click(qtbot, editor.add_competency_button)
    editor.competency_title.setPlainText("Préparer son intervention")
    click(qtbot, editor.add_criterion_button)
    choose_cc(editor, "CC2.2")  # text left empty
    click(qtbot, editor.add_criterion_button)
    editor.criterion_id.setText(USED_CRITERION)  # already used in PLP
    editor.criterion_text.setPlainText("Le dossier technique est rassemblé")
    choose_cc(editor, "CC2.2")

    click(qtbot, editor.save_button)
    assert editor.preview_dialog is None
    problems = editor.problems()
    assert editor.problem_list.isVisible()
    assert any("MSPC-C1-01" in p and "« text » est vide" in p for p in problems), problems
    assert any(
        USED_CRITERION in p and "identifiant en double" in p and "[PLP] CP03" in p for p in problems
    ), problems
    assert ReferentielService(services.database, services.actor).export_json() == before
    assert audit_count(services.database) == 0

    # A click on a problem goes to the item to fix.
    first = editor.problem_list.item(0)
    assert first is not None
    editor.problem_list.itemClicked.emit(first)
    assert editor.current_node is not None and editor.current_node.code == "MSPC-C1-01"

    # Once fixed, the problems go away and the preview opens.
    editor.criterion_text.setPlainText("Les documents nécessaires sont préparés")
    # Two rows share the id: the new one is still editable, the stored one is not.
    duplicate = next(
        n for n in editor._nodes.values() if n.code == USED_CRITERION and n.stored is None
    )
    editor.tree.setCurrentItem(duplicate.item)
    assert not editor.criterion_id.isReadOnly()
    editor.criterion_id.setText("MSPC-C1-02")
    click(qtbot, editor.save_button)
    assert editor.problems() == [] and not editor.problem_list.isVisible()
    assert editor.preview_dialog is not None and editor.preview_dialog.can_apply
    editor.preview_dialog.reject()


def test_search_ignores_accents_and_case(qtbot: QtBot, editor: ReferentielEditor) -> None:
    type_text(editor.search, "preparer le travail")
    visible = [
        node.code
        for node in editor._nodes.values()
        if node.kind is Kind.COMPETENCY and not node.item.isHidden()
    ]
    assert visible == ["CP03"]
    cp03 = editor._find(("competency", "PLP", "CP03"))
    assert cp03 is not None and cp03.item.isExpanded()
    mspc = editor._find(("specialty", "MSPC"))
    assert mspc is not None and mspc.item.isHidden()
    editor.search.clear()
    assert all(not node.item.isHidden() for node in editor._nodes.values())


def test_a_learner_reads_the_referentiel_without_editing(qtbot: QtBot, services: Services) -> None:
    editor = open_referentiel_editor(None, build_services(services.database, LEARNER))
    assert editor is not None
    qtbot.addWidget(editor)
    assert editor.read_only_note.isVisible()
    for button in (
        editor.add_specialty_button,
        editor.add_competency_button,
        editor.add_criterion_button,
        editor.remove_button,
        editor.save_button,
        editor.import_button,
    ):
        assert not button.isEnabled()
    select(qtbot, editor, ("criterion", USED_CRITERION))
    assert editor.criterion_text.isReadOnly() and not editor.criterion_cc.isEnabled()
    editor.criterion_text.setPlainText("changé")
    assert not editor.is_dirty()


def test_closing_with_unsaved_edits_asks_first(
    qtbot: QtBot, editor: ReferentielEditor, monkeypatch: pytest.MonkeyPatch
) -> None:
    answers = [UnsavedChoice.CANCEL, UnsavedChoice.DISCARD]
    asked: list[UnsavedChoice] = []

    def answer(_parent: QWidget, *_args: object, **_kw: object) -> UnsavedChoice:
        asked.append(answers[len(asked)])
        return asked[-1]

    monkeypatch.setattr(editor_module, "ask_unsaved", answer)
    select(qtbot, editor, ("specialty", "MSPC"))
    click(qtbot, editor.add_competency_button)
    editor.close()
    assert editor.isVisible() and asked == [UnsavedChoice.CANCEL]
    editor.close()
    assert not editor.isVisible() and asked == [UnsavedChoice.CANCEL, UnsavedChoice.DISCARD]


def test_save_from_the_closing_question_closes_once_applied(
    qtbot: QtBot, editor: ReferentielEditor, services: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(editor_module, "ask_unsaved", lambda *_args, **_kw: UnsavedChoice.SAVE)
    type_text(editor.version_edit, "-b")
    editor.close()
    assert editor.isVisible()
    assert editor.preview_dialog is not None
    assert "Version : 0.1 → 0.1-b" in editor.preview_dialog.line_texts()
    click(qtbot, editor.preview_dialog.apply_button)
    assert not editor.isVisible()
    assert ReferentielService(services.database, services.actor).current().version == "0.1-b"


def test_import_of_a_modified_file_shows_its_preview_then_applies_it(
    qtbot: QtBot, services: Services, tmp_path: Path, errors: list[str]
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    service = ReferentielService(services.database, services.actor)
    data = json.loads(service.export_json())
    data["version"] = "0.2"
    mspc = next(s for s in data["specialties"] if s["code"] == "MSPC")
    mspc["competencies"] = [
        {
            "code": "C1.4",
            "title": "Préparer son intervention de maintenance",
            "criteria": [{"id": "MSPC-C1.4-01", "text": "Le dossier est prêt", "cc": "CC2.2"}],
        }
    ]
    used = next(
        c
        for s in data["specialties"]
        for comp in s["competencies"]
        for c in comp["criteria"]
        if c["id"] == USED_CRITERION
    )
    old_cc = used["cc"]
    used["cc"] = "CC1.1" if old_cc != "CC1.1" else "CC2.1"
    path = tmp_path / "pmia-0.2.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    dialog = import_referentiel(parent, services, path)
    assert isinstance(dialog, ReferentielPreviewDialog) and dialog.isVisible()
    assert "pmia-0.2.json" in dialog.windowTitle()
    lines = dialog.line_texts()
    assert "Version : 0.1 → 0.2" in lines
    assert "Critère ajouté : MSPC-C1.4-01 → CC2.2" in lines
    assert f"Correspondance modifiée : {USED_CRITERION} {old_cc} → {used['cc']}" in lines
    assert any(line.startswith("Attention :") and USED_CRITERION in line for line in lines)
    assert service.current().version == "0.1"  # nothing written before Appliquer

    with qtbot.waitSignal(dialog.applied) as applied:
        click(qtbot, dialog.apply_button)
    assert applied.args is not None and applied.args[0].applied
    ref = service.current()
    assert ref.version == "0.2"
    assert ref.criterion("MSPC-C1.4-01").cc_code == "CC2.2"
    assert ref.criterion(USED_CRITERION).cc_code == used["cc"]
    assert errors == []
    with services.database.engine.connect() as connection:
        details = connection.execute(
            text("SELECT details FROM audit_event WHERE action = 'referentiel_updated'")
        ).scalar_one()
    assert "pmia-0.2.json" in details


def test_import_refusals_and_invalid_files(
    qtbot: QtBot, services: Services, tmp_path: Path, errors: list[str]
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    service = ReferentielService(services.database, services.actor)
    before = service.export_json()
    data = json.loads(before)
    for specialty in data["specialties"]:
        for competency in specialty["competencies"]:
            competency["criteria"] = [
                c for c in competency["criteria"] if c["id"] != USED_CRITERION
            ]
    removing = tmp_path / "removing.json"
    removing.write_text(json.dumps(data), encoding="utf-8")
    dialog = import_referentiel(parent, services, removing)
    assert dialog is not None
    assert not dialog.apply_button.isEnabled()
    assert dialog.cancel_button.text() == "Fermer"
    assert any(
        line.startswith("Refusé :") and f"{USED_CRITERION} ne peut pas être retiré" in line
        for line in dialog.line_texts()
    )
    dialog.reject()

    broken = tmp_path / "broken.json"
    data["specialties"][0]["competencies"][0]["criteria"][0]["cc"] = "CC9.9"
    broken.write_text(json.dumps(data), encoding="utf-8")
    assert import_referentiel(parent, services, broken) is None
    assert "compétence commune « CC9.9 » inconnue" in errors[-1]
    not_json = tmp_path / "notes.json"
    not_json.write_text("{ pas du json", encoding="utf-8")
    assert import_referentiel(parent, services, not_json) is None
    assert "n'est pas un JSON valide" in errors[-1]
    assert service.export_json() == before


def test_import_from_the_editor_uses_the_file_dialog(
    qtbot: QtBot,
    editor: ReferentielEditor,
    services: Services,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    data = json.loads(ReferentielService(services.database, services.actor).export_json())
    data["version"] = "0.3"
    path = tmp_path / "new.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    monkeypatch.setattr(exchange_module, "choose_referentiel_file", lambda _parent: path)
    click(qtbot, editor.import_button)
    assert editor.preview_dialog is not None
    with qtbot.waitSignal(editor.referentiel_changed):
        click(qtbot, editor.preview_dialog.apply_button)
    assert editor.version_edit.text() == "0.3"


def test_export_json_and_case(
    qtbot: QtBot, services: Services, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    written = export_referentiel(parent, services, tmp_path / "pmia.json")
    assert written == tmp_path / "pmia.json"
    data = json.loads(written.read_text(encoding="utf-8"))
    assert data["id"] == "pmia"
    assert {s["code"] for s in data["specialties"]} == {"PLP", "MSPC"}
    assert len(data["common_competencies"]) == 13

    case_path = export_referentiel(parent, services, tmp_path / "pmia-case.json", fmt="case")
    assert case_path is not None
    package = json.loads(case_path.read_text(encoding="utf-8"))
    assert {"CFDocument", "CFItems", "CFAssociations"} <= package.keys()
    assert package["CFItems"] and package["CFAssociations"]

    # Without a path, the file dialog's type chooses the format.
    chosen = tmp_path / "choisi"
    monkeypatch.setattr(exchange_module, "choose_export_file", lambda _p, _s: (chosen, "case"))
    assert export_referentiel(parent, services) == chosen.with_suffix(".json")
    assert "CFDocument" in json.loads(chosen.with_suffix(".json").read_text(encoding="utf-8"))


def test_enter_in_a_field_neither_imports_nor_saves(
    qtbot: QtBot, editor: ReferentielEditor, monkeypatch: pytest.MonkeyPatch, errors: list[str]
) -> None:
    asked: list[str] = []
    monkeypatch.setattr(exchange_module, "choose_referentiel_file", lambda _p: asked.append("in"))
    monkeypatch.setattr(exchange_module, "choose_export_file", lambda _p, _s: asked.append("out"))
    with qtbot.waitActive(editor):
        editor.activateWindow()
    editor.version_edit.setFocus()
    qtbot.keyClick(editor.version_edit, Qt.Key.Key_Return)
    assert asked == [] and errors == []
    assert editor.isVisible() and editor.preview_dialog is None


def test_a_preview_made_stale_elsewhere_is_shown_again_before_applying(
    qtbot: QtBot, services: Services, tmp_path: Path, errors: list[str]
) -> None:
    parent = QWidget()
    qtbot.addWidget(parent)
    service = ReferentielService(services.database, services.actor)
    data = json.loads(service.export_json())
    data["version"] = "0.2"
    path = tmp_path / "pmia-0.2.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    dialog = import_referentiel(parent, services, path)
    assert isinstance(dialog, ReferentielPreviewDialog)
    assert dialog.line_texts() == ["Version : 0.1 → 0.2"]

    # A colleague adds a criterion to MSPC meanwhile.
    other = json.loads(service.export_json())
    mspc = next(s for s in other["specialties"] if s["code"] == "MSPC")
    mspc["competencies"] = [
        {
            "code": "C1.4",
            "title": "Préparer son intervention",
            "criteria": [{"id": "MSPC-C1.4-01", "text": "Le dossier est prêt", "cc": "CC2.2"}],
        }
    ]
    service.apply(parse_referentiel(other))

    click(qtbot, dialog.apply_button)
    assert len(errors) == 1 and "modifié ailleurs depuis l'aperçu" in errors[0]
    assert dialog.isVisible()
    assert "Compétence retirée : [MSPC] C1.4 Préparer son intervention" in dialog.line_texts()
    assert service.current().criterion("MSPC-C1.4-01")  # the colleague's work is still there
