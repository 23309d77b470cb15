"""PrivacyService (RGPD) on the real demo database: the export zip read back (JSON counts
against SQL, PDFs with pypdf, owner-only modes), the erasure checked table by table and
in the audit journal, every refusal leaving the data as it was, the retention list."""

from __future__ import annotations

import datetime as dt
import io
import json
import stat
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader
from sqlalchemy import text

from livret.domain.errors import NotFound, PermissionDenied, ValidationError
from livret.domain.roles import Actor, Role
from livret.services import audit
from livret.services.authentication import LoginRefused, authenticate
from livret.services.conseil import ConseilService
from livret.services.database import Database
from livret.services.dto import display_name
from livret.services.evaluations import EvaluationService
from livret.services.lsl import LslService
from livret.services.marks import MarkService
from livret.services.privacy import (
    ERASE_WORD,
    ERASED_ACTION,
    PrivacyService,
    years_before,
)
from livret.services.privacy_records import ERASED_NAME
from tests.accounts import PASSWORD, make_account
from tests.demo_queries import learner_with

TABLES = (
    "learner",
    "enrolment",
    "result",
    "bilan",
    "positioning",
    "mark",
    "app_user",
    "evaluation",
    "audit_event",
    "change_event",
)
LEARNER_LOGIN = "eleve-rgpd"


def rows(database: Database, sql: str, **params: Any) -> list[Any]:
    with database.engine.connect() as connection:
        return list(connection.execute(text(sql), params).all())


def one(database: Database, sql: str, **params: Any) -> Any:
    return rows(database, sql, **params)[0][0]


def table_counts(database: Database) -> dict[str, int]:
    return {table: int(one(database, f"SELECT COUNT(*) FROM {table}")) for table in TABLES}


def fingerprint(database: Database) -> dict[str, Any]:
    """Row counts, the bilans' statuses and versions, the audit texts: any write shows."""
    found: dict[str, Any] = dict(table_counts(database))
    found["bilans"] = rows(database, "SELECT id, status, version FROM bilan ORDER BY id")
    found["audit"] = rows(
        database, "SELECT id, actor, details, entity_id, user_id FROM audit_event ORDER BY id"
    )
    return found


@dataclass(frozen=True, slots=True)
class Subject:
    """A learner with two final bilans, a draft, a mark, an account, events naming them."""

    learner_id: int
    ine: str
    name: str
    first_last: str
    bilan_ids: tuple[int, ...]
    final_ids: tuple[int, ...]
    account_id: int
    other_name: str | None
    """Another learner named in the same audit event (must stay there)."""


@dataclass(frozen=True, slots=True)
class World:
    database: Database
    admin: Actor
    ddfpt: Actor
    teacher: Actor
    subject: Subject


