"""The « LSL Pro » tab as a teacher and an Administrateur use it, on the demo database.

Choose the Terminale class, read who still lacks what, choose degrees, take the
proposals, complete a PFMP, write the appréciation, export the class; every write is
read back through the service (or the database), every refusal leaves the data as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from xml.etree import ElementTree as ET

import pytest
import xmlschema
from openpyxl import load_workbook  # type: ignore[import-untyped, unused-ignore]
from PySide6.QtCore import QSettings, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QFileDialog, QWidget
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot
from sqlalchemy import text

from livret.domain.lsl import Degree, Periodicity
from livret.domain.permissions import PERMISSIONS, Action
from livret.domain.roles import Actor, Role
from livret.services.container import build_services
from livret.services.database import Database
from livret.services.lsl import APPRECIATION_MAX, LslClass, LslService
from livret.ui import lsl_view, messages
from livret.ui.lsl_view import CHOSEN, PROPOSED, CompetencyModel, LearnersModel, LslView
from livret.ui.main_window import MainWindow
from tests.accounts import make_account
from tests.ui.accessibility import problems

SCHEMA_PATH = Path(__file__).resolve().parents[2] / "docs" / "lsl-pro.xsd"
LSL_TABLES = ("lsl_degree", "lsl_appreciation", "lsl_class_setting", "lsl_pfmp_fill")


def rows(database: Database, sql: str, **params: object) -> list[tuple[object, ...]]:
    with database.engine.connect() as connection:
        return [tuple(row) for row in connection.execute(text(sql), params).all()]


def lsl_counts(database: Database) -> dict[str, object]:
    counts = {name: rows(database, f"SELECT COUNT(*) FROM {name}")[0][0] for name in LSL_TABLES}
    counts["audit_event"] = rows(database, "SELECT COUNT(*) FROM audit_event")[0][0]
    return counts


def terminale(service: LslService) -> LslClass:
    return next(k for k in service.classes() if k.grade == "Tle")


@pytest.fixture
def teacher(demo_database: Database) -> Actor:
    return make_account(demo_database, Role.TEACHER, name="Mme Riou")


@pytest.fixture
def service(demo_database: Database, teacher: Actor) -> LslService:
    return LslService(demo_database, teacher)


@pytest.fixture
def errors(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    said: list[str] = []
    monkeypatch.setattr(messages, "show_error", lambda _parent, message: said.append(message))
    return said


def open_view(qtbot: QtBot, service: LslService, actor: Actor) -> LslView:
    widget = LslView(lambda: service, actor)
    qtbot.addWidget(widget)
    widget.resize(1300, 850)
    with qtbot.waitExposed(widget):
        widget.show()
    return widget


@pytest.fixture
def view(qtbot: QtBot, service: LslService, teacher: Actor) -> Iterator[LslView]:
    widget = open_view(qtbot, service, teacher)
    widget.show_class(terminale(service).id)
    yield widget


def test_the_models_pass_the_model_tester(qtmodeltester: ModelTester, view: LslView) -> None:
    qtmodeltester.check(view.learners_model)
    qtmodeltester.check(view.competency_model)
    qtmodeltester.check(view.means_model)
    qtmodeltester.check(view.pfmp_model)
    qtmodeltester.check(LearnersModel())
    qtmodeltester.check(CompetencyModel())


def test_it_lists_the_terminale_learners_and_what_each_lacks(
    view: LslView, service: LslService
) -> None:
    # Only the 1re and Terminale classes are offered.
    offered = [view.class_combo.itemData(i) for i in range(view.class_combo.count())]
    assert offered == [k.id for k in service.classes()]
    klass = terminale(service)
    assert view.current_class_id() == klass.id
    assert view.title.text().startswith(f"LSL Pro — {klass.code}")

    expected = service.class_synthesis(klass.id).learners
    model = view.learners_model
    assert model.rowCount() == len(expected) > 0
    for row, synthesis in enumerate(expected):
        assert model.index(row, 0).data().startswith(synthesis.learner.display_name)
        assert model.index(row, 1).data() == f"⚠ {len(synthesis.missing)} manquants"
        tip = model.index(row, 1).data(Qt.ItemDataRole.ToolTipRole)
        assert all(field in tip for field in synthesis.missing)
        assert "CP01 : degré de maîtrise non choisi" in tip
        assert "Appréciation non rédigée" in tip
    assert f"{len(expected)} incomplète(s)" in view.details.text()

    # The first learner is shown: the specialty's competencies, proposed beside chosen.
    first = expected[0]
    assert view.current_learner_id() == first.learner.id
    assert view.learner_title.text().startswith(first.learner.display_name)
    assert "Appréciation non rédigée" in view.missing_label.text()
    competencies = view.competency_model
    assert [competencies.index(r, 0).data() for r in range(competencies.rowCount())] == [
        c.code for c in first.competencies
    ]
    proposal = first.competencies[0].proposal
    assert proposal.degree is not None
    assert competencies.index(0, PROPOSED).data().startswith(proposal.degree.value)
    assert competencies.index(0, PROPOSED).data(Qt.ItemDataRole.ToolTipRole) == (
        proposal.explanation
    )
    assert competencies.index(0, CHOSEN).data() == "— à choisir —"
    assert view.means_model.rowCount() == 3  # trimesters until the Administrateur chooses
    assert view.pfmp_model.index(0, 0).data() == first.pfmps[0].company


def test_a_chosen_degree_and_the_appreciation_are_stored(
    qtbot: QtBot, view: LslView, service: LslService, errors: list[str]
) -> None:
    klass = terminale(service)
    second = view.learners_model.row_at(1)
    learner_id = second.learner.id
    view.learners_table.selectRow(1)
    assert view.current_learner_id() == learner_id

    # The combo of CP03, as the teacher picks « 2 Insuffisamment maîtrisé ».
    combo = view.degree_combo(2)
    assert combo is not None and combo.accessibleName() == "Degré de maîtrise choisi pour CP03"
    combo.setCurrentIndex(combo.findData(Degree.INSUFFISAMMENT_MAITRISE.value))
    combo.activated.emit(combo.currentIndex())
    stored = service.synthesis(klass.id, learner_id)
    assert stored.competencies[2].chosen is Degree.INSUFFISAMMENT_MAITRISE
    assert view.competency_model.index(2, CHOSEN).data() == "2 Insuffisamment maîtrisé"
    assert "CP03" not in view.learners_model.index(1, 1).data(Qt.ItemDataRole.ToolTipRole)
    assert view.learners_model.index(1, 1).data() == f"⚠ {len(stored.missing)} manquants"

    # « Reprendre les propositions »: the others take their proposal, CP03 keeps its choice.
    qtbot.mouseClick(view.accept_button, Qt.MouseButton.LeftButton)
    stored = service.synthesis(klass.id, learner_id)
    assert [c.chosen for c in stored.competencies] == [
        Degree.INSUFFISAMMENT_MAITRISE if c.code == "CP03" else c.proposal.degree
        for c in stored.competencies
    ]
    assert not view.accept_button.isEnabled()
    assert view.degree_combo(0).currentText() == view.competency_model.index(0, PROPOSED).data()  # type: ignore[union-attr]

    # Back to « à choisir » through the combo.
    combo = view.degree_combo(2)
    assert combo is not None
    combo.setCurrentIndex(combo.findData(""))
    combo.activated.emit(combo.currentIndex())
    assert service.synthesis(klass.id, learner_id).competencies[2].chosen is None

    # The appréciation, typed and saved.
    view.appreciation_edit.setFocus()
    qtbot.keyClicks(view.appreciation_edit, "Stage reussi, bonne autonomie.")
    assert view.save_button.isEnabled()
    qtbot.mouseClick(view.save_button, Qt.MouseButton.LeftButton)
    assert errors == []
    stored = service.synthesis(klass.id, learner_id)
    assert stored.appreciation == "Stage reussi, bonne autonomie."
    assert "Appréciation non rédigée" not in stored.missing
    assert not view.save_button.isEnabled()  # nothing left to save
    # Read again from the database: the same text comes back.
    view.reload()
    view.select_learner(learner_id)
    assert view.appreciation_edit.toPlainText() == "Stage reussi, bonne autonomie."


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("x" * (APPRECIATION_MAX + 1), "trop longue"),
        ("Bon travail\x07 en atelier", "caractères de contrôle"),
    ],
)
def test_a_bad_appreciation_is_refused_in_french_and_nothing_is_written(
    view: LslView, demo_database: Database, errors: list[str], typed: str, said: str
) -> None:
    before = lsl_counts(demo_database)
    view.appreciation_edit.setPlainText(typed)
    assert view.save_appreciation() is None
    assert len(errors) == 1
    assert errors[0].startswith("L'appréciation n'est pas enregistrée.")
    assert said in errors[0]
    assert lsl_counts(demo_database) == before
    assert view.appreciation_edit.toPlainText() == typed  # kept, to be corrected


def test_an_appreciation_changed_elsewhere_is_not_overwritten(
    view: LslView, service: LslService, demo_database: Database, errors: list[str]
) -> None:
    klass = terminale(service)
    learner_id = view.current_learner_id()
    assert learner_id is not None
    service.save_appreciation(klass.id, learner_id, "Écrite sur un autre poste", based_on="")
    view.appreciation_edit.setPlainText("La mienne")
    assert view.save_appreciation() is None
    assert errors and "autre poste" in errors[0]
    assert service.synthesis(klass.id, learner_id).appreciation == "Écrite sur un autre poste"
    assert rows(demo_database, "SELECT text FROM lsl_appreciation") == [
        ("Écrite sur un autre poste",)
    ]


def test_a_typed_appreciation_is_not_lost_when_another_learner_is_chosen(
    view: LslView, service: LslService, monkeypatch: pytest.MonkeyPatch
) -> None:
    klass = terminale(service)
    first, second = (view.learners_model.row_at(r).learner.id for r in (0, 1))
    answers: list[messages.UnsavedChoice] = []
    asked: list[str] = []

    def ask(_parent: object, text: str | None = None, **_kwargs: object) -> object:
        asked.append(text or "")
        return answers.pop(0)

    monkeypatch.setattr(messages, "ask_unsaved", ask)
    view.appreciation_edit.setPlainText("Brouillon d'appréciation")
    # « Annuler »: the learner and the text stay.
    answers.append(messages.UnsavedChoice.CANCEL)
    view.learners_table.selectRow(1)
    assert view.current_learner_id() == first
    assert view.learners_table.currentIndex().row() == 0
    assert view.appreciation_edit.toPlainText() == "Brouillon d'appréciation"
    assert "n'est pas enregistrée" in asked[0]
    # « Enregistrer »: stored, then the other learner shows.
    answers.append(messages.UnsavedChoice.SAVE)
    view.learners_table.selectRow(1)
    assert view.current_learner_id() == second
    assert service.synthesis(klass.id, first).appreciation == "Brouillon d'appréciation"
    # « Ne pas enregistrer »: nothing stored.
    view.appreciation_edit.setPlainText("Jeté")
    answers.append(messages.UnsavedChoice.DISCARD)
    view.learners_table.selectRow(0)
    assert view.current_learner_id() == first
    assert service.synthesis(klass.id, second).appreciation == ""
    assert view.appreciation_edit.toPlainText() == "Brouillon d'appréciation"
    assert answers == [] and len(asked) == 3


def test_a_pfmp_field_the_evaluations_left_empty_is_completed(
    view: LslView, service: LslService, demo_database: Database
) -> None:
    klass = terminale(service)
    pfmp = service.class_synthesis(klass.id).learners[0].pfmps[0]
    ids = ",".join(str(i) for i in pfmp.evaluation_ids)
    with demo_database.engine.begin() as connection:
        connection.execute(text(f"UPDATE evaluation SET tutor = NULL WHERE id IN ({ids})"))
    view.reload()
    assert view.pfmp_model.index(0, 1).data() == "⚠ à compléter"
    # What the evaluation gives stays theirs; only the tutor is editable here.
    assert not view.company_edit.isEnabled() and not view.start_edit.isEnabled()
    assert view.tutor_edit.isEnabled() and view.pfmp_button.isEnabled()
    view.tutor_edit.setText("Mme Le Gall")
    view.pfmp_button.click()
    learner_id = view.current_learner_id()
    assert learner_id is not None
    stored = service.synthesis(klass.id, learner_id).pfmps[0]
    assert (stored.tutor, stored.company) == ("Mme Le Gall", pfmp.company)
    assert view.pfmp_model.index(0, 1).data() == "Mme Le Gall"


def test_only_the_administrateur_chooses_the_periodicity(
    qtbot: QtBot, view: LslView, service: LslService, demo_database: Database, errors: list[str]
) -> None:
    klass = terminale(service)
    # A teacher sees it, greyed, and the service would refuse anyway.
    assert not view.periodicity_combo.isEnabled()
    assert "Administrateur" in view.periodicity_combo.toolTip()
    before = lsl_counts(demo_database)
    assert view.set_periodicity(Periodicity.SEMESTRE) is None
    assert errors and "ne permet pas de choisir la périodicité" in errors[0]
    assert lsl_counts(demo_database) == before

    admin = make_account(demo_database, Role.ADMIN, "admin-lsl")
    admin_view = open_view(qtbot, LslService(demo_database, admin), admin)
    admin_view.show_class(klass.id)
    combo = admin_view.periodicity_combo
    assert combo.isEnabled()
    assert admin_view.learners_model.rowCount() == 0  # the periodicity, no learner's data
    assert not admin_view.area.isVisible()
    assert "trimestres (par défaut : pas encore choisie)" in admin_view.details.text()
    combo.setCurrentIndex(combo.findData(Periodicity.SEMESTRE))
    combo.activated.emit(combo.currentIndex())
    stored = terminale(service)
    assert (stored.periodicity, stored.periodicity_set) == (Periodicity.SEMESTRE, True)
    assert f"Moyennes périodiques de {klass.code} : semestres." in admin_view.details.text()
    assert rows(demo_database, "SELECT class_id, periodicity FROM lsl_class_setting") == [
        (klass.id, "semestre")
    ]
    # The teacher's tab, read again, has two semesters.
    view.reload()
    assert view.periodicity_combo.currentData() == Periodicity.SEMESTRE
    assert [view.means_model.index(r, 0).data() for r in range(view.means_model.rowCount())] == [
        "1er semestre",
        "2e semestre",
    ]


def test_the_exports_write_files_the_schema_accepts(
    view: LslView, service: LslService, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    klass = terminale(service)
    count = view.learners_model.rowCount()
    monkeypatch.setattr(lsl_view, "choose_export_path", lambda _p, _s: tmp_path / "classe.xml")
    view.export_class_button.click()
    written = tmp_path / "classe.xml"
    xmlschema.XMLSchema(str(SCHEMA_PATH)).validate(str(written))
    root = ET.parse(written).getroot()
    ines = [e.findtext("ine") for e in root.iter("eleve")]
    assert ines == [s.learner.ine for s in service.class_synthesis(klass.id).learners]
    assert len(ines) == count
    assert "classe.xml" in view.details.text()

    monkeypatch.setattr(lsl_view, "choose_export_path", lambda _p, _s: tmp_path / "un.xml")
    view.select_learner(view.learners_model.row_at(2).learner.id)
    view.export_learner_button.click()
    one = tmp_path / "un.xml"
    xmlschema.XMLSchema(str(SCHEMA_PATH)).validate(str(one))
    assert [e.findtext("ine") for e in ET.parse(one).getroot().iter("eleve")] == [
        view.learners_model.row_at(2).learner.ine
    ]

    monkeypatch.setattr(lsl_view, "choose_export_path", lambda _p, _s: tmp_path / "classe.xlsx")
    view.export_class_button.click()
    sheet = load_workbook(tmp_path / "classe.xlsx").active
    assert sheet is not None and sheet.max_row == count + 1


def test_the_file_chooser_gives_the_suffix_of_the_chosen_format(
    view: LslView, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []

    def save_name(_parent: object, _title: str, proposed: str, filters: str) -> tuple[str, str]:
        asked.append(proposed)
        assert filters.split(";;")[0] == "XML LSL Pro (*.xml)"
        return str(tmp_path / "synthese"), "CSV pour Excel (*.csv)"

    monkeypatch.setattr(QFileDialog, "getSaveFileName", staticmethod(save_name))
    assert lsl_view.choose_export_path(view, "lsl_TPLP1.xml") == tmp_path / "synthese.csv"
    assert asked[0].endswith("lsl_TPLP1.xml")
    # The next export starts in the folder chosen.
    lsl_view.choose_export_path(view, "lsl_TPLP1.xml")
    assert Path(asked[1]).parent == tmp_path


def test_nothing_is_editable_without_the_right_to_write(
    qtbot: QtBot,
    demo_database: Database,
    service: LslService,
    teacher: Actor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delitem(PERMISSIONS[Action.WRITE_LSL], Role.TEACHER)
    widget = open_view(qtbot, service, teacher)
    widget.show_class(terminale(service).id)
    assert widget.learners_model.rowCount() > 0
    assert widget.degree_combo(0) is None
    assert not widget.competency_model.flags(widget.competency_model.index(0, CHOSEN)) & (
        Qt.ItemFlag.ItemIsEditable
    )
    assert not widget.accept_button.isEnabled()
    assert widget.appreciation_edit.isReadOnly()
    widget.appreciation_edit.setPlainText("Essai")
    assert not widget.save_button.isEnabled()
    assert not any(
        w.isEnabled()
        for w in (widget.company_edit, widget.tutor_edit, widget.start_edit, widget.end_edit)
    )
    assert not widget.pfmp_button.isEnabled()
    assert not widget.periodicity_combo.isEnabled()
    assert widget.export_class_button.isEnabled()  # reading and exporting stay


def test_every_control_is_named_and_reached_with_tab(view: LslView) -> None:
    assert problems(view) == []
    # Tab walks the degree combos down the table, then goes on to the means.
    reached: list[str] = []
    widget: QWidget | None = view.competency_table.nextInFocusChain()
    while widget is not None and widget is not view.means_table and len(reached) < 50:
        if isinstance(widget, QComboBox) and widget.isVisible():
            reached.append(widget.accessibleName())
        widget = widget.nextInFocusChain()
    codes = [c.code for c in view.competency_model.competencies()]
    assert reached == [f"Degré de maîtrise choisi pour {code}" for code in codes]


def test_the_main_window_has_the_tab_after_the_conseil(
    qtbot: QtBot, demo_database: Database, teacher: Actor, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    window = MainWindow(
        build_services(demo_database, teacher), database_name="démo", settings=settings
    )
    qtbot.addWidget(window)
    window.show()
    titles = [window.tabs.tabText(i) for i in range(window.tabs.count())]
    assert titles[titles.index("Conseil de classe") + 1] == "LSL Pro"
    # The tab follows the class chosen in the selector, when it has a LSL Pro synthesis.
    klass = terminale(LslService(demo_database, teacher))
    window.tabs.setCurrentWidget(window.lsl_view)
    assert window.selector.select_class(klass.id)
    assert window.lsl_view.current_class_id() == klass.id
    learners = window.lsl_view.learners_model
    assert learners.rowCount() > 0
    # A colleague's appréciation shows once the window reads again (as live changes do).
    other = learners.row_at(1).learner.id
    LslService(demo_database, teacher).save_appreciation(klass.id, other, "Vu", based_on="")
    window.reload_all()
    assert "Appréciation non rédigée" not in learners.index(1, 1).data(Qt.ItemDataRole.ToolTipRole)


def test_the_administrateur_window_chooses_the_periodicity_from_its_menu(
    qtbot: QtBot, demo_database: Database, service: LslService, tmp_path: Path
) -> None:
    klass = terminale(service)
    admin = make_account(demo_database, Role.ADMIN, "admin-menu")
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    window = MainWindow(
        build_services(demo_database, admin), database_name="démo", settings=settings
    )
    qtbot.addWidget(window)
    window.show()
    assert window.is_admin_view()
    action = window.lsl_periodicity_action
    assert action.isVisible() and action in window.admin_menu.actions()
    action.trigger()
    dialog = window.lsl_periodicity_dialog
    qtbot.waitUntil(dialog.isVisible)
    assert not problems(dialog)
    view = dialog.view
    view.show_class(klass.id)
    assert view.current_class_id() == klass.id
    assert view.learners_model.rowCount() == 0  # the choice only, no learner's data
    combo = view.periodicity_combo
    assert combo.isEnabled()
    combo.setCurrentIndex(combo.findData(Periodicity.SEMESTRE))
    combo.activated.emit(combo.currentIndex())
    assert rows(demo_database, "SELECT class_id, periodicity FROM lsl_class_setting") == [
        (klass.id, "semestre")
    ]
    qtbot.wait(20)  # the labels' new texts laid out, as on screen
    dialog.grab().save(str(tmp_path / "periodicite.png"))


def test_a_teacher_window_has_no_periodicity_menu(
    qtbot: QtBot, demo_database: Database, teacher: Actor, tmp_path: Path
) -> None:
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    window = MainWindow(
        build_services(demo_database, teacher), database_name="démo", settings=settings
    )
    qtbot.addWidget(window)
    assert not window.lsl_periodicity_action.isVisible()


def test_closing_the_window_asks_about_a_typed_appreciation(
    qtbot: QtBot,
    demo_database: Database,
    teacher: Actor,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    settings = QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat)
    window = MainWindow(
        build_services(demo_database, teacher), database_name="démo", settings=settings
    )
    qtbot.addWidget(window)
    window.show()
    klass = terminale(LslService(demo_database, teacher))
    window.tabs.setCurrentWidget(window.lsl_view)
    assert window.selector.select_class(klass.id)
    view = window.lsl_view
    learner = view.current_learner_id()
    assert learner is not None
    answers = [messages.UnsavedChoice.CANCEL, messages.UnsavedChoice.SAVE]
    monkeypatch.setattr(messages, "ask_unsaved", lambda *_a, **_k: answers.pop(0))
    view.appreciation_edit.setPlainText("Écrite avant de fermer")
    # « Annuler »: the window stays open with the text.
    assert not window.close()
    assert window.isVisible()
    assert view.appreciation_edit.toPlainText() == "Écrite avant de fermer"
    # « Enregistrer »: stored, and the window closes.
    assert window.close()
    assert not window.isVisible()
    stored = LslService(demo_database, teacher).synthesis(klass.id, learner)
    assert stored.appreciation == "Écrite avant de fermer"
    assert answers == []


def test_opening_another_base_asks_about_a_typed_appreciation_first(
    qtbot: QtBot,
    demo_database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from livret.app import GuiSession
    from livret.services.authentication import local_profile
    from livret.services.database import open_database

    # No account with a password: the base opens on its local profile, with no login.
    teacher = local_profile(demo_database)

    assert demo_database.location.path is not None
    demo_file = str(demo_database.location.path)
    other_file = str(tmp_path / "autre.sqlite")
    open_database(other_file, create=True)[0].dispose()
    app = QApplication.instance()
    assert isinstance(app, QApplication)
    session = GuiSession(app, QSettings(str(tmp_path / "s.ini"), QSettings.Format.IniFormat))
    errors: list[str] = []
    monkeypatch.setattr(session, "show_error", lambda _parent, message: errors.append(message))
    try:
        assert session.open(demo_file)
        window = session.window
        assert isinstance(window, MainWindow)
        klass = terminale(LslService(demo_database, teacher))
        window.tabs.setCurrentWidget(window.lsl_view)
        assert window.selector.select_class(klass.id)
        learner = window.lsl_view.current_learner_id()
        assert learner is not None
        answers = [messages.UnsavedChoice.CANCEL, messages.UnsavedChoice.SAVE]
        monkeypatch.setattr(messages, "ask_unsaved", lambda *_a, **_k: answers.pop(0))
        window.lsl_view.appreciation_edit.setPlainText("Avant de changer de base")
        opened: list[object] = []
        original = session._open_with_password

        def spy(*args: Any, **kwargs: Any) -> Any:
            opened.append(args[0])
            return original(*args, **kwargs)

        monkeypatch.setattr(session, "_open_with_password", spy)
        # « Annuler »: the other base is not even opened; the window and its text stay.
        assert not session.open(other_file)
        assert opened == []
        assert session.window is window and window.isVisible()
        assert window.lsl_view.appreciation_edit.toPlainText() == "Avant de changer de base"
        # « Enregistrer »: stored, then the other base opens.
        assert session.open(other_file)
        assert session.window is not window
        stored = LslService(demo_database, teacher).synthesis(klass.id, learner)
        assert stored.appreciation == "Avant de changer de base"
        assert answers == [] and errors == []
    finally:
        if session.window is not None:
            session.window.close()  # its closeEvent stops its focus and change watchers
            session.window.deleteLater()
        session.close()
