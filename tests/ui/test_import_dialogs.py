"""The import dialogs: a real file read, parsed and checked in a thread, previewed, imported."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from pytestqt.qtbot import QtBot

from livret.domain.permissions import Action, denied_message
from livret.domain.roles import Actor, Role
from livret.exchange.results_file import ResultsFile
from livret.services.authentication import local_profile
from livret.services.bilans import CONFIRMATION_WORD, BilanService
from livret.services.container import Services, build_services
from livret.services.database import Database
from livret.services.results_import import (
    ProgressCallback,
    ResultsImportReport,
    ResultsImportService,
)
from livret.ui import closed_period, messages
from livret.ui.imports import (
    ImportDialog,
    ResultsImportDialog,
    Step,
    base,
    open_results_import,
    open_siecle_import,
    worker,
)
from livret.ui.imports.siecle import year_choices
from livret.ui.imports.worker import ImportJob
from tests.demo_queries import learner_with
from tests.services.test_results_import import (
    CLOSED_DAY,
    DAY,
    as_date,
    counts,
    csv_data,
    demo_codes,
    final_dates,
    rows_of,
    scalar,
    stored,
)
from tests.services.test_siecle_import import MAIN, learners

TIMEOUT = 20_000

LEARNER = Actor(user_id=None, display_name="Un apprenant", role=Role.LEARNER)


@pytest.fixture
def services(demo_database: Database) -> Services:
    return build_services(demo_database, local_profile(demo_database))


@pytest.fixture
def parent(qtbot: QtBot) -> Iterator[QWidget]:
    widget = QWidget()
    qtbot.addWidget(widget)
    widget.show()
    yield widget
    qtbot.waitUntil(lambda: ImportJob.active() == 0, timeout=TIMEOUT)  # no thread left behind


@pytest.fixture
def errors(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    shown: list[str] = []
    monkeypatch.setattr(messages, "show_error", lambda _parent, text: shown.append(text))
    return shown


def wait_checked(qtbot: QtBot, dialog: ImportDialog) -> None:
    qtbot.waitUntil(lambda: dialog.step is not Step.CHECKING, timeout=TIMEOUT)


def click(qtbot: QtBot, button: Any) -> None:
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)


# -- SIECLE ----------------------------------------------------------------------------


def test_siecle_file_previewed_then_imported(
    qtbot: QtBot, parent: QWidget, services: Services, demo_database: Database
) -> None:
    before = learners(demo_database)
    dialog = open_siecle_import(parent, services, MAIN)
    assert dialog is not None and dialog.isVisible()
    wait_checked(qtbot, dialog)

    assert dialog.step is Step.PREVIEW
    assert dialog.summary.font().bold()
    summary = dialog.summary.text()
    assert "Année scolaire 2025-2026 (établissement 0331234X)" in summary
    assert "8 apprenants à créer" in summary and "2 ignorés" in summary
    sections = dialog.sections()
    created = sections["À créer (8)"]
    assert ["N'DIAYE Moussa", "2345678901B", "TPLP1", "sorti le 12/01/2026"] in created
    assert ["GARÇON Inès", "4567890123D", "sans division", ""] in created
    assert sections["Ignorés (2)"][0] == ["PETIT Lucas", "", "", "INE absent"]
    assert any(title.startswith("Inscrits en 2025-2026 absents du fichier") for title in sections)
    assert dialog.import_button.isEnabled()
    assert learners(demo_database) == before  # a preview writes nothing

    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT) as imported:
        click(qtbot, dialog.import_button)
    assert imported.args is not None and imported.args[0].applied
    assert dialog.step is Step.DONE
    assert not dialog.import_button.isEnabled()
    assert "8 apprenants créés" in dialog.summary.text()
    assert "Créés (8)" in dialog.sections()
    after = learners(demo_database)
    assert after["070123456AB"] == ("LEFÈVRE", "Chloé", dt.date(2009, 4, 3), None, "1PLP1")
    assert after["2345678901B"][3:] == (dt.date(2026, 1, 12), "TPLP1")
    assert len(after) == len(before) + 8

    # The same file again: the base is up to date, nothing to import.
    again = open_siecle_import(parent, services, MAIN)
    assert again is not None
    wait_checked(qtbot, again)
    assert "8 inchangés" in again.summary.text()
    assert "déjà à jour" in again.summary.text()
    assert not again.import_button.isEnabled()


def test_siecle_file_without_school_year_asks_for_one(
    qtbot: QtBot, parent: QWidget, services: Services, demo_database: Database, tmp_path: Path
) -> None:
    content = MAIN.read_bytes().replace(b"<ANNEE_SCOLAIRE>2025</ANNEE_SCOLAIRE>", b"")
    path = tmp_path / "ElevesSansAdresses.xml"
    path.write_bytes(content)
    dialog = open_siecle_import(parent, services, path)
    assert dialog is not None
    wait_checked(qtbot, dialog)
    assert dialog.preview is None
    assert "n'indique pas son année scolaire" in dialog.summary.text()
    assert not dialog.import_button.isEnabled()

    dialog.set_year("2025-2026")  # re-checks the file already read, for that year
    qtbot.waitUntil(lambda: dialog.preview is not None, timeout=TIMEOUT)
    wait_checked(qtbot, dialog)
    assert dialog.import_button.isEnabled()
    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT):
        click(qtbot, dialog.import_button)
    assert learners(demo_database)["6789012345F"][4] == "1PLP1"


def test_an_unsafe_siecle_file_is_refused_in_french(
    qtbot: QtBot, parent: QWidget, services: Services, errors: list[str]
) -> None:
    dialog = open_siecle_import(parent, services, MAIN.parent / "billion_laughs.xml")
    assert dialog is not None
    wait_checked(qtbot, dialog)
    assert dialog.step is Step.EMPTY
    assert len(errors) == 1 and "interdites par sécurité" in errors[0]
    assert dialog.status.text().startswith("Fichier refusé : ")
    assert not dialog.import_button.isEnabled()


def test_school_years_offered() -> None:
    assert year_choices(["2025-2026", "2026-2027"]) == ["2027-2028", "2026-2027", "2025-2026"]
    assert year_choices([], today=dt.date(2026, 3, 1)) == ["2026-2027", "2025-2026"]


# -- results ---------------------------------------------------------------------------


def write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


def test_results_with_bad_lines_list_every_problem_and_write_nothing(
    qtbot: QtBot, parent: QWidget, services: Services, demo_database: Database, tmp_path: Path
) -> None:
    demo = demo_codes(demo_database)
    ine, code = demo.ines[0], demo.criteria[0]
    path = write(
        tmp_path / "mauvais.csv",
        csv_data(
            [
                [DAY, "F", "Mauvais", ine, code, "3", "ok"],  # 2: fine
                [DAY, "F", "Mauvais", "0000000000Z", code, "3", ""],  # 3: unknown INE
                [DAY, "F", "Mauvais", demo.ines[1], "PLP-CP99-01", "3", ""],  # 4
                ["31/02/2026", "F", "Mauvais", demo.ines[2], code, "3", ""],  # 5
                [DAY, "F", "Mauvais", demo.ines[3], code, "5", ""],  # 6
                [DAY, "F", "Mauvais", demo.ines[6], code, "2", ""],  # 7: fine
            ]
        ),
    )
    before = counts(demo_database)
    dialog = open_results_import(parent, services, path)
    assert dialog is not None
    wait_checked(qtbot, dialog)

    assert dialog.problem_lines() == [
        "Ligne 3 : INE « 0000000000Z » inconnu.",
        "Ligne 4 : critère « PLP-CP99-01 » inconnu.",
        "Ligne 5 : date « 31/02/2026 » impossible (ce jour n'existe pas).",
        "Ligne 6 : niveau « 5 » inconnu (attendu : NE, 1, 2, 3, 4, ABS, --, -, + ou ++).",
    ]
    assert dialog.problems_view.isVisible()
    assert "Import refusé : 4 problèmes, rien n'a été enregistré." in dialog.summary.text()
    assert not dialog.import_button.isEnabled()
    click(qtbot, dialog.import_button)  # disabled: nothing happens
    dialog.start_import()
    assert dialog.step is Step.PREVIEW
    assert counts(demo_database) == before
    assert stored(demo_database, "Mauvais") == {}


def test_good_results_are_imported(
    qtbot: QtBot, parent: QWidget, services: Services, demo_database: Database, tmp_path: Path
) -> None:
    demo = demo_codes(demo_database)
    a, b = demo.classmates[:2]
    code = demo.criteria[0]
    path = write(
        tmp_path / "bons.csv",
        csv_data(
            [
                [DAY, "F", "Import GUI", a, code, "3", "Bien"],
                [DAY, "F", "Import GUI", b, code, "ABS", ""],
                [DAY, "F", "Import GUI", a, demo.criteria[1], "++", ""],
            ]
        ),
    )
    dialog = open_results_import(parent, services, path)
    assert dialog is not None
    wait_checked(qtbot, dialog)
    assert dialog.problem_lines() == []
    assert not dialog.problems_view.isVisible()
    assert "Résultats : 3 à créer, 0 à mettre à jour." in dialog.summary.text()
    assert dialog.import_button.isEnabled()
    assert stored(demo_database, "Import GUI") == {}

    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT) as imported:
        dialog.start_import()
        assert dialog.step is Step.IMPORTING
        assert not dialog.cancel_button.isEnabled() and not dialog.close_button.isEnabled()
        dialog.reject()  # an import being written is not left half-way
        assert dialog.isVisible()
    report = imported.args[0] if imported.args else None
    assert isinstance(report, ResultsImportReport) and report.applied
    assert dialog.step is Step.DONE and not dialog.import_button.isEnabled()
    assert "Résultats : 3 créés, 0 mis à jour." in dialog.summary.text()
    assert stored(demo_database, "Import GUI") == {
        (a, code): ("3", "Bien"),
        (b, code): ("ABS", None),
        (a, demo.criteria[1]): ("4", None),
    }


def test_progress_bar_follows_the_stages_and_reaches_its_maximum(
    qtbot: QtBot,
    parent: QWidget,
    services: Services,
    demo_database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(worker, "CHUNK_BYTES", 512)  # a small file read in many steps
    demo = demo_codes(demo_database)
    rows = [
        [DAY, "F", "Beaucoup", ine, criterion, "2", ""]
        for ine in demo.classmates[:5]
        for criterion in demo.criteria[:20]
    ]
    path = write(tmp_path / "gros.csv", csv_data(rows))
    size = path.stat().st_size
    dialog = ResultsImportDialog(services.results_import, parent)
    qtbot.addWidget(dialog)
    stages: list[str] = []
    steps: list[tuple[int, int]] = []
    dialog.stage_changed.connect(stages.append)
    dialog.progress.valueChanged.connect(
        lambda value: steps.append((value, dialog.progress.maximum()))
    )
    dialog.show()
    with qtbot.waitSignal(dialog.checked, timeout=TIMEOUT):
        dialog.start(path)

    assert stages == [
        "Lecture du fichier…",
        "Analyse des lignes du fichier…",
        "Vérification dans la base (apprenants, critères, évaluations)…",
    ]
    reading = [value for value, maximum in steps if maximum == size]
    assert len(reading) > size // 512 // 2  # determinate, step by step
    assert reading == sorted(reading) and reading[-1] == size
    assert dialog.progress.value() == dialog.progress.maximum() == 1
    assert dialog.import_button.isEnabled()


class BlockedCheck(ResultsImportService):
    """Checks only once the test allows it, so that the user can cancel meanwhile."""

    def __init__(self, database: Database, actor: Actor) -> None:
        super().__init__(database, actor)
        self.started = threading.Event()
        self.release = threading.Event()

    def check(
        self, results_file: ResultsFile, progress: ProgressCallback | None = None
    ) -> ResultsImportReport:
        self.started.set()
        assert self.release.wait(TIMEOUT / 1000)
        return super().check(results_file, progress)


def test_cancel_during_the_check_writes_nothing(
    qtbot: QtBot, parent: QWidget, services: Services, demo_database: Database, tmp_path: Path
) -> None:
    demo = demo_codes(demo_database)
    path = write(
        tmp_path / "annule.csv",
        csv_data([[DAY, "F", "Annulé", demo.ines[0], demo.criteria[0], "3", ""]]),
    )
    blocked = BlockedCheck(demo_database, services.actor)
    services = dataclasses.replace(services, results_import=blocked)
    before = counts(demo_database)
    dialog = open_results_import(parent, services, path)
    assert dialog is not None
    qtbot.waitUntil(blocked.started.is_set, timeout=TIMEOUT)
    qtbot.waitUntil(lambda: "Vérification dans la base" in dialog.status.text(), timeout=TIMEOUT)
    assert dialog.cancel_button.isEnabled()
    assert dialog.progress.maximum() == 1  # the lines to check: one

    click(qtbot, dialog.cancel_button)
    assert dialog.step is Step.EMPTY
    assert dialog.status.text() == "Vérification annulée : rien n'a été enregistré."
    blocked.release.set()
    qtbot.waitUntil(lambda: ImportJob.active() == 0, timeout=TIMEOUT)  # its signals delivered
    assert dialog.step is Step.EMPTY and dialog.report is None
    assert not dialog.import_button.isEnabled()
    assert counts(demo_database) == before
    assert stored(demo_database, "Annulé") == {}


def test_file_chosen_in_the_file_dialog(
    qtbot: QtBot,
    parent: QWidget,
    services: Services,
    demo_database: Database,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    demo = demo_codes(demo_database)
    path = write(
        tmp_path / "choisi.csv",
        csv_data([[DAY, "F", "Choisi", demo.ines[0], demo.criteria[0], "3", ""]]),
    )
    asked: list[str] = []

    def choose(_parent: QWidget, title: str, file_filter: str) -> Path | None:
        asked.append(file_filter)
        return path if len(asked) > 1 else None

    monkeypatch.setattr(base, "choose_import_file", choose)
    assert open_results_import(parent, services) is None  # no file chosen: no dialog
    dialog = open_results_import(parent, services)
    assert dialog is not None and dialog.path == path
    assert "*.csv *.xlsx" in asked[0]
    wait_checked(qtbot, dialog)
    assert dialog.can_import


def test_a_learner_may_not_import(
    qtbot: QtBot, parent: QWidget, services: Services, tmp_path: Path, errors: list[str]
) -> None:
    path = write(tmp_path / "x.csv", csv_data([[DAY, "F", "X", "1", "2", "3", ""]]))
    dialog = open_results_import(parent, build_services(services.database, LEARNER), path)
    assert dialog is not None
    wait_checked(qtbot, dialog)
    assert errors == [denied_message(LEARNER, Action.IMPORT_RESULTS)]
    assert dialog.step is Step.EMPTY and not dialog.import_button.isEnabled()


def test_closing_during_the_check_stops_it(
    qtbot: QtBot, parent: QWidget, services: Services, demo_database: Database, tmp_path: Path
) -> None:
    demo = demo_codes(demo_database)
    path = write(
        tmp_path / "ferme.csv",
        csv_data([[DAY, "F", "Fermé", demo.ines[0], demo.criteria[0], "3", ""]]),
    )
    blocked = BlockedCheck(demo_database, services.actor)
    dialog = open_results_import(
        parent, dataclasses.replace(services, results_import=blocked), path
    )
    assert dialog is not None
    qtbot.waitUntil(blocked.started.is_set, timeout=TIMEOUT)
    job = dialog._job
    assert job is not None and job.isRunning() and not job.cancel_requested
    outcomes: list[str] = []
    job.succeeded.connect(lambda _result: outcomes.append("succeeded"))
    job.failed.connect(lambda message: outcomes.append(f"failed: {message}"))
    job.cancelled.connect(lambda: outcomes.append("cancelled"))
    released_after_cancel: list[bool] = []

    def release_once_cancelled() -> None:
        # The check stays blocked until closing has asked the job to stop.
        for _ in range(TIMEOUT // 10):
            if job.cancel_requested:
                break
            time.sleep(0.01)
        released_after_cancel.append(job.cancel_requested)
        blocked.release.set()

    releaser = threading.Thread(target=release_once_cancelled, daemon=True)
    releaser.start()
    with qtbot.waitSignal(dialog.destroyed, timeout=TIMEOUT):
        dialog.close()  # cancels, waits for the thread, then deletes (WA_DeleteOnClose)
    releaser.join(TIMEOUT / 1000)
    qtbot.waitUntil(lambda: ImportJob.active() == 0, timeout=TIMEOUT)
    assert released_after_cancel == [True]  # closed while the check was still blocked
    assert job.isFinished()
    qtbot.waitUntil(lambda: bool(outcomes), timeout=TIMEOUT)
    assert outcomes == ["cancelled"]  # never "succeeded": the check's result was dropped
    assert stored(demo_database, "Fermé") == {}


def test_an_unexpected_error_is_told_in_french(
    qtbot: QtBot, caplog: pytest.LogCaptureFixture
) -> None:
    def task(_progress: worker.Progress) -> None:
        raise RuntimeError("boom SELECT * FROM learner")

    job = ImportJob(task)
    with qtbot.waitSignal(job.failed, timeout=TIMEOUT) as failed:
        job.start_job()
    job.wait()
    qtbot.waitUntil(lambda: ImportJob.active() == 0, timeout=TIMEOUT)
    (message,) = failed.args
    assert message == (
        "Erreur inattendue pendant l'import : rien n'a été enregistré. "
        "(Détail technique : RuntimeError)"
    )
    assert "SELECT" not in message and "boom" not in message
    logged = [record for record in caplog.records if record.name == worker.__name__]
    assert logged and logged[0].exc_info is not None  # the whole exception is in the log
    assert "boom SELECT" in caplog.text


# -- closed periods ----------------------------------------------------------------------


class Questions(list[tuple[tuple[int, ...], bool]]):
    """The closed-period questions asked, (learner ids, importing); `answers` gives replies."""

    def __init__(self) -> None:
        super().__init__()
        self.answers: list[bool] = []

    def ask(self, _parent: QWidget, covered: Any, *, importing: bool) -> bool:
        self.append((tuple(learner.learner_id for learner in covered), importing))
        return self.answers.pop(0)


@pytest.fixture
def asked(monkeypatch: pytest.MonkeyPatch) -> Questions:
    questions = Questions()
    monkeypatch.setattr(closed_period, "confirm_adding_in_closed_period", questions.ask)
    return questions


def closed_file(database: Database, tmp_path: Path) -> tuple[Path, set[str]]:
    """Results on CLOSED_DAY for learners with a final bilan after it, and one without."""
    demo = demo_codes(database)
    finals = final_dates(database)
    closed = [ine for ine in demo.ines if finals.get(ine, dt.date.min) >= dt.date(2026, 3, 5)]
    open_ = next(ine for ine in demo.ines if ine not in finals)
    rows = [
        [CLOSED_DAY, "F", "Import clos", ine, demo.criteria[0], "3", ""]
        for ine in [*closed[:3], open_]
    ]
    return write(tmp_path / "clos.csv", csv_data(rows)), set(closed[:3])


def test_an_import_into_closed_periods_asks_first(
    qtbot: QtBot,
    parent: QWidget,
    services: Services,
    demo_database: Database,
    tmp_path: Path,
    asked: Questions,
) -> None:
    path, closed = closed_file(demo_database, tmp_path)
    before = counts(demo_database)
    dialog = open_results_import(parent, services, path)
    assert dialog is not None
    wait_checked(qtbot, dialog)
    assert "Période close : 3 résultats à ajouter" in dialog.summary.text()
    assert "Importer demandera confirmation" in dialog.problems_label.text()
    assert dialog.import_button.isEnabled()

    asked.answers.append(False)
    click(qtbot, dialog.import_button)
    assert len(asked) == 1 and len(asked[0][0]) == 3 and asked[0][1] is True
    assert dialog.step is Step.PREVIEW and dialog.import_button.isEnabled()
    assert dialog.status.text() == "Import annulé : rien n'a été enregistré."
    assert counts(demo_database) == before

    asked.answers.append(True)
    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT):
        click(qtbot, dialog.import_button)
    assert len(asked) == 2
    assert "(tracé dans le journal)" in dialog.summary.text()
    assert len(stored(demo_database, "Import clos")) == 4
    after = counts(demo_database)
    assert after["audit_event"] == before["audit_event"] + 2
    assert {ine for ine, _ in stored(demo_database, "Import clos")} >= closed


def test_a_bilan_finalized_since_the_check_is_asked_about(
    qtbot: QtBot,
    parent: QWidget,
    services: Services,
    demo_database: Database,
    tmp_path: Path,
    asked: Questions,
    errors: list[str],
) -> None:
    """The check found no closed period; a colleague finalizes a bilan before Importer."""
    learner_id = learner_with(demo_database, finals=1, draft=True)
    ine = scalar(demo_database, "SELECT ine FROM learner WHERE id = :id", id=learner_id)
    draft_id, draft_day = rows_of(
        demo_database,
        "SELECT id, bilan_date FROM bilan WHERE learner_id = :id AND status = 'draft'",
        id=learner_id,
    )[0]
    demo = demo_codes(demo_database)
    day = as_date(draft_day).strftime("%d/%m/%Y")
    path = write(
        tmp_path / "tardif.csv",
        csv_data([[day, "F", "Tardif", ine, demo.criteria[0], "2", ""]]),
    )
    dialog = open_results_import(parent, services, path)
    assert dialog is not None
    wait_checked(qtbot, dialog)
    assert dialog.report is not None and dialog.report.covered == ()

    bilans = BilanService(demo_database, services.actor)
    sheet = bilans.sheet(draft_id)
    bilans.finalize(draft_id, version=sheet.version, confirmation=CONFIRMATION_WORD)

    click(qtbot, dialog.import_button)  # asks nothing: the check saw no closed period
    qtbot.waitUntil(lambda: dialog.step is Step.PREVIEW, timeout=TIMEOUT)
    assert asked == [] and errors == []
    assert dialog.status.text() == "Import refusé : rien n'a été enregistré."
    assert "Période close : 1 résultat à ajouter" in dialog.summary.text()
    assert stored(demo_database, "Tardif") == {}
    assert dialog.import_button.isEnabled()

    asked.answers.append(True)
    with qtbot.waitSignal(dialog.imported, timeout=TIMEOUT):
        click(qtbot, dialog.import_button)
    assert asked == [((learner_id,), True)]
    assert stored(demo_database, "Tardif") == {(ine, demo.criteria[0]): ("2", None)}