def _subject(database: Database, teacher: Actor) -> Subject:
    learner_id = learner_with(database, 2, True)
    ine, family, first = rows(
        database, "SELECT ine, family_name, first_name FROM learner WHERE id = :l", l=learner_id
    )[0]
    # Their latest final bilan gets its mark out of 20 (saved for its class).
    class_id = one(
        database,
        "SELECT class_id FROM bilan WHERE learner_id = :l AND status = 'final' "
        "ORDER BY bilan_date DESC, id DESC",
        l=learner_id,
    )
    MarkService(database, teacher).save(class_id)
    # An account, a login, a failed login (its login as actor).
    account = make_account(database, Role.LEARNER, LEARNER_LOGIN, learner_ine=ine)
    with pytest.raises(LoginRefused):
        authenticate(database, LEARNER_LOGIN, "pas-le-bon")
    # An evaluation deleted after their final bilan: the journal lists the learners.
    evaluation_id = one(
        database,
        "SELECT r.evaluation_id FROM result r JOIN evaluation e ON e.id = r.evaluation_id "
        "WHERE r.learner_id = :l AND e.eval_date <= (SELECT MAX(bilan_date) FROM bilan "
        "WHERE learner_id = :l AND status = 'final') "
        "GROUP BY r.evaluation_id ORDER BY r.evaluation_id LIMIT 1",
        l=learner_id,
    )
    EvaluationService(database, teacher).delete(evaluation_id, confirm_covered=True)
    details = one(
        database,
        "SELECT details FROM audit_event WHERE action = 'evaluation_deleted_after_final'",
    )
    name = display_name(family, first)
    assert name in details
    others = [
        line.split(" (bilan du")[0]
        for line in details.splitlines()
        if " (bilan du" in line and not line.startswith(name)
    ]
    # In 1PLP1 of this year: a remark for the conseil, an LSL Pro appréciation and degree.
    (lsl_class,) = [
        c.id for c in LslService(database, teacher).classes()
        if (c.code, c.school_year_label) == ("1PLP1", "2026-2027")
    ]  # fmt: skip
    ConseilService(database, teacher).save_remark(
        lsl_class, learner_id, dt.date(2026, 12, 10), "Bon trimestre pour Rémi"
    )
    lsl = LslService(database, teacher)
    lsl.save_appreciation(lsl_class, learner_id, "Des progrès en atelier.", based_on="")
    competency = one(
        database,
        "SELECT c.id FROM competency c JOIN specialty s ON s.id = c.specialty_id "
        "WHERE s.code = 'PLP' ORDER BY c.position LIMIT 1",
    )
    lsl.choose_degree(lsl_class, learner_id, competency, "3")
    bilans = rows(
        database,
        "SELECT id, status FROM bilan WHERE learner_id = :l ORDER BY id",
        l=learner_id,
    )
    assert account.user_id is not None
    return Subject(
        learner_id=learner_id,
        ine=ine,
        name=name,
        first_last=f"{first} {family}",
        bilan_ids=tuple(b[0] for b in bilans),
        final_ids=tuple(b[0] for b in bilans if b[1] == "final"),
        account_id=account.user_id,
        other_name=others[0] if others else None,
    )


@pytest.fixture
def world(demo_database: Database) -> World:
    teacher = make_account(demo_database, Role.TEACHER)
    return World(
        database=demo_database,
        admin=make_account(demo_database, Role.ADMIN),
        ddfpt=make_account(demo_database, Role.DDFPT),
        teacher=teacher,
        subject=_subject(demo_database, teacher),
    )


# -- export --------------------------------------------------------------------------------


@pytest.fixture
def out(tmp_path: Path) -> Path:
    """An empty folder for the zips (the SQLite file lives in tmp_path)."""
    folder = tmp_path / "exports"
    folder.mkdir()
    return folder


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.DDFPT], ids=["admin", "ddfpt"])
def test_export_holds_every_row_and_readable_pdfs(world: World, out: Path, role: Role) -> None:
    database, subject = world.database, world.subject
    actor = world.admin if role is Role.ADMIN else world.ddfpt
    written = PrivacyService(database, actor).export_learner(
        subject.learner_id, out / "donnees-eleve"
    )
    assert written == out / "donnees-eleve.zip"
    assert _mode(written) == 0o600
    assert [p.name for p in out.iterdir()] == [written.name]  # no temporary file left

    with zipfile.ZipFile(written) as archive:
        for info in archive.infolist():
            assert stat.S_IMODE(info.external_attr >> 16) == 0o600, info.filename
        record = json.loads(archive.read("donnees.json"))
        pdfs = {name: archive.read(name) for name in archive.namelist() if name.endswith(".pdf")}
        assert "LISEZMOI.txt" in archive.namelist()

    learner = record["learner"]
    assert (learner["ine"], learner["id"]) == (subject.ine, subject.learner_id)
    sql = {
        "results": "SELECT COUNT(*) FROM result WHERE learner_id = :l",
        "bilans": "SELECT COUNT(*) FROM bilan WHERE learner_id = :l",
        "enrolments": "SELECT COUNT(*) FROM enrolment WHERE learner_id = :l",
        "marks": "SELECT COUNT(*) FROM mark m JOIN bilan b ON b.id = m.bilan_id "
        "WHERE b.learner_id = :l",
    }
    for key, query in sql.items():
        assert len(record[key]) == one(database, query, l=subject.learner_id), key
    assert len(record["marks"]) == 1
    (remark,) = record["conseil_remarks"]
    assert (remark["class_code"], remark["conseil_date"], remark["text"]) == (
        "1PLP1",
        "2026-12-10",
        "Bon trimestre pour Rémi",
    )
    lsl = record["lsl"]
    assert [a["text"] for a in lsl["appreciations"]] == ["Des progrès en atelier."]
    assert [(d["school_year"], d["degree"]) for d in lsl["degrees"]] == [("2026-2027", "3")]
    positionings = one(
        database,
        "SELECT COUNT(*) FROM positioning p JOIN bilan b ON b.id = p.bilan_id "
        "WHERE b.learner_id = :l",
        l=subject.learner_id,
    )
    assert sum(len(b["positionings"]) for b in record["bilans"]) == positionings
    first = record["results"][0]
    assert {"evaluation_title", "evaluation_date", "criterion_code", "level"} <= set(first)

    account = record["account"]
    assert account["login"] == LEARNER_LOGIN and account["has_password"] is True
    raw = json.dumps(record)
    assert "password_hash" not in raw and "$argon2" not in raw
    actions = {event["action"] for event in record["audit_events"]}
    assert {"user_added", "login", "login_failed", "evaluation_deleted_after_final"} <= actions

    # One PDF per bilan, drafts included (marked in the name and on the page).
    assert len(pdfs) == len(subject.bilan_ids) == 3
    assert sorted(b["pdf"] for b in record["bilans"]) == sorted(pdfs)
    assert sum("_brouillon" in name for name in pdfs) == 1
    for name, data in pdfs.items():
        reader = PdfReader(io.BytesIO(data))
        page_text = "\n".join(page.extract_text() for page in reader.pages)
        assert subject.name in page_text, name
        assert ("Brouillon" in page_text) == ("_brouillon" in name), name

    # The export itself is in the journal (counts only).
    exported = rows(
        database,
        "SELECT entity, entity_id, details FROM audit_event WHERE action = 'learner_data_exported'",
    )
    assert len(exported) == 1 and exported[0][:2] == ("learner", subject.learner_id)
    assert subject.name not in exported[0][2]


def test_export_never_replaces_a_file(world: World, out: Path) -> None:
    target = out / "export.zip"
    target.write_bytes(b"precious")
    service = PrivacyService(world.database, world.admin)
    with pytest.raises(ValidationError, match="existe déjà"):
        service.export_learner(world.subject.learner_id, target)
    assert target.read_bytes() == b"precious"
    assert [p.name for p in out.iterdir()] == ["export.zip"]


def test_export_refused_to_teacher_and_learner(world: World, out: Path) -> None:
    learner = authenticate(world.database, LEARNER_LOGIN, PASSWORD)
    for actor in (world.teacher, learner):
        before = fingerprint(world.database)
        with pytest.raises(PermissionDenied):
            PrivacyService(world.database, actor).export_learner(
                world.subject.learner_id, out / "refus.zip"
            )
        assert fingerprint(world.database) == before
    assert list(out.iterdir()) == []


# -- erasure -------------------------------------------------------------------------------


def _erase(world: World, **changes: Any) -> Any:
    arguments: dict[str, Any] = {
        "confirmation": ERASE_WORD,
        "ddfpt_login": "test-ddfpt",
        "ddfpt_password": PASSWORD,
    }
    arguments.update(changes)
    actor = arguments.pop("actor", world.admin)
    return PrivacyService(world.database, actor).erase_learner(
        world.subject.learner_id, **arguments
    )


def test_erase_removes_every_row_and_keeps_an_anonymous_journal(world: World) -> None:
    database, subject = world.database, world.subject
    before = table_counts(database)
    own_results = one(
        database, "SELECT COUNT(*) FROM result WHERE learner_id = :l", l=subject.learner_id
    )
    preview = PrivacyService(database, world.admin).erasure_preview(subject.learner_id)
    assert (preview.name, preview.ine, preview.bilans, preview.final_bilans) == (
        subject.name,
        subject.ine,
        3,
        2,
    )
    assert preview.needs_countersign and preview.marks == 1
    assert (preview.conseil_remarks, preview.lsl_entries) == (1, 2)
    assert preview.account_login == LEARNER_LOGIN and preview.results == own_results

    report = _erase(world)
    assert (report.bilans, report.final_bilans, report.marks) == (3, 2, 1)
    assert report.results == own_results and report.account_deleted
    assert (report.conseil_remarks, report.lsl_entries) == (1, 2)

    # Every table that references the learner, by SQL.
    ids = ",".join(str(i) for i in subject.bilan_ids)
    for query in (
        "SELECT COUNT(*) FROM learner WHERE id = :l OR ine = :ine",
        "SELECT COUNT(*) FROM enrolment WHERE learner_id = :l",
        "SELECT COUNT(*) FROM conseil_remark WHERE learner_id = :l",
        "SELECT COUNT(*) FROM lsl_appreciation WHERE learner_id = :l",
        "SELECT COUNT(*) FROM lsl_degree WHERE learner_id = :l",
        "SELECT COUNT(*) FROM result WHERE learner_id = :l",
        "SELECT COUNT(*) FROM bilan WHERE learner_id = :l",
        f"SELECT COUNT(*) FROM bilan WHERE id IN ({ids})",
        f"SELECT COUNT(*) FROM positioning WHERE bilan_id IN ({ids})",
        f"SELECT COUNT(*) FROM mark WHERE bilan_id IN ({ids})",
        "SELECT COUNT(*) FROM app_user WHERE learner_id = :l OR id = :a OR login = :login",
        "SELECT COUNT(*) FROM audit_event WHERE user_id = :a OR session_user_id = :a",
        f"SELECT COUNT(*) FROM audit_event WHERE entity = 'bilan' AND entity_id IN ({ids})",
        "SELECT COUNT(*) FROM audit_event WHERE entity = 'learner' AND entity_id = :l",
    ):
        found = one(
            database,
            query,
            l=subject.learner_id,
            ine=subject.ine,
            a=subject.account_id,
            login=LEARNER_LOGIN,
        )
        assert found == 0, query
    after = table_counts(database)
    assert after["learner"] == before["learner"] - 1
    assert after["result"] == before["result"] - own_results
    assert after["bilan"] == before["bilan"] - 3
    assert after["app_user"] == before["app_user"] - 1
    assert after["evaluation"] == before["evaluation"]  # the class's evaluations stay

    # One unlock per final bilan, by the DDFPT, then one learner_erased event.
    unlocks = rows(
        database,
        "SELECT user_id, session_user_id, details FROM audit_event "
        "WHERE action = 'bilan_unlocked' ORDER BY id",
    )
    assert [tuple(u) for u in unlocks] == [
        (world.ddfpt.user_id, world.admin.user_id, "effacement RGPD")
    ] * 2
    erased = rows(
        database,
        "SELECT user_id, entity, entity_id, details FROM audit_event WHERE action = :a",
        a=ERASED_ACTION,
    )
    assert len(erased) == 1
    assert erased[0][:3] == (world.admin.user_id, "learner", None)
    assert "3 bilan(s) dont 2 définitif(s)" in erased[0][3]
    assert "1 remarque(s) de conseil de classe, 2 saisie(s) LSL Pro" in erased[0][3]
    # The events are kept (none deleted), and nothing in them names the learner.
    assert after["audit_event"] == before["audit_event"] + 3
    texts = "\n".join(
        f"{actor}\n{details}"
        for actor, details in rows(database, "SELECT actor, details FROM audit_event")
    ).casefold()
    for form in (subject.name, subject.first_last, subject.ine, LEARNER_LOGIN):
        assert form.casefold() not in texts, form
    deleted = one(
        database,
        "SELECT details FROM audit_event WHERE action = 'evaluation_deleted_after_final'",
    )
    assert ERASED_NAME in deleted
    if subject.other_name is not None:  # the other learners stay named
        assert subject.other_name in deleted
    assert one(database, "SELECT COUNT(*) FROM change_event WHERE kind = :k", k=ERASED_ACTION) == 1

    with pytest.raises(NotFound):
        PrivacyService(database, world.admin).erasure_preview(subject.learner_id)


def test_erasure_keeps_the_audit_chain_verifiable(world: World) -> None:
    """The redaction is the one change the audit guard allows: the chain still verifies."""
    from livret.services.database import check_database

    database = world.database
    assert check_database(database).problems == ()
    _erase(world)
    redacted = one(
        database,
        "SELECT COUNT(*) FROM audit_event WHERE details = '[détails effacés (RGPD)]' "
        "OR details LIKE '%[apprenant effacé]%' OR actor = '[apprenant effacé]'",
    )
    assert redacted > 0
    assert check_database(database).problems == ()


def test_erase_blanks_whole_words_only(world: World) -> None:
    """A mention inside a longer word (another name, another login) is left alone."""
    database, subject = world.database, world.subject
    with database.transaction() as session:
        for details in (
            f"Import : {subject.ine} ; compte {LEARNER_LOGIN}.",
            f"Compte x{LEARNER_LOGIN} et {subject.ine}9 : un autre apprenant",
        ):
            audit.record(session, world.teacher, "note", "evaluation", None, details)
    _erase(world)
    notes = [
        row[0]
        for row in rows(
            database, "SELECT details FROM audit_event WHERE action = 'note' ORDER BY id"
        )
    ]
    assert notes == [
        f"Import : {ERASED_NAME} ; compte {ERASED_NAME}.",
        f"Compte x{LEARNER_LOGIN} et {subject.ine}9 : un autre apprenant",
    ]


def test_erase_without_final_bilans_needs_no_countersign(world: World) -> None:
    database = world.database
    learner_id = one(
        database,
        "SELECT id FROM learner WHERE id NOT IN (SELECT learner_id FROM bilan) ORDER BY id",
    )
    service = PrivacyService(database, world.admin)
    assert not service.erasure_preview(learner_id).needs_countersign
    report = service.erase_learner(
        learner_id, confirmation=ERASE_WORD, ddfpt_login=None, ddfpt_password=None
    )
    assert report.bilans == 0 and report.results > 0
    assert one(database, "SELECT COUNT(*) FROM learner WHERE id = :l", l=learner_id) == 0
    assert one(database, "SELECT COUNT(*) FROM audit_event WHERE action = 'bilan_unlocked'") == 0


@pytest.mark.parametrize("typed", ["effacer", "EFFACER ", "", "CONFIRMATION"])
def test_wrong_confirmation_erases_nothing(world: World, typed: str) -> None:
    before = fingerprint(world.database)
    with pytest.raises(ValidationError, match="EFFACER"):
        _erase(world, confirmation=typed)
    assert fingerprint(world.database) == before


def test_wrong_ddfpt_password_erases_nothing(world: World) -> None:
    database = world.database
    before = fingerprint(database)
    with pytest.raises(LoginRefused):
        _erase(world, ddfpt_password="faux")
    after = fingerprint(database)
    # Only the refused countersignature is recorded (as for an unlock).
    new_events = rows(
        database,
        "SELECT action FROM audit_event WHERE id > :i",
        i=max((e[0] for e in before["audit"]), default=0),
    )
    assert [e[0] for e in new_events] == ["countersign_failed"]
    assert after["audit"][: len(before["audit"])] == before["audit"]
    for key in (*TABLES, "bilans"):
        if key != "audit_event":
            assert after[key] == before[key], key


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"ddfpt_login": None, "ddfpt_password": None}, ValidationError),
        ({"ddfpt_login": "test-enseignant"}, PermissionDenied),  # a teacher cannot countersign
        ({"ddfpt_login": "test-administrateur"}, PermissionDenied),
    ],
    ids=["no-countersign", "teacher-countersigns", "admin-countersigns"],
)
def test_countersignature_must_be_a_ddfpt(
    world: World, changes: dict[str, Any], error: type[Exception]
) -> None:
    before = fingerprint(world.database)
    with pytest.raises(error):
        _erase(world, **changes)
    assert fingerprint(world.database) == before


@pytest.mark.parametrize("role", [Role.TEACHER, Role.DDFPT, Role.LEARNER])
def test_only_the_administrator_erases(world: World, role: Role) -> None:
    actor = {
        Role.TEACHER: world.teacher,
        Role.DDFPT: world.ddfpt,
        Role.LEARNER: authenticate(world.database, LEARNER_LOGIN, PASSWORD),
    }[role]
    before = fingerprint(world.database)
    with pytest.raises(PermissionDenied):
        _erase(world, actor=actor)
    with pytest.raises(PermissionDenied):
        PrivacyService(world.database, actor).erasure_preview(world.subject.learner_id)
    assert fingerprint(world.database) == before


# -- retention -----------------------------------------------------------------------------


def test_retention_lists_exactly_the_learners_gone_more_than_n_years(world: World) -> None:
    database = world.database
    today = dt.date(2026, 12, 3)
    ids = [r[0] for r in rows(database, "SELECT id FROM learner ORDER BY id LIMIT 4")]
    left = {
        ids[0]: dt.date(2023, 6, 30),  # 3 years and more
        ids[1]: dt.date(2024, 12, 2),  # 2 years and a day
        ids[2]: dt.date(2024, 12, 3),  # exactly 2 years: not more
        ids[3]: dt.date(2026, 7, 4),
    }
    with database.engine.begin() as connection:
        connection.execute(text("UPDATE learner SET left_on = NULL"))
        for learner_id, day in left.items():
            connection.execute(
                text("UPDATE learner SET left_on = :d WHERE id = :l"), {"d": day, "l": learner_id}
            )
    service = PrivacyService(database, world.admin)
    listed = service.retention(2, today)
    assert [row.learner_id for row in listed] == [ids[0], ids[1]]  # the oldest first
    assert [row.left_on for row in listed] == [left[ids[0]], left[ids[1]]]
    assert (
        service.retention(3, today)[0].learner_id == ids[0]
        and len(service.retention(3, today)) == 1
    )
    assert {row.learner_id for row in service.retention(0, today)} == set(ids)
    assert service.retention(10, today) == ()
    first = listed[0]
    bilans = one(database, "SELECT COUNT(*) FROM bilan WHERE learner_id = :l", l=first.learner_id)
    assert first.bilans == bilans
    expected_class = rows(
        database,
        "SELECT c.code FROM enrolment e JOIN school_class c ON c.id = e.class_id "
        "JOIN school_year y ON y.id = e.school_year_id WHERE e.learner_id = :l "
        "ORDER BY y.start_date DESC",
        l=first.learner_id,
    )
    assert first.class_code == (expected_class[0][0] if expected_class else None)
    # The DDFPT reads the list too; a teacher does not.
    assert PrivacyService(database, world.ddfpt).retention(2, today) == listed
    with pytest.raises(PermissionDenied):
        PrivacyService(database, world.teacher).retention(2, today)
    with pytest.raises(ValidationError):
        service.retention(-1, today)


def test_years_before_handles_29_february() -> None:
    assert years_before(dt.date(2028, 2, 29), 1) == dt.date(2027, 2, 28)
    assert years_before(dt.date(2026, 12, 3), 0) == dt.date(2026, 12, 3)


def test_find_learners_by_name_or_ine(world: World) -> None:
    service = PrivacyService(world.database, world.admin)
    subject = world.subject
    by_ine = service.find_learners(subject.ine.lower())
    assert [row.learner_id for row in by_ine] == [subject.learner_id]
    by_name = service.find_learners(subject.first_last)
    assert subject.learner_id in {row.learner_id for row in by_name}
    assert service.find_learners("   ") == ()
    assert service.learner_id(subject.ine.lower()) == subject.learner_id
